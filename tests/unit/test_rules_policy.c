/* The demo catalogue (deploy/policies) against DOMAIN.md's rules, clause by clause, at the
 * boundaries: pictures are built in C the way verify builds them. */
#include "test_rules_util.h"
#include "rules.h"

static rules_catalog_t *cat;
static rules_result_t R[16];
static size_t NR;

static int setup(void **state)
{
    (void) state;
    cat = load_demo();
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    rules_catalog_destroy(&cat);
    return 0;
}

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

/* Cheng's household (the seed story, as `sais gen` plants it): Pingyang, two counted members,
 * per-capita income 900.00, 40,200.00 out-of-pocket after a brain-cancer settlement ->
 * temp_medical 32,160.00 at once, and dibao (1200.00 - 900.00) x 2. */
static void cheng(tp_t *t)
{
    static const tm_t fam[] = {
        { "330326196803150011", "Cheng Jianhua", 58, 0, 180000, true, 4020000 },
        { "330327197106200022", "Lin Xiuying", 55, 0, 0, true, 0 },
    };
    tp_build(t, "330326", fam, 2);
}

static void test_seed_story(void **state)
{
    (void) state;
    tp_t t;
    cheng(&t);
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
    cheng(&t);
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
    cheng(&hh[2]);
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
    cheng(&hh[3]);
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
    cheng(&c);
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
    cheng(&t);
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
    assert_true(result_of(back, n, "temp_medical")->params_read & param_bit("temp_medical", "dibao.line"));
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
        cmocka_unit_test_teardown(test_whatif_matches_separate_evaluations, clear_results),
        cmocka_unit_test_teardown(test_after_from_kept_before, clear_results),
        cmocka_unit_test(test_params_read),
        cmocka_unit_test(test_kept_record),
        cmocka_unit_test_teardown(test_inputs_key, clear_results),
        cmocka_unit_test_teardown(test_empty_household, clear_results),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
