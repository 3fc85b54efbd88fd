/* gen_emit — pass 2: renders each feed from the plan.
 *
 * One function per source walks the households in order. Planted households are handed to
 * gen_planted_emit; for the others the detail (monthly amounts, settlements, asset values,
 * phones) comes from a PRNG stream keyed by (seed, source, person or household), so a source
 * can be written by any thread and still be byte-identical.
 */
#include <errno.h>
#include <stdlib.h>

#include "gen_internal.h"
#include "sais_clock.h"

const char *const gen_src_name[GEN_SRC_COUNT] = {
    "hukou", "medical", "disability", "hrss", "civil", "justice", "assets"
};
const char *const gen_rel_name[7] = {
    "head", "spouse", "child", "parent", "grandchild", "sibling", "other"
};
const char *const gen_inc_name[5] = { "", "wage", "pension", "unemployment_benefit", "business" };
const char *const gen_dis_name[8] = {
    "", "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"
};
const char *const gen_med_name[3] = { "general", "chronic", "serious" };
const char *const gen_asset_name[5] = { "real_estate", "vehicle", "deposit", "securities", "business" };

/* ---- the writer */

#define S_BUF (8u << 20)

int
gen_out_open(gen_out_t *o, const char *path, const char *prefix, int id_width)
{
    memset(o, 0, sizeof *o);
    o->buf = malloc(S_BUF);
    if (!o->buf)
        return -1;
    o->cap = S_BUF;
    o->f = fopen(path, "wb");
    if (!o->f) {
        free(o->buf);
        o->buf = NULL;
        return -1;
    }
    snprintf(o->prefix, sizeof o->prefix, "%s", prefix);
    o->id_width = id_width;
    o->next_id = 1;
    return 0;
}

int
gen_out_flush(gen_out_t *o)
{
    if (o->len && !o->err) {
        if (fwrite(o->buf, 1, o->len, o->f) != o->len)
            o->err = errno ? errno : EIO;
        o->bytes += o->len;
    }
    o->len = 0;
    return o->err ? -1 : 0;
}

int
gen_out_close(gen_out_t *o)
{
    int rc = 0;
    if (o->f) {
        if (gen_out_flush(o) != 0)
            rc = -1;
        if (fclose(o->f) != 0)
            rc = -1;
        o->f = NULL;
    }
    free(o->buf);
    o->buf = NULL;
    if (o->err)
        rc = -1;
    return rc;
}

void
gen_out_begin(gen_out_t *o, const char *id18)
{
    gen_out_lit(o, "{\"record_id\":\"");
    gen_out_str(o, o->prefix);
    gen_out_uint(o, o->next_id++, o->id_width);
    gen_out_lit(o, "\",\"id_number\":\"");
    gen_out_mem(o, id18, 18);
    gen_out_lit(o, "\"");
    o->records++;
}

void
gen_out_date(gen_out_t *o, const gen_t *g, long day)
{
    o->buf[o->len++] = '"';
    gen_out_mem(o, g->date[day - g->dmin], 10);
    o->buf[o->len++] = '"';
}

void
gen_out_month(gen_out_t *o, const gen_t *g, long month)
{
    o->buf[o->len++] = '"';
    gen_out_mem(o, g->month[month - g->mmin], 7);
    o->buf[o->len++] = '"';
}

void
gen_emit_phone(gen_rng_t *r, char out[12])
{
    static const char *const pre[] = { "13", "15", "18" };
    const char *p = pre[gen_rng_below(r, 3)];
    out[0] = p[0];
    out[1] = p[1];
    for (int i = 2; i < 11; i++)
        out[i] = (char)('0' + gen_rng_below(r, 10));
    out[11] = '\0';
}

/* ---- hukou */

static const char *const s_facility[] = {
    "浙江省第一监狱", "浙江省第二监狱", "浙江省第四监狱", "浙江省乔司监狱", "浙江省十里丰监狱",
    "温州市看守所", "浙江省女子监狱",
};
#define S_NFACILITY (sizeof s_facility / sizeof s_facility[0])

static const char *const s_hospital[] = {
    "温州医科大学附属第一医院", "温州医科大学附属第二医院", "温州市人民医院", "温州市中心医院",
    "温州市中医院", "平阳县人民医院", "苍南县人民医院", "瑞安市人民医院", "乐清市人民医院",
    "永嘉县人民医院", "文成县人民医院", "泰顺县人民医院", "浙江大学医学院附属第一医院",
    "上海交通大学医学院附属瑞金医院",
};
#define S_NHOSPITAL (sizeof s_hospital / sizeof s_hospital[0])

