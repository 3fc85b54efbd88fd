/* gen_planted — households built so that their outcome under DOMAIN.md is certain.
 *
 * Each entry is a whole household: members, income, settlements, disability, deaths, prison
 * terms and assets, and what every policy and signal must say about it with the demo
 * parameters (dibao line 1200.00). Boundaries come in pairs: exactly at a limit and one fen
 * (or one day) on the other side. Every date is relative to --today, so the cases hold for
 * any today; amounts never depend on it.
 *
 * Traps for a careless reader, on purpose: earners were paid 1000.00 more in the two months
 * before the 12-month window (they must not count), members' averages and per-capita income
 * are floored (some sums are not divisible), one settlement lies outside the 365 days.
 *
 * The expectations here are checked independently by tests/integration/test_gen.py, which
 * recomputes them from the generated records.
 */
#include <stdint.h>

#include "gen_internal.h"
#include "sais_clock.h"

const char *const gen_pol_name[GEN_POL_COUNT] = {
    "dibao", "tekun", "marginal", "temp_medical", "disability_care", "disability_living"
};
const char *const gen_sig_name[GEN_SIG_COUNT] = {
    "catastrophic_medical", "income_drop", "breadwinner_death", "severe_disability",
    "beneficiary_deceased", "beneficiary_incarcerated", "assets_over_limit", "visit_risk",
    "follow_up_overdue", "recheck_due"
};
const char *const gen_sig_severity[GEN_SIG_COUNT] = {
    "high", "medium", "high", "medium", "high", "high", "high", "high", "medium", "low"
};

#define W GEN_INC_WAGE
#define P GEN_INC_PENSION
#define SIG(x) (1u << GEN_SIG_##x)
#define Y GEN_YES
#define HOSP1 "温州医科大学附属第一医院"
#define MAYBE_SEVERE "severe_disability: a grade 1-2 certificate issued years ago; whether it is \"new\" when first loaded depends on the reading"
#define MAYBE_PENDING "a dibao found proactively is pending_review, not yet an active entitlement; alerts that need an active one depend on the reading"

