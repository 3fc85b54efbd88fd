/* ingest_json — see ingest_json.h. */
#include "ingest_json.h"
#include "ingest_stream.h"
#include "ingest_text.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UNKNOWN_KEYS 32
#define MAX_NUMBER_TEXT  64

struct ingest_json {
    bool wanted[INGEST_FIELD_COUNT];      /* the source reads this field */
    ingest_field_t fields[INGEST_FIELD_COUNT];
    size_t nfields;
    json_t *ints[INGEST_FIELD_COUNT];     /* reset in place for each number */
    json_t *reals[INGEST_FIELD_COUNT];
    char *scratch;                        /* decoded escaped strings of one line */
    size_t used;
};

ingest_json_t *ingest_json_new(const ingest_field_t *fields, size_t n)
{
    ingest_json_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->scratch = malloc(INGEST_MAX_LINE);
    bool ok = self->scratch != NULL && n <= INGEST_FIELD_COUNT;
    for (size_t i = 0; ok && i < n; i++) {
        ingest_field_t f = fields[i];
        self->fields[self->nfields++] = f;
        self->wanted[f] = true;
        self->ints[f] = json_integer(0);
        self->reals[f] = json_real(0.0);
        ok = self->ints[f] && self->reals[f];
    }
    if (!ok)
        ingest_json_destroy(&self);
    return self;
}

void ingest_json_destroy(ingest_json_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_json_t *self = *self_p;
    for (int f = 0; f < INGEST_FIELD_COUNT; f++) {
        json_decref(self->ints[f]);
        json_decref(self->reals[f]);
    }
    free(self->scratch);
    free(self);
    *self_p = NULL;
}

typedef struct {
    const char *s;
    size_t len, i;
} cursor_t;

static void skip_ws(cursor_t *c)
{
    while (c->i < c->len) {
        char ch = c->s[c->i];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            break;
        c->i++;
    }
}

static int hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static long hex4(const char *p)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hex(p[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* A string at c->i (on the opening quote). Without escapes it is returned in place;
 * with them, decoded into the scratch. False: declined. */
static bool read_string(ingest_json_t *self, cursor_t *c, const char **out, size_t *outlen)
{
    size_t start = ++c->i;   /* past the quote */
    bool escaped = false;
    while (c->i < c->len) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"')
            break;
        if (ch < 0x20)
            return false;    /* jansson: control character in string */
        if (ch == '\\') {
            escaped = true;
            c->i++;          /* the escaped character is validated when decoding */
        }
        c->i++;
    }
    if (c->i >= c->len)
        return false;
    size_t end = c->i++;     /* past the closing quote */
    if (!escaped) {
        *out = c->s + start;
        *outlen = end - start;
        return true;
    }
    char *o = self->scratch + self->used;
    size_t n = 0;
    for (size_t k = start; k < end;) {
        char ch = c->s[k];
        if (ch != '\\') {
            o[n++] = ch;
            k++;
            continue;
        }
        if (k + 1 >= end)
            return false;
        char e = c->s[k + 1];
        k += 2;
        switch (e) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            if (k + 4 > end)
                return false;
            long cp = hex4(c->s + k);
            k += 4;
            if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return false;     /* \u0000 and lone low surrogates: jansson's to refuse */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (k + 6 > end || c->s[k] != '\\' || c->s[k + 1] != 'u')
                    return false;
                long lo = hex4(c->s + k + 2);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                k += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            /* an escape is 6 or 12 bytes and decodes to at most 4: the scratch, as large
             * as a line, cannot overflow */
            n += ingest_utf8_put((uint32_t)cp, o + n);
            break;
        }
        default:
            return false;
        }
    }
    self->used += n;
    *out = o;
    *outlen = n;
    return true;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A number at c->i, by the JSON grammar; no exponent (declined: the real path's rounding
 * and overflow rules are jansson's to apply). */
static bool read_number(ingest_json_t *self, cursor_t *c, ingest_field_t f, bool wanted,
                        ingest_value_t *v)
{
    size_t start = c->i;
    bool neg = false, frac = false;
    if (c->s[c->i] == '-') {
        neg = true;
        c->i++;
    }
    size_t int_start = c->i;
    if (c->i >= c->len || !is_digit(c->s[c->i]))
        return false;
    if (c->s[c->i] == '0') {
        c->i++;
    } else {
        while (c->i < c->len && is_digit(c->s[c->i]))
            c->i++;
    }
    size_t int_digits = c->i - int_start;
    if (c->i < c->len && c->s[c->i] == '.') {
        frac = true;
        c->i++;
        size_t fs = c->i;
        while (c->i < c->len && is_digit(c->s[c->i]))
            c->i++;
        if (c->i == fs)
            return false;
    }
    if (c->i < c->len && (c->s[c->i] == 'e' || c->s[c->i] == 'E'))
        return false;
    size_t n = c->i - start;
    /* an integer that may not fit int64, or a real long enough to overflow a double, is
     * jansson's to refuse, in any member */
    if ((!frac && int_digits > 18) || (frac && n >= MAX_NUMBER_TEXT))
        return false;
    if (!wanted)
        return true;
    if (!frac) {
        json_int_t x = 0;
        for (size_t k = int_start; k < c->i; k++)
            x = x * 10 + (c->s[k] - '0');
        json_integer_set(self->ints[f], neg ? -x : x);
        *v = (ingest_value_t){INGEST_V_NUMBER, NULL, 0, self->ints[f]};
        return true;
    }
    char buf[MAX_NUMBER_TEXT];
    memcpy(buf, c->s + start, n);
    buf[n] = '\0';
    /* jansson reads reals with strtod in the C locale too (SAIS never calls setlocale) */
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno == ERANGE)
        return false;
    json_real_set(self->reals[f], d);
    *v = (ingest_value_t){INGEST_V_NUMBER, NULL, 0, self->reals[f]};
    return true;
}

