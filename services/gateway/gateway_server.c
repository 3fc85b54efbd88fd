/* gateway_server — the gateway as a service on the runtime, and its libmicrohttpd daemon.
 *
 * libmicrohttpd runs in poll mode (DESIGN.md: epoll mode stalls at 128/256/384 connections
 * per thread), in one of two ways:
 *   - gateway.threads > 0 (the default, 2): that many threads poll every connection and
 *     never wait on one. A read that a service in this process answers on the caller's
 *     thread (sais_local_call) is answered there; whatever else waits — a call to a service,
 *     a feed chunk, the audit entry's synced commit — is parked on gateway_async with the
 *     connection suspended, and the handler is called again when it is done. Audit entries
 *     of the reads answered here are committed together, many to one sync.
 *   - gateway.threads = 0: a thread per connection, which waits for each step itself.
 * Either way keys and audit entries go through the store (LMDB serialises writers).
 *
 * Responses are queued on the handler's second call or later, never the first, so that
 * keep-alive connections stay open — except to refuse a body before it is sent (401, 413,
 * 415, a feed the ingest service will not take), where closing is what we want.
 */
#include "gateway.h"
#include "gateway_int.h"
#include "gateway_audit.h"

#include <arpa/inet.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include "sais_client.h"
#include "sais_clock.h"
#include "sais_config.h"
#include "sais_log.h"

#define GW_DRAIN_MAX (4u * 1024 * 1024) /* body bytes read and dropped after a refusal */

static const char *const gateway_dbis[] = {GW_KEYS_DBI, GW_AUDIT_DBI, GW_AUDIT_HEAD_DBI, NULL};

/* ---- settings */

static void load_settings(gw_t *gw, const sais_config_t *cfg)
{
    const char *listen = sais_config_get(cfg, "gateway.listen");
    snprintf(gw->listen, sizeof gw->listen, "%s", listen && *listen ? listen : "127.0.0.1:8080");
    /* the config refuses a value outside its key's range when it is read (sais_config.c) */
    gw->threads = (unsigned)sais_config_int(cfg, "gateway.threads");
    gw->workers = (unsigned)sais_config_int(cfg, "gateway.workers");
    gw->max_body = (uint64_t)sais_config_int(cfg, "gateway.max_body_mb") * 1024 * 1024;
    gw->max_json = (size_t)sais_config_int(cfg, "gateway.max_json_kb") * 1024;
    gw->conn_timeout_s = (unsigned)sais_config_int(cfg, "gateway.conn_timeout_s");
    gw->max_conns = (unsigned)sais_config_int(cfg, "gateway.max_conns");
    gw->max_conns_per_ip = (unsigned)sais_config_int(cfg, "gateway.max_conns_per_ip");
    gw->timeout_ms = (int)sais_config_int(cfg, "gateway.request_timeout_ms");
    gw->conn_memory = (size_t)sais_config_int(cfg, "gateway.conn_memory_kb") * 1024;
    gw->long_timeout_ms = (int)sais_config_int(cfg, "gateway.long_request_timeout_ms");
    if (gw->long_timeout_ms < gw->timeout_ms) gw->long_timeout_ms = gw->timeout_ms;
    for (unsigned i = 0; i < GW_NROLES; i++) {
        char key[64];
        snprintf(key, sizeof key, "gateway.rate.%s", gw_role_name(1u << i));
        gw->rate_per_min[i] = (uint32_t)sais_config_int(cfg, key);
    }
    gw->rate_burst_s = (uint32_t)sais_config_int(cfg, "gateway.rate_burst_s");
    gw->auth_fails_per_min = (uint32_t)sais_config_int(cfg, "gateway.auth_failures_per_min");
    gw->probes_per_min = (uint32_t)sais_config_int(cfg, "gateway.probes_per_min");
    const char *web = sais_config_get(cfg, "gateway.web_dir");
    gw->web_dir[0] = '\0';
    if (web && *web) {
        if (realpath(web, gw->web_dir) == NULL) {
            sais_warn("gateway: console directory %s not found; /console answers 404", web);
            gw->web_dir[0] = '\0';
        }
    }
}

