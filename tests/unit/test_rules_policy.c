/* The demo catalogue (deploy/policies) against DOMAIN.md's rules, clause by clause, at the
 * boundaries: pictures are built in C the way verify builds them. */
#include "test_rules_util.h"
#include "rules.h"

RULES_DEMO_FIXTURE
static rules_result_t R[16];
static size_t NR;


static int clear_results(void **state)
{
    (void) state;
    rules_results_clear(R, NR);
    NR = 0;
    return 0;
}

/* Evaluates the whole catalogue; asserts no policy failed. */
static void eval_ov(const tp_t *t, int64_t paid_temp_medical, const rules_param_override_t *ov,
                    size_t nov)
{
    rules_results_clear(R, NR);
    rules_paid_t paid = { "temp_medical", paid_temp_medical };
    rules_history_t hist = { &paid, 1 };
    char err[256] = "";
    NR = 0;
    assert_int_equal(rules_evaluate(cat, &t->pic, &hist, ov, nov, NULL, R, &NR, err, sizeof err), 0);
    assert_int_equal(NR, rules_catalog_size(cat));
    for (size_t i = 0; i < NR; i++)
        if (R[i].error)
            fail_msg("%s", R[i].error);
}

static void eval(const tp_t *t)
{
    eval_ov(t, 0, NULL, 0);
}

static const rules_result_t *res(const char *policy)
{
    return result_of(R, NR, policy);
}

#define REGION "330302"   /* Lucheng: no override, dibao.line 1200.00 */

/* ---- catalogue ---------------------------------------------------------------------------- */

static void test_catalogue_metadata(void **state)
{
    (void) state;
    static const char *const order[] = { "tekun", "dibao", "marginal", "temp_medical",
                                         "disability_care", "disability_living" };
    static const rules_kind_t kinds[] = { RULES_KIND_MONTHLY, RULES_KIND_MONTHLY, RULES_KIND_STATUS,
                                          RULES_KIND_ONE_OFF, RULES_KIND_MONTHLY, RULES_KIND_MONTHLY };
    assert_int_equal(rules_catalog_size(cat), 6);
    for (size_t i = 0; i < 6; i++) {
        const rules_policy_info_t *p = rules_catalog_policy(cat, i);
        assert_string_equal(p->id, order[i]);
        assert_int_equal(p->kind, kinds[i]);
        assert_int_equal(rules_catalog_find(cat, order[i]), (int) i);
        assert_true(strlen(p->name_zh) > 0 && strlen(p->name_en) > 0 && strlen(p->version) > 0);
        assert_string_equal(p->effective_from, "2026-01-01");
    }
    assert_null(rules_catalog_policy(cat, 6));
    assert_int_equal(rules_catalog_find(cat, "nope"), -1);
    assert_string_equal(rules_catalog_policy(cat, 1)->name_zh, "最低生活保障");

    int dibao = rules_catalog_find(cat, "dibao");
    bool saw_line = false;
    for (size_t j = 0; j < rules_policy_param_count(cat, (size_t) dibao); j++) {
        const rules_param_t *p = rules_policy_param(cat, (size_t) dibao, j);
        if (strcmp(p->name, "dibao.line") == 0) {
            saw_line = true;
            assert_int_equal(p->kind, RULES_PARAM_MONEY);
            assert_int_equal(p->value, 120000);
        }
    }
    assert_true(saw_line);
    int j = rules_catalog_param_find(cat, "tekun.support_pct");
    assert_true(j >= 0);
    assert_int_equal(rules_catalog_param(cat, (size_t) j)->kind, RULES_PARAM_PERCENT);
    assert_int_equal(rules_catalog_param(cat, (size_t) j)->value, 130);
    j = rules_catalog_param_find(cat, "dibao.asset_months");
    assert_int_equal(rules_catalog_param(cat, (size_t) j)->kind, RULES_PARAM_INT);
    assert_int_equal(rules_catalog_param_find(cat, "dibao.nope"), -1);
}

