/* notify_courier — the delivery thread: due notifications out over HTTP, each answer into the
 * outbox the moment it arrives.
 *
 * Why a thread: the window in which a receiver has answered 2xx but the outbox still says
 * `pending` is the window in which a crash makes notify send that notification again (see
 * notify_outbox.h, "What a receiver can count on"). Driven from the actor's 100 ms tick,
 * an answer that arrived between two ticks waited for the next one before it was even read
 * (measured: ~160 ms per delivery, so one recipient's queue moved at ~5 a second even to
 * a receiver answering in 1 ms; now 20 take ~40 ms). The courier instead sleeps in
 * curl_multi_poll on the transfers' sockets: it reads an answer as soon as it arrives and
 * commits the outcome in that same pass — one LMDB write transaction holding every outcome
 * read in the pass and the next due deliveries it starts — before it sends anything else.
 * The window is then the time of one commit.
 *
 * The courier is the only code that starts transfers and records outcomes, so "in flight" is
 * its private state. The actor adds notifications (on_event) and answers requests; its write
 * transactions and the courier's are serialised by LMDB, and a notification is looked at by
 * the courier only once the actor's transaction that made it has committed.
 *
 * Ownership: the courier borrows the outbox (its store must stay open until
 * notify_courier_stop returns) and owns its libcurl deliverer and its thread.
 */
#ifndef NOTIFY_COURIER_H
#define NOTIFY_COURIER_H

#include <stdint.h>
#include "notify_outbox.h"

typedef struct notify_courier_t notify_courier_t;

typedef struct {
    notify_outbox_t *ob;              /* borrowed */
    const char      *sms_url;         /* copied; "" or NULL = no SMS gateway (SMS are parked) */
    int64_t          backoff_ms;      /* first retry delay, see notify_backoff.h */
    int64_t          backoff_max_ms;
    uint32_t         max_attempts;    /* attempts before a notification is `failed` */
    long             timeout_ms;      /* one HTTP call, connecting included */
} notify_courier_cfg_t;

/* Starts the thread; it resumes from the outbox (whatever is pending and due goes out).
 * NULL on failure (libcurl or the thread would not start), with a reason in err. */
notify_courier_t *notify_courier_start(const notify_courier_cfg_t *cfg, char *err, size_t errlen);

/* Stops starting deliveries, waits up to drain_ms for the transfers in flight and records
 * their outcomes (so that a clean stop sends nothing twice unless a receiver is slower than
 * drain_ms), then ends the thread and frees everything. Transfers still in flight stay
 * pending in the outbox and go out again after a restart. Idempotent; NULLs the pointer. */
void notify_courier_stop(notify_courier_t **self_p, int drain_ms);

#endif
