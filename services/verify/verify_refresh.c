/* verify_refresh — household pictures refreshed now or owed until verify catches up; see
 * verify_refresh.h. */
#include "verify_refresh.h"
#include "verify_picture.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PRODUCER "ingest"

/* The sweep of the pending set: in memory only, since a restart simply starts a new one. */
typedef struct {
    size_t  slice;          /* households per sweep transaction; a batch owing no more is done in line */
    int64_t orphan_ms;      /* owed this long with no fact or feed.done since: swept anyway */
    bool    due;            /* the ticks sweep: a feed.done waits for it (SAIS_EV_WAIT), or a release */
    bool    hold;           /* rules.outreach = hold: a feed.done leaves its refreshes owed */
    bool    releasing;      /* the held refreshes are being done; ingest's events wait */
    bool    said;           /* this start's word is in the log: refresh.held while holding, else
                             * refresh.released (rules keeps the last one, rules_hold.c) */
    int64_t active_at;      /* when the last fact envelope or feed.done was applied */
} refresh_state_t;

#define HELD_KEY "owed"

/* ---------------------------------------------------------------- the dirty set */

uint64_t verify_id_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static verify_dirty_t *dirty_find(const verify_dirty_set_t *d, const char *hh, size_t *slot)
{
    if (!d->index_cap)
        return NULL;
    size_t i = verify_id_hash(hh) & (d->index_cap - 1);
    while (d->index[i]) {
        verify_dirty_t *e = &d->v[d->index[i] - 1];
        if (strcmp(e->household_id, hh) == 0)
            return e;
        i = (i + 1) & (d->index_cap - 1);
    }
    if (slot)
        *slot = i;
    return NULL;
}

static int dirty_grow(verify_dirty_set_t *d)
{
    size_t cap = d->cap ? d->cap * 2 : 16;
    verify_dirty_t *nv = realloc(d->v, cap * sizeof *nv);
    if (!nv)
        return -1;
    d->v = nv;
    d->cap = cap;
    size_t icap = cap * 4;
    size_t *idx = calloc(icap, sizeof *idx);
    if (!idx)
        return -1;
    free(d->index);
    d->index = idx;
    d->index_cap = icap;
    for (size_t k = 0; k < d->n; k++) {
        size_t i = verify_id_hash(d->v[k].household_id) & (icap - 1);
        while (idx[i])
            i = (i + 1) & (icap - 1);
        idx[i] = k + 1;
    }
    return 0;
}

bool verify_dirty_has(const verify_dirty_set_t *d, const char *hh)
{
    return dirty_find(d, hh, NULL) != NULL;
}

void verify_dirty_free(verify_dirty_set_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].household_id);
    free(d->v);
    free(d->index);
    memset(d, 0, sizeof *d);
}

static void dirty_source(verify_dirty_t *e, const char *source)
{
    for (size_t i = 0; i < e->nsources; i++)
        if (strcmp(e->sources[i], source) == 0)
            return;
    if (e->nsources < VERIFY_MAX_SOURCES)
        e->sources[e->nsources++] = source;
    else
        e->sources_unsaid = true;
}

static void dirty_cause(verify_dirty_t *e, char *source, char *record_id, char *batch_id)
{
    if (e->ncauses == VERIFY_MAX_CAUSES)
        return;
    Sais__Evidence *c = &e->causes[e->ncauses++];
    sais__evidence__init(c);
    c->source = source;
    c->record_id = record_id;
    c->batch_id = batch_id;
}

