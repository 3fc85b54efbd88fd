/* gateway_http — see gateway_http.h. */
#include "gateway_http.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool gw_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF)      { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i <= need) return false;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += need + 1;
    }
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int gw_pct_decode(const char *in, size_t n, bool plus_space, char *out, size_t *outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%') {
            if (n - i < 3) return -1;
            int hi = hexval((unsigned char)in[i + 1]), lo = hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    if (outlen) *outlen = o;
    return 0;
}

/* No NUL, no C0 controls, no DEL: none belongs in a path or parameter. */
static bool clean_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F) return false;
    }
    return gw_utf8_valid(s, n);
}

gw_path_status_t gw_path_parse(const char *raw, size_t n, gw_path_t *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || raw[0] != '/') return GW_PATH_BAD;
    out->buf = malloc(n + 1);
    if (!out->buf) return GW_PATH_NOMEM;
    gw_path_status_t st = GW_PATH_OK;
    char *w = out->buf;
    size_t i = 1;
    /* "/" alone has no segment; otherwise every '/' starts one, empty or not */
    if (n == 1) return GW_PATH_OK;
    while (i <= n) {
        size_t j = i;
        while (j < n && raw[j] != '/') j++;
        if (out->nseg == GW_MAX_SEGS) { st = GW_PATH_TOO_DEEP; break; }
        size_t dlen;
        if (gw_pct_decode(raw + i, j - i, false, w, &dlen) != 0) { st = GW_PATH_BAD; break; }
        if (!clean_text(w, dlen) || memchr(w, '/', dlen) || memchr(w, '\\', dlen)) {
            st = GW_PATH_BAD;
            break;
        }
        if (strcmp(w, ".") == 0 || strcmp(w, "..") == 0) { st = GW_PATH_TRAVERSAL; break; }
        out->seg[out->nseg++] = w;
        w += dlen + 1;
        i = j + 1;
    }
    if (st != GW_PATH_OK) gw_path_free(out);
    return st;
}

void gw_path_free(gw_path_t *p)
{
    free(p->buf);
    memset(p, 0, sizeof *p);
}

const char *gw_path_status_text(gw_path_status_t st)
{
    switch (st) {
    case GW_PATH_OK:        return "ok";
    case GW_PATH_BAD:       return "the path has a bad percent-escape, invalid UTF-8 or a forbidden character";
    case GW_PATH_TRAVERSAL: return "the path contains a '.' or '..' segment";
    case GW_PATH_TOO_DEEP:  return "the path has too many segments";
    case GW_PATH_NOMEM:     return "out of memory";
    }
    return "?";
}

int gw_params_add(gw_params_t *p, const char *key, const char *value)
{
    if (p->n == GW_MAX_PARAMS) return -1;
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    p->key[p->n] = k;
    p->value[p->n] = v;
    p->n++;
    return 0;
}

const char *gw_params_get(const gw_params_t *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->key[i], key) == 0) return p->value[i];
    return NULL;
}

void gw_params_free(gw_params_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->key[i]);
        free(p->value[i]);
    }
    p->n = 0;
}

int gw_query_parse(const char *q, size_t n, gw_params_t *p, char *err, size_t errlen)
{
    char *kbuf = malloc(n + 1), *vbuf = malloc(n + 1);
    int rc = -1;
    if (!kbuf || !vbuf) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && q[j] != '&') j++;
        if (j > i) {
            const char *eq = memchr(q + i, '=', j - i);
            size_t klen_raw = eq ? (size_t)(eq - (q + i)) : j - i;
            const char *vraw = eq ? eq + 1 : q + j;
            size_t vlen_raw = eq ? (size_t)(q + j - vraw) : 0;
            size_t klen, vlen;
            if (gw_pct_decode(q + i, klen_raw, true, kbuf, &klen) != 0 ||
                gw_pct_decode(vraw, vlen_raw, true, vbuf, &vlen) != 0) {
                snprintf(err, errlen, "the query string has a bad percent-escape");
                goto done;
            }
            if (!clean_text(kbuf, klen) || !clean_text(vbuf, vlen)) {
                snprintf(err, errlen, "the query string holds invalid UTF-8 or a control character");
                goto done;
            }
            if (klen == 0) {
                snprintf(err, errlen, "the query string has a parameter without a name");
                goto done;
            }
            if (!gw_params_get(p, kbuf) && gw_params_add(p, kbuf, vbuf) != 0) {
                snprintf(err, errlen, "too many query parameters");
                goto done;
            }
        }
        i = j + 1;
    }
    rc = 0;
