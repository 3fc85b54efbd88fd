/* The city service as an actor over inproc://: two fake counties (pingyang, taishun), each a
 * set of tiny producers that emit whatever they are handed, read by one city in a city
 * deployment (a cursor per county and producer) and by one in a county deployment. Checks
 * city.stats per county and in total, stats.get scoping, city.locate, the role checks, and a
 * restart that neither loses nor repeats an event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "city.h"
#include "city_config.h"
#include "match.pb-c.h"
#if defined(__has_include)
#if __has_include("intake.pb-c.h")
#include "intake.pb-c.h"
#define HAVE_INTAKE 1
#endif
#endif
#include "rules.pb-c.h"
#include "sais_service.h"
#include "sais_test_support.h"
#include "verify.pb-c.h"
#include "warn.pb-c.h"

#define PY "330326"
#define TS "330329"
#define P1 "330326196803120318"
#define P2 "330326197007020425"
#define P3 "330329198001010019"

/* ---------------------------------------------------------------- harness */

static char tmpdir[256];

static void set(sais_config_t *cfg, const char *k, const char *v)
{
    sais_test_set(cfg, k, v);
}

typedef struct {
    sais_config_t *cfg;
    zactor_t      *svc[CITY_NPRODUCERS];
    sais_client_t *cl;
} county_t;

static void county_start(county_t *c, const char *name)
{
    const char *svcs[CITY_NPRODUCERS + 1];
    for (int i = 0; i < CITY_NPRODUCERS; i++)
        svcs[i] = city_producers[i];
    svcs[CITY_NPRODUCERS] = NULL;
    c->cfg = sais_test_config(tmpdir, name, svcs);
    set(c->cfg, "bus.fetch_wait_ms", "100");
    for (int i = 0; i < CITY_NPRODUCERS; i++) {
        c->svc[i] = sais_service_start(sais_test_fake_producer(city_producers[i]), c->cfg);
        assert_non_null(c->svc[i]);
    }
    c->cl = sais_client_new(c->cfg);
    assert_non_null(c->cl);
}

static void county_stop(county_t *c)
{
    sais_client_destroy(&c->cl);
    for (int i = 0; i < CITY_NPRODUCERS; i++)
        sais_service_stop(&c->svc[i]);
    sais_config_destroy(&c->cfg);
}

static void emit(county_t *c, const char *producer, const char *type, const char *region, const ProtobufCMessage *m)
{
    sais_test_emit(c->cl, producer, type, region, m);
}

static void household(county_t *c, const char *hh, const char *region, const char *const *ids, size_t n)
{
    Ver__Member ms[4], *pm[4];
    for (size_t i = 0; i < n; i++) {
        ver__member__init(&ms[i]);
        ms[i].id_number = (char *)ids[i];
        ms[i].status = "active";
        pm[i] = &ms[i];
    }
    Ver__Picture p = VER__PICTURE__INIT;
    p.household_id = (char *)hh;
    p.region = (char *)region;
    p.members = pm;
    p.n_members = n;
    Ver__HouseholdChanged hc = VER__HOUSEHOLD_CHANGED__INIT;
    hc.picture = &p;
    emit(c, "verify", "household.changed", region, &hc.base);
}

static void entitlement(county_t *c, const char *change, const char *eid, const char *hh, const char *region,
                        const char *policy, const char *period, const char *status, int64_t amount)
{
    Rul__Entitlement e = RUL__ENTITLEMENT__INIT;
    e.entitlement_id = (char *)eid;
    e.household_id = (char *)hh;
    e.region = (char *)region;
    e.policy = (char *)policy;
    e.period = (char *)period;
    e.status = (char *)status;
    e.amount = amount;
    char type[64];
    snprintf(type, sizeof type, "entitlement.%s", change);
    emit(c, "rules", type, region, &e.base);
}

static void alert(county_t *c, const char *type, const char *id, const char *hh, const char *region, const char *status)
{
    Wrn__Alert a = WRN__ALERT__INIT;
    a.alert_id = (char *)id;
    a.household_id = (char *)hh;
    a.region = (char *)region;
    a.status = (char *)status;
    a.kind = "catastrophic_medical";
    emit(c, "warn", type, region, &a.base);
}

