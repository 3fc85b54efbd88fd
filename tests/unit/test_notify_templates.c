/* notify_templates and notify_payload: every template renders, amounts are exact, the words
 * are the ones in the brief, webhook bodies carry the API's shapes and subscription patterns
 * match what they should. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "notify_payload.h"
#include "notify_templates.h"

static Rul__Entitlement ent(const char *policy, int64_t fen, const char *period)
{
    Rul__Entitlement e = RUL__ENTITLEMENT__INIT;
    e.entitlement_id = "ent-1";
    e.household_id = "H330326000123";
    e.id_number = "11010519491231002X";
    e.policy = (char *)policy;
    e.amount = fen;
    e.period = (char *)period;
    e.status = "granted";
    e.origin = "proactive";
    e.region = "330326";
    e.notify_phone = "13800001234";
    e.previous_amount = 120000;
    return e;
}

static char *render_e(const char *type, notify_channel_t ch, const Rul__Entitlement *e, const char *sig)
{
    notify_msg_t m;
    int r = notify_render_entitlement(type, ch, e, sig, &m);
    assert_int_equal(r, 1);
    assert_non_null(m.body);
    assert_non_null(m.template_name);
    return m.body;
}

static void test_seed_story_sms_is_exact(void **state)
{
    (void)state;
    Rul__Entitlement e = ent("temp_medical", 3216000, "one_off");
    char *s = render_e("entitlement.granted", NOTIFY_SMS, &e, NULL);
    assert_string_equal(s, "【温州市民政局】您家庭的临时救助(支出型)已批准，金额32160.00元。如有疑问请咨询当地民政窗口。");
    free(s);
    notify_msg_t m;
    assert_int_equal(notify_render_entitlement("entitlement.granted", NOTIFY_SMS, &e, NULL, &m), 1);
    assert_string_equal(m.template_name, "sms.entitlement.granted");
    free(m.body);
}

static void test_amounts_are_exact(void **state)
{
    (void)state;
    static const struct { int64_t fen; const char *text; } cases[] = {
        {1, "0.01"}, {10, "0.10"}, {100, "1.00"}, {3216000, "32160.00"}, {3216001, "32160.01"},
        {99999999999LL, "999999999.99"}, {120050, "1200.50"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Rul__Entitlement e = ent("dibao", cases[i].fen, "monthly");
        char *s = render_e("entitlement.granted", NOTIFY_SMS, &e, NULL);
        char want[64];
        snprintf(want, sizeof want, "每月金额%s元。", cases[i].text);
        assert_non_null(strstr(s, want));
        free(s);
    }
    /* a change shows both amounts */
    Rul__Entitlement e = ent("dibao", 150000, "monthly");
    char *s = render_e("entitlement.changed", NOTIFY_SMS, &e, NULL);
    assert_string_equal(s, "【温州市民政局】您家庭的最低生活保障每月金额已由1200.00元调整为1500.00元。如有疑问请咨询当地民政窗口。");
    free(s);
    s = render_e("entitlement.changed", NOTIFY_INBOX, &e, NULL);
    assert_string_equal(s, "最低生活保障每月金额调整：家庭H330326000123，由1200.00元调整为1500.00元。");
    free(s);
}

