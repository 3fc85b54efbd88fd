/* verify — persons, households and the household economic picture (DESIGN.md).
 *
 * Consumes ingest's fact.batch events and folds each fact into the person it is about
 * (verify_person.c); every household a batch touched gets its picture recomputed once, at the
 * batch's feed.done (verify_refresh.c, verify_picture.c) and, when it changed, a
 * household.changed event. It also keeps copies of
 * rules' entitlements and warn's alerts per household, so a person or household read is one
 * lookup in one store.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include "sais_service.h"
#include "verify.pb-c.h"
#include "vstore.pb-c.h"

extern const sais_service_def_t verify_service;

/* Databases */
#define VERIFY_DB_PERSONS   "persons"      /* id_number -> vst.Person */
#define VERIFY_DB_HOUSES    "households"   /* household_id -> vst.Household */
#define VERIFY_DB_PICTURES  "pictures"     /* household_id -> ver.Picture (version 0: see _versions) */
#define VERIFY_DB_ENTS      "entitlements" /* household_id|entitlement_id -> rul.Entitlement */
#define VERIFY_DB_ALERTS    "alerts"       /* household_id|alert_id -> wrn.Alert */
#define VERIFY_DB_REPORTS   "verifications"/* verification_id -> report JSON (never rewritten) */
/* Bookkeeping that depends on the order and batching of the feeds, not only on the set of
 * facts: named with '_' so the state digest leaves it out (sais_store.h). */
#define VERIFY_DB_SOURCES   "_sources"     /* source -> "batch_id|unix time" of its last fact */
#define VERIFY_DB_WISHES    "wishes"       /* household_id|wish_id -> mch.Wish (fulfilled ones) */
#define VERIFY_DB_VERSIONS  "_versions"    /* household_id -> be64 picture change counter */
/* Refreshes a batch owes until its feed.done (verify_refresh.h): empty whenever the bus is
 * quiet, and left out of the digest like the rest of the bookkeeping. */
#define VERIFY_DB_PENDING   "_pending"     /* household_id -> vst.Pending */
/* "owed" while refreshes held back by rules.outreach = hold wait for the release (the first
 * start with outreach on): verify_refresh.h */
#define VERIFY_DB_HELD      "_held"

/* verify_api.c: the request handlers */
int verify_persons_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int verify_households_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
/* For other services, not routed by the gateway (it checks no region: the caller does): the
 * picture (ver.Picture) of household_id, or of id_number's household, as it is now, computed
 * if its refresh is owed. rules asks it while outreach is held (rules_api.c). */
int verify_households_picture(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int verify_households_benefits(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int verify_verifications_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int verify_verifications_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);

/* verify_server.c: shared with the handlers */
/* Loads the members of a household and computes its picture for today into *out (clear with
 * verify_picture_clear). MDB_NOTFOUND if the household is unknown. */
int verify_compute_picture(sais_svc_t *svc, MDB_txn *txn, const char *household_id, Ver__Picture *out);
/* The same, taking members from `lookup` first (a borrowed person as stored in txn, or NULL
 * to read it from the store): the persons an envelope just folded are not unpacked twice. */
typedef const Vst__Person *(*verify_person_lookup_fn)(void *ctx, const char *id_number);
int verify_compute_picture_with(sais_svc_t *svc, MDB_txn *txn, const char *household_id,
                                verify_person_lookup_fn lookup, void *ctx, Ver__Picture *out);

#endif
