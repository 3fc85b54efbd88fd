/* The intake service as an actor over inproc://, with a fake "verify" (persons.get,
 * verifications.create) and a fake "rules" (policies.evaluate, policies.list, and an "emit"
 * that puts a case.proactive on its log): applications filed with three fields and moved on
 * to every outcome, the cross-county case (Taishun person at a Pingyang window), masking,
 * the queue, review and 409, validation, idempotency keys, verify down and back (one history
 * step about it), rules not knowing a household yet, proactive cases once per case id, the
 * events intake emits, and a restart. The clock is pinned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sais_clock.h"
#include "sais_service.h"
#include "sais_test_support.h"
#include "intake.h"
#include "intake.pb-c.h"
#include "rules.pb-c.h"
#include "verify.pb-c.h"

#define NOW "2026-11-23T08:00:00Z"

/* ---------------------------------------------------------------- the registry and rules */

#define TAISHUN  "330329195001010015"   /* registered in Taishun, dibao-eligible */
#define PINGYANG "330326196803120318"   /* Pingyang, an automatic temp_medical grant */
#define RICH     "33032619800101001X"   /* Pingyang, eligible for nothing */
#define LAGGING  "330326199001010014"   /* rules has not seen the household the first times */
#define GHOST    "11010519491231002X"   /* valid, not in the registry */

static const struct {
    const char *id, *household, *region, *phone, *name;
} persons[] = {
    {TAISHUN, "H330329000001", "330329", "13900002222", "吴大山"},
    {PINGYANG, "H330326000002", "330326", "13800001111", "林小梅"},
    {RICH, "H330326000003", "330326", "", "郑富"},
    {LAGGING, "H330326000004", "330326", "13700003333", "周迟"},
};

static atomic_int verify_down;         /* verifications.create answers 503 */
static atomic_int persons_down;        /* persons.get answers 503 */
static atomic_int verify_calls;
static atomic_int lag_left;            /* evaluate answers 404 for LAGGING this many times */
static char last_idem[128];

static int person_of(const char *id)
{
    for (size_t i = 0; id && i < sizeof persons / sizeof persons[0]; i++)
        if (strcmp(persons[i].id, id) == 0)
            return (int)i;
    return -1;
}

static int reply_json(sais_reply_t *reply, int status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int rc = sais_reply_bytes(reply, status, "application/json", s, strlen(s));
    free(s);
    return rc;
}

static int fake_persons_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)svc;
    (void)txn;
    if (atomic_load(&persons_down))
        return sais_reply_problem(reply, 503, "down", "verify is down for the test");
    int i = person_of(sais_req_param(req, "id_number"));
    if (i < 0)
        return sais_reply_problem(reply, 404, "unknown_person", "no person with this ID number in the registry");
    return reply_json(reply, 200, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id_number", persons[i].id,
                                            "household_id", persons[i].household, "region", persons[i].region,
                                            "phone", persons[i].phone, "name", persons[i].name));
}

static int fake_verification(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)svc;
    (void)txn;
    int n = atomic_fetch_add(&verify_calls, 1) + 1;
    if (atomic_load(&verify_down))
        return sais_reply_problem(reply, 503, "down", "verify is down for the test");
    snprintf(last_idem, sizeof last_idem, "%s", req->idempotency_key);
    json_t *b = json_loadb((const char *)req->body.data, req->body.len, 0, NULL);
    int i = person_of(sais_json_str(b, "id_number"));
    bool ok = i >= 0 && sais_json_str(b, "purpose") && strncmp(sais_json_str(b, "purpose"), "application A", 13) == 0
              && sais_json_str(b, "authorized_by") && strncmp(sais_json_str(b, "authorized_by"), "applicant ", 10) == 0;
    json_decref(b);
    if (!ok)
        return sais_reply_invalid(reply, "id_number", "unknown_person", "no such person");
    char vid[32];
    snprintf(vid, sizeof vid, "V%010d", n);
    return reply_json(reply, 201, json_pack("{s:s, s:s, s:{s:f}}", "verification_id", vid, "household_id",
                                            persons[i].household, "income", "per_capita_monthly", 500.0));
}

static json_t *result(const char *policy, bool eligible, double amount, const char *period, bool automatic,
                      const char *clause, bool passed)
{
    return json_pack("{s:s, s:s, s:b, s:f, s:s, s:b, s:[{s:s, s:b, s:s}]}", "policy", policy, "version", "2026.1",
                     "eligible", eligible, "amount", amount, "period", period, "automatic", automatic,
                     "explanation", "clause", clause, "passed", passed, "detail", "as the test says");
}

