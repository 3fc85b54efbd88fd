/* gateway_audit — see gateway_audit.h. */
#include "gateway.h"
#include "gateway_audit.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sais_clock.h"
#include "sais_log.h"

#define HASH_LEN   32
#define SCAN_LIMIT 100000

/* The canonical text the hash covers (without prev_hash and hash). Returns an owned buffer. */
static char *canonical(uint64_t seq, const char *at, const char *actor, const char *role,
                       const char *action, const char *subject, int64_t status, size_t *len)
{
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kint(&w, "seq", (int64_t)seq);
    sais_jw_kstr(&w, "at", at);
    sais_jw_kstr(&w, "actor", actor);
    sais_jw_kstr(&w, "role", role);
    sais_jw_kstr(&w, "action", action);
    sais_jw_kstr(&w, "subject", subject);
    sais_jw_kint(&w, "status", status);
    sais_jw_obj_end(&w);
    char *s = sais_jw_take(&w, len);
    sais_jw_free(&w);
    return s;
}

static void chain_hash(const unsigned char prev[HASH_LEN], const char *canon, size_t len,
                       unsigned char out[HASH_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, HASH_LEN);
    crypto_generichash_update(&st, prev, HASH_LEN);
    crypto_generichash_update(&st, (const unsigned char *)canon, len);
    crypto_generichash_final(&st, out, HASH_LEN);
}

/* ---- append */

typedef struct {
    sais_store_t        *store;
    const gw_audit_in_t *in;
    char                 at[21];
    uint64_t             seq;
} append_ctx_t;

static const char head_key[] = "head";