/* "host:port", "[v6]:port" or ":port" (all interfaces). */
static int parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6, char *err, size_t errlen)
{
    char host[200] = "";
    const char *port;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host) goto bad;
        memcpy(host, s + 1, (size_t)(rb - s - 1));
        host[rb - s - 1] = '\0';
        port = rb + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof host) goto bad;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] && strcmp(host, "*") != 0 ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "gateway.listen %s: %s", s, gai_strerror(rc));
        return -1;
    }
    /* for "all interfaces" prefer IPv4 0.0.0.0, which is what a container publishes */
    struct addrinfo *pick = res;
    for (struct addrinfo *a = res; !host[0] && a; a = a->ai_next)
        if (a->ai_family == AF_INET) pick = a;
    memcpy(ss, pick->ai_addr, pick->ai_addrlen);
    *v6 = pick->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
bad:
    snprintf(err, errlen, "gateway.listen \"%s\" is not host:port", s);
    return -1;
}

/* ---- libmicrohttpd callbacks */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    sais_log_set_service("gateway");
    return gw_req_new(uri);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* ---- parking (gw->async): a step that waits runs on gateway_async, the connection
 * suspended meanwhile; libmicrohttpd calls on_request again once it is resumed. */

enum { PARK_NONE, PARK_HEAD, PARK_DATA, PARK_END, PARK_AUDIT, PARK_CLOSE };

static void resume(gw_req_t *rq)
{
    struct MHD_Connection *c = rq->conn;
    rq->conn = NULL;
    MHD_resume_connection(c);
}

static void job_begin(gw_t *gw, gw_req_t *rq) { gw_feed_begin(gw, rq); }

static void job_flush(gw_t *gw, gw_req_t *rq)
{
    if (gw_feed_flush(gw, rq) != 0 && !rq->resp.ready)
        gw_problem(&rq->resp, 503, "service_unavailable", "the upload was not opened");
}

/* The answer and its audit entry, so the request leaves the worker ready to send. */
static void job_end(gw_t *gw, gw_req_t *rq)
{
    if (!rq->resp.ready) gw_dispatch_end(gw, rq);
    gw_dispatch_audit(gw, rq);
}

static void job_abandon(gw_t *gw, gw_req_t *rq)
{
    gw_feed_abandon(gw, rq);
    gw_req_destroy(&rq);
}

/* Suspends the connection and queues the step; on_request is called again when it has run.
 * (Suspended first, so a quick step cannot resume what is not yet suspended.) When the step
 * cannot be queued it runs here. */
static enum MHD_Result park(gw_t *gw, struct MHD_Connection *c, gw_req_t *rq, int where,
                            gw_job_fn fn)
{
    rq->parked = where;
    rq->conn = c;
    MHD_suspend_connection(c);
    if ((fn ? gw_async_job(gw->async, rq, fn) : gw_async_audit(gw->async, rq)) == 0)
        return MHD_YES;
    sais_warn("gateway: cannot park a request (stopping or out of memory); it waits here");
    if (fn) fn(gw, rq);
    else gw_dispatch_audit(gw, rq);
    resume(rq);
    return MHD_YES;
}

/* ---- answering */

