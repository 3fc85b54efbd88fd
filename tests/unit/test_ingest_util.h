/* Shared by the ingest unit tests: a sink that writes every callback as one text line, so
 * that a whole stream's outcome can be compared as a string. */
#ifndef TEST_INGEST_UTIL_H
#define TEST_INGEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_stream.h"
#include "sais_clock.h"

#define TR_UNUSED __attribute__((unused))

typedef struct {
    char *buf;
    size_t len, cap;
    size_t ok, rejected;
    int stop_after;   /* > 0: return 7 from the callback of that record */
    int seen;
} transcript_t;

TR_UNUSED static void tr_printf(transcript_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
        char *b = realloc(t->buf, cap);
        if (!b)
            abort();
        t->buf = b;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

TR_UNUSED static int tr_record(void *ctx, uint32_t line, Ing__Fact *f)
{
    transcript_t *t = ctx;
    t->ok++;
    tr_printf(t,
              "OK %u src=%s id=%s idn=%s date=%s ev=%s name=%s hh=%s rel=%s reg=%s ph=%s "
              "tot=%lld ins=%lld oop=%lld cat=%s hosp=%s cert=%s gr=%d st=%s mon=%s kind=%s "
              "amt=%lld fac=%s fline=%u\n",
              line, f->source, f->record_id, f->id_number, f->date, f->event, f->name,
              f->household_id, f->relation, f->region, f->phone, (long long)f->total,
              (long long)f->insurance_paid, (long long)f->out_of_pocket, f->category,
              f->hospital, f->certificate, f->grade, f->status, f->month, f->kind,
              (long long)f->amount, f->facility, f->line);
    return ++t->seen == t->stop_after ? 7 : 0;
}

TR_UNUSED static int tr_reject(void *ctx, uint32_t line, const char *record_id, const ingest_error_t *e,
                     size_t n)
{
    transcript_t *t = ctx;
    t->rejected++;
    tr_printf(t, "REJ %u id=%s", line, record_id ? record_id : "(null)");
    for (size_t i = 0; i < n; i++)
        tr_printf(t, " [%s:%s:%s]", e[i].field ? e[i].field : "-", e[i].code, e[i].message);
    tr_printf(t, "\n");
    return ++t->seen == t->stop_after ? 7 : 0;
}

TR_UNUSED static const ingest_sink_t TR_SINK = {tr_record, tr_reject};

TR_UNUSED static long test_today(void)
{
    return sais_date_parse("2026-11-23", 10);
}

/* Runs `data` through a stream fed in chunks of `chunk` bytes (0: whole; SIZE_MAX: random
 * sizes from a fixed seed), read in `charset` (NULL: UTF-8). Returns the transcript (caller
 * frees t->buf). */
TR_UNUSED static transcript_t tr_run_charset(const char *source, ingest_format_t fmt,
                                             const char *data, size_t len, size_t chunk,
                                             bool jansson_only, const char *charset)
{
    transcript_t t = {0};
    tr_printf(&t, "%s", "");
    ingest_stream_t *s = ingest_stream_new(source, fmt, test_today(), &TR_SINK, &t);
    if (!s)
        abort();
    if (charset && ingest_stream_set_charset(s, charset) != 0)
        abort();
    if (jansson_only)
        ingest_stream_set_fast_json(s, false);
    unsigned seed = 12345;
    size_t off = 0;
    while (off < len) {
        size_t n = chunk == 0 ? len - off : chunk;
        if (chunk == SIZE_MAX) {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 8) % 97;
        }
        if (n > len - off)
            n = len - off;
        if (ingest_stream_feed(s, data + off, n) != 0)
            abort();
        off += n;
    }
    if (ingest_stream_finish(s) != 0)
        abort();
    tr_printf(&t, "records=%u lines=%u\n", ingest_stream_records(s), ingest_stream_lines(s));
    ingest_stream_destroy(&s);
    return t;
}

TR_UNUSED static transcript_t tr_run_mode(const char *source, ingest_format_t fmt, const char *data,
                                          size_t len, size_t chunk, bool jansson_only)
{
    return tr_run_charset(source, fmt, data, len, chunk, jansson_only, NULL);
}

TR_UNUSED static transcript_t tr_run(const char *source, ingest_format_t fmt, const char *data,
                                     size_t len, size_t chunk)
{
    return tr_run_mode(source, fmt, data, len, chunk, false);
}

#endif