/* The seq and hash to continue from: the head record, else the last entry, else genesis. */
static int chain_tip(MDB_txn *txn, MDB_dbi audit, MDB_dbi head, uint64_t *seq,
                     unsigned char hash[HASH_LEN])
{
    MDB_val v;
    int rc = sais_get(txn, head, head_key, sizeof head_key - 1, &v);
    if (rc == 0 && v.mv_size == 8 + HASH_LEN) {
        *seq = sais_from_be64(v.mv_data);
        memcpy(hash, (unsigned char *)v.mv_data + 8, HASH_LEN);
        return 0;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    *seq = 0;
    memset(hash, 0, HASH_LEN);
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, audit, &cur);
    if (rc != 0) return rc;
    MDB_val k;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size == 8) {
        json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        const char *h = o ? sais_json_str(o, "hash") : NULL;
        size_t hl = 0;
        *seq = sais_from_be64(k.mv_data);
        if (!h || sodium_hex2bin(hash, HASH_LEN, h, strlen(h), NULL, &hl, NULL) != 0 ||
            hl != HASH_LEN)
            memset(hash, 0, HASH_LEN);   /* a garbled tip: verify will name it */
        json_decref(o);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

static int append_cb(MDB_txn *txn, void *arg)
{
    append_ctx_t *c = arg;
    MDB_dbi audit = sais_store_dbi(c->store, GW_AUDIT_DBI);
    MDB_dbi head = sais_store_dbi(c->store, GW_AUDIT_HEAD_DBI);
    unsigned char prev[HASH_LEN], hash[HASH_LEN];
    uint64_t last;
    int rc = chain_tip(txn, audit, head, &last, prev);
    if (rc != 0) return rc;
    c->seq = last + 1;
    const gw_audit_in_t *e = c->in;
    const char *role = e->role && *e->role ? e->role : "-";
    size_t clen;
    char *canon = canonical(c->seq, c->at, e->actor && *e->actor ? e->actor : "-", role,
                            e->action ? e->action : "", e->subject ? e->subject : "",
                            e->status, &clen);
    if (!canon) return -1;
    chain_hash(prev, canon, clen, hash);
    /* the stored value is the canonical text with the two hashes added before its '}' */
    char ph[2 * HASH_LEN + 1], hh[2 * HASH_LEN + 1];
    sodium_bin2hex(ph, sizeof ph, prev, HASH_LEN);
    sodium_bin2hex(hh, sizeof hh, hash, HASH_LEN);
    size_t vcap = clen + 2 * sizeof ph + 40;
    char *val = malloc(vcap);
    if (!val) {
        free(canon);
        return -1;
    }
    int vlen = snprintf(val, vcap, "%.*s,\"prev_hash\":\"%s\",\"hash\":\"%s\"}", (int)(clen - 1),
                        canon, ph, hh);
    free(canon);
    unsigned char k[8], hv[8 + HASH_LEN];
    sais_be64(c->seq, k);
    rc = sais_put(txn, audit, k, sizeof k, val, (size_t)vlen);
    free(val);
    if (rc != 0) return rc;
    memcpy(hv, k, 8);
    memcpy(hv + 8, hash, HASH_LEN);
    return sais_put(txn, head, head_key, sizeof head_key - 1, hv, sizeof hv);
}

int gw_audit_append(sais_store_t *store, const gw_audit_in_t *e, uint64_t *seq)
{
    append_ctx_t c = {.store = store, .in = e};
    sais_time_format(sais_clock_now(), c.at);
    int rc = sais_store_write_grouped(store, append_cb, &c);
    if (rc != 0) {
        sais_error("gateway: audit append failed (%d)", rc);
        return -1;
    }
    if (seq) *seq = c.seq;
    return 0;
}

typedef struct {
    append_ctx_t *c;
    size_t        n;
} many_ctx_t;

static int append_many_cb(MDB_txn *txn, void *arg)
{
    many_ctx_t *m = arg;
    for (size_t i = 0; i < m->n; i++) {
        int rc = append_cb(txn, &m->c[i]);
        if (rc != 0) return rc;
    }
    return 0;
}

int gw_audit_append_many(sais_store_t *store, const gw_audit_in_t *const *e, size_t n)
{
    if (n == 0) return 0;
    append_ctx_t *c = calloc(n, sizeof *c);
    if (!c) return -1;
    char at[21];
    sais_time_format(sais_clock_now(), at);
    for (size_t i = 0; i < n; i++) {
        c[i].store = store;
        c[i].in = e[i];
        memcpy(c[i].at, at, sizeof at);
    }
    many_ctx_t m = {c, n};
    int rc = sais_store_write_grouped(store, append_many_cb, &m);
    free(c);
    if (rc != 0) {
        sais_error("gateway: audit append of %zu entries failed (%d)", n, rc);
        return -1;
    }
    return 0;
}

/* ---- verify */

/* Recomputes one entry. 0 and its hash in out, or -1 with the reason. */
static int entry_check(const MDB_val *k, const MDB_val *v, uint64_t expect,
                       const unsigned char prev[HASH_LEN], unsigned char out[HASH_LEN],
                       char *why, size_t whylen)
{
    uint64_t seq = sais_from_be64(k->mv_data);
    json_t *o = json_loadb(v->mv_data, v->mv_size, JSON_REJECT_DUPLICATES, NULL);
    int rc = -1;
    if (!json_is_object(o)) {
        snprintf(why, whylen, "entry %llu does not parse", (unsigned long long)seq);
        goto done;
    }
    const json_t *jseq = json_object_get(o, "seq"), *jst = json_object_get(o, "status");
    const char *at = sais_json_str(o, "at"), *actor = sais_json_str(o, "actor");
    const char *role = sais_json_str(o, "role"), *action = sais_json_str(o, "action");
    const char *subject = sais_json_str(o, "subject"), *ph = sais_json_str(o, "prev_hash");
    const char *hh = sais_json_str(o, "hash");
    if (!json_is_integer(jseq) || !json_is_integer(jst) || !at || !actor || !role || !action ||
        !subject || !ph || !hh || json_object_size(o) != 9) {
        snprintf(why, whylen, "entry %llu lacks a field or has an extra one",
                 (unsigned long long)seq);
        goto done;
    }
    if ((uint64_t)json_integer_value(jseq) != seq) {
        snprintf(why, whylen, "entry stored under seq %llu says seq %lld",
                 (unsigned long long)seq, (long long)json_integer_value(jseq));
        goto done;
    }
    char prev_hex[2 * HASH_LEN + 1];
    sodium_bin2hex(prev_hex, sizeof prev_hex, prev, HASH_LEN);
    if (strcmp(prev_hex, ph) != 0) {
        snprintf(why, whylen, "entry %llu: prev_hash does not match the hash of entry %llu",
                 (unsigned long long)seq, (unsigned long long)(expect - 1));
        goto done;
    }
    size_t clen;
    char *canon = canonical(seq, at, actor, role, action, subject, json_integer_value(jst), &clen);
    if (!canon) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    chain_hash(prev, canon, clen, out);
    free(canon);
    char hex[2 * HASH_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, out, HASH_LEN);
    if (strcmp(hex, hh) != 0) {
        snprintf(why, whylen, "entry %llu was altered: its hash does not match its content",
                 (unsigned long long)seq);
        goto done;
    }
    rc = 0;
done:
    json_decref(o);
    return rc;
}

int gw_audit_verify_txn(MDB_txn *txn, MDB_dbi audit, MDB_dbi head, char *report, size_t len)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, audit, &cur) != 0) {
        snprintf(report, len, "cannot read the audit database");
        return -1;
    }
    unsigned char prev[HASH_LEN] = {0}, hash[HASH_LEN];
    uint64_t expect = 1;
    int result = 0;
    MDB_val k, v;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            snprintf(report, len, "a key in the audit database is not a sequence number");
            result = 1;
            break;
        }
        uint64_t seq = sais_from_be64(k.mv_data);
        if (seq != expect) {
            snprintf(report, len, "entry %llu is missing (the entry after %llu is %llu)",
                     (unsigned long long)expect, (unsigned long long)(expect - 1),
                     (unsigned long long)seq);
            result = 1;
            break;
        }
        if (entry_check(&k, &v, expect, prev, hash, report, len) != 0) {
            result = 1;
            break;
        }
        memcpy(prev, hash, HASH_LEN);
        expect++;
    }
    mdb_cursor_close(cur);
    if (result == 0 && rc != MDB_NOTFOUND) {
        snprintf(report, len, "reading the audit database failed: %s", mdb_strerror(rc));
        return -1;
    }
    if (result != 0) return result;
    uint64_t count = expect - 1;
    MDB_val hv;
    rc = sais_get(txn, head, head_key, sizeof head_key - 1, &hv);
    if (rc == MDB_NOTFOUND) {
        if (count == 0) {
            snprintf(report, len, "audit chain empty");
            return 0;
        }
        snprintf(report, len, "the chain head record is missing (%llu entries)",
                 (unsigned long long)count);
        return 1;
    }
    if (rc != 0) {
        snprintf(report, len, "reading the chain head failed: %s", mdb_strerror(rc));
        return -1;
    }
    if (hv.mv_size != 8 + HASH_LEN) {
        snprintf(report, len, "the chain head record is malformed");
        return 1;
    }
    uint64_t hseq = sais_from_be64(hv.mv_data);
    if (hseq > count) {
        snprintf(report, len, "entries %llu to %llu are missing (the chain ends at %llu)",
                 (unsigned long long)(count + 1), (unsigned long long)hseq,
                 (unsigned long long)count);
        return 1;
    }
    if (hseq < count) {
        snprintf(report, len, "entry %llu is past the chain head (%llu)",
                 (unsigned long long)(hseq + 1), (unsigned long long)hseq);
        return 1;
    }
    if (sodium_memcmp((unsigned char *)hv.mv_data + 8, prev, HASH_LEN) != 0) {
        snprintf(report, len, "entry %llu does not match the chain head", (unsigned long long)count);
        return 1;
    }
    char hex[2 * HASH_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, prev, HASH_LEN);
    snprintf(report, len, "audit chain intact: %llu entries, head %s", (unsigned long long)count, hex);
    return 0;
}