/* Sends rq->resp, audited already. */
static enum MHD_Result send_answer(gw_t *gw, struct MHD_Connection *c, gw_req_t *rq)
{
    gw_resp_t *r = &rq->resp;
    struct MHD_Response *resp;
    if (r->fd >= 0) {
        resp = MHD_create_response_from_fd((size_t)r->fd_size, r->fd);
        if (resp) r->fd = -1;   /* the response owns it now */
    } else {
        resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_COPY);
    }
    rq->stage = 2;
    int64_t us = gw_now_us() - rq->t0_us;
    char action[160];
    gw_req_action(rq, action, sizeof action);
    sais_log_set_request(rq->rid);
    sais_info("%s %d %lld.%03lldms", action, r->status, (long long)(us / 1000), (long long)(us % 1000));
    sais_log_set_request(NULL);
    gw_metrics_observe(gw->metrics, rq->matched ? rq->match.index : gw_nroutes, r->status, us);
    if (!resp) return MHD_NO;
    if (r->status != 204 && r->status != 304 && r->ctype[0] &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype) != MHD_YES)
        goto fail;
    if (MHD_add_response_header(resp, "X-Request-Id", rq->rid) != MHD_YES) goto fail;
    if (r->xname[0] && MHD_add_response_header(resp, r->xname, r->xvalue) != MHD_YES) goto fail;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
fail:
    MHD_destroy_response(resp);
    return MHD_NO;
}

/* Whether the request's audit entry is still to be written and must be parked for it. */
static bool audit_to_park(const gw_t *gw, const gw_req_t *rq)
{
    char action[160];
    gw_audit_in_t e;
    return !rq->audited && gw->async && gw_audit_entry(rq, &e, action);
}

/* The audit entry first (parked, when polling), then the answer. */
static enum MHD_Result queue(gw_t *gw, struct MHD_Connection *c, gw_req_t *rq)
{
    if (audit_to_park(gw, rq)) return park(gw, c, rq, PARK_AUDIT, NULL);
    gw_dispatch_audit(gw, rq);
    return send_answer(gw, c, rq);
}

/* Closes the connection without an answer (the only way out in the middle of a body). */
static enum MHD_Result give_up(gw_t *gw, struct MHD_Connection *c, gw_req_t *rq)
{
    if (audit_to_park(gw, rq)) return park(gw, c, rq, PARK_CLOSE, NULL);
    gw_dispatch_audit(gw, rq);
    char action[160];
    gw_req_action(rq, action, sizeof action);
    sais_log_set_request(rq->rid);
    sais_warn("%s %d: body goes on past the limit; connection closed", action, rq->resp.status);
    sais_log_set_request(NULL);
    gw_metrics_observe(gw->metrics, rq->matched ? rq->match.index : gw_nroutes, rq->resp.status,
                       gw_now_us() - rq->t0_us);
    rq->stage = 2;
    return MHD_NO;
}

static bool feed_to_begin(const gw_req_t *rq)
{
    return !rq->resp.ready && rq->matched && (rq->match.route->flags & GW_F_STREAM) &&
           !rq->feed.open && rq->feed.format[0];
}

/* A piece of body. With gw->async a feed's bytes are taken only while its buffer has room,
 * the rest left with libmicrohttpd (which holds back the socket) while the full buffer goes
 * to ingest on a worker. */
