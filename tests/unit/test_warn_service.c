/* The warn service as an actor over inproc://, fed by a fake "verify" and a fake "rules"
 * (tiny service definitions that emit whatever protobuf they are handed): the Cangnan check,
 * catastrophic medical costs, visit risks raised and resolved, follow-ups overdue from the
 * timer table, the dibao re-check, visit codes, region scope, compare.run raising nothing
 * new, a restart, and two runs giving the same state digest. The clock is pinned. */
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

#include "sais_clock.h"
#include "sais_service.h"
#include "sais_test_support.h"
#include "rules.pb-c.h"
#include "verify.pb-c.h"
#include "warn.h"
#include "warn.pb-c.h"

#define NOW "2026-11-23T08:00:00Z"

/* ---------------------------------------------------------------- harness */

static char tmpdir[256];

typedef struct {
    sais_config_t *cfg;
    zactor_t      *verify, *rules, *warn;
    sais_client_t *cl;
    uint64_t       seq_verify, seq_rules;
} env_t;

static void env_start(env_t *e, const char *name)
{
    static const char *const svcs[] = {"verify", "rules", "warn", NULL};
    memset(e, 0, sizeof *e);
    e->cfg = sais_test_config(tmpdir, name, svcs);
    sais_test_set(e->cfg, "warn.visit_code_ttl_s", "60");
    e->verify = sais_service_start(sais_test_fake_producer("verify"), e->cfg);
    e->rules = sais_service_start(sais_test_fake_producer("rules"), e->cfg);
    e->warn = sais_service_start(&warn_service, e->cfg);
    assert_non_null(e->verify);
    assert_non_null(e->rules);
    assert_non_null(e->warn);
    e->cl = sais_client_new(e->cfg);
    assert_non_null(e->cl);
}

static void env_stop(env_t *e)
{
    sais_client_destroy(&e->cl);
    sais_service_stop(&e->warn);
    sais_service_stop(&e->rules);
    sais_service_stop(&e->verify);
    sais_config_destroy(&e->cfg);
}

/* A request as the gateway makes it: caller role and region scope, params, body. Returns
 * the status; *out (may be NULL) gets the body (caller frees). */
static int callv(env_t *e, const char *svc, const char *method, const char *role, const char *scope,
                 const void *body, size_t len, char **out, va_list ap)
{
    const sais_test_caller_t who = {role, scope, "tester", "k-test"};
    return sais_test_callv(e->cl, svc, method, &who, NULL, body, len, 5000, out, ap);
}

static int call(env_t *e, const char *svc, const char *method, const char *role, const char *scope,
                const char *json, char **out, ...)
{
    va_list ap;
    va_start(ap, out);
    int st = callv(e, svc, method, role, scope, json, json ? strlen(json) : 0, out, ap);
    va_end(ap);
    return st;
}

static json_t *call_json(env_t *e, const char *method, const char *role, const char *scope,
                         const char *body, int want, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, want);
    int st = callv(e, "warn", method, role, scope, body, body ? strlen(body) : 0, &out, ap);
    va_end(ap);
    return sais_test_expect_json(method, st, want, out);
}

/* Emits one event from a fake producer and waits until warn has applied it. */
static void emit(env_t *e, const char *producer, const char *type, const char *region, const ProtobufCMessage *m)
{
    sais_test_emit(e->cl, producer, type, region, m);
    uint64_t *seq = strcmp(producer, "verify") == 0 ? &e->seq_verify : &e->seq_rules;
    (*seq)++;
    sais_test_wait_cursor(e->cl, "warn", producer, *seq);
}

/* ---------------------------------------------------------------- fixtures */

typedef struct {
    Ver__Picture pic;
    Ver__Member  m[3], *mp[3];
    Ver__HouseholdChanged hc;
    Sais__Evidence cause, *causep[1];
} hh_t;

