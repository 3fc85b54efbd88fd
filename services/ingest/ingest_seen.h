/* ingest_seen — the record ids a dry run has met in its body, to count a repeat as the
 * duplicate a real run would make of it.
 *
 * A set of 64-bit keyed hashes (SipHash, a random key per set) in one open-addressing table
 * that doubles as it fills, up to INGEST_SEEN_MAX_SLOTS (32 MiB): a body of a few million
 * records is checked whole, and a bigger one only for its first ids (the caller says which
 * line that was). Two different ids sharing a hash would be taken for a repeat: about one
 * chance in four million for three million ids. Owned by one session; not thread-safe.
 */
#ifndef INGEST_SEEN_H
#define INGEST_SEEN_H

#include <stddef.h>

#define INGEST_SEEN_MAX_SLOTS (1u << 22)

typedef struct ingest_seen_t ingest_seen_t;

ingest_seen_t *ingest_seen_new(void);
void ingest_seen_destroy(ingest_seen_t **s_p);
/* 1: first time, now kept; 0: met before; -1: the set is full (or out of memory) and this
 * id is not kept: from here on repeats are not found. */
int ingest_seen_add(ingest_seen_t *s, const char *id, size_t len);

#endif
