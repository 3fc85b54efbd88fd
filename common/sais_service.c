/* sais_service — the actor runtime; see sais_service.h (and sais_service_calls.c for the
 * requests).
 *
 * One thread per service. Its loop polls: the actor pipe ($TERM), the ROUTER (requests and
 * consumers' fetches of this service's log) and one DEALER per producer it consumes. Every
 * state change goes through a write transaction of the service's store; events appended in it
 * are published only after the commit, by answering the fetches parked on this log.
 */
#include "sais_service.h"
#include "sais_bus.h"
#include "sais_clock.h"
#include "sais_curve.h"
#include "sais_log.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_service_int.h"

const char *sais_svc_name(const sais_svc_t *svc) { return svc->def->name; }
sais_store_t *sais_svc_store(sais_svc_t *svc) { return svc->store; }
const sais_config_t *sais_svc_config(const sais_svc_t *svc) { return svc->cfg; }
sais_client_t *sais_svc_client(sais_svc_t *svc) { return svc->client; }
MDB_dbi sais_svc_dbi(sais_svc_t *svc, const char *name) { return sais_store_dbi(svc->store, name); }
void *sais_svc_state(sais_svc_t *svc) { return svc->state; }
void sais_svc_set_state(sais_svc_t *svc, void *state) { svc->state = state; }
void sais_svc_tick_again(sais_svc_t *svc) { svc->tick_again = true; }

int sais_svc_emit(sais_svc_t *svc, MDB_txn *txn, const char *type, const char *region,
                  const ProtobufCMessage *msg)
{
    svc->emitted = true;
    return sais_bus_append_pb(svc->store, txn, svc->def->name, type, region, NULL, msg, NULL);
}

int sais_svc_emit_raw(sais_svc_t *svc, MDB_txn *txn, const char *type, const char *region,
                      const char *const *sources, size_t nsources, const void *payload, size_t len)
{
    svc->emitted = true;
    return sais_bus_append_sourced(svc->store, txn, svc->def->name, type, region, sources, nsources, payload, len);
}

int sais_svc_emit_sourced(sais_svc_t *svc, MDB_txn *txn, const char *type, const char *region,
                          const char *const *sources, size_t nsources, const ProtobufCMessage *msg)
{
    svc->emitted = true;
    return sais_bus_append_pb_sourced(svc->store, txn, svc->def->name, type, region, sources, nsources, msg);
}

int sais_svc_write(sais_svc_t *svc, sais_txn_fn fn, void *ctx)
{
    int rc = sais_store_write(svc->store, fn, ctx);
    if (svc->emitted) {
        svc->emitted = false;
        if (rc == 0)
            svc_wake_fetchers(svc, false);
    }
    return rc;
}

/* ---------------------------------------------------------------- sending replies */

void svc_send_reply(sais_svc_t *svc, zframe_t *identity, const char *id, int status,
                       const char *ctype, const void *body, size_t len)
{
    Sais__Reply rep = SAIS__REPLY__INIT;
    rep.id = (char *)(id ? id : "");
    rep.status = status;
    rep.content_type = (char *)(ctype ? ctype : "");
    rep.body.data = (uint8_t *)body;
    rep.body.len = len;
    size_t n = sais__reply__get_packed_size(&rep);
    zmsg_t *m = zmsg_new();
    zframe_t *f = zframe_new(NULL, n);
    zframe_t *idf = zframe_dup(identity);
    if (!m || !f || !idf) {
        zmsg_destroy(&m);
        zframe_destroy(&f);
        zframe_destroy(&idf);
        sais_error("out of memory sending a reply");
        return;
    }
    sais__reply__pack(&rep, zframe_data(f));
    zmsg_append(m, &idf);
    zmsg_append(m, &f);
    /* ROUTER_MANDATORY: a vanished peer is an error we log, not a silent drop */
    if (zmsg_send(&m, svc->router) != 0) {
        sais_warn("reply %s: peer gone (%s)", rep.id, zmq_strerror(zmq_errno()));
        zmsg_destroy(&m);
    }
}

void svc_send_problem(sais_svc_t *svc, zframe_t *identity, const char *id, int status,
                         const char *code, const char *detail)
{
    sais_reply_t r = {0};
    if (sais_reply_problem(&r, status, code, "%s", detail) == 0)
        svc_send_reply(svc, identity, id, r.status, r.content_type, r.body, r.len);
    sais_reply_reset(&r);
}

