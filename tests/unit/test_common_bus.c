/* sais_bus: events appended in the state change's transaction (and gone with it when it
 * aborts), seqs from 1 in order, fetches after a cursor bounded by count and bytes, cursors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sais_bus.h"

static char dir[256];

typedef struct { sais_store_t *st; int n; size_t size; int ret; } app_t;
static int append_fn(MDB_txn *txn, void *vctx)
{
    app_t *a = vctx;
    char *payload = calloc(1, a->size ? a->size : 1);
    int rc = 0;
    for (int i = 0; i < a->n && rc == 0; i++)
        rc = sais_bus_append(a->st, txn, "ingest", "fact.batch", "330326", NULL, payload, a->size, NULL);
    free(payload);
    return rc ? rc : a->ret;
}

typedef struct { sais_store_t *st; uint64_t v; int set; } cur_t;
static int cursor_fn(MDB_txn *txn, void *vctx)
{
    cur_t *c = vctx;
    return c->set ? sais_cursor_set(c->st, txn, "ingest", c->v) : sais_cursor_get(c->st, txn, "ingest", &c->v);
}

static void test_append_fetch_cursor(void **state)
{
    (void)state;
    char err[256];
    sais_store_t *st = sais_store_open(dir, NULL, 8, err, sizeof err);
    assert_non_null(st);

    app_t a = {st, 10, 100, 0};
    assert_int_equal(sais_store_write(st, append_fn, &a), 0);
    app_t gone = {st, 5, 100, SAIS_TXN_ABORT};
    assert_int_equal(sais_store_write(st, append_fn, &gone), SAIS_TXN_ABORT);

    Sais__FetchReply fr;
    assert_int_equal(sais_bus_fetch(st, 0, 100, 1 << 20, &fr), 0);
    assert_int_equal(fr.n_events, 10);            /* the aborted five never existed */
    assert_int_equal(fr.head, 10);
    for (size_t i = 0; i < fr.n_events; i++) {
        assert_int_equal(fr.events[i]->seq, i + 1);
        assert_string_equal(fr.events[i]->type, "fact.batch");
        assert_string_equal(fr.events[i]->producer, "ingest");
        assert_int_equal(fr.events[i]->payload.len, 100);
    }
    sais_bus_fetch_free(&fr);

    assert_int_equal(sais_bus_fetch(st, 7, 100, 1 << 20, &fr), 0);
    assert_int_equal(fr.n_events, 3);
    assert_int_equal(fr.events[0]->seq, 8);
    sais_bus_fetch_free(&fr);
    assert_int_equal(sais_bus_fetch(st, 4, 2, 1 << 20, &fr), 0);
    assert_int_equal(fr.n_events, 2);
    sais_bus_fetch_free(&fr);
    assert_int_equal(sais_bus_fetch(st, 0, 100, 300, &fr), 0);
    assert_int_equal(fr.n_events, 2);             /* about max_bytes, at least one */
    sais_bus_fetch_free(&fr);
    assert_int_equal(sais_bus_fetch(st, 0, 100, 1, &fr), 0);
    assert_int_equal(fr.n_events, 1);
    sais_bus_fetch_free(&fr);
    assert_int_equal(sais_bus_fetch(st, 10, 100, 1 << 20, &fr), 0);
    assert_int_equal(fr.n_events, 0);
    assert_int_equal(fr.head, 10);
    sais_bus_fetch_free(&fr);

    cur_t c = {st, 0, 0};
    assert_int_equal(sais_store_read(st, cursor_fn, &c), 0);
    assert_int_equal(c.v, 0);
    cur_t s = {st, 7, 1};
    assert_int_equal(sais_store_write(st, cursor_fn, &s), 0);
    assert_int_equal(sais_store_read(st, cursor_fn, &c), 0);
    assert_int_equal(c.v, 7);
    sais_store_destroy(&st);

    /* the log and the cursor survive a reopen; appends continue the sequence */
    st = sais_store_open(dir, NULL, 8, err, sizeof err);
    assert_non_null(st);
    app_t more = {st, 1, 10, 0};
    assert_int_equal(sais_store_write(st, append_fn, &more), 0);
    assert_int_equal(sais_bus_fetch(st, 10, 100, 1 << 20, &fr), 0);
    assert_int_equal(fr.n_events, 1);
    assert_int_equal(fr.events[0]->seq, 11);
    sais_bus_fetch_free(&fr);
    c.st = st;
    assert_int_equal(sais_store_read(st, cursor_fn, &c), 0);
    assert_int_equal(c.v, 7);
    sais_store_destroy(&st);
}

