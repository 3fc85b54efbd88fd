/* rules — answers: the catalogue, what-if evaluation, simulation, reload, entitlements. */
#include "rules.h"
#include "sais_arena.h"
#include "sais_client.h"
#include "sais_index.h"
#include "sais_clock.h"
#include "sais_id.h"
#include "sais_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rules_jw_entitlement(sais_jw_t *w, const Rul__Entitlement *e)
{
    sais_jw_obj(w);
    sais_jw_kstr(w, "entitlement_id", e->entitlement_id);
    sais_jw_kstr(w, "household_id", e->household_id);
    sais_jw_kstr(w, "id_number", e->id_number);
    sais_jw_kstr(w, "region", e->region);
    sais_jw_kstr(w, "policy", e->policy);
    sais_jw_kstr(w, "policy_version", e->policy_version);
    sais_jw_kmoney(w, "amount", e->amount);
    sais_jw_kstr(w, "period", e->period);
    sais_jw_kstr(w, "status", e->status);
    sais_jw_kstr(w, "origin", e->origin);
    sais_jw_ktime(w, "granted_at", e->granted_at);
    sais_jw_ktime(w, "changed_at", e->changed_at);
    sais_jw_key(w, "explanation");
    sais_jw_arr(w);
    for (size_t i = 0; i < e->n_explanation; i++) {
        sais_jw_obj(w);
        sais_jw_kstr(w, "clause", e->explanation[i]->clause);
        sais_jw_kbool(w, "passed", e->explanation[i]->passed);
        sais_jw_kstr(w, "detail", e->explanation[i]->detail);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    sais_jw_key(w, "evidence");
    sais_jw_arr(w);
    for (size_t i = 0; i < e->n_evidence; i++) {
        sais_jw_obj(w);
        sais_jw_kstr(w, "source", e->evidence[i]->source);
        sais_jw_kstr(w, "record_id", e->evidence[i]->record_id);
        sais_jw_kstr(w, "batch_id", e->evidence[i]->batch_id);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    sais_jw_obj_end(w);
}

static void jw_param(sais_jw_t *w, const rules_param_t *p)
{
    if (p->kind == RULES_PARAM_MONEY)
        sais_jw_kmoney(w, p->name, p->value);
    else
        sais_jw_kint(w, p->name, p->value);
}

int rules_policies_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)txn;
    (void)req;
    rules_state_t *st = sais_svc_state(svc);
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_arr(&w);
    for (size_t i = 0; i < rules_catalog_size(st->catalog); i++) {
        const rules_policy_info_t *p = rules_catalog_policy(st->catalog, i);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "id", p->id);
        sais_jw_kstr(&w, "name", p->name_zh);
        sais_jw_kstr(&w, "name_en", p->name_en);
        sais_jw_kstr(&w, "department", p->department);
        sais_jw_kstr(&w, "kind", rules_kind_name(p->kind));
        sais_jw_kstr(&w, "version", p->version);
        sais_jw_kstr(&w, "effective_from", p->effective_from);
        sais_jw_key(&w, "params");
        sais_jw_obj(&w);
        for (size_t j = 0; j < rules_policy_param_count(st->catalog, i); j++)
            jw_param(&w, rules_policy_param(st->catalog, i, j));
        sais_jw_obj_end(&w);
        sais_jw_obj_end(&w);
    }
    sais_jw_arr_end(&w);
    return sais_reply_jw(reply, 200, &w);
}

/* ---- parameter overrides from a JSON object {"dibao.line": 1300.00, ...} */
typedef struct {
    rules_param_override_t v[64];
    size_t n;
} overrides_t;

