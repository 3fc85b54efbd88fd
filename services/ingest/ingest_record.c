/* ingest_record — see ingest_record.h.
 *
 * Each source is a table of rules (field, type, required, where it lands in the Fact); one
 * loop applies them, each type's check being a function below. Adding a source or a field
 * is a table edit, and every source gets the same treatment of absent, null and
 * wrongly-typed values. Cross-field rules (medical amounts) follow the loop.
 */
#include "ingest_record.h"
#include "ingest_field.h"
#include "ingest_text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_clock.h"
#include "sais_id.h"
#include "sais_json.h"
#include "sais_money.h"

/* ---- names */

static const char *const source_names[INGEST_SOURCE_COUNT] = {
    "hukou", "medical", "disability", "hrss", "civil", "justice", "assets",
};

static const char *const field_names[INGEST_FIELD_COUNT] = {
    "record_id", "id_number", "name", "household_id", "relation", "region", "phone", "event",
    "date", "settled_on", "total", "insurance_paid", "out_of_pocket", "category", "hospital",
    "certificate", "grade", "issued_on", "status", "month", "kind", "amount", "facility",
    "value", "as_of",
};

int ingest_source_from_name(const char *name, ingest_source_t *out)
{
    if (!name)
        return -1;
    for (int i = 0; i < INGEST_SOURCE_COUNT; i++)
        if (strcmp(name, source_names[i]) == 0) {
            if (out)
                *out = (ingest_source_t)i;
            return 0;
        }
    return -1;
}

const char *ingest_source_name(ingest_source_t src)
{
    return (unsigned)src < INGEST_SOURCE_COUNT ? source_names[src] : "unknown";
}

/* strlen of each field name, so a lookup compares a length and a first byte before any
 * memcmp: it runs for every key of every NDJSON line */
static const unsigned char field_lens[INGEST_FIELD_COUNT] = {
    9, 9, 4, 12, 8, 6, 5, 5, 4, 10, 5, 14, 13, 8, 8, 11, 5, 9, 6, 5, 4, 6, 8, 5, 5,
};

int ingest_field_from_name(const char *name, size_t len)
{
    if (len == 0)
        return -1;
    for (int i = 0; i < INGEST_FIELD_COUNT; i++)
        if (field_lens[i] == len && field_names[i][0] == name[0] &&
            memcmp(field_names[i], name, len) == 0)
            return i;
    return -1;
}

const char *ingest_field_name(ingest_field_t f)
{
    return (unsigned)f < INGEST_FIELD_COUNT ? field_names[f] : "unknown";
}

/* ---- the schemas */

typedef enum {
    T_TEXT,    /* free text or an identifier: trimmed, length-limited */
    T_ID,      /* resident ID number */
    T_NAME,    /* personal name: NFC, middle dot */
    T_ENUM,    /* one of a set, case-insensitive, stored lowercase */
    T_REGION,  /* 6-digit county code */
    T_PHONE,   /* 11 digits starting with 1, or empty */
    T_DATE,    /* a real date, not after today */
    T_MONTH,   /* YYYY-MM, not after this month */
    T_MONEY,   /* yuan, >= 0, at most 2 decimals -> fen */
    T_GRADE,   /* disability grade 1..4 */
} ftype_t;

typedef struct {
    ingest_field_t field;
    ftype_t type;
    bool required;
    unsigned limit;         /* T_TEXT: maximum length */
    bool limit_in_chars;    /* T_TEXT: limit counts code points rather than bytes */
    const char *const *set; /* T_ENUM: NULL-terminated */
    size_t off;             /* where the value lands in Ing__Fact */
} rule_t;

static const char *const RELATIONS[] = {"head", "spouse", "child", "parent", "grandchild",
                                        "sibling", "other", NULL};
static const char *const HUKOU_EVENTS[] = {"register", "update", "move_out", NULL};
static const char *const MEDICAL_CATEGORIES[] = {"general", "chronic", "serious", NULL};
static const char *const DISABILITY_CATEGORIES[] = {"visual", "hearing", "speech", "physical",
                                                    "intellectual", "mental", "multiple", NULL};