static bool literal(cursor_t *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->i < n || memcmp(c->s + c->i, word, n) != 0)
        return false;
    c->i += n;
    return true;
}

bool ingest_json_read(ingest_json_t *self, const char *s, size_t len, ingest_value_t *vals)
{
    cursor_t c = {s, len, 0};
    uint32_t seen = 0;
    struct {
        const char *k;
        size_t n;
    } unknown[MAX_UNKNOWN_KEYS];
    size_t nunknown = 0;

    self->used = 0;
    for (size_t k = 0; k < self->nfields; k++)
        vals[self->fields[k]] = (ingest_value_t){0};

    skip_ws(&c);
    if (c.i >= len || s[c.i] != '{')
        return false;
    c.i++;
    skip_ws(&c);
    if (c.i < len && s[c.i] == '}') {
        c.i++;
    } else {
        for (;;) {
            if (c.i >= len || s[c.i] != '"')
                return false;
            const char *key;
            size_t klen;
            if (!read_string(self, &c, &key, &klen))
                return false;
            /* duplicates are refused like JSON_REJECT_DUPLICATES does, for every key */
            int f = ingest_field_from_name(key, klen);
            if (f >= 0) {
                if (seen & (1u << f))
                    return false;
                seen |= 1u << f;
            } else {
                for (size_t u = 0; u < nunknown; u++)
                    if (unknown[u].n == klen && memcmp(unknown[u].k, key, klen) == 0)
                        return false;
                if (nunknown == MAX_UNKNOWN_KEYS)
                    return false;
                unknown[nunknown].k = key;
                unknown[nunknown++].n = klen;
            }
            bool wanted = f >= 0 && self->wanted[f];
            skip_ws(&c);
            if (c.i >= len || s[c.i] != ':')
                return false;
            c.i++;
            skip_ws(&c);
            if (c.i >= len)
                return false;
            ingest_value_t v = {0};
            char ch = s[c.i];
            if (ch == '"') {
                const char *str;
                size_t slen;
                if (!read_string(self, &c, &str, &slen))
                    return false;
                v = (ingest_value_t){INGEST_V_TEXT, str, slen, NULL};
            } else if (ch == '-' || is_digit(ch)) {
                if (!read_number(self, &c, wanted ? (ingest_field_t)f : INGEST_F_RECORD_ID,
                                 wanted, &v))
                    return false;
            } else if (literal(&c, "null")) {
                v.kind = INGEST_V_NULL;
            } else if (literal(&c, "true") || literal(&c, "false")) {
                v.kind = INGEST_V_OTHER;
            } else {
                return false;   /* an object, an array, or not JSON */
            }
            if (wanted)
                vals[f] = v;
            skip_ws(&c);
            if (c.i < len && s[c.i] == ',') {
                c.i++;
                skip_ws(&c);
                continue;
            }
            if (c.i < len && s[c.i] == '}') {
                c.i++;
                break;
            }
            return false;
        }
    }
    skip_ws(&c);
    return c.i == len;
}