/* A county's own line: the demo catalogue with an override for Pingyang added. */
static void test_region_override(void **state)
{
    (void) state;
    char dir[64], err[512] = "", params[4096];
    demo_copy(dir);
    snprintf(params, sizeof params, "%s/params.lua", dir);
    FILE *f = fopen(params, "a");
    assert_non_null(f);
    fputs("override \"330326\" { [\"dibao.line\"] = yuan \"1250.00\" }\n", f);
    assert_int_equal(fclose(f), 0);
    rules_catalog_t *county = rules_catalog_load(dir, NULL, err, sizeof err);
    rm_dir(dir);
    if (county == NULL)
        fail_msg("%s", err);

    int64_t v = 0;
    assert_int_equal(rules_catalog_param_value(county, "dibao.line", "330326", &v), 0);
    assert_int_equal(v, 125000);
    assert_int_equal(rules_catalog_param_value(county, "dibao.line", "330302", &v), 0);
    assert_int_equal(v, 120000);
    assert_int_equal(rules_catalog_param_value(county, "dibao.line", NULL, &v), 0);
    assert_int_equal(v, 120000);
    assert_int_equal(rules_catalog_param_value(county, "nope", "330326", &v), -1);
    assert_int_equal(rules_catalog_param_value(cat, "dibao.line", "330326", &v), 0);
    assert_int_equal(v, 120000);   /* the demo itself has one line */

    /* 1220.00 per capita: above Lucheng's line, below Pingyang's */
    static const tm_t one[] = { { "330326198001010011", "Wu", 45, 0, 122000, true, 0 } };
    tp_t t;
    rules_result_t r[8];
    size_t n;
    tp_build(&t, "330302", one, 1);
    assert_int_equal(rules_evaluate(county, &t.pic, NULL, NULL, 0, NULL, r, &n, err, sizeof err), 0);
    assert_false(result_of(r, n, "dibao")->eligible);
    assert_string_equal(clause_of(result_of(r, n, "dibao"), "per-capita income below the line")->detail,
                        "per-capita income 1220.00 >= line 1200.00");
    rules_results_clear(r, n);
    tp_build(&t, "330326", one, 1);
    assert_int_equal(rules_evaluate(county, &t.pic, NULL, NULL, 0, NULL, r, &n, err, sizeof err), 0);
    assert_true(result_of(r, n, "dibao")->eligible);
    assert_int_equal(result_of(r, n, "dibao")->amount, 3000);
    assert_string_equal(clause_of(result_of(r, n, "dibao"), "per-capita income below the line")->detail,
                        "per-capita income 1220.00 < line 1250.00");
    /* tekun's 130% follows the county's line */
    rules_results_clear(r, n);
    static const tm_t old[] = { { "330326194001010011", "Zhou", 86, 0, 0, true, 0 } };
    tp_build(&t, "330326", old, 1);
    assert_int_equal(rules_evaluate(county, &t.pic, NULL, NULL, 0, NULL, r, &n, err, sizeof err), 0);
    assert_int_equal(result_of(r, n, "tekun")->amount, 162500);
    rules_results_clear(r, n);
    /* a what-if value goes on top of the county's */
    rules_param_override_t ov = { "dibao.line", 130000 };
    tp_build(&t, "330326", one, 1);
    assert_int_equal(rules_evaluate(county, &t.pic, NULL, &ov, 1, NULL, r, &n, err, sizeof err), 0);
    assert_int_equal(result_of(r, n, "dibao")->amount, 8000);
    rules_results_clear(r, n);
    rules_catalog_destroy(&county);
}

