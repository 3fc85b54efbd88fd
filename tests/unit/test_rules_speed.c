/* How fast the demo catalogue evaluates households: printed, not asserted (machines differ,
 * and this suite runs under ASan). simulate needs ~2 million households, before and after, in
 * ~10 s on 2 cores. Every evaluation is also checked, so the loop cannot be optimised into
 * nothing and a wrong answer under load fails the test. */
#include <time.h>

#include "test_rules_util.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A mix of households like a county's: mostly ordinary, some poor, old, sick or disabled. */
static size_t build_mix(tp_t *t, size_t max)
{
    static const tm_t ordinary[] = {
        { "330302198001010011", "A", 45, 0, 450000, true, 0 },
        { "330302198201010022", "B", 43, 0, 380000, true, 12000 },
        { "330302201001010033", "C", 16, 0, 0, true, 0 },
    };
    static const tm_t old_pair[] = {
        { "330302194001010011", "Zhou", 86, 0, 0, true, 0 },
        { "330302195001010022", "Wang", 76, 1, 150000, true, 0 },
    };
    static const tm_t poor[] = {
        { "330324198001010011", "D", 45, 3, 50000, true, 0 },
        { "330324198201010022", "E", 43, 0, 30000, true, 0 },
        { "330324201501010033", "F", 11, 0, 0, true, 0 },
        { "330324195001010044", "G", 76, 0, 0, false, 0 },
    };
    size_t n = 0;
    tp_build(&t[n++], "330302", ordinary, 3);
    tp_cheng(&t[n++]);
    tp_build(&t[n++], "330302", old_pair, 2);
    tp_build(&t[n++], "330324", poor, 4);
    tp_build(&t[n++], "330381", ordinary, 2);
    assert_true(n <= max);
    return n;
}

static void run(rules_catalog_t *cat, bool brief, const rules_param_override_t *ov, size_t nov,
                double seconds, const char *label)
{
    tp_t mix[8];
    size_t nmix = build_mix(mix, 8);
    rules_eval_opts_t opts = { .brief = brief };
    rules_result_t r[8];
    char err[128];
    size_t evals = 0;
    double start = now_s(), elapsed = 0;
    while (elapsed < seconds) {
        for (int k = 0; k < 200; k++) {
            const tp_t *t = &mix[evals % nmix];
            size_t nr = 0;
            assert_int_equal(rules_evaluate(cat, &t->pic, NULL, ov, nov, &opts, r, &nr, err, sizeof err), 0);
            for (size_t i = 0; i < nr; i++)
                assert_null(r[i].error);
            if (evals % nmix == 1)
                assert_int_equal(result_of(r, nr, "temp_medical")->amount, 3216000);
            rules_results_clear(r, nr);
            evals++;
        }
        elapsed = now_s() - start;
    }
    printf("rules speed: %-34s %9.0f households/s (%zu policies each, %zu evaluations)\n", label,
           (double) evals / elapsed, rules_catalog_size(cat), evals);
}

/* simulate's unit of work: one household before and after a what-if */
static void run_whatif(rules_catalog_t *cat, const rules_param_override_t *ov, size_t nov,
                       double seconds, const char *label)
{
    tp_t mix[8];
    size_t nmix = build_mix(mix, 8);
    rules_result_t before[8], after[8];
    char err[128];
    size_t n = rules_catalog_size(cat), pairs = 0;
    double start = now_s(), elapsed = 0;
    while (elapsed < seconds) {
        for (int k = 0; k < 200; k++) {
            const tp_t *t = &mix[pairs % nmix];
            assert_int_equal(rules_evaluate_whatif(cat, &t->pic, NULL, ov, nov, before, after, err, sizeof err), 0);
            if (pairs % nmix == 1)
                assert_int_equal(result_of(before, n, "temp_medical")->amount, 3216000);
            rules_results_clear(before, n);
            rules_results_clear(after, n);
            pairs++;
        }
        elapsed = now_s() - start;
    }
    printf("rules speed: %-34s %9.0f households/s (before and after; %zu pairs)\n", label,
           (double) pairs / elapsed, pairs);
}

static void test_speed(void **state)
{
    (void) state;
    rules_catalog_t *cat = load_demo();
    run(cat, false, NULL, 0, 1.0, "full (explanations)");
    run(cat, true, NULL, 0, 1.0, "brief (simulate)");
    rules_param_override_t ov = { "dibao.line", 126000 };
    run(cat, true, &ov, 1, 1.0, "brief, what-if dibao.line 1260.00");
    run_whatif(cat, &ov, 1, 1.0, "what-if pair, dibao.line 1260.00");
    rules_param_override_t tm = { "temp_medical.rate_pct", 70 };
    run_whatif(cat, &tm, 1, 1.0, "what-if pair, temp_medical.rate_pct");
    rules_catalog_destroy(&cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
