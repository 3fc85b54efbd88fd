/* warn_signals — see warn_signals.h. Pure: no I/O, no clock, no LMDB. */
#include "warn_signals.h"
#include "sais_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const warn_kinds[] = {
    WARN_K_CATASTROPHIC, WARN_K_INCOME_DROP, WARN_K_BREADWINNER, WARN_K_DISABILITY,
    WARN_K_DECEASED,     WARN_K_INCARCERATED, WARN_K_ASSETS,     WARN_K_VISIT_RISK,
    WARN_K_FOLLOW_UP,    WARN_K_RECHECK,      NULL,
};

const char *const warn_risk_names[WARN_RISKS] = {
    "economy", "health", "education", "housing", "employment", "safety",
};

bool warn_kind_valid(const char *kind)
{
    for (size_t i = 0; kind && warn_kinds[i]; i++)
        if (strcmp(kind, warn_kinds[i]) == 0)
            return true;
    return false;
}

int warn_severity_rank(const char *severity)
{
    if (!severity)
        return 0;
    if (strcmp(severity, "low") == 0)
        return 1;
    if (strcmp(severity, "medium") == 0)
        return 2;
    if (strcmp(severity, "high") == 0)
        return 3;
    return 0;
}

static bool s_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ---------------------------------------------------------------- dates */

long warn_day_parse(const char *s)
{
    if (!s || strlen(s) != 10)
        return -1;
    return sais_date_parse(s, 10);
}

long warn_day_of(int64_t t)
{
    if (t <= 0)
        return -1;
    int64_t local = t + 8 * 3600; /* the bureau's day is China Standard Time, as sais_clock */
    return (long)(local / 86400);
}

long warn_add_months(long day, int months)
{
    int y, m, d;
    sais_civil_from_days(day, &y, &m, &d);
    long total = (long)y * 12 + (m - 1) + months;
    int ny = (int)(total / 12), nm = (int)(total % 12) + 1;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last = mdays[nm - 1] + (nm == 2 && sais_is_leap(ny));
    return sais_days_from_civil(ny, nm, d > last ? last : d);
}

long warn_recheck_due(const warn_params_t *p, long last_check, bool able_member)
{
    if (last_check < 0)
        return -1;
    return warn_add_months(last_check, able_member ? p->recheck_months_able : p->recheck_months);
}

/* ---------------------------------------------------------------- entitlements */

static bool s_stops(const warn_ent_t *e)
{
    return s_eq(e->status, "suspended") || s_eq(e->status, "stopped");
}

bool warn_ent_in_force(const warn_ent_t *e, const char *policy, long day)
{
    if (!s_eq(e->period, "monthly"))
        return false;
    if (policy && !s_eq(e->policy, policy))
        return false;
    if (s_eq(e->status, "active"))
        return true;
    return day >= 0 && s_stops(e) && e->changed_on >= day;
}

/* A proactive case of `policy` awaiting a caseworker (see warn_ev_case). */
static bool s_proposed(const warn_ent_t *e, size_t n, const char *policy)
{
    for (size_t i = 0; i < n; i++)
        if (s_eq(e[i].status, "proposed") && s_eq(e[i].policy, policy))
            return true;
    return false;
}

bool warn_ents_in_force(const warn_ent_t *e, size_t n, const char *policy, long day)
{
    for (size_t i = 0; i < n; i++)
        if (warn_ent_in_force(&e[i], policy, day))
            return true;
    return false;
}

/* In force on `day` and already granted by then: what a late-arriving entitlement event
 * must show before a death warn saw earlier makes its household a beneficiary one. */
static bool s_ents_held_on(const warn_ent_t *e, size_t n, long day)
{
    for (size_t i = 0; i < n; i++)
        if (warn_ent_in_force(&e[i], NULL, day) && e[i].granted_on >= 0 && e[i].granted_on <= day)
            return true;
    return false;
}

void warn_ents_policies(const warn_ent_t *e, size_t n, long day, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!warn_ent_in_force(&e[i], NULL, day))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = warn_ent_in_force(&e[j], NULL, day) && strcmp(e[j].policy, e[i].policy) == 0;
        if (seen)
            continue;
        int k = snprintf(out + o, outlen - o, "%s%s", o ? ", " : "", e[i].policy);
        if (k < 0 || (size_t)k >= outlen - o)
            break;
        o += (size_t)k;
    }
}

