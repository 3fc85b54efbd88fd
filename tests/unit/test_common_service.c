/* The runtime end to end in one process: a producer service and a consumer service over
 * inproc://, events through the durable log, cursors surviving a restart, idempotency keys,
 * unknown methods and garbled requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sais_bus.h"
#include "sais_clock.h"
#include "sais_log.h"
#include "sais_service.h"
#include <stdatomic.h>
#include "sais_test_support.h"

static const char *const prod_dbis[] = {"items", NULL};
static const char *const cons_dbis[] = {"seen", NULL};

static int put_fn(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *v = sais_req_param(req, "v");
    if (!v)
        return sais_reply_invalid(reply, "v", "missing_field", "v is required");
    uint64_t id;
    int rc = sais_next_id(sais_svc_store(svc), txn, "item", &id);
    if (rc)
        return rc;
    char key[32];
    snprintf(key, sizeof key, "%08llu", (unsigned long long)id);
    if ((rc = sais_put(txn, sais_svc_dbi(svc, "items"), key, strlen(key), v, strlen(v))))
        return rc;
    Sais__Evidence ev = SAIS__EVIDENCE__INIT;
    ev.record_id = key;
    ev.source = (char *)v;
    if ((rc = sais_svc_emit(svc, txn, "item.put", "330326", &ev.base)))
        return rc;
    char body[64];
    int n = snprintf(body, sizeof body, "{\"id\":\"%s\"}", key);
    return sais_reply_bytes(reply, 201, "application/json", body, (size_t)n);
}

/* A PREPARED method: the first call (txn NULL) refuses v = "no" and keeps v for the second,
 * which writes it as put does. */
static void free_str(void *p) { free(p); }
static int prep_fn(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    if (!txn) {
        const char *v = sais_req_param(req, "v");
        if (!v || strcmp(v, "no") == 0)
            return sais_reply_invalid(reply, "v", "out_of_range", "refused before any write");
        reply->user = strdup(v);
        reply->user_free = free_str;
        return reply->user ? 0 : ENOMEM;
    }
    if (!reply->user || strcmp(reply->user, sais_req_param(req, "v")) != 0)
        return sais_reply_problem(reply, 500, "lost", "the prepared state did not reach the write");
    return put_fn(svc, txn, req, reply);
}

static const sais_method_t prod_methods[] = {{"put", SAIS_M_WRITE, put_fn}, {"prep", SAIS_M_PREPARED, prep_fn},
                                             {NULL, 0, NULL}};
static const sais_service_def_t prod_def = {.name = "ingest", .dbis = prod_dbis, .methods = prod_methods};

static int cons_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    (void)producer;
    Sais__Evidence *e = sais__evidence__unpack(NULL, ev->payload.len, ev->payload.data);
    if (!e)
        return 0;
    int rc = sais_put(txn, sais_svc_dbi(svc, "seen"), e->record_id, strlen(e->record_id), e->source, strlen(e->source));
    sais__evidence__free_unpacked(e, NULL);
    return rc;
}

static int count_fn(MDB_txn *txn, void *vctx)
{
    MDB_stat st;
    int rc = mdb_stat(txn, *(MDB_dbi *)((void **)vctx)[1], &st);
    if (rc == 0)
        *(size_t *)((void **)vctx)[0] = st.ms_entries;
    return rc;
}

static int count_seen(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)req;
    MDB_stat st;
    int rc = mdb_stat(txn, sais_svc_dbi(svc, "seen"), &st);
    if (rc)
        return rc;
    char body[32];
    int n = snprintf(body, sizeof body, "%zu", st.ms_entries);
    return sais_reply_bytes(reply, 200, "text/plain", body, (size_t)n);
}
/* READ_ANY: the same count, and whether it ran on the thread that asked (the caller's pthread
 * id as a param; the answer says "here" or "actor") */
static int count_any(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    MDB_stat st;
    int rc = mdb_stat(txn, sais_svc_dbi(svc, "seen"), &st);
    if (rc)
        return rc;
    const char *who = sais_req_param(req, "thread");
    char me[32];
    snprintf(me, sizeof me, "%lu", (unsigned long)pthread_self());
    char body[64];
    int n = snprintf(body, sizeof body, "%zu %s", st.ms_entries, who && strcmp(who, me) == 0 ? "here" : "actor");
    return sais_reply_bytes(reply, 200, "text/plain", body, (size_t)n);
}
static const sais_method_t cons_methods[] = {{"count", SAIS_M_READ, count_seen}, {"count_any", SAIS_M_READ_ANY, count_any},
                                             {NULL, 0, NULL}};