static int fake_evaluate(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)svc;
    (void)txn;
    json_t *b = json_loadb((const char *)req->body.data, req->body.len, 0, NULL);
    int i = person_of(sais_json_str(b, "id_number"));
    json_t *only = json_object_get(b, "policies");
    if (i < 0 || (i == 3 && atomic_fetch_sub(&lag_left, 1) > 0)) {
        json_decref(b);
        return sais_reply_problem(reply, 404, "unknown_household", "no household with this id");
    }
    json_t *all = json_array();
    if (i == 0) {
        json_array_append_new(all, result("dibao", true, 1400.00, "monthly", false, "per-capita income below the line", true));
        json_array_append_new(all, result("marginal", false, 0, "status", true, "not dibao", false));
    } else if (i == 1 || i == 3) {
        json_array_append_new(all, result("dibao", false, 0, "monthly", false, "per-capita income below the line", false));
        json_array_append_new(all, result("temp_medical", true, 32160.00, "one_off", true, "out of pocket at least 20000.00", true));
    } else {
        json_array_append_new(all, result("dibao", false, 0, "monthly", false, "per-capita income below the line", false));
        json_array_append_new(all, result("marginal", false, 0, "status", true, "per-capita income below 1.5 x line", false));
    }
    json_t *res = json_array();
    size_t k;
    json_t *r;
    json_array_foreach(all, k, r) {
        bool want = !json_is_array(only);
        size_t m;
        json_t *p;
        json_array_foreach(only, m, p) want = want || strcmp(json_string_value(p), sais_json_str(r, "policy")) == 0;
        if (want)
            json_array_append(res, r);
    }
    json_decref(all);
    json_decref(b);
    return reply_json(reply, 200, json_pack("{s:s, s:o}", "household_id", persons[i].household, "results", res));
}

static int fake_policies_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)svc;
    (void)txn;
    (void)req;
    return reply_json(reply, 200, json_pack("[{s:s},{s:s},{s:s},{s:s}]", "id", "dibao", "id", "tekun", "id", "marginal",
                                            "id", "temp_medical"));
}

static const char *const no_dbis[] = {NULL};
static const sais_method_t verify_methods[] = {
    {"persons.get", SAIS_M_RAW, fake_persons_get},
    {"verifications.create", SAIS_M_RAW, fake_verification},
    {"emit", SAIS_M_WRITE, sais_test_fake_emit},
    {NULL, 0, NULL},
};
static const sais_method_t rules_methods[] = {
    {"policies.evaluate", SAIS_M_RAW, fake_evaluate},
    {"policies.list", SAIS_M_RAW, fake_policies_list},
    {"emit", SAIS_M_WRITE, sais_test_fake_emit},
    {NULL, 0, NULL},
};
static const sais_service_def_t fake_verify = {.name = "verify", .dbis = no_dbis, .methods = verify_methods};
static const sais_service_def_t fake_rules = {.name = "rules", .dbis = no_dbis, .methods = rules_methods};

/* ---------------------------------------------------------------- harness */

static char tmpdir[256];

typedef struct {
    sais_config_t *cfg;
    zactor_t      *verify, *rules, *intake;
    sais_client_t *cl;
} env_t;

static void env_start(env_t *e, const char *name)
{
    static const char *const svcs[] = {"verify", "rules", "intake", NULL};
    memset(e, 0, sizeof *e);
    e->cfg = sais_test_config(tmpdir, name, svcs);
    e->verify = sais_service_start(&fake_verify, e->cfg);
    e->rules = sais_service_start(&fake_rules, e->cfg);
    e->intake = sais_service_start(&intake_service, e->cfg);
    assert_non_null(e->verify);
    assert_non_null(e->rules);
    assert_non_null(e->intake);
    e->cl = sais_client_new(e->cfg);
    assert_non_null(e->cl);
}

static void env_stop(env_t *e)
{
    sais_client_destroy(&e->cl);
    sais_service_stop(&e->intake);
    sais_service_stop(&e->rules);
    sais_service_stop(&e->verify);
    sais_config_destroy(&e->cfg);
}

typedef struct {
    const char *role, *scope, *name, *key;
} who_t;

static const who_t ADMIN = {"admin", NULL, "admin", "k-admin"};
static const who_t PY_CW = {"caseworker", "330326", "平阳窗口", "k-py"};
static const who_t TS_CW = {"caseworker", "330329", "泰顺社工", "k-ts"};
static const who_t TS_REV = {"reviewer", "330329", "泰顺审核", "k-tsr"};
static const who_t PY_REV = {"reviewer", "330326", "平阳审核", "k-pyr"};
static const who_t LC_CW = {"caseworker", "330302", "鹿城社工", "k-lc"};

/* A request as the gateway makes it. Returns the status; *out (may be NULL) the body. */
static int callv(env_t *e, const char *method, const who_t *who, const char *idem, const char *body,
                 char **out, va_list ap)
{
    const sais_test_caller_t caller = {who ? who->role : NULL, who ? who->scope : NULL, who ? who->name : NULL,
                                       who ? who->key : NULL};
    return sais_test_callv(e->cl, "intake", method, &caller, idem, body, body ? strlen(body) : 0, 8000, out, ap);
}

