/* intake_app: an application built on the heap survives pack/unpack and changes in place
 * (ASan checks every free), rules' evaluate answer becomes decisions with exact money, and the
 * JSON shows everything to the handling county and only masked identity to the filing one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_app.h"
#include "intake_flow.h"

static Itk__Application *sample(void)
{
    Itk__Application *a = intake_app_new();
    assert_non_null(a);
    assert_int_equal(intake_str_set(&a->application_id, "A0000000001"), 0);
    assert_int_equal(intake_str_set(&a->id_number, "33032919800101001X"), 0);
    assert_int_equal(intake_str_set(&a->name, "程𠮷钊"), 0);
    assert_int_equal(intake_str_set(&a->household_id, "H330329000001"), 0);
    assert_int_equal(intake_str_set(&a->channel, "window"), 0);
    assert_int_equal(intake_str_set(&a->origin, "application"), 0);
    assert_int_equal(intake_str_set(&a->filed_region, "330326"), 0);
    assert_int_equal(intake_str_set(&a->handled_region, "330329"), 0);
    assert_int_equal(intake_str_set(&a->status, "submitted"), 0);
    assert_int_equal(intake_str_set(&a->phone, "13800001234"), 0);
    assert_int_equal(intake_strv_add(&a->policies, &a->n_policies, "dibao"), 0);
    a->created_at = 1795420800;
    a->updated_at = 1795420800;
    assert_int_equal(intake_app_add_step(a, 1795420800, "submitted", "平阳窗口 (k1)", "filed by window"), 0);
    return a;
}

static void test_heap_tree(void **state)
{
    (void)state;
    Itk__Application *a = sample();
    /* replacing a string frees the old one; "" and NULL fall back to protobuf-c's "" */
    assert_int_equal(intake_str_set(&a->status, "verifying"), 0);
    assert_int_equal(intake_str_set(&a->note, NULL), 0);
    assert_string_equal(a->note, "");
    assert_int_equal(intake_str_set(&a->note, ""), 0);
    Itk__Decision *d = NULL;
    assert_int_equal(intake_app_add_decision(a, "dibao", true, 140000, "monthly", false, "2026.1", &d), 0);
    assert_int_equal(intake_decision_add_clause(d, "per-capita income below the line", true, "500.00 < 1200.00"), 0);
    assert_int_equal(intake_app_add_evidence(a, "hukou", "hk-1", "b1"), 0);

    size_t n = itk__application__get_packed_size(a);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    itk__application__pack(a, buf);
    Itk__Application *b = intake_app_unpack(buf, n);
    assert_non_null(b);
    assert_string_equal(b->status, "verifying");
    assert_string_equal(b->name, "程𠮷钊");
    assert_int_equal(b->n_decisions, 1);
    assert_int_equal(b->decisions[0]->amount, 140000);
    assert_string_equal(b->decisions[0]->explanation[0]->detail, "500.00 < 1200.00");
    assert_string_equal(b->evidence[0]->record_id, "hk-1");

    /* an unpacked application is changed in place and freed by protobuf-c */
    assert_int_equal(intake_app_add_step(b, 1795420801, "deciding", "verify", "verification V1"), 0);
    assert_int_equal(intake_str_set(&b->verification_id, "V0000000001"), 0);
    intake_app_clear_decisions(b);
    assert_int_equal(b->n_decisions, 0);
    assert_int_equal(intake_strv_add(&b->approved_policies, &b->n_approved_policies, "dibao"), 0);
    assert_true(intake_strv_has(b->approved_policies, b->n_approved_policies, "dibao"));
    assert_false(intake_strv_has(b->approved_policies, b->n_approved_policies, "tekun"));
    intake_strv_clear(&b->approved_policies, &b->n_approved_policies);
    assert_int_equal(b->n_approved_policies, 0);
    assert_int_equal(b->n_history, 2);
    intake_app_free(&b);
    intake_app_free(&b); /* idempotent */
    assert_null(intake_app_unpack("\xff\xff\xff", 3));
    free(buf);
    intake_app_free(&a);
}