static const char *const cons_consumes[] = {"ingest", NULL};
static const sais_service_def_t cons_def = {.name = "verify", .dbis = cons_dbis, .methods = cons_methods,
                                            .consumes = cons_consumes, .on_event = cons_event};

/* A consumer that answers SAIS_EV_WAIT for the event put with v = "gate" until the test opens
 * the gate (verify's feed.done waits so for the household refreshes a batch owes). */
static atomic_int gate_open;
static int gated_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    Sais__Evidence *e = sais__evidence__unpack(NULL, ev->payload.len, ev->payload.data);
    bool gate = e && strcmp(e->source, "gate") == 0;
    if (e)
        sais__evidence__free_unpacked(e, NULL);
    if (gate && !atomic_load(&gate_open))
        return SAIS_EV_WAIT;
    return cons_event(svc, txn, producer, ev);
}
static const sais_service_def_t gated_def = {.name = "verify", .dbis = cons_dbis, .methods = cons_methods,
                                             .consumes = cons_consumes, .on_event = gated_event};

/* A consumer that counts the transactions its events were applied in (the linger test). */
static atomic_size_t applied_txns;
static atomic_size_t last_txn;
static int counted_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    size_t id = mdb_txn_id(txn);
    if (atomic_exchange(&last_txn, id) != id)
        atomic_fetch_add(&applied_txns, 1);
    return cons_event(svc, txn, producer, ev);
}
static const sais_service_def_t counted_def = {.name = "verify", .dbis = cons_dbis, .methods = cons_methods,
                                               .consumes = cons_consumes, .on_event = counted_event};
/* The same consumer reading ingest the way the city reads a county's: as "330326/ingest". */
static int county_sources(const sais_config_t *cfg, sais_source_t *out, size_t max, char *err, size_t errlen)
{
    if (max < 1) {
        snprintf(err, errlen, "no room");
        return -1;
    }
    snprintf(out[0].name, sizeof out[0].name, "330326/ingest");
    snprintf(out[0].endpoint, sizeof out[0].endpoint, "%s", sais_config_get(cfg, "ingest.endpoint"));
    return 1;
}
static const sais_service_def_t county_def = {.name = "verify", .dbis = cons_dbis, .methods = cons_methods,
                                              .sources = county_sources, .on_event = counted_event};

static char tmpdir[256];

/* The producer and consumer's config, in tmpdir or in its subdirectory `sub` (a fresh store). */
static sais_config_t *make_cfg_in(const char *sub)
{
    static const char *const svcs[] = {"ingest", "verify", NULL};
    char dir[300];
    snprintf(dir, sizeof dir, "%s%s%s", tmpdir, sub ? "/" : "", sub ? sub : "");
    return sais_test_config(dir, NULL, svcs);
}

static int call(sais_client_t *cl, const char *svc, const char *method, const char *v, const char *idem,
                char *out, size_t outlen)
{
    char *body = NULL;
    int status = v ? sais_test_call(cl, svc, method, NULL, idem ? idem : "", NULL, 0, 1000, &body, "v", v, NULL)
                   : sais_test_call(cl, svc, method, NULL, idem ? idem : "", NULL, 0, 1000, &body, NULL);
    if (out && body)
        snprintf(out, outlen, "%s", body);
    free(body);
    return status;
}

static size_t wait_seen(sais_client_t *cl, size_t want)
{
    char out[64] = "";
    for (int i = 0; i < 200; i++) {
        if (call(cl, "verify", "count", NULL, NULL, out, sizeof out) == 200 && (size_t)atol(out) >= want)
            break;
        usleep(20000);
    }
    return (size_t)atol(out);
}

/* A producer, a consumer and a client on one config (the two event-flow tests). */
typedef struct {
    sais_config_t *cfg;
    zactor_t      *prod, *cons;
    sais_client_t *cl;
} pair_t;

static void pair_start(pair_t *p, const char *sub, const sais_service_def_t *cons)
{
    p->cfg = make_cfg_in(sub);
    p->prod = sais_service_start(&prod_def, p->cfg);
    p->cons = sais_service_start(cons, p->cfg);
    assert_non_null(p->prod);
    assert_non_null(p->cons);
    p->cl = sais_client_new(p->cfg);
    assert_non_null(p->cl);
}