/* Calls and parses the JSON answer, asserting its status. Params: key, value, ..., NULL. */
static json_t *call_json(env_t *e, const char *method, const who_t *who, const char *idem, const char *body,
                         int want, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, want);
    int st = callv(e, method, who, idem, body, &out, ap);
    va_end(ap);
    return sais_test_expect_json(method, st, want, out);
}

static char *file_app(env_t *e, const who_t *who, const char *id, const char *region, const char *extra)
{
    char body[512];
    snprintf(body, sizeof body, "{\"id_number\":\"%s\",\"channel\":\"window\",\"filed_region\":\"%s\"%s}", id, region,
             extra ? extra : "");
    json_t *j = call_json(e, "applications.create", who, NULL, body, 201, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "submitted");
    char *app = strdup(json_string_value(json_object_get(j, "application_id")));
    json_decref(j);
    return app;
}

static json_t *get_app(env_t *e, const char *id)
{
    return call_json(e, "applications.get", NULL, NULL, NULL, 200, "id", id, NULL);
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Polls until the application reaches `status`; returns it (caller decrefs). */
static json_t *wait_status(env_t *e, const char *id, const char *status)
{
    for (int i = 0; i < 500; i++) {
        json_t *j = get_app(e, id);
        if (strcmp(jstr(j, "status"), status) == 0)
            return j;
        json_decref(j);
        usleep(20 * 1000);
    }
    json_t *j = get_app(e, id);
    fail_msg("application %s stayed %s, waiting for %s", id, jstr(j, "status"), status);
    return NULL;
}

/* The statuses of the history, joined with ' '. */
static void history_of(const json_t *app, char *out, size_t len)
{
    out[0] = '\0';
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(app, "history"), i, s) {
        if (i)
            strncat(out, " ", len - strlen(out) - 1);
        strncat(out, jstr(s, "status"), len - strlen(out) - 1);
    }
}

static bool listed(env_t *e, const who_t *who, const char *region, const char *status, const char *id)
{
    json_t *j = region && status ? call_json(e, "applications.list", who, NULL, NULL, 200, "region", region, "status", status, NULL)
              : region           ? call_json(e, "applications.list", who, NULL, NULL, 200, "region", region, NULL)
                                 : call_json(e, "applications.list", who, NULL, NULL, 200, NULL);
    bool found = false;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(j, "items"), i, it) found = found || strcmp(jstr(it, "application_id"), id) == 0;
    json_decref(j);
    return found;
}

static void expect_invalid(env_t *e, const who_t *who, const char *body, int status, const char *code)
{
    json_t *j = call_json(e, "applications.create", who, NULL, body, status, NULL);
    if (code) {
        const char *got = jstr(json_array_get(json_object_get(j, "errors"), 0), "code");
        if (strcmp(got, code) != 0)
            fail_msg("%s: code %s, want %s", body, got, code);
    }
    json_decref(j);
}

/* intake's event log: the types, in order, of the events about application `id`, and the
 * last such payload (caller frees). */
static Itk__Application *events_of(env_t *e, const char *id, char *types, size_t len)
{
    Sais__FetchRequest fq = SAIS__FETCH_REQUEST__INIT;
    fq.after = 0;
    fq.max = 1000;
    uint8_t fb[32];
    size_t fn = sais__fetch_request__pack(&fq, fb);
    Sais__Request req = SAIS__REQUEST__INIT;
    req.method = "bus.fetch";
    req.body.data = fb;
    req.body.len = fn;
    Sais__Reply *rep = NULL;
    assert_int_equal(sais_client_call(e->cl, "intake", &req, 5000, &rep), SAIS_CALL_OK);
    Sais__FetchReply *fr = sais__fetch_reply__unpack(NULL, rep->body.len, rep->body.data);
    assert_non_null(fr);
    Itk__Application *last = NULL;
    types[0] = '\0';
    for (size_t i = 0; i < fr->n_events; i++) {
        Itk__Application *a = itk__application__unpack(NULL, fr->events[i]->payload.len, fr->events[i]->payload.data);
        assert_non_null(a);
        if (strcmp(a->application_id, id) == 0) {
            assert_string_equal(fr->events[i]->region, a->handled_region);
            if (*types)
                strncat(types, " ", len - strlen(types) - 1);
            strncat(types, fr->events[i]->type, len - strlen(types) - 1);
            if (last)
                itk__application__free_unpacked(last, NULL);
            last = a;
        } else {
            itk__application__free_unpacked(a, NULL);
        }
    }
    sais__fetch_reply__free_unpacked(fr, NULL);
    sais__reply__free_unpacked(rep, NULL);
    return last;
}

/* ---------------------------------------------------------------- tests */