static enum MHD_Result body_piece(gw_t *gw, struct MHD_Connection *c, gw_req_t *rq,
                                  const char *data, size_t *size)
{
    size_t n = *size;
    if (!rq->resp.ready) {
        if (gw->async && rq->feed.open) {
            if (gw_feed_room(rq) == 0) return park(gw, c, rq, PARK_DATA, job_flush);
            size_t take = gw_dispatch_data_some(gw, rq, data, n);
            if (take < n) {
                /* Bytes left over with the buffer full: send it now. Left with bytes it has
                 * not taken and a connection not suspended, libmicrohttpd calls again only
                 * when more arrive, and after a client's last bytes none do (the upload hung
                 * until the connection timeout). */
                if (!rq->resp.ready) {
                    *size = n - take;
                    return park(gw, c, rq, PARK_DATA, job_flush);
                }
                rq->drained += n - take;   /* answered meanwhile: the rest is dropped */
            }
            *size = 0;
            return MHD_YES;
        }
        *size = 0;
        gw_dispatch_data(gw, rq, data, n);
        return MHD_YES;
    }
    /* answer decided: drop the rest of the body, and answer when it is all in — unless it runs
     * far past the limit, where the connection is closed without an answer */
    *size = 0;
    rq->drained += n;
    if (rq->received + rq->drained > rq->limit + GW_DRAIN_MAX) return give_up(gw, c, rq);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    gw_t *gw = cls;
    (void)version;
    gw_req_t *rq = *con_cls;
    if (!rq) {
        rq = gw_req_new(url);
        if (!rq) return MHD_NO;
        *con_cls = rq;
    }
    sais_log_set_service("gateway");
    int parked = rq->parked;
    rq->parked = PARK_NONE;
    if (parked == PARK_CLOSE) return give_up(gw, c, rq);
    if (parked == PARK_AUDIT) return send_answer(gw, c, rq);
    if (rq->stage == 2) {
        *upload_data_size = 0;   /* answered already: the rest of the body is dropped */
        return MHD_YES;
    }
    bool head_call = rq->stage == 0 || parked == PARK_HEAD;
    if (rq->stage == 0) {
        snprintf(rq->method, sizeof rq->method, "%s", method);
        const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *te = header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        const char *expect = header(c, MHD_HTTP_HEADER_EXPECT);
        gw_headers_t h = {
            .authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION),
            .content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE),
            .content_encoding = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING),
            .idempotency_key = header(c, "Idempotency-Key"),
            .request_id = header(c, "X-Request-Id"),
            .content_length = cl ? strtoll(cl, NULL, 10) : -1,
        };
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        h.client = ci ? ci->client_addr : NULL;
        h.forwarded_for = header(c, "X-Forwarded-For");
        h.has_body = (cl && h.content_length > 0) || te != NULL;
        /* libmicrohttpd takes a response before the body or after all of it, not in the
         * middle. Refusing a body before it comes: a client waiting for "100 Continue" never
         * sends it, and one of unknown or large size is cut off; a small one is read and
         * dropped, so the client is not reset before it reads the answer. */
        rq->refuse_early = h.has_body &&
                           (expect || h.content_length < 0 || h.content_length > GW_DRAIN_MAX);
        gw_dispatch_head(gw, rq, &h);
        if (gw->async && feed_to_begin(rq)) return park(gw, c, rq, PARK_HEAD, job_begin);
    }
    if (head_call) {
        /* the call for the headers (one parked there is called again as such) */
        if (rq->resp.ready && rq->refuse_early) return queue(gw, c, rq);
        return MHD_YES;
    }
    if (*upload_data_size > 0) return body_piece(gw, c, rq, upload_data, upload_data_size);
    if (!rq->resp.ready) {
        if (!gw->async) gw_dispatch_end(gw, rq);
        else if (!gw_dispatch_end_now(gw, rq)) return park(gw, c, rq, PARK_END, job_end);
    }
    return queue(gw, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    gw_t *gw = cls;
    (void)c;
    (void)toe;
    gw_req_t *rq = *con_cls;
    if (!rq) return;
    *con_cls = NULL;
    if (rq->feed.open) {   /* the partner went away mid-upload */
        if (gw->async && gw_async_job(gw->async, rq, job_abandon) == 0) return;
        gw_feed_abandon(gw, rq);
    }
    gw_req_destroy(&rq);
}

/* libmicrohttpd logs a line per bad connection (a plain-HTTP client on the HTTPS port, a TLS
 * handshake that fails, a timeout): a scanner would fill the disk with them. Each kind of
 * line (its format string) is written at most MHD_LOG_BURST times a minute; how many were
 * held back is said with the next one written. */
#define MHD_LOG_BURST 10

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    unsigned held = 0;
    if (!sais_log_allow(fmt, MHD_LOG_BURST, &held))
        return;
    sais_log_set_service("gateway");
    if (held)
        sais_warn("gateway: libmicrohttpd: %u more lines like the next were not written last minute", held);
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    sais_warn("gateway: libmicrohttpd: %s", line);
}

