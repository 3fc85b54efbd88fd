/* rules_hold — outreach held while a city's data is first loaded (rules.outreach = hold).
 *
 * Feeds arrive one after the other: while the registry is in and the wage records are not,
 * every household looks penniless. Deciding each change as it comes would open a proactive
 * case for most households of the city, grant allowances and send the families an SMS, and
 * stop it all again minutes later when their incomes arrive. While outreach is held, a
 * household's change only stores its picture and notes the causes here ("held"); nothing is
 * granted, changed, stopped or sent to a caseworker. When it is released (the key set back to
 * on, and rules restarted), each household noted is decided once, on its picture as it is
 * then, with every cause noted, in slices of rules.hold_slice households per transaction. A change
 * of a noted household that arrives meanwhile is decided at once with the noted causes, and
 * its note goes.
 *
 * verify holds too (verify_refresh.h): it announces each household the load touched once, at
 * the release, and only a few (a death, a certificate) during the hold. The noted households
 * are decided after verify has done its held refreshes and rules has taken in what they
 * announced: a household noted on an early picture is then decided on its final one, once.
 *
 * Applications (intake asks rules directly) and reviewers' approvals are not held: a person
 * at a window is decided on what is known.
 */
#include "rules.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <stdlib.h>
#include <string.h>

int rules_hold_config(const sais_config_t *cfg, bool *hold, size_t *slice, char *err, size_t errlen)
{
    int64_t n;
    if (sais_config_int_in(cfg, "rules.hold_slice", 1, 100000, "households", &n, err, errlen) != 0)
        return -1;
    *slice = (size_t)n;
    const char *v = sais_config_get(cfg, "rules.outreach");
    if (v == NULL || strcmp(v, "on") == 0) {
        *hold = false;
        return 0;
    }
    if (strcmp(v, "hold") == 0) {
        *hold = true;
        return 0;
    }
    snprintf(err, errlen, "rules.outreach is '%s': it takes on or hold", v);
    return -1;
}

static Rul__Held *held_get(sais_svc_t *svc, MDB_txn *txn, const char *hh, int *rc)
{
    Rul__Held *h = NULL;
    *rc = sais_get_pb(txn, sais_svc_dbi(svc, RULES_DB_HELD), hh, strlen(hh), &rul__held__descriptor,
                      (ProtobufCMessage **)&h);
    if (*rc == 0)
        return h;
    if (*rc == MDB_CORRUPTED) {   /* a note that does not unpack is dropped, not fatal */
        sais_warn("held note of household %s does not unpack; its causes are lost", hh);
        *rc = 0;
        return NULL;
    }
    return NULL;
}

int rules_hold_note(sais_svc_t *svc, MDB_txn *txn, const char *hh, Sais__Evidence *const *cause, size_t ncause)
{
    int rc;
    Rul__Held *was = held_get(svc, txn, hh, &rc);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    Sais__Evidence *all[RULES_HELD_CAUSES];
    size_t n = 0, more = was ? was->more : 0;
    for (size_t i = 0; was && i < was->n_cause; i++)
        if (n < RULES_HELD_CAUSES)
            all[n++] = was->cause[i];
        else
            more++;
    for (size_t i = 0; i < ncause; i++)
        if (n < RULES_HELD_CAUSES)
            all[n++] = cause[i];
        else
            more++;
    Rul__Held h = RUL__HELD__INIT;
    h.cause = all;
    h.n_cause = n;
    h.more = (uint32_t)(more > UINT32_MAX ? UINT32_MAX : more);
    rc = sais_put_pb(txn, sais_svc_dbi(svc, RULES_DB_HELD), hh, strlen(hh), &h.base);
    if (was)
        rul__held__free_unpacked(was, NULL);
    return rc;
}