done:
    free(kbuf);
    free(vbuf);
    return rc;
}

bool gw_ctype_is(const char *header, const char *want)
{
    if (!header) return false;
    while (*header == ' ' || *header == '\t') header++;
    size_t wl = strlen(want);
    if (strncasecmp(header, want, wl) != 0) return false;
    const char *rest = header + wl;
    while (*rest == ' ' || *rest == '\t') rest++;
    return *rest == '\0' || *rest == ';';
}

int gw_ctype_param(const char *header, const char *name, char *out, size_t len)
{
    const char *p = header ? strchr(header, ';') : NULL;
    size_t nl = strlen(name);
    while (p) {
        p++;
        while (*p == ' ' || *p == '\t') p++;
        const char *eq = strchr(p, '=');
        const char *next = strchr(p, ';');
        if (!eq || (next && next < eq)) {
            p = next;
            continue;
        }
        const char *k_end = eq;
        while (k_end > p && (k_end[-1] == ' ' || k_end[-1] == '\t')) k_end--;
        if ((size_t)(k_end - p) == nl && strncasecmp(p, name, nl) == 0) {
            const char *v = eq + 1;
            while (*v == ' ' || *v == '\t') v++;
            size_t n;
            if (*v == '"') {
                const char *q = strchr(++v, '"');
                if (!q) return -1;
                n = (size_t)(q - v);
            } else {
                n = strcspn(v, "; \t");
            }
            if (n == 0 || n >= len) return -1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
        p = next;
    }
    return 0;
}

static pthread_once_t  rid_once = PTHREAD_ONCE_INIT;
static unsigned char   rid_prefix[8];
static _Atomic uint64_t rid_next;

static void rid_init(void)
{
    randombytes_buf(rid_prefix, sizeof rid_prefix);
    uint64_t start;
    randombytes_buf(&start, sizeof start);
    atomic_store(&rid_next, start);
}

bool gw_request_id(const char *client, char out[GW_RID_MAX])
{
    if (client) {
        size_t n = strlen(client);
        bool ok = n >= 1 && n < GW_RID_MAX;
        for (size_t i = 0; ok && i < n; i++)
            if (client[i] < 0x21 || client[i] > 0x7E) ok = false;
        if (ok) {
            memcpy(out, client, n + 1);
            return true;
        }
    }
    /* unique, not secret: a random prefix drawn once per process and a counter (a draw per
     * request was a getrandom system call on every request) */
    pthread_once(&rid_once, rid_init);
    unsigned char rnd[16];
    uint64_t n = atomic_fetch_add_explicit(&rid_next, 1, memory_order_relaxed);
    memcpy(rnd, rid_prefix, 8);
    for (int i = 0; i < 8; i++)
        rnd[8 + i] = (unsigned char)(n >> (56 - 8 * i));
    sodium_bin2hex(out, GW_RID_MAX, rnd, sizeof rnd);
    return false;
}

const char *gw_bearer(const char *header, size_t *len)
{
    if (!header) return NULL;
    while (*header == ' ') header++;
    if (strncasecmp(header, "Bearer", 6) != 0 || (header[6] != ' ' && header[6] != '\t'))
        return NULL;
    const char *t = header + 6;
    while (*t == ' ' || *t == '\t') t++;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t')) n--;
    if (n == 0) return NULL;
    *len = n;
    return t;
}

bool gw_batch_id_valid(const char *s)
{
    if (!s) return false;
    size_t n = strlen(s);
    if (n < 1 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':' || c == '-')) return false;
    }
    return true;
}

bool gw_json_depth_ok(const char *s, size_t n, int max_depth)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return false;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return true;
}
