/* sais_store: writes commit or abort as the callback says, the map grows on MDB_MAP_FULL and
 * the callback is redone from the start, the digest covers domain databases only and does not
 * depend on write order, counters, protobuf values, stale readers after a crash; an index
 * added later is built once from its primary table (sais_index). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sais_index.h"
#include "sais_store.h"
#include "envelope.pb-c.h"

static char dir[256];
static const char *const dbis[] = {"a", "b", NULL};

static sais_store_t *open_store(const char *sub, size_t map_mb)
{
    char path[320], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    sais_store_t *st = sais_store_open(path, dbis, map_mb, err, sizeof err);
    if (!st)
        fail_msg("open: %s", err);
    return st;
}

typedef struct { sais_store_t *st; const char *db; const char *k; const char *v; int ret; int calls; } put_t;
static int put_fn(MDB_txn *txn, void *vctx)
{
    put_t *p = vctx;
    p->calls++;
    int rc = sais_put(txn, sais_store_dbi(p->st, p->db), p->k, strlen(p->k), p->v, strlen(p->v));
    return rc ? rc : p->ret;
}
typedef struct { sais_store_t *st; const char *db; const char *k; char out[64]; int rc; } get_t;
static int get_fn(MDB_txn *txn, void *vctx)
{
    get_t *g = vctx;
    MDB_val v;
    g->rc = sais_get(txn, sais_store_dbi(g->st, g->db), g->k, strlen(g->k), &v);
    if (g->rc == 0)
        snprintf(g->out, sizeof g->out, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
    return 0;
}

static void test_commit_and_abort(void **state)
{
    (void)state;
    sais_store_t *st = open_store("commit", 8);
    put_t p = {st, "a", "k1", "v1", 0, 0};
    assert_int_equal(sais_store_write(st, put_fn, &p), 0);
    put_t q = {st, "a", "k2", "v2", SAIS_TXN_ABORT, 0};
    assert_int_equal(sais_store_write(st, put_fn, &q), SAIS_TXN_ABORT);
    put_t e = {st, "a", "k3", "v3", -1, 0};
    assert_int_equal(sais_store_write(st, put_fn, &e), -1);
    get_t g = {st, "a", "k1", "", 0};
    sais_store_read(st, get_fn, &g);
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.out, "v1");
    get_t g2 = {st, "a", "k2", "", 0};
    sais_store_read(st, get_fn, &g2);
    assert_int_equal(g2.rc, MDB_NOTFOUND);
    get_t g3 = {st, "a", "k3", "", 0};
    sais_store_read(st, get_fn, &g3);
    assert_int_equal(g3.rc, MDB_NOTFOUND);
    sais_store_destroy(&st);
    assert_null(st);
    sais_store_destroy(&st);
}

typedef struct { sais_store_t *st; int calls; int n; } fill_t;
static int fill_fn(MDB_txn *txn, void *vctx)
{
    fill_t *f = vctx;
    static char blob[8192];
    f->calls++;
    for (int i = 0; i < f->n; i++) {
        char k[16];
        snprintf(k, sizeof k, "%06d", i);
        int rc = sais_put(txn, sais_store_dbi(f->st, "b"), k, strlen(k), blob, sizeof blob);
        if (rc)
            return rc;
    }
    return 0;
}

static void test_map_full_redoes_the_whole_txn(void **state)
{
    (void)state;
    sais_store_t *st = open_store("grow", 1);
    fill_t f = {st, 0, 1000};  /* 8 MiB of values in a 1 MiB map */
    assert_int_equal(sais_store_write(st, fill_fn, &f), 0);
    assert_true(f.calls > 1);  /* redone after each growth, never half-committed */
    uint64_t used, size;
    assert_int_equal(sais_store_usage(st, &used, &size), 0);
    assert_true(size >= (8u << 20));
    sais_store_destroy(&st);
    /* reopening keeps the grown map and every value */
    st = open_store("grow", 1);
    get_t g = {st, "b", "000999", "", 0};
    sais_store_read(st, get_fn, &g);
    assert_int_equal(g.rc, 0);
    sais_store_destroy(&st);
}