static void hh_init(hh_t *h, const char *hid, const char *region, const char *src, const char *rec)
{
    memset(h, 0, sizeof *h);
    ver__picture__init(&h->pic);
    ver__household_changed__init(&h->hc);
    sais__evidence__init(&h->cause);
    h->pic.household_id = (char *)hid;
    h->pic.region = (char *)region;
    h->pic.as_of = "2026-11-23";
    h->pic.members = h->mp;
    h->hc.picture = &h->pic;
    h->hc.reason = (char *)src;
    h->cause.source = (char *)src;
    h->cause.record_id = (char *)rec;
    h->cause.batch_id = "b1";
    h->causep[0] = &h->cause;
    h->hc.cause = h->causep;
    h->hc.n_cause = 1;
}

static void hh_member(hh_t *h, const char *id, const char *status, int64_t income, bool able)
{
    size_t i = h->pic.n_members++;
    ver__member__init(&h->m[i]);
    h->m[i].id_number = (char *)id;
    h->m[i].status = (char *)status;
    h->m[i].counted = strcmp(status, "active") == 0;
    h->m[i].income_12m = income;
    h->m[i].able_to_work = able;
    h->mp[i] = &h->m[i];
    if (i == 0)
        h->pic.head_id = (char *)id;
    h->pic.counted = 0;
    h->pic.income_12m = 0;
    for (size_t k = 0; k <= i; k++) {
        h->pic.counted += h->m[k].counted;
        h->pic.income_12m += h->m[k].counted ? h->m[k].income_12m : 0;
    }
}

static void entitle(env_t *e, const char *type, const char *id, const char *hid, const char *region,
                    const char *policy, const char *status, int64_t amount, int64_t prev, const char *granted)
{
    Rul__Entitlement en = RUL__ENTITLEMENT__INIT;
    en.entitlement_id = (char *)id;
    en.household_id = (char *)hid;
    en.policy = (char *)policy;
    en.period = strcmp(policy, "temp_medical") == 0 ? "one_off" : "monthly";
    en.status = (char *)status; /* as rules writes them: "active" also for one-off grants */
    en.amount = amount;
    en.previous_amount = prev;
    en.region = (char *)region;
    en.change = strcmp(type, "entitlement.changed") == 0 ? "changed" : (char *)type + strlen("entitlement.");
    en.granted_at = sais_time_parse(granted);
    en.changed_at = sais_clock_now();
    emit(e, "rules", type, region, &en.base);
}

static void person(env_t *e, const char *kind, const char *id, const char *hid, const char *region,
                   const char *date, const char *src, const char *rec)
{
    Ver__PersonEvent pe = VER__PERSON_EVENT__INIT;
    Sais__Evidence ev = SAIS__EVIDENCE__INIT;
    ev.source = (char *)src;
    ev.record_id = (char *)rec;
    ev.batch_id = "b2";
    pe.id_number = (char *)id;
    pe.household_id = (char *)hid;
    pe.region = (char *)region;
    pe.kind = (char *)kind;
    pe.date = (char *)date;
    pe.evidence = &ev;
    emit(e, "verify", "person.event", region, &pe.base);
}

