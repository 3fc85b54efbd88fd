/* The city's counting logic on a real LMDB store: persons and households from pictures,
 * entitlement status transitions counted once, alerts open/acknowledged/resolved, a household
 * (and a person) moving region taking its figures along, applications and wishes as items,
 * deployments kept apart, and the city.counties parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "city_config.h"
#include "city_count.h"
#include "sais_store.h"

static char tmpdir[256];
static int ndir;

typedef struct {
    sais_store_t *store;
    city_db_t     db;
} env_t;

static void env_open(env_t *e)
{
    static const char *const dbis[] = {"households", "persons", "items", "regions", NULL};
    char dir[300], err[256];
    snprintf(dir, sizeof dir, "%s/s%d", tmpdir, ndir++);
    e->store = sais_store_open(dir, dbis, 8, err, sizeof err);
    assert_non_null(e->store);
    e->db.households = sais_store_dbi(e->store, "households");
    e->db.persons = sais_store_dbi(e->store, "persons");
    e->db.items = sais_store_dbi(e->store, "items");
    e->db.regions = sais_store_dbi(e->store, "regions");
}

static void env_close(env_t *e) { sais_store_destroy(&e->store); }

/* ---- one operation per write transaction, as the consumer applies one event */

typedef struct {
    env_t *e;
    int    op;
    const char *dep, *hh, *region, *id, *status;
    const city_member_t *members;
    size_t nmembers;
    city_grant_t grant;
    int64_t value;
    city_figures_t fig;
} op_t;

enum { OP_PICTURE, OP_GRANT, OP_ALERT, OP_APP, OP_WISH, OP_FIG, OP_FLOW };

static int op_fn(MDB_txn *txn, void *vctx)
{
    op_t *o = vctx;
    const city_db_t *db = &o->e->db;
    switch (o->op) {
    case OP_PICTURE: return city_count_picture(txn, db, o->dep, o->hh, o->region, o->members, o->nmembers);
    case OP_GRANT:   return city_count_grant(txn, db, o->dep, &o->grant);
    case OP_ALERT:   return city_count_alert(txn, db, o->dep, o->id, o->hh, o->region, o->status);
    case OP_APP:     return city_count_application(txn, db, o->dep, o->id, o->region, o->status);
    case OP_WISH:    return city_count_wish(txn, db, o->dep, o->id, o->hh, o->region, o->status, o->value);
    case OP_FLOW:    return city_count_flow(txn, db, o->dep, o->region, &o->fig);
    default:         return city_figures_get(txn, db, o->region, &o->fig);
    }
}

static void run(op_t *o)
{
    if (o->op == OP_FIG)
        assert_int_equal(sais_store_read(o->e->store, op_fn, o), 0);
    else
        assert_int_equal(sais_store_write(o->e->store, op_fn, o), 0);
}

static void picture(env_t *e, const char *dep, const char *hh, const char *region, const city_member_t *m, size_t n)
{
    op_t o = {.e = e, .op = OP_PICTURE, .dep = dep, .hh = hh, .region = region, .members = m, .nmembers = n};
    run(&o);
}

static void grant(env_t *e, const char *dep, const char *eid, const char *hh, const char *region,
                  const char *policy, const char *period, const char *status, int64_t amount)
{
    op_t o = {.e = e, .op = OP_GRANT, .dep = dep};
    o.grant = (city_grant_t){eid, hh, region, policy, period, status, amount};
    run(&o);
}

static void alert(env_t *e, const char *dep, const char *id, const char *hh, const char *region, const char *status)
{
    op_t o = {.e = e, .op = OP_ALERT, .dep = dep, .id = id, .hh = hh, .region = region, .status = status};
    run(&o);
}

static city_figures_t fig(env_t *e, const char *region)
{
    op_t o = {.e = e, .op = OP_FIG, .region = region};
    run(&o);
    return o.fig;
}

#define A "330326"   /* Pingyang */
#define B "330329"   /* Taishun */
#define P1 "330326196803120318"
#define P2 "330326197007020425"
#define P3 "33032619990101001X"

/* ---------------------------------------------------------------- tests */