static void test_cross_county_review(void **state)
{
    (void)state;
    env_t e;
    env_start(&e, "cross");
    /* a Taishun person at a Pingyang window: three fields, nothing else */
    char *id = file_app(&e, &PY_CW, TAISHUN, "330326", NULL);
    json_t *a = wait_status(&e, id, "pending_review");
    char h[256];
    history_of(a, h, sizeof h);
    assert_string_equal(h, "submitted verifying deciding pending_review");
    assert_string_equal(jstr(a, "filed_region"), "330326");
    assert_string_equal(jstr(a, "handled_region"), "330329");
    assert_string_equal(jstr(a, "household_id"), "H330329000001");
    assert_string_equal(jstr(a, "phone"), "13900002222");
    assert_string_equal(jstr(a, "origin"), "application");
    assert_string_equal(jstr(a, "verification_id"), "V0000000001");
    assert_string_equal(last_idem, "intake:A0000000001");
    json_t *hist = json_object_get(a, "history");
    assert_string_equal(jstr(json_array_get(hist, 0), "by"), "平阳窗口 (k-py)");
    assert_non_null(strstr(jstr(json_array_get(hist, 0), "note"), "handled by 330329 (Taishun)"));
    assert_string_equal(jstr(json_array_get(hist, 2), "by"), "verify");
    assert_string_equal(jstr(json_array_get(hist, 2), "note"), "verification V0000000001: per-capita monthly income 500.00");
    assert_string_equal(jstr(json_array_get(hist, 3), "by"), "rules");
    assert_string_equal(jstr(json_array_get(hist, 3), "note"), "eligible for dibao; a reviewer decides");
    assert_int_equal(json_array_size(json_object_get(a, "decisions")), 2);
    assert_int_equal(json_array_size(json_object_get(a, "approved_policies")), 0);
    json_decref(a);

    /* Taishun's queue, not Pingyang's */
    assert_true(listed(&e, &TS_CW, "330329", "pending_review", id));
    assert_true(listed(&e, &TS_CW, "330329", NULL, id));
    assert_true(listed(&e, &TS_CW, NULL, NULL, id));
    assert_true(listed(&e, &TS_CW, "3303", NULL, id));
    assert_false(listed(&e, &TS_CW, "330329", "approved", id));
    assert_false(listed(&e, &PY_CW, "330326", NULL, id));
    assert_false(listed(&e, &PY_CW, NULL, NULL, id));
    assert_false(listed(&e, &PY_CW, "330329", NULL, id)); /* asking for it does not help */
    assert_true(listed(&e, &ADMIN, "330329", NULL, id));

    /* the Pingyang window sees it masked, Taishun in full, Lucheng not at all */
    a = call_json(&e, "applications.get", &PY_CW, NULL, NULL, 200, "id", id, NULL);
    assert_string_equal(jstr(a, "id_number"), "330329***********5");
    assert_string_equal(jstr(a, "name"), "吴**");
    assert_string_equal(jstr(a, "phone"), "*******2222");
    assert_true(json_is_true(json_object_get(a, "masked")));
    json_decref(a);
    a = call_json(&e, "applications.get", &TS_CW, NULL, NULL, 200, "id", id, NULL);
    assert_string_equal(jstr(a, "id_number"), TAISHUN);
    assert_string_equal(jstr(a, "name"), "吴大山");
    json_decref(a);
    json_decref(call_json(&e, "applications.get", &LC_CW, NULL, NULL, 403, "id", id, NULL));
    json_decref(call_json(&e, "applications.get", &TS_CW, NULL, NULL, 404, "id", "A9999999999", NULL));

    /* only Taishun's reviewer decides it; only once */
    json_decref(call_json(&e, "applications.review", &PY_REV, NULL, "{\"decision\":\"approve\"}", 403, "id", id, NULL));
    json_decref(call_json(&e, "applications.review", &TS_CW, NULL, "{\"decision\":\"approve\"}", 403, "id", id, NULL));
    json_decref(call_json(&e, "applications.review", &TS_REV, NULL, "{\"decision\":\"maybe\"}", 422, "id", id, NULL));
    json_decref(call_json(&e, "applications.review", &TS_REV, NULL, "{}", 422, "id", id, NULL));
    a = call_json(&e, "applications.review", &TS_REV, NULL, "{\"decision\":\"approve\",\"note\":\"家访属实\"}", 200, "id", id, NULL);
    assert_string_equal(jstr(a, "status"), "approved");
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "approved_policies"), 0)), "dibao");
    assert_int_equal(json_array_size(json_object_get(a, "approved_policies")), 1);
    hist = json_object_get(a, "history");
    json_t *last = json_array_get(hist, json_array_size(hist) - 1);
    assert_string_equal(jstr(last, "status"), "approved");
    assert_string_equal(jstr(last, "by"), "泰顺审核 (k-tsr)");
    assert_string_equal(jstr(last, "note"), "家访属实");
    json_decref(a);
    a = call_json(&e, "applications.review", &TS_REV, NULL, "{\"decision\":\"reject\"}", 409, "id", id, NULL);
    assert_non_null(strstr(jstr(a, "detail"), "approved"));
    json_decref(a);
    assert_true(listed(&e, &TS_CW, "330329", "approved", id));

    /* the events: submitted, pending_review, approved; the last names what rules grants */
    char types[256];
    Itk__Application *ev = events_of(&e, id, types, sizeof types);
    assert_string_equal(types, "application.submitted application.pending_review application.approved");
    assert_non_null(ev);
    assert_int_equal(ev->n_approved_policies, 1);
    assert_string_equal(ev->approved_policies[0], "dibao");
    assert_string_equal(ev->origin, "application");
    assert_string_equal(ev->phone, "13900002222");
    itk__application__free_unpacked(ev, NULL);
    free(id);
    env_stop(&e);
}