void warn_ent_action(const warn_ent_t *e, char *out, size_t outlen)
{
    char a[SAIS_MONEY_BUF], b[SAIS_MONEY_BUF];
    const char *change = *e->change ? e->change : e->status;
    if (strcmp(change, "amount_changed") == 0)
        snprintf(out, outlen, "entitlement %s amount_changed %s -> %s (%s)", e->policy,
                 sais_money_format(e->previous_amount, a), sais_money_format(e->amount, b),
                 e->entitlement_id);
    else if (strcmp(change, "granted") == 0)
        snprintf(out, outlen, "entitlement %s granted %s (%s)", e->policy,
                 sais_money_format(e->amount, a), e->entitlement_id);
    else
        snprintf(out, outlen, "entitlement %s %s (%s)", e->policy, change, e->entitlement_id);
}

bool warn_ent_relates(const char *kind, const warn_ent_t *e, long day)
{
    if (day >= 0 && e->changed_on < day)
        return false;
    /* what rules did to a benefit being paid; a grant, a proposed case and intake's decision
     * on it are not reactions to the death or incarceration */
    if (s_eq(kind, WARN_K_DECEASED) || s_eq(kind, WARN_K_INCARCERATED))
        return s_eq(e->period, "monthly")
               && (s_eq(e->change, "suspended") || s_eq(e->change, "resumed") || s_eq(e->change, "stopped")
                   || s_eq(e->change, "amount_changed"));
    if (s_eq(kind, WARN_K_CATASTROPHIC))
        return s_eq(e->period, "one_off") && s_eq(e->change, "granted");
    return false;
}

/* ---------------------------------------------------------------- flags */

warn_mflag_t *warn_flags_find(const warn_flags_t *f, const char *id_number)
{
    for (size_t i = 0; id_number && i < f->n; i++)
        if (strcmp(f->m[i].id_number, id_number) == 0)
            return &f->m[i];
    return NULL;
}

warn_mflag_t *warn_flags_member(warn_flags_t *f, const char *id_number)
{
    warn_mflag_t *m = warn_flags_find(f, id_number);
    if (m)
        return m;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        warn_mflag_t *v = realloc(f->m, cap * sizeof *v);
        if (!v)
            return NULL;
        f->m = v;
        f->cap = cap;
    }
    m = &f->m[f->n++];
    memset(m, 0, sizeof *m);
    snprintf(m->id_number, sizeof m->id_number, "%s", id_number);
    m->dead_on = -1;
    m->jailed_on = -1;
    return m;
}

