/* Fuzz target: a partner's feed body. The first byte picks the source (low three bits, mod
 * 7), the format (bit 3: CSV) and for CSV the charset (bit 4: GB18030); the rest is the body. Whatever the bytes, the stream must
 * not crash or leak, and give the same callbacks fed whole, in random chunks and a byte at a
 * time; an NDJSON body must give the same callbacks through jansson alone as through the
 * fast path (ingest_json.h promises both read every line alike). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_ingest_util.h"

static void must_equal(const char *what, const transcript_t *a, const transcript_t *b)
{
    if (strcmp(a->buf, b->buf) == 0)
        return;
    fprintf(stderr, "fuzz_ingest: %s differ\n--- first:\n%s--- second:\n%s", what, a->buf, b->buf);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sources[] = {"hukou", "medical", "disability", "hrss",
                                          "civil", "justice", "assets"};
    if (size < 1)
        return 0;
    const char *src = sources[(data[0] & 7) % 7];
    ingest_format_t fmt = data[0] & 8 ? INGEST_CSV : INGEST_NDJSON;
    const char *cs = fmt == INGEST_CSV && (data[0] & 16) ? "gb18030" : NULL;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    transcript_t whole = tr_run_charset(src, fmt, body, len, 0, false, cs);
    transcript_t rnd = tr_run_charset(src, fmt, body, len, SIZE_MAX, false, cs);
    must_equal("whole and random chunks", &whole, &rnd);
    free(rnd.buf);
    if (len <= 4096) {
        transcript_t bytes = tr_run_charset(src, fmt, body, len, 1, false, cs);
        must_equal("whole and byte by byte", &whole, &bytes);
        free(bytes.buf);
    }
    if (fmt == INGEST_NDJSON) {
        transcript_t slow = tr_run_mode(src, fmt, body, len, 0, true);
        must_equal("fast path and jansson", &whole, &slow);
        free(slow.buf);
    }
    free(whole.buf);
    return 0;
}
