/* ingest_field — see ingest_field.h. */
#include "ingest_field.h"

#include <string.h>

#include "sais_clock.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads 1..max digits at s[*i]; false if none. */
static bool digits(const char *s, size_t len, size_t *i, size_t min, size_t max, int *out)
{
    size_t k = 0;
    int v = 0;
    while (*i < len && k < max && is_digit(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    if (k < min)
        return false;
    /* more digits than allowed: not this form */
    if (*i < len && is_digit(s[*i]))
        return false;
    *out = v;
    return true;
}

static bool all_digits(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && sais_is_leap(y) ? 29 : dim[m - 1];
}

ingest_date_status_t ingest_parse_date(const char *s, size_t len, long *days)
{
    int y, m, d;
    size_t i = 0;

    if (all_digits(s, len) && len != 8)
        return len <= 5 ? INGEST_DATE_EXCEL_SERIAL : INGEST_DATE_BAD;
    if (len >= 8 && all_digits(s, 8) && (len == 8 || !is_digit(s[8]))) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        m = (s[4] - '0') * 10 + (s[5] - '0');
        d = (s[6] - '0') * 10 + (s[7] - '0');
        i = 8;
    } else {
        if (!digits(s, len, &i, 4, 4, &y) || i >= len)
            return INGEST_DATE_BAD;
        char sep = s[i];
        if (sep != '-' && sep != '/' && sep != '.')
            return INGEST_DATE_BAD;
        i++;
        if (!digits(s, len, &i, 1, 2, &m) || i >= len || s[i] != sep)
            return INGEST_DATE_BAD;
        i++;
        if (!digits(s, len, &i, 1, 2, &d))
            return INGEST_DATE_BAD;
    }
    /* an optional time of day, ignored: the bureau works in days */
    if (i < len) {
        if ((s[i] != 'T' && s[i] != ' ') || i + 1 >= len || !is_digit(s[i + 1]))
            return INGEST_DATE_BAD;
    }
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return INGEST_DATE_BAD;
    if (y < 1900)
        return INGEST_DATE_BEFORE_1900;
    *days = sais_days_from_civil(y, m, d);
    return INGEST_DATE_OK;
}

bool ingest_excel_serial_date(const char *s, size_t len, char out[11])
{
    if (!all_digits(s, len) || len > 5)
        return false;
    long n = 0;
    for (size_t i = 0; i < len; i++)
        n = n * 10 + (s[i] - '0');
    /* Excel's serial 1 is 1900-01-01 and it believes in 1900-02-29 (serial 60), so from
     * serial 61 on a serial is days since 1899-12-30. Five digits reach 2173. */
    if (n < 1)
        return false;
    long base = sais_days_from_civil(1899, 12, n >= 61 ? 30 : 31);
    sais_date_format(base + n, out);
    return true;
}

bool ingest_parse_month(const char *s, size_t len, long *months)
{
    int y, m;
    size_t i = 0;
    if (len == 6 && all_digits(s, 6)) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        m = (s[4] - '0') * 10 + (s[5] - '0');
    } else {
        if (!digits(s, len, &i, 4, 4, &y) || i >= len)
            return false;
        if (s[i] != '-' && s[i] != '/' && s[i] != '.')
            return false;
        i++;
        if (!digits(s, len, &i, 1, 2, &m) || i != len)
            return false;
    }
    if (m < 1 || m > 12 || y < 1900)
        return false;
    *months = (long)y * 12 + (m - 1);
    return true;
}

bool ingest_looks_scientific(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t start = i;
    while (i < len && is_digit(s[i]))
        i++;
    if (i == start)
        return false;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i >= len || (s[i] != 'e' && s[i] != 'E'))
        return false;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    start = i;
    while (i < len && is_digit(s[i]))
        i++;
    return i > start && i == len;
}

bool ingest_parse_phone(const char *s, size_t len, char out[12])
{
    size_t i = 0, n = 0;
    if (len >= 3 && memcmp(s, "+86", 3) == 0)
        i = 3;
    else if (len >= 4 && memcmp(s, "0086", 4) == 0)
        i = 4;
    for (; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '-')
            continue;
        if (!is_digit(c) || n == 11)
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 11 && out[0] == '1';
}
