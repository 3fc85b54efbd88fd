/* notify_outbox — see notify_outbox.h. Key layouts are there; this file keeps the databases
 * consistent with each other: a pending notification is in exactly one queue, and in `due`
 * iff it is the first of that queue. */
#include "notify_outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const notify_dbis[] = {
    "notifications", "event_keys", "by_recipient", "queues", "due", "webhooks", NULL,
};

void notify_outbox_init(notify_outbox_t *ob, sais_store_t *store)
{
    ob->store = store;
    ob->notes = sais_store_dbi(store, "notifications");
    ob->keys = sais_store_dbi(store, "event_keys");
    ob->by_rcpt = sais_store_dbi(store, "by_recipient");
    ob->queues = sais_store_dbi(store, "queues");
    ob->due = sais_store_dbi(store, "due");
    ob->hooks = sais_store_dbi(store, "webhooks");
}

void notify_id_format(uint64_t id, char out[NOTIFY_ID_BUF])
{
    snprintf(out, NOTIFY_ID_BUF, "ntf-%012" PRIu64, id);
}

uint64_t notify_id_parse(const char *s)
{
    if (!s || strncmp(s, "ntf-", 4) != 0 || !s[4])
        return 0;
    uint64_t v = 0;
    for (const char *p = s + 4; *p; p++) {
        if (*p < '0' || *p > '9' || v > UINT64_MAX / 10 - 1)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    return v;
}

/* ---------------------------------------------------------------- keys */

#define QKEY_MAX (8 + NOTIFY_MAX_RCPT + 1 + 8)

/* channel ":" recipient \0 [be64 id]; returns the prefix length (without the id) */
static size_t queue_key(const char *channel, const char *recipient, uint64_t id, unsigned char *out)
{
    size_t cl = strlen(channel), rl = strlen(recipient);
    if (rl > NOTIFY_MAX_RCPT)
        rl = NOTIFY_MAX_RCPT;
    memcpy(out, channel, cl);
    out[cl] = ':';
    memcpy(out + cl + 1, recipient, rl);
    out[cl + 1 + rl] = '\0';
    size_t prefix = cl + rl + 2;
    sais_be64(id, out + prefix);
    return prefix;
}

static size_t rcpt_key(const char *recipient, uint64_t id, unsigned char *out)
{
    size_t rl = strlen(recipient);
    if (rl > NOTIFY_MAX_RCPT)
        rl = NOTIFY_MAX_RCPT;
    memcpy(out, recipient, rl);
    out[rl] = '\0';
    sais_be64(id, out + rl + 1);
    return rl + 1;
}

static void due_key(int64_t at, uint64_t id, unsigned char out[16])
{
    sais_be64(at < 0 ? 0 : (uint64_t)at, out);
    sais_be64(id, out + 8);
}

static int put_note(notify_outbox_t *ob, MDB_txn *txn, uint64_t id, const Ntf__Notification *n)
{
    unsigned char k[8];
    sais_be64(id, k);
    return sais_put_pb(txn, ob->notes, k, 8, &n->base);
}

/* The first id in the queue whose prefix is `pk` (plen bytes); MDB_NOTFOUND if empty. */
static int queue_first(notify_outbox_t *ob, MDB_txn *txn, const unsigned char *pk, size_t plen,
                       uint64_t *id)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, ob->queues, &c);
    if (rc)
        return rc;
    MDB_val k = {plen, (void *)pk}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0) {
        if (k.mv_size == plen + 8 && memcmp(k.mv_data, pk, plen) == 0)
            *id = sais_from_be64((const unsigned char *)k.mv_data + plen);
        else
            rc = MDB_NOTFOUND;
    }
    mdb_cursor_close(c);
    return rc;
}

/* ---------------------------------------------------------------- create */