const char *
gen_hospital_name(size_t i)
{
    return s_hospital[i % S_NHOSPITAL];
}

const char *
gen_facility_name(size_t i)
{
    return s_facility[i % S_NFACILITY];
}

static void
s_hukou_record(gen_t *g, gen_out_t *o, const gen_person_t *p, const char *name, const char *hid,
               const char *phone, const char *event, long date)
{
    gen_out_begin(o, p->id);
    gen_out_lit(o, ",\"name\":\"");
    gen_out_str(o, name);
    gen_out_lit(o, "\",\"household_id\":\"");
    gen_out_str(o, hid);
    gen_out_lit(o, "\",\"relation\":\"");
    gen_out_str(o, gen_rel_name[p->rel]);
    gen_out_lit(o, "\",\"region\":\"");
    gen_out_str(o, gen_addr_code[g->h[p->hh].region]);
    gen_out_lit(o, "\"");
    if (phone) {
        gen_out_lit(o, ",\"phone\":\"");
        gen_out_mem(o, phone, 11);
        gen_out_lit(o, "\"");
    }
    gen_out_lit(o, ",\"event\":\"");
    gen_out_str(o, event);
    gen_out_lit(o, "\",\"date\":");
    gen_out_date(o, g, date);
    gen_out_end(o);
}

void
gen_emit_hukou_record(gen_t *g, gen_out_t *o, const gen_person_t *p, const char *name,
                      const char *phone, const char *event, long date)
{
    char hid[24];
    gen_household_id(g, &g->h[p->hh], hid);
    s_hukou_record(g, o, p, name, hid, phone, event, date);
}

static void
s_hukou(gen_t *g, const gen_household_t *h, gen_out_t *o)
{
    char hid[24], name[32], phone[12];
    gen_household_id(g, h, hid);
    for (size_t i = 0; i < h->size; i++) {
        size_t pi = h->first + i;
        const gen_person_t *p = &g->p[pi];
        gen_rng_t r = gen_rng_for(g->seed, GEN_SRC_HUKOU, pi);
        gen_name(p, name);
        int age = gen_age(g, p->birth, g->today);
        bool has_phone = p->rel == GEN_REL_HEAD || (age >= 16 && gen_rng_chance(&r, 700));
        gen_emit_phone(&r, phone);
        s_hukou_record(g, o, p, name, hid, has_phone ? phone : NULL, "register", p->reg);
        long last = p->death != GEN_NONE ? p->death : g->today - 1;   /* nothing changes after death */
        if (p->reg < last - 1 && gen_rng_chance(&r, 20)) {
            /* a new phone number */
            gen_emit_phone(&r, phone);
            s_hukou_record(g, o, p, name, hid, phone, "update", gen_rng_range(&r, p->reg + 1, last));
        } else if (p->rel != GEN_REL_HEAD && p->death == GEN_NONE && p->reg < g->today - 2 &&
                   gen_rng_chance(&r, 4)) {
            s_hukou_record(g, o, p, name, hid, NULL, "move_out", gen_rng_range(&r, p->reg + 1, g->today - 1));
        }
    }
}

/* ---- hrss */

static void
s_hrss_record(gen_t *g, gen_out_t *o, const char *id, long month, int kind, int64_t fen)
{
    gen_out_begin(o, id);
    gen_out_lit(o, ",\"month\":");
    gen_out_month(o, g, month);
    gen_out_lit(o, ",\"kind\":\"");
    gen_out_str(o, gen_inc_name[kind]);
    gen_out_lit(o, "\",\"amount\":");
    gen_out_fen(o, fen);
    gen_out_end(o);
}

void
gen_emit_hrss_record(gen_t *g, gen_out_t *o, const char *id, long month, int kind, int64_t fen)
{
    s_hrss_record(g, o, id, month, kind, fen);
}

