/* rules — from a household's picture to entitlement changes (DOMAIN.md "Policies"). */
#include "rules.h"
#include "sais_index.h"
#include "rules_catalog.h"
#include "sais_clock.h"
#include "sais_log.h"
#include "sais_money.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key2(char *buf, size_t len, const char *a, const char *b)
{
    int n = snprintf(buf, len, "%s|%s", a, b);
    return (n > 0 && (size_t)n < len) ? n : -1;
}

int rules_paid_12m_at(sais_svc_t *svc, MDB_txn *txn, MDB_cursor *oneoff, const char *hh, const char *policy,
                      int64_t *out)
{
    char prefix[200];
    int n = snprintf(prefix, sizeof prefix, "%s|%s|", hh, policy);
    *out = 0;
    if (n <= 0 || (size_t)n >= sizeof prefix)
        return 0;
    long today = sais_clock_today();
    MDB_val k = {(size_t)n, prefix}, v;
    int rc;
    for (rc = mdb_cursor_get(oneoff, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(oneoff, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= (size_t)n || memcmp(k.mv_data, prefix, (size_t)n) != 0)
            break;
        const char *id = (const char *)k.mv_data + n;
        size_t idlen = k.mv_size - (size_t)n;
        Rul__Entitlement *e = NULL;
        int r = sais_get_pb(txn, sais_svc_dbi(svc, RULES_DB_ENTS), id, idlen, &rul__entitlement__descriptor,
                            (ProtobufCMessage **)&e);
        if (r != 0)
            continue;
        /* "the last 12 months" = the 365 days up to today, as for out-of-pocket costs */
        long granted_day = (long)((e->granted_at + 8 * 3600) / 86400);
        if (strcmp(e->status, "stopped") != 0 && today - granted_day <= 364)
            *out += e->amount;
        rul__entitlement__free_unpacked(e, NULL);
    }
    return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : rc;
}

int rules_paid_12m(sais_svc_t *svc, MDB_txn *txn, const char *hh, const char *policy, int64_t *out)
{
    MDB_cursor *cur;
    *out = 0;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, RULES_DB_ONEOFF), &cur);
    if (rc != 0)
        return rc;
    rc = rules_paid_12m_at(svc, txn, cur, hh, policy, out);
    mdb_cursor_close(cur);
    return rc;
}

typedef struct {
    sais_svc_t              *svc;
    MDB_txn                 *txn;
    const Ver__Picture      *pic;
    Sais__Evidence *const   *cause;
    size_t                   ncause;
    /* a dry run only finds out whether the results would change anything: every write
     * below is guarded by it, and sets `acts` instead */
    bool                     dry;
    bool                     acts;
} decide_ctx_t;

/* In a dry run: notes that a decision would be written, and tells the caller to stop there. */
static bool dry_stop(const decide_ctx_t *c)
{
    if (!c->dry)
        return false;
    ((decide_ctx_t *)c)->acts = true;
    return true;
}

/* Fills an entitlement's explanation (clauses) and evidence from a result; the strings are
 * borrowed from the result and the cause, so pack before they go. */
typedef struct {
    Rul__Clause   clauses[32];
    Rul__Clause  *pclauses[32];
} expl_t;

static void explain(Rul__Entitlement *e, const rules_result_t *r, expl_t *x, const decide_ctx_t *c)
{
    size_t n = r->nclauses < 32 ? r->nclauses : 32;
    for (size_t i = 0; i < n; i++) {
        rul__clause__init(&x->clauses[i]);
        x->clauses[i].clause = r->clauses[i].clause;
        x->clauses[i].passed = r->clauses[i].passed;
        x->clauses[i].detail = r->clauses[i].detail;
        x->pclauses[i] = &x->clauses[i];
    }
    e->explanation = x->pclauses;
    e->n_explanation = n;
    e->evidence = (Sais__Evidence **)c->cause;
    e->n_evidence = c->ncause;
}

static int store_and_emit(const decide_ctx_t *c, Rul__Entitlement *e, const char *change)
{
    e->change = (char *)change;
    int rc = sais_put_pb(c->txn, sais_svc_dbi(c->svc, RULES_DB_ENTS), e->entitlement_id,
                         strlen(e->entitlement_id), &e->base);
    if (rc != 0)
        return rc;
    char ik[256];
    size_t ikn = sais_index_pair(ik, sizeof ik, e->household_id, e->entitlement_id);
    if (ikn > 0 && (rc = sais_put(c->txn, sais_svc_dbi(c->svc, RULES_DB_HHENTS), ik, ikn, "", 0)) != 0)
        return rc;
    char type[48];
    snprintf(type, sizeof type, "entitlement.%s", change);
    return sais_svc_emit(c->svc, c->txn, type, e->region, &e->base);
}

