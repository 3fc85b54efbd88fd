/* ingest_field — parsers for the value formats partner feeds send, including the damage
 * spreadsheets do to them (IDs in scientific notation, dates as serial numbers).
 *
 * Pure functions on (text, length) — not necessarily NUL-terminated, already trimmed. No
 * allocation.
 */
#ifndef INGEST_FIELD_H
#define INGEST_FIELD_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    INGEST_DATE_OK = 0,
    INGEST_DATE_BAD,           /* not a date in any accepted form, or not a real one */
    INGEST_DATE_EXCEL_SERIAL,  /* a bare integer of 1-5 digits such as 45231: Excel's day count */
    INGEST_DATE_BEFORE_1900,   /* a real date, but no record of ours is that old */
} ingest_date_status_t;

/* A calendar date: YYYY-MM-DD, also with '/' or '.' between the parts and one-digit month
 * or day (2026/1/5), or YYYYMMDD; a time part after 'T' or ' ' (2026-11-23 10:22:01) is
 * ignored. *days gets days since 1970-01-01. Whether the date is after today is the
 * caller's rule. */
ingest_date_status_t ingest_parse_date(const char *s, size_t len, long *days);

/* The date an Excel serial number stands for (1900 date system, as Excel counts it), into
 * out[11]; false when `s` is not a plausible serial. */
bool ingest_excel_serial_date(const char *s, size_t len, char out[11]);

/* A month: YYYY-MM, YYYY/MM, YYYY.MM (month may have one digit) or YYYYMM. *months gets
 * year*12 + month-1 (as sais_month_parse). Returns false if not a month, or before 1900. */
bool ingest_parse_month(const char *s, size_t len, long *months);

/* True for text like "4.40524E+17" or "4.40524e17": a number in scientific notation, which
 * is what a spreadsheet makes of an 18-digit ID number stored as a number. */
bool ingest_looks_scientific(const char *s, size_t len);

/* A mobile number: 11 digits starting with 1, after dropping spaces and '-' and a leading
 * "+86" / "0086". Writes the 11 digits into out[12]. */
bool ingest_parse_phone(const char *s, size_t len, char out[12]);

#endif
