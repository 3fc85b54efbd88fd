/* The policy sandbox and catalogue loading: broken, looping, greedy and dishonest policies are
 * errors naming file:line, never a crash, and a failed reload leaves the old catalogue working.
 * Probe policies live in tests/policies/ and run in a one-policy catalogue (its params.lua). */
#include "test_rules_util.h"

#include <pthread.h>
#include <time.h>

/* A catalogue dir from tests/policies: params.lua plus `probe` copied in as probe.lua. */
static void probe_dir(char dir[64], const char *probe)
{
    tmp_dir(dir);
    put_test_policy(dir, "params.lua", "params.lua");
    if (probe)
        put_test_policy(dir, probe, "probe.lua");
}

static rules_catalog_t *load_probe(const char *probe, const rules_limits_t *lim)
{
    char dir[64], err[512] = "";
    probe_dir(dir, probe);
    rules_catalog_t *cat = rules_catalog_load(dir, lim, err, sizeof err);
    rm_dir(dir);
    if (cat == NULL)
        fail_msg("%s does not load: %s", probe, err);
    return cat;
}

/* Loads and expects failure; returns the message in err. */
static void load_fails(const char *dir, char *err, size_t errlen)
{
    err[0] = '\0';
    rules_catalog_t *cat = rules_catalog_load(dir, NULL, err, errlen);
    if (cat != NULL) {
        rules_catalog_destroy(&cat);
        fail_msg("%s loaded but should not have", dir);
    }
    assert_true(strlen(err) > 0);
}

static void probe_fails_to_load(const char *probe, const char *want)
{
    char dir[64], err[512];
    probe_dir(dir, probe);
    load_fails(dir, err, sizeof err);
    rm_dir(dir);
    assert_contains(err, want);
}

/* Evaluates the probe on a household whose id selects the misbehaviour. */
static void eval_probe(rules_catalog_t *cat, const char *hh, const char *region, rules_result_t *r)
{
    static const tm_t one[] = { { "330302198001010011", "Wu", 45, 0, 100000, true, 0 } };
    tp_t t;
    tp_build(&t, region, one, 1);
    t.pic.household_id = (char *) hh;
    assert_int_equal(rules_evaluate_household(cat, &t.pic, NULL, NULL, 0, r), 0);
}

/* A misbehaviour gives an error result naming the policy and file:line; the next household
 * is evaluated normally on the same state. */
static void expect_error(rules_catalog_t *cat, const char *hh, const char *want)
{
    rules_result_t r[1];
    eval_probe(cat, hh, "330302", r);
    if (r[0].error == NULL)
        fail_msg("household %s: no error", hh);
    assert_false(r[0].eligible);
    assert_int_equal(r[0].amount, 0);
    assert_int_equal(r[0].nclauses, 0);
    assert_contains(r[0].error, "probe: ");
    assert_contains(r[0].error, want);
    rules_result_clear(&r[0]);
    eval_probe(cat, "fine", "330302", r);
    assert_null(r[0].error);
    assert_true(r[0].eligible);
    assert_int_equal(r[0].amount, 20000 * 5);
    rules_result_clear(&r[0]);
}

/* ---- load errors ------------------------------------------------------------------------- */

static void test_syntax_error_reported_with_line(void **state)
{
    (void) state;
    probe_fails_to_load("syntax_error.lua", "probe.lua:12: 'then' expected near 'return'");
}

static void test_unknown_parameter(void **state)
{
    (void) state;
    probe_fails_to_load("unknown_param.lua",
                        "probe.lua:10: policy 'probe': unknown parameter 'probe.nope'");
    /* read without being listed: the trial run at load finds it */
    probe_fails_to_load("undeclared_param.lua",
                        "probe.lua:12: unknown parameter 'probe.count' (not in this policy's params list)");
}

static void test_missing_field(void **state)
{
    (void) state;
    probe_fails_to_load("missing_amount.lua", "probe.lua:3: policy: 'amount' must be a function (missing)");
}

static void test_loop_at_load(void **state)
{
    (void) state;
    probe_fails_to_load("loop_always.lua", "probe.lua:11: step limit of 200000 instructions exceeded");
}

static void test_duplicate_id_and_order(void **state)
{
    (void) state;
    char dir[64], err[512];
    probe_dir(dir, "misbehave.lua");
    put_test_policy(dir, "misbehave.lua", "probe2.lua");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "probe2.lua:3: duplicate policy id 'probe' (also declared in probe.lua)");
    rm_dir(dir);

    /* a policy file that the order does not list */
    probe_dir(dir, "misbehave.lua");
    write_file(dir, "params.lua",
               "order { }\nparams { [\"probe.amount\"] = yuan \"1.00\", [\"probe.count\"] = 1 }\n");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "probe.lua: policy 'probe' is not in the order of params.lua");
    /* an order entry without a file */
    write_file(dir, "params.lua",
               "order { \"probe\",\n \"ghost\" }\nparams { [\"probe.amount\"] = yuan \"1.00\", [\"probe.count\"] = 1 }\n");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "params.lua:2: order: no policy file declares 'ghost'");
    rm_dir(dir);
}

