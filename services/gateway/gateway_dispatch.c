/* gateway_dispatch — one request through the gateway: route, key, role, body checks, the
 * answer, the audit entry. See the pipeline in gateway_int.h. */
#include "gateway_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <netinet/in.h>
#include "gateway_audit.h"
#include "sais_client.h"
#include "sais_clock.h"
#include "sais_log.h"

int64_t gw_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

gw_req_t *gw_req_new(const char *raw_uri)
{
    gw_req_t *rq = calloc(1, sizeof *rq);
    if (!rq) return NULL;
    rq->raw_uri = strdup(raw_uri ? raw_uri : "/");
    if (!rq->raw_uri) {
        free(rq);
        return NULL;
    }
    rq->t0_us = gw_now_us();
    gw_resp_init(&rq->resp);
    return rq;
}

void gw_req_destroy(gw_req_t **rq_p)
{
    if (!rq_p || !*rq_p) return;
    gw_req_t *rq = *rq_p;
    free(rq->raw_uri);
    gw_path_free(&rq->path);
    gw_params_free(&rq->params);
    free(rq->body);
    gw_feed_free(rq);
    gw_resp_reset(&rq->resp);
    free(rq);
    *rq_p = NULL;
}

void gw_req_action(const gw_req_t *rq, char *out, size_t len)
{
    if (rq->matched) snprintf(out, len, "%s %s", rq->method, rq->match.route->pattern);
    else snprintf(out, len, "%s (no route)", rq->method);
}

/* ---- talking to services */

void gw_resp_from_reply(gw_resp_t *r, const char *service, const Sais__Reply *rep)
{
    if (rep->status < 100 || rep->status > 599) {
        gw_problem(r, 503, "bad_reply", "service %s gave an answer without a valid status",
                   service);
        return;
    }
    const char *ct = rep->content_type && *rep->content_type ? rep->content_type
                                                              : "application/json";
    gw_resp_copy(r, rep->status, ct, rep->body.data, rep->body.len);
}

/* gw_forward; with `now`, only through gw->call_local, and 1 (nothing done) when that
 * cannot answer. */
static int forward(gw_t *gw, gw_req_t *rq, const char *service, const char *method,
                   const gw_params_t *params, const void *body, size_t len, int timeout_ms,
                   bool now, Sais__Reply **reply)
{
    Sais__Caller caller = SAIS__CALLER__INIT;
    char *regions[GW_KEY_MAX_REGIONS], *sources[GW_KEY_MAX_SOURCES];
    if (rq->authed) {
        caller.key_id = rq->key.id;
        caller.role = rq->key.role;
        caller.name = rq->key.name;
        for (size_t i = 0; i < rq->key.nregions; i++) regions[i] = rq->key.regions[i];
        for (size_t i = 0; i < rq->key.nsources; i++) sources[i] = rq->key.sources[i];
        caller.n_regions = rq->key.nregions;
        caller.regions = regions;
        caller.n_sources = rq->key.nsources;
        caller.sources = sources;
    }
    Sais__Param pv[GW_MAX_PARAMS], *pp[GW_MAX_PARAMS];
    size_t np = params ? params->n : 0;
    for (size_t i = 0; i < np; i++) {
        sais__param__init(&pv[i]);
        pv[i].key = params->key[i];
        pv[i].value = params->value[i];
        pp[i] = &pv[i];
    }
    Sais__Request req = SAIS__REQUEST__INIT;
    req.id = rq->rid;
    req.method = (char *)method;
    req.caller = &caller;
    req.n_params = np;
    req.params = pp;
    req.body.data = (uint8_t *)body;
    req.body.len = body ? len : 0;
    req.content_type = rq->content_type;
    /* Idempotency keys are scoped to the API key: one caller can neither collide with nor
     * replay another's stored answer. */
    char idem[sizeof rq->idem + sizeof rq->key.id + 2];
    if (rq->idem[0] && rq->matched && (rq->match.route->flags & GW_F_WRITE)) {
        snprintf(idem, sizeof idem, "%s:%s", rq->authed ? rq->key.id : "-", rq->idem);
        req.idempotency_key = idem;
    }

    *reply = NULL;
    int rc;
    if (now) {
        rc = gw->call_local ? gw->call_local(gw->call_cls, service, &req, timeout_ms, reply)
                            : SAIS_LOCAL_NO;
        if (rc == SAIS_LOCAL_NO) {
            if (*reply) sais__reply__free_unpacked(*reply, NULL);
            *reply = NULL;
            return 1;
        }
    } else {
        rc = gw->call(gw->call_cls, service, &req, timeout_ms, reply);
    }
    if (rc == SAIS_CALL_OK && *reply && (*reply)->status == 501) {
        sais__reply__free_unpacked(*reply, NULL);
        *reply = NULL;
        gw_problem(&rq->resp, 503, "service_unavailable",
                   "service %s does not answer %s yet", service, method);
        return -1;
    }
    if (rc == SAIS_CALL_OK && *reply) return 0;
    if (*reply) {
        sais__reply__free_unpacked(*reply, NULL);
        *reply = NULL;
    }
    if (rc == SAIS_CALL_TIMEOUT)
        gw_problem(&rq->resp, 504, "service_timeout", "service %s did not answer in time", service);
    else if (rc == SAIS_CALL_BAD_REPLY)
        gw_problem(&rq->resp, 503, "bad_reply", "service %s gave an answer that does not parse",
                   service);
    else
        gw_problem(&rq->resp, 503, "service_unavailable", "service %s is down or unreachable",
                   service);
    return -1;
}

