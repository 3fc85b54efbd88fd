/* The request pipeline end to end, without sockets: a real store for keys and audit, fake
 * services behind gw_t.call. Covers 401/403/404/405/413/415/400, forwarding (rpc, params,
 * caller, idempotency scope), 501/down -> 503, timeout -> 504, auditing, keys over the API,
 * the streamed feed upload, /healthz and /metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway.h"
#include "gateway_audit.h"
#include "gateway_int.h"
#include "sais_client.h"

/* ---- fake services */

typedef struct {
    char service[32], method[64], idem[320], ctype[64], role[16], key_id[32], id[GW_RID_MAX];
    char params[512];   /* "k=v;k=v" */
    size_t body_len, nregions;
    int timeout_ms;
} seen_t;

typedef Sais__Reply *(*answer_fn)(const char *service, const Sais__Request *req, int *rc);

static struct {
    pthread_mutex_t mu;
    answer_fn       answer;
    seen_t          seen[64];
    size_t          nseen;
    /* fake ingest */
    size_t          chunks[16];
    size_t          nchunks;
    crypto_generichash_state hash;
    bool            chunk_fails_at_2;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

static Sais__Reply *mk_reply(int status, const char *ctype, const char *body)
{
    Sais__Reply r = SAIS__REPLY__INIT;
    r.status = status;
    r.content_type = (char *)ctype;
    r.body.data = (uint8_t *)body;
    r.body.len = strlen(body);
    uint8_t buf[4096];
    size_t n = sais__reply__pack(&r, buf);
    return sais__reply__unpack(NULL, n, buf);
}

static int fake_call(void *cls, const char *service, Sais__Request *req, int timeout_ms, Sais__Reply **reply)
{
    (void)cls;
    pthread_mutex_lock(&fake.mu);
    if (fake.nseen < 64) {
        seen_t *s = &fake.seen[fake.nseen++];
        memset(s, 0, sizeof *s);
        snprintf(s->service, sizeof s->service, "%s", service);
        snprintf(s->method, sizeof s->method, "%s", req->method);
        snprintf(s->idem, sizeof s->idem, "%s", req->idempotency_key ? req->idempotency_key : "");
        snprintf(s->ctype, sizeof s->ctype, "%s", req->content_type ? req->content_type : "");
        snprintf(s->id, sizeof s->id, "%s", req->id ? req->id : "");
        if (req->caller) {
            snprintf(s->role, sizeof s->role, "%s", req->caller->role);
            snprintf(s->key_id, sizeof s->key_id, "%s", req->caller->key_id);
            s->nregions = req->caller->n_regions;
        }
        size_t o = 0;
        for (size_t i = 0; i < req->n_params && o < sizeof s->params; i++)
            o += (size_t)snprintf(s->params + o, sizeof s->params - o, "%s%s=%s", i ? ";" : "",
                                  req->params[i]->key, req->params[i]->value);
        s->body_len = req->body.len;
        s->timeout_ms = timeout_ms;
    }
    pthread_mutex_unlock(&fake.mu);
    int rc = SAIS_CALL_OK;
    *reply = fake.answer ? fake.answer(service, req, &rc) : NULL;
    if (rc == SAIS_CALL_OK && !*reply) rc = SAIS_CALL_DOWN;
    return rc;
}

static Sais__Reply *echo_ok(const char *service, const Sais__Request *req, int *rc)
{
    (void)req;
    (void)rc;
    char body[128];
    snprintf(body, sizeof body, "{\"from\":\"%s\"}", service);
    return mk_reply(200, "application/json", body);
}

static Sais__Reply *not_built(const char *service, const Sais__Request *req, int *rc)
{
    (void)service;
    (void)req;
    (void)rc;
    return mk_reply(501, "application/problem+json", "{}");
}

static Sais__Reply *down(const char *service, const Sais__Request *req, int *rc)
{
    (void)service;
    (void)req;
    *rc = SAIS_CALL_DOWN;
    return NULL;
}

static Sais__Reply *slow(const char *service, const Sais__Request *req, int *rc)
{
    (void)service;
    (void)req;
    *rc = SAIS_CALL_TIMEOUT;
    return NULL;
}

static Sais__Reply *health(const char *service, const Sais__Request *req, int *rc)
{
    if (strcmp(service, "match") == 0) {
        *rc = SAIS_CALL_DOWN;
        return NULL;
    }
    if (strcmp(req->method, "bus.status") == 0) {
        if (strcmp(service, "ingest") == 0)
            return mk_reply(200, "application/json", "{\"service\":\"ingest\",\"head\":120,\"cursors\":{},\"map_used\":4096,\"map_size\":1048576}");
        if (strcmp(service, "verify") == 0)
            return mk_reply(200, "application/json", "{\"service\":\"verify\",\"head\":7,\"cursors\":{\"ingest\":100},\"skipped\":{\"ingest\":3},\"map_used\":8192,\"map_size\":1048576}");
        return mk_reply(200, "application/json", "{\"head\":0,\"cursors\":{}}");
    }
    return mk_reply(200, "application/json", "{\"status\":\"up\"}");
}

static Sais__Reply *ingest(const char *service, const Sais__Request *req, int *rc)
{
    (void)rc;
    if (strcmp(service, "ingest") != 0) return NULL;
    if (strcmp(req->method, "feed.begin") == 0) {
        for (size_t i = 0; i < req->n_params; i++)
            if (strcmp(req->params[i]->key, "batch_id") == 0 && strcmp(req->params[i]->value, "dup") == 0)
                return mk_reply(409, "application/problem+json", "{\"status\":409,\"title\":\"Conflict\"}");
        crypto_generichash_init(&fake.hash, NULL, 0, 32);
        fake.nchunks = 0;
        return mk_reply(200, "application/json", "{\"session\":\"s7\",\"replay\":false}");
    }
    if (strcmp(req->method, "feed.chunk") == 0) {
        if (fake.nchunks < 16) fake.chunks[fake.nchunks++] = req->body.len;
        crypto_generichash_update(&fake.hash, req->body.data, req->body.len);
        if (fake.chunk_fails_at_2 && fake.nchunks == 2)
            return mk_reply(503, "application/problem+json", "{\"status\":503,\"title\":\"store\"}");
        return mk_reply(200, "application/json", "{}");
    }
    if (strcmp(req->method, "feed.end") == 0)
        return mk_reply(200, "application/json", "{\"batch_id\":\"b1\",\"status\":\"done\",\"received\":3}");
    return mk_reply(501, "application/problem+json", "{}");
}

/* ---- fixture */

typedef struct {
    char          dir[64];
    sais_store_t *store;
    gw_t          gw;
    char          admin[GW_KEY_SECRET_MAX], cw[GW_KEY_SECRET_MAX], partner[GW_KEY_SECRET_MAX];
    char          cw_id[32];
} fx_t;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static const char *const dbis[] = {GW_KEYS_DBI, GW_AUDIT_DBI, GW_AUDIT_HEAD_DBI, NULL};

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/gwpipe.XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    char path[128], err[256], id[32];
    snprintf(path, sizeof path, "%s/gateway", fx->dir);
    fx->store = sais_store_open(path, dbis, 8, err, sizeof err);
    if (!fx->store) return -1;
    static const char *const regions[] = {"330326"};
    static const char *const sources[] = {"medical"};
    gateway_key_spec_t a = {"root", "admin", NULL, 0, NULL, 0, 0};
    gateway_key_spec_t c = {"desk", "caseworker", regions, 1, NULL, 0, 0};
    gateway_key_spec_t p = {"hospital feed", "partner", NULL, 0, sources, 1, 0};
    if (gateway_key_create(fx->store, &a, id, sizeof id, fx->admin, sizeof fx->admin, err, sizeof err) ||
        gateway_key_create(fx->store, &c, fx->cw_id, sizeof fx->cw_id, fx->cw, sizeof fx->cw, err, sizeof err) ||
        gateway_key_create(fx->store, &p, id, sizeof id, fx->partner, sizeof fx->partner, err, sizeof err))
        return -1;
    fx->gw.store = fx->store;
    fx->gw.call = fake_call;
    fx->gw.metrics = gw_metrics_new();
    fx->gw.max_body = 3u << 20;
    fx->gw.max_json = 1024;
    fx->gw.timeout_ms = 1000;
    fx->gw.long_timeout_ms = 600000;
    fake.answer = echo_ok;
    fake.nseen = 0;
    fake.chunk_fails_at_2 = false;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    gw_metrics_destroy(&fx->gw.metrics);
    sais_store_destroy(&fx->store);
    nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

typedef struct {
    const char *key;
    const char *ctype;
    const char *body;
    size_t      body_len;      /* 0 = strlen(body) */
    int64_t     content_length;/* -2 = from the body, -1 = absent (chunked) */
    const char *rid;
    const char *idem;
    size_t      piece;         /* body delivered in pieces of this size (0 = 1000) */
} opt_t;

/* Runs one request through the pipeline as the HTTP layer would. Caller destroys. */
static gw_req_t *run(fx_t *fx, const char *method, const char *uri, const opt_t *o)
{
    opt_t none = {0};
    if (!o) o = &none;
    char auth[128];
    if (o->key) snprintf(auth, sizeof auth, "Bearer %s", o->key);
    size_t blen = o->body ? (o->body_len ? o->body_len : strlen(o->body)) : 0;
    gw_headers_t h = {
        .authorization = o->key ? auth : NULL,
        .content_type = o->ctype,
        .idempotency_key = o->idem,
        .request_id = o->rid,
        .content_length = o->content_length == -1 ? -1 : (int64_t)blen,
    };
    h.has_body = blen > 0;
    gw_req_t *rq = gw_req_new(uri);
    assert_non_null(rq);
    snprintf(rq->method, sizeof rq->method, "%s", method);
    gw_dispatch_head(&fx->gw, rq, &h);
    size_t piece = o->piece ? o->piece : 1000;
    for (size_t off = 0; off < blen && !rq->resp.ready; off += piece)
        gw_dispatch_data(&fx->gw, rq, o->body + off, blen - off < piece ? blen - off : piece);
    if (!rq->resp.ready) gw_dispatch_end(&fx->gw, rq);
    assert_true(rq->resp.ready);
    gw_dispatch_audit(&fx->gw, rq);
    return rq;
}

static json_t *body_json(const gw_req_t *rq)
{
    json_t *o = json_loadb(rq->resp.body, rq->resp.len, 0, NULL);
    assert_non_null(o);
    return o;
}

static void assert_problem(gw_req_t *rq, int status)
{
    if (rq->resp.status != status)
        fail_msg("%s: status %d, wanted %d: %.*s", rq->raw_uri, rq->resp.status, status,
                 (int)rq->resp.len, rq->resp.body ? rq->resp.body : "");
    assert_string_equal(rq->resp.ctype, "application/problem+json");
    json_t *o = body_json(rq);
    assert_int_equal(json_integer_value(json_object_get(o, "status")), status);
    assert_non_null(json_string_value(json_object_get(o, "type")));
    assert_non_null(json_string_value(json_object_get(o, "title")));
    assert_non_null(json_string_value(json_object_get(o, "detail")));
    assert_true(json_is_array(json_object_get(o, "errors")));
    json_decref(o);
}

static size_t audit_count(fx_t *fx, const char *actor, int status)
{
    gw_audit_query_t q = {.actor = actor, .limit = 1000};
    sais_jw_t w;
    sais_jw_init(&w);
    assert_int_equal(gw_audit_list(fx->store, &q, &w), 0);
    size_t len, n = 0;
    char *doc = sais_jw_take(&w, &len);
    sais_jw_free(&w);
    json_t *o = json_loads(doc, 0, NULL);
    json_t *items = json_object_get(o, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it)
        if (json_integer_value(json_object_get(it, "status")) == status) n++;
    json_decref(o);
    free(doc);
    return n;
}

/* ---- tests */

static void auth_and_roles(void **state)
{
    fx_t *fx = *state;
    gw_req_t *rq = run(fx, "GET", "/v1/persons/330326199001011235", NULL);
    assert_problem(rq, 401);
    assert_string_equal(rq->resp.xname, "WWW-Authenticate");
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/v1/persons/330326199001011235", &(opt_t){.key = "sais_0123456789ab_nope"});
    assert_problem(rq, 401);
    gw_req_destroy(&rq);
    assert_int_equal(audit_count(fx, "-", 401), 2);

    rq = run(fx, "GET", "/v1/persons/330326199001011235", &(opt_t){.key = fx->partner});
    assert_problem(rq, 403);
    gw_req_destroy(&rq);
    rq = run(fx, "POST", "/v1/keys", &(opt_t){.key = fx->cw, .ctype = "application/json", .body = "{}"});
    assert_problem(rq, 403);
    gw_req_destroy(&rq);
    assert_int_equal(fake.nseen, 0);   /* nothing reached a service */

    /* unknown paths: 401 first under /v1, 404 with a key or outside /v1 */
    rq = run(fx, "GET", "/v1/nothing", NULL);
    assert_problem(rq, 401);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/v1/nothing", &(opt_t){.key = fx->cw});
    assert_problem(rq, 404);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/favicon.ico", NULL);
    assert_problem(rq, 404);
    gw_req_destroy(&rq);
    rq = run(fx, "DELETE", "/v1/persons/330326199001011235", &(opt_t){.key = fx->cw});
    assert_problem(rq, 405);
    assert_string_equal(rq->resp.xname, "Allow");
    assert_string_equal(rq->resp.xvalue, "GET");
    gw_req_destroy(&rq);
}

static void forwarding(void **state)
{
    fx_t *fx = *state;
    gw_req_t *rq = run(fx, "GET", "/v1/persons/330326199001011235?x=%E7%A8%8B&id_number=other",
                       &(opt_t){.key = fx->cw, .rid = "req-42"});
    assert_int_equal(rq->resp.status, 200);
    assert_memory_equal(rq->resp.body, "{\"from\":\"verify\"}", rq->resp.len);
    assert_string_equal(rq->rid, "req-42");
    gw_req_destroy(&rq);
    assert_int_equal(fake.nseen, 1);
    seen_t *s = &fake.seen[0];
    assert_string_equal(s->service, "verify");
    assert_string_equal(s->method, "persons.get");
    assert_string_equal(s->params, "id_number=330326199001011235;x=程");
    assert_string_equal(s->role, "caseworker");
    assert_string_equal(s->key_id, fx->cw_id);
    assert_int_equal(s->nregions, 1);
    assert_string_equal(s->id, "req-42");
    /* the read of a person is audited with the ID number as subject */
    gw_audit_query_t q = {.subject = "330326199001011235", .limit = 10};
    sais_jw_t w;
    sais_jw_init(&w);
    assert_int_equal(gw_audit_list(fx->store, &q, &w), 0);
    size_t len;
    char *doc = sais_jw_take(&w, &len);
    sais_jw_free(&w);
    assert_non_null(strstr(doc, "\"action\":\"GET /v1/persons/{id_number}\""));
    assert_non_null(strstr(doc, "\"status\":200"));
    free(doc);

    /* a write: JSON checked, passed on with its idempotency key scoped to the API key */
    rq = run(fx, "POST", "/v1/applications",
             &(opt_t){.key = fx->cw, .ctype = "application/json; charset=utf-8",
                      .body = "{\"id_number\":\"330326199001011235\",\"channel\":\"window\"}", .idem = "abc"});
    assert_int_equal(rq->resp.status, 200);
    assert_string_equal(rq->subject, "330326199001011235");
    gw_req_destroy(&rq);
    s = &fake.seen[1];
    assert_string_equal(s->method, "applications.create");
    char want[64];
    snprintf(want, sizeof want, "%s:abc", fx->cw_id);
    assert_string_equal(s->idem, want);
    assert_int_equal(s->body_len, strlen("{\"id_number\":\"330326199001011235\",\"channel\":\"window\"}"));

    /* a generated request id when none (or a bad one) was sent */
    rq = run(fx, "GET", "/v1/policies", &(opt_t){.key = fx->cw, .rid = "bad id"});
    assert_int_equal(strlen(rq->rid), 32);
    gw_req_destroy(&rq);
    assert_int_equal(fake.seen[2].timeout_ms, 1000);

    /* a whole-city computation waits the long deadline, not a request's */
    rq = run(fx, "POST", "/v1/policies/simulate",
             &(opt_t){.key = fx->admin, .ctype = "application/json", .body = "{\"params\":{}}"});
    assert_int_equal(rq->resp.status, 200);
    gw_req_destroy(&rq);
    assert_string_equal(fake.seen[3].method, "policies.simulate");
    assert_int_equal(fake.seen[3].timeout_ms, 600000);
}

static void bodies(void **state)
{
    fx_t *fx = *state;
    static const struct {
        const char *ctype, *body;
        int         status;
    } cases[] = {
        {"text/plain", "{}", 415},
        {NULL, "{}", 415},
        {"application/json", "{\"a\":", 400},
        {"application/json", "{\"a\":1,\"a\":2}", 400},
        {"application/json", "[1,2]", 400},
        {"application/json", "{\"a\":\"\xC0\xAF\"}", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_req_t *rq = run(fx, "POST", "/v1/visits", &(opt_t){.key = fx->cw, .ctype = cases[i].ctype, .body = cases[i].body});
        assert_problem(rq, cases[i].status);
        gw_req_destroy(&rq);
    }
    /* deep nesting */
    char deep[3000];
    size_t o = 0;
    deep[o++] = '{';
    deep[o++] = '"';
    deep[o++] = 'a';
    deep[o++] = '"';
    deep[o++] = ':';
    for (int i = 0; i < 900; i++) deep[o++] = '[';
    for (int i = 0; i < 900; i++) deep[o++] = ']';
    deep[o++] = '}';
    deep[o] = '\0';
    fx->gw.max_json = sizeof deep;
    gw_req_t *rq = run(fx, "POST", "/v1/visits", &(opt_t){.key = fx->cw, .ctype = "application/json", .body = deep});
    assert_problem(rq, 400);
    gw_req_destroy(&rq);
    fx->gw.max_json = 1024;

    /* over the limit: by Content-Length before reading, or while streaming (chunked) */
    char big[2048];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    big[sizeof big - 1] = '\0';
    rq = run(fx, "POST", "/v1/visits", &(opt_t){.key = fx->cw, .ctype = "application/json", .body = big});
    assert_problem(rq, 413);
    assert_int_equal(rq->received, 0);
    gw_req_destroy(&rq);
    rq = run(fx, "POST", "/v1/visits",
             &(opt_t){.key = fx->cw, .ctype = "application/json", .body = big, .content_length = -1, .piece = 100});
    assert_problem(rq, 413);
    assert_true(rq->received > 1024 && rq->received <= 1100);
    gw_req_destroy(&rq);
    assert_int_equal(fake.nseen, 0);

    /* bad query and path */
    rq = run(fx, "GET", "/v1/alerts?region=%zz", &(opt_t){.key = fx->cw});
    assert_problem(rq, 400);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/v1/alerts?region=%FF", &(opt_t){.key = fx->cw});
    assert_problem(rq, 400);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/console/%2e%2e/etc/passwd", NULL);
    assert_problem(rq, 400);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/v1/persons/%C0%AF", &(opt_t){.key = fx->cw});
    assert_problem(rq, 400);
    gw_req_destroy(&rq);
    assert_int_equal(fake.nseen, 0);
}

static void services_down(void **state)
{
    fx_t *fx = *state;
    static const struct {
        answer_fn fn;
        int       status;
    } cases[] = {{not_built, 503}, {down, 503}, {slow, 504}};
    for (size_t i = 0; i < 3; i++) {
        fake.answer = cases[i].fn;
        gw_req_t *rq = run(fx, "GET", "/v1/alerts", &(opt_t){.key = fx->cw});
        assert_problem(rq, cases[i].status);
        assert_non_null(strstr(rq->resp.body, "warn"));   /* names the service */
        gw_req_destroy(&rq);
    }
}

static void keys_over_api(void **state)
{
    fx_t *fx = *state;
    gw_req_t *rq = run(fx, "POST", "/v1/keys",
                       &(opt_t){.key = fx->admin, .ctype = "application/json",
                                .body = "{\"name\":\"n\",\"role\":\"reviewer\",\"regions\":[\"3303\"]}"});
    assert_int_equal(rq->resp.status, 201);
    json_t *o = body_json(rq);
    char secret[GW_KEY_SECRET_MAX], id[32], path[64];
    snprintf(secret, sizeof secret, "%s", json_string_value(json_object_get(o, "key")));
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(o, "id")));
    assert_string_equal(json_string_value(json_object_get(o, "role")), "reviewer");
    assert_non_null(json_string_value(json_object_get(o, "created_at")));
    json_decref(o);
    gw_req_destroy(&rq);