static void test_automatic_and_rejected(void **state)
{
    (void)state;
    env_t e;
    env_start(&e, "auto");
    char *ok = file_app(&e, &PY_CW, PINGYANG, "330326", ",\"phone\":\"+8613811112222\"");
    char *no = file_app(&e, &PY_CW, RICH, "330326", ",\"note\":\"walk-in\"");
    char *asked = file_app(&e, &ADMIN, RICH, "330302", ",\"policies\":[\"dibao\",\"dibao\"]");
    json_t *a = wait_status(&e, ok, "approved");
    char h[256];
    history_of(a, h, sizeof h);
    assert_string_equal(h, "submitted verifying deciding approved");
    json_t *hist = json_object_get(a, "history");
    assert_string_equal(jstr(json_array_get(hist, 3), "by"), "rules");
    assert_string_equal(jstr(json_array_get(hist, 3), "note"), "granted without review: temp_medical");
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "approved_policies"), 0)), "temp_medical");
    assert_string_equal(jstr(a, "phone"), "+8613811112222"); /* the request's phone wins */
    json_t *d = json_array_get(json_object_get(a, "decisions"), 1);
    assert_true(json_real_value(json_object_get(d, "amount")) == 32160.00);
    json_decref(a);

    a = wait_status(&e, no, "rejected");
    history_of(a, h, sizeof h);
    assert_string_equal(h, "submitted verifying deciding rejected");
    hist = json_object_get(a, "history");
    assert_string_equal(jstr(json_array_get(hist, 3), "note"),
                        "not eligible: dibao (per-capita income below the line); marginal (per-capita income below 1.5 x line)");
    assert_string_equal(jstr(a, "note"), "walk-in");
    assert_true(json_is_null(json_object_get(a, "phone")));
    assert_int_equal(json_array_size(json_object_get(a, "approved_policies")), 0);
    json_decref(a);
    json_decref(call_json(&e, "applications.review", &ADMIN, NULL, "{\"decision\":\"approve\"}", 409, "id", no, NULL));

    /* named policies are the only ones asked about (and named once) */
    a = wait_status(&e, asked, "rejected");
    assert_int_equal(json_array_size(json_object_get(a, "decisions")), 1);
    assert_int_equal(json_array_size(json_object_get(a, "policies")), 1);
    assert_string_equal(jstr(a, "filed_region"), "330302");
    assert_string_equal(jstr(a, "handled_region"), "330326");
    json_decref(a);

    char types[256];
    Itk__Application *ev = events_of(&e, ok, types, sizeof types);
    assert_string_equal(types, "application.submitted application.approved");
    assert_int_equal(ev->n_approved_policies, 1);
    assert_string_equal(ev->approved_policies[0], "temp_medical");
    itk__application__free_unpacked(ev, NULL);
    ev = events_of(&e, no, types, sizeof types);
    assert_string_equal(types, "application.submitted application.rejected");
    itk__application__free_unpacked(ev, NULL);

    /* the queue by status, with paging */
    json_t *p1 = call_json(&e, "applications.list", &ADMIN, NULL, NULL, 200, "region", "330326", "limit", "1", NULL);
    assert_int_equal(json_array_size(json_object_get(p1, "items")), 1);
    const char *next = jstr(p1, "next_cursor");
    assert_true(*next);
    json_t *p2 = call_json(&e, "applications.list", &ADMIN, NULL, NULL, 200, "region", "330326", "limit", "5", "cursor", next, NULL);
    assert_int_equal(json_array_size(json_object_get(p2, "items")), 2);
    assert_true(json_is_null(json_object_get(p2, "next_cursor")));
    assert_string_not_equal(jstr(json_array_get(json_object_get(p1, "items"), 0), "application_id"),
                            jstr(json_array_get(json_object_get(p2, "items"), 0), "application_id"));
    json_decref(p1);
    json_decref(p2);
    json_decref(call_json(&e, "applications.list", &ADMIN, NULL, NULL, 422, "status", "done", NULL));
    json_decref(call_json(&e, "applications.list", &ADMIN, NULL, NULL, 422, "region", "33x", NULL));
    json_decref(call_json(&e, "applications.list", &ADMIN, NULL, NULL, 422, "limit", "0", NULL));
    json_decref(call_json(&e, "applications.list", &ADMIN, NULL, NULL, 422, "region", "330326", "cursor", "330329|A1", NULL));
    free(ok);
    free(no);
    free(asked);
    env_stop(&e);
}