static void wish(county_t *c, const char *type, const char *id, const char *hh, const char *region,
                 const char *status, int64_t value)
{
    Mch__Wish w = MCH__WISH__INIT;
    w.wish_id = (char *)id;
    w.household_id = (char *)hh;
    w.region = (char *)region;
    w.status = (char *)status;
    w.estimated_value = 30000;
    w.value = value;
    emit(c, "match", type, region, &w.base);
}

/* An application as intake announces it; a build without intake's schema sends no payload
 * and the city counts it by type, which gives the same figures for these steps. */
static void application(county_t *c, const char *id, const char *region, const char *status)
{
    char type[64];
    snprintf(type, sizeof type, "application.%s", status);
#ifdef HAVE_INTAKE
    Itk__Application a = ITK__APPLICATION__INIT;
    a.application_id = (char *)id;
    a.handled_region = (char *)region;
    a.filed_region = (char *)region;
    a.status = (char *)status;
    emit(c, "intake", type, region, &a.base);
#else
    (void)id;
    emit(c, "intake", type, region, NULL);
#endif
}

static int call(sais_client_t *cl, const char *method, const char *role, const char *scope, char **out, ...)
{
    const sais_test_caller_t caller = {role, scope, NULL, "k-test"};
    va_list ap;
    va_start(ap, out);
    int status = sais_test_callv(cl, "city", method, &caller, NULL, NULL, 0, 5000, out, ap);
    va_end(ap);
    return status;
}

static json_t *call_json(sais_client_t *cl, const char *method, const char *role, const char *scope, int want, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, want);
    const char *k1 = va_arg(ap, const char *);
    const char *v1 = k1 ? va_arg(ap, const char *) : NULL;
    va_end(ap);
    int st = call(cl, method, role, scope, &out, k1, v1, NULL);
    return sais_test_expect_json(method, st, want, out);
}

static int64_t jint(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = o;
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && cur; t = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, t);
    return cur ? (int64_t)json_number_value(cur) : -999;
}

/* Waits until the city's total of `key` reaches want; returns the last city.stats. */
static json_t *wait_total(sais_client_t *cl, const char *key, int64_t want)
{
    json_t *j = NULL;
    for (int i = 0; i < 250; i++) {
        json_decref(j);
        j = call_json(cl, "city.stats", "city", NULL, 200, NULL);
        if (jint(json_object_get(j, "total"), key) == want)
            return j;
        usleep(20000);
    }
    char *s = json_dumps(j, 0);
    fprintf(stderr, "total.%s never reached %lld: %s\n", key, (long long)want, s);
    free(s);
    fail();
    return j;
}

static json_t *county_row(json_t *stats, const char *region)
{
    json_t *arr = json_object_get(stats, "counties"), *row;
    size_t i;
    json_array_foreach(arr, i, row)
        if (strcmp(json_string_value(json_object_get(row, "region")), region) == 0)
            return row;
    return NULL;
}

static sais_config_t *city_cfg(const char *dir, const char *deployment)
{
    static const char *const svcs[] = {"city", NULL};
    sais_config_t *cfg = sais_test_config(tmpdir, dir, svcs);
    set(cfg, "bus.fetch_wait_ms", "100");
    set(cfg, "city.deployment", deployment);
    return cfg;
}

/* ---------------------------------------------------------------- tests */

