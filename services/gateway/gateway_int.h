/* gateway_int — what the gateway's files share: the gateway state, one HTTP request on its
 * way through, and the steps of the pipeline. Not for use outside services/gateway/ (tests
 * excepted).
 *
 * A request goes: gw_dispatch_head (headers: route, key, role, content checks; a streamed
 * upload is opened with ingest here) -> gw_dispatch_data for each piece of body ->
 * gw_dispatch_end (the answer: a local handler or the owning service) -> gw_dispatch_audit
 * (appends to the audit chain, or turns the answer into 503 if it cannot) -> the server queues
 * rq->resp. Nothing in these steps knows about libmicrohttpd: the server hands them header
 * values, which is what lets the unit tests drive the whole pipeline.
 */
#ifndef GATEWAY_INT_H
#define GATEWAY_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "envelope.pb-c.h"
#include "gateway_audit.h"
#include "gateway_http.h"
#include "gateway_keys.h"
#include "gateway_problem.h"
#include "gateway_rate.h"
#include "gateway_routes.h"
#include "sais_config.h"
#include "sais_service.h"
#include "sais_store.h"

#define GW_FEED_CHUNK (1u << 20)     /* bytes per feed.chunk */

/* How the gateway talks to a service: sais_client_call in production, a fake in tests.
 * Returns a SAIS_CALL_* code; on SAIS_CALL_OK *reply is owned by the caller. */
typedef int (*gw_call_fn)(void *cls, const char *service, Sais__Request *req, int timeout_ms,
                          Sais__Reply **reply);

typedef struct gw_metrics_t gw_metrics_t;

/* HTTPS (gateway_tls.c): the PEM text of gateway.tls_cert and gateway.tls_key, or both NULL */
typedef struct {
    char *cert, *key;
} gw_tls_t;
typedef struct gw_async_t gw_async_t;

typedef struct gw_t {
    sais_store_t      *store;
    gw_call_fn         call;
    void              *call_cls;
    /* The same call answered on this thread without waiting (a READ_ANY of a service in this
     * process), or SAIS_LOCAL_NO; NULL when there is no such path. */
    gw_call_fn         call_local;
    /* Set when the HTTP threads poll many connections (gateway.threads > 0): then nothing
     * that waits runs on them; a step that waits is parked on gateway_async's workers. */
    gw_async_t        *async;
    gw_metrics_t      *metrics;
    struct MHD_Daemon *mhd;
    /* settings (gateway.*) */
    char               listen[256];
    unsigned           threads;          /* 0: a thread per connection */
    unsigned           workers;          /* gateway_async's workers, when threads > 0 */
    uint64_t           max_body;         /* bytes, feed uploads */
    size_t             max_json;         /* bytes, JSON bodies */
    unsigned           conn_timeout_s;
    unsigned           max_conns;
    unsigned           max_conns_per_ip;
    size_t             conn_memory;      /* bytes per connection (headers, read buffer) */
    int                timeout_ms;       /* per service call */
    int                long_timeout_ms;  /* the same for GW_F_LONG routes */
    char               web_dir[PATH_MAX];/* resolved; "" when there is no console */
    unsigned           port;             /* the port actually bound */
    /* pacing (gateway_rate.h); NULL tables: nobody is held back (unit tests) */
    gw_rate_t         *rate_keys;        /* per key id */
    gw_rate_t         *rate_fails;       /* failed authentications per client address */
    gw_rate_t         *rate_probes;      /* /healthz and /metrics per client address */
    uint32_t           probes_per_min;
    uint32_t           rate_per_min[GW_NROLES];   /* by role: [i] for the bit 1 << i */
    uint32_t           rate_burst_s;
    uint32_t           auth_fails_per_min;
    /* gateway.trusted_proxies, each as inet_pton gives it (16 bytes; IPv4 mapped) */
    unsigned char      proxies[16][16];
    size_t             nproxies;
    gw_tls_t           tls;              /* HTTPS when tls.cert is set */
} gw_t;

typedef struct {
    char     session[128];
    char     format[8];    /* "ndjson" | "csv": set by the head, for feed.begin */
    char     charset[32];  /* the Content-Type's charset, "" if none: ingest judges it */
    char    *buf;          /* pending bytes, up to GW_FEED_CHUNK; sent when full and more come */
    size_t   len;
    uint64_t total;
    bool     open;         /* begun and neither ended nor failed */
    /* Content-Encoding: gzip (gateway_feed.c): the body is inflated on its way to buf */
    void    *gz;           /* z_stream, NULL for a plain body */
    bool     gz_end;       /* the last gzip member read so far is complete */
    uint64_t inflated;     /* bytes the body inflated to so far */
    uint64_t gz_in;        /* compressed bytes inflated so far (every member) */
    size_t   gz_ok;        /* bytes at the start of buf from members whose checksum held */
} gw_feed_t;

