/* ingest_charset — see ingest_charset.h. */
#include "ingest_charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* GB18030's longest sequence is 4 bytes; a chunk may end inside one */
#define HELD_MAX 4
#define OUT_LEN  8192

struct ingest_charset {
    iconv_t cd;
    char held[2 * HELD_MAX];
    size_t nheld;
    char out[OUT_LEN];
};

const char *ingest_charset_canonical(const char *name)
{
    static const struct {
        const char *name;
        const char *canonical;
    } names[] = {
        {"utf-8", "utf-8"},    {"utf8", "utf-8"},     {"us-ascii", "utf-8"},
        {"gb18030", "gb18030"}, {"gbk", "gb18030"},    {"gb2312", "gb18030"},
        {"cp936", "gb18030"},   {"x-gbk", "gb18030"},  {"euc-cn", "gb18030"},
    };
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].canonical;
    return NULL;
}

const char *ingest_charset_label(const char *canonical)
{
    return canonical && strcmp(canonical, "gb18030") == 0 ? "GB18030" : "UTF-8";
}

ingest_charset_t *ingest_charset_new(const char *canonical)
{
    if (!canonical || strcmp(canonical, "gb18030") != 0)
        return NULL;
    ingest_charset_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cd = iconv_open("UTF-8", "GB18030");
    if (self->cd == (iconv_t)-1) {
        free(self);
        return NULL;
    }
    return self;
}

void ingest_charset_destroy(ingest_charset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    iconv_close((*self_p)->cd);
    free(*self_p);
    *self_p = NULL;
}

/* Converts what it can of in[0..*n) into self->out, passing full pieces to `out`. Stops at
 * an invalid sequence (EILSEQ) or an incomplete one at the end (EINVAL), leaving *in and *n
 * there; *why is that errno, or 0 when everything was converted. */
static int convert_run(ingest_charset_t *self, const char **in, size_t *n, int *why,
                       ingest_charset_out_fn out, void *ctx)
{
    *why = 0;
    while (*n > 0) {
        char *op = self->out;
        size_t room = OUT_LEN;
        char *ip = (char *)*in;
        size_t r = iconv(self->cd, &ip, n, &op, &room);
        int e = r == (size_t)-1 ? errno : 0;
        if (e == 0 && *n > 0 && ip == *in && op == self->out)
            e = EILSEQ;   /* no progress and no error: never loop on it */
        *in = ip;
        if (op > self->out) {
            int rc = out(ctx, self->out, (size_t)(op - self->out));
            if (rc)
                return rc;
        }
        if (e == E2BIG)
            continue;
        if (e != 0) {
            /* EILSEQ or EINVAL; anything else iconv might say is taken as a bad byte too, so
             * the caller always moves on */
            *why = e == EINVAL ? EINVAL : EILSEQ;
            return 0;
        }
    }
    return 0;
}

/* One byte that begins no valid sequence: a byte UTF-8 never has, then read on after it. */
static int bad_byte(ingest_charset_out_fn out, void *ctx)
{
    return out(ctx, "\xFF", 1);
}

int ingest_charset_convert(ingest_charset_t *self, const char *in, size_t len,
                           ingest_charset_out_fn out, void *ctx)
{
    int why, rc;
    if (!in) {
        /* the end: a held beginning never completed */
        for (size_t i = 0; i < self->nheld; i++)
            if ((rc = bad_byte(out, ctx)))
                return rc;
        self->nheld = 0;
        iconv(self->cd, NULL, NULL, NULL, NULL);
        return 0;
    }
    if (self->nheld > 0 && len > 0) {
        /* the sequence the last chunk cut, with enough of this one to complete it */
        char tmp[2 * HELD_MAX];
        size_t take = len < HELD_MAX ? len : HELD_MAX;
        memcpy(tmp, self->held, self->nheld);
        memcpy(tmp + self->nheld, in, take);
        const char *tp = tmp;
        size_t tn = self->nheld + take;
        for (;;) {
            if ((rc = convert_run(self, &tp, &tn, &why, out, ctx)))
                return rc;
            if ((size_t)(tp - tmp) >= self->nheld || why == 0)
                break;                          /* past what was held */
            if (why == EINVAL && take == len) {
                /* still incomplete, and this chunk is all in tmp: hold on */
                memmove(self->held, tp, tn);
                self->nheld = tn;
                return 0;
            }
            if ((rc = bad_byte(out, ctx)))
                return rc;
            tp++;
            tn--;
        }
        size_t used = (size_t)(tp - tmp) - self->nheld;   /* of this chunk, converted */
        in += used;
        len -= used;
        self->nheld = 0;
    }
    while (len > 0) {
        if ((rc = convert_run(self, &in, &len, &why, out, ctx)))
            return rc;
        if (why == EILSEQ) {
            if ((rc = bad_byte(out, ctx)))
                return rc;
            in++;
            len--;
        } else if (why == EINVAL) {
            /* cut by the chunk's end: iconv says so only of the last bytes, at most 3 */
            if (len > HELD_MAX) {
                if ((rc = bad_byte(out, ctx)))
                    return rc;
                in++;
                len--;
                continue;
            }
            memcpy(self->held, in, len);
            self->nheld = len;
            break;
        }
    }
    return 0;
}

/* The code points a Chinese text is made of, beside ASCII. */
static bool chinese_cp(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF) ||
           (c >= 0x20000 && c <= 0x3134F) || c == 0x00B7 || c == 0x2014 || c == 0x2026 ||
           (c >= 0x2018 && c <= 0x201D);
}

bool ingest_charset_looks_gb18030(const char *s, size_t n)
{
    iconv_t cd = iconv_open("UTF-32LE", "GB18030");
    if (cd == (iconv_t)-1)
        return false;
    bool ok = true;
    size_t chinese = 0;
    uint32_t buf[256];
    char *ip = (char *)s;
    size_t left = n;
    while (ok && left > 0) {
        char *op = (char *)buf;
        size_t room = sizeof buf;
        size_t r = iconv(cd, &ip, &left, &op, &room);
        if (r == (size_t)-1 && errno != E2BIG)
            ok = false;
        size_t got = (size_t)(op - (char *)buf) / 4;
        for (size_t i = 0; ok && i < got; i++) {
            if (buf[i] < 0x80)
                continue;
            ok = chinese_cp(buf[i]);
            chinese++;
        }
    }
    iconv_close(cd);
    /* two at least: a stray byte and the letter after it often make one valid character */
    return ok && chinese >= 2;
}
