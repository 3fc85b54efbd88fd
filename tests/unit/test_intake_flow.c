/* intake_flow: every pair of statuses against the diagram (written out again here, not
 * derived from the code's table), the request vocabulary, and what rules' findings decide:
 * review for dibao/tekun, approval for automatic grants only, rejection naming each failed
 * clause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_app.h"
#include "intake_flow.h"

static void test_status_names(void **state)
{
    (void)state;
    const char *names[] = {"submitted", "verifying", "deciding", "pending_review", "approved", "rejected"};
    for (int i = 0; i < 6; i++) {
        int st = intake_status_parse(names[i]);
        assert_int_equal(st, i + 1);
        assert_string_equal(intake_status_name((intake_status_t)st), names[i]);
    }
    assert_int_equal(intake_status_parse(""), -1);
    assert_int_equal(intake_status_parse(NULL), -1);
    assert_int_equal(intake_status_parse("Approved"), -1);
    assert_int_equal(intake_status_parse("approved "), -1);
    assert_string_equal(intake_status_name(INTAKE_NEW), "");
    assert_string_equal(intake_status_name((intake_status_t)99), "");
}

static void test_every_transition(void **state)
{
    (void)state;
    /* the legal steps, from the API's life of an application */
    static const intake_status_t legal[][2] = {
        {INTAKE_NEW, INTAKE_SUBMITTED},
        {INTAKE_NEW, INTAKE_PENDING_REVIEW},          /* a proactive case */
        {INTAKE_SUBMITTED, INTAKE_VERIFYING},
        {INTAKE_VERIFYING, INTAKE_DECIDING},
        {INTAKE_VERIFYING, INTAKE_REJECTED},          /* the household cannot be verified */
        {INTAKE_DECIDING, INTAKE_PENDING_REVIEW},
        {INTAKE_DECIDING, INTAKE_APPROVED},
        {INTAKE_DECIDING, INTAKE_REJECTED},
        {INTAKE_PENDING_REVIEW, INTAKE_APPROVED},
        {INTAKE_PENDING_REVIEW, INTAKE_REJECTED},
    };
    size_t nlegal = sizeof legal / sizeof legal[0], seen = 0;
    for (int from = 0; from < INTAKE_NSTATUS; from++)
        for (int to = 0; to < INTAKE_NSTATUS; to++) {
            bool want = false;
            for (size_t i = 0; i < nlegal; i++)
                want = want || (legal[i][0] == (intake_status_t)from && legal[i][1] == (intake_status_t)to);
            if (intake_step_ok((intake_status_t)from, (intake_status_t)to) != want)
                fail_msg("%s -> %s: expected %s", intake_status_name((intake_status_t)from),
                         intake_status_name((intake_status_t)to), want ? "legal" : "illegal");
            seen += want;
        }
    assert_int_equal(seen, nlegal);
    /* final states go nowhere, nothing goes back to new, out-of-range is illegal */
    for (int to = 0; to < INTAKE_NSTATUS; to++) {
        assert_false(intake_step_ok(INTAKE_APPROVED, (intake_status_t)to));
        assert_false(intake_step_ok(INTAKE_REJECTED, (intake_status_t)to));
        assert_false(intake_step_ok((intake_status_t)to, INTAKE_NEW));
    }
    assert_false(intake_step_ok((intake_status_t)-1, INTAKE_SUBMITTED));
    assert_false(intake_step_ok(INTAKE_SUBMITTED, (intake_status_t)INTAKE_NSTATUS));
    assert_true(intake_status_final(INTAKE_APPROVED));
    assert_true(intake_status_final(INTAKE_REJECTED));
    assert_false(intake_status_final(INTAKE_PENDING_REVIEW));
    assert_true(intake_status_working(INTAKE_SUBMITTED));
    assert_true(intake_status_working(INTAKE_DECIDING));
    assert_false(intake_status_working(INTAKE_PENDING_REVIEW));
}