static void
s_hrss(gen_t *g, const gen_household_t *h, gen_out_t *o)
{
    long jan = (long)g->ty * 12;   /* pensions rose in January */
    for (size_t i = 0; i < h->size; i++) {
        size_t pi = h->first + i;
        const gen_person_t *p = &g->p[pi];
        if (p->kind == GEN_INC_NONE)
            continue;
        gen_rng_t r = gen_rng_for(g->seed, GEN_SRC_HRSS, pi);
        long lost = p->kind == GEN_INC_WAGE && gen_rng_chance(&r, 12) ? g->lm - (long)gen_rng_below(&r, 3) : -1;
        long dm = p->death != GEN_NONE ? sais_month_of(p->death) : g->lm + 1;
        long jm = p->jail != GEN_NONE ? sais_month_of(p->jail) : g->lm + 1;
        long rm = p->release != GEN_NONE ? sais_month_of(p->release) : g->lm + 1;
        for (long m = g->lm - 11 - p->back; m <= g->lm; m++) {
            if (m > dm || (m >= jm && m <= rm))
                continue;
            int64_t base = p->income, amt;
            int kind = p->kind;
            switch (kind) {
            case GEN_INC_WAGE:
                if (lost >= 0 && m >= lost) {
                    kind = GEN_INC_UNEMP;
                    amt = 190000;
                } else {
                    amt = base + base * ((int64_t)gen_rng_below(&r, 101) - 50) / 1000;
                }
                break;
            case GEN_INC_PENSION:
                amt = m < jan ? base * 97 / 100 : base;
                break;
            case GEN_INC_BUSINESS:
                amt = base * (int64_t)gen_rng_range(&r, 70, 130) / 100;
                break;
            default:
                amt = base;
            }
            s_hrss_record(g, o, p->id, m, kind, amt);
        }
    }
}

/* ---- medical */

void
gen_emit_medical_record(gen_t *g, gen_out_t *o, const char *id, long day, int64_t total,
                        int64_t oop, int cat, const char *hospital)
{
    gen_out_begin(o, id);
    gen_out_lit(o, ",\"settled_on\":");
    gen_out_date(o, g, day);
    gen_out_lit(o, ",\"total\":");
    gen_out_fen(o, total);
    gen_out_lit(o, ",\"insurance_paid\":");
    gen_out_fen(o, total - oop);
    gen_out_lit(o, ",\"out_of_pocket\":");
    gen_out_fen(o, oop);
    gen_out_lit(o, ",\"category\":\"");
    gen_out_str(o, gen_med_name[cat]);
    gen_out_lit(o, "\"");
    if (hospital) {
        gen_out_lit(o, ",\"hospital\":\"");
        gen_out_str(o, hospital);
        gen_out_lit(o, "\"");
    }
    gen_out_end(o);
}

static void
s_medical(gen_t *g, const gen_household_t *h, gen_out_t *o)
{
    for (size_t i = 0; i < h->size; i++) {
        size_t pi = h->first + i;
        const gen_person_t *p = &g->p[pi];
        gen_rng_t r = gen_rng_for(g->seed, GEN_SRC_MEDICAL, pi);
        int age = gen_age(g, p->birth, g->today);
        uint32_t pm = age < 18 ? 100 : age < 60 ? 120 : 350;
        if (!gen_rng_chance(&r, pm))
            continue;
        long lo = p->birth > g->today - 730 ? p->birth : g->today - 730;
        long hi = p->death != GEN_NONE ? p->death : g->today - 1;
        if (hi < lo)
            continue;
        int n = 1 + (int)gen_rng_below(&r, 3);
        for (int k = 0; k < n; k++) {
            uint32_t cu = gen_rng_below(&r, 100);
            int cat = cu < 70 ? GEN_MED_GENERAL : cu < 92 ? GEN_MED_CHRONIC : GEN_MED_SERIOUS;
            int64_t total, share;
            if (cat == GEN_MED_GENERAL) {
                total = gen_rng_range(&r, 10000, 300000) * gen_rng_range(&r, 1, 3);
                share = gen_rng_range(&r, 20, 50);
            } else if (cat == GEN_MED_CHRONIC) {
                total = gen_rng_range(&r, 100000, 3000000);
                share = gen_rng_range(&r, 10, 35);
            } else {
                total = gen_rng_range(&r, 2000000, 10000000) * gen_rng_range(&r, 1, 3);
                share = gen_rng_range(&r, 15, 45);
            }
            int64_t oop = total * share / 100;
            const char *hosp = gen_rng_chance(&r, 900) ? s_hospital[gen_rng_below(&r, S_NHOSPITAL)] : NULL;
            gen_emit_medical_record(g, o, p->id, gen_rng_range(&r, lo, hi), total, oop, cat, hosp);
        }
    }
}

/* ---- disability */

void
gen_emit_disability_record(gen_t *g, gen_out_t *o, const gen_person_t *p)
{
    gen_out_begin(o, p->id);
    /* the certificate number is the ID number, the category digit and the grade digit */
    gen_out_lit(o, ",\"certificate\":\"");
    gen_out_mem(o, p->id, 18);
    gen_out_uint(o, p->dis_cat, 1);
    gen_out_uint(o, p->dis_grade, 1);
    gen_out_lit(o, "\",\"category\":\"");
    gen_out_str(o, gen_dis_name[p->dis_cat]);
    gen_out_lit(o, "\",\"grade\":");
    gen_out_uint(o, p->dis_grade, 1);
    gen_out_lit(o, ",\"issued_on\":");
    gen_out_date(o, g, p->dis_issued);
    gen_out_lit(o, ",\"status\":\"");
    gen_out_str(o, p->dis_revoked ? "revoked" : "active");
    gen_out_lit(o, "\"");
    gen_out_end(o);
}

