/* notify — every person and system that should hear about a decision hears about it once.
 *
 * Consumes rules (entitlement.*), warn (alert.*), intake (application.*) and match (wish.*).
 * Each event becomes, in the same write transaction as the consumer cursor, notifications in
 * a durable outbox: an SMS to the household head for entitlement events, an inbox item for
 * the county's caseworkers (entitlement events, alert.raised), and one webhook delivery per
 * subscribed webhook for every event type. Delivery runs on a thread of its own
 * (notify_courier.h), over libcurl, outside the consumer's transactions: SMS to
 * notify.sms_endpoint, webhooks signed with HMAC-SHA256, retried with capped exponential
 * backoff, in order per recipient, each answer recorded as soon as it arrives. What a
 * receiver can count on, and why it must dedupe on X-Sais-Event-Id: notify_outbox.h.
 *
 * Methods: notifications.list (READ), webhooks.create (WRITE), webhooks.list (READ).
 * Config: notify.endpoint, notify.sms_endpoint, notify.max_attempts, notify.backoff_ms,
 * notify.backoff_max_ms, notify.http_timeout_ms (and notify.sms_signature if the config
 * table knows it; otherwise NOTIFY_SMS_SIGNATURE).
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "sais_service.h"

extern const sais_service_def_t notify_service;

#endif
