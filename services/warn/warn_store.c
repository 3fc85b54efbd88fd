/* warn_store — households and alerts in warn's LMDB (layout in warn_internal.h). Every
 * function runs inside the caller's write (or read) transaction and has no effect outside
 * it, so a transaction redone after MDB_MAP_FULL does everything exactly once. */
#include "warn_internal.h"
#include "sais_clock.h"
#include "sais_index.h"
#include "sais_log.h"
#include "sais_mask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool s_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *s_date(long day, char out[11])
{
    out[0] = '\0';
    if (day >= 0)
        sais_date_format(day, out);
    return out;
}

/* ---------------------------------------------------------------- keys */

size_t warn_key_pair(char *out, size_t outlen, const char *a, const char *b)
{
    return sais_index_pair(out, outlen, a, b);
}

size_t warn_key_sched(char *out, size_t outlen, long day, char type, const char *household_id)
{
    char date[11], t[2] = {type, '\0'};
    sais_date_format(day, date);
    size_t n = warn_key_pair(out, outlen, date, t);
    size_t lh = strlen(household_id);
    if (n == 0 || n + 1 + lh > outlen)
        return 0;
    out[n] = '\0';
    memcpy(out + n + 1, household_id, lh);
    return n + 1 + lh;
}

size_t warn_key_followup(char *out, size_t outlen, long day, const char *household_id)
{
    char date[11];
    sais_date_format(day, date);
    return warn_key_pair(out, outlen, date, household_id);
}

/* ---------------------------------------------------------------- households */

void warn_hh_clear(warn_hh_t *hh)
{
    if (hh->rec)
        wst__household__free_unpacked(hh->rec, NULL);
    warn_flags_clear(&hh->flags);
    free(hh->ents);
    memset(hh, 0, sizeof *hh);
}

static void s_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

int warn_hh_load(sais_svc_t *svc, MDB_txn *txn, const char *household_id, warn_hh_t *hh)
{
    memset(hh, 0, sizeof *hh);
    hh->last_check = hh->recheck_due = hh->followup_due = hh->last_visit_at = -1;
    size_t len = household_id ? strlen(household_id) : 0;
    if (len == 0 || len > WARN_HID_MAX)
        return MDB_BAD_VALSIZE;
    memcpy(hh->household_id, household_id, len + 1);
    ProtobufCMessage *m = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, "households"), household_id, len,
                         &wst__household__descriptor, &m);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    Wst__Household *r = (Wst__Household *)m;
    hh->rec = r;
    hh->found = true;
    s_copy(hh->region, sizeof hh->region, r->region);
    hh->picture = r->picture;
    hh->flags.hh = r->flags;
    for (size_t i = 0; i < r->n_members; i++) {
        warn_mflag_t *mf = warn_flags_member(&hh->flags, r->members[i]->id_number);
        if (!mf)
            return -1;
        mf->bits = r->members[i]->bits;
        mf->dead_on = warn_day_parse(r->members[i]->dead_on);
        mf->jailed_on = warn_day_parse(r->members[i]->jailed_on);
    }
    if (r->n_ents) {
        hh->ents = calloc(r->n_ents, sizeof *hh->ents);
        if (!hh->ents)
            return -1;
        hh->capents = r->n_ents;
    }
    for (size_t i = 0; i < r->n_ents; i++) {
        const Wst__Ent *s = r->ents[i];
        warn_ent_t *e = &hh->ents[hh->nents++];
        s_copy(e->entitlement_id, sizeof e->entitlement_id, s->entitlement_id);
        s_copy(e->policy, sizeof e->policy, s->policy);
        s_copy(e->period, sizeof e->period, s->period);
        s_copy(e->status, sizeof e->status, s->status);
        s_copy(e->change, sizeof e->change, s->change);
        e->amount = s->amount;
        e->previous_amount = s->previous_amount;
        e->changed_on = warn_day_parse(s->changed_on);
        e->granted_on = warn_day_parse(s->granted_on);
    }
    hh->last_check = warn_day_parse(r->last_check);
    hh->recheck_due = warn_day_parse(r->recheck_due);
    hh->recheck_raised = r->recheck_raised;
    s_copy(hh->followup_visit, sizeof hh->followup_visit, r->followup_visit);
    hh->followup_due = warn_day_parse(r->followup_due);
    s_copy(hh->last_visit, sizeof hh->last_visit, r->last_visit);
    hh->last_visit_at = warn_day_parse(r->last_visit_at);
    return 0;
}