static void test_decisions_from_rules(void **state)
{
    (void)state;
    const char *answer =
        "{\"household_id\":\"H1\",\"results\":["
        "{\"policy\":\"dibao\",\"version\":\"2026.1\",\"eligible\":true,\"amount\":1400.00,\"period\":\"monthly\","
        " \"automatic\":false,\"explanation\":[{\"clause\":\"per-capita income below the line\",\"passed\":true,"
        " \"detail\":\"per-capita income 500.00 < line 1200.00\"}]},"
        "{\"policy\":\"temp_medical\",\"version\":\"2026.1\",\"eligible\":true,\"amount\":32160.01,\"period\":\"one_off\","
        " \"automatic\":true,\"explanation\":[]},"
        "{\"policy\":\"broken\",\"version\":\"1\",\"eligible\":true,\"amount\":0.10,\"period\":\"monthly\","
        " \"automatic\":true,\"error\":\"broken.lua:3: attempt to index nil\",\"explanation\":[]},"
        "\"not an object\", {\"no\":\"policy\"}]}";
    json_t *j = json_loads(answer, 0, NULL);
    assert_non_null(j);
    Itk__Application *a = sample();
    assert_int_equal(intake_app_set_decisions_json(a, json_object_get(j, "results")), 0);
    assert_int_equal(a->n_decisions, 3);
    assert_string_equal(a->decisions[0]->policy, "dibao");
    assert_int_equal(a->decisions[0]->amount, 140000);
    assert_false(a->decisions[0]->automatic);
    assert_true(a->decisions[0]->eligible);
    assert_string_equal(a->decisions[0]->explanation[0]->detail, "per-capita income 500.00 < line 1200.00");
    assert_int_equal(a->decisions[1]->amount, 3216001);
    assert_string_equal(a->decisions[1]->period, "one_off");
    /* a policy that failed to evaluate is not eligible, and says why */
    assert_false(a->decisions[2]->eligible);
    assert_int_equal(a->decisions[2]->n_explanation, 1);
    assert_false(a->decisions[2]->explanation[0]->passed);
    assert_string_equal(a->decisions[2]->explanation[0]->detail, "broken.lua:3: attempt to index nil");
    /* replacing them again leaves no trace of the first set */
    assert_int_equal(intake_app_set_decisions_json(a, json_array_get(json_object_get(j, "results"), 99)), 1);
    assert_int_equal(a->n_decisions, 3);
    json_t *empty = json_array();
    assert_int_equal(intake_app_set_decisions_json(a, empty), 0);
    assert_int_equal(a->n_decisions, 0);
    json_decref(empty);
    json_decref(j);
    intake_app_free(&a);
}

static json_t *render(const Itk__Application *a, bool masked)
{
    sais_jw_t w;
    sais_jw_init(&w);
    intake_app_json(&w, a, masked);
    size_t n = 0;
    char *s = sais_jw_take(&w, &n);
    assert_non_null(s);
    json_error_t err;
    json_t *j = json_loadb(s, n, 0, &err);
    if (!j)
        fail_msg("not JSON (%s): %s", err.text, s);
    free(s);
    return j;
}

static void test_json_full_and_masked(void **state)
{
    (void)state;
    Itk__Application *a = sample();
    Itk__Decision *d = NULL;
    assert_int_equal(intake_app_add_decision(a, "dibao", true, 140000, "monthly", false, "2026.1", &d), 0);
    assert_int_equal(intake_decision_add_clause(d, "counted members", true, "2 counted members"), 0);

    json_t *j = render(a, false);
    assert_string_equal(json_string_value(json_object_get(j, "application_id")), "A0000000001");
    assert_string_equal(json_string_value(json_object_get(j, "id_number")), "33032919800101001X");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "程𠮷钊");
    assert_string_equal(json_string_value(json_object_get(j, "phone")), "13800001234");
    assert_string_equal(json_string_value(json_object_get(j, "household_id")), "H330329000001");
    assert_string_equal(json_string_value(json_object_get(j, "filed_region")), "330326");
    assert_string_equal(json_string_value(json_object_get(j, "handled_region")), "330329");
    assert_string_equal(json_string_value(json_object_get(j, "region")), "330329");
    assert_string_equal(json_string_value(json_object_get(j, "created_at")), "2026-11-23T08:00:00Z");
    assert_true(json_is_null(json_object_get(j, "case_id")));
    assert_true(json_is_false(json_object_get(j, "masked")));
    json_t *dj = json_array_get(json_object_get(j, "decisions"), 0);
    assert_string_equal(json_string_value(json_object_get(dj, "policy")), "dibao");
    assert_true(json_real_value(json_object_get(dj, "amount")) == 1400.0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(dj, "explanation"), 0), "detail")),
                        "2 counted members");
    json_t *h = json_array_get(json_object_get(j, "history"), 0);
    assert_string_equal(json_string_value(json_object_get(h, "status")), "submitted");
    assert_string_equal(json_string_value(json_object_get(h, "by")), "平阳窗口 (k1)");
    assert_string_equal(json_string_value(json_object_get(h, "at")), "2026-11-23T08:00:00Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "policies"), 0)), "dibao");
    json_decref(j);

    j = render(a, true);
    assert_string_equal(json_string_value(json_object_get(j, "id_number")), "330329***********X");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "程**");
    assert_string_equal(json_string_value(json_object_get(j, "phone")), "*******1234");
    assert_true(json_is_true(json_object_get(j, "masked")));
    /* the rest is there: the window that took it can follow it */
    assert_string_equal(json_string_value(json_object_get(j, "status")), "submitted");
    assert_string_equal(json_string_value(json_object_get(j, "handled_region")), "330329");
    json_decref(j);

    /* nothing to mask: no phone and no name are null, not "" */
    assert_int_equal(intake_str_set(&a->phone, ""), 0);
    assert_int_equal(intake_str_set(&a->name, NULL), 0);
    j = render(a, true);
    assert_true(json_is_null(json_object_get(j, "phone")));
    assert_true(json_is_null(json_object_get(j, "name")));
    json_decref(j);
    intake_app_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_tree),
        cmocka_unit_test(test_decisions_from_rules),
        cmocka_unit_test(test_json_full_and_masked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
