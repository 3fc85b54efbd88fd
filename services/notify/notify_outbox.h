/* notify_outbox — the durable outbox: notifications, their delivery queues and webhooks.
 *
 * Databases (all in the notify store, listed in notify_dbis):
 *   notifications  be64(id) -> ntf.Notification
 *   event_keys     "<producer>:<seq>:<channel>:<recipient>" -> be64(id): one event never
 *                  becomes two notifications for the same recipient
 *   by_recipient   recipient \0 be64(id) -> "": lists by recipient
 *   queues         channel ":" recipient \0 be64(id) -> "": the PENDING notifications of each
 *                  recipient in creation order; only the first of each queue is ever due, so
 *                  deliveries to one recipient stay in order while it is down
 *   due            be64(next_attempt_at ms) be64(id) -> "": the queue heads, by when they are
 *                  next attempted (0 = at once, NOTIFY_PARKED = waiting for an SMS gateway)
 *   webhooks       webhook_id -> ntf.Webhook
 *
 * A pending notification's next_attempt_at is unix milliseconds (sais_clock_ms, unpinned,
 * so that retries fall due even under a pinned clock); 0 until it has been tried.
 * created_at and delivered_at are unix seconds (sais_clock_now). Every function runs inside
 * the caller's transaction and returns an LMDB code (0, MDB_NOTFOUND, MDB_MAP_FULL, ...).
 * Messages handed out are owned by the caller (protobuf_c_message_free_unpacked).
 *
 * What a receiver can count on (SMS gateways and webhooks; tested by
 * tests/fault/test_notify_kill9.py and tests/integration/test_notify_webhooks.py):
 *
 * - Every attempt of one notification carries the same X-Sais-Event-Id, its event key
 *   "<producer>:<seq>:<channel>:<recipient>" (a webhook body repeats it as "event_id"; an
 *   SMS body carries "notification_id").
 * - Nothing is lost. An event becomes its notifications in the write transaction that
 *   advances notify's cursor past it, and event_keys make that idempotent. A notification
 *   stays `pending` until a 2xx for it has been committed here; a pending one is sent — after
 *   a restart too, from this outbox — until a 2xx, or until notify.max_attempts attempts
 *   have failed (`failed`, with last_error), with backoff between attempts.
 * - A notification recorded `delivered` or `failed` is never sent again: it leaves `due` in
 *   the transaction that records it.
 * - In order per recipient: only the head of a (channel, recipient) queue is due, so one
 *   delivery per recipient is in flight at a time and the next waits for its outcome. A
 *   queue is ordered by id, so each producer's events arrive in its log order (events of
 *   different producers interleave).
 * - Sent twice only when notify never learnt of the 2xx. HTTP gives no exactly-once delivery:
 *   an answer that was sent but never read looks the same to notify as a request that was
 *   never processed. That happens (a) when notify dies (kill -9, power loss) after the
 *   receiver accepted a delivery and before the outcome is committed: the courier
 *   (notify_courier.h) reads an answer as soon as it arrives and commits it in that same pass,
 *   so the window is one LMDB commit (plus any wait for LMDB's single writer while notify
 *   applies a batch of events), but every delivery in flight at the crash — at most
 *   NOTIFY_DELIVER_MAX (64) at once, at most one per recipient — may arrive once more after
 *   the restart, once each, and nothing else is repeated; (b) when the receiver answers only
 *   after notify.http_timeout_ms or the connection breaks after it accepted the request: a
 *   failed attempt, retried. A clean stop waits up to min(notify.http_timeout_ms, 2 s) for
 *   the deliveries in flight and records them, so it adds a duplicate only for a receiver
 *   slower than that.
 *
 * So "one event is never sent twice" (notify.proto) holds for everything notify has
 * recorded; for the crash window a receiver must dedupe on X-Sais-Event-Id (keep the ids it
 * accepted, answer 2xx again to a repeat without acting on it). No HTTP sender can promise
 * more than at-least-once plus a stable id.
 */
#ifndef NOTIFY_OUTBOX_H
#define NOTIFY_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sais_store.h"
#include "notify.pb-c.h"
#include "notify_templates.h"

extern const char *const notify_dbis[];

