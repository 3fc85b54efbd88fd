/* ingest — sessions, exactly-once acceptance, fact events; see ingest.h. */
#include "ingest.h"
#include "ingest_seen.h"
#include "ingest_charset.h"
#include "ingest_stream.h"
#include "ingest.pb-c.h"
#include "sais_clock.h"
#include "sais_log.h"
#include "sais_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS   64
#define SESSION_IDLE_S 300

typedef struct {
    uint32_t line;
    uint32_t off, len;       /* packed Ing__Fact in the group buffer */
    uint32_t rid_off, rid_len;
} pending_t;

typedef struct session {
    char             id[24];
    char             source[16];
    char             batch_id[72];
    bool             replay;         /* the batch is done: only compare the bytes */
    ingest_stream_t *stream;
    crypto_generichash_state hash;
    uint64_t         accepted, duplicates, rejected;
    sais_jw_t        errors;
    uint32_t         nerrors, max_errors;
    uint32_t         group;          /* index of the group being collected */
    uint32_t         group_lines;
    pending_t       *pend;
    size_t           npend, cappend;
    uint8_t         *buf;            /* packed facts and record ids of the group */
    size_t           buflen, bufcap;
    int64_t          last_activity;
    int64_t          started_at;
    bool             failed;
    /* a dry run (?dry_run=true): records checked, nothing stored, the batch id not used */
    bool             dry;
    bool             batch_used;     /* dry: the batch id is done already */
    ingest_seen_t   *seen;           /* dry: record ids met in this body */
    uint32_t         seen_until;     /* dry: the first line whose id was not kept (0: none) */
    sais_svc_t      *svc;
} session_t;

typedef struct {
    session_t *sessions[MAX_SESSIONS];
    uint64_t   next_session;
    uint32_t   commit_lines;
    uint32_t   max_errors;
} ingest_state_t;

static int key2(char *buf, size_t len, const char *a, const char *b)
{
    int n = snprintf(buf, len, "%s|%s", a, b);
    return (n > 0 && (size_t)n < len) ? n : -1;
}

/* ------------------------------------------------------------------ sessions */

static void session_destroy(session_t **sp)
{
    if (!sp || !*sp)
        return;
    session_t *s = *sp;
    ingest_stream_destroy(&s->stream);
    ingest_seen_destroy(&s->seen);
    sais_jw_free(&s->errors);
    free(s->pend);
    free(s->buf);
    free(s);
    *sp = NULL;
}

static session_t *session_find(ingest_state_t *st, const char *id, size_t *slot)
{
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (st->sessions[i] && strcmp(st->sessions[i]->id, id) == 0) {
            if (slot)
                *slot = i;
            return st->sessions[i];
        }
    return NULL;
}

static int buf_add(session_t *s, const void *p, size_t n, uint32_t *off)
{
    if (s->buflen + n > s->bufcap) {
        size_t cap = s->bufcap ? s->bufcap : 65536;
        while (cap < s->buflen + n)
            cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb)
            return -1;
        s->buf = nb;
        s->bufcap = cap;
    }
    *off = (uint32_t)s->buflen;
    memcpy(s->buf + s->buflen, p, n);
    s->buflen += n;
    return 0;
}

/* ------------------------------------------------------------------ committing a group */

typedef struct {
    session_t *s;
    uint64_t   accepted, duplicates;
} flush_ctx_t;

/* A pending record's key in the records table ("<source>|<record_id>") and the value that
 * says where it was accepted (batch id, NUL, line as 4 bytes big-endian). The key's length, or
 * -1 for a record id too long to be a key (never the case: ingest refuses such ids). */
static int record_kv(const session_t *s, const pending_t *p, char key[128], uint8_t val[80], size_t *vlen)
{
    int kl = snprintf(key, 128, "%s|%.*s", s->source, (int)p->rid_len, (const char *)s->buf + p->rid_off);
    if (kl <= 0 || kl >= 128)
        return -1;
    size_t bl = strlen(s->batch_id);
    memcpy(val, s->batch_id, bl);
    val[bl] = 0;
    val[bl + 1] = (uint8_t)(p->line >> 24);
    val[bl + 2] = (uint8_t)(p->line >> 16);
    val[bl + 3] = (uint8_t)(p->line >> 8);
    val[bl + 4] = (uint8_t)p->line;
    *vlen = bl + 5;
    return kl;
}