bool warn_hh_able(const warn_hh_t *hh)
{
    for (size_t i = 0; hh->picture && i < hh->picture->n_members; i++)
        if (hh->picture->members[i]->counted && hh->picture->members[i]->able_to_work)
            return true;
    return false;
}

const warn_ent_t *warn_hh_dibao(const warn_hh_t *hh)
{
    for (size_t i = 0; i < hh->nents; i++)
        if (warn_ent_in_force(&hh->ents[i], "dibao", -1))
            return &hh->ents[i];
    return NULL;
}

static const char *s_change_of(const char *event_type)
{
    static const struct { const char *type, *change; } map[] = {
        {"entitlement.granted", "granted"},     {"entitlement.changed", "amount_changed"},
        {"entitlement.suspended", "suspended"}, {"entitlement.resumed", "resumed"},
        {"entitlement.stopped", "stopped"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (s_eq(event_type, map[i].type))
            return map[i].change;
    return "";
}

warn_ent_t *warn_hh_ent_set(warn_hh_t *hh, const Rul__Entitlement *e, const char *event_type,
                            long today)
{
    warn_ent_t *x = NULL;
    for (size_t i = 0; i < hh->nents && !x; i++)
        if (s_eq(hh->ents[i].entitlement_id, e->entitlement_id))
            x = &hh->ents[i];
    /* a proactive case intake already decided stays decided, whichever producer's event
     * reached warn first (intake's decision can overtake rules' case.proactive) */
    if (x && s_eq(e->status, "proposed")
        && (s_eq(x->status, "approved") || s_eq(x->status, "rejected") || s_eq(x->status, "withdrawn")))
        return x;
    if (!x) {
        if (hh->nents == hh->capents) {
            size_t cap = hh->capents ? hh->capents * 2 : 4;
            warn_ent_t *v = realloc(hh->ents, cap * sizeof *v);
            if (!v)
                return NULL;
            hh->ents = v;
            hh->capents = cap;
        }
        x = &hh->ents[hh->nents++];
        memset(x, 0, sizeof *x);
    }
    s_copy(x->entitlement_id, sizeof x->entitlement_id, e->entitlement_id);
    s_copy(x->policy, sizeof x->policy, e->policy);
    s_copy(x->period, sizeof x->period, e->period);
    s_copy(x->status, sizeof x->status, e->status);
    /* rules says "changed" for a new amount; the schema documents "amount_changed" */
    const char *change = e->change && *e->change ? e->change : s_change_of(event_type);
    s_copy(x->change, sizeof x->change, strcmp(change, "changed") == 0 ? "amount_changed" : change);
    x->amount = e->amount;
    x->previous_amount = e->previous_amount;
    x->changed_on = warn_day_of(e->changed_at);
    if (x->changed_on < 0)
        x->changed_on = warn_day_of(e->granted_at);
    if (x->changed_on < 0)
        x->changed_on = today;
    x->granted_on = warn_day_of(e->granted_at);
    if (x->granted_on < 0)
        x->granted_on = x->changed_on;
    /* a dibao grant is a verification: the re-check clock starts again from it */
    if (warn_ent_in_force(x, "dibao", -1) && x->granted_on > hh->last_check)
        hh->last_check = x->granted_on;
    return x;
}

/* Moves the household's re-check timer to where its state puts it. */
static int s_reschedule(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh)
{
    const warn_ent_t *dibao = warn_hh_dibao(hh);
    long due = dibao ? warn_recheck_due(&warn_state(svc)->params, hh->last_check, warn_hh_able(hh)) : -1;
    if (due == hh->recheck_due)
        return 0;
    MDB_dbi dbi = sais_svc_dbi(svc, "schedule");
    char key[128];
    size_t n;
    int rc;
    if (hh->recheck_due >= 0 && !hh->recheck_raised
        && (n = warn_key_sched(key, sizeof key, hh->recheck_due, 'r', hh->household_id))) {
        rc = sais_del(txn, dbi, key, n);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
    }
    if (due >= 0 && (n = warn_key_sched(key, sizeof key, due, 'r', hh->household_id))) {
        rc = sais_put(txn, dbi, key, n, "", 0);
        if (rc != 0)
            return rc;
    }
    hh->recheck_due = due;
    hh->recheck_raised = false;
    return 0;
}

typedef struct {
    char dead_on[11], jailed_on[11];
} s_mdates_t;

typedef struct {
    char changed_on[11], granted_on[11];
} s_edates_t;

int warn_hh_save(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh)
{
    int rc = s_reschedule(svc, txn, hh);
    if (rc != 0)
        return rc;
    size_t nm = hh->flags.n, ne = hh->nents;
    Wst__MemberFlags *mf = calloc(nm ? nm : 1, sizeof *mf);
    Wst__MemberFlags **mfp = calloc(nm ? nm : 1, sizeof *mfp);
    s_mdates_t *md = calloc(nm ? nm : 1, sizeof *md);
    Wst__Ent *es = calloc(ne ? ne : 1, sizeof *es);
    Wst__Ent **esp = calloc(ne ? ne : 1, sizeof *esp);
    s_edates_t *ed = calloc(ne ? ne : 1, sizeof *ed);
    uint8_t *buf = NULL;
    rc = -1;
    if (!mf || !mfp || !md || !es || !esp || !ed)
        goto done;
    for (size_t i = 0; i < nm; i++) {
        wst__member_flags__init(&mf[i]);
        mf[i].id_number = hh->flags.m[i].id_number;
        mf[i].bits = hh->flags.m[i].bits;
        mf[i].dead_on = (char *)s_date(hh->flags.m[i].dead_on, md[i].dead_on);
        mf[i].jailed_on = (char *)s_date(hh->flags.m[i].jailed_on, md[i].jailed_on);
        mfp[i] = &mf[i];
    }
    for (size_t i = 0; i < ne; i++) {
        const warn_ent_t *e = &hh->ents[i];
        wst__ent__init(&es[i]);
        es[i].entitlement_id = (char *)e->entitlement_id;
        es[i].policy = (char *)e->policy;
        es[i].period = (char *)e->period;
        es[i].status = (char *)e->status;
        es[i].change = (char *)e->change;
        es[i].amount = e->amount;
        es[i].previous_amount = e->previous_amount;
        es[i].changed_on = (char *)s_date(e->changed_on, ed[i].changed_on);
        es[i].granted_on = (char *)s_date(e->granted_on, ed[i].granted_on);
        esp[i] = &es[i];
    }
    char last_check[11], recheck_due[11], followup_due[11], last_visit_at[11];
    Wst__Household r = WST__HOUSEHOLD__INIT;
    r.household_id = hh->household_id;
    r.region = hh->region;
    r.picture = (Ver__Picture *)hh->picture;
    r.flags = hh->flags.hh;
    r.n_members = nm;
    r.members = mfp;
    r.n_ents = ne;
    r.ents = esp;
    r.last_check = (char *)s_date(hh->last_check, last_check);
    r.recheck_due = (char *)s_date(hh->recheck_due, recheck_due);
    r.recheck_raised = hh->recheck_raised;
    r.followup_visit = hh->followup_visit;
    r.followup_due = (char *)s_date(hh->followup_due, followup_due);
    r.last_visit = hh->last_visit;
    r.last_visit_at = (char *)s_date(hh->last_visit_at, last_visit_at);

    size_t len = wst__household__get_packed_size(&r);
    buf = malloc(len ? len : 1);
    if (!buf)
        goto done;
    wst__household__pack(&r, buf);
    MDB_dbi dbi = sais_svc_dbi(svc, "households");
    size_t klen = strlen(hh->household_id);
    MDB_val old;
    rc = sais_get(txn, dbi, hh->household_id, klen, &old);
    if (rc == 0 && old.mv_size == len && memcmp(old.mv_data, buf, len) == 0)
        goto done; /* nothing changed: no write, no dirty page */
    if (rc != 0 && rc != MDB_NOTFOUND)
        goto done;
    rc = sais_put(txn, dbi, hh->household_id, klen, buf, len);
done:
    free(buf);
    free(mf);
    free(mfp);
    free(md);
    free(es);
    free(esp);
    free(ed);
    return rc;
}

/* ---------------------------------------------------------------- alerts */

int warn_alert_get(sais_svc_t *svc, MDB_txn *txn, const char *alert_id, Wrn__Alert **out)
{
    *out = NULL;
    if (!alert_id || !*alert_id || strlen(alert_id) > 64)
        return MDB_NOTFOUND;
    ProtobufCMessage *m = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, "alerts"), alert_id, strlen(alert_id),
                         &wrn__alert__descriptor, &m);
    if (rc == 0)
        *out = (Wrn__Alert *)m;
    return rc;
}