/* The noted causes first, then this change's, as one list for rules_decide. */
int rules_hold_decide(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic, Sais__Evidence *const *cause,
                      size_t ncause, unsigned char *kept, size_t *keptlen)
{
    int rc;
    Rul__Held *was = held_get(svc, txn, pic->household_id, &rc);
    if (rc == MDB_NOTFOUND)
        return rules_decide(svc, txn, pic, cause, ncause, kept, keptlen);
    if (rc != 0)
        return rc;
    if (was == NULL) {   /* a note that did not unpack: decided on this change's causes */
        rc = rules_decide(svc, txn, pic, cause, ncause, kept, keptlen);
        if (rc == 0)
            rc = sais_del(txn, sais_svc_dbi(svc, RULES_DB_HELD), pic->household_id, strlen(pic->household_id));
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    Sais__Evidence *all[2 * RULES_HELD_CAUSES];
    size_t n = 0;
    for (size_t i = 0; i < was->n_cause && n < RULES_HELD_CAUSES; i++)
        all[n++] = was->cause[i];
    for (size_t i = 0; i < ncause && n < 2 * RULES_HELD_CAUSES; i++)
        all[n++] = cause[i];
    rc = rules_decide(svc, txn, pic, all, n, kept, keptlen);
    rul__held__free_unpacked(was, NULL);
    if (rc == 0)
        rc = sais_del(txn, sais_svc_dbi(svc, RULES_DB_HELD), pic->household_id, strlen(pic->household_id));
    return rc == MDB_NOTFOUND ? 0 : rc;
}

typedef struct {
    sais_svc_t *svc;
    size_t      slice;
    size_t      done;
    bool        empty;
} drain_ctx_t;

/* One slice: the first noted households, each decided on its stored picture, its note gone. */
static int drain_fn(MDB_txn *txn, void *vctx)
{
    drain_ctx_t *c = vctx;
    MDB_dbi held = sais_svc_dbi(c->svc, RULES_DB_HELD);
    c->done = 0;
    c->empty = false;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, held, &cur);
    if (rc != 0)
        return rc;
    while (c->done < c->slice) {
        MDB_val k, v;
        /* from the first each time: the one before was deleted */
        if ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) != 0)
            break;
        char hh[256];
        snprintf(hh, sizeof hh, "%.*s", (int)(k.mv_size < 255 ? k.mv_size : 255), (const char *)k.mv_data);
        Rul__Held *h = rul__held__unpack(NULL, v.mv_size, v.mv_data);
        Ver__Picture *pic = NULL;
        int r = sais_get_pb(txn, sais_svc_dbi(c->svc, RULES_DB_PICTURES), k.mv_data, k.mv_size,
                            &ver__picture__descriptor, (ProtobufCMessage **)&pic);
        if (r == 0) {
            unsigned char kept[RULES_KEPT_BYTES];
            size_t keptlen = 0;
            r = rules_decide(c->svc, txn, pic, h ? h->cause : NULL, h ? h->n_cause : 0, kept, &keptlen);
            if (r == 0)
                r = rules_picture_put(c->svc, txn, pic, kept, keptlen);
            ver__picture__free_unpacked(pic, NULL);
        } else if (r == MDB_NOTFOUND || r == MDB_CORRUPTED) {
            sais_warn("held household %s has no readable picture; its note is dropped", hh);
            r = 0;
        }
        if (h)
            rul__held__free_unpacked(h, NULL);
        if (r == 0)
            r = sais_del(txn, held, hh, strlen(hh));
        if (r != 0) {
            mdb_cursor_close(cur);
            return r;
        }
        c->done++;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        c->empty = true;
        rc = 0;
    }
    return rc;
}

#define VERIFY_WAIT_MAX_MS (30 * 60 * 1000)   /* no word from verify: decided without it */

/* verify's last word (refresh.held or refresh.released), kept so that a rules started on its
 * own after verify has released does not wait VERIFY_WAIT_MAX_MS for a word already taken in */
#define VERIFY_WORD_KEY "verify_refresh"

