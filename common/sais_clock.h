/* sais_clock — the one place SAIS asks what time it is.
 *
 * Tests and the fault suite pin time with SAIS_CLOCK_NOW=2026-11-23T08:00:00Z so that two
 * runs produce byte-identical state. Dates are days since 1970-01-01 (proleptic Gregorian).
 */
#ifndef SAIS_CLOCK_H
#define SAIS_CLOCK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unix seconds now (or the pinned instant). */
int64_t sais_clock_now(void);

/* Unix milliseconds, monotonic enough for deadlines; NOT pinned (deadlines must pass). */
int64_t sais_clock_ms(void);

/* Days since epoch of today (UTC+8, the bureau's day) — pinned with the clock. */
long sais_clock_today(void);

/* Pins the clock (tests); NULL or "" unpins. Returns 0, or -1 if `rfc3339` does not parse. */
int sais_clock_pin(const char *rfc3339);

/* "YYYY-MM-DD" -> days since epoch (negative before 1970); SAIS_DATE_INVALID if not a real
 * date. Exactly 10 characters. Test against SAIS_DATE_INVALID, not "< 0": 1969-12-31 is -1. */
#define SAIS_DATE_INVALID LONG_MIN
long sais_date_parse(const char *s, size_t len);

/* Same, unambiguous (1969-12-31 is day -1): 0 and *days, or -1 if not a real date.
 * `days` may be NULL (validation only). Added for ID birth dates before 1970. */
int sais_date_read(const char *s, size_t len, long *days);

/* days -> "YYYY-MM-DD" into out[11] (clamped to 0000-01-01 .. 9999-12-31). */
void sais_date_format(long days, char out[11]);

/* "YYYY-MM" -> months since 0000-01 (year*12 + month-1); -1 if invalid. Exactly 7 chars. */
long sais_month_parse(const char *s, size_t len);
void sais_month_format(long months, char out[8]);

/* The month (year*12+month-1) containing `days`. */
long sais_month_of(long days);

/* RFC 3339 UTC "2026-11-23T08:00:00Z" into out[21]. */
void sais_time_format(int64_t unix_seconds, char out[21]);

/* Parses RFC 3339 ("...Z" or "+08:00") to unix seconds; -1 on error. */
int64_t sais_time_parse(const char *s);

/* Civil date helpers. */
bool sais_is_leap(int year);
long sais_days_from_civil(int y, int m, int d);
void sais_civil_from_days(long days, int *y, int *m, int *d);

#endif