static void test_param_override(void **state)
{
    (void) state;
    static const tm_t one[] = { { "330302198001010011", "Wu", 45, 0, 125000, true, 0 } };
    tp_t t;
    tp_build(&t, REGION, one, 1);
    eval(&t);
    assert_false(res("dibao")->eligible);
    rules_param_override_t ov = { "dibao.line", 130000 };   /* what if the line were 1300.00 */
    eval_ov(&t, 0, &ov, 1);
    assert_true(res("dibao")->eligible);
    assert_int_equal(res("dibao")->amount, 5000);
    /* the cached parameter set for the plain values is still right afterwards */
    eval(&t);
    assert_false(res("dibao")->eligible);

    rules_param_override_t bad = { "dibao.lines", 1 };
    rules_result_t r[8];
    char err[128] = "";
    assert_int_equal(rules_evaluate(cat, &t.pic, NULL, &bad, 1, NULL, r, NULL, err, sizeof err), -1);
    assert_contains(err, "unknown parameter 'dibao.lines'");
}

/* ---- dibao -------------------------------------------------------------------------------- */

static void test_dibao_line_boundary(void **state)
{
    (void) state;
    static const tm_t at[] = { { "330302198001010011", "Wu", 45, 0, 120000, true, 0 } };
    static const tm_t below[] = { { "330302198001010011", "Wu", 45, 0, 119999, true, 0 } };
    tp_t t;
    tp_build(&t, REGION, at, 1);
    eval(&t);
    const rules_result_t *d = res("dibao");
    assert_false(d->eligible);
    assert_int_equal(d->amount, 0);
    assert_int_equal(d->nclauses, 5);   /* every clause, even after one failed */
    assert_false(clause_of(d, "per-capita income below the line")->passed);
    assert_true(clause_of(d, "counted members")->passed);
    assert_true(clause_of(d, "no vehicle over the limit")->passed);

    tp_build(&t, REGION, below, 1);
    eval(&t);
    d = res("dibao");
    assert_true(d->eligible);
    assert_false(d->automatic);                  /* goes to a caseworker */
    assert_int_equal(d->period, RULES_KIND_MONTHLY);
    assert_int_equal(d->amount, 1000);           /* gap 0.01 -> the minimum 10.00 */
    assert_string_equal(clause_of(d, "per-capita income below the line")->detail,
                        "per-capita income 1199.99 < line 1200.00");
    assert_string_equal(d->version, "2026.1");
}

static void test_dibao_amount_and_assets(void **state)
{
    (void) state;
    static const tm_t two[] = {
        { "330302198001010011", "Wu Da", 45, 0, 50000, true, 0 },
        { "330302198201010022", "Li Er", 43, 0, 48000, true, 0 },
        { "330302195001010033", "Wu Lao", 76, 0, 900000, false, 0 },   /* incarcerated */
    };
    tp_t t;
    tp_build(&t, REGION, two, 3);
    eval(&t);
    assert_true(res("dibao")->eligible);
    assert_int_equal(res("dibao")->amount, (120000 - 49000) * 2);
    assert_string_equal(clause_of(res("dibao"), "counted members")->detail, "2 counted members");

    t.pic.deposits = 2 * 24 * 120000;   /* exactly 24 x line per capita: allowed */
    t.pic.vehicle_max = 5000000;        /* exactly 50000.00: allowed */
    t.pic.real_estate = 1;
    eval(&t);
    assert_true(res("dibao")->eligible);
    assert_string_equal(clause_of(res("dibao"), "deposits and securities within the limit")->detail,
                        "deposits and securities per capita 28800.00 <= 28800.00 (24 x line)");

    t.pic.deposits = 2 * 24 * 120000 + 2;
    t.pic.vehicle_max = 5000001;
    t.pic.real_estate = 2;
    eval(&t);
    const rules_result_t *d = res("dibao");
    assert_false(d->eligible);
    assert_false(clause_of(d, "deposits and securities within the limit")->passed);
    assert_false(clause_of(d, "no vehicle over the limit")->passed);
    assert_false(clause_of(d, "real-estate titles within the limit")->passed);
    assert_true(clause_of(d, "per-capita income below the line")->passed);
    assert_string_equal(clause_of(d, "no vehicle over the limit")->detail,
                        "most valuable vehicle 50000.01 > 50000.00");
    /* marginal takes the same asset limits */
    assert_false(res("marginal")->eligible);
}

