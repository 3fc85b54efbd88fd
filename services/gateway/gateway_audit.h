/* gateway_audit — the audit chain (API.md "Audit").
 *
 * Database "audit": key big-endian u64 seq (from 1), value the entry as canonical JSON
 * {"seq","at","actor","role","action","subject","status","prev_hash","hash"}. hash is
 * BLAKE2b-256 over prev_hash (32 raw bytes) followed by the canonical JSON of the first seven
 * fields; the first entry's prev_hash is 32 zero bytes. Database "audit_head" keeps the last
 * seq and hash, so deleting the newest entries is detected too, and the next append continues
 * from the head rather than from whatever entry is last.
 *
 * Appends go through sais_store_write, which serialises writers: the chain stays linear
 * whatever thread appends.
 */
#ifndef GATEWAY_AUDIT_H
#define GATEWAY_AUDIT_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include "sais_json.h"
#include "sais_store.h"

#define GW_AUDIT_DBI      "audit"
#define GW_AUDIT_HEAD_DBI "audit_head"

typedef struct {
    const char *actor;     /* key id, or "-" */
    const char *role;      /* "" -> "-" */
    const char *action;    /* "GET /v1/persons/{id_number}" */
    const char *subject;   /* the path capture (an ID number...), "" if none */
    int         status;
} gw_audit_in_t;

/* Appends one entry (durably: the commit is synced). 0 and *seq (may be NULL), or -1. */
int gw_audit_append(sais_store_t *store, const gw_audit_in_t *e, uint64_t *seq);
/* Appends n entries in that order, in one synced commit (shared with other appenders' group).
 * 0 (all written) or -1 (none). */
int gw_audit_append_many(sais_store_t *store, const gw_audit_in_t *const *e, size_t n);

/* Walks the chain inside a read txn. 0 intact, 1 broken, -1 read failure; report says which
 * (the first broken link or missing seq). */
int gw_audit_verify_txn(MDB_txn *txn, MDB_dbi audit, MDB_dbi head, char *report, size_t len);
/* Same through an open store. */
int gw_audit_verify_store(sais_store_t *store, char *report, size_t len);

typedef struct {
    const char *actor;     /* NULL = any */
    const char *subject;
    const char *action;
    int64_t     since;     /* unix seconds; entries at or after; 0 = any */
    uint64_t    after;     /* the cursor: entries with seq > after */
    size_t      limit;
} gw_audit_query_t;

/* Writes {"items": [...], "next_cursor": "<seq>" | null}, oldest first. A scan stops after a
 * bounded number of entries and hands back a cursor, so a rare filter never holds a reader
 * for long. 0 or -1. */
int gw_audit_list(sais_store_t *store, const gw_audit_query_t *q, sais_jw_t *w);

#endif
