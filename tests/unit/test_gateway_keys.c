/* API keys: the secret's format, its hash, lookup, validation, listing, deletion, and the
 * first admin key written to <data>/admin.key. Runs on a real store in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway.h"
#include "gateway_keys.h"
#include "gateway_audit.h"
#include "gateway_routes.h"
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

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/gwkeys.XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/gateway", fx->dir);
    fx->store = sais_store_open(path, dbis, 8, err, sizeof err);
    if (!fx->store) {
        fprintf(stderr, "store: %s\n", err);
        return -1;
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
    return 0;
}

static bool b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void secret_format(void **state)
{
    (void)state;
    char a[GW_KEY_SECRET_MAX], b[GW_KEY_SECRET_MAX], id[GW_KEY_ID_LEN + 4];
    assert_int_equal(gw_key_secret_make("0123456789ab", a, sizeof a), 0);
    assert_int_equal(gw_key_secret_make("0123456789ab", b, sizeof b), 0);
    assert_memory_equal(a, "sais_0123456789ab_", 18);
    assert_int_equal(strlen(a), 18 + 43);   /* 32 bytes in unpadded base64url */
    for (size_t i = 18; a[i]; i++) assert_true(b64url(a[i]));
    assert_string_not_equal(a, b);
    assert_int_equal(gw_key_secret_id(a, strlen(a), id), 0);
    assert_string_equal(id, "0123456789ab");

    static const char *const bad[] = {
        "", "sais_", "sais_0123456789ab", "sais_0123456789ab_", "xais_0123456789ab_abc",
        "sais_0123456789AB_abc", "sais_0123456789a_abcd", "sais_0123456789abc_abc",
        "Bearer sais_0123456789ab_abc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(gw_key_secret_id(bad[i], strlen(bad[i]), id), -1);

    unsigned char h1[32], h2[32], h3[32];
    gw_key_hash(a, strlen(a), h1);
    gw_key_hash(a, strlen(a), h2);
    gw_key_hash(b, strlen(b), h3);
    assert_memory_equal(h1, h2, 32);
    assert_memory_not_equal(h1, h3, 32);
}

static gateway_key_spec_t spec(const char *role, const char *const *regions, size_t nr,
                               const char *const *sources, size_t ns)
{
    gateway_key_spec_t s = {"desk 3", role, regions, nr, sources, ns, 0};
    return s;
}

static void validation(void **state)
{
    (void)state;
    static const char *const r_ok[] = {"330326", "3303"};
    static const char *const s_ok[] = {"medical", "hukou"};
    gw_field_err_t e;
    gateway_key_spec_t s = spec("caseworker", r_ok, 2, NULL, 0);
    assert_int_equal(gw_key_spec_check(&s, &e), 0);
    s = spec("partner", NULL, 0, s_ok, 2);
    assert_int_equal(gw_key_spec_check(&s, &e), 0);
    s = spec("city", NULL, 0, NULL, 0);
    assert_int_equal(gw_key_spec_check(&s, &e), 0);

    s = spec("root", NULL, 0, NULL, 0);
    assert_int_equal(gw_key_spec_check(&s, &e), -1);
    assert_string_equal(e.field, "role");
    s = spec("caseworker", NULL, 0, NULL, 0);
    assert_int_equal(gw_key_spec_check(&s, &e), -1);
    assert_string_equal(e.field, "regions");
    static const char *const r_bad[][1] = {{"3"}, {"1234567"}, {"33a3"}, {""}};
    for (size_t i = 0; i < 4; i++) {
        s = spec("reviewer", r_bad[i], 1, NULL, 0);
        assert_int_equal(gw_key_spec_check(&s, &e), -1);
        assert_string_equal(e.code, "bad_region");
    }
    s = spec("partner", NULL, 0, NULL, 0);
    assert_int_equal(gw_key_spec_check(&s, &e), -1);
    assert_string_equal(e.field, "sources");
    static const char *const s_bad[] = {"tax"};
    s = spec("partner", NULL, 0, s_bad, 1);
    assert_int_equal(gw_key_spec_check(&s, &e), -1);
    assert_string_equal(e.code, "bad_source");
    s = spec("admin", NULL, 0, NULL, 0);
    s.name = "";
    assert_int_equal(gw_key_spec_check(&s, &e), -1);
    assert_string_equal(e.field, "name");

    /* from a request body */
    const char *arena[GW_KEY_MAX_REGIONS + GW_KEY_MAX_SOURCES];
    json_t *o = json_loads("{\"name\":\"程 desk\",\"role\":\"partner\",\"sources\":[\"medical\"]}", 0, NULL);
    assert_int_equal(gw_key_spec_from_json(o, &s, arena, &e), 0);
    assert_string_equal(s.name, "程 desk");
    assert_int_equal(s.nsources, 1);
    assert_string_equal(s.sources[0], "medical");
    assert_int_equal(s.nregions, 0);
    json_decref(o);
    o = json_loads("{\"name\":\"x\",\"role\":\"caseworker\",\"regions\":[3303]}", 0, NULL);
    assert_int_equal(gw_key_spec_from_json(o, &s, arena, &e), -1);
    assert_string_equal(e.field, "regions");
    json_decref(o);
    o = json_loads("{\"role\":\"admin\"}", 0, NULL);
    assert_int_equal(gw_key_spec_from_json(o, &s, arena, &e), -1);
    assert_string_equal(e.field, "name");
    json_decref(o);
}

