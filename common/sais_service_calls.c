/* sais_service_calls — the runtime's requests: the built-in methods, the service's method
 * table, idempotency, and group commit of writes. See sais_service.h for the contract and
 * sais_service_int.h for who owns what.
 */
#include "sais_service_int.h"
#include "sais_bus.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- built-in methods */

typedef struct { sais_svc_t *svc; sais_jw_t *w; } status_ctx_t;

typedef int (*producer_get_fn)(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t *v);

static int diverged_flag(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t *v)
{
    bool d = false;
    uint64_t at = 0;
    int rc = sais_diverged_get(store, txn, producer, &d, &at);
    *v = d ? 1 : 0;
    return rc;
}

/* "key": {producer: get(producer), ...} for every producer this service consumes. */
static int per_producer(status_ctx_t *c, MDB_txn *txn, const char *key, producer_get_fn get)
{
    sais_jw_key(c->w, key);
    sais_jw_obj(c->w);
    for (size_t i = 0; i < c->svc->nconsumers; i++) {
        uint64_t v = 0;
        int rc = get(c->svc->store, txn, c->svc->consumers[i].producer, &v);
        if (rc != 0)
            return rc;
        sais_jw_kint(c->w, c->svc->consumers[i].producer, (int64_t)v);
    }
    sais_jw_obj_end(c->w);
    return 0;
}

static int bus_status_fn(MDB_txn *txn, void *vctx)
{
    status_ctx_t *c = vctx;
    uint64_t head = 0;
    int rc = sais_bus_head(c->svc->store, txn, &head);
    if (rc != 0)
        return rc;
    sais_jw_kint(c->w, "head", (int64_t)head);
    if ((rc = per_producer(c, txn, "cursors", sais_cursor_get)) != 0 ||
        /* events of each producer stepped over because no retry could apply them */
        (rc = per_producer(c, txn, "skipped", sais_skipped_get)) != 0 ||
        /* 1 for a producer found to have lost events this service took in (sais_diverge) */
        (rc = per_producer(c, txn, "diverged", diverged_flag)) != 0)
        return rc;
    return c->svc->def->on_status ? c->svc->def->on_status(c->svc, txn, c->w) : 0;
}

/* "store_write_failures", and while writes fail "store_failing_since" and "store_error" */
static void write_health(sais_store_t *store, sais_jw_t *w)
{
    uint64_t failures;
    int64_t since;
    char err[128], at[21];
    sais_store_write_health(store, &failures, &since, err, sizeof err);
    sais_jw_kint(w, "store_write_failures", (int64_t)failures);
    if (since) {
        sais_time_format(since, at);
        sais_jw_kstr(w, "store_failing_since", at);
        sais_jw_kstr(w, "store_error", err);
    }
}

static int builtin(sais_svc_t *svc, const Sais__Request *req, sais_reply_t *reply)
{
    sais_jw_t w;
    if (strcmp(req->method, "health") == 0) {
        sais_jw_init(&w);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "service", svc->def->name);
        sais_jw_kstr(&w, "status", "up");
        write_health(svc->store, &w);
        sais_jw_obj_end(&w);
        return sais_reply_jw(reply, 200, &w);
    }
    if (strcmp(req->method, "digest") == 0) {
        char hex[65];
        if (sais_store_digest(svc->store, hex) != 0)
            return sais_reply_problem(reply, 503, "store", "cannot compute the state digest");
        sais_jw_init(&w);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "service", svc->def->name);
        sais_jw_kstr(&w, "digest", hex);
        sais_jw_obj_end(&w);
        return sais_reply_jw(reply, 200, &w);
    }
    if (strcmp(req->method, "bus.status") == 0) {
        uint64_t used = 0, size = 0;
        sais_jw_init(&w);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "service", svc->def->name);
        status_ctx_t c = {svc, &w};
        if (sais_store_read(svc->store, bus_status_fn, &c) != 0) {
            sais_jw_free(&w);
            return sais_reply_problem(reply, 503, "store", "cannot read bus status");
        }
        if (sais_store_usage(svc->store, &used, &size) == 0) {
            sais_jw_kint(&w, "map_used", (int64_t)used);
            sais_jw_kint(&w, "map_size", (int64_t)size);
        }
        write_health(svc->store, &w);
        sais_jw_obj_end(&w);
        return sais_reply_jw(reply, 200, &w);
    }
    return 1; /* not a built-in */
}