static void pair_stop(pair_t *p)
{
    sais_client_destroy(&p->cl);
    sais_service_stop(&p->cons);
    sais_service_stop(&p->prod);
    sais_config_destroy(&p->cfg);
}

static void test_events_flow_and_survive_restart(void **state)
{
    (void)state;
    pair_t pr;
    pair_start(&pr, NULL, &cons_def);
    sais_client_t *cl = pr.cl;
    char out[256];
    for (int i = 0; i < 100; i++)
        assert_int_equal(call(cl, "ingest", "put", "x", NULL, out, sizeof out), 201);
    assert_int_equal(wait_seen(cl, 100), 100);

    /* consumer restart: resumes from its stored cursor, applies nothing twice */
    sais_service_stop(&pr.cons);
    for (int i = 0; i < 50; i++)
        assert_int_equal(call(cl, "ingest", "put", "y", NULL, out, sizeof out), 201);
    pr.cons = sais_service_start(&cons_def, pr.cfg);
    assert_non_null(pr.cons);
    assert_int_equal(wait_seen(cl, 150), 150);
    usleep(300000);
    assert_int_equal(wait_seen(cl, 150), 150);

    /* idempotency: same key and body -> first answer, nothing new; other body -> 409 */
    char first[256], again[256];
    assert_int_equal(call(cl, "ingest", "put", "z", "k1", first, sizeof first), 201);
    assert_int_equal(call(cl, "ingest", "put", "z", "k1", again, sizeof again), 201);
    assert_string_equal(first, again);
    assert_int_equal(call(cl, "ingest", "put", "w", "k1", out, sizeof out), 409);
    assert_int_equal(wait_seen(cl, 151), 151);

    /* unknown method, invalid input, built-ins */
    assert_int_equal(call(cl, "ingest", "nope", NULL, NULL, out, sizeof out), 501);
    /* a problem naming the service and the method (the gateway answers 503 for it) */
    assert_non_null(strstr(out, "\"title\":\"Not Implemented\""));
    assert_non_null(strstr(out, "the ingest service does not implement \\\"nope\\\""));
    assert_int_equal(call(cl, "ingest", "put", NULL, NULL, out, sizeof out), 422);
    assert_int_equal(call(cl, "ingest", "health", NULL, NULL, out, sizeof out), 200);
    assert_int_equal(call(cl, "verify", "bus.status", NULL, NULL, out, sizeof out), 200);
    assert_non_null(strstr(out, "\"ingest\":151"));
    char d1[256], d2[256];
    assert_int_equal(call(cl, "verify", "digest", NULL, NULL, d1, sizeof d1), 200);
    assert_int_equal(call(cl, "verify", "digest", NULL, NULL, d2, sizeof d2), 200);
    assert_string_equal(d1, d2);

    /* a garbled request gets a 400, and the service still serves */
    zsock_t *raw = zsock_new_dealer("inproc://t-ingest");
    assert_non_null(raw);
    zstr_send(raw, "\xff\xff\xff garbage");
    zframe_t *f = zframe_recv(raw);
    assert_non_null(f);
    Sais__Reply *rep = sais__reply__unpack(NULL, zframe_size(f), zframe_data(f));
    assert_non_null(rep);
    assert_int_equal(rep->status, 400);
    sais__reply__free_unpacked(rep, NULL);
    zframe_destroy(&f);
    zsock_destroy(&raw);
    assert_int_equal(call(cl, "ingest", "health", NULL, NULL, out, sizeof out), 200);

    pair_stop(&pr);
}

