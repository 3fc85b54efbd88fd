/* warn_signals — the early-warning signals of DOMAIN.md ("Early-warning signals") as pure
 * functions: no I/O, no clock (the caller passes days), no LMDB. Most unit tests live here.
 *
 * A signal fires on an edge, not on a level: warn keeps, per household, the conditions it
 * has already signalled (warn_flags_t: household-level bits and per-member bits). A condition
 * that becomes true gives a signal with raise = true; one that stays true gives raise = false
 * (its new evidence may join the open alert, but it never opens a second one, and after a
 * caseworker resolved the alert it does not come back until the condition was false once).
 * Evaluating the same picture twice therefore signals nothing new the second time, which is
 * what makes compare.run a safety net rather than a duplicate of the event path.
 *
 * Money is integer fen; percentages are whole percent; days are days since 1970-01-01 as in
 * sais_clock (-1 = unknown).
 */
#ifndef WARN_SIGNALS_H
#define WARN_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>

#include "sais_config.h"
#include "sais_money.h"
#include "verify.pb-c.h"
#include "warn.pb-c.h"

/* Alert kinds and severities exactly as API.md spells them. */
#define WARN_K_CATASTROPHIC   "catastrophic_medical"
#define WARN_K_INCOME_DROP    "income_drop"
#define WARN_K_BREADWINNER    "breadwinner_death"
#define WARN_K_DISABILITY     "severe_disability"
#define WARN_K_DECEASED       "beneficiary_deceased"
#define WARN_K_INCARCERATED   "beneficiary_incarcerated"
#define WARN_K_ASSETS         "assets_over_limit"
#define WARN_K_VISIT_RISK     "visit_risk"
#define WARN_K_FOLLOW_UP      "follow_up_overdue"
#define WARN_K_RECHECK        "recheck_due"

/* The NULL-terminated list of every kind, in API.md order. */
extern const char *const warn_kinds[];
bool warn_kind_valid(const char *kind);

/* "low" < "medium" < "high"; 0 for anything else. */
int warn_severity_rank(const char *severity);

/* ---- parameters: every threshold is configuration (see warn_params_load). */
typedef struct {
    sais_fen_t catastrophic_oop;        /* warn.catastrophic_oop, 20000.00 */
    int        catastrophic_share_pct;  /* warn.catastrophic_share_pct, 50 */
    int        income_drop_pct;         /* warn.income_drop_pct, 50 */
    int        recheck_months;          /* warn.recheck_months, 12 */
    int        recheck_months_able;     /* warn.recheck_months_able, 6 */
    sais_fen_t dibao_line;              /* warn.dibao_line, 1200.00 */
    int        dibao_deposit_months;    /* warn.dibao_deposit_months, 24 */
    sais_fen_t dibao_vehicle_max;       /* warn.dibao_vehicle_max, 50000.00 */
    int        dibao_real_estate_max;   /* warn.dibao_real_estate_max, 1 */
    int        visit_risk_min;          /* warn.visit_risk_min, 2 */
    int        visit_risk_high;         /* warn.visit_risk_high, 3 */
} warn_params_t;

/* Fills *p from cfg: each warn.* key above is read from the configuration when the
 * configuration knows it, else its built-in default (the same table) is used, so the
 * service runs before the keys are added to common/sais_config.c. cfg may be NULL (all
 * defaults). 0, or -1 with the key and reason in err when a value does not parse or is out
 * of range. */
int warn_params_load(const sais_config_t *cfg, warn_params_t *p, char *err, size_t errlen);

/* ---- what warn knows of a household's entitlements (from rules' entitlement.* events) */
typedef struct {
    char       entitlement_id[96];
    char       policy[48];
    char       period[16];        /* monthly|one_off|status */
    char       status[16];        /* active|suspended|stopped|granted */
    char       change[24];        /* granted|amount_changed|suspended|resumed|stopped */
    sais_fen_t amount;
    sais_fen_t previous_amount;
    long       changed_on;        /* day of the latest change, -1 unknown */
    long       granted_on;
} warn_ent_t;