/* ---- tekun -------------------------------------------------------------------------------- */

static void test_tekun_ages_on_the_birthday(void **state)
{
    (void) state;
    tp_t t;
    struct { int age; bool tekun; } cases[] = { { 60, true }, { 59, false }, { 16, false }, { 15, true } };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tm_t one[] = { { "330302196601010011", "Zhao", cases[c].age, 0, 0, true, 0 } };
        tp_build(&t, REGION, one, 1);
        eval(&t);
        const rules_result_t *k = res("tekun");
        if (k->eligible != cases[c].tekun)
            fail_msg("age %d: tekun %d", cases[c].age, k->eligible);
        if (cases[c].tekun) {
            assert_int_equal(k->amount, 156000);     /* 1.3 x 1200.00 */
            assert_int_equal(k->nbeneficiaries, 1);
            assert_string_equal(k->beneficiaries[0], "330302196601010011");
            /* the only member is supported as tekun: not counted for dibao */
            assert_false(res("dibao")->eligible);
            assert_string_equal(clause_of(res("dibao"), "counted members")->detail,
                                "0 counted members (1 supported as tekun not counted)");
        } else {
            assert_int_equal(k->amount, 0);
            assert_int_equal(k->nbeneficiaries, 0);
            assert_true(res("dibao")->eligible);
            assert_int_equal(res("dibao")->amount, 120000);
        }
    }
}

static void test_tekun_disability_grade(void **state)
{
    (void) state;
    tp_t t;
    static const tm_t g2[] = { { "330302198601010011", "Qian", 40, 2, 0, true, 0 } };
    static const tm_t g3[] = { { "330302198601010011", "Qian", 40, 3, 0, true, 0 } };
    tp_build(&t, REGION, g2, 1);
    eval(&t);
    assert_true(res("tekun")->eligible);
    assert_string_equal(clause_of(res("tekun"), "a member unable to work")->detail,
                        "unable to work: Qian (age 40, disability grade 2)");
    assert_true(res("disability_care")->eligible);
    assert_int_equal(res("disability_care")->amount, 10000);
    assert_true(res("disability_living")->eligible);   /* in a tekun household */
    assert_int_equal(res("disability_living")->amount, 10000);

    tp_build(&t, REGION, g3, 1);
    eval(&t);
    assert_false(res("tekun")->eligible);
    assert_false(res("disability_care")->eligible);
    assert_string_equal(clause_of(res("disability_care"), "a member with severe disability")->detail,
                        "no counted member holds an active grade 1-2 certificate");
    assert_true(res("dibao")->eligible);               /* grade 3 can work: dibao instead */
    assert_true(res("disability_living")->eligible);   /* disabled member in a dibao household */
    assert_int_equal(res("disability_living")->nbeneficiaries, 1);
}

static void test_tekun_needs_no_able_member(void **state)
{
    (void) state;
    static const tm_t fam[] = {
        { "330302195001010011", "Sun Lao", 76, 0, 0, true, 0 },
        { "330302198601010022", "Sun Xiao", 40, 0, 0, true, 0 },
    };
    tp_t t;
    tp_build(&t, REGION, fam, 2);
    eval(&t);
    const rules_result_t *k = res("tekun");
    assert_false(k->eligible);
    assert_true(clause_of(k, "a member unable to work")->passed);
    assert_true(clause_of(k, "no income source")->passed);
    assert_false(clause_of(k, "no other member able to work")->passed);
    assert_string_equal(clause_of(k, "no other member able to work")->detail,
                        "able to work: Sun Xiao (age 40)");
    assert_true(res("dibao")->eligible);
    assert_int_equal(res("dibao")->amount, 240000);
}