/* The alerts an admin sees with the given filters (NULL-terminated pairs). */
static json_t *alerts(env_t *e, ...)
{
    va_list ap;
    va_start(ap, e);
    char *out = NULL;
    int st = callv(e, "warn", "alerts.list", "admin", NULL, NULL, 0, &out, ap);
    va_end(ap);
    assert_int_equal(st, 200);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    json_t *items = json_incref(json_object_get(j, "items"));
    json_decref(j);
    assert_true(json_is_array(items));
    return items;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Waits for the tick to raise an alert of `kind` (timers run every second). */
static json_t *wait_alert(env_t *e, const char *kind, size_t want)
{
    json_t *a = NULL;
    for (int i = 0; i < 60; i++) {
        json_decref(a);
        a = alerts(e, "kind", kind, NULL);
        if (json_array_size(a) >= want)
            break;
        usleep(100000);
    }
    assert_int_equal(json_array_size(a), want);
    return a;
}

/* ---------------------------------------------------------------- the scenario */

#define A_CN "330327198001010011"
#define B_CN "330327198205050022"
#define C_PY "330326196501010017"
#define D_RA "330381194501010015"

static void cangnan(env_t *e)
{
    hh_t h;
    hh_init(&h, "HCN1", "330327", "hukou", "HK1");
    hh_member(&h, A_CN, "active", 3600000, true);
    hh_member(&h, B_CN, "active", 600000, true);
    emit(e, "verify", "household.changed", "330327", &h.hc.base);
    entitle(e, "entitlement.granted", "E1", "HCN1", "330327", "dibao", "active", 240000, 0, "2026-06-01T02:00:00Z");
    json_t *a = alerts(e, NULL);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);

    /* the procuratorate's record: a dibao beneficiary is in prison */
    person(e, "incarcerated", B_CN, "HCN1", "330327", "2026-11-20", "justice", "J1");
    a = alerts(e, "kind", "beneficiary_incarcerated", NULL);
    assert_int_equal(json_array_size(a), 1);
    json_t *al = json_array_get(a, 0);
    assert_string_equal(jstr(al, "severity"), "high");
    assert_string_equal(jstr(al, "status"), "open");
    assert_string_equal(jstr(al, "region"), "330327");
    assert_string_equal(jstr(al, "household_id"), "HCN1");
    assert_string_equal(jstr(al, "id_number"), B_CN);
    assert_string_equal(jstr(al, "raised_at"), NOW);
    assert_int_equal(json_array_size(json_object_get(al, "evidence")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(al, "evidence"), 0), "record_id"), "J1");
    json_decref(a);

    /* rules reacts (B no longer counted): the alert records what it did */
    entitle(e, "entitlement.changed", "E1", "HCN1", "330327", "dibao", "active", 120000, 240000, "2026-06-01T02:00:00Z");
    /* verify's picture showing the incarceration, then a second justice record */
    hh_t h2;
    hh_init(&h2, "HCN1", "330327", "justice", "J1");
    hh_member(&h2, A_CN, "active", 3600000, true);
    hh_member(&h2, B_CN, "incarcerated", 600000, true);
    emit(e, "verify", "household.changed", "330327", &h2.hc.base);
    person(e, "incarcerated", B_CN, "HCN1", "330327", "2026-11-20", "justice", "J2");
    a = alerts(e, "kind", "beneficiary_incarcerated", NULL);
    assert_int_equal(json_array_size(a), 1); /* still one alert ... */
    al = json_array_get(a, 0);
    json_t *ev = json_object_get(al, "evidence");
    assert_int_equal(json_array_size(ev), 2); /* ... with both records */
    assert_string_equal(jstr(json_array_get(ev, 1), "record_id"), "J2");
    json_t *actions = json_object_get(al, "actions");
    assert_int_equal(json_array_size(actions), 1);
    assert_string_equal(json_string_value(json_array_get(actions, 0)),
                        "entitlement dibao amount_changed 2400.00 -> 1200.00 (E1)");
    json_decref(a);
}

static void catastrophic(env_t *e)
{
    hh_t h;
    hh_init(&h, "HPY1", "330326", "medical", "M1");
    hh_member(&h, C_PY, "active", 4800000, true);
    h.pic.oop_12m = 4020000;
    emit(e, "verify", "household.changed", "330326", &h.hc.base);
    json_t *a = alerts(e, "kind", "catastrophic_medical", NULL);
    assert_int_equal(json_array_size(a), 1);
    json_t *al = json_array_get(a, 0);
    assert_string_equal(jstr(al, "severity"), "high");
    assert_string_equal(jstr(al, "id_number"), C_PY);
    assert_non_null(strstr(jstr(al, "detail"), "40200.00"));
    json_decref(a);
    entitle(e, "entitlement.granted", "E2", "HPY1", "330326", "temp_medical", "active", 3216000, 0, NOW);
    h.pic.oop_12m = 4520000;
    h.cause.record_id = "M2";
    emit(e, "verify", "household.changed", "330326", &h.hc.base);
    /* an hrss change while the condition holds brings no medical evidence */
    h.cause.source = "hrss";
    h.cause.record_id = "W1";
    h.hc.reason = "hrss";
    emit(e, "verify", "household.changed", "330326", &h.hc.base);
    a = alerts(e, "kind", "catastrophic_medical", NULL);
    assert_int_equal(json_array_size(a), 1);
    al = json_array_get(a, 0);
    assert_int_equal(json_array_size(json_object_get(al, "evidence")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(al, "actions"), 0)),
                        "entitlement temp_medical granted 32160.00 (E2)");
    json_decref(a);
}