int verify_dirty_add(verify_dirty_set_t *d, const char *hh, const Ing__Fact *f)
{
    if (!hh || !*hh)
        return 0;
    size_t slot = 0;
    verify_dirty_t *e = dirty_find(d, hh, &slot);
    if (!e) {
        if (d->n == d->cap) {
            if (dirty_grow(d) != 0)
                return -1;
            (void)dirty_find(d, hh, &slot);
        }
        e = &d->v[d->n];
        memset(e, 0, sizeof *e);
        if (!(e->household_id = strdup(hh)))
            return -1;
        snprintf(e->reason, sizeof e->reason, "%s", f->source);
        d->index[slot] = ++d->n;
    }
    /* ingest takes a (source, record_id) once, so the only way a record touches a household
     * twice is as its household before and after: the same fact, one call after the other */
    if (e->last == f)
        return 0;
    e->last = f;
    dirty_source(e, f->source);
    dirty_cause(e, f->source, f->record_id, f->batch_id);
    return 0;
}

/* ---------------------------------------------------------------- one household */

/* The picture's change counter. It counts changes as they were applied, so it depends on
 * arrival order and batching: it lives in "_versions" (outside the state digest), while the
 * stored picture keeps version 0 and is a function of the facts alone. A store written
 * before the counter moved has it only inside the old picture (`old`, its stored bytes). */
static int next_version(sais_svc_t *svc, MDB_txn *txn, const char *hh, const MDB_val *old, uint64_t *out)
{
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_VERSIONS);
    MDB_val v;
    uint64_t cur = 0;
    int rc = sais_get(txn, dbi, hh, strlen(hh), &v);
    if (rc == 0 && v.mv_size == 8) {
        cur = sais_from_be64(v.mv_data);
    } else if (rc != 0 && rc != MDB_NOTFOUND) {
        return rc;
    } else if (old) {
        Ver__Picture *was = ver__picture__unpack(NULL, old->mv_size, old->mv_data);
        if (was) {
            cur = was->version;
            ver__picture__free_unpacked(was, NULL);
        }
    }
    unsigned char be[8];
    sais_be64(++cur, be);
    *out = cur;
    return sais_put(txn, dbi, hh, strlen(hh), be, sizeof be);
}

/* The region a household had, from its stored picture (for the announcement that it is gone). */
static char *stored_region(const MDB_val *old)
{
    Ver__Picture *was = ver__picture__unpack(NULL, old->mv_size, old->mv_data);
    char *region = strdup(was && was->region ? was->region : "");
    if (was)
        ver__picture__free_unpacked(was, NULL);
    return region;
}

/* Recomputes one touched household; stores and announces the picture if it changed. A
 * household that no longer exists (its last member moved on) is announced once more with
 * no members, so that its entitlements stop, and its picture is deleted. The new picture is
 * packed once (version 0, as stored) and compared with the stored bytes: packing is
 * deterministic, and unpacking the old one to compare would cost as much again. */
static int refresh_household(sais_svc_t *svc, MDB_txn *txn, const verify_dirty_t *d,
                             verify_person_lookup_fn lookup, void *lctx)
{
    Ver__Picture pic = VER__PICTURE__INIT;
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_PICTURES);
    const char *hh = d->household_id;
    MDB_val oldv;
    int rc = sais_get(txn, dbi, hh, strlen(hh), &oldv);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    bool had = rc == 0, gone = false;
    rc = verify_compute_picture_with(svc, txn, hh, lookup, lctx, &pic);
    if (rc == MDB_NOTFOUND && had) {
        gone = true;
        char *region = stored_region(&oldv);
        rc = region && verify_picture_compute(hh, region, NULL, 0, sais_clock_today(), &pic) == 0 ? 0 : ENOMEM;
        free(region);
    } else if (rc == MDB_NOTFOUND) {
        return 0;
    }
    if (rc != 0) {
        verify_picture_clear(&pic);
        return rc;
    }
    uint8_t *buf = NULL;
    size_t n = 0;
    if (!gone && !(buf = verify_picture_pack_stored(&pic, &n))) {
        verify_picture_clear(&pic);
        return ENOMEM;
    }
    if (gone || !had || oldv.mv_size != n || memcmp(oldv.mv_data, buf, n) != 0) {
        uint64_t version = 0;
        /* before any write of this transaction: oldv points into a page a write may move */
        rc = next_version(svc, txn, hh, had ? &oldv : NULL, &version);
        if (rc == 0)
            rc = gone ? sais_del(txn, dbi, hh, strlen(hh)) : sais_put(txn, dbi, hh, strlen(hh), buf, n);
        pic.version = version;
        if (rc == 0) {
            Ver__HouseholdChanged ev = VER__HOUSEHOLD_CHANGED__INIT;
            Sais__Evidence *causes[VERIFY_MAX_CAUSES];
            for (size_t i = 0; i < d->ncauses; i++)
                causes[i] = (Sais__Evidence *)&d->causes[i];
            ev.picture = &pic;
            ev.cause = causes;
            ev.n_cause = d->ncauses;
            ev.reason = (char *)d->reason;
            rc = sais_svc_emit_sourced(svc, txn, "household.changed", pic.region, d->sources,
                                       d->sources_unsaid ? 0 : d->nsources, &ev.base);
        }
    }
    free(buf);
    verify_picture_clear(&pic);
    return rc;
}

