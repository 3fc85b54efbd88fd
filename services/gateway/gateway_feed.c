/* gateway_feed — a partner's batch streamed to ingest (API.md "Partner feeds").
 *
 * The body may be 1 GiB or more and is never held whole: it is cut into pieces of at most
 * GW_FEED_CHUNK bytes (not aligned to lines; ingest carries a partial line over), and each
 * piece is sent as "feed.chunk" and answered before the gateway takes more from the socket.
 * That wait is the back-pressure: memory per upload stays at one chunk, and a slow ingest
 * slows the partner down rather than filling the gateway.
 *
 *   feed.begin {source, batch_id, format} -> 200 {"session": "..."} | a problem (409 ...)
 *   feed.chunk {session} + bytes          -> 2xx | a problem, which ends the upload
 *   feed.end   {session}                  -> the batch report, passed through
 *   feed.abort {session}                  -> sent when the upload will not finish (413,
 *                                            client gone); ingest may drop the session
 */
#include "gateway_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    if (gw_params_add(&p, "source", source ? source : "") != 0 ||
        gw_params_add(&p, "batch_id", batch ? batch : "") != 0 ||
        gw_params_add(&p, "format", rq->feed.format) != 0) {
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

static int flush(gw_t *gw, gw_req_t *rq)
{
    Sais__Reply *rep = NULL;
    if (session_call(gw, rq, "feed.chunk", rq->feed.buf, rq->feed.len, chunk_timeout(gw), &rep) != 0) {
        rq->feed.open = false;
        return -1;
    }
    sais__reply__free_unpacked(rep, NULL);
    rq->feed.total += rq->feed.len;
    rq->feed.len = 0;
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

/* A full buffer is sent when more bytes come, not when it fills: so the caller can fill it
 * without waiting and choose where the wait happens (gw_feed_flush). */
int gw_feed_data(gw_t *gw, gw_req_t *rq, const char *data, size_t n)
{
    if (!rq->feed.open) return -1;
    if (!rq->feed.buf) {
        rq->feed.buf = malloc(GW_FEED_CHUNK);
        if (!rq->feed.buf) {
            gw_feed_abandon(gw, rq);
            gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
            return -1;
        }
    }
    while (n > 0) {
        if (rq->feed.len == GW_FEED_CHUNK && flush(gw, rq) != 0) return -1;
        size_t take = GW_FEED_CHUNK - rq->feed.len;
        if (take > n) take = n;
        memcpy(rq->feed.buf + rq->feed.len, data, take);
        rq->feed.len += take;
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
