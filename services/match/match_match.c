/* match_match — matching in the store: gather the candidates of one category from the open /
 * avail index (key order is age order), let match_logic choose, then bind each wish to its
 * offer. The cursor is closed before anything is written. */
#include "match_internal.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char id[MATCH_ID_MAX + 1];
    char region[16];
} cand_t;

typedef struct {
    cand_t *v;
    size_t  n, cap;
} cands_t;

/* Each entry of `db` under "category\0" in key order, until `stop` says enough (stop may be
 * NULL). 0, or an LMDB code / ENOMEM. */
static int gather(sais_svc_t *svc, MDB_txn *txn, const char *db, const char *category,
                  bool (*stop)(const cands_t *, void *), void *sctx, cands_t *out)
{
    char prefix[64];
    int plen = snprintf(prefix, sizeof prefix, "%s%c", category, '\0');
    if (plen <= 1 || (size_t)plen >= sizeof prefix)
        return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, db), &cur);
    if (rc != 0)
        return rc;
    MDB_val k = {(size_t)plen, prefix}, v;
    MDB_cursor_op op = MDB_SET_RANGE;
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        if (k.mv_size < (size_t)plen || memcmp(k.mv_data, prefix, (size_t)plen) != 0)
            break;
        size_t idlen = k.mv_size - (size_t)plen;
        if (idlen == 0 || idlen > MATCH_ID_MAX || v.mv_size >= sizeof out->v[0].region) {
            sais_warn("%s index entry of %zu bytes skipped", db, k.mv_size);
            continue;
        }
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 32;
            cand_t *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv) {
                rc = ENOMEM;
                break;
            }
            out->v = nv;
            out->cap = cap;
        }
        cand_t *c = &out->v[out->n++];
        memcpy(c->id, (const char *)k.mv_data + plen, idlen);
        c->id[idlen] = '\0';
        memcpy(c->region, v.mv_data, v.mv_size);
        c->region[v.mv_size] = '\0';
        if (stop && stop(out, sctx)) {
            rc = MDB_NOTFOUND;
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Binds wish w to offer o: one item leaves the offer, the wish is matched and stored,
 * wish.matched emitted. The offer is not written here. */
static int bind_wish(sais_svc_t *svc, MDB_txn *txn, Mch__Wish *w, Mch__Offer *o)
{
    if (match_offer_take(&o->remaining) != 0)
        return MDB_CORRUPTED;
    if (match_pb_strset(&w->status, "matched") || match_pb_strset(&w->offer_id, o->offer_id)
        || match_pb_strset(&w->donor, o->donor)
        || match_pb_strset(&w->organization_id, o->organization_id)
        || match_pb_stradd(&o->wish_ids, &o->n_wish_ids, w->wish_id))
        return ENOMEM;
    w->value = o->unit_value;
    w->matched_at = sais_clock_now();
    int rc = match_wish_put(svc, txn, w);
    if (rc == 0)
        rc = match_wish_emit(svc, txn, "wish.matched", w);
    return rc;
}

int match_wish_arrives(sais_svc_t *svc, MDB_txn *txn, Mch__Wish *w, bool *matched)
{
    *matched = false;
    cands_t c = {0};
    match_offer_cand_t *oc = NULL;
    Mch__Offer *o = NULL;
    int rc = gather(svc, txn, MATCH_DB_AVAIL, w->category, NULL, NULL, &c);
    if (rc != 0 || c.n == 0)
        goto done;
    oc = calloc(c.n, sizeof *oc);
    if (!oc) {
        rc = ENOMEM;
        goto done;
    }
    /* the index holds only offers with quantity left; the record says how much */
    for (size_t i = 0; i < c.n; i++)
        oc[i] = (match_offer_cand_t){c.v[i].id, c.v[i].region, 1, i};
    long pick = match_pick_offer(w->region, oc, c.n);
    if (pick < 0)
        goto done;
    rc = match_offer_get(svc, txn, c.v[pick].id, &o);
    if (rc != 0) {
        sais_error("offer %s in the avail index has no record (%d)", c.v[pick].id, rc);
        goto done;
    }
    rc = bind_wish(svc, txn, w, o);
    if (rc == 0)
        rc = match_offer_put(svc, txn, o);
    *matched = rc == 0;
done:
    if (o)
        mch__offer__free_unpacked(o, NULL);
    free(oc);
    free(c.v);
    return rc;
}

typedef struct {
    const char *region;
    uint32_t    want;
    uint32_t    covered;
} stop_ctx_t;

/* the index is in age order: once `want` covered wishes are in, older ones cannot follow */
static bool enough(const cands_t *c, void *vctx)
{
    stop_ctx_t *s = vctx;
    if (match_region_covers(s->region, c->v[c->n - 1].region))
        s->covered++;
    return s->covered >= s->want;
}

int match_offer_arrives(sais_svc_t *svc, MDB_txn *txn, Mch__Offer *o, size_t *first)
{
    if (first)
        *first = o->n_wish_ids;
    cands_t c = {0};
    match_wish_cand_t *wc = NULL;
    size_t *picked = NULL;
    int rc = 0;
    if (o->remaining > 0) {
        stop_ctx_t s = {o->region, o->remaining, 0};
        rc = gather(svc, txn, MATCH_DB_OPEN, o->category, enough, &s, &c);
    }
    if (rc != 0 || c.n == 0)
        goto save;
    wc = calloc(c.n, sizeof *wc);
    picked = calloc(c.n, sizeof *picked);
    if (!wc || !picked) {
        rc = ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < c.n; i++)
        wc[i] = (match_wish_cand_t){c.v[i].id, c.v[i].region, i};
    long k = match_pick_wishes(o->region, o->remaining, wc, c.n, picked);
    if (k < 0) {
        rc = ENOMEM;
        goto done;
    }
    for (long i = 0; i < k && rc == 0; i++) {
        Mch__Wish *w = NULL;
        rc = match_wish_get(svc, txn, c.v[picked[i]].id, &w);
        if (rc != 0) {
            sais_error("wish %s in the open index has no record (%d)", c.v[picked[i]].id, rc);
            break;
        }
        if (strcmp(w->status, "open") == 0)
            rc = bind_wish(svc, txn, w, o);
        else
            sais_error("wish %s in the open index is %s", w->wish_id, w->status);
        mch__wish__free_unpacked(w, NULL);
    }
save:
    if (rc == 0)
        rc = match_offer_put(svc, txn, o);
done:
    free(picked);
    free(wc);
    free(c.v);
    return rc;
}