int warn_alert_open(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const char *kind,
                    Wrn__Alert **out)
{
    *out = NULL;
    char key[WARN_HID_MAX + 64], id[72];
    size_t n = warn_key_pair(key, sizeof key, household_id, kind);
    if (n == 0)
        return MDB_NOTFOUND;
    MDB_val v;
    int rc = sais_get(txn, sais_svc_dbi(svc, "open"), key, n, &v);
    if (rc != 0)
        return rc;
    if (v.mv_size == 0 || v.mv_size >= sizeof id)
        return MDB_CORRUPTED;
    memcpy(id, v.mv_data, v.mv_size);
    id[v.mv_size] = '\0';
    return warn_alert_get(svc, txn, id, out);
}

int warn_alert_index(sais_svc_t *svc, MDB_txn *txn, const Wrn__Alert *a)
{
    char key[WARN_HID_MAX + 80];
    size_t n = warn_key_pair(key, sizeof key, a->household_id, a->alert_id);
    if (n == 0)
        return 0; /* an id too long to index is still listed by the whole-city walk */
    return sais_put(txn, sais_svc_dbi(svc, "hhalerts"), key, n, "", 0);
}

static size_t s_alert_key(const MDB_val *k, const MDB_val *v, char *out, size_t outlen)
{
    (void)k;
    return sais_index_pb_pair(v, &wrn__alert__descriptor, "household_id", "alert_id", out, outlen);
}

