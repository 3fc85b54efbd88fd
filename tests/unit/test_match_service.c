/* The match service as an actor over inproc://, fed household.changed by a fake "verify":
 * wishes entered by caseworkers only within their regions, by household id or a member's ID
 * number; the charity sees them masked; 3 quilts for 5 bedding wishes take the 3 oldest; a
 * region-less offer serves any region, a regional one only its own; a later wish goes to the
 * oldest offer with quantity left; a cancelled match gives its item back to the next wish;
 * fulfilment by the offering charity only; the wish.* events and stats.wishes; a restart. */
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
#include "match.h"
#include "match.pb-c.h"
#include "verify.pb-c.h"

#define NOW "2026-11-23T08:00:00Z"
#define HEAD1 "11010519491231002X"   /* a valid ID (DOMAIN.md's example) */
#define WIFE1 "440524188001010014"

/* ---------------------------------------------------------------- harness */

static char tmpdir[256];

typedef struct {
    sais_config_t *cfg;
    zactor_t      *verify, *match;
    sais_client_t *cl;
    uint64_t       seq_verify;
} env_t;

static void env_start(env_t *e, const char *name)
{
    static const char *const svcs[] = {"verify", "match", NULL};
    memset(e, 0, sizeof *e);
    e->cfg = sais_test_config(tmpdir, name, svcs);
    e->verify = sais_service_start(sais_test_fake_producer("verify"), e->cfg);
    e->match = sais_service_start(&match_service, e->cfg);
    assert_non_null(e->verify);
    assert_non_null(e->match);
    e->cl = sais_client_new(e->cfg);
    assert_non_null(e->cl);
}

static void env_stop(env_t *e)
{
    sais_client_destroy(&e->cl);
    sais_service_stop(&e->match);
    sais_service_stop(&e->verify);
    sais_config_destroy(&e->cfg);
}

/* A caller as the gateway passes it on; role NULL = another service. */
typedef struct {
    const char *role, *scope, *key_id, *name;
} who_t;

static const who_t CW_PY = {"caseworker", "330326", "k-cw-py", "Pingyang caseworker"};
static const who_t CW_CN = {"caseworker", "330327", "k-cw-cn", "Cangnan caseworker"};
static const who_t CHARITY = {"charity", NULL, "k-charity", "Wenzhou Charity Federation"};
static const who_t CHARITY2 = {"charity", NULL, "k-charity2", "Another charity"};
static const who_t ADMIN = {"admin", NULL, "k-admin", "admin"};
static const who_t INTERNAL = {NULL, NULL, NULL, NULL};

static int callv(env_t *e, const char *method, const who_t *who, const char *body, char **out, va_list ap)
{
    const sais_test_caller_t caller = {who->role, who->scope, who->name, who->key_id};
    return sais_test_callv(e->cl, "match", method, &caller, NULL, body, body ? strlen(body) : 0, 5000, out, ap);
}

/* Calls `method` and checks the status; returns the JSON answer (caller decrefs). The
 * variadic part is NULL-terminated key, value pairs of params. */
static json_t *call(env_t *e, const char *method, const who_t *who, const char *body, int want, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, want);
    int st = callv(e, method, who, body, &out, ap);
    va_end(ap);
    return sais_test_expect_json(method, st, want, out);
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The code of the first entry of a problem's "errors". */
static const char *err_code(const json_t *p)
{
    return jstr(json_array_get(json_object_get(p, "errors"), 0), "code");
}

/* A household of `n` members in `region`; the first is the head, with a phone. */
static void household(env_t *e, const char *hid, const char *region, const char *const *ids,
                      const char *const *names, size_t n, const char *phone)
{
    Ver__Picture pic = VER__PICTURE__INIT;
    Ver__Member m[4], *mp[4];
    Ver__HouseholdChanged hc = VER__HOUSEHOLD_CHANGED__INIT;
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        ver__member__init(&m[i]);
        m[i].id_number = (char *)ids[i];
        m[i].name = (char *)names[i];
        m[i].relation = i == 0 ? "head" : "spouse";
        m[i].status = "active";
        m[i].phone = i == 0 ? (char *)phone : "";
        mp[i] = &m[i];
    }
    pic.household_id = (char *)hid;
    pic.region = (char *)region;
    pic.members = mp;
    pic.n_members = n;
    pic.head_id = (char *)ids[0];
    pic.head_phone = (char *)phone;
    hc.picture = &pic;
    hc.reason = "hukou";
    sais_test_emit(e->cl, "verify", "household.changed", region, &hc.base);
    sais_test_wait_cursor(e->cl, "match", "verify", ++e->seq_verify);
}