/* What the records table says of a pending record, for the real group commit and the dry run
 * alike: never accepted (REC_NEW); accepted by an earlier attempt of this very batch, the same
 * line (REC_SAME, counted as accepted again); accepted before from elsewhere (REC_DUP); or a
 * record id too long to be a key (REC_SKIP). key, *kl, val and *vlen are record_kv's. 0, or
 * an LMDB error. */
typedef enum { REC_SKIP, REC_NEW, REC_SAME, REC_DUP } rec_seen_t;

static int record_seen(MDB_txn *txn, MDB_dbi records, const session_t *s, const pending_t *p,
                       char key[128], int *kl, uint8_t val[80], size_t *vlen, rec_seen_t *seen)
{
    *seen = REC_SKIP;
    if ((*kl = record_kv(s, p, key, val, vlen)) < 0)
        return 0;
    MDB_val have;
    int rc = sais_get(txn, records, key, (size_t)*kl, &have);
    if (rc == MDB_NOTFOUND) {
        *seen = REC_NEW;
        return 0;
    }
    if (rc != 0)
        return rc;
    *seen = have.mv_size == *vlen && memcmp(have.mv_data, val, *vlen) == 0 ? REC_SAME : REC_DUP;
    return 0;
}

static int flush_fn(MDB_txn *txn, void *vctx)
{
    flush_ctx_t *c = vctx;
    session_t *s = c->s;
    sais_svc_t *svc = s->svc;
    MDB_dbi records = sais_svc_dbi(svc, INGEST_DB_RECORDS);
    c->accepted = c->duplicates = 0;
    /* the fact.batch payload is the packed facts, each as field 1 of FactBatch: built by
     * concatenation, so a group costs one allocation however many records it holds */
    uint8_t *payload = malloc(s->buflen + s->npend * 6 + 1);
    size_t plen = 0;
    uint64_t fresh = 0;
    int rc = 0;
    if (!payload)
        return ENOMEM;
    for (size_t i = 0; i < s->npend && rc == 0; i++) {
        pending_t *p = &s->pend[i];
        char key[128];
        uint8_t val[80];
        size_t vlen;
        int kl;
        rec_seen_t seen;
        if ((rc = record_seen(txn, records, s, p, key, &kl, val, &vlen, &seen)) != 0 || seen == REC_SKIP)
            continue;
        if (seen == REC_NEW) {
            rc = sais_put(txn, records, key, (size_t)kl, val, vlen);
            if (rc != 0)
                break;
            payload[plen++] = 0x0a;
            plen += sais_wire_varint(payload + plen, p->len);
            memcpy(payload + plen, s->buf + p->off, p->len);
            plen += p->len;
            c->accepted++;
            fresh++;
        } else if (seen == REC_SAME) {
            c->accepted++;
        } else {
            c->duplicates++;
        }
    }
    if (rc == 0 && plen > 0)
        rc = sais_svc_emit_raw(svc, txn, "fact.batch", "", NULL, 0, payload, plen);
    free(payload);
    if (rc == 0 && plen > 0) {
        Ing__FeedState *fs = NULL;
        MDB_dbi feeds = sais_svc_dbi(svc, INGEST_DB_FEEDS);
        rc = sais_get_pb(txn, feeds, s->source, strlen(s->source), &ing__feed_state__descriptor,
                         (ProtobufCMessage **)&fs);
        Ing__FeedState fresh_fs = ING__FEED_STATE__INIT;
        if (rc == MDB_NOTFOUND) {
            fresh_fs.source = s->source;
            rc = 0;
        }
        if (rc == 0) {
            Ing__FeedState *f = fs ? fs : &fresh_fs;
            f->accepted += fresh;
            rc = sais_put_pb(txn, feeds, s->source, strlen(s->source), &f->base);
        }
        if (fs)
            ing__feed_state__free_unpacked(fs, NULL);
    }
    return rc;
}

/* A dry run's group: what flush_fn would count, read only. A record id met earlier in the
 * body counts as the duplicate the real run would make of it. */
