/* ingest_record — one partner record's fields in, a validated and normalised Ing__Fact
 * (proto/ingest.proto) or the list of everything wrong with it out.
 *
 * Pure logic: no I/O. The rules are DOMAIN.md "Feeds" and API.md "Partner feeds"; the
 * per-source schemas are a table in ingest_record.c. ingest_stream feeds this module; a
 * caller with one record in hand (a test, a single-record API) may use it directly.
 *
 * Ownership: an ingest_record_t owns the Ing__Fact, the error list and every string they
 * point to. They stay valid until the next ingest_record_check / _reset on the same object
 * or its destruction. One object is reused for every record of a batch, so checking a
 * record allocates nothing (names needing NFC excepted, see ingest_text.h).
 */
#ifndef INGEST_RECORD_H
#define INGEST_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.pb-c.h"

typedef enum {
    INGEST_HUKOU,
    INGEST_MEDICAL,
    INGEST_DISABILITY,
    INGEST_HRSS,
    INGEST_CIVIL,
    INGEST_JUSTICE,
    INGEST_ASSETS,
    INGEST_SOURCE_COUNT
} ingest_source_t;

/* "hukou" -> INGEST_HUKOU etc. Returns 0, or -1 for an unknown name. */
int ingest_source_from_name(const char *name, ingest_source_t *out);
/* The API name of a source ("medical"); static string. */
const char *ingest_source_name(ingest_source_t src);

/* Every field any source knows, by its NDJSON key / CSV column name. */
typedef enum {
    INGEST_F_RECORD_ID,
    INGEST_F_ID_NUMBER,
    INGEST_F_NAME,
    INGEST_F_HOUSEHOLD_ID,
    INGEST_F_RELATION,
    INGEST_F_REGION,
    INGEST_F_PHONE,
    INGEST_F_EVENT,
    INGEST_F_DATE,
    INGEST_F_SETTLED_ON,
    INGEST_F_TOTAL,
    INGEST_F_INSURANCE_PAID,
    INGEST_F_OUT_OF_POCKET,
    INGEST_F_CATEGORY,
    INGEST_F_HOSPITAL,
    INGEST_F_CERTIFICATE,
    INGEST_F_GRADE,
    INGEST_F_ISSUED_ON,
    INGEST_F_STATUS,
    INGEST_F_MONTH,
    INGEST_F_KIND,
    INGEST_F_AMOUNT,
    INGEST_F_FACILITY,
    INGEST_F_VALUE,
    INGEST_F_AS_OF,
    INGEST_FIELD_COUNT
} ingest_field_t;

/* Field id for a name of `len` bytes (exact, lowercase); -1 if no source knows it. */
int ingest_field_from_name(const char *name, size_t len);
/* The field's name; static string. */
const char *ingest_field_name(ingest_field_t f);
/* The fields `src` reads, record_id and id_number first, copied into out[cap]; returns
 * how many (at most INGEST_FIELD_COUNT). */
size_t ingest_source_fields(ingest_source_t src, ingest_field_t *out, size_t cap);

/* One field's value as the parser saw it. Text is not necessarily NUL-terminated and is
 * borrowed: it must stay valid for the duration of ingest_record_check. */
typedef enum {
    INGEST_V_ABSENT = 0, /* no such key / column (a zeroed value is absent) */
    INGEST_V_NULL,       /* JSON null */
    INGEST_V_TEXT,       /* a JSON string or a CSV cell */
    INGEST_V_NUMBER,     /* a JSON number in `json`; `text` its decimal form, or NULL
                            to have it derived when a rule needs text */
    INGEST_V_OTHER,      /* a JSON true/false/object/array */
} ingest_vkind_t;

typedef struct {
    ingest_vkind_t kind;
    const char    *text;
    size_t         len;
    const json_t  *json;  /* INGEST_V_NUMBER only (money is read from it exactly) */
} ingest_value_t;

/* One reason a record was rejected. `field` is a static field name, or NULL when the
 * record as a whole is at fault (bad_json, bad_csv, a line too long). `code` is one of the
 * API codes below (static); `message` a sentence for people, owned by the ingest_record_t. */
typedef struct {
    const char *field;
    const char *code;
    const char *message;
} ingest_error_t;

