/* warn_compare — the timers kept as state (on_tick) and compare.run, the safety net that
 * re-runs every signal over every stored household. */
#include "warn_internal.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_BATCH 1000   /* timers handled per write transaction */

/* ---------------------------------------------------------------- timers */

static int s_recheck_due(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh, long day)
{
    const warn_ent_t *dibao = warn_hh_dibao(hh);
    if (hh->recheck_due != day || hh->recheck_raised || !dibao)
        return 0; /* a timer left behind by a change: nothing is due */
    warn_signal_t sig = {.kind = WARN_K_RECHECK, .severity = "low", .source = "rules", .raise = true, .day = -1};
    char due[11], last[11] = "?";
    sais_date_format(day, due);
    if (hh->last_check >= 0)
        sais_date_format(hh->last_check, last);
    snprintf(sig.id_number, sizeof sig.id_number, "%s", hh->picture && hh->picture->head_id ? hh->picture->head_id : "");
    snprintf(sig.detail, sizeof sig.detail, "dibao re-check due on %s: last verified or granted on %s%s", due, last,
             warn_hh_able(hh) ? " (a member can work)" : "");
    Sais__Evidence e = SAIS__EVIDENCE__INIT, *ev[1] = {&e};
    e.source = "rules";
    e.record_id = (char *)dibao->entitlement_id;
    int rc = warn_apply_signal(svc, txn, hh, &sig, ev, 1, NULL);
    if (rc != 0)
        return rc;
    hh->recheck_raised = true;
    return warn_hh_save(svc, txn, hh);
}

static int s_follow_up_overdue(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh, long day)
{
    if (!*hh->followup_visit || hh->followup_due + 1 != day)
        return 0;
    warn_signal_t sig = {.kind = WARN_K_FOLLOW_UP, .severity = "medium", .source = "visit", .raise = true, .day = -1};
    char due[11];
    sais_date_format(hh->followup_due, due);
    snprintf(sig.id_number, sizeof sig.id_number, "%s", hh->picture && hh->picture->head_id ? hh->picture->head_id : "");
    snprintf(sig.detail, sizeof sig.detail, "follow-up of visit %s was due on %s and no later visit is recorded",
             hh->followup_visit, due);
    Sais__Evidence e = SAIS__EVIDENCE__INIT, *ev[1] = {&e};
    e.source = "visit";
    e.record_id = hh->followup_visit;
    return warn_apply_signal(svc, txn, hh, &sig, ev, 1, NULL);
}

typedef struct {
    sais_svc_t *svc;
    long        today;
    size_t      handled;
} s_tick_t;

static int s_tick_fn(MDB_txn *txn, void *vctx)
{
    s_tick_t *t = vctx;
    MDB_dbi dbi = sais_svc_dbi(t->svc, "schedule");
    t->handled = 0;
    for (;;) {
        /* take the first due timer, delete it, act on it; the cursor is not held across the
         * writes the action makes */
        MDB_cursor *cur;
        int rc = mdb_cursor_open(txn, dbi, &cur);
        if (rc != 0)
            return rc;
        MDB_val k, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        char key[512]; /* LMDB keys are at most 511 bytes */
        size_t klen = rc == 0 && k.mv_size <= sizeof key ? k.mv_size : 0;
        if (klen)
            memcpy(key, k.mv_data, klen);
        mdb_cursor_close(cur);
        if (rc == MDB_NOTFOUND)
            return t->handled ? 0 : SAIS_TXN_ABORT;
        if (rc != 0)
            return rc;
        if (klen == 0)
            return MDB_CORRUPTED;
        long day = klen >= 13 ? sais_date_parse(key, 10) : -1;
        if (day > t->today || t->handled == TICK_BATCH)
            return t->handled ? 0 : SAIS_TXN_ABORT;
        if ((rc = sais_del(txn, dbi, key, klen)) != 0)
            return rc;
        t->handled++;
        if (day < 0) {
            sais_warn("malformed timer key dropped");
            continue;
        }
        char type = key[11];
        char hid[WARN_HID_MAX + 1];
        size_t hlen = klen - 13;
        if (hlen == 0 || hlen > WARN_HID_MAX)
            continue;
        memcpy(hid, key + 13, hlen);
        hid[hlen] = '\0';
        warn_hh_t hh;
        rc = warn_hh_load(t->svc, txn, hid, &hh);
        if (rc == 0 && hh.found)
            rc = type == 'r' ? s_recheck_due(t->svc, txn, &hh, day) : s_follow_up_overdue(t->svc, txn, &hh, day);
        warn_hh_clear(&hh);
        if (rc != 0)
            return rc;
    }
}

typedef struct {
    sais_svc_t *svc;
    long        today;
    bool        due;
} s_peek_t;