    rq = run(fx, "POST", "/v1/keys", &(opt_t){.key = fx->admin, .ctype = "application/json", .body = "{\"name\":\"n\",\"role\":\"god\"}"});
    assert_problem(rq, 422);
    assert_non_null(strstr(rq->resp.body, "\"field\":\"role\""));
    gw_req_destroy(&rq);

    rq = run(fx, "GET", "/v1/alerts", &(opt_t){.key = secret});
    assert_int_equal(rq->resp.status, 200);
    gw_req_destroy(&rq);

    rq = run(fx, "GET", "/v1/keys?limit=10", &(opt_t){.key = fx->admin});
    assert_int_equal(rq->resp.status, 200);
    o = body_json(rq);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 4);
    assert_null(strstr(rq->resp.body, secret));
    json_decref(o);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/v1/keys?limit=0", &(opt_t){.key = fx->admin});
    assert_problem(rq, 422);
    gw_req_destroy(&rq);

    snprintf(path, sizeof path, "/v1/keys/%s", id);
    rq = run(fx, "DELETE", path, &(opt_t){.key = fx->admin});
    assert_int_equal(rq->resp.status, 204);
    assert_int_equal(rq->resp.len, 0);
    gw_req_destroy(&rq);
    rq = run(fx, "DELETE", path, &(opt_t){.key = fx->admin});
    assert_problem(rq, 404);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/v1/alerts", &(opt_t){.key = secret});
    assert_problem(rq, 401);   /* stopped at once */
    gw_req_destroy(&rq);

    /* the auditor's view */
    rq = run(fx, "GET", "/v1/audit?action=DELETE%20/v1/keys/{id}", &(opt_t){.key = fx->admin});
    assert_int_equal(rq->resp.status, 200);
    o = body_json(rq);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
    json_decref(o);
    gw_req_destroy(&rq);
    rq = run(fx, "GET", "/v1/audit?since=yesterday", &(opt_t){.key = fx->admin});
    assert_problem(rq, 422);
    gw_req_destroy(&rq);
}