/* Header values the pipeline needs (borrowed from the HTTP layer for one call). */
typedef struct {
    const char *authorization;
    const char *content_type;
    const char *content_encoding;
    const char *idempotency_key;
    const char *request_id;
    int64_t     content_length;   /* -1 if absent */
    const struct sockaddr *client;  /* the peer's address, NULL if unknown */
    const char *forwarded_for;      /* X-Forwarded-For (used only from a trusted proxy) */
    bool        has_body;         /* Content-Length > 0 or Transfer-Encoding */
} gw_headers_t;

typedef struct gw_req_t {
    int64_t      t0_us;
    char        *raw_uri;         /* owned: path and query as the client sent them */
    char         method[16];
    int          stage;           /* 0 new, 1 headers done, 2 answered */
    char         rid[GW_RID_MAX];
    gw_path_t    path;
    bool         matched;
    gw_match_t   match;
    gw_params_t  params;          /* captures, then the query string */
    bool         authed;
    gw_key_t     key;
    char         content_type[128];
    char         idem[256];
    char         subject[128];    /* audited: the path capture or the body's id */
    char        *body;            /* owned, JSON routes only */
    size_t       len, cap;
    uint64_t     received;        /* body bytes seen, whatever the route */
    uint64_t     drained;         /* body bytes dropped after the answer was decided */
    uint64_t     limit;           /* body limit for this route */
    gw_feed_t    feed;
    gw_resp_t    resp;
    /* the server's own (gateway_server.c) */
    bool         audited;         /* gw_dispatch_audit has run */
    bool         rate_first;      /* a 429 that starts a refusal spell: audited, later ones not */
    bool         refuse_early;    /* a refusal may be sent before the body (see the server) */
    int          parked;          /* where the request waits on gateway_async (PARK_*) */
    void        *conn;            /* the HTTP connection, while parked */
} gw_req_t;

gw_req_t *gw_req_new(const char *raw_uri);
void gw_req_destroy(gw_req_t **rq_p);

/* ---- the pipeline (gateway_dispatch.c) */
void gw_dispatch_head(gw_t *gw, gw_req_t *rq, const gw_headers_t *h);
void gw_dispatch_data(gw_t *gw, gw_req_t *rq, const char *data, size_t n);
/* The same for a feed upload whose buffer has room, without waiting: takes what fits (of a
 * gzip body, what inflates into the room) and returns how many of the n bytes it took. When
 * the answer is decided meanwhile (413, a corrupt gzip body) the rest is not wanted. */
size_t gw_dispatch_data_some(gw_t *gw, gw_req_t *rq, const char *data, size_t n);
void gw_dispatch_end(gw_t *gw, gw_req_t *rq);
/* gw_dispatch_end when it can answer without waiting: a read of a service in this process,
 * answered on this thread. false (nothing done) when the answer needs a wait. */
bool gw_dispatch_end_now(gw_t *gw, gw_req_t *rq);
void gw_dispatch_audit(gw_t *gw, gw_req_t *rq);
/* The request's audit entry, if it has one: true and *e (pointing into rq and action). */
bool gw_audit_entry(const gw_req_t *rq, gw_audit_in_t *e, char action[160]);
/* The answer when its audit entry could not be written: a 503, nothing of the data. */
void gw_audit_withhold(gw_req_t *rq);

/* ---- gateway_async.c: where the polling threads' requests wait. A parked request's
 * connection is suspended; when its step has run, `resume` is called with it (from the
 * worker or audit thread) and must be the last thing that touches it there. */
typedef void (*gw_job_fn)(gw_t *gw, gw_req_t *rq);
typedef void (*gw_resume_fn)(gw_req_t *rq);
/* `workers` threads for steps that wait on a service, one for the audit chain. NULL on
 * failure. */
gw_async_t *gw_async_new(gw_t *gw, unsigned workers, gw_resume_fn resume);
/* Runs fn(gw, rq) on a worker, then resume(rq) (unless rq->conn is NULL: a request nobody
 * waits for, which fn frees). -1 when it cannot be queued (stopping, out of memory). */
int gw_async_job(gw_async_t *a, gw_req_t *rq, gw_job_fn fn);
/* Appends rq's audit entry on the audit thread, gathered with the others waiting (one synced
 * commit for all), sets rq->audited (a 503 answer if the append failed), then resume(rq). */
int gw_async_audit(gw_async_t *a, gw_req_t *rq);
/* Runs what is queued, then stops the threads; later steps are refused. */
void gw_async_stop(gw_async_t *a);
/* gw_async_stop, then frees. */
void gw_async_destroy(gw_async_t **a_p);
/* The route pattern for logs, metrics and audit: "GET /v1/persons/{id_number}". */
void gw_req_action(const gw_req_t *rq, char *out, size_t len);