static void one_person_household(env_t *e, const char *hid, const char *region, const char *id,
                                 const char *name, const char *phone)
{
    const char *ids[1] = {id}, *names[1] = {name};
    household(e, hid, region, ids, names, 1, phone);
}

/* A made-up but valid ID number of `region` with sequence `seq`. */
static void make_id(char out[19], const char *region, int seq)
{
    char first[18];
    snprintf(first, sizeof first, "%s19700101%03d", region, seq);
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int s = 0;
    for (int i = 0; i < 17; i++)
        s += (first[i] - '0') * w[i];
    snprintf(out, 19, "%s%c", first, "10X98765432"[s % 11]);
}

static char *wish(env_t *e, const who_t *who, const char *hid, const char *category, const char *title,
                  const char *status_want)
{
    char body[512];
    snprintf(body, sizeof body, "{\"household_id\": \"%s\", \"category\": \"%s\", \"title\": \"%s\", "
                                "\"estimated_value\": 200.00}", hid, category, title);
    json_t *j = call(e, "wishes.create", who, body, 201, NULL);
    assert_string_equal(jstr(j, "status"), status_want);
    char *id = strdup(jstr(j, "wish_id"));
    json_decref(j);
    return id;
}

static json_t *wish_get(env_t *e, const who_t *who, const char *id)
{
    return call(e, "wishes.get", who, NULL, 200, "id", id, NULL);
}

static void assert_wish(env_t *e, const char *id, const char *status, const char *offer)
{
    json_t *w = wish_get(e, &ADMIN, id);
    assert_string_equal(jstr(w, "status"), status);
    if (offer)
        assert_string_equal(jstr(w, "offer_id"), offer);
    else
        assert_true(json_is_null(json_object_get(w, "offer_id")));
    json_decref(w);
}

/* The ids in an offer's "matched". */
static size_t matched(const json_t *offer, const char **out, size_t max)
{
    json_t *a = json_object_get(offer, "matched");
    size_t n = json_array_size(a);
    assert_true(n <= max);
    for (size_t i = 0; i < n; i++)
        out[i] = json_string_value(json_array_get(a, i));
    return n;
}

/* Every event in match's log, as "type wish_id phone" lines. */
static char *events(env_t *e)
{
    Sais__FetchRequest fq = SAIS__FETCH_REQUEST__INIT;
    fq.max = 1000;
    uint8_t buf[32];
    size_t n = sais__fetch_request__pack(&fq, buf);
    Sais__Request req = SAIS__REQUEST__INIT;
    req.method = "bus.fetch";
    req.body.data = buf;
    req.body.len = n;
    Sais__Reply *rep = NULL;
    assert_int_equal(sais_client_call(e->cl, "match", &req, 5000, &rep), SAIS_CALL_OK);
    assert_int_equal(rep->status, 200);
    Sais__FetchReply *fr = sais__fetch_reply__unpack(NULL, rep->body.len, rep->body.data);
    assert_non_null(fr);
    size_t cap = 64 + fr->n_events * 96, len = 0;
    char *s = calloc(1, cap);
    assert_non_null(s);
    for (size_t i = 0; i < fr->n_events; i++) {
        Mch__Wish *w = mch__wish__unpack(NULL, fr->events[i]->payload.len, fr->events[i]->payload.data);
        assert_non_null(w);
        assert_string_equal(fr->events[i]->region, w->region);
        len += (size_t)snprintf(s + len, cap - len, "%s %s %s\n", fr->events[i]->type, w->wish_id,
                                *w->notify_phone ? w->notify_phone : "-");
        mch__wish__free_unpacked(w, NULL);
    }
    sais__fetch_reply__free_unpacked(fr, NULL);
    sais__reply__free_unpacked(rep, NULL);
    return s;
}

