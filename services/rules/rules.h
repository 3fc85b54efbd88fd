/* rules — the policy engine as a service: applies every policy of the catalogue to every
 * household whose picture changes, and keeps the entitlements that follow, each with the
 * explanation and evidence of the decision that made it.
 *
 * Consumes verify's household.changed (it keeps the latest picture of every household, so
 * what-if evaluation and city-wide simulation need no other service). Produces
 * entitlement.granted|changed|suspended|resumed|stopped and case.proactive (dibao/tekun found
 * without an application, for a caseworker's review in intake).
 */
#ifndef RULES_H
#define RULES_H

#include "sais_service.h"
#include "rules_policy.h"
#include "rules.pb-c.h"
#include "verify.pb-c.h"

extern const sais_service_def_t rules_service;

#define RULES_DB_ENTS     "entitlements"  /* entitlement_id -> rul.Entitlement */
#define RULES_DB_CURRENT  "current"       /* household_id|policy -> entitlement_id (monthly, status) */
#define RULES_DB_ONEOFF   "oneoff"        /* household_id|policy|entitlement_id -> "" (one-off grants) */
#define RULES_DB_PICTURES "pictures"      /* household_id -> ver.Picture (latest), with the kept decisions */
#define RULES_DB_PERSONS  "persons"       /* id_number -> household_id */
#define RULES_DB_CASES    "cases"         /* household_id|policy -> case_id (proactive, sent once) */
#define RULES_DB_HHENTS   "hhents"        /* household_id\0entitlement_id -> "" (every entitlement) */
#define RULES_DB_HELD     "held"          /* household_id -> rul.Held (changed while outreach was held) */

typedef struct {
    rules_catalog_t *catalog;
    char             dir[512];
    bool             redeciding;   /* a reloaded catalogue is being applied to every household */
    bool             hold;         /* rules.outreach = hold: changes are noted, not decided */
    bool             draining;     /* released: the households noted are being decided */
    size_t           held_waiting; /* noted households at start */
    size_t           held_done;    /* decided since the release */
    size_t           hold_slice;   /* rules.hold_slice: households per transaction on release */
    /* the release waits for verify's own (verify_refresh.h): its last word taken in (now or
     * before a restart) was refresh.released; drain_asked_at: when the drain first looked */
    bool             drain_ready;
    int64_t          drain_asked_at;
} rules_state_t;

/* rules_server.c: after a reload every household is decided again, a slice per tick, from a
 * position kept in the store ("_meta" redecide) so a restart carries on where it stopped. */
int rules_redecide_start(sais_svc_t *svc);

/* rules_hold.c: outreach held while a city is first loaded (see there). config: reads
 * rules.outreach (on|hold) and rules.hold_slice. note: remembers a change's causes for the household. decide:
 * rules_decide with the causes noted for the household first, and the note gone. drain: one
 * slice of the noted households decided (on_tick, after release, once verify's held
 * refreshes are in). start: counts the noted households and sets draining when released. */
#define RULES_HELD_CAUSES 32
int  rules_hold_config(const sais_config_t *cfg, bool *hold, size_t *slice, char *err, size_t errlen);
int  rules_hold_note(sais_svc_t *svc, MDB_txn *txn, const char *hh, Sais__Evidence *const *cause, size_t ncause);
int  rules_hold_decide(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic, Sais__Evidence *const *cause,
                       size_t ncause, unsigned char *kept, size_t *keptlen);
void rules_hold_drain(sais_svc_t *svc);
/* verify's refresh.released (released) or refresh.held, taken in: kept in "_meta" and read
 * at start; the drain starts after a release and waits after a hold. */
int  rules_hold_verify_said(sais_svc_t *svc, MDB_txn *txn, bool released);
int  rules_hold_start(sais_svc_t *svc);
/* bus.status: "outreach" (on, held, releasing) and "held_households" (noted, not yet decided). */
int  rules_hold_status(sais_svc_t *svc, MDB_txn *txn, sais_jw_t *w);