static int parse_overrides(rules_catalog_t *cat, const json_t *params, overrides_t *ov, sais_reply_t *reply)
{
    ov->n = 0;
    if (!params || json_is_null(params))
        return 0;
    if (!json_is_object(params)) {
        sais_reply_invalid(reply, "params", "out_of_range", "params must be an object of parameter values");
        return -1;
    }
    const char *name;
    json_t *val;
    json_object_foreach((json_t *)params, name, val) {
        int idx = rules_catalog_param_find(cat, name);
        char field[160];
        snprintf(field, sizeof field, "params.%s", name);
        if (idx < 0) {
            sais_reply_invalid(reply, field, "unknown_parameter", "the catalogue has no such parameter");
            return -1;
        }
        if (ov->n == 64) {
            sais_reply_invalid(reply, "params", "too_long", "at most 64 parameters");
            return -1;
        }
        const rules_param_t *p = rules_catalog_param(cat, (size_t)idx);
        int64_t v;
        if (p->kind == RULES_PARAM_MONEY) {
            sais_money_status_t ms = sais_json_money(val, false, &v);
            if (ms != SAIS_MONEY_OK) {
                sais_reply_invalid(reply, field, "bad_amount", sais_money_message(ms));
                return -1;
            }
        } else if (json_is_integer(val)) {
            v = json_integer_value(val);
        } else {
            sais_reply_invalid(reply, field, "out_of_range", "this parameter is a whole number");
            return -1;
        }
        ov->v[ov->n].name = p->name; /* owned by the catalogue, outlives the request */
        ov->v[ov->n].value = v;
        ov->n++;
    }
    return 0;
}

/* What each one-off policy already paid the household in the last 365 days, as rules_decide
 * counts it: a what-if (evaluate, simulate) must decide as rules would, and temp_medical's
 * grant is net of earlier ones. Strings borrowed from the catalogue. */
#define PAID_MAX 8
typedef struct {
    rules_paid_t v[PAID_MAX];
    size_t       n;
} paid_t;

/* oneoff: a cursor on RULES_DB_ONEOFF to use, or NULL to open one per policy */
static int paid_history(sais_svc_t *svc, MDB_txn *txn, MDB_cursor *oneoff, const rules_catalog_t *cat,
                        const char *hh, paid_t *out)
{
    out->n = 0;
    for (size_t i = 0; i < rules_catalog_size(cat) && out->n < PAID_MAX; i++) {
        const rules_policy_info_t *pi = rules_catalog_policy(cat, i);
        if (pi->kind != RULES_KIND_ONE_OFF)
            continue;
        int64_t sum = 0;
        int rc = oneoff ? rules_paid_12m_at(svc, txn, oneoff, hh, pi->id, &sum)
                        : rules_paid_12m(svc, txn, hh, pi->id, &sum);
        if (rc != 0)
            return rc;
        out->v[out->n].policy = pi->id;
        out->v[out->n].paid_12m = sum;
        out->n++;
    }
    return 0;
}

static int load_picture(sais_svc_t *svc, MDB_txn *txn, const char *hh, Ver__Picture **out)
{
    return sais_get_pb(txn, sais_svc_dbi(svc, RULES_DB_PICTURES), hh, strlen(hh), &ver__picture__descriptor,
                       (ProtobufCMessage **)out);
}

#define VERIFY_CALL_MS 2000

/* While outreach is held, verify announces a household once, when the hold is released
 * (verify_refresh.h), so the picture kept here may be missing or behind: verify computes the
 * one a caseworker's what-if or a window application needs. 0 with *pic; MDB_NOTFOUND when
 * verify knows no such household or person; -1 when verify did not answer (the kept picture
 * is used then). */
static int held_picture(sais_svc_t *svc, const char *hh, const char *idn, Ver__Picture **pic)
{
    Sais__Reply *rep = NULL;
    int rc = hh ? sais_client_callv(sais_svc_client(svc), "verify", "households.picture", NULL, 0, VERIFY_CALL_MS,
                                    &rep, "household_id", hh, NULL)
                : sais_client_callv(sais_svc_client(svc), "verify", "households.picture", NULL, 0, VERIFY_CALL_MS,
                                    &rep, "id_number", idn, NULL);
    if (rc != SAIS_CALL_OK) {
        sais_warn("outreach held: verify did not answer for the picture of %s (%d); the kept one is used",
                  hh ? hh : "a person's household", rc);
        return -1;
    }
    rc = -1;
    if (rep->status == 404) {
        rc = MDB_NOTFOUND;
    } else if (rep->status == 200) {
        *pic = ver__picture__unpack(NULL, rep->body.len, rep->body.data);
        rc = *pic ? 0 : -1;
    }
    if (rc == -1)
        sais_warn("outreach held: verify answered %d for the picture of %s; the kept one is used", rep->status,
                  hh ? hh : "a person's household");
    sais__reply__free_unpacked(rep, NULL);
    return rc;
}