/* ---- start and stop */

static int client_call(void *cls, const char *service, Sais__Request *req, int timeout_ms,
                       Sais__Reply **reply)
{
    return sais_client_call(cls, service, req, timeout_ms, reply);
}

static int local_call(void *cls, const char *service, Sais__Request *req, int timeout_ms,
                      Sais__Reply **reply)
{
    (void)cls;
    req->deadline_ms = sais_clock_ms() + timeout_ms;
    return sais_local_call(service, req, reply);
}

static int daemon_start(gw_t *gw, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    bool v6 = false;
    memset(&ss, 0, sizeof ss);
    if (parse_listen(gw->listen, &ss, &v6, err, errlen) != 0) return -1;
    unsigned flags = MHD_USE_ERROR_LOG | MHD_USE_POLL | MHD_USE_INTERNAL_POLLING_THREAD;
    if (gw->threads == 0) flags |= MHD_USE_THREAD_PER_CONNECTION;
    else flags |= MHD_ALLOW_SUSPEND_RESUME;
    if (v6) flags |= MHD_USE_IPv6;
    struct MHD_OptionItem ops[16] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, gw},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)gw->conn_timeout_s, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)gw->max_conns, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)gw->max_conns_per_ip, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)gw->conn_memory, NULL},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, gw},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, gw},
    };
    size_t n = 9;
    /* the pool size only when there is a pool: libmicrohttpd warns about a zero one */
    if (gw->threads > 1) ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)gw->threads, NULL};
    if (gw->tls.cert) {
        flags |= MHD_USE_TLS;
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, gw->tls.cert};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, gw->tls.key};
        /* GnuTLS's NORMAL set without the protocol versions before TLS 1.2 */
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                           (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    }
    ops[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    gw->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, gw, MHD_OPTION_ARRAY, ops,
                               MHD_OPTION_END);
    if (!gw->mhd) {
        if (gw->tls.cert)
            snprintf(err, errlen, "gateway: cannot serve HTTPS on %s (the certificate and key do "
                     "not load or do not match: see libmicrohttpd's line above)", gw->listen);
        else
            snprintf(err, errlen, "gateway: cannot listen on %s", gw->listen);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(gw->mhd, MHD_DAEMON_INFO_BIND_PORT);
    gw->port = info ? info->port : 0;
    return 0;
}

static void gw_free(gw_t **gw_p)
{
    gw_t *gw = *gw_p;
    if (!gw) return;
    /* the parked requests are finished and resumed before libmicrohttpd stops; a request
     * that comes meanwhile waits on its own thread (gw_async_job refuses it) */
    if (gw->async) gw_async_stop(gw->async);
    if (gw->mhd) MHD_stop_daemon(gw->mhd);
    gw_async_destroy(&gw->async);
    gw_metrics_destroy(&gw->metrics);
    gw_rate_destroy(&gw->rate_keys);
    gw_rate_destroy(&gw->rate_fails);
    gw_rate_destroy(&gw->rate_probes);
    gw_tls_clear(&gw->tls);
    free(gw);
    *gw_p = NULL;
}

