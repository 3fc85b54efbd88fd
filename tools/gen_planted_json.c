/* gen_planted_json — DIR/planted.json: the cases a test checks after loading the feeds.
 *
 * A case names one household, the policy or signal under test and the outcome DOMAIN.md
 * gives with the demo parameters. The outcome is taken from the household's row in
 * gen_planted.c, so the two never disagree; "households" repeats every row in full so a test
 * can also check that a planted household raises nothing it should not.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "gen_internal.h"
#include "sais_clock.h"

#define POL(x) 0, GEN_POL_##x
#define SIG(x) 1, GEN_SIG_##x

const gen_pcase_t gen_pcase[] = {
    /* dibao */
    { "dibao_seed_story", "seed_cheng", 0, POL(DIBAO),
      "Cheng: head's 12-month average 1800.00 (the sum has 0.07 extra, floored away), 2 counted members, per-capita 900.00: (1200.00 - 900.00) x 2" },
    { "dibao_basic", "dibao_basic", 0, POL(DIBAO),
      "per-capita 800.00 over 3 counted members: 400.00 x 3; the head's pay before the 12-month window was 1000.00 higher and must not count" },
    { "dibao_one_fen_below_line", "dibao_one_fen_below", 0, POL(DIBAO),
      "per-capita 1199.99 < 1200.00: eligible; 0.01 x 2 is below the 10.00 minimum, so 10.00" },
    { "dibao_exactly_at_line", "dibao_at_line", 0, POL(DIBAO),
      "per-capita exactly 1200.00 is not below the line" },
    { "dibao_per_capita_floors", "dibao_per_capita_floors", 0, POL(DIBAO),
      "3599.99 / 3 counted = 1199.9966: floored to 1199.99, eligible (rounding would give 1200.00, not eligible); minimum 10.00" },
    { "dibao_member_average_floors", "dibao_member_average_floors", 0, POL(DIBAO),
      "12 monthly amounts sum to 14399.99 + 0.11: the average 1199.9991 floors to 1199.99; alone, minimum 10.00" },
    { "dibao_deposits_at_limit", "dibao_deposits_at_limit", 0, POL(DIBAO),
      "deposits + securities 57600.00 / 2 counted = 28800.00 = 24 x line: allowed; (1200.00 - 800.00) x 2" },
    { "dibao_deposits_one_fen_over_limit", "dibao_deposits_over_limit", 0, POL(DIBAO),
      "deposits + securities 57600.02 / 2 counted = 28800.01 > 24 x line" },
    { "dibao_vehicle_at_limit", "dibao_vehicle_at_limit", 0, POL(DIBAO),
      "a vehicle worth exactly 50000.00 is not over the limit; (1200.00 - 1000.00) x 2" },
    { "dibao_vehicle_one_fen_over_limit", "dibao_vehicle_over_limit", 0, POL(DIBAO),
      "a vehicle worth 50000.01 > 50000.00" },
    { "dibao_one_real_estate_title", "dibao_one_real_estate", 0, POL(DIBAO),
      "one real-estate title is allowed; (1200.00 - 750.00) x 2" },
    { "dibao_two_real_estate_titles", "dibao_two_real_estate", 1, POL(DIBAO),
      "two titles (head and spouse) > at most 1" },
    { "dibao_incarcerated_member_not_counted", "dibao_incarcerated_member", 0, POL(DIBAO),
      "the head is in prison (no release): 2 counted members, per-capita 500.00, (1200.00 - 500.00) x 2; counting him would give 2600.01" },
    { "dibao_released_member_counted", "dibao_released_member", 0, POL(DIBAO),
      "the head was released before the window and earns 1800.00: 3 counted, per-capita 600.00, 600.00 x 3" },
    { "dibao_deceased_member_not_counted", "dibao_deceased_member", 0, POL(DIBAO),
      "the head died before the window: 2 counted, per-capita 750.00, 450.00 x 2" },
    { "dibao_age_59_can_work", "tekun_age_60_tomorrow", 0, POL(DIBAO),
      "turns 60 tomorrow, so 59 and able to work: not tekun; alone with no income, 1200.00 x 1" },
    { "dibao_grandchild_16_can_work", "tekun_grandchild_16_today", 0, POL(DIBAO),
      "the grandchild is 16 today and can work, so neither member is tekun: 2 counted, no income, 1200.00 x 2" },
    { "dibao_disability_grade3_can_work", "tekun_disability_grade3", 0, POL(DIBAO),
      "grade 3 does not take away the ability to work: not tekun; alone with no income, 1200.00" },
    { "dibao_with_disabled_member", "disability_living_dibao", 0, POL(DIBAO),
      "per-capita 800.00 over 3: 400.00 x 3" },
    /* tekun */
    { "tekun_single_elder", "tekun_single_elder", 0, POL(TEKUN),
      "78, a residents' pension of 450.00 < line, nobody else: 1.3 x 1200.00" },
    { "tekun_age_60_today", "tekun_age_60_today", 0, POL(TEKUN),
      "60 on today's date cannot be required to work; no income, alone: 1560.00" },
    { "tekun_age_59", "tekun_age_60_tomorrow", 0, POL(TEKUN),
      "turns 60 tomorrow: still able to work" },
    { "tekun_income_one_fen_below_line", "tekun_income_one_fen_below_line", 0, POL(TEKUN),
      "70, pension 1199.99 < line, alone: 1560.00" },
    { "tekun_income_at_line", "tekun_income_at_line", 0, POL(TEKUN),
      "70, pension exactly 1200.00 is an income source at the line" },
    { "tekun_grandchild_16_today", "tekun_grandchild_16_today", 0, POL(TEKUN),
      "the grandfather (72, no income) has a counted member able to work: the grandchild, 16 today" },
    { "tekun_grandparent_and_grandchild_15", "tekun_grandchild_16_tomorrow", 0, POL(TEKUN),
      "72 and 15 (16 tomorrow), no income, nobody able to work: both supported, 2 x 1560.00" },
    { "tekun_disability_grade2", "tekun_disability_grade2", 0, POL(TEKUN),
      "40, active grade 2 disability, no income, alone: 1560.00" },
    { "tekun_disability_grade3", "tekun_disability_grade3", 0, POL(TEKUN),
      "40, grade 3: able to work" },
    /* marginal */
    { "marginal_at_dibao_line", "dibao_at_line", 0, POL(MARGINAL),
      "per-capita 1200.00: not dibao, < 1800.00" },
    { "marginal_single_pension_at_line", "tekun_income_at_line", 0, POL(MARGINAL),
      "pension 1200.00: neither tekun nor dibao, < 1800.00" },
    { "marginal_one_fen_below_limit", "marginal_one_fen_below", 0, POL(MARGINAL),
      "per-capita 1799.99 < 1.5 x line" },
    { "marginal_at_limit", "marginal_at_limit", 0, POL(MARGINAL),
      "per-capita exactly 1800.00 is not below 1.5 x line" },
    { "marginal_vehicle_over_limit", "marginal_vehicle_over_limit", 0, POL(MARGINAL),
      "per-capita 1500.00 but a 60000.00 vehicle: assets as for dibao fail" },
    { "marginal_not_when_dibao", "dibao_basic", 0, POL(MARGINAL),
      "a dibao household is not marginal" },
    /* temp_medical */
    { "temp_medical_seed_story", "seed_cheng", 0, POL(TEMP_MEDICAL),
      "Cheng: 12-month OOP 4600.00 + 35600.00 = 40200.00 (a 900.00 settlement 500 days ago is outside), >= 50% of 21600.07, per-capita 900.00 < 2400.00: min(40200.00 x 0.8, 50000.00) = 32160.00" },
    { "temp_medical_oop_exactly_20000", "temp_medical_oop_at_threshold", 1, POL(TEMP_MEDICAL),
      "OOP 12000.00 + 8000.00 = 20000.00 >= 20000.00, >= 50% of 36000.00, per-capita 1500.00: 16000.00" },
    { "temp_medical_oop_one_fen_below_20000", "temp_medical_oop_one_fen_below", 1, POL(TEMP_MEDICAL),
      "OOP 19999.99 in the 365 days (another 5000.00 settled 420 days ago does not count)" },
    { "temp_medical_capped_at_50000", "temp_medical_cap", 1, POL(TEMP_MEDICAL),
      "OOP 70000.00 x 0.8 = 56000.00, capped at 50000.00 (= auto_limit, so granted at once)" },
    { "temp_medical_oop_exactly_half_income", "temp_medical_oop_half_income", 0, POL(TEMP_MEDICAL),
      "OOP 24000.00 = 50% of 12-month income 48000.00; per-capita 2000.00: 19200.00" },
    { "temp_medical_oop_below_half_income", "temp_medical_oop_below_half_income", 0, POL(TEMP_MEDICAL),
      "OOP 24000.00 < 50% of 48000.24" },
    { "temp_medical_per_capita_at_twice_line", "temp_medical_per_capita_at_twice_line", 1, POL(TEMP_MEDICAL),
      "per-capita exactly 2400.00 is not below 2 x line" },
    { "temp_medical_per_capita_below_twice_line", "temp_medical_per_capita_below_twice_line", 1, POL(TEMP_MEDICAL),
      "per-capita 2399.99; OOP 30000.00 >= 50% of 57599.76: 24000.00" },
    /* disability_care */
    { "disability_care_grade1_child", "disability_care_grade1_child", 2, POL(DISABILITY_CARE),
      "a 15-year-old with an active grade 1 certificate: 100.00" },
    { "disability_care_two_members", "disability_care_two_members", 1, POL(DISABILITY_CARE),
      "grade 2 spouse and grade 1 parent: 2 x 100.00" },
    { "disability_care_grade2_tekun", "tekun_disability_grade2", 0, POL(DISABILITY_CARE),
      "active grade 2: 100.00" },
    { "disability_care_new_grade1", "severe_disability_new_grade1", 1, POL(DISABILITY_CARE),
      "grade 1 issued 20 days ago: 100.00" },
    { "disability_care_grade3", "disability_care_grade3", 0, POL(DISABILITY_CARE),
      "grade 3 is not severe" },
    { "disability_care_revoked", "disability_care_revoked", 1, POL(DISABILITY_CARE),
      "a revoked grade 1 certificate" },
    /* disability_living */
    { "disability_living_dibao_household", "disability_living_dibao", 1, POL(DISABILITY_LIVING),
      "grade 4 spouse in a dibao household: 100.00" },
    { "disability_living_tekun_household", "tekun_disability_grade2", 0, POL(DISABILITY_LIVING),
      "grade 2, tekun: 100.00" },
    { "disability_living_grade3_dibao", "tekun_disability_grade3", 0, POL(DISABILITY_LIVING),
      "grade 3, dibao: 100.00" },
    { "disability_living_not_dibao", "disability_living_not_dibao", 1, POL(DISABILITY_LIVING),
      "grade 4 spouse, per-capita exactly 1200.00: not dibao, not tekun" },
    /* signals */
    { "catastrophic_medical_seed_story", "seed_cheng", 0, SIG(CATASTROPHIC_MEDICAL),
      "OOP 40200.00 >= 20000.00 and >= 50% of 21600.07" },
    { "catastrophic_medical_oop_exactly_20000", "temp_medical_oop_at_threshold", 1, SIG(CATASTROPHIC_MEDICAL),
      "OOP exactly 20000.00, >= 50% of 36000.00" },
    { "catastrophic_medical_oop_one_fen_below", "temp_medical_oop_one_fen_below", 1, SIG(CATASTROPHIC_MEDICAL),
      "OOP 19999.99 in the 365 days" },
    { "catastrophic_medical_oop_exactly_half_income", "temp_medical_oop_half_income", 0, SIG(CATASTROPHIC_MEDICAL),
      "OOP 24000.00 = 50% of 48000.00" },
    { "catastrophic_medical_oop_below_half_income", "temp_medical_oop_below_half_income", 0, SIG(CATASTROPHIC_MEDICAL),
      "OOP 24000.00 < 50% of 48000.24" },
    { "catastrophic_medical_any_per_capita", "temp_medical_per_capita_at_twice_line", 1, SIG(CATASTROPHIC_MEDICAL),
      "the signal has no per-capita limit: OOP 30000.00 >= 50% of 57600.00" },
    { "income_drop_one_fen_below_half", "income_drop_one_fen_below_half", 0, SIG(INCOME_DROP),
      "latest month 2999.99 < 50% of the previous 6 months' 6000.00" },
    { "income_drop_exactly_half", "income_drop_exactly_half", 0, SIG(INCOME_DROP),
      "latest month 3000.00 is not below 50% of 6000.00" },
    { "breadwinner_death", "breadwinner_death", 0, SIG(BREADWINNER_DEATH),
      "the head (8000.00 a month, the highest) died 10 days ago: civil.ndjson" },
    { "breadwinner_death_not_highest", "breadwinner_alive_spouse_death", 1, SIG(BREADWINNER_DEATH),
      "the spouse (3000.00) died; the head earns 8000.00" },
    { "severe_disability_new_grade1", "severe_disability_new_grade1", 1, SIG(SEVERE_DISABILITY),
      "an active grade 1 certificate issued 20 days ago" },
    { "severe_disability_new_grade3", "severe_disability_new_grade3", 1, SIG(SEVERE_DISABILITY),
      "grade 3, issued 20 days ago" },
    { "severe_disability_new_revoked", "severe_disability_new_revoked", 1, SIG(SEVERE_DISABILITY),
      "grade 2 issued 20 days ago but revoked" },
    { "beneficiary_deceased", "beneficiary_deceased", 2, SIG(BENEFICIARY_DECEASED),
      "disability_care (granted at once) is active for the grade 2 spouse; the head's mother died 15 days ago (civil.ndjson, loaded after disability)" },
    { "beneficiary_deceased_no_entitlement", "breadwinner_alive_spouse_death", 1, SIG(BENEFICIARY_DECEASED),
      "a death in a household without any entitlement" },
    { "beneficiary_incarcerated", "beneficiary_incarcerated", 2, SIG(BENEFICIARY_INCARCERATED),
      "Cangnan: disability_care active for the grade 2 spouse; the son was incarcerated 12 days ago (justice.ndjson, loaded last)" },
    { "beneficiary_incarcerated_no_entitlement", "incarcerated_no_entitlement", 2, SIG(BENEFICIARY_INCARCERATED),
      "an incarceration in a household without any entitlement" },
    { "assets_over_limit", "assets_over_limit", 0, SIG(ASSETS_OVER_LIMIT),
      "dibao by income (per-capita 1000.00); assets.ndjson, loaded after hrss, adds a deposit of 10000.00 and then an 80000.00 vehicle" },
    { "assets_over_limit_vehicle_one_fen_over", "dibao_vehicle_over_limit", 0, SIG(ASSETS_OVER_LIMIT),
      "dibao by income; a vehicle worth 50000.01 arrives" },
    { "assets_over_limit_vehicle_at_limit", "dibao_vehicle_at_limit", 0, SIG(ASSETS_OVER_LIMIT),
      "a vehicle worth exactly 50000.00 is within the limit" },
    { "assets_over_limit_not_dibao", "marginal_vehicle_over_limit", 0, SIG(ASSETS_OVER_LIMIT),
      "per-capita 1500.00 was never dibao, so a 60000.00 vehicle is no dibao alert" },
};
const size_t gen_pcase_count = sizeof gen_pcase / sizeof gen_pcase[0];
const size_t gen_need_case_count = 5;