static void test_digest(void **state)
{
    (void)state;
    sais_store_t *x = open_store("dx", 8), *y = open_store("dy", 8);
    char hx[65], hy[65];
    put_t p1 = {x, "a", "k1", "v1", 0, 0}, p2 = {x, "b", "k2", "v2", 0, 0};
    put_t q2 = {y, "b", "k2", "v2", 0, 0}, q1 = {y, "a", "k1", "v1", 0, 0};
    sais_store_write(x, put_fn, &p1);
    sais_store_write(x, put_fn, &p2);
    sais_store_write(y, put_fn, &q2);
    sais_store_write(y, put_fn, &q1);
    assert_int_equal(sais_store_digest(x, hx), 0);
    assert_int_equal(sais_store_digest(y, hy), 0);
    assert_string_equal(hx, hy);           /* order of writes does not matter */
    put_t meta = {y, "_meta", "n", "1", 0, 0};
    sais_store_write(y, put_fn, &meta);
    sais_store_digest(y, hy);
    assert_string_equal(hx, hy);           /* runtime databases are left out */
    put_t other = {y, "a", "k1", "changed", 0, 0};
    sais_store_write(y, put_fn, &other);
    sais_store_digest(y, hy);
    assert_string_not_equal(hx, hy);       /* a changed value shows */
    put_t moved = {x, "b", "k1", "v1", 0, 0};
    sais_store_write(x, put_fn, &moved);
    sais_store_digest(x, hx);
    sais_store_digest(y, hy);
    assert_string_not_equal(hx, hy);
    sais_store_destroy(&x);
    sais_store_destroy(&y);
}

