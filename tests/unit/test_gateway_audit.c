/* The audit chain: appends verify; an altered entry, a deleted entry (middle or newest), a
 * re-hashed forgery and a missing head are each detected and named; listing filters and
 * pages; `sais audit verify` opens the store read-only from the data directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "gateway_audit.h"
#include "gateway_keys.h"
#include "sais_clock.h"

typedef struct {
    char          dir[64];
    sais_store_t *store;
} fx_t;

static const char *const dbis[] = {GW_KEYS_DBI, GW_AUDIT_DBI, GW_AUDIT_HEAD_DBI, NULL};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static sais_store_t *open_store(const char *dir)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/gateway", dir);
    return sais_store_open(path, dbis, 8, err, sizeof err);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/gwaudit.XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    fx->store = open_store(fx->dir);
    if (!fx->store) return -1;
    sais_clock_pin("2026-11-23T08:00:00Z");
    static const char *const subjects[] = {"330326199001011235", "H1", "330326199001011235", "V9", "k1"};
    static const char *const actors[] = {"aaa", "bbb", "aaa", "-", "aaa"};
    static const int statuses[] = {200, 200, 404, 401, 201};
    for (int i = 0; i < 5; i++) {
        gw_audit_in_t e = {actors[i], i == 3 ? "" : "caseworker",
                           i == 1 ? "GET /v1/households/{household_id}" : "GET /v1/persons/{id_number}",
                           subjects[i], statuses[i]};
        uint64_t seq = 0;
        if (gw_audit_append(fx->store, &e, &seq) != 0 || seq != (uint64_t)i + 1) return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    sais_store_destroy(&fx->store);
    nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    sais_clock_pin(NULL);
    return 0;
}

static int verify(fx_t *fx, char *report, size_t len)
{
    return gw_audit_verify_store(fx->store, report, len);
}

/* ---- tampering helpers: what someone with write access to the files could do */

typedef struct {
    fx_t       *fx;
    uint64_t    seq;
    const char *from, *to;   /* replace text in the stored entry; NULL = delete it */
    bool        rehash;      /* also recompute the entry's own hash (a careful forger) */
} tamper_t;

static int tamper_cb(MDB_txn *txn, void *arg)
{
    tamper_t *t = arg;
    MDB_dbi dbi = sais_store_dbi(t->fx->store, GW_AUDIT_DBI);
    unsigned char k[8];
    sais_be64(t->seq, k);
    if (!t->from) return sais_del(txn, dbi, k, 8);
    MDB_val v;
    int rc = sais_get(txn, dbi, k, 8, &v);
    if (rc != 0) return rc;
    char *s = strndup(v.mv_data, v.mv_size);
    char *at = strstr(s, t->from);
    if (!at) {
        free(s);
        return -1;
    }
    char out[1024];
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - s), s, t->to, at + strlen(t->from));
    free(s);
    if (t->rehash) {
        /* recompute hash = BLAKE2b(prev || canonical) exactly as the gateway does */
        json_t *o = json_loads(out, 0, NULL);
        unsigned char prev[32], h[32];
        size_t hl;
        const char *ph = json_string_value(json_object_get(o, "prev_hash"));
        sodium_hex2bin(prev, 32, ph, 64, NULL, &hl, NULL);
        json_t *c = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "seq", json_object_get(o, "seq"), "at",
                              json_object_get(o, "at"), "actor", json_object_get(o, "actor"), "role",
                              json_object_get(o, "role"), "action", json_object_get(o, "action"),
                              "subject", json_object_get(o, "subject"), "status", json_object_get(o, "status"));
        char *canon = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, 32);
        crypto_generichash_update(&st, prev, 32);
        crypto_generichash_update(&st, (unsigned char *)canon, strlen(canon));
        crypto_generichash_final(&st, h, 32);
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, h, 32);
        json_object_set_new(o, "hash", json_string(hex));
        char *dumped = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        snprintf(out, sizeof out, "%s", dumped);
        free(dumped);
        free(canon);
        json_decref(c);
        json_decref(o);
    }
    return sais_put(txn, dbi, k, 8, out, strlen(out));
}

static void tamper(fx_t *fx, uint64_t seq, const char *from, const char *to, bool rehash)
{
    tamper_t t = {fx, seq, from, to, rehash};
    assert_int_equal(sais_store_write(fx->store, tamper_cb, &t), 0);
}

/* ---- tests */

static void intact_chain(void **state)
{
    fx_t *fx = *state;
    char report[256];
    assert_int_equal(verify(fx, report, sizeof report), 0);
    assert_non_null(strstr(report, "intact: 5 entries"));
}

static void altered_entry(void **state)
{
    fx_t *fx = *state;
    char report[256];
    tamper(fx, 3, "\"status\":404", "\"status\":200", false);
    assert_int_equal(verify(fx, report, sizeof report), 1);
    assert_non_null(strstr(report, "entry 3 was altered"));
}

