/* notify_payload — what a webhook receives, and which events a subscription covers.
 *
 * Pure functions, no I/O. A webhook body is one JSON object per event:
 *   {"event_id", "type", "producer", "seq", "region", "occurred_at", "data": {...} | null}
 * where data is the payload in the API's shapes (money in yuan, times RFC 3339) for the
 * payloads notify knows (entitlement.*, alert.*) and null for the others (application.*,
 * wish.*: their schemas belong to intake and match). ID numbers in data are masked
 * (330326***********5): a subscriber links by household_id, and a body that leaks to a log
 * on the receiver's side does not leak an identity.
 */
#ifndef NOTIFY_PAYLOAD_H
#define NOTIFY_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include "envelope.pb-c.h"

/* The body for `ev` (from `producer`), `event_id` being the dedupe key the receiver sees in
 * X-Sais-Event-Id. Returns a heap string (caller frees) and its length in *len; NULL on
 * allocation failure. A payload that does not unpack gives "data": null, never a failure. */
char *notify_payload_json(const char *producer, const Sais__Envelope *ev, const char *event_id,
                          size_t *len);

/* A subscription pattern a webhook may name: a known event type ("entitlement.granted"), a
 * family wildcard ("entitlement.*"), "*" for everything, or, for the families whose types
 * other services define (application, wish), any "family.lowercase_word". */
bool notify_event_pattern_ok(const char *pattern);

/* True if `type` is covered by `pattern` (exact, "family.*" or "*"). */
bool notify_event_matches(const char *pattern, const char *type);

#endif
