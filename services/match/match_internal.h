/* match_internal — what the match service's files share (other services' only doors are
 * match.h, proto/match.proto and the bus).
 *
 * The databases (keys are bytes; '\0' separates the parts of a composite key):
 *   wishes      wish_id ("WS0000000001")           -> mch.Wish
 *   offers      offer_id ("OF0000000001")          -> mch.Offer
 *   orgs        organization_id ("OG0000000001")   -> mch.Organization
 *   open        category \0 wish_id                -> region   (open wishes, oldest first)
 *   avail       category \0 offer_id               -> region   (offers with quantity left)
 *   households  household_id                       -> mch.Household (from household.changed)
 *   persons     id_number                          -> household_id
 * Ids are zero-padded sequence numbers, so key order is age order. The open and avail
 * indexes are kept in step by match_wish_put and match_offer_put, never written elsewhere.
 */
#ifndef MATCH_INTERNAL_H
#define MATCH_INTERNAL_H

#include "sais_service.h"
#include "match.pb-c.h"
#include "match_logic.h"

#define MATCH_ID_MAX  64     /* longest household id or record id match keys on */
#define MATCH_DB_WISHES     "wishes"
#define MATCH_DB_OFFERS     "offers"
#define MATCH_DB_ORGS       "orgs"
#define MATCH_DB_OPEN       "open"
#define MATCH_DB_AVAIL      "avail"
#define MATCH_DB_HOUSEHOLDS "households"
#define MATCH_DB_PERSONS    "persons"

/* ---- protobuf helpers (match_store.c) */
/* Replaces a string field of a heap message with a copy of value (NULL or "" -> empty).
 * 0 or -1 on allocation failure (the field is unchanged then). */
int match_pb_strset(char **field, const char *value);
/* Appends a copy of value to a repeated string field. 0 or -1. */
int match_pb_stradd(char ***items, size_t *n, const char *value);
/* Removes every item equal to value; returns how many were removed. */
size_t match_pb_strdel(char **items, size_t *n, const char *value);

/* A fresh heap record with every string empty; NULL on allocation failure. Free with
 * mch__wish__free_unpacked / mch__offer__free_unpacked / mch__organization__free_unpacked. */
Mch__Wish *match_wish_new(void);
Mch__Offer *match_offer_new(void);
Mch__Organization *match_org_new(void);

/* Next id of a kind ("WS", "OF", "OG") into out (at least 16 bytes). LMDB code. */
int match_next_id(sais_svc_t *svc, MDB_txn *txn, const char *prefix, char *out, size_t outlen);

/* ---- records (match_store.c). Getters: 0, MDB_NOTFOUND, MDB_CORRUPTED or an LMDB code;
 * *out is owned by the caller. */
int match_wish_get(sais_svc_t *svc, MDB_txn *txn, const char *wish_id, Mch__Wish **out);
int match_offer_get(sais_svc_t *svc, MDB_txn *txn, const char *offer_id, Mch__Offer **out);
int match_org_get(sais_svc_t *svc, MDB_txn *txn, const char *org_id, Mch__Organization **out);
int match_hh_get(sais_svc_t *svc, MDB_txn *txn, const char *household_id, Mch__Household **out);
/* The household of a person, into out[MATCH_ID_MAX + 1]. 0, MDB_NOTFOUND or LMDB code. */
int match_person_household(sais_svc_t *svc, MDB_txn *txn, const char *id_number, char *out);

/* Writes the wish and keeps the open index in step with its status. LMDB code. */
int match_wish_put(sais_svc_t *svc, MDB_txn *txn, const Mch__Wish *w);
/* Writes the offer and keeps the avail index in step with its remaining quantity. */
int match_offer_put(sais_svc_t *svc, MDB_txn *txn, const Mch__Offer *o);
int match_org_put(sais_svc_t *svc, MDB_txn *txn, const Mch__Organization *g);

/* Appends wish.<what> for w to the log; the event carries the head's phone when match knows
 * the household (for the SMS on fulfilment). LMDB code or -1. */
int match_wish_emit(sais_svc_t *svc, MDB_txn *txn, const char *type, const Mch__Wish *w);

/* ---- matching (match_match.c): each updates wish, offer and indexes, emits wish.matched */
/* A new (or newly open) wish: binds it to the oldest offer of its category covering its
 * region, if any. *matched tells whether it was. LMDB code or -1. */
int match_wish_arrives(sais_svc_t *svc, MDB_txn *txn, Mch__Wish *w, bool *matched);
/* An offer with quantity left (new, or given some back): binds the oldest open wishes it
 * covers, as many as its remaining quantity. The ids bound are appended to o->wish_ids;
 * *first (may be NULL) gets how many were there before. Writes the offer. */
int match_offer_arrives(sais_svc_t *svc, MDB_txn *txn, Mch__Offer *o, size_t *first);

/* ---- JSON (match_json.c) */
/* True for a caller shown wishes masked: the charity role, or anyone outside the region. */
bool match_masked_for(const Sais__Request *req, const char *region);
/* A wish as an object, masked per match_masked_for. */
void match_wish_json(sais_jw_t *w, const Mch__Wish *x, const Sais__Request *req);
/* An offer's members (the caller writes the braces): ..., "matched": [wish ids]. */
void match_offer_json(sais_jw_t *w, const Mch__Offer *o);
void match_org_json(sais_jw_t *w, const Mch__Organization *g);
/* The request body as a JSON object, or NULL with the reply set (400) and *rc its result. */
json_t *match_body(const Sais__Request *req, sais_reply_t *reply, int *rc);
/* Checks that each named member is a string if present; 0, or the reply set (422). */
int match_body_strings(const json_t *body, const char *const *fields, sais_reply_t *reply, int *rc);
/* The caller's key name and id ("" for internal callers). */
const char *match_caller_name(const Sais__Request *req);
const char *match_caller_key(const Sais__Request *req);
/* A list page's trailer: closes "items" and writes next_cursor (the last key or null). */
void match_list_end(sais_jw_t *w, bool more, const char *last);

/* ---- handlers */
int match_wishes_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_wishes_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_wishes_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_wishes_fulfil(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_wishes_cancel(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_orgs_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_orgs_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_offers_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int match_stats(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
/* household.changed: keeps the household and person indexes. */
int match_ev_household(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev);

#endif