const gen_phh_t gen_phh[] = {
    /* The seed story: Cheng's household in Pingyang, a brain-cancer settlement brings the
     * 12-month OOP to 40200.00; temp_medical 32160.00, dibao (1200.00 - 900.00) x 2. */
    { .tag = "seed_cheng", .region = "330326",
      .m = { { .rel = "head", .name = "程建华", .sex = 'M', .age = 58, .inc = W, .amt = 180000,
               .pat = GEN_PAT_UNEVEN, .par = 7 },
             { .rel = "spouse", .name = "林秀英", .sex = 'F', .age = 55, .addr = "330327" } },
      .med = { { .m = 0, .day = -250, .total = 1500000, .oop = 460000, .cat = GEN_MED_CHRONIC, .hospital = "平阳县人民医院" },
               { .m = 0, .day = -40, .total = 11800000, .oop = 3560000, .cat = GEN_MED_SERIOUS, .hospital = HOSP1 },
               { .m = 0, .day = -500, .total = 300000, .oop = 90000, .cat = GEN_MED_GENERAL, .hospital = "平阳县人民医院" } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 800000 },
              { .m = 0, .kind = GEN_AS_REAL_ESTATE, .value = 28000000, .day = -4000 } },
      .dibao = Y(60000), .temp_medical = Y(3216000), .sig = SIG(CATASTROPHIC_MEDICAL) },

    /* ---- dibao */
    { .tag = "dibao_basic", .region = "330302",
      .m = { { .rel = "head", .name = "陈志强", .sex = 'M', .age = 42, .inc = W, .amt = 240000 },
             { .rel = "spouse", .name = "黄丽", .sex = 'F', .age = 40 },
             { .rel = "child", .name = "陈雨轩", .sex = 'F', .age = 12 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 1200000 },
              { .m = 0, .kind = GEN_AS_REAL_ESTATE, .value = 45000000, .day = -3000 },
              { .m = 0, .kind = GEN_AS_VEHICLE, .value = 3000000, .day = -700 } },
      .dibao = Y(120000) },
    { .tag = "dibao_one_fen_below", .region = "330303",
      .m = { { .rel = "head", .name = "王建军", .sex = 'M', .age = 45, .inc = W, .amt = 239998 },
             { .rel = "spouse", .name = "张美华", .sex = 'F', .age = 43 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 2000000 } },
      .dibao = Y(1000) },
    { .tag = "dibao_at_line", .region = "330304",
      .m = { { .rel = "head", .name = "李国平", .sex = 'M', .age = 45, .inc = W, .amt = 240000 },
             { .rel = "spouse", .name = "吴晓燕", .sex = 'F', .age = 44 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 1500000 } },
      .marginal = Y(0) },
    { .tag = "dibao_per_capita_floors", .region = "330324",
      .m = { { .rel = "head", .name = "周海涛", .sex = 'M', .age = 38, .inc = W, .amt = 359999 },
             { .rel = "spouse", .name = "郑丽娟", .sex = 'F', .age = 36 },
             { .rel = "child", .name = "周子豪", .sex = 'M', .age = 10 } },
      .dibao = Y(1000) },
    { .tag = "dibao_member_average_floors", .region = "330328",
      .m = { { .rel = "head", .name = "徐志明", .sex = 'M', .age = 45, .inc = W, .amt = 119999,
               .pat = GEN_PAT_UNEVEN, .par = 11 } },
      .dibao = Y(1000) },
    { .tag = "dibao_deposits_at_limit", .region = "330305",
      .m = { { .rel = "head", .name = "胡建新", .sex = 'M', .age = 50, .inc = W, .amt = 160000 },
             { .rel = "spouse", .name = "金玉兰", .sex = 'F', .age = 48 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 2000000 },
              { .m = 0, .kind = GEN_AS_SECURITIES, .value = 880000 },
              { .m = 1, .kind = GEN_AS_DEPOSIT, .value = 2880000 } },
      .dibao = Y(80000) },
    { .tag = "dibao_deposits_over_limit", .region = "330305",
      .m = { { .rel = "head", .name = "胡国华", .sex = 'M', .age = 50, .inc = W, .amt = 160000 },
             { .rel = "spouse", .name = "金秀芳", .sex = 'F', .age = 48 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 2000000 },
              { .m = 0, .kind = GEN_AS_SECURITIES, .value = 880000 },
              { .m = 1, .kind = GEN_AS_DEPOSIT, .value = 2880002 } },
      .maybe = SIG(ASSETS_OVER_LIMIT),
      .maybe_why = "assets_over_limit: no single record is over a limit, only the household's total" },
    { .tag = "dibao_vehicle_at_limit", .region = "330326",
      .m = { { .rel = "head", .name = "杨文斌", .sex = 'M', .age = 44, .inc = W, .amt = 200000 },
             { .rel = "spouse", .name = "叶小红", .sex = 'F', .age = 42 } },
      .as = { { .m = 0, .kind = GEN_AS_VEHICLE, .value = 5000000, .day = -400 } },
      .dibao = Y(40000) },
    { .tag = "dibao_vehicle_over_limit", .region = "330326",
      .m = { { .rel = "head", .name = "杨海军", .sex = 'M', .age = 44, .inc = W, .amt = 200000 },
             { .rel = "spouse", .name = "叶玉梅", .sex = 'F', .age = 42 } },
      .as = { { .m = 0, .kind = GEN_AS_VEHICLE, .value = 5000001, .day = -400 } },
      .sig = SIG(ASSETS_OVER_LIMIT) },
    { .tag = "dibao_one_real_estate", .region = "330327",
      .m = { { .rel = "head", .name = "朱建平", .sex = 'M', .age = 47, .inc = W, .amt = 150000 },
             { .rel = "spouse", .name = "潘秀珍", .sex = 'F', .age = 45 } },
      .as = { { .m = 0, .kind = GEN_AS_REAL_ESTATE, .value = 32000000, .day = -5000 } },
      .dibao = Y(90000) },
    { .tag = "dibao_two_real_estate", .region = "330327",
      .m = { { .rel = "head", .name = "朱国庆", .sex = 'M', .age = 47, .inc = W, .amt = 150000 },
             { .rel = "spouse", .name = "潘美娟", .sex = 'F', .age = 45 } },
      .as = { { .m = 0, .kind = GEN_AS_REAL_ESTATE, .value = 32000000, .day = -5000 },
              { .m = 1, .kind = GEN_AS_REAL_ESTATE, .value = 18000000, .day = -2000 } },
      .maybe = SIG(ASSETS_OVER_LIMIT),
      .maybe_why = "assets_over_limit: the second title is over the limit only together with the first" },
    { .tag = "dibao_incarcerated_member", .region = "330381",
      .m = { { .rel = "head", .name = "谢建华", .sex = 'M', .age = 40, .jail = -900 },
             { .rel = "spouse", .name = "蔡丽萍", .sex = 'F', .age = 38, .inc = W, .amt = 100000 },
             { .rel = "child", .name = "谢欣怡", .sex = 'F', .age = 9 } },
      .dibao = Y(140000), .maybe = SIG(BENEFICIARY_INCARCERATED), .maybe_why = MAYBE_PENDING },
    { .tag = "dibao_released_member", .region = "330381",
      .m = { { .rel = "head", .name = "董志刚", .sex = 'M', .age = 44, .jail = -1300, .release = -450,
               .inc = W, .amt = 180000 },
             { .rel = "spouse", .name = "池美玲", .sex = 'F', .age = 40 },
             { .rel = "child", .name = "董浩然", .sex = 'M', .age = 13 } },
      .dibao = Y(180000), .maybe = SIG(BENEFICIARY_INCARCERATED), .maybe_why = MAYBE_PENDING },
    { .tag = "dibao_deceased_member", .region = "330382",
      .m = { { .rel = "head", .name = "郭建国", .sex = 'M', .age = 56, .death = -600 },
             { .rel = "spouse", .name = "戴秀兰", .sex = 'F', .age = 52, .inc = W, .amt = 150000, .back = 30 },
             { .rel = "child", .name = "郭嘉琪", .sex = 'F', .age = 14 } },
      .dibao = Y(90000), .maybe = SIG(BENEFICIARY_DECEASED), .maybe_why = MAYBE_PENDING },

    /* ---- tekun */
    { .tag = "tekun_single_elder", .region = "330329",
      .m = { { .rel = "head", .name = "赵桂英", .sex = 'F', .age = 78, .inc = P, .amt = 45000 } },
      .tekun = Y(156000), .marginal = GEN_UNDET },
    { .tag = "tekun_age_60_today", .region = "330328",
      .m = { { .rel = "head", .name = "孙德福", .sex = 'M', .age = 60, .born = GEN_ANNIV } },
      .tekun = Y(156000), .marginal = GEN_UNDET },
    { .tag = "tekun_age_60_tomorrow", .region = "330328",
      .m = { { .rel = "head", .name = "钱永康", .sex = 'M', .age = 60, .born = 1 } },
      .dibao = Y(120000) },
    { .tag = "tekun_income_one_fen_below_line", .region = "330329",
      .m = { { .rel = "head", .name = "吴玉珍", .sex = 'F', .age = 70, .inc = P, .amt = 119999 } },
      .tekun = Y(156000), .marginal = GEN_UNDET },
    { .tag = "tekun_income_at_line", .region = "330329",
      .m = { { .rel = "head", .name = "施金花", .sex = 'F', .age = 70, .inc = P, .amt = 120000 } },
      .marginal = Y(0) },
    { .tag = "tekun_grandchild_16_today", .region = "330324",
      .m = { { .rel = "head", .name = "项根土", .sex = 'M', .age = 72 },
             { .rel = "grandchild", .name = "项明杰", .sex = 'M', .age = 16, .born = GEN_ANNIV } },
      .dibao = Y(240000) },
    { .tag = "tekun_grandchild_16_tomorrow", .region = "330324",
      .m = { { .rel = "head", .name = "姜福生", .sex = 'M', .age = 72 },
             { .rel = "grandchild", .name = "姜雨涵", .sex = 'F', .age = 16, .born = 1 } },
      .tekun = Y(312000), .marginal = GEN_UNDET },
    { .tag = "tekun_disability_grade2", .region = "330302",
      .m = { { .rel = "head", .name = "蒋建伟", .sex = 'M', .age = 40, .dg = 2, .dc = GEN_DIS_PHYSICAL } },
      .tekun = Y(156000), .marginal = GEN_UNDET, .care = Y(10000), .living = Y(10000),
      .maybe = SIG(SEVERE_DISABILITY), .maybe_why = MAYBE_SEVERE },
    { .tag = "tekun_disability_grade3", .region = "330302",
      .m = { { .rel = "head", .name = "沈国强", .sex = 'M', .age = 40, .dg = 3, .dc = GEN_DIS_PHYSICAL } },
      .dibao = Y(120000), .living = Y(10000) },

    /* ---- marginal */
    { .tag = "marginal_one_fen_below", .region = "330382",
      .m = { { .rel = "head", .name = "卢建明", .sex = 'M', .age = 41, .inc = W, .amt = 359998 },
             { .rel = "spouse", .name = "包丽君", .sex = 'F', .age = 39 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 3000000 } },
      .marginal = Y(0) },
    { .tag = "marginal_at_limit", .region = "330382",
      .m = { { .rel = "head", .name = "卢志华", .sex = 'M', .age = 41, .inc = W, .amt = 360000 },
             { .rel = "spouse", .name = "包美玲", .sex = 'F', .age = 39 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 3000000 } } },
    { .tag = "marginal_vehicle_over_limit", .region = "330383",
      .m = { { .rel = "head", .name = "余海波", .sex = 'M', .age = 41, .addr = "330327", .inc = W, .amt = 300000 },
             { .rel = "spouse", .name = "夏美娟", .sex = 'F', .age = 40, .addr = "330327" } },
      .as = { { .m = 0, .kind = GEN_AS_VEHICLE, .value = 6000000, .day = -300 } } },

    /* ---- temp_medical (and catastrophic_medical) */
    { .tag = "temp_medical_oop_at_threshold", .region = "330302",
      .m = { { .rel = "head", .name = "薛志华", .sex = 'M', .age = 50, .inc = W, .amt = 300000 },
             { .rel = "spouse", .name = "应秀芬", .sex = 'F', .age = 48 } },
      .med = { { .m = 1, .day = -200, .total = 4000000, .oop = 1200000, .cat = GEN_MED_CHRONIC, .hospital = "温州市人民医院" },
               { .m = 1, .day = -30, .total = 1600000, .oop = 800000, .cat = GEN_MED_GENERAL, .hospital = "温州市人民医院" } },
      .marginal = Y(0), .temp_medical = Y(1600000), .sig = SIG(CATASTROPHIC_MEDICAL) },
    { .tag = "temp_medical_oop_one_fen_below", .region = "330302",
      .m = { { .rel = "head", .name = "薛国强", .sex = 'M', .age = 50, .inc = W, .amt = 300000 },
             { .rel = "spouse", .name = "应美华", .sex = 'F', .age = 48 } },
      .med = { { .m = 1, .day = -200, .total = 4000000, .oop = 1200000, .cat = GEN_MED_CHRONIC, .hospital = "温州市人民医院" },
               { .m = 1, .day = -30, .total = 1600000, .oop = 799999, .cat = GEN_MED_GENERAL, .hospital = "温州市人民医院" },
               { .m = 1, .day = -420, .total = 1500000, .oop = 500000, .cat = GEN_MED_CHRONIC, .hospital = "温州市人民医院" } },
      .marginal = Y(0) },
    { .tag = "temp_medical_cap", .region = "330303",
      .m = { { .rel = "head", .name = "毛建新", .sex = 'M', .age = 52, .inc = W, .amt = 300000 },
             { .rel = "spouse", .name = "邱美玉", .sex = 'F', .age = 50 } },
      .med = { { .m = 1, .day = -60, .total = 20000000, .oop = 7000000, .cat = GEN_MED_SERIOUS,
                 .hospital = "上海交通大学医学院附属瑞金医院" } },
      .marginal = Y(0), .temp_medical = Y(5000000), .sig = SIG(CATASTROPHIC_MEDICAL) },
    { .tag = "temp_medical_oop_half_income", .region = "330304",
      .m = { { .rel = "head", .name = "彭志勇", .sex = 'M', .age = 46, .inc = W, .amt = 400000 },
             { .rel = "spouse", .name = "余小芳", .sex = 'F', .age = 44 } },
      .med = { { .m = 0, .day = -90, .total = 8000000, .oop = 2400000, .cat = GEN_MED_SERIOUS, .hospital = HOSP1 } },
      .temp_medical = Y(1920000), .sig = SIG(CATASTROPHIC_MEDICAL) },
    { .tag = "temp_medical_oop_below_half_income", .region = "330304",
      .m = { { .rel = "head", .name = "彭建国", .sex = 'M', .age = 46, .inc = W, .amt = 400002 },
             { .rel = "spouse", .name = "余秀英", .sex = 'F', .age = 44 } },
      .med = { { .m = 0, .day = -90, .total = 8000000, .oop = 2400000, .cat = GEN_MED_SERIOUS, .hospital = HOSP1 } } },
    { .tag = "temp_medical_per_capita_at_twice_line", .region = "330381",
      .m = { { .rel = "head", .name = "方建军", .sex = 'M', .age = 48, .inc = W, .amt = 480000 },
             { .rel = "spouse", .name = "高丽华", .sex = 'F', .age = 46 } },
      .med = { { .m = 1, .day = -100, .total = 9000000, .oop = 3000000, .cat = GEN_MED_SERIOUS, .hospital = "瑞安市人民医院" } },
      .sig = SIG(CATASTROPHIC_MEDICAL) },
    { .tag = "temp_medical_per_capita_below_twice_line", .region = "330381",
      .m = { { .rel = "head", .name = "方志明", .sex = 'M', .age = 48, .inc = W, .amt = 479998 },
             { .rel = "spouse", .name = "高秀珍", .sex = 'F', .age = 46 } },
      .med = { { .m = 1, .day = -100, .total = 9000000, .oop = 3000000, .cat = GEN_MED_SERIOUS, .hospital = "瑞安市人民医院" } },
      .temp_medical = Y(2400000), .sig = SIG(CATASTROPHIC_MEDICAL) },

    /* ---- disability allowances */
    { .tag = "disability_care_grade1_child", .region = "330381",
      .m = { { .rel = "head", .name = "孙建华", .sex = 'M', .age = 45, .inc = W, .amt = 600000 },
             { .rel = "spouse", .name = "潘丽", .sex = 'F', .age = 43, .inc = W, .amt = 400000 },
             { .rel = "child", .name = "孙浩宇", .sex = 'M', .age = 15, .dg = 1, .dc = GEN_DIS_INTELLECTUAL, .dis = -1500 } },
      .care = Y(10000), .maybe = SIG(SEVERE_DISABILITY), .maybe_why = MAYBE_SEVERE },
    { .tag = "disability_care_two_members", .region = "330382",
      .m = { { .rel = "head", .name = "林建业", .sex = 'M', .age = 50, .inc = W, .amt = 700000 },
             { .rel = "spouse", .name = "陈月娥", .sex = 'F', .age = 48, .dg = 2, .dc = GEN_DIS_VISUAL, .dis = -2500 },
             { .rel = "parent", .name = "林秀莲", .sex = 'F', .age = 80, .inc = P, .amt = 260000,
               .dg = 1, .dc = GEN_DIS_PHYSICAL, .dis = -1200 } },
      .care = Y(20000), .maybe = SIG(SEVERE_DISABILITY), .maybe_why = MAYBE_SEVERE },
    { .tag = "disability_care_grade3", .region = "330383",
      .m = { { .rel = "head", .name = "黄海", .sex = 'M', .age = 45, .addr = "330327", .inc = W, .amt = 600000,
               .dg = 3, .dc = GEN_DIS_HEARING, .dis = -1800 },
             { .rel = "spouse", .name = "𠮷秀兰", .sex = 'F', .age = 43, .addr = "330327", .inc = W, .amt = 300000 } } },
    { .tag = "disability_care_revoked", .region = "330303",
      .m = { { .rel = "head", .name = "王立新", .sex = 'M', .age = 45, .inc = W, .amt = 600000 },
             { .rel = "spouse", .name = "刘芳", .sex = 'F', .age = 43, .dg = 1, .dc = GEN_DIS_PHYSICAL, .drev = 1, .dis = -1000 } } },
    { .tag = "disability_living_dibao", .region = "330326",
      .m = { { .rel = "head", .name = "陈建平", .sex = 'M', .age = 44, .inc = W, .amt = 240000 },
             { .rel = "spouse", .name = "吴小梅", .sex = 'F', .age = 42, .dg = 4, .dc = GEN_DIS_PHYSICAL, .dis = -1500 },
             { .rel = "child", .name = "陈思琪", .sex = 'F', .age = 11 } },
      .dibao = Y(120000), .living = Y(10000) },
    { .tag = "disability_living_not_dibao", .region = "330326",
      .m = { { .rel = "head", .name = "张志伟", .sex = 'M', .age = 44, .inc = W, .amt = 240000 },
             { .rel = "spouse", .name = "李秀云", .sex = 'F', .age = 42, .dg = 4, .dc = GEN_DIS_PHYSICAL, .dis = -1500 } },
      .marginal = Y(0) },

    /* ---- early-warning signals */
    { .tag = "income_drop_one_fen_below_half", .region = "330382",
      .m = { { .rel = "head", .name = "项建华", .sex = 'M', .age = 45, .inc = W, .amt = 600000,
               .pat = GEN_PAT_LAST, .par = 299999 },
             { .rel = "spouse", .name = "戴丽丽", .sex = 'F', .age = 43 },
             { .rel = "child", .name = "项子涵", .sex = 'M', .age = 12 } },
      .sig = SIG(INCOME_DROP) },
    { .tag = "income_drop_exactly_half", .region = "330382",
      .m = { { .rel = "head", .name = "项国平", .sex = 'M', .age = 45, .inc = W, .amt = 600000,
               .pat = GEN_PAT_LAST, .par = 300000 },
             { .rel = "spouse", .name = "戴美玉", .sex = 'F', .age = 43 },
             { .rel = "child", .name = "项子轩", .sex = 'M', .age = 12 } } },
    { .tag = "breadwinner_death", .region = "330302",
      .m = { { .rel = "head", .name = "金建国", .sex = 'M', .age = 52, .inc = W, .amt = 800000, .death = -10 },
             { .rel = "spouse", .name = "叶美华", .sex = 'F', .age = 50, .inc = W, .amt = 400000 },
             { .rel = "child", .name = "金宇航", .sex = 'M', .age = 20 } },
      .sig = SIG(BREADWINNER_DEATH) },
    { .tag = "breadwinner_alive_spouse_death", .region = "330302",
      .m = { { .rel = "head", .name = "唐志明", .sex = 'M', .age = 52, .inc = W, .amt = 800000 },
             { .rel = "spouse", .name = "许秀英", .sex = 'F', .age = 50, .inc = W, .amt = 300000, .death = -10 },
             { .rel = "child", .name = "唐浩", .sex = 'M', .age = 20 } } },
    { .tag = "severe_disability_new_grade1", .region = "330326",
      .m = { { .rel = "head", .name = "郑建新", .sex = 'M', .age = 55, .inc = W, .amt = 500000 },
             { .rel = "spouse", .name = "苏玉兰", .sex = 'F', .age = 53, .dg = 1, .dc = GEN_DIS_PHYSICAL, .dis = -20 } },
      .care = Y(10000), .sig = SIG(SEVERE_DISABILITY) },
    { .tag = "severe_disability_new_grade3", .region = "330326",
      .m = { { .rel = "head", .name = "郑国华", .sex = 'M', .age = 55, .inc = W, .amt = 500000 },
             { .rel = "spouse", .name = "苏美芳", .sex = 'F', .age = 53, .dg = 3, .dc = GEN_DIS_PHYSICAL, .dis = -20 } } },
    { .tag = "severe_disability_new_revoked", .region = "330326",
      .m = { { .rel = "head", .name = "郑志强", .sex = 'M', .age = 55, .inc = W, .amt = 500000 },
             { .rel = "spouse", .name = "苏秀珍", .sex = 'F', .age = 53, .dg = 2, .dc = GEN_DIS_MENTAL, .drev = 1, .dis = -20 } } },
    { .tag = "beneficiary_deceased", .region = "330324",
      .m = { { .rel = "head", .name = "潘建华", .sex = 'M', .age = 48, .inc = W, .amt = 600000 },
             { .rel = "spouse", .name = "吴秀兰", .sex = 'F', .age = 46, .dg = 2, .dc = GEN_DIS_PHYSICAL, .dis = -3000 },
             { .rel = "parent", .name = "潘阿凤", .sex = 'F', .age = 85, .inc = P, .amt = 30000, .death = -15 } },
      .care = Y(10000), .sig = SIG(BENEFICIARY_DECEASED),
      .maybe = SIG(SEVERE_DISABILITY), .maybe_why = MAYBE_SEVERE },
    { .tag = "beneficiary_incarcerated", .region = "330327",
      .m = { { .rel = "head", .name = "林建设", .sex = 'M', .age = 48, .inc = W, .amt = 600000 },
             { .rel = "spouse", .name = "陈美芳", .sex = 'F', .age = 46, .dg = 2, .dc = GEN_DIS_MENTAL, .dis = -2800 },
             { .rel = "child", .name = "林志远", .sex = 'M', .age = 22, .inc = W, .amt = 250000, .jail = -12 } },
      .care = Y(10000), .sig = SIG(BENEFICIARY_INCARCERATED),
      .maybe = SIG(SEVERE_DISABILITY), .maybe_why = MAYBE_SEVERE },
    { .tag = "incarcerated_no_entitlement", .region = "330327",
      .m = { { .rel = "head", .name = "王志成", .sex = 'M', .age = 48, .inc = W, .amt = 600000 },
             { .rel = "spouse", .name = "陈秀云", .sex = 'F', .age = 46, .inc = W, .amt = 400000 },
             { .rel = "child", .name = "王俊杰", .sex = 'M', .age = 22, .inc = W, .amt = 250000, .jail = -12 } } },
    { .tag = "assets_over_limit", .region = "330304",
      .m = { { .rel = "head", .name = "周建平", .sex = 'M', .age = 45, .inc = W, .amt = 200000 },
             { .rel = "spouse", .name = "钱丽华", .sex = 'F', .age = 43 } },
      .as = { { .m = 0, .kind = GEN_AS_DEPOSIT, .value = 1000000, .day = -60 },
              { .m = 0, .kind = GEN_AS_VEHICLE, .value = 8000000, .day = -5 } },
      .sig = SIG(ASSETS_OVER_LIMIT) },
};
const size_t gen_phh_count = sizeof gen_phh / sizeof gen_phh[0];