/* ---------------------------------------------------------------- the pending set */

static size_t pending_count(sais_svc_t *svc, MDB_txn *txn)
{
    size_t n;
    (void)sais_entries(txn, sais_svc_dbi(svc, VERIFY_DB_PENDING), &n);   /* 0 on error */
    return n;
}

/* What a pending record gathered, into an empty entry (borrowing its strings). */
static void dirty_from_pending(verify_dirty_t *e, const Vst__Pending *p)
{
    snprintf(e->reason, sizeof e->reason, "%s", p->reason);
    for (size_t i = 0; i < p->n_sources; i++)
        dirty_source(e, p->sources[i]);
    e->sources_unsaid = e->sources_unsaid || p->sources_unsaid;
    for (size_t i = 0; i < p->n_causes; i++)
        dirty_cause(e, p->causes[i]->source, p->causes[i]->record_id, p->causes[i]->batch_id);
}

/* Adds what entry d gathered to e (its reason only if e has none yet; strings borrowed). */
static void dirty_merge(verify_dirty_t *e, const verify_dirty_t *d)
{
    if (!e->reason[0])
        snprintf(e->reason, sizeof e->reason, "%s", d->reason);
    for (size_t i = 0; i < d->nsources; i++)
        dirty_source(e, d->sources[i]);
    e->sources_unsaid = e->sources_unsaid || d->sources_unsaid;
    for (size_t i = 0; i < d->ncauses; i++)
        dirty_cause(e, d->causes[i].source, d->causes[i].record_id, d->causes[i].batch_id);
}

/* Merges one envelope's dirty household into its pending record. */
static int pending_add(sais_svc_t *svc, MDB_txn *txn, const verify_dirty_t *d)
{
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_PENDING);
    const char *hh = d->household_id;
    if (strlen(hh) > 400)
        return 0;   /* not a key LMDB takes; household_member keeps no such household either */
    Vst__Pending *was = NULL;
    int rc = sais_get_pb(txn, dbi, hh, strlen(hh), &vst__pending__descriptor, (ProtobufCMessage **)&was);
    if (rc == MDB_CORRUPTED) {
        sais_warn("verify: garbled pending record of household %s replaced (its earlier causes are lost)", hh);
        was = NULL;
    } else if (rc != 0 && rc != MDB_NOTFOUND) {
        return rc;
    }
    /* the merged record, borrowing strings from `was` and from d */
    verify_dirty_t m;
    memset(&m, 0, sizeof m);
    if (was)
        dirty_from_pending(&m, was);
    dirty_merge(&m, d);
    Vst__Pending out = VST__PENDING__INIT;
    Sais__Evidence *causes[VERIFY_MAX_CAUSES];
    for (size_t i = 0; i < m.ncauses; i++)
        causes[i] = &m.causes[i];
    out.reason = m.reason;
    out.causes = causes;
    out.n_causes = m.ncauses;
    out.sources = (char **)m.sources;
    out.n_sources = m.nsources;
    out.sources_unsaid = m.sources_unsaid;
    rc = sais_put_pb(txn, dbi, hh, strlen(hh), &out.base);
    if (was)
        vst__pending__free_unpacked(was, NULL);
    return rc;
}