int gw_forward(gw_t *gw, gw_req_t *rq, const char *service, const char *method,
               const gw_params_t *params, const void *body, size_t len, int timeout_ms,
               Sais__Reply **reply)
{
    return forward(gw, rq, service, method, params, body, len, timeout_ms, false, reply);
}

/* ---- head: everything decided from the request line and headers */

static void subject_set(gw_req_t *rq, const char *s)
{
    snprintf(rq->subject, sizeof rq->subject, "%s", s ? s : "");
}

static bool key_has_source(const gw_key_t *k, const char *source)
{
    for (size_t i = 0; i < k->nsources; i++)
        if (strcmp(k->sources[i], source) == 0) return true;
    return false;
}

/* ---- pacing (gateway_rate.h) */

static int64_t now_ms(void)
{
    return gw_now_us() / 1000;
}

static void too_many(gw_req_t *rq, gw_rate_verdict_t v, const char *detail)
{
    gw_problem(&rq->resp, 429, "rate_limited", "%s; retry in %u s", detail, v.retry_after_s);
    snprintf(rq->resp.xname, sizeof rq->resp.xname, "Retry-After");
    snprintf(rq->resp.xvalue, sizeof rq->resp.xvalue, "%u", v.retry_after_s);
    rq->rate_first = v.first_refusal;
}

/* One token from the client address's bucket in `table`; over it, rq->resp is a 429 saying
 * that the address `what` more than per_min times a minute, and the first refusal of a spell
 * is audited under "client <address>". 0 when allowed (or unpaced), -1 when refused. */
static int pace_address(gw_t *gw, gw_req_t *rq, const gw_headers_t *h, gw_rate_t *table,
                        uint32_t per_min, uint32_t burst, const char *what)
{
    if (!table || per_min == 0) return 0;
    char addr[INET6_ADDRSTRLEN];
    gw_client_addr(gw, h, addr, sizeof addr);
    gw_rate_verdict_t v = gw_rate_take(table, addr, per_min, burst ? burst : 1, now_ms());
    if (v.allowed) return 0;
    char detail[160];
    snprintf(detail, sizeof detail, "%s %s more than %u times a minute", addr, what, (unsigned)per_min);
    if (v.first_refusal) sais_warn("gateway: %s; refused with 429 for now", detail);
    too_many(rq, v, detail);
    snprintf(rq->subject, sizeof rq->subject, "client %s", addr);
    return -1;
}

/* After a failed authentication (rq->resp is its 401): the client address's budget of
 * failures. Over it, the 401 becomes a 429. */
static void pace_failure(gw_t *gw, gw_req_t *rq, const gw_headers_t *h)
{
    pace_address(gw, rq, h, gw->rate_fails, gw->auth_fails_per_min, gw->auth_fails_per_min,
                 "failed to authenticate");
}