typedef struct {
    sais_store_t *store;
    char         *report;
    size_t        len;
} verify_ctx_t;

static int verify_cb(MDB_txn *txn, void *arg)
{
    verify_ctx_t *c = arg;
    return gw_audit_verify_txn(txn, sais_store_dbi(c->store, GW_AUDIT_DBI),
                               sais_store_dbi(c->store, GW_AUDIT_HEAD_DBI), c->report, c->len);
}

int gw_audit_verify_store(sais_store_t *store, char *report, size_t len)
{
    verify_ctx_t c = {store, report, len};
    snprintf(report, len, "cannot open a read transaction");
    return sais_store_read(store, verify_cb, &c);
}

int gateway_audit_verify(const char *data_dir, char *report, size_t len)
{
    char dir[4096], probe[4200];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/gateway", data_dir);
    snprintf(probe, sizeof probe, "%s/data.mdb", dir);
    if (stat(probe, &st) != 0) snprintf(dir, sizeof dir, "%s", data_dir);
    snprintf(probe, sizeof probe, "%s/data.mdb", dir);
    if (stat(probe, &st) != 0) {
        snprintf(report, len, "no gateway store under %s", data_dir);
        return -1;
    }
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi audit, head;
    int result = -1;
    int rc = mdb_env_create(&env);
    if (rc == 0) rc = mdb_env_set_maxdbs(env, 64);
    if (rc == 0) rc = mdb_env_open(env, dir, MDB_RDONLY, 0600);
    if (rc == 0) rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, GW_AUDIT_DBI, 0, &audit);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, GW_AUDIT_HEAD_DBI, 0, &head);
        if (rc == 0) {
            result = gw_audit_verify_txn(txn, audit, head, report, len);
        } else if (rc == MDB_NOTFOUND) {
            snprintf(report, len, "the chain head database is missing");
            result = 1;
            rc = 0;
        }
    } else if (rc == MDB_NOTFOUND) {
        snprintf(report, len, "no audit database in %s", dir);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) snprintf(report, len, "%s: %s", dir, mdb_strerror(rc));
    if (txn) mdb_txn_abort(txn);
    if (env) mdb_env_close(env);
    return result;
}

