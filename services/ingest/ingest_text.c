/* ingest_text — see ingest_text.h. */
#include "ingest_text.h"

#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

bool ingest_utf8_valid(const char *s, size_t len, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* Feeds are mostly ASCII: test eight bytes at a time for a high bit or a NUL. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            uint64_t high = w & 0x8080808080808080ULL;
            uint64_t zero = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
            if (high | zero)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = p[i];
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;        /* overlong */
            if (c == 0xED) hi = 0x9F;        /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;        /* overlong */
            if (c == 0xF4) hi = 0x8F;        /* above U+10FFFF */
        } else
            goto bad;                         /* NUL, continuation, C0/C1, F5..FF */
        if (len - i <= need)
            goto bad;
        if (p[i + 1] < lo || p[i + 1] > hi)
            goto bad;
        for (size_t k = 2; k <= need; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                goto bad;
        i += need + 1;
    }
    return true;
bad:
    if (bad_at)
        *bad_at = i;
    return false;
}

size_t ingest_utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

uint32_t ingest_utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = len - *i;
    uint32_t c = p[0];
    if (c < 0x80 || left < 2) {
        *i += 1;
        return c;
    }
    if (c < 0xE0) {
        *i += 2;
        return ((c & 0x1F) << 6) | (p[1] & 0x3F);
    }
    if (c < 0xF0 && left >= 3) {
        *i += 3;
        return ((c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    if (left >= 4) {
        *i += 4;
        return ((c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
               ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
    *i = len;
    return 0xFFFD;
}

size_t ingest_utf8_put(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void ingest_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n && is_ws(p[0])) {
        p++;
        n--;
    }
    while (n && is_ws(p[n - 1]))
        n--;
    *s = p;
    *len = n;
}

bool ingest_is_cjk(uint32_t cp)
{
    return cp == 0x3007 || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x323AF);
}

/* Characters NFC leaves unchanged whatever surrounds them (quick-check "Yes" and canonical
 * combining class 0): a name made only of these needs no normalisation, which is nearly
 * every name a feed sends. Anything else (combining marks, conjoining jamo, compatibility
 * ideographs, ...) goes through libunistring. */
static bool nfc_inert(uint32_t cp)
{
    return (cp >= 0x20 && cp < 0x300) ||
           cp == 0x2022 || cp == 0x2027 || cp == 0x2219 || cp == 0x22C5 ||
           (cp >= 0x3000 && cp <= 0x3029) ||
           (cp >= 0x3041 && cp <= 0x3098) || (cp >= 0x309B && cp <= 0x30FF) ||
           (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) ||
           (cp >= 0xFF01 && cp <= 0xFF5E) || cp == 0xFF65 ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2EBEF) ||
           (cp >= 0x30000 && cp <= 0x323AF);
}

static bool is_dot_variant(uint32_t cp)
{
    switch (cp) {
    case 0x00B7: case 0x2022: case 0x2027: case 0x2219: case 0x22C5:
    case 0x30FB: case 0xFF0E: case 0xFF65:
        return true;
    default:
        return false;
    }
}

static bool is_space_cp(uint32_t cp)
{
    return cp == ' ' || cp == 0x3000;
}

#define NAME_MAX_CPS 4096

long ingest_name_normalise(const char *in, size_t len, char *out, size_t cap, size_t *chars)
{
    uint8_t nbuf[NAME_MAX_CPS];
    const char *src = in;
    size_t srclen = len;

    bool inert = true;
    for (size_t i = 0; i < len && inert;)
        inert = nfc_inert(ingest_utf8_next(in, len, &i));
    if (!inert) {
        size_t n = sizeof nbuf;
        uint8_t *r = u8_normalize(UNINORM_NFC, (const uint8_t *)in, len, nbuf, &n);
        if (!r)
            return -1;
        if (r != nbuf) {   /* did not fit our buffer: far beyond any name limit anyway */
            free(r);
            return -1;
        }
        src = (const char *)nbuf;
        srclen = n;
    }

    static _Thread_local uint32_t cps[NAME_MAX_CPS];
    size_t n = 0;
    for (size_t i = 0; i < srclen;) {
        if (n == NAME_MAX_CPS)
            return -1;
        cps[n++] = ingest_utf8_next(src, srclen, &i);
    }

    /* Which positions are a separating dot: a dot variant anywhere, or an ASCII '.' with CJK
     * on both sides (spaces between do not count). `between` says the dot has CJK on both
     * sides, which makes the spaces around it noise to drop. */
    size_t outlen = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        if (is_space_cp(c)) {
            /* a run of spaces: dropped if it touches a dot that separates CJK */
            size_t j = i;
            while (j < n && is_space_cp(cps[j]))
                j++;
            bool drop = false;
            for (int side = 0; side < 2 && !drop; side++) {
                size_t d;
                if (side == 0) {
                    if (i == 0)
                        continue;
                    d = i - 1;
                } else {
                    if (j >= n)
                        continue;
                    d = j;
                }
                if (!(is_dot_variant(cps[d]) || cps[d] == '.'))
                    continue;
                size_t a = d, b = d + 1;
                while (a > 0 && is_space_cp(cps[a - 1]))
                    a--;
                while (b < n && is_space_cp(cps[b]))
                    b++;
                drop = a > 0 && b < n && ingest_is_cjk(cps[a - 1]) && ingest_is_cjk(cps[b]);
            }
            if (drop) {
                i = j - 1;
                continue;
            }
        } else if (is_dot_variant(c)) {
            c = 0x00B7;
        } else if (c == '.') {
            size_t a = i, b = i + 1;
            while (a > 0 && is_space_cp(cps[a - 1]))
                a--;
            while (b < n && is_space_cp(cps[b]))
                b++;
            if (a > 0 && b < n && ingest_is_cjk(cps[a - 1]) && ingest_is_cjk(cps[b]))
                c = 0x00B7;
        }
        if (outlen + 4 >= cap)
            return -1;
        outlen += ingest_utf8_put(c, out + outlen);
        count++;
    }
    if (outlen >= cap)
        return -1;
    out[outlen] = '\0';
    if (chars)
        *chars = count;
    return (long)outlen;
}

/* Full-width digits and Ｘ (U+FF10..FF19, U+FF38, U+FF58), as a Chinese input method types
 * them, folded to ASCII into out[19]: they are the same characters (NFKC). The length in
 * bytes after folding, or 0 when something else outside ASCII is there too. */
size_t ingest_fold_fullwidth_id(const char *s, size_t len, char out[19])
{
    size_t o = 0;
    for (size_t i = 0; i < len; o++) {
        const unsigned char *u = (const unsigned char *)s + i;
        if (o == 18 + 1)
            return o;                           /* too long either way */
        char c;
        if (u[0] < 0x80) {
            c = (char)u[0];
            i++;
        } else if (len - i >= 3 && u[0] == 0xEF && u[1] == 0xBC && u[2] >= 0x90 && u[2] <= 0x99) {
            c = (char)('0' + (u[2] - 0x90));
            i += 3;
        } else if (len - i >= 3 && u[0] == 0xEF && ((u[1] == 0xBC && u[2] == 0xB8) ||
                                                   (u[1] == 0xBD && u[2] == 0x98))) {
            c = 'X';
            i += 3;
        } else {
            return 0;
        }
        if (o < 18)
            out[o] = c;
    }
    return o;
}

/* ="330326198501011238": an export meant for Excel writes long numbers as a formula whose
 * value is the text, so the spreadsheet keeps every digit. The value is exact: it is taken
 * as the text inside (one with a quote inside is left as it is, and fails as it stands). */
void ingest_excel_text_formula(const char **v, size_t *n)
{
    const char *s = *v;
    size_t len = *n;
    ingest_trim(&s, &len);
    if (len < 3 || s[0] != '=' || s[1] != '"' || s[len - 1] != '"' ||
        memchr(s + 2, '"', len - 3))
        return;
    *v = s + 2;
    *n = len - 3;
}

bool ingest_private_use(const char *s, size_t len, uint32_t *cp)
{
    for (size_t i = 0; i < len;) {
        uint32_t c = ingest_utf8_next(s, len, &i);
        if ((c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000) {
            *cp = c;
            return true;
        }
    }
    return false;
}
