/* sais_money — money as integer fen (1 yuan = 100 fen). No floating point anywhere.
 *
 * Parsing accepts what partner feeds and API clients send: "32160", "32160.5", "32160.00",
 * "-12.30" only when allowed; never more than two decimals, never exponents, never NaN.
 */
#ifndef SAIS_MONEY_H
#define SAIS_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t sais_fen_t;

#define SAIS_MONEY_MAX_FEN ((sais_fen_t)100000000000000LL) /* 1e12 yuan: anything above is an error */

typedef enum {
    SAIS_MONEY_OK = 0,
    SAIS_MONEY_NOT_A_NUMBER,    /* empty, letters, exponent, two dots, ... */
    SAIS_MONEY_NEGATIVE,        /* a minus sign and allow_negative == false */
    SAIS_MONEY_TOO_PRECISE,     /* more than two decimals */
    SAIS_MONEY_TOO_LARGE,       /* above SAIS_MONEY_MAX_FEN */
} sais_money_status_t;

/* Parses yuan text `s` of length `len` (not necessarily NUL-terminated) into *out fen. */
sais_money_status_t sais_money_parse(const char *s, size_t len, bool allow_negative, sais_fen_t *out);

/* Writes "32160.00" (always two decimals, '-' if negative) into buf; returns buf.
 * buf must hold at least SAIS_MONEY_BUF bytes. */
#define SAIS_MONEY_BUF 32
char *sais_money_format(sais_fen_t fen, char *buf);

/* a * num / den rounded half away from zero, exact for |a| < 2^62 / |num|. den > 0. */
sais_fen_t sais_money_muldiv(sais_fen_t a, int64_t num, int64_t den);

/* A sentence for the status, for error messages. */
const char *sais_money_message(sais_money_status_t st);

#endif
