/* sais_curve — see sais_curve.h. */
#include "sais_curve.h"
#include "sais_log.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's zmq.h declares this option only under ZMQ_BUILD_DRAFT_API, but its libzmq 4.3.4
 * implements it; the number is part of the library's ABI. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define NAME_MAX_LEN 64

struct sais_curve_t {
    char     name[NAME_MAX_LEN];
    char     dir[512];          /* bus.cert_dir */
    char     domain[64];        /* bus.zap_domain */
    uint8_t  public_key[32];
    uint8_t  secret_key[32];
    bool     holds_auth;        /* took a reference to the process's zauth actor */
};

/* The process's zauth actor, shared by every CURVE server in it. */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zactor_t *s_auth;
static size_t s_auth_refs;
static char s_auth_dir[600];
static char s_process_name[NAME_MAX_LEN];

bool sais_curve_enabled(const sais_config_t *cfg)
{
    return sais_config_bool(cfg, "bus.curve");
}

/* 1-63 of a-z 0-9 _ -: what a certificate file may be named after (no path tricks). */
static bool s_name_ok(const char *p, size_t n)
{
    if (n == 0 || n >= NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool s_zero(const uint8_t *k)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < 32; i++)
        acc |= k[i];
    return acc == 0;
}

static int s_path_for(const char *dir, const char *target, char *out, size_t outlen)
{
    const char *slash = target ? strchr(target, '/') : NULL;
    int n;
    if (!target)
        return -1;
    if (slash) {
        if (!s_name_ok(target, (size_t)(slash - target)) || !s_name_ok(slash + 1, strlen(slash + 1)))
            return -1;
        n = snprintf(out, outlen, "%s/remote/%s.cert", dir, target);
    } else {
        if (!s_name_ok(target, strlen(target)))
            return -1;
        n = snprintf(out, outlen, "%s/public/%s.cert", dir, target);
    }
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int sais_curve_server_cert_path(const sais_config_t *cfg, const char *target, char *out, size_t outlen)
{
    const char *dir = sais_config_get(cfg, "bus.cert_dir");
    return s_path_for(dir ? dir : "", target, out, outlen);
}

int sais_curve_new(const sais_config_t *cfg, const char *name, sais_curve_t **out, char *err,
                   size_t errlen)
{
    *out = NULL;
    if (!sais_curve_enabled(cfg))
        return 0;
    const char *dir = sais_config_get(cfg, "bus.cert_dir");
    const char *domain = sais_config_get(cfg, "bus.zap_domain");
    if (!zmq_has("curve")) {
        snprintf(err, errlen, "bus.curve is on but this libzmq has no CURVE support");
        return -1;
    }
    if (!dir || !*dir) {
        snprintf(err, errlen, "bus.curve is on but bus.cert_dir is empty");
        return -1;
    }
    if (!name || !s_name_ok(name, strlen(name))) {
        snprintf(err, errlen, "bus.curve is on but \"%s\" is no certificate name (a-z 0-9 _ -; "
                 "command-line tools need bus.cert_name)", name ? name : "");
        return -1;
    }
    if (!domain || !*domain || strlen(domain) >= sizeof ((sais_curve_t *)0)->domain) {
        snprintf(err, errlen, "bus.zap_domain must be 1-63 characters");
        return -1;
    }
    sais_curve_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char path[700];
    int n = snprintf(path, sizeof path, "%s/%s.secret", dir, name);
    if (n < 0 || (size_t)n >= sizeof path || strlen(dir) >= sizeof self->dir) {
        snprintf(err, errlen, "bus.cert_dir is too long");
        goto fail;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot read %s (%s): make it with `sais certs --dir %s %s`", path,
                 strerror(errno), dir, name);
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s must be a file only its owner can read (mode 0600, it is %04o)",
                 path, (unsigned)(st.st_mode & 07777));
        goto fail;
    }
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        snprintf(err, errlen, "%s is not a certificate (zcert format, from `sais certs`)", path);
        goto fail;
    }
    memcpy(self->public_key, zcert_public_key(cert), 32);
    memcpy(self->secret_key, zcert_secret_key(cert), 32);
    zcert_destroy(&cert);
    if (s_zero(self->secret_key) || s_zero(self->public_key)) {
        snprintf(err, errlen, "%s holds no secret key (a public certificate in its place?)", path);
        goto fail;
    }
    snprintf(self->name, sizeof self->name, "%s", name);
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    snprintf(self->domain, sizeof self->domain, "%s", domain);
    *out = self;
    return 0;
