/* notify_server — the notify service: its table, what each event becomes, and delivery.
 *
 * Reading order: the service table at the bottom; on_event (an event -> notifications, in
 * the consumer's write transaction); on_tick (due notifications -> HTTP, outcomes -> store).
 */
#include "notify.h"
#include "notify_backoff.h"
#include "notify_payload.h"
#include "notify_server.h"
#include "notify_templates.h"
#include "sais_clock.h"
#include "sais_log.h"
#include "sais_mask.h"
#include "intake.pb-c.h"
#include "match.pb-c.h"
#include "rules.pb-c.h"
#include "warn.pb-c.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_TICK_MS        100
#define NOTIFY_TICK_BUDGET_MS 30     /* longest a tick waits on the network */
#define NOTIFY_PER_TICK       32     /* deliveries started per tick */
#define NO_SMS_GATEWAY        "no SMS gateway configured"

static const char *const consumes[] = {"rules", "warn", "intake", "match", NULL};

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---------------------------------------------------------------- events -> notifications */

typedef struct {
    sais_svc_t            *svc;
    notify_state_t        *st;
    MDB_txn               *txn;
    const char            *producer;
    const Sais__Envelope  *ev;
    int64_t                now;
    unsigned               k;     /* notifications made from this event so far */
} ev_ctx_t;

/* A notification's id comes from the event that made it — producer, seq and its index among
 * that event's notifications — not from a counter: notify consumes several producers, and
 * how their events interleave depends on timing, so counter ids would make two runs over the
 * same events differ (and the state digests with them). Ordered by producer, then seq. */
static uint64_t event_id(const char *producer, uint64_t seq, unsigned k)
{
    static const char *const rank[] = {"rules", "warn", "intake", "match", NULL};
    uint64_t r = 5;
    for (uint64_t i = 0; rank[i]; i++)
        if (strcmp(rank[i], producer) == 0)
            r = i + 1;
    return (r << 56) | ((seq & 0xffffffffffffull) << 8) | (k & 0xff);
}

static int add(ev_ctx_t *c, notify_channel_t ch, const char *recipient, const char *template_name,
               const char *body, const char *hold)
{
    if (!recipient || !*recipient)
        return 0;
    if (strlen(recipient) > NOTIFY_MAX_RCPT) {
        sais_warn("%s:%" PRIu64 " %s: a %s recipient of %zu bytes is not plausible; skipped",
                  c->producer, c->ev->seq, c->ev->type, notify_channel_name(ch), strlen(recipient));
        return 0;
    }
    char key[64 + 32 + 8 + NOTIFY_MAX_RCPT];
    snprintf(key, sizeof key, "%s:%" PRIu64 ":%s:%s", c->producer, c->ev->seq,
             notify_channel_name(ch), recipient);
    notify_new_t n = {
        .event_key = key,
        .channel = ch,
        .recipient = recipient,
        .template_name = template_name,
        .body = body,
        .created_at = c->now,
        .delivered = ch == NOTIFY_INBOX, /* the inbox is ours: stored is delivered */
        .hold_reason = hold,
        .id = event_id(c->producer, c->ev->seq, c->k++),
    };
    uint64_t id = 0;
    int rc = notify_outbox_add(&c->st->ob, c->txn, &n, &id);
    if (rc == 0 && id) {
        char shown[NOTIFY_MAX_RCPT + 1];
        if (ch == NOTIFY_SMS)
            sais_mask_phone(recipient, shown, sizeof shown);
        else
            snprintf(shown, sizeof shown, "%s", recipient);
        sais_debug("notification %" PRIu64 ": %s to %s (%s %s:%" PRIu64 ")", id,
                   notify_channel_name(ch), shown, c->ev->type, c->producer, c->ev->seq);
    }
    return rc;
}

static int add_rendered(ev_ctx_t *c, notify_channel_t ch, const char *recipient, int r,
                        notify_msg_t *m, const char *hold)
{
    if (r < 0)
        return ENOMEM;
    int rc = r == 1 ? add(c, ch, recipient, m->template_name, m->body, hold) : 0;
    free(m->body);
    m->body = NULL;
    return rc;
}

static const char *region_of(const char *payload_region, const Sais__Envelope *ev)
{
    return payload_region && *payload_region ? payload_region : ev->region;
}

