/* gateway_feed — a partner's batch streamed to ingest (API.md "Partner feeds").
 *
 * The body may be 1 GiB or more and is never held whole: it is cut into pieces of at most
 * GW_FEED_CHUNK bytes (not aligned to lines; ingest carries a partial line over), and each
 * piece is sent as "feed.chunk" and answered before the gateway takes more from the socket.
 * That wait is the back-pressure: memory per upload stays at one chunk, and a slow ingest
 * slows the partner down rather than filling the gateway.
 *
 *   feed.begin {source, batch_id, format, charset?} -> 200 {"session": "..."} | a problem
 *                                            (409 ..., 415 for a charset ingest cannot read)
 *   feed.chunk {session} + bytes          -> 2xx | a problem, which ends the upload
 *   feed.end   {session}                  -> the batch report, passed through
 *   feed.abort {session}                  -> sent when the upload will not finish (413,
 *                                            client gone); ingest may drop the session
 *
 * A body sent with Content-Encoding: gzip (a 1 GiB batch is a tenth of that on the county
 * network) is inflated on its way into the buffer, so ingest sees, and a retried batch is
 * compared on, the records themselves whichever way they came. The limit holds for what it
 * inflates to as well: a small body that inflates without end is a 413, not a full disk. A
 * corrupt or truncated one is a 400 and the upload is abandoned, as when a client goes away.
 * gzip's checksum comes at the end of each member, so what a member inflates to is held in
 * the buffer until its checksum holds: a body of members of up to GW_FEED_CHUNK inflated
 * (concatenated gzip files) never has a record of a corrupt member taken in. Of a bigger
 * member, each full buffer must go before its end is known, as a plain body's bytes do.
 */
#include "gateway_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "sais_json.h"
#include "sais_log.h"

#define FEED_SERVICE "ingest"

/* Pieces are parsed and committed by ingest before it answers: allow it far longer than an
 * ordinary request. */
static int chunk_timeout(const gw_t *gw) { return gw->timeout_ms > 60000 ? gw->timeout_ms : 60000; }
static int end_timeout(const gw_t *gw) { return gw->timeout_ms > 300000 ? gw->timeout_ms : 300000; }

/* Sends one method with {session}; 0 and *rep with a 2xx answer, else -1 with rq->resp. */
static int session_call(gw_t *gw, gw_req_t *rq, const char *method, const void *body,
                        size_t len, int timeout_ms, Sais__Reply **rep)
{
    gw_params_t p = {.n = 0};
    if (gw_params_add(&p, "session", rq->feed.session) != 0) {
        gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
        return -1;
    }
    int rc = gw_forward(gw, rq, FEED_SERVICE, method, &p, body, len, timeout_ms, rep);
    gw_params_free(&p);
    if (rc != 0) return -1;
    if ((*rep)->status < 200 || (*rep)->status > 299) {
        gw_resp_from_reply(&rq->resp, FEED_SERVICE, *rep);
        sais__reply__free_unpacked(*rep, NULL);
        *rep = NULL;
        return -1;
    }
    return 0;
}

int gw_feed_begin(gw_t *gw, gw_req_t *rq)
{
    gw_params_t p = {.n = 0};
    const char *source = gw_params_get(&rq->params, "source");
    const char *batch = gw_params_get(&rq->params, "batch_id");
    const char *dry = gw_params_get(&rq->params, "dry_run");
    if (gw_params_add(&p, "source", source ? source : "") != 0 ||
        gw_params_add(&p, "batch_id", batch ? batch : "") != 0 ||
        gw_params_add(&p, "format", rq->feed.format) != 0 ||
        (rq->feed.charset[0] && gw_params_add(&p, "charset", rq->feed.charset) != 0) ||
        (dry && gw_params_add(&p, "dry_run", dry) != 0)) {
        gw_params_free(&p);
        gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
        return -1;
    }
    Sais__Reply *rep = NULL;
    int rc = gw_forward(gw, rq, FEED_SERVICE, "feed.begin", &p, NULL, 0, gw->timeout_ms, &rep);
    gw_params_free(&p);
    if (rc != 0) return -1;
    if (rep->status != 200) {
        gw_resp_from_reply(&rq->resp, FEED_SERVICE, rep);
        sais__reply__free_unpacked(rep, NULL);
        return -1;
    }
    char err[128];
    json_t *o = sais_json_parse_object(rep->body.data, rep->body.len, err, sizeof err);
    const char *session = o ? sais_json_str(o, "session") : NULL;
    if (!session || !*session || strlen(session) >= sizeof rq->feed.session) {
        gw_problem(&rq->resp, 503, "bad_reply", "ingest opened the batch without a usable session");
        json_decref(o);
        sais__reply__free_unpacked(rep, NULL);
        return -1;
    }
    snprintf(rq->feed.session, sizeof rq->feed.session, "%s", session);
    json_decref(o);
    sais__reply__free_unpacked(rep, NULL);
    rq->feed.open = true;
    return 0;
}

