/* sais_service — the runtime every service runs on (a czmq actor).
 *
 * A service is a table (sais_service_def_t): its databases, its request methods, the
 * producers it consumes and a function that applies one event. The runtime does the rest:
 * opens the store, binds a ROUTER at "<name>.endpoint", answers requests from the method
 * table (plus the built-ins "bus.fetch", "digest", "health", "bus.status"), pulls events from
 * each producer's log from its stored cursor and applies them in one write transaction per
 * fetched batch together with the new cursor, serves long-polled fetches of its own log, and
 * handles idempotency keys for write methods.
 *
 * The same actor runs in `sais up` (inproc:// endpoints, all services in one process) and in
 * `sais run <name>` (tcp:// or ipc:// endpoints, one process) — only the config differs.
 */
#ifndef SAIS_SERVICE_H
#define SAIS_SERVICE_H

#include <czmq.h>
#include <stdarg.h>
#include "sais_store.h"
#include "sais_config.h"
#include "sais_client.h"
#include "sais_json.h"
#include "envelope.pb-c.h"

typedef struct sais_svc_t sais_svc_t;

/* ---- replies. The body is owned by the reply; the runtime frees it after sending. */
typedef struct {
    int    status;
    char   content_type[48];
    char  *body;
    size_t len;
    /* a SAIS_M_PREPARED handler's own state, from its prepare call to its write call: the
     * runtime calls user_free(user) after the reply is sent; sais_reply_reset leaves it */
    void  *user;
    void (*user_free)(void *);
} sais_reply_t;