/* ---- writing: a FILE with a sticky error, checked once at the end */

static void
s_money(FILE *f, int64_t fen)
{
    fprintf(f, "%s%" PRId64 ".%02" PRId64, fen < 0 ? "-" : "", (fen < 0 ? -fen : fen) / 100,
            (fen < 0 ? -fen : fen) % 100);
}

/* JSON string; the table's strings are UTF-8 without quotes or control characters, but
 * escape them anyway so a future edit cannot break the file. */
static void
s_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
s_date(FILE *f, long day)
{
    char d[11];
    sais_date_format(day, d);
    s_str(f, d);
}

static int64_t
s_expect(const gen_phh_t *s, int pol)
{
    switch (pol) {
    case GEN_POL_DIBAO: return s->dibao;
    case GEN_POL_TEKUN: return s->tekun;
    case GEN_POL_MARGINAL: return s->marginal;
    case GEN_POL_TEMP_MEDICAL: return s->temp_medical;
    case GEN_POL_DISABILITY_CARE: return s->care;
    default: return s->living;
    }
}

static void
s_policy_expect(FILE *f, int pol, int64_t v)
{
    if (v == GEN_UNDET)
        fputs("{\"eligible\": null}", f);
    else if (v == 0)
        fputs("{\"eligible\": false}", f);
    else if (pol == GEN_POL_MARGINAL)
        fputs("{\"eligible\": true, \"amount\": null}", f);
    else {
        fputs("{\"eligible\": true, \"amount\": ", f);
        s_money(f, v - 1);
        fputc('}', f);
    }
}

