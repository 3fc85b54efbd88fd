/* gen_internal — what the generator's files share (not for use outside tools/gen*.c).
 *
 * The generator works in two passes. gen_plan builds every household and person in memory
 * (ages, ID numbers, income, deaths, prison terms, disability) from one sequential PRNG
 * stream, because ID numbers must be unique and that needs one order. gen_emit then renders
 * each feed from that plan; each source is written by one thread and draws its detail from
 * PRNG streams keyed by (seed, source, person or household index), so the output does not
 * depend on which thread runs what or when.
 *
 * Dates are days since 1970-01-01 and months are year*12 + month-1, as in sais_clock.
 * Money is integer fen throughout.
 */
#ifndef SAIS_GEN_INTERNAL_H
#define SAIS_GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- PRNG: splitmix64. One state per stream; streams are keyed, never shared by threads. */
typedef struct {
    uint64_t s;
} gen_rng_t;

static inline uint64_t
gen_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t
gen_rng_next(gen_rng_t *r)
{
    return gen_mix64(r->s += 0x9E3779B97F4A7C15ULL);
}

/* Uniform in [0, n), n <= 2^32. */
static inline uint32_t
gen_rng_below(gen_rng_t *r, uint32_t n)
{
    return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi] (inclusive), hi - lo < 2^32. */
static inline int64_t
gen_rng_range(gen_rng_t *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)gen_rng_below(r, (uint32_t)(hi - lo + 1));
}

/* True with probability permille/1000. */
static inline bool
gen_rng_chance(gen_rng_t *r, uint32_t permille)
{
    return gen_rng_below(r, 1000) < permille;
}

static inline gen_rng_t
gen_rng_for(uint64_t seed, uint32_t stream, uint64_t index)
{
    gen_rng_t r = { gen_mix64(seed ^ gen_mix64(((uint64_t)stream << 40) ^ index ^ 0x5A15ULL)) };
    return r;
}

/* ---- the feeds */
typedef enum {
    GEN_SRC_HUKOU = 0,
    GEN_SRC_MEDICAL,
    GEN_SRC_DISABILITY,
    GEN_SRC_HRSS,
    GEN_SRC_CIVIL,
    GEN_SRC_JUSTICE,
    GEN_SRC_ASSETS,
    GEN_SRC_COUNT
} gen_src_t;

extern const char *const gen_src_name[GEN_SRC_COUNT];

enum { GEN_REL_HEAD = 0, GEN_REL_SPOUSE, GEN_REL_CHILD, GEN_REL_PARENT, GEN_REL_GRANDCHILD,
       GEN_REL_SIBLING, GEN_REL_OTHER };
extern const char *const gen_rel_name[7];

enum { GEN_INC_NONE = 0, GEN_INC_WAGE, GEN_INC_PENSION, GEN_INC_UNEMP, GEN_INC_BUSINESS };
extern const char *const gen_inc_name[5];

enum { GEN_DIS_VISUAL = 1, GEN_DIS_HEARING, GEN_DIS_SPEECH, GEN_DIS_PHYSICAL,
       GEN_DIS_INTELLECTUAL, GEN_DIS_MENTAL, GEN_DIS_MULTIPLE };
extern const char *const gen_dis_name[8];   /* index = category code, [0] unused */

enum { GEN_MED_GENERAL = 0, GEN_MED_CHRONIC, GEN_MED_SERIOUS };
extern const char *const gen_med_name[3];

enum { GEN_AS_REAL_ESTATE = 0, GEN_AS_VEHICLE, GEN_AS_DEPOSIT, GEN_AS_SECURITIES, GEN_AS_BUSINESS };
extern const char *const gen_asset_name[5];

/* The 12 county-level codes of the demo city, then real codes elsewhere in China. */
#define GEN_WENZHOU 12
extern const char *const gen_addr_code[];
extern const size_t gen_addr_count;
int gen_addr_index(const char *code);   /* -1 if not in the table */

#define GEN_NONE INT32_MIN   /* "no such date" */

/* A person as planned. `spec` is 0 for a random person, else 1 + the planted member's
 * index (see gen_planted.c). */
typedef struct {
    char     id[18];
    uint8_t  rel, female, kind, back;   /* back: months of income before the 12-month window */
    int32_t  birth, reg, death, jail, release, dis_issued;
    int32_t  income;                    /* base monthly income, fen */
    uint32_t hh;
    uint16_t spec;
    uint8_t  surname, given0, given1, glen;
    uint8_t  dis_grade, dis_cat, dis_revoked, addr;
} gen_person_t;

typedef struct {
    uint32_t first;      /* index of the first member in gen_t.p */
    uint32_t seq;        /* household_id = "H" region seq (at least 6 digits) */
    uint16_t planted;    /* 0 random, else 1 + planted household index */
    uint8_t  size, region;
} gen_household_t;