static const char *const DISABILITY_STATUSES[] = {"active", "revoked", NULL};
static const char *const HRSS_KINDS[] = {"wage", "pension", "unemployment_benefit", "business",
                                         NULL};
static const char *const CIVIL_EVENTS[] = {"death", "marriage", "divorce", NULL};
static const char *const JUSTICE_EVENTS[] = {"incarcerated", "released", NULL};
static const char *const ASSET_KINDS[] = {"real_estate", "vehicle", "deposit", "securities",
                                          "business", NULL};

#define AT(m) offsetof(Ing__Fact, m)
#define COMMON_RULES                                                                    \
    {INGEST_F_RECORD_ID, T_TEXT, true, INGEST_MAX_RECORD_ID, false, NULL, AT(record_id)}, \
    {INGEST_F_ID_NUMBER, T_ID, true, 0, false, NULL, AT(id_number)}

static const rule_t HUKOU_RULES[] = {
    COMMON_RULES,
    {INGEST_F_NAME, T_NAME, true, 0, false, NULL, AT(name)},
    {INGEST_F_HOUSEHOLD_ID, T_TEXT, true, 64, false, NULL, AT(household_id)},
    {INGEST_F_RELATION, T_ENUM, true, 0, false, RELATIONS, AT(relation)},
    {INGEST_F_REGION, T_REGION, true, 0, false, NULL, AT(region)},
    {INGEST_F_PHONE, T_PHONE, false, 0, false, NULL, AT(phone)},
    {INGEST_F_EVENT, T_ENUM, true, 0, false, HUKOU_EVENTS, AT(event)},
    {INGEST_F_DATE, T_DATE, true, 0, false, NULL, AT(date)},
};
static const rule_t MEDICAL_RULES[] = {
    COMMON_RULES,
    {INGEST_F_SETTLED_ON, T_DATE, true, 0, false, NULL, AT(date)},
    {INGEST_F_TOTAL, T_MONEY, true, 0, false, NULL, AT(total)},
    {INGEST_F_INSURANCE_PAID, T_MONEY, false, 0, false, NULL, AT(insurance_paid)},
    {INGEST_F_OUT_OF_POCKET, T_MONEY, true, 0, false, NULL, AT(out_of_pocket)},
    {INGEST_F_CATEGORY, T_ENUM, true, 0, false, MEDICAL_CATEGORIES, AT(category)},
    {INGEST_F_HOSPITAL, T_TEXT, false, 128, true, NULL, AT(hospital)},
};
static const rule_t DISABILITY_RULES[] = {
    COMMON_RULES,
    {INGEST_F_CERTIFICATE, T_TEXT, true, 64, false, NULL, AT(certificate)},
    {INGEST_F_CATEGORY, T_ENUM, true, 0, false, DISABILITY_CATEGORIES, AT(category)},
    {INGEST_F_GRADE, T_GRADE, true, 0, false, NULL, AT(grade)},
    {INGEST_F_ISSUED_ON, T_DATE, true, 0, false, NULL, AT(date)},
    {INGEST_F_STATUS, T_ENUM, true, 0, false, DISABILITY_STATUSES, AT(status)},
};
static const rule_t HRSS_RULES[] = {
    COMMON_RULES,
    {INGEST_F_MONTH, T_MONTH, true, 0, false, NULL, AT(month)},
    {INGEST_F_KIND, T_ENUM, true, 0, false, HRSS_KINDS, AT(kind)},
    {INGEST_F_AMOUNT, T_MONEY, true, 0, false, NULL, AT(amount)},
};
static const rule_t CIVIL_RULES[] = {
    COMMON_RULES,
    {INGEST_F_EVENT, T_ENUM, true, 0, false, CIVIL_EVENTS, AT(event)},
    {INGEST_F_DATE, T_DATE, true, 0, false, NULL, AT(date)},
};
static const rule_t JUSTICE_RULES[] = {
    COMMON_RULES,
    {INGEST_F_EVENT, T_ENUM, true, 0, false, JUSTICE_EVENTS, AT(event)},
    {INGEST_F_DATE, T_DATE, true, 0, false, NULL, AT(date)},
    {INGEST_F_FACILITY, T_TEXT, false, 128, true, NULL, AT(facility)},
};
static const rule_t ASSETS_RULES[] = {
    COMMON_RULES,
    {INGEST_F_KIND, T_ENUM, true, 0, false, ASSET_KINDS, AT(kind)},
    {INGEST_F_VALUE, T_MONEY, true, 0, false, NULL, AT(amount)},
    {INGEST_F_AS_OF, T_DATE, true, 0, false, NULL, AT(date)},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct {
    const rule_t *rules;
    size_t n;
} schemas[INGEST_SOURCE_COUNT] = {
    {HUKOU_RULES, N(HUKOU_RULES)},     {MEDICAL_RULES, N(MEDICAL_RULES)},
    {DISABILITY_RULES, N(DISABILITY_RULES)}, {HRSS_RULES, N(HRSS_RULES)},
    {CIVIL_RULES, N(CIVIL_RULES)},     {JUSTICE_RULES, N(JUSTICE_RULES)},
    {ASSETS_RULES, N(ASSETS_RULES)},
};

size_t ingest_source_fields(ingest_source_t src, ingest_field_t *out, size_t cap)
{
    if ((unsigned)src >= INGEST_SOURCE_COUNT)
        return 0;
    size_t n = schemas[src].n < cap ? schemas[src].n : cap;
    for (size_t i = 0; i < n; i++)
        out[i] = schemas[src].rules[i].field;
    return n;
}

/* ---- the validator */

#define MSG_LEN   240
#define ARENA_LEN 16384  /* every normalised string of one record; bounded by the limits */
#define NAME_MAX_BYTES 1024  /* a name longer than this in the raw is too long, whatever NFC does */

struct ingest_record {
    ingest_source_t src;
    long today;
    long this_month;
    char today_text[11];
    Ing__Fact fact;
    ingest_error_t errs[INGEST_MAX_ERRORS];
    char msgs[INGEST_MAX_ERRORS][MSG_LEN];
    size_t nerr;
    const char *record_id;
    char record_id_buf[INGEST_MAX_RECORD_ID + 1];
    size_t arena_used;
    char arena[ARENA_LEN];
};

ingest_record_t *ingest_record_new(ingest_source_t src, long today_days)
{
    if ((unsigned)src >= INGEST_SOURCE_COUNT)
        return NULL;
    ingest_record_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->src = src;
    self->today = today_days;
    self->this_month = sais_month_of(today_days);
    sais_date_format(today_days, self->today_text);
    ing__fact__init(&self->fact);
    return self;
}

void ingest_record_destroy(ingest_record_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

ingest_source_t ingest_record_source(const ingest_record_t *self)
{
    return self->src;
}

Ing__Fact *ingest_record_fact(ingest_record_t *self)
{
    return &self->fact;
}

const ingest_error_t *ingest_record_errors(const ingest_record_t *self, size_t *n)
{
    *n = self->nerr;
    return self->errs;
}

const char *ingest_record_id(const ingest_record_t *self)
{
    return self->record_id;
}

void ingest_record_reset(ingest_record_t *self)
{
    self->nerr = 0;
    self->record_id = NULL;
    self->arena_used = 0;
}

void ingest_record_add_error(ingest_record_t *self, const char *field, const char *code,
                             const char *fmt, ...)
{
    if (self->nerr == INGEST_MAX_ERRORS)
        return;
    char *m = self->msgs[self->nerr];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, MSG_LEN, fmt, ap);
    va_end(ap);
    self->errs[self->nerr++] = (ingest_error_t){field, code, m};
}

void ingest_record_set_id(ingest_record_t *self, const char *text, size_t len)
{
    ingest_trim(&text, &len);
    if (len == 0 || len > INGEST_MAX_RECORD_ID || !ingest_utf8_valid(text, len, NULL))
        return;
    memcpy(self->record_id_buf, text, len);
    self->record_id_buf[len] = '\0';
    self->record_id = self->record_id_buf;
}

/* A NUL-terminated copy in the record's arena; NULL if the arena is full (cannot happen
 * within the field limits, checked anyway). */
static char *arena_put(ingest_record_t *self, const char *s, size_t len)
{
    if (len + 1 > ARENA_LEN - self->arena_used)
        return NULL;
    char *p = self->arena + self->arena_used;
    memcpy(p, s, len);
    p[len] = '\0';
    self->arena_used += len + 1;
    return p;
}

/* Up to 32 bytes of a value for a message, cut on a character boundary, quotes escaped
 * away. Values are echoed only for fields that carry no personal data. */
static const char *quote(const char *s, size_t len, char out[48])
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < 32;) {
        size_t j = i;
        ingest_utf8_next(s, len, &j);
        if (n + (j - i) > 32)
            break;
        for (; i < j; i++)
            out[n++] = (s[i] == '"' || (unsigned char)s[i] < 0x20) ? '?' : s[i];
    }
    if (n < len && n + 3 < 48) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* ---- one rule at a time */