int notify_outbox_add(notify_outbox_t *ob, MDB_txn *txn, const notify_new_t *in, uint64_t *id_out)
{
    if (id_out)
        *id_out = 0;
    MDB_val v;
    int rc = sais_get(txn, ob->keys, in->event_key, strlen(in->event_key), &v);
    if (rc == 0)
        return 0; /* this event already made this notification */
    if (rc != MDB_NOTFOUND)
        return rc;
    uint64_t id = in->id;
    if (!id && (rc = sais_next_id(ob->store, txn, "notification", &id)))
        return rc;
    char idbuf[NOTIFY_ID_BUF];
    notify_id_format(id, idbuf);
    const char *channel = notify_channel_name(in->channel);

    Ntf__Notification n = NTF__NOTIFICATION__INIT;
    n.notification_id = idbuf;
    n.recipient = (char *)in->recipient;
    n.channel = (char *)channel;
    n.template_ = (char *)in->template_name;
    n.body = (char *)in->body;
    n.created_at = in->created_at;
    n.event_key = (char *)in->event_key;
    n.status = in->delivered ? "delivered" : "pending";
    if (in->delivered) {
        n.attempts = 1;
        n.delivered_at = in->created_at;
    }
    if (in->hold_reason)
        n.last_error = (char *)in->hold_reason;

    unsigned char idk[8], qk[QKEY_MAX], rk[NOTIFY_MAX_RCPT + 9], dk[16];
    sais_be64(id, idk);
    size_t rl = rcpt_key(in->recipient, id, rk);
    if ((rc = sais_put(txn, ob->keys, in->event_key, strlen(in->event_key), idk, 8))
        || (rc = sais_put(txn, ob->by_rcpt, rk, rl + 8, "", 0)))
        return rc;
    if (!in->delivered) {
        size_t plen = queue_key(channel, in->recipient, id, qk);
        uint64_t first = 0;
        rc = queue_first(ob, txn, qk, plen, &first);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        bool head = rc == MDB_NOTFOUND;
        if ((rc = sais_put(txn, ob->queues, qk, plen + 8, "", 0)))
            return rc;
        if (head) {
            /* the first for its recipient: due at once, or parked until a gateway exists */
            n.next_attempt_at = in->hold_reason ? NOTIFY_PARKED : 0;
            due_key(n.next_attempt_at, id, dk);
            if ((rc = sais_put(txn, ob->due, dk, 16, "", 0)))
                return rc;
        }
    }
    if ((rc = put_note(ob, txn, id, &n)))
        return rc;
    if (id_out)
        *id_out = id;
    return 0;
}

int notify_outbox_get(notify_outbox_t *ob, MDB_txn *txn, uint64_t id, Ntf__Notification **out)
{
    unsigned char k[8];
    sais_be64(id, k);
    return sais_get_pb(txn, ob->notes, k, 8, &ntf__notification__descriptor, (ProtobufCMessage **)out);
}

/* ---------------------------------------------------------------- due */

int notify_outbox_due(notify_outbox_t *ob, MDB_txn *txn, int64_t now_ms,
                      bool (*skip)(uint64_t id, void *ctx), void *skip_ctx,
                      uint64_t *ids, size_t max, size_t *n)
{
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, ob->due, &c);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && *n < max;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16)
            continue;
        uint64_t at = sais_from_be64(k.mv_data);
        if (at > (uint64_t)(now_ms < 0 ? 0 : now_ms))
            break;
        uint64_t id = sais_from_be64((const unsigned char *)k.mv_data + 8);
        if (skip && skip(id, skip_ctx))
            continue;
        ids[(*n)++] = id;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* Takes n off the due list (wherever it sits) and writes its next slot. */
static int reschedule(notify_outbox_t *ob, MDB_txn *txn, uint64_t id, Ntf__Notification *n, int64_t next)
{
    unsigned char dk[16];
    due_key(n->next_attempt_at, id, dk);
    int rc = sais_del(txn, ob->due, dk, 16);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    n->next_attempt_at = next;
    due_key(next, id, dk);
    if ((rc = sais_put(txn, ob->due, dk, 16, "", 0)))
        return rc;
    return put_note(ob, txn, id, n);
}