typedef struct {
    uint64_t seed;
    long     persons;                /* requested total, planted included */
    long     today;
    int      ty, tm, td;
    long     lm;                     /* last complete month before today */
    long     dmin, dmax;             /* range of the date table */
    char   (*date)[10];              /* date[d - dmin] = "YYYY-MM-DD" (no NUL) */
    long     mmin, mmax;
    char   (*month)[7];              /* month[m - mmin] = "YYYY-MM" (no NUL) */
    gen_person_t    *p;
    size_t           np;
    gen_household_t *h;
    size_t           nh;
    uint16_t        *slots;          /* ID sequence counters per (address, birth day, sex) */
    uint32_t         region_seq[GEN_WENZHOU];
} gen_t;

/* ---- a buffered NDJSON writer. Errors are sticky (err != 0); bytes/records are counted. */
typedef struct {
    FILE    *f;
    char    *buf;
    size_t   len, cap;
    uint64_t records, bytes, next_id;
    int      err;
    char     prefix[4];              /* record_id prefix, e.g. "SS" */
    int      id_width;
} gen_out_t;

int  gen_out_open(gen_out_t *o, const char *path, const char *prefix, int id_width);
int  gen_out_flush(gen_out_t *o);
int  gen_out_close(gen_out_t *o);     /* flushes, fcloses, frees; 0 or -1 */

static inline void
gen_out_mem(gen_out_t *o, const void *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}
#define gen_out_lit(o, s) gen_out_mem((o), (s), sizeof(s) - 1)

static inline void
gen_out_str(gen_out_t *o, const char *s)
{
    gen_out_mem(o, s, strlen(s));
}

/* Unsigned decimal, zero-padded to at least `width` digits. */
static inline void
gen_out_uint(gen_out_t *o, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        o->buf[o->len++] = tmp[--n];
}

/* Yuan with exactly two decimals from fen: 3216000 -> 32160.00. */
static inline void
gen_out_fen(gen_out_t *o, int64_t fen)
{
    if (fen < 0) {
        o->buf[o->len++] = '-';
        fen = -fen;
    }
    gen_out_uint(o, (uint64_t)(fen / 100), 1);
    o->buf[o->len++] = '.';
    o->buf[o->len++] = (char)('0' + fen % 100 / 10);
    o->buf[o->len++] = (char)('0' + fen % 10);
}

/* Starts a record: {"record_id":"<prefix><n>","id_number":"<id>" */
void gen_out_begin(gen_out_t *o, const char *id18);

/* Ends it with "}\n" and flushes when the buffer is nearly full. */
static inline void
gen_out_end(gen_out_t *o)
{
    gen_out_lit(o, "}\n");
    if (o->len > o->cap - 4096)
        gen_out_flush(o);
}

void gen_out_date(gen_out_t *o, const gen_t *g, long day);
void gen_out_month(gen_out_t *o, const gen_t *g, long month);

/* ---- gen_plan.c */
/* Builds households and persons (planted ones spread among them). 0 or -1 (allocation). */
int  gen_plan_build(gen_t *g);
void gen_plan_free(gen_t *g);
/* Gives `p` a unique ID number for address index `addr` and p->birth, p->female; moves
 * the birth date earlier by days when that day's sequence numbers are used up. */
void gen_plan_assign_id(gen_t *g, gen_person_t *p, int addr);
/* birth date whose age on today is `age`, `offset` days from the anniversary (> 0: one
 * year younger until then). Handles 29 February. */
long gen_birth_for_age(const gen_t *g, int age, int offset);
int  gen_age(const gen_t *g, long birth, long day);
void gen_name(const gen_person_t *p, char out[32]);
void gen_household_id(const gen_t *g, const gen_household_t *h, char out[24]);

/* ---- gen_emit.c: renders source `src` of every household into `o`. 0 or -1. */
int  gen_emit_source(gen_t *g, gen_src_t src, gen_out_t *o);
/* One record of each source, for the planted households too. */
void gen_emit_phone(gen_rng_t *r, char out[12]);
void gen_emit_hukou_record(gen_t *g, gen_out_t *o, const gen_person_t *p, const char *name,
                           const char *phone, const char *event, long date);
void gen_emit_hrss_record(gen_t *g, gen_out_t *o, const char *id, long month, int kind, int64_t fen);
void gen_emit_medical_record(gen_t *g, gen_out_t *o, const char *id, long day, int64_t total,
                             int64_t oop, int cat, const char *hospital);
void gen_emit_disability_record(gen_t *g, gen_out_t *o, const gen_person_t *p);
void gen_emit_event_record(gen_t *g, gen_out_t *o, const char *id, const char *event, long day,
                           const char *facility);