static void set_str(Ing__Fact *f, size_t off, char *s)
{
    memcpy((char *)f + off, &s, sizeof s);
}

static void set_i64(Ing__Fact *f, size_t off, int64_t v)
{
    memcpy((char *)f + off, &v, sizeof v);
}

/* The code for a value of the wrong shape in a field of this type. */
static const char *format_code(ftype_t t)
{
    switch (t) {
    case T_ID:     return INGEST_E_BAD_ID_NUMBER;
    case T_REGION: return INGEST_E_UNKNOWN_REGION;
    case T_DATE:   return INGEST_E_BAD_DATE;
    case T_MONEY:  return INGEST_E_BAD_AMOUNT;
    default:       return INGEST_E_OUT_OF_RANGE;
    }
}

static bool store(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    char *p = arena_put(self, s, len);
    if (!p) {
        ingest_record_add_error(self, ingest_field_name(r->field), INGEST_E_TOO_LONG,
                                "%s is too long", ingest_field_name(r->field));
        return false;
    }
    set_str(&self->fact, r->off, p);
    return true;
}

static bool check_text(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    size_t n = r->limit_in_chars ? ingest_utf8_count(s, len) : len;
    if (n > r->limit) {
        ingest_record_add_error(self, fname, INGEST_E_TOO_LONG, "%s has %zu %s, at most %u",
                                fname, n, r->limit_in_chars ? "characters" : "bytes", r->limit);
        return false;
    }
    if (!store(self, r, s, len))
        return false;
    if (r->field == INGEST_F_RECORD_ID) {
        char *stored;
        memcpy(&stored, (char *)&self->fact + r->off, sizeof stored);
        self->record_id = stored;
    }
    return true;
}

