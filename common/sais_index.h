/* sais_index — a secondary index beside a primary table: index key -> "" for each primary
 * entry, so "everything of this household" is a prefix walk instead of a scan of the table.
 *
 * The service owns both tables and keeps the index in the same transaction as each primary
 * write. sais_index_backfill is for an index added to a store that already holds data: at
 * start-up, an empty index over a non-empty primary table is built in one transaction.
 */
#ifndef SAIS_INDEX_H
#define SAIS_INDEX_H

#include <lmdb.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "sais_store.h"

/* The index key of one primary entry, written to out (at most outlen bytes). Returns its
 * length, 0 to leave the entry out (it does not unpack, or its key would not fit). */
typedef size_t (*sais_index_key_fn)(const MDB_val *key, const MDB_val *val, char *out, size_t outlen);

/* Builds `index` from `primary` when the index is empty and the primary table is not; `what`
 * names it in the log. 0 when built or nothing to do, -1 on an LMDB failure (logged). */
int sais_index_backfill(sais_store_t *store, const char *primary, const char *index,
                        sais_index_key_fn key_fn, const char *what);

/* A page of a list: called with each entry (key, value) in key order; returns 0 to go on, 1
 * to stop (the page is full), -1 when the value is damaged (the walk ends MDB_CORRUPTED). */
typedef int (*sais_walk_fn)(const MDB_val *key, const MDB_val *val, void *ctx);

/* The entries of `dbi` after the key `after` (from the first when NULL or empty; the entry
 * named by `after` is the last of the previous page and not repeated). 0 when fn stopped it
 * or the table ended; an LMDB code otherwise. */
int sais_walk_table(MDB_txn *txn, MDB_dbi dbi, const char *after, sais_walk_fn fn, void *ctx);

/* The same over the primary entries an index lists under `prefix` (keys prefix\0id, see
 * sais_index_pair), in id order, after the id `after`: fn gets each id and its primary
 * value. An index entry whose primary entry is gone is passed over. A prefix or cursor too
 * long to be a key lists nothing. */
int sais_walk_index(MDB_txn *txn, MDB_dbi index, MDB_dbi primary, const char *prefix, const char *after,
                    sais_walk_fn fn, void *ctx);

/* "a\0b" into out: the key of b under the prefix a (a must not contain '\0'). 0 when it does
 * not fit in outlen bytes. */
size_t sais_index_pair(char *out, size_t outlen, const char *a, const char *b);

/* The index key "a\0b" of a stored protobuf message (`val`, of type `desc`) from its string
 * fields named `field_a` and `field_b`: the body of most sais_index_key_fn. 0 when the value
 * does not unpack, a field is not a single string, or the key does not fit. */
size_t sais_index_pb_pair(const MDB_val *val, const ProtobufCMessageDescriptor *desc, const char *field_a,
                          const char *field_b, char *out, size_t outlen);

#endif