static int from_entitlement(ev_ctx_t *c)
{
    Rul__Entitlement *e = rul__entitlement__unpack(NULL, c->ev->payload.len, c->ev->payload.data);
    if (!e) {
        sais_warn("%s:%" PRIu64 " %s: payload does not unpack; no SMS or inbox item",
                  c->producer, c->ev->seq, c->ev->type);
        return 0;
    }
    notify_msg_t m;
    int rc = 0;
    if (notify_phone_ok(e->notify_phone)) {
        int r = notify_render_entitlement(c->ev->type, NOTIFY_SMS, e, c->st->signature, &m);
        rc = add_rendered(c, NOTIFY_SMS, e->notify_phone, r, &m, c->st->sms_url[0] ? NULL : NO_SMS_GATEWAY);
    } else if (e->notify_phone && *e->notify_phone) {
        char shown[32];
        sais_warn("%s:%" PRIu64 ": notify_phone %s is not a phone number; no SMS", c->producer,
                  c->ev->seq, sais_mask_phone(e->notify_phone, shown, sizeof shown));
    }
    if (rc == 0) {
        int r = notify_render_entitlement(c->ev->type, NOTIFY_INBOX, e, c->st->signature, &m);
        rc = add_rendered(c, NOTIFY_INBOX, region_of(e->region, c->ev), r, &m, NULL);
    }
    rul__entitlement__free_unpacked(e, NULL);
    return rc;
}

static int from_alert(ev_ctx_t *c)
{
    Wrn__Alert *a = wrn__alert__unpack(NULL, c->ev->payload.len, c->ev->payload.data);
    if (!a) {
        sais_warn("%s:%" PRIu64 " %s: payload does not unpack; no inbox item", c->producer,
                  c->ev->seq, c->ev->type);
        return 0;
    }
    notify_msg_t m;
    int r = notify_render_alert(c->ev->type, NOTIFY_INBOX, a, &m);
    int rc = add_rendered(c, NOTIFY_INBOX, region_of(a->region, c->ev), r, &m, NULL);
    wrn__alert__free_unpacked(a, NULL);
    return rc;
}

/* notify_templates.c; belongs in notify_templates.h (see there). */
int notify_render_application(const char *event_type, notify_channel_t ch,
                              const char *const *policies, size_t npolicies,
                              const char *household_id, const char *origin,
                              const char *signature, notify_msg_t *out);

/* The policies an application event is about: for pending_review those a reviewer decides,
 * for approved those granted, for rejected those asked for (none named: assistance in
 * general). At most max; returns how many. */
static size_t application_policies(const char *type, const Itk__Application *a, const char **out, size_t max)
{
    size_t n = 0;
    if (strcmp(type, "application.pending_review") == 0) {
        for (size_t i = 0; i < a->n_decisions && n < max; i++)
            if (a->decisions[i]->eligible && !a->decisions[i]->automatic)
                out[n++] = a->decisions[i]->policy;
    } else if (strcmp(type, "application.approved") == 0) {
        for (size_t i = 0; i < a->n_approved_policies && n < max; i++)
            out[n++] = a->approved_policies[i];
    }
    if (n == 0)
        for (size_t i = 0; i < a->n_policies && n < max; i++)
            out[n++] = a->policies[i];
    return n;
}

/* An application decided (or waiting for review): an SMS to the applicant's phone, and for
 * one waiting for review an inbox item for the handling county. */
static int from_application(ev_ctx_t *c)
{
    Itk__Application *a = itk__application__unpack(NULL, c->ev->payload.len, c->ev->payload.data);
    if (!a) {
        sais_warn("%s:%" PRIu64 " %s: payload does not unpack; no SMS or inbox item",
                  c->producer, c->ev->seq, c->ev->type);
        return 0;
    }
    const char *pol[16];
    size_t np = application_policies(c->ev->type, a, pol, 16);
    notify_msg_t m;
    int rc = 0;
    if (notify_phone_ok(a->phone)) {
        int r = notify_render_application(c->ev->type, NOTIFY_SMS, pol, np, a->household_id, a->origin,
                                          c->st->signature, &m);
        rc = add_rendered(c, NOTIFY_SMS, a->phone, r, &m, c->st->sms_url[0] ? NULL : NO_SMS_GATEWAY);
    }
    if (rc == 0) {
        int r = notify_render_application(c->ev->type, NOTIFY_INBOX, pol, np, a->household_id, a->origin,
                                          c->st->signature, &m);
        rc = add_rendered(c, NOTIFY_INBOX, region_of(a->handled_region, c->ev), r, &m, NULL);
    }
    itk__application__free_unpacked(a, NULL);
    return rc;
}

