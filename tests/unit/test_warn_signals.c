/* warn_signals: every signal at its threshold and just below, edges (a repeated signal is
 * not a second raise), breadwinner determination, entitlement timing, visit severity, dates,
 * alert evidence de-duplication. Pure logic: no store, no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_clock.h"
#include "warn_signals.h"

static warn_params_t P;

/* ---------------------------------------------------------------- fixtures */

typedef struct {
    Ver__Picture pic;
    Ver__Member  m[4];
    Ver__Member *mp[4];
} fix_t;

static void member(fix_t *f, size_t i, const char *id, const char *status, int64_t income_12m)
{
    ver__member__init(&f->m[i]);
    f->m[i].id_number = (char *)id;
    f->m[i].status = (char *)status;
    f->m[i].counted = strcmp(status, "active") == 0;
    f->m[i].income_12m = income_12m;
    f->m[i].able_to_work = true;
    f->mp[i] = &f->m[i];
    if (f->pic.n_members < i + 1)
        f->pic.n_members = i + 1;
    f->pic.counted = 0;
    for (size_t k = 0; k < f->pic.n_members; k++)
        f->pic.counted += f->m[k].counted;
}

static void fix_init(fix_t *f)
{
    memset(f, 0, sizeof *f);
    ver__picture__init(&f->pic);
    f->pic.household_id = "H1";
    f->pic.region = "330327";
    f->pic.head_id = "330327198001010011";
    f->pic.as_of = "2026-11-23";
    f->pic.members = f->mp;
    member(f, 0, "330327198001010011", "active", 3600000);
    member(f, 1, "330327198205050022", "active", 1200000);
}

static long day(const char *s)
{
    return sais_date_parse(s, 10);
}

static warn_ent_t ent(const char *policy, const char *status, const char *change, const char *changed,
                      const char *granted)
{
    warn_ent_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.entitlement_id, sizeof e.entitlement_id, "E-%s", policy);
    snprintf(e.policy, sizeof e.policy, "%s", policy);
    snprintf(e.period, sizeof e.period, "%s", strcmp(policy, "temp_medical") == 0 ? "one_off" : "monthly");
    snprintf(e.status, sizeof e.status, "%s", status);
    snprintf(e.change, sizeof e.change, "%s", change);
    e.amount = 240000;
    e.previous_amount = 360000;
    e.changed_on = day(changed);
    e.granted_on = day(granted);
    return e;
}

static const warn_signal_t *find(const warn_signals_t *s, const char *kind)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].kind, kind) == 0)
            return &s->v[i];
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    char err[200];
    assert_int_equal(warn_params_load(NULL, &P, err, sizeof err), 0);
    return 0;
}

/* ---------------------------------------------------------------- parameters */

static void test_params_defaults(void **state)
{
    (void)state;
    assert_int_equal(P.catastrophic_oop, 2000000);
    assert_int_equal(P.catastrophic_share_pct, 50);
    assert_int_equal(P.income_drop_pct, 50);
    assert_int_equal(P.recheck_months, 12);
    assert_int_equal(P.recheck_months_able, 6);
    assert_int_equal(P.dibao_line, 120000);
    assert_int_equal(P.dibao_deposit_months, 24);
    assert_int_equal(P.dibao_vehicle_max, 5000000);
    assert_int_equal(P.dibao_real_estate_max, 1);
    assert_int_equal(P.visit_risk_min, 2);
    assert_int_equal(P.visit_risk_high, 3);
    /* a real configuration works too (keys it does not know yet fall back to defaults) */
    sais_config_t *cfg = sais_config_new();
    warn_params_t q;
    char err[200];
    assert_int_equal(warn_params_load(cfg, &q, err, sizeof err), 0);
    assert_memory_equal(&q, &P, sizeof q);
    sais_config_destroy(&cfg);
}

/* ---------------------------------------------------------------- household conditions */

