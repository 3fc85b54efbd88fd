/* What simulate stands on: a what-if pair equals two separate evaluations, an "after" side
 * built on kept "before" decisions equals a whole evaluation, each decision notes the
 * parameters it read, the kept record reads back (or is refused when damaged), and the inputs
 * key changes with every input. The policies themselves, clause by clause, are in
 * test_rules_policy.c. */
#include "test_rules_util.h"
#include "rules.h"

RULES_DEMO_FIXTURE

#define REGION "330302"   /* Lucheng: no override, dibao.line 1200.00 */

/* what-if pairs give exactly what two separate evaluations give, whatever they skip */
static void test_whatif_matches_separate_evaluations(void **state)
{
    (void) state;
    static const tm_t old_pair[] = {
        { "330302194001010011", "Zhou", 86, 2, 0, true, 0 },
        { "330302195001010022", "Wang", 76, 0, 125000, true, 0 },
    };
    static const tm_t near_line[] = { { "330302198001010011", "Wu", 45, 3, 125000, true, 2500000 } };
    tp_t hh[3];
    tp_build(&hh[0], REGION, old_pair, 2);
    tp_build(&hh[1], REGION, near_line, 1);
    tp_cheng(&hh[2]);
    rules_param_override_t ovs[][2] = {
        { { "dibao.line", 130000 }, { NULL, 0 } },
        { { "temp_medical.rate_pct", 50 }, { NULL, 0 } },
        { { "disability_living.amount", 20000 }, { NULL, 0 } },
        { { "tekun.support_pct", 100 }, { "dibao.line", 126000 } },
        { { "dibao.minimum", 1000 }, { NULL, 0 } },   /* no change at all */
    };
    size_t novs[] = { 1, 1, 1, 2, 1 };
    rules_eval_opts_t brief = { .brief = true };
    char err[128];
    for (size_t h = 0; h < 3; h++)
        for (size_t o = 0; o < sizeof novs / sizeof novs[0]; o++) {
            rules_result_t before[8], after[8], b[8], a[8];
            size_t nb, na;
            assert_int_equal(rules_evaluate_whatif(cat, &hh[h].pic, NULL, ovs[o], novs[o], before, after,
                                                   err, sizeof err), 0);
            assert_int_equal(rules_evaluate(cat, &hh[h].pic, NULL, NULL, 0, &brief, b, &nb, err, sizeof err), 0);
            assert_int_equal(rules_evaluate(cat, &hh[h].pic, NULL, ovs[o], novs[o], &brief, a, &na, err, sizeof err), 0);
            for (size_t i = 0; i < nb; i++) {
                assert_string_equal(before[i].policy, b[i].policy);
                assert_int_equal(before[i].eligible, b[i].eligible);
                assert_int_equal(before[i].amount, b[i].amount);
                assert_int_equal(before[i].automatic, b[i].automatic);
                assert_string_equal(after[i].policy, a[i].policy);
                if (after[i].eligible != a[i].eligible || after[i].amount != a[i].amount)
                    fail_msg("household %zu, what-if %zu, %s: %d/%lld vs %d/%lld", h, o, a[i].policy,
                             after[i].eligible, (long long) after[i].amount, a[i].eligible,
                             (long long) a[i].amount);
                assert_int_equal(after[i].automatic, a[i].automatic);
            }
            rules_results_clear(before, nb);
            rules_results_clear(after, na);
            rules_results_clear(b, nb);
            rules_results_clear(a, na);
        }
    /* and the what-if did move something: Wang's pension is below a 1300.00 line */
    rules_result_t before[8], after[8];
    assert_int_equal(rules_evaluate_whatif(cat, &hh[0].pic, NULL, ovs[0], 1, before, after, err, sizeof err), 0);
    assert_int_equal(result_of(before, 6, "tekun")->amount, 156000);
    assert_int_equal(result_of(after, 6, "tekun")->amount, 2 * 169000);
    rules_results_clear(before, 6);
    rules_results_clear(after, 6);
    rules_param_override_t bad = { "nope", 1 };
    assert_int_equal(rules_evaluate_whatif(cat, &hh[0].pic, NULL, &bad, 1, before, after, err, sizeof err), -1);
    assert_contains(err, "unknown parameter 'nope'");
}