static void test_tekun_dibao_exclusion(void **state)
{
    (void) state;
    /* Two old people: one without income (tekun), one with a pension above the line. Counting
     * both for dibao would give per-capita 750.00 and dibao for both on top of tekun. */
    static const tm_t fam[] = {
        { "330302194001010011", "Zhou", 86, 0, 0, true, 0 },
        { "330302195001010022", "Wang", 76, 0, 150000, true, 0 },
    };
    tp_t t;
    tp_build(&t, REGION, fam, 2);
    eval(&t);
    const rules_result_t *k = res("tekun");
    assert_true(k->eligible);
    assert_int_equal(k->amount, 156000);
    assert_int_equal(k->nbeneficiaries, 1);
    assert_string_equal(k->beneficiaries[0], "330302194001010011");
    const rules_result_t *d = res("dibao");
    assert_false(d->eligible);
    assert_string_equal(clause_of(d, "counted members")->detail,
                        "1 counted members (1 supported as tekun not counted)");
    assert_string_equal(clause_of(d, "per-capita income below the line")->detail,
                        "per-capita income 1500.00 >= line 1200.00");
    /* not dibao, but 1500.00 < 1.5 x line: the low-income margin */
    assert_true(res("marginal")->eligible);
    assert_int_equal(res("marginal")->amount, 0);
    assert_int_equal(res("marginal")->period, RULES_KIND_STATUS);
}

/* ---- marginal ----------------------------------------------------------------------------- */

static void test_marginal_boundaries(void **state)
{
    (void) state;
    tp_t t;
    static const tm_t in[] = { { "330302198001010011", "Wu", 45, 0, 179999, true, 0 } };
    static const tm_t out[] = { { "330302198001010011", "Wu", 45, 0, 180000, true, 0 } };
    static const tm_t poor[] = { { "330302198001010011", "Wu", 45, 0, 100000, true, 0 } };
    tp_build(&t, REGION, in, 1);
    eval(&t);
    assert_true(res("marginal")->eligible);
    assert_string_equal(clause_of(res("marginal"), "per-capita income below the margin")->detail,
                        "per-capita income 1799.99 < 1800.00 (150% of line 1200.00)");
    tp_build(&t, REGION, out, 1);
    eval(&t);
    assert_false(res("marginal")->eligible);
    tp_build(&t, REGION, poor, 1);
    eval(&t);
    assert_true(res("dibao")->eligible);
    assert_false(res("marginal")->eligible);
    assert_false(clause_of(res("marginal"), "not receiving dibao")->passed);
}

/* ---- temp_medical ------------------------------------------------------------------------- */

static void test_seed_story(void **state)
{
    (void) state;
    tp_t t;
    tp_cheng(&t);
    assert_true(t.pic.per_capita_income < 120000);
    eval(&t);
    const rules_result_t *m = res("temp_medical");
    assert_true(m->eligible);
    assert_int_equal(m->amount, 3216000);
    assert_true(m->automatic);
    assert_int_equal(m->period, RULES_KIND_ONE_OFF);
    assert_int_equal(m->nclauses, 4);
    for (size_t j = 0; j < m->nclauses; j++)
        assert_true(m->clauses[j].passed);
    assert_string_equal(clause_of(m, "out-of-pocket at least the threshold")->detail,
                        "12-month out-of-pocket 40200.00 >= 20000.00");
    assert_string_equal(clause_of(m, "out-of-pocket a large share of income")->detail,
                        "out-of-pocket 40200.00 >= 10800.00 (50% of 12-month income 21600.00)");
    assert_string_equal(clause_of(m, "per-capita income below the limit")->detail,
                        "per-capita income 900.00 < 2400.00 (200% of line 1200.00)");
    assert_string_equal(clause_of(m, "not already granted in full")->detail,
                        "min(80% of 40200.00, 50000.00) = 32160.00, minus 0.00 paid in the last 12 months = 32160.00");
    /* and dibao: (1200.00 - 900.00) x 2 */
    assert_true(res("dibao")->eligible);
    assert_int_equal(res("dibao")->amount, 60000);
}