static void test_every_template_renders(void **state)
{
    (void)state;
    assert_true(notify_ntemplates >= 11);
    Rul__Entitlement e = ent("disability_care", 10000, "monthly");
    Wrn__Alert a = WRN__ALERT__INIT;
    a.kind = "catastrophic_medical";
    a.severity = "high";
    a.household_id = "H330326000123";
    a.region = "330326";
    a.detail = "12个月自付医疗费用40200.00元";
    for (size_t i = 0; i < notify_ntemplates; i++) {
        const notify_template_t *t = &notify_templates[i];
        assert_ptr_equal(notify_template_find(t->event_type, t->channel), t);
        notify_msg_t m;
        int r = strncmp(t->event_type, "alert.", 6) == 0
                    ? notify_render_alert(t->event_type, t->channel, &a, &m)
                    : notify_render_entitlement(t->event_type, t->channel, &e, NULL, &m);
        assert_int_equal(r, 1);
        assert_string_equal(m.template_name, t->name);
        /* every placeholder was filled */
        assert_null(strchr(m.body, '{'));
        assert_null(strchr(m.body, '}'));
        assert_true(strlen(m.body) > 10);
        if (t->channel == NOTIFY_SMS) {
            assert_true(strncmp(m.body, "【温州市民政局】您家庭的重度残疾人护理补贴", strlen("【温州市民政局】您家庭的重度残疾人护理补贴")) == 0);
            assert_non_null(strstr(m.body, "如有疑问请咨询当地民政窗口。"));
            /* an SMS never carries the phone or the ID number */
            assert_null(strstr(m.body, "13800001234"));
            assert_null(strstr(m.body, "11010519491231002X"));
        } else {
            assert_non_null(strstr(m.body, "H330326000123"));
        }
        /* one template per event type per channel */
        for (size_t j = i + 1; j < notify_ntemplates; j++)
            assert_false(notify_templates[j].channel == t->channel
                         && strcmp(notify_templates[j].event_type, t->event_type) == 0);
        free(m.body);
    }
    /* every entitlement change reaches both the resident and the caseworkers */
    const char *types[] = {"entitlement.granted", "entitlement.changed", "entitlement.suspended",
                           "entitlement.resumed", "entitlement.stopped"};
    for (size_t i = 0; i < 5; i++) {
        assert_non_null(notify_template_find(types[i], NOTIFY_SMS));
        assert_non_null(notify_template_find(types[i], NOTIFY_INBOX));
    }
}

static void test_words(void **state)
{
    (void)state;
    static const char *const names[][2] = {
        {"dibao", "最低生活保障"}, {"tekun", "特困供养"}, {"marginal", "低保边缘"},
        {"temp_medical", "临时救助(支出型)"}, {"disability_care", "重度残疾人护理补贴"},
        {"disability_living", "困难残疾人生活补贴"},
    };
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(notify_policy_name(names[i][0]), names[i][1]);
        Rul__Entitlement e = ent(names[i][0], 50000, "monthly");
        char *s = render_e("entitlement.suspended", NOTIFY_SMS, &e, NULL);
        char want[128];
        snprintf(want, sizeof want, "【温州市民政局】您家庭的%s已暂停发放。如有疑问请咨询当地民政窗口。", names[i][1]);
        assert_string_equal(s, want);
        free(s);
    }
    assert_null(notify_policy_name("nope"));
    /* an unknown policy is shown by its id rather than dropped */
    Rul__Entitlement e = ent("new_policy", 100, "one_off");
    char *s = render_e("entitlement.granted", NOTIFY_SMS, &e, "某县民政局");
    assert_string_equal(s, "【某县民政局】您家庭的new_policy已批准，金额1.00元。如有疑问请咨询当地民政窗口。");
    free(s);
    /* a status (marginal) carries no money */
    e = ent("marginal", 0, "status");
    s = render_e("entitlement.granted", NOTIFY_SMS, &e, NULL);
    assert_string_equal(s, "【温州市民政局】您家庭的低保边缘已批准。如有疑问请咨询当地民政窗口。");
    free(s);
    s = render_e("entitlement.granted", NOTIFY_INBOX, &e, NULL);
    assert_string_equal(s, "低保边缘已批准：家庭H330326000123（主动发现）。");
    free(s);
    e = ent("dibao", 240000, "monthly");
    e.origin = "application";
    s = render_e("entitlement.resumed", NOTIFY_INBOX, &e, NULL);
    assert_string_equal(s, "最低生活保障已恢复发放：家庭H330326000123，每月金额2400.00元。");
    free(s);
    s = render_e("entitlement.granted", NOTIFY_INBOX, &e, NULL);
    assert_string_equal(s, "最低生活保障已批准：家庭H330326000123，每月金额2400.00元（依申请）。");
    free(s);

    Wrn__Alert a = WRN__ALERT__INIT;
    a.kind = "beneficiary_incarcerated";
    a.severity = "high";
    a.household_id = "H1";
    notify_msg_t m;
    assert_int_equal(notify_render_alert("alert.raised", NOTIFY_INBOX, &a, &m), 1);
    assert_string_equal(m.body, "【高风险预警】保障对象服刑：家庭H1，请及时核实跟进。");
    free(m.body);
    const char *kinds[] = {"catastrophic_medical", "income_drop", "breadwinner_death", "severe_disability",
                           "beneficiary_deceased", "beneficiary_incarcerated", "assets_over_limit",
                           "visit_risk", "follow_up_overdue", "recheck_due"};
    for (size_t i = 0; i < 10; i++)
        assert_non_null(notify_alert_kind_name(kinds[i]));
    /* not every event is announced on every channel */
    assert_int_equal(notify_render_alert("alert.acknowledged", NOTIFY_INBOX, &a, &m), 0);
    assert_int_equal(notify_render_alert("alert.raised", NOTIFY_SMS, &a, &m), 0);
    assert_null(m.body);
    Rul__Entitlement x = ent("dibao", 1, "monthly");
    assert_int_equal(notify_render_entitlement("entitlement.unknown", NOTIFY_SMS, &x, NULL, &m), 0);
    assert_int_equal(notify_render_entitlement("entitlement.granted", NOTIFY_WEBHOOK, &x, NULL, &m), 0);
}