static void test_vocabulary(void **state)
{
    (void)state;
    assert_true(intake_channel_ok("window"));
    assert_true(intake_channel_ok("mobile"));
    assert_true(intake_channel_ok("hotline"));
    assert_true(intake_channel_ok("proxy"));
    assert_false(intake_channel_ok("proactive")); /* rules' channel, not a person's */
    assert_false(intake_channel_ok("Window"));
    assert_false(intake_channel_ok(""));
    assert_false(intake_channel_ok(NULL));

    assert_true(intake_policy_id_ok("dibao"));
    assert_true(intake_policy_id_ok("temp_medical"));
    assert_true(intake_policy_id_ok("a1"));
    assert_false(intake_policy_id_ok("1a"));
    assert_false(intake_policy_id_ok("_x"));
    assert_false(intake_policy_id_ok("Dibao"));
    assert_false(intake_policy_id_ok("di bao"));
    assert_false(intake_policy_id_ok(""));
    assert_false(intake_policy_id_ok(NULL));
    char longid[50];
    memset(longid, 'a', 49);
    longid[49] = '\0';
    assert_false(intake_policy_id_ok(longid));
    longid[48] = '\0';
    assert_true(intake_policy_id_ok(longid));

    assert_true(intake_phone_ok("13800001234"));
    assert_true(intake_phone_ok("+8613800001234"));
    assert_false(intake_phone_ok("12345"));
    assert_false(intake_phone_ok("138-0000-1234"));
    assert_false(intake_phone_ok("+"));
    assert_false(intake_phone_ok(NULL));
}

/* ---- decisions built the way rules' answer is taken in */

static Itk__Decision *dec(Itk__Application *a, const char *policy, bool eligible, int64_t fen,
                          const char *period, bool automatic)
{
    Itk__Decision *d = NULL;
    assert_int_equal(intake_app_add_decision(a, policy, eligible, fen, period, automatic, "2026.1", &d), 0);
    return d;
}

static void clause(Itk__Decision *d, const char *name, bool passed)
{
    assert_int_equal(intake_decision_add_clause(d, name, passed, "detail"), 0);
}

static void test_decide_review_first(void **state)
{
    (void)state;
    Itk__Application *a = intake_app_new();
    assert_non_null(a);
    dec(a, "tekun", false, 0, "monthly", false);
    dec(a, "dibao", true, 140000, "monthly", false);
    dec(a, "marginal", false, 0, "status", true);
    dec(a, "disability_care", true, 10000, "monthly", true);
    intake_outcome_t o;
    intake_decide(a->decisions, a->n_decisions, &o);
    assert_int_equal(o.status, INTAKE_PENDING_REVIEW);
    assert_string_equal(o.by, "rules");
    assert_int_equal(o.nidx, 1);
    assert_int_equal(o.idx[0], 1);
    assert_string_equal(o.note, "eligible for dibao; a reviewer decides (also eligible: disability_care)");
    /* a reviewer's approval grants every eligible policy, dibao included */
    size_t idx[8];
    size_t n = intake_review_policies(a->decisions, a->n_decisions, idx, 8);
    assert_int_equal(n, 2);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 3);
    intake_app_free(&a);
    assert_null(a);
}

static void test_decide_automatic_only(void **state)
{
    (void)state;
    Itk__Application *a = intake_app_new();
    dec(a, "dibao", false, 0, "monthly", false);
    dec(a, "marginal", true, 0, "status", true);
    dec(a, "temp_medical", true, 3216000, "one_off", true);
    intake_outcome_t o;
    intake_decide(a->decisions, a->n_decisions, &o);
    assert_int_equal(o.status, INTAKE_APPROVED);
    assert_int_equal(o.nidx, 2);
    assert_int_equal(o.idx[0], 1);
    assert_int_equal(o.idx[1], 2);
    assert_string_equal(o.note, "granted without review: marginal, temp_medical");
    intake_app_free(&a);

    /* a temporary grant over auto_limit is not automatic: a reviewer decides it */
    a = intake_app_new();
    dec(a, "temp_medical", true, 6000000, "one_off", false);
    intake_decide(a->decisions, a->n_decisions, &o);
    assert_int_equal(o.status, INTAKE_PENDING_REVIEW);
    assert_string_equal(o.note, "eligible for temp_medical; a reviewer decides");
    intake_app_free(&a);
}