void warn_flags_clear(warn_flags_t *f)
{
    free(f->m);
    memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------- signals */

void warn_signals_clear(warn_signals_t *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static warn_signal_t *s_push(warn_signals_t *s, const char *kind, const char *severity,
                             const char *source, bool raise, long day, const char *id_number)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        warn_signal_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    warn_signal_t *g = &s->v[s->n++];
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->severity = severity;
    g->source = source;
    g->raise = raise;
    g->day = day;
    snprintf(g->id_number, sizeof g->id_number, "%s", id_number ? id_number : "");
    return g;
}

/* A person-level happening seen again: its evidence may join the open alert about them. */
static int s_repeat(warn_signals_t *s, const char *kind, const char *severity, long day, const char *id)
{
    warn_signal_t *g = s_push(s, kind, severity, NULL, false, day, id);
    if (!g)
        return -1;
    g->person = true;
    return 0;
}

/* ---------------------------------------------------------------- conditions */

bool warn_catastrophic(const warn_params_t *p, const Ver__Picture *pic, char *detail, size_t n)
{
    if (!pic || pic->oop_12m < p->catastrophic_oop)
        return false;
    /* oop / income >= pct / 100 without division; amounts stay far below 2^63 / 100 */
    if (pic->income_12m > 0 && pic->oop_12m * 100 < (int64_t)p->catastrophic_share_pct * pic->income_12m)
        return false;
    if (detail) {
        char a[SAIS_MONEY_BUF], b[SAIS_MONEY_BUF];
        if (pic->income_12m > 0)
            snprintf(detail, n, "out-of-pocket medical costs of %s in 12 months, %lld%% of household income %s",
                     sais_money_format(pic->oop_12m, a),
                     (long long)(pic->oop_12m * 100 / pic->income_12m),
                     sais_money_format(pic->income_12m, b));
        else
            snprintf(detail, n, "out-of-pocket medical costs of %s in 12 months, with no household income",
                     sais_money_format(pic->oop_12m, a));
    }
    return true;
}

bool warn_income_drop(const warn_params_t *p, const Ver__Picture *pic, char *detail, size_t n)
{
    if (!pic || pic->prev6_avg_income <= 0)
        return false;
    if (pic->latest_month_income * 100 >= (int64_t)p->income_drop_pct * pic->prev6_avg_income)
        return false;
    if (detail) {
        char a[SAIS_MONEY_BUF], b[SAIS_MONEY_BUF];
        snprintf(detail, n, "household income %s in the latest month, %lld%% of the previous 6-month average %s",
                 sais_money_format(pic->latest_month_income, a),
                 (long long)(pic->latest_month_income * 100 / pic->prev6_avg_income),
                 sais_money_format(pic->prev6_avg_income, b));
    }
    return true;
}

bool warn_assets_over(const warn_params_t *p, const Ver__Picture *pic, char *detail, size_t n)
{
    if (!pic)
        return false;
    int64_t members = pic->counted > 0 ? pic->counted : 1;
    /* per capita > months x line, compared as a product so no fen is lost to rounding */
    int64_t deposit_limit = (int64_t)p->dibao_deposit_months * p->dibao_line * members;
    bool deposits = pic->deposits > deposit_limit;
    bool vehicle = pic->vehicle_max > p->dibao_vehicle_max;
    bool titles = pic->real_estate > p->dibao_real_estate_max;
    if (!deposits && !vehicle && !titles)
        return false;
    if (detail && n) {
        char a[SAIS_MONEY_BUF], b[SAIS_MONEY_BUF];
        size_t o = 0;
        int k;
        detail[0] = '\0';
        if (deposits) {
            k = snprintf(detail + o, n - o, "deposits and securities %s for %lld counted member(s), over %s",
                         sais_money_format(pic->deposits, a), (long long)members,
                         sais_money_format(deposit_limit, b));
            o = k < 0 ? o : (size_t)k + o >= n ? n - 1 : o + (size_t)k;
        }
        if (vehicle) {
            k = snprintf(detail + o, n - o, "%sa vehicle worth %s, over %s", o ? "; " : "",
                         sais_money_format(pic->vehicle_max, a), sais_money_format(p->dibao_vehicle_max, b));
            o = k < 0 ? o : (size_t)k + o >= n ? n - 1 : o + (size_t)k;
        }
        if (titles)
            snprintf(detail + o, n - o, "%s%d real-estate titles, more than %d", o ? "; " : "",
                     pic->real_estate, p->dibao_real_estate_max);
    }
    return true;
}

const Ver__Member *warn_member(const Ver__Picture *pic, const char *id_number)
{
    for (size_t i = 0; pic && id_number && i < pic->n_members; i++)
        if (s_eq(pic->members[i]->id_number, id_number))
            return pic->members[i];
    return NULL;
}

bool warn_is_breadwinner(const Ver__Picture *pic, const char *id_number, sais_fen_t *income)
{
    const Ver__Member *x = warn_member(pic, id_number);
    if (!x || x->income_12m <= 0)
        return false;
    for (size_t i = 0; i < pic->n_members; i++) {
        const Ver__Member *m = pic->members[i];
        if (m != x && m->counted && m->income_12m > x->income_12m)
            return false;
    }
    if (income)
        *income = x->income_12m;
    return true;
}

const char *warn_visit_severity(const warn_params_t *p, const int risks[WARN_RISKS], int *max)
{
    int top = 0;
    for (int i = 0; i < WARN_RISKS; i++)
        if (risks[i] > top)
            top = risks[i];
    if (max)
        *max = top;
    if (top >= p->visit_risk_high)
        return "high";
    if (top >= p->visit_risk_min)
        return "medium";
    return NULL;
}

/* ---------------------------------------------------------------- assessment */

/* A household-level condition: raise on the edge, persist while true, forget when false. */
static int s_condition(warn_signals_t *out, warn_flags_t *flags, unsigned bit, bool holds,
                       const char *kind, const char *severity, const char *source,
                       const char *head, const char *detail)
{
    if (!holds) {
        flags->hh &= ~bit;
        return 0;
    }
    bool raise = !(flags->hh & bit);
    flags->hh |= bit;
    warn_signal_t *g = s_push(out, kind, severity, source, raise, -1, head);
    if (!g)
        return -1;
    snprintf(g->detail, sizeof g->detail, "%s", detail);
    return 0;
}

static int s_household_conditions(const warn_params_t *p, const Ver__Picture *pic,
                                  const warn_ent_t *ents, size_t nents, warn_flags_t *flags,
                                  warn_signals_t *out)
{
    char d[256] = "";
    const char *head = pic->head_id;
    bool holds = warn_catastrophic(p, pic, d, sizeof d);
    if (s_condition(out, flags, WARN_H_CATASTROPHIC, holds, WARN_K_CATASTROPHIC, "high", "medical", head, d))
        return -1;
    holds = warn_income_drop(p, pic, d, sizeof d);
    if (s_condition(out, flags, WARN_H_INCOME_DROP, holds, WARN_K_INCOME_DROP, "medium", "hrss", head, d))
        return -1;
    /* a dibao household: in force on the day the picture was computed (rules may already
     * have stopped it because of this very picture), or proposed and awaiting review */
    holds = (warn_ents_in_force(ents, nents, "dibao", warn_day_parse(pic->as_of))
             || s_proposed(ents, nents, "dibao"))
            && warn_assets_over(p, pic, d, sizeof d);
    return s_condition(out, flags, WARN_H_ASSETS, holds, WARN_K_ASSETS, "high", "assets", head, d);
}

/* Beneficiary signal for a death or incarceration of `id` on `day`, if the household had a
 * monthly entitlement in force then. */
static int s_beneficiary(warn_signals_t *out, const warn_ent_t *ents, size_t nents,
                         warn_mflag_t *mf, bool death, long day, bool late)
{
    bool held = late ? s_ents_held_on(ents, nents, day) : warn_ents_in_force(ents, nents, NULL, day);
    if (!held)
        return 0;
    char policies[160], date[16] = "an unknown day";
    warn_ents_policies(ents, nents, day, policies, sizeof policies);
    if (day >= 0)
        sais_date_format(day, date);
    warn_signal_t *g = s_push(out, death ? WARN_K_DECEASED : WARN_K_INCARCERATED, "high",
                              death ? "civil" : "justice", true, day, mf->id_number);
    if (!g)
        return -1;
    snprintf(g->detail, sizeof g->detail, "%s on %s of a member of a household receiving %s",
             death ? "death" : "incarceration", date, policies);
    mf->bits |= death ? WARN_M_BEN_DEAD : WARN_M_BEN_JAILED;
    return 0;
}

static int s_breadwinner(warn_signals_t *out, const Ver__Picture *pic, const char *id, long day)
{
    sais_fen_t income;
    if (!warn_is_breadwinner(pic, id, &income))
        return 0;
    char a[SAIS_MONEY_BUF], date[16] = "an unknown day";
    if (day >= 0)
        sais_date_format(day, date);
    warn_signal_t *g = s_push(out, WARN_K_BREADWINNER, "high", "civil", true, day, id);
    if (!g)
        return -1;
    snprintf(g->detail, sizeof g->detail, "death on %s of the member with the highest 12-month income (%s)",
             date, sais_money_format(income, a));
    return 0;
}

static int s_severe(warn_signals_t *out, const char *id, int grade, const char *category)
{
    warn_signal_t *g = s_push(out, WARN_K_DISABILITY, "medium", "disability", true, -1, id);
    if (!g)
        return -1;
    if (category && *category)
        snprintf(g->detail, sizeof g->detail, "new active disability certificate of grade %d (%s)", grade, category);
    else
        snprintf(g->detail, sizeof g->detail, "new active disability certificate of grade %d", grade);
    return 0;
}

static bool s_severe_grade(int grade)
{
    return grade >= 1 && grade <= 2;
}

int warn_assess_picture(const warn_params_t *p, const Ver__Picture *prev, const Ver__Picture *cur,
                        const warn_ent_t *ents, size_t nents, warn_flags_t *flags,
                        warn_signals_t *out)
{
    if (!cur)
        return 0;
    if (s_household_conditions(p, cur, ents, nents, flags, out))
        return -1;
    long as_of = warn_day_parse(cur->as_of);
    for (size_t i = 0; i < cur->n_members; i++) {
        const Ver__Member *m = cur->members[i];
        if (!m->id_number || !*m->id_number)
            continue;
        warn_mflag_t *mf = warn_flags_member(flags, m->id_number);
        if (!mf)
            return -1;
        bool dead = s_eq(m->status, "deceased");
        if (dead && !(mf->bits & WARN_M_DEAD)) {
            long day = warn_day_parse(m->death_date);
            if (day < 0)
                day = as_of;
            mf->bits = (mf->bits | WARN_M_DEAD) & ~(unsigned)(WARN_M_JAILED | WARN_M_BEN_JAILED);
            mf->dead_on = day;
            if (s_beneficiary(out, ents, nents, mf, true, day, false))
                return -1;
            /* who earned most is a question about the household before the death */
            const Ver__Member *before = warn_member(prev, m->id_number);
            const Ver__Picture *bw = before && !s_eq(before->status, "deceased") ? prev : cur;
            if (s_breadwinner(out, bw, m->id_number, day))
                return -1;
        }
        if (s_eq(m->status, "incarcerated")) {
            if (!(mf->bits & WARN_M_JAILED)) {
                mf->bits |= WARN_M_JAILED;
                mf->jailed_on = as_of;
                if (s_beneficiary(out, ents, nents, mf, false, as_of, false))
                    return -1;
            }
        } else if (!dead) {
            mf->bits &= ~(unsigned)(WARN_M_JAILED | WARN_M_BEN_JAILED);
            mf->jailed_on = -1;
        }
        if (s_severe_grade(m->disability_grade)) {
            if (!(mf->bits & WARN_M_SEVERE)) {
                mf->bits |= WARN_M_SEVERE;
                if (!dead && !s_eq(m->status, "moved_out")
                    && s_severe(out, m->id_number, m->disability_grade, m->disability_category))
                    return -1;
            }
        } else {
            mf->bits &= ~(unsigned)WARN_M_SEVERE;
        }
    }
    return 0;
}

int warn_assess_person(const warn_params_t *p, const Ver__Picture *stored,
                       const Ver__PersonEvent *ev, const warn_ent_t *ents, size_t nents,
                       long today, warn_flags_t *flags, warn_signals_t *out)
{
    (void)p;
    if (!ev->id_number || !*ev->id_number || !ev->kind)
        return 0;
    long day = warn_day_parse(ev->date);
    if (day < 0)
        day = today;
    warn_mflag_t *mf = warn_flags_member(flags, ev->id_number);
    if (!mf)
        return -1;
    const char *id = ev->id_number;
    if (strcmp(ev->kind, "death") == 0) {
        if (mf->bits & WARN_M_DEAD) {
            /* the same death again (another record, or the picture got here first) */
            return s_repeat(out, WARN_K_DECEASED, "high", day, id) || s_repeat(out, WARN_K_BREADWINNER, "high", day, id)
                   ? -1 : 0;
        }
        mf->bits = (mf->bits | WARN_M_DEAD) & ~(unsigned)(WARN_M_JAILED | WARN_M_BEN_JAILED);
        mf->dead_on = day;
        if (s_beneficiary(out, ents, nents, mf, true, day, false))
            return -1;
        return s_breadwinner(out, stored, id, day);
    }
    if (strcmp(ev->kind, "incarcerated") == 0) {
        if ((mf->bits & WARN_M_JAILED) || (mf->bits & WARN_M_DEAD))
            return s_repeat(out, WARN_K_INCARCERATED, "high", day, id);
        mf->bits |= WARN_M_JAILED;
        mf->jailed_on = day;
        return s_beneficiary(out, ents, nents, mf, false, day, false);
    }
    if (strcmp(ev->kind, "released") == 0) {
        mf->bits &= ~(unsigned)(WARN_M_JAILED | WARN_M_BEN_JAILED);
        mf->jailed_on = -1;
        return 0;
    }
    if (strcmp(ev->kind, "disability") == 0) {
        if (!s_severe_grade(ev->grade)) {
            mf->bits &= ~(unsigned)WARN_M_SEVERE;
            return 0;
        }
        if (mf->bits & WARN_M_SEVERE)
            return s_repeat(out, WARN_K_DISABILITY, "medium", -1, id);
        mf->bits |= WARN_M_SEVERE;
        if (mf->bits & WARN_M_DEAD)
            return 0;
        const Ver__Member *m = warn_member(stored, id);
        return s_severe(out, id, ev->grade, m ? m->disability_category : NULL);
    }
    return 0; /* moved_out and kinds added later: nothing to signal */
}

int warn_assess_household(const warn_params_t *p, const Ver__Picture *pic,
                          const warn_ent_t *ents, size_t nents, warn_flags_t *flags,
                          warn_signals_t *out)
{
    if (pic && s_household_conditions(p, pic, ents, nents, flags, out))
        return -1;
    for (size_t i = 0; i < flags->n; i++) {
        warn_mflag_t *mf = &flags->m[i];
        if ((mf->bits & WARN_M_DEAD) && !(mf->bits & WARN_M_BEN_DEAD) && mf->dead_on >= 0
            && s_beneficiary(out, ents, nents, mf, true, mf->dead_on, true))
            return -1;
        if ((mf->bits & WARN_M_JAILED) && !(mf->bits & WARN_M_BEN_JAILED) && mf->jailed_on >= 0
            && s_beneficiary(out, ents, nents, mf, false, mf->jailed_on, true))
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- alert records */

int warn_pb_strset(char **field, const char *value)
{
    char *copy = (char *)protobuf_c_empty_string;
    if (value && *value && !(copy = strdup(value)))
        return -1;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return 0;
}

Wrn__Alert *warn_alert_new(const char *alert_id, const char *household_id, const char *region,
                           const warn_signal_t *sig, int64_t now)
{
    Wrn__Alert *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    wrn__alert__init(a);
    a->raised_at = now;
    a->updated_at = now;
    if (warn_pb_strset(&a->alert_id, alert_id) || warn_pb_strset(&a->kind, sig->kind)
        || warn_pb_strset(&a->severity, sig->severity)
        || warn_pb_strset(&a->household_id, household_id)
        || warn_pb_strset(&a->id_number, sig->id_number) || warn_pb_strset(&a->region, region)
        || warn_pb_strset(&a->status, "open") || warn_pb_strset(&a->detail, sig->detail)) {
        wrn__alert__free_unpacked(a, NULL);
        return NULL;
    }
    return a;
}

int warn_alert_add_evidence(Wrn__Alert *a, const char *source, const char *record_id,
                            const char *batch_id)
{
    for (size_t i = 0; i < a->n_evidence; i++)
        if (s_eq(a->evidence[i]->source, source ? source : "")
            && s_eq(a->evidence[i]->record_id, record_id ? record_id : ""))
            return 0;
    Sais__Evidence **v = realloc(a->evidence, (a->n_evidence + 1) * sizeof *v);
    if (!v)
        return -1;
    a->evidence = v;
    Sais__Evidence *e = malloc(sizeof *e);
    if (!e)
        return -1;
    sais__evidence__init(e);
    if (warn_pb_strset(&e->source, source) || warn_pb_strset(&e->record_id, record_id)
        || warn_pb_strset(&e->batch_id, batch_id)) {
        sais__evidence__free_unpacked(e, NULL);
        return -1;
    }
    a->evidence[a->n_evidence++] = e;
    return 1;
}

int warn_alert_add_action(Wrn__Alert *a, const char *action)
{
    for (size_t i = 0; i < a->n_actions; i++)
        if (s_eq(a->actions[i], action))
            return 0;
    char **v = realloc(a->actions, (a->n_actions + 1) * sizeof *v);
    if (!v)
        return -1;
    a->actions = v;
    char *copy = strdup(action);
    if (!copy)
        return -1;
    a->actions[a->n_actions++] = copy;
    return 1;
}

int warn_alert_merge(Wrn__Alert *a, const warn_signal_t *sig)
{
    if (warn_severity_rank(sig->severity) <= warn_severity_rank(a->severity))
        return 0;
    return warn_pb_strset(&a->severity, sig->severity) ? -1 : 1;
}