static int person_fn(MDB_txn *txn, void *vctx)
{
    void **a = vctx;
    return city_person_get(txn, a[0], a[1], a[2]);
}


static void test_persons_and_households(void **state)
{
    (void)state;
    env_t e;
    env_open(&e);
    city_member_t m[] = {{P1, "active"}, {P2, "deceased"}, {P3, "moved_out"}};
    picture(&e, "pingyang", "H1", A, m, 3);
    city_figures_t f = fig(&e, A);
    assert_int_equal(f.persons, 2);       /* everyone not moved out, the deceased included */
    assert_int_equal(f.households, 1);

    /* the same picture again changes nothing */
    picture(&e, "pingyang", "H1", A, m, 3);
    f = fig(&e, A);
    assert_int_equal(f.persons, 2);
    assert_int_equal(f.households, 1);

    /* everybody moved out: no person, no household; a member dropped from the list goes too */
    city_member_t gone[] = {{P1, "moved_out"}, {P3, "moved_out"}};
    picture(&e, "pingyang", "H1", A, gone, 2);
    f = fig(&e, A);
    assert_int_equal(f.persons, 0);
    assert_int_equal(f.households, 0);
    env_close(&e);
}

static void test_entitlement_transitions_counted_once(void **state)
{
    (void)state;
    env_t e;
    env_open(&e);
    city_member_t m[] = {{P1, "active"}, {P2, "active"}};
    picture(&e, "pingyang", "H1", A, m, 2);

    grant(&e, "pingyang", "E1", "H1", A, "disability_care", "monthly", "active", 10000);
    grant(&e, "pingyang", "E1", "H1", A, "disability_care", "monthly", "active", 10000);   /* repeated */
    city_figures_t f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 1);
    assert_int_equal(f.monthly_cost, 10000);
    assert_int_equal(f.beneficiaries, 1);
    assert_int_equal(f.monitored, 0);

    grant(&e, "pingyang", "E1", "H1", A, "disability_care", "monthly", "active", 20000);   /* changed */
    f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 1);
    assert_int_equal(f.monthly_cost, 20000);

    grant(&e, "pingyang", "E2", "H1", A, "marginal", "status", "active", 0);
    grant(&e, "pingyang", "E3", "H1", A, "temp_medical", "one_off", "active", 3216000);
    f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 3);
    assert_int_equal(f.monthly_cost, 20000);     /* only monthly amounts */
    assert_int_equal(f.monitored, 1);
    assert_int_equal(f.beneficiaries, 1);        /* one household */

    grant(&e, "pingyang", "E1", "H1", A, "disability_care", "monthly", "suspended", 20000);
    grant(&e, "pingyang", "E1", "H1", A, "disability_care", "monthly", "suspended", 20000);
    f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 2);
    assert_int_equal(f.monthly_cost, 0);

    grant(&e, "pingyang", "E1", "H1", A, "disability_care", "monthly", "active", 20000);   /* resumed */
    f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 3);
    assert_int_equal(f.monthly_cost, 20000);

    grant(&e, "pingyang", "E2", "H1", A, "marginal", "status", "stopped", 0);
    grant(&e, "pingyang", "E2", "H1", A, "marginal", "status", "stopped", 0);
    f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 2);
    assert_int_equal(f.monitored, 0);

    grant(&e, "pingyang", "E4", "H1", A, "dibao", "monthly", "active", 48000);
    f = fig(&e, A);
    assert_int_equal(f.monitored, 1);
    assert_int_equal(f.monthly_cost, 68000);

    grant(&e, "pingyang", "E1", "H1", A, "disability_care", "monthly", "stopped", 20000);
    grant(&e, "pingyang", "E3", "H1", A, "temp_medical", "one_off", "stopped", 3216000);
    grant(&e, "pingyang", "E4", "H1", A, "dibao", "monthly", "stopped", 48000);
    f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 0);
    assert_int_equal(f.monthly_cost, 0);
    assert_int_equal(f.monitored, 0);
    assert_int_equal(f.beneficiaries, 0);
    assert_int_equal(f.households, 1);
    assert_int_equal(f.persons, 2);
    env_close(&e);
}