static void test_params_file_errors(void **state)
{
    (void) state;
    char dir[64], err[512];
    probe_dir(dir, "misbehave.lua");
    write_file(dir, "params.lua",
               "order { \"probe\" }\nparams {\n  [\"probe.amount\"] = 1.5,\n  [\"probe.count\"] = 1,\n}\n");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "params.lua:3: params: 'probe.amount' must be an integer, yuan \"...\" or "
                         "percent(...) (floats are not allowed)");
    write_file(dir, "params.lua",
               "order { \"probe\" }\nparams { [\"probe.amount\"] = yuan \"1.005\", [\"probe.count\"] = 1 }\n");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "params.lua:2: yuan \"1.005\"");
    write_file(dir, "params.lua",
               "order { \"probe\" }\nparams { [\"probe.amount\"] = yuan \"1.00\", [\"probe.count\"] = 1 }\n"
               "override \"3303\" {\n  [\"probe.amont\"] = yuan \"2.00\" }\n");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "params.lua:4: override \"3303\": unknown parameter 'probe.amont'");
    write_file(dir, "params.lua",
               "order { \"probe\" }\nparams { [\"probe.amount\"] = yuan \"1.00\", [\"probe.count\"] = 1 }\n"
               "override \"3303\" { [\"probe.count\"] = yuan \"2.00\" }\n");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "'probe.count' is a int parameter; give it as an integer");
    write_file(dir, "params.lua", "order { \"probe\" }\nos.exit(1)\n");
    load_fails(dir, err, sizeof err);
    assert_contains(err, "params.lua:2: attempt to index a nil value (global 'os')");
    rm_dir(dir);

    load_fails("/nonexistent/policies", err, sizeof err);
    assert_contains(err, "cannot open policy directory");
}

/* ---- reload keeps the old catalogue -------------------------------------------------------- */

static void test_failed_reload_keeps_old_catalogue(void **state)
{
    (void) state;
    char dir[64], err[512] = "";
    demo_copy(dir);
    rules_catalog_t *live = rules_catalog_load(dir, NULL, err, sizeof err);
    if (live == NULL)
        fail_msg("%s", err);

    put_test_policy(dir, "syntax_error.lua", "dibao.lua");   /* someone edits dibao badly */
    rules_catalog_t *fresh = rules_catalog_load(dir, NULL, err, sizeof err);
    assert_null(fresh);
    assert_contains(err, "dibao.lua:12: 'then' expected near 'return'");
    /* the caller swaps only on success: the live catalogue still decides */
    static const tm_t one[] = { { "330302198001010011", "Wu", 45, 0, 100000, true, 0 } };
    tp_t t;
    tp_build(&t, "330302", one, 1);
    rules_result_t r[8];
    assert_int_equal(rules_evaluate_household(live, &t.pic, NULL, NULL, 0, r), 0);
    assert_true(result_of(r, 6, "dibao")->eligible);
    assert_int_equal(result_of(r, 6, "dibao")->amount, 20000);
    rules_results_clear(r, 6);

    /* a copy for another thread decides the same */
    rules_catalog_t *copy = rules_catalog_dup(live, err, sizeof err);
    assert_non_null(copy);
    rules_catalog_destroy(&live);
    assert_null(live);
    rules_catalog_destroy(&live);   /* idempotent */
    assert_int_equal(rules_evaluate_household(copy, &t.pic, NULL, NULL, 0, r), 0);
    assert_int_equal(result_of(r, 6, "dibao")->amount, 20000);
    rules_results_clear(r, 6);
    rules_catalog_destroy(&copy);
    rm_dir(dir);
}

/* ---- evaluation errors -------------------------------------------------------------------- */

static void test_loop_stopped_by_step_limit(void **state)
{
    (void) state;
    rules_limits_t lim = { .step_limit = 10000 };
    rules_catalog_t *cat = load_probe("misbehave.lua", &lim);
    expect_error(cat, "loop", "probe.lua:15: step limit of 10000 instructions exceeded");
    /* catching the error with pcall does not buy more steps */
    expect_error(cat, "loop_pcall", "step limit of 10000 instructions exceeded");
    rules_catalog_destroy(&cat);
}

/* A simulate worker's thread: the step limit kept by the watchdog, not a hook per instruction.
 * No cmocka assertion runs on the worker: results are checked on the test's thread. */
typedef struct {
    rules_catalog_t *cat;
    const char      *hh[3];
    rules_result_t   r[3];
    int              rc[3];
    int              watch_rc;
    double           secs[3];
} watched_t;

