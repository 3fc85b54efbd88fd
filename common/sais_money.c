/* sais_money — yuan text <-> integer fen, and exact scaling. Integer arithmetic only. */
#include "sais_money.h"

#include <stdio.h>

/* Grammar: '-'? digit+ ('.' digit+)?  — no '+', no spaces, no ".5" or "5.", no exponent.
 * Decimals beyond the second are accepted only when they are zeros ("12.300" is exactly
 * 1230 fen; bank exports often carry four decimals), otherwise TOO_PRECISE. */
sais_money_status_t
sais_money_parse(const char *s, size_t len, bool allow_negative, sais_fen_t *out)
{
    if (s == NULL || len == 0)
        return SAIS_MONEY_NOT_A_NUMBER;
    size_t i = 0;
    bool negative = false;
    if (s[0] == '-') {
        negative = true;
        i = 1;
    }
    size_t int_start = i;
    sais_fen_t yuan = 0;
    bool too_large = false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (!too_large) {
            yuan = yuan * 10 + (s[i] - '0');
            if (yuan > SAIS_MONEY_MAX_FEN / 100)
                too_large = true;   /* keep scanning: the syntax still decides first */
        }
    }
    if (i == int_start)
        return SAIS_MONEY_NOT_A_NUMBER;

    sais_fen_t cents = 0;
    bool too_precise = false;
    if (i < len && s[i] == '.') {
        i++;
        size_t frac_start = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            size_t k = i - frac_start;
            if (k < 2)
                cents += (s[i] - '0') * (k == 0 ? 10 : 1);
            else if (s[i] != '0')
                too_precise = true;
        }
        if (i == frac_start)
            return SAIS_MONEY_NOT_A_NUMBER;
    }
    if (i != len)
        return SAIS_MONEY_NOT_A_NUMBER;
    if (too_precise)
        return SAIS_MONEY_TOO_PRECISE;

    sais_fen_t fen = too_large ? SAIS_MONEY_MAX_FEN + 1 : yuan * 100 + cents;
    if (negative && fen != 0 && !allow_negative)
        return SAIS_MONEY_NEGATIVE;
    if (fen > SAIS_MONEY_MAX_FEN)
        return SAIS_MONEY_TOO_LARGE;
    if (out)
        *out = negative ? -fen : fen;
    return SAIS_MONEY_OK;
}

char *
sais_money_format(sais_fen_t fen, char *buf)
{
    /* Magnitude in unsigned so INT64_MIN formats instead of overflowing. */
    unsigned long long mag = fen < 0 ? 0ULL - (unsigned long long)fen : (unsigned long long)fen;
    snprintf(buf, SAIS_MONEY_BUF, "%s%llu.%02llu", fen < 0 ? "-" : "", mag / 100, mag % 100);
    return buf;
}

/* The product goes through 128 bits, so it is exact whatever the header's bound; a result
 * outside int64 saturates. den <= 0 is a programmer error and yields 0. */
sais_fen_t
sais_money_muldiv(sais_fen_t a, int64_t num, int64_t den)
{
    if (den <= 0)
        return 0;
    __extension__ typedef __int128 i128;
    i128 p = (i128)a * num;
    i128 q = p / den;
    i128 r = p % den;
    if (r < 0)
        r = -r;
    if (2 * r >= (i128)den)
        q += p < 0 ? -1 : 1;
    if (q > INT64_MAX)
        return INT64_MAX;
    if (q < INT64_MIN)
        return INT64_MIN;
    return (sais_fen_t)q;
}

const char *
sais_money_message(sais_money_status_t st)
{
    switch (st) {
    case SAIS_MONEY_OK:
        return "The amount is valid.";
    case SAIS_MONEY_NOT_A_NUMBER:
        return "The amount must be a number of yuan such as 32160 or 32160.50 (no exponent).";
    case SAIS_MONEY_NEGATIVE:
        return "The amount must not be negative.";
    case SAIS_MONEY_TOO_PRECISE:
        return "The amount has more than two decimals (fen is the smallest unit).";
    case SAIS_MONEY_TOO_LARGE:
        return "The amount is larger than 1000000000000 yuan.";
    }
    return "The amount is not valid.";
}
