/* sais_json — a streaming JSON writer with exact money, and jansson reading helpers. */
#include "sais_json.h"
#include "sais_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer */

void
sais_jw_init(sais_jw_t *w)
{
    memset(w, 0, sizeof *w);
}

void
sais_jw_free(sais_jw_t *w)
{
    if (w == NULL)
        return;
    free(w->buf);
    sais_jw_init(w);
}

bool
sais_jw_ok(const sais_jw_t *w)
{
    return w != NULL && !w->failed;
}

char *
sais_jw_take(sais_jw_t *w, size_t *len)
{
    if (len)
        *len = 0;
    if (w->failed || w->depth != 0) {   /* an unfinished document is not JSON */
        sais_jw_free(w);
        return NULL;
    }
    char *out = w->buf;
    size_t n = w->len;
    if (out == NULL) {
        out = calloc(1, 1);
        n = 0;
    }
    sais_jw_init(w);
    if (out && len)
        *len = n;
    return out;
}

static bool
s_reserve(sais_jw_t *w, size_t more)
{
    if (w->failed)
        return false;
    if (w->len + more + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + more + 1) {
        if (cap > SIZE_MAX / 2) {
            w->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *buf = realloc(w->buf, cap);
    if (buf == NULL) {
        w->failed = true;
        return false;
    }
    w->buf = buf;
    w->cap = cap;
    return true;
}

static void
s_put(sais_jw_t *w, const char *s, size_t n)
{
    if (!s_reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void
s_putc(sais_jw_t *w, char c)
{
    s_put(w, &c, 1);
}

/* Called before every value: a comma between array items, nothing after a key. */
static void
s_before_value(sais_jw_t *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (w->has_item[w->depth])
            s_putc(w, ',');
        w->has_item[w->depth] = true;
    }
}

static void
s_open(sais_jw_t *w, char c)
{
    s_before_value(w);
    if (w->depth + 1 >= SAIS_JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    s_putc(w, c);
    w->depth++;
    w->has_item[w->depth] = false;
}

static void
s_close(sais_jw_t *w, char c)
{
    if (w->depth <= 0 || w->after_key) {   /* unbalanced or a key without its value */
        w->failed = true;
        return;
    }
    s_putc(w, c);
    w->depth--;
}

void sais_jw_obj(sais_jw_t *w) { s_open(w, '{'); }
void sais_jw_obj_end(sais_jw_t *w) { s_close(w, '}'); }
void sais_jw_arr(sais_jw_t *w) { s_open(w, '['); }
void sais_jw_arr_end(sais_jw_t *w) { s_close(w, ']'); }

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid: overlong
 * forms, surrogates and code points above U+10FFFF are invalid. */
static size_t
s_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;   /* bounds of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    }
    else
        return 0;
    if (len > n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

static void
s_string(sais_jw_t *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    s_putc(w, '"');
    size_t run = 0;   /* start of the pending run of bytes copied verbatim */
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t step = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c == '\b')
            esc = "\\b";
        else if (c == '\f')
            esc = "\\f";
        else if (c < 0x20) {
            memcpy(ubuf, "\\u00", 4);
            ubuf[4] = hex[c >> 4];
            ubuf[5] = hex[c & 15];
            ubuf[6] = '\0';
            esc = ubuf;
        }
        else if (c >= 0x80) {
            step = s_utf8_len(p + i, n - i);
            if (step == 0) {
                esc = "\\ufffd";   /* invalid byte: the output must stay valid JSON */
                step = 1;
            }
        }
        if (esc) {
            s_put(w, s + run, i - run);
            s_put(w, esc, strlen(esc));
            run = i + step;
        }
        i += step;
    }
    s_put(w, s + run, n - run);
    s_putc(w, '"');
}

void
sais_jw_key(sais_jw_t *w, const char *key)
{
    if (w->depth <= 0 || w->after_key || key == NULL) {
        w->failed = true;
        return;
    }
    if (w->has_item[w->depth])
        s_putc(w, ',');
    w->has_item[w->depth] = true;
    s_string(w, key, strlen(key));
    s_putc(w, ':');
    w->after_key = true;
}

void
sais_jw_strn(sais_jw_t *w, const char *s, size_t n)
{
    if (s == NULL) {
        sais_jw_null(w);
        return;
    }
    s_before_value(w);
    s_string(w, s, n);
}

void
sais_jw_str(sais_jw_t *w, const char *s)
{
    sais_jw_strn(w, s, s ? strlen(s) : 0);
}

void
sais_jw_int(sais_jw_t *w, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRId64, v);
    s_before_value(w);
    s_put(w, buf, (size_t)n);
}

void
sais_jw_money(sais_jw_t *w, sais_fen_t fen)
{
    char buf[SAIS_MONEY_BUF];
    sais_money_format(fen, buf);
    s_before_value(w);
    s_put(w, buf, strlen(buf));
}

void
sais_jw_bool(sais_jw_t *w, bool v)
{
    s_before_value(w);
    s_put(w, v ? "true" : "false", v ? 4 : 5);
}

void
sais_jw_null(sais_jw_t *w)
{
    s_before_value(w);
    s_put(w, "null", 4);
}