static void recheck(env_t *e)
{
    hh_t h;
    hh_init(&h, "HRA1", "330381", "hukou", "HK9");
    hh_member(&h, D_RA, "active", 0, false);
    emit(e, "verify", "household.changed", "330381", &h.hc.base);
    /* granted 2025-01-10, nobody able to work: due 12 months later, i.e. already */
    entitle(e, "entitlement.granted", "E3", "HRA1", "330381", "dibao", "active", 120000, 0, "2025-01-10T02:00:00Z");
    json_t *a = wait_alert(e, "recheck_due", 1);
    json_t *al = json_array_get(a, 0);
    assert_string_equal(jstr(al, "severity"), "low");
    assert_non_null(strstr(jstr(al, "detail"), "2026-01-10"));
    char id[32];
    snprintf(id, sizeof id, "%s", jstr(al, "alert_id"));
    json_decref(a);
    /* the re-check is done: resolving it starts the next period from today */
    json_t *r = call_json(e, "alerts.resolve", "reviewer", "330381", "{\"outcome\":\"rechecked\"}", 200, "id", id, NULL);
    assert_string_equal(jstr(r, "status"), "resolved");
    json_decref(r);
    usleep(1500000); /* a tick or two: nothing is due any more */
    a = alerts(e, "kind", "recheck_due", NULL);
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
}

static const char *VISIT_RISKY =
    "{\"household_id\":\"HPY1\",\"visitor\":\"Wang\",\"visited_at\":\"2026-11-20\",\"note\":\"leaking roof\","
    "\"risks\":{\"economy\":1,\"health\":3,\"education\":0,\"housing\":2,\"employment\":0,\"safety\":0}}";
static const char *VISIT_CALM =
    "{\"household_id\":\"HPY1\",\"visitor\":\"Wang\",\"visited_at\":\"2026-11-22\",\"follow_up_due\":\"2026-11-22\","
    "\"risks\":{\"economy\":1,\"health\":1,\"education\":0,\"housing\":1,\"employment\":0,\"safety\":0}}";

