/* notify_deliver — see notify_deliver.h. */
#include "notify_deliver.h"
#include "sais_log.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t           id;
    CURL              *easy;
    struct curl_slist *headers;
    char              *body;
    char               errbuf[CURL_ERROR_SIZE];
} transfer_t;

struct notify_deliver_t {
    CURLM      *multi;
    long        timeout_ms;
    transfer_t *xfers[NOTIFY_DELIVER_MAX];
    size_t      n;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    /* once per process; never cleaned up: other threads may still be using libcurl */
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void transfer_free(transfer_t *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t);
}

notify_deliver_t *notify_deliver_new(long timeout_ms)
{
    if (pthread_once(&curl_once, curl_init) != 0 || curl_init_rc != CURLE_OK)
        return NULL;
    notify_deliver_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->multi = curl_multi_init();
    if (!self->multi) {
        free(self);
        return NULL;
    }
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    return self;
}

void notify_deliver_destroy(notify_deliver_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_deliver_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        curl_multi_remove_handle(self->multi, self->xfers[i]->easy);
        transfer_free(self->xfers[i]);
    }
    curl_multi_cleanup(self->multi);
    free(self);
    *self_p = NULL;
}

bool notify_deliver_busy(const notify_deliver_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->xfers[i]->id == id)
            return true;
    return false;
}

size_t notify_deliver_inflight(const notify_deliver_t *self)
{
    return self->n;
}

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

static bool add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s: %s", name, value);
    if (n < 0 || (size_t)n >= sizeof line)
        return false;
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return false;
    *list = l;
    return true;
}

#define SETOPT(h, opt, val) (curl_easy_setopt((h), (opt), (val)) == CURLE_OK)

int notify_deliver_post(notify_deliver_t *self, uint64_t id, const char *url, const void *body,
                        size_t len, const char *event_id, const char *signature)
{
    if (self->n == NOTIFY_DELIVER_MAX || notify_deliver_busy(self, id) || !url)
        return -1;
    transfer_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->id = id;
    t->body = malloc(len ? len : 1);
    t->easy = curl_easy_init();
    if (!t->body || !t->easy)
        goto fail;
    if (len)
        memcpy(t->body, body, len);
    /* "Expect:" off: curl would otherwise wait up to a second for 100-continue on big bodies */
    if (!add_header(&t->headers, "Content-Type", "application/json; charset=utf-8")
        || !add_header(&t->headers, "Expect", "")
        || !add_header(&t->headers, "X-Sais-Event-Id", event_id ? event_id : "")
        || (signature && !add_header(&t->headers, "X-Sais-Signature", signature)))
        goto fail;
    long connect_ms = self->timeout_ms < 3000 ? self->timeout_ms : 3000;
    CURL *h = t->easy;
    if (!SETOPT(h, CURLOPT_URL, url)
        || !SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https")
        || !SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        || !SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L)
        || !SETOPT(h, CURLOPT_NOSIGNAL, 1L)
        || !SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms)
        || !SETOPT(h, CURLOPT_TIMEOUT_MS, self->timeout_ms)
        || !SETOPT(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1")
        || !SETOPT(h, CURLOPT_POST, 1L)
        || !SETOPT(h, CURLOPT_POSTFIELDS, t->body)
        || !SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len)
        || !SETOPT(h, CURLOPT_HTTPHEADER, t->headers)
        || !SETOPT(h, CURLOPT_USERAGENT, "sais-notify/1")
        || !SETOPT(h, CURLOPT_WRITEFUNCTION, discard)
        || !SETOPT(h, CURLOPT_ERRORBUFFER, t->errbuf)
        || !SETOPT(h, CURLOPT_PRIVATE, t))
        goto fail;
    if (curl_multi_add_handle(self->multi, h) != CURLM_OK)
        goto fail;
    self->xfers[self->n++] = t;
    return 0;
fail:
    transfer_free(t);
    return -1;
}

static void forget(notify_deliver_t *self, transfer_t *t)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->xfers[i] == t) {
            self->xfers[i] = self->xfers[--self->n];
            break;
        }
    curl_multi_remove_handle(self->multi, t->easy);
    transfer_free(t);
}

size_t notify_deliver_poll(notify_deliver_t *self, notify_outcome_t *out, size_t max)
{
    int running = 0;
    CURLMcode mc = curl_multi_perform(self->multi, &running);
    if (mc != CURLM_OK)
        sais_warn("curl_multi_perform: %s", curl_multi_strerror(mc));
    size_t got = 0;
    CURLMsg *msg;
    int left;
    while (got < max && (msg = curl_multi_info_read(self->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv)
            continue;
        transfer_t *t = (transfer_t *)(void *)priv;
        notify_outcome_t *o = &out[got++];
        memset(o, 0, sizeof *o);
        o->id = t->id;
        CURLcode rc = msg->data.result;
        if (rc == CURLE_OK) {
            long code = 0;
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
            o->http_status = code;
            o->ok = code >= 200 && code < 300;
            if (!o->ok)
                snprintf(o->error, sizeof o->error, "HTTP %ld", code);
        } else {
            snprintf(o->error, sizeof o->error, "%.150s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        }
        forget(self, t);
    }
    return got;
}

int notify_deliver_wait(notify_deliver_t *self, int timeout_ms)
{
    if (timeout_ms <= 0)
        return 0;
    int fds = 0;
    /* curl_multi_poll, unlike curl_multi_wait, sleeps the whole timeout when there is no
     * socket to watch, and curl_multi_wakeup interrupts it */
    return curl_multi_poll(self->multi, NULL, 0, timeout_ms, &fds) == CURLM_OK ? 0 : -1;
}

void notify_deliver_wakeup(notify_deliver_t *self)
{
    if (self)
        curl_multi_wakeup(self->multi);
}

int notify_sign(const char *secret, const void *body, size_t len, char out[NOTIFY_SIG_BUF])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    /* the _init form takes a key of any length, as HMAC does; receivers use their
     * standard library's HMAC with the same secret */
    if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret)) != 0
        || crypto_auth_hmacsha256_update(&st, body, len) != 0
        || crypto_auth_hmacsha256_final(&st, mac) != 0)
        return -1;
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, NOTIFY_SIG_BUF - 7, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
    return 0;
}

bool notify_url_ok(const char *url)
{
    if (!url)
        return false;
    size_t n = strlen(url);
    if (n == 0 || n > 2048)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
            return false;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return false;
    /* libcurl reads "http:///x" as host "x"; the authority must really be there */
    const char *auth = strstr(url, "://") + 3;
    if (*auth == '/' || *auth == '?' || *auth == '#' || *auth == '\0')
        return false;
    if (pthread_once(&curl_once, curl_init) != 0 || curl_init_rc != CURLE_OK)
        return false;
    CURLU *u = curl_url();
    if (!u)
        return false;
    bool ok = false;
    char *host = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host)
        ok = true;
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}