static void test_catastrophic_threshold(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    char d[256];
    f.pic.oop_12m = 2000000;       /* 20000.00 */
    f.pic.income_12m = 4000000;    /* exactly 50% */
    assert_true(warn_catastrophic(&P, &f.pic, d, sizeof d));
    assert_non_null(strstr(d, "20000.00"));
    f.pic.oop_12m = 1999999;       /* one fen below the amount */
    f.pic.income_12m = 0;
    assert_false(warn_catastrophic(&P, &f.pic, NULL, 0));
    f.pic.oop_12m = 2000000;       /* amount met, share one fen short of 50% */
    f.pic.income_12m = 4000001;
    assert_false(warn_catastrophic(&P, &f.pic, NULL, 0));
    f.pic.income_12m = 0;          /* no income: any such cost is catastrophic */
    assert_true(warn_catastrophic(&P, &f.pic, d, sizeof d));
    /* the seed story: 40200.00 against 48000.00 */
    f.pic.oop_12m = 4020000;
    f.pic.income_12m = 4800000;
    assert_true(warn_catastrophic(&P, &f.pic, d, sizeof d));
    assert_non_null(strstr(d, "83%"));
}

static void test_income_drop_threshold(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    f.pic.prev6_avg_income = 200000;
    f.pic.latest_month_income = 99999;    /* just below 50% */
    assert_true(warn_income_drop(&P, &f.pic, NULL, 0));
    f.pic.latest_month_income = 100000;   /* exactly 50%: not a drop */
    assert_false(warn_income_drop(&P, &f.pic, NULL, 0));
    f.pic.prev6_avg_income = 0;           /* nothing to drop from */
    f.pic.latest_month_income = 0;
    assert_false(warn_income_drop(&P, &f.pic, NULL, 0));
}

static void test_assets_thresholds(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);  /* two counted members: deposit limit 2 x 24 x 1200.00 = 57600.00 */
    char d[256];
    f.pic.deposits = 5760000;
    f.pic.vehicle_max = 5000000;
    f.pic.real_estate = 1;
    assert_false(warn_assets_over(&P, &f.pic, d, sizeof d));
    f.pic.deposits = 5760001;
    assert_true(warn_assets_over(&P, &f.pic, d, sizeof d));
    assert_non_null(strstr(d, "57600.00"));
    f.pic.deposits = 0;
    f.pic.vehicle_max = 5000001;
    assert_true(warn_assets_over(&P, &f.pic, d, sizeof d));
    assert_non_null(strstr(d, "vehicle"));
    f.pic.vehicle_max = 0;
    f.pic.real_estate = 2;
    assert_true(warn_assets_over(&P, &f.pic, d, sizeof d));
    assert_non_null(strstr(d, "real-estate"));
}

static void test_assets_only_for_dibao(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    f.pic.vehicle_max = 9000000;
    warn_flags_t fl = {0};
    warn_signals_t s = {0};
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, NULL, 0, &fl, &s), 0);
    assert_null(find(&s, WARN_K_ASSETS));
    warn_signals_clear(&s);
    warn_ent_t e = ent("dibao", "active", "granted", "2026-01-01", "2026-01-01");
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, &e, 1, &fl, &s), 0);
    const warn_signal_t *g = find(&s, WARN_K_ASSETS);
    assert_non_null(g);
    assert_true(g->raise);
    assert_string_equal(g->severity, "high");
    warn_signals_clear(&s);
    /* rules stopped dibao because of this very picture (same day): still a dibao household */
    e = ent("dibao", "stopped", "stopped", "2026-11-23", "2026-01-01");
    fl.hh = 0;
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, &e, 1, &fl, &s), 0);
    assert_non_null(find(&s, WARN_K_ASSETS));
    warn_signals_clear(&s);
    /* ... but not when it stopped long before */
    e = ent("dibao", "stopped", "stopped", "2026-03-01", "2026-01-01");
    fl.hh = 0;
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, &e, 1, &fl, &s), 0);
    assert_null(find(&s, WARN_K_ASSETS));
    warn_signals_clear(&s);
    warn_flags_clear(&fl);
}