static void visits(env_t *e)
{
    json_t *v = call_json(e, "visits.create", "caseworker", "330326", VISIT_RISKY, 201, NULL);
    assert_string_equal(jstr(v, "household_id"), "HPY1");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "risks"), "health")), 3);
    json_decref(v);
    json_t *a = alerts(e, "kind", "visit_risk", NULL);
    assert_int_equal(json_array_size(a), 1);
    json_t *al = json_array_get(a, 0);
    assert_string_equal(jstr(al, "severity"), "high");
    assert_string_equal(jstr(al, "status"), "open");
    assert_non_null(strstr(jstr(al, "detail"), "health 3, housing 2"));
    json_decref(a);

    /* invalid visits: a missing aspect, a risk out of range, another region's household */
    char *out = NULL;
    assert_int_equal(call(e, "warn", "visits.create", "caseworker", "330326",
                          "{\"household_id\":\"HPY1\",\"visited_at\":\"2026-11-20\",\"risks\":{\"economy\":1,\"health\":1,"
                          "\"education\":0,\"housing\":1,\"employment\":0}}", &out, NULL), 422);
    assert_non_null(strstr(out, "risks.safety"));
    free(out);
    assert_int_equal(call(e, "warn", "visits.create", "caseworker", "330326",
                          "{\"household_id\":\"HPY1\",\"visited_at\":\"2026-11-20\",\"risks\":{\"economy\":4,\"health\":1,"
                          "\"education\":0,\"housing\":1,\"employment\":0,\"safety\":0}}", NULL, NULL), 422);
    assert_int_equal(call(e, "warn", "visits.create", "caseworker", "330326",
                          "{\"household_id\":\"HCN1\",\"visited_at\":\"2026-11-20\",\"risks\":{\"economy\":1,\"health\":1,"
                          "\"education\":0,\"housing\":1,\"employment\":0,\"safety\":0}}", NULL, NULL), 403);
    assert_int_equal(call(e, "warn", "visits.create", "caseworker", "330326", "{\"household_id\":", NULL, NULL), 400);

    /* a later calm visit resolves the risk; its follow-up was due yesterday... */
    v = call_json(e, "visits.create", "caseworker", "330326", VISIT_CALM, 201, NULL);
    json_decref(v);
    a = alerts(e, "kind", "visit_risk", NULL);
    assert_string_equal(jstr(json_array_get(a, 0), "status"), "resolved");
    assert_string_equal(jstr(json_array_get(a, 0), "outcome"), "visited");
    json_decref(a);
    /* ... so the timer table raises follow_up_overdue */
    a = wait_alert(e, "follow_up_overdue", 1);
    assert_string_equal(jstr(json_array_get(a, 0), "status"), "open");
    json_decref(a);
    json_t *due = call_json(e, "visits.due", "caseworker", "330326", NULL, 200, "region", "330326", NULL);
    json_t *items = json_object_get(due, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_true(json_is_true(json_object_get(json_array_get(items, 0), "overdue")));
    assert_string_equal(jstr(json_array_get(items, 0), "follow_up_due"), "2026-11-22");
    json_decref(due);
    /* another county's caseworker does not see it */
    due = call_json(e, "visits.due", "caseworker", "330327", NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(due, "items")), 0);
    json_decref(due);

    /* the door-plate code: a visit with it needs no household id */
    json_t *code = call_json(e, "visits.code", "caseworker", "330326", NULL, 200, "household_id", "HPY1", NULL);
    char token[300];
    snprintf(token, sizeof token, "%s", jstr(code, "token"));
    assert_true(strlen(token) > 20);
    assert_non_null(strstr(jstr(code, "qr_svg"), "<svg"));
    assert_string_equal(jstr(code, "expires_at"), "2026-11-23T08:01:00Z");
    json_decref(code);
    assert_int_equal(call(e, "warn", "visits.code", "caseworker", "330327", NULL, NULL, "household_id", "HPY1", NULL), 403);
    assert_int_equal(call(e, "warn", "visits.code", "caseworker", "330326", NULL, NULL, "household_id", "NOPE", NULL), 404);

    char body[800];
    const char *risks = "\"risks\":{\"economy\":0,\"health\":0,\"education\":0,\"housing\":0,\"employment\":0,\"safety\":0}";
    /* another household's id with this code */
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"household_id\":\"HCN1\",\"visited_at\":\"2026-11-23\",%s}", token, risks);
    out = NULL;
    assert_int_equal(call(e, "warn", "visits.create", "admin", NULL, body, &out, NULL), 422);
    assert_non_null(strstr(out, "visit_code_mismatch"));
    free(out);
    /* a forged code */
    char forged[300];
    snprintf(forged, sizeof forged, "%s", token);
    forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'x' ? 'y' : 'x';
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"visited_at\":\"2026-11-23\",%s}", forged, risks);
    out = NULL;
    assert_int_equal(call(e, "warn", "visits.create", "caseworker", "330326", body, &out, NULL), 422);
    assert_non_null(strstr(out, "bad_visit_code"));
    free(out);
    /* an expired code (the clock moves past its 60 s) */
    assert_int_equal(sais_clock_pin("2026-11-23T08:01:01Z"), 0);
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"visited_at\":\"2026-11-23\",%s}", token, risks);
    out = NULL;
    assert_int_equal(call(e, "warn", "visits.create", "caseworker", "330326", body, &out, NULL), 422);
    assert_non_null(strstr(out, "visit_code_expired"));
    free(out);
    assert_int_equal(sais_clock_pin(NOW), 0);
    /* the genuine one: the visit is later than the follow-up, which is then done */
    v = call_json(e, "visits.create", "caseworker", "330326", body, 201, NULL);
    assert_true(json_is_true(json_object_get(v, "by_code")));
    assert_string_equal(jstr(v, "household_id"), "HPY1");
    json_decref(v);
    a = alerts(e, "kind", "follow_up_overdue", NULL);
    assert_string_equal(jstr(json_array_get(a, 0), "status"), "resolved");
    json_decref(a);
    due = call_json(e, "visits.due", "admin", NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(due, "items")), 0);
    json_decref(due);
    json_t *list = call_json(e, "visits.list", "caseworker", "330326", NULL, 200, "household_id", "HPY1", NULL);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 3);
    json_decref(list);
    list = call_json(e, "visits.list", "caseworker", "330326", NULL, 200, "household_id", "HPY1", "limit", "2", NULL);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
    char next[64];
    snprintf(next, sizeof next, "%s", jstr(list, "next_cursor"));
    json_decref(list);
    list = call_json(e, "visits.list", "caseworker", "330326", NULL, 200, "household_id", "HPY1", "cursor", next, NULL);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 1);
    assert_true(json_is_null(json_object_get(list, "next_cursor")));
    json_decref(list);
}