/* True if `e` (a monthly entitlement; of `policy` unless NULL) was in force on `day`:
 * active now, or suspended/stopped on `day` or later — so a death reported after rules
 * already stopped the benefit still counts (payments may have followed the death).
 * day < 0: only "active now" counts. */
bool warn_ent_in_force(const warn_ent_t *e, const char *policy, long day);
bool warn_ents_in_force(const warn_ent_t *e, size_t n, const char *policy, long day);
/* "dibao, disability_care": the distinct policies in force on `day`, in entitlement order. */
void warn_ents_policies(const warn_ent_t *e, size_t n, long day, char *out, size_t outlen);

/* The entry a rules event leaves in an alert's actions: "entitlement dibao suspended (E1)",
 * "entitlement dibao amount_changed 2400.00 -> 1200.00 (E1)". */
void warn_ent_action(const warn_ent_t *e, char *out, size_t outlen);
/* True if an alert of `kind` records what rules did with `e`: beneficiary_* alerts record
 * rules' reactions to monthly entitlements (suspended, resumed, stopped, amount_changed; not
 * a grant, nor a proactive case and its decision), catastrophic_medical the one-off grants.
 * When day >= 0 only changes on or after `day` count (an alert raised after rules already
 * reacted). */
bool warn_ent_relates(const char *kind, const warn_ent_t *e, long day);

/* ---- conditions already signalled */
enum { WARN_H_CATASTROPHIC = 1u << 0, WARN_H_INCOME_DROP = 1u << 1, WARN_H_ASSETS = 1u << 2 };
enum {
    WARN_M_DEAD       = 1u << 0,   /* the member's death was seen */
    WARN_M_JAILED     = 1u << 1,   /* the member is incarcerated (cleared on release) */
    WARN_M_SEVERE     = 1u << 2,   /* an active grade 1-2 certificate was seen */
    WARN_M_BEN_DEAD   = 1u << 3,   /* beneficiary_deceased was signalled for that death */
    WARN_M_BEN_JAILED = 1u << 4,   /* beneficiary_incarcerated was signalled for it */
};

typedef struct {
    char     id_number[24];
    unsigned bits;
    long     dead_on;     /* day of the death, -1 unknown */
    long     jailed_on;   /* day of the incarceration, -1 unknown */
} warn_mflag_t;

typedef struct {
    unsigned      hh;     /* WARN_H_* */
    warn_mflag_t *m;      /* owned; kept in insertion order (deterministic) */
    size_t        n, cap;
} warn_flags_t;

/* The member's entry, or NULL. */
warn_mflag_t *warn_flags_find(const warn_flags_t *f, const char *id_number);
/* The member's entry, added (bits 0, days -1) if missing; NULL when out of memory. */
warn_mflag_t *warn_flags_member(warn_flags_t *f, const char *id_number);
void warn_flags_clear(warn_flags_t *f);

/* ---- signals */
typedef struct {
    const char *kind;        /* WARN_K_* */
    const char *severity;    /* "low" | "medium" | "high" */
    const char *source;      /* the feed source whose records back it ("medical"), or NULL */
    bool        raise;       /* newly true; false = it persists (evidence for an open alert only) */
    bool        person;      /* a repeat about one person: joins only an alert about that person */
    long        day;         /* the happening's day (death, incarceration), -1 if none */
    char        id_number[24];
    char        detail[256];
} warn_signal_t;

typedef struct {
    warn_signal_t *v;        /* owned */
    size_t         n, cap;
} warn_signals_t;

void warn_signals_clear(warn_signals_t *s);

/* ---- the conditions, one by one (detail may be NULL) */
/* Household 12-month OOP >= catastrophic_oop and >= catastrophic_share_pct of the household's
 * 12-month income (a household without income passes the share test). */
bool warn_catastrophic(const warn_params_t *p, const Ver__Picture *pic, char *detail, size_t n);
/* Latest month's income < income_drop_pct of the previous 6-month average, that average > 0. */
bool warn_income_drop(const warn_params_t *p, const Ver__Picture *pic, char *detail, size_t n);
/* The picture breaks a dibao asset limit: deposits+securities per counted member > months x
 * line, a vehicle > vehicle_max, more than real_estate_max titles. (Whether the household is
 * a dibao household is the caller's question.) */
