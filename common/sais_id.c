/* sais_id — resident ID numbers (GB 11643-1999) and region codes (GB/T 2260). */
#include "sais_id.h"
#include "sais_clock.h"

#include <string.h>

static const int s_weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
static const char s_check_chars[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };

static bool
s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Province-level prefixes of GB/T 2260: 11–15, 21–23, 31–37, 41–46, 50–54, 61–65. */
static bool
s_province_valid(const char *code)
{
    if (!s_is_digit(code[0]) || !s_is_digit(code[1]))
        return false;
    int p = (code[0] - '0') * 10 + (code[1] - '0');
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37)
        || (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65);
}

char
sais_id_check_char(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!s_is_digit(first17[i]))
            return '\0';   /* not an ID: no check character exists */
        sum += (first17[i] - '0') * s_weights[i];
    }
    return s_check_chars[sum % 11];
}

sais_id_status_t
sais_id_check(const char *in, long today_days, char out[19])
{
    if (in == NULL)
        return SAIS_ID_BAD_FORMAT;
    /* strnlen bounds the read: a long string is rejected without walking all of it. */
    if (strnlen(in, 19) != 18)
        return SAIS_ID_BAD_FORMAT;
    for (int i = 0; i < 17; i++)
        if (!s_is_digit(in[i]))
            return SAIS_ID_BAD_FORMAT;
    char last = in[17] == 'x' ? 'X' : in[17];
    if (!s_is_digit(last) && last != 'X')
        return SAIS_ID_BAD_FORMAT;
    if (!s_province_valid(in))
        return SAIS_ID_BAD_FORMAT;

    long born;
    char date[11];
    sais_id_birth_date(in, date);
    if (sais_date_read(date, 10, &born) != 0 || born > today_days)
        return SAIS_ID_BAD_BIRTH_DATE;

    if (sais_id_check_char(in) != last)
        return SAIS_ID_BAD_CHECK;

    if (out) {
        memcpy(out, in, 17);
        out[17] = last;
        out[18] = '\0';
    }
    return SAIS_ID_OK;
}

const char *
sais_id_code(sais_id_status_t st)
{
    switch (st) {
    case SAIS_ID_OK: return NULL;
    case SAIS_ID_BAD_FORMAT: return "bad_id_number";
    case SAIS_ID_BAD_BIRTH_DATE: return "bad_birth_date";
    case SAIS_ID_BAD_CHECK: return "bad_check_digit";
    }
    return "bad_id_number";
}

const char *
sais_id_message(sais_id_status_t st)
{
    switch (st) {
    case SAIS_ID_OK:
        return "The ID number is valid.";
    case SAIS_ID_BAD_FORMAT:
        return "An ID number is 18 characters: 17 digits and a digit or X, starting with a "
               "real province code (a number in scientific notation is not an ID number).";
    case SAIS_ID_BAD_BIRTH_DATE:
        return "The birth date in the ID number (characters 7-14) is not a real date or is "
               "in the future.";
    case SAIS_ID_BAD_CHECK:
        return "The check character (the last one) does not match the first 17 digits.";
    }
    return "The ID number is not valid.";
}

void
sais_id_birth_date(const char *id, char out[11])
{
    memcpy(out, id + 6, 4);
    out[4] = '-';
    memcpy(out + 5, id + 10, 2);
    out[7] = '-';
    memcpy(out + 8, id + 12, 2);
    out[10] = '\0';
}

char
sais_id_sex(const char *id)
{
    return ((id[16] - '0') % 2) ? 'M' : 'F';
}

int
sais_id_age(const char *id, long today_days)
{
    char date[11];
    sais_id_birth_date(id, date);
    return sais_age_on(date, today_days);
}

/* Comparing (month, day) pairs gives the 29 Feb rule for free: in a non-leap year (2, 28)
 * is still before the birthday and (3, 1) is after it. */
int
sais_age_on(const char *birth_date, long today_days)
{
    long born;
    if (birth_date == NULL || sais_date_read(birth_date, strnlen(birth_date, 11), &born) != 0)
        return -1;
    int by, bm, bd, ty, tm, td;
    sais_civil_from_days(born, &by, &bm, &bd);
    sais_civil_from_days(today_days, &ty, &tm, &td);
    int age = ty - by;
    if (tm < bm || (tm == bm && td < bd))
        age--;
    return age;
}

/* County-level codes never end in "00" (that is a prefecture or a province). */
bool
sais_region_valid(const char *code)
{
    if (code == NULL || strnlen(code, 7) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (!s_is_digit(code[i]))
            return false;
    if (code[4] == '0' && code[5] == '0')
        return false;
    return s_province_valid(code);
}

/* An empty or NULL scope entry matches nothing: scopes grant access, so a missing prefix
 * must not turn into "everywhere". */
bool
sais_region_in_scope(const char *region, char *const *scopes, size_t n)
{
    if (region == NULL || scopes == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *p = scopes[i];
        if (p == NULL || *p == '\0')
            continue;
        size_t len = strlen(p);
        if (strncmp(region, p, len) == 0)
            return true;
    }
    return false;
}

static const struct {
    const char *code;
    const char *name;
} s_counties[] = {
    { "330302", "Lucheng" },  { "330303", "Longwan" },  { "330304", "Ouhai" },
    { "330305", "Dongtou" },  { "330324", "Yongjia" },  { "330326", "Pingyang" },
    { "330327", "Cangnan" },  { "330328", "Wencheng" }, { "330329", "Taishun" },
    { "330381", "Rui'an" },   { "330382", "Yueqing" },  { "330383", "Longgang" },
};

const char *
sais_region_name(const char *code)
{
    if (code == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof s_counties / sizeof s_counties[0]; i++)
        if (strcmp(code, s_counties[i].code) == 0)
            return s_counties[i].name;
    return NULL;
}