static const char *beneficiary(const decide_ctx_t *c, const rules_result_t *r)
{
    if (r->nbeneficiaries > 0)
        return r->beneficiaries[0];
    return c->pic->head_id;
}

static int grant(const decide_ctx_t *c, const rules_result_t *r, const char *origin)
{
    if (dry_stop(c))
        return 0;
    uint64_t n;
    int rc = sais_next_id(sais_svc_store(c->svc), c->txn, "entitlement", &n);
    if (rc != 0)
        return rc;
    char id[32];
    snprintf(id, sizeof id, "E%010llu", (unsigned long long)n);
    Rul__Entitlement e = RUL__ENTITLEMENT__INIT;
    expl_t x;
    e.entitlement_id = id;
    e.household_id = c->pic->household_id;
    e.id_number = (char *)beneficiary(c, r);
    e.policy = (char *)r->policy;
    e.policy_version = (char *)r->version;
    e.amount = r->amount;
    e.period = (char *)rules_kind_name(r->period);
    e.status = "active";
    e.origin = (char *)origin;
    e.granted_at = sais_clock_now();
    e.changed_at = e.granted_at;
    e.region = c->pic->region;
    e.notify_phone = c->pic->head_phone;
    explain(&e, r, &x, c);
    char key[200];
    int kl;
    if (r->period == RULES_KIND_ONE_OFF) {
        kl = snprintf(key, sizeof key, "%s|%s|%s", c->pic->household_id, r->policy, id);
        if (kl <= 0 || (size_t)kl >= sizeof key)
            return 0;
        rc = sais_put(c->txn, sais_svc_dbi(c->svc, RULES_DB_ONEOFF), key, (size_t)kl, "", 0);
    } else {
        kl = key2(key, sizeof key, c->pic->household_id, r->policy);
        if (kl < 0)
            return 0;
        rc = sais_put(c->txn, sais_svc_dbi(c->svc, RULES_DB_CURRENT), key, (size_t)kl, id, strlen(id));
    }
    if (rc != 0)
        return rc;
    sais_debug("household %s: %s granted %lld fen (%s)", c->pic->household_id, r->policy,
              (long long)r->amount, e.period);
    return store_and_emit(c, &e, "granted");
}

/* dibao and tekun found without an application go to a caseworker, once per household. */
static int proactive_case(const decide_ctx_t *c, const rules_result_t *r)
{
    char key[200];
    int kl = key2(key, sizeof key, c->pic->household_id, r->policy);
    if (kl < 0)
        return 0;
    /* the cases record is "case_id|amount": a case still open whose amount changes (the
     * household's income records arrived after its registry records, say) is sent again under
     * the same id, so the reviewer decides on today's figures */
    MDB_val v;
    char id[32], val[64];
    int rc = sais_get(c->txn, sais_svc_dbi(c->svc, RULES_DB_CASES), key, (size_t)kl, &v);
    if (rc == 0) {
        const char *bar = memchr(v.mv_data, '|', v.mv_size);
        size_t il = bar ? (size_t)(bar - (const char *)v.mv_data) : v.mv_size;
        long long was = -1;
        if (bar) {
            char num[24];
            snprintf(num, sizeof num, "%.*s", (int)(v.mv_size - il - 1), bar + 1);
            was = atoll(num);
        }
        if (was == (long long)r->amount || il >= sizeof id)
            return 0;
        if (dry_stop(c))
            return 0;
        snprintf(id, sizeof id, "%.*s", (int)il, (const char *)v.mv_data);
    } else if (rc == MDB_NOTFOUND) {
        if (dry_stop(c))
            return 0;
        uint64_t n;
        if ((rc = sais_next_id(sais_svc_store(c->svc), c->txn, "case", &n)) != 0)
            return rc;
        snprintf(id, sizeof id, "C%010llu", (unsigned long long)n);
    } else {
        return rc;
    }
    int vl = snprintf(val, sizeof val, "%s|%lld", id, (long long)r->amount);
    if ((rc = sais_put(c->txn, sais_svc_dbi(c->svc, RULES_DB_CASES), key, (size_t)kl, val, (size_t)vl)) != 0)
        return rc;
    Rul__ProactiveCase pc = RUL__PROACTIVE_CASE__INIT;
    Rul__Clause cl[32], *pcl[32];
    size_t nc = r->nclauses < 32 ? r->nclauses : 32;
    for (size_t i = 0; i < nc; i++) {
        rul__clause__init(&cl[i]);
        cl[i].clause = r->clauses[i].clause;
        cl[i].passed = r->clauses[i].passed;
        cl[i].detail = r->clauses[i].detail;
        pcl[i] = &cl[i];
    }
    pc.case_id = id;
    pc.household_id = c->pic->household_id;
    pc.id_number = (char *)beneficiary(c, r);
    pc.region = c->pic->region;
    pc.policy = (char *)r->policy;
    pc.amount = r->amount;
    pc.explanation = pcl;
    pc.n_explanation = nc;
    pc.evidence = (Sais__Evidence **)c->cause;
    pc.n_evidence = c->ncause;
    sais_debug("household %s: proactive %s case %s for review", c->pic->household_id, r->policy, id);
    return sais_svc_emit(c->svc, c->txn, "case.proactive", c->pic->region, &pc.base);
}