/* Simulate with the "before" side kept from rules' own decisions: the "after" side is the same
 * as a what-if that evaluates both, household by household, override by override (tekun's
 * beneficiaries, which a kept result does not hold, included). */
static void test_after_from_kept_before(void **state)
{
    (void) state;
    static const tm_t old_pair[] = {
        { "330302194001010011", "Zhou", 86, 2, 0, true, 0 },
        { "330302195001010022", "Wang", 76, 0, 125000, true, 0 },
    };
    static const tm_t tekun_and_child[] = {
        { "330302194001010011", "Zhou", 86, 0, 0, true, 0 },
        { "330302201501010033", "Zhou Xiao", 11, 0, 0, true, 0 },
        { "330302198001010044", "Zhou Da", 46, 0, 90000, false, 0 },
    };
    static const tm_t near_line[] = { { "330302198001010011", "Wu", 45, 3, 125000, true, 2500000 } };
    /* tekun supports Zhou, not the pensioner above the line: marginal counts the pensioner
     * alone, so a what-if of marginal's share re-decides marginal with tekun's kept decision,
     * whose persons marginal must see for this household, not the one evaluated before it */
    static const tm_t tekun_and_pensioner[] = {
        { "330302194001010011", "Zhou", 86, 0, 0, true, 0 },
        { "330302195501010055", "Qian", 71, 0, 150000, true, 0 },
    };
    enum { NH = 5 };
    tp_t hh[NH];
    tp_build(&hh[0], REGION, old_pair, 2);
    tp_build(&hh[1], REGION, near_line, 1);
    tp_build(&hh[2], REGION, tekun_and_child, 3);
    tp_cheng(&hh[3]);
    tp_build(&hh[4], REGION, tekun_and_pensioner, 2);
    rules_param_override_t ovs[][2] = {
        { { "dibao.line", 130000 }, { NULL, 0 } },
        { { "dibao.line", 90000 }, { NULL, 0 } },
        { { "temp_medical.rate_pct", 50 }, { NULL, 0 } },
        { { "tekun.support_pct", 100 }, { "dibao.line", 126000 } },
        { { "dibao.minimum", 2000 }, { NULL, 0 } },          /* dibao again, tekun kept */
        { { "disability_living.amount", 20000 }, { NULL, 0 } },   /* reads kept decisions */
        { { "marginal.line_pct", 110 }, { NULL, 0 } },       /* marginal again, tekun kept */
    };
    size_t novs[] = { 1, 1, 1, 2, 1, 1, 1 };
    rules_eval_opts_t brief = { .brief = true };
    char err[128];
    /* kept decisions are made first, as rules makes them (with explanations: round 2, 3), and
     * used later, after other households were evaluated: nothing of one household may be left
     * for the next. A kept decision says which parameters it read; the "after" side evaluates
     * a policy again only for those, and must still agree with evaluating both sides. */
    for (size_t round = 0; round < 4; round++)
        for (size_t o = 0; o < sizeof novs / sizeof novs[0]; o++) {
            rules_result_t kept[NH][8];
            size_t nk = 0;
            for (size_t h = 0; h < NH; h++)
                assert_int_equal(rules_evaluate(cat, &hh[h].pic, NULL, NULL, 0, round < 2 ? &brief : NULL, kept[h],
                                                &nk, err, sizeof err), 0);
            for (size_t k = 0; k < NH; k++) {
                size_t h = round % 2 ? NH - 1 - k : k;
                rules_result_t after[8], both_b[8], both_a[8];
                assert_int_equal(rules_evaluate_after(cat, &hh[h].pic, NULL, ovs[o], novs[o], kept[h], after, err,
                                                      sizeof err), 0);
                assert_int_equal(rules_evaluate_whatif(cat, &hh[h].pic, NULL, ovs[o], novs[o], both_b, both_a, err,
                                                       sizeof err), 0);
                for (size_t i = 0; i < nk; i++) {
                    assert_string_equal(after[i].policy, both_a[i].policy);
                    if (after[i].eligible != both_a[i].eligible || after[i].amount != both_a[i].amount
                        || after[i].automatic != both_a[i].automatic)
                        fail_msg("household %zu, what-if %zu, %s: %d/%lld vs %d/%lld", h, o, after[i].policy,
                                 after[i].eligible, (long long) after[i].amount, both_a[i].eligible,
                                 (long long) both_a[i].amount);
                    assert_null(after[i].error);
                }
                rules_results_clear(after, nk);
                rules_results_clear(both_b, nk);
                rules_results_clear(both_a, nk);
            }
            for (size_t h = 0; h < NH; h++)
                rules_results_clear(kept[h], nk);
        }
    /* the case that needs tekun's persons: Zhou and the child supported, the father not counted */
    rules_result_t kept[8], after[8];
    size_t nk;
    assert_int_equal(rules_evaluate(cat, &hh[2].pic, NULL, NULL, 0, &brief, kept, &nk, err, sizeof err), 0);
    assert_true(result_of(kept, nk, "tekun")->eligible);
    assert_int_equal(rules_evaluate_after(cat, &hh[2].pic, NULL, ovs[0], 1, kept, after, err, sizeof err), 0);
    assert_int_equal(result_of(after, nk, "tekun")->amount, 2 * 169000);
    rules_results_clear(kept, nk);
    rules_results_clear(after, nk);
    /* the pensioner alone: 1,500.00 is below 150% of the line, not below 110% */
    assert_int_equal(rules_evaluate(cat, &hh[4].pic, NULL, NULL, 0, &brief, kept, &nk, err, sizeof err), 0);
    assert_true(result_of(kept, nk, "tekun")->eligible);
    assert_false(result_of(kept, nk, "dibao")->eligible);
    assert_true(result_of(kept, nk, "marginal")->eligible);
    assert_int_equal(rules_evaluate_after(cat, &hh[4].pic, NULL, ovs[6], 1, kept, after, err, sizeof err), 0);
    assert_false(result_of(after, nk, "marginal")->eligible);
    rules_results_clear(after, nk);
    rules_results_clear(kept, nk);
    /* Wu at 1,250.00 is marginal below 130% of the line too. Marginal runs again and reads
     * dibao's kept decision (not eligible; tekun neither, so dibao is not run again), which
     * must be Wu's even though the household evaluated just before was dibao: a reused
     * decision is shown to Lua before a policy that needs it runs */
    assert_int_equal(rules_evaluate(cat, &hh[1].pic, NULL, NULL, 0, &brief, kept, &nk, err, sizeof err), 0);
    assert_false(result_of(kept, nk, "tekun")->eligible);
    assert_false(result_of(kept, nk, "dibao")->eligible);
    rules_result_t other[8];
    size_t no;
    assert_int_equal(rules_evaluate(cat, &hh[3].pic, NULL, NULL, 0, &brief, other, &no, err, sizeof err), 0);
    assert_true(result_of(other, no, "dibao")->eligible);
    rules_results_clear(other, no);
    rules_param_override_t pct130 = { "marginal.line_pct", 130 };
    assert_int_equal(rules_evaluate_after(cat, &hh[1].pic, NULL, &pct130, 1, kept, after, err, sizeof err), 0);
    assert_true(result_of(after, nk, "marginal")->eligible);
    rules_results_clear(kept, nk);
    rules_results_clear(after, nk);
}