static void scope_and_workflow(env_t *e)
{
    /* a Pingyang caseworker sees Pingyang's alerts only */
    json_t *l = call_json(e, "alerts.list", "caseworker", "330326", NULL, 200, NULL);
    json_t *items = json_object_get(l, "items");
    assert_true(json_array_size(items) >= 1);
    for (size_t i = 0; i < json_array_size(items); i++)
        assert_string_equal(jstr(json_array_get(items, i), "region"), "330326");
    json_decref(l);
    l = call_json(e, "alerts.list", "caseworker", "3303", NULL, 200, "region", "330327", "status", "open", NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
    json_decref(l);
    l = call_json(e, "alerts.list", "admin", NULL, NULL, 422, "kind", "no_such_kind", NULL);
    json_decref(l);

    json_t *a = alerts(e, "kind", "beneficiary_incarcerated", NULL);
    char id[32];
    snprintf(id, sizeof id, "%s", jstr(json_array_get(a, 0), "alert_id"));
    json_decref(a);
    assert_int_equal(call(e, "warn", "alerts.acknowledge", "caseworker", "330326", "{\"note\":\"x\"}", NULL, "id", id, NULL), 403);
    assert_int_equal(call(e, "warn", "alerts.acknowledge", "caseworker", "330327", "{}", NULL, "id", "AL99999999", NULL), 404);
    json_t *r = call_json(e, "alerts.acknowledge", "caseworker", "330327", "{\"note\":\"visiting Friday\"}", 200, "id", id, NULL);
    assert_string_equal(jstr(r, "status"), "acknowledged");
    assert_string_equal(jstr(r, "note"), "visiting Friday");
    json_decref(r);
    r = call_json(e, "alerts.resolve", "reviewer", "330327", "{\"outcome\":\"benefit_adjusted\",\"note\":\"done\"}", 200, "id", id, NULL);
    assert_string_equal(jstr(r, "status"), "resolved");
    assert_string_equal(jstr(r, "outcome"), "benefit_adjusted");
    json_decref(r);
    assert_int_equal(call(e, "warn", "alerts.resolve", "reviewer", "330327", "{}", NULL, "id", id, NULL), 409);
    assert_int_equal(call(e, "warn", "alerts.acknowledge", "caseworker", "330327", "{}", NULL, "id", id, NULL), 409);
    /* the same incarceration reported again does not reopen a resolved alert */
    person(e, "incarcerated", B_CN, "HCN1", "330327", "2026-11-20", "justice", "J3");
    a = alerts(e, "kind", "beneficiary_incarcerated", NULL);
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);

    /* paging through everything */
    json_t *all = alerts(e, NULL);
    size_t total = json_array_size(all);
    assert_true(total >= 5);
    json_decref(all);
    size_t seen = 0;
    char cursor[64] = "";
    for (int guard = 0; guard < 20; guard++) {
        l = *cursor ? call_json(e, "alerts.list", "admin", NULL, NULL, 200, "limit", "2", "cursor", cursor, NULL)
                    : call_json(e, "alerts.list", "admin", NULL, NULL, 200, "limit", "2", NULL);
        seen += json_array_size(json_object_get(l, "items"));
        json_t *nc = json_object_get(l, "next_cursor");
        bool more = json_is_string(nc);
        if (more)
            snprintf(cursor, sizeof cursor, "%s", json_string_value(nc));
        json_decref(l);
        if (!more)
            break;
    }
    assert_int_equal(seen, total);
}