fail:
    sodium_memzero(self, sizeof *self);
    free(self);
    return -1;
}

/* Under s_lock. */
static void s_auth_release_locked(void)
{
    if (s_auth_refs > 0 && --s_auth_refs == 0) {
        zactor_destroy(&s_auth);
        s_auth_dir[0] = '\0';
    }
}

void sais_curve_destroy(sais_curve_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sais_curve_t *self = *self_p;
    if (self->holds_auth) {
        pthread_mutex_lock(&s_lock);
        s_auth_release_locked();
        pthread_mutex_unlock(&s_lock);
    }
    sodium_memzero(self, sizeof *self);
    free(self);
    *self_p = NULL;
}

/* Starts the process's zauth actor (or takes another reference to it). */
static int s_auth_acquire(sais_curve_t *self, char *err, size_t errlen)
{
    char pub[600];
    int n = snprintf(pub, sizeof pub, "%s/public", self->dir);
    if (n < 0 || (size_t)n >= sizeof pub) {
        snprintf(err, errlen, "bus.cert_dir is too long");
        return -1;
    }
    struct stat st;
    if (stat(pub, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "the allow-list %s is not a directory: put the public certificates "
                 "of every service allowed to connect there", pub);
        return -1;
    }
    int rc = -1;
    pthread_mutex_lock(&s_lock);
    if (s_auth) {
        if (strcmp(s_auth_dir, pub) != 0) {
            snprintf(err, errlen, "this process already authenticates against %s; one allow-list "
                     "per process (not also %s)", s_auth_dir, pub);
            goto done;
        }
        s_auth_refs++;
        rc = 0;
        goto done;
    }
    s_auth = zactor_new(zauth, NULL);
    if (!s_auth) {
        snprintf(err, errlen, "cannot start the zauth actor");
        goto done;
    }
    /* every zauth command answers with a signal; a CURVE server must not accept before the
     * allow-list is in place */
    if (zstr_sendx(s_auth, "CURVE", pub, NULL) != 0 || zsock_wait(s_auth) != 0) {
        snprintf(err, errlen, "zauth did not take the allow-list %s", pub);
        zactor_destroy(&s_auth);
        goto done;
    }
    snprintf(s_auth_dir, sizeof s_auth_dir, "%s", pub);
    s_auth_refs = 1;
    rc = 0;
    sais_info("CURVE: clients must hold a certificate in %s", pub);
done:
    pthread_mutex_unlock(&s_lock);
    if (rc == 0)
        self->holds_auth = true;
    return rc;
}