/* ---------------------------------------------------------------- serving our log */

static void answer_fetch(sais_svc_t *svc, zframe_t *identity, const char *id, uint64_t after,
                         uint32_t max)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    if (sais_bus_fetch_packed(svc->store, after, max, svc->fetch_bytes, &buf, &n) != 0) {
        svc_send_problem(svc, identity, id, 503, "store", "cannot read the event log");
        return;
    }
    svc_send_reply(svc, identity, id, 200, "application/x-protobuf", buf, n);
    free(buf);
}

typedef struct { sais_store_t *store; uint64_t head; } head_ctx_t;
static int head_fn(MDB_txn *txn, void *vctx)
{
    head_ctx_t *c = vctx;
    return sais_bus_head(c->store, txn, &c->head);
}

static void drop_parked(sais_svc_t *svc, size_t i)
{
    zframe_destroy(&svc->parked[i].identity);
    svc->parked[i] = svc->parked[--svc->nparked];
}

/* Answers parked fetches that now have events (or whose wait is over). */
void svc_wake_fetchers(sais_svc_t *svc, bool expire_only)
{
    if (svc->nparked == 0)
        return;
    uint64_t head = 0;
    if (!expire_only) {
        head_ctx_t c = {svc->store, 0};
        if (sais_store_read(svc->store, head_fn, &c) != 0)
            return;
        head = c.head;
    }
    int64_t now = sais_clock_ms();
    for (size_t i = 0; i < svc->nparked;) {
        parked_t *p = &svc->parked[i];
        if ((!expire_only && head > p->after) || now >= p->deadline) {
            answer_fetch(svc, p->identity, p->id, p->after, p->max);
            drop_parked(svc, i);
        } else {
            i++;
        }
    }
}

void svc_handle_fetch(sais_svc_t *svc, zframe_t *identity, const Sais__Request *req)
{
    Sais__FetchRequest *fq = sais__fetch_request__unpack(NULL, req->body.len, req->body.data);
    if (!fq) {
        svc_send_problem(svc, identity, req->id, 400, "bad_fetch", "bus.fetch body does not unpack");
        return;
    }
    uint64_t after = fq->after;
    uint32_t max = fq->max ? fq->max : svc->fetch_max;
    uint32_t wait = fq->wait_ms;
    sais__fetch_request__free_unpacked(fq, NULL);

    head_ctx_t c = {svc->store, 0};
    if (sais_store_read(svc->store, head_fn, &c) != 0) {
        svc_send_problem(svc, identity, req->id, 503, "store", "cannot read the event log head");
        return;
    }
    if (c.head > after || wait == 0 || svc->nparked == MAX_PARKED) {
        answer_fetch(svc, identity, req->id, after, max);
        return;
    }
    /* long-poll: park until an event is committed or the wait is over; one parked fetch per
     * consumer identity (a re-sent fetch replaces the old one) */
    for (size_t i = 0; i < svc->nparked; i++)
        if (zframe_eq(svc->parked[i].identity, identity)) {
            drop_parked(svc, i);
            break;
        }
    parked_t *p = &svc->parked[svc->nparked];
    p->identity = zframe_dup(identity);
    if (!p->identity) {
        svc_send_problem(svc, identity, req->id, 503, "memory", "out of memory");
        return;
    }
    snprintf(p->id, sizeof p->id, "%s", req->id);
    p->after = after;
    p->max = max;
    p->deadline = sais_clock_ms() + wait;
    svc->nparked++;
}

/* ---------------------------------------------------------------- consuming */

static int consumer_connect(sais_svc_t *svc, consumer_t *c)
{
    zsock_destroy(&c->dealer);
    /* if this fails (a server certificate gone missing), the loop tries again after
     * resend_after rather than on every turn */
    c->sent_at = sais_clock_ms();
    c->dealer = zsock_new(ZMQ_DEALER);
    if (!c->dealer)
        return -1;
    sais_socket_tune(c->dealer, svc->cfg);
    char err[512];
    if (sais_curve_client(svc->curve, c->dealer, c->producer, err, sizeof err) != 0) {
        sais_error("cannot read producer %s over CURVE: %s", c->producer, err);
        return -1;
    }
    if (zsock_connect(c->dealer, "%s", c->endpoint) != 0) {
        sais_error("cannot connect to producer %s at %s", c->producer, c->endpoint);
        return -1;
    }
    c->inflight = false;
    return 0;
}

