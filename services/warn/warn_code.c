/* warn_code — see warn_code.h. */
#include "warn_code.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE "visit.key"
#define KEY_BYTES 32

static int s_read_key(const char *path, unsigned char *key, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && st.st_size == KEY_BYTES)
        n = read(fd, key, KEY_BYTES);
    close(fd);
    if (n != KEY_BYTES) {
        snprintf(err, errlen, "%s is not a %d-byte key", path, KEY_BYTES);
        return -1;
    }
    return 0;
}

/* Creates the key file exclusively, so two processes starting at once agree on one key. */
static int s_create_key(const char *path, unsigned char *key, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return s_read_key(path, key, err, errlen);
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    randombytes_buf(key, KEY_BYTES);
    bool ok = write(fd, key, KEY_BYTES) == KEY_BYTES && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = false;
    if (!ok) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int warn_code_key_load(const sais_config_t *cfg, const char *dir, unsigned char key[64],
                       size_t *keylen, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium does not initialise");
        return -1;
    }
    const char *conf = cfg ? sais_config_get(cfg, "warn.visit_code_key") : NULL;
    if (conf && *conf) {
        size_t n = strlen(conf);
        if (n <= 64) {
            memcpy(key, conf, n);
            *keylen = n;
        } else {
            crypto_generichash(key, 32, (const unsigned char *)conf, n, NULL, 0);
            *keylen = 32;
        }
        return 0;
    }
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", dir, KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, errlen, "data directory path too long");
        return -1;
    }
    int rc = access(path, F_OK) == 0 ? s_read_key(path, key, err, errlen)
                                      : s_create_key(path, key, err, errlen);
    if (rc == 0)
        *keylen = KEY_BYTES;
    return rc;
}

static void s_mac(const unsigned char *key, size_t keylen, const char *payload, size_t n,
                  unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, n);
    crypto_auth_hmacsha256_final(&st, mac);
}

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

int warn_code_make(const unsigned char *key, size_t keylen, const char *household_id,
                   int64_t expires, char out[WARN_CODE_MAX])
{
    char payload[128];
    int n = snprintf(payload, sizeof payload, "v1|%" PRId64 "|%s", expires, household_id);
    if (n < 0 || (size_t)n >= sizeof payload)
        return -1;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    s_mac(key, keylen, payload, (size_t)n, mac);
    size_t plen = sodium_base64_ENCODED_LEN((size_t)n, B64);
    size_t mlen = sodium_base64_ENCODED_LEN(sizeof mac, B64);
    if (plen + mlen > WARN_CODE_MAX) /* both counts include a NUL: room for the '.' */
        return -1;
    sodium_bin2base64(out, plen, (const unsigned char *)payload, (size_t)n, B64);
    size_t at = strlen(out);
    out[at++] = '.';
    sodium_bin2base64(out + at, mlen, mac, sizeof mac, B64);
    return 0;
}

warn_code_status_t warn_code_check(const unsigned char *key, size_t keylen, const char *token,
                                   int64_t now, char *household_id, size_t hlen, int64_t *expires)
{
    if (!token || strlen(token) >= WARN_CODE_MAX)
        return WARN_CODE_BAD;
    const char *dot = strchr(token, '.');
    if (!dot || strchr(dot + 1, '.'))
        return WARN_CODE_BAD;
    char payload[WARN_CODE_MAX];
    unsigned char mac[crypto_auth_hmacsha256_BYTES], want[crypto_auth_hmacsha256_BYTES];
    size_t plen = 0, mlen = 0;
    const char *end = NULL;
    if (sodium_base642bin((unsigned char *)payload, sizeof payload - 1, token, (size_t)(dot - token),
                          NULL, &plen, &end, B64) != 0 || end != dot)
        return WARN_CODE_BAD;
    payload[plen] = '\0';
    if (sodium_base642bin(mac, sizeof mac, dot + 1, strlen(dot + 1), NULL, &mlen, &end, B64) != 0
        || *end != '\0' || mlen != sizeof mac)
        return WARN_CODE_BAD;
    s_mac(key, keylen, payload, plen, want);
    if (sodium_memcmp(mac, want, sizeof mac) != 0)
        return WARN_CODE_BAD;
    /* authentic from here on: parse what we wrote ourselves */
    if (strlen(payload) != plen || strncmp(payload, "v1|", 3) != 0)
        return WARN_CODE_BAD;
    char *bar;
    errno = 0;
    long long exp = strtoll(payload + 3, &bar, 10);
    if (errno || *bar != '|' || bar[1] == '\0' || strlen(bar + 1) >= hlen)
        return WARN_CODE_BAD;
    snprintf(household_id, hlen, "%s", bar + 1);
    if (expires)
        *expires = exp;
    return now >= exp ? WARN_CODE_EXPIRED : WARN_CODE_OK;
}

/* ---------------------------------------------------------------- QR as SVG */

typedef struct {
    char  *buf;
    size_t len, cap;
    bool   failed;
} s_buf_t;

static void s_add(s_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_add(s_buf_t *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->failed = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
}

char *warn_code_qr_svg(const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    const int quiet = 4, w = qr->width, size = w + 2 * quiet;
    s_buf_t b = {malloc(4096), 0, 4096, false};
    if (!b.buf) {
        QRcode_free(qr);
        return NULL;
    }
    b.buf[0] = '\0';
    s_add(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
              "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><g fill=\"#000\">",
          size, size, size * 4, size * 4, size, size);
    /* one rect per horizontal run of dark modules (bit 0 of each module byte) */
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w;) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < w && (qr->data[y * w + x + run] & 1))
                run++;
            s_add(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\"/>", x + quiet, y + quiet, run);
            x += run;
        }
    }
    s_add(&b, "</g></svg>");
    QRcode_free(qr);
    if (b.failed) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