static bool check_id(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    char q[48], folded[19];
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x80)
            continue;
        size_t n = ingest_fold_fullwidth_id(s, len, folded);
        if (n == 0) {
            ingest_record_add_error(self, fname, INGEST_E_BAD_ID_NUMBER,
                                    "%s \"%s\" has characters other than the digits 0-9 and X",
                                    fname, quote(s, len, q));
            return false;
        }
        if (n == 18) {
            s = folded;
            len = 18;
        }
        break;
    }
    if (ingest_looks_scientific(s, len)) {
        ingest_record_add_error(self, fname, INGEST_E_BAD_ID_NUMBER,
                                "%s \"%s\" looks like a number in scientific notation from a "
                                "spreadsheet, which has lost the ID's digits; format the column "
                                "as text and export again", fname, quote(s, len, q));
        return false;
    }
    if (len != 18) {
        ingest_record_add_error(self, fname, INGEST_E_BAD_ID_NUMBER,
                                "%s must be 18 characters, got %zu", fname,
                                ingest_utf8_count(s, len));
        return false;
    }
    char in[19], out[19];
    memcpy(in, s, 18);
    in[18] = '\0';
    sais_id_status_t st = sais_id_check(in, self->today, out);
    if (st != SAIS_ID_OK) {
        const char *code = sais_id_code(st);
        const char *msg = sais_id_message(st);
        ingest_record_add_error(self, fname, code ? code : INGEST_E_BAD_ID_NUMBER, "%s: %s",
                                fname, msg ? msg : "not a valid resident ID number");
        return false;
    }
    return store(self, r, out, 18);
}