int verify_refresh_envelope(sais_svc_t *svc, MDB_txn *txn, verify_dirty_set_t *d)
{
    refresh_state_t *st = sais_svc_state(svc);
    if (st)
        st->active_at = sais_clock_ms();
    int rc = 0;
    for (size_t i = 0; i < d->n && rc == 0; i++)
        rc = pending_add(svc, txn, &d->v[i]);
    return rc;
}

bool verify_refresh_pending(sais_svc_t *svc, MDB_txn *txn, const char *household_id)
{
    MDB_val v;
    size_t n = strlen(household_id);
    return n > 0 && n <= 400
        && sais_get(txn, sais_svc_dbi(svc, VERIFY_DB_PENDING), household_id, n, &v) == 0;
}

/* The refresh owed to household hh, with what its pending record `p` gathered (NULL when the
 * record was garbled: then only what it said of its causes is lost); the record is deleted. */
static int refresh_owed(sais_svc_t *svc, MDB_txn *txn, char *hh, const Vst__Pending *p,
                        verify_person_lookup_fn lookup, void *lctx)
{
    verify_dirty_t d;
    memset(&d, 0, sizeof d);
    d.household_id = hh;
    if (p) {
        dirty_from_pending(&d, p);
    } else {
        sais_warn("verify: garbled pending record of household %s: refreshed without its causes", hh);
        d.sources_unsaid = true;
    }
    int rc = refresh_household(svc, txn, &d, lookup, lctx);
    return rc ? rc : sais_del(txn, sais_svc_dbi(svc, VERIFY_DB_PENDING), hh, strlen(hh));
}

int verify_refresh_owed(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const verify_dirty_set_t *d,
                        verify_person_lookup_fn lookup, void *lctx)
{
    size_t n = strlen(household_id);
    if (n == 0 || n > 400)
        return 0;
    const verify_dirty_t *here = dirty_find(d, household_id, NULL);
    Vst__Pending *p = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PENDING), household_id, n, &vst__pending__descriptor,
                         (ProtobufCMessage **)&p);
    bool pending = rc == 0 || rc == MDB_CORRUPTED;
    if (rc == MDB_CORRUPTED) {
        sais_warn("verify: garbled pending record of household %s: refreshed without its causes", household_id);
        p = NULL;
    } else if (rc != 0 && rc != MDB_NOTFOUND) {
        return rc;
    }
    if (!pending && !here)
        return 0;
    /* what the batch's earlier envelopes and this one's earlier facts gathered */
    verify_dirty_t m;
    memset(&m, 0, sizeof m);
    m.household_id = (char *)household_id;
    if (p)
        dirty_from_pending(&m, p);
    else if (pending)
        m.sources_unsaid = true;
    if (here)
        dirty_merge(&m, here);
    rc = refresh_household(svc, txn, &m, lookup, lctx);
    if (rc == 0 && pending)
        rc = sais_del(txn, sais_svc_dbi(svc, VERIFY_DB_PENDING), household_id, n);
    if (p)
        vst__pending__free_unpacked(p, NULL);
    return rc;
}

/* ---------------------------------------------------------------- the sweep */

typedef struct {
    sais_svc_t *svc;
    size_t      slice;
    bool        release;    /* the held refreshes: the mark goes with the last slice */
    bool        done;       /* out: nothing is owed any more */
} sweep_ctx_t;

/* refresh.released: every refresh held under rules.outreach = hold is in the log before it
 * (none, at a start that held nothing). rules decides its own held households after it. */
static int say_released(sais_svc_t *svc, MDB_txn *txn)
{
    return sais_svc_emit_raw(svc, txn, "refresh.released", "", NULL, 0, NULL, 0);
}