typedef struct {
    sais_store_t *store;
    const char   *id;
    char         *copy;
    size_t        len;
} raw_ctx_t;

static int raw_get(MDB_txn *txn, void *arg)
{
    raw_ctx_t *c = arg;
    MDB_val v;
    int rc = sais_get(txn, sais_store_dbi(c->store, GW_KEYS_DBI), c->id, strlen(c->id), &v);
    if (rc != 0) return rc;
    c->copy = strndup(v.mv_data, v.mv_size);
    c->len = v.mv_size;
    return 0;
}

static void create_lookup_delete(void **state)
{
    fx_t *fx = *state;
    static const char *const regions[] = {"330326"};
    gateway_key_spec_t s = spec("caseworker", regions, 1, NULL, 0);
    gw_key_t k, found;
    gw_field_err_t e;
    char secret[GW_KEY_SECRET_MAX];
    assert_int_equal(gw_key_create(fx->store, &s, &k, secret, sizeof secret, &e), 0);
    assert_int_equal(strlen(k.id), GW_KEY_ID_LEN);
    assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret), &found), 0);
    assert_string_equal(found.id, k.id);
    assert_string_equal(found.role, "caseworker");
    assert_int_equal(found.role_bit, GW_ROLE_CASEWORKER);
    assert_int_equal(found.nregions, 1);
    assert_string_equal(found.regions[0], "330326");
    assert_string_equal(found.name, "desk 3");

    /* the store holds the hash, never the secret */
    raw_ctx_t rc = {fx->store, k.id, NULL, 0};
    assert_int_equal(sais_store_read(fx->store, raw_get, &rc), 0);
    assert_null(strstr(rc.copy, secret + 18));
    assert_non_null(strstr(rc.copy, "\"hash\""));
    free(rc.copy);

    /* a wrong secret for the same id, a changed character, garbage */
    char wrong[GW_KEY_SECRET_MAX];
    snprintf(wrong, sizeof wrong, "%s", secret);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(gw_key_lookup(fx->store, wrong, strlen(wrong), &found), 1);
    assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret) - 1, &found), 1);
    assert_int_equal(gw_key_lookup(fx->store, "nonsense", 8, &found), 1);
    assert_int_equal(gw_key_lookup(fx->store, "sais_000000000000_abc", 21, &found), 1);

    /* invalid spec: refused, nothing stored */
    s = spec("nobody", NULL, 0, NULL, 0);
    assert_int_equal(gw_key_create(fx->store, &s, &k, wrong, sizeof wrong, &e), -1);

    /* deletion stops the key at once */
    assert_int_equal(gateway_key_delete(fx->store, found.id), 0);
    assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret), &found), 1);
    assert_int_equal(gateway_key_delete(fx->store, found.id), 1);
    assert_int_equal(gateway_key_delete(fx->store, "nope"), 1);
    assert_int_equal(gateway_key_delete(fx->store, ""), 1);
}

/* A key with an expiry: found before it, 2 (expired, the record still read) from it on; the
 * record keeps the time across a read; one without never expires. */
static void expiry(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(sais_clock_pin("2026-11-23T08:00:00Z"), 0);
    gateway_key_spec_t s = spec("charity", NULL, 0, NULL, 0);
    s.expires_at = sais_clock_now() + 3600;
    gw_key_t k, found;
    gw_field_err_t e;
    char secret[GW_KEY_SECRET_MAX], forever[GW_KEY_SECRET_MAX];
    assert_int_equal(gw_key_create(fx->store, &s, &k, secret, sizeof secret, &e), 0);
    s.expires_at = 0;
    assert_int_equal(gw_key_create(fx->store, &s, &k, forever, sizeof forever, &e), 0);
    assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret), &found), 0);
    assert_int_equal(found.expires_at, sais_clock_now() + 3600);
    assert_int_equal(sais_clock_pin("2026-11-23T08:59:59Z"), 0);
    assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret), &found), 0);
    assert_int_equal(sais_clock_pin("2026-11-23T09:00:00Z"), 0);
    assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret), &found), 2);
    assert_int_equal(gw_key_lookup(fx->store, forever, strlen(forever), &found), 0);
    assert_int_equal(found.expires_at, 0);
    /* a wrong secret for an expired key is just unknown: expiry says nothing to a guesser */
    secret[strlen(secret) - 1] = secret[strlen(secret) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret), &found), 1);
    /* the body's form: a time after now, else refused on the field */
    const char *arena[GW_KEY_MAX_REGIONS + GW_KEY_MAX_SOURCES];
    const char *bodies[] = {
        "{\"name\":\"x\",\"role\":\"charity\",\"expires_at\":\"2026-11-23T08:00:00Z\"}",
        "{\"name\":\"x\",\"role\":\"charity\",\"expires_at\":\"soon\"}",
        "{\"name\":\"x\",\"role\":\"charity\",\"expires_at\":5}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        json_t *o = json_loads(bodies[i], 0, NULL);
        assert_int_equal(gw_key_spec_from_json(o, &s, arena, &e), -1);
        assert_string_equal(e.field, "expires_at");
        json_decref(o);
    }
    json_t *o = json_loads("{\"name\":\"x\",\"role\":\"charity\",\"expires_at\":null}", 0, NULL);
    assert_int_equal(gw_key_spec_from_json(o, &s, arena, &e), 0);
    assert_int_equal(s.expires_at, 0);
    json_decref(o);
    assert_int_equal(sais_clock_pin(NULL), 0);
}