static void feed_upload(void **state)
{
    fx_t *fx = *state;
    fake.answer = ingest;
    size_t n = (2u << 20) + (512u << 10);
    char *body = malloc(n + 1);
    for (size_t i = 0; i < n; i++) body[i] = (char)('a' + i % 26);
    body[n] = '\0';
    unsigned char want[32], got[32];
    crypto_generichash(want, 32, (unsigned char *)body, n, NULL, 0);

    gw_req_t *rq = run(fx, "POST", "/v1/feeds/medical/batches?batch_id=b1",
                       &(opt_t){.key = fx->partner, .ctype = "application/x-ndjson", .body = body,
                                .body_len = n, .piece = 65536 - 7});
    assert_int_equal(rq->resp.status, 200);
    assert_non_null(strstr(rq->resp.body, "\"status\":\"done\""));
    gw_req_destroy(&rq);
    assert_int_equal(fake.nchunks, 3);
    assert_int_equal(fake.chunks[0], GW_FEED_CHUNK);
    assert_int_equal(fake.chunks[1], GW_FEED_CHUNK);
    assert_int_equal(fake.chunks[2], 512u << 10);
    crypto_generichash_final(&fake.hash, got, 32);
    assert_memory_equal(want, got, 32);
    assert_string_equal(fake.seen[0].method, "feed.begin");
    assert_string_equal(fake.seen[0].params, "source=medical;batch_id=b1;format=ndjson");
    assert_string_equal(fake.seen[1].params, "session=s7");
    assert_string_equal(fake.seen[4].method, "feed.end");

    /* refusals before any byte is read */
    struct {
        const char *uri, *key, *ctype;
        int status;
    } no[] = {
        {"/v1/feeds/hukou/batches?batch_id=b1", fx->partner, "text/csv", 403},
        {"/v1/feeds/medical/batches?batch_id=b1", fx->partner, "application/json", 415},
        {"/v1/feeds/medical/batches", fx->partner, "text/csv", 422},
        {"/v1/feeds/medical/batches?batch_id=a%20b", fx->partner, "text/csv", 422},
        {"/v1/feeds/tax/batches?batch_id=b1", fx->admin, "text/csv", 404},
        {"/v1/feeds/medical/batches?batch_id=dup", fx->partner, "text/csv", 409},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        fake.nchunks = 0;
        rq = run(fx, "POST", no[i].uri, &(opt_t){.key = no[i].key, .ctype = no[i].ctype, .body = "x\n"});
        if (rq->resp.status != no[i].status) fail_msg("%s: %d", no[i].uri, rq->resp.status);
        assert_int_equal(rq->received, 0);
        assert_int_equal(fake.nchunks, 0);
        gw_req_destroy(&rq);
    }

    /* a problem from ingest mid-upload ends it with that answer */
    fake.chunk_fails_at_2 = true;
    rq = run(fx, "POST", "/v1/feeds/medical/batches?batch_id=b2",
             &(opt_t){.key = fx->partner, .ctype = "text/csv", .body = body, .body_len = n, .piece = 65536});
    assert_int_equal(rq->resp.status, 503);
    assert_int_equal(fake.nchunks, 2);
    gw_req_destroy(&rq);
    fake.chunk_fails_at_2 = false;

    /* over gateway.max_body_mb: by Content-Length, or as soon as the stream passes it */
    fx->gw.max_body = 1u << 20;
    rq = run(fx, "POST", "/v1/feeds/medical/batches?batch_id=b3",
             &(opt_t){.key = fx->partner, .ctype = "text/csv", .body = body, .body_len = n});
    assert_problem(rq, 413);
    gw_req_destroy(&rq);
    rq = run(fx, "POST", "/v1/feeds/medical/batches?batch_id=b3",
             &(opt_t){.key = fx->partner, .ctype = "text/csv", .body = body, .body_len = n,
                      .content_length = -1, .piece = 65536});
    assert_problem(rq, 413);
    assert_true(rq->received <= (1u << 20) + 65536);
    gw_req_destroy(&rq);

    /* ingest down: 503 */
    fake.answer = down;
    rq = run(fx, "POST", "/v1/feeds/medical/batches?batch_id=b4",
             &(opt_t){.key = fx->partner, .ctype = "text/csv", .body = "a\n"});
    assert_problem(rq, 503);
    gw_req_destroy(&rq);
    free(body);
}