int rules_hold_verify_said(sais_svc_t *svc, MDB_txn *txn, bool released)
{
    rules_state_t *st = sais_svc_state(svc);
    const char *word = released ? "released" : "held";
    int rc = sais_put(txn, sais_svc_dbi(svc, "_meta"), VERIFY_WORD_KEY, strlen(VERIFY_WORD_KEY), word, strlen(word));
    if (rc != 0 || !st)
        return rc;
    if (!released) {
        /* verify owes refreshes across batches again: a drain waits for its next release */
        st->drain_ready = false;
        st->drain_asked_at = 0;
    } else if (!st->drain_ready) {
        st->drain_ready = true;
        if (st->draining)
            sais_info("outreach released: verify's held refreshes are in; deciding the held households");
    }
    return 0;
}

/* True once verify's refresh.released has been taken in (every household verify announced on
 * release is then decided), or verify has said nothing for VERIFY_WAIT_MAX_MS. */
static bool verify_released(rules_state_t *st)
{
    if (st->drain_ready)
        return true;
    if (!st->drain_asked_at)
        st->drain_asked_at = sais_clock_ms();
    if (sais_clock_ms() - st->drain_asked_at < VERIFY_WAIT_MAX_MS)
        return false;
    sais_warn("outreach released: no refresh.released from verify in %d minutes; the held households are "
              "decided on the pictures stored here", VERIFY_WAIT_MAX_MS / 60000);
    return st->drain_ready = true;
}

void rules_hold_drain(sais_svc_t *svc)
{
    rules_state_t *st = sais_svc_state(svc);
    if (!verify_released(st))
        return;   /* the next tick looks again */
    drain_ctx_t c = {svc, st->hold_slice, 0, false};
    int rc = sais_svc_write(svc, drain_fn, &c);
    if (rc != 0) {
        sais_error("deciding the households held while outreach was held failed (%d); trying again", rc);
        return;
    }
    st->held_done += c.done;
    if (c.empty) {
        st->draining = false;
        sais_info("outreach released: %zu held households decided", st->held_done);
    } else
        sais_svc_tick_again(svc);
}

static int count_fn(MDB_txn *txn, void *vctx)
{
    rules_state_t *st = sais_svc_state(vctx);
    int rc = sais_entries(txn, sais_svc_dbi(vctx, RULES_DB_HELD), &st->held_waiting);
    MDB_val word;
    int w = rc ? rc : sais_get(txn, sais_svc_dbi(vctx, "_meta"), VERIFY_WORD_KEY, strlen(VERIFY_WORD_KEY), &word);
    if (w == 0)
        st->drain_ready = word.mv_size == 8 && memcmp(word.mv_data, "released", 8) == 0;
    return w == MDB_NOTFOUND ? 0 : w;
}

int rules_hold_status(sais_svc_t *svc, MDB_txn *txn, sais_jw_t *w)
{
    rules_state_t *st = sais_svc_state(svc);
    size_t held;
    int rc = sais_entries(txn, sais_svc_dbi(svc, RULES_DB_HELD), &held);
    if (rc != 0)
        return rc;
    sais_jw_kstr(w, "outreach", !st ? "unknown" : st->hold ? "held" : st->draining ? "releasing" : "on");
    sais_jw_kint(w, "held_households", (int64_t)held);
    return 0;
}

int rules_hold_start(sais_svc_t *svc)
{
    rules_state_t *st = sais_svc_state(svc);
    int rc = sais_store_read(sais_svc_store(svc), count_fn, svc);
    if (rc != 0)
        return rc;
    if (st->hold)
        sais_info("outreach held (rules.outreach = hold): changes are stored and decided on release; "
                  "%zu households waiting", st->held_waiting);
    else if (st->held_waiting > 0) {
        st->draining = true;
        sais_info("outreach released: deciding the %zu households held%s", st->held_waiting,
                  st->drain_ready ? "" : " once verify has released its own");
    }
    return 0;
}