static void test_alerts(void **state)
{
    (void)state;
    env_t e;
    env_open(&e);
    alert(&e, "pingyang", "A1", "H1", A, "open");
    alert(&e, "pingyang", "A1", "H1", A, "open");          /* evidence added */
    alert(&e, "pingyang", "A2", "H1", A, "open");
    assert_int_equal(fig(&e, A).alerts_open, 2);
    alert(&e, "pingyang", "A1", "H1", A, "acknowledged");
    assert_int_equal(fig(&e, A).alerts_open, 1);
    alert(&e, "pingyang", "A1", "H1", A, "resolved");
    alert(&e, "pingyang", "A2", "H1", A, "resolved");
    assert_int_equal(fig(&e, A).alerts_open, 0);
    /* an alert without a household stays in its own region */
    alert(&e, "pingyang", "A3", "", A, "open");
    alert(&e, "pingyang", "A4", "", B, "open");
    assert_int_equal(fig(&e, A).alerts_open, 1);
    assert_int_equal(fig(&e, B).alerts_open, 1);
    alert(&e, "pingyang", "A3", "", A, "resolved");
    assert_int_equal(fig(&e, A).alerts_open, 0);
    assert_int_equal(fig(&e, B).alerts_open, 1);
    env_close(&e);
}

static void test_household_moving_region_moves_its_counts(void **state)
{
    (void)state;
    env_t e;
    env_open(&e);
    /* rules and warn may be read before verify: their region is used until a picture comes */
    grant(&e, "pingyang", "E1", "H1", A, "dibao", "monthly", "active", 48000);
    alert(&e, "pingyang", "A1", "H1", A, "open");
    city_figures_t f = fig(&e, A);
    assert_int_equal(f.entitlements_active, 1);
    assert_int_equal(f.households, 0);
    city_member_t m[] = {{P1, "active"}, {P2, "active"}};
    picture(&e, "pingyang", "H1", A, m, 2);
    f = fig(&e, A);
    assert_int_equal(f.persons, 2);
    assert_int_equal(f.households, 1);
    assert_int_equal(f.monitored, 1);
    assert_int_equal(f.alerts_open, 1);

    picture(&e, "pingyang", "H1", B, m, 2);
    f = fig(&e, A);
    assert_int_equal(f.persons, 0);
    assert_int_equal(f.households, 0);
    assert_int_equal(f.monitored, 0);
    assert_int_equal(f.entitlements_active, 0);
    assert_int_equal(f.monthly_cost, 0);
    assert_int_equal(f.alerts_open, 0);
    assert_int_equal(f.beneficiaries, 0);
    f = fig(&e, B);
    assert_int_equal(f.persons, 2);
    assert_int_equal(f.households, 1);
    assert_int_equal(f.monitored, 1);
    assert_int_equal(f.entitlements_active, 1);
    assert_int_equal(f.monthly_cost, 48000);
    assert_int_equal(f.alerts_open, 1);
    assert_int_equal(f.beneficiaries, 1);

    /* a late event still naming the old region does not pull the pictured household back */
    grant(&e, "pingyang", "E1", "H1", A, "dibao", "monthly", "active", 50000);
    assert_int_equal(fig(&e, A).monthly_cost, 0);
    assert_int_equal(fig(&e, B).monthly_cost, 50000);
    env_close(&e);
}