static void test_validation_and_idempotency(void **state)
{
    (void)state;
    env_t e;
    env_start(&e, "valid");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" GHOST "\",\"channel\":\"window\",\"filed_region\":\"330326\"}", 422, "unknown_person");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"330326196803120319\",\"channel\":\"window\",\"filed_region\":\"330326\"}", 422, "bad_check_digit");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"33032619680312031\",\"channel\":\"window\",\"filed_region\":\"330326\"}", 422, "bad_id_number");
    expect_invalid(&e, &PY_CW, "{\"channel\":\"window\",\"filed_region\":\"330326\"}", 422, "missing_field");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"proactive\",\"filed_region\":\"330326\"}", 422, "out_of_range");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\"}", 422, "missing_field");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"990326\"}", 422, "bad_region");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"330326\",\"phone\":\"12-34\"}", 422, "bad_phone");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"330326\",\"policies\":\"dibao\"}", 422, "out_of_range");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"330326\",\"policies\":[\"nope\"]}", 422, "unknown_policy");
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"330326\",\"note\":7}", 422, "out_of_range");
    /* a Pingyang caseworker files at Pingyang's windows only */
    expect_invalid(&e, &PY_CW, "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"330329\"}", 403, NULL);
    expect_invalid(&e, &PY_CW, "{\"id_number\":", 400, NULL);
    expect_invalid(&e, &PY_CW, "[1]", 400, NULL);
    /* nothing refused was stored */
    json_t *l = call_json(&e, "applications.list", &ADMIN, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);

    /* the same key and body: the first answer, one application; another body: 409 */
    const char *body = "{\"id_number\":\"" PINGYANG "\",\"channel\":\"mobile\",\"filed_region\":\"330326\"}";
    char *first = NULL, *again = NULL;
    json_t *j1 = call_json(&e, "applications.create", &PY_CW, "k-py:retry-1", body, 201, NULL);
    json_t *j2 = call_json(&e, "applications.create", &PY_CW, "k-py:retry-1", body, 201, NULL);
    first = json_dumps(j1, JSON_SORT_KEYS);
    again = json_dumps(j2, JSON_SORT_KEYS);
    assert_string_equal(first, again);
    json_decref(call_json(&e, "applications.create", &PY_CW, "k-py:retry-1",
                          "{\"id_number\":\"" RICH "\",\"channel\":\"mobile\",\"filed_region\":\"330326\"}", 409, NULL));
    json_t *j3 = call_json(&e, "applications.create", &PY_CW, "k-py:retry-2", body, 201, NULL);
    assert_string_not_equal(jstr(j3, "application_id"), jstr(j1, "application_id"));
    l = call_json(&e, "applications.list", &ADMIN, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    json_decref(l);
    free(first);
    free(again);
    json_decref(j1);
    json_decref(j2);
    json_decref(j3);
    env_stop(&e);
}

static int count_waiting(const json_t *a, const char *status)
{
    int n = 0;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(a, "history"), i, s)
        n += strcmp(jstr(s, "status"), status) == 0 && strncmp(jstr(s, "note"), "waiting for ", 12) == 0;
    return n;
}

/* Files at a Pingyang window for `id` and checks the household the application names. */
static void filed_household(env_t *e, const char *id, const char *household)
{
    char body[160];
    snprintf(body, sizeof body, "{\"id_number\":\"%s\",\"channel\":\"window\",\"filed_region\":\"330326\"}", id);
    json_t *a = call_json(e, "applications.create", &PY_CW, NULL, body, 201, NULL);
    assert_string_equal(jstr(a, "household_id"), household);
    json_decref(a);
}

/* Filing needs no call to verify once verify's household.changed has reached intake: with
 * persons.get down, a person in intake's copy of the registry is still taken, and handled by
 * the county of the household the picture names. A person only verify knows still needs it. */
