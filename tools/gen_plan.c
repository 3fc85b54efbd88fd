/* gen_plan — pass 1: who lives where, how old, born where, earning what.
 *
 * Everything that more than one feed must agree on is decided here, in one sequential PRNG
 * stream: ages and ID numbers (unique, so one order), income kind and base amount (hrss and
 * the household's assets), deaths and prison terms (civil, justice, hrss), disability
 * (disability, and who can work). The feeds' own detail is drawn later, per source.
 */
#include <stdlib.h>

#include "gen_internal.h"
#include "sais_clock.h"
#include "sais_id.h"

const char *const gen_addr_code[] = {
    /* Wenzhou, in the order of DOMAIN.md */
    "330302", "330303", "330304", "330305", "330324", "330326",
    "330327", "330328", "330329", "330381", "330382", "330383",
    /* where people who moved to Wenzhou were born: real county-level codes */
    "110105", "310104", "320583", "330106", "330203", "330482", "331002", "331081",
    "340102", "341225", "350102", "350181", "352203", "360102", "361128", "362330",
    "410102", "411522", "420102", "421087", "430102", "431103", "440305", "440524",
    "450103", "500101", "510104", "511322", "520102", "522101", "530102", "610113",
};
const size_t gen_addr_count = sizeof gen_addr_code / sizeof gen_addr_code[0];

/* Resident population of each county in thousands: where households are placed. */
static const uint32_t s_region_weight[GEN_WENZHOU] = {
    1070, 760, 960, 90, 870, 860, 840, 290, 270, 1520, 1450, 460
};

static const char *const s_surname[] = {
    "陈", "林", "黄", "王", "张", "李", "吴", "周", "郑", "徐", "胡", "金", "刘", "杨",
    "叶", "朱", "潘", "谢", "蔡", "章", "董", "池", "郭", "戴", "孙", "方", "高", "余",
    "施", "项", "姜", "苏", "钱", "夏", "薛", "应", "卢", "包", "程", "谷", "毛", "邱",
    "彭", "季", "麻", "缪", "尤", "柯", "鲍", "詹", "雷", "蒋", "沈", "许", "邵", "厉",
};
#define S_NSURNAME (sizeof s_surname / sizeof s_surname[0])

static const char *const s_given[] = {
    "建", "国", "华", "明", "伟", "丽", "秀", "英", "芳", "敏", "军", "平", "志", "强",
    "海", "云", "春", "玉", "兰", "红", "新", "文", "杰", "静", "燕", "霞", "峰", "斌",
    "勇", "磊", "洁", "婷", "慧", "晓", "宇", "浩", "轩", "涵", "欣", "怡", "梓", "子",
    "嘉", "佳", "琪", "鑫", "豪", "博", "俊", "凯", "雨", "思", "诗", "梦", "晨", "阳",
    "金", "银", "福", "寿", "德", "仁", "义", "忠", "孝", "良", "根", "土", "水", "木",
    "林", "森", "松", "柏", "梅", "菊", "莲", "荷", "月", "星", "光", "辉", "东", "南",
    "飞", "鹏", "龙", "凤", "瑞", "祥", "安", "康", "乐", "欢", "蓉", "萍", "娟", "娜",
    "璐", "瑶", "琳", "颖", "倩", "雪", "冰", "清", "泉", "波", "涛", "洋", "川", "山",
    "𠮷", "昊", "睿", "彤", "奕", "泽", "铭", "锦", "煜", "瀚", "珂", "妍", "馨", "蕾",
};
#define S_NGIVEN (sizeof s_given / sizeof s_given[0])

int
gen_addr_index(const char *code)
{
    for (size_t i = 0; i < gen_addr_count; i++)
        if (strcmp(gen_addr_code[i], code) == 0)
            return (int)i;
    return -1;
}

long
gen_birth_for_age(const gen_t *g, int age, int offset)
{
    int y = g->ty - age, m = g->tm, d = g->td;
    if (m == 2 && d == 29 && !sais_is_leap(y))
        d = 28;
    return sais_days_from_civil(y, m, d) + offset;
}

int
gen_age(const gen_t *g, long birth, long day)
{
    (void)g;
    int by, bm, bd, y, m, d;
    sais_civil_from_days(birth, &by, &bm, &bd);
    sais_civil_from_days(day, &y, &m, &d);
    int age = y - by;
    if (m < bm || (m == bm && d < bd))
        age--;
    return age;
}