/* household_id or id_number -> the picture kept here. 0 found; 1 when it answered a problem
 * itself; an LMDB code otherwise. */
static int kept_household(sais_svc_t *svc, MDB_txn *txn, const char *hh, const char *idn, Ver__Picture **pic,
                          sais_reply_t *reply)
{
    char hbuf[128];
    if (!hh && idn) {
        char id[19];
        sais_id_status_t s = sais_id_check(idn, sais_clock_today(), id);
        if (s != SAIS_ID_OK) {
            sais_reply_invalid(reply, "id_number", sais_id_code(s), sais_id_message(s));
            return 1;
        }
        MDB_val v;
        int rc = sais_get(txn, sais_svc_dbi(svc, RULES_DB_PERSONS), id, 18, &v);
        if (rc == MDB_NOTFOUND) {
            sais_reply_invalid(reply, "id_number", "unknown_person", "no person with this ID number in the registry");
            return 1;
        }
        if (rc != 0)
            return rc;
        snprintf(hbuf, sizeof hbuf, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
        hh = hbuf;
    }
    if (!hh || !*hh) {
        sais_reply_invalid(reply, "household_id", "missing_field", "household_id or id_number is required");
        return 1;
    }
    int rc = load_picture(svc, txn, hh, pic);
    if (rc == MDB_NOTFOUND) {
        sais_reply_problem(reply, 404, "unknown_household", "no household with this id");
        return 1;
    }
    return rc;
}

/* household_id or id_number from a JSON body -> the household's picture: kept here, or while
 * outreach is held verify's. 0 found; 1 when it answered a problem itself; an LMDB code
 * otherwise. */
static int find_household(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, const json_t *body,
                          Ver__Picture **pic, sais_reply_t *reply)
{
    const char *hh = sais_json_str(body, "household_id");
    const char *idn = sais_json_str(body, "id_number");
    rules_state_t *st = sais_svc_state(svc);
    char id[19];
    int rc = -1;
    if (st && st->hold && hh && *hh)
        rc = held_picture(svc, hh, NULL, pic);
    else if (st && st->hold && !hh && idn && sais_id_check(idn, sais_clock_today(), id) == SAIS_ID_OK)
        rc = held_picture(svc, NULL, id, pic);
    if (rc == MDB_NOTFOUND) {
        if (hh)
            sais_reply_problem(reply, 404, "unknown_household", "no household with this id");
        else
            sais_reply_invalid(reply, "id_number", "unknown_person", "no person with this ID number in the registry");
        return 1;
    }
    if (rc != 0 && (rc = kept_household(svc, txn, hh, idn, pic, reply)) != 0)
        return rc;
    if (!sais_req_sees_region(req, (*pic)->region)) {
        ver__picture__free_unpacked(*pic, NULL);
        *pic = NULL;
        sais_reply_problem(reply, 403, "out_of_region", "the household is registered outside your regions");
        return 1;
    }
    return 0;
}

int rules_policies_evaluate(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    rules_state_t *st = sais_svc_state(svc);
    char err[256];
    json_t *body = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!body)
        return sais_reply_problem(reply, 400, "bad_json", "%s", err);
    Ver__Picture *pic = NULL;
    overrides_t ov;
    const char *ids[32];
    size_t nids = 0;
    rules_result_t results[32];
    size_t nres = 0;
    int rc = find_household(svc, txn, req, body, &pic, reply);
    if (rc != 0) {
        json_decref(body);
        return rc == 1 ? 0 : rc;
    }
    if (parse_overrides(st->catalog, json_object_get(body, "params"), &ov, reply) != 0)
        goto out;
    json_t *pol = json_object_get(body, "policies");
    if (pol && !json_is_null(pol)) {
        size_t i;
        json_t *v;
        if (!json_is_array(pol)) {
            sais_reply_invalid(reply, "policies", "out_of_range", "policies must be an array of policy ids");
            goto out;
        }
        json_array_foreach(pol, i, v) {
            if (!json_is_string(v) || rules_catalog_find(st->catalog, json_string_value(v)) < 0 || nids == 32) {
                sais_reply_invalid(reply, "policies", "out_of_range", "unknown policy id");
                goto out;
            }
            ids[nids++] = json_string_value(v);
        }
    }
    paid_t paid;
    if ((rc = paid_history(svc, txn, NULL, st->catalog, pic->household_id, &paid)) != 0)
        goto out;
    rules_history_t hist = {paid.v, paid.n};
    rules_eval_opts_t opts = {.policies = nids ? ids : NULL, .npolicies = nids};
    memset(results, 0, sizeof results);
    if (rules_catalog_size(st->catalog) > 32
        || rules_evaluate(st->catalog, pic, &hist, ov.v, ov.n, &opts, results, &nres, err, sizeof err) != 0) {
        sais_reply_problem(reply, 422, "evaluation_failed", "%s", err);
        goto out;
    }
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "household_id", pic->household_id);
    sais_jw_kstr(&w, "region", pic->region); /* whose parameter overrides applied */
    sais_jw_kstr(&w, "as_of", pic->as_of);
    sais_jw_key(&w, "results");
    sais_jw_arr(&w);
    for (size_t i = 0; i < nres; i++) {
        const rules_result_t *r = &results[i];
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "policy", r->policy);
        sais_jw_kstr(&w, "version", r->version);
        sais_jw_kbool(&w, "eligible", r->eligible);
        sais_jw_kmoney(&w, "amount", r->amount);
        sais_jw_kstr(&w, "period", rules_kind_name(r->period));
        sais_jw_kbool(&w, "automatic", r->automatic);
        if (r->error)
            sais_jw_kstr(&w, "error", r->error);
        sais_jw_key(&w, "explanation");
        sais_jw_arr(&w);
        for (size_t j = 0; j < r->nclauses; j++) {
            sais_jw_obj(&w);
            sais_jw_kstr(&w, "clause", r->clauses[j].clause);
            sais_jw_kbool(&w, "passed", r->clauses[j].passed);
            sais_jw_kstr(&w, "detail", r->clauses[j].detail);
            sais_jw_obj_end(&w);
        }
        sais_jw_arr_end(&w);
        sais_jw_obj_end(&w);
    }
    sais_jw_arr_end(&w);
    sais_jw_obj_end(&w);
    rules_results_clear(results, nres);
    if (sais_reply_jw(reply, 200, &w) != 0)
        rc = ENOMEM;
