/* sais_clock — time, pinned or real, and civil-date arithmetic.
 *
 * The pinned instant is one atomic int64 so any thread may read it while a test re-pins.
 * SAIS_CLOCK_NOW is read once, on first use, so that child processes started by the CLI or
 * the fault suite share the parent's pinned time without any code of their own.
 */
#include "sais_clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNPINNED INT64_MIN
#define BUREAU_UTC_OFFSET_S (8 * 3600)   /* the bureau's day is China Standard Time */
#define SECONDS_PER_DAY 86400

/* Range we promise to format: years 0000..9999 keep every output at its fixed width. */
#define MIN_DAYS (-719528L)              /* 0000-01-01 */
#define MAX_DAYS 2932896L                /* 9999-12-31 */

static _Atomic int64_t s_pinned = UNPINNED;
static pthread_once_t s_env_once = PTHREAD_ONCE_INIT;

static void
s_read_env(void)
{
    const char *env = getenv("SAIS_CLOCK_NOW");
    if (env == NULL || *env == '\0')
        return;
    int64_t t = sais_time_parse(env);
    if (t == -1) {
        /* sais_log reads this clock, so it cannot be used from inside the once-routine. */
        fprintf(stderr, "sais_clock: ignoring unparsable SAIS_CLOCK_NOW=\"%s\"\n", env);
        return;
    }
    atomic_store(&s_pinned, t);
}

int64_t
sais_clock_now(void)
{
    pthread_once(&s_env_once, s_read_env);
    int64_t p = atomic_load(&s_pinned);
    if (p != UNPINNED)
        return p;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (int64_t)time(NULL);
    return (int64_t)ts.tv_sec;
}

/* Wall-clock milliseconds, not CLOCK_MONOTONIC: request deadlines travel between processes
 * in envelopes, so they must be comparable across them. */
int64_t
sais_clock_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (int64_t)time(NULL) * 1000;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return (long)q;
}

long
sais_clock_today(void)
{
    return s_floor_div(sais_clock_now() + BUREAU_UTC_OFFSET_S, SECONDS_PER_DAY);
}

int
sais_clock_pin(const char *rfc3339)
{
    /* Run the environment read first so it cannot later overwrite an explicit pin. */
    pthread_once(&s_env_once, s_read_env);
    if (rfc3339 == NULL || *rfc3339 == '\0') {
        atomic_store(&s_pinned, UNPINNED);
        return 0;
    }
    int64_t t = sais_time_parse(rfc3339);
    if (t == -1)
        return -1;
    atomic_store(&s_pinned, t);
    return 0;
}

/* ---- civil dates (Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms") */

bool
sais_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
s_days_in_month(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && sais_is_leap(y) ? 29 : dim[m - 1];
}

long
sais_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = (long)y - era * 400;                                     /* [0, 399] */
    long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;        /* [0, 365] */
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                   /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void
sais_civil_from_days(long days, int *y, int *m, int *d)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;                                        /* [0, 146096] */
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
    long yy = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 /* [0, 365] */
    long mp = (5 * doy + 2) / 153;                                      /* [0, 11] */
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    if (y)
        *y = (int)(yy + (mm <= 2));
    if (m)
        *m = mm;
    if (d)
        *d = dd;
}

/* ---- text */

/* Writes v as exactly `width` digits (callers clamp v to fit); no snprintf, so the fixed
 * widths are evident to the compiler as well as to the reader. */
static char *
s_put_num(char *p, long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static void
s_put_date(char *p, int y, int m, int d)
{
    p = s_put_num(p, y, 4);
    *p++ = '-';
    p = s_put_num(p, m, 2);
    *p++ = '-';
    s_put_num(p, d, 2);
}

static int
s_digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int
sais_date_read(const char *s, size_t len, long *days)
{
    if (s == NULL || len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y = s_digits(s, 4), m = s_digits(s + 5, 2), d = s_digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > s_days_in_month(y, m))
        return -1;
    if (days)
        *days = sais_days_from_civil(y, m, d);
    return 0;
}

long
sais_date_parse(const char *s, size_t len)
{
    long days;
    return sais_date_read(s, len, &days) == 0 ? days : SAIS_DATE_INVALID;
}

void
sais_date_format(long days, char out[11])
{
    if (days < MIN_DAYS)
        days = MIN_DAYS;
    if (days > MAX_DAYS)
        days = MAX_DAYS;
    int y, m, d;
    sais_civil_from_days(days, &y, &m, &d);
    s_put_date(out, y, m, d);
    out[10] = '\0';
}

long
sais_month_parse(const char *s, size_t len)
{
    if (s == NULL || len != 7 || s[4] != '-')
        return -1;
    int y = s_digits(s, 4), m = s_digits(s + 5, 2);
    if (y < 0 || m < 1 || m > 12)
        return -1;
    return (long)y * 12 + m - 1;
}

void
sais_month_format(long months, char out[8])
{
    if (months < 0)
        months = 0;
    if (months > 9999L * 12 + 11)
        months = 9999L * 12 + 11;
    char *p = s_put_num(out, months / 12, 4);
    *p++ = '-';
    p = s_put_num(p, months % 12 + 1, 2);
    *p = '\0';
}

long
sais_month_of(long days)
{
    int y, m;
    sais_civil_from_days(days, &y, &m, NULL);
    return (long)y * 12 + m - 1;
}

void
sais_time_format(int64_t unix_seconds, char out[21])
{
    const int64_t lo = (int64_t)MIN_DAYS * SECONDS_PER_DAY;
    const int64_t hi = (int64_t)MAX_DAYS * SECONDS_PER_DAY + SECONDS_PER_DAY - 1;
    if (unix_seconds < lo)
        unix_seconds = lo;
    if (unix_seconds > hi)
        unix_seconds = hi;
    long days = s_floor_div(unix_seconds, SECONDS_PER_DAY);
    long sod = (long)(unix_seconds - (int64_t)days * SECONDS_PER_DAY);
    int y, m, d;
    sais_civil_from_days(days, &y, &m, &d);
    s_put_date(out, y, m, d);
    char *p = out + 10;
    *p++ = 'T';
    p = s_put_num(p, sod / 3600, 2);
    *p++ = ':';
    p = s_put_num(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = s_put_num(p, sod % 60, 2);
    *p++ = 'Z';
    *p = '\0';
}

/* Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"; 't' and 'z' in lower case too, as
 * RFC 3339 permits. The fraction is truncated: SAIS keeps whole seconds. */
int64_t
sais_time_parse(const char *s)
{
    if (s == NULL)
        return -1;
    size_t n = strlen(s);
    if (n < 20)
        return -1;
    long days;
    if (sais_date_read(s, 10, &days) != 0)
        return -1;
    if ((s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return -1;
    int hh = s_digits(s + 11, 2), mi = s_digits(s + 14, 2), ss = s_digits(s + 17, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    }
    else if (*p == '+' || *p == '-') {
        if (strlen(p) != 6 || p[3] != ':')
            return -1;
        int oh = s_digits(p + 1, 2), om = s_digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    }
    else
        return -1;
    if (*p != '\0')
        return -1;
    return (int64_t)days * SECONDS_PER_DAY + hh * 3600 + mi * 60 + ss - offset;
}
