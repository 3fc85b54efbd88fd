/* A service's answer made up by a test double (a fake ingest, a fake verify): status and a
 * JSON body, allocated as sais__reply__unpack would, so the code under test frees it with
 * sais__reply__free_unpacked. Header-only: the fuzz targets use it too, and they do not link
 * the unit tests' support library. */
#ifndef SAIS_FAKE_REPLY_H
#define SAIS_FAKE_REPLY_H

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

#endif
