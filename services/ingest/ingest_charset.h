/* ingest_charset — a CSV feed body in GB18030 turned into UTF-8 as it streams.
 *
 * Excel on a Chinese Windows saves "CSV (逗号分隔)" in GBK, and a partner department's
 * export job often writes what its old database holds, GB2312 or GBK. GB18030 contains both
 * (every valid GBK or GB2312 byte sequence means the same character in GB18030) and every
 * Unicode character besides, so one decoder serves all three: a body posted as
 * `text/csv; charset=GBK` is read as GB18030.
 *
 * The conversion is glibc's iconv; nothing is allocated per chunk. A multibyte sequence cut
 * by the end of a chunk is held for the next one. Each byte that begins no valid sequence
 * comes out as 0xFF, which is never part of UTF-8, so the line it is on fails the stream's
 * UTF-8 check and is rejected as bad_encoding (the report says "not valid GB18030"); the
 * next byte is read afresh, so one damaged byte costs its line only. Line ends are ASCII in
 * GB18030 and stay where they were: line numbers in the report are the file's own.
 *
 * Ownership: the converter is the caller's (ingest_charset_destroy). Bytes handed to the
 * output callback are the converter's and valid only during the call.
 */
#ifndef INGEST_CHARSET_H
#define INGEST_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

/* The charset a Content-Type's charset parameter names, as ingest reads it:
 * "utf-8" (utf-8, utf8, also us-ascii), "gb18030" (gb18030, gbk, gb2312, cp936, x-gbk,
 * euc-cn; case ignored), or NULL for any other. */
const char *ingest_charset_canonical(const char *name);

/* What a report calls the charset: "UTF-8" or "GB18030". */
const char *ingest_charset_label(const char *canonical);

typedef struct ingest_charset ingest_charset_t;

/* A converter from `canonical` ("gb18030") to UTF-8; NULL for "utf-8" or another name, or
 * when iconv cannot open the conversion (glibc's gconv modules missing). */
ingest_charset_t *ingest_charset_new(const char *canonical);
void ingest_charset_destroy(ingest_charset_t **self_p);

typedef int (*ingest_charset_out_fn)(void *ctx, const char *utf8, size_t len);

/* Converts the next `len` bytes, handing the UTF-8 to `out` in pieces (at most a few KiB
 * each). With `in` NULL: the end of the body, where a held incomplete sequence comes out as
 * 0xFF bytes. Returns 0, or the first non-zero value `out` returned. */
int ingest_charset_convert(ingest_charset_t *self, const char *in, size_t len,
                           ingest_charset_out_fn out, void *ctx);

/* True when s[0..n) reads whole as GB18030 text with at least two Chinese characters and
 * nothing else beside ASCII: the report's hint that an undeclared body is GBK. Cheap enough
 * for rejected lines only. */
bool ingest_charset_looks_gb18030(const char *s, size_t n);

#endif
