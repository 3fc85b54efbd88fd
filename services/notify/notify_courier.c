/* notify_courier — see notify_courier.h.
 *
 * Reading order: run() (the loop), pass() (one write transaction: outcomes, then starts),
 * record_outcome() and attempt() (what happens to one notification).
 */
#include "notify_courier.h"
#include "notify_backoff.h"
#include "notify_deliver.h"
#include "notify_templates.h"
#include "sais_clock.h"
#include "sais_json.h"
#include "sais_log.h"
#include "sais_mask.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_PASS       32     /* deliveries started per write transaction */
#define IDLE_WAIT_MS   50     /* longest sleep: how late a new or retried notification may go */
#define ERROR_PAUSE_MS 200    /* after a failed write or a transfer libcurl would not take */
#define NO_SMS_GATEWAY "no SMS gateway configured"

struct notify_courier_t {
    notify_outbox_t  *ob;
    notify_deliver_t *dl;
    char              sms_url[2049];
    int64_t           backoff_ms, backoff_max_ms;
    uint32_t          max_attempts;
    pthread_t         thread;
    bool              running;        /* the thread was started (touched by the owner only) */
    atomic_bool       stop;
    atomic_llong      drain_until;    /* sais_clock_ms() after which a stopping courier quits */
    notify_outcome_t  outcomes[NOTIFY_DELIVER_MAX];   /* finished, not yet recorded */
    size_t            noutcomes;
};

/* ---------------------------------------------------------------- one pass */

typedef struct {
    uint64_t id;
    char    *url;
    char    *body;
    size_t   len;
    char     event_id[64 + 32 + 16 + NOTIFY_MAX_RCPT];
    char     sig[NOTIFY_SIG_BUF];
    bool     signed_;
} start_t;

typedef struct {
    notify_courier_t *co;
    size_t            budget;          /* most transfers to start */
    start_t           starts[PER_PASS];
    size_t            nstarts;
    bool              changed;
} pass_t;

static void starts_free(pass_t *p)
{
    for (size_t i = 0; i < p->nstarts; i++) {
        free(p->starts[i].url);
        free(p->starts[i].body);
    }
    p->nstarts = 0;
}

/* in flight: a transfer is running, or this pass is about to start one */
static bool in_flight(uint64_t id, void *vctx)
{
    pass_t *p = vctx;
    if (notify_deliver_busy(p->co->dl, id))
        return true;
    for (size_t i = 0; i < p->nstarts; i++)
        if (p->starts[i].id == id)
            return true;
    return false;
}

static void shown_recipient(const Ntf__Notification *n, char out[NOTIFY_MAX_RCPT + 1])
{
    if (strcmp(n->channel, "sms") == 0)
        sais_mask_phone(n->recipient, out, NOTIFY_MAX_RCPT + 1);
    else
        snprintf(out, NOTIFY_MAX_RCPT + 1, "%s", n->recipient);
}

static int record_outcome(pass_t *p, MDB_txn *txn, const notify_outcome_t *o)
{
    notify_courier_t *co = p->co;
    Ntf__Notification *n = NULL;
    int rc = notify_outbox_get(co->ob, txn, o->id, &n);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED)
        return 0;
    if (rc)
        return rc;
    if (strcmp(n->status, "pending") != 0) {
        /* recorded already: never touched again */
        protobuf_c_message_free_unpacked(&n->base, NULL);
        return 0;
    }
    char shown[NOTIFY_MAX_RCPT + 1];
    shown_recipient(n, shown);
    if (o->ok) {
        rc = notify_outbox_delivered(co->ob, txn, n, sais_clock_now());
        sais_debug("%s delivered to %s %s", n->notification_id, n->channel, shown);
    } else if (n->attempts + 1 >= co->max_attempts) {
        n->attempts++;
        rc = notify_outbox_failed(co->ob, txn, n, o->error);
        sais_warn("%s to %s %s failed for good after %u attempts: %s", n->notification_id,
                  n->channel, shown, n->attempts, o->error);
    } else {
        int64_t wait = notify_backoff_delay(co->backoff_ms, co->backoff_max_ms, n->attempts + 1, o->id);
        rc = notify_outbox_retry(co->ob, txn, n, o->error, sais_clock_ms() + wait);
        sais_info("%s to %s %s: %s; attempt %u again in %" PRId64 " ms", n->notification_id,
                  n->channel, shown, o->error, n->attempts + 1, wait);
    }
    protobuf_c_message_free_unpacked(&n->base, NULL);
    p->changed = true;
    return rc;
}

static int sms_start(pass_t *p, const Ntf__Notification *n, start_t *s)
{
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "to", n->recipient);
    sais_jw_kstr(&w, "body", n->body);
    sais_jw_kstr(&w, "notification_id", n->notification_id);
    sais_jw_obj_end(&w);
    s->body = sais_jw_take(&w, &s->len);
    s->url = strdup(p->co->sms_url);
    s->signed_ = false;
    return s->body && s->url ? 0 : ENOMEM;
}