static bool check_name(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    if (len > NAME_MAX_BYTES) {
        ingest_record_add_error(self, fname, INGEST_E_TOO_LONG,
                                "%s has %zu characters, at most %d", fname,
                                ingest_utf8_count(s, len), INGEST_MAX_NAME_CHARS);
        return false;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
            ingest_record_add_error(self, fname, INGEST_E_OUT_OF_RANGE,
                                    "%s contains control characters", fname);
            return false;
        }
    /* A private-use code point is a character only the sending system knows: a rare
     * character of a name that its registry made up itself (自造字) shows here as a box or as
     * another character, and a person could no longer be found by name. */
    uint32_t cp;
    if (ingest_private_use(s, len, &cp)) {
        ingest_record_add_error(self, fname, INGEST_E_OUT_OF_RANGE,
                                "%s has U+%04X, a private-use character only the sending system "
                                "knows (a 自造字): send the name with the character's code point "
                                "in Unicode / GB18030-2022", fname, (unsigned)cp);
        return false;
    }
    size_t room = ARENA_LEN - self->arena_used, chars = 0;
    long n = ingest_name_normalise(s, len, self->arena + self->arena_used, room, &chars);
    if (n < 0 || chars > INGEST_MAX_NAME_CHARS) {
        ingest_record_add_error(self, fname, INGEST_E_TOO_LONG,
                                "%s has %zu characters, at most %d", fname,
                                n < 0 ? ingest_utf8_count(s, len) : chars,
                                INGEST_MAX_NAME_CHARS);
        return false;
    }
    set_str(&self->fact, r->off, self->arena + self->arena_used);
    self->arena_used += (size_t)n + 1;
    return true;
}

static bool check_enum(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    char low[33];
    if (len < sizeof low) {
        for (size_t i = 0; i < len; i++)
            low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        low[len] = '\0';
        for (const char *const *e = r->set; *e; e++)
            if (strcmp(low, *e) == 0) {
                /* the table's own string: static, no copy needed */
                set_str(&self->fact, r->off, (char *)*e);
                return true;
            }
    }
    char list[160] = "", q[48];
    size_t used = 0;
    for (const char *const *e = r->set; *e && used + 32 < sizeof list; e++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", e == r->set ? "" : ", ",
                                 *e);
    ingest_record_add_error(self, fname, INGEST_E_OUT_OF_RANGE, "%s \"%s\" is not one of %s",
                            fname, quote(s, len, q), list);
    return false;
}