static void *watched_worker(void *arg)
{
    watched_t *w = arg;
    static const tm_t one[] = { { "330302198001010011", "Wu", 45, 0, 100000, true, 0 } };
    w->watch_rc = rules_catalog_watch(w->cat);
    for (size_t i = 0; i < 3; i++) {
        tp_t t;
        tp_build(&t, "330302", one, 1);
        t.pic.household_id = (char *) w->hh[i];
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        w->rc[i] = rules_evaluate_household(w->cat, &t.pic, NULL, NULL, 0, &w->r[i]);
        clock_gettime(CLOCK_MONOTONIC, &b);
        w->secs[i] = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    }
    rules_catalog_unwatch(w->cat);
    return NULL;
}

static void test_loop_stopped_on_a_watched_thread(void **state)
{
    (void) state;
    rules_limits_t lim = { .step_limit = 10000 };
    rules_catalog_t *cat = load_probe("misbehave.lua", &lim);
    watched_t w = { .cat = cat, .hh = { "loop", "loop_pcall", "fine" } };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, watched_worker, &w), 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    if (pthread_timedjoin_np(t, NULL, &until) != 0)
        fail_msg("a looping policy on a watched thread was not stopped within 10 s");
    assert_int_equal(w.watch_rc, 0);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(w.rc[i], 0);
        if (w.r[i].error == NULL)
            fail_msg("household %s: no error on a watched thread", w.hh[i]);
        assert_contains(w.r[i].error, "step limit of 10000 instructions exceeded");
        assert_contains(w.r[i].error, "probe.lua:");
        assert_false(w.r[i].eligible);
        /* stopped within a couple of watchdog ticks, not left to spin */
        assert_true(w.secs[i] < 2.0);
        rules_result_clear(&w.r[i]);
    }
    /* the next household on the same state and thread is evaluated normally */
    assert_int_equal(w.rc[2], 0);
    assert_null(w.r[2].error);
    assert_true(w.r[2].eligible);
    assert_int_equal(w.r[2].amount, 20000 * 5);
    rules_result_clear(&w.r[2]);
    /* unwatched again, on this thread: a hook per run, as before */
    expect_error(cat, "loop", "probe.lua:15: step limit of 10000 instructions exceeded");
    rules_catalog_destroy(&cat);
}

static void test_memory_limit(void **state)
{
    (void) state;
    rules_limits_t lim = { .memory_limit = 8 << 20, .step_limit = 10000000 };
    rules_catalog_t *cat = load_probe("misbehave.lua", &lim);
    expect_error(cat, "hog", "memory limit of 8388608 bytes exceeded (in probe.lua)");
    rules_catalog_destroy(&cat);
}

static void test_float_and_bad_returns(void **state)
{
    (void) state;
    rules_catalog_t *cat = load_probe("misbehave.lua", NULL);
    expect_error(cat, "float", "probe.lua:65: amount must return integer fen, got the float 10000.0");
    expect_error(cat, "negative", "probe.lua:65: amount must not be negative");
    expect_error(cat, "bad_return",
                 "probe.lua:12: clause must return passed (a boolean) and detail (a string), got number and string");
    expect_error(cat, "error", "probe.lua:33: deliberate failure");
    expect_error(cat, "error_table", "probe.lua:35: (error object is a table value)");
    rules_catalog_destroy(&cat);
}

/* Details are templates formatted by C: a bad one is an error naming the clause. */
static void test_detail_templates(void **state)
{
    (void) state;
    rules_catalog_t *cat = load_probe("misbehave.lua", NULL);
    expect_error(cat, "template_short", "probe.lua:12: detail: the template has more directives than values");
    expect_error(cat, "template_percent", "probe.lua:12: detail: unknown directive in the template");
    expect_error(cat, "template_float", "probe.lua:12: detail: %m and %d need an integer");
    expect_error(cat, "template_lazy_error", "probe.lua:43: lazy boom");
    expect_error(cat, "template_many", "probe.lua:12: detail: more values than the template has directives");

    /* brief evaluations never format: the same households pass, the lazy value is never run */
    static const tm_t one[] = { { "330302198001010011", "Wu", 45, 0, 100000, true, 0 } };
    tp_t t;
    tp_build(&t, "330302", one, 1);
    rules_eval_opts_t brief = { .brief = true };
    rules_result_t r[1];
    size_t n;
    char err[128];
    t.pic.household_id = (char *) "template_lazy_error";
    assert_int_equal(rules_evaluate(cat, &t.pic, NULL, NULL, 0, &brief, r, &n, err, sizeof err), 0);
    assert_null(r[0].error);
    assert_true(r[0].eligible);
    rules_result_clear(&r[0]);
    rules_catalog_destroy(&cat);
}