typedef struct { sais_store_t *st; uint64_t ids[3]; } ids_t;
static int ids_fn(MDB_txn *txn, void *vctx)
{
    ids_t *c = vctx;
    for (int i = 0; i < 3; i++) {
        int rc = sais_next_id(c->st, txn, "thing", &c->ids[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int pb_fn(MDB_txn *txn, void *vctx)
{
    sais_store_t *st = vctx;
    Sais__Evidence e = SAIS__EVIDENCE__INIT;
    e.source = "medical";
    e.record_id = "m-1";
    int rc = sais_put_pb(txn, sais_store_dbi(st, "a"), "pb", 2, &e.base);
    if (rc)
        return rc;
    Sais__Evidence *back = NULL;
    rc = sais_get_pb(txn, sais_store_dbi(st, "a"), "pb", 2, &sais__evidence__descriptor, (ProtobufCMessage **)&back);
    if (rc)
        return rc;
    int same = strcmp(back->record_id, "m-1") == 0;
    sais__evidence__free_unpacked(back, NULL);
    ProtobufCMessage *missing = NULL;
    if (sais_get_pb(txn, sais_store_dbi(st, "a"), "none", 4, &sais__evidence__descriptor, &missing) != MDB_NOTFOUND)
        return -1;
    /* a value that is not a protobuf of that type is reported, not crashed on */
    rc = sais_put(txn, sais_store_dbi(st, "a"), "junk", 4, "\xff\xff\xff\xff", 4);
    if (rc)
        return rc;
    if (sais_get_pb(txn, sais_store_dbi(st, "a"), "junk", 4, &sais__evidence__descriptor, &missing) != MDB_CORRUPTED)
        return -1;
    return same ? 0 : -1;
}

static void test_counters_and_protobuf(void **state)
{
    (void)state;
    sais_store_t *st = open_store("ids", 8);
    ids_t c = {st, {0}};
    assert_int_equal(sais_store_write(st, ids_fn, &c), 0);
    assert_int_equal(c.ids[0], 1);
    assert_int_equal(c.ids[2], 3);
    assert_int_equal(sais_store_write(st, ids_fn, &c), 0);
    assert_int_equal(c.ids[0], 4);
    assert_int_equal(sais_store_write(st, pb_fn, st), 0);
    unsigned char b[8];
    sais_be64(0x0102030405060708ull, b);
    assert_int_equal(b[0], 1);
    assert_int_equal(sais_from_be64(b), 0x0102030405060708ull);
    sais_store_destroy(&st);
}

static int hold_fn(MDB_txn *txn, void *vctx)
{
    (void)txn;
    (void)vctx;
    _exit(0); /* die with a read transaction open: its reader slot is left behind */
}

static void test_stale_readers_cleared(void **state)
{
    (void)state;
    sais_store_t *st = open_store("stale", 8);
    sais_store_destroy(&st);
    pid_t pid = fork();
    if (pid == 0) {
        sais_store_t *c = open_store("stale", 8);
        sais_store_read(c, hold_fn, NULL);
        _exit(1);
    }
    int status;
    waitpid(pid, &status, 0);
    st = open_store("stale", 8);  /* logs "cleared 1 stale reader slot(s)" */
    put_t p = {st, "a", "after", "crash", 0, 0};
    assert_int_equal(sais_store_write(st, put_fn, &p), 0);
    sais_store_destroy(&st);
}

static int get_raw_fn(MDB_txn *txn, void *vctx)
{
    get_t *g = vctx;
    MDB_val v;
    g->rc = sais_get(txn, sais_store_dbi(g->st, g->db), g->k, strlen(g->k), &v);
    if (g->rc == 0 && v.mv_size == 8)
        memcpy(g->out, v.mv_data, 8);
    else if (g->rc == 0)
        g->rc = -1;
    return 0;
}

/* Sets "store.format" in _meta behind the store's back, as a newer SAIS would have. */
static void set_format_raw(const char *sub, const void *val, size_t len)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "_meta", 0, &meta), 0);
    MDB_val k = {12, "store.format"}, v = {len, (void *)val};
    assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_format_stamp(void **state)
{
    (void)state;
    sais_store_t *st = open_store("format", 8);   /* a new store is stamped */
    get_t g = {st, "_meta", "store.format", "", 0};
    assert_int_equal(sais_store_read(st, get_raw_fn, &g), 0);
    assert_int_equal(g.rc, 0);
    assert_int_equal(sais_from_be64((const unsigned char *)g.out), SAIS_STORE_FORMAT);
    sais_store_destroy(&st);

    /* this code's own format, and an older store without a stamp, open */
    unsigned char b[8];
    sais_be64(SAIS_STORE_FORMAT, b);
    set_format_raw("format", b, 8);
    st = open_store("format", 8);
    sais_store_destroy(&st);

    /* a newer format is refused, naming both */
    sais_be64(SAIS_STORE_FORMAT + 1, b);
    set_format_raw("format", b, 8);
    char path[320], err[320];
    snprintf(path, sizeof path, "%s/format", dir);
    assert_null(sais_store_open(path, dbis, 8, err, sizeof err));
    char want[64];
    snprintf(want, sizeof want, "format %d, written by a newer SAIS", SAIS_STORE_FORMAT + 1);
    if (!strstr(err, want))
        fail_msg("%s", err);
    snprintf(want, sizeof want, "reads format %d at most", SAIS_STORE_FORMAT);
    assert_non_null(strstr(err, want));

    /* a damaged stamp too */
    set_format_raw("format", "x", 1);
    assert_null(sais_store_open(path, dbis, 8, err, sizeof err));
    assert_non_null(strstr(err, "format stamp is damaged"));
}

typedef struct { sais_store_t *st; int id; int n; } gw_t;
static int grouped_put(MDB_txn *txn, void *vctx)
{
    int *kv = vctx;
    char k[32];
    snprintf(k, sizeof k, "t%02d-%04d", kv[0], kv[1]);
    int rc = sais_put(txn, sais_store_dbi(*(sais_store_t **)(kv + 2), "a"), k, strlen(k), "v", 1);
    if (rc)
        return rc;
    return kv[1] % 10 == 7 ? SAIS_TXN_ABORT : 0; /* every tenth asks to be undone */
}

static void *grouped_writer(void *vw)
{
    gw_t *w = vw;
    for (int i = 0; i < w->n; i++) {
        int kv[2 + sizeof(sais_store_t *) / sizeof(int) + 1];
        kv[0] = w->id;
        kv[1] = i;
        memcpy(kv + 2, &w->st, sizeof w->st);
        int rc = sais_store_write_grouped(w->st, grouped_put, kv);
        if (rc != (i % 10 == 7 ? SAIS_TXN_ABORT : 0))
            return (void *)1;
    }
    return NULL;
}

static int count_a(MDB_txn *txn, void *vctx)
{
    void **c = vctx;
    MDB_stat st;
    int rc = mdb_stat(txn, sais_store_dbi(c[0], "a"), &st);
    *(size_t *)c[1] = st.ms_entries;
    return rc;
}

static void test_group_commit(void **state)
{
    (void)state;
    sais_store_t *st = open_store("group", 1);   /* small: the batches must also survive growth */
    enum { T = 8, N = 300 };
    pthread_t th[T];
    gw_t w[T];
    for (int i = 0; i < T; i++) {
        w[i] = (gw_t){st, i, N};
        assert_int_equal(pthread_create(&th[i], NULL, grouped_writer, &w[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    size_t n = 0;
    void *c[2] = {st, &n};
    assert_int_equal(sais_store_read(st, count_a, c), 0);
    assert_int_equal(n, T * N - T * (N / 10));   /* the undone ones are gone, the rest all there */
    sais_store_destroy(&st);
}

/* Index key: value "hh:id" -> "hh\0id"; a value without ':' is left out. */
static size_t idx_key(const MDB_val *k, const MDB_val *v, char *out, size_t outlen)
{
    (void)k;
    char buf[64];
    if (v->mv_size >= sizeof buf)
        return 0;
    memcpy(buf, v->mv_data, v->mv_size);
    buf[v->mv_size] = '\0';
    char *colon = strchr(buf, ':');
    if (!colon)
        return 0;
    *colon = '\0';
    return sais_index_pair(out, outlen, buf, colon + 1);
}

typedef struct { sais_store_t *st; const char *k; size_t klen; int rc; } bin_get_t;
static int bin_get_fn(MDB_txn *txn, void *vctx)
{
    bin_get_t *g = vctx;
    MDB_val v;
    g->rc = sais_get(txn, sais_store_dbi(g->st, "b"), g->k, g->klen, &v);
    return 0;
}

/* Collects the ids a walk hands over: of the index "b" under prefix, or of table "a" when
 * prefix is NULL; stops after `stop_after` (0: never), reports damage at the first when bad. */
typedef struct { sais_store_t *st; const char *prefix; const char *after; char seen[128]; int stop_after; int bad; int rc; int n; } walk_t;
static int walk_cb(const MDB_val *k, const MDB_val *v, void *ctx)
{
    (void)v;
    walk_t *w = ctx;
    if (w->bad)
        return -1;
    size_t l = strlen(w->seen);
    snprintf(w->seen + l, sizeof w->seen - l, "%.*s,", (int)k->mv_size, (const char *)k->mv_data);
    return w->stop_after && ++w->n == w->stop_after ? 1 : 0;
}
static int walk_fn(MDB_txn *txn, void *vctx)
{
    walk_t *w = vctx;
    MDB_dbi a = sais_store_dbi(w->st, "a"), b = sais_store_dbi(w->st, "b");
    w->rc = w->prefix ? sais_walk_index(txn, b, a, w->prefix, w->after, walk_cb, w)
                      : sais_walk_table(txn, a, w->after, walk_cb, w);
    return 0;
}

typedef struct { sais_store_t *st; size_t entries; } count_t;
static int count_fn(MDB_txn *txn, void *vctx)
{
    count_t *c = vctx;
    MDB_stat s;
    int rc = mdb_stat(txn, sais_store_dbi(c->st, "b"), &s);
    c->entries = rc == 0 ? s.ms_entries : (size_t)-1;
    return 0;
}

static void test_index_backfill(void **state)
{
    (void)state;
    sais_store_t *st = open_store("index", 8);
    count_t c = {st, 0};
    /* nothing stored: nothing to build */
    assert_int_equal(sais_index_backfill(st, "a", "b", idx_key, "test"), 0);
    assert_int_equal(sais_store_read(st, count_fn, &c), 0);
    assert_int_equal(c.entries, 0);
    const char *rows[][2] = {{"AL1", "H1:AL1"}, {"AL2", "H2:AL2"}, {"AL3", "H1:AL3"}, {"AL4", "broken"}};
    for (size_t i = 0; i < 4; i++) {
        put_t p = {st, "a", rows[i][0], rows[i][1], 0, 0};
        assert_int_equal(sais_store_write(st, put_fn, &p), 0);
    }
    assert_int_equal(sais_index_backfill(st, "a", "b", idx_key, "test"), 0);
    assert_int_equal(sais_store_read(st, count_fn, &c), 0);
    assert_int_equal(c.entries, 3); /* the broken row is left out */
    char key[32];
    size_t n = sais_index_pair(key, sizeof key, "H1", "AL3");
    bin_get_t bg = {st, key, n, -1};
    assert_int_equal(sais_store_read(st, bin_get_fn, &bg), 0);
    assert_int_equal(bg.rc, 0); /* "H1\0AL3" is there */
    assert_int_equal(n, 6);
    assert_int_equal(sais_index_pair(key, 5, "H1", "AL3"), 0); /* does not fit */
    /* a second start-up finds the index built and leaves it alone */
    put_t extra = {st, "a", "AL5", "H3:AL5", 0, 0};
    assert_int_equal(sais_store_write(st, put_fn, &extra), 0);
    assert_int_equal(sais_index_backfill(st, "a", "b", idx_key, "test"), 0);
    assert_int_equal(sais_store_read(st, count_fn, &c), 0);
    assert_int_equal(c.entries, 3);
    walk_t wk = {st, "H1", NULL, "", 0, 0, 0, 0};
    assert_int_equal(sais_store_read(st, walk_fn, &wk), 0);
    assert_int_equal(wk.rc, 0);
    assert_string_equal(wk.seen, "AL1,AL3,"); /* the household's entries, in id order */
    walk_t after = {st, "H1", "AL1", "", 0, 0, 0, 0};
    assert_int_equal(sais_store_read(st, walk_fn, &after), 0);
    assert_string_equal(after.seen, "AL3,"); /* the cursor is not repeated */
    walk_t stop = {st, NULL, NULL, "", 2, 0, 0, 0};
    assert_int_equal(sais_store_read(st, walk_fn, &stop), 0);
    assert_int_equal(stop.rc, 0);
    assert_string_equal(stop.seen, "AL1,AL2,"); /* fn said stop after two */
    walk_t bad = {st, NULL, "AL3", "", 0, 1, 0, 0};
    assert_int_equal(sais_store_read(st, walk_fn, &bad), 0);
    assert_int_equal(bad.rc, MDB_CORRUPTED); /* fn found damage */
    walk_t longp = {st, "H123456789012345678901234567890123456789012345678901234567890123456789"
                        "0123456789012345678901234567890123456789012345678901234567890123456789"
                        "0123456789012345678901234567890123456789012345678901234567890123456789"
                        "0123456789012345678901234567890123456789012345678901234567890123456789"
                        "0123456789012345678901234567890123456789012345678901234567890123456789"
                        "0123456789012345678901234567890123456789012345678901234567890123456789"
                        "0123456789012345678901234567890123456789012345678901234567890123456789"
                        "01234567890123456789012345678901234567890123456789", NULL, "", 0, 0, 0, 0};
    assert_int_equal(sais_store_read(st, walk_fn, &longp), 0);
    assert_int_equal(longp.rc, 0);
    assert_string_equal(longp.seen, ""); /* a prefix longer than any key lists nothing */
    sais_store_destroy(&st);
}

/* An index key from two named string fields of a stored message; a damaged value, a field
 * that is not a string or a key too long give 0 (the entry is left out of the index). */
static void test_index_pb_pair(void **state)
{
    (void)state;
    Sais__Evidence e = SAIS__EVIDENCE__INIT;
    e.source = "medical";
    e.record_id = "r-17";
    uint8_t buf[64];
    MDB_val v = {sais__evidence__pack(&e, buf), buf};
    char out[64];
    size_t n = sais_index_pb_pair(&v, &sais__evidence__descriptor, "source", "record_id", out, sizeof out);
    assert_int_equal(n, strlen("medical") + 1 + strlen("r-17"));
    assert_memory_equal(out, "medical\0r-17", n);
    assert_int_equal(sais_index_pb_pair(&v, &sais__evidence__descriptor, "source", "nope", out, sizeof out), 0);
    assert_int_equal(sais_index_pb_pair(&v, &sais__evidence__descriptor, "source", "record_id", out, 5), 0);
    uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0x0f};
    MDB_val bad = {sizeof junk, junk};
    assert_int_equal(sais_index_pb_pair(&bad, &sais__evidence__descriptor, "source", "record_id", out, sizeof out), 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sais-test-store-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_and_abort),
        cmocka_unit_test(test_map_full_redoes_the_whole_txn),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_counters_and_protobuf),
        cmocka_unit_test(test_stale_readers_cleared),
        cmocka_unit_test(test_format_stamp),
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_index_backfill),
        cmocka_unit_test(test_index_pb_pair),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return rc;
}
