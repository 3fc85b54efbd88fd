/* Fuzz target: a feed upload sent with Content-Encoding: gzip (gateway_feed.c), whatever its
 * bytes. The first input byte picks how the body is cut; the rest is the body. It is fed
 * twice against a fake ingest — in pieces of that size on the polling threads' way (take what
 * fits, flush when full), and whole through gw_feed_data — and besides "no crash, no leak":
 *   - both ways end with the same answer;
 *   - ingest never gets more than the limit;
 *   - an upload answered 200 handed ingest exactly what zlib inflates the body to, member
 *     after member, both ways; one that was refused was abandoned (feed.abort), never ended,
 *     and what it handed ingest is a beginning of what zlib makes of the body (how much, of a
 *     member whose checksum had not been read when the buffer filled, depends on the cut). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gateway_int.h"
#include "sais_client.h"
#include "sais_fake_reply.h"
#include "fuzz_check.h"

#define LIMIT (3u << 20)

typedef sais_fake_feed_t sink_t;

static sink_t *cur;

static int fake_ingest(void *cls, const char *service, Sais__Request *req, int timeout_ms,
                       Sais__Reply **out)
{
    (void)cls;
    (void)service;
    (void)timeout_ms;
    CHECK(sais_fake_feed_take(cur, req));   /* never more than the limit reaches ingest */
    *out = sais_fake_reply(200, "{}");
    return SAIS_CALL_OK;
}

static int run(const uint8_t *body, size_t n, size_t piece, bool some, sink_t *s)
{
    gw_t gw;
    memset(&gw, 0, sizeof gw);
    gw.call = fake_ingest;
    gw.timeout_ms = 1000;
    cur = s;
    gw_req_t *rq = gw_req_new("/v1/feeds/medical/batches?batch_id=f");
    CHECK(rq != NULL);
    rq->feed.open = true;
    memcpy(rq->feed.session, "s1", 3);
    rq->limit = LIMIT;
    CHECK(gw_feed_gzip(rq) == 0);
    for (size_t off = 0; off < n && !rq->resp.ready;) {
        size_t k = n - off < piece ? n - off : piece;
        if (!some) {
            gw_feed_data(&gw, rq, (const char *)body + off, k);
            off += k;
            continue;
        }
        if (gw_feed_room(rq) == 0) {
            gw_feed_flush(&gw, rq);
            continue;
        }
        size_t t = gw_dispatch_data_some(&gw, rq, (const char *)body + off, k);
        off += t;
        if (t < k && !rq->resp.ready) gw_feed_flush(&gw, rq);
    }
    if (!rq->resp.ready) gw_feed_end(&gw, rq);
    int status = rq->resp.status;
    gw_req_destroy(&rq);
    return status;
}

/* What zlib makes of the body, member after member, into out (up to LIMIT + 1 bytes); 0 when
 * it is a whole gzip stream, -1 otherwise. */
static int reference(const uint8_t *body, size_t n, unsigned char *out, size_t *olen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK) abort();
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)n;
    *olen = 0;
    int rc = Z_OK, ended = 0;
    while (*olen <= LIMIT) {
        if (ended && z.avail_in == 0) break;
        if (ended) {
            inflateReset(&z);
            ended = 0;
        }
        z.next_out = out + *olen;
        z.avail_out = (uInt)(LIMIT + 1 - *olen);
        uInt before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        *olen += before - z.avail_out;
        if (rc == Z_STREAM_END) ended = 1;
        else if (rc != Z_OK) break;
        else if (z.avail_in == 0 && before == z.avail_out) break;
    }
    inflateEnd(&z);
    return ended && z.avail_in == 0 && n > 0 && *olen <= LIMIT ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t piece = 1 + (size_t)data[0] * 13;
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    sink_t a = {.got = malloc(LIMIT), .cap = LIMIT}, b = {.got = malloc(LIMIT), .cap = LIMIT};
    unsigned char *ref = malloc(LIMIT + 1);
    CHECK(a.got && b.got && ref);
    int sa = run(body, n, piece, true, &a);
    int sb = run(body, n, n ? n : 1, false, &b);
    CHECK(sa == sb);
    size_t rlen = 0;
    int whole = reference(body, n, ref, &rlen);
    const sink_t *both[2] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        const sink_t *s = both[i];
        if (sa == 200) {
            CHECK(s->ends == 1 && s->aborts == 0);
            CHECK(whole == 0 && rlen == s->len && memcmp(ref, s->got, s->len) == 0);
        } else {
            CHECK(s->ends == 0 && s->aborts == 1);
            CHECK(sa == 400 || sa == 413);
            CHECK(s->len <= rlen && memcmp(ref, s->got, s->len) == 0);
        }
    }
    free(a.got);
    free(b.got);
    free(ref);
    return 0;
}