static int dry_flush_fn(MDB_txn *txn, void *vctx)
{
    flush_ctx_t *c = vctx;
    session_t *s = c->s;
    MDB_dbi records = sais_svc_dbi(s->svc, INGEST_DB_RECORDS);
    c->accepted = c->duplicates = 0;
    for (size_t i = 0; i < s->npend; i++) {
        pending_t *p = &s->pend[i];
        const char *rid = (const char *)s->buf + p->rid_off;
        char key[128];
        uint8_t val[80];
        size_t vlen;
        int kl;
        rec_seen_t seen;
        int rc = record_seen(txn, records, s, p, key, &kl, val, &vlen, &seen);
        if (rc != 0)
            return rc;
        if (seen == REC_SKIP)
            continue;
        if (seen != REC_NEW) {
            if (seen == REC_SAME) c->accepted++;
            else c->duplicates++;
            continue;
        }
        int first = ingest_seen_add(s->seen, rid, p->rid_len);
        if (first < 0 && !s->seen_until)
            s->seen_until = p->line;
        if (first == 0) c->duplicates++;
        else c->accepted++;
    }
    return 0;
}

static int flush_group(session_t *s)
{
    if (s->npend == 0)
        return 0;
    flush_ctx_t c = {s, 0, 0};
    int rc = s->dry ? sais_store_read(sais_svc_store(s->svc), dry_flush_fn, &c)
                    : sais_svc_write(s->svc, flush_fn, &c);
    if (rc != 0) {
        s->failed = true;
        return -1;
    }
    s->accepted += c.accepted;
    s->duplicates += c.duplicates;
    s->npend = 0;
    s->buflen = 0;
    return 0;
}

/* ------------------------------------------------------------------ stream callbacks */

static int on_record(void *ctx, uint32_t line, Ing__Fact *fact)
{
    session_t *s = ctx;
    uint32_t group = s->group_lines ? (line - 1) / s->group_lines : 0;
    if (group != s->group) {
        if (flush_group(s) != 0)
            return 1;
        s->group = group;
    }
    fact->batch_id = s->batch_id;
    size_t n = ing__fact__get_packed_size(fact);
    uint8_t stackbuf[4096];
    uint8_t *tmp = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!tmp)
        return 1;
    ing__fact__pack(fact, tmp);
    uint32_t off, roff;
    size_t rl = strlen(fact->record_id);
    int rc = buf_add(s, tmp, n, &off);
    if (rc == 0)
        rc = buf_add(s, fact->record_id, rl, &roff);
    if (tmp != stackbuf)
        free(tmp);
    fact->batch_id = (char *)protobuf_c_empty_string;
    if (rc != 0)
        return 1;
    if (s->npend == s->cappend) {
        size_t cap = s->cappend ? s->cappend * 2 : 1024;
        pending_t *np = realloc(s->pend, cap * sizeof *np);
        if (!np)
            return 1;
        s->pend = np;
        s->cappend = cap;
    }
    s->pend[s->npend++] = (pending_t){line, off, (uint32_t)n, roff, (uint32_t)rl};
    return 0;
}

static int on_reject(void *ctx, uint32_t line, const char *record_id, const ingest_error_t *errs, size_t n)
{
    session_t *s = ctx;
    s->rejected++;
    for (size_t i = 0; i < n && s->nerrors < s->max_errors; i++) {
        sais_jw_obj(&s->errors);
        sais_jw_kint(&s->errors, "line", line);
        sais_jw_kstr(&s->errors, "record_id", record_id);
        sais_jw_kstr(&s->errors, "field", errs[i].field);
        sais_jw_kstr(&s->errors, "code", errs[i].code);
        sais_jw_kstr(&s->errors, "message", errs[i].message);
        sais_jw_obj_end(&s->errors);
        s->nerrors++;
    }
    return 0;
}

/* ------------------------------------------------------------------ methods */