/* A condition signals once on its edge; while it holds, repeats are not raises. */
static void test_repeated_signal_is_not_a_second_raise(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    f.pic.oop_12m = 4020000;
    f.pic.income_12m = 4800000;
    warn_flags_t fl = {0};
    warn_signals_t s = {0};
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, NULL, 0, &fl, &s), 0);
    const warn_signal_t *g = find(&s, WARN_K_CATASTROPHIC);
    assert_non_null(g);
    assert_true(g->raise);
    assert_string_equal(g->source, "medical");
    assert_string_equal(g->id_number, "330327198001010011");
    warn_signals_clear(&s);

    f.pic.oop_12m = 4520000; /* another settlement: the condition persists */
    assert_int_equal(warn_assess_picture(&P, &f.pic, &f.pic, NULL, 0, &fl, &s), 0);
    g = find(&s, WARN_K_CATASTROPHIC);
    assert_non_null(g);
    assert_false(g->raise);
    warn_signals_clear(&s);

    f.pic.oop_12m = 100; /* the year rolls over: it no longer holds ... */
    assert_int_equal(warn_assess_picture(&P, &f.pic, &f.pic, NULL, 0, &fl, &s), 0);
    assert_null(find(&s, WARN_K_CATASTROPHIC));
    assert_int_equal(fl.hh & WARN_H_CATASTROPHIC, 0);
    warn_signals_clear(&s);
    f.pic.oop_12m = 4020000; /* ... and a new episode raises again */
    assert_int_equal(warn_assess_picture(&P, &f.pic, &f.pic, NULL, 0, &fl, &s), 0);
    assert_true(find(&s, WARN_K_CATASTROPHIC)->raise);
    warn_signals_clear(&s);

    /* re-evaluating the stored state (compare.run) raises nothing */
    assert_int_equal(warn_assess_household(&P, &f.pic, NULL, 0, &fl, &s), 0);
    for (size_t i = 0; i < s.n; i++)
        assert_false(s.v[i].raise);
    warn_signals_clear(&s);
    warn_flags_clear(&fl);
}

/* ---------------------------------------------------------------- breadwinner */

static void test_breadwinner_determination(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    member(&f, 2, "330327200501010033", "active", 0);
    sais_fen_t inc = 0;
    assert_true(warn_is_breadwinner(&f.pic, "330327198001010011", &inc));
    assert_int_equal(inc, 3600000);
    assert_false(warn_is_breadwinner(&f.pic, "330327198205050022", NULL));
    assert_false(warn_is_breadwinner(&f.pic, "330327200501010033", NULL)); /* no income at all */
    assert_false(warn_is_breadwinner(&f.pic, "330327199901010099", NULL)); /* not a member */
    /* a tie at the top: each is a breadwinner */
    f.m[1].income_12m = 3600000;
    assert_true(warn_is_breadwinner(&f.pic, "330327198205050022", NULL));
    f.m[1].income_12m = 1200000;
    /* the picture after the death: the dead member is no longer counted but still decides */
    f.m[0].status = "deceased";
    f.m[0].counted = false;
    assert_true(warn_is_breadwinner(&f.pic, "330327198001010011", NULL));
    /* a member who is not counted does not compete with the one who died */
    f.m[0].status = "active";
    f.m[0].counted = true;
    f.m[1].status = "incarcerated";
    f.m[1].counted = false;
    f.m[1].income_12m = 9000000;
    assert_true(warn_is_breadwinner(&f.pic, "330327198001010011", NULL));
}