static bool check_region(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    char code[7], q[48];
    bool ok = len == 6;
    for (size_t i = 0; ok && i < 6; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    if (ok) {
        memcpy(code, s, 6);
        code[6] = '\0';
        ok = sais_region_valid(code);
    }
    if (!ok) {
        ingest_record_add_error(self, fname, INGEST_E_UNKNOWN_REGION,
                                "%s \"%s\" is not a 6-digit county code of a known province",
                                fname, quote(s, len, q));
        return false;
    }
    return store(self, r, code, 6);
}

static bool check_phone(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    char digits[12];
    if (!ingest_parse_phone(s, len, digits)) {
        ingest_record_add_error(self, fname, INGEST_E_OUT_OF_RANGE,
                                "%s must be a mobile number of 11 digits starting with 1, or empty",
                                fname);
        return false;
    }
    return store(self, r, digits, 11);
}

static bool check_date(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    char q[48], iso[11];
    long days = 0;
    switch (ingest_parse_date(s, len, &days)) {
    case INGEST_DATE_OK:
        break;
    case INGEST_DATE_EXCEL_SERIAL:
        if (ingest_excel_serial_date(s, len, iso)) {
            ingest_record_add_error(self, fname, INGEST_E_BAD_DATE,
                                    "%s \"%s\" looks like an Excel serial date (it would be %s); "
                                    "format the column as text YYYY-MM-DD and export again",
                                    fname, quote(s, len, q), iso);
            return false;
        }
        /* "0" is no serial: it is just not a date */
        __attribute__((fallthrough));
    case INGEST_DATE_BAD:
    default:
        ingest_record_add_error(self, fname, INGEST_E_BAD_DATE,
                                "%s \"%s\" is not a real date in the form YYYY-MM-DD", fname,
                                quote(s, len, q));
        return false;
    case INGEST_DATE_BEFORE_1900:
        ingest_record_add_error(self, fname, INGEST_E_BAD_DATE, "%s \"%s\" is before 1900",
                                fname, quote(s, len, q));
        return false;
    }
    sais_date_format(days, iso);
    if (days > self->today) {
        ingest_record_add_error(self, fname, INGEST_E_BAD_DATE, "%s %s is after today (%s)",
                                fname, iso, self->today_text);
        return false;
    }
    return store(self, r, iso, 10);
}

static bool check_month(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    char q[48], ym[8];
    long months;
    if (!ingest_parse_month(s, len, &months)) {
        ingest_record_add_error(self, fname, INGEST_E_OUT_OF_RANGE,
                                "%s \"%s\" is not a month in the form YYYY-MM", fname,
                                quote(s, len, q));
        return false;
    }
    sais_month_format(months, ym);
    if (months > self->this_month) {
        ingest_record_add_error(self, fname, INGEST_E_OUT_OF_RANGE,
                                "%s %s is after the current month", fname, ym);
        return false;
    }
    return store(self, r, ym, 7);
}

/* Money from a JSON number. A real that is a whole number of fen below 1e12 yuan is
 * recognised with one multiplication; that is every amount a feed sends, and it gives the
 * same result as sais_json_money's shortest-text parse (at these magnitudes two-decimal
 * values are far apart compared with a double's precision), which handles the rest. */
static sais_money_status_t json_money(const json_t *j, int64_t *fen)
{
    if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d >= 0 && d < 1e12) {
            long long f = llround(d * 100.0);
            if ((double)f / 100.0 == d) {
                *fen = f;
                return SAIS_MONEY_OK;
            }
        }
    }
    return sais_json_money(j, false, fen);
}

static bool check_money(ingest_record_t *self, const rule_t *r, const ingest_value_t *v,
                        const char *s, size_t len, int64_t *fen)
{
    const char *fname = ingest_field_name(r->field);
    char q[48];
    sais_money_status_t st = (v->kind == INGEST_V_NUMBER && v->json)
                                 ? json_money(v->json, fen)
                                 : sais_money_parse(s, len, false, fen);
    if (st != SAIS_MONEY_OK) {
        const char *why = sais_money_message(st);
        ingest_record_add_error(self, fname, INGEST_E_BAD_AMOUNT, "%s \"%s\": %s", fname,
                                quote(s, len, q), why ? why : "not an amount of money");
        return false;
    }
    set_i64(&self->fact, r->off, *fen);
    return true;
}

static bool check_grade(ingest_record_t *self, const rule_t *r, const char *s, size_t len)
{
    const char *fname = ingest_field_name(r->field);
    char q[48];
    if (len != 1 || s[0] < '1' || s[0] > '4') {
        ingest_record_add_error(self, fname, INGEST_E_OUT_OF_RANGE,
                                "%s \"%s\" is not 1, 2, 3 or 4", fname, quote(s, len, q));
        return false;
    }
    int32_t g = s[0] - '0';
    memcpy((char *)&self->fact + r->off, &g, sizeof g);
    return true;
}

/* medical: what the patient paid cannot exceed the bill, and the parts must add up */
static void check_medical(ingest_record_t *self, const bool *have, const int64_t *fen)
{
    if (!have[INGEST_F_TOTAL] || !have[INGEST_F_OUT_OF_POCKET])
        return;
    char a[SAIS_MONEY_BUF], b[SAIS_MONEY_BUF], c[SAIS_MONEY_BUF];
    int64_t total = fen[INGEST_F_TOTAL], oop = fen[INGEST_F_OUT_OF_POCKET];
    if (oop > total) {
        ingest_record_add_error(self, "out_of_pocket", INGEST_E_INCONSISTENT,
                                "out_of_pocket %s is more than total %s",
                                sais_money_format(oop, a), sais_money_format(total, b));
        return;
    }
    if (have[INGEST_F_INSURANCE_PAID]) {
        int64_t ins = fen[INGEST_F_INSURANCE_PAID];
        if (ins + oop != total)
            ingest_record_add_error(self, "insurance_paid", INGEST_E_INCONSISTENT,
                                    "insurance_paid %s + out_of_pocket %s is not total %s",
                                    sais_money_format(ins, a), sais_money_format(oop, b),
                                    sais_money_format(total, c));
    } else {
        /* not sent: it is what the fund paid of the bill */
        self->fact.insurance_paid = total - oop;
    }
}