static bool batch_id_ok(const char *b)
{
    size_t n = b ? strlen(b) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
              || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

typedef struct {
    sais_svc_t         *svc;
    const char         *source, *batch_id;
    Ing__BatchState    *existing;
    int64_t             now;
} begin_ctx_t;

static int begin_fn(MDB_txn *txn, void *vctx)
{
    begin_ctx_t *c = vctx;
    char key[160];
    int kl = key2(key, sizeof key, c->source, c->batch_id);
    MDB_dbi dbi = sais_svc_dbi(c->svc, INGEST_DB_BATCHES);
    int rc = sais_get_pb(txn, dbi, key, (size_t)kl, &ing__batch_state__descriptor, (ProtobufCMessage **)&c->existing);
    if (rc == 0)
        return strcmp(c->existing->status, "done") == 0 ? SAIS_TXN_ABORT : 0;
    if (rc != MDB_NOTFOUND)
        return rc;
    Ing__BatchState b = ING__BATCH_STATE__INIT;
    b.source = (char *)c->source;
    b.batch_id = (char *)c->batch_id;
    b.status = "receiving";
    b.started_at = c->now;
    return sais_put_pb(txn, dbi, key, (size_t)kl, &b.base);
}

static int read_batch_fn(MDB_txn *txn, void *vctx)
{
    begin_ctx_t *c = vctx;
    char key[160];
    int kl = key2(key, sizeof key, c->source, c->batch_id);
    int rc = sais_get_pb(txn, sais_svc_dbi(c->svc, INGEST_DB_BATCHES), key, (size_t)kl,
                         &ing__batch_state__descriptor, (ProtobufCMessage **)&c->existing);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int feed_begin(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)txn;
    ingest_state_t *st = sais_svc_state(svc);
    const char *source = sais_req_param(req, "source");
    const char *batch_id = sais_req_param(req, "batch_id");
    const char *format = sais_req_param(req, "format");
    ingest_format_t fmt;
    if (!source || !*source)
        return sais_reply_invalid(reply, "source", "missing_field", "a feed source is required");
    if (!batch_id_ok(batch_id))
        return sais_reply_invalid(reply, "batch_id", batch_id && *batch_id ? "out_of_range" : "missing_field",
                                  "batch_id is required: 1 to 64 characters of A-Z a-z 0-9 . _ : -");
    if (!format || strcmp(format, "ndjson") == 0)
        fmt = INGEST_NDJSON;
    else if (strcmp(format, "csv") == 0)
        fmt = INGEST_CSV;
    else if (ingest_format_from_content_type(format, &fmt) != 0)
        return sais_reply_problem(reply, 415, "unsupported_media_type", "feeds are application/x-ndjson or text/csv");

    /* NDJSON is UTF-8 (RFC 8259); a CSV export may be GB18030 / GBK (ingest_charset.h) */
    const char *charset_param = sais_req_param(req, "charset");
    const char *charset = charset_param && *charset_param ? ingest_charset_canonical(charset_param) : "utf-8";
    if (!charset || (fmt == INGEST_NDJSON && strcmp(charset, "utf-8") != 0))
        return sais_reply_problem(reply, 415, "unsupported_charset",
                                  "charset %.40s is not taken: %s", charset_param,
                                  fmt == INGEST_NDJSON ? "NDJSON is UTF-8"
                                                       : "CSV is UTF-8 or GB18030 (GBK, GB2312)");

    const char *dry_run = sais_req_param(req, "dry_run");
    bool dry = dry_run && strcmp(dry_run, "true") == 0;
    size_t free_slot = MAX_SESSIONS;
    for (size_t i = 0; i < MAX_SESSIONS; i++) {
        session_t *o = st->sessions[i];
        if (o && !o->dry && !dry && strcmp(o->source, source) == 0 && strcmp(o->batch_id, batch_id) == 0) {
            /* a new attempt of the same batch: the old upload was cut off */
            sais_info("batch %s/%s: new attempt replaces session %s", source, batch_id, o->id);
            session_destroy(&st->sessions[i]);
        }
        if (!st->sessions[i] && free_slot == MAX_SESSIONS)
            free_slot = i;
    }
    if (free_slot == MAX_SESSIONS)
        return sais_reply_problem(reply, 503, "busy", "too many feed uploads at once; retry shortly");

    begin_ctx_t bc = {svc, source, batch_id, NULL, sais_clock_now()};
    /* a dry run only looks: begin_fn writes nothing when the batch is done (its abort) */
    int rc = dry ? sais_store_read(sais_svc_store(svc), read_batch_fn, &bc) : sais_svc_write(svc, begin_fn, &bc);
    if (rc != 0 && rc != SAIS_TXN_ABORT) {
        if (bc.existing)
            ing__batch_state__free_unpacked(bc.existing, NULL);
        return sais_reply_problem(reply, 503, "store", "cannot record the batch");
    }
    session_t *s = calloc(1, sizeof *s);
    if (!s) {
        if (bc.existing)
            ing__batch_state__free_unpacked(bc.existing, NULL);
        return -1;
    }
    snprintf(s->id, sizeof s->id, "s%llu", (unsigned long long)++st->next_session);
    snprintf(s->source, sizeof s->source, "%s", source);
    snprintf(s->batch_id, sizeof s->batch_id, "%s", batch_id);
    s->dry = dry;
    s->batch_used = bc.existing && strcmp(bc.existing->status, "done") == 0;
    s->replay = s->batch_used && !dry;
    if (dry && !(s->seen = ingest_seen_new())) {
        if (bc.existing)
            ing__batch_state__free_unpacked(bc.existing, NULL);
        free(s);
        return -1;
    }
    if (bc.existing)
        ing__batch_state__free_unpacked(bc.existing, NULL);
    s->svc = svc;
    s->max_errors = st->max_errors;
    s->group_lines = st->commit_lines;
    s->started_at = sais_clock_now();
    s->last_activity = sais_clock_ms();
    sais_jw_init(&s->errors);
    sais_jw_arr(&s->errors);
    crypto_generichash_init(&s->hash, NULL, 0, 32);
    if (strcmp(charset, "utf-8") != 0) {
        /* the same bytes read in another charset are other records: another batch */
        char tag[48];
        int tl = snprintf(tag, sizeof tag, "charset=%s\n", charset);
        crypto_generichash_update(&s->hash, (const unsigned char *)tag, (size_t)tl);
    }
    if (!s->replay) {
        ingest_sink_t sink = {on_record, on_reject};
        s->stream = ingest_stream_new(source, fmt, sais_clock_today(), &sink, s);
        if (!s->stream) {
            session_destroy(&s);
            return sais_reply_problem(reply, 404, "unknown_source", "no feed source named \"%s\"", source);
        }
        if (ingest_stream_set_charset(s->stream, charset) != 0) {
            session_destroy(&s);
            return sais_reply_problem(reply, 503, "charset_unavailable",
                                      "this host cannot convert %s to UTF-8 (glibc's gconv modules "
                                      "are missing); post the batch as UTF-8",
                                      ingest_charset_label(charset));
        }
    }
    st->sessions[free_slot] = s;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "session", s->id);
    sais_jw_kbool(&w, "replay", s->replay);
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}

