/* sais_json — JSON in and out.
 *
 * In: jansson, with duplicate keys rejected and money read exactly (see sais_json_money).
 * Out: a small streaming writer (sais_jw_t) that formats money exactly as yuan with two
 * decimals ("32160.00") from integer fen, which jansson's reals cannot.
 */
#ifndef SAIS_JSON_H
#define SAIS_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sais_money.h"

/* ---- writer. Errors (allocation) are sticky: check sais_jw_ok() or the result of take. */
#define SAIS_JW_MAX_DEPTH 64
typedef struct {
    char  *buf;
    size_t len, cap;
    int    depth;
    bool   failed;
    bool   after_key;
    bool   has_item[SAIS_JW_MAX_DEPTH];
} sais_jw_t;

void  sais_jw_init(sais_jw_t *w);
void  sais_jw_free(sais_jw_t *w);
bool  sais_jw_ok(const sais_jw_t *w);
/* Hands over the NUL-terminated buffer (caller frees) and resets the writer. NULL on failure. */
char *sais_jw_take(sais_jw_t *w, size_t *len);

void sais_jw_obj(sais_jw_t *w);
void sais_jw_obj_end(sais_jw_t *w);
void sais_jw_arr(sais_jw_t *w);
void sais_jw_arr_end(sais_jw_t *w);
void sais_jw_key(sais_jw_t *w, const char *key);
void sais_jw_str(sais_jw_t *w, const char *s);          /* NULL -> null */
void sais_jw_strn(sais_jw_t *w, const char *s, size_t n);
void sais_jw_int(sais_jw_t *w, int64_t v);
void sais_jw_money(sais_jw_t *w, sais_fen_t fen);       /* 32160.00 */
void sais_jw_bool(sais_jw_t *w, bool v);
void sais_jw_null(sais_jw_t *w);
void sais_jw_raw(sais_jw_t *w, const char *json, size_t n); /* already-valid JSON */
void sais_jw_time(sais_jw_t *w, int64_t unix_seconds);  /* RFC 3339 string; 0 -> null */

/* key + value in one call */
void sais_jw_kstr(sais_jw_t *w, const char *k, const char *v);
void sais_jw_kint(sais_jw_t *w, const char *k, int64_t v);
void sais_jw_kmoney(sais_jw_t *w, const char *k, sais_fen_t v);
void sais_jw_kbool(sais_jw_t *w, const char *k, bool v);
void sais_jw_ktime(sais_jw_t *w, const char *k, int64_t unix_seconds);

/* ---- reader */
/* Parses a whole request body: rejects duplicate keys, requires an object. On failure NULL
 * and a message in err. */
json_t *sais_json_parse_object(const void *body, size_t len, char *err, size_t errlen);

/* Money from a JSON number or a numeric string, exactly: a real is first turned into its
 * shortest decimal form that reads back to the same double, and that text is parsed as
 * decimal yuan, so 12.34 is 1234 fen and 12.345 is SAIS_MONEY_TOO_PRECISE. */
sais_money_status_t sais_json_money(const json_t *v, bool allow_negative, sais_fen_t *out);

/* String member or NULL (absent, null, or not a string). */
const char *sais_json_str(const json_t *obj, const char *key);

#endif