static void test_event_waits(void **state)
{
    (void)state;
    atomic_store(&gate_open, 0);
    pair_t pr;
    pair_start(&pr, "wait", &gated_def);
    sais_client_t *cl = pr.cl;
    char out[256];
    static const char *const vs[] = {"a", "a", "a", "gate", "b", "b", "b"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(call(cl, "ingest", "put", vs[i], NULL, out, sizeof out), 201);
    /* the events before the gate are applied and committed; the gate and what follows wait,
     * fetched again and again, and the cursor stays before the gate */
    assert_int_equal(wait_seen(cl, 3), 3);
    usleep(300000);
    assert_int_equal(wait_seen(cl, 3), 3);
    assert_int_equal(call(cl, "verify", "bus.status", NULL, NULL, out, sizeof out), 200);
    assert_non_null(strstr(out, "\"ingest\":3"));
    /* a restart while waiting: the same, from the stored cursor */
    sais_service_stop(&pr.cons);
    pr.cons = sais_service_start(&gated_def, pr.cfg);
    assert_non_null(pr.cons);
    usleep(200000);
    assert_int_equal(wait_seen(cl, 3), 3);
    atomic_store(&gate_open, 1);
    assert_int_equal(wait_seen(cl, 7), 7);
    assert_int_equal(call(cl, "verify", "bus.status", NULL, NULL, out, sizeof out), 200);
    assert_non_null(strstr(out, "\"ingest\":7"));
    pair_stop(&pr);
}

/* Sends a request on a raw DEALER without waiting for the answer. */
static void send_req(zsock_t *d, const char *id, const char *method, const char *v, const char *idem)
{
    Sais__Request req = SAIS__REQUEST__INIT;
    Sais__Param p = SAIS__PARAM__INIT, *pp[1] = {&p};
    req.id = (char *)id;
    req.method = (char *)method;
    req.idempotency_key = (char *)(idem ? idem : "");
    if (v) {
        p.key = "v";
        p.value = (char *)v;
        req.params = pp;
        req.n_params = 1;
    }
    zframe_t *f = zframe_new(NULL, sais__request__get_packed_size(&req));
    assert_non_null(f);
    sais__request__pack(&req, zframe_data(f));
    assert_int_equal(zframe_send(&f, d, 0), 0);
}

/* Requests queued together are committed together, each on its own: a refused one, an
 * idempotent retry and a conflicting key inside the same group get what they would alone. */
static void test_writes_are_grouped(void **state)
{
    (void)state;
    sais_config_t *cfg = make_cfg_in("grouped");
    zactor_t *prod = sais_service_start(&prod_def, cfg);
    assert_non_null(prod);
    zsock_t *d = zsock_new_dealer("inproc://t-ingest");
    assert_non_null(d);
    enum { N = 200 };
    int want[N];
    char id[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(id[i], sizeof id[i], "r%d", i);
        switch (i % 10) {
        case 3:  send_req(d, id[i], "put", NULL, NULL), want[i] = 422; break;         /* refused */
        case 4:  send_req(d, id[i], "prep", "no", NULL), want[i] = 422; break;        /* refused in prepare */
        case 5:  send_req(d, id[i], "prep", "p", NULL), want[i] = 201; break;         /* prepared write */
        case 6:  send_req(d, id[i], "put", "k", id[i - 1]), want[i] = 201; break;     /* new key */
        case 7:  send_req(d, id[i], "put", "k", id[i - 2]), want[i] = 201; break;     /* same again */
        case 8:  send_req(d, id[i], "put", "other", id[i - 3]), want[i] = 409; break; /* conflict */
        default: send_req(d, id[i], "put", "x", NULL), want[i] = 201; break;
        }
    }
    char first_of_key[N][64];
    int got = 0, puts = 0;
    while (got < N) {
        zframe_t *f = zframe_recv(d);
        assert_non_null(f);
        Sais__Reply *rep = sais__reply__unpack(NULL, zframe_size(f), zframe_data(f));
        assert_non_null(rep);
        int i = atoi(rep->id + 1);
        if (rep->status != want[i])
            fail_msg("request %s (kind %d): %d, want %d", rep->id, i % 10, rep->status, want[i]);
        if (i % 10 == 6)
            snprintf(first_of_key[i], sizeof first_of_key[i], "%.*s", (int)rep->body.len, (char *)rep->body.data);
        if (i % 10 == 7)
            snprintf(first_of_key[i], sizeof first_of_key[i], "%.*s", (int)rep->body.len, (char *)rep->body.data);
        if (rep->status == 201 && i % 10 != 7)
            puts++;
        sais__reply__free_unpacked(rep, NULL);
        zframe_destroy(&f);
        got++;
    }
    for (int i = 7; i < N; i += 10)
        assert_string_equal(first_of_key[i], first_of_key[i - 1]);   /* the retry got the first answer */
    /* every write that was answered 201 (retries aside) is in the store, each once */
    sais_client_t *cl = sais_client_new(cfg);
    char out[256];
    assert_int_equal(call(cl, "ingest", "put", "last", NULL, out, sizeof out), 201);
    char want_id[32];
    snprintf(want_id, sizeof want_id, "{\"id\":\"%08d\"}", puts + 1);
    assert_string_equal(out, want_id);
    sais_client_destroy(&cl);
    zsock_destroy(&d);
    sais_service_stop(&prod);
    sais_config_destroy(&cfg);
}

/* READ_ANY methods run on the caller's thread when the service is in this process and
 * bus.local_reads is on, on the actor otherwise, with the same answer; readers on several
 * threads while the service stops get an answer or SAIS_CALL_DOWN/TIMEOUT, never a crash. */
typedef struct { sais_client_t *cl; int ok, other; } reader_t;
static void *reader(void *arg)
{
    reader_t *r = arg;
    char me[32];
    snprintf(me, sizeof me, "%lu", (unsigned long)pthread_self());
    for (int i = 0; i < 300; i++) {
        char *body = NULL;
        int st = sais_test_call(r->cl, "verify", "count_any", NULL, NULL, NULL, 0, 200, &body, "thread", me, NULL);
        free(body);
        if (st != 200) {   /* the service has stopped: once is enough */
            r->other++;
            break;
        }
        r->ok++;
    }
    return NULL;
}

static void local_reads_case(bool on)
{
    static const char *const svcs[] = {"ingest", "verify", NULL};
    char dir[300], err[200];
    snprintf(dir, sizeof dir, "%s/local-%s", tmpdir, on ? "on" : "off");
    sais_config_t *cfg = sais_test_config(dir, NULL, svcs);
    assert_int_equal(sais_config_set(cfg, "bus.local_reads", on ? "on" : "off", err, sizeof err), 0);
    zactor_t *prod = sais_service_start(&prod_def, cfg);
    zactor_t *cons = sais_service_start(&cons_def, cfg);
    assert_non_null(prod);
    assert_non_null(cons);
    sais_client_t *cl = sais_client_new(cfg);
    assert_int_equal(call(cl, "ingest", "put", "a", NULL, NULL, 0), 201);
    assert_int_equal(wait_seen(cl, 1), 1);
    char me[32], *body = NULL;
    snprintf(me, sizeof me, "%lu", (unsigned long)pthread_self());
    sais_log_set_service("tester");
    sais_log_set_request("req-1");
    assert_int_equal(sais_test_call(cl, "verify", "count_any", NULL, NULL, NULL, 0, 1000, &body, "thread", me, NULL), 200);
    assert_string_equal(body, on ? "1 here" : "1 actor");
    free(body);
    /* the caller's log context is its own again after a handler ran on its thread */
    char ctx_svc[SAIS_LOG_SERVICE_MAX], ctx_req[SAIS_LOG_REQUEST_MAX];
    sais_log_get_context(ctx_svc, ctx_req);
    assert_string_equal(ctx_svc, "tester");
    assert_string_equal(ctx_req, "req-1");
    sais_log_set_service(NULL);
    sais_log_set_request(NULL);
    /* an ordinary READ still goes to the actor */
    char out[64];
    assert_int_equal(call(cl, "verify", "count", NULL, NULL, out, sizeof out), 200);
    assert_string_equal(out, "1");
    /* readers on four threads, and the service stopped under them */
    reader_t r[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (reader_t){cl, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, reader, &r[i]), 0);
    }
    usleep(20000);
    sais_service_stop(&cons);
    int ok = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].ok;
        assert_true(r[i].other <= 1 && r[i].ok + r[i].other <= 300);
    }
    assert_true(ok > 0);
    /* after the stop nothing answers in this process any more */
    body = NULL;
    int st = sais_test_call(cl, "verify", "count_any", NULL, NULL, NULL, 0, 100, &body, "thread", me, NULL);
    assert_true(st == SAIS_CALL_DOWN || st == SAIS_CALL_TIMEOUT);
    free(body);
    sais_client_destroy(&cl);
    sais_service_stop(&prod);
    sais_config_destroy(&cfg);
}