static void test_person_moving_between_households(void **state)
{
    (void)state;
    env_t e;
    env_open(&e);
    city_member_t h1[] = {{P1, "active"}, {P2, "active"}};
    picture(&e, "pingyang", "H1", A, h1, 2);
    /* P2 registers in H2 in Taishun before Pingyang's household says she moved out */
    city_member_t h2[] = {{P2, "active"}};
    picture(&e, "taishun", "H2", B, h2, 1);
    assert_int_equal(fig(&e, A).persons, 1);
    assert_int_equal(fig(&e, B).persons, 1);
    city_member_t h1b[] = {{P1, "active"}, {P2, "moved_out"}};
    picture(&e, "pingyang", "H1", A, h1b, 2);
    assert_int_equal(fig(&e, A).persons, 1);
    assert_int_equal(fig(&e, B).persons, 1);
    /* H1 no longer lists her at all: she stays counted in H2 */
    picture(&e, "pingyang", "H1", A, h1, 1);
    assert_int_equal(fig(&e, A).persons, 1);
    assert_int_equal(fig(&e, B).persons, 1);

    /* the other order: moved out first, then registered elsewhere */
    city_member_t h3[] = {{P3, "active"}};
    picture(&e, "pingyang", "H3", A, h3, 1);
    assert_int_equal(fig(&e, A).persons, 2);
    city_member_t h3b[] = {{P3, "moved_out"}};
    picture(&e, "pingyang", "H3", A, h3b, 1);
    assert_int_equal(fig(&e, A).persons, 1);
    picture(&e, "taishun", "H4", B, h3, 1);
    assert_int_equal(fig(&e, A).persons, 1);
    assert_int_equal(fig(&e, B).persons, 2);

    city_person_t p;
    void *b[3] = {&e.db, (void *)P2, &p};
    assert_int_equal(sais_store_read(e.store, person_fn, b), 0);
    assert_string_equal(p.deployment, "taishun");
    assert_string_equal(p.region, B);
    assert_string_equal(p.status, "active");
    env_close(&e);
}

static void test_applications_and_wishes(void **state)
{
    (void)state;
    env_t e;
    env_open(&e);
    op_t o = {.e = &e, .op = OP_APP, .dep = "pingyang", .id = "AP1", .region = A, .status = "submitted"};
    run(&o);
    city_figures_t f = fig(&e, A);
    assert_int_equal(f.applications[0], 1);
    o.status = "pending_review";
    run(&o);
    run(&o);
    f = fig(&e, A);
    assert_int_equal(f.applications[0], 1);
    assert_int_equal(f.applications[city_app_status_index("pending_review")], 1);
    o.status = "approved";
    run(&o);
    f = fig(&e, A);
    assert_int_equal(f.applications[0], 1);
    assert_int_equal(f.applications[city_app_status_index("pending_review")], 0);
    assert_int_equal(f.applications[city_app_status_index("approved")], 1);
    o.id = "AP2";
    o.status = "submitted";
    run(&o);
    assert_int_equal(fig(&e, A).applications[0], 2);

    city_member_t m[] = {{P1, "active"}};
    picture(&e, "pingyang", "H1", A, m, 1);
    op_t w = {.e = &e, .op = OP_WISH, .dep = "pingyang", .id = "W1", .hh = "H1", .region = A,
              .status = "open", .value = 30000};
    run(&w);
    f = fig(&e, A);
    assert_int_equal(f.wishes_submitted, 1);
    assert_int_equal(f.wishes_fulfilled, 0);
    assert_int_equal(f.beneficiaries, 0);
    w.status = "matched";
    run(&w);
    w.status = "fulfilled";
    run(&w);
    run(&w);
    f = fig(&e, A);
    assert_int_equal(f.wishes_submitted, 1);
    assert_int_equal(f.wishes_fulfilled, 1);
    assert_int_equal(f.donations_value, 30000);
    assert_int_equal(f.beneficiaries, 1);

    /* counted by type, without ids */
    op_t fl = {.e = &e, .op = OP_FLOW, .dep = "pingyang", .region = A};
    fl.fig.wishes_submitted = 1;
    run(&fl);
    assert_int_equal(fig(&e, A).wishes_submitted, 2);
    env_close(&e);
}

static int s_each(const char *region, const city_figures_t *f, char *const *deps, size_t ndeps, void *ctx)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s:%lld:", region, (long long)f->persons);
    for (size_t i = 0; i < ndeps; i++) {
        n = strlen(out);
        snprintf(out + n, 512 - n, "%s%s", i ? "+" : "", deps[i]);
    }
    n = strlen(out);
    snprintf(out + n, 512 - n, ";");
    return 0;
}

static int each_fn(MDB_txn *txn, void *vctx)
{
    void **a = vctx;
    return city_regions_each(txn, a[0], s_each, a[1]);
}

