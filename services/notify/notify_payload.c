/* notify_payload — see notify_payload.h. */
#include "notify_payload.h"
#include "sais_bus.h"
#include "sais_json.h"
#include "sais_mask.h"
#include "intake.pb-c.h"
#include "rules.pb-c.h"
#include "warn.pb-c.h"

#include <string.h>

static const char *const known_types[] = {
    "entitlement.granted", "entitlement.changed", "entitlement.suspended",
    "entitlement.resumed", "entitlement.stopped",
    "alert.raised", "alert.evidence", "alert.acknowledged", "alert.resolved",
    NULL,
};

/* families: the first two have their types listed above; the others are defined by intake
 * and match, so any well-formed name in them is accepted */
static const struct { const char *family; bool open; } families[] = {
    {"entitlement", false}, {"alert", false}, {"application", true}, {"wish", true},
};
#define NFAMILIES (sizeof families / sizeof families[0])

static bool word_ok(const char *s)
{
    size_t n = 0;
    for (; *s; s++, n++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_' || (*s >= '0' && *s <= '9')))
            return false;
    return n >= 1 && n <= 48;
}

bool notify_event_pattern_ok(const char *pattern)
{
    if (!pattern || !*pattern)
        return false;
    if (strcmp(pattern, "*") == 0)
        return true;
    for (size_t i = 0; known_types[i]; i++)
        if (strcmp(pattern, known_types[i]) == 0)
            return true;
    const char *dot = strchr(pattern, '.');
    if (!dot)
        return false;
    for (size_t i = 0; i < NFAMILIES; i++) {
        size_t fl = strlen(families[i].family);
        if ((size_t)(dot - pattern) != fl || strncmp(pattern, families[i].family, fl) != 0)
            continue;
        if (strcmp(dot + 1, "*") == 0)
            return true;
        return families[i].open && word_ok(dot + 1);
    }
    return false;
}

bool notify_event_matches(const char *pattern, const char *type)
{
    if (!pattern || !type)
        return false;
    if (strcmp(pattern, "*") == 0)
        return true;
    size_t pl = strlen(pattern);
    if (pl >= 2 && pattern[pl - 1] == '*' && pattern[pl - 2] == '.')
        return strncmp(type, pattern, pl - 1) == 0 && type[pl - 1] != '\0';
    return strcmp(pattern, type) == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void masked_id(sais_jw_t *w, const char *id)
{
    char out[64];
    sais_jw_kstr(w, "id_number", id && *id ? sais_mask_id(id, out, sizeof out) : NULL);
}

static void opt_str(sais_jw_t *w, const char *k, const char *v)
{
    sais_jw_kstr(w, k, v && *v ? v : NULL);
}

static bool entitlement_data(sais_jw_t *w, const Sais__Envelope *ev)
{
    Rul__Entitlement *e = (Rul__Entitlement *)sais_event_unpack(&rul__entitlement__descriptor, ev);
    if (!e)
        return false;
    sais_jw_obj(w);
    opt_str(w, "entitlement_id", e->entitlement_id);
    opt_str(w, "household_id", e->household_id);
    masked_id(w, e->id_number);
    opt_str(w, "policy", e->policy);
    opt_str(w, "policy_version", e->policy_version);
    sais_jw_kmoney(w, "amount", e->amount);
    sais_jw_kmoney(w, "previous_amount", e->previous_amount);
    opt_str(w, "period", e->period);
    opt_str(w, "status", e->status);
    opt_str(w, "origin", e->origin);
    opt_str(w, "change", e->change);
    opt_str(w, "region", e->region);
    sais_jw_ktime(w, "granted_at", e->granted_at);
    sais_jw_ktime(w, "changed_at", e->changed_at);
    sais_jw_key(w, "explanation");
    sais_jw_arr(w);
    for (size_t i = 0; i < e->n_explanation; i++) {
        sais_jw_obj(w);
        sais_jw_kstr(w, "clause", e->explanation[i]->clause);
        sais_jw_kbool(w, "passed", e->explanation[i]->passed);
        sais_jw_kstr(w, "detail", e->explanation[i]->detail);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    sais_jw_obj_end(w);
    rul__entitlement__free_unpacked(e, NULL);
    return true;
}

static bool alert_data(sais_jw_t *w, const Sais__Envelope *ev)
{
    Wrn__Alert *a = (Wrn__Alert *)sais_event_unpack(&wrn__alert__descriptor, ev);
    if (!a)
        return false;
    sais_jw_obj(w);
    opt_str(w, "alert_id", a->alert_id);
    opt_str(w, "kind", a->kind);
    opt_str(w, "severity", a->severity);
    opt_str(w, "household_id", a->household_id);
    masked_id(w, a->id_number);
    opt_str(w, "region", a->region);
    opt_str(w, "status", a->status);
    sais_jw_ktime(w, "raised_at", a->raised_at);
    sais_jw_ktime(w, "updated_at", a->updated_at);
    opt_str(w, "detail", a->detail);
    sais_jw_key(w, "evidence");
    sais_jw_arr(w);
    for (size_t i = 0; i < a->n_evidence; i++) {
        sais_jw_obj(w);
        sais_jw_kstr(w, "source", a->evidence[i]->source);
        sais_jw_kstr(w, "record_id", a->evidence[i]->record_id);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    sais_jw_key(w, "actions");
    sais_jw_arr(w);
    for (size_t i = 0; i < a->n_actions; i++)
        sais_jw_str(w, a->actions[i]);
    sais_jw_arr_end(w);
    opt_str(w, "note", a->note);
    opt_str(w, "outcome", a->outcome);
    sais_jw_obj_end(w);
    wrn__alert__free_unpacked(a, NULL);
    return true;
}

static void strv(sais_jw_t *w, const char *k, char *const *v, size_t n)
{
    sais_jw_key(w, k);
    sais_jw_arr(w);
    for (size_t i = 0; i < n; i++)
        sais_jw_str(w, v[i]);
    sais_jw_arr_end(w);
}

/* An application as intake's API shows it, without name and phone and with the ID masked. */
static bool application_data(sais_jw_t *w, const Sais__Envelope *ev)
{
    Itk__Application *a = (Itk__Application *)sais_event_unpack(&itk__application__descriptor, ev);
    if (!a)
        return false;
    sais_jw_obj(w);
    opt_str(w, "application_id", a->application_id);
    opt_str(w, "status", a->status);
    opt_str(w, "household_id", a->household_id);
    masked_id(w, a->id_number);
    opt_str(w, "channel", a->channel);
    opt_str(w, "origin", a->origin);
    opt_str(w, "case_id", a->case_id);
    opt_str(w, "filed_region", a->filed_region);
    opt_str(w, "handled_region", a->handled_region);
    strv(w, "policies", a->policies, a->n_policies);
    strv(w, "approved_policies", a->approved_policies, a->n_approved_policies);
    sais_jw_ktime(w, "created_at", a->created_at);
    sais_jw_ktime(w, "updated_at", a->updated_at);
    sais_jw_key(w, "decisions");
    sais_jw_arr(w);
    for (size_t i = 0; i < a->n_decisions; i++) {
        const Itk__Decision *d = a->decisions[i];
        sais_jw_obj(w);
        sais_jw_kstr(w, "policy", d->policy);
        sais_jw_kbool(w, "eligible", d->eligible);
        sais_jw_kmoney(w, "amount", d->amount);
        opt_str(w, "period", d->period);
        sais_jw_kbool(w, "automatic", d->automatic);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    const Itk__Step *last = a->n_history ? a->history[a->n_history - 1] : NULL;
    sais_jw_key(w, "last_step");
    if (last) {
        sais_jw_obj(w);
        sais_jw_ktime(w, "at", last->at);
        sais_jw_kstr(w, "status", last->status);
        sais_jw_kstr(w, "by", last->by);
        sais_jw_kstr(w, "note", last->note);
        sais_jw_obj_end(w);
    } else {
        sais_jw_null(w);
    }
    sais_jw_obj_end(w);
    itk__application__free_unpacked(a, NULL);
    return true;
}

char *notify_payload_json(const char *producer, const Sais__Envelope *ev, const char *event_id,
                          size_t *len)
{
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "event_id", event_id);
    sais_jw_kstr(&w, "type", ev->type);
    sais_jw_kstr(&w, "producer", producer);
    sais_jw_kint(&w, "seq", (int64_t)ev->seq);
    opt_str(&w, "region", ev->region);
    sais_jw_ktime(&w, "occurred_at", ev->occurred_at);
    sais_jw_key(&w, "data");
    bool done = false;
    if (strcmp(producer, "rules") == 0 && starts_with(ev->type, "entitlement."))
        done = entitlement_data(&w, ev);
    else if (strcmp(producer, "warn") == 0 && starts_with(ev->type, "alert."))
        done = alert_data(&w, ev);
    else if (strcmp(producer, "intake") == 0 && starts_with(ev->type, "application."))
        done = application_data(&w, ev);
    if (!done)
        sais_jw_null(&w);
    sais_jw_obj_end(&w);
    return sais_jw_take(&w, len);
}