static void public_create_and_list(void **state)
{
    fx_t *fx = *state;
    static const char *const sources[] = {"medical"};
    char ids[3][32], secret[GW_KEY_SECRET_MAX], err[160];
    for (int i = 0; i < 3; i++) {
        gateway_key_spec_t s = spec("partner", NULL, 0, sources, 1);
        assert_int_equal(gateway_key_create(fx->store, &s, ids[i], sizeof ids[i], secret, sizeof secret, err, sizeof err), 0);
        gw_key_t k;
        assert_int_equal(gw_key_lookup(fx->store, secret, strlen(secret), &k), 0);
        assert_string_equal(k.id, ids[i]);
    }
    gateway_key_spec_t bad = spec("partner", NULL, 0, NULL, 0);
    assert_int_equal(gateway_key_create(fx->store, &bad, ids[0], sizeof ids[0], secret, sizeof secret, err, sizeof err), -1);
    assert_non_null(strstr(err, "sources"));

    sais_jw_t w;
    sais_jw_init(&w);
    assert_int_equal(gw_keys_list(fx->store, NULL, 2, &w), 0);
    size_t len;
    char *doc = sais_jw_take(&w, &len);
    sais_jw_free(&w);
    json_t *o = json_loads(doc, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
    assert_null(strstr(doc, "hash"));
    assert_null(strstr(doc, "\"key\""));
    const char *next = json_string_value(json_object_get(o, "next_cursor"));
    assert_non_null(next);
    char cursor[32];
    snprintf(cursor, sizeof cursor, "%s", next);
    json_decref(o);
    free(doc);

    sais_jw_init(&w);
    assert_int_equal(gw_keys_list(fx->store, cursor, 2, &w), 0);
    doc = sais_jw_take(&w, &len);
    sais_jw_free(&w);
    o = json_loads(doc, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
    assert_true(json_is_null(json_object_get(o, "next_cursor")));
    json_t *item = json_array_get(json_object_get(o, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "role")), "partner");
    assert_string_equal(json_string_value(json_array_get(json_object_get(item, "sources"), 0)), "medical");
    assert_non_null(json_string_value(json_object_get(item, "created_at")));
    json_decref(o);
    free(doc);
}

static void admin_key_file(void **state)
{
    fx_t *fx = *state;
    char path[256];
    assert_int_equal(gateway_admin_key_ensure(fx->store, fx->dir, path, sizeof path), 1);
    char want[256];
    snprintf(want, sizeof want, "%s/admin.key", fx->dir);
    assert_string_equal(path, want);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char secret[128] = "";
    assert_non_null(fgets(secret, sizeof secret, f));
    fclose(f);
    size_t n = strlen(secret);
    assert_true(n > 1 && secret[n - 1] == '\n');
    secret[--n] = '\0';
    gw_key_t k;
    assert_int_equal(gw_key_lookup(fx->store, secret, n, &k), 0);
    assert_string_equal(k.role, "admin");

    /* keys exist now: nothing is created or rewritten */
    assert_int_equal(gateway_admin_key_ensure(fx->store, fx->dir, path, sizeof path), 0);
    f = fopen(path, "r");
    char again[128] = "";
    assert_non_null(fgets(again, sizeof again, f));
    fclose(f);
    again[strcspn(again, "\n")] = '\0';
    assert_string_equal(again, secret);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);

    sais_config_t *cfg = sais_config_new();
    assert_int_equal(sais_config_set(cfg, "data.dir", "/srv/sais", NULL, 0), 0);
    assert_int_equal(gateway_admin_key_path(cfg, path, sizeof path), 0);
    assert_string_equal(path, "/srv/sais/admin.key");
    sais_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secret_format),
        cmocka_unit_test(validation),
        cmocka_unit_test_setup_teardown(create_lookup_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(public_create_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(admin_key_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