static void test_decide_rejected(void **state)
{
    (void)state;
    Itk__Application *a = intake_app_new();
    Itk__Decision *d = dec(a, "dibao", false, 0, "monthly", false);
    clause(d, "counted members", true);
    clause(d, "per-capita income below the line", false);
    clause(d, "no vehicle over the limit", false);
    d = dec(a, "marginal", false, 0, "status", true);
    clause(d, "per-capita income below 1.5 x line", false);
    /* eligible, but the 12-month cap is used up: nothing to grant */
    d = dec(a, "temp_medical", true, 0, "one_off", true);
    clause(d, "out of pocket", true);
    intake_outcome_t o;
    intake_decide(a->decisions, a->n_decisions, &o);
    assert_int_equal(o.status, INTAKE_REJECTED);
    assert_int_equal(o.nidx, 0);
    assert_string_equal(o.note, "not eligible: dibao (per-capita income below the line, no vehicle over the limit); "
                                "marginal (per-capita income below 1.5 x line); "
                                "temp_medical (nothing left to pay in the last 12 months)");
    size_t idx[4];
    assert_int_equal(intake_review_policies(a->decisions, a->n_decisions, idx, 4), 0);
    intake_app_free(&a);

    intake_decide(NULL, 0, &o);
    assert_int_equal(o.status, INTAKE_REJECTED);
    assert_string_equal(o.note, "rules found no policy to apply");
}

static void test_note_cut_at_characters(void **state)
{
    (void)state;
    char buf[8] = "";
    assert_true(intake_note_cat(buf, sizeof buf, "ab"));
    /* "ab" + "程" (3 bytes) + "程" would need 9 bytes with the NUL: the second one is dropped whole */
    assert_false(intake_note_cat(buf, sizeof buf, "程程"));
    assert_string_equal(buf, "ab程");
    assert_false(intake_note_cat(buf, sizeof buf, "xyz"));
    assert_string_equal(buf, "ab程xy");
    assert_false(intake_note_cat(buf, sizeof buf, "q"));
    assert_string_equal(buf, "ab程xy");

    /* a long rejection note stays within its buffer and valid UTF-8 */
    Itk__Application *a = intake_app_new();
    for (int i = 0; i < 30; i++) {
        char name[32];
        snprintf(name, sizeof name, "policy_%02d", i);
        Itk__Decision *d = dec(a, name, false, 0, "monthly", false);
        clause(d, "家庭人均收入低于低保标准这一条件未满足", false);
    }
    intake_outcome_t o;
    intake_decide(a->decisions, a->n_decisions, &o);
    assert_int_equal(o.status, INTAKE_REJECTED);
    size_t len = strlen(o.note);
    assert_true(len < sizeof o.note);
    assert_true(len > sizeof o.note - 8);
    /* the last character is whole: its lead byte has all its continuation bytes */
    size_t i = len;
    while (i > 0 && ((unsigned char)o.note[i - 1] & 0xC0) == 0x80)
        i--;
    unsigned char lead = (unsigned char)o.note[i - 1];
    size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    assert_int_equal(len - (i - 1), want);
    intake_app_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_every_transition),
        cmocka_unit_test(test_vocabulary),
        cmocka_unit_test(test_decide_review_first),
        cmocka_unit_test(test_decide_automatic_only),
        cmocka_unit_test(test_decide_rejected),
        cmocka_unit_test(test_note_cut_at_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
