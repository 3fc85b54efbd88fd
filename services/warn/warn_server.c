/* warn_server — the warn service as a table: its databases, methods, the events it consumes
 * and what it does with each, its start-up and its timers. Handlers live in warn_alerts.c,
 * warn_visits.c, warn_events.c and warn_compare.c; the signals in warn_signals.c. */
#include "warn.h"
#include "warn_code.h"
#include "warn_internal.h"
#include "sais_log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_dbis[] = {
    "alerts", "open", "households", "visits", "hhvisits", "followups", "schedule", "runs", "hhalerts", NULL,
};

static const sais_method_t s_methods[] = {
    {"alerts.list", SAIS_M_READ_ANY, warn_alerts_list},
    {"alerts.acknowledge", SAIS_M_WRITE, warn_alerts_acknowledge},
    {"alerts.resolve", SAIS_M_WRITE, warn_alerts_resolve},
    {"visits.create", SAIS_M_WRITE, warn_visits_create},
    {"visits.list", SAIS_M_READ, warn_visits_list},
    {"visits.due", SAIS_M_READ, warn_visits_due},
    {"visits.code", SAIS_M_READ, warn_visits_code},
    {"compare.run", SAIS_M_WRITE, warn_compare_run},
    {NULL, 0, NULL},
};

static const char *const s_consumes[] = {"verify", "rules", "intake", NULL};

typedef int (*s_event_fn)(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);

/* Who sends what, and what warn does with it; anything else is not warn's to act on. */
static const struct {
    const char *producer;
    const char *type;
    s_event_fn  fn;
} s_events[] = {
    {"verify", "household.changed", warn_ev_household_changed},
    {"verify", "person.event", warn_ev_person},
    {"rules", "entitlement.granted", warn_ev_entitlement},
    {"rules", "entitlement.changed", warn_ev_entitlement},
    {"rules", "entitlement.suspended", warn_ev_entitlement},
    {"rules", "entitlement.resumed", warn_ev_entitlement},
    {"rules", "entitlement.stopped", warn_ev_entitlement},
    {"rules", "case.proactive", warn_ev_case},
    {"rules", "case.withdrawn", warn_ev_case},
    {"intake", "application.approved", warn_ev_application},
    {"intake", "application.rejected", warn_ev_application},
    {"intake", "application.withdrawn", warn_ev_application},
};

static int s_on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    if (!ev->type)
        return 0;
    for (size_t i = 0; i < sizeof s_events / sizeof s_events[0]; i++)
        if (strcmp(producer, s_events[i].producer) == 0 && strcmp(ev->type, s_events[i].type) == 0)
            return s_events[i].fn(svc, txn, ev);
    return 0;
}

warn_t *warn_state(sais_svc_t *svc)
{
    return sais_svc_state(svc);
}

static int s_on_start(sais_svc_t *svc, char *err, size_t errlen)
{
    warn_t *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const sais_config_t *cfg = sais_svc_config(svc);
    if (warn_params_load(cfg, &w->params, err, errlen) != 0
        || warn_code_key_load(cfg, sais_store_dir(sais_svc_store(svc)), w->code_key, &w->code_keylen,
                              err, errlen) != 0) {
        free(w);
        return -1;
    }
    int64_t ttl;
    if (sais_config_int_in(cfg, "warn.visit_code_ttl_s", 1, 10LL * 366 * 86400, "seconds", &ttl, err, errlen) != 0) {
        free(w);
        return -1;
    }
    w->code_ttl = ttl;
    sais_svc_set_state(svc, w);
    if (warn_alert_index_backfill(svc) != 0) {
        snprintf(err, errlen, "could not index the stored alerts by household");
        return -1;
    }
    return 0;
}

static void s_on_stop(sais_svc_t *svc)
{
    warn_t *w = sais_svc_state(svc);
    if (w) {
        sodium_memzero(w->code_key, sizeof w->code_key);
        free(w);
        sais_svc_set_state(svc, NULL);
    }
}

const sais_service_def_t warn_service = {
    .name = "warn",
    .dbis = s_dbis,
    .methods = s_methods,
    .consumes = s_consumes,
    .on_event = s_on_event,
    .on_start = s_on_start,
    .on_stop = s_on_stop,
    .on_tick = warn_on_tick,
    .tick_ms = 1000,
};