/* A JSON number as text: integers as they are, reals in the shortest form that reads back
 * to the same double (what the sender most likely wrote: 4.40524e+17, 45231). */
static const char *number_text(const json_t *j, char *buf, size_t cap)
{
    if (json_is_integer(j)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return buf;
    }
    double d = json_real_value(j);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return buf;
}

size_t ingest_record_check(ingest_record_t *self, const ingest_value_t *vals, uint32_t line)
{
    ingest_record_reset(self);
    ing__fact__init(&self->fact);
    self->fact.source = (char *)source_names[self->src];
    self->fact.line = line;

    bool have[INGEST_FIELD_COUNT] = {false};
    int64_t fen[INGEST_FIELD_COUNT] = {0};
    const rule_t *rules = schemas[self->src].rules;

    for (size_t k = 0; k < schemas[self->src].n; k++) {
        const rule_t *r = &rules[k];
        const ingest_value_t *v = &vals[r->field];
        const char *fname = ingest_field_name(r->field);
        const char *s = NULL;
        size_t len = 0;

        if (v->kind == INGEST_V_OTHER) {
            ingest_record_add_error(self, fname, format_code(r->type),
                                    "%s must be a string or a number", fname);
            continue;
        }
        char num[48];
        if (v->kind == INGEST_V_NUMBER && !v->text) {
            if (!v->json) {
                s = "";
            } else if (r->type == T_MONEY) {
                int64_t f;
                if (json_money(v->json, &f) == SAIS_MONEY_OK) {
                    /* the common case: no text needed at all */
                    set_i64(&self->fact, r->off, f);
                    fen[r->field] = f;
                    have[r->field] = true;
                    continue;
                }
                s = number_text(v->json, num, sizeof num);
            } else {
                s = number_text(v->json, num, sizeof num);
            }
            len = strlen(s);
        } else if (v->kind == INGEST_V_TEXT || v->kind == INGEST_V_NUMBER) {
            s = v->text ? v->text : "";
            len = v->text ? v->len : 0;
            ingest_trim(&s, &len);
        }
        if (len == 0) {
            if (r->required)
                ingest_record_add_error(self, fname, INGEST_E_MISSING_FIELD, "%s is required",
                                        fname);
            continue;
        }
        size_t bad_at;
        if (!ingest_utf8_valid(s, len, &bad_at)) {
            ingest_record_add_error(self, fname, INGEST_E_BAD_ENCODING,
                                    "%s is not valid UTF-8 (byte %zu)", fname, bad_at + 1);
            continue;
        }
        bool ok = false;
        switch (r->type) {
        case T_TEXT:   ok = check_text(self, r, s, len); break;
        case T_ID:     ok = check_id(self, r, s, len); break;
        case T_NAME:   ok = check_name(self, r, s, len); break;
        case T_ENUM:   ok = check_enum(self, r, s, len); break;
        case T_REGION: ok = check_region(self, r, s, len); break;
        case T_PHONE:  ok = check_phone(self, r, s, len); break;
        case T_DATE:   ok = check_date(self, r, s, len); break;
        case T_MONTH:  ok = check_month(self, r, s, len); break;
        case T_MONEY:  ok = check_money(self, r, v, s, len, &fen[r->field]); break;
        case T_GRADE:  ok = check_grade(self, r, s, len); break;
        }
        have[r->field] = ok;
    }
    if (self->src == INGEST_MEDICAL)
        check_medical(self, have, fen);
    return self->nerr;
}