/* /healthz and /metrics need no key and ask every service behind the gateway (about 2 ms of
 * CPU each, most of it starting the threads that ask): one client looping on /healthz took
 * the API from 17.7k to 5.9k req/s. Paced per client address, the same loop gets 429s and
 * leaves 11.3k; a flood of any cheap request costs that much, and is the network edge's to
 * stop. A burst of ten seconds' worth. 0 to go on. */
static int pace_probe(gw_t *gw, gw_req_t *rq, const gw_headers_t *h)
{
    return pace_address(gw, rq, h, gw->rate_probes, gw->probes_per_min, gw->probes_per_min / 6,
                        "asks /healthz and /metrics");
}

/* After a successful authentication: the key's budget, per its role. 0 to go on. */
static int pace_key(gw_t *gw, gw_req_t *rq)
{
    unsigned role = 0;
    while (role + 1 < GW_NROLES && (rq->key.role_bit >> role) > 1) role++;
    uint32_t per_min = gw->rate_keys ? gw->rate_per_min[role] : 0;
    if (per_min == 0) return 0;
    uint64_t burst = (uint64_t)per_min * gw->rate_burst_s / 60;
    gw_rate_verdict_t v = gw_rate_take(gw->rate_keys, rq->key.id, per_min,
                                       burst < 1 ? 1 : burst > UINT32_MAX ? UINT32_MAX : (uint32_t)burst,
                                       now_ms());
    if (v.allowed) return 0;
    char detail[160];
    snprintf(detail, sizeof detail, "key %s is over its rate of %u requests a minute",
             rq->key.id, (unsigned)per_min);
    too_many(rq, v, detail);
    return -1;
}

/* 0 when the caller may go on; otherwise rq->resp is the 401/403/429/503. */
static int authenticate(gw_t *gw, gw_req_t *rq, const gw_headers_t *h)
{
    size_t tl = 0;
    const char *tok = gw_bearer(h->authorization, &tl);
    if (!tok) {
        gw_problem(&rq->resp, 401, "unauthorized",
                   h->authorization ? "the Authorization header is not \"Bearer <key>\""
                                    : "an API key is required: Authorization: Bearer <key>");
        snprintf(rq->resp.xname, sizeof rq->resp.xname, "WWW-Authenticate");
        snprintf(rq->resp.xvalue, sizeof rq->resp.xvalue, "Bearer");
        pace_failure(gw, rq, h);
        return -1;
    }
    int rc = gw_key_lookup(gw->store, tok, tl, &rq->key);
    if (rc == 0) {
        rq->authed = true;
        return pace_key(gw, rq);
    }
    if (rc < 0) {
        gw_problem(&rq->resp, 503, "store_unavailable", "the key store cannot be read");
        return -1;
    }
    if (rc == 2) {
        char at[21];
        sais_time_format(rq->key.expires_at, at);
        gw_problem(&rq->resp, 401, "unauthorized", "API key %s expired at %s", rq->key.id, at);
    } else {
        gw_problem(&rq->resp, 401, "unauthorized", "unknown or revoked API key");
    }
    memset(&rq->key, 0, sizeof rq->key);
    snprintf(rq->resp.xname, sizeof rq->resp.xname, "WWW-Authenticate");
    snprintf(rq->resp.xvalue, sizeof rq->resp.xvalue, "Bearer error=\"invalid_token\"");
    pace_failure(gw, rq, h);
    return -1;
}

static int authorize(gw_req_t *rq)
{
    const gw_route_t *r = rq->match.route;
    if (!gw_route_allows(r, rq->key.role_bit)) {
        gw_problem(&rq->resp, 403, "forbidden", "role %s may not %s %s", rq->key.role,
                   r->method, r->pattern);
        return -1;
    }
    if ((r->flags & GW_F_SOURCE) && rq->key.role_bit == GW_ROLE_PARTNER) {
        const char *src = gw_params_get(&rq->params, "source");
        if (!src || !key_has_source(&rq->key, src)) {
            gw_problem(&rq->resp, 403, "forbidden", "this key may not use the feed source %s",
                       src ? src : "?");
            return -1;
        }
    }
    return 0;
}

/* A Content-Encoding value is one coding, case-insensitive, blanks around it allowed. */
static bool encoding_is(const char *v, const char *coding)
{
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(coding);
    if (strncasecmp(v, coding, n) != 0) return false;
    for (v += n; *v; v++)
        if (*v != ' ' && *v != '\t') return false;
    return true;
}