size_t
gen_planted_members(const gen_phh_t *s)
{
    size_t n = 0;
    while (n < 6 && s->m[n].rel)
        n++;
    return n;
}

size_t
gen_planted_index(const char *tag)
{
    for (size_t k = 0; k < gen_phh_count; k++)
        if (strcmp(gen_phh[k].tag, tag) == 0)
            return k;
    return SIZE_MAX;
}

size_t
gen_planted_household_count(void)
{
    return gen_phh_count;
}

size_t
gen_planted_person_count(void)
{
    size_t n = 0;
    for (size_t k = 0; k < gen_phh_count; k++)
        n += gen_planted_members(&gen_phh[k]);
    return n;
}

static int
s_rel_index(const char *rel)
{
    for (int i = 0; i < 7; i++)
        if (strcmp(gen_rel_name[i], rel) == 0)
            return i;
    return GEN_REL_OTHER;
}

static long
s_day(const gen_t *g, int offset)
{
    return g->today + offset;
}

void
gen_planted_fill(gen_t *g, size_t k, gen_household_t *h, gen_person_t *first)
{
    const gen_phh_t *s = &gen_phh[k];
    int region = gen_addr_index(s->region);
    size_t n = gen_planted_members(s);
    h->region = (uint8_t)(region < 0 ? 0 : region);
    h->seq = ++g->region_seq[h->region];
    h->planted = (uint16_t)(k + 1);
    h->size = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        const gen_pmember_t *m = &s->m[i];
        gen_person_t *p = &first[i];
        memset(p, 0, sizeof *p);
        p->spec = (uint16_t)(1 + k * 6 + i);
        p->rel = (uint8_t)s_rel_index(m->rel);
        p->female = m->sex == 'F';
        /* by default a birthday between 17 and 316 days ago, varied so the planted
         * people do not share one birthday */
        int off = m->born == GEN_ANNIV ? 0 : m->born ? m->born : -(int)(17 + (k * 37 + i * 53) % 300);
        p->birth = (int32_t)gen_birth_for_age(g, m->age, off);
        p->reg = (int32_t)(p->birth + 30 < g->today ? p->birth + 30 : g->today - 1);
        p->death = m->death ? (int32_t)s_day(g, m->death) : GEN_NONE;
        p->jail = m->jail ? (int32_t)s_day(g, m->jail) : GEN_NONE;
        p->release = m->release ? (int32_t)s_day(g, m->release) : GEN_NONE;
        p->kind = (uint8_t)m->inc;
        p->income = (int32_t)m->amt;
        if (m->dg) {
            p->dis_grade = (uint8_t)m->dg;
            p->dis_cat = (uint8_t)m->dc;
            p->dis_revoked = (uint8_t)m->drev;
            p->dis_issued = (int32_t)s_day(g, m->dis ? m->dis : -2000);
        } else {
            p->dis_issued = GEN_NONE;
        }
        int addr = m->addr ? gen_addr_index(m->addr) : region;
        gen_plan_assign_id(g, p, addr < 0 ? h->region : addr);
    }
}