static void test_temp_medical_minus_earlier_payment(void **state)
{
    (void) state;
    tp_t t;
    tp_cheng(&t);
    eval_ov(&t, 1000000, NULL, 0);
    assert_true(res("temp_medical")->eligible);
    assert_int_equal(res("temp_medical")->amount, 2216000);
    assert_string_equal(clause_of(res("temp_medical"), "not already granted in full")->detail,
                        "min(80% of 40200.00, 50000.00) = 32160.00, minus 10000.00 paid in the last 12 months = 22160.00");
    eval_ov(&t, 3216000, NULL, 0);
    assert_false(res("temp_medical")->eligible);
    assert_int_equal(res("temp_medical")->amount, 0);
    assert_false(clause_of(res("temp_medical"), "not already granted in full")->passed);
}

static void test_temp_medical_boundaries(void **state)
{
    (void) state;
    tp_t t;
    static const tm_t one[] = { { "330302198001010011", "Wu", 45, 0, 100000, true, 2000000 } };
    tp_build(&t, REGION, one, 1);
    t.pic.income_12m = 4000000;             /* OOP exactly 20000.00 and exactly 50% of income */
    eval(&t);
    assert_true(res("temp_medical")->eligible);
    assert_int_equal(res("temp_medical")->amount, 1600000);

    t.pic.oop_12m = 1999999;
    t.pic.income_12m = 1000000;
    eval(&t);
    assert_false(res("temp_medical")->eligible);
    assert_false(clause_of(res("temp_medical"), "out-of-pocket at least the threshold")->passed);

    t.pic.oop_12m = 2000000;
    t.pic.income_12m = 4000001;             /* just under half of the income */
    eval(&t);
    assert_false(res("temp_medical")->eligible);
    assert_false(clause_of(res("temp_medical"), "out-of-pocket a large share of income")->passed);

    t.pic.income_12m = 1000000;
    t.pic.per_capita_income = 240000;       /* 2 x line: not below */
    eval(&t);
    assert_false(res("temp_medical")->eligible);
    t.pic.per_capita_income = 239999;
    eval(&t);
    assert_true(res("temp_medical")->eligible);

    /* the cap, and the auto limit as a what-if parameter */
    t.pic.oop_12m = 10000000;
    eval(&t);
    assert_int_equal(res("temp_medical")->amount, 5000000);
    assert_true(res("temp_medical")->automatic);
    rules_param_override_t ov = { "temp_medical.auto_limit", 4999999 };
    eval_ov(&t, 0, &ov, 1);
    assert_true(res("temp_medical")->eligible);
    assert_false(res("temp_medical")->automatic);
}

/* ---- money -------------------------------------------------------------------------------- */

static void test_money_rounding(void **state)
{
    (void) state;
    tp_t t;
    static const tm_t old[] = { { "330302194001010011", "Zhou", 86, 0, 0, true, 0 } };
    tp_build(&t, REGION, old, 1);
    /* 1.3 x 1000.01 = 1300.013 -> 1300.01; 1.3 x 1000.05 = 1300.065 -> 1300.07 (half away
     * from zero); 1.3 x 1000.15 = 1300.195 -> 1300.20. No float could get all three right. */
    struct { int64_t line, want; } cases[] = { { 100001, 130001 }, { 100005, 130007 },
                                               { 100015, 130020 } };
    for (size_t c = 0; c < 3; c++) {
        rules_param_override_t ov = { "dibao.line", cases[c].line };
        eval_ov(&t, 0, &ov, 1);
        assert_int_equal(res("tekun")->amount, cases[c].want);
    }
    /* temp_medical: 80% of 333.33 = 266.664 -> 266.66; the threshold lowered to let it in */
    static const tm_t sick[] = { { "330302198001010011", "Wu", 45, 0, 0, true, 33333 } };
    tp_build(&t, REGION, sick, 1);
    rules_param_override_t ov = { "temp_medical.oop_threshold", 100 };
    eval_ov(&t, 0, &ov, 1);
    assert_int_equal(res("temp_medical")->amount, 26666);
}