/* n is done: out of due and its queue; the next one for the same recipient falls due. */
static int finish(notify_outbox_t *ob, MDB_txn *txn, uint64_t id, Ntf__Notification *n)
{
    unsigned char dk[16], qk[QKEY_MAX];
    due_key(n->next_attempt_at, id, dk);
    int rc = sais_del(txn, ob->due, dk, 16);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    size_t plen = queue_key(n->channel, n->recipient, id, qk);
    rc = sais_del(txn, ob->queues, qk, plen + 8);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    n->next_attempt_at = 0;
    if ((rc = put_note(ob, txn, id, n)))
        return rc;
    uint64_t succ;
    rc = queue_first(ob, txn, qk, plen, &succ);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    /* waiting notifications have next_attempt_at 0: due now */
    due_key(0, succ, dk);
    return sais_put(txn, ob->due, dk, 16, "", 0);
}

static int set_error(Ntf__Notification *n, const char *error)
{
    char *e = strdup(error ? error : "");
    if (!e)
        return ENOMEM;
    /* n came from sais_get_pb (unpacked), whose strings belong to the default allocator */
    if (n->last_error && n->last_error != protobuf_c_empty_string)
        free(n->last_error);
    n->last_error = e;
    return 0;
}

static int set_status(Ntf__Notification *n, const char *status)
{
    char *s = strdup(status);
    if (!s)
        return ENOMEM;
    if (n->status && n->status != protobuf_c_empty_string)
        free(n->status);
    n->status = s;
    return 0;
}

int notify_outbox_delivered(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, int64_t now_s)
{
    int rc;
    if ((rc = set_status(n, "delivered")) || (rc = set_error(n, "")))
        return rc;
    n->attempts++;
    n->delivered_at = now_s;
    return finish(ob, txn, notify_id_parse(n->notification_id), n);
}

int notify_outbox_failed(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, const char *error)
{
    int rc;
    if ((rc = set_status(n, "failed")) || (rc = set_error(n, error)))
        return rc;
    return finish(ob, txn, notify_id_parse(n->notification_id), n);
}

int notify_outbox_retry(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, const char *error,
                        int64_t next_ms)
{
    int rc = set_error(n, error);
    if (rc)
        return rc;
    n->attempts++;
    return reschedule(ob, txn, notify_id_parse(n->notification_id), n, next_ms);
}

int notify_outbox_park(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, const char *why)
{
    int rc = set_error(n, why);
    if (rc)
        return rc;
    return reschedule(ob, txn, notify_id_parse(n->notification_id), n, NOTIFY_PARKED);
}

int notify_outbox_drop_due(notify_outbox_t *ob, MDB_txn *txn, uint64_t id)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, ob->due, &c);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if (k.mv_size == 16 && sais_from_be64((const unsigned char *)k.mv_data + 8) == id)
            if ((rc = mdb_cursor_del(c, 0)))
                break;
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int notify_outbox_unpark_all(notify_outbox_t *ob, MDB_txn *txn, size_t *count)
{
    *count = 0;
    for (;;) {
        /* one at a time: the cursor must not outlive the writes below */
        MDB_cursor *c;
        int rc = mdb_cursor_open(txn, ob->due, &c);
        if (rc)
            return rc;
        unsigned char dk[16];
        due_key(NOTIFY_PARKED, 0, dk);
        MDB_val k = {16, dk}, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        uint64_t id = 0;
        if (rc == 0 && k.mv_size == 16 && sais_from_be64(k.mv_data) == (uint64_t)NOTIFY_PARKED)
            id = sais_from_be64((const unsigned char *)k.mv_data + 8);
        mdb_cursor_close(c);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        if (id == 0)
            return 0;
        Ntf__Notification *n = NULL;
        rc = notify_outbox_get(ob, txn, id, &n);
        if (rc == 0) {
            n->next_attempt_at = NOTIFY_PARKED;
            rc = set_error(n, "");
            if (rc == 0)
                rc = reschedule(ob, txn, id, n, 0);
            protobuf_c_message_free_unpacked(&n->base, NULL);
        } else if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
            /* a due entry without its record: drop it rather than loop on it */
            due_key(NOTIFY_PARKED, id, dk);
            rc = sais_del(txn, ob->due, dk, 16);
        }
        if (rc)
            return rc;
        (*count)++;
    }
}