static void test_city_deployment(void **state)
{
    (void)state;
    county_t py, ts;
    county_start(&py, "pingyang");
    county_start(&ts, "taishun");
    sais_config_t *cfg = city_cfg("city", "city");
    char spec[1024] = "";
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < CITY_NPRODUCERS; i++) {
            const char *name = c ? "taishun" : "pingyang";
            size_t n = strlen(spec);
            snprintf(spec + n, sizeof spec - n, "%s%s.%s=inproc://%s-%s", n ? "," : "", name, city_producers[i],
                     name, city_producers[i]);
        }
    set(cfg, "city.counties", spec);
    zactor_t *city = sais_service_start(&city_service, cfg);
    assert_non_null(city);
    sais_client_t *cl = sais_client_new(cfg);
    assert_non_null(cl);

    const char *py_h1[] = {P1, P2};
    const char *ts_h1[] = {P3};
    household(&py, "H1", PY, py_h1, 2);
    household(&ts, "H1", TS, ts_h1, 1);       /* the same household id in another county */
    entitlement(&py, "granted", "E1", "H1", PY, "disability_care", "monthly", "active", 10000);
    entitlement(&ts, "granted", "E1", "H1", TS, "dibao", "monthly", "active", 48000);
    entitlement(&ts, "granted", "E2", "H1", TS, "temp_medical", "one_off", "active", 3216000);
    alert(&py, "alert.raised", "A1", "H1", PY, "open");
    alert(&py, "alert.evidence", "A1", "H1", PY, "open");
    emit(&py, "intake", "application.submitted", PY, NULL);   /* no payload: counted by type */
    application(&ts, "A1", TS, "submitted");
    application(&ts, "A1", TS, "verifying");
    application(&ts, "A1", TS, "pending_review");
    application(&ts, "A1", TS, "approved");
    wish(&ts, "wish.created", "W1", "H1", TS, "open", 0);
    wish(&ts, "wish.matched", "W1", "H1", TS, "matched", 25000);
    wish(&ts, "wish.fulfilled", "W1", "H1", TS, "fulfilled", 25000);
    wish(&py, "wish.created", "W1", "H1", PY, "open", 0);      /* another county's W1 */
    emit(&py, "match", "wish.created", PY, NULL);               /* no payload: counted by type */

    json_t *j = wait_total(cl, "wishes.submitted", 3), *t;
    json_decref(j);
    j = wait_total(cl, "applications.approved", 1);
    t = json_object_get(j, "total");
    assert_true(jint(t, "applications.submitted") >= 2);
    assert_int_equal(jint(t, "applications.pending_review"), 0);
    assert_int_equal(jint(t, "applications.verifying"), 0);
    assert_int_equal(jint(county_row(j, TS), "applications.approved"), 1);
    json_decref(j);
#ifdef HAVE_INTAKE
    /* with the payload each application is counted in its current status */
    application(&ts, "A2", TS, "submitted");
    application(&ts, "A2", TS, "pending_review");
    application(&ts, "A2", TS, "pending_review");
    j = wait_total(cl, "applications.pending_review", 1);
    assert_int_equal(jint(json_object_get(j, "total"), "applications.submitted"), 3);
    json_decref(j);
    application(&ts, "A2", TS, "rejected");
    j = wait_total(cl, "applications.rejected", 1);
    assert_int_equal(jint(json_object_get(j, "total"), "applications.pending_review"), 0);
    json_decref(j);