static void test_breadwinner_death_from_pictures(void **state)
{
    (void)state;
    fix_t before, after;
    fix_init(&before);
    fix_init(&after);
    /* after the death the head's income window already shrank below the spouse's: the
     * question is answered on the picture before */
    after.m[0].status = "deceased";
    after.m[0].counted = false;
    after.m[0].death_date = "2026-11-02";
    after.m[0].income_12m = 100;
    warn_flags_t fl = {0};
    warn_signals_t s = {0};
    assert_int_equal(warn_assess_picture(&P, &before.pic, &before.pic, NULL, 0, &fl, &s), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(warn_assess_picture(&P, &before.pic, &after.pic, NULL, 0, &fl, &s), 0);
    const warn_signal_t *g = find(&s, WARN_K_BREADWINNER);
    assert_non_null(g);
    assert_true(g->raise);
    assert_string_equal(g->severity, "high");
    assert_string_equal(g->id_number, "330327198001010011");
    assert_int_equal(g->day, day("2026-11-02"));
    assert_null(find(&s, WARN_K_DECEASED)); /* no entitlement: not a beneficiary */
    warn_signals_clear(&s);
    /* the same picture again: nothing new */
    assert_int_equal(warn_assess_picture(&P, &after.pic, &after.pic, NULL, 0, &fl, &s), 0);
    assert_int_equal(s.n, 0);
    /* the person.event of the same death only brings evidence */
    Ver__PersonEvent ev = VER__PERSON_EVENT__INIT;
    ev.id_number = "330327198001010011";
    ev.household_id = "H1";
    ev.kind = "death";
    ev.date = "2026-11-02";
    assert_int_equal(warn_assess_person(&P, &after.pic, &ev, NULL, 0, day("2026-11-23"), &fl, &s), 0);
    for (size_t i = 0; i < s.n; i++)
        assert_false(s.v[i].raise);
    warn_signals_clear(&s);
    warn_flags_clear(&fl);

    /* the spouse dying is not a breadwinner's death */
    fix_t sp;
    fix_init(&sp);
    sp.m[1].status = "deceased";
    sp.m[1].counted = false;
    assert_int_equal(warn_assess_picture(&P, &before.pic, &sp.pic, NULL, 0, &fl, &s), 0);
    assert_null(find(&s, WARN_K_BREADWINNER));
    warn_signals_clear(&s);
    warn_flags_clear(&fl);
}

static void test_breadwinner_death_from_person_event_first(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    warn_flags_t fl = {0};
    warn_signals_t s = {0};
    Ver__PersonEvent ev = VER__PERSON_EVENT__INIT;
    ev.id_number = "330327198001010011";
    ev.household_id = "H1";
    ev.kind = "death";
    ev.date = "2026-11-02";
    warn_ent_t e = ent("dibao", "active", "granted", "2026-01-05", "2026-01-05");
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, &e, 1, day("2026-11-23"), &fl, &s), 0);
    assert_true(find(&s, WARN_K_BREADWINNER)->raise);
    const warn_signal_t *g = find(&s, WARN_K_DECEASED);
    assert_non_null(g);
    assert_true(g->raise);
    assert_non_null(strstr(g->detail, "dibao"));
    warn_signals_clear(&s);
    /* the picture showing the death arrives after: nothing new is raised */
    f.m[0].status = "deceased";
    f.m[0].counted = false;
    f.m[0].death_date = "2026-11-02";
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, &e, 1, &fl, &s), 0);
    for (size_t i = 0; i < s.n; i++)
        assert_false(s.v[i].raise);
    warn_signals_clear(&s);
    warn_flags_clear(&fl);
}

/* ---------------------------------------------------------------- beneficiaries */