/* ---------------------------------------------------------------- the method table */

typedef struct {
    sais_svc_t           *svc;
    const sais_method_t  *m;
    const Sais__Request  *req;
    sais_reply_t         *reply;
    unsigned char         fingerprint[32];
    char                 *idem_key;
    size_t                idem_len;
} call_ctx_t;

static int read_call(MDB_txn *txn, void *vctx)
{
    call_ctx_t *c = vctx;
    int rc = c->m->fn(c->svc, txn, c->req, c->reply);
    return rc;
}

/* Idempotency record: fingerprint[32] | status (4, BE) | ctype_len (1) | ctype | body.
 * Answers c->reply from the record of c's key: 1 when answered (the first answer, or 409 for
 * another request under the same key), 0 when there is none, or an LMDB code. */
static int idem_answer(MDB_txn *txn, call_ctx_t *c)
{
    if (!c->idem_key)
        return 0;
    MDB_val v;
    int rc = sais_get(txn, sais_store_dbi(c->svc->store, "_idem"), c->idem_key, c->idem_len, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (v.mv_size < 37)
        return MDB_CORRUPTED;
    const unsigned char *p = v.mv_data;
    if (sodium_memcmp(p, c->fingerprint, 32) != 0) {
        sais_reply_problem(c->reply, 409, "idempotency_conflict",
                           "Idempotency-Key was already used with a different request");
        return 1;
    }
    int status = (p[32] << 24) | (p[33] << 16) | (p[34] << 8) | p[35];
    size_t cl = p[36];
    if (37 + cl > v.mv_size)
        return MDB_CORRUPTED;
    char ctype[48];
    snprintf(ctype, sizeof ctype, "%.*s", (int)cl, (const char *)p + 37);
    sais_reply_bytes(c->reply, status, ctype, p + 37 + cl, v.mv_size - 37 - cl);
    return 1;
}

static int idem_read_fn(MDB_txn *txn, void *vctx)
{
    return idem_answer(txn, vctx);
}

static int write_call(MDB_txn *txn, void *vctx)
{
    call_ctx_t *c = vctx;
    MDB_dbi idem = sais_store_dbi(c->svc->store, "_idem");
    sais_reply_reset(c->reply);
    sais_log_set_request(c->req->id);
    int known = idem_answer(txn, c);
    if (known == 1)
        return SAIS_TXN_ABORT; /* nothing to change: answer as the first time (or 409) */
    if (known != 0)
        return known;
    int rc = c->m->fn(c->svc, txn, c->req, c->reply);
    if (rc != 0)
        return rc;
    if (c->reply->status >= 400)
        return SAIS_TXN_ABORT; /* a refused write changes nothing */
    if (c->idem_key) {
        size_t cl = strlen(c->reply->content_type);
        size_t n = 37 + cl + c->reply->len;
        MDB_val k = {c->idem_len, c->idem_key}, v = {n, NULL};
        rc = mdb_put(txn, idem, &k, &v, MDB_RESERVE);
        if (rc != 0)
            return rc;
        unsigned char *p = v.mv_data;
        memcpy(p, c->fingerprint, 32);
        uint32_t st = (uint32_t)c->reply->status;
        p[32] = (unsigned char)(st >> 24);
        p[33] = (unsigned char)(st >> 16);
        p[34] = (unsigned char)(st >> 8);
        p[35] = (unsigned char)st;
        p[36] = (unsigned char)cl;
        memcpy(p + 37, c->reply->content_type, cl);
        if (c->reply->len)
            memcpy(p + 37 + cl, c->reply->body, c->reply->len);
    }
    return 0;
}

static void fingerprint(const Sais__Request *req, unsigned char out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)req->method, strlen(req->method) + 1);
    for (size_t i = 0; i < req->n_params; i++) {
        crypto_generichash_update(&st, (const unsigned char *)req->params[i]->key, strlen(req->params[i]->key) + 1);
        crypto_generichash_update(&st, (const unsigned char *)req->params[i]->value, strlen(req->params[i]->value) + 1);
    }
    crypto_generichash_update(&st, req->body.data, req->body.len);
    crypto_generichash_final(&st, out, 32);
}