static const gen_household_t *
s_household(const gen_t *g, size_t k)
{
    for (size_t i = 0; i < g->nh; i++)
        if (g->h[i].planted == k + 1)
            return &g->h[i];
    return NULL;
}

static void
s_sig_list(FILE *f, unsigned bits)
{
    fputc('[', f);
    int first = 1;
    for (int i = 0; i < GEN_SIG_COUNT; i++) {
        if (!(bits & (1u << i)))
            continue;
        if (!first)
            fputs(", ", f);
        s_str(f, gen_sig_name[i]);
        first = 0;
    }
    fputc(']', f);
}

static void
s_case_head(FILE *f, const gen_t *g, const char *name, int is_signal, int which, const gen_household_t *h,
            int member)
{
    char hid[24];
    gen_household_id(g, h, hid);
    fputs("    {\"case\": ", f);
    s_str(f, name);
    fprintf(f, ", \"kind\": \"%s\", \"%s\": ", is_signal ? "signal" : "policy", is_signal ? "signal" : "policy");
    s_str(f, is_signal ? gen_sig_name[which] : gen_pol_name[which]);
    fputs(", \"household_id\": ", f);
    s_str(f, hid);
    fputs(", \"id_number\": ", f);
    fprintf(f, "\"%.18s\"", g->p[h->first + (size_t)member].id);
}