typedef struct { sais_store_t *st; const char *producer; int set; uint64_t head; bool d; uint64_t at; } diverged_ctx_t;
static int diverge_fn(MDB_txn *txn, void *vctx)
{
    diverged_ctx_t *c = vctx;
    if (c->set) return sais_diverge(c->st, txn, c->producer, c->head);
    return sais_diverged_get(c->st, txn, c->producer, &c->d, &c->at);
}

/* A producer found behind the cursor stays found, at the head it was found at, 0 included;
 * another producer is not touched. */
static void test_diverged(void **state)
{
    (void)state;
    char err[256];
    sais_store_t *st = sais_store_open(dir, NULL, 8, err, sizeof err);
    assert_non_null(st);
    diverged_ctx_t q = {st, "ingest", 0, 0, true, 9};
    assert_int_equal(sais_store_read(st, diverge_fn, &q), 0);
    assert_false(q.d);
    assert_int_equal(q.at, 0);
    diverged_ctx_t w = {st, "ingest", 1, 0, false, 0};   /* a log found empty */
    assert_int_equal(sais_store_write(st, diverge_fn, &w), 0);
    diverged_ctx_t w2 = {st, "330326/verify", 1, 41, false, 0};
    assert_int_equal(sais_store_write(st, diverge_fn, &w2), 0);
    assert_int_equal(sais_store_read(st, diverge_fn, &q), 0);
    assert_true(q.d);
    assert_int_equal(q.at, 0);
    diverged_ctx_t q2 = {st, "330326/verify", 0, 0, false, 0};
    assert_int_equal(sais_store_read(st, diverge_fn, &q2), 0);
    assert_true(q2.d);
    assert_int_equal(q2.at, 41);
    diverged_ctx_t q3 = {st, "rules", 0, 0, true, 1};
    assert_int_equal(sais_store_read(st, diverge_fn, &q3), 0);
    assert_false(q3.d);
    sais_store_destroy(&st);
}

typedef struct {
    sais_store_t *st;
} src_t;

static int sourced_fn(MDB_txn *txn, void *vctx)
{
    src_t *c = vctx;
    Sais__Evidence e = SAIS__EVIDENCE__INIT;   /* any message will do as the payload */
    e.source = "hrss";
    uint8_t buf[64];
    size_t n = sais__evidence__pack(&e, buf);
    const char *economic[] = {"hrss", "medical"}, *registry[] = {"medical", "hukou"};
    int rc = sais_bus_append_sourced(c->st, txn, "verify", "household.changed", "330326", economic, 2, buf, n);
    if (rc == 0)
        rc = sais_bus_append_sourced(c->st, txn, "verify", "household.changed", "330326", registry, 2, buf, n);
    if (rc == 0)
        rc = sais_bus_append_pb(c->st, txn, "verify", "household.changed", "330326", NULL, &e.base, NULL);
    return rc;
}

/* A consumer that keeps registry facts passes over an event whose sources are all economic;
 * one that names no sources (an older producer) is always looked at. */
static void test_sourced_events(void **state)
{
    (void)state;
    char err[256], sub[300];
    snprintf(sub, sizeof sub, "%s-sourced", dir);
    sais_store_t *st = sais_store_open(sub, NULL, 8, err, sizeof err);
    assert_non_null(st);
    src_t c = {st};
    assert_int_equal(sais_store_write(st, sourced_fn, &c), 0);
    Sais__FetchReply fr;
    assert_int_equal(sais_bus_fetch(st, 0, 100, 1 << 20, &fr), 0);
    assert_int_equal(fr.n_events, 3);
    assert_int_equal(fr.events[0]->n_sources, 2);
    assert_string_equal(fr.events[0]->sources[1], "medical");
    const char *const registry[] = {"hukou", "civil", "justice", NULL};
    assert_false(sais_bus_sourced_by(fr.events[0], registry));
    assert_true(sais_bus_sourced_by(fr.events[1], registry));
    assert_int_equal(fr.events[2]->n_sources, 0);
    assert_true(sais_bus_sourced_by(fr.events[2], registry));
    Sais__Evidence *back = sais__evidence__unpack(NULL, fr.events[0]->payload.len, fr.events[0]->payload.data);
    assert_non_null(back);
    assert_string_equal(back->source, "hrss");
    sais__evidence__free_unpacked(back, NULL);
    sais_bus_fetch_free(&fr);
    sais_store_destroy(&st);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", sub);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sais-test-bus-%d", (int)getpid());
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_append_fetch_cursor),
                                       cmocka_unit_test(test_sourced_events),
                                       cmocka_unit_test(test_diverged)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return rc;
}