out:
    if (pic)
        ver__picture__free_unpacked(pic, NULL);
    json_decref(body);
    return rc;
}

typedef struct {
    int64_t before, after, newly, no_longer, cost_before, cost_after;
} sim_row_t;

/* One simulate worker: every `stride`-th household from `offset`, with its own catalogue copy
 * (a Lua state is single-threaded) and its own read transaction. */
typedef struct {
    sais_svc_t             *svc;
    const Sais__Request    *req;
    rules_catalog_t        *cat;
    const overrides_t      *ov;
    char *const            *regions;
    size_t                  nreg;
    size_t                  offset, stride;
    size_t                  np;
    sim_row_t              *rows;
    int64_t                 evaluated;
    int64_t                 kept;        /* of which the "before" side was kept by rules_decide */
    int64_t                 damaged;     /* stored pictures that did not unpack: left out, logged */
    int                     rc;
} sim_worker_t;

static int sim_scan(MDB_txn *txn, void *vctx)
{
    sim_worker_t *w = vctx;
    char err[256];
    rules_result_t *before = calloc(w->np ? w->np : 1, sizeof *before);
    rules_result_t *after = calloc(w->np ? w->np : 1, sizeof *after);
    MDB_cursor *cur = NULL, *oneoff = NULL;
    int rc = (!before || !after) ? ENOMEM : mdb_cursor_open(txn, sais_svc_dbi(w->svc, RULES_DB_PICTURES), &cur);
    if (rc == 0)
        rc = mdb_cursor_open(txn, sais_svc_dbi(w->svc, RULES_DB_ONEOFF), &oneoff);
    MDB_val k, v;
    size_t i = 0;
    sais_arena_t arena;   /* each picture is unpacked into it and dropped at once */
    sais_arena_init(&arena, 0);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
        if (i % w->stride != w->offset)
            continue;
        sais_arena_reset(&arena);
        Ver__Picture *pic = ver__picture__unpack(sais_arena_allocator(&arena), v.mv_size, v.mv_data);
        if (!pic) {
            if (w->damaged++ == 0)
                sais_error("simulate: the stored picture of household %.*s does not unpack; left out",
                           (int)(k.mv_size < 64 ? k.mv_size : 64), (const char *)k.mv_data);
            continue;
        }
        bool in = sais_req_sees_region(w->req, pic->region)
                  && (w->nreg == 0 || sais_region_in_scope(pic->region, w->regions, w->nreg));
        paid_t paid = {.n = 0};
        if (in && (rc = paid_history(w->svc, txn, oneoff, w->cat, pic->household_id, &paid)) != 0)
            break;
        rules_history_t hist = {paid.v, paid.n};
        int known = in ? rules_kept_read(w->cat, pic, &hist, before, w->np) : MDB_NOTFOUND;
        int ev = !in ? -1
                 : known == 0 ? rules_evaluate_after(w->cat, pic, &hist, w->ov->v, w->ov->n, before, after, err, sizeof err)
                              : rules_evaluate_whatif(w->cat, pic, &hist, w->ov->v, w->ov->n, before, after, err, sizeof err);
        if (ev == 0) {
            w->evaluated++;
            w->kept += known == 0;
            for (size_t p = 0; p < w->np; p++) {
                bool b = before[p].eligible, a = after[p].eligible;
                w->rows[p].before += b;
                w->rows[p].after += a;
                w->rows[p].newly += a && !b;
                w->rows[p].no_longer += b && !a;
                if (before[p].period == RULES_KIND_MONTHLY) {
                    w->rows[p].cost_before += b ? before[p].amount : 0;
                    w->rows[p].cost_after += a ? after[p].amount : 0;
                }
            }
            rules_results_clear(before, w->np);
            rules_results_clear(after, w->np);
        }
    }
    if (cur)
        mdb_cursor_close(cur);
    if (oneoff)
        mdb_cursor_close(oneoff);
    sais_arena_release(&arena);
    free(before);
    free(after);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void sim_scan_all(sim_worker_t *w)
{
    w->rc = sais_store_read(sais_svc_store(w->svc), sim_scan, w);
}

