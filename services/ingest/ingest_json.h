/* ingest_json — the fast path for NDJSON lines: one flat JSON object whose values are
 * strings, numbers without exponent, true, false or null, read straight into the values of
 * a source's fields with no allocation. That is every line a feed job normally sends.
 *
 * It never judges: a line it does not fully understand — nesting, an exponent, a duplicate
 * key, a number too big, \u0000, a lone surrogate, or any syntax error — is declined, and
 * the caller parses it with jansson, whose verdict and messages then apply. What it accepts,
 * jansson (JSON_REJECT_DUPLICATES) accepts with the same values: numbers are handed over as
 * jansson values (preallocated, reset in place) so money and text derive exactly as from a
 * jansson parse. tests/unit/test_ingest_stream.c checks the two paths against each other.
 *
 * Ownership: the reader owns its scratch and number values; the ingest_value_t it fills
 * point into the line or into that scratch, valid until the next read.
 */
#ifndef INGEST_JSON_H
#define INGEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest_record.h"

typedef struct ingest_json ingest_json_t;

/* A reader for lines of a source whose fields are fields[0..n). NULL when out of memory. */
ingest_json_t *ingest_json_new(const ingest_field_t *fields, size_t n);

void ingest_json_destroy(ingest_json_t **self_p);

/* Reads line s[0..len) — valid UTF-8, at most INGEST_MAX_LINE bytes. True: vals[f] is set
 * for each of the source's fields f (absent ones zeroed); other entries untouched. False:
 * declined, vals in an unspecified state. */
bool ingest_json_read(ingest_json_t *self, const char *s, size_t len, ingest_value_t *vals);

#endif
