/* sais_service_int — the actor runtime's own state, shared by its files and nobody else:
 * sais_service.c (life cycle, the loop, serving and consuming logs) and
 * sais_service_calls.c (requests: built-ins, the method table, group commit of writes).
 */
#ifndef SAIS_SERVICE_INT_H
#define SAIS_SERVICE_INT_H

#include "sais_service.h"
#include "sais_curve.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define MAX_CONSUMES 128  /* the city: five producers in each of up to 25 counties */
#define MAX_PARKED   256

typedef struct {
    char        producer[64];  /* the cursor's name (a producer, or a config source's name) */
    zsock_t    *dealer;
    char        endpoint[256];
    uint64_t    cursor;
    bool        inflight;
    int64_t     sent_at;
    char        req_id[32];
    int64_t     retry_at;     /* the next fetch not before (a failed apply, a linger) */
    bool        waiting;      /* an event answered SAIS_EV_WAIT: fetch it alone, later */
    uint32_t    linger_ms;    /* once caught up, wait this long before fetching again */
    bool        diverged;     /* the producer's log ended before the cursor: nothing more is
                                 taken from it (sais_diverge, kept across restarts) */
} consumer_t;

typedef struct {
    zframe_t *identity;
    char      id[64];
    uint64_t  after;
    uint32_t  max;
    int64_t   deadline;
} parked_t;

struct sais_svc_t {
    const sais_service_def_t *def;
    const sais_config_t      *cfg;
    sais_store_t             *store;
    sais_client_t            *client;
    sais_curve_t             *curve;     /* this service's keypair; NULL with bus.curve off */
    zsock_t                  *router;
    void                     *state;
    consumer_t                consumers[MAX_CONSUMES];
    size_t                    nconsumers;
    parked_t                  parked[MAX_PARKED];
    size_t                    nparked;
    bool                      emitted;
    uint64_t                  fetch_seq;
    int64_t                   next_tick;
    bool                      tick_again;
    uint32_t                  fetch_max;
    uint32_t                  fetch_wait_ms;
    size_t                    max_msg;
    size_t                    fetch_bytes;
    /* WRITE and PREPARED requests waiting to be committed together (sais_service_calls.c) */
    struct svc_wjob          *wjobs;
    size_t                    nwjobs;
};


#define SVC_MAX_WJOBS 64   /* writes committed together at most (one drain of the ROUTER) */

/* sais_service.c */
void svc_send_reply(sais_svc_t *svc, zframe_t *identity, const char *id, int status, const char *ctype,
                    const void *body, size_t len);
void svc_send_problem(sais_svc_t *svc, zframe_t *identity, const char *id, int status, const char *code,
                      const char *detail);
void svc_wake_fetchers(sais_svc_t *svc, bool expire_only);
void svc_handle_fetch(sais_svc_t *svc, zframe_t *identity, const Sais__Request *req);

/* sais_service_calls.c */
/* Receives one message from the ROUTER and answers it — or, for a WRITE or PREPARED method,
 * queues it for the next group commit (svc_flush_writes), which runs before any other kind of
 * request so that requests still take effect in the order they came. */
void svc_on_request(sais_svc_t *svc);
/* Commits the queued writes in one transaction (each in a child of it) and answers them. */
void svc_flush_writes(sais_svc_t *svc);
int  svc_calls_init(sais_svc_t *svc);
void svc_calls_fini(sais_svc_t *svc);
/* A handler that failed (rc != 0) or gave no answer: logged, and the reply becomes a 503
 * problem naming the service and method. Otherwise the reply is left as it is. */
void svc_answer_failure(sais_svc_t *svc, const char *method, int rc, sais_reply_t *reply);

/* sais_service_local.c: a started service offers its READ_ANY methods to callers in this
 * process (with bus.local_reads on); unregister waits for the calls in flight. */
void svc_local_register(sais_svc_t *svc);
void svc_local_unregister(sais_svc_t *svc);

#endif