void
gen_name(const gen_person_t *p, char out[32])
{
    size_t n = 0;
    const char *parts[3] = { s_surname[p->surname % S_NSURNAME], s_given[p->given0 % S_NGIVEN],
                             p->glen > 1 ? s_given[p->given1 % S_NGIVEN] : "" };
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(parts[i]);
        memcpy(out + n, parts[i], l);
        n += l;
    }
    out[n] = '\0';
}

void
gen_household_id(const gen_t *g, const gen_household_t *h, char out[24])
{
    (void)g;
    snprintf(out, 24, "H%s%06u", gen_addr_code[h->region], (unsigned)h->seq);
}

/* Sequence numbers are handed out per (address, birth day, sex) from a pseudo-random start,
 * so numbers look like real ones and never repeat. A full day (500 men or 499 women born
 * the same day in one county) moves the birth a day earlier. Planted persons are assigned
 * first, so their boundary birth dates never move. */
#define S_SLOT_DAYS(g) ((size_t)((g)->dmax - (g)->dmin + 1))

void
gen_plan_assign_id(gen_t *g, gen_person_t *p, int addr)
{
    for (;;) {
        size_t slot = ((size_t)addr * S_SLOT_DAYS(g) + (size_t)(p->birth - g->dmin)) * 2 + p->female;
        uint32_t used = g->slots[slot];
        uint32_t cap = p->female ? 499 : 500;
        if (used >= cap && p->birth > g->dmin) {
            p->birth--;   /* earlier, never into the future */
            continue;
        }
        g->slots[slot] = (uint16_t)(used + 1);
        uint32_t start = (uint32_t)(gen_mix64(g->seed ^ (slot * 0x9E3779B97F4A7C15ULL)) % cap);
        uint32_t seq = p->female ? 2 * (1 + (start + used) % 499) : 2 * ((start + used) % 500) + 1;
        char first17[18];
        memcpy(first17, gen_addr_code[addr], 6);
        const char *d = g->date[p->birth - g->dmin];
        memcpy(first17 + 6, d, 4);
        memcpy(first17 + 10, d + 5, 2);
        memcpy(first17 + 12, d + 8, 2);
        first17[14] = (char)('0' + seq / 100);
        first17[15] = (char)('0' + seq / 10 % 10);
        first17[16] = (char)('0' + seq % 10);
        first17[17] = '\0';
        memcpy(p->id, first17, 17);
        p->id[17] = sais_id_check_char(first17);
        p->addr = (uint8_t)addr;
        return;
    }
}

/* ---- random households */

typedef struct {
    uint8_t rel, female;
    int     age;
} s_member_t;

static int
s_clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int
s_child_age(gen_rng_t *r, int parent_age)
{
    int a = parent_age - 22 - (int)gen_rng_below(r, 14);
    if (a < 0)
        a = (int)gen_rng_below(r, (uint32_t)s_clamp(parent_age - 17, 1, 40));
    return a;
}

