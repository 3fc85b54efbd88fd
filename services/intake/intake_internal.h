/* intake_internal — what the intake service's files share (other services know intake only
 * through intake.h, proto/intake.proto and the bus).
 *
 * The databases:
 *   apps      application_id ("A0000000001")          -> itk.Application
 *   byregion  handled_region '|' application_id       -> status (the queue, by county)
 *   cases     rules' case_id                          -> application_id (one per case)
 *   work      application_id                          -> job: 'p' move it on (verify, rules),
 *                                                        'f' fill a proactive case's phone
 */
#ifndef INTAKE_INTERNAL_H
#define INTAKE_INTERNAL_H

#include <czmq.h>
#include "sais_service.h"
#include "intake_app.h"
#include "intake_flow.h"

#define INTAKE_DB_APPS   "apps"
#define INTAKE_DB_REGION "byregion"
#define INTAKE_DB_CASES  "cases"
#define INTAKE_DB_WORK   "work"
#define INTAKE_DB_REGISTRY "registry"   /* id_number -> household, region, name, phone (verify's) */

#define INTAKE_JOB_PROCESS 'p'
#define INTAKE_JOB_PHONE   'f'

#define INTAKE_ID_MAX 24          /* "A" + 10 digits, with room */

/* A service that did not answer: calls to it wait until retry_at (sais_clock_ms). */
typedef struct {
    int64_t retry_at;
    int64_t delay_ms;
} intake_backoff_t;

/* The service's state (sais_svc_state). Only the actor thread touches it. */
typedef struct {
    intake_backoff_t verify, rules;
    zhashx_t        *later;       /* application_id -> int64_t[2] {retry_at, delay}: waits of
                                     one application (rules has not seen its household yet) */
    int              call_timeout_ms;   /* a call made while a client waits (create) */
    char             scan_after[INTAKE_ID_MAX];   /* where the last tick's scan stopped */
} intake_t;

/* ---- store (intake_store.c). LMDB codes; MDB_NOTFOUND when absent, MDB_CORRUPTED when a
 * stored application does not unpack. */
int intake_store_get(sais_svc_t *svc, MDB_txn *txn, const char *id, Itk__Application **out);
/* Writes the application and its queue entry. */
int intake_store_put(sais_svc_t *svc, MDB_txn *txn, const Itk__Application *a);
int intake_work_put(sais_svc_t *svc, MDB_txn *txn, const char *id, char job);
int intake_work_del(sais_svc_t *svc, MDB_txn *txn, const char *id);
/* A fresh application id ("A" + 10 digits) into out[INTAKE_ID_MAX]. */
int intake_next_id(sais_svc_t *svc, MDB_txn *txn, char out[INTAKE_ID_MAX]);
/* Moves `a` to `to` if the flow allows it (updated_at, a history step). 0; 1 if the step is
 * not legal (nothing changed); -1 on allocation failure. */
int intake_move(Itk__Application *a, intake_status_t to, const char *by, const char *note);
/* Appends "application.<status>" with `a` as payload, region handled_region. LMDB code. */
int intake_emit(sais_svc_t *svc, MDB_txn *txn, const Itk__Application *a);
/* Fills approved_policies from the decisions at the given indices. -1 on allocation failure. */
int intake_set_approved(Itk__Application *a, const size_t *idx, size_t n);
/* "name (key id)" of the caller into out, or `fallback` for an internal call. */
void intake_caller_name(const Sais__Request *req, const char *fallback, char *out, size_t len);

/* ---- handlers (intake_api.c, intake_create.c) */
int intake_applications_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int intake_applications_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int intake_applications_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int intake_applications_review(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);

/* ---- calls to other services (intake_work.c): status of the reply, or a SAIS_CALL_* code
 * (< 0) when there was none; *body (heap, caller frees) gets the reply body. */
int intake_call(sais_svc_t *svc, const char *service, const char *method, const char *idem,
                const char *body, int timeout_ms, char **out, size_t *outlen, ...);

/* ---- the work (intake_work.c) */
void intake_on_tick(sais_svc_t *svc);
/* case.proactive from rules -> an application waiting for review; in the consumer txn. */
int intake_on_case(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);
int intake_on_withdrawn(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);

/* intake_registry.c: intake's copy of who is registered where, from verify's
 * household.changed, so that filing an application needs no call to verify. A person verify
 * registered a moment ago may not be in it yet: the caller then asks verify. */
typedef struct {
    char household_id[72];
    char region[8];
    char name[256];
    char phone[32];
} intake_registry_entry_t;
int intake_on_household(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);
/* 0 and *out, MDB_NOTFOUND, or another LMDB code (or -1: the store could not be read). */
int intake_registry_get(sais_svc_t *svc, const char *id_number, intake_registry_entry_t *out);

#endif