/* 0 and a start, MDB_NOTFOUND if the webhook is gone, or an error */
static int webhook_start(pass_t *p, MDB_txn *txn, const Ntf__Notification *n, start_t *s)
{
    Ntf__Webhook *w = NULL;
    int rc = notify_outbox_webhook_get(p->co->ob, txn, n->recipient, &w);
    if (rc == MDB_CORRUPTED)
        return MDB_NOTFOUND;
    if (rc)
        return rc;
    s->len = strlen(n->body);
    s->body = strdup(n->body);
    s->url = strdup(w->url);
    rc = s->body && s->url ? 0 : ENOMEM;
    /* the signature covers the exact bytes sent: the stored body */
    if (rc == 0 && notify_sign(w->secret, s->body, s->len, s->sig) != 0)
        rc = ENOMEM;
    s->signed_ = true;
    ntf__webhook__free_unpacked(w, NULL);
    return rc;
}

static int attempt(pass_t *p, MDB_txn *txn, uint64_t id)
{
    notify_courier_t *co = p->co;
    Ntf__Notification *n = NULL;
    int rc = notify_outbox_get(co->ob, txn, id, &n);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
        sais_error("due notification %" PRIu64 " has no readable record; dropped from the due list", id);
        p->changed = true;
        return notify_outbox_drop_due(co->ob, txn, id);
    }
    if (rc)
        return rc;
    start_t *s = &p->starts[p->nstarts];
    memset(s, 0, sizeof *s);
    s->id = id;
    snprintf(s->event_id, sizeof s->event_id, "%s", n->event_key);
    int ch = notify_channel_parse(n->channel);
    if (strcmp(n->status, "pending") != 0) {
        /* never re-send what is recorded as delivered or failed */
        sais_error("%s is %s but was due; dropped from the due list", n->notification_id, n->status);
        rc = notify_outbox_drop_due(co->ob, txn, id);
        p->changed = true;
    } else if (ch == NOTIFY_SMS && !co->sms_url[0]) {
        rc = notify_outbox_park(co->ob, txn, n, NO_SMS_GATEWAY);
        p->changed = true;
    } else if (ch == NOTIFY_SMS || ch == NOTIFY_WEBHOOK) {
        rc = ch == NOTIFY_SMS ? sms_start(p, n, s) : webhook_start(p, txn, n, s);
        if (rc == 0) {
            p->nstarts++;
        } else {
            free(s->url);
            free(s->body);
            if (rc == MDB_NOTFOUND) {
                n->attempts++;
                rc = notify_outbox_failed(co->ob, txn, n, "the webhook no longer exists");
                p->changed = true;
            }
        }
    } else if (ch == NOTIFY_INBOX) {
        rc = notify_outbox_delivered(co->ob, txn, n, sais_clock_now());
        p->changed = true;
    } else {
        rc = notify_outbox_failed(co->ob, txn, n, "unknown channel");
        p->changed = true;
    }
    protobuf_c_message_free_unpacked(&n->base, NULL);
    return rc;
}

/* Outcomes first: a notification whose answer came back is settled before the due list is
 * read, so the same pass can never start it again, and its successor falls due at once. */
static int pass_fn(MDB_txn *txn, void *vctx)
{
    pass_t *p = vctx;
    notify_courier_t *co = p->co;
    starts_free(p); /* a transaction run again (map grown) starts from nothing */
    p->changed = false;
    int rc;
    for (size_t i = 0; i < co->noutcomes; i++)
        if ((rc = record_outcome(p, txn, &co->outcomes[i])))
            return rc;
    uint64_t ids[PER_PASS];
    size_t n = 0;
    if (p->budget > 0
        && (rc = notify_outbox_due(co->ob, txn, sais_clock_ms(), in_flight, p, ids, p->budget, &n)))
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = attempt(p, txn, ids[i])))
            return rc;
    return p->changed ? 0 : SAIS_TXN_ABORT;
}

typedef struct { notify_courier_t *co; bool any; } peek_t;

static bool peek_skip(uint64_t id, void *vctx)
{
    return notify_deliver_busy(((peek_t *)vctx)->co->dl, id);
}

static int peek_fn(MDB_txn *txn, void *vctx)
{
    peek_t *p = vctx;
    uint64_t id;
    size_t n = 0;
    int rc = notify_outbox_due(p->co->ob, txn, sais_clock_ms(), peek_skip, p, &id, 1, &n);
    p->any = n > 0;
    return rc;
}

/* Records the outcomes in hand and starts up to budget due deliveries. 0 when the
 * transaction committed (or had nothing to do), -1 when it failed: the outcomes are kept
 * and recorded on a later pass, nothing was started. *progress: something was recorded or
 * started. */
