/* sais_store — one LMDB environment per service.
 *
 * The store owns the MDB_env and the named databases a service declares. Writes go through
 * sais_store_write(), which runs a callback in a write transaction and commits it; when LMDB
 * says MDB_MAP_FULL (from a put or from the commit) the whole transaction is aborted, the map
 * is doubled and the callback is run again from the start — nothing from the dead transaction
 * is ever acknowledged. Callbacks must therefore have no effect outside the transaction until
 * it commits (collect such effects and apply them after sais_store_write returns 0).
 *
 * Stale reader slots left by a killed process are cleared when the store opens. Every store
 * carries the format it was written in ("store.format" in "_meta"); opening one of a newer
 * format than SAIS_STORE_FORMAT fails, naming both.
 * Databases whose names start with '_' are the runtime's (event log, cursors, idempotency
 * records, counters) and are left out of the state digest.
 */
#ifndef SAIS_STORE_H
#define SAIS_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

typedef struct sais_store_t sais_store_t;

/* The layout of keys, values and databases this code reads and writes. Raise it with any
 * change an older SAIS would misread, and migrate older stores when they open. */
#define SAIS_STORE_FORMAT 1

/* A callback's return: 0 commits; SAIS_TXN_ABORT aborts quietly (sais_store_write returns
 * SAIS_TXN_ABORT); any LMDB error code (as returned by mdb_put & co) is handled by the store:
 * MDB_MAP_FULL grows and retries, anything else aborts and returns -1. */
#define SAIS_TXN_ABORT 1
typedef int (*sais_txn_fn)(MDB_txn *txn, void *ctx);

/* Opens or creates the environment in `dir` (created mode 0700 if missing) with the
 * NULL-terminated list of database names. `map_mb` is the initial map size. Returns NULL and
 * a reason in err on failure. */
sais_store_t *sais_store_open(const char *dir, const char *const *dbis, size_t map_mb,
                              char *err, size_t errlen);
/* Closes the environment; idempotent, NULLs the pointer. No transaction may be open. */
void sais_store_destroy(sais_store_t **self_p);

/* The handle of a database named at open. A name not declared is a programmer error. */
MDB_dbi sais_store_dbi(sais_store_t *self, const char *name);
const char *sais_store_dir(sais_store_t *self);

/* Runs fn in a write transaction (see the return convention above). Returns 0 when
 * committed, SAIS_TXN_ABORT if fn asked to abort, -1 on an LMDB failure (logged). */
int sais_store_write(sais_store_t *self, sais_txn_fn fn, void *ctx);
/* Group commit: the same contract as sais_store_write for one caller, but callers on other
 * threads that arrive while a commit is under way are gathered and run together in the next
 * transaction, each in a nested transaction of its own (so one caller's SAIS_TXN_ABORT or
 * failure undoes only its own writes), with one synced commit for all of them. Each caller
 * returns only after the commit that holds its writes — never earlier. For paths where many
 * threads write small durable records (the gateway's audit chain). */
int sais_store_write_grouped(sais_store_t *self, sais_txn_fn fn, void *ctx);
/* The same grouping for one thread that has several writes in hand (the service runtime's
 * queued WRITE requests): fns[i](txn, ctxs[i]) each in a child transaction, one commit for all.
 * rcs[i] gets 0 (its writes committed), SAIS_TXN_ABORT or -1 (its writes undone). Returns 0
 * when the commit succeeded, -1 when it did not (then every rcs[i] is -1). */
int sais_store_write_batch(sais_store_t *self, size_t n, const sais_txn_fn *fns, void *const *ctxs, int *rcs);

/* Runs fn in a read-only transaction. Returns fn's value, or -1 if the txn cannot start. */
int sais_store_read(sais_store_t *self, sais_txn_fn fn, void *ctx);

/* BLAKE2b-256 over every key and value of every database not starting with '_', in order;
 * lowercase hex into hex[65]. 0 or -1. */
int sais_store_digest(sais_store_t *self, char hex[65]);

/* Writes that could not be committed since the store was opened (a full disk, an I/O
 * error), and since when they fail: 0 when the last write committed. `error` (may be NULL)
 * gets the first failure of the current spell, "" when there is none. Thread-safe. */
void sais_store_write_health(sais_store_t *self, uint64_t *failures, int64_t *failing_since,
                             char *error, size_t errlen);

/* Bytes in use (last page * page size) and the current map size. 0 or -1. */
int sais_store_usage(sais_store_t *self, uint64_t *used, uint64_t *mapsize);

/* ---- helpers for callbacks: each returns an LMDB code (0, MDB_NOTFOUND, MDB_MAP_FULL, ...).
 * get and del take a key LMDB could not store (empty, or over 511 bytes) as absent; put
 * fails on one with MDB_BAD_VALSIZE. */
int sais_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v, size_t vlen);
int sais_get(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, MDB_val *out);
/* Entries in the database (mdb_stat's count) into *n. */
int sais_entries(MDB_txn *txn, MDB_dbi dbi, size_t *n);
int sais_del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen);
/* Packs msg and stores it under k. */
int sais_put_pb(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const ProtobufCMessage *msg);
/* Unpacks the message under k into *out (free with protobuf_c_message_free_unpacked).
 * MDB_NOTFOUND if absent; MDB_CORRUPTED if it does not unpack. */
int sais_get_pb(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out);
/* Next value of a named counter kept in the runtime's "_meta" database, from 1. */
int sais_next_id(sais_store_t *self, MDB_txn *txn, const char *counter, uint64_t *out);

/* Big-endian u64 keys sort numerically. */
void sais_be64(uint64_t v, unsigned char out[8]);
uint64_t sais_from_be64(const unsigned char in[8]);

#endif