static void
s_emit_hrss(gen_t *g, const gen_pmember_t *m, const gen_person_t *p, gen_out_t *o)
{
    if (m->inc == GEN_INC_NONE)
        return;
    int back = m->back == 0 ? 2 : m->back < 0 ? 0 : m->back;
    long first = g->lm - 11;
    for (long mo = first - back; mo < first; mo++)
        gen_emit_hrss_record(g, o, p->id, mo, m->inc, m->amt + 100000);
    for (int i = 0; i < 12; i++) {
        int64_t a = m->amt;
        if (m->pat == GEN_PAT_UNEVEN)
            a += (i % 2 ? -37 : 37) + (i == 11 ? m->par : 0);
        else if (m->pat == GEN_PAT_LAST && i == 11)
            a = m->par;
        gen_emit_hrss_record(g, o, p->id, first + i, m->inc, a);
    }
}

void
gen_planted_emit(gen_t *g, gen_src_t src, const gen_household_t *h, gen_out_t *o)
{
    const gen_phh_t *s = &gen_phh[h->planted - 1];
    const gen_person_t *p = &g->p[h->first];
    int ey, em, ed;
    sais_civil_from_days(g->today, &ey, &em, &ed);
    long month_end = sais_days_from_civil(ey, em, 1) - 1;

    switch (src) {
    case GEN_SRC_HUKOU:
        for (size_t i = 0; i < h->size; i++) {
            char phone[12];
            gen_rng_t r = gen_rng_for(g->seed, 0x9A, p[i].spec);
            gen_emit_phone(&r, phone);
            bool has_phone = i == 0 || gen_age(g, p[i].birth, g->today) >= 18;
            gen_emit_hukou_record(g, o, &p[i], s->m[i].name, has_phone ? phone : NULL, "register", p[i].reg);
        }
        break;
    case GEN_SRC_HRSS:
        for (size_t i = 0; i < h->size; i++)
            s_emit_hrss(g, &s->m[i], &p[i], o);
        break;
    case GEN_SRC_MEDICAL:
        for (size_t j = 0; j < 4 && s->med[j].total; j++) {
            const gen_pmed_t *md = &s->med[j];
            gen_emit_medical_record(g, o, p[md->m].id, s_day(g, md->day), md->total, md->oop, md->cat,
                                    md->hospital);
        }
        break;
    case GEN_SRC_DISABILITY:
        for (size_t i = 0; i < h->size; i++)
            if (p[i].dis_grade)
                gen_emit_disability_record(g, o, &p[i]);
        break;
    case GEN_SRC_CIVIL:
        for (size_t i = 0; i < h->size; i++)
            if (p[i].death != GEN_NONE)
                gen_emit_event_record(g, o, p[i].id, "death", p[i].death, NULL);
        break;
    case GEN_SRC_JUSTICE:
        for (size_t i = 0; i < h->size; i++) {
            if (p[i].jail == GEN_NONE)
                continue;
            gen_emit_event_record(g, o, p[i].id, "incarcerated", p[i].jail, "浙江省第二监狱");
            if (p[i].release != GEN_NONE)
                gen_emit_event_record(g, o, p[i].id, "released", p[i].release, "浙江省第二监狱");
        }
        break;
    case GEN_SRC_ASSETS:
        for (size_t j = 0; j < 4 && s->as[j].value; j++) {
            const gen_passet_t *a = &s->as[j];
            gen_emit_asset_record(g, o, p[a->m].id, a->kind, a->value, a->day ? s_day(g, a->day) : month_end);
        }
        break;
    default:
        break;
    }
}