static void test_expand_and_phone(void **state)
{
    (void)state;
    const char *vars[] = {"a", "甲", "b", "{b}", NULL, NULL};
    char *s = notify_template_expand("x{a}y{b}z", vars);
    assert_string_equal(s, "x甲y{b}z"); /* values are not expanded again */
    free(s);
    assert_null(notify_template_expand("{missing}", vars));
    assert_null(notify_template_expand("{unterminated", vars));
    s = notify_template_expand("", vars);
    assert_string_equal(s, "");
    free(s);

    assert_true(notify_phone_ok("13800001234"));
    assert_true(notify_phone_ok("+8613800001234"));
    assert_false(notify_phone_ok(""));
    assert_false(notify_phone_ok(NULL));
    assert_false(notify_phone_ok("12345"));
    assert_false(notify_phone_ok("138-0000-1234"));
    assert_false(notify_phone_ok("1380000123412345678901"));
    assert_false(notify_phone_ok("+"));

    assert_string_equal(notify_channel_name(NOTIFY_SMS), "sms");
    assert_int_equal(notify_channel_parse("webhook"), NOTIFY_WEBHOOK);
    assert_int_equal(notify_channel_parse("inbox"), NOTIFY_INBOX);
    assert_int_equal(notify_channel_parse("email"), -1);
    assert_int_equal(notify_channel_parse(NULL), -1);
}

static Sais__Envelope envelope(const char *type, void *payload, size_t len)
{
    Sais__Envelope ev = SAIS__ENVELOPE__INIT;
    ev.producer = "rules";
    ev.seq = 7;
    ev.type = (char *)type;
    ev.region = "330326";
    ev.occurred_at = 1795420800; /* 2026-11-23T08:00:00Z */
    ev.payload.data = payload;
    ev.payload.len = len;
    return ev;
}