/* Each returns 0, or -1 on allocation failure. A later call replaces an earlier answer. */
int sais_reply_bytes(sais_reply_t *r, int status, const char *ctype, const void *p, size_t n);
/* Takes the writer's buffer. */
int sais_reply_jw(sais_reply_t *r, int status, sais_jw_t *w);
int sais_reply_pb(sais_reply_t *r, int status, const ProtobufCMessage *msg);
/* RFC 9457 problem: type "https://sais.example/problems/<code>", title, detail. */
int sais_reply_problem(sais_reply_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Problem 422 with one entry in "errors": {"field", "code", "message"}. */
int sais_reply_invalid(sais_reply_t *r, const char *field, const char *code, const char *message);
void sais_reply_reset(sais_reply_t *r);
/* The RFC 9110 reason phrase of a status ("Not Found"); "Error" for one not listed. */
const char *sais_status_title(int status);

/* ---- requests */
/* A path capture or query parameter; NULL if absent. */
const char *sais_req_param(const Sais__Request *req, const char *key);
/* The caller's role ("" for another service). */
const char *sais_req_role(const Sais__Request *req);
/* True if the caller may see `region`: internal callers, admin and city see everything;
 * others need a region scope prefix matching it. */
bool sais_req_sees_region(const Sais__Request *req, const char *region);

/* ?limit= for lists: default 50, at most 1000; -1 if present but not a number in 1..1000
 * (answer 422 with field "limit"). */
int sais_req_limit(const Sais__Request *req);

/* ---- the table a service is made of */
typedef enum {
    SAIS_M_READ  = 0,   /* handler gets a read-only txn */
    SAIS_M_WRITE = 1,   /* handler gets a write txn; idempotency key handled by the runtime;
                           events it appends are published when the txn commits */
    SAIS_M_RAW   = 2,   /* handler gets txn = NULL and opens its own (sais_svc_write) */
    SAIS_M_PREPARED = 3, /* a WRITE with a first call outside any transaction: the handler is
                           called with txn = NULL (it may read, call other services, keep what
                           it found in reply->user); if that answers (sets a status) the request
                           ends there, else it is called again with a write txn as for WRITE */
    SAIS_M_READ_ANY = 4, /* a READ that may run on any thread, several at once: it uses only its
                           txn, the request and what on_start set up (never state the actor
                           changes later), and calls no other service. A caller in the same
                           process runs it on its own thread (sais_service_local.c) */
} sais_method_kind_t;

typedef int (*sais_handler_fn)(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req,
                               sais_reply_t *reply);
typedef struct {
    const char        *name;
    sais_method_kind_t kind;
    sais_handler_fn    fn;
} sais_method_t;

/* Applies one event of `producer` inside the consumer's write txn. Returns 0, an LMDB code,
 * or SAIS_TXN_ABORT; see sais_store_write. An event the service does not care about is
 * simply ignored (return 0). A garbled payload is logged and skipped, never fatal.
 * SAIS_EV_WAIT: not yet — the events before it are committed, the cursor stays before it, and
 * it is fetched again (alone) after SAIS_EV_WAIT_MS, while the service's ticks do what it
 * waits for in transactions of their own (verify: the household refreshes a batch owes). */
#define SAIS_EV_WAIT    (-4)
#define SAIS_EV_WAIT_MS 20
typedef int (*sais_event_fn)(sais_svc_t *svc, MDB_txn *txn, const char *producer,
                             const Sais__Envelope *ev);

/* One producer log to consume, for services whose producers are known only from config
 * (the city aggregator reads the same producer in every county). `name` keys the cursor,
 * is what on_event receives as `producer` and what bus.status lists; `endpoint` is where
 * that log is served. */
typedef struct {
    char name[64];
    char endpoint[256];
} sais_source_t;

typedef struct {
    const char          *name;
    const char *const   *dbis;       /* NULL-terminated; the runtime adds its own "_" ones */
    const sais_method_t *methods;    /* terminated by an entry with name == NULL */
    const char *const   *consumes;   /* producer names, NULL-terminated; may be NULL */
    sais_event_fn        on_event;
    /* After the store opens, before any request: load config, build state. 0 or -1 + err. */
    int  (*on_start)(sais_svc_t *svc, char *err, size_t errlen);
    void (*on_stop)(sais_svc_t *svc);
    /* Optional: adds the service's own keys to its bus.status object (`sais status`, the
     * gateway's /metrics), inside the read transaction bus.status runs in. LMDB code. */
    int  (*on_status)(sais_svc_t *svc, MDB_txn *txn, sais_jw_t *w);
    /* Called every tick_ms (if both set): timers kept as state, deliveries, ... */
    void (*on_tick)(sais_svc_t *svc);
    int   tick_ms;
    /* Optional, in addition to `consumes`: called once at start (before on_start) to list
     * more logs to consume. Writes at most `max` entries to out and returns how many, or -1
     * with a reason in err (the service does not start). */
    int  (*sources)(const sais_config_t *cfg, sais_source_t *out, size_t max, char *err, size_t errlen);
} sais_service_def_t;

/* ---- for handlers */
const char          *sais_svc_name(const sais_svc_t *svc);
sais_store_t        *sais_svc_store(sais_svc_t *svc);
const sais_config_t *sais_svc_config(const sais_svc_t *svc);
sais_client_t       *sais_svc_client(sais_svc_t *svc);
MDB_dbi              sais_svc_dbi(sais_svc_t *svc, const char *name);
void                *sais_svc_state(sais_svc_t *svc);
void                 sais_svc_set_state(sais_svc_t *svc, void *state);
/* From on_tick: more work is waiting, tick again as soon as the sockets have been served once
 * (a long job in slices, each its own transaction, without starving requests and fetches). */
void                 sais_svc_tick_again(sais_svc_t *svc);

/* Appends an event to this service's log inside txn (published after commit). LMDB code. */
int sais_svc_emit(sais_svc_t *svc, MDB_txn *txn, const char *type, const char *region,
                  const ProtobufCMessage *msg);
/* The same, naming the feed sources behind the event (sais_bus_append_sourced). */
int sais_svc_emit_sourced(sais_svc_t *svc, MDB_txn *txn, const char *type, const char *region,
                          const char *const *sources, size_t nsources, const ProtobufCMessage *msg);
/* The same with a payload already packed (sources may be NULL, nsources 0). */
int sais_svc_emit_raw(sais_svc_t *svc, MDB_txn *txn, const char *type, const char *region,
                      const char *const *sources, size_t nsources, const void *payload, size_t len);
/* A write transaction outside the request/event paths (RAW handlers, ticks); events it
 * appends are published after commit. Same return as sais_store_write. */
int sais_svc_write(sais_svc_t *svc, sais_txn_fn fn, void *ctx);

/* ---- running */
/* Starts the service as an actor; NULL if its START failed (reason logged). The config must
 * outlive the actor. */
zactor_t *sais_service_start(const sais_service_def_t *def, const sais_config_t *cfg);
/* Sends $TERM and waits; idempotent. */
void sais_service_stop(zactor_t **actor_p);

#endif