bool warn_assets_over(const warn_params_t *p, const Ver__Picture *pic, char *detail, size_t n);
/* True if member `id_number` had the highest 12-month income (> 0) among the picture's counted
 * members and itself (it need not be counted any more: the picture may already show the
 * death). A tie at the top makes each tied member a breadwinner. *income (may be NULL) gets
 * the member's 12-month income. */
bool warn_is_breadwinner(const Ver__Picture *pic, const char *id_number, sais_fen_t *income);
/* The member of `pic` with that id number, or NULL. */
const Ver__Member *warn_member(const Ver__Picture *pic, const char *id_number);

/* Evaluates a picture: `cur` is the new (or stored) picture, `prev` the one stored before it
 * (NULL if none, or when re-evaluating the stored picture). Updates *flags and appends the
 * signals to *out. 0, or -1 when out of memory. */
int warn_assess_picture(const warn_params_t *p, const Ver__Picture *prev, const Ver__Picture *cur,
                        const warn_ent_t *ents, size_t nents, warn_flags_t *flags,
                        warn_signals_t *out);

/* Evaluates a verify person.event against the stored picture (may be NULL). `today` is the
 * fallback day of an event without a date. Same returns. */
int warn_assess_person(const warn_params_t *p, const Ver__Picture *stored,
                       const Ver__PersonEvent *ev, const warn_ent_t *ents, size_t nents,
                       long today, warn_flags_t *flags, warn_signals_t *out);

/* Re-evaluates the stored state after the entitlements changed (and in compare.run): the
 * household-level conditions of `pic` (may be NULL), and a death or incarceration seen
 * before warn knew of an entitlement that was already granted then and in force on that
 * day (rules' and verify's events reach warn independently, in either order). Same returns. */
int warn_assess_household(const warn_params_t *p, const Ver__Picture *pic,
                          const warn_ent_t *ents, size_t nents, warn_flags_t *flags,
                          warn_signals_t *out);

/* ---- visits */
#define WARN_RISKS 6
extern const char *const warn_risk_names[WARN_RISKS]; /* economy, health, education, housing, employment, safety */
/* "high" / "medium" by the highest score, NULL if every score is below visit_risk_min.
 * *max (may be NULL) gets the highest score. */
const char *warn_visit_severity(const warn_params_t *p, const int risks[WARN_RISKS], int *max);

/* ---- dates */
/* `day` plus `months` calendar months; the day of month is clamped (08-31 + 6 -> 02-28/29). */
long warn_add_months(long day, int months);
/* When a dibao household last checked on `last_check` is due again; -1 if last_check < 0. */
long warn_recheck_due(const warn_params_t *p, long last_check, bool able_member);
/* The bureau's day (UTC+8) of a unix time; -1 for t <= 0. */
long warn_day_of(int64_t unix_seconds);
/* "YYYY-MM-DD" or NULL/"" -> day or -1. */
long warn_day_parse(const char *s);

/* ---- alert records (laid out as wrn__alert__unpack lays them out, so they are freed with
 * wrn__alert__free_unpacked(a, NULL) however they were built) */
/* A new open alert for the signal, or NULL when out of memory. */
Wrn__Alert *warn_alert_new(const char *alert_id, const char *household_id, const char *region,
                           const warn_signal_t *sig, int64_t now);
/* 1 if added, 0 if an evidence with the same source and record_id is there, -1 on OOM. */
int warn_alert_add_evidence(Wrn__Alert *a, const char *source, const char *record_id,
                            const char *batch_id);
/* 1 if added, 0 if the same text is there, -1 on OOM. */
int warn_alert_add_action(Wrn__Alert *a, const char *action);
/* Replaces a string field of a message laid out by unpack. 0 or -1. */
int warn_pb_strset(char **field, const char *value);
/* Merges a repeated signal into the open alert `a`: evidence is the caller's business;
 * this raises the severity if the signal's is higher. 1 if `a` changed, 0 if not, -1 OOM. */
int warn_alert_merge(Wrn__Alert *a, const warn_signal_t *sig);

#endif