static void stats(env_t *e, const char *region, int64_t submitted, int64_t fulfilled, const char *donations,
                  int64_t beneficiaries)
{
    json_t *j = region ? call(e, "stats.wishes", &INTERNAL, NULL, 200, "region", region, NULL)
                       : call(e, "stats.wishes", &INTERNAL, NULL, 200, NULL);
    json_t *w = json_object_get(j, "wishes");
    assert_int_equal(json_integer_value(json_object_get(w, "submitted")), submitted);
    assert_int_equal(json_integer_value(json_object_get(w, "fulfilled")), fulfilled);
    char *d = json_dumps(json_object_get(j, "donations_value"), JSON_ENCODE_ANY);
    assert_string_equal(d, donations);
    free(d);
    assert_int_equal(json_integer_value(json_object_get(j, "beneficiaries")), beneficiaries);
    json_decref(j);
}

/* ---------------------------------------------------------------- the story */

static void test_match_service(void **state)
{
    (void)state;
    env_t e;
    env_start(&e, "run");

    /* five Pingyang households, one in Cangnan */
    char ids[6][19], hid[6][16];
    const char *names[] = {"程成钊", "林秀", "王𠮷", "张三", "李四", "陈五"};
    for (int i = 0; i < 6; i++) {
        make_id(ids[i], i < 5 ? "330326" : "330327", 11 + 2 * i);
        snprintf(hid[i], sizeof hid[i], "H%s00%d", i < 5 ? "330326" : "330327", i);
        one_person_household(&e, hid[i], i < 5 ? "330326" : "330327", ids[i], names[i],
                             i == 0 ? "13800001234" : "");
    }
    /* a two-member household, to name a wish by a member's ID number */
    const char *hh2[] = {HEAD1, WIFE1}, *hh2n[] = {"赵大", "钱二"};
    household(&e, "H330326009", "330326", hh2, hh2n, 2, "13900005678");

    /* ---- entering wishes */
    json_t *p = call(&e, "wishes.create", &CW_PY, "{\"household_id\": \"H330327005\", \"category\": \"bedding\", "
                     "\"title\": \"棉被\"}", 403, NULL);
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"household_id\": \"H000\", \"category\": \"bedding\", \"title\": \"x\"}", 422, NULL);
    assert_string_equal(err_code(p), "unknown_household");
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"household_id\": \"H3303260000\", \"category\": \"quilts\", \"title\": \"x\"}", 422, NULL);
    assert_string_equal(err_code(p), "bad_category");
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"household_id\": \"H3303260000\", \"category\": \"bedding\"}", 422, NULL);
    assert_string_equal(err_code(p), "missing_field");
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"household_id\": \"H3303260000\", \"category\": \"bedding\", \"title\": \"x\", "
             "\"estimated_value\": 1.005}", 422, NULL);
    assert_string_equal(err_code(p), "bad_money");
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"id_number\": \"110105194912310021\", \"category\": \"food\", \"title\": \"x\"}", 422, NULL);
    assert_string_equal(err_code(p), "bad_check_digit");
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"id_number\": \"33032619800101001X\", \"category\": \"food\", \"title\": \"x\"}", 422, NULL);
    assert_string_equal(err_code(p), "unknown_person");
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"category\": \"food\", \"title\": \"x\"}", 422, NULL);
    assert_string_equal(err_code(p), "missing_field");
    json_decref(p);
    p = call(&e, "wishes.create", &CW_PY, "{\"household_id\": ", 400, NULL);
    json_decref(p);

    /* five open bedding wishes in Pingyang, oldest first */
    char *bw[5];
    for (int i = 0; i < 5; i++)
        bw[i] = wish(&e, &CW_PY, hid[i], "bedding", "冬天的棉被", "open");
    /* one named by the wife's ID number: the wish is for her */
    p = call(&e, "wishes.create", &CW_PY, "{\"id_number\": \"" WIFE1 "\", \"category\": \"education\", "
             "\"title\": \"书包\", \"estimated_value\": \"88.50\"}", 201, NULL);
    assert_string_equal(jstr(p, "household_id"), "H330326009");
    assert_string_equal(jstr(p, "id_number"), WIFE1);
    assert_string_equal(jstr(p, "name"), "钱二");
    assert_true(json_real_value(json_object_get(p, "estimated_value")) == 88.5);
    char *edu = strdup(jstr(p, "wish_id"));
    json_decref(p);

    /* ---- the charity sees every region, masked; a caseworker only its own, in full */
    json_t *l = call(&e, "wishes.list", &CHARITY, NULL, 200, "category", "bedding", NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 5);
    json_t *first = json_array_get(json_object_get(l, "items"), 0);
    assert_string_equal(jstr(first, "wish_id"), bw[0]);
    assert_string_equal(jstr(first, "household_id"), hid[0]);
    char masked[32];
    snprintf(masked, sizeof masked, "%.6s***********%c", ids[0], ids[0][17]);
    assert_string_equal(jstr(first, "id_number"), masked);
    assert_string_equal(jstr(first, "name"), "程**");
    json_decref(l);
    l = call(&e, "wishes.get", &CHARITY, NULL, 200, "id", bw[2], NULL);
    assert_string_equal(jstr(l, "name"), "王*");
    json_decref(l);
    l = call(&e, "wishes.get", &CW_PY, NULL, 200, "id", bw[0], NULL);
    assert_string_equal(jstr(l, "id_number"), ids[0]);
    assert_string_equal(jstr(l, "name"), "程成钊");
    json_decref(l);
    l = call(&e, "wishes.get", &CW_CN, NULL, 403, "id", bw[0], NULL);
    json_decref(l);
    l = call(&e, "wishes.get", &CW_PY, NULL, 404, "id", "WS9999999999", NULL);
    json_decref(l);
    l = call(&e, "wishes.list", &CW_CN, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
    /* pages */
    l = call(&e, "wishes.list", &CW_PY, NULL, 200, "limit", "4", NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 4);
    char *cur = strdup(jstr(l, "next_cursor"));
    json_decref(l);
    l = call(&e, "wishes.list", &CW_PY, NULL, 200, "limit", "4", "cursor", cur, NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    assert_true(json_is_null(json_object_get(l, "next_cursor")));
    json_decref(l);
    free(cur);
    l = call(&e, "wishes.list", &CW_PY, NULL, 422, "status", "pending", NULL);
    json_decref(l);

    /* ---- organisations */
    json_t *org = call(&e, "organizations.create", &CHARITY, "{\"name\": \"温州市慈善总会\", \"kind\": \"charity\", "
                       "\"contact\": \"0577-88888888\"}", 201, NULL);
    char *org_id = strdup(jstr(org, "organization_id"));
    json_decref(org);
    org = call(&e, "organizations.create", &CHARITY, "{\"name\": \"x\", \"kind\": \"club\"}", 422, NULL);
    json_decref(org);
    org = call(&e, "organizations.list", &CW_PY, NULL, 200, "kind", "charity", NULL);
    assert_int_equal(json_array_size(json_object_get(org, "items")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(org, "items"), 0), "name"), "温州市慈善总会");
    json_decref(org);

    /* ---- 3 quilts, no region, for 5 open bedding wishes: the 3 oldest */
    json_t *of = call(&e, "offers.create", &CHARITY, NULL, 422, NULL);
    json_decref(of);
    char body[512];
    snprintf(body, sizeof body, "{\"organization_id\": \"%s\", \"category\": \"bedding\", \"title\": \"羽绒被\", "
                                "\"quantity\": 3, \"unit_value\": 150.00}", org_id);
    json_decref(call(&e, "offers.create", &CHARITY, "{\"donor\": \"x\", \"category\": \"bedding\", \"title\": \"t\", "
                     "\"quantity\": 0, \"unit_value\": 1}", 422, NULL));
    json_decref(call(&e, "offers.create", &CHARITY, "{\"donor\": \"x\", \"category\": \"bedding\", \"title\": \"t\", "
                     "\"quantity\": 1, \"unit_value\": 1, \"region\": \"3\"}", 422, NULL));
    json_decref(call(&e, "offers.create", &CHARITY, "{\"organization_id\": \"OG404\", \"category\": \"bedding\", "
                     "\"title\": \"t\", \"quantity\": 1, \"unit_value\": 1}", 422, NULL));
    of = call(&e, "offers.create", &CHARITY, body, 201, NULL);
    const char *m[8];
    assert_int_equal(matched(of, m, 8), 3);
    assert_string_equal(m[0], bw[0]);
    assert_string_equal(m[1], bw[1]);
    assert_string_equal(m[2], bw[2]);
    assert_string_equal(jstr(of, "donor"), "温州市慈善总会");
    assert_int_equal(json_integer_value(json_object_get(of, "remaining")), 0);
    char *quilts = strdup(jstr(of, "offer_id"));
    json_decref(of);
    assert_wish(&e, bw[0], "matched", quilts);
    assert_wish(&e, bw[3], "open", NULL);
    json_t *w0 = wish_get(&e, &CW_PY, bw[0]);
    assert_true(json_real_value(json_object_get(w0, "value")) == 150.0);
    assert_string_equal(jstr(w0, "donor"), "温州市慈善总会");
    json_decref(w0);

    /* ---- a Cangnan offer does not reach Pingyang's open wishes */
    of = call(&e, "offers.create", &CHARITY2, "{\"donor\": \"苍南爱心企业\", \"category\": \"bedding\", \"title\": \"毛毯\", "
              "\"quantity\": 2, \"unit_value\": 80, \"region\": \"330327\"}", 201, NULL);
    assert_int_equal(matched(of, m, 8), 0);
    char *cangnan = strdup(jstr(of, "offer_id"));
    json_decref(of);
    assert_wish(&e, bw[3], "open", NULL);

    /* ---- a later Cangnan wish goes to the Cangnan offer (the older one is used up) */
    char *cw = wish(&e, &CW_CN, hid[5], "bedding", "毛毯", "matched");
    assert_wish(&e, cw, "matched", cangnan);

    /* ---- a region-less offer serves whatever is oldest; a later wish takes what is left */
    of = call(&e, "offers.create", &CHARITY2, "{\"donor\": \"爱心企业\", \"category\": \"bedding\", \"title\": \"枕头\", "
              "\"quantity\": 3, \"unit_value\": 30.50}", 201, NULL);
    assert_int_equal(matched(of, m, 8), 2);
    assert_string_equal(m[0], bw[3]);
    assert_string_equal(m[1], bw[4]);
    assert_int_equal(json_integer_value(json_object_get(of, "remaining")), 1);
    char *pillows = strdup(jstr(of, "offer_id"));
    json_decref(of);
    /* a new Pingyang bedding wish: the Cangnan offer (older, 1 left) does not cover it, the
     * pillows do */
    char *late = wish(&e, &CW_PY, hid[1], "bedding", "枕头", "matched");
    assert_wish(&e, late, "matched", pillows);
    char *waiting = wish(&e, &CW_PY, hid[2], "bedding", "床单", "open");

    /* ---- cancelling a matched wish gives the item back, to the oldest wish waiting */
    json_decref(call(&e, "wishes.cancel", &CW_CN, "{}", 403, "id", bw[1], NULL));
    json_t *c = call(&e, "wishes.cancel", &CW_PY, "{\"note\": \"家庭已自行购买\"}", 200, "id", bw[1], NULL);
    assert_string_equal(jstr(c, "status"), "cancelled");
    json_decref(c);
    assert_wish(&e, waiting, "matched", quilts);
    json_decref(call(&e, "wishes.cancel", &CW_PY, "{}", 409, "id", bw[1], NULL));
    /* cancelling an open wish just closes it */
    char *gone = wish(&e, &CW_PY, hid[3], "clothing", "冬衣", "open");
    json_decref(call(&e, "wishes.cancel", &ADMIN, NULL, 200, "id", gone, NULL));
    assert_wish(&e, gone, "cancelled", NULL);

    /* ---- fulfilment: by the charity that made the offer (its organisation's), not another */
    json_decref(call(&e, "wishes.fulfil", &CHARITY2, "{}", 403, "id", bw[0], NULL));
    json_decref(call(&e, "wishes.fulfil", &CHARITY, "{}", 409, "id", edu, NULL));
    json_decref(call(&e, "wishes.fulfil", &CHARITY, "{\"note\": 5}", 422, "id", bw[0], NULL));
    json_t *f = call(&e, "wishes.fulfil", &CHARITY, "{\"note\": \"已送达\"}", 200, "id", bw[0], NULL);
    assert_string_equal(jstr(f, "status"), "fulfilled");
    assert_string_equal(jstr(f, "name"), "程**");   /* the charity still sees it masked */
    assert_string_equal(jstr(f, "fulfilled_at"), NOW);
    json_decref(f);
    json_decref(call(&e, "wishes.fulfil", &CHARITY, "{}", 409, "id", bw[0], NULL));
    f = call(&e, "wishes.fulfil", &CHARITY2, "{}", 200, "id", bw[3], NULL);  /* its pillows */
    json_decref(f);
    f = call(&e, "wishes.fulfil", &CW_PY, "{\"note\": \"村干部代为确认\"}", 200, "id", bw[4], NULL);
    json_decref(f);
    json_decref(call(&e, "wishes.fulfil", &CW_PY, "{}", 403, "id", cw, NULL));

    /* ---- the figures: 10 wishes entered, 3 fulfilled for 3 households, 150 + 30.50 + 30.50 */
    stats(&e, NULL, 10, 3, "211.0", 3);
    stats(&e, "330326", 9, 3, "211.0", 3);
    stats(&e, "330327", 1, 0, "0.0", 0);
    json_t *st = call(&e, "stats.wishes", &CW_CN, NULL, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "wishes"), "submitted")), 1);
    json_decref(st);
    l = call(&e, "wishes.list", &CW_PY, NULL, 200, "status", "fulfilled", NULL);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 3);
    json_decref(l);

    /* ---- the events: every change, with the head's phone when match knows it */
    char *ev = events(&e);
    char want[128];
    snprintf(want, sizeof want, "wish.created %s 13800001234\n", bw[0]);
    assert_non_null(strstr(ev, want));
    snprintf(want, sizeof want, "wish.matched %s 13800001234\n", bw[0]);
    assert_non_null(strstr(ev, want));
    snprintf(want, sizeof want, "wish.fulfilled %s 13800001234\n", bw[0]);
    assert_non_null(strstr(ev, want));
    snprintf(want, sizeof want, "wish.cancelled %s -\n", bw[1]);
    assert_non_null(strstr(ev, want));
    snprintf(want, sizeof want, "wish.matched %s -\n", waiting);
    assert_non_null(strstr(ev, want));
    snprintf(want, sizeof want, "wish.created %s 13900005678\n", edu);
    assert_non_null(strstr(ev, want));
    /* a wish matched on arrival: created, then matched, nothing else yet */
    snprintf(want, sizeof want, "wish.created %s -\nwish.matched %s -\n", cw, cw);
    assert_non_null(strstr(ev, want));
    size_t nev = 0;
    for (const char *s = ev; (s = strchr(s, '\n')); s++)
        nev++;
    /* 10 created; 8 matched (3 quilts, 1 in Cangnan, 2 pillows, the late wish, the one that
     * waited for the cancelled one's quilt); 3 fulfilled; 2 cancelled */
    assert_int_equal(nev, 10 + 8 + 3 + 2);
    free(ev);

    /* ---- a restart keeps everything, and the household index */
    env_stop(&e);
    env_start(&e, "run");
    e.seq_verify = 7;
    assert_wish(&e, waiting, "matched", quilts);
    stats(&e, NULL, 10, 3, "211.0", 3);
    free(wish(&e, &CW_PY, hid[4], "food", "米面油", "open"));
    env_stop(&e);

    for (int i = 0; i < 5; i++)
        free(bw[i]);
    free(edu);
    free(org_id);
    free(quilts);
    free(cangnan);
    free(cw);
    free(pillows);
    free(late);
    free(waiting);
    free(gone);
}

int main(void)
{
    sais_clock_pin(NOW);
    if (sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "test-match") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_service),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (sais_test_tmpdir_remove(tmpdir) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