int warn_alert_index_backfill(sais_svc_t *svc)
{
    return sais_index_backfill(sais_svc_store(svc), "alerts", "hhalerts", s_alert_key, "warn alerts by household");
}

int warn_alert_put(sais_svc_t *svc, MDB_txn *txn, const Wrn__Alert *a)
{
    int rc = sais_put_pb(txn, sais_svc_dbi(svc, "alerts"), a->alert_id, strlen(a->alert_id), &a->base);
    if (rc != 0)
        return rc;
    if ((rc = warn_alert_index(svc, txn, a)) != 0)
        return rc;
    char key[WARN_HID_MAX + 64];
    size_t n = warn_key_pair(key, sizeof key, a->household_id, a->kind);
    if (n == 0)
        return 0;
    MDB_dbi open = sais_svc_dbi(svc, "open");
    if (!s_eq(a->status, "resolved"))
        return sais_put(txn, open, key, n, a->alert_id, strlen(a->alert_id));
    MDB_val v;
    rc = sais_get(txn, open, key, n, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (v.mv_size == strlen(a->alert_id) && memcmp(v.mv_data, a->alert_id, v.mv_size) == 0)
        return sais_del(txn, open, key, n);
    return 0;
}

static bool s_pick(const warn_signal_t *sig, const Sais__Evidence *e)
{
    return !sig->source || s_eq(e->source, sig->source);
}

/* Adds the evidence the signal may bring: its source's items, or (for a happening, when it
 * brought none of its source) all of them. Returns the number added, -1 on OOM. */
static int s_add_evidence(Wrn__Alert *a, const warn_signal_t *sig, Sais__Evidence *const *ev, size_t nev)
{
    bool any = false;
    for (size_t i = 0; i < nev && !any; i++)
        any = s_pick(sig, ev[i]);
    int added = 0;
    for (size_t i = 0; i < nev; i++) {
        if (any ? !s_pick(sig, ev[i]) : !sig->raise)
            continue;
        int r = warn_alert_add_evidence(a, ev[i]->source, ev[i]->record_id, ev[i]->batch_id);
        if (r < 0)
            return -1;
        added += r;
    }
    return added;
}

/* "...; a further member (<source> record <id>): <that signal's detail>", within bounds: the
 * record names whose it is without putting an ID number into free text. */
static int s_note_member(Wrn__Alert *a, const warn_signal_t *sig, Sais__Evidence *const *ev, size_t nev)
{
    const Sais__Evidence *e = NULL;
    for (size_t i = 0; i < nev && !e; i++)
        if (s_pick(sig, ev[i]))
            e = ev[i];
    const char *cur = a->detail ? a->detail : "";
    if (strlen(cur) > 1500)
        return 0;
    size_t n = strlen(cur) + strlen(sig->detail) + 200;
    char *d = malloc(n);
    if (!d)
        return -1;
    if (e && e->source && e->record_id)
        snprintf(d, n, "%s; a further member (%s record %.64s): %s", cur, e->source, e->record_id, sig->detail);
    else
        snprintf(d, n, "%s; a further member: %s", cur, sig->detail);
    int rc = warn_pb_strset(&a->detail, d) ? -1 : 0;
    free(d);
    return rc;
}

static int s_emit(sais_svc_t *svc, MDB_txn *txn, const char *type, const Wrn__Alert *a)
{
    return sais_svc_emit(svc, txn, type, a->region, &a->base);
}

int warn_apply_signal(sais_svc_t *svc, MDB_txn *txn, const warn_hh_t *hh,
                      const warn_signal_t *sig, Sais__Evidence *const *ev, size_t nev,
                      warn_tally_t *tally)
{
    Wrn__Alert *a = NULL;
    int rc = warn_alert_open(svc, txn, hh->household_id, sig->kind, &a);
    if (rc == 0 && sig->person && !s_eq(a->id_number, sig->id_number)) {
        wrn__alert__free_unpacked(a, NULL); /* a repeat about another member: not this alert's */
        return 0;
    }
    if (rc == 0) {
        /* one open alert per (household, kind): a repeated signal only adds to it. A new
         * signal about another member (a second member's severe disability, a second death)
         * joins it too, and the detail says so: the alert names its first member only. */
        bool other = sig->raise && sig->id_number[0] && !s_eq(a->id_number, sig->id_number);
        int m = warn_alert_merge(a, sig);
        int added = m < 0 ? -1 : s_add_evidence(a, sig, ev, nev);
        if (m >= 0 && added > 0 && other && s_note_member(a, sig, ev, nev) != 0)
            added = -1;
        if (m < 0 || added < 0) {
            rc = -1;
        } else if (m > 0 || added > 0) {
            a->updated_at = sais_clock_now();
            rc = warn_alert_put(svc, txn, a);
            if (rc == 0)
                rc = s_emit(svc, txn, "alert.evidence", a);
            if (rc == 0 && tally)
                tally->evidence++;
        }
        wrn__alert__free_unpacked(a, NULL);
        return rc;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    if (!sig->raise)
        return 0;

    uint64_t n;
    rc = sais_next_id(sais_svc_store(svc), txn, "alert", &n);
    if (rc != 0)
        return rc;
    char id[32];
    snprintf(id, sizeof id, "AL%08llu", (unsigned long long)n);
    a = warn_alert_new(id, hh->household_id, hh->region, sig, sais_clock_now());
    if (!a)
        return -1;
    rc = s_add_evidence(a, sig, ev, nev) < 0 ? -1 : 0;
    /* rules may have reacted before warn saw the happening: record what it did */
    long since = sig->day >= 0 ? sig->day : hh->picture ? warn_day_parse(hh->picture->as_of) : -1;
    for (size_t i = 0; rc == 0 && i < hh->nents; i++) {
        if (since < 0 || !warn_ent_relates(sig->kind, &hh->ents[i], since))
            continue;
        char action[256];
        warn_ent_action(&hh->ents[i], action, sizeof action);
        if (warn_alert_add_action(a, action) < 0)
            rc = -1;
    }
    if (rc == 0)
        rc = warn_alert_put(svc, txn, a);
    if (rc == 0)
        rc = s_emit(svc, txn, "alert.raised", a);
    if (rc == 0 && tally)
        tally->raised++;
    if (rc == 0)
        sais_debug("alert %s %s raised for household %s", a->alert_id, a->kind, a->household_id);
    wrn__alert__free_unpacked(a, NULL);
    return rc;
}

int warn_apply_signals(sais_svc_t *svc, MDB_txn *txn, const warn_hh_t *hh,
                       const warn_signals_t *sigs, Sais__Evidence *const *ev, size_t nev,
                       warn_tally_t *tally)
{
    for (size_t i = 0; i < sigs->n; i++) {
        int rc = warn_apply_signal(svc, txn, hh, &sigs->v[i], ev, nev, tally);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int warn_alert_close(sais_svc_t *svc, MDB_txn *txn, Wrn__Alert *a, const char *outcome,
                     const char *note)
{
    if (warn_pb_strset(&a->status, "resolved") || warn_pb_strset(&a->outcome, outcome)
        || (note && warn_pb_strset(&a->note, note)))
        return -1;
    a->updated_at = sais_clock_now();
    int rc = warn_alert_put(svc, txn, a);
    if (rc == 0)
        rc = s_emit(svc, txn, "alert.resolved", a);
    return rc;
}

int warn_alert_close_open(sais_svc_t *svc, MDB_txn *txn, const char *household_id,
                          const char *kind, const char *outcome, const char *note,
                          warn_tally_t *tally)
{
    Wrn__Alert *a = NULL;
    int rc = warn_alert_open(svc, txn, household_id, kind, &a);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    rc = warn_alert_close(svc, txn, a, outcome, note);
    if (rc == 0 && tally)
        tally->resolved++;
    wrn__alert__free_unpacked(a, NULL);
    return rc;
}

int warn_alert_annotate(sais_svc_t *svc, MDB_txn *txn, const warn_hh_t *hh, const warn_ent_t *e)
{
    static const char *const kinds[] = {WARN_K_DECEASED, WARN_K_INCARCERATED, WARN_K_CATASTROPHIC, NULL};
    char action[256];
    warn_ent_action(e, action, sizeof action);
    for (size_t k = 0; kinds[k]; k++) {
        if (!warn_ent_relates(kinds[k], e, -1))
            continue;
        Wrn__Alert *a = NULL;
        int rc = warn_alert_open(svc, txn, hh->household_id, kinds[k], &a);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc != 0)
            return rc;
        int added = warn_alert_add_action(a, action);
        if (added < 0) {
            rc = -1;
        } else if (added > 0) {
            a->updated_at = sais_clock_now();
            rc = warn_alert_put(svc, txn, a);
        }
        wrn__alert__free_unpacked(a, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- JSON */

void warn_alert_json(sais_jw_t *w, const Wrn__Alert *a, const Sais__Request *req)
{
    char masked[32];
    const char *id = a->id_number;
    if (id && *id && (strcmp(sais_req_role(req), "charity") == 0 || !sais_req_sees_region(req, a->region)))
        id = sais_mask_id(id, masked, sizeof masked);
    sais_jw_obj(w);
    sais_jw_kstr(w, "alert_id", a->alert_id);
    sais_jw_kstr(w, "kind", a->kind);
    sais_jw_kstr(w, "severity", a->severity);
    sais_jw_kstr(w, "household_id", a->household_id);
    sais_jw_kstr(w, "id_number", id);
    sais_jw_kstr(w, "region", a->region);
    sais_jw_kstr(w, "status", a->status);
    sais_jw_ktime(w, "raised_at", a->raised_at);
    sais_jw_ktime(w, "updated_at", a->updated_at);
    sais_jw_kstr(w, "detail", a->detail);
    sais_jw_key(w, "evidence");
    sais_jw_arr(w);
    for (size_t i = 0; i < a->n_evidence; i++) {
        sais_jw_obj(w);
        sais_jw_kstr(w, "source", a->evidence[i]->source);
        sais_jw_kstr(w, "record_id", a->evidence[i]->record_id);
        if (a->evidence[i]->batch_id && *a->evidence[i]->batch_id)
            sais_jw_kstr(w, "batch_id", a->evidence[i]->batch_id);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    sais_jw_key(w, "actions");
    sais_jw_arr(w);
    for (size_t i = 0; i < a->n_actions; i++)
        sais_jw_str(w, a->actions[i]);
    sais_jw_arr_end(w);
    if (a->note && *a->note)
        sais_jw_kstr(w, "note", a->note);
    else {
        sais_jw_key(w, "note");
        sais_jw_null(w);
    }
    if (a->outcome && *a->outcome)
        sais_jw_kstr(w, "outcome", a->outcome);
    else {
        sais_jw_key(w, "outcome");
        sais_jw_null(w);
    }
    sais_jw_obj_end(w);
}