static int check_body_headers(gw_t *gw, gw_req_t *rq, const gw_headers_t *h)
{
    const gw_route_t *r = rq->match.route;
    if (h->content_type) snprintf(rq->content_type, sizeof rq->content_type, "%s", h->content_type);
    if (h->idempotency_key) {
        size_t n = strlen(h->idempotency_key);
        bool ok = n >= 1 && n < sizeof rq->idem;
        for (size_t i = 0; ok && i < n; i++)
            if (h->idempotency_key[i] < 0x20 || h->idempotency_key[i] > 0x7E) ok = false;
        if (!ok) {
            gw_problem_field(&rq->resp, 400, "bad_request", "the Idempotency-Key is not usable",
                             "Idempotency-Key", "bad_idempotency_key",
                             "1 to 255 printable ASCII characters");
            return -1;
        }
        memcpy(rq->idem, h->idempotency_key, n + 1);
    }
    if (r->flags & GW_F_STREAM) rq->limit = gw->max_body;
    else rq->limit = r->body_kb ? (uint64_t)r->body_kb * 1024 : gw->max_json;
    if (h->content_length >= 0 && (uint64_t)h->content_length > rq->limit) {
        gw_problem(&rq->resp, 413, "too_large", "the body is over the limit of %llu bytes",
                   (unsigned long long)rq->limit);
        return -1;
    }
    if (h->has_body && h->content_encoding && !encoding_is(h->content_encoding, "identity")) {
        bool gzip = encoding_is(h->content_encoding, "gzip") || encoding_is(h->content_encoding, "x-gzip");
        if (!gzip || !(r->flags & GW_F_STREAM)) {
            gw_problem(&rq->resp, 415, "unsupported_media_type",
                       "Content-Encoding %.60s is not taken here: a feed upload may be gzip, "
                       "other bodies are sent as they are", h->content_encoding);
            return -1;
        }
        if (gw_feed_gzip(rq) != 0) return -1;
    }
    if ((r->flags & GW_F_JSON) && h->has_body && !gw_ctype_is(h->content_type, "application/json")) {
        gw_problem(&rq->resp, 415, "unsupported_media_type",
                   "the body must be application/json");
        return -1;
    }
    return 0;
}

