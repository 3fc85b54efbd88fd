/* sais_bus — the durable bus of DESIGN.md.
 *
 * A producer appends events to its "_events" database (key: big-endian u64 seq from 1) inside
 * the same write transaction as the state change that caused them. A consumer keeps
 * "_cursors"[producer] in its own store and advances it in the transaction that applies the
 * events. Nothing here touches sockets: sais_service moves FetchRequest/FetchReply over ZeroMQ.
 */
#ifndef SAIS_BUS_H
#define SAIS_BUS_H

#include "sais_store.h"
#include "envelope.pb-c.h"

#include <stdbool.h>

/* Appends one event; *seq_out (may be NULL) gets its seq. Returns an LMDB code. */
int sais_bus_append(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                    const char *region, const char *trace_id, const void *payload, size_t len,
                    uint64_t *seq_out);
int sais_bus_append_pb(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                       const char *region, const char *trace_id, const ProtobufCMessage *msg,
                       uint64_t *seq_out);
/* sais_bus_append, the envelope naming the feed sources behind the event (Envelope.sources). */
int sais_bus_append_sourced(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                            const char *region, const char *const *sources, size_t nsources,
                            const void *payload, size_t len);
/* sais_bus_append_pb, naming the sources. */
int sais_bus_append_pb_sourced(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                               const char *region, const char *const *sources, size_t nsources,
                               const ProtobufCMessage *msg);
/* Whether an event may concern a consumer that keeps only what `wanted` (NULL-terminated
 * source names) can change: its envelope names none of its sources, or one of them. */
bool sais_bus_sourced_by(const Sais__Envelope *ev, const char *const *wanted);
/* An event's payload unpacked as `desc`, its unknown fields dropped (sais_pb_drop_unknown),
 * so that nothing a consumer keeps of it packs into bytes that cannot be read back. NULL if
 * the payload is not such a message (the consumer logs and skips it). */
ProtobufCMessage *sais_event_unpack(const ProtobufCMessageDescriptor *desc, const Sais__Envelope *ev);

/* The last seq in the log (0 if empty). Returns an LMDB code. */
int sais_bus_head(sais_store_t *store, MDB_txn *txn, uint64_t *head);

/* Reads events after `after` into a FetchReply: at most `max` events and about `max_bytes`
 * bytes (always at least one event if there is one). The reply's events are owned by *out;
 * free with sais_bus_fetch_free. 0 or -1. */
int sais_bus_fetch(sais_store_t *store, uint64_t after, uint32_t max, size_t max_bytes,
                   Sais__FetchReply *out);
/* The same, as the packed FetchReply a producer sends (built from the stored bytes, no
 * unpacking): *buf is malloc'd, the caller frees it. 0 or -1. */
int sais_bus_fetch_packed(sais_store_t *store, uint64_t after, uint32_t max, size_t max_bytes,
                          uint8_t **buf, size_t *len);
void sais_bus_fetch_free(Sais__FetchReply *reply);

/* A consumer's cursor for `producer` (0 if none yet). LMDB codes. */
int sais_cursor_get(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t *cursor);
int sais_cursor_set(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t cursor);
/* Events of `producer` a consumer stepped over because no retry could apply them: how many
 * (0 if none), and one more, its cursor moved to `seq` in the same transaction. LMDB codes. */
int sais_skipped_get(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t *n);
int sais_skip(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t seq);
/* A producer whose log was found to end before the consumer's cursor (its data restored from
 * an older backup, or replaced): what it publishes next would reuse sequence numbers the
 * consumer has already taken in, so the consumer takes nothing more from it. Whether it was
 * found so and at which head, and the finding, kept until the consumer's own data is
 * restored with the producer's. LMDB codes. */
int sais_diverged_get(sais_store_t *store, MDB_txn *txn, const char *producer, bool *diverged,
                      uint64_t *head);
int sais_diverge(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t head);

#endif