static void test_read_only_inputs(void **state)
{
    (void) state;
    rules_catalog_t *cat = load_probe("misbehave.lua", NULL);
    expect_error(cat, "write_household", "probe.lua:27: attempt to modify read-only household");
    expect_error(cat, "write_member", "probe.lua:29: attempt to modify read-only member");
    expect_error(cat, "write_params", "probe.lua:31: attempt to modify read-only params");
    /* no state carried from one household to the next through globals */
    expect_error(cat, "global", "probe.lua:25: attempt to modify read-only globals");
    rules_catalog_destroy(&cat);
}

static void test_sandbox_contents(void **state)
{
    (void) state;
    rules_catalog_t *cat = load_probe("misbehave.lua", NULL);
    rules_result_t r[1];
    eval_probe(cat, "fine", "330302", r);
    assert_null(r[0].error);
    assert_int_equal(r[0].nclauses, 2);
    assert_string_equal(r[0].clauses[1].detail,
                        "io=nil os=nil package=nil debug=nil require=nil load=nil loadfile=nil "
                        "dofile=nil collectgarbage=nil rawset=nil utf8=nil _G=nil "
                        "string.dump=nil math.random=nil meta=false members=1 count=5");
    rules_result_clear(&r[0]);
    rules_catalog_destroy(&cat);
}

/* String fields are set when first read; pairs() still sees every field, and nothing of one
 * household's strings is left for the next. */
static void test_fields_seen_whole_and_fresh(void **state)
{
    (void) state;
    rules_catalog_t *cat = load_probe("fields.lua", NULL);
    static const tm_t wu[] = { { "330302198001010011", "Wu", 45, 0, 100000, true, 0 } };
    static const tm_t li[] = { { "330302198001010027", "Li Na", 45, 0, 100000, false, 0 } };
    const char *keys = "able_to_work,age,birth_date,counted,death_date,disability_category,"
                       "disability_grade,id_number,income_12m,income_monthly_avg,name,oop_12m,"
                       "relation,sex,status | as_of,business,counted,deposits,head_id,household_id,"
                       "income_12m,income_monthly,latest_month_income,members,oop_12m,paid_12m,"
                       "per_capita_income,prev6_avg_income,real_estate,region,vehicle_max | ";
    char want[1024];
    for (int round = 0; round < 2; round++) {
        tp_t t;
        tp_build(&t, round == 0 ? "330302" : "330326", round == 0 ? wu : li, 1);
        t.pic.household_id = (char *) "fields";
        rules_result_t r[1];
        assert_int_equal(rules_evaluate_household(cat, &t.pic, NULL, NULL, 0, r), 0);
        assert_null(r[0].error);
        snprintf(want, sizeof want, "%s%s", keys,
                 round == 0 ? "Wu active 330302" : "Li Na incarcerated 330326");
        assert_string_equal(r[0].clauses[0].detail, want);
        rules_result_clear(&r[0]);
    }
    rules_catalog_destroy(&cat);
}

static void test_layered_region_overrides(void **state)
{
    (void) state;
    rules_catalog_t *cat = load_probe("misbehave.lua", NULL);
    int64_t v;
    /* 330302: count from "3303" (longest), amount from "33"; 330100: both from "33" */
    assert_int_equal(rules_catalog_param_value(cat, "probe.count", "330302", &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(rules_catalog_param_value(cat, "probe.amount", "330302", &v), 0);
    assert_int_equal(v, 20000);
    assert_int_equal(rules_catalog_param_value(cat, "probe.count", "330100", &v), 0);
    assert_int_equal(v, 4);
    assert_int_equal(rules_catalog_param_value(cat, "probe.count", "110105", &v), 0);
    assert_int_equal(v, 3);
    rules_result_t r[1];
    struct { const char *region; int64_t amount; } cases[] = {
        { "330302", 20000 * 5 }, { "330100", 20000 * 4 }, { "110105", 10000 * 3 }, { "", 10000 * 3 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        eval_probe(cat, "fine", cases[c].region, r);
        assert_int_equal(r[0].amount, cases[c].amount);
        rules_result_clear(&r[0]);
    }
    rules_catalog_destroy(&cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax_error_reported_with_line),
        cmocka_unit_test(test_unknown_parameter),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_loop_at_load),
        cmocka_unit_test(test_duplicate_id_and_order),
        cmocka_unit_test(test_params_file_errors),
        cmocka_unit_test(test_failed_reload_keeps_old_catalogue),
        cmocka_unit_test(test_loop_stopped_by_step_limit),
        cmocka_unit_test(test_loop_stopped_on_a_watched_thread),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_float_and_bad_returns),
        cmocka_unit_test(test_detail_templates),
        cmocka_unit_test(test_read_only_inputs),
        cmocka_unit_test(test_sandbox_contents),
        cmocka_unit_test(test_layered_region_overrides),
        cmocka_unit_test(test_fields_seen_whole_and_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
