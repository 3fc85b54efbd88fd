/* sais_id — resident ID numbers (GB 11643-1999) and region codes (GB/T 2260).
 *
 * Pure functions, no allocation. An ID number is 18 characters: 6-digit address code,
 * 8-digit birth date, 3-digit sequence (odd = male), check character (ISO 7064 MOD 11-2).
 */
#ifndef SAIS_ID_H
#define SAIS_ID_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SAIS_ID_OK = 0,
    SAIS_ID_BAD_FORMAT,      /* "bad_id_number": wrong length, non-digits, bad province,
                                 scientific notation like "4.40524E+17" */
    SAIS_ID_BAD_BIRTH_DATE,  /* "bad_birth_date": not a real date, or after today */
    SAIS_ID_BAD_CHECK,       /* "bad_check_digit" */
} sais_id_status_t;

/* Validates `in` (NUL-terminated) against `today_days` (days since 1970-01-01, see
 * sais_clock). On SAIS_ID_OK writes the normalised form (lowercase x -> X) to out[19].
 * `out` may be NULL. Never reads past the terminator. */
sais_id_status_t sais_id_check(const char *in, long today_days, char out[19]);

/* The API error code for a status: "bad_id_number", "bad_birth_date", "bad_check_digit";
 * NULL for SAIS_ID_OK. */
const char *sais_id_code(sais_id_status_t st);

/* A human sentence explaining the status, for problem+json "message". */
const char *sais_id_message(sais_id_status_t st);

/* The check character ('0'..'9' or 'X') for the first 17 digits of `first17`. */
char sais_id_check_char(const char *first17);

/* Birth date "YYYY-MM-DD" of a valid ID into out[11]. */
void sais_id_birth_date(const char *id, char out[11]);

/* 'M' or 'F' from the sequence of a valid ID. */
char sais_id_sex(const char *id);

/* Whole years of age on day `today_days` for a valid ID (birthday counts: the person is
 * 60 on their 60th birthday; 29 Feb birthdays roll to 1 Mar in non-leap years). */
int sais_id_age(const char *id, long today_days);

/* Same, from a "YYYY-MM-DD" birth date. -1 if the date does not parse. */
int sais_age_on(const char *birth_date, long today_days);

/* True for a 6-digit county-level code whose province prefix is a real one. */
bool sais_region_valid(const char *code);

/* True if `region` starts with any prefix of `scopes` (n entries). n == 0 -> false. */
bool sais_region_in_scope(const char *region, char *const *scopes, size_t n);

/* The demo city's county name for a code ("Pingyang" for "330326"), NULL if unknown. */
const char *sais_region_name(const char *code);

#endif