static void events_and_compare(env_t *e)
{
    /* what notify will see: alert.* events in warn's own log */
    Sais__FetchRequest fq = SAIS__FETCH_REQUEST__INIT;
    fq.max = 1000;
    uint8_t fb[32];
    size_t fn = sais__fetch_request__pack(&fq, fb);
    Sais__Request req = SAIS__REQUEST__INIT;
    req.method = "bus.fetch";
    req.body.data = fb;
    req.body.len = fn;
    Sais__Reply *rep = NULL;
    assert_int_equal(sais_client_call(e->cl, "warn", &req, 5000, &rep), SAIS_CALL_OK);
    assert_int_equal(rep->status, 200);
    Sais__FetchReply *fr = sais__fetch_reply__unpack(NULL, rep->body.len, rep->body.data);
    assert_non_null(fr);
    int raised = 0, evidence = 0, acked = 0, resolved = 0;
    for (size_t i = 0; i < fr->n_events; i++) {
        const char *t = fr->events[i]->type;
        Wrn__Alert *a = wrn__alert__unpack(NULL, fr->events[i]->payload.len, fr->events[i]->payload.data);
        assert_non_null(a);
        assert_string_equal(fr->events[i]->region, a->region);
        wrn__alert__free_unpacked(a, NULL);
        raised += strcmp(t, "alert.raised") == 0;
        evidence += strcmp(t, "alert.evidence") == 0;
        acked += strcmp(t, "alert.acknowledged") == 0;
        resolved += strcmp(t, "alert.resolved") == 0;
    }
    json_t *all = alerts(e, NULL);
    assert_int_equal(raised, (int)json_array_size(all));
    json_decref(all);
    assert_true(evidence >= 2);
    assert_int_equal(acked, 1);
    assert_int_equal(resolved, 4); /* recheck, visit risk, follow-up, incarceration */
    sais__fetch_reply__free_unpacked(fr, NULL);
    sais__reply__free_unpacked(rep, NULL);

    /* the safety net finds nothing the events did not */
    json_t *c = call_json(e, "compare.run", "admin", NULL, NULL, 200, "month", "2026-11", NULL);
    assert_string_equal(jstr(c, "month"), "2026-11");
    assert_int_equal(json_integer_value(json_object_get(c, "households")), 3);
    assert_int_equal(json_integer_value(json_object_get(c, "raised")), 0);
    assert_int_equal(json_integer_value(json_object_get(c, "evidence_added")), 0);
    json_decref(c);
    c = call_json(e, "compare.run", "admin", NULL, NULL, 422, "month", "2099-01", NULL);
    json_decref(c);
    c = call_json(e, "compare.run", "admin", NULL, NULL, 422, "month", "2026-13", NULL);
    json_decref(c);
}

static char *digest(env_t *e)
{
    char *out = NULL;
    assert_int_equal(call(e, "warn", "digest", NULL, NULL, NULL, &out, NULL), 200);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    char *d = strdup(jstr(j, "digest"));
    json_decref(j);
    return d;
}

static char *run_scenario(const char *name)
{
    env_t e;
    env_start(&e, name);
    cangnan(&e);
    catastrophic(&e);
    recheck(&e);
    visits(&e);
    scope_and_workflow(&e);
    events_and_compare(&e);
    char *d1 = digest(&e);

    /* a restart keeps everything and changes nothing */
    sais_service_stop(&e.warn);
    e.warn = sais_service_start(&warn_service, e.cfg);
    assert_non_null(e.warn);
    /* inproc pipes to the old actor are gone for good: talk to the new one afresh */
    sais_client_destroy(&e.cl);
    e.cl = sais_client_new(e.cfg);
    assert_non_null(e.cl);
    usleep(1500000); /* a tick or two */
    char *d2 = digest(&e);
    assert_string_equal(d1, d2);
    json_t *all = alerts(&e, NULL);
    assert_true(json_array_size(all) >= 5);
    json_decref(all);
    free(d2);
    env_stop(&e);
    return d1;
}

static void test_warn_service(void **state)
{
    (void)state;
    assert_int_equal(sais_clock_pin(NOW), 0);
    char *d1 = run_scenario("one");
    char *d2 = run_scenario("two");
    assert_string_equal(d1, d2); /* two runs, identical state */
    free(d1);
    free(d2);
}

int main(void)
{
    if (sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "test-warn") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warn_service),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (sais_test_tmpdir_remove(tmpdir) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