static void test_registry_copy(void **state)
{
    (void)state;
    env_t e;
    env_start(&e, "registry");
    Ver__Member m = VER__MEMBER__INIT, *mp[1] = {&m};
    m.id_number = TAISHUN;
    m.name = "程建华";
    m.status = "active";
    m.phone = "13800000001";
    Ver__Picture pic = VER__PICTURE__INIT;
    pic.household_id = "H330329000777";
    pic.region = "330329";
    pic.members = mp;
    pic.n_members = 1;
    Ver__HouseholdChanged hc = VER__HOUSEHOLD_CHANGED__INIT;
    hc.picture = &pic;
    sais_test_emit(e.cl, "verify", "household.changed", "330329", &hc.base);
    sais_test_wait_cursor(e.cl, "intake", "verify", 1);

    atomic_store(&persons_down, 1);
    json_t *a = call_json(&e, "applications.create", &PY_CW, NULL,
                          "{\"id_number\":\"" TAISHUN "\",\"channel\":\"window\",\"filed_region\":\"330326\"}", 201, NULL);
    assert_string_equal(jstr(a, "handled_region"), "330329");
    assert_string_equal(jstr(a, "household_id"), "H330329000777");
    json_decref(a);
    json_t *p = call_json(&e, "applications.create", &PY_CW, NULL,
                          "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"330326\"}", 503, NULL);
    json_decref(p);

    /* a change that only wage and medical records caused is passed over unread (the picture
     * below could not come from them: it moves the person); one that hukou caused is not */
    pic.household_id = "H330329000888";
    sais_test_emit_sourced(e.cl, "verify", "household.changed", "330329", "hrss,medical", &hc.base);
    sais_test_wait_cursor(e.cl, "intake", "verify", 2);
    filed_household(&e, TAISHUN, "H330329000777");
    sais_test_emit_sourced(e.cl, "verify", "household.changed", "330329", "medical,hukou", &hc.base);
    sais_test_wait_cursor(e.cl, "intake", "verify", 3);
    filed_household(&e, TAISHUN, "H330329000888");
    atomic_store(&persons_down, 0);
    env_stop(&e);
}

static void test_services_not_answering(void **state)
{
    (void)state;
    env_t e;
    env_start(&e, "down");
    /* no registry, no application: the caller is told to try again, nothing is stored */
    atomic_store(&persons_down, 1);
    json_t *p = call_json(&e, "applications.create", &PY_CW, NULL,
                          "{\"id_number\":\"" PINGYANG "\",\"channel\":\"window\",\"filed_region\":\"330326\"}", 503, NULL);
    assert_non_null(strstr(jstr(p, "detail"), "verify"));
    json_decref(p);
    atomic_store(&persons_down, 0);
    p = call_json(&e, "applications.list", &ADMIN, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(p, "items")), 0);
    json_decref(p);

    atomic_store(&verify_down, 1);
    int before = atomic_load(&verify_calls);
    char *id = file_app(&e, &PY_CW, PINGYANG, "330326", NULL);
    json_t *a = wait_status(&e, id, "verifying");
    json_decref(a);
    /* it keeps trying (backoff 0.5 s, 1 s, ...) and says so once */
    for (int i = 0; i < 200 && atomic_load(&verify_calls) - before < 3; i++)
        usleep(20 * 1000);
    assert_true(atomic_load(&verify_calls) - before >= 3);
    a = get_app(&e, id);
    assert_string_equal(jstr(a, "status"), "verifying");
    assert_int_equal(count_waiting(a, "verifying"), 1);
    json_decref(a);
    /* requests are served meanwhile */
    json_decref(call_json(&e, "applications.list", &ADMIN, NULL, NULL, 200, NULL));
    atomic_store(&verify_down, 0);
    a = wait_status(&e, id, "approved");
    char h[256];
    history_of(a, h, sizeof h);
    assert_string_equal(h, "submitted verifying verifying deciding approved");
    json_decref(a);

    /* rules has not seen the household yet: this one waits, once noted */
    atomic_store(&lag_left, 2);
    char *lag = file_app(&e, &PY_CW, LAGGING, "330326", NULL);
    a = wait_status(&e, lag, "approved");
    history_of(a, h, sizeof h);
    assert_string_equal(h, "submitted verifying deciding deciding approved");
    assert_int_equal(count_waiting(a, "deciding"), 1);
    assert_non_null(strstr(jstr(json_array_get(json_object_get(a, "history"), 3), "note"), "unknown_household"));
    json_decref(a);
    free(id);
    free(lag);
    env_stop(&e);
}

static void emit_case(env_t *e, const char *case_id, const char *id_number, const char *region, const char *policy)
{
    Rul__ProactiveCase pc = RUL__PROACTIVE_CASE__INIT;
    Rul__Clause cl = RUL__CLAUSE__INIT, *pcl = &cl;
    Sais__Evidence ev = SAIS__EVIDENCE__INIT, *pev = &ev;
    cl.clause = "per-capita income below the line";
    cl.passed = true;
    cl.detail = "per-capita income 500.00 < line 1200.00";
    ev.source = "hrss";
    ev.record_id = "w-1";
    ev.batch_id = "hrss-2026-11";
    pc.case_id = (char *)case_id;
    pc.household_id = "H330329000001";
    pc.id_number = (char *)id_number;
    pc.region = (char *)region;
    pc.policy = (char *)policy;
    pc.amount = 140000;
    pc.explanation = &pcl;
    pc.n_explanation = 1;
    pc.evidence = &pev;
    pc.n_evidence = 1;
    sais_test_emit(e->cl, "rules", "case.proactive", region, &pc.base);
}