/* Sends the buffer to ingest. Of a gzip body only what came from members whose checksum
 * held, when there is any: the rest waits in the buffer for its member's end. */
static int flush(gw_t *gw, gw_req_t *rq)
{
    size_t send = rq->feed.gz && rq->feed.gz_ok > 0 ? rq->feed.gz_ok : rq->feed.len;
    Sais__Reply *rep = NULL;
    if (session_call(gw, rq, "feed.chunk", rq->feed.buf, send, chunk_timeout(gw), &rep) != 0) {
        rq->feed.open = false;
        return -1;
    }
    sais__reply__free_unpacked(rep, NULL);
    rq->feed.total += send;
    memmove(rq->feed.buf, rq->feed.buf + send, rq->feed.len - send);
    rq->feed.len -= send;
    rq->feed.gz_ok = 0;
    return 0;
}

int gw_feed_flush(gw_t *gw, gw_req_t *rq)
{
    if (!rq->feed.open) return -1;
    return rq->feed.len > 0 ? flush(gw, rq) : 0;
}

size_t gw_feed_room(const gw_req_t *rq)
{
    return GW_FEED_CHUNK - rq->feed.len;
}

int gw_feed_gzip(gw_req_t *rq)
{
    z_stream *z = calloc(1, sizeof *z);
    /* 15 + 16: a gzip header and trailer, not zlib's own or raw deflate */
    if (!z || inflateInit2(z, 15 + 16) != Z_OK) {
        free(z);
        gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
        return -1;
    }
    rq->feed.gz = z;
    return 0;
}

void gw_feed_free(gw_req_t *rq)
{
    if (rq->feed.gz) {
        inflateEnd(rq->feed.gz);
        free(rq->feed.gz);
        rq->feed.gz = NULL;
    }
    free(rq->feed.buf);
    rq->feed.buf = NULL;
}

static int ensure_buf(gw_t *gw, gw_req_t *rq)
{
    if (rq->feed.buf) return 0;
    rq->feed.buf = malloc(GW_FEED_CHUNK);
    if (rq->feed.buf) return 0;
    gw_feed_abandon(gw, rq);
    gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
    return -1;
}

/* Inflates into the buffer's room: from `in` (NULL with n 0 to drain what zlib holds back).
 * Returns the input bytes taken, or (size_t)-1 with rq->resp set and the upload abandoned. */
static size_t inflate_some(gw_t *gw, gw_req_t *rq, const char *in, size_t n)
{
    z_stream *z = rq->feed.gz;
    size_t taken = 0;
    if (!rq->feed.buf)
        return 0;   /* nothing came (an empty body): nothing held back either */
    for (;;) {
        size_t room = GW_FEED_CHUNK - rq->feed.len;
        if (room == 0) break;
        uInt chunk_in = (uInt)((n - taken) > (1u << 30) ? (1u << 30) : (n - taken));
        if (rq->feed.gz_end) {
            if (chunk_in == 0) break;
            /* another gzip member follows (concatenated .gz files) */
            if (inflateReset(z) != Z_OK) goto corrupt;
            rq->feed.gz_end = false;
        }
        z->next_in = (Bytef *)(in ? in + taken : NULL);
        z->avail_in = chunk_in;
        z->next_out = (Bytef *)rq->feed.buf + rq->feed.len;
        z->avail_out = (uInt)room;
        int rc = inflate(z, Z_NO_FLUSH);
        size_t out = room - z->avail_out, used = chunk_in - z->avail_in;
        rq->feed.len += out;
        rq->feed.inflated += out;
        taken += used;
        rq->feed.gz_in += used;
        if (rq->feed.inflated > rq->limit) {
            gw_feed_abandon(gw, rq);
            gw_problem(&rq->resp, 413, "too_large",
                       "the gzip body inflates past the limit of %llu bytes",
                       (unsigned long long)rq->limit);
            return (size_t)-1;
        }
        if (rc == Z_STREAM_END) {
            rq->feed.gz_end = true;
            rq->feed.gz_ok = rq->feed.len;
            continue;
        }
        if (rc == Z_BUF_ERROR || (rc == Z_OK && out == 0 && used == 0)) break;   /* wants more input */
        if (rc == Z_MEM_ERROR) {
            gw_feed_abandon(gw, rq);
            gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
            return (size_t)-1;
        }
        if (rc != Z_OK) goto corrupt;
    }
    return taken;
corrupt:
    gw_feed_abandon(gw, rq);
    gw_problem(&rq->resp, 400, "bad_gzip",
               "the gzip body does not inflate after %llu compressed bytes (%s); what was sent "
               "to ingest before it was found has been taken in: post the batch again to finish it",
               (unsigned long long)rq->feed.gz_in, z->msg ? z->msg : "corrupt data");
    return (size_t)-1;
}