static void health_and_metrics(void **state)
{
    fx_t *fx = *state;
    fake.answer = health;
    gw_req_t *rq = run(fx, "GET", "/healthz", NULL);
    assert_int_equal(rq->resp.status, 503);
    json_t *o = body_json(rq);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "degraded");
    json_t *svc = json_object_get(o, "services");
    assert_string_equal(json_string_value(json_object_get(svc, "match")), "down");
    assert_string_equal(json_string_value(json_object_get(svc, "verify")), "up");
    assert_int_equal(json_object_size(svc), 8);
    json_decref(o);
    gw_req_destroy(&rq);

    fake.answer = echo_ok;
    rq = run(fx, "GET", "/healthz", NULL);
    assert_int_equal(rq->resp.status, 200);
    assert_non_null(strstr(rq->resp.body, "\"status\":\"ok\""));
    gw_req_destroy(&rq);

    gw_metrics_observe(fx->gw.metrics, 3, 200, 3000);
    gw_metrics_observe(fx->gw.metrics, 3, 200, 700000);
    gw_metrics_observe(fx->gw.metrics, gw_nroutes, 404, 10);
    fake.answer = health;
    rq = run(fx, "GET", "/metrics", NULL);
    assert_int_equal(rq->resp.status, 200);
    assert_memory_equal(rq->resp.ctype, "text/plain", 10);
    char *text = strndup(rq->resp.body, rq->resp.len);
    char line[256];
    snprintf(line, sizeof line, "sais_http_requests_total{route=\"%s %s\",status=\"200\"} 2\n",
             gw_routes[3].method, gw_routes[3].pattern);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "sais_http_request_duration_seconds_bucket{route=\"%s %s\",status=\"200\",le=\"0.005000\"} 1\n",
             gw_routes[3].method, gw_routes[3].pattern);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "sais_http_request_duration_seconds_bucket{route=\"%s %s\",status=\"200\",le=\"1.000000\"} 2\n",
             gw_routes[3].method, gw_routes[3].pattern);
    assert_non_null(strstr(text, line));
    assert_non_null(strstr(text, "sais_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
    assert_non_null(strstr(text, "sais_bus_lag{consumer=\"verify\",producer=\"ingest\"} 20\n"));
    /* each family's samples together under its own HELP and TYPE (the cursors used to be
     * interleaved with the lags, without either) */
    const char *cur = strstr(text, "# TYPE sais_bus_cursor gauge\nsais_bus_cursor{consumer=\"verify\",producer=\"ingest\"} 100\n");
    assert_non_null(cur);
    assert_null(strstr(cur, "sais_bus_lag{"));
    assert_non_null(strstr(text, "# TYPE sais_bus_skipped_events counter\n"
                                 "sais_bus_skipped_events{consumer=\"verify\",producer=\"ingest\"} 3\n"));
    assert_non_null(strstr(text, "sais_bus_head{service=\"ingest\"} 120\n"));
    assert_non_null(strstr(text, "sais_store_map_used_bytes{service=\"verify\"} 8192\n"));
    assert_non_null(strstr(text, "sais_store_map_size_bytes{service=\"gateway\"}"));
    assert_non_null(strstr(text, "sais_service_up{service=\"match\"} 0\n"));
    free(text);
    gw_req_destroy(&rq);
}

/* ---- answering without waiting, and gateway_async */

static int local_no(void *cls, const char *service, Sais__Request *req, int timeout_ms,
                    Sais__Reply **reply)
{
    (void)cls;
    (void)service;
    (void)req;
    (void)timeout_ms;
    *reply = NULL;
    return SAIS_LOCAL_NO;
}

static gw_req_t *head_only(fx_t *fx, const char *method, const char *uri, const char *key)
{
    char auth[128];
    snprintf(auth, sizeof auth, "Bearer %s", key);
    gw_headers_t h = {.authorization = auth, .content_length = -1};
    gw_req_t *rq = gw_req_new(uri);
    assert_non_null(rq);
    snprintf(rq->method, sizeof rq->method, "%s", method);
    gw_dispatch_head(&fx->gw, rq, &h);
    assert_false(rq->resp.ready);
    return rq;
}

static pthread_mutex_t resumed_mu = PTHREAD_MUTEX_INITIALIZER;
static int resumed;

static void count_resume(gw_req_t *rq)
{
    rq->conn = NULL;
    pthread_mutex_lock(&resumed_mu);
    resumed++;
    pthread_mutex_unlock(&resumed_mu);
}

static void wait_resumed(int n)
{
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&resumed_mu);
        int r = resumed;
        pthread_mutex_unlock(&resumed_mu);
        if (r >= n) return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("only %d of %d parked requests resumed", resumed, n);
}

