/* notify_api — the notify service's request handlers (API.md "Notifications").
 *
 * Who sees what: admin and internal callers see every notification; any other role (a
 * caseworker, reviewer or the city) sees inbox items only, of the regions it may see
 * (sais_req_sees_region). SMS recipients are residents' phone numbers and webhook bodies are
 * integration traffic: neither is a caseworker's business. Webhooks are admin-only.
 */
#include "notify_deliver.h"
#include "notify_payload.h"
#include "notify_server.h"
#include "notify_templates.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX_SCAN   20000   /* records looked at per page; a sparse filter pages on */
#define WEBHOOK_MAX_EVENTS 32
#define SECRET_MIN      16
#define SECRET_MAX      256

static bool privileged(const Sais__Request *req)
{
    const char *role = sais_req_role(req);
    return !*role || strcmp(role, "admin") == 0;
}

/* ---------------------------------------------------------------- notifications.list */

typedef struct {
    const Sais__Request *req;
    const char          *status;
    int                  channel;   /* -1 = any */
    bool                 all;       /* privileged caller */
    sais_jw_t           *w;
} list_ctx_t;

static bool list_keep(const Ntf__Notification *n, void *vctx)
{
    list_ctx_t *c = vctx;
    if (c->status && strcmp(n->status, c->status) != 0)
        return false;
    int ch = notify_channel_parse(n->channel);
    if (c->channel >= 0 && ch != c->channel)
        return false;
    if (c->all)
        return true;
    return ch == NOTIFY_INBOX && sais_req_sees_region(c->req, n->recipient);
}

static void list_emit(const Ntf__Notification *n, void *vctx)
{
    sais_jw_t *w = ((list_ctx_t *)vctx)->w;
    sais_jw_obj(w);
    sais_jw_kstr(w, "notification_id", n->notification_id);
    sais_jw_kstr(w, "recipient", n->recipient);
    sais_jw_kstr(w, "channel", n->channel);
    sais_jw_kstr(w, "template", n->template_);
    sais_jw_kstr(w, "body", n->body);
    sais_jw_kstr(w, "status", n->status);
    sais_jw_kint(w, "attempts", n->attempts);
    sais_jw_ktime(w, "created_at", n->created_at);
    sais_jw_ktime(w, "delivered_at", n->delivered_at);
    sais_jw_kstr(w, "last_error", n->last_error && *n->last_error ? n->last_error : NULL);
    sais_jw_obj_end(w);
}