static void test_beneficiary_incarcerated_cangnan(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    warn_flags_t fl = {0};
    warn_signals_t s = {0};
    warn_ent_t e = ent("dibao", "active", "granted", "2026-06-01", "2026-06-01");
    Ver__PersonEvent ev = VER__PERSON_EVENT__INIT;
    ev.id_number = "330327198205050022";
    ev.household_id = "H1";
    ev.kind = "incarcerated";
    ev.date = "2026-10-10";
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, &e, 1, day("2026-11-23"), &fl, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0].kind, WARN_K_INCARCERATED);
    assert_true(s.v[0].raise);
    assert_string_equal(s.v[0].severity, "high");
    assert_string_equal(s.v[0].id_number, "330327198205050022");
    warn_signals_clear(&s);
    /* a second justice record about the same incarceration: evidence, not a raise */
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, &e, 1, day("2026-11-23"), &fl, &s), 0);
    assert_int_equal(s.n, 1);
    assert_false(s.v[0].raise);
    assert_true(s.v[0].person); /* joins only the alert about this member */
    assert_string_equal(s.v[0].id_number, "330327198205050022");
    warn_signals_clear(&s);
    /* the picture that shows it changes nothing */
    f.m[1].status = "incarcerated";
    f.m[1].counted = false;
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, &e, 1, &fl, &s), 0);
    assert_null(find(&s, WARN_K_INCARCERATED));
    warn_signals_clear(&s);
    /* released, then incarcerated again: a new happening */
    ev.kind = "released";
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, &e, 1, day("2026-11-23"), &fl, &s), 0);
    assert_int_equal(s.n, 0);
    ev.kind = "incarcerated";
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, &e, 1, day("2026-11-23"), &fl, &s), 0);
    assert_true(find(&s, WARN_K_INCARCERATED)->raise);
    warn_signals_clear(&s);
    warn_flags_clear(&fl);

    /* without a monthly entitlement it is not a beneficiary's incarceration */
    warn_ent_t once = ent("temp_medical", "granted", "granted", "2026-06-01", "2026-06-01");
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, &once, 1, day("2026-11-23"), &fl, &s), 0);
    assert_int_equal(s.n, 0);
    warn_flags_clear(&fl);
}

static void test_entitlement_timing(void **state)
{
    (void)state;
    long death = day("2026-10-10");
    warn_ent_t e = ent("dibao", "active", "granted", "2026-01-01", "2026-01-01");
    assert_true(warn_ent_in_force(&e, "dibao", death));
    assert_false(warn_ent_in_force(&e, "tekun", death));
    e = ent("dibao", "stopped", "stopped", "2026-10-10", "2026-01-01"); /* stopped that day */
    assert_true(warn_ent_in_force(&e, NULL, death));
    e = ent("dibao", "stopped", "stopped", "2026-10-09", "2026-01-01"); /* the day before */
    assert_false(warn_ent_in_force(&e, NULL, death));
    e = ent("dibao", "suspended", "suspended", "2026-11-20", "2026-01-01");
    assert_true(warn_ent_in_force(&e, NULL, death));
    assert_false(warn_ent_in_force(&e, NULL, -1));
    warn_ent_t two[2] = {ent("dibao", "active", "granted", "2026-01-01", "2026-01-01"),
                         ent("disability_care", "active", "granted", "2026-01-01", "2026-01-01")};
    char out[100];
    warn_ents_policies(two, 2, death, out, sizeof out);
    assert_string_equal(out, "dibao, disability_care");

    char a[200];
    e = ent("dibao", "active", "amount_changed", "2026-11-20", "2026-01-01");
    warn_ent_action(&e, a, sizeof a);
    assert_string_equal(a, "entitlement dibao amount_changed 3600.00 -> 2400.00 (E-dibao)");
    e = ent("dibao", "suspended", "suspended", "2026-11-20", "2026-01-01");
    warn_ent_action(&e, a, sizeof a);
    assert_string_equal(a, "entitlement dibao suspended (E-dibao)");
    assert_true(warn_ent_relates(WARN_K_INCARCERATED, &e, death));
    assert_false(warn_ent_relates(WARN_K_INCARCERATED, &e, day("2026-11-21")));
    assert_false(warn_ent_relates(WARN_K_CATASTROPHIC, &e, -1));
    e = ent("temp_medical", "granted", "granted", "2026-11-20", "2026-11-20");
    assert_true(warn_ent_relates(WARN_K_CATASTROPHIC, &e, -1));
    assert_false(warn_ent_relates(WARN_K_DECEASED, &e, -1));
}