static void test_deployments_kept_apart_and_listed(void **state)
{
    (void)state;
    env_t e;
    env_open(&e);
    city_member_t m1[] = {{P1, "active"}};
    city_member_t m2[] = {{P2, "active"}};
    /* two counties may use the same household id */
    picture(&e, "taishun", "H1", A, m1, 1);
    picture(&e, "pingyang", "H1", A, m2, 1);
    city_figures_t f = fig(&e, A);
    assert_int_equal(f.households, 2);
    assert_int_equal(f.persons, 2);
    picture(&e, "taishun", "H9", B, m1, 1);
    char out[512] = "";
    void *a[2] = {&e.db, out};
    assert_int_equal(sais_store_read(e.store, each_fn, a), 0);
    assert_string_equal(out, "330326:1:pingyang+taishun;330329:1:taishun;");

    city_person_t p;
    void *b[3] = {&e.db, (void *)P1, &p};
    assert_int_equal(sais_store_read(e.store, person_fn, b), 0);
    assert_string_equal(p.region, B);
    assert_string_equal(p.deployment, "taishun");
    assert_string_equal(p.household_id, "H9");
    void *c[3] = {&e.db, (void *)P3, &p};
    assert_int_equal(sais_store_read(e.store, person_fn, c), MDB_NOTFOUND);
    /* a region that is not a county code keeps no figures */
    city_member_t m3[] = {{P3, "active"}};
    picture(&e, "pingyang", "H5", "33", m3, 1);
    assert_int_equal(fig(&e, A).persons, 1);
    assert_int_equal(fig(&e, A).households, 2);   /* a household is counted by its own picture */
    env_close(&e);
}

/* Producers' events interleave differently from run to run; the stored state must not. */
static void test_interleaving_gives_the_same_state(void **state)
{
    (void)state;
    env_t a, b;
    char da[65], db_[65];
    city_member_t m[] = {{P1, "active"}, {P2, "active"}};
    env_open(&a);
    picture(&a, "pingyang", "H1", B, m, 2);
    grant(&a, "pingyang", "E1", "H1", A, "dibao", "monthly", "active", 48000);   /* a stale region */
    alert(&a, "pingyang", "A1", "H1", A, "open");
    alert(&a, "pingyang", "A1", "H1", A, "resolved");
    grant(&a, "pingyang", "E2", "H2", A, "marginal", "status", "active", 0);
    grant(&a, "pingyang", "E2", "H2", A, "marginal", "status", "stopped", 0);
    env_open(&b);
    grant(&b, "pingyang", "E1", "H1", A, "dibao", "monthly", "active", 48000);
    alert(&b, "pingyang", "A1", "H1", A, "open");
    grant(&b, "pingyang", "E2", "H2", A, "marginal", "status", "active", 0);
    picture(&b, "pingyang", "H1", B, m, 2);
    grant(&b, "pingyang", "E2", "H2", A, "marginal", "status", "stopped", 0);
    alert(&b, "pingyang", "A1", "H1", A, "resolved");
    assert_int_equal(sais_store_digest(a.store, da), 0);
    assert_int_equal(sais_store_digest(b.store, db_), 0);
    assert_string_equal(da, db_);
    city_figures_t f = fig(&b, A);
    assert_int_equal(f.entitlements_active + f.households + f.persons + f.alerts_open, 0);
    assert_int_equal(fig(&b, B).monthly_cost, 48000);
    env_close(&a);
    env_close(&b);
}