static const sais_method_t *find_method(const sais_svc_t *svc, const char *name)
{
    for (const sais_method_t *t = svc->def->methods; t && t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static void idem_key(call_ctx_t *c, const Sais__Request *req, char *buf, size_t len)
{
    if (!req->idempotency_key || !*req->idempotency_key)
        return;
    const char *who = req->caller && req->caller->key_id ? req->caller->key_id : "";
    int n = snprintf(buf, len, "%s|%s|%s", req->method, who, req->idempotency_key);
    if (n > 0 && (size_t)n < len) {
        c->idem_key = buf;
        c->idem_len = (size_t)n;
        fingerprint(req, c->fingerprint);
    }
}

void svc_answer_failure(sais_svc_t *svc, const char *method, int rc, sais_reply_t *reply)
{
    if (rc != 0 || reply->status == 0) {
        sais_error("%s: %s failed (%d)", svc->def->name, method, rc);
        sais_reply_reset(reply);
        sais_reply_problem(reply, 503, "service_error", "the %s service could not complete %s",
                           svc->def->name, method);
    }
}

/* Sends the answer (503 when the handler failed without one) and frees what it held. */
static void finish(sais_svc_t *svc, zframe_t *identity, const Sais__Request *req, sais_reply_t *reply, int rc)
{
    svc_answer_failure(svc, req->method, rc, reply);
    svc_send_reply(svc, identity, req->id, reply->status, reply->content_type, reply->body, reply->len);
    sais_reply_reset(reply);
    if (reply->user_free && reply->user)
        reply->user_free(reply->user);
    reply->user = NULL;
    reply->user_free = NULL;
    sais_log_set_request(NULL);
}

/* Built-ins, unknown methods, READ and RAW: answered at once. */
static void dispatch(sais_svc_t *svc, zframe_t *identity, const Sais__Request *req, const sais_method_t *m)
{
    sais_reply_t reply = {0};
    sais_log_set_request(req->id);
    if (builtin(svc, req, &reply) == 0) {
        finish(svc, identity, req, &reply, 0);
        return;
    }
    if (!m) {
        char d[160];
        snprintf(d, sizeof d, "the %s service does not implement \"%s\"", svc->def->name, req->method);
        svc_send_problem(svc, identity, req->id, 501, "not_implemented", d);
        sais_log_set_request(NULL);
        return;
    }
    call_ctx_t c = {.svc = svc, .m = m, .req = req, .reply = &reply};
    int rc = (m->kind == SAIS_M_READ || m->kind == SAIS_M_READ_ANY) ? sais_store_read(svc->store, read_call, &c) : m->fn(svc, NULL, req, &reply);
    finish(svc, identity, req, &reply, rc);
}

/* ---------------------------------------------------------------- group commit of writes */

/* A WRITE or PREPARED request waiting for the next commit. The queue is filled while the
 * ROUTER has requests queued and committed when it runs dry (or fills, or another kind of
 * request comes): under load, many requests share one transaction and one sync, each in a
 * child transaction so that one's refusal or failure undoes only its own writes. */
struct svc_wjob {
    zframe_t      *identity;
    Sais__Request *req;
    call_ctx_t     c;
    sais_reply_t   reply;
    char           idem[512];
};

int svc_calls_init(sais_svc_t *svc)
{
    svc->wjobs = calloc(SVC_MAX_WJOBS, sizeof *svc->wjobs);
    svc->nwjobs = 0;
    return svc->wjobs ? 0 : -1;
}

static void wjob_free(struct svc_wjob *j)
{
    sais__request__free_unpacked(j->req, NULL);
    zframe_destroy(&j->identity);
    memset(j, 0, sizeof *j);
}

void svc_calls_fini(sais_svc_t *svc)
{
    for (size_t i = 0; svc->wjobs && i < svc->nwjobs; i++) {
        sais_reply_t *r = &svc->wjobs[i].reply;
        sais_reply_reset(r);
        if (r->user_free && r->user)
            r->user_free(r->user);
        wjob_free(&svc->wjobs[i]);
    }
    free(svc->wjobs);
    svc->wjobs = NULL;
    svc->nwjobs = 0;
}

void svc_flush_writes(sais_svc_t *svc)
{
    size_t n = svc->nwjobs;
    if (n == 0)
        return;
    sais_txn_fn fns[SVC_MAX_WJOBS];
    void *ctxs[SVC_MAX_WJOBS];
    int rcs[SVC_MAX_WJOBS];
    for (size_t i = 0; i < n; i++) {
        fns[i] = write_call;
        ctxs[i] = &svc->wjobs[i].c;
    }
    int rc = sais_store_write_batch(svc->store, n, fns, ctxs, rcs);
    if (svc->emitted) {
        svc->emitted = false;
        if (rc == 0)
            svc_wake_fetchers(svc, false);
    }
    for (size_t i = 0; i < n; i++) {
        struct svc_wjob *j = &svc->wjobs[i];
        sais_log_set_request(j->req->id);
        finish(svc, j->identity, j->req, &j->reply, rcs[i] == -1 ? -1 : 0);
        wjob_free(j);
    }
    svc->nwjobs = 0;
}

/* Queues a WRITE or PREPARED request (taking the identity and the request), after the
 * PREPARED one's first call; answers at once what is answered before any write. */
static void queue_write(sais_svc_t *svc, zframe_t *identity, Sais__Request *req, const sais_method_t *m)
{
    struct svc_wjob *j = &svc->wjobs[svc->nwjobs];
    memset(j, 0, sizeof *j);
    j->identity = identity;
    j->req = req;
    j->c.svc = svc;
    j->c.m = m;
    j->c.req = req;
    j->c.reply = &j->reply;
    idem_key(&j->c, req, j->idem, sizeof j->idem);
    if (m->kind == SAIS_M_PREPARED) {
        sais_log_set_request(req->id);
        /* a retry is answered from its record without preparing again */
        int rc = j->c.idem_key ? sais_store_read(svc->store, idem_read_fn, &j->c) : 0;
        if (rc == 0)
            rc = m->fn(svc, NULL, req, &j->reply);
        if (rc != 0 || j->reply.status != 0) {
            finish(svc, identity, req, &j->reply, rc == 1 ? 0 : rc);
            wjob_free(j);
            return;
        }
        sais_log_set_request(NULL);
    }
    if (++svc->nwjobs == SVC_MAX_WJOBS)
        svc_flush_writes(svc);
}

void svc_on_request(sais_svc_t *svc)
{
    zmsg_t *m = zmsg_recv(svc->router);
    if (!m)
        return;
    zframe_t *identity = zmsg_pop(m);
    zframe_t *body = zmsg_pop(m);
    if (!identity || !body) {
        sais_warn("malformed request envelope dropped");
        goto done;
    }
    Sais__Request *req = sais__request__unpack(NULL, zframe_size(body), zframe_data(body));
    if (!req) {
        sais_warn("garbled request (%zu bytes) answered 400", zframe_size(body));
        svc_send_problem(svc, identity, "", 400, "bad_request", "the request does not unpack");
        goto done;
    }
    if (req->deadline_ms && sais_clock_ms() > req->deadline_ms) {
        /* the caller has given up already; doing the work would only delay the next one */
        sais_debug("request %s past its deadline dropped", req->id);
    } else if (strcmp(req->method, "bus.fetch") == 0) {
        svc_flush_writes(svc);
        svc_handle_fetch(svc, identity, req);
    } else {
        const sais_method_t *meth = find_method(svc, req->method);
        if (meth && (meth->kind == SAIS_M_WRITE || meth->kind == SAIS_M_PREPARED)) {
            queue_write(svc, identity, req, meth);
            identity = NULL;
            req = NULL;
        } else {
            svc_flush_writes(svc);
            dispatch(svc, identity, req, meth);
        }
    }
    if (req)
        sais__request__free_unpacked(req, NULL);
done:
    zframe_destroy(&identity);
    zframe_destroy(&body);
    zmsg_destroy(&m);
}

