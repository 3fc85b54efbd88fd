/* notify_server — the notify service: its table, what each event becomes, its life cycle.
 *
 * Reading order: the service table at the bottom; on_event (an event -> notifications, in
 * the consumer's write transaction); on_start/on_stop. Delivery (due notifications -> HTTP,
 * outcomes -> store) runs on its own thread: notify_courier.c.
 */
#include "notify.h"
#include "notify_deliver.h"
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

#define NO_SMS_GATEWAY        "no SMS gateway configured"
#define NOTIFY_DRAIN_MAX_MS   2000   /* longest a clean stop waits for deliveries in flight */

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
    if (c->k > NOTIFY_PER_EVENT_MAX - 1) {
        /* the id has 8 bits for k: a 257th notification would take another's id */
        sais_error("%s:%" PRIu64 " %s: more than %d notifications from one event; no %s to %s",
                   c->producer, c->ev->seq, c->ev->type, NOTIFY_PER_EVENT_MAX, notify_channel_name(ch),
                   ch == NOTIFY_SMS ? "a phone" : recipient);
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
    int64_t backoff, backoff_max, max, timeout;
    if (sais_config_int_in(cfg, "notify.backoff_ms", 1, 86400000, "ms", &backoff, err, errlen) != 0
        || sais_config_int_in(cfg, "notify.backoff_max_ms", backoff, 86400000, "ms (at least notify.backoff_ms)",
                              &backoff_max, err, errlen) != 0
        || sais_config_int_in(cfg, "notify.max_attempts", 1, 1000, "attempts", &max, err, errlen) != 0
        || sais_config_int_in(cfg, "notify.http_timeout_ms", 10, 600000, "ms", &timeout, err, errlen) != 0)
        return -1;
    st->backoff_ms = backoff;
    st->backoff_max_ms = backoff_max;
    st->max_attempts = (uint32_t)max;
    st->drain_ms = timeout < NOTIFY_DRAIN_MAX_MS ? (int)timeout : NOTIFY_DRAIN_MAX_MS;
    if (st->sms_url[0]) {
        int rc = sais_svc_write(svc, unpark_fn, st);
        if (rc != 0 && rc != SAIS_TXN_ABORT) {
            snprintf(err, errlen, "cannot release SMS waiting for a gateway");
            return -1;
        }
    }
    /* last: from here on deliveries go out, resuming whatever the outbox holds */
    notify_courier_cfg_t cc = {
        .ob = &st->ob,
        .sms_url = st->sms_url,
        .backoff_ms = st->backoff_ms,
        .backoff_max_ms = st->backoff_max_ms,
        .max_attempts = (uint32_t)max,
        .timeout_ms = (long)timeout,
    };
    st->courier = notify_courier_start(&cc, err, errlen);
    return st->courier ? 0 : -1;
}

static void on_stop(sais_svc_t *svc)
{
    notify_state_t *st = sais_svc_state(svc);
    if (!st)
        return;
    /* before the store closes: the courier records what it can of the deliveries in flight */
    notify_courier_stop(&st->courier, st->drain_ms);
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
};