/* Signals no feed can raise: the test adds a visit or moves the clock. */
static void
s_need_cases(FILE *f, const gen_t *g)
{
    const gen_household_t *h = s_household(g, gen_planted_index("dibao_basic"));
    if (!h)
        return;
    char today[11], due[11], after_due[11], six[11];
    sais_date_format(g->today, today);
    sais_date_format(g->today + 7, due);
    sais_date_format(g->today + 8, after_due);
    int y = g->ty, m = g->tm + 6, d = g->td;
    if (m > 12) {
        m -= 12;
        y++;
    }
    long next = m == 12 ? sais_days_from_civil(y + 1, 1, 1) : sais_days_from_civil(y, m + 1, 1);
    int dim = (int)(next - sais_days_from_civil(y, m, 1));
    if (d > dim)
        d = dim;   /* 31 May + 6 months = 30 November */
    sais_date_format(sais_days_from_civil(y, m, d), six);

    s_case_head(f, g, "visit_risk_high", 1, GEN_SIG_VISIT_RISK, h, 0);
    fprintf(f, ", \"needs\": \"visit\", \"inputs\": {\"visit\": {\"visitor\": \"gen\", \"note\": \"planted visit\", \"visited_at\": \"%s\", "
               "\"risks\": {\"economy\": 3, \"health\": 1, \"education\": 0, \"housing\": 1, \"employment\": 2, \"safety\": 0}}}, "
               "\"expect\": {\"alert\": true, \"severity\": \"high\"}, "
               "\"note\": \"POST /v1/visits for this household; the highest score 3 gives a high visit_risk\"},\n", today);
    s_case_head(f, g, "visit_risk_medium", 1, GEN_SIG_VISIT_RISK, h, 0);
    fprintf(f, ", \"needs\": \"visit\", \"inputs\": {\"visit\": {\"visitor\": \"gen\", \"note\": \"planted visit\", \"visited_at\": \"%s\", "
               "\"risks\": {\"economy\": 2, \"health\": 1, \"education\": 0, \"housing\": 0, \"employment\": 1, \"safety\": 0}}}, "
               "\"expect\": {\"alert\": true, \"severity\": \"medium\"}, "
               "\"note\": \"the highest score 2 gives a medium visit_risk\"},\n", today);
    s_case_head(f, g, "visit_risk_none", 1, GEN_SIG_VISIT_RISK, h, 0);
    fprintf(f, ", \"needs\": \"visit\", \"inputs\": {\"visit\": {\"visitor\": \"gen\", \"note\": \"planted visit\", \"visited_at\": \"%s\", "
               "\"risks\": {\"economy\": 1, \"health\": 1, \"education\": 1, \"housing\": 1, \"employment\": 1, \"safety\": 1}}}, "
               "\"expect\": {\"alert\": false}, \"note\": \"every score below 2: no visit_risk\"},\n", today);
    s_case_head(f, g, "follow_up_overdue", 1, GEN_SIG_FOLLOW_UP_OVERDUE, h, 0);
    fprintf(f, ", \"needs\": \"visit+time\", \"inputs\": {\"visit\": {\"visitor\": \"gen\", \"note\": \"planted visit\", \"visited_at\": \"%s\", "
               "\"risks\": {\"economy\": 1, \"health\": 0, \"education\": 0, \"housing\": 0, \"employment\": 0, \"safety\": 0}, "
               "\"follow_up_due\": \"%s\"}, \"clock\": \"%sT08:00:00Z\"}, "
               "\"expect\": {\"alert\": true, \"severity\": \"medium\"}, "
               "\"note\": \"a follow-up due in 7 days; pin the clock one day after it, with no later visit\"},\n",
            today, due, after_due);
    s_case_head(f, g, "recheck_due_six_months", 1, GEN_SIG_RECHECK_DUE, h, 0);
    fprintf(f, ", \"needs\": \"time\", \"inputs\": {\"verification_at\": \"%s\", \"clock\": \"%sT08:00:00Z\"}, "
               "\"expect\": {\"alert\": true, \"severity\": \"low\"}, "
               "\"note\": \"a dibao household whose head (42) can work is rechecked 6 months after its last verification: "
               "verify it today, then pin the clock 6 months later\"}",
            today, six);
}