/* refresh.held: from here on verify owes refreshes across batches until a start with
 * outreach on; a rules restarted meanwhile waits for the next refresh.released. */
static int say_fn(MDB_txn *txn, void *vctx)
{
    sais_svc_t *svc = vctx;
    refresh_state_t *st = sais_svc_state(svc);
    if (st->hold)
        return sais_svc_emit_raw(svc, txn, "refresh.held", "", NULL, 0, NULL, 0);
    return say_released(svc, txn);
}

static int sweep_fn(MDB_txn *txn, void *vctx)
{
    sweep_ctx_t *c = vctx;
    sais_svc_t *svc = c->svc;
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_PENDING);
    /* the slice's keys and records first: refreshing writes, and a write may move the page a
     * cursor's values point into */
    char **keys = calloc(c->slice, sizeof *keys);
    Vst__Pending **recs = calloc(c->slice, sizeof *recs);
    size_t n = 0;
    int rc = keys && recs ? 0 : ENOMEM;
    MDB_cursor *cur = NULL;
    if (rc == 0)
        rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc == 0) {
        /* in key order, so that the announcements are a function of the log: processed
         * records are deleted, and nothing is added while a feed.done waits */
        MDB_val k, v;
        int g = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        while (g == 0 && n < c->slice) {
            keys[n] = strndup(k.mv_data, k.mv_size);
            if (!keys[n]) {
                rc = ENOMEM;
                break;
            }
            recs[n++] = vst__pending__unpack(NULL, v.mv_size, v.mv_data);
            g = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        if (rc == 0 && g != 0 && g != MDB_NOTFOUND)
            rc = g;
        c->done = g == MDB_NOTFOUND;
        mdb_cursor_close(cur);
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = refresh_owed(svc, txn, keys[i], recs[i], NULL, NULL);
    if (rc == 0 && c->done && c->release) {
        rc = sais_del(txn, sais_svc_dbi(svc, VERIFY_DB_HELD), HELD_KEY, strlen(HELD_KEY));
        if (rc == 0 || rc == MDB_NOTFOUND)
            rc = say_released(svc, txn);
    }
    for (size_t i = 0; i < n; i++) {
        free(keys[i]);
        if (recs[i])
            vst__pending__free_unpacked(recs[i], NULL);
    }
    free(keys);
    free(recs);
    return rc;
}

/* Notes that refreshes are held for the release (once: a feed.done of every batch comes here). */
static int held_mark(sais_svc_t *svc, MDB_txn *txn)
{
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_HELD);
    MDB_val v;
    int rc = sais_get(txn, dbi, HELD_KEY, strlen(HELD_KEY), &v);
    if (rc == MDB_NOTFOUND)
        rc = sais_put(txn, dbi, HELD_KEY, strlen(HELD_KEY), "1", 1);
    return rc;
}

int verify_refresh_batch_done(sais_svc_t *svc, MDB_txn *txn)
{
    refresh_state_t *st = sais_svc_state(svc);
    size_t owed = pending_count(svc, txn);
    if (owed == 0)
        return 0;
    if (st) {
        st->active_at = sais_clock_ms();
        if (st->hold)
            return held_mark(svc, txn);
        if (owed > st->slice) {
            st->due = true;   /* the ticks sweep it in slices; this feed.done comes back */
            return SAIS_EV_WAIT;
        }
    }
    sweep_ctx_t c = {svc, owed, false, false};
    return sweep_fn(txn, &c);
}

typedef struct { sais_svc_t *svc; size_t n; } count_ctx_t;
static int count_fn(MDB_txn *txn, void *vctx)
{
    count_ctx_t *c = vctx;
    c->n = pending_count(c->svc, txn);
    return 0;
}