static int feed_chunk(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)txn;
    ingest_state_t *st = sais_svc_state(svc);
    const char *id = sais_req_param(req, "session");
    size_t slot;
    session_t *s = id ? session_find(st, id, &slot) : NULL;
    if (!s)
        return sais_reply_problem(reply, 503, "session_lost",
                                  "the upload session is gone (ingest restarted?); post the whole batch again");
    s->last_activity = sais_clock_ms();
    crypto_generichash_update(&s->hash, req->body.data, req->body.len);
    if (!s->replay) {
        int rc = ingest_stream_feed(s->stream, req->body.data, req->body.len);
        if (rc != 0 || s->failed) {
            session_destroy(&st->sessions[slot]);
            return sais_reply_problem(reply, 503, "store", "the batch could not be stored; post it again");
        }
    }
    return sais_reply_bytes(reply, 200, "application/json", "{}", 2);
}

typedef struct {
    sais_svc_t     *svc;
    session_t      *s;
    const uint8_t  *hash;
    const char     *report;
    size_t          rlen;
    Ing__BatchState *existing;
} end_ctx_t;

static int end_fn(MDB_txn *txn, void *vctx)
{
    end_ctx_t *c = vctx;
    session_t *s = c->s;
    char key[160];
    int kl = key2(key, sizeof key, s->source, s->batch_id);
    MDB_dbi dbi = sais_svc_dbi(c->svc, INGEST_DB_BATCHES);
    int rc = sais_get_pb(txn, dbi, key, (size_t)kl, &ing__batch_state__descriptor, (ProtobufCMessage **)&c->existing);
    if (rc == 0 && strcmp(c->existing->status, "done") == 0)
        return SAIS_TXN_ABORT; /* finished meanwhile by another attempt: compare with it */
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    Ing__BatchState b = ING__BATCH_STATE__INIT;
    b.source = s->source;
    b.batch_id = s->batch_id;
    b.status = "done";
    b.hash.data = (uint8_t *)c->hash;
    b.hash.len = 32;
    b.received = s->accepted + s->duplicates + s->rejected;
    b.accepted = s->accepted;
    b.duplicates = s->duplicates;
    b.rejected = s->rejected;
    b.report.data = (uint8_t *)c->report;
    b.report.len = c->rlen;
    b.started_at = c->existing ? c->existing->started_at : s->started_at;
    b.finished_at = sais_clock_now();
    if ((rc = sais_put_pb(txn, dbi, key, (size_t)kl, &b.base)) != 0)
        return rc;
    MDB_dbi feeds = sais_svc_dbi(c->svc, INGEST_DB_FEEDS);
    Ing__FeedState *fs = NULL, fresh = ING__FEED_STATE__INIT;
    rc = sais_get_pb(txn, feeds, s->source, strlen(s->source), &ing__feed_state__descriptor, (ProtobufCMessage **)&fs);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    Ing__FeedState *f = fs ? fs : &fresh;
    char *old_last = f->last_batch_id;
    if (!fs)
        f->source = s->source;
    f->last_batch_id = s->batch_id;
    f->last_batch_at = b.finished_at;
    f->batches++;
    rc = sais_put_pb(txn, feeds, s->source, strlen(s->source), &f->base);
    f->last_batch_id = old_last;
    if (fs)
        ing__feed_state__free_unpacked(fs, NULL);
    if (rc == 0) {
        Ing__FeedDone done = ING__FEED_DONE__INIT;
        done.source = s->source;
        done.batch_id = s->batch_id;
        rc = sais_svc_emit(c->svc, txn, "feed.done", "", &done.base);
    }
    return rc;
}