/* The bit of parameter `name` among policy `id`'s declared parameters. */
static uint64_t param_bit(const char *id, const char *name)
{
    int i = rules_catalog_find(cat, id);
    assert_true(i >= 0);
    for (size_t k = 0; k < rules_policy_param_count(cat, (size_t) i); k++)
        if (strcmp(rules_policy_param(cat, (size_t) i, k)->name, name) == 0)
            return (uint64_t) 1 << k;
    fail_msg("%s does not declare %s", id, name);
    return 0;
}

/* What a decision read: facts and the clauses up to the first that failed, with or without
 * explanations; everything when every clause passed. */
static void test_params_read(void **state)
{
    (void) state;
    static const tm_t earner[] = { { "330302198001010011", "Wu", 45, 0, 500000, true, 0 } };
    tp_t t, c;
    tp_build(&t, REGION, earner, 1);
    tp_cheng(&c);
    rules_eval_opts_t brief = { .brief = true };
    rules_result_t r[8];
    size_t n;
    char err[128];
    for (int full = 0; full < 2; full++) {
        assert_int_equal(rules_evaluate(cat, &t.pic, NULL, NULL, 0, full ? NULL : &brief, r, &n, err, sizeof err), 0);
        /* no out-of-pocket: temp_medical failed at its first clause, before the line */
        uint64_t tm = result_of(r, n, "temp_medical")->params_read;
        assert_true(tm & param_bit("temp_medical", "temp_medical.oop_threshold"));
        assert_false(tm & param_bit("temp_medical", "dibao.line"));
        assert_false(tm & param_bit("temp_medical", "temp_medical.auto_limit"));
        /* nobody unable to work: tekun never looked at the line */
        uint64_t tk = result_of(r, n, "tekun")->params_read;
        assert_true(tk & param_bit("tekun", "tekun.age_old"));
        assert_false(tk & param_bit("tekun", "dibao.line"));
        /* 5,000.00 a month: dibao compared it with the line, and stopped there */
        uint64_t db = result_of(r, n, "dibao")->params_read;
        assert_true(db & param_bit("dibao", "dibao.line"));
        assert_false(db & param_bit("dibao", "dibao.vehicle_limit"));
        rules_results_clear(r, n);
        /* the seed story is granted temp_medical: every clause, the amount and automatic read */
        assert_int_equal(rules_evaluate(cat, &c.pic, NULL, NULL, 0, full ? NULL : &brief, r, &n, err, sizeof err), 0);
        tm = result_of(r, n, "temp_medical")->params_read;
        assert_true(result_of(r, n, "temp_medical")->eligible);
        assert_true(tm & param_bit("temp_medical", "dibao.line"));
        assert_true(tm & param_bit("temp_medical", "temp_medical.auto_limit"));
        rules_results_clear(r, n);
    }
}