static void job_answer(gw_t *gw, gw_req_t *rq)
{
    gw_dispatch_end(gw, rq);
    gw_dispatch_audit(gw, rq);
}

static void answered_now_or_parked(void **state)
{
    fx_t *fx = *state;
    const char *person = "/v1/persons/330326199001011235";

    /* no local path: nothing is done, nothing is asked */
    gw_req_t *rq = head_only(fx, "GET", person, fx->admin);
    size_t seen = fake.nseen;
    assert_false(gw_dispatch_end_now(&fx->gw, rq));
    assert_false(rq->resp.ready);
    fx->gw.call_local = local_no;
    assert_false(gw_dispatch_end_now(&fx->gw, rq));
    assert_false(rq->resp.ready);
    assert_int_equal(fake.nseen, seen);
    /* a local read answers on this thread */
    fx->gw.call_local = fake_call;
    assert_true(gw_dispatch_end_now(&fx->gw, rq));
    assert_int_equal(rq->resp.status, 200);
    assert_non_null(strstr(rq->resp.body, "\"from\":\"verify\""));
    gw_req_destroy(&rq);
    /* a write is never answered without its wait, whatever the local path says */
    rq = head_only(fx, "POST", "/v1/applications", fx->admin);
    seen = fake.nseen;
    assert_false(gw_dispatch_end_now(&fx->gw, rq));
    assert_int_equal(fake.nseen, seen);
    gw_req_destroy(&rq);

    /* parked audit entries: all appended, each request resumed once, the chain whole */
    resumed = 0;
    gw_async_t *a = gw_async_new(&fx->gw, 3, count_resume);
    assert_non_null(a);
    size_t before = audit_count(fx, NULL, 200);
    gw_req_t *rqs[40];
    for (size_t i = 0; i < 40; i++) {
        rqs[i] = head_only(fx, "GET", person, fx->admin);
        assert_true(gw_dispatch_end_now(&fx->gw, rqs[i]));
        rqs[i]->conn = rqs[i];   /* someone waits for it */
        assert_int_equal(gw_async_audit(a, rqs[i]), 0);
    }
    wait_resumed(40);
    for (size_t i = 0; i < 40; i++) {
        assert_true(rqs[i]->audited);
        assert_int_equal(rqs[i]->resp.status, 200);
        gw_req_destroy(&rqs[i]);
    }
    assert_int_equal(audit_count(fx, NULL, 200), before + 40);
    /* parked jobs run on the workers */
    resumed = 0;
    for (size_t i = 0; i < 10; i++) {
        rqs[i] = head_only(fx, "POST", "/v1/applications", fx->admin);
        rqs[i]->conn = rqs[i];
        assert_int_equal(gw_async_job(a, rqs[i], job_answer), 0);
    }
    wait_resumed(10);
    for (size_t i = 0; i < 10; i++) {
        assert_true(rqs[i]->audited);
        assert_int_equal(rqs[i]->resp.status, 200);
        gw_req_destroy(&rqs[i]);
    }
    /* stopped: nothing more is taken */
    gw_async_stop(a);
    rq = head_only(fx, "GET", person, fx->admin);
    assert_int_equal(gw_async_audit(a, rq), -1);
    assert_int_equal(gw_async_job(a, rq, job_answer), -1);
    gw_req_destroy(&rq);
    gw_async_destroy(&a);
    char report[256];
    assert_int_equal(gw_audit_verify_store(fx->store, report, sizeof report), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(auth_and_roles), T(forwarding), T(bodies), T(services_down),
        T(keys_over_api),  T(feed_upload), T(health_and_metrics), T(answered_now_or_parked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