static int answer_replay(session_t *s, const uint8_t *hash, const Ing__BatchState *done, sais_reply_t *reply)
{
    if (done->hash.len != 32 || sodium_memcmp(done->hash.data, hash, 32) != 0)
        return sais_reply_problem(reply, 409, "batch_conflict",
                                  "batch %s of %s was already taken in with a different body", s->batch_id, s->source);
    return sais_reply_bytes(reply, 200, "application/json", done->report.data, done->report.len);
}

/* The batch report (API.md "Partner feeds"); of a dry run, what a real run would report, with
 * "status": "checked", "dry_run": true, whether the batch id is taken, and up to which line
 * repeats within the body were looked for when the body had more ids than ingest_seen keeps. */
static char *report_json(session_t *s, size_t *rlen)
{
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "batch_id", s->batch_id);
    sais_jw_kstr(&w, "source", s->source);
    sais_jw_kstr(&w, "status", s->dry ? "checked" : "done");
    if (s->dry) {
        sais_jw_kbool(&w, "dry_run", true);
        sais_jw_kbool(&w, "batch_id_used", s->batch_used);
        if (s->seen_until)
            sais_jw_kint(&w, "repeats_checked_to_line", (int64_t)s->seen_until - 1);
    }
    sais_jw_kint(&w, "received", (int64_t)(s->accepted + s->duplicates + s->rejected));
    sais_jw_kint(&w, "accepted", (int64_t)s->accepted);
    sais_jw_kint(&w, "duplicates", (int64_t)s->duplicates);
    sais_jw_kint(&w, "rejected", (int64_t)s->rejected);
    sais_jw_arr_end(&s->errors);
    size_t elen = 0;
    char *errs = sais_jw_take(&s->errors, &elen);
    sais_jw_key(&w, "errors");
    if (errs)
        sais_jw_raw(&w, errs, elen);
    else
        sais_jw_null(&w);
    free(errs);
    sais_jw_obj_end(&w);
    return sais_jw_take(&w, rlen);
}