static void head_stream(gw_t *gw, gw_req_t *rq)
{
    const char *fmt = NULL;
    if (gw_ctype_is(rq->content_type, "application/x-ndjson")) fmt = "ndjson";
    else if (gw_ctype_is(rq->content_type, "text/csv")) fmt = "csv";
    if (!fmt) {
        gw_problem(&rq->resp, 415, "unsupported_media_type",
                   "a batch is application/x-ndjson or text/csv");
        return;
    }
    if (gw_ctype_param(rq->content_type, "charset", rq->feed.charset, sizeof rq->feed.charset) < 0) {
        gw_problem(&rq->resp, 415, "unsupported_media_type",
                   "the charset parameter of the Content-Type cannot be read");
        return;
    }
    const char *batch = gw_params_get(&rq->params, "batch_id");
    if (!gw_batch_id_valid(batch)) {
        gw_problem_field(&rq->resp, 422, "invalid", "batch_id is required", "batch_id",
                         "bad_batch_id", "1 to 64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    const char *dry = gw_params_get(&rq->params, "dry_run");
    if (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0) {
        gw_problem_field(&rq->resp, 422, "invalid", "dry_run is true or false", "dry_run",
                         "out_of_range", "true: check the batch and report, taking nothing in");
        return;
    }
    snprintf(rq->feed.format, sizeof rq->feed.format, "%s", fmt);
    if (!gw->async) gw_feed_begin(gw, rq);   /* else the server parks it on a worker */
}

void gw_dispatch_head(gw_t *gw, gw_req_t *rq, const gw_headers_t *h)
{
    rq->stage = 1;
    gw_request_id(h->request_id, rq->rid);
    char *q = strchr(rq->raw_uri, '?');
    size_t plen = q ? (size_t)(q - rq->raw_uri) : strlen(rq->raw_uri);
    gw_path_status_t ps = gw_path_parse(rq->raw_uri, plen, &rq->path);
    if (ps != GW_PATH_OK) {
        gw_problem(&rq->resp, ps == GW_PATH_NOMEM ? 503 : 400, "bad_path", "%s",
                   gw_path_status_text(ps));
        return;
    }
    gw_match_status_t ms = gw_route_match(rq->method, &rq->path, &rq->match);
    rq->matched = ms == GW_MATCH_OK;
    bool api = rq->path.nseg > 0 && strcmp(rq->path.seg[0], "v1") == 0;
    bool noauth = rq->matched ? (rq->match.route->flags & GW_F_NOAUTH) != 0 : !api;
    if (ms == GW_MATCH_NO_METHOD && !api) noauth = true;

    if (rq->matched) {
        for (size_t i = 0; i < rq->match.ncap; i++) {
            if (gw_params_add(&rq->params, rq->match.cap_name[i], rq->match.cap_value[i]) != 0) {
                gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
                return;
            }
        }
        if (rq->match.ncap > 0 && !(rq->match.route->flags & GW_F_NOAUTH))
            subject_set(rq, rq->match.cap_value[rq->match.ncap - 1]);
        if (rq->match.route->flags & GW_F_STREAM) subject_set(rq, rq->match.cap_value[0]);
    }
    if (!noauth && authenticate(gw, rq, h) != 0) return;
    if (rq->matched && (rq->match.route->flags & GW_F_PROBE) && pace_probe(gw, rq, h) != 0) return;
    if (ms == GW_MATCH_NO_PATH) {
        gw_problem(&rq->resp, 404, "not_found", "no such resource");
        return;
    }
    if (ms == GW_MATCH_NO_METHOD) {
        gw_problem(&rq->resp, 405, "method_not_allowed", "%s is not allowed here; use %s",
                   rq->method, rq->match.allow);
        snprintf(rq->resp.xname, sizeof rq->resp.xname, "Allow");
        snprintf(rq->resp.xvalue, sizeof rq->resp.xvalue, "%s", rq->match.allow);
        return;
    }
    if (!noauth && authorize(rq) != 0) return;
    if (q) {
        char err[128];
        if (gw_query_parse(q + 1, strlen(q + 1), &rq->params, err, sizeof err) != 0) {
            gw_problem(&rq->resp, 400, "bad_query", "%s", err);
            return;
        }
    }
    if (check_body_headers(gw, rq, h) != 0) return;
    if (rq->match.route->flags & GW_F_STREAM) {
        if (!gw_source_valid(gw_params_get(&rq->params, "source"))) {
            gw_problem(&rq->resp, 404, "not_found", "no such feed source");
            return;
        }
        head_stream(gw, rq);
    }
}

/* ---- body */

/* Counts n more body bytes against the route's limit: false (and the 413) when over it. */
static bool within_limit(gw_t *gw, gw_req_t *rq, size_t n)
{
    rq->received += n;
    if (rq->received <= rq->limit) return true;
    if (rq->feed.open) gw_feed_abandon(gw, rq);
    gw_problem(&rq->resp, 413, "too_large", "the body is over the limit of %llu bytes",
               (unsigned long long)rq->limit);
    return false;
}

void gw_dispatch_data(gw_t *gw, gw_req_t *rq, const char *data, size_t n)
{
    if (rq->resp.ready || n == 0) return;
    if (!within_limit(gw, rq, n)) return;
    if (rq->matched && (rq->match.route->flags & GW_F_STREAM)) {
        gw_feed_data(gw, rq, data, n);
        return;
    }
    if (!rq->matched || !(rq->match.route->flags & GW_F_JSON)) return;   /* ignored */
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 4096;
        while (cap < rq->len + n + 1) cap *= 2;
        char *b = realloc(rq->body, cap);
        if (!b) {
            gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
            return;
        }
        rq->body = b;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
}

size_t gw_dispatch_data_some(gw_t *gw, gw_req_t *rq, const char *data, size_t n)
{
    if (rq->resp.ready || n == 0) return n;
    size_t take = gw_feed_take(gw, rq, data, n);
    if (!rq->resp.ready) within_limit(gw, rq, take);
    return take;
}

/* ---- the answer */

/* 0 if the JSON body is acceptable; the subject of a body naming a person is recorded. */
static int check_json(gw_req_t *rq)
{
    if (rq->len == 0) return 0;
    if (!gw_utf8_valid(rq->body, rq->len)) {
        gw_problem(&rq->resp, 400, "malformed_json", "the body is not valid UTF-8");
        return -1;
    }
    if (!gw_json_depth_ok(rq->body, rq->len, GW_JSON_MAX_DEPTH)) {
        gw_problem(&rq->resp, 400, "malformed_json", "the body nests deeper than %d levels",
                   GW_JSON_MAX_DEPTH);
        return -1;
    }
    char err[160];
    json_t *o = sais_json_parse_object(rq->body, rq->len, err, sizeof err);
    if (!o) {
        gw_problem(&rq->resp, 400, "malformed_json", "the body is not a usable JSON object: %s",
                   err);
        return -1;
    }
    if (!rq->subject[0]) {
        const char *s = sais_json_str(o, "id_number");
        if (!s) s = sais_json_str(o, "household_id");
        if (s) subject_set(rq, s);
    }
    json_decref(o);
    return 0;
}

static int route_timeout(const gw_t *gw, const gw_route_t *r)
{
    return (r->flags & GW_F_LONG) ? gw->long_timeout_ms : gw->timeout_ms;
}

void gw_dispatch_end(gw_t *gw, gw_req_t *rq)
{
    if (rq->resp.ready) return;
    const gw_route_t *r = rq->match.route;
    if (r->flags & GW_F_STREAM) {
        gw_feed_end(gw, rq);
        return;
    }
    if ((r->flags & GW_F_JSON) && check_json(rq) != 0) return;
    if (!r->service) {
        gw_local_fn fn = gw_local_find(r->rpc);
        if (fn) fn(gw, rq);
        else gw_problem(&rq->resp, 503, "service_unavailable", "%s is not available", r->rpc);
        return;
    }
    Sais__Reply *rep = NULL;
    if (gw_forward(gw, rq, r->service, r->rpc, &rq->params, rq->body, rq->len,
                   route_timeout(gw, r), &rep) != 0)
        return;
    gw_resp_from_reply(&rq->resp, r->service, rep);
    sais__reply__free_unpacked(rep, NULL);
}

bool gw_dispatch_end_now(gw_t *gw, gw_req_t *rq)
{
    if (rq->resp.ready) return true;
    const gw_route_t *r = rq->match.route;
    /* only bodiless reads: a body is checked and parsed first, and no write is answered
     * without waiting for its commit */
    if (!r->service || (r->flags & (GW_F_STREAM | GW_F_JSON | GW_F_WRITE)) || rq->len > 0)
        return false;
    Sais__Reply *rep = NULL;
    int rc = forward(gw, rq, r->service, r->rpc, &rq->params, NULL, 0, route_timeout(gw, r),
                     true, &rep);
    if (rc == 1) return false;
    if (rc == 0) {
        gw_resp_from_reply(&rq->resp, r->service, rep);
        sais__reply__free_unpacked(rep, NULL);
    }
    return true;
}

bool gw_audit_entry(const gw_req_t *rq, gw_audit_in_t *e, char action[160])
{
    int st = rq->resp.status;
    /* a 429 carries nothing and is not a decision about the caller's rights; only the first
     * of a spell is kept, so that a flood cannot grow the chain without bound */
    bool audited = st == 429 ? rq->rate_first
                 : st == 401 || st == 403 ||
                   (rq->matched && (rq->match.route->flags & (GW_F_AUDIT | GW_F_WRITE)));
    if (!audited) return false;
    gw_req_action(rq, action, 160);
    *e = (gw_audit_in_t){
        .actor = rq->authed ? rq->key.id : "-",
        .role = rq->authed ? rq->key.role : "-",
        .action = action,
        .subject = rq->subject,
        .status = st,
    };
    return true;
}

void gw_dispatch_audit(gw_t *gw, gw_req_t *rq)
{
    if (rq->audited) return;
    rq->audited = true;
    char action[160];
    gw_audit_in_t e;
    if (!gw_audit_entry(rq, &e, action)) return;
    if (gw_audit_append(gw->store, &e, NULL) != 0) gw_audit_withhold(rq);
}

void gw_audit_withhold(gw_req_t *rq)
{
    gw_problem(&rq->resp, 503, "audit_unavailable",
               "the audit trail cannot be written, so the answer is withheld");
}
