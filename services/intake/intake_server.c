/* intake_server — the intake service as a table: its databases, methods, what it consumes,
 * its state and its tick. Handlers live in intake_create.c and intake_api.c, the work on
 * applications and proactive cases in intake_work.c. */
#include "intake.h"
#include "intake_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREATE_CALL_TIMEOUT_MS 3000   /* verify's answer while the filing client waits */

static const char *const s_dbis[] = {
    INTAKE_DB_APPS, INTAKE_DB_REGION, INTAKE_DB_CASES, INTAKE_DB_WORK, INTAKE_DB_REGISTRY, NULL,
};

static const sais_method_t s_methods[] = {
    {"applications.create", SAIS_M_PREPARED, intake_applications_create},
    {"applications.get", SAIS_M_READ_ANY, intake_applications_get},
    {"applications.list", SAIS_M_READ, intake_applications_list},
    {"applications.review", SAIS_M_WRITE, intake_applications_review},
    {NULL, 0, NULL},
};

/* verify: its household.changed keeps intake's copy of the registry (intake_registry.c) */
static const char *const s_consumes[] = {"rules", "verify", NULL};

static int s_on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    if (ev->type && strcmp(producer, "verify") == 0)
        return strcmp(ev->type, "household.changed") == 0 ? intake_on_household(svc, txn, ev) : 0;
    if (ev->type && strcmp(producer, "rules") == 0 && strcmp(ev->type, "case.proactive") == 0)
        return intake_on_case(svc, txn, ev);
    if (ev->type && strcmp(producer, "rules") == 0 && strcmp(ev->type, "case.withdrawn") == 0)
        return intake_on_withdrawn(svc, txn, ev);
    return 0; /* entitlements and the rest are not intake's to act on */
}

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

static int s_on_start(sais_svc_t *svc, char *err, size_t errlen)
{
    intake_t *st = calloc(1, sizeof *st);
    if (st)
        st->later = zhashx_new();
    if (!st || !st->later) {
        free(st);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    zhashx_set_destructor(st->later, s_free_item);
    st->call_timeout_ms = CREATE_CALL_TIMEOUT_MS;
    sais_svc_set_state(svc, st);
    return 0;
}

static void s_on_stop(sais_svc_t *svc)
{
    intake_t *st = sais_svc_state(svc);
    if (st) {
        zhashx_destroy(&st->later);
        free(st);
        sais_svc_set_state(svc, NULL);
    }
}

/* bus.status: how many applications are still to be moved on (verifying, deciding, the
 * notices of a decision), which the bus's cursors do not show: 80 a second at most. */
static int s_on_status(sais_svc_t *svc, MDB_txn *txn, sais_jw_t *w)
{
    size_t n = 0;
    int rc = sais_entries(txn, sais_svc_dbi(svc, INTAKE_DB_WORK), &n);
    if (rc == 0)
        sais_jw_kint(w, "work_pending", (int64_t)n);
    return rc;
}

const sais_service_def_t intake_service = {
    .name = "intake",
    .dbis = s_dbis,
    .methods = s_methods,
    .consumes = s_consumes,
    .on_event = s_on_event,
    .on_start = s_on_start,
    .on_stop = s_on_stop,
    .on_status = s_on_status,
    .on_tick = intake_on_tick,
    .tick_ms = 100,
};