static int feed_end(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)txn;
    ingest_state_t *st = sais_svc_state(svc);
    const char *id = sais_req_param(req, "session");
    size_t slot;
    session_t *s = id ? session_find(st, id, &slot) : NULL;
    if (!s)
        return sais_reply_problem(reply, 503, "session_lost",
                                  "the upload session is gone (ingest restarted?); post the whole batch again");
    uint8_t hash[32];
    crypto_generichash_final(&s->hash, hash, sizeof hash);
    int rc = 0;
    if (!s->replay) {
        if (ingest_stream_finish(s->stream) != 0 || s->failed || flush_group(s) != 0) {
            session_destroy(&st->sessions[slot]);
            return sais_reply_problem(reply, 503, "store", "the batch could not be stored; post it again");
        }
    }
    end_ctx_t c = {svc, s, hash, NULL, 0, NULL};
    if (s->replay) {
        begin_ctx_t bc = {svc, s->source, s->batch_id, NULL, 0};
        /* read the stored report (begin_fn only reads when the batch is done) */
        rc = sais_svc_write(svc, begin_fn, &bc);
        if (bc.existing) {
            rc = answer_replay(s, hash, bc.existing, reply);
            ing__batch_state__free_unpacked(bc.existing, NULL);
        } else {
            rc = sais_reply_problem(reply, 503, "store", "cannot read the batch");
        }
        session_destroy(&st->sessions[slot]);
        return rc;
    }
    size_t rlen = 0;
    char *report = report_json(s, &rlen);
    if (!report) {
        session_destroy(&st->sessions[slot]);
        return -1;
    }
    if (s->dry) {
        sais_info("batch %s/%s checked (dry run): %llu would be accepted, %llu duplicates, %llu rejected",
                  s->source, s->batch_id, (unsigned long long)s->accepted, (unsigned long long)s->duplicates,
                  (unsigned long long)s->rejected);
        rc = sais_reply_bytes(reply, 200, "application/json", report, rlen);
        free(report);
        session_destroy(&st->sessions[slot]);
        return rc;
    }
    c.report = report;
    c.rlen = rlen;
    rc = sais_svc_write(svc, end_fn, &c);
    if (rc == 0) {
        sais_info("batch %s/%s done: %llu accepted, %llu duplicates, %llu rejected", s->source, s->batch_id,
                  (unsigned long long)s->accepted, (unsigned long long)s->duplicates,
                  (unsigned long long)s->rejected);
        rc = sais_reply_bytes(reply, 200, "application/json", report, rlen);
    } else if (rc == SAIS_TXN_ABORT && c.existing) {
        rc = answer_replay(s, hash, c.existing, reply);
    } else {
        rc = sais_reply_problem(reply, 503, "store", "the batch report could not be stored; post it again");
    }
    if (c.existing)
        ing__batch_state__free_unpacked(c.existing, NULL);
    free(report);
    session_destroy(&st->sessions[slot]);
    return rc;
}

/* The gateway gave up on an upload (body over the limit, client gone): free its slot now. The
 * records of groups already committed stay accepted under this batch and line, so the
 * partner's retry counts them as accepted, not as duplicates. */
static int feed_abort(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)txn;
    ingest_state_t *st = sais_svc_state(svc);
    const char *id = sais_req_param(req, "session");
    size_t slot;
    if (id && session_find(st, id, &slot)) {
        sais_info("batch %s/%s: upload abandoned", st->sessions[slot]->source, st->sessions[slot]->batch_id);
        session_destroy(&st->sessions[slot]);
    }
    return sais_reply_bytes(reply, 200, "application/json", "{}", 2);
}