/* notify_templates.c; belongs in notify_templates.h (see there). */
int notify_render_wish(const char *event_type, notify_channel_t ch, const char *title,
                       const char *category, const char *donor, const char *household_id,
                       int64_t value, const char *signature, notify_msg_t *out);

/* A small wish matched or fulfilled: an inbox item for the household's county, and on
 * fulfilment an SMS to the head of household when match knows the phone. */
static int from_wish(ev_ctx_t *c)
{
    Mch__Wish *w = mch__wish__unpack(NULL, c->ev->payload.len, c->ev->payload.data);
    if (!w) {
        sais_warn("%s:%" PRIu64 " %s: payload does not unpack; no SMS or inbox item",
                  c->producer, c->ev->seq, c->ev->type);
        return 0;
    }
    notify_msg_t m;
    int rc = 0;
    if (notify_phone_ok(w->notify_phone)) {
        int r = notify_render_wish(c->ev->type, NOTIFY_SMS, w->title, w->category, w->donor,
                                   w->household_id, w->value, c->st->signature, &m);
        rc = add_rendered(c, NOTIFY_SMS, w->notify_phone, r, &m, c->st->sms_url[0] ? NULL : NO_SMS_GATEWAY);
    }
    if (rc == 0) {
        int r = notify_render_wish(c->ev->type, NOTIFY_INBOX, w->title, w->category, w->donor,
                                   w->household_id, w->value, c->st->signature, &m);
        rc = add_rendered(c, NOTIFY_INBOX, region_of(w->region, c->ev), r, &m, NULL);
    }
    mch__wish__free_unpacked(w, NULL);
    return rc;
}

static int offer_to_webhook(const Ntf__Webhook *w, void *vctx)
{
    ev_ctx_t *c = vctx;
    bool wanted = false;
    for (size_t i = 0; i < w->n_events && !wanted; i++)
        wanted = notify_event_matches(w->events[i], c->ev->type);
    if (!wanted)
        return 0;
    char event_id[64 + 32 + 16 + NOTIFY_MAX_RCPT];
    snprintf(event_id, sizeof event_id, "%s:%" PRIu64 ":webhook:%s", c->producer, c->ev->seq,
             w->webhook_id);
    size_t len = 0;
    char *body = notify_payload_json(c->producer, c->ev, event_id, &len);
    if (!body)
        return ENOMEM;
    int rc = add(c, NOTIFY_WEBHOOK, w->webhook_id, "webhook.event", body, NULL);
    free(body);
    return rc;
}

static int on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    notify_state_t *st = sais_svc_state(svc);
    if (!ev->type)
        return 0;
    ev_ctx_t c = {svc, st, txn, producer, ev, sais_clock_now(), 0};
    int rc = 0;
    if (strcmp(producer, "rules") == 0 && starts_with(ev->type, "entitlement."))
        rc = from_entitlement(&c);
    else if (strcmp(producer, "warn") == 0 && starts_with(ev->type, "alert."))
        rc = from_alert(&c);
    else if (strcmp(producer, "intake") == 0 && starts_with(ev->type, "application."))
        rc = from_application(&c);
    else if (strcmp(producer, "match") == 0 && starts_with(ev->type, "wish."))
        rc = from_wish(&c);
    if (rc == 0)
        rc = notify_outbox_webhooks_each(&st->ob, txn, NULL, offer_to_webhook, &c);
    return rc;
}

/* ---------------------------------------------------------------- delivery */

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
    notify_state_t *st;
    size_t          budget;          /* most transfers to start */
    start_t         starts[NOTIFY_PER_TICK];
    size_t          nstarts;
    bool            changed;
} tick_ctx_t;