void
sais_jw_raw(sais_jw_t *w, const char *json, size_t n)
{
    if (json == NULL || n == 0) {
        sais_jw_null(w);
        return;
    }
    s_before_value(w);
    s_put(w, json, n);
}

void
sais_jw_time(sais_jw_t *w, int64_t unix_seconds)
{
    if (unix_seconds == 0) {
        sais_jw_null(w);
        return;
    }
    char buf[21];
    sais_time_format(unix_seconds, buf);
    s_before_value(w);
    s_string(w, buf, strlen(buf));
}

void sais_jw_kstr(sais_jw_t *w, const char *k, const char *v) { sais_jw_key(w, k); sais_jw_str(w, v); }
void sais_jw_kint(sais_jw_t *w, const char *k, int64_t v) { sais_jw_key(w, k); sais_jw_int(w, v); }
void sais_jw_kmoney(sais_jw_t *w, const char *k, sais_fen_t v) { sais_jw_key(w, k); sais_jw_money(w, v); }
void sais_jw_kbool(sais_jw_t *w, const char *k, bool v) { sais_jw_key(w, k); sais_jw_bool(w, v); }
void sais_jw_ktime(sais_jw_t *w, const char *k, int64_t t) { sais_jw_key(w, k); sais_jw_time(w, t); }

/* ---- reader */

json_t *
sais_json_parse_object(const void *body, size_t len, char *err, size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (body == NULL || len == 0) {
        snprintf(err, errlen, "empty body: expected a JSON object");
        return NULL;
    }
    /* jansson caps nesting (JSON_PARSER_MAX_DEPTH, 2048), so a deep body fails cleanly. */
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        snprintf(err, errlen, "expected a JSON object");
        return NULL;
    }
    return root;
}

/* Rewrites "%.17g"-style text ("1.5e+20", "-1.2e-05", "32160.5") as plain decimal into out.
 * -1 if it does not fit (the amount is then far beyond SAIS_MONEY_MAX_FEN or far below a fen,
 * and the caller maps that to a status). */
static int
s_plain_decimal(const char *g, char *out, size_t outlen, bool *huge)
{
    char digits[40];
    size_t nd = 0;
    int point = -1;   /* digits before the decimal point */
    bool neg = false;
    const char *p = g;
    *huge = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.')
            point = (int)nd;
        else if (nd < sizeof digits)
            digits[nd++] = *p;
        else
            return -1;
    }
    if (point < 0)
        point = (int)nd;
    if (*p == 'e' || *p == 'E')
        point += atoi(p + 1);
    else if (*p != '\0')
        return -1;
    /* Beyond 40 places either way the value is far outside what a fen amount can be. */
    if (point > 40) {
        *huge = true;
        return -1;
    }
    if (point < -40)
        return -1;
    size_t o = 0;
    char buf[128];
    if (neg)
        buf[o++] = '-';
    if (point <= 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int i = 0; i < -point; i++)
            buf[o++] = '0';
        for (size_t i = 0; i < nd; i++)
            buf[o++] = digits[i];
    }
    else {
        for (int i = 0; i < point; i++)
            buf[o++] = (size_t)i < nd ? digits[i] : '0';
        if ((size_t)point < nd) {
            buf[o++] = '.';
            for (size_t i = (size_t)point; i < nd; i++)
                buf[o++] = digits[i];
        }
    }
    buf[o] = '\0';
    if (o + 1 > outlen)
        return -1;
    memcpy(out, buf, o + 1);
    return 0;
}

sais_money_status_t
sais_json_money(const json_t *v, bool allow_negative, sais_fen_t *out)
{
    if (v == NULL)
        return SAIS_MONEY_NOT_A_NUMBER;
    if (json_is_string(v))
        return sais_money_parse(json_string_value(v), json_string_length(v), allow_negative, out);
    if (json_is_integer(v)) {
        json_int_t yuan = json_integer_value(v);
        if (yuan < 0 && !allow_negative)
            return SAIS_MONEY_NEGATIVE;
        if (yuan > SAIS_MONEY_MAX_FEN / 100 || yuan < -(SAIS_MONEY_MAX_FEN / 100))
            return SAIS_MONEY_TOO_LARGE;
        if (out)
            *out = (sais_fen_t)yuan * 100;
        return SAIS_MONEY_OK;
    }
    if (json_is_real(v)) {
        /* The shortest text that reads back as the same double is what the sender wrote
         * (for any number a person or a spreadsheet would write), so parse that exactly. */
        double d = json_real_value(v);
        char g[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(g, sizeof g, "%.*g", prec, d);
            if (strtod(g, NULL) == d)
                break;
        }
        char plain[128];
        bool huge;
        if (s_plain_decimal(g, plain, sizeof plain, &huge) != 0) {
            if (d < 0 && !allow_negative)
                return SAIS_MONEY_NEGATIVE;
            return huge ? SAIS_MONEY_TOO_LARGE : SAIS_MONEY_TOO_PRECISE;
        }
        return sais_money_parse(plain, strlen(plain), allow_negative, out);
    }
    return SAIS_MONEY_NOT_A_NUMBER;
}

const char *
sais_json_str(const json_t *obj, const char *key)
{
    if (obj == NULL || key == NULL)
        return NULL;
    return json_string_value(json_object_get(obj, key));
}