/* Sends `method` to `service` as the request's caller. On SAIS_CALL_OK with a usable answer
 * returns 0 and *reply; otherwise fills rq->resp with 503 (down, not built yet, bad answer)
 * or 504 (no answer in time) naming the service and returns -1. */
int gw_forward(gw_t *gw, gw_req_t *rq, const char *service, const char *method,
               const gw_params_t *params, const void *body, size_t len, int timeout_ms,
               Sais__Reply **reply);
/* rq->resp from a service's reply (status, content type, body). */
void gw_resp_from_reply(gw_resp_t *r, const char *service, const Sais__Reply *rep);

/* ---- the streamed feed upload (gateway_feed.c). Each returns 0, or -1 with rq->resp set. */
/* Opens the batch with ingest in rq->feed.format (set by gw_dispatch_head, which calls this
 * itself unless gw->async is set). */
int  gw_feed_begin(gw_t *gw, gw_req_t *rq);
/* Buffers n bytes; a full buffer is sent first (which waits for ingest). With room for n
 * bytes it never waits: gw_feed_room says how many that is. */
int  gw_feed_data(gw_t *gw, gw_req_t *rq, const char *data, size_t n);
size_t gw_feed_room(const gw_req_t *rq);
/* Takes bytes of the body into the buffer without waiting: returns how many of the n it
 * took (fewer when the buffer fills). On a corrupt gzip body or one that inflates past
 * rq->limit, rq->resp is the 400/413, the upload is abandoned and n is returned. */
size_t gw_feed_take(gw_t *gw, gw_req_t *rq, const char *data, size_t n);
/* A gzip body (Content-Encoding: gzip, one or more members): 0, or -1 with rq->resp. */
int  gw_feed_gzip(gw_req_t *rq);
/* Frees what the upload holds (gw_req_destroy). */
void gw_feed_free(gw_req_t *rq);
/* Sends a full buffer now. */
int  gw_feed_flush(gw_t *gw, gw_req_t *rq);
void gw_feed_end(gw_t *gw, gw_req_t *rq);
/* Tells ingest a begun upload will not finish (client gone); best effort. */
void gw_feed_abandon(gw_t *gw, gw_req_t *rq);

/* ---- the gateway's own handlers (gateway_local.c): fill rq->resp */
typedef void (*gw_local_fn)(gw_t *gw, gw_req_t *rq);
gw_local_fn gw_local_find(const char *rpc);

/* ---- who the client is (gateway_client.c) */
/* Reads gateway.trusted_proxies into gw. 0, or -1 with err naming an entry that is not an
 * IP address (or one too many). */
int  gw_proxies_load(gw_t *gw, const sais_config_t *cfg, char *err, size_t errlen);
/* The client's address as text into out: the peer's, or, when the peer is a trusted proxy,
 * the last X-Forwarded-For entry that is not itself one. "unknown" without a peer. */
void gw_client_addr(const gw_t *gw, const gw_headers_t *h, char *out, size_t outlen);

/* ---- HTTPS (gateway_tls.c) */
/* Reads gateway.tls_cert and gateway.tls_key: 0 with neither set (plain HTTP) or both read;
 * -1 with the reason in err (one without the other, unreadable, not PEM, a key others may
 * read). */
int  gw_tls_load(const sais_config_t *cfg, gw_tls_t *t, char *err, size_t errlen);
/* Wipes the key's copy and frees both. */
void gw_tls_clear(gw_tls_t *t);

/* ---- static files of the console (gateway_static.c) */
void gw_static_serve(gw_t *gw, gw_req_t *rq);

/* ---- metrics (gateway_metrics.c) */
gw_metrics_t *gw_metrics_new(void);
void gw_metrics_destroy(gw_metrics_t **m_p);
/* route: index in gw_routes, or gw_nroutes for a request that matched no route. */
void gw_metrics_observe(gw_metrics_t *m, size_t route, int status, int64_t micros);
/* Appends the request metrics in Prometheus text format. 0 or -1 (allocation). */
typedef struct {
    char  *buf;
    size_t len, cap;
    bool   failed;
} gw_text_t;
void gw_text_add(gw_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gw_metrics_render(gw_metrics_t *m, gw_text_t *t);

/* Calls `method` on every backend at once (threads), each with timeout_ms. out[i] pairs with
 * gw_backends[i]: rc is a SAIS_CALL_* code, reply (owned, may be NULL). */
typedef struct {
    int          rc;
    Sais__Reply *reply;
} gw_fan_t;
void gw_fanout(gw_t *gw, const char *method, int timeout_ms, gw_fan_t *out);
void gw_fanout_free(gw_fan_t *out);

int64_t gw_now_us(void);

#endif