/* A thread of its own only evaluates: its step limit is kept by the watchdog, not a hook per
 * instruction (the service's thread, which polls its sockets, never is). */
static void *sim_thread(void *vw)
{
    sim_worker_t *w = vw;
    bool watched = rules_catalog_watch(w->cat) == 0;
    sim_scan_all(w);
    if (watched)
        rules_catalog_unwatch(w->cat);
    return NULL;
}

int rules_policies_simulate(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)txn;
    rules_state_t *st = sais_svc_state(svc);
    char err[256];
    json_t *body = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!body)
        return sais_reply_problem(reply, 400, "bad_json", "%s", err);
    overrides_t ov;
    char *regions[64];
    size_t nreg = 0;
    int rc = 0;
    size_t np = rules_catalog_size(st->catalog);
    enum { MAX_WORKERS = 8 };
    sim_worker_t workers[MAX_WORKERS];
    rules_catalog_t *copies[MAX_WORKERS] = {0};
    pthread_t tids[MAX_WORKERS];
    size_t nworkers = (size_t)sais_config_int(sais_svc_config(svc), "rules.simulate_threads");
    if (nworkers < 1)
        nworkers = 1;
    if (nworkers > MAX_WORKERS)
        nworkers = MAX_WORKERS;
    memset(workers, 0, sizeof workers);
    if (parse_overrides(st->catalog, json_object_get(body, "params"), &ov, reply) != 0)
        goto out;
    json_t *rj = json_object_get(body, "regions");
    if (rj && !json_is_null(rj)) {
        size_t i;
        json_t *v;
        if (!json_is_array(rj)) {
            sais_reply_invalid(reply, "regions", "out_of_range", "regions must be an array of region prefixes");
            goto out;
        }
        json_array_foreach(rj, i, v) {
            const char *s = json_is_string(v) ? json_string_value(v) : NULL;
            size_t l = s ? strlen(s) : 0;
            bool digits = l >= 2 && l <= 6;
            for (size_t k = 0; digits && k < l; k++)
                digits = s[k] >= '0' && s[k] <= '9';
            if (!digits || nreg == 64) {
                sais_reply_invalid(reply, "regions", "out_of_range", "a region prefix is 2 to 6 digits");
                goto out;
            }
            regions[nreg++] = (char *)s;
        }
    }
    int64_t t0 = sais_clock_ms();
    for (size_t i = 0; i < nworkers; i++) {
        copies[i] = i == 0 ? st->catalog : rules_catalog_dup(st->catalog, err, sizeof err);
        workers[i] = (sim_worker_t){.svc = svc, .req = req, .cat = copies[i], .ov = &ov, .regions = regions,
                                    .nreg = nreg, .offset = i, .stride = nworkers, .np = np,
                                    .rows = calloc(np ? np : 1, sizeof(sim_row_t))};
        if (!copies[i] || !workers[i].rows) {
            rc = ENOMEM;
            nworkers = i + (copies[i] != NULL);
            goto join;
        }
    }
    /* every worker on a thread of its own (this one waits, leaving st->catalog to worker 0) */
    size_t started = 0;
    for (size_t i = 0; i < nworkers; i++) {
        if (pthread_create(&tids[i], NULL, sim_thread, &workers[i]) != 0)
            break;
        started = i + 1;
    }
    for (size_t i = started; i < nworkers; i++)
        sim_scan_all(&workers[i]); /* a thread that could not start: do its share here */
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    int64_t evaluated = 0, kept = 0, damaged = 0;
    for (size_t i = 0; i < nworkers; i++) {
        if (workers[i].rc != 0)
            rc = workers[i].rc;
        evaluated += workers[i].evaluated;
        kept += workers[i].kept;
        damaged += workers[i].damaged;
        if (i > 0)
            for (size_t p = 0; p < np; p++) {
                workers[0].rows[p].before += workers[i].rows[p].before;
                workers[0].rows[p].after += workers[i].rows[p].after;
                workers[0].rows[p].newly += workers[i].rows[p].newly;
                workers[0].rows[p].no_longer += workers[i].rows[p].no_longer;
                workers[0].rows[p].cost_before += workers[i].rows[p].cost_before;
                workers[0].rows[p].cost_after += workers[i].rows[p].cost_after;
            }
    }
    if (damaged > 0)
        sais_error("simulate: %lld stored pictures did not unpack and were left out", (long long)damaged);
    if (rc != 0)
        goto join;
    sim_row_t *rows = workers[0].rows;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kint(&w, "households_evaluated", evaluated);
    /* how many of them had their "before" side from the decisions rules keeps */
    sais_jw_kint(&w, "households_before_kept", kept);
    sais_jw_kint(&w, "elapsed_ms", sais_clock_ms() - t0);
    sais_jw_key(&w, "policies");
    sais_jw_arr(&w);
    for (size_t i = 0; i < np; i++) {
        const rules_policy_info_t *p = rules_catalog_policy(st->catalog, i);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "policy", p->id);
        sais_jw_kint(&w, "eligible_before", rows[i].before);
        sais_jw_kint(&w, "eligible_after", rows[i].after);
        sais_jw_kint(&w, "newly_eligible", rows[i].newly);
        sais_jw_kint(&w, "no_longer_eligible", rows[i].no_longer);
        sais_jw_kmoney(&w, "monthly_cost_before", rows[i].cost_before);
        sais_jw_kmoney(&w, "monthly_cost_after", rows[i].cost_after);
        sais_jw_obj_end(&w);
    }
    sais_jw_arr_end(&w);
    sais_jw_obj_end(&w);
    if (sais_reply_jw(reply, 200, &w) != 0)
        rc = ENOMEM;