/* ---------------------------------------------------------------- listing */

int notify_outbox_scan(notify_outbox_t *ob, MDB_txn *txn, const char *recipient, uint64_t before,
                       size_t limit, size_t max_scan,
                       bool (*keep)(const Ntf__Notification *n, void *ctx),
                       void (*emit)(const Ntf__Notification *n, void *ctx), void *ctx,
                       uint64_t *next)
{
    *next = 0;
    MDB_dbi dbi = recipient ? ob->by_rcpt : ob->notes;
    unsigned char start[NOTIFY_MAX_RCPT + 9];
    size_t plen = 0;
    if (recipient)
        plen = rcpt_key(recipient, before ? before : UINT64_MAX, start);
    else
        sais_be64(before ? before : UINT64_MAX, start);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    /* position on the first key >= start, then walk backwards: everything strictly before */
    MDB_val k = {plen + 8, start}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    else if (rc == 0)
        rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    size_t emitted = 0, scanned = 0;
    uint64_t last_id = 0;
    for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
        if (k.mv_size != plen + 8 || (plen && memcmp(k.mv_data, start, plen) != 0))
            break;
        uint64_t id = sais_from_be64((const unsigned char *)k.mv_data + plen);
        if (before && id >= before)
            continue;
        if (emitted == limit || scanned == max_scan) {
            *next = last_id; /* more may follow: continue before the last one looked at */
            break;
        }
        scanned++;
        last_id = id;
        Ntf__Notification *n = NULL;
        int grc = notify_outbox_get(ob, txn, id, &n);
        if (grc == MDB_NOTFOUND || grc == MDB_CORRUPTED)
            continue;
        if (grc) {
            rc = grc;
            break;
        }
        if (!keep || keep(n, ctx)) {
            emit(n, ctx);
            emitted++;
        }
        protobuf_c_message_free_unpacked(&n->base, NULL);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* ---------------------------------------------------------------- webhooks */

int notify_outbox_webhook_put(notify_outbox_t *ob, MDB_txn *txn, const Ntf__Webhook *w)
{
    return sais_put_pb(txn, ob->hooks, w->webhook_id, strlen(w->webhook_id), &w->base);
}

int notify_outbox_webhook_get(notify_outbox_t *ob, MDB_txn *txn, const char *id, Ntf__Webhook **out)
{
    return sais_get_pb(txn, ob->hooks, id, strlen(id), &ntf__webhook__descriptor, (ProtobufCMessage **)out);
}

int notify_outbox_webhooks_each(notify_outbox_t *ob, MDB_txn *txn, const char *after,
                                int (*fn)(const Ntf__Webhook *w, void *ctx), void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, ob->hooks, &c);
    if (rc)
        return rc;
    MDB_val k, v;
    if (after && *after) {
        k.mv_size = strlen(after);
        k.mv_data = (void *)after;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == strlen(after) && memcmp(k.mv_data, after, k.mv_size) == 0)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    } else {
        rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    }
    int out = 0;
    for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Ntf__Webhook *w = ntf__webhook__unpack(NULL, v.mv_size, v.mv_data);
        if (!w)
            continue; /* a record we cannot read is skipped, not fatal */
        out = fn(w, ctx);
        ntf__webhook__free_unpacked(w, NULL);
        if (out)
            break;
    }
    mdb_cursor_close(c);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    return out;
}
