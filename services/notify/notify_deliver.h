/* notify_deliver — HTTP POSTs for SMS gateways and webhooks, many at once, none blocking.
 *
 * A deliverer owns a libcurl multi handle and the transfers in flight. notify_deliver_post()
 * queues one POST and returns at once; notify_deliver_poll() moves every transfer on as far
 * as it can without waiting and hands back the finished ones; notify_deliver_wait() sleeps
 * until one of them has news. The courier (notify_courier.c) calls poll on each pass of its
 * loop, so a receiver that hangs costs a transfer slot until its timeout, never the others.
 * A deliverer is driven by one thread at a time (notify_deliver_wakeup excepted).
 *
 * Every transfer: http or https only, no redirects (a 3xx is a failure), connect and total
 * timeouts, loopback never through a proxy, the response body discarded.
 */
#ifndef NOTIFY_DELIVER_H
#define NOTIFY_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct notify_deliver_t notify_deliver_t;

#define NOTIFY_DELIVER_MAX 64    /* transfers in flight at once */
#define NOTIFY_ERR_LEN     160
#define NOTIFY_SIG_BUF     72    /* "sha256=" + 64 hex + NUL */

typedef struct {
    uint64_t id;                   /* what notify_deliver_post was given */
    bool     ok;                   /* the receiver answered 2xx */
    long     http_status;          /* 0 if no HTTP answer at all */
    char     error[NOTIFY_ERR_LEN];/* "" when ok, else why ("HTTP 503", "Connection refused") */
} notify_outcome_t;

/* A deliverer whose transfers give up after timeout_ms (connecting included). NULL on
 * failure. Initialises libcurl once per process. */
notify_deliver_t *notify_deliver_new(long timeout_ms);
/* Aborts the transfers in flight (their notifications simply stay pending); idempotent. */
void notify_deliver_destroy(notify_deliver_t **self_p);

/* Queues a POST of body (copied) to url with Content-Type application/json,
 * X-Sais-Event-Id: event_id and, if signature is not NULL, X-Sais-Signature: signature.
 * 0, or -1 if the deliverer is full (NOTIFY_DELIVER_MAX), `id` is already in flight, or
 * libcurl refused the transfer. */
int notify_deliver_post(notify_deliver_t *self, uint64_t id, const char *url, const void *body,
                        size_t len, const char *event_id, const char *signature);

bool   notify_deliver_busy(const notify_deliver_t *self, uint64_t id);
size_t notify_deliver_inflight(const notify_deliver_t *self);

/* Drives the transfers without waiting; writes at most max finished ones to out and returns
 * how many. Finished transfers not reported stay queued for the next call. */
size_t notify_deliver_poll(notify_deliver_t *self, notify_outcome_t *out, size_t max);

/* Waits up to timeout_ms for network activity on the transfers in flight, or for
 * notify_deliver_wakeup(); with nothing in flight it simply sleeps until one of those.
 * 0 or -1. */
int notify_deliver_wait(notify_deliver_t *self, int timeout_ms);

/* Makes a notify_deliver_wait() in progress (or the next one) return at once. The one
 * function here that may be called from another thread than the one driving the transfers. */
void notify_deliver_wakeup(notify_deliver_t *self);

/* "sha256=<lowercase hex HMAC-SHA256 of body keyed with secret>" into out. 0 or -1. */
int notify_sign(const char *secret, const void *body, size_t len, char out[NOTIFY_SIG_BUF]);

/* True for an absolute http:// or https:// URL with a host, at most 2048 characters, without
 * white space or control characters. */
bool notify_url_ok(const char *url);

#endif