/* The stored picture with `kept` (len bytes) as its record, unpacked as simulate reads it. */
static Ver__Picture *with_kept(const Ver__Picture *pic, const unsigned char *kept, size_t len)
{
    size_t n = rules_picture_encoded_size(pic, kept, len);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    rules_picture_encode(pic, kept, len, buf);
    Ver__Picture *back = ver__picture__unpack(NULL, n, buf);
    free(buf);
    assert_non_null(back);
    return back;
}

/* A kept record reads back as it was made, the parameters each decision read included; a
 * record of the older format, a cut one or one with bytes left over is not used (the
 * household is then evaluated whole), never misread. */
static void test_kept_record(void **state)
{
    (void) state;
    tp_t t;
    tp_cheng(&t);
    rules_result_t r[8], back[8];
    size_t n;
    char err[128];
    assert_int_equal(rules_evaluate(cat, &t.pic, NULL, NULL, 0, NULL, r, &n, err, sizeof err), 0);
    unsigned char kept[RULES_KEPT_BYTES];
    size_t len = rules_kept_encode(cat, &t.pic, NULL, r, n, kept);
    assert_true(len > 10);
    Ver__Picture *p = with_kept(&t.pic, kept, len);
    assert_int_equal(rules_kept_read(cat, p, NULL, back, n), 0);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(back[i].policy, r[i].policy);
        assert_int_equal(back[i].eligible, r[i].eligible);
        assert_int_equal(back[i].automatic, r[i].automatic);
        assert_int_equal(back[i].amount, r[i].amount);
        assert_true(back[i].params_read == r[i].params_read);
    }
    /* bounded for the compiler too: at -O3 it cannot see that rules_evaluate filled at most 8 */
    assert_true(n <= 8);
    assert_true(result_of(back, n < 8 ? n : 8, "temp_medical")->params_read & param_bit("temp_medical", "dibao.line"));
    ver__picture__free_unpacked(p, NULL);

    unsigned char bad[RULES_KEPT_BYTES];
    memcpy(bad, kept, len);
    bad[0] = 1;                                          /* format 1: no parameters read */
    p = with_kept(&t.pic, bad, len);
    assert_int_equal(rules_kept_read(cat, p, NULL, back, n), MDB_NOTFOUND);
    ver__picture__free_unpacked(p, NULL);
    p = with_kept(&t.pic, kept, len - 1);                /* the last varint cut */
    assert_int_equal(rules_kept_read(cat, p, NULL, back, n), MDB_NOTFOUND);
    ver__picture__free_unpacked(p, NULL);
    memcpy(bad, kept, len);
    bad[len] = 0;                                        /* a byte left over */
    p = with_kept(&t.pic, bad, len + 1);
    assert_int_equal(rules_kept_read(cat, p, NULL, back, n), MDB_NOTFOUND);
    ver__picture__free_unpacked(p, NULL);
    memcpy(bad, kept, len);
    bad[len - 1] |= 0x80;                                /* a varint that runs off the end */
    p = with_kept(&t.pic, bad, len);
    assert_int_equal(rules_kept_read(cat, p, NULL, back, n), MDB_NOTFOUND);
    ver__picture__free_unpacked(p, NULL);
    rules_results_clear(r, n);
}

