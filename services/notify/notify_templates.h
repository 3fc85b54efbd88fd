/* notify_templates — the words SAIS sends: one template per event type per channel.
 *
 * Pure functions, no I/O. The templates are a table (notify_templates.c) of texts with
 * {name} fields; the render functions fill the fields from an event's payload. Money
 * is formatted from integer fen ("32160.00"); policy ids and alert kinds are shown by their
 * Chinese names. Every rendered body is a fresh heap string owned by the caller.
 */
#ifndef NOTIFY_TEMPLATES_H
#define NOTIFY_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>
#include "rules.pb-c.h"
#include "warn.pb-c.h"

typedef enum { NOTIFY_SMS = 0, NOTIFY_INBOX = 1, NOTIFY_WEBHOOK = 2 } notify_channel_t;

/* "sms", "inbox", "webhook"; and back (-1 if not a channel name). */
const char *notify_channel_name(notify_channel_t ch);
int notify_channel_parse(const char *s);

/* The default SMS signature, shown as 【...】 before every SMS. */
#define NOTIFY_SMS_SIGNATURE "温州市民政局"

/* One row of the table. */
typedef struct {
    const char      *event_type;   /* "entitlement.granted" */
    notify_channel_t channel;
    const char      *name;         /* "sms.entitlement.granted": stored with the notification */
    const char      *text;         /* with {name} fields */
} notify_template_t;

/* The table, for tests and listings: n rows. */
extern const notify_template_t notify_templates[];
extern const size_t notify_ntemplates;

/* The row for (event_type, channel), NULL if that event is not announced on that channel. */
const notify_template_t *notify_template_find(const char *event_type, notify_channel_t ch);

/* Fills `text`'s {name} fields from `vars` (NULL-terminated name, value, ... pairs).
 * Returns a heap string, or NULL on allocation failure or if the text names a field
 * that `vars` lacks (a programmer error in the table, caught by the unit tests). */
char *notify_template_expand(const char *text, const char *const *vars);

/* A rendered message: the template's name (static) and the body (heap, caller frees). */
typedef struct {
    const char *template_name;
    char       *body;
} notify_msg_t;

/* Renders an entitlement event for `ch`. `signature` NULL means NOTIFY_SMS_SIGNATURE.
 * Returns 1 and fills *out, 0 if the event has no template on that channel, -1 on
 * allocation failure. */
int notify_render_entitlement(const char *event_type, notify_channel_t ch,
                              const Rul__Entitlement *e, const char *signature,
                              notify_msg_t *out);

/* Same for an alert event (only "alert.raised" reaches the inbox). */
int notify_render_alert(const char *event_type, notify_channel_t ch, const Wrn__Alert *a,
                        notify_msg_t *out);

/* Chinese names: policy id -> "临时救助(支出型)", alert kind -> "因病支出型困难",
 * severity -> "高"; NULL if unknown (callers then show the id itself). */
const char *notify_policy_name(const char *policy);
const char *notify_alert_kind_name(const char *kind);
const char *notify_severity_name(const char *severity);

/* A phone number SAIS will text: optional '+', then 6 to 20 digits. */
bool notify_phone_ok(const char *phone);

#endif