static void consumer_send(sais_svc_t *svc, consumer_t *c)
{
    Sais__FetchRequest fq = SAIS__FETCH_REQUEST__INIT;
    Sais__Request req = SAIS__REQUEST__INIT;
    uint8_t fbuf[64];
    fq.after = c->cursor;
    fq.max = c->waiting ? 1 : svc->fetch_max;
    fq.wait_ms = svc->fetch_wait_ms;
    size_t fn = sais__fetch_request__pack(&fq, fbuf);
    snprintf(c->req_id, sizeof c->req_id, "f%llu", (unsigned long long)++svc->fetch_seq);
    req.id = c->req_id;
    req.method = "bus.fetch";
    req.body.data = fbuf;
    req.body.len = fn;
    zframe_t *f = zframe_new(NULL, sais__request__get_packed_size(&req));
    if (!f)
        return;
    sais__request__pack(&req, zframe_data(f));
    if (zframe_send(&f, c->dealer, ZFRAME_DONTWAIT) != 0) {
        zframe_destroy(&f);
        return; /* HWM reached: try again on the next turn of the loop */
    }
    c->inflight = true;
    c->sent_at = sais_clock_ms();
}

typedef struct {
    sais_svc_t             *svc;
    consumer_t             *c;
    const Sais__FetchReply *fr;
    uint64_t                cursor;
    bool                    waiting;   /* out: an event answered SAIS_EV_WAIT */
    size_t                  only;      /* apply fr->events[only] alone; SIZE_MAX: all */
    int                     failed;    /* out: what the event that failed returned (the store
                                          says only -1) */
} apply_ctx_t;

static int apply_fn(MDB_txn *txn, void *vctx)
{
    apply_ctx_t *a = vctx;
    a->waiting = false;   /* the callback runs again after a map growth */
    a->failed = 0;
    uint64_t cur;
    int rc = sais_cursor_get(a->svc->store, txn, a->c->producer, &cur);
    if (rc != 0)
        return rc;
    uint64_t start = cur;
    for (size_t i = a->only == SIZE_MAX ? 0 : a->only; i < a->fr->n_events; i++) {
        if (a->only != SIZE_MAX && i > a->only)
            break;
        const Sais__Envelope *ev = a->fr->events[i];
        if (ev->seq <= cur)
            continue; /* applied before: at-least-once delivery, exactly-once effect */
        if (ev->seq != cur + 1 && cur != 0)
            sais_warn("gap in %s log: %llu after %llu", a->c->producer,
                      (unsigned long long)ev->seq, (unsigned long long)cur);
        if (a->svc->def->on_event) {
            rc = a->svc->def->on_event(a->svc, txn, a->c->producer, ev);
            if (rc == SAIS_EV_WAIT) {
                a->waiting = true;
                break;
            }
            if (rc != 0) {
                a->failed = rc;
                return rc;
            }
        }
        cur = ev->seq;
    }
    a->cursor = cur;
    if (cur == start)
        return SAIS_TXN_ABORT;
    return sais_cursor_set(a->svc->store, txn, a->c->producer, cur);
}

/* Failures no retry can cure: the event itself is at fault (a key longer than LMDB takes, an
 * argument a handler refuses). Anything else (memory, disk, a full map) is retried. */
static bool event_at_fault(int rc)
{
    return rc == MDB_BAD_VALSIZE || rc == EINVAL || rc == ERANGE;
}

typedef struct { sais_svc_t *svc; consumer_t *c; uint64_t seq; } skip_ctx_t;
static int skip_fn(MDB_txn *txn, void *vctx)
{
    skip_ctx_t *k = vctx;
    return sais_skip(k->svc->store, txn, k->c->producer, k->seq);
}

/* After a batch failed: its events one at a time, each in a transaction of its own, up to
 * the first that fails. If no retry could apply it, it is logged and stepped over (counted in
 * bus.status as "skipped"); the events before it are taken, those after it come with the next
 * fetch. false when it failed for a reason worth retrying. */