/* A household sent to a caseworker as dibao/tekun that is no longer eligible (its income
 * records arrived, say): the case is withdrawn, so intake can close it and warn stops treating
 * the household as a proposed beneficiary. A later eligibility opens a new case. */
static int withdraw_case(const decide_ctx_t *c, const rules_result_t *r)
{
    char key[200];
    int kl = key2(key, sizeof key, c->pic->household_id, r->policy);
    if (kl < 0)
        return 0;
    MDB_dbi cases = sais_svc_dbi(c->svc, RULES_DB_CASES);
    MDB_val v;
    int rc = sais_get(c->txn, cases, key, (size_t)kl, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (dry_stop(c))
        return 0;
    char id[32];
    const char *bar = memchr(v.mv_data, '|', v.mv_size);
    size_t il = bar ? (size_t)(bar - (const char *)v.mv_data) : v.mv_size;
    snprintf(id, sizeof id, "%.*s", (int)il, (const char *)v.mv_data);
    if ((rc = sais_del(c->txn, cases, key, (size_t)kl)) != 0)
        return rc;
    Rul__ProactiveCase pc = RUL__PROACTIVE_CASE__INIT;
    Rul__Clause cl[32], *pcl[32];
    size_t nc = r->nclauses < 32 ? r->nclauses : 32;
    for (size_t i = 0; i < nc; i++) {
        rul__clause__init(&cl[i]);
        cl[i].clause = r->clauses[i].clause;
        cl[i].passed = r->clauses[i].passed;
        cl[i].detail = r->clauses[i].detail;
        pcl[i] = &cl[i];
    }
    pc.case_id = id;
    pc.household_id = c->pic->household_id;
    pc.id_number = c->pic->head_id;
    pc.region = c->pic->region;
    pc.policy = (char *)r->policy;
    pc.explanation = pcl;
    pc.n_explanation = nc;
    pc.evidence = (Sais__Evidence **)c->cause;
    pc.n_evidence = c->ncause;
    sais_debug("household %s: proactive %s case %s withdrawn (no longer eligible)", c->pic->household_id, r->policy, id);
    return sais_svc_emit(c->svc, c->txn, "case.withdrawn", c->pic->region, &pc.base);
}

static bool someone_incarcerated(const Ver__Picture *pic)
{
    for (size_t i = 0; i < pic->n_members; i++)
        if (strcmp(pic->members[i]->status, "incarcerated") == 0)
            return true;
    return false;
}

/* Changes a stored entitlement and announces it. The fields pointed at borrowed strings are
 * put back before the caller frees the unpacked message, so protobuf-c frees only its own. */
static int update(const decide_ctx_t *c, Rul__Entitlement *cur, const rules_result_t *r,
                  const char *status, const char *change, bool new_amount)
{
    if (dry_stop(c))
        return 0;
    Rul__Entitlement saved = *cur;
    expl_t x;
    if (new_amount) {
        cur->previous_amount = cur->amount;
        cur->amount = r->amount;
        cur->policy_version = (char *)r->version;
    }
    cur->status = (char *)status;
    cur->changed_at = sais_clock_now();
    cur->notify_phone = c->pic->head_phone;
    explain(cur, r, &x, c);
    int rc = store_and_emit(c, cur, change);
    *cur = saved;
    return rc;
}

static int apply_result(const decide_ctx_t *c, const rules_result_t *r)
{
    if (r->error) {
        if (c->dry)   /* said once, in the dry run that always comes first */
            sais_warn("household %s: %s", c->pic->household_id, r->error);
        return 0;
    }
    if (r->period == RULES_KIND_ONE_OFF) {
        if (!r->eligible || r->amount <= 0)
            return 0;
        return r->automatic ? grant(c, r, "proactive") : proactive_case(c, r);
    }
    char key[200];
    int kl = key2(key, sizeof key, c->pic->household_id, r->policy);
    if (kl < 0)
        return 0;
    MDB_val v;
    Rul__Entitlement *cur = NULL;
    int rc = sais_get(c->txn, sais_svc_dbi(c->svc, RULES_DB_CURRENT), key, (size_t)kl, &v);
    if (rc == 0) {
        rc = sais_get_pb(c->txn, sais_svc_dbi(c->svc, RULES_DB_ENTS), v.mv_data, v.mv_size,
                         &rul__entitlement__descriptor, (ProtobufCMessage **)&cur);
        if (rc == MDB_NOTFOUND)
            cur = NULL, rc = 0;
    } else if (rc == MDB_NOTFOUND) {
        rc = 0;
    }
    if (rc != 0)
        return rc;
    bool live = cur && strcmp(cur->status, "stopped") != 0;
    if (r->eligible) {
        if (!live) {
            rc = (r->automatic || r->period == RULES_KIND_STATUS) ? grant(c, r, "proactive") : proactive_case(c, r);
        } else if (strcmp(cur->status, "suspended") == 0 || cur->amount != r->amount) {
            const char *change = strcmp(cur->status, "suspended") == 0 ? "resumed" : "changed";
            rc = update(c, cur, r, "active", change, true);
        }
    } else if (!live) {
        rc = withdraw_case(c, r);
    } else if (live) {
        /* the only counted member(s) in prison: suspend; otherwise it ends */
        bool suspend = c->pic->counted == 0 && someone_incarcerated(c->pic);
        if (!(suspend && strcmp(cur->status, "suspended") == 0))
            rc = update(c, cur, r, suspend ? "suspended" : "stopped", suspend ? "suspended" : "stopped", false);
        if (rc == 0 && !suspend && !c->dry) {
            /* ended: a later eligibility is a new case for a caseworker */
            rc = sais_del(c->txn, sais_svc_dbi(c->svc, RULES_DB_CASES), key, (size_t)kl);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
    }
    if (cur)
        rul__entitlement__free_unpacked(cur, NULL);
    return rc;
}

int rules_decide(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic,
                 Sais__Evidence *const *cause, size_t ncause, unsigned char *kept, size_t *keptlen)
{
    if (keptlen)
        *keptlen = 0;
    rules_state_t *st = sais_svc_state(svc);
    size_t np = rules_catalog_size(st->catalog);
    rules_result_t *results = calloc(np ? np : 1, sizeof *results);
    rules_paid_t paid[8];
    size_t npaid = 0;
    int rc = 0;
    if (!results)
        return ENOMEM;
    for (size_t i = 0; i < np && npaid < 8; i++) {
        const rules_policy_info_t *pi = rules_catalog_policy(st->catalog, i);
        if (pi->kind != RULES_KIND_ONE_OFF)
            continue;
        int64_t sum = 0;
        if ((rc = rules_paid_12m(svc, txn, pic->household_id, pi->id, &sum)) != 0)
            goto done;
        paid[npaid].policy = pi->id;
        paid[npaid].paid_12m = sum;
        npaid++;
    }
    rules_history_t hist = {paid, npaid};
    /* Most changes of a household change no decision (another month of the same wage), so
     * a brief evaluation (no explanations to format) and a dry run of the decisions come
     * first; only a household whose decisions change is evaluated again in full, and the
     * decisions written carry that evaluation's explanation. */
    rules_eval_opts_t brief = {.brief = true};
    size_t nres = np;
    decide_ctx_t c = {svc, txn, pic, cause, ncause, true, false};
    if (rules_evaluate(st->catalog, pic, &hist, NULL, 0, &brief, results, &nres, NULL, 0) != 0) {
        sais_error("household %s: evaluation failed (out of memory)", pic->household_id);
        rc = ENOMEM;
        goto done;
    }
    if (kept && keptlen && nres == np)
        *keptlen = rules_kept_encode(st->catalog, pic, &hist, results, nres, kept);
    const char *acting[RULES_MAX_POLICIES];
    size_t nacting = 0;
    for (size_t i = 0; i < nres && rc == 0; i++) {
        c.acts = false;
        rc = apply_result(&c, &results[i]);
        if (c.acts && nacting < RULES_MAX_POLICIES)
            acting[nacting++] = rules_catalog_policy(st->catalog, i)->id;
    }
    rules_results_clear(results, nres);
    if (rc != 0 || nacting == 0)
        goto done;
    /* only the policies that act, in full (their prerequisites are evaluated with them) */
    c.dry = false;
    rules_eval_opts_t full = {.policies = acting, .npolicies = nacting};
    char err[160];
    if (rules_evaluate(st->catalog, pic, &hist, NULL, 0, &full, results, &nres, err, sizeof err) != 0) {
        sais_error("household %s: evaluation failed: %s", pic->household_id, err);
        rc = ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < nres && rc == 0; i++)
        rc = apply_result(&c, &results[i]);
    rules_results_clear(results, nres);
done:
    free(results);
    return rc;
}

/* An application (or a proactive case) approved in intake: grant what was approved, as the
 * household stands now — a policy it no longer qualifies for is not granted (and said so in
 * the log), one already in force is not granted twice. */
int rules_approve(sais_svc_t *svc, MDB_txn *txn, const char *household_id, const char *origin,
                  char *const *policies, size_t npolicies)
{
    rules_state_t *st = sais_svc_state(svc);
    Ver__Picture *pic = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, RULES_DB_PICTURES), household_id, strlen(household_id),
                         &ver__picture__descriptor, (ProtobufCMessage **)&pic);
    if (rc == MDB_NOTFOUND) {
        sais_warn("approval for unknown household %s ignored", household_id);
        return 0;
    }
    if (rc != 0)
        return rc;
    size_t np = rules_catalog_size(st->catalog);
    rules_result_t *results = calloc(np ? np : 1, sizeof *results);
    if (!results) {
        ver__picture__free_unpacked(pic, NULL);
        return ENOMEM;
    }
    int64_t paid = 0;
    rc = rules_paid_12m(svc, txn, household_id, "temp_medical", &paid);
    rules_paid_t p = {"temp_medical", paid};
    rules_history_t hist = {&p, 1};
    if (rc == 0 && rules_evaluate_household(st->catalog, pic, &hist, NULL, 0, results) != 0)
        rc = ENOMEM;
    decide_ctx_t c = {svc, txn, pic, NULL, 0, false, false};
    for (size_t i = 0; i < np && rc == 0; i++) {
        const rules_result_t *r = &results[i];
        bool approved = false;
        for (size_t j = 0; j < npolicies && !approved; j++)
            approved = strcmp(policies[j], r->policy) == 0;
        if (!approved)
            continue;
        if (!r->eligible || r->error || (r->period == RULES_KIND_ONE_OFF && r->amount <= 0)) {
            sais_warn("household %s: approved %s no longer qualifies; not granted", household_id, r->policy);
            continue;
        }
        if (r->period != RULES_KIND_ONE_OFF) {
            char key[200];
            int kl = key2(key, sizeof key, household_id, r->policy);
            MDB_val v;
            Rul__Entitlement *cur = NULL;
            int g = kl < 0 ? MDB_NOTFOUND : sais_get(txn, sais_svc_dbi(svc, RULES_DB_CURRENT), key, (size_t)kl, &v);
            if (g == 0)
                g = sais_get_pb(txn, sais_svc_dbi(svc, RULES_DB_ENTS), v.mv_data, v.mv_size,
                                &rul__entitlement__descriptor, (ProtobufCMessage **)&cur);
            bool live = g == 0 && cur && strcmp(cur->status, "stopped") != 0;
            if (cur)
                rul__entitlement__free_unpacked(cur, NULL);
            if (g != 0 && g != MDB_NOTFOUND) {
                rc = g;
                break;
            }
            if (live)
                continue;
        }
        rc = grant(&c, r, origin);
    }
    rules_results_clear(results, np);
    free(results);
    ver__picture__free_unpacked(pic, NULL);
    return rc;
}