join:
    for (size_t i = 0; i < MAX_WORKERS; i++) {
        free(workers[i].rows);
        if (i > 0)
            rules_catalog_destroy(&copies[i]);
    }
out:
    json_decref(body);
    return rc;
}

int rules_policies_reload(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)txn;
    (void)req;
    rules_state_t *st = sais_svc_state(svc);
    char err[512];
    rules_catalog_t *fresh = rules_load_catalog(sais_svc_config(svc), err, sizeof err);
    if (!fresh) {
        sais_warn("policy reload refused, the old catalogue keeps running: %s", err);
        return sais_reply_problem(reply, 422, "policy_load_failed", "%s", err);
    }
    rules_catalog_destroy(&st->catalog);
    st->catalog = fresh;
    sais_info("policy catalogue reloaded: %zu policies", rules_catalog_size(fresh));
    /* a changed line or a new policy applies to everyone, not only to households whose data
     * happen to change next: decide every household again, a slice per tick */
    if (rules_redecide_start(svc) != 0)
        sais_error("the reloaded catalogue could not be scheduled for every household");
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "status", "reloaded");
    sais_jw_kint(&w, "policies", (int64_t)rules_catalog_size(fresh));
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}

static bool ent_matches(const Rul__Entitlement *e, const Sais__Request *req)
{
    const char *region = sais_req_param(req, "region");
    const char *policy = sais_req_param(req, "policy");
    const char *status = sais_req_param(req, "status");
    const char *origin = sais_req_param(req, "origin");
    const char *hh = sais_req_param(req, "household_id");
    if (!sais_req_sees_region(req, e->region))
        return false;
    if (region && *region && strncmp(e->region, region, strlen(region)) != 0)
        return false;
    if (policy && *policy && strcmp(e->policy, policy) != 0)
        return false;
    if (status && *status && strcmp(e->status, status) != 0)
        return false;
    if (origin && *origin && strcmp(e->origin, origin) != 0)
        return false;
    if (hh && *hh && strcmp(e->household_id, hh) != 0)
        return false;
    return true;
}