size_t gw_feed_take(gw_t *gw, gw_req_t *rq, const char *data, size_t n)
{
    if (!rq->feed.open || ensure_buf(gw, rq) != 0) return n;
    if (rq->feed.gz) {
        size_t t = inflate_some(gw, rq, data, n);
        return t == (size_t)-1 ? n : t;
    }
    size_t take = GW_FEED_CHUNK - rq->feed.len;
    if (take > n) take = n;
    memcpy(rq->feed.buf + rq->feed.len, data, take);
    rq->feed.len += take;
    rq->feed.inflated += take;
    return take;
}

/* A full buffer is sent when more bytes come, not when it fills: so the caller can fill it
 * without waiting and choose where the wait happens (gw_feed_flush). */
int gw_feed_data(gw_t *gw, gw_req_t *rq, const char *data, size_t n)
{
    if (!rq->feed.open) return -1;
    while (n > 0) {
        if (rq->feed.len == GW_FEED_CHUNK && flush(gw, rq) != 0) return -1;
        size_t take = gw_feed_take(gw, rq, data, n);
        if (rq->resp.ready) return -1;
        data += take;
        n -= take;
    }
    return 0;
}

void gw_feed_end(gw_t *gw, gw_req_t *rq)
{
    if (!rq->feed.open) {
        if (!rq->resp.ready)
            gw_problem(&rq->resp, 503, "service_unavailable", "the upload was not opened");
        return;
    }
    /* what zlib still holds back, then the stream must have ended where the body did */
    while (rq->feed.gz) {
        if (rq->feed.len == GW_FEED_CHUNK && flush(gw, rq) != 0) return;
        size_t before = rq->feed.len;
        if (inflate_some(gw, rq, NULL, 0) == (size_t)-1) return;
        if (rq->feed.len == before) break;
    }
    if (rq->feed.gz && !rq->feed.gz_end) {
        gw_feed_abandon(gw, rq);
        gw_problem(&rq->resp, 400, "bad_gzip",
                   "the gzip body ends before its stream does (%llu compressed bytes): truncated?",
                   (unsigned long long)rq->feed.gz_in);
        return;
    }
    if (rq->feed.len > 0 && flush(gw, rq) != 0) return;
    rq->feed.open = false;
    Sais__Reply *rep = NULL;
    if (session_call(gw, rq, "feed.end", NULL, 0, end_timeout(gw), &rep) != 0) return;
    gw_resp_from_reply(&rq->resp, FEED_SERVICE, rep);
    sais__reply__free_unpacked(rep, NULL);
}

void gw_feed_abandon(gw_t *gw, gw_req_t *rq)
{
    if (!rq->feed.open) return;
    rq->feed.open = false;
    gw_params_t p = {.n = 0};
    if (gw_params_add(&p, "session", rq->feed.session) != 0) return;
    gw_resp_t keep = rq->resp;     /* the abort's own failure must not replace the answer */
    gw_resp_init(&rq->resp);
    Sais__Reply *rep = NULL;
    if (gw_forward(gw, rq, FEED_SERVICE, "feed.abort", &p, NULL, 0, 2000, &rep) == 0)
        sais__reply__free_unpacked(rep, NULL);
    gw_resp_reset(&rq->resp);
    rq->resp = keep;
    gw_params_free(&p);
}
