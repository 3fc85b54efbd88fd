/* sais_bus — the durable event log and consumer cursors; see sais_bus.h. */
#include "sais_bus.h"
#include "sais_clock.h"
#include "sais_log.h"
#include "sais_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sais_bus_head(sais_store_t *store, MDB_txn *txn, uint64_t *head)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, sais_store_dbi(store, "_events"), &cur);
    if (rc != 0)
        return rc;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        *head = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (k.mv_size != 8)
        return MDB_CORRUPTED;
    *head = sais_from_be64(k.mv_data);
    return 0;
}

static int append(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type, const char *region,
                  const char *trace_id, const char *const *sources, size_t nsources, const void *payload,
                  size_t len, uint64_t *seq_out)
{
    uint64_t head;
    int rc = sais_bus_head(store, txn, &head);
    if (rc != 0)
        return rc;
    Sais__Envelope env = SAIS__ENVELOPE__INIT;
    env.producer = (char *)producer;
    env.seq = head + 1;
    env.type = (char *)type;
    env.region = (char *)(region ? region : "");
    env.trace_id = (char *)(trace_id ? trace_id : "");
    env.occurred_at = sais_clock_now();
    env.payload.data = (uint8_t *)payload;
    env.payload.len = len;
    env.sources = (char **)sources;
    env.n_sources = nsources;
    unsigned char key[8];
    sais_be64(env.seq, key);
    size_t n = sais__envelope__get_packed_size(&env);
    MDB_val k = {8, key}, v = {n, NULL};
    /* MDB_APPEND: seqs only grow, so the log is written in key order (half the size on disk) */
    rc = mdb_put(txn, sais_store_dbi(store, "_events"), &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc != 0)
        return rc;
    sais__envelope__pack(&env, v.mv_data);
    if (seq_out)
        *seq_out = env.seq;
    return 0;
}

int sais_bus_append(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                    const char *region, const char *trace_id, const void *payload, size_t len,
                    uint64_t *seq_out)
{
    return append(store, txn, producer, type, region, trace_id, NULL, 0, payload, len, seq_out);
}

static int append_pb(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                     const char *region, const char *trace_id, const char *const *sources, size_t nsources,
                     const ProtobufCMessage *msg, uint64_t *seq_out)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t stackbuf[4096];
    uint8_t *buf = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!buf)
        return ENOMEM;
    protobuf_c_message_pack(msg, buf);
    int rc = append(store, txn, producer, type, region, trace_id, sources, nsources, buf, n, seq_out);
    if (buf != stackbuf)
        free(buf);
    return rc;
}

int sais_bus_append_pb(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                       const char *region, const char *trace_id, const ProtobufCMessage *msg,
                       uint64_t *seq_out)
{
    return append_pb(store, txn, producer, type, region, trace_id, NULL, 0, msg, seq_out);
}

int sais_bus_append_pb_sourced(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                               const char *region, const char *const *sources, size_t nsources,
                               const ProtobufCMessage *msg)
{
    return append_pb(store, txn, producer, type, region, NULL, sources, nsources, msg, NULL);
}

int sais_bus_append_sourced(sais_store_t *store, MDB_txn *txn, const char *producer, const char *type,
                            const char *region, const char *const *sources, size_t nsources,
                            const void *payload, size_t len)
{
    return append(store, txn, producer, type, region, NULL, sources, nsources, payload, len, NULL);
}

ProtobufCMessage *sais_event_unpack(const ProtobufCMessageDescriptor *desc, const Sais__Envelope *ev)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, ev->payload.len, ev->payload.data);
    sais_pb_drop_unknown(m);
    return m;
}

bool sais_bus_sourced_by(const Sais__Envelope *ev, const char *const *wanted)
{
    if (ev->n_sources == 0)
        return true;
    for (size_t i = 0; i < ev->n_sources; i++)
        for (size_t k = 0; wanted[k]; k++)
            if (ev->sources[i] && strcmp(ev->sources[i], wanted[k]) == 0)
                return true;
    return false;
}

/* The reply is built from the log's stored bytes: each event is already a packed Envelope,
 * and a FetchReply is only its events framed as field 1 (length-delimited) and the head as
 * field 2 (varint). Unpacking every event to pack it again was a tenth of a busy producer's
 * time, paid once per consumer. */
typedef struct {
    uint8_t *buf;
    size_t   len, cap;
} wbuf_t;

static int wb_reserve(wbuf_t *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *nb = realloc(b->buf, cap);
    if (!nb)
        return -1;
    b->buf = nb;
    b->cap = cap;
    return 0;
}

static void wb_varint(wbuf_t *b, uint64_t v)
{
    b->len += sais_wire_varint(b->buf + b->len, v);
}

typedef struct {
    sais_store_t *store;
    uint64_t      after;
    uint32_t      max;
    size_t        max_bytes;
    wbuf_t        out;
} fetch_ctx_t;