static int s_peek_fn(MDB_txn *txn, void *vctx)
{
    s_peek_t *p = vctx;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(p->svc, "schedule"), &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (rc == 0)
        p->due = k.mv_size < 10 || sais_date_parse(k.mv_data, 10) <= p->today;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

void warn_on_tick(sais_svc_t *svc)
{
    s_peek_t peek = {svc, sais_clock_today(), false};
    if (sais_store_read(sais_svc_store(svc), s_peek_fn, &peek) != 0 || !peek.due)
        return;
    s_tick_t t = {svc, peek.today, 0};
    int rc = sais_svc_write(svc, s_tick_fn, &t);
    if (rc != 0 && rc != SAIS_TXN_ABORT)
        sais_error("timers could not be processed (%d); will retry", rc);
}

/* ---------------------------------------------------------------- compare.run */

typedef struct {
    char  **ids;
    size_t  n, cap;
} s_ids_t;

static void s_ids_free(s_ids_t *ids)
{
    for (size_t i = 0; i < ids->n; i++)
        free(ids->ids[i]);
    free(ids->ids);
}

static int s_collect(sais_svc_t *svc, MDB_txn *txn, s_ids_t *ids)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, "households"), &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    MDB_cursor_op op = MDB_FIRST;
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        if (ids->n == ids->cap) {
            size_t cap = ids->cap ? ids->cap * 2 : 256;
            char **nv = realloc(ids->ids, cap * sizeof *nv);
            if (!nv) {
                rc = -1;
                break;
            }
            ids->ids = nv;
            ids->cap = cap;
        }
        char *id = strndup(k.mv_data, k.mv_size);
        if (!id) {
            rc = -1;
            break;
        }
        ids->ids[ids->n++] = id;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int warn_compare_run(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    long this_month = sais_month_of(sais_clock_today());
    const char *ms = sais_req_param(req, "month");
    long month = this_month;
    if (ms && *ms) {
        month = strlen(ms) == 7 ? sais_month_parse(ms, 7) : -1;
        if (month < 0)
            return sais_reply_invalid(reply, "month", "bad_month", "month must be YYYY-MM");
        if (month > this_month)
            return sais_reply_invalid(reply, "month", "future_month", "month is after the current month");
    }
    char mtext[8], record[24];
    sais_month_format(month, mtext);
    snprintf(record, sizeof record, "compare:%s", mtext);
    Sais__Evidence e = SAIS__EVIDENCE__INIT, *ev[1] = {&e};
    e.source = "compare";
    e.record_id = record;

    const warn_params_t *p = &warn_state(svc)->params;
    unsigned by_kind[16] = {0};
    warn_tally_t tally = {0};
    unsigned rescheduled = 0;
    s_ids_t ids = {0};
    int rc = s_collect(svc, txn, &ids);
    for (size_t i = 0; rc == 0 && i < ids.n; i++) {
        warn_hh_t hh;
        warn_signals_t sigs = {0};
        rc = warn_hh_load(svc, txn, ids.ids[i], &hh);
        if (rc == MDB_BAD_VALSIZE)
            rc = 0;
        else if (rc == 0)
            rc = warn_assess_household(p, hh.picture, hh.ents, hh.nents, &hh.flags, &sigs);
        for (size_t s = 0; rc == 0 && s < sigs.n; s++) {
            unsigned before = tally.raised;
            rc = warn_apply_signal(svc, txn, &hh, &sigs.v[s], ev, 1, &tally);
            for (size_t k = 0; rc == 0 && tally.raised > before && warn_kinds[k]; k++)
                if (strcmp(warn_kinds[k], sigs.v[s].kind) == 0)
                    by_kind[k]++;
        }
        long due = hh.recheck_due;
        if (rc == 0 && hh.found)
            rc = warn_hh_save(svc, txn, &hh);
        if (rc == 0 && hh.recheck_due != due)
            rescheduled++;
        warn_signals_clear(&sigs);
        warn_hh_clear(&hh);
    }
    size_t households = ids.n;
    s_ids_free(&ids);
    if (rc != 0)
        return rc;

    Wst__CompareRun run = WST__COMPARE_RUN__INIT;
    run.month = mtext;
    run.at = sais_clock_now();
    run.households = (uint32_t)households;
    run.raised = tally.raised;
    run.evidence = tally.evidence;
    run.rescheduled = rescheduled;
    if ((rc = sais_put_pb(txn, sais_svc_dbi(svc, "runs"), mtext, 7, &run.base)) != 0)
        return rc;
    if (tally.raised)
        sais_warn("compare %s raised %u alert(s) the event path had not", mtext, tally.raised);

    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "month", mtext);
    sais_jw_ktime(&w, "at", run.at);
    sais_jw_kint(&w, "households", (int64_t)households);
    sais_jw_kint(&w, "raised", tally.raised);
    sais_jw_kint(&w, "evidence_added", tally.evidence);
    sais_jw_kint(&w, "rescheduled", rescheduled);
    sais_jw_key(&w, "by_kind");
    sais_jw_obj(&w);
    for (size_t k = 0; warn_kinds[k]; k++)
        if (by_kind[k])
            sais_jw_kint(&w, warn_kinds[k], by_kind[k]);
    sais_jw_obj_end(&w);
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}
