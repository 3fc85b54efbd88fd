/* A gzip feed upload through gateway_feed.c, against a fake ingest: what reaches ingest is the
 * inflated body byte for byte, however the compressed bytes are cut (one at a time, odd
 * sizes, the polling threads' take-what-fits path); of small members, each chunk sent ends at
 * a member's end (its checksum held) and a corrupt member sends nothing of itself; truncated,
 * trailing garbage and a body that inflates past the limit end the upload with a clear
 * problem and a feed.abort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gateway_int.h"
#include "sais_client.h"
#include "sais_fake_reply.h"

/* ---- the fake ingest: every chunk's bytes kept (up to 8 MiB), every method counted */
static sais_fake_feed_t in;

static int fake_ingest(void *cls, const char *service, Sais__Request *req, int timeout_ms,
                       Sais__Reply **out)
{
    (void)cls;
    (void)service;
    (void)timeout_ms;
    assert_true(sais_fake_feed_take(&in, req));
    *out = sais_fake_reply(200, "{\"status\":\"done\"}");
    return SAIS_CALL_OK;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0) return -1;
    in.got = malloc(8u << 20);
    in.cap = 8u << 20;
    in.len = in.nchunks = 0;
    in.aborts = in.ends = 0;
    return in.got ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(in.got);
    in.got = NULL;
    return 0;
}

/* ---- bodies */

static unsigned char *text(size_t n, unsigned seed)
{
    unsigned char *b = malloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (i % 97 == 96) ? '\n' : (unsigned char)('a' + (seed >> 16) % 26);
    }
    return b;
}

/* One gzip member of p[0..n) appended to *out. */
static void gz_member(const unsigned char *p, size_t n, unsigned char **out, size_t *olen)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n);
    *out = realloc(*out, *olen + cap);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = *out + *olen;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *olen += cap - z.avail_out;
    deflateEnd(&z);
}

typedef struct {
    gw_t      gw;
    gw_req_t *rq;
} up_t;

static void up_open(up_t *u, uint64_t limit)
{
    memset(&u->gw, 0, sizeof u->gw);
    u->gw.call = fake_ingest;
    u->gw.timeout_ms = 1000;
    u->rq = gw_req_new("/v1/feeds/medical/batches?batch_id=b");
    assert_non_null(u->rq);
    u->rq->feed.open = true;
    snprintf(u->rq->feed.session, sizeof u->rq->feed.session, "s1");
    u->rq->limit = limit;
    assert_int_equal(gw_feed_gzip(u->rq), 0);
    in.len = in.nchunks = 0;
    in.aborts = in.ends = 0;
}

/* Feeds body in pieces of `piece`; `some`: the polling threads' way (take what fits, flush
 * when full), else gw_feed_data (which flushes itself). Then the end. */
static void up_send(up_t *u, const unsigned char *body, size_t n, size_t piece, bool some)
{
    for (size_t off = 0; off < n && !u->rq->resp.ready;) {
        size_t k = n - off < piece ? n - off : piece;
        if (!some) {
            gw_feed_data(&u->gw, u->rq, (const char *)body + off, k);
            off += k;
            continue;
        }
        if (gw_feed_room(u->rq) == 0) {
            gw_feed_flush(&u->gw, u->rq);
            continue;
        }
        size_t t = gw_dispatch_data_some(&u->gw, u->rq, (const char *)body + off, k);
        off += t;
        if (t < k && !u->rq->resp.ready) gw_feed_flush(&u->gw, u->rq);
    }
    if (!u->rq->resp.ready) gw_feed_end(&u->gw, u->rq);
}

static void hash(const unsigned char *p, size_t n, unsigned char out[32])
{
    crypto_generichash(out, 32, p, n, NULL, 0);
}

/* ---- cases */

static void any_cut_same_bytes(void **state)
{
    (void)state;
    size_t n = (2u << 20) + (512u << 10) + 333;
    unsigned char *plain = text(n, 7), *gz = NULL, want[32], got[32];
    size_t glen = 0;
    gz_member(plain, n, &gz, &glen);
    hash(plain, n, want);
    const size_t pieces[] = {1, 7, 4093, 65536, 1u << 20};
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        for (int some = 0; some < 2; some++) {
            up_t u;
            up_open(&u, UINT64_MAX);
            up_send(&u, gz, glen, pieces[i], some);
            if (u.rq->resp.status != 200)
                fail_msg("piece %zu some %d: %d %.*s", pieces[i], some, u.rq->resp.status,
                         (int)u.rq->resp.len, u.rq->resp.body);
            assert_int_equal(in.len, n);
            hash(in.got, in.len, got);
            assert_memory_equal(want, got, 32);
            assert_int_equal(in.ends, 1);
            assert_int_equal(in.aborts, 0);
            /* one member bigger than the buffer: full buffers go before its end */
            assert_int_equal(in.chunks[0], GW_FEED_CHUNK);
            gw_req_destroy(&u.rq);
        }
    }
    free(plain);
    free(gz);
}

