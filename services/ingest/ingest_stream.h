/* ingest_stream — a partner feed body in arbitrary byte chunks in, one callback per record
 * out, in input order: `record` for a valid record (a normalised Ing__Fact), `reject` for a
 * record that breaks a rule (all its errors). No I/O and no LMDB: the ingest server calls
 * feed() as body chunks arrive and finish() at the end of the body.
 *
 * Formats (API.md "Partner feeds", DOMAIN.md "Feeds"):
 *   NDJSON  one JSON object per line; duplicate keys rejected; blank lines skipped (they
 *           still count for line numbers); a trailing CR is dropped.
 *   CSV     RFC 4180: a header row naming the fields (same names as NDJSON; case and
 *           surrounding spaces ignored; unknown columns ignored), quoted fields with
 *           embedded commas, quotes ("") and newlines, CRLF or LF (or bare CR) line ends.
 *           A quote inside an unquoted field is taken literally. A header that cannot be
 *           used (a known column twice, bad quoting, too long) rejects every record with
 *           bad_csv, so the counts stay whole.
 * A UTF-8 byte order mark at the start of the body is dropped in both formats. A CSV body
 * may be GB18030 (GBK, GB2312), converted to UTF-8 as it streams (ingest_charset.h).
 *
 * Line numbers are the physical line where a record starts, from 1 (the CSV header is line
 * 1). Chunk boundaries never matter: a chunk may end inside a UTF-8 character, a quoted
 * field, a CRLF pair or the BOM.
 *
 * Memory is bounded whatever the input: at most INGEST_MAX_LINE bytes of one line (NDJSON)
 * or record (CSV) are kept; a longer one is rejected as too_long and skipped as it streams
 * past. Per record nothing is allocated, except by jansson for the NDJSON lines the fast
 * path declines (ingest_json.h) and by NFC normalisation of an unusual name.
 *
 * Ownership: the stream borrows `sink` (copied) and `ctx` (never freed). Everything passed
 * to a callback is owned by the stream and valid only during the call. Callbacks must not
 * call back into the stream.
 */
#ifndef INGEST_STREAM_H
#define INGEST_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.pb-c.h"
#include "ingest_record.h"

#define INGEST_MAX_LINE 65536   /* bytes of one NDJSON line / CSV record */

typedef enum {
    INGEST_NDJSON,
    INGEST_CSV,
} ingest_format_t;

/* "application/x-ndjson" (also application/jsonl, application/ndjson) -> INGEST_NDJSON,
 * "text/csv" -> INGEST_CSV; parameters (charset=utf-8) and case ignored. Returns 0, or -1
 * for any other type (the server answers 415). */
int ingest_format_from_content_type(const char *content_type, ingest_format_t *out);

typedef struct {
    /* A valid record. fact->line is set; fact->batch_id is empty (the caller may point it
     * at its own string for the duration of the call). */
    int (*record)(void *ctx, uint32_t line, Ing__Fact *fact);
    /* A rejected record. record_id is NULL when the record has none that is usable;
     * errs[0..n) are all its errors (n >= 1). */
    int (*reject)(void *ctx, uint32_t line, const char *record_id, const ingest_error_t *errs,
                  size_t n);
} ingest_sink_t;

typedef struct ingest_stream ingest_stream_t;

/* A stream for `source` ("hukou", "medical", ...) in `fmt`, judging dates against
 * `today_days` (days since 1970-01-01; pass sais_clock_today()). NULL for an unknown source
 * or when out of memory. Either callback may be NULL (that kind of record is then counted
 * and dropped). */
ingest_stream_t *ingest_stream_new(const char *source, ingest_format_t fmt, long today_days,
                                   const ingest_sink_t *sink, void *ctx);

/* The body's charset, before the first byte is fed: "utf-8" (the default) or, for CSV,
 * "gb18030" (ingest_charset.h), converted to UTF-8 as it streams. 0, or -1 for another
 * charset, for GB18030 NDJSON (NDJSON is UTF-8), after bytes were fed, or when iconv cannot
 * convert it on this host. */
int ingest_stream_set_charset(ingest_stream_t *self, const char *canonical);

/* Feeds the next `len` bytes of the body. Returns 0; or the first non-zero value a
 * callback returned, after which the stream is stopped and every later feed/finish
 * returns that value again; or -1 when out of memory (also sticky). Bad input never
 * makes it fail: it becomes reject callbacks. */
int ingest_stream_feed(ingest_stream_t *self, const void *buf, size_t len);

/* The end of the body: flushes a last line without a newline, rejects an unclosed quoted
 * field. Returns as feed. Feeding after finish returns -1. */
int ingest_stream_finish(ingest_stream_t *self);

/* Frees the stream and NULLs *self_p; idempotent. */
void ingest_stream_destroy(ingest_stream_t **self_p);

/* Records handed to the sink so far (valid + rejected): the report's `received`. Blank
 * lines and the CSV header are not records. */
uint32_t ingest_stream_records(const ingest_stream_t *self);

/* NDJSON lines are read by a fast path (ingest_json.h) and by jansson only when the fast
 * path declines; both give the same results. Off sends every line through jansson: for
 * tests that compare the two, and a switch should the fast path ever be in doubt. */
void ingest_stream_set_fast_json(ingest_stream_t *self, bool on);

/* Physical lines consumed so far (a line is counted when its newline is seen). */
uint32_t ingest_stream_lines(const ingest_stream_t *self);

#endif