static void forged_and_rehashed(void **state)
{
    fx_t *fx = *state;
    char report[256];
    /* the forger fixes entry 2's own hash: entry 3 no longer links to it */
    tamper(fx, 2, "\"subject\":\"H1\"", "\"subject\":\"H2\"", true);
    assert_int_equal(verify(fx, report, sizeof report), 1);
    assert_non_null(strstr(report, "entry 3: prev_hash does not match"));
}

static void deleted_middle(void **state)
{
    fx_t *fx = *state;
    char report[256];
    tamper(fx, 3, NULL, NULL, false);
    assert_int_equal(verify(fx, report, sizeof report), 1);
    assert_non_null(strstr(report, "entry 3 is missing"));
}

static void deleted_newest(void **state)
{
    fx_t *fx = *state;
    char report[256];
    tamper(fx, 5, NULL, NULL, false);
    assert_int_equal(verify(fx, report, sizeof report), 1);
    assert_non_null(strstr(report, "entries 5 to 5 are missing"));
    /* the next append continues from the head, so the gap stays visible */
    gw_audit_in_t e = {"aaa", "admin", "GET /v1/keys", "", 200};
    uint64_t seq;
    assert_int_equal(gw_audit_append(fx->store, &e, &seq), 0);
    assert_int_equal(seq, 6);
    assert_int_equal(verify(fx, report, sizeof report), 1);
    assert_non_null(strstr(report, "entry 5 is missing"));
}

static void deleted_first(void **state)
{
    fx_t *fx = *state;
    char report[256];
    tamper(fx, 1, NULL, NULL, false);
    assert_int_equal(verify(fx, report, sizeof report), 1);
    assert_non_null(strstr(report, "entry 1 is missing"));
}

static void verify_from_data_dir(void **state)
{
    fx_t *fx = *state;
    char report[256];
    sais_store_destroy(&fx->store);   /* one environment per process at a time (LMDB) */
    assert_int_equal(gateway_audit_verify(fx->dir, report, sizeof report), 0);
    assert_non_null(strstr(report, "intact: 5 entries"));
    fx->store = open_store(fx->dir);
    assert_non_null(fx->store);
    tamper(fx, 4, "\"actor\":\"-\"", "\"actor\":\"bbb\"", false);
    sais_store_destroy(&fx->store);
    assert_int_equal(gateway_audit_verify(fx->dir, report, sizeof report), 1);
    assert_non_null(strstr(report, "entry 4"));
    assert_int_equal(gateway_audit_verify("/nonexistent/sais", report, sizeof report), -1);
    fx->store = open_store(fx->dir);
}

static json_t *list(fx_t *fx, gw_audit_query_t *q)
{
    sais_jw_t w;
    sais_jw_init(&w);
    assert_int_equal(gw_audit_list(fx->store, q, &w), 0);
    size_t len;
    char *doc = sais_jw_take(&w, &len);
    sais_jw_free(&w);
    json_t *o = json_loads(doc, 0, NULL);
    free(doc);
    assert_non_null(o);
    return o;
}

static void listing(void **state)
{
    fx_t *fx = *state;
    gw_audit_query_t q = {.limit = 50};
    json_t *o = list(fx, &q);
    json_t *items = json_object_get(o, "items");
    assert_int_equal(json_array_size(items), 5);
    json_t *first = json_array_get(items, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "seq")), 1);
    assert_string_equal(json_string_value(json_object_get(first, "at")), "2026-11-23T08:00:00Z");
    assert_string_equal(json_string_value(json_object_get(first, "subject")), "330326199001011235");
    assert_int_equal(strlen(json_string_value(json_object_get(first, "hash"))), 64);
    /* each entry's prev_hash is the hash before it */
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "prev_hash")),
                        json_string_value(json_object_get(first, "hash")));
    /* an unauthenticated entry has actor and role "-" */
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 3), "actor")), "-");
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 3), "role")), "-");
    assert_true(json_is_null(json_object_get(o, "next_cursor")));
    json_decref(o);

    q = (gw_audit_query_t){.actor = "aaa", .limit = 2};
    o = list(fx, &q);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
    const char *next = json_string_value(json_object_get(o, "next_cursor"));
    assert_string_equal(next, "3");
    json_decref(o);
    q.after = 3;
    o = list(fx, &q);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(o, "items"), 0), "seq")), 5);
    json_decref(o);

    q = (gw_audit_query_t){.subject = "330326199001011235", .action = "GET /v1/persons/{id_number}", .limit = 50};
    o = list(fx, &q);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
    json_decref(o);

    q = (gw_audit_query_t){.since = sais_time_parse("2026-11-24T00:00:00Z"), .limit = 50};
    o = list(fx, &q);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 0);
    json_decref(o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(intact_chain),   T(altered_entry), T(forged_and_rehashed), T(deleted_middle),
        T(deleted_newest), T(deleted_first), T(verify_from_data_dir), T(listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