/* A filter value outside its enumeration is a mistake (a typo would otherwise look like "no
 * entitlements"): 422. */
static bool one_of(const char *v, const char *const *allowed)
{
    if (!v || !*v)
        return true;
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(v, allowed[i]) == 0)
            return true;
    return false;
}

size_t rules_ent_index_key(const MDB_val *key, const MDB_val *val, char *out, size_t outlen)
{
    (void)key;
    return sais_index_pb_pair(val, &rul__entitlement__descriptor, "household_id", "entitlement_id", out, outlen);
}

typedef struct {
    sais_jw_t           *w;
    const Sais__Request *req;
    int                  n, limit;
    bool                 more;
    char                 next[64];
} ent_page_t;

/* Each entitlement read goes into the page, or ends it (sais_walk_fn). One that does not
 * unpack is passed over, as the table walk always did. */
static int ent_page_add(const MDB_val *k, const MDB_val *v, void *ctx)
{
    (void)k;
    ent_page_t *pg = ctx;
    Rul__Entitlement *e = rul__entitlement__unpack(NULL, v->mv_size, v->mv_data);
    if (!e)
        return 0;
    int full = 0;
    if (ent_matches(e, pg->req)) {
        if (pg->n == pg->limit) {
            pg->more = true;
            full = 1;
        } else {
            rules_jw_entitlement(pg->w, e);
            snprintf(pg->next, sizeof pg->next, "%s", e->entitlement_id);
            pg->n++;
        }
    }
    rul__entitlement__free_unpacked(e, NULL);
    return full;
}

int rules_entitlements_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    static const char *const statuses[] = {"active", "suspended", "stopped", NULL};
    static const char *const origins[] = {"application", "proactive", NULL};
    int limit = sais_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "out_of_range", "limit is a whole number from 1 to 1000");
    if (!one_of(sais_req_param(req, "status"), statuses))
        return sais_reply_invalid(reply, "status", "out_of_range", "status is active, suspended or stopped");
    if (!one_of(sais_req_param(req, "origin"), origins))
        return sais_reply_invalid(reply, "origin", "out_of_range", "origin is application or proactive");
    const char *after = sais_req_param(req, "cursor");
    const char *hh = sais_req_param(req, "household_id");
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_key(&w, "items");
    sais_jw_arr(&w);
    ent_page_t pg = {.w = &w, .req = req, .limit = limit};
    MDB_dbi ents = sais_svc_dbi(svc, RULES_DB_ENTS);
    /* ?household_id= walks that household's index entries, in entitlement-id order like the
     * table walk, so a cursor means the same in both */
    int rc = hh && *hh ? sais_walk_index(txn, sais_svc_dbi(svc, RULES_DB_HHENTS), ents, hh, after, ent_page_add, &pg)
                       : sais_walk_table(txn, ents, after, ent_page_add, &pg);
    if (rc != 0) {
        sais_jw_free(&w);
        return rc;
    }
    sais_jw_arr_end(&w);
    sais_jw_key(&w, "next_cursor");
    if (pg.more)
        sais_jw_str(&w, pg.next);
    else
        sais_jw_null(&w);
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}