static void test_local_reads(void **state)
{
    (void)state;
    local_reads_case(true);
    local_reads_case(false);
}

/* One producer and a counting consumer with bus.fetch_linger_ms 400 and bus.fetch_prompt
 * `prompt`: the time until the first event after a quiet spell is seen, and the number of
 * transactions the consumer applies twenty producer commits in. */
static void linger_case(const char *sub, const sais_service_def_t *cons, const char *prompt, int64_t *first_ms,
                        size_t *txns)
{
    pair_t pr;
    pr.cfg = make_cfg_in(sub);
    sais_test_set(pr.cfg, "bus.fetch_linger_ms", "400");
    sais_test_set(pr.cfg, "bus.fetch_prompt", prompt);
    pr.prod = sais_service_start(&prod_def, pr.cfg);
    pr.cons = sais_service_start(cons, pr.cfg);
    assert_non_null(pr.prod);
    assert_non_null(pr.cons);
    pr.cl = sais_client_new(pr.cfg);
    assert_non_null(pr.cl);
    char out[256];
    usleep(300000); /* past the first (empty) fetch: the consumer's fetch is parked */
    int64_t t0 = sais_clock_ms();
    assert_int_equal(call(pr.cl, "ingest", "put", "first", NULL, out, sizeof out), 201);
    assert_int_equal(wait_seen(pr.cl, 1), 1);
    *first_ms = sais_clock_ms() - t0;
    size_t before = atomic_load(&applied_txns);
    for (int i = 0; i < 20; i++)
        assert_int_equal(call(pr.cl, "ingest", "put", "stream", NULL, out, sizeof out), 201);
    assert_int_equal(wait_seen(pr.cl, 21), 21);
    *txns = atomic_load(&applied_txns) - before;
    print_message("fetch_prompt \"%s\": first event seen after %lld ms; 20 events applied in %zu transaction(s)\n",
                  prompt, (long long)*first_ms, *txns);
    pair_stop(&pr);
}

