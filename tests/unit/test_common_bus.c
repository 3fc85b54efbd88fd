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

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sais-test-bus-%d", (int)getpid());
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_append_fetch_cursor)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return rc;
}
