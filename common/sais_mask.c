/* sais_mask — masking by characters. Output is always NUL-terminated within outlen and cut
 * at a character boundary when the buffer is short; outlen == 0 leaves out untouched. */
#include "sais_mask.h"

#include <stdbool.h>
#include <string.h>

/* Byte length of the UTF-8 character at s (1 for an invalid or truncated sequence, so a
 * stray byte counts as one character and is masked like one). */
static size_t
s_char_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    if (c < 0x80)
        return 1;
    else if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 1;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    return n;
}

static size_t
s_char_count(const char *s)
{
    size_t count = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p += s_char_len(p))
        count++;
    return count;
}

/* Copies characters of `in`, keeping those with index < keep_head or >= keep_from and
 * writing '*' for the others. */
static char *
s_mask(const char *in, size_t keep_head, size_t keep_from, char *out, size_t outlen)
{
    if (outlen == 0)
        return out;
    size_t o = 0, idx = 0;
    const unsigned char *p = (const unsigned char *)(in ? in : "");
    while (*p) {
        size_t n = s_char_len(p);
        bool keep = idx < keep_head || idx >= keep_from;
        size_t w = keep ? n : 1;
        if (o + w >= outlen)
            break;
        if (keep)
            memcpy(out + o, p, n);
        else
            out[o] = '*';
        o += w;
        p += n;
        idx++;
    }
    out[o] = '\0';
    return out;
}

char *
sais_mask_id(const char *id, char *out, size_t outlen)
{
    size_t n = id ? s_char_count(id) : 0;
    if (n < 8)   /* too short to keep 7 characters and still hide something */
        return s_mask(id, 0, n, out, outlen);
    return s_mask(id, 6, n - 1, out, outlen);
}

char *
sais_mask_name(const char *name, char *out, size_t outlen)
{
    size_t n = name ? s_char_count(name) : 0;
    return s_mask(name, 1, n, out, outlen);
}

/* A phone of 4 characters or fewer is masked whole: keeping "the last 4" would show it all. */
char *
sais_mask_phone(const char *phone, char *out, size_t outlen)
{
    size_t n = phone ? s_char_count(phone) : 0;
    if (n <= 4)
        return s_mask(phone, 0, n, out, outlen);
    return s_mask(phone, 0, n - 4, out, outlen);
}