static void test_webhook_payloads(void **state)
{
    (void)state;
    Rul__Entitlement e = ent("temp_medical", 3216000, "one_off");
    uint8_t buf[1024];
    size_t n = rul__entitlement__pack(&e, buf);
    Sais__Envelope ev = envelope("entitlement.granted", buf, n);
    size_t len = 0;
    char *body = notify_payload_json("rules", &ev, "rules:7:webhook:wh-000001", &len);
    assert_non_null(body);
    assert_int_equal(len, strlen(body));
    /* money is written from fen, exactly, as a JSON number */
    assert_non_null(strstr(body, "\"amount\":32160.00"));
    /* the ID number is masked, the phone is not there at all */
    assert_null(strstr(body, "11010519491231002X"));
    assert_null(strstr(body, "13800001234"));
    json_error_t jerr;
    json_t *j = json_loads(body, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event_id")), "rules:7:webhook:wh-000001");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "entitlement.granted");
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), 7);
    assert_string_equal(json_string_value(json_object_get(j, "occurred_at")), "2026-11-23T08:00:00Z");
    json_t *d = json_object_get(j, "data");
    assert_string_equal(json_string_value(json_object_get(d, "policy")), "temp_medical");
    assert_string_equal(json_string_value(json_object_get(d, "id_number")), "110105***********X");
    assert_string_equal(json_string_value(json_object_get(d, "household_id")), "H330326000123");
    json_decref(j);
    free(body);

    Wrn__Alert a = WRN__ALERT__INIT;
    Sais__Evidence evd = SAIS__EVIDENCE__INIT, *evp = &evd;
    evd.source = "medical";
    evd.record_id = "M-1";
    a.alert_id = "alt-1";
    a.kind = "catastrophic_medical";
    a.severity = "high";
    a.id_number = "440524188001010014";
    a.evidence = &evp;
    a.n_evidence = 1;
    n = wrn__alert__pack(&a, buf);
    ev = envelope("alert.raised", buf, n);
    body = notify_payload_json("warn", &ev, "warn:7:webhook:wh-000002", &len);
    j = json_loads(body, 0, &jerr);
    assert_non_null(j);
    d = json_object_get(j, "data");
    assert_string_equal(json_string_value(json_object_get(d, "kind")), "catastrophic_medical");
    assert_string_equal(json_string_value(json_object_get(d, "id_number")), "440524***********4");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(d, "evidence"), 0), "record_id")), "M-1");
    json_decref(j);
    free(body);

    /* a payload notify has no schema for, and a garbled one: the envelope and data null */
    uint8_t junk[] = {0xff, 0xff, 0xff, 0x01};
    const char *cases[][2] = {{"intake", "application.submitted"}, {"rules", "entitlement.granted"}};
    for (size_t i = 0; i < 2; i++) {
        ev = envelope(cases[i][1], junk, sizeof junk);
        body = notify_payload_json(cases[i][0], &ev, "x:7:webhook:wh-000003", &len);
        j = json_loads(body, 0, &jerr);
        assert_non_null(j);
        assert_true(json_is_null(json_object_get(j, "data")));
        assert_string_equal(json_string_value(json_object_get(j, "producer")), cases[i][0]);
        json_decref(j);
        free(body);
    }
}

static void test_patterns(void **state)
{
    (void)state;
    const char *ok[] = {"entitlement.granted", "entitlement.stopped", "entitlement.*", "alert.raised",
                        "alert.resolved", "alert.*", "application.*", "application.submitted",
                        "wish.fulfilled", "wish.*", "*"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(notify_event_pattern_ok(ok[i]));
    const char *bad[] = {"", "entitlement", "entitlement.nope", "alert.", "fact.*", "household.changed",
                         "application.", "application.Submitted", "wish.a b", "**", "entitlement.**",
                         ".*", "alert.raised "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(notify_event_pattern_ok(bad[i]));
    assert_false(notify_event_pattern_ok(NULL));

    assert_true(notify_event_matches("entitlement.*", "entitlement.granted"));
    assert_false(notify_event_matches("entitlement.*", "entitlementx.granted"));
    assert_false(notify_event_matches("entitlement.*", "entitlement."));
    assert_false(notify_event_matches("entitlement.*", "alert.raised"));
    assert_true(notify_event_matches("alert.raised", "alert.raised"));
    assert_false(notify_event_matches("alert.raised", "alert.resolved"));
    assert_true(notify_event_matches("*", "wish.created"));
    assert_false(notify_event_matches(NULL, "wish.created"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_story_sms_is_exact),
        cmocka_unit_test(test_amounts_are_exact),
        cmocka_unit_test(test_every_template_renders),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_expand_and_phone),
        cmocka_unit_test(test_webhook_payloads),
        cmocka_unit_test(test_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