static void test_counties_parse(void **state)
{
    (void)state;
    city_county_t c[4];
    size_t n;
    char err[256];
    assert_int_equal(city_counties_parse("pingyang=tcp://10.0.26.10:7101, taishun = tcp://h2:8000",
                                         c, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].name, "pingyang");
    assert_string_equal(c[0].endpoint[0], "tcp://10.0.26.10:7103");   /* verify */
    assert_string_equal(c[0].endpoint[1], "tcp://10.0.26.10:7104");   /* rules */
    assert_string_equal(c[0].endpoint[2], "tcp://10.0.26.10:7106");   /* warn */
    assert_string_equal(c[0].endpoint[3], "tcp://10.0.26.10:7105");   /* intake */
    assert_string_equal(c[0].endpoint[4], "tcp://10.0.26.10:7107");   /* match */
    assert_string_equal(c[1].endpoint[0], "tcp://h2:8002");

    /* an explicit endpoint wins over the base, in either order */
    assert_int_equal(city_counties_parse("a.warn=ipc:///run/a-warn,a=tcp://h:7101,a.verify=tcp://x:1",
                                         c, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].endpoint[0], "tcp://x:1");
    assert_string_equal(c[0].endpoint[2], "ipc:///run/a-warn");
    assert_string_equal(c[0].endpoint[1], "tcp://h:7104");

    /* every producer given one by one */
    assert_int_equal(city_counties_parse("b.verify=inproc://1,b.rules=inproc://2,b.warn=inproc://3,"
                                         "b.intake=inproc://4,b.match=inproc://5", c, 4, &n, err, sizeof err), 0);
    assert_string_equal(c[0].endpoint[4], "inproc://5");

    static const char *const bad[] = {
        "", " , ", "pingyang", "Pingyang=tcp://h:1", "a=ipc:///x", "a=tcp://h", "a=tcp://h:x",
        "a.ingest=tcp://h:1", "a.verify=tcp://h:1", "a=", "a=tcp://h:1,b=tcp://h:2,c=tcp://h:3,d=tcp://h:4,e=tcp://h:5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(city_counties_parse(bad[i], c, 4, &n, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
        assert_int_equal(n, 0);
    }
}

static void test_sources(void **state)
{
    (void)state;
    sais_config_t *cfg = sais_config_new();
    char err[256];
    sais_source_t src[16];
    assert_non_null(cfg);
    assert_int_equal(city_sources(cfg, src, 16, err, sizeof err), 5);
    assert_string_equal(src[0].name, "verify");
    assert_string_equal(src[0].endpoint, "tcp://127.0.0.1:7103");
    char dep[CITY_NAME_MAX];
    assert_string_equal(city_source_split(cfg, "warn", dep), "warn");
    assert_string_equal(dep, "county");
    assert_int_equal(sais_config_set(cfg, "city.name", "pingyang", err, sizeof err), 0);
    city_source_split(cfg, "warn", dep);
    assert_string_equal(dep, "pingyang");

    assert_int_equal(sais_config_set(cfg, "city.deployment", "city", err, sizeof err), 0);
    assert_int_equal(city_sources(cfg, src, 16, err, sizeof err), -1);    /* no counties */
    assert_int_equal(sais_config_set(cfg, "city.counties", "pingyang=tcp://10.0.26.10:7101,taishun=tcp://10.0.29.10:7101",
                                     err, sizeof err), 0);
    assert_int_equal(city_sources(cfg, src, 16, err, sizeof err), 10);
    assert_string_equal(src[5].name, "taishun/verify");
    assert_string_equal(src[5].endpoint, "tcp://10.0.29.10:7103");
    assert_int_equal(city_sources(cfg, src, 8, err, sizeof err), -1);     /* more than the runtime reads */
    assert_string_equal(city_source_split(cfg, "taishun/match", dep), "match");
    assert_string_equal(dep, "taishun");
    assert_null(city_source_split(cfg, "taishun/ingest", dep));

    assert_int_equal(sais_config_set(cfg, "city.deployment", "province", err, sizeof err), 0);
    assert_int_equal(city_sources(cfg, src, 16, err, sizeof err), -1);
    sais_config_destroy(&cfg);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sais-test-city-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_persons_and_households),
        cmocka_unit_test(test_entitlement_transitions_counted_once),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_household_moving_region_moves_its_counts),
        cmocka_unit_test(test_person_moving_between_households),
        cmocka_unit_test(test_applications_and_wishes),
        cmocka_unit_test(test_deployments_kept_apart_and_listed),
        cmocka_unit_test(test_interleaving_gives_the_same_state),
        cmocka_unit_test(test_counties_parse),
        cmocka_unit_test(test_sources),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