static bool apply_one_by_one(sais_svc_t *svc, consumer_t *c, const Sais__FetchReply *fr)
{
    for (size_t i = 0; i < fr->n_events; i++) {
        const Sais__Envelope *ev = fr->events[i];
        if (ev->seq <= c->cursor)
            continue;
        apply_ctx_t a = {svc, c, fr, c->cursor, false, i, 0};
        int rc = sais_svc_write(svc, apply_fn, &a);
        if (rc == 0 || rc == SAIS_TXN_ABORT) {
            c->cursor = a.cursor;
            if (a.waiting) {
                c->waiting = true;
                c->retry_at = sais_clock_ms() + SAIS_EV_WAIT_MS;
                return true;
            }
            continue;
        }
        if (!event_at_fault(a.failed))
            return false;
        rc = a.failed;
        skip_ctx_t k = {svc, c, ev->seq};
        if (sais_svc_write(svc, skip_fn, &k) != 0)
            return false;
        sais_error("%s event %llu (%s) cannot be applied (%s) and is skipped: what it said is lost "
                   "to this service", c->producer, (unsigned long long)ev->seq, ev->type,
                   rc > 0 ? strerror(rc) : mdb_strerror(rc));
        c->cursor = ev->seq;
        return true;   /* the next fetch takes the rest in one transaction again */
    }
    return true;
}

typedef struct { sais_svc_t *svc; consumer_t *c; uint64_t head; } diverge_ctx_t;
static int diverge_fn(MDB_txn *txn, void *vctx)
{
    diverge_ctx_t *d = vctx;
    return sais_diverge(d->svc->store, txn, d->c->producer, d->head);
}

/* The producer's log ends before our cursor: it has lost events we took in (restored from an
 * older backup than ours, or its data replaced). Taking what it publishes next would apply
 * new events under numbers we have already taken, and skip the rest without a word; so
 * nothing more is taken from it, and the finding is kept (sais_diverge) for the operator. */
static void diverge(sais_svc_t *svc, consumer_t *c, uint64_t head)
{
    c->diverged = true;
    diverge_ctx_t d = {svc, c, head};
    if (sais_svc_write(svc, diverge_fn, &d) != 0)
        sais_error("the finding below could not be stored; it is made again at the next start");
    sais_error("%s's event log ends at %llu, before this service's cursor %llu: %s has lost events "
               "this service took in (restored from an older backup than this one's, or its data "
               "replaced). Nothing more is taken from %s; restore every service from the same "
               "backup (README \"Backup and restore\")", c->producer, (unsigned long long)head,
               (unsigned long long)c->cursor, c->producer, c->producer);
}

static void on_consumer(sais_svc_t *svc, consumer_t *c)
{
    zframe_t *f = zframe_recv(c->dealer);
    if (!f)
        return;
    Sais__Reply *rep = sais__reply__unpack(NULL, zframe_size(f), zframe_data(f));
    zframe_destroy(&f);
    if (!rep) {
        sais_warn("garbled fetch reply from %s dropped", c->producer);
        return;
    }
    if (strcmp(rep->id, c->req_id) != 0 || !c->inflight) {
        sais__reply__free_unpacked(rep, NULL);
        return; /* the answer to a fetch we already gave up on */
    }
    c->inflight = false;
    if (rep->status != 200) {
        sais_warn("fetch from %s answered %d", c->producer, rep->status);
        c->retry_at = sais_clock_ms() + 500;
        sais__reply__free_unpacked(rep, NULL);
        return;
    }
    Sais__FetchReply *fr = sais__fetch_reply__unpack(NULL, rep->body.len, rep->body.data);
    sais__reply__free_unpacked(rep, NULL);
    if (!fr) {
        sais_warn("garbled fetch body from %s dropped", c->producer);
        c->retry_at = sais_clock_ms() + 500;
        return;
    }
    if (fr->head < c->cursor && !c->diverged) {
        diverge(svc, c, fr->head);
        sais__fetch_reply__free_unpacked(fr, NULL);
        return;
    }
    if (fr->n_events > 0 && !c->diverged) {
        apply_ctx_t a = {svc, c, fr, c->cursor, false, SIZE_MAX, 0};
        int rc = sais_svc_write(svc, apply_fn, &a);
        if (rc == 0 || rc == SAIS_TXN_ABORT) {
            c->cursor = a.cursor;
            c->waiting = a.waiting;
            if (a.waiting)
                c->retry_at = sais_clock_ms() + SAIS_EV_WAIT_MS;
            else if (c->linger_ms && a.cursor >= fr->head)
                /* caught up: what the producer commits meanwhile is taken in one transaction
                 * rather than one per producer commit (under load, the consumer's syncs
                 * competed with the producer's for the disk and the CPU) */
                c->retry_at = sais_clock_ms() + c->linger_ms;
        } else if (!apply_one_by_one(svc, c, fr)) {
            /* retried every second for as long as it fails (a full disk): a few lines a minute */
            unsigned held = 0;
            if (sais_log_allow(c, 6, &held))
                sais_error("applying %zu event(s) of %s failed; retrying%s", fr->n_events, c->producer,
                           held ? " (failed more times last minute than logged)" : "");
            c->retry_at = sais_clock_ms() + 1000;
        }
    }
    sais__fetch_reply__free_unpacked(fr, NULL);
}

