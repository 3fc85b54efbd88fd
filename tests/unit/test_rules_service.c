/* rules as a service, in process: the catalogue its stored decisions were made under. A store
 * kept before rules recorded that catalogue is decided again once at start; a restart under
 * the catalogue it recorded decides nobody again. What simulate reports as "before_kept" tells
 * the two apart: a household decided at start carries kept decisions again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "sais_client.h"
#include "sais_config.h"
#include "sais_store.h"
#include "sais_test_support.h"
#include "verify.pb-c.h"

#define HH "H330326000001"

static char tmpdir[256];

typedef struct {
    sais_config_t *cfg;
    zactor_t      *verify, *intake, *rules;
    sais_client_t *cl;
} env_t;

static void rules_start(env_t *e)
{
    e->rules = sais_service_start(&rules_service, e->cfg);
    assert_non_null(e->rules);
}

static void env_start(env_t *e)
{
    static const char *const svcs[] = {"verify", "intake", "rules", NULL};
    memset(e, 0, sizeof *e);
    e->cfg = sais_test_config(tmpdir, "cat", svcs);
    const char *src = getenv("SAIS_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/deploy/policies", src && *src ? src : "../..");
    sais_test_set(e->cfg, "rules.policies_dir", dir);
    sais_test_set(e->cfg, "clock.now", "2026-11-23T08:00:00Z");
    e->verify = sais_service_start(sais_test_fake_producer("verify"), e->cfg);
    e->intake = sais_service_start(sais_test_fake_producer("intake"), e->cfg);
    assert_non_null(e->verify);
    assert_non_null(e->intake);
    rules_start(e);
    e->cl = sais_client_new(e->cfg);
    assert_non_null(e->cl);
}

static void env_stop(env_t *e)
{
    sais_client_destroy(&e->cl);
    sais_service_stop(&e->rules);
    sais_service_stop(&e->intake);
    sais_service_stop(&e->verify);
    sais_config_destroy(&e->cfg);
}

/* simulate's households_before_kept for a changed line */
static long long before_kept(env_t *e)
{
    const sais_test_caller_t admin = {"admin", NULL, "tester", "k-test"};
    const char *body = "{\"params\":{\"dibao.line\":1300.00}}";
    char *out = NULL;
    int st = sais_test_call(e->cl, "rules", "policies.simulate", &admin, NULL, body, strlen(body), 10000, &out,
                            NULL);
    json_t *j = sais_test_expect_json("policies.simulate", st, 200, out);
    assert_int_equal(json_integer_value(json_object_get(j, "households_evaluated")), 1);
    long long kept = json_integer_value(json_object_get(j, "households_before_kept"));
    json_decref(j);
    return kept;
}

typedef struct {
    sais_store_t *store;
    bool          forget_catalogue;
} strip_t;

/* Rewrites the stored picture without its kept decisions and, if asked, forgets which
 * catalogue they were made under: the store as an older SAIS left it. */
static int strip_fn(MDB_txn *txn, void *vctx)
{
    const strip_t *s = vctx;
    MDB_dbi pics = sais_store_dbi(s->store, "pictures"), meta = sais_store_dbi(s->store, "_meta");
    MDB_val k = {strlen(HH), HH}, v;
    assert_int_equal(mdb_get(txn, pics, &k, &v), 0);
    Ver__Picture *p = ver__picture__unpack(NULL, v.mv_size, v.mv_data);
    assert_non_null(p);
    assert_true(p->base.n_unknown_fields <= 1);   /* the kept record, if any */
    Ver__Picture bare = *p;
    bare.base.n_unknown_fields = 0;
    bare.base.unknown_fields = NULL;
    uint8_t buf[1024];
    size_t n = ver__picture__get_packed_size(&bare);
    assert_true(n <= sizeof buf);
    ver__picture__pack(&bare, buf);
    ver__picture__free_unpacked(p, NULL);
    MDB_val nv = {n, buf};
    assert_int_equal(mdb_put(txn, pics, &k, &nv, 0), 0);
    if (s->forget_catalogue) {
        MDB_val ck = {strlen("catalogue"), "catalogue"};
        assert_int_equal(mdb_del(txn, meta, &ck, NULL), 0);
    }
    return 0;
}

static void strip(env_t *e, bool forget_catalogue)
{
    sais_client_destroy(&e->cl);   /* an inproc client does not reconnect to a new actor */
    sais_service_stop(&e->rules);
    char dir[512], err[256];
    snprintf(dir, sizeof dir, "%s/cat/rules", tmpdir);
    static const char *const dbis[] = {"pictures", "_meta", NULL};
    sais_store_t *st = sais_store_open(dir, dbis, 64, err, sizeof err);
    if (st == NULL)
        fail_msg("cannot open rules' store: %s", err);
    strip_t s = {st, forget_catalogue};
    assert_int_equal(sais_store_write(st, strip_fn, &s), 0);
    sais_store_destroy(&st);
    rules_start(e);
    e->cl = sais_client_new(e->cfg);
    assert_non_null(e->cl);
}

/* Waits up to about 5 s for simulate to report `want` households with kept decisions. */
static long long wait_kept(env_t *e, long long want)
{
    long long got = -1;
    for (int i = 0; i < 50 && got != want; i++) {
        got = before_kept(e);
        if (got != want)
            zclock_sleep(100);
    }
    return got;
}

static void test_catalogue_at_start(void **state)
{
    (void) state;
    env_t e;
    env_start(&e);
    Ver__Member m = VER__MEMBER__INIT, *mp = &m;
    m.id_number = "330326198001010011";
    m.name = "Wu";
    m.status = "active";
    m.age = 45;
    m.income_monthly_avg = 50000;
    m.income_12m = 600000;
    m.counted = true;
    m.able_to_work = true;
    Ver__Picture pic = VER__PICTURE__INIT;
    pic.household_id = HH;
    pic.region = "330326";
    pic.members = &mp;
    pic.n_members = 1;
    pic.counted = 1;
    pic.income_monthly = 50000;
    pic.per_capita_income = 50000;
    pic.income_12m = 600000;
    pic.as_of = "2026-11-23";
    pic.version = 1;
    Ver__HouseholdChanged hc = VER__HOUSEHOLD_CHANGED__INIT;
    hc.picture = &pic;
    hc.reason = "hukou";
    sais_test_emit(e.cl, "verify", "household.changed", "330326", &hc.base);
    sais_test_wait_cursor(e.cl, "rules", "verify", 1);
    assert_int_equal(before_kept(&e), 1);

    /* the same catalogue recorded: a restart decides nobody again */
    strip(&e, false);
    zclock_sleep(500);   /* a few of rules' ticks, where a re-decision would run */
    assert_int_equal(before_kept(&e), 0);

    /* no catalogue recorded (a store from before rules kept it): decided again once */
    strip(&e, true);
    assert_int_equal(wait_kept(&e, 1), 1);
    env_stop(&e);
}

static int setup(void **state)
{
    (void) state;
    return sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "rules-svc");
}

static int teardown(void **state)
{
    (void) state;
    return sais_test_tmpdir_remove(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_catalogue_at_start)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