static int batches_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *source = sais_req_param(req, "source");
    const char *batch_id = sais_req_param(req, "batch_id");
    char key[160];
    int kl = (source && batch_id) ? key2(key, sizeof key, source, batch_id) : -1;
    if (kl < 0)
        return sais_reply_problem(reply, 404, "unknown_batch", "no such batch");
    Ing__BatchState *b = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, INGEST_DB_BATCHES), key, (size_t)kl,
                         &ing__batch_state__descriptor, (ProtobufCMessage **)&b);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_batch", "no batch %s of %s", batch_id, source);
    if (rc != 0)
        return rc;
    if (strcmp(b->status, "done") == 0) {
        rc = sais_reply_bytes(reply, 200, "application/json", b->report.data, b->report.len);
    } else {
        sais_jw_t w;
        sais_jw_init(&w);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "batch_id", b->batch_id);
        sais_jw_kstr(&w, "source", b->source);
        sais_jw_kstr(&w, "status", "receiving");
        sais_jw_ktime(&w, "started_at", b->started_at);
        sais_jw_obj_end(&w);
        rc = sais_reply_jw(reply, 200, &w);
    }
    ing__batch_state__free_unpacked(b, NULL);
    return rc;
}

static const char *const all_sources[] = {"hukou", "medical", "disability", "hrss", "civil", "justice", "assets", NULL};

static int feeds_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)req;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_key(&w, "items");
    sais_jw_arr(&w);
    for (size_t i = 0; all_sources[i]; i++) {
        Ing__FeedState *f = NULL;
        int rc = sais_get_pb(txn, sais_svc_dbi(svc, INGEST_DB_FEEDS), all_sources[i], strlen(all_sources[i]),
                             &ing__feed_state__descriptor, (ProtobufCMessage **)&f);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            sais_jw_free(&w);
            return rc;
        }
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "source", all_sources[i]);
        sais_jw_kint(&w, "accepted", f ? (int64_t)f->accepted : 0);
        sais_jw_kint(&w, "batches", f ? (int64_t)f->batches : 0);
        sais_jw_kstr(&w, "last_batch_id", f && *f->last_batch_id ? f->last_batch_id : NULL);
        sais_jw_ktime(&w, "last_batch_at", f ? f->last_batch_at : 0);
        sais_jw_obj_end(&w);
        if (f)
            ing__feed_state__free_unpacked(f, NULL);
    }
    sais_jw_arr_end(&w);
    sais_jw_key(&w, "next_cursor");
    sais_jw_null(&w);
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}

/* ------------------------------------------------------------------ life cycle */

static int on_start(sais_svc_t *svc, char *err, size_t errlen)
{
    ingest_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t cl = sais_config_int(sais_svc_config(svc), "ingest.commit_lines");
    int64_t me = sais_config_int(sais_svc_config(svc), "ingest.max_errors");
    st->commit_lines = cl > 0 ? (uint32_t)cl : 1000;
    st->max_errors = me >= 0 ? (uint32_t)me : 1000;
    sais_svc_set_state(svc, st);
    return 0;
}

static void on_stop(sais_svc_t *svc)
{
    ingest_state_t *st = sais_svc_state(svc);
    if (!st)
        return;
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        session_destroy(&st->sessions[i]);
    free(st);
    sais_svc_set_state(svc, NULL);
}

/* An upload whose partner went away leaves a session behind: drop it after a while (the
 * partner's retry starts a new one anyway). */
static void on_tick(sais_svc_t *svc)
{
    ingest_state_t *st = sais_svc_state(svc);
    int64_t now = sais_clock_ms();
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (st->sessions[i] && now - st->sessions[i]->last_activity > SESSION_IDLE_S * 1000) {
            sais_info("batch %s/%s: idle upload dropped", st->sessions[i]->source, st->sessions[i]->batch_id);
            session_destroy(&st->sessions[i]);
        }
}

static const char *const dbis[] = {INGEST_DB_BATCHES, INGEST_DB_RECORDS, INGEST_DB_FEEDS, NULL};
static const sais_method_t methods[] = {
    {"feed.begin", SAIS_M_RAW, feed_begin},
    {"feed.chunk", SAIS_M_RAW, feed_chunk},
    {"feed.end", SAIS_M_RAW, feed_end},
    {"feed.abort", SAIS_M_RAW, feed_abort},
    {"batches.get", SAIS_M_READ, batches_get},
    {"feeds.list", SAIS_M_READ, feeds_list},
    {NULL, 0, NULL},
};

const sais_service_def_t ingest_service = {
    .name = "ingest",
    .dbis = dbis,
    .methods = methods,
    .on_start = on_start,
    .on_stop = on_stop,
    .on_tick = on_tick,
    .tick_ms = 5000,
};