static void
s_disability(gen_t *g, const gen_household_t *h, gen_out_t *o)
{
    for (size_t i = 0; i < h->size; i++) {
        const gen_person_t *p = &g->p[h->first + i];
        if (p->dis_grade)
            gen_emit_disability_record(g, o, p);
    }
}

/* ---- civil and justice */

void
gen_emit_event_record(gen_t *g, gen_out_t *o, const char *id, const char *event, long day,
                      const char *facility)
{
    gen_out_begin(o, id);
    gen_out_lit(o, ",\"event\":\"");
    gen_out_str(o, event);
    gen_out_lit(o, "\",\"date\":");
    gen_out_date(o, g, day);
    if (facility) {
        gen_out_lit(o, ",\"facility\":\"");
        gen_out_str(o, facility);
        gen_out_lit(o, "\"");
    }
    gen_out_end(o);
}

static void
s_civil(gen_t *g, const gen_household_t *h, gen_out_t *o)
{
    size_t hi = (size_t)(h - g->h);
    gen_rng_t r = gen_rng_for(g->seed, GEN_SRC_CIVIL, hi);
    const gen_person_t *head = &g->p[h->first];
    const gen_person_t *spouse = NULL;
    for (size_t i = 1; i < h->size; i++)
        if (g->p[h->first + i].rel == GEN_REL_SPOUSE)
            spouse = &g->p[h->first + i];
    if (spouse) {
        long lo = (head->birth > spouse->birth ? head->birth : spouse->birth) + 365L * 22;
        if (lo < g->today - 1095)
            lo = g->today - 1095;
        if (lo < g->today - 1 && gen_rng_chance(&r, 40)) {
            long d = gen_rng_range(&r, lo, g->today - 1);
            if (head->death == GEN_NONE || head->death > d)
                gen_emit_event_record(g, o, head->id, "marriage", d, NULL);
            if (spouse->death == GEN_NONE || spouse->death > d)
                gen_emit_event_record(g, o, spouse->id, "marriage", d, NULL);
        }
    } else if (gen_age(g, head->birth, g->today) >= 30 && gen_rng_chance(&r, 20)) {
        long d = gen_rng_range(&r, g->today - 1825, g->today - 1);
        if (head->death == GEN_NONE || head->death > d)
            gen_emit_event_record(g, o, head->id, "divorce", d, NULL);
    }
    for (size_t i = 0; i < h->size; i++) {
        const gen_person_t *p = &g->p[h->first + i];
        if (p->death != GEN_NONE)
            gen_emit_event_record(g, o, p->id, "death", p->death, NULL);
    }
}

static void
s_justice(gen_t *g, const gen_household_t *h, gen_out_t *o)
{
    for (size_t i = 0; i < h->size; i++) {
        size_t pi = h->first + i;
        const gen_person_t *p = &g->p[pi];
        if (p->jail == GEN_NONE)
            continue;
        gen_rng_t r = gen_rng_for(g->seed, GEN_SRC_JUSTICE, pi);
        const char *fac = p->female ? "浙江省女子监狱" : s_facility[gen_rng_below(&r, S_NFACILITY - 1)];
        gen_emit_event_record(g, o, p->id, "incarcerated", p->jail, fac);
        if (p->release != GEN_NONE)
            gen_emit_event_record(g, o, p->id, "released", p->release, fac);
    }
}

/* ---- assets */

void
gen_emit_asset_record(gen_t *g, gen_out_t *o, const char *id, int kind, int64_t value, long as_of)
{
    gen_out_begin(o, id);
    gen_out_lit(o, ",\"kind\":\"");
    gen_out_str(o, gen_asset_name[kind]);
    gen_out_lit(o, "\",\"value\":");
    gen_out_fen(o, value);
    gen_out_lit(o, ",\"as_of\":");
    gen_out_date(o, g, as_of);
    gen_out_end(o);
}