/* Household shapes by size; every shape is a realistic Chinese hukou household. */
static int
s_compose(gen_rng_t *r, int size, s_member_t *m)
{
    int n = 0, t = (int)gen_rng_below(r, 100);
    int head_f = gen_rng_chance(r, 250);
#define ADD(REL, FEMALE, AGE) (m[n].rel = (REL), m[n].female = (uint8_t)(FEMALE), m[n].age = (AGE), n++)
#define SPOUSE_AGE(h) s_clamp((h) + (int)gen_rng_below(r, 11) - 5, 20, 98)
    if (size == 1) {
        int u = (int)gen_rng_below(r, 100);
        int age = u < 40 ? (int)gen_rng_range(r, 20, 39) : u < 65 ? (int)gen_rng_range(r, 40, 59)
                                                                   : (int)gen_rng_range(r, 60, 95);
        ADD(GEN_REL_HEAD, head_f, age);
    } else if (size == 2) {
        if (t < 62) {
            int h = (int)gen_rng_range(r, 22, 88);
            ADD(GEN_REL_HEAD, head_f, h);
            ADD(GEN_REL_SPOUSE, !head_f, SPOUSE_AGE(h));
        } else if (t < 77) {
            int h = (int)gen_rng_range(r, 26, 70);
            ADD(GEN_REL_HEAD, head_f, h);
            ADD(GEN_REL_CHILD, gen_rng_chance(r, 500), s_child_age(r, h));
        } else if (t < 90) {
            int h = (int)gen_rng_range(r, 22, 55);
            ADD(GEN_REL_HEAD, head_f, h);
            ADD(GEN_REL_PARENT, gen_rng_chance(r, 600), s_clamp(h + (int)gen_rng_range(r, 22, 35), 40, 98));
        } else {
            int h = (int)gen_rng_range(r, 20, 70);
            ADD(GEN_REL_HEAD, head_f, h);
            ADD(GEN_REL_SIBLING, gen_rng_chance(r, 500), s_clamp(h + (int)gen_rng_below(r, 17) - 8, 16, 98));
        }
    } else {
        bool old = false;
        if (size == 3)
            old = t >= 93;
        else if (size == 4)
            old = t >= 85;
        else if (size == 5)
            old = t >= 55;
        else
            old = t >= 45;
        if (!old) {
            int h = (int)gen_rng_range(r, 24, 58);
            ADD(GEN_REL_HEAD, head_f, h);
            bool single_parent = size == 3 && t >= 85;
            if (!single_parent)
                ADD(GEN_REL_SPOUSE, !head_f, SPOUSE_AGE(h));
            int parents = 0;
            if (size == 3 && t >= 75 && t < 85)
                parents = 1;
            else if (size == 4 && t >= 55)
                parents = 1;
            else if (size == 5 && t >= 20)
                parents = 1;
            else if (size == 6)
                parents = 2;
            while (n < size - parents)
                ADD(GEN_REL_CHILD, gen_rng_chance(r, 480), s_child_age(r, h));
            for (int i = 0; i < parents; i++)
                ADD(GEN_REL_PARENT, i == 1 ? 1 : gen_rng_chance(r, 500),
                    s_clamp(h + (int)gen_rng_range(r, 22, 34), 45, 98));
        } else {
            int h = (int)gen_rng_range(r, 52, 78);
            ADD(GEN_REL_HEAD, head_f, h);
            ADD(GEN_REL_SPOUSE, !head_f, SPOUSE_AGE(h));
            int c = s_clamp(h - (int)gen_rng_range(r, 22, 32), 20, 60);
            int cf = gen_rng_chance(r, 300);
            ADD(GEN_REL_CHILD, cf, c);
            if (size >= 5)
                ADD(GEN_REL_OTHER, !cf, s_clamp(c + (int)gen_rng_below(r, 7) - 3, 20, 70));
            while (n < size)
                ADD(GEN_REL_GRANDCHILD, gen_rng_chance(r, 480),
                    (int)gen_rng_below(r, (uint32_t)s_clamp(c - 19, 1, 20)));
        }
    }
#undef ADD
#undef SPOUSE_AGE
    return n;
}

/* Monthly wage in yuan by percentile (x 100), piecewise linear: Wenzhou-like. */
static int64_t
s_wage(gen_rng_t *r)
{
    static const int32_t pct[] = { 0, 1000, 2500, 5000, 7500, 9000, 9700, 10000 };
    static const int32_t yuan[] = { 2200, 3200, 4300, 6000, 8600, 13000, 21000, 48000 };
    uint32_t u = gen_rng_below(r, 10000);
    int i = 0;
    while (u >= (uint32_t)pct[i + 1])
        i++;
    int64_t span = pct[i + 1] - pct[i];
    int64_t y = yuan[i] + (yuan[i + 1] - yuan[i]) * (int64_t)(u - (uint32_t)pct[i]) / span;
    return y * 100 + (int64_t)gen_rng_below(r, 100);
}

static void
s_plan_income(gen_rng_t *r, gen_person_t *p, int age)
{
    /* a household head of 18-21 has left school; other young members mostly have not */
    bool student = age <= 21 && p->rel != GEN_REL_HEAD;
    uint32_t u = gen_rng_below(r, 1000);
    bool severe = p->dis_grade && p->dis_grade <= 2 && !p->dis_revoked;
    bool mild = p->dis_grade > 2 && !p->dis_revoked;
    p->kind = GEN_INC_NONE;
    if (age < 18) {
        return;
    } else if (student) {
        if (u < 300) {
            p->kind = GEN_INC_WAGE;
            p->income = (int32_t)gen_rng_range(r, 220000, 450000);
        }
    } else if (age < 60) {
        uint32_t work = severe ? 120 : mild ? 600 : 830;
        if (u < work) {
            p->kind = GEN_INC_WAGE;
            p->income = (int32_t)s_wage(r);
        } else if (u < work + 80) {
            p->kind = GEN_INC_BUSINESS;
            p->income = (int32_t)(s_wage(r) * 6 / 5);
        } else if (u < work + 110) {
            p->kind = GEN_INC_UNEMP;
            p->income = (int32_t)gen_rng_range(r, 180000, 200000) / 100 * 100;
        }
    } else {
        if (u < 720) {
            p->kind = GEN_INC_PENSION;     /* urban employees' basic pension */
            p->income = (int32_t)gen_rng_range(r, 200000, 650000);
        } else if (u < 930) {
            p->kind = GEN_INC_PENSION;     /* urban and rural residents' pension */
            p->income = (int32_t)gen_rng_range(r, 40000, 140000) / 100 * 100;
        } else if (u < 970 && age < 70) {
            p->kind = GEN_INC_WAGE;
            p->income = (int32_t)(s_wage(r) * 3 / 4);
        }
    }
    if (p->kind != GEN_INC_NONE)
        p->back = gen_rng_chance(r, 850) ? 0 : (uint8_t)gen_rng_range(r, 1, 3);
}