static void starts_free(tick_ctx_t *t)
{
    for (size_t i = 0; i < t->nstarts; i++) {
        free(t->starts[i].url);
        free(t->starts[i].body);
    }
    t->nstarts = 0;
}

static bool in_flight(uint64_t id, void *vctx)
{
    tick_ctx_t *t = vctx;
    if (notify_deliver_busy(t->st->dl, id))
        return true;
    for (size_t i = 0; i < t->nstarts; i++)
        if (t->starts[i].id == id)
            return true;
    return false;
}

static int record_outcome(tick_ctx_t *t, MDB_txn *txn, const notify_outcome_t *o)
{
    notify_state_t *st = t->st;
    Ntf__Notification *n = NULL;
    int rc = notify_outbox_get(&st->ob, txn, o->id, &n);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED)
        return 0;
    if (rc)
        return rc;
    if (strcmp(n->status, "pending") != 0) {
        protobuf_c_message_free_unpacked(&n->base, NULL);
        return 0;
    }
    char shown[NOTIFY_MAX_RCPT + 1];
    if (strcmp(n->channel, "sms") == 0)
        sais_mask_phone(n->recipient, shown, sizeof shown);
    else
        snprintf(shown, sizeof shown, "%s", n->recipient);
    if (o->ok) {
        rc = notify_outbox_delivered(&st->ob, txn, n, sais_clock_now());
        sais_debug("%s delivered to %s %s", n->notification_id, n->channel, shown);
    } else if (n->attempts + 1 >= st->max_attempts) {
        n->attempts++;
        rc = notify_outbox_failed(&st->ob, txn, n, o->error);
        sais_warn("%s to %s %s failed for good after %u attempts: %s", n->notification_id,
                  n->channel, shown, n->attempts, o->error);
    } else {
        int64_t wait = notify_backoff_delay(st->backoff_ms, st->backoff_max_ms, n->attempts + 1, o->id);
        rc = notify_outbox_retry(&st->ob, txn, n, o->error, sais_clock_ms() + wait);
        sais_info("%s to %s %s: %s; attempt %u again in %" PRId64 " ms", n->notification_id,
                  n->channel, shown, o->error, n->attempts + 1, wait);
    }
    protobuf_c_message_free_unpacked(&n->base, NULL);
    t->changed = true;
    return rc;
}

static int sms_start(tick_ctx_t *t, const Ntf__Notification *n, start_t *s)
{
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "to", n->recipient);
    sais_jw_kstr(&w, "body", n->body);
    sais_jw_kstr(&w, "notification_id", n->notification_id);
    sais_jw_obj_end(&w);
    s->body = sais_jw_take(&w, &s->len);
    s->url = strdup(t->st->sms_url);
    s->signed_ = false;
    return s->body && s->url ? 0 : ENOMEM;
}

/* 0 and a start, MDB_NOTFOUND if the webhook is gone, or an error */
static int webhook_start(tick_ctx_t *t, MDB_txn *txn, const Ntf__Notification *n, start_t *s)
{
    Ntf__Webhook *w = NULL;
    int rc = notify_outbox_webhook_get(&t->st->ob, txn, n->recipient, &w);
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

static int attempt(tick_ctx_t *t, MDB_txn *txn, uint64_t id)
{
    notify_state_t *st = t->st;
    Ntf__Notification *n = NULL;
    int rc = notify_outbox_get(&st->ob, txn, id, &n);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
        sais_error("due notification %" PRIu64 " has no readable record", id);
        return 0;
    }
    if (rc)
        return rc;
    start_t *s = &t->starts[t->nstarts];
    memset(s, 0, sizeof *s);
    s->id = id;
    snprintf(s->event_id, sizeof s->event_id, "%s", n->event_key);
    int ch = notify_channel_parse(n->channel);
    if (strcmp(n->status, "pending") != 0) {
        sais_error("%s is %s but was due; dropped from the due list", n->notification_id, n->status);
        rc = notify_outbox_drop_due(&st->ob, txn, id);
        t->changed = true;
    } else if (ch == NOTIFY_SMS && !st->sms_url[0]) {
        rc = notify_outbox_park(&st->ob, txn, n, NO_SMS_GATEWAY);
        t->changed = true;
    } else if (ch == NOTIFY_SMS || ch == NOTIFY_WEBHOOK) {
        rc = ch == NOTIFY_SMS ? sms_start(t, n, s) : webhook_start(t, txn, n, s);
        if (rc == 0) {
            t->nstarts++;
        } else {
            free(s->url);
            free(s->body);
            if (rc == MDB_NOTFOUND) {
                n->attempts++;
                rc = notify_outbox_failed(&st->ob, txn, n, "the webhook no longer exists");
                t->changed = true;
            }
        }
    } else if (ch == NOTIFY_INBOX) {
        rc = notify_outbox_delivered(&st->ob, txn, n, sais_clock_now());
        t->changed = true;
    } else {
        rc = notify_outbox_failed(&st->ob, txn, n, "unknown channel");
        t->changed = true;
    }
    protobuf_c_message_free_unpacked(&n->base, NULL);
    return rc;
}