typedef struct { sais_svc_t *svc; } cursors_ctx_t;
static int load_cursors_fn(MDB_txn *txn, void *vctx)
{
    cursors_ctx_t *c = vctx;
    for (size_t i = 0; i < c->svc->nconsumers; i++) {
        consumer_t *k = &c->svc->consumers[i];
        uint64_t at;
        int rc = sais_cursor_get(c->svc->store, txn, k->producer, &k->cursor);
        if (rc == 0)
            rc = sais_diverged_get(c->svc->store, txn, k->producer, &k->diverged, &at);
        if (rc != 0)
            return rc;
        if (k->diverged)
            sais_error("%s was found to have lost events this service took in (its log ended at "
                       "%llu, before this service's cursor %llu); nothing is taken from it until "
                       "the services are restored from one backup", k->producer,
                       (unsigned long long)at, (unsigned long long)k->cursor);
    }
    return 0;
}

/* ---------------------------------------------------------------- life cycle */

/* Whether `producer` ("verify", or a city's "330326/verify") is in bus.fetch_prompt. */
static bool is_prompt(const sais_config_t *cfg, const char *producer)
{
    const char *name = strrchr(producer, '/') ? strrchr(producer, '/') + 1 : producer;
    size_t n = strlen(name);
    const char *list = sais_config_get(cfg, "bus.fetch_prompt");
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
    }
    return false;
}

static int svc_start(sais_svc_t *svc, char *err, size_t errlen)
{
    char path[600], key[96];
    const char *dir = sais_config_get(svc->cfg, "data.dir");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "data", svc->def->name);
    if (svc_calls_init(svc) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    svc->store = sais_store_open(path, svc->def->dbis, (size_t)sais_config_int(svc->cfg, "store.map_mb"), err, errlen);
    if (!svc->store)
        return -1;
    sais_curve_note_service(svc->def->name);
    if (sais_curve_new(svc->cfg, svc->def->name, &svc->curve, err, errlen) != 0)
        return -1;
    svc->client = sais_client_new_as(svc->cfg, svc->def->name);
    if (!svc->client) {
        snprintf(err, errlen, "cannot make the request client (see the log)");
        return -1;
    }
    svc->fetch_max = (uint32_t)sais_config_int(svc->cfg, "bus.fetch_max");
    svc->fetch_wait_ms = (uint32_t)sais_config_int(svc->cfg, "bus.fetch_wait_ms");
    svc->max_msg = (size_t)sais_config_int(svc->cfg, "bus.max_msg_mb") << 20;
    if (svc->fetch_max == 0)
        svc->fetch_max = 256;
    if (svc->max_msg == 0)
        svc->max_msg = 64u << 20;
    svc->fetch_bytes = (size_t)sais_config_int(svc->cfg, "bus.fetch_kb") << 10;
    if (svc->fetch_bytes == 0 || svc->fetch_bytes > svc->max_msg / 2)
        svc->fetch_bytes = svc->max_msg / 2;

    for (size_t i = 0; svc->def->consumes && svc->def->consumes[i]; i++) {
        if (svc->nconsumers == MAX_CONSUMES) {
            snprintf(err, errlen, "too many producers");
            return -1;
        }
        consumer_t *c = &svc->consumers[svc->nconsumers++];
        snprintf(c->producer, sizeof c->producer, "%s", svc->def->consumes[i]);
        snprintf(key, sizeof key, "%s.endpoint", c->producer);
        const char *ep = sais_config_get(svc->cfg, key);
        if (!ep || !*ep) {
            snprintf(err, errlen, "no endpoint configured for producer %s", c->producer);
            return -1;
        }
        snprintf(c->endpoint, sizeof c->endpoint, "%s", ep);
    }
    if (svc->def->sources) {
        size_t room = MAX_CONSUMES - svc->nconsumers;
        sais_source_t *src = calloc(room ? room : 1, sizeof *src);
        if (!src) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int n = svc->def->sources(svc->cfg, src, room, err, errlen);
        for (int i = 0; i < n && (size_t)i < room; i++) {
            consumer_t *c = &svc->consumers[svc->nconsumers++];
            snprintf(c->producer, sizeof c->producer, "%s", src[i].name);
            snprintf(c->endpoint, sizeof c->endpoint, "%s", src[i].endpoint);
        }
        free(src);
        if (n < 0)
            return -1;
    }
    int64_t linger = sais_config_int(svc->cfg, "bus.fetch_linger_ms");   /* 0..60000, checked when read */
    for (size_t i = 0; i < svc->nconsumers; i++)
        svc->consumers[i].linger_ms = is_prompt(svc->cfg, svc->consumers[i].producer) ? 0 : (uint32_t)linger;
    cursors_ctx_t cc = {svc};
    if (sais_store_read(svc->store, load_cursors_fn, &cc) != 0) {
        snprintf(err, errlen, "cannot read consumer cursors");
        return -1;
    }
    if (svc->def->on_start && svc->def->on_start(svc, err, errlen) != 0)
        return -1;

    svc->router = zsock_new(ZMQ_ROUTER);
    if (!svc->router) {
        snprintf(err, errlen, "cannot create ROUTER socket");
        return -1;
    }
    sais_socket_tune(svc->router, svc->cfg);
    zsock_set_router_mandatory(svc->router, 1);
    if (sais_curve_server(svc->curve, svc->router, err, errlen) != 0)
        return -1; /* never bind a server that would not authenticate its clients */
    snprintf(key, sizeof key, "%s.endpoint", svc->def->name);
    const char *ep = sais_config_get(svc->cfg, key);
    if (!ep || zsock_bind(svc->router, "%s", ep) == -1) {
        snprintf(err, errlen, "cannot bind %s: %s", ep ? ep : "(no endpoint)", zmq_strerror(zmq_errno()));
        return -1;
    }
    for (size_t i = 0; i < svc->nconsumers; i++)
        if (consumer_connect(svc, &svc->consumers[i]) != 0) {
            snprintf(err, errlen, "cannot connect to %s", svc->consumers[i].producer);
            return -1;
        }
    sais_info("started (%s%s)", ep, svc->curve ? ", CURVE" : "");
    svc_local_register(svc);
    return 0;
}