/* The applications of rules' case `case_id` in Taishun's queue. */
static json_t *case_apps(env_t *e, const char *case_id)
{
    json_t *out = json_array();
    json_t *l = call_json(e, "applications.list", &TS_CW, NULL, NULL, 200, "region", "330329", NULL);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(l, "items"), i, it)
        if (strcmp(jstr(it, "case_id"), case_id) == 0)
            json_array_append(out, it);
    json_decref(l);
    return out;
}

static void test_proactive_cases(void **state)
{
    (void)state;
    env_t e;
    env_start(&e, "cases");
    emit_case(&e, "C0000000001", TAISHUN, "330329", "dibao");
    emit_case(&e, "C0000000001", TAISHUN, "330329", "dibao");   /* rules sends it again */
    emit_case(&e, "", TAISHUN, "330329", "dibao");              /* not a case */
    emit_case(&e, "C0000000002", TAISHUN, "nowhere", "dibao");  /* no region */
    json_t *apps = NULL;
    for (int i = 0; i < 250; i++) {
        apps = case_apps(&e, "C0000000001");
        /* the phone is asked of the registry after the case is in the queue */
        json_t *a = json_array_get(apps, 0);
        if (a && *jstr(a, "phone"))
            break;
        json_decref(apps);
        apps = NULL;
        usleep(20 * 1000);
    }
    assert_non_null(apps);
    assert_int_equal(json_array_size(apps), 1);
    json_t *a = json_array_get(apps, 0);
    assert_string_equal(jstr(a, "status"), "pending_review");
    assert_string_equal(jstr(a, "channel"), "proactive");
    assert_string_equal(jstr(a, "origin"), "proactive");
    assert_string_equal(jstr(a, "handled_region"), "330329");
    assert_string_equal(jstr(a, "phone"), "13900002222");
    assert_string_equal(jstr(a, "name"), "吴大山");
    char h[128];
    history_of(a, h, sizeof h);
    assert_string_equal(h, "pending_review");
    json_t *step = json_array_get(json_object_get(a, "history"), 0);
    assert_string_equal(jstr(step, "by"), "rules");
    assert_string_equal(jstr(step, "note"), "proactive case C0000000001: eligible for dibao (1400.00); a reviewer decides");
    json_t *d = json_array_get(json_object_get(a, "decisions"), 0);
    assert_string_equal(jstr(d, "policy"), "dibao");
    assert_true(json_real_value(json_object_get(d, "amount")) == 1400.00);
    assert_string_equal(jstr(json_array_get(json_object_get(d, "explanation"), 0), "detail"),
                        "per-capita income 500.00 < line 1200.00");
    assert_string_equal(jstr(json_array_get(json_object_get(a, "evidence"), 0), "record_id"), "w-1");
    char *id = strdup(jstr(a, "application_id"));
    json_decref(apps);
    assert_false(listed(&e, &PY_CW, NULL, NULL, id));
    apps = case_apps(&e, "C0000000002");
    assert_int_equal(json_array_size(apps), 0);
    json_decref(apps);

    /* rejected by a reviewer: nothing is granted */
    a = call_json(&e, "applications.review", &TS_REV, NULL, "{\"decision\":\"reject\",\"note\":\"assets found on visit\"}", 200,
                  "id", id, NULL);
    assert_string_equal(jstr(a, "status"), "rejected");
    assert_int_equal(json_array_size(json_object_get(a, "approved_policies")), 0);
    json_decref(a);
    char types[128];
    Itk__Application *ev = events_of(&e, id, types, sizeof types);
    assert_string_equal(types, "application.pending_review application.rejected");
    assert_string_equal(ev->origin, "proactive");
    assert_string_equal(ev->case_id, "C0000000001");
    itk__application__free_unpacked(ev, NULL);

    /* a restart: the case is still one application, and the cursor does not replay it */
    env_stop(&e);
    env_start(&e, "cases");
    emit_case(&e, "C0000000003", TAISHUN, "330329", "tekun");
    for (int i = 0; i < 250; i++) {
        apps = case_apps(&e, "C0000000003");
        size_t n = json_array_size(apps);
        json_decref(apps);
        if (n == 1)
            break;
        usleep(20 * 1000);
    }
    apps = case_apps(&e, "C0000000001");
    assert_int_equal(json_array_size(apps), 1);
    assert_string_equal(jstr(json_array_get(apps, 0), "status"), "rejected");
    json_decref(apps);
    apps = case_apps(&e, "C0000000003");
    assert_int_equal(json_array_size(apps), 1);
    json_decref(apps);
    free(id);
    env_stop(&e);
}

static int setup(void **state)
{
    (void)state;
    if (sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "intake") != 0)
        return -1;
    return sais_clock_pin(NOW);
}

static int teardown(void **state)
{
    (void)state;
    return sais_test_tmpdir_remove(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_county_review),
        cmocka_unit_test(test_automatic_and_rejected),
        cmocka_unit_test(test_validation_and_idempotency),
        cmocka_unit_test(test_services_not_answering),
        cmocka_unit_test(test_registry_copy),
        cmocka_unit_test(test_proactive_cases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