static void
s_assets(gen_t *g, const gen_household_t *h, gen_out_t *o)
{
    size_t hi = (size_t)(h - g->h);
    gen_rng_t r = gen_rng_for(g->seed, GEN_SRC_ASSETS, hi);
    const gen_person_t *head = &g->p[h->first], *other = NULL;
    int64_t income = 0;
    for (size_t i = 0; i < h->size; i++) {
        const gen_person_t *p = &g->p[h->first + i];
        income += p->income;
        if (i && !other && gen_age(g, p->birth, g->today) >= 20 && p->death == GEN_NONE)
            other = p;
    }
    int ey, em, ed;
    sais_civil_from_days(g->today, &ey, &em, &ed);
    long month_end = sais_days_from_civil(ey, em, 1) - 1;   /* last day of the last complete month */
    if (head->death != GEN_NONE && other)
        head = other;

    if (gen_rng_chance(&r, 880)) {
        /* savings of a few months' to a few years' income; old people often have more */
        int64_t months = gen_rng_chance(&r, 800) ? gen_rng_range(&r, 1, 24) : gen_rng_range(&r, 24, 120);
        int64_t dep = income * months / 2 + gen_rng_range(&r, 50000, 2000000);
        if (gen_rng_chance(&r, 30))
            dep += gen_rng_range(&r, 10000000, 100000000);
        if (other && gen_rng_chance(&r, 300)) {
            int64_t part = dep * gen_rng_range(&r, 20, 60) / 100;
            gen_emit_asset_record(g, o, head->id, GEN_AS_DEPOSIT, dep - part, month_end);
            gen_emit_asset_record(g, o, other->id, GEN_AS_DEPOSIT, part, month_end);
        } else {
            gen_emit_asset_record(g, o, head->id, GEN_AS_DEPOSIT, dep, month_end);
        }
    }
    if (gen_rng_chance(&r, income > 1000000 ? 250 : 60))
        gen_emit_asset_record(g, o, head->id, GEN_AS_SECURITIES,
                              gen_rng_range(&r, 500000, 30000000) * gen_rng_range(&r, 1, 3), month_end);
    uint32_t vp = income > 1200000 ? 650 : income > 600000 ? 450 : income > 300000 ? 250 : 60;
    if (gen_rng_chance(&r, vp)) {
        const gen_person_t *owner = other && gen_rng_chance(&r, 300) ? other : head;
        int64_t v = gen_rng_range(&r, 2000000, 15000000) * (gen_rng_chance(&r, 100) ? 4 : 1);
        gen_emit_asset_record(g, o, owner->id, GEN_AS_VEHICLE, v, g->today - gen_rng_range(&r, 30, 1500));
    }
    uint32_t u = gen_rng_below(&r, 1000);
    if (u < 900) {
        long lo = head->birth + 365L * 20;
        if (lo < g->today - 7300)
            lo = g->today - 7300;
        if (lo > g->today - 30)
            lo = g->today - 30;
        gen_emit_asset_record(g, o, head->id, GEN_AS_REAL_ESTATE,
                              gen_rng_range(&r, 20000000, 150000000) * gen_rng_range(&r, 1, 4),
                              gen_rng_range(&r, lo, g->today - 1));
        if (u < 180 && other)
            gen_emit_asset_record(g, o, other->id, GEN_AS_REAL_ESTATE,
                                  gen_rng_range(&r, 20000000, 150000000) * gen_rng_range(&r, 1, 3),
                                  gen_rng_range(&r, lo, g->today - 1));
    }
    for (size_t i = 0; i < h->size; i++) {
        const gen_person_t *p = &g->p[h->first + i];
        if (p->kind == GEN_INC_BUSINESS && p->death == GEN_NONE)
            gen_emit_asset_record(g, o, p->id, GEN_AS_BUSINESS,
                                  gen_rng_range(&r, 5000000, 100000000) * gen_rng_range(&r, 1, 4), month_end);
    }
}

typedef void (*s_render_fn)(gen_t *, const gen_household_t *, gen_out_t *);

static const s_render_fn s_render[GEN_SRC_COUNT] = {
    [GEN_SRC_HUKOU] = s_hukou,
    [GEN_SRC_MEDICAL] = s_medical,
    [GEN_SRC_DISABILITY] = s_disability,
    [GEN_SRC_HRSS] = s_hrss,
    [GEN_SRC_CIVIL] = s_civil,
    [GEN_SRC_JUSTICE] = s_justice,
    [GEN_SRC_ASSETS] = s_assets,
};

int
gen_emit_source(gen_t *g, gen_src_t src, gen_out_t *o)
{
    for (size_t i = 0; i < g->nh && !o->err; i++) {
        const gen_household_t *h = &g->h[i];
        if (h->planted)
            gen_planted_emit(g, src, h, o);
        else
            s_render[src](g, h, o);
    }
    return gen_out_flush(o);
}