static void svc_stop(sais_svc_t *svc)
{
    svc_local_unregister(svc);   /* first: waits for reads running on other threads */
    svc_calls_fini(svc);
    for (size_t i = 0; i < svc->nparked; i++)
        zframe_destroy(&svc->parked[i].identity);
    svc->nparked = 0;
    for (size_t i = 0; i < svc->nconsumers; i++)
        zsock_destroy(&svc->consumers[i].dealer);
    if (svc->router) {
        /* unbind first: an inproc:// name is otherwise released only when ZeroMQ gets round
         * to it, and the same service started again in this process could not bind it */
        const char *ep = zsock_endpoint(svc->router);
        if (ep && *ep)
            zsock_unbind(svc->router, "%s", ep);
    }
    zsock_destroy(&svc->router);
    if (svc->def->on_stop)
        svc->def->on_stop(svc);
    sais_client_destroy(&svc->client);
    sais_curve_destroy(&svc->curve); /* after its sockets: may stop the process's zauth */
    sais_store_destroy(&svc->store);
}

/* How long the loop may sleep: until the next consumer's fetch is due, 50 ms at most. */
static int poll_ms(const sais_svc_t *svc, int64_t now)
{
    int64_t wait = 50;
    for (size_t i = 0; i < svc->nconsumers; i++) {
        const consumer_t *c = &svc->consumers[i];
        if (!c->inflight && c->dealer && !c->diverged && c->retry_at - now < wait)
            wait = c->retry_at - now;
    }
    return wait < 0 ? 0 : (int)wait;
}