int
gen_planted_write_json(gen_t *g, const char *path, uint64_t *bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    char today[11];
    sais_date_format(g->today, today);
    char m0[8], m1[8];
    sais_month_format(g->lm - 11, m0);
    sais_month_format(g->lm, m1);

    fprintf(f, "{\n  \"today\": \"%s\",\n  \"seed\": %" PRIu64 ",\n  \"persons\": %ld,\n", today, g->seed, g->persons);
    fputs("  \"params\": {\"dibao.line\": 1200.00, \"dibao.min_amount\": 10.00, \"dibao.asset_months\": 24, "
          "\"dibao.vehicle_limit\": 50000.00, \"dibao.real_estate_max\": 1, \"tekun.factor\": 1.3, "
          "\"marginal.factor\": 1.5, \"temp_medical.oop_threshold\": 20000.00, \"temp_medical.oop_income_share\": 0.5, "
          "\"temp_medical.income_factor\": 2, \"temp_medical.rate\": 0.8, \"temp_medical.cap\": 50000.00, "
          "\"temp_medical.auto_limit\": 50000.00, \"disability_care.amount\": 100.00, "
          "\"disability_living.amount\": 100.00, \"income_drop.share\": 0.5, \"income_drop.months\": 6},\n", f);
    fprintf(f, "  \"window\": {\"income_months\": [\"%s\", \"%s\"], \"oop_days\": [", m0, m1);
    s_date(f, g->today - 364);
    fputs(", ", f);
    s_date(f, g->today);
    fputs("]},\n", f);
    fputs("  \"load_order\": [\"hukou\", \"hrss\", \"medical\", \"disability\", \"assets\", \"civil\", \"justice\"],\n", f);
    fputs("  \"conventions\": [\"a member's income is the sum of hrss amounts over the 12 complete months before today / 12, floored to the fen\", "
          "\"per-capita income is the floored sum of counted members' incomes / counted members (tekun persons are not counted for dibao)\", "
          "\"signals that need a prior state (assets_over_limit, beneficiary_deceased, beneficiary_incarcerated, breadwinner_death) "
          "assume the files are loaded in load_order, one batch per file\", "
          "\"expect.eligible null: DOMAIN.md does not decide it (e.g. marginal for a household whose only members are tekun)\", "
          "\"signals_maybe: the outcome depends on a reading DOMAIN.md leaves open; see maybe_why\"],\n", f);

    fputs("  \"cases\": [\n", f);
    for (size_t c = 0; c < gen_pcase_count; c++) {
        const gen_pcase_t *pc = &gen_pcase[c];
        size_t k = gen_planted_index(pc->tag);
        const gen_household_t *h = k == SIZE_MAX ? NULL : s_household(g, k);
        if (!h || (size_t)pc->member >= h->size) {
            fclose(f);
            errno = EINVAL;
            return -1;   /* a table bug; the test suite catches it first */
        }
        const gen_phh_t *s = &gen_phh[k];
        s_case_head(f, g, pc->name, pc->is_signal, pc->which, h, pc->member);
        fputs(", \"expect\": ", f);
        if (pc->is_signal) {
            if (s->sig & (1u << pc->which))
                fprintf(f, "{\"alert\": true, \"severity\": \"%s\"}", gen_sig_severity[pc->which]);
            else
                fputs("{\"alert\": false}", f);
        } else {
            s_policy_expect(f, pc->which, s_expect(s, pc->which));
        }
        fputs(", \"note\": ", f);
        s_str(f, pc->note);
        fputs("},\n", f);
    }
    s_need_cases(f, g);
    fputs("\n  ],\n  \"households\": [\n", f);
    for (size_t k = 0; k < gen_phh_count; k++) {
        const gen_phh_t *s = &gen_phh[k];
        const gen_household_t *h = s_household(g, k);
        if (!h)
            continue;
        char hid[24];
        gen_household_id(g, h, hid);
        fputs("    {\"tag\": ", f);
        s_str(f, s->tag);
        fputs(", \"household_id\": ", f);
        s_str(f, hid);
        fputs(", \"region\": ", f);
        s_str(f, s->region);
        fputs(", \"members\": [", f);
        for (size_t i = 0; i < h->size; i++) {
            const gen_person_t *p = &g->p[h->first + i];
            fprintf(f, "%s{\"id_number\": \"%.18s\", \"relation\": \"%s\", \"name\": ", i ? ", " : "", p->id,
                    gen_rel_name[p->rel]);
            s_str(f, s->m[i].name);
            fputs(", \"birth_date\": ", f);
            s_date(f, p->birth);
            fputc('}', f);
        }
        fputs("], \"expect\": {", f);
        for (int pol = 0; pol < GEN_POL_COUNT; pol++) {
            fprintf(f, "%s\"%s\": ", pol ? ", " : "", gen_pol_name[pol]);
            s_policy_expect(f, pol, s_expect(s, pol));
        }
        fputs("}, \"signals\": ", f);
        s_sig_list(f, s->sig);
        fputs(", \"signals_maybe\": ", f);
        s_sig_list(f, s->maybe);
        if (s->maybe_why) {
            fputs(", \"maybe_why\": ", f);
            s_str(f, s->maybe_why);
        }
        fprintf(f, "}%s\n", k + 1 < gen_phh_count ? "," : "");
    }
    fputs("  ]\n}\n", f);
    long pos = ftell(f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || pos < 0)
        return -1;
    *bytes = (uint64_t)pos;
    return 0;
}