/* The key a kept decision is filed under moves with every input it was made from. */
static void test_inputs_key(void **state)
{
    (void) state;
    static const tm_t one[] = { { "330302198001010011", "Wu", 45, 3, 125000, true, 2500000 } };
    tp_t t;
    tp_build(&t, REGION, one, 1);
    t.pic.version = 7;
    rules_paid_t paid = { "temp_medical", 0 };
    rules_history_t hist = { &paid, 1 };
    uint64_t k0, k;
    assert_int_equal(rules_inputs_key(cat, &t.pic, &hist, &k0), 0);
    assert_int_equal(rules_inputs_key(cat, &t.pic, &hist, &k), 0);
    assert_true(k == k0);
    t.pic.version = 8;
    assert_int_equal(rules_inputs_key(cat, &t.pic, &hist, &k), 0);
    assert_true(k != k0);
    t.pic.version = 7;
    paid.paid_12m = 100;
    assert_int_equal(rules_inputs_key(cat, &t.pic, &hist, &k), 0);
    assert_true(k != k0);
    paid.paid_12m = 0;
    t.pic.region = (char *) "330326";   /* another region's parameters */
    assert_int_equal(rules_inputs_key(cat, &t.pic, &hist, &k), 0);
    assert_true(k != k0);
    t.pic.region = (char *) REGION;
    t.pic.per_capita_income++;
    assert_int_equal(rules_inputs_key(cat, &t.pic, &hist, &k), 0);
    assert_true(k != k0);
    t.pic.per_capita_income--;
    /* the same policies under another step limit are another catalogue */
    char dir[4096], err[256] = "";
    path_of(dir, sizeof dir, "deploy/policies");
    rules_limits_t lim = { .step_limit = 12345 };
    rules_catalog_t *other = rules_catalog_load(dir, &lim, err, sizeof err);
    assert_non_null(other);
    assert_int_equal(rules_inputs_key(other, &t.pic, &hist, &k), 0);
    assert_true(k != k0);
    rules_catalog_destroy(&other);
    rules_catalog_t *same = rules_catalog_load(dir, NULL, err, sizeof err);
    assert_non_null(same);
    assert_int_equal(rules_inputs_key(same, &t.pic, &hist, &k), 0);
    assert_true(k == k0);
    rules_catalog_destroy(&same);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whatif_matches_separate_evaluations),
        cmocka_unit_test(test_after_from_kept_before),
        cmocka_unit_test(test_params_read),
        cmocka_unit_test(test_kept_record),
        cmocka_unit_test(test_inputs_key),
    };
    return cmocka_run_group_tests(tests, demo_setup, demo_teardown);
}