/* The common surnames far more often than the rare ones. */
static int
s_pick_surname(gen_rng_t *r)
{
    uint32_t a = gen_rng_below(r, S_NSURNAME), b = gen_rng_below(r, S_NSURNAME);
    return (int)(a < b ? a : b);
}

static void
s_plan_person(gen_t *g, gen_rng_t *r, gen_person_t *p, const s_member_t *mm, int region,
              int family_surname)
{
    p->rel = mm->rel;
    p->female = mm->female;
    p->birth = (int32_t)gen_birth_for_age(g, mm->age, -(int)gen_rng_range(r, 1, 364));
    p->death = p->jail = p->release = p->dis_issued = GEN_NONE;
    bool family = mm->rel == GEN_REL_CHILD || mm->rel == GEN_REL_GRANDCHILD ||
                  mm->rel == GEN_REL_SIBLING || (mm->rel == GEN_REL_PARENT && !mm->female);
    p->surname = (uint8_t)(family || mm->rel == GEN_REL_HEAD ? family_surname : s_pick_surname(r));
    p->glen = gen_rng_chance(r, 250) ? 1 : 2;
    p->given0 = (uint8_t)gen_rng_below(r, S_NGIVEN);
    p->given1 = (uint8_t)gen_rng_below(r, S_NGIVEN);

    /* born here (children nearly always), elsewhere in Wenzhou, or in another province */
    int addr = region;
    uint32_t u = gen_rng_below(r, 1000);
    bool born_here = mm->rel == GEN_REL_CHILD || mm->rel == GEN_REL_GRANDCHILD;
    if (u < (born_here ? 30u : 110u))
        addr = (int)gen_rng_below(r, GEN_WENZHOU);
    else if (u < (born_here ? 50u : 230u) && mm->age >= 18)
        addr = GEN_WENZHOU + (int)gen_rng_below(r, (uint32_t)(gen_addr_count - GEN_WENZHOU));
    /* Longgang became a county-level city in 2019; people born before carry Cangnan's code */
    if (addr == 11 && p->birth < sais_days_from_civil(2019, 9, 1))
        addr = 6;
    gen_plan_assign_id(g, p, addr);

    long reg;
    if (addr < GEN_WENZHOU && born_here)
        reg = p->birth + gen_rng_range(r, 7, 90);
    else if (addr < GEN_WENZHOU)
        reg = p->birth + gen_rng_range(r, 7, 90) + (gen_rng_chance(r, 300) ? 365L * gen_rng_range(r, 18, 40) : 0);
    else
        reg = p->birth + 365L * 18 + gen_rng_below(r, (uint32_t)(365L * (mm->age > 19 ? mm->age - 18 : 1)));
    if (reg > g->today - 1)
        reg = g->today - 1;
    if (reg < p->birth)
        reg = p->birth;
    p->reg = (int32_t)reg;

    int age = mm->age;
    uint32_t dp = age < 18 ? 20 : age < 60 ? 48 : age < 80 ? 100 : 180;
    if (gen_rng_chance(r, dp)) {
        uint32_t gu = gen_rng_below(r, 100);
        p->dis_grade = gu < 12 ? 1 : gu < 32 ? 2 : gu < 62 ? 3 : 4;
        static const uint8_t cat_w[8] = { 0, 12, 15, 2, 45, 8, 10, 8 };
        uint32_t cu = gen_rng_below(r, 100), acc = 0;
        p->dis_cat = GEN_DIS_PHYSICAL;
        for (int c = 1; c <= 7; c++) {
            acc += cat_w[c];
            if (cu < acc) {
                p->dis_cat = (uint8_t)c;
                break;
            }
        }
        long lo = p->birth + 365;
        if (lo < g->today - 7300)
            lo = g->today - 7300;
        if (lo > g->today - 1)
            lo = g->today - 1;
        p->dis_issued = (int32_t)gen_rng_range(r, lo, g->today - 1);
        p->dis_revoked = gen_rng_chance(r, 40);
    }
    s_plan_income(r, p, age);

    uint32_t dm = age < 1 ? 0 : age < 40 ? 1 : age < 60 ? 4 : age < 70 ? 12 : age < 80 ? 35 : 100;
    if (gen_rng_chance(r, dm)) {
        p->death = (int32_t)gen_rng_range(r, g->today - 730, g->today - 1);
        if (p->death < p->reg)
            p->death = p->reg;
    } else if (age >= 18 && age <= 55 && gen_rng_chance(r, p->female ? 1 : 5)) {
        p->jail = (int32_t)gen_rng_range(r, g->today - 2000, g->today - 1);
        if (gen_rng_chance(r, 550)) {
            long rel = p->jail + gen_rng_range(r, 90, 1800);
            if (rel < g->today)
                p->release = (int32_t)rel;
        }
    }
}