/* ---- list */

typedef struct {
    sais_store_t           *store;
    const gw_audit_query_t *q;
    sais_jw_t              *w;
} list_ctx_t;

static bool entry_matches(const gw_audit_query_t *q, const MDB_val *v)
{
    if (!q->actor && !q->subject && !q->action && q->since == 0) return true;
    json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    bool ok = json_is_object(o);
    const char *s;
    if (ok && q->actor) ok = (s = sais_json_str(o, "actor")) && strcmp(s, q->actor) == 0;
    if (ok && q->subject) ok = (s = sais_json_str(o, "subject")) && strcmp(s, q->subject) == 0;
    if (ok && q->action) ok = (s = sais_json_str(o, "action")) && strcmp(s, q->action) == 0;
    if (ok && q->since) ok = (s = sais_json_str(o, "at")) && sais_time_parse(s) >= q->since;
    json_decref(o);
    return ok;
}

static int list_cb(MDB_txn *txn, void *arg)
{
    list_ctx_t *c = arg;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, sais_store_dbi(c->store, GW_AUDIT_DBI), &cur) != 0) return -1;
    unsigned char kb[8];
    sais_be64(c->q->after + 1, kb);
    MDB_val k = {sizeof kb, kb}, v;
    size_t n = 0, scanned = 0;
    uint64_t last = c->q->after;
    bool more = false;
    sais_jw_obj(c->w);
    sais_jw_key(c->w, "items");
    sais_jw_arr(c->w);
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) continue;
        if (n == c->q->limit || scanned == SCAN_LIMIT) {
            more = true;
            break;
        }
        scanned++;
        last = sais_from_be64(k.mv_data);
        if (!entry_matches(c->q, &v)) continue;
        sais_jw_raw(c->w, v.mv_data, v.mv_size);
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return -1;
    sais_jw_arr_end(c->w);
    sais_jw_key(c->w, "next_cursor");
    if (more) {
        char cs[24];
        snprintf(cs, sizeof cs, "%llu", (unsigned long long)last);
        sais_jw_str(c->w, cs);
    } else {
        sais_jw_null(c->w);
    }
    sais_jw_obj_end(c->w);
    return 0;
}

int gw_audit_list(sais_store_t *store, const gw_audit_query_t *q, sais_jw_t *w)
{
    list_ctx_t c = {store, q, w};
    return sais_store_read(store, list_cb, &c) == 0 ? 0 : -1;
}