static int tick_fn(MDB_txn *txn, void *vctx)
{
    tick_ctx_t *t = vctx;
    notify_state_t *st = t->st;
    starts_free(t); /* a retried transaction starts from nothing */
    t->changed = false;
    int rc;
    for (size_t i = 0; i < st->noutcomes; i++)
        if ((rc = record_outcome(t, txn, &st->outcomes[i])))
            return rc;
    uint64_t ids[NOTIFY_PER_TICK];
    size_t n = 0;
    if ((rc = notify_outbox_due(&st->ob, txn, sais_clock_ms(), in_flight, t, ids, t->budget, &n)))
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = attempt(t, txn, ids[i])))
            return rc;
    return t->changed ? 0 : SAIS_TXN_ABORT;
}

typedef struct { notify_state_t *st; bool any; } peek_ctx_t;

static bool peek_skip(uint64_t id, void *vctx)
{
    return notify_deliver_busy(((peek_ctx_t *)vctx)->st->dl, id);
}

static int peek_fn(MDB_txn *txn, void *vctx)
{
    peek_ctx_t *p = vctx;
    uint64_t id;
    size_t n = 0;
    int rc = notify_outbox_due(&p->st->ob, txn, sais_clock_ms(), peek_skip, p, &id, 1, &n);
    p->any = n > 0;
    return rc;
}

static void harvest(notify_state_t *st)
{
    st->noutcomes += notify_deliver_poll(st->dl, st->outcomes + st->noutcomes,
                                         NOTIFY_DELIVER_MAX - st->noutcomes);
}

/* One round: record what finished, start what is due. Returns how many transfers started. */
static size_t round_once(sais_svc_t *svc, notify_state_t *st, size_t budget)
{
    tick_ctx_t *t = calloc(1, sizeof *t);
    if (!t)
        return 0;
    t->st = st;
    t->budget = budget;
    int rc = sais_svc_write(svc, tick_fn, t);
    size_t started = 0;
    if (rc == 0 || rc == SAIS_TXN_ABORT) {
        st->noutcomes = 0;
        for (size_t i = 0; i < t->nstarts; i++) {
            start_t *s = &t->starts[i];
            if (notify_deliver_post(st->dl, s->id, s->url, s->body, s->len, s->event_id,
                                    s->signed_ ? s->sig : NULL) == 0)
                started++;
            else
                sais_warn("notification %" PRIu64 ": the HTTP transfer could not be started", s->id);
        }
    } else {
        /* outcomes stay in memory and are recorded on the next round */
        sais_error("recording deliveries failed; will retry");
    }
    starts_free(t);
    free(t);
    return started;
}

static void on_tick(sais_svc_t *svc)
{
    notify_state_t *st = sais_svc_state(svc);
    if (!st)
        return;
    int64_t deadline = sais_clock_ms() + NOTIFY_TICK_BUDGET_MS;
    size_t started = 0;
    /* rounds within a small time budget, so that a chain of deliveries to one quick receiver
     * (each waiting for the one before) moves faster than one step per tick */
    for (int round = 0; round < NOTIFY_PER_TICK; round++) {
        harvest(st);
        size_t room = NOTIFY_DELIVER_MAX - notify_deliver_inflight(st->dl);
        size_t budget = NOTIFY_PER_TICK - started;
        if (room < budget)
            budget = room;
        bool finished = st->noutcomes > 0, work = finished;
        if (!work && budget > 0) {
            peek_ctx_t p = {st, false};
            work = sais_store_read(sais_svc_store(svc), peek_fn, &p) == 0 && p.any;
        }
        size_t now_started = work ? round_once(svc, st, budget) : 0;
        started += now_started;
        /* wait only while things move: transfers that were already slow before this tick
         * are left to the next one rather than holding the actor */
        if ((!finished && now_started == 0) || notify_deliver_inflight(st->dl) == 0)
            break;
        int64_t left = deadline - sais_clock_ms();
        if (left <= 0)
            break;
        notify_deliver_wait(st->dl, (int)left);
    }
}

