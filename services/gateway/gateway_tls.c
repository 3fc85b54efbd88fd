/* gateway_tls — HTTPS for the gateway: the certificate and key it serves with.
 *
 * ID numbers, names and bearer keys cross the county network in every request; with
 * gateway.tls_cert and gateway.tls_key set the gateway speaks only HTTPS (TLS 1.2 and 1.3,
 * through libmicrohttpd's GnuTLS). Both PEM files are read once at start, whole; the key's
 * copy is wiped when the gateway stops. A key file others may read is refused: the key is
 * the county's identity on the network.
 */
#include "gateway_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "sais_config.h"

#define PEM_MAX (1u << 20)

/* The whole file, NUL-terminated, into *out. 0 or -1 with err. */
static int read_pem(const char *what, const char *path, bool secret, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "gateway: %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > PEM_MAX) {
        snprintf(err, errlen, "gateway: %s %s is not a PEM file of 1 byte to 1 MiB", what, path);
        fclose(f);
        return -1;
    }
    if (secret && (st.st_mode & (S_IRWXG | S_IRWXO))) {
        snprintf(err, errlen, "gateway: %s %s may be read by others (mode %03o): chmod 600 it",
                 what, path, (unsigned)(st.st_mode & 0777));
        fclose(f);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!buf || n != (size_t)st.st_size) {
        snprintf(err, errlen, "gateway: %s %s could not be read", what, path);
        if (buf) sodium_memzero(buf, (size_t)st.st_size);
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    if (!strstr(buf, "-----BEGIN ")) {
        snprintf(err, errlen, "gateway: %s %s is not PEM (no -----BEGIN line)", what, path);
        sodium_memzero(buf, n);
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

int gw_tls_load(const sais_config_t *cfg, gw_tls_t *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    const char *cert = sais_config_get(cfg, "gateway.tls_cert");
    const char *key = sais_config_get(cfg, "gateway.tls_key");
    bool has_cert = cert && *cert, has_key = key && *key;
    if (!has_cert && !has_key) return 0;
    if (has_cert != has_key) {
        snprintf(err, errlen, "gateway: HTTPS needs both gateway.tls_cert and gateway.tls_key");
        return -1;
    }
    if (read_pem("certificate", cert, false, &t->cert, err, errlen) != 0) return -1;
    if (read_pem("key", key, true, &t->key, err, errlen) != 0) {
        gw_tls_clear(t);
        return -1;
    }
    return 0;
}

void gw_tls_clear(gw_tls_t *t)
{
    if (t->key) {
        sodium_memzero(t->key, strlen(t->key));
        free(t->key);
    }
    free(t->cert);
    t->cert = t->key = NULL;
}

int gateway_config_check(const sais_config_t *cfg, char *err, size_t errlen)
{
    gw_t probe;
    memset(&probe, 0, sizeof probe);
    if (gw_proxies_load(&probe, cfg, err, errlen) != 0) return -1;
    const char *cert = sais_config_get(cfg, "gateway.tls_cert");
    const char *key = sais_config_get(cfg, "gateway.tls_key");
    /* files checked on another host than the one they are for are only reported missing */
    if (cert && *cert && key && *key && (access(cert, F_OK) != 0 || access(key, F_OK) != 0)) return 0;
    if (gw_tls_load(cfg, &probe.tls, err, errlen) != 0) return -1;
    gw_tls_clear(&probe.tls);
    return 0;
}