static int gw_on_start(sais_svc_t *svc, char *err, size_t errlen)
{
    const sais_config_t *cfg = sais_svc_config(svc);
    gw_t *gw = calloc(1, sizeof *gw);
    if (!gw) {
        snprintf(err, errlen, "gateway: out of memory");
        return -1;
    }
    gw->store = sais_svc_store(svc);
    gw->call = client_call;
    gw->call_cls = sais_svc_client(svc);
    gw->metrics = gw_metrics_new();
    /* a table slot per key in use, and room for the addresses of a flood (about 100 bytes
     * each: 5.5 MiB at most) */
    gw->rate_keys = gw_rate_new(4096);
    gw->rate_fails = gw_rate_new(65536);
    gw->rate_probes = gw_rate_new(4096);
    if (!gw->metrics || !gw->call_cls || !gw->rate_keys || !gw->rate_fails || !gw->rate_probes) {
        snprintf(err, errlen, "gateway: cannot set up (metrics, client or rate tables)");
        gw_free(&gw);
        return -1;
    }
    load_settings(gw, cfg);
    if (gw_proxies_load(gw, cfg, err, errlen) != 0 || gw_tls_load(cfg, &gw->tls, err, errlen) != 0) {
        gw_free(&gw);
        return -1;
    }
    char keyfile[PATH_MAX], dir[PATH_MAX];
    const char *data = sais_config_get(cfg, "data.dir");
    snprintf(dir, sizeof dir, "%s", data && *data ? data : ".");
    if (gateway_admin_key_ensure(gw->store, dir, keyfile, sizeof keyfile) < 0) {
        snprintf(err, errlen, "gateway: cannot create the first admin key in %s", dir);
        gw_free(&gw);
        return -1;
    }
    if (gw->threads > 0) {
        gw->call_local = local_call;
        gw->async = gw_async_new(gw, gw->workers, resume);
        if (!gw->async) {
            snprintf(err, errlen, "gateway: cannot start %u workers", gw->workers);
            gw_free(&gw);
            return -1;
        }
    }
    if (daemon_start(gw, err, errlen) != 0) {
        gw_free(&gw);
        return -1;
    }
    if (gw->threads)
        sais_info("gateway: listening on %s (port %u, %s), %u polling threads, %u workers",
                  gw->listen, gw->port, gw->tls.cert ? "HTTPS" : "HTTP", gw->threads, gw->workers);
    else
        sais_info("gateway: listening on %s (port %u, %s), a thread per connection", gw->listen,
                  gw->port, gw->tls.cert ? "HTTPS" : "HTTP");
    sais_svc_set_state(svc, gw);
    return 0;
}

static void gw_on_stop(sais_svc_t *svc)
{
    gw_t *gw = sais_svc_state(svc);
    gw_free(&gw);
    sais_svc_set_state(svc, NULL);
}

/* ---- the bus method: keys for tools running beside the gateway */

static int rpc_keys_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req,
                           sais_reply_t *reply)
{
    (void)txn;
    char err[160];
    json_t *o = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!o) return sais_reply_problem(reply, 400, "malformed_json", "%s", err);
    const char *arena[GW_KEY_MAX_REGIONS + GW_KEY_MAX_SOURCES];
    gateway_key_spec_t spec;
    gw_field_err_t e = {{0}, {0}, {0}};
    gw_key_t k;
    char secret[GW_KEY_SECRET_MAX];
    int rc = gw_key_spec_from_json(o, &spec, arena, &e);
    if (rc == 0) rc = gw_key_create(sais_svc_store(svc), &spec, &k, secret, sizeof secret, &e);
    json_decref(o);
    if (rc == -1) return sais_reply_invalid(reply, e.field, e.code, e.message);
    if (rc != 0) return sais_reply_problem(reply, 503, "store_unavailable", "the key could not be stored");
    sais_jw_t w;
    sais_jw_init(&w);
    gw_key_write(&w, &k, secret);
    memset(secret, 0, sizeof secret);
    return sais_reply_jw(reply, 201, &w);
}

static const sais_method_t gateway_methods[] = {
    {"keys.create", SAIS_M_RAW, rpc_keys_create},
    {NULL, SAIS_M_READ, NULL},
};

const sais_service_def_t gateway_service = {
    .name = "gateway",
    .dbis = gateway_dbis,
    .methods = gateway_methods,
    .consumes = NULL,
    .on_event = NULL,
    .on_start = gw_on_start,
    .on_stop = gw_on_stop,
};