/* rules' grant reaches warn after verify's death: it still counts if it was granted before. */
static void test_late_entitlement(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    f.m[1].status = "deceased";
    f.m[1].counted = false;
    f.m[1].death_date = "2026-10-10";
    warn_flags_t fl = {0};
    warn_signals_t s = {0};
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, NULL, 0, &fl, &s), 0);
    assert_null(find(&s, WARN_K_DECEASED));
    warn_signals_clear(&s);
    /* a dibao granted after the death is not a beneficiary's death */
    warn_ent_t later = ent("dibao", "active", "granted", "2026-11-01", "2026-11-01");
    assert_int_equal(warn_assess_household(&P, &f.pic, &later, 1, &fl, &s), 0);
    assert_null(find(&s, WARN_K_DECEASED));
    warn_signals_clear(&s);
    /* one granted before it is */
    warn_ent_t before = ent("dibao", "active", "granted", "2026-02-01", "2026-02-01");
    assert_int_equal(warn_assess_household(&P, &f.pic, &before, 1, &fl, &s), 0);
    const warn_signal_t *g = find(&s, WARN_K_DECEASED);
    assert_non_null(g);
    assert_true(g->raise);
    assert_int_equal(g->day, day("2026-10-10"));
    warn_signals_clear(&s);
    /* and only once */
    assert_int_equal(warn_assess_household(&P, &f.pic, &before, 1, &fl, &s), 0);
    assert_null(find(&s, WARN_K_DECEASED));
    warn_signals_clear(&s);
    warn_flags_clear(&fl);
}

static void test_severe_disability(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    warn_flags_t fl = {0};
    warn_signals_t s = {0};
    f.m[1].disability_grade = 3; /* not severe */
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, NULL, 0, &fl, &s), 0);
    assert_null(find(&s, WARN_K_DISABILITY));
    f.m[1].disability_grade = 2; /* severe: raised once */
    f.m[1].disability_category = "physical";
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, NULL, 0, &fl, &s), 0);
    const warn_signal_t *g = find(&s, WARN_K_DISABILITY);
    assert_non_null(g);
    assert_string_equal(g->severity, "medium");
    assert_non_null(strstr(g->detail, "grade 2 (physical)"));
    warn_signals_clear(&s);
    assert_int_equal(warn_assess_picture(&P, NULL, &f.pic, NULL, 0, &fl, &s), 0);
    assert_null(find(&s, WARN_K_DISABILITY));
    /* the person.event of the same certificate: evidence only */
    Ver__PersonEvent ev = VER__PERSON_EVENT__INIT;
    ev.id_number = "330327198205050022";
    ev.household_id = "H1";
    ev.kind = "disability";
    ev.grade = 2;
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, NULL, 0, 0, &fl, &s), 0);
    assert_int_equal(s.n, 1);
    assert_false(s.v[0].raise);
    warn_signals_clear(&s);
    /* a grade-1 certificate for the head, by event first */
    ev.id_number = "330327198001010011";
    ev.grade = 1;
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, NULL, 0, 0, &fl, &s), 0);
    assert_true(find(&s, WARN_K_DISABILITY)->raise);
    warn_signals_clear(&s);
    ev.grade = 3;
    ev.id_number = "330327200001010044";
    assert_int_equal(warn_assess_person(&P, &f.pic, &ev, NULL, 0, 0, &fl, &s), 0);
    assert_int_equal(s.n, 0);
    warn_flags_clear(&fl);
}

/* ---------------------------------------------------------------- visits and dates */

static void test_visit_severity(void **state)
{
    (void)state;
    int r[WARN_RISKS] = {1, 1, 0, 1, 0, 1};
    int max = -1;
    assert_null(warn_visit_severity(&P, r, &max));
    assert_int_equal(max, 1);
    r[5] = 2;
    assert_string_equal(warn_visit_severity(&P, r, &max), "medium");
    r[2] = 3;
    assert_string_equal(warn_visit_severity(&P, r, &max), "high");
    assert_int_equal(max, 3);
}