/* bus.fetch_linger_ms: a consumer that has caught up waits before fetching again, so that a
 * stream of producer commits is applied in a few transactions, not one each; the first event
 * after a quiet spell still comes at once (the parked fetch answers it). A producer named in
 * bus.fetch_prompt is followed at once: about one transaction per commit. */
static void test_caught_up_consumer_lingers(void **state)
{
    (void)state;
    int64_t first_ms;
    size_t txns;
    linger_case("linger", &counted_def, "verify, warn", &first_ms, &txns);
    assert_true(first_ms < 300);
    assert_true(txns >= 1 && txns <= 3);
    linger_case("prompt", &counted_def, " warn,ingest", &first_ms, &txns);
    assert_true(first_ms < 300);
    assert_true(txns > 3);
    /* a county's producer, as the city names it, is matched by its service name */
    linger_case("county", &county_def, "ingest", &first_ms, &txns);
    assert_true(txns > 3);
    linger_case("county-linger", &county_def, "verify", &first_ms, &txns);
    assert_true(txns >= 1 && txns <= 3);

    /* a linger out of range is refused when the config is read, naming the key (a negative
     * one wrapped to a linger of weeks) */
    sais_config_t *cfg = make_cfg_in("bad-linger");
    char err[160];
    assert_int_equal(sais_config_set(cfg, "bus.fetch_linger_ms", "-5", err, sizeof err), -1);
    assert_string_equal(err, "bus.fetch_linger_ms: '-5' is out of range: it takes 0 to 60000");
    sais_config_destroy(&cfg);
}

typedef struct { int calls; } grow_ctx_t;
static int big_write(MDB_txn *txn, void *vctx)
{
    MDB_dbi dbi = *(MDB_dbi *)vctx;
    static char blob[4096];
    for (int i = 0; i < 3000; i++) {
        char key[16];
        snprintf(key, sizeof key, "%08d", i);
        int rc = sais_put(txn, dbi, key, strlen(key), blob, sizeof blob);
        if (rc)
            return rc;
    }
    return 0;
}

static void test_store_grows_on_map_full(void **state)
{
    (void)state;
    char dir[300], err[256];
    snprintf(dir, sizeof dir, "%s/grow", tmpdir);
    const char *const dbis[] = {"blobs", NULL};
    sais_store_t *st = sais_store_open(dir, dbis, 1, err, sizeof err);
    assert_non_null(st);
    MDB_dbi dbi = sais_store_dbi(st, "blobs");
    /* 3000 x 4 KiB does not fit in 1 MiB: the store must grow and redo, not fail */
    assert_int_equal(sais_store_write(st, big_write, &dbi), 0);
    size_t n = 0;
    void *ctx[2] = {&n, &dbi};
    assert_int_equal(sais_store_read(st, count_fn, ctx), 0);
    assert_int_equal(n, 3000);
    uint64_t used, size;
    assert_int_equal(sais_store_usage(st, &used, &size), 0);
    assert_true(size > (1u << 20));
    sais_store_destroy(&st);
    assert_null(st);
}

int main(void)
{
    if (sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "test-service") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_grows_on_map_full),
        cmocka_unit_test(test_events_flow_and_survive_restart),
        cmocka_unit_test(test_event_waits),
        cmocka_unit_test(test_writes_are_grouped),
        cmocka_unit_test(test_local_reads),
        cmocka_unit_test(test_caught_up_consumer_lingers),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (sais_test_tmpdir_remove(tmpdir) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