static void small_members_whole(void **state)
{
    (void)state;
    const size_t m = 300u << 10, nm = 10;
    unsigned char *plain = text(m * nm, 11), *gz = NULL;
    size_t glen = 0, starts[11];
    for (size_t i = 0; i < nm; i++) {
        starts[i] = glen;
        gz_member(plain + i * m, m, &gz, &glen);
    }
    starts[nm] = glen;
    for (int some = 0; some < 2; some++) {
        up_t u;
        up_open(&u, UINT64_MAX);
        up_send(&u, gz, glen, 65536 - 3, some);
        assert_int_equal(u.rq->resp.status, 200);
        assert_int_equal(in.len, m * nm);
        assert_memory_equal(in.got, plain, m * nm);
        /* every chunk ends where a member does */
        for (size_t c = 0; c < in.nchunks; c++)
            if (in.chunks[c] % m != 0) fail_msg("chunk %zu of %zu bytes", c, in.chunks[c]);
        gw_req_destroy(&u.rq);
    }
    /* the fourth member corrupt late in its bytes: what reached ingest is whole members
     * before it, not a byte of it */
    unsigned char *bad = malloc(glen);
    memcpy(bad, gz, glen);
    size_t at = starts[3] + (starts[4] - starts[3]) * 9 / 10;
    for (size_t i = at; i < at + 16; i++) bad[i] ^= 0xA5;
    for (int some = 0; some < 2; some++) {
        up_t u;
        up_open(&u, UINT64_MAX);
        up_send(&u, bad, glen, 65536, some);
        assert_int_equal(u.rq->resp.status, 400);
        assert_non_null(strstr(u.rq->resp.body, "bad_gzip"));
        assert_true(in.len % m == 0 && in.len <= 3 * m);
        assert_memory_equal(in.got, plain, in.len);
        assert_int_equal(in.aborts, 1);
        assert_int_equal(in.ends, 0);
        gw_req_destroy(&u.rq);
    }
    free(bad);
    free(plain);
    free(gz);
}

static void bad_bodies(void **state)
{
    (void)state;
    size_t n = 200000;
    unsigned char *plain = text(n, 3), *gz = NULL;
    size_t glen = 0;
    gz_member(plain, n, &gz, &glen);
    up_t u;

    /* truncated: the end finds no stream end */
    up_open(&u, UINT64_MAX);
    up_send(&u, gz, glen - 10, 4096, true);
    assert_int_equal(u.rq->resp.status, 400);
    assert_non_null(strstr(u.rq->resp.body, "truncated"));
    assert_int_equal(in.aborts, 1);
    gw_req_destroy(&u.rq);

    /* trailing bytes that are not another member */
    unsigned char *trail = malloc(glen + 8);
    memcpy(trail, gz, glen);
    memcpy(trail + glen, "garbage!", 8);
    up_open(&u, UINT64_MAX);
    up_send(&u, trail, glen + 8, 4096, false);
    assert_int_equal(u.rq->resp.status, 400);
    assert_non_null(strstr(u.rq->resp.body, "bad_gzip"));
    assert_int_equal(in.aborts, 1);
    gw_req_destroy(&u.rq);
    free(trail);

    /* not gzip at all */
    up_open(&u, UINT64_MAX);
    up_send(&u, plain, 5000, 4096, true);
    assert_int_equal(u.rq->resp.status, 400);
    gw_req_destroy(&u.rq);

    /* inflates past the limit: stopped there, not at the end */
    up_open(&u, 100000);
    up_send(&u, gz, glen, 4096, false);
    assert_int_equal(u.rq->resp.status, 413);
    assert_non_null(strstr(u.rq->resp.body, "inflates"));
    assert_true(in.len <= 100000);
    assert_int_equal(in.aborts, 1);
    gw_req_destroy(&u.rq);

    /* a request destroyed mid-stream frees its inflater (ASan would say) */
    up_open(&u, UINT64_MAX);
    gw_feed_data(&u.gw, u.rq, (const char *)gz, glen / 2);
    gw_req_destroy(&u.rq);
    free(plain);
    free(gz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(any_cut_same_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(small_members_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_bodies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