static void test_dates(void **state)
{
    (void)state;
    char out[11];
    sais_date_format(warn_add_months(day("2026-08-31"), 6), out);
    assert_string_equal(out, "2027-02-28");
    sais_date_format(warn_add_months(day("2027-08-31"), 6), out);
    assert_string_equal(out, "2028-02-29");
    sais_date_format(warn_add_months(day("2026-11-23"), 12), out);
    assert_string_equal(out, "2027-11-23");
    sais_date_format(warn_recheck_due(&P, day("2026-01-15"), true), out);
    assert_string_equal(out, "2026-07-15");
    sais_date_format(warn_recheck_due(&P, day("2026-01-15"), false), out);
    assert_string_equal(out, "2027-01-15");
    assert_int_equal(warn_recheck_due(&P, -1, false), -1);
    /* 2026-11-22T16:00:00Z is already the 23rd in the bureau's day */
    assert_int_equal(warn_day_of(sais_time_parse("2026-11-22T16:00:00Z")), day("2026-11-23"));
    assert_int_equal(warn_day_of(sais_time_parse("2026-11-22T15:59:59Z")), day("2026-11-22"));
}

/* ---------------------------------------------------------------- alert records */

static void test_alert_evidence_dedup(void **state)
{
    (void)state;
    warn_signal_t sig = {.kind = WARN_K_VISIT_RISK, .severity = "medium", .raise = true, .day = -1};
    snprintf(sig.detail, sizeof sig.detail, "visit");
    Wrn__Alert *a = warn_alert_new("AL00000001", "H1", "330327", &sig, 1700000000);
    assert_non_null(a);
    assert_string_equal(a->status, "open");
    assert_int_equal(warn_alert_add_evidence(a, "justice", "J1", "b1"), 1);
    assert_int_equal(warn_alert_add_evidence(a, "justice", "J1", "b2"), 0); /* same record */
    assert_int_equal(warn_alert_add_evidence(a, "civil", "J1", "b1"), 1);   /* other source */
    assert_int_equal(a->n_evidence, 2);
    assert_int_equal(warn_alert_add_action(a, "entitlement dibao suspended (E1)"), 1);
    assert_int_equal(warn_alert_add_action(a, "entitlement dibao suspended (E1)"), 0);
    warn_signal_t high = sig;
    high.severity = "high";
    assert_int_equal(warn_alert_merge(a, &high), 1);
    assert_string_equal(a->severity, "high");
    assert_int_equal(warn_alert_merge(a, &sig), 0); /* never lowered */
    /* what we built packs and unpacks like any alert */
    size_t n = wrn__alert__get_packed_size(a);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    wrn__alert__pack(a, buf);
    Wrn__Alert *b = wrn__alert__unpack(NULL, n, buf);
    assert_non_null(b);
    assert_int_equal(b->n_evidence, 2);
    assert_string_equal(b->evidence[1]->source, "civil");
    assert_string_equal(b->actions[0], "entitlement dibao suspended (E1)");
    wrn__alert__free_unpacked(b, NULL);
    free(buf);
    wrn__alert__free_unpacked(a, NULL);
    assert_true(warn_kind_valid("recheck_due"));
    assert_false(warn_kind_valid("recheck"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_defaults),
        cmocka_unit_test(test_catastrophic_threshold),
        cmocka_unit_test(test_income_drop_threshold),
        cmocka_unit_test(test_assets_thresholds),
        cmocka_unit_test(test_assets_only_for_dibao),
        cmocka_unit_test(test_repeated_signal_is_not_a_second_raise),
        cmocka_unit_test(test_breadwinner_determination),
        cmocka_unit_test(test_breadwinner_death_from_pictures),
        cmocka_unit_test(test_breadwinner_death_from_person_event_first),
        cmocka_unit_test(test_beneficiary_incarcerated_cangnan),
        cmocka_unit_test(test_entitlement_timing),
        cmocka_unit_test(test_late_entitlement),
        cmocka_unit_test(test_severe_disability),
        cmocka_unit_test(test_visit_severity),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_alert_evidence_dedup),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