/* ---------------------------------------------------------------- life cycle */

static int unpark_fn(MDB_txn *txn, void *vctx)
{
    notify_state_t *st = vctx;
    size_t n = 0;
    int rc = notify_outbox_unpark_all(&st->ob, txn, &n);
    if (rc == 0 && n)
        sais_info("%zu SMS waiting for a gateway are due now", n);
    return rc == 0 && n == 0 ? SAIS_TXN_ABORT : rc;
}

static int on_start(sais_svc_t *svc, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium does not initialise");
        return -1;
    }
    const sais_config_t *cfg = sais_svc_config(svc);
    notify_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sais_svc_set_state(svc, st);
    notify_outbox_init(&st->ob, sais_svc_store(svc));
    const char *sms = sais_config_get(cfg, "notify.sms_endpoint");
    if (sms && *sms) {
        if (!notify_url_ok(sms)) {
            snprintf(err, errlen, "notify.sms_endpoint is not an http(s) URL");
            return -1;
        }
        snprintf(st->sms_url, sizeof st->sms_url, "%s", sms);
    }
    /* a key the config table may not know yet: asking sais_config_default does not log */
    const char *sig = sais_config_default("notify.sms_signature") ? sais_config_get(cfg, "notify.sms_signature") : NULL;
    snprintf(st->signature, sizeof st->signature, "%s", sig && *sig ? sig : NOTIFY_SMS_SIGNATURE);
    st->backoff_ms = sais_config_int(cfg, "notify.backoff_ms");
    st->backoff_max_ms = sais_config_int(cfg, "notify.backoff_max_ms");
    int64_t max = sais_config_int(cfg, "notify.max_attempts");
    int64_t timeout = sais_config_int(cfg, "notify.http_timeout_ms");
    if (st->backoff_ms < 1 || st->backoff_max_ms < st->backoff_ms || max < 1 || max > 1000
        || timeout < 10) {
        snprintf(err, errlen, "notify.backoff_ms, backoff_max_ms, max_attempts or http_timeout_ms out of range");
        return -1;
    }
    st->max_attempts = (uint32_t)max;
    st->dl = notify_deliver_new((long)timeout);
    if (!st->dl) {
        snprintf(err, errlen, "libcurl does not initialise");
        return -1;
    }
    if (st->sms_url[0]) {
        int rc = sais_svc_write(svc, unpark_fn, st);
        if (rc != 0 && rc != SAIS_TXN_ABORT) {
            snprintf(err, errlen, "cannot release SMS waiting for a gateway");
            return -1;
        }
    }
    return 0;
}

static void on_stop(sais_svc_t *svc)
{
    notify_state_t *st = sais_svc_state(svc);
    if (!st)
        return;
    /* transfers in flight are dropped: their notifications are still pending in the store and
     * go out again after a restart (receivers dedupe on X-Sais-Event-Id) */
    notify_deliver_destroy(&st->dl);
    free(st);
    sais_svc_set_state(svc, NULL);
}

static const sais_method_t methods[] = {
    {"notifications.list", SAIS_M_READ, notify_api_list},
    {"webhooks.create", SAIS_M_WRITE, notify_api_webhook_create},
    {"webhooks.list", SAIS_M_READ, notify_api_webhook_list},
    {NULL, 0, NULL},
};

const sais_service_def_t notify_service = {
    .name = "notify",
    .dbis = notify_dbis,
    .methods = methods,
    .consumes = consumes,
    .on_event = on_event,
    .on_start = on_start,
    .on_stop = on_stop,
    .on_tick = on_tick,
    .tick_ms = NOTIFY_TICK_MS,
};