int notify_api_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    notify_state_t *st = sais_svc_state(svc);
    int limit = sais_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "bad_limit", "limit must be a number from 1 to 1000");
    const char *status = sais_req_param(req, "status");
    if (status && !*status)
        status = NULL;
    if (status && strcmp(status, "pending") != 0 && strcmp(status, "delivered") != 0
        && strcmp(status, "failed") != 0)
        return sais_reply_invalid(reply, "status", "bad_status", "status must be pending, delivered or failed");
    const char *chs = sais_req_param(req, "channel");
    int channel = -1;
    if (chs && *chs && (channel = notify_channel_parse(chs)) < 0)
        return sais_reply_invalid(reply, "channel", "bad_channel", "channel must be sms, webhook or inbox");
    const char *recipient = sais_req_param(req, "recipient");
    if (recipient && !*recipient)
        recipient = NULL;
    if (recipient && strlen(recipient) > NOTIFY_MAX_RCPT)
        return sais_reply_invalid(reply, "recipient", "bad_recipient", "recipient is too long");
    const char *cursor = sais_req_param(req, "cursor");
    uint64_t before = 0;
    if (cursor && *cursor && (before = notify_id_parse(cursor)) == 0)
        return sais_reply_invalid(reply, "cursor", "bad_cursor", "cursor is not one this list gave out");

    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_key(&w, "items");
    sais_jw_arr(&w);
    list_ctx_t c = {req, status, channel, privileged(req), &w};
    uint64_t next = 0;
    /* only the inbox is shown to the unprivileged: asking for another channel is asking for
     * nothing, and scanning the whole outbox to say so would be waste */
    if (c.all || channel < 0 || channel == NOTIFY_INBOX) {
        int rc = notify_outbox_scan(&st->ob, txn, recipient, before, (size_t)limit, LIST_MAX_SCAN,
                                    list_keep, list_emit, &c, &next);
        if (rc) {
            sais_jw_free(&w);
            return rc;
        }
    }
    sais_jw_arr_end(&w);
    char nc[NOTIFY_ID_BUF];
    notify_id_format(next, nc);
    sais_jw_kstr(&w, "next_cursor", next ? nc : NULL);
    sais_jw_obj_end(&w);
    if (sais_reply_jw(reply, 200, &w) != 0) {
        sais_jw_free(&w);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- webhooks */

static void webhook_json(sais_jw_t *w, const Ntf__Webhook *h)
{
    sais_jw_obj(w);
    sais_jw_kstr(w, "webhook_id", h->webhook_id);
    sais_jw_kstr(w, "url", h->url);
    sais_jw_key(w, "events");
    sais_jw_arr(w);
    for (size_t i = 0; i < h->n_events; i++)
        sais_jw_str(w, h->events[i]);
    sais_jw_arr_end(w);
    sais_jw_ktime(w, "created_at", h->created_at);
    sais_jw_obj_end(w);
}

int notify_api_webhook_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req,
                              sais_reply_t *reply)
{
    notify_state_t *st = sais_svc_state(svc);
    if (!privileged(req))
        return sais_reply_problem(reply, 403, "forbidden", "only an admin may create webhooks");
    char err[256];
    json_t *root = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!root)
        return sais_reply_problem(reply, 400, "bad_json", "%s", err);
    int rc = 0;
    char **events = NULL;
    const char *url = sais_json_str(root, "url");
    const char *secret = sais_json_str(root, "secret");
    json_t *evs = json_object_get(root, "events");
    if (!url) {
        rc = sais_reply_invalid(reply, "url", "missing_field", "url is required");
        goto done;
    }
    if (!notify_url_ok(url)) {
        rc = sais_reply_invalid(reply, "url", "bad_url", "url must be an absolute http:// or https:// URL");
        goto done;
    }
    if (!json_is_array(evs) || json_array_size(evs) == 0 || json_array_size(evs) > WEBHOOK_MAX_EVENTS) {
        rc = sais_reply_invalid(reply, "events", "bad_events",
                                "events must be a list of 1 to 32 event types");
        goto done;
    }
    size_t nev = json_array_size(evs);
    events = calloc(nev, sizeof *events);
    if (!events) {
        rc = -1;
        goto done;
    }
    for (size_t i = 0; i < nev; i++) {
        const char *e = json_string_value(json_array_get(evs, i));
        if (!notify_event_pattern_ok(e)) {
            char msg[160];
            snprintf(msg, sizeof msg, "events[%zu] is not a known event type or a family wildcard like \"entitlement.*\"", i);
            rc = sais_reply_invalid(reply, "events", "unknown_event", msg);
            goto done;
        }
        events[i] = (char *)e;
    }
    if (!secret) {
        rc = sais_reply_invalid(reply, "secret", "missing_field", "secret is required");
        goto done;
    }
    size_t sl = strlen(secret);
    if (sl < SECRET_MIN || sl > SECRET_MAX) {
        rc = sais_reply_invalid(reply, "secret", "bad_secret", "secret must be 16 to 256 characters");
        goto done;
    }

    size_t hooks;
    if ((rc = sais_entries(txn, st->ob.hooks, &hooks)))
        goto done;
    if (hooks >= NOTIFY_WEBHOOKS_MAX) {
        rc = sais_reply_problem(reply, 409, "too_many_webhooks", "there are %d webhooks already, the most notify keeps",
                                NOTIFY_WEBHOOKS_MAX);
        goto done;
    }
    uint64_t n;
    if ((rc = sais_next_id(st->ob.store, txn, "webhook", &n)))
        goto done;
    char id[32];
    snprintf(id, sizeof id, "wh-%06" PRIu64, n);
    Ntf__Webhook h = NTF__WEBHOOK__INIT;
    h.webhook_id = id;
    h.url = (char *)url;
    h.events = events;
    h.n_events = nev;
    h.secret = (char *)secret;
    h.created_at = sais_clock_now();
    h.created_by = req->caller && req->caller->key_id ? req->caller->key_id : "";
    if ((rc = notify_outbox_webhook_put(&st->ob, txn, &h)))
        goto done;
    sais_info("webhook %s created for %zu event pattern(s)", id, nev);
    sais_jw_t w;
    sais_jw_init(&w);
    webhook_json(&w, &h);
    if (sais_reply_jw(reply, 201, &w) != 0) {
        sais_jw_free(&w);
        rc = -1;
    }
done:
    free(events);
    json_decref(root);
    return rc;
}

typedef struct {
    sais_jw_t *w;
    size_t     left;
    char       last[64];
    bool       more;
} hooks_ctx_t;

static int hooks_emit(const Ntf__Webhook *h, void *vctx)
{
    hooks_ctx_t *c = vctx;
    if (c->left == 0) {
        c->more = true;
        return 1;
    }
    webhook_json(c->w, h);
    snprintf(c->last, sizeof c->last, "%s", h->webhook_id);
    c->left--;
    return 0;
}

int notify_api_webhook_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req,
                            sais_reply_t *reply)
{
    notify_state_t *st = sais_svc_state(svc);
    if (!privileged(req))
        return sais_reply_problem(reply, 403, "forbidden", "only an admin may list webhooks");
    int limit = sais_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "bad_limit", "limit must be a number from 1 to 1000");
    const char *cursor = sais_req_param(req, "cursor");
    if (cursor && strlen(cursor) >= 64)
        return sais_reply_invalid(reply, "cursor", "bad_cursor", "cursor is not one this list gave out");
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_key(&w, "items");
    sais_jw_arr(&w);
    hooks_ctx_t c = {&w, (size_t)limit, "", false};
    int rc = notify_outbox_webhooks_each(&st->ob, txn, cursor, hooks_emit, &c);
    if (rc < 0 || rc > 1) {
        sais_jw_free(&w);
        return rc;
    }
    sais_jw_arr_end(&w);
    sais_jw_kstr(&w, "next_cursor", c.more ? c.last : NULL);
    sais_jw_obj_end(&w);
    if (sais_reply_jw(reply, 200, &w) != 0) {
        sais_jw_free(&w);
        return -1;
    }
    return 0;
}