static void svc_loop(sais_svc_t *svc, zsock_t *pipe)
{
    zpoller_t *poller = zpoller_new(pipe, svc->router, NULL);
    if (!poller)
        return;
    for (size_t i = 0; i < svc->nconsumers; i++)
        zpoller_add(poller, svc->consumers[i].dealer);
    int64_t resend_after = (int64_t)svc->fetch_wait_ms + 3000;
    for (;;) {
        int64_t now = sais_clock_ms();
        for (size_t i = 0; i < svc->nconsumers; i++) {
            consumer_t *c = &svc->consumers[i];
            if (c->inflight && now - c->sent_at > resend_after) {
                /* no answer: the producer may have restarted; a fresh socket means a late
                 * answer to the old fetch can never arrive on the new one */
                sais_warn("no answer from %s for %lld ms; reconnecting", c->producer, (long long)(now - c->sent_at));
                zpoller_remove(poller, c->dealer);
                if (consumer_connect(svc, c) == 0)
                    zpoller_add(poller, c->dealer);
            }
            if (!c->inflight && c->dealer && now >= c->retry_at && !c->diverged)
                consumer_send(svc, c);
        }
        if (svc->def->on_tick && svc->def->tick_ms > 0 && now >= svc->next_tick) {
            svc->next_tick = now + svc->def->tick_ms;
            svc->tick_again = false;
            svc->def->on_tick(svc);
            if (svc->tick_again)
                svc->next_tick = now;
            if (svc->emitted) {
                svc->emitted = false;
                svc_wake_fetchers(svc, false);
            }
        }
        svc_wake_fetchers(svc, true);
        void *which = zpoller_wait(poller, svc->tick_again ? 0 : poll_ms(svc, now));
        if (zpoller_terminated(poller))
            break;
        if (which == pipe) {
            zmsg_t *m = zmsg_recv(pipe);
            char *cmd = m ? zmsg_popstr(m) : NULL;
            bool term = !cmd || strcmp(cmd, "$TERM") == 0;
            free(cmd);
            zmsg_destroy(&m);
            if (term)
                break;
        } else if (which == svc->router) {
            /* drain what is queued, a bounded number per turn so consumers are not starved */
            for (int k = 0; k < SVC_MAX_WJOBS; k++) {
                svc_on_request(svc);
                if (!(zsock_events(svc->router) & ZMQ_POLLIN))
                    break;
            }
            svc_flush_writes(svc);
        } else if (which) {
            for (size_t i = 0; i < svc->nconsumers; i++)
                if (which == svc->consumers[i].dealer)
                    on_consumer(svc, &svc->consumers[i]);
        }
    }
    zpoller_destroy(&poller);
}

typedef struct {
    const sais_service_def_t *def;
    const sais_config_t      *cfg;
} start_args_t;

static void actor_fn(zsock_t *pipe, void *vargs)
{
    start_args_t *args = vargs;
    sais_svc_t *svc = calloc(1, sizeof *svc);
    zsock_signal(pipe, 0);
    char *cmd = zstr_recv(pipe);
    bool start = cmd && strcmp(cmd, "START") == 0;
    free(cmd);
    if (!svc || !start) {
        zsock_send(pipe, "is", -1, "not started");
        free(svc);
        free(args);
        return;
    }
    svc->def = args->def;
    svc->cfg = args->cfg;
    free(args);
    sais_log_set_service(svc->def->name);
    /* `top -H` and perf then show which service a thread is; Linux allows 15 characters */
    char tname[16];
    snprintf(tname, sizeof tname, "sais-%s", svc->def->name);
    (void)pthread_setname_np(pthread_self(), tname);
    char err[512] = "";
    int rc = svc_start(svc, err, sizeof err);
    zsock_send(pipe, "is", rc, err);
    if (rc == 0)
        svc_loop(svc, pipe);
    else
        sais_error("cannot start: %s", err);
    svc_stop(svc);
    free(svc);
    if (rc == 0)
        sais_info("stopped");
}

zactor_t *sais_service_start(const sais_service_def_t *def, const sais_config_t *cfg)
{
    start_args_t *args = malloc(sizeof *args);
    if (!args)
        return NULL;
    args->def = def;
    args->cfg = cfg;
    zactor_t *a = zactor_new(actor_fn, args);
    if (!a) {
        free(args);
        return NULL;
    }
    int rc = -1;
    char *err = NULL;
    if (zstr_send(a, "START") != 0 || zsock_recv(a, "is", &rc, &err) != 0)
        rc = -1;
    if (rc != 0) {
        sais_error("%s: start failed: %s", def->name, err ? err : "?");
        free(err);
        zactor_destroy(&a);
        return NULL;
    }
    free(err);
    return a;
}

void sais_service_stop(zactor_t **actor_p)
{
    zactor_destroy(actor_p);
}