/* ---- subsets ------------------------------------------------------------------------------ */

static void test_subset_with_prerequisites(void **state)
{
    (void) state;
    static const tm_t fam[] = {
        { "330302194001010011", "Zhou", 86, 0, 0, true, 0 },
        { "330302195001010022", "Wang", 76, 0, 150000, true, 0 },
    };
    tp_t t;
    tp_build(&t, REGION, fam, 2);
    const char *ids[] = { "marginal" };
    rules_eval_opts_t opts = { .policies = ids, .npolicies = 1 };
    char err[128];
    rules_results_clear(R, NR);
    assert_int_equal(rules_evaluate(cat, &t.pic, NULL, NULL, 0, &opts, R, &NR, err, sizeof err), 0);
    assert_int_equal(NR, 1);
    assert_string_equal(R[0].policy, "marginal");
    /* tekun and dibao ran first, unseen: marginal saw dibao refused after excluding Zhou */
    assert_true(R[0].eligible);
    assert_string_equal(clause_of(&R[0], "counted members")->detail,
                        "1 counted members not supported as tekun");

    const char *bad[] = { "nope" };
    opts.policies = bad;
    size_t n = 99;
    assert_int_equal(rules_evaluate(cat, &t.pic, NULL, NULL, 0, &opts, R + 1, &n, err, sizeof err), -1);
    assert_int_equal(n, 0);
    assert_contains(err, "unknown policy 'nope'");

    /* brief: the same decisions, no explanation */
    rules_eval_opts_t brief = { .brief = true };
    rules_result_t b[8];
    size_t nb = 0;
    assert_int_equal(rules_evaluate(cat, &t.pic, NULL, NULL, 0, &brief, b, &nb, err, sizeof err), 0);
    assert_int_equal(nb, 6);
    assert_true(result_of(b, nb, "tekun")->eligible);
    assert_int_equal(result_of(b, nb, "tekun")->amount, 156000);
    assert_int_equal(result_of(b, nb, "tekun")->nclauses, 0);
    assert_null(result_of(b, nb, "tekun")->beneficiaries);
    assert_true(result_of(b, nb, "marginal")->eligible);
    rules_results_clear(b, nb);
}

static void test_empty_household(void **state)
{
    (void) state;
    tp_t t;
    tp_build(&t, REGION, NULL, 0);
    eval(&t);
    for (size_t i = 0; i < NR; i++) {
        assert_false(R[i].eligible);
        assert_int_equal(R[i].amount, 0);
        assert_true(R[i].nclauses > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_catalogue_metadata, clear_results),
        cmocka_unit_test_teardown(test_region_override, clear_results),
        cmocka_unit_test_teardown(test_param_override, clear_results),
        cmocka_unit_test_teardown(test_dibao_line_boundary, clear_results),
        cmocka_unit_test_teardown(test_dibao_amount_and_assets, clear_results),
        cmocka_unit_test_teardown(test_tekun_ages_on_the_birthday, clear_results),
        cmocka_unit_test_teardown(test_tekun_disability_grade, clear_results),
        cmocka_unit_test_teardown(test_tekun_needs_no_able_member, clear_results),
        cmocka_unit_test_teardown(test_tekun_dibao_exclusion, clear_results),
        cmocka_unit_test_teardown(test_marginal_boundaries, clear_results),
        cmocka_unit_test_teardown(test_seed_story, clear_results),
        cmocka_unit_test_teardown(test_temp_medical_minus_earlier_payment, clear_results),
        cmocka_unit_test_teardown(test_temp_medical_boundaries, clear_results),
        cmocka_unit_test_teardown(test_money_rounding, clear_results),
        cmocka_unit_test_teardown(test_subset_with_prerequisites, clear_results),
        cmocka_unit_test_teardown(test_empty_household, clear_results),
    };
    return cmocka_run_group_tests(tests, demo_setup, demo_teardown);
}