static int fetch_fn(MDB_txn *txn, void *vctx)
{
    fetch_ctx_t *c = vctx;
    MDB_cursor *cur;
    MDB_val k, v;
    unsigned char key[8];
    uint64_t head = 0;
    c->out.len = 0;   /* the store may run this again after a map resize */
    int rc = sais_bus_head(c->store, txn, &head);
    if (rc != 0)
        return rc;
    if (wb_reserve(&c->out, 11) != 0)
        return ENOMEM;
    c->out.buf[c->out.len++] = 0x10;   /* field 2, varint: head */
    wb_varint(&c->out, head);
    if (head <= c->after)
        return 0;
    rc = mdb_cursor_open(txn, sais_store_dbi(c->store, "_events"), &cur);
    if (rc != 0)
        return rc;
    sais_be64(c->after + 1, key);
    k.mv_size = 8;
    k.mv_data = key;
    size_t bytes = 0;
    uint32_t n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n >= c->max || (n > 0 && bytes + v.mv_size > c->max_bytes))
            break;
        if (wb_reserve(&c->out, v.mv_size + 11) != 0) {
            rc = ENOMEM;
            break;
        }
        c->out.buf[c->out.len++] = 0x0a;   /* field 1, length-delimited: an event */
        wb_varint(&c->out, v.mv_size);
        memcpy(c->out.buf + c->out.len, v.mv_data, v.mv_size);
        c->out.len += v.mv_size;
        bytes += v.mv_size;
        n++;
    }
    mdb_cursor_close(cur);
    return (rc == MDB_NOTFOUND || rc == 0) ? 0 : rc;
}

int sais_bus_fetch_packed(sais_store_t *store, uint64_t after, uint32_t max, size_t max_bytes,
                          uint8_t **buf, size_t *len)
{
    fetch_ctx_t c = {store, after, max ? max : 1, max_bytes ? max_bytes : (8u << 20), {NULL, 0, 0}};
    int rc = sais_store_read(store, fetch_fn, &c);
    if (rc != 0) {
        free(c.out.buf);
        return -1;
    }
    *buf = c.out.buf;
    *len = c.out.len;
    return 0;
}

int sais_bus_fetch(sais_store_t *store, uint64_t after, uint32_t max, size_t max_bytes,
                   Sais__FetchReply *out)
{
    sais__fetch_reply__init(out);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (sais_bus_fetch_packed(store, after, max, max_bytes, &buf, &len) != 0)
        return -1;
    Sais__FetchReply *r = sais__fetch_reply__unpack(NULL, len, buf);
    free(buf);
    if (!r) {
        sais_error("bus: the event log of %s does not unpack; log is corrupt", sais_store_dir(store));
        return -1;
    }
    /* hand the events over to the caller's struct; the shell is freed here */
    out->head = r->head;
    out->events = r->events;
    out->n_events = r->n_events;
    r->events = NULL;
    r->n_events = 0;
    sais__fetch_reply__free_unpacked(r, NULL);
    return 0;
}

void sais_bus_fetch_free(Sais__FetchReply *reply)
{
    for (size_t i = 0; i < reply->n_events; i++)
        sais__envelope__free_unpacked(reply->events[i], NULL);
    free(reply->events);
    reply->events = NULL;
    reply->n_events = 0;
}

/* A big-endian u64 under key (0 if absent). LMDB codes. */
static int get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, size_t klen, uint64_t *out)
{
    MDB_val v;
    *out = 0;
    int rc = sais_get(txn, dbi, key, klen, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *out = sais_from_be64(v.mv_data);
    return 0;
}

int sais_cursor_get(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t *cursor)
{
    return get_u64(txn, sais_store_dbi(store, "_cursors"), producer, strlen(producer), cursor);
}

int sais_cursor_set(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t cursor)
{
    unsigned char b[8];
    sais_be64(cursor, b);
    return sais_put(txn, sais_store_dbi(store, "_cursors"), producer, strlen(producer), b, 8);
}

/* kept beside the counters in "_meta", one key per producer: "<what>:<producer>" */
static int meta_key(const char *what, const char *producer, char key[96])
{
    int n = snprintf(key, 96, "%s:%s", what, producer);
    return n > 0 && n < 96 ? n : -1;
}

int sais_skipped_get(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t *n)
{
    char key[96];
    int kl = meta_key("skipped", producer, key);
    *n = 0;
    if (kl < 0)
        return 0;   /* no producer name that long is configured: nothing was skipped */
    return get_u64(txn, sais_store_dbi(store, "_meta"), key, (size_t)kl, n);
}

int sais_skip(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t seq)
{
    char key[96];
    int kl = meta_key("skipped", producer, key);
    uint64_t n = 0;
    int rc = sais_skipped_get(store, txn, producer, &n);
    if (rc != 0)
        return rc;
    if (kl > 0) {
        unsigned char b[8];
        sais_be64(n + 1, b);
        if ((rc = sais_put(txn, sais_store_dbi(store, "_meta"), key, (size_t)kl, b, 8)) != 0)
            return rc;
    }
    return sais_cursor_set(store, txn, producer, seq);
}

int sais_diverged_get(sais_store_t *store, MDB_txn *txn, const char *producer, bool *diverged,
                      uint64_t *head)
{
    char key[96];
    int kl = meta_key("diverged", producer, key);
    uint64_t v = 0;
    *diverged = false;
    *head = 0;
    if (kl < 0)
        return 0;
    int rc = get_u64(txn, sais_store_dbi(store, "_meta"), key, (size_t)kl, &v);
    if (rc == 0 && v > 0) {   /* kept as head + 1, so that a log found empty is not "no" */
        *diverged = true;
        *head = v - 1;
    }
    return rc;
}

int sais_diverge(sais_store_t *store, MDB_txn *txn, const char *producer, uint64_t head)
{
    char key[96];
    int kl = meta_key("diverged", producer, key);
    if (kl < 0)
        return 0;
    unsigned char b[8];
    sais_be64(head + 1, b);
    return sais_put(txn, sais_store_dbi(store, "_meta"), key, (size_t)kl, b, 8);
}