#endif
    j = wait_total(cl, "alerts_open", 1);
    t = json_object_get(j, "total");
    assert_int_equal(jint(t, "persons"), 3);
    assert_int_equal(jint(t, "households"), 2);
    assert_int_equal(jint(t, "entitlements_active"), 3);
    assert_true(json_real_value(json_object_get(t, "monthly_cost")) == 580.0);
    assert_int_equal(jint(t, "monitored"), 1);
    assert_int_equal(jint(t, "beneficiaries"), 2);
    assert_int_equal(jint(t, "wishes.fulfilled"), 1);
    assert_true(json_real_value(json_object_get(t, "donations_value")) == 250.0);
    assert_string_equal(json_string_value(json_object_get(j, "deployment")), "city");
    json_t *r = county_row(j, PY);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "Pingyang");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "deployments"), 0)), "pingyang");
    assert_int_equal(jint(r, "persons"), 2);
    assert_int_equal(jint(r, "alerts_open"), 1);
    assert_true(json_real_value(json_object_get(r, "monthly_cost")) == 100.0);
    r = county_row(j, TS);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "Taishun");
    assert_int_equal(jint(r, "persons"), 1);
    assert_int_equal(jint(r, "monitored"), 1);
    assert_int_equal(jint(r, "entitlements_active"), 2);
    json_decref(j);

    /* stats.get: a caseworker sees its scope, a charity the city, a bad prefix is 422 */
    j = call_json(cl, "stats.get", "caseworker", TS, 200, NULL);
    assert_int_equal(jint(j, "persons"), 1);
    assert_int_equal(json_array_size(json_object_get(j, "regions")), 1);
    json_decref(j);
    j = call_json(cl, "stats.get", "caseworker", TS, 200, "region", "3303", NULL);
    assert_int_equal(jint(j, "persons"), 1);
    json_decref(j);
    j = call_json(cl, "stats.get", "caseworker", PY, 200, "region", TS, NULL);
    assert_int_equal(jint(j, "persons"), 0);
    json_decref(j);
    j = call_json(cl, "stats.get", "charity", NULL, 200, NULL);
    assert_int_equal(jint(j, "persons"), 3);
    assert_true(jint(j, "applications.submitted") >= 2);
    json_decref(j);
    j = call_json(cl, "stats.get", "admin", NULL, 200, "region", PY, NULL);
    assert_int_equal(jint(j, "persons"), 2);
    assert_int_equal(jint(j, "entitlements_active"), 1);
    json_decref(j);
    j = call_json(cl, "stats.get", "admin", NULL, 422, "region", "33x", NULL);
    json_decref(j);

    /* locate names the county whose events placed the person */
    j = call_json(cl, "city.locate", "city", NULL, 200, "id_number", P3, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "region")), TS);
    assert_string_equal(json_string_value(json_object_get(j, "deployment")), "taishun");
    json_decref(j);
    j = call_json(cl, "city.locate", "city", NULL, 404, "id_number", "11010519491231002X", NULL);
    json_decref(j);
    j = call_json(cl, "city.locate", "city", NULL, 422, "id_number", "330326196803120315", NULL);
    json_decref(j);
    j = call_json(cl, "city.locate", "caseworker", PY, 403, "id_number", P3, NULL);
    json_decref(j);
    j = call_json(cl, "city.stats", "charity", NULL, 403, NULL);
    json_decref(j);

    /* a restart neither loses nor repeats: the cursors are per county and producer */
    sais_client_destroy(&cl);
    sais_service_stop(&city);
    entitlement(&ts, "stopped", "E1", "H1", TS, "dibao", "monthly", "stopped", 48000);
    alert(&py, "alert.resolved", "A1", "H1", PY, "resolved");
    city = sais_service_start(&city_service, cfg);
    assert_non_null(city);
    cl = sais_client_new(cfg);
    assert_non_null(cl);
    j = wait_total(cl, "alerts_open", 0);
    json_decref(j);
    j = wait_total(cl, "entitlements_active", 2);
    t = json_object_get(j, "total");
    assert_int_equal(jint(t, "persons"), 3);
    assert_int_equal(jint(t, "monitored"), 0);
    assert_true(json_real_value(json_object_get(t, "monthly_cost")) == 100.0);
    assert_true(jint(t, "applications.submitted") >= 2);
    assert_int_equal(jint(t, "wishes.fulfilled"), 1);
    assert_int_equal(jint(t, "wishes.submitted"), 3);
    json_decref(j);

    char *out = NULL;
    assert_int_equal(call(cl, "bus.status", NULL, NULL, &out, NULL), 200);
    assert_non_null(strstr(out, "\"taishun/rules\":3"));
    assert_non_null(strstr(out, "\"pingyang/warn\":3"));
    free(out);

    sais_client_destroy(&cl);
    sais_service_stop(&city);
    sais_config_destroy(&cfg);
    county_stop(&ts);
    county_stop(&py);
}

static void test_county_deployment(void **state)
{
    (void)state;
    county_t py;
    county_start(&py, "pingyang2");
    sais_config_t *cfg = city_cfg("county", "county");
    char k[64], v[256];
    for (int i = 0; i < CITY_NPRODUCERS; i++) {
        snprintf(k, sizeof k, "%s.endpoint", city_producers[i]);
        snprintf(v, sizeof v, "inproc://pingyang2-%s", city_producers[i]);
        set(cfg, k, v);
    }
    set(cfg, "city.name", "pingyang");
    zactor_t *city = sais_service_start(&city_service, cfg);
    assert_non_null(city);
    sais_client_t *cl = sais_client_new(cfg);
    assert_non_null(cl);
    const char *ids[] = {P1};
    household(&py, "H7", PY, ids, 1);
    json_t *j = wait_total(cl, "persons", 1);
    json_decref(j);
    j = call_json(cl, "city.locate", "admin", NULL, 200, "id_number", P1, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "deployment")), "pingyang");
    assert_string_equal(json_string_value(json_object_get(j, "household_id")), "H7");
    json_decref(j);
    sais_client_destroy(&cl);
    sais_service_stop(&city);

    /* a city deployment without counties does not start */
    set(cfg, "city.deployment", "city");
    assert_null(sais_service_start(&city_service, cfg));
    sais_config_destroy(&cfg);
    county_stop(&py);
}

int main(void)
{
    if (sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "test-citysvc") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_city_deployment),
        cmocka_unit_test(test_county_deployment),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (sais_test_tmpdir_remove(tmpdir) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