void verify_refresh_tick(sais_svc_t *svc)
{
    refresh_state_t *st = sais_svc_state(svc);
    if (!st)
        return;
    if (!st->due && !st->said) {
        if (sais_svc_write(svc, say_fn, svc) != 0)
            return;   /* logged by the store; said on a later tick */
        st->said = true;
    }
    if (!st->due) {
        if (st->hold)
            return;   /* all that is owed waits for the release */
        /* a batch that never finished (ingest lost the session and the partner did not post
         * it again) owes its refreshes too: swept once nothing has come for a while */
        count_ctx_t cc = {svc, 0};
        if (sais_clock_ms() - st->active_at < st->orphan_ms
            || sais_store_read(sais_svc_store(svc), count_fn, &cc) != 0)
            return;
        if (cc.n == 0) {
            st->active_at = sais_clock_ms();   /* idle: look again one period later, not every tick */
            return;
        }
        sais_warn("verify: %zu household refresh(es) owed by a batch that did not finish; done now", cc.n);
        st->active_at = sais_clock_ms();
    }
    sweep_ctx_t c = {svc, st->slice, st->releasing, false};
    if (sais_svc_write(svc, sweep_fn, &c) != 0)
        return;   /* logged by the store; tried again on a later tick */
    if (c.done) {
        if (st->releasing) {
            sais_info("verify: the refreshes held while outreach was held are done");
            st->said = true;
        }
        st->due = st->releasing = false;
    } else {
        sais_svc_tick_again(svc);
    }
}

bool verify_refresh_releasing(sais_svc_t *svc)
{
    refresh_state_t *st = sais_svc_state(svc);
    return st && st->releasing;
}

int verify_refresh_status(sais_svc_t *svc, MDB_txn *txn, sais_jw_t *w)
{
    refresh_state_t *st = sais_svc_state(svc);
    size_t owed;
    int rc = sais_entries(txn, sais_svc_dbi(svc, VERIFY_DB_PENDING), &owed);
    if (rc != 0)
        return rc;
    sais_jw_kstr(w, "refresh", !st ? "unknown" : st->releasing ? "releasing" : st->hold ? "held"
                               : st->due ? "sweeping" : "batch");
    sais_jw_kint(w, "owed_households", (int64_t)owed);
    return 0;
}

/* At a start with outreach on: refreshes held under rules.outreach = hold are released. */
static int held_fn(MDB_txn *txn, void *vctx)
{
    sais_svc_t *svc = vctx;
    refresh_state_t *st = sais_svc_state(svc);
    MDB_val v;
    int rc = sais_get(txn, sais_svc_dbi(svc, VERIFY_DB_HELD), HELD_KEY, strlen(HELD_KEY), &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    st->due = st->releasing = true;
    sais_info("verify: releasing the refreshes of %zu households held while outreach was held",
              pending_count(svc, txn));
    return 0;
}

int verify_refresh_start(sais_svc_t *svc, char *err, size_t errlen)
{
    const sais_config_t *cfg = sais_svc_config(svc);
    int64_t orphan, slice;
    if (sais_config_int_in(cfg, "verify.refresh_orphan_s", 1, 86400, "seconds", &orphan, err, errlen) != 0
        || sais_config_int_in(cfg, "verify.refresh_slice", 1, 1000000, "households", &slice, err, errlen) != 0)
        return -1;
    refresh_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->orphan_ms = orphan * 1000;
    st->slice = (size_t)slice;
    /* one switch for a city's first load: rules' key (rules_hold.c checks its value) */
    const char *outreach = sais_config_get(cfg, "rules.outreach");
    st->hold = outreach && strcmp(outreach, "hold") == 0;
    /* what a previous run left owed waits for its feed.done like the rest, unless it was held */
    st->active_at = sais_clock_ms();
    sais_svc_set_state(svc, st);
    if (!st->hold && sais_store_read(sais_svc_store(svc), held_fn, svc) != 0) {
        snprintf(err, errlen, "cannot read whether refreshes were held");
        sais_svc_set_state(svc, NULL);
        free(st);
        return -1;
    }
    return 0;
}

void verify_refresh_stop(sais_svc_t *svc)
{
    free(sais_svc_state(svc));
    sais_svc_set_state(svc, NULL);
}