static int s_set(void *h, int opt, const void *v, size_t len, const char *what, char *err, size_t errlen)
{
    if (zmq_setsockopt(h, opt, v, len) != 0) {
        snprintf(err, errlen, "cannot set %s: %s", what, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

int sais_curve_server_options(const sais_curve_t *self, zsock_t *sock, char *err, size_t errlen)
{
    if (!self)
        return 0;
    void *h = zsock_resolve(sock);
    int one = 1;
    if (s_set(h, ZMQ_CURVE_PUBLICKEY, self->public_key, 32, "CURVE_PUBLICKEY", err, errlen) != 0
        || s_set(h, ZMQ_CURVE_SECRETKEY, self->secret_key, 32, "CURVE_SECRETKEY", err, errlen) != 0
        || s_set(h, ZMQ_CURVE_SERVER, &one, sizeof one, "CURVE_SERVER", err, errlen) != 0
        || s_set(h, ZMQ_ZAP_DOMAIN, self->domain, strlen(self->domain), "ZAP_DOMAIN", err, errlen) != 0)
        return -1;
    /* the point of it all: without this libzmq 4.3 accepts any client that knows the server
     * key when no ZAP handler answers. A library that does not know the option refuses it or
     * does not read it back: then this server does not start. */
    int got = 0;
    size_t glen = sizeof got;
    if (zmq_setsockopt(h, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0
        || zmq_getsockopt(h, ZMQ_ZAP_ENFORCE_DOMAIN, &got, &glen) != 0 || got != 1) {
        snprintf(err, errlen, "this libzmq does not support ZMQ_ZAP_ENFORCE_DOMAIN (%s): it would "
                 "accept any client that knows the server key, so bus.curve cannot be on with it",
                 zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

int sais_curve_server(sais_curve_t *self, zsock_t *sock, char *err, size_t errlen)
{
    if (!self)
        return 0;
    if (!self->holds_auth && s_auth_acquire(self, err, errlen) != 0)
        return -1;
    return sais_curve_server_options(self, sock, err, errlen);
}

int sais_curve_client(const sais_curve_t *self, zsock_t *sock, const char *target, char *err,
                      size_t errlen)
{
    if (!self)
        return 0;
    char path[700];
    if (s_path_for(self->dir, target, path, sizeof path) != 0) {
        snprintf(err, errlen, "no server certificate can be named after \"%s\"", target ? target : "");
        return -1;
    }
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        snprintf(err, errlen, "no public certificate of %s at %s (the server key is needed to "
                 "connect over CURVE)", target, path);
        return -1;
    }
    uint8_t server_key[32];
    memcpy(server_key, zcert_public_key(cert), 32);
    zcert_destroy(&cert);
    if (s_zero(server_key)) {
        snprintf(err, errlen, "%s holds no public key", path);
        return -1;
    }
    void *h = zsock_resolve(sock);
    return s_set(h, ZMQ_CURVE_PUBLICKEY, self->public_key, 32, "CURVE_PUBLICKEY", err, errlen) != 0
        || s_set(h, ZMQ_CURVE_SECRETKEY, self->secret_key, 32, "CURVE_SECRETKEY", err, errlen) != 0
        || s_set(h, ZMQ_CURVE_SERVERKEY, server_key, 32, "CURVE_SERVERKEY", err, errlen) != 0
        ? -1 : 0;
}

void sais_curve_note_service(const char *name)
{
    pthread_mutex_lock(&s_lock);
    if (!s_process_name[0] && name)
        snprintf(s_process_name, sizeof s_process_name, "%s", name);
    pthread_mutex_unlock(&s_lock);
}

int sais_curve_process_name(const sais_config_t *cfg, char *out, size_t outlen)
{
    const char *n = sais_config_get(cfg, "bus.cert_name");
    int rc = -1;
    pthread_mutex_lock(&s_lock);
    if (!n || !*n)
        n = s_process_name;
    if (*n) {
        int k = snprintf(out, outlen, "%s", n);
        rc = k > 0 && (size_t)k < outlen ? 0 : -1;
    }
    pthread_mutex_unlock(&s_lock);
    return rc;
}

static int s_mkdir(const char *path, mode_t mode, char *err, size_t errlen)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
    }
    snprintf(err, errlen, "cannot make the directory %s: %s", path, strerror(errno));
    return -1;
}

int sais_curve_generate(const char *dir, const char *name, char *err, size_t errlen)
{
    char secret[700], pubdir[600], pub[700];
    if (!name || !s_name_ok(name, strlen(name))) {
        snprintf(err, errlen, "\"%s\" is no certificate name (1-63 of a-z 0-9 _ -)", name ? name : "");
        return -1;
    }
    int a = snprintf(secret, sizeof secret, "%s/%s.secret", dir, name);
    int b = snprintf(pubdir, sizeof pubdir, "%s/public", dir);
    int c = snprintf(pub, sizeof pub, "%s/%s.cert", pubdir, name);
    if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof secret || (size_t)b >= sizeof pubdir
        || (size_t)c >= sizeof pub) {
        snprintf(err, errlen, "the directory name is too long");
        return -1;
    }
    if (s_mkdir(dir, 0700, err, errlen) != 0 || s_mkdir(pubdir, 0755, err, errlen) != 0)
        return -1;
    struct stat st;
    if (stat(secret, &st) == 0 || stat(pub, &st) == 0) {
        snprintf(err, errlen, "%s already has a certificate for %s; remove %s and %s first to "
                 "replace it (and hand out the new public one)", dir, name, secret, pub);
        return -1;
    }
    zcert_t *cert = zcert_new();
    if (!cert) {
        snprintf(err, errlen, "cannot make a keypair");
        return -1;
    }
    zcert_set_meta(cert, "service", "%s", name);
    zcert_set_meta(cert, "created-by", "sais certs");
    int rc = -1;
    /* zcert_save_secret creates the file under a private umask; chmod makes sure of 0600
     * whatever the umask was */
    if (zcert_save_secret(cert, secret) != 0 || chmod(secret, 0600) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", secret, strerror(errno));
        unlink(secret);
        goto done;
    }
    if (zcert_save_public(cert, pub) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", pub, strerror(errno));
        unlink(secret);
        unlink(pub);
        goto done;
    }
    rc = 0;
done:
    zcert_destroy(&cert);
    return rc;
}
