/* ingest — partner feeds taken in exactly once (API.md "Partner feeds").
 *
 * A batch arrives as a session: feed.begin, feed.chunk (the body in pieces, as the gateway
 * receives it), feed.end. Records are parsed and validated as they stream (ingest_stream.c)
 * and accepted in groups of ingest.commit_lines lines: one write transaction per group holds
 * the accepted record ids and the fact.batch event for them. Groups are cut by line number,
 * not by chunk, so the event log is the same whatever the network did — and a batch retried
 * after a crash finds its earlier groups already accepted (same batch, same line) and counts
 * them as accepted again instead of as duplicates.
 */
#ifndef INGEST_H
#define INGEST_H

#include "sais_service.h"

extern const sais_service_def_t ingest_service;

#define INGEST_DB_BATCHES "batches"  /* source|batch_id -> ing.BatchState */
#define INGEST_DB_RECORDS "records"  /* source|record_id -> batch_id NUL line(be32) */
#define INGEST_DB_FEEDS   "feeds"    /* source -> ing.FeedState */

#endif
