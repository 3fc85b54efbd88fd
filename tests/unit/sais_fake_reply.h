/* Test doubles of services (a fake ingest, a fake verify). A service's answer: status and a
 * JSON body, allocated as sais__reply__unpack would, so the code under test frees it with
 * sais__reply__free_unpacked. Header-only: the fuzz targets use it too, and they do not link
 * the unit tests' support library. */
#ifndef SAIS_FAKE_REPLY_H
#define SAIS_FAKE_REPLY_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "envelope.pb-c.h"

static inline Sais__Reply *sais_fake_reply(int status, const char *json)
{
    Sais__Reply *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    sais__reply__init(r);
    r->status = status;
    r->content_type = strdup("application/json");
    r->body.len = strlen(json);
    r->body.data = (uint8_t *)strdup(json);
    if (!r->content_type || !r->body.data)
        abort();
    return r;
}

/* What a fake ingest was handed by the gateway's feed upload: every feed.chunk's bytes (up to
 * cap), the sizes of the first 64 chunks, and how many feed.end and feed.abort. */
typedef struct {
    unsigned char *got;
    size_t         cap, len;
    size_t         chunks[64];
    size_t         nchunks;
    int            ends, aborts;
} sais_fake_feed_t;

/* Records one request to the fake ingest. false when a chunk would pass cap (nothing of it is
 * kept): the caller's check fails there. */
static inline bool sais_fake_feed_take(sais_fake_feed_t *f, const Sais__Request *req)
{
    if (strcmp(req->method, "feed.chunk") == 0) {
        if (f->len + req->body.len > f->cap)
            return false;
        memcpy(f->got + f->len, req->body.data, req->body.len);
        f->len += req->body.len;
        if (f->nchunks < 64)
            f->chunks[f->nchunks++] = req->body.len;
    } else if (strcmp(req->method, "feed.end") == 0) {
        f->ends++;
    } else if (strcmp(req->method, "feed.abort") == 0) {
        f->aborts++;
    }
    return true;
}

#endif