static int pass(notify_courier_t *co, size_t budget, bool *progress)
{
    *progress = false;
    pass_t *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->co = co;
    p->budget = budget > PER_PASS ? PER_PASS : budget;
    int rc = sais_store_write(co->ob->store, pass_fn, p);
    if (rc != 0 && rc != SAIS_TXN_ABORT) {
        sais_error("recording deliveries failed; will try again");
        starts_free(p);
        free(p);
        return -1;
    }
    *progress = co->noutcomes > 0 || p->nstarts > 0 || rc == 0;
    co->noutcomes = 0;
    int out = 0;
    /* only now, after the commit: a queue's next delivery goes out only once the outcome of
     * the one before it is durable, so a crash cannot make the earlier one arrive after it */
    for (size_t i = 0; i < p->nstarts; i++) {
        start_t *s = &p->starts[i];
        if (notify_deliver_post(co->dl, s->id, s->url, s->body, s->len, s->event_id,
                                s->signed_ ? s->sig : NULL) != 0) {
            sais_warn("notification %" PRIu64 ": the HTTP transfer could not be started", s->id);
            out = -1;
        }
    }
    starts_free(p);
    free(p);
    return out;
}

/* ---------------------------------------------------------------- the loop */

static void harvest(notify_courier_t *co)
{
    co->noutcomes += notify_deliver_poll(co->dl, co->outcomes + co->noutcomes,
                                         NOTIFY_DELIVER_MAX - co->noutcomes);
}

static void *run(void *arg)
{
    notify_courier_t *co = arg;
    sais_log_set_service("notify");
    int64_t paused_until = 0;
    for (;;) {
        harvest(co);
        int64_t now = sais_clock_ms();
        bool stopping = atomic_load(&co->stop);
        if (stopping && ((notify_deliver_inflight(co->dl) == 0 && co->noutcomes == 0)
                         || now >= atomic_load(&co->drain_until)))
            break;
        bool paused = now < paused_until;
        size_t room = NOTIFY_DELIVER_MAX - notify_deliver_inflight(co->dl);
        size_t budget = stopping || paused ? 0 : room;
        bool work = co->noutcomes > 0 && !paused;
        if (!work && budget > 0) {
            peek_t pk = {co, false};
            work = sais_store_read(co->ob->store, peek_fn, &pk) == 0 && pk.any;
        }
        bool progress = false;
        if (work && pass(co, budget, &progress) != 0)
            paused_until = sais_clock_ms() + ERROR_PAUSE_MS;
        if (progress)
            continue; /* a recorded delivery may have made the next one of its queue due */
        int wait = IDLE_WAIT_MS;
        if (stopping) {
            int64_t left = atomic_load(&co->drain_until) - sais_clock_ms();
            wait = left < wait ? (int)(left > 0 ? left : 0) : wait;
        }
        /* returns as soon as a transfer's socket has something, or on a wake-up */
        notify_deliver_wait(co->dl, wait);
    }
    return NULL;
}

/* ---------------------------------------------------------------- life cycle */

notify_courier_t *notify_courier_start(const notify_courier_cfg_t *cfg, char *err, size_t errlen)
{
    notify_courier_t *co = calloc(1, sizeof *co);
    if (!co) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    co->ob = cfg->ob;
    snprintf(co->sms_url, sizeof co->sms_url, "%s", cfg->sms_url ? cfg->sms_url : "");
    co->backoff_ms = cfg->backoff_ms;
    co->backoff_max_ms = cfg->backoff_max_ms;
    co->max_attempts = cfg->max_attempts;
    atomic_init(&co->stop, false);
    atomic_init(&co->drain_until, 0);
    co->dl = notify_deliver_new(cfg->timeout_ms);
    if (!co->dl) {
        snprintf(err, errlen, "libcurl does not initialise");
        free(co);
        return NULL;
    }
    int rc = pthread_create(&co->thread, NULL, run, co);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the delivery thread: %s", strerror(rc));
        notify_deliver_destroy(&co->dl);
        free(co);
        return NULL;
    }
    co->running = true;
    return co;
}

void notify_courier_stop(notify_courier_t **self_p, int drain_ms)
{
    if (!self_p || !*self_p)
        return;
    notify_courier_t *co = *self_p;
    if (co->running) {
        atomic_store(&co->drain_until, sais_clock_ms() + (drain_ms > 0 ? drain_ms : 0));
        atomic_store(&co->stop, true);
        notify_deliver_wakeup(co->dl);
        pthread_join(co->thread, NULL);
    }
    /* transfers still in flight are dropped: their notifications are pending in the store and
     * go out again after a restart (receivers dedupe on X-Sais-Event-Id) */
    notify_deliver_destroy(&co->dl);
    free(co);
    *self_p = NULL;
}