void gen_emit_asset_record(gen_t *g, gen_out_t *o, const char *id, int kind, int64_t value, long as_of);
const char *gen_hospital_name(size_t i);
const char *gen_facility_name(size_t i);

/* ---- planted households (gen_planted.c: the table, gen_planted_json.c: planted.json) */
enum { GEN_POL_DIBAO = 0, GEN_POL_TEKUN, GEN_POL_MARGINAL, GEN_POL_TEMP_MEDICAL,
       GEN_POL_DISABILITY_CARE, GEN_POL_DISABILITY_LIVING, GEN_POL_COUNT };
extern const char *const gen_pol_name[GEN_POL_COUNT];

enum { GEN_SIG_CATASTROPHIC_MEDICAL = 0, GEN_SIG_INCOME_DROP, GEN_SIG_BREADWINNER_DEATH,
       GEN_SIG_SEVERE_DISABILITY, GEN_SIG_BENEFICIARY_DECEASED, GEN_SIG_BENEFICIARY_INCARCERATED,
       GEN_SIG_ASSETS_OVER_LIMIT, GEN_SIG_VISIT_RISK, GEN_SIG_FOLLOW_UP_OVERDUE,
       GEN_SIG_RECHECK_DUE, GEN_SIG_COUNT };
extern const char *const gen_sig_name[GEN_SIG_COUNT];
extern const char *const gen_sig_severity[GEN_SIG_COUNT];

/* Expected policy outcome: 0 not eligible, GEN_UNDET undecided by DOMAIN.md (not checked),
 * GEN_YES(fen) eligible with that amount (GEN_YES(0) for `marginal`, which has none). */
#define GEN_UNDET (-1)
#define GEN_YES(fen) ((int64_t)(fen) + 1)

/* Day offsets below are relative to today (negative = in the past); 0 means "default". */
#define GEN_ANNIV 100000   /* born exactly `age` years before today */

typedef struct {
    const char *rel, *name;
    char        sex;            /* 'M' or 'F' */
    int         age, born;      /* born: days from the `age`-th anniversary; 0 = 17..316 days before */
    const char *addr;           /* ID address code; NULL = the household's region */
    int         inc;            /* GEN_INC_* */
    int64_t     amt;            /* monthly fen over the 12-month window */
    int         pat;            /* GEN_PAT_* */
    int64_t     par;
    int         back;           /* months before the window (paid amt + 1000.00); 0 = 2, -1 = none */
    int         dg, dc, drev, dis;   /* disability grade, category, revoked, issued (0 = -2000) */
    int         death, jail, release;
} gen_pmember_t;

enum { GEN_PAT_CONST = 0,   /* amt every month */
       GEN_PAT_UNEVEN,      /* amt +/- 0.37 alternating, plus `par` fen in the last month:
                               the 12-month sum is 12*amt + par */
       GEN_PAT_LAST };      /* amt, except `par` in the last complete month */

typedef struct {
    int         m, day;
    int64_t     total, oop;
    int         cat;
    const char *hospital;
} gen_pmed_t;

typedef struct {
    int     m, kind;
    int64_t value;
    int     day;                /* as_of; 0 = last day of the last complete month */
} gen_passet_t;

typedef struct {
    const char   *tag, *region;
    gen_pmember_t m[6];
    gen_pmed_t    med[4];
    gen_passet_t  as[4];
    int64_t       dibao, tekun, marginal, temp_medical, care, living;
    unsigned      sig, maybe;   /* bit i = gen_sig_name[i] expected / depends on reading */
    const char   *maybe_why;
} gen_phh_t;

typedef struct {
    const char *name, *tag;
    int         member;         /* whose id_number the case names */
    int         is_signal, which;
    const char *note;
} gen_pcase_t;

extern const gen_phh_t   gen_phh[];
extern const size_t      gen_phh_count;
extern const gen_pcase_t gen_pcase[];
extern const size_t      gen_pcase_count;
extern const size_t      gen_need_case_count;   /* visit/time cases written after gen_pcase */
size_t gen_planted_members(const gen_phh_t *s);
size_t gen_planted_index(const char *tag);   /* SIZE_MAX if unknown (a table bug) */

/* ---- gen_planted.c */
size_t gen_planted_household_count(void);
size_t gen_planted_person_count(void);
/* Fills planted household `k` into h (region, size) and its members starting at `first`
 * (IDs assigned). */
void gen_planted_fill(gen_t *g, size_t k, gen_household_t *h, gen_person_t *first);
/* Renders planted household h's records of `src`. */
void gen_planted_emit(gen_t *g, gen_src_t src, const gen_household_t *h, gen_out_t *o);
/* Writes planted.json. 0 or -1. */
int  gen_planted_write_json(gen_t *g, const char *path, uint64_t *bytes);

#endif