#define NOTIFY_PARKED    INT64_MAX
#define NOTIFY_MAX_RCPT  128            /* longest recipient (phone, region, webhook id) */
#define NOTIFY_ID_BUF    32
/* Notifications one event may make (their ids keep 8 bits for the index, notify_server.c):
 * an SMS, an inbox item and one per webhook, hence at most NOTIFY_WEBHOOKS_MAX webhooks. */
#define NOTIFY_PER_EVENT_MAX 256
#define NOTIFY_WEBHOOKS_MAX  250

typedef struct {
    sais_store_t *store;
    MDB_dbi notes, keys, by_rcpt, queues, due, hooks;
} notify_outbox_t;

/* Fills the handles from an open store that has notify_dbis. */
void notify_outbox_init(notify_outbox_t *ob, sais_store_t *store);

/* "ntf-000000000042" <-> 42 (0 if not one of ours). */
void notify_id_format(uint64_t id, char out[NOTIFY_ID_BUF]);
uint64_t notify_id_parse(const char *s);

/* A notification to create. */
typedef struct {
    const char      *event_key;
    notify_channel_t channel;
    const char      *recipient;
    const char      *template_name;
    const char      *body;
    int64_t          created_at;     /* unix seconds */
    bool             delivered;      /* inbox: delivered as it is stored */
    const char      *hold_reason;    /* sms without a gateway: parked with this last_error */
    uint64_t         id;             /* the id to use (derived from the event); 0 = next counter */
} notify_new_t;

/* Creates it unless its event_key exists; *id_out (may be NULL) gets the id, 0 if it
 * existed already. */
int notify_outbox_add(notify_outbox_t *ob, MDB_txn *txn, const notify_new_t *n, uint64_t *id_out);

int notify_outbox_get(notify_outbox_t *ob, MDB_txn *txn, uint64_t id, Ntf__Notification **out);

/* Up to max heads due at now_ms, oldest due first, skipping those for which skip(id, ctx)
 * says true (in flight). *n gets the count. */
int notify_outbox_due(notify_outbox_t *ob, MDB_txn *txn, int64_t now_ms,
                      bool (*skip)(uint64_t id, void *ctx), void *skip_ctx,
                      uint64_t *ids, size_t max, size_t *n);

/* Outcomes for a pending notification n (updated in place and stored). delivered and
 * failed end it: it leaves its queue and the next one for the same recipient falls due at
 * once. retry counts the attempt and moves it to next_ms; park leaves attempts alone. */
int notify_outbox_delivered(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, int64_t now_s);
int notify_outbox_failed(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, const char *error);
int notify_outbox_retry(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, const char *error,
                        int64_t next_ms);
int notify_outbox_park(notify_outbox_t *ob, MDB_txn *txn, Ntf__Notification *n, const char *why);

/* Removes every due entry of `id` (repair of an inconsistency, never the normal path). */
int notify_outbox_drop_due(notify_outbox_t *ob, MDB_txn *txn, uint64_t id);

/* Every parked notification falls due at once (an SMS gateway is configured now). */
int notify_outbox_unpark_all(notify_outbox_t *ob, MDB_txn *txn, size_t *count);

/* Newest first: notifications with id < before (0 = from the newest), only `recipient`'s if
 * it is not NULL. emit() is called for each one keep() accepts, at most `limit`; at most
 * `max_scan` records are looked at. *next is the id to continue before (0 = nothing more). */
int notify_outbox_scan(notify_outbox_t *ob, MDB_txn *txn, const char *recipient, uint64_t before,
                       size_t limit, size_t max_scan,
                       bool (*keep)(const Ntf__Notification *n, void *ctx),
                       void (*emit)(const Ntf__Notification *n, void *ctx), void *ctx,
                       uint64_t *next);

/* Webhooks. */
int notify_outbox_webhook_put(notify_outbox_t *ob, MDB_txn *txn, const Ntf__Webhook *w);
int notify_outbox_webhook_get(notify_outbox_t *ob, MDB_txn *txn, const char *id, Ntf__Webhook **out);
/* Calls fn for each webhook in id order, after `after` ("" = from the first); stops early
 * when fn returns non-zero (that value is returned). */
int notify_outbox_webhooks_each(notify_outbox_t *ob, MDB_txn *txn, const char *after,
                                int (*fn)(const Ntf__Webhook *w, void *ctx), void *ctx);

#endif