/* rules_decide.c: applies the catalogue to one picture inside the consumer txn. When `kept`
 * is not NULL it gets the record of the brief decisions to store with the picture (rules_kept.c)
 * and *keptlen its length (0: none). */
int rules_decide(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic,
                 Sais__Evidence *const *cause, size_t ncause, unsigned char *kept, size_t *keptlen);
/* Grants the approved policies of an application or proactive case (intake's
 * application.approved) with the given origin. */
int rules_approve(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const char *origin,
                  char *const *policies, size_t npolicies);
/* Sum of one-off grants of `policy` to `hh` in the 365 days up to today, fen. _at with a cursor
 * the caller opened on RULES_DB_ONEOFF in txn (a scan over many households keeps one). */
int rules_paid_12m(sais_svc_t *svc, MDB_txn *txn, const char *hh, const char *policy, int64_t *out);
int rules_paid_12m_at(sais_svc_t *svc, MDB_txn *txn, MDB_cursor *oneoff, const char *hh, const char *policy,
                      int64_t *out);
/* Loads the catalogue named by config rules.policies_dir; NULL and "file:line: why" on error. */
rules_catalog_t *rules_load_catalog(const sais_config_t *cfg, char *err, size_t errlen);

/* rules_kept.c: each household's brief decisions as rules_decide found them, kept inside its
 * stored picture (a protobuf field the picture does not define, tag RULES_KEPT_TAG), so that
 * simulate evaluates only the "after" side, and only the policies whose decision read a
 * parameter the what-if changes. encode gives the record's length, 0 when the
 * results are not to be kept (an error, too many policies); read gives 0 and fills `before`
 * (n = the catalogue's size) only when the record in the unpacked picture was made from the
 * same inputs (rules_inputs_key), MDB_NOTFOUND otherwise. */
#define RULES_KEPT_MAX   64
#define RULES_KEPT_BYTES (10 + 19 * RULES_KEPT_MAX)
#define RULES_KEPT_TAG   1000
size_t rules_kept_encode(rules_catalog_t *cat, const Ver__Picture *pic, const rules_history_t *hist,
                         const rules_result_t *results, size_t n, unsigned char out[RULES_KEPT_BYTES]);
int rules_kept_read(rules_catalog_t *cat, const Ver__Picture *pic, const rules_history_t *hist,
                    rules_result_t *before, size_t n);
/* Stores the picture (RULES_DB_PICTURES) with the kept record, or none when keptlen is 0. */
int rules_picture_put(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic, const unsigned char *kept,
                      size_t keptlen);
/* The same from the picture's packed bytes as they arrived (no unknown fields of its own):
 * the same stored value, without packing the picture again. */
int rules_picture_put_packed(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const uint8_t *pic,
                             size_t len, const unsigned char *kept, size_t keptlen);
/* The stored value itself, from the unpacked or the packed picture (byte for byte the same). */
size_t rules_picture_encoded_size(const Ver__Picture *pic, const unsigned char *kept, size_t keptlen);
void   rules_picture_encode(const Ver__Picture *pic, const unsigned char *kept, size_t keptlen, uint8_t *out);
size_t rules_picture_packed_size(size_t len, const unsigned char *kept, size_t keptlen);
void   rules_picture_encode_packed(const uint8_t *pic, size_t len, const unsigned char *kept, size_t keptlen,
                                   uint8_t *out);

/* rules_api.c */
int rules_policies_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int rules_policies_evaluate(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int rules_policies_simulate(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int rules_policies_reload(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int rules_entitlements_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
/* The RULES_DB_HHENTS key of a stored entitlement (sais_index_key_fn): household\0id. */
size_t rules_ent_index_key(const MDB_val *key, const MDB_val *val, char *out, size_t outlen);
void rules_jw_entitlement(sais_jw_t *w, const Rul__Entitlement *e);

#endif