/* The error codes, exactly as the API reports them. */
#define INGEST_E_BAD_ID_NUMBER   "bad_id_number"
#define INGEST_E_BAD_CHECK_DIGIT "bad_check_digit"
#define INGEST_E_BAD_BIRTH_DATE  "bad_birth_date"
#define INGEST_E_MISSING_FIELD   "missing_field"
#define INGEST_E_BAD_DATE        "bad_date"
#define INGEST_E_BAD_AMOUNT      "bad_amount"
#define INGEST_E_OUT_OF_RANGE    "out_of_range"
#define INGEST_E_INCONSISTENT    "inconsistent"
#define INGEST_E_UNKNOWN_REGION  "unknown_region"
#define INGEST_E_TOO_LONG        "too_long"
#define INGEST_E_BAD_ENCODING    "bad_encoding"
#define INGEST_E_BAD_JSON        "bad_json"
#define INGEST_E_BAD_CSV         "bad_csv"

#define INGEST_MAX_ERRORS     32    /* per record (no schema can produce that many) */
#define INGEST_MAX_RECORD_ID  64    /* bytes */
#define INGEST_MAX_NAME_CHARS 64    /* code points, after NFC */

typedef struct ingest_record ingest_record_t;

/* A validator for records of `src`, judging dates against `today_days` (days since
 * 1970-01-01 as sais_clock_today() gives). Returns NULL only when out of memory. */
ingest_record_t *ingest_record_new(ingest_source_t src, long today_days);

/* Frees it and NULLs *self_p; idempotent. */
void ingest_record_destroy(ingest_record_t **self_p);

ingest_source_t ingest_record_source(const ingest_record_t *self);

/* Validates and normalises one record. `vals` is indexed by ingest_field_t and holds
 * INGEST_FIELD_COUNT entries (absent fields zeroed). Returns 0 when the record is valid:
 * ingest_record_fact() then has it, with fact->line = line. Returns the number of errors
 * (> 0) otherwise: ingest_record_errors() has them, every broken field in schema order.
 * Never fails on any input.
 *
 * What the rules are and what normalising does:
 *   - text is trimmed of ASCII whitespace; empty, null or absent is missing_field when the
 *     field is required (phone, insurance_paid, hospital and facility are optional);
 *   - record_id at most 64 bytes, household_id and certificate 64 bytes, hospital and
 *     facility 128 characters, name 64 characters after normalisation (too_long);
 *   - id_number via sais_id_check, lowercase x -> X; "4.40524E+17" is called out as a
 *     spreadsheet's scientific notation;
 *   - name: no control characters (out_of_range), NFC, middle dots unified (ingest_text.h);
 *   - relation/event/category/status/kind: one of the source's set, any case -> lowercase;
 *   - region: 6 digits with a real province prefix (sais_region_valid), else unknown_region;
 *   - phone: 11 digits starting with 1 after dropping spaces, '-' and +86/0086;
 *   - dates (ingest_field.h spellings) -> YYYY-MM-DD, real, 1900 or later, not after today;
 *     a bare integer is called out as an Excel serial date;
 *   - month -> YYYY-MM, not after the current month (out_of_range);
 *   - money: JSON number or text, >= 0, at most two decimals -> fen (bad_amount);
 *   - medical: out_of_pocket <= total; insurance_paid + out_of_pocket == total when
 *     insurance_paid is given, else insurance_paid is set to total - out_of_pocket;
 *   - grade: 1..4.
 * Fact.date is the record's effective date (date / settled_on / issued_on / as_of);
 * Fact.amount is hrss amount or assets value. */
size_t ingest_record_check(ingest_record_t *self, const ingest_value_t *vals, uint32_t line);

/* The fact of the last valid check. Owned by self, and so are its strings (some are
 * static): never free it, never call ing__fact__free_unpacked on it, and copy it (or pack
 * it) to keep it beyond the next check/reset. The caller may set scalar fields and point
 * string fields (e.g. batch_id) at storage of its own meanwhile; self never frees what the
 * fact points to. */
Ing__Fact *ingest_record_fact(ingest_record_t *self);

/* The errors of the last check (or added since the last reset); *n gets their count. */
const ingest_error_t *ingest_record_errors(const ingest_record_t *self, size_t *n);

/* The record_id of the last check (trimmed), or NULL when the record had none that is
 * usable (absent, over 64 bytes, not valid UTF-8). Owned by self. */
const char *ingest_record_id(const ingest_record_t *self);

/* For framers (ingest_stream) that reject a record before it has fields: clear the errors
 * and record_id, add errors, and offer a record_id hint (copied; ignored unless usable). */
void ingest_record_reset(ingest_record_t *self);
void ingest_record_add_error(ingest_record_t *self, const char *field, const char *code,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ingest_record_set_id(ingest_record_t *self, const char *text, size_t len);

#endif
