/* warn_internal — what the warn service's files share (not for other services: their only
 * door is warn.h and the bus).
 *
 * The databases (all keys are bytes; '\0' separates the parts of a composite key):
 *   alerts      alert_id ("AL00000001")           -> wrn.Alert
 *   open        household_id \0 kind              -> alert_id of its open/acknowledged alert
 *   households  household_id                      -> wst.Household
 *   visits      visit_id ("VS00000001")           -> wst.Visit
 *   hhvisits    household_id \0 visit_id          -> "" (a household's visits, posting order)
 *   followups   due YYYY-MM-DD \0 household_id    -> visit_id (pending follow-ups: visits.due)
 *   schedule    day YYYY-MM-DD \0 type \0 household_id -> "" (timers as state, on_tick):
 *               type 'r' = dibao re-check due that day, 'f' = follow-up overdue from that day
 *   runs        month YYYY-MM                     -> wst.CompareRun
 */
#ifndef WARN_INTERNAL_H
#define WARN_INTERNAL_H

#include "sais_service.h"
#include "warn_signals.h"
#include "warnstore.pb-c.h"
#include "rules.pb-c.h"

#define WARN_HID_MAX 64

/* The service's state (sais_svc_state): read-only after on_start. */
typedef struct {
    warn_params_t params;
    unsigned char code_key[64];   /* visit-code HMAC key */
    size_t        code_keylen;
    int64_t       code_ttl;       /* seconds */
} warn_t;

warn_t *warn_state(sais_svc_t *svc);

/* ---- one household as warn works on it (warn_store.c) */
typedef struct {
    char                household_id[WARN_HID_MAX + 1];
    char                region[16];
    bool                found;          /* it was stored before */
    Wst__Household     *rec;            /* as loaded (owned); NULL if new */
    const Ver__Picture *picture;        /* borrowed: rec's, or an event's that outlives the save */
    warn_flags_t        flags;
    warn_ent_t         *ents;           /* owned */
    size_t              nents, capents;
    long                last_check;
    long                recheck_due;
    bool                recheck_raised;
    char                followup_visit[24];
    long                followup_due;
    char                last_visit[24];
    long                last_visit_at;
} warn_hh_t;

/* Loads the household (or a fresh one named household_id when absent: hh->found false).
 * 0, or an LMDB code (MDB_CORRUPTED for a record that does not unpack), -1 on OOM. */
int warn_hh_load(sais_svc_t *svc, MDB_txn *txn, const char *household_id, warn_hh_t *hh);
/* Stores the household: recomputes its dibao re-check date and moves its schedule key, then
 * writes the record (skipped when the bytes are unchanged). 0, LMDB code or -1. */
int warn_hh_save(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh);
void warn_hh_clear(warn_hh_t *hh);
/* Records a rules event about one entitlement; returns the entry, NULL on OOM. */
warn_ent_t *warn_hh_ent_set(warn_hh_t *hh, const Rul__Entitlement *e, const char *event_type,
                            long today);
/* True if a counted member can work (the 6-month re-check). */
bool warn_hh_able(const warn_hh_t *hh);
/* The dibao entitlement in force now, or NULL. */
const warn_ent_t *warn_hh_dibao(const warn_hh_t *hh);

/* ---- alerts (warn_store.c) */
typedef struct {
    unsigned raised;      /* new alerts */
    unsigned evidence;    /* open alerts that got new evidence */
    unsigned resolved;
} warn_tally_t;

int warn_alert_get(sais_svc_t *svc, MDB_txn *txn, const char *alert_id, Wrn__Alert **out);
/* The household's open (or acknowledged) alert of `kind`: 0, MDB_NOTFOUND, LMDB code. */
int warn_alert_open(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const char *kind,
                    Wrn__Alert **out);
/* Writes the alert and keeps the open index in step with its status. */
int warn_alert_put(sais_svc_t *svc, MDB_txn *txn, const Wrn__Alert *a);
/* hhalerts (household\0alert_id -> ""): GET /v1/alerts?household_id= walks it. warn_alert_put
 * keeps it; the backfill indexes, once at start-up, alerts stored before it existed. */
int warn_alert_index(sais_svc_t *svc, MDB_txn *txn, const Wrn__Alert *a);
int warn_alert_index_backfill(sais_svc_t *svc);

/* Applies one signal to the household: raises a new alert, or adds the evidence (and a
 * higher severity) to its open alert of that kind. `ev` is the evidence of the happening:
 * a new alert takes the items of the signal's source (all of them if none is of it), an
 * open one only the items of that source. Emits alert.raised / alert.evidence. */
int warn_apply_signal(sais_svc_t *svc, MDB_txn *txn, const warn_hh_t *hh,
                      const warn_signal_t *sig, Sais__Evidence *const *ev, size_t nev,
                      warn_tally_t *tally);
int warn_apply_signals(sais_svc_t *svc, MDB_txn *txn, const warn_hh_t *hh,
                       const warn_signals_t *sigs, Sais__Evidence *const *ev, size_t nev,
                       warn_tally_t *tally);
/* Resolves `a` (status resolved, outcome, note; index dropped; alert.resolved emitted). */
int warn_alert_close(sais_svc_t *svc, MDB_txn *txn, Wrn__Alert *a, const char *outcome,
                     const char *note);
/* Resolves the household's open alert of `kind`, if there is one. */
int warn_alert_close_open(sais_svc_t *svc, MDB_txn *txn, const char *household_id,
                          const char *kind, const char *outcome, const char *note,
                          warn_tally_t *tally);
/* Records what rules did (`e`) in the household's open alerts it relates to. */
int warn_alert_annotate(sais_svc_t *svc, MDB_txn *txn, const warn_hh_t *hh, const warn_ent_t *e);

/* Writes an alert as API.md shows it; the id number is masked for a caller that may not see
 * the region or is a charity. */
void warn_alert_json(sais_jw_t *w, const Wrn__Alert *a, const Sais__Request *req);

/* ---- keys */
size_t warn_key_sched(char *out, size_t outlen, long day, char type, const char *household_id);
size_t warn_key_followup(char *out, size_t outlen, long day, const char *household_id);
size_t warn_key_pair(char *out, size_t outlen, const char *a, const char *b);

/* ---- handlers */
/* Events (warn_events.c), dispatched from the table in warn_server.c. */
int warn_ev_household_changed(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);
int warn_ev_person(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);
int warn_ev_case(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);
int warn_ev_entitlement(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);
int warn_ev_application(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);
int warn_alerts_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int warn_alerts_acknowledge(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int warn_alerts_resolve(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int warn_visits_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int warn_visits_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int warn_visits_due(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int warn_visits_code(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int warn_compare_run(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
void warn_on_tick(sais_svc_t *svc);

/* ?limit= (default 50, 1..1000): the value, or -1 if it is not a number in range. */
int warn_req_limit(const Sais__Request *req);
/* True if `region` starts with the ?region= filter (absent or empty: everything). */
bool warn_region_match(const char *region, const char *filter);

#endif