static void
s_random_household(gen_t *g, gen_rng_t *r, gen_household_t *h, gen_person_t *p, int size)
{
    uint32_t u = gen_rng_below(r, 8440), acc = 0;   /* sum of s_region_weight */
    int region = 0;
    for (int i = 0; i < GEN_WENZHOU; i++) {
        acc += s_region_weight[i];
        if (u < acc) {
            region = i;
            break;
        }
    }
    s_member_t mm[6];
    int n = s_compose(r, size, mm);
    int family = s_pick_surname(r);
    h->region = (uint8_t)region;
    h->seq = ++g->region_seq[region];
    h->size = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        p[i].hh = (uint32_t)(h - g->h);
        s_plan_person(g, r, &p[i], &mm[i], region, family);
    }
}

static int
s_random_size(gen_rng_t *r)
{
    static const uint32_t w[6] = { 150, 280, 270, 160, 90, 50 };
    uint32_t u = gen_rng_below(r, 1000), acc = 0;
    for (int i = 0; i < 6; i++) {
        acc += w[i];
        if (u < acc)
            return i + 1;
    }
    return 3;
}

int
gen_plan_build(gen_t *g)
{
    size_t np = (size_t)g->persons;
    size_t nplanted = gen_planted_household_count();
    size_t pplanted = gen_planted_person_count();
    g->p = calloc(np, sizeof *g->p);
    g->h = calloc(np, sizeof *g->h);
    g->slots = calloc(gen_addr_count * S_SLOT_DAYS(g) * 2, sizeof *g->slots);
    gen_household_t *ph = calloc(nplanted, sizeof *ph);
    gen_person_t *pp = calloc(pplanted, sizeof *pp);
    if (!g->p || !g->h || !g->slots || !ph || !pp) {
        free(ph);
        free(pp);
        gen_plan_free(g);
        return -1;
    }
    /* planted persons take their ID numbers first: their birth dates are the boundaries
     * under test and must never be moved by a full sequence slot */
    size_t off = 0;
    for (size_t k = 0; k < nplanted; k++) {
        gen_planted_fill(g, k, &ph[k], pp + off);
        ph[k].first = (uint32_t)off;
        off += ph[k].size;
    }

    gen_rng_t r = gen_rng_for(g->seed, 0xB1A9, 0);
    size_t random_persons = np - pplanted;
    size_t used = 0, hn = 0, pi = 0, k = 0;
    while (used < random_persons || k < nplanted) {
        /* planted household k goes in once k/nplanted of the random persons are placed */
        if (k < nplanted && used * nplanted >= k * random_persons) {
            gen_household_t *h = &g->h[hn];
            *h = ph[k];
            h->first = (uint32_t)pi;
            memcpy(&g->p[pi], &pp[ph[k].first], ph[k].size * sizeof *pp);
            for (size_t i = 0; i < h->size; i++)
                g->p[pi + i].hh = (uint32_t)hn;
            pi += h->size;
            hn++;
            k++;
            continue;
        }
        int size = s_random_size(&r);
        if ((size_t)size > random_persons - used)
            size = (int)(random_persons - used);
        gen_household_t *h = &g->h[hn];
        h->first = (uint32_t)pi;
        s_random_household(g, &r, h, &g->p[pi], size);
        pi += h->size;
        used += h->size;
        hn++;
    }
    free(ph);
    free(pp);
    g->np = pi;
    g->nh = hn;
    free(g->slots);
    g->slots = NULL;
    return 0;
}

void
gen_plan_free(gen_t *g)
{
    free(g->p);
    free(g->h);
    free(g->slots);
    g->p = NULL;
    g->h = NULL;
    g->slots = NULL;
    g->np = g->nh = 0;
}
