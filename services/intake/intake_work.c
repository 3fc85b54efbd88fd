/* intake_work — moving applications on, on the actor's tick, and rules' proactive cases.
 *
 * An application that needs work has an entry in the "work" database. Each tick takes a few
 * of them, in id order from where the last tick stopped, and for each: reads it, calls verify
 * or rules *outside* any write transaction (a call may take seconds), then commits what the
 * answer changes in one short write transaction that re-reads the application and changes
 * nothing if it moved meanwhile. A service that does not answer is left alone for a while
 * (backoff doubling to 30 s) and the application stays where it is, with one history step
 * saying what it waits for; an application whose household rules has not seen yet waits on
 * its own. The work per tick is bounded in jobs and in time so requests keep being served.
 */
#include "intake_internal.h"
#include "sais_bus.h"
#include "sais_clock.h"
#include "sais_id.h"
#include "sais_log.h"
#include "rules.pb-c.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_JOBS       8       /* applications moved on per tick, at most */
#define TICK_BUDGET_MS  250     /* no new job starts after this much of a tick */
#define TICK_SCAN       64      /* work entries looked at per tick */
#define CALL_TIMEOUT_MS 2000    /* one call to verify or rules from the tick */
#define BACKOFF_MIN_MS  500
#define BACKOFF_MAX_MS  30000
#define WAIT_PREFIX     "waiting for "

/* ---------------------------------------------------------------- calls */

int intake_call(sais_svc_t *svc, const char *service, const char *method, const char *idem,
                const char *body, int timeout_ms, char **out, size_t *outlen, ...)
{
    Sais__Param params[4], *pp[4];
    size_t n = 0;
    va_list ap;
    va_start(ap, outlen);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL && n < 4) {
        sais__param__init(&params[n]);
        params[n].key = (char *)k;
        params[n].value = va_arg(ap, char *);
        pp[n] = &params[n];
        n++;
    }
    va_end(ap);
    Sais__Request req = SAIS__REQUEST__INIT;
    req.method = (char *)method;
    req.params = pp;
    req.n_params = n;
    req.idempotency_key = (char *)(idem ? idem : "");
    req.content_type = "application/json";
    req.body.data = (uint8_t *)body;
    req.body.len = body ? strlen(body) : 0;
    *out = NULL;
    *outlen = 0;
    Sais__Reply *rep = NULL;
    int rc = sais_client_call(sais_svc_client(svc), service, &req, timeout_ms, &rep);
    if (rc != SAIS_CALL_OK)
        return rc < 0 ? rc : SAIS_CALL_BAD_REPLY;
    int status = rep->status;
    *out = malloc(rep->body.len + 1);
    if (!*out) {
        sais__reply__free_unpacked(rep, NULL);
        return SAIS_CALL_BAD_REPLY;
    }
    if (rep->body.len)
        memcpy(*out, rep->body.data, rep->body.len);
    (*out)[rep->body.len] = '\0';
    *outlen = rep->body.len;
    sais__reply__free_unpacked(rep, NULL);
    return status;
}

/* An answer that says nothing about the application: the service is down, late or broken. */
static bool no_answer(int status)
{
    return status < 0 || status >= 500 || status == 408 || status == 429;
}

static bool backoff_active(const intake_backoff_t *b)
{
    return b->retry_at > sais_clock_ms();
}

static void backoff_fail(intake_backoff_t *b)
{
    b->delay_ms = b->delay_ms ? b->delay_ms * 2 : BACKOFF_MIN_MS;
    if (b->delay_ms > BACKOFF_MAX_MS)
        b->delay_ms = BACKOFF_MAX_MS;
    b->retry_at = sais_clock_ms() + b->delay_ms;
}

static void backoff_ok(intake_backoff_t *b)
{
    b->delay_ms = 0;
    b->retry_at = 0;
}

/* One application's own wait (rules has not seen its household yet). */
static bool app_waiting(intake_t *st, const char *id)
{
    const intake_backoff_t *b = zhashx_lookup(st->later, id);
    return b && backoff_active(b);
}

static void app_wait(intake_t *st, const char *id)
{
    intake_backoff_t *b = zhashx_lookup(st->later, id);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || zhashx_insert(st->later, id, b) != 0) {
            free(b);
            return; /* without memory it is simply retried on the next tick */
        }
    }
    backoff_fail(b);
}

static void app_done(intake_t *st, const char *id)
{
    zhashx_delete(st->later, id);
}

/* The problem code of an error answer: errors[0].code, else the tail of "type". */
static void problem_code(const char *body, size_t len, char *code, size_t codelen, char *detail, size_t dlen)
{
    code[0] = '\0';
    detail[0] = '\0';
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return;
    }
    const char *c = sais_json_str(json_array_get(json_object_get(j, "errors"), 0), "code");
    const char *type = sais_json_str(j, "type");
    if (!c && type)
        c = strrchr(type, '/') ? strrchr(type, '/') + 1 : type;
    const char *d = sais_json_str(j, "detail");
    snprintf(code, codelen, "%s", c ? c : "");
    snprintf(detail, dlen, "%s", d ? d : "");
    json_decref(j);
}

/* ---------------------------------------------------------------- committing a change */

typedef struct {
    sais_svc_t     *svc;
    const char     *id;
    int             expect;           /* the status it must still have; -1: any */
    intake_status_t to;               /* INTAKE_NEW: no move */
    const char     *by;
    const char     *note;
    const char     *verification_id;
    const char     *household_id;
    const json_t   *results;          /* rules' results: set the decisions, then decide */
    const char     *waiting;          /* a "waiting for ..." step, added once */
    const char     *phone, *name;     /* filled when empty */
    bool            done;             /* the work entry goes */
    intake_status_t moved_to;         /* out: the status reached, INTAKE_NEW if unchanged */
} change_t;

static int change_fn(MDB_txn *txn, void *vctx)
{
    change_t *c = vctx;
    c->moved_to = INTAKE_NEW;
    Itk__Application *a = NULL;
    int rc = intake_store_get(c->svc, txn, c->id, &a);
    if (rc == MDB_NOTFOUND)
        return intake_work_del(c->svc, txn, c->id);
    if (rc != 0)
        return rc;
    if (c->expect >= 0 && intake_status_parse(a->status) != c->expect) {
        intake_app_free(&a);
        return SAIS_TXN_ABORT; /* it moved meanwhile (a reviewer): the next tick sees where */
    }
    intake_status_t to = c->to;
    const char *note = c->note;
    intake_outcome_t out;
    if (c->verification_id && intake_str_set(&a->verification_id, c->verification_id) != 0)
        goto oom;
    if (c->household_id && *c->household_id && intake_str_set(&a->household_id, c->household_id) != 0)
        goto oom;
    if (c->phone && !*a->phone && intake_phone_ok(c->phone) && intake_str_set(&a->phone, c->phone) != 0)
        goto oom;
    if (c->name && !*a->name && intake_str_set(&a->name, c->name) != 0)
        goto oom;
    if (c->results) {
        int r = intake_app_set_decisions_json(a, c->results);
        if (r < 0)
            goto oom;
        intake_decide(a->decisions, a->n_decisions, &out);
        to = out.status;
        note = out.note;
        if (to == INTAKE_APPROVED && intake_set_approved(a, out.idx, out.nidx) != 0)
            goto oom;
    }
    if (c->waiting) {
        const Itk__Step *last = a->n_history ? a->history[a->n_history - 1] : NULL;
        if (last && strcmp(last->status, a->status) == 0 && strncmp(last->note, WAIT_PREFIX, strlen(WAIT_PREFIX)) == 0) {
            intake_app_free(&a);
            return SAIS_TXN_ABORT; /* said once already */
        }
        if (intake_app_add_step(a, sais_clock_now(), a->status, "intake", c->waiting) != 0)
            goto oom;
        a->updated_at = sais_clock_now();
    }
    if (to != INTAKE_NEW) {
        int r = intake_move(a, to, c->by, note);
        if (r < 0)
            goto oom;
        if (r > 0) {
            sais_warn("application %s: %s -> %s is not a legal step; left as it is", a->application_id,
                      a->status, intake_status_name(to));
            intake_app_free(&a);
            return SAIS_TXN_ABORT;
        }
        c->moved_to = to;
    }
    rc = intake_store_put(c->svc, txn, a);
    if (rc == 0 && (c->moved_to == INTAKE_PENDING_REVIEW || intake_status_final(c->moved_to)))
        rc = intake_emit(c->svc, txn, a);
    if (rc == 0 && (c->done || intake_status_final(c->moved_to) || c->moved_to == INTAKE_PENDING_REVIEW))
        rc = intake_work_del(c->svc, txn, c->id);
    intake_app_free(&a);
    return rc;
oom:
    intake_app_free(&a);
    return ENOMEM;
}

static int commit(change_t *c)
{
    int rc = sais_svc_write(c->svc, change_fn, c);
    if (rc == SAIS_TXN_ABORT)
        return 0;
    if (rc != 0) {
        /* with the store failing (a full disk) every pending application fails each round */
        static const char kind[] = "intake: change not stored";
        unsigned held = 0;
        if (sais_log_allow(kind, 10, &held)) {
            if (held)
                sais_error("%u more application changes could not be stored last minute", held);
            sais_error("application %s: the change could not be stored; retried later", c->id);
        }
    }
    return rc;
}

/* ---------------------------------------------------------------- the steps */

typedef struct {
    sais_svc_t *svc;
    intake_t   *st;
    const char *id;
} job_ctx_t;

static void waiting(job_ctx_t *j, int expect, const char *what)
{
    change_t c = {.svc = j->svc, .id = j->id, .expect = expect, .to = INTAKE_NEW, .waiting = what};
    commit(&c);
}

/* verifying -> deciding (or rejected). Returns true when the application moved on. */
static bool step_verify(job_ctx_t *j, const Itk__Application *a)
{
    if (backoff_active(&j->st->verify))
        return false;
    char purpose[64], auth[96], idem[64], *out = NULL;
    size_t n = 0;
    snprintf(purpose, sizeof purpose, "application %s", a->application_id);
    snprintf(auth, sizeof auth, "applicant %s %s", a->channel, a->application_id);
    /* the same report on a retry after a lost answer */
    snprintf(idem, sizeof idem, "intake:%s", a->application_id);
    json_t *b = json_pack("{s:s, s:s, s:s}", "id_number", a->id_number, "purpose", purpose, "authorized_by", auth);
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!body)
        return false;
    int status = intake_call(j->svc, "verify", "verifications.create", idem, body, CALL_TIMEOUT_MS, &out, &n, NULL);
    free(body);
    bool moved = false;
    if (no_answer(status)) {
        backoff_fail(&j->st->verify);
        char what[128];
        snprintf(what, sizeof what, WAIT_PREFIX "verify (%s); retrying",
                 status == SAIS_CALL_TIMEOUT ? "no answer in time" : status < 0 ? "unreachable" : "not available");
        waiting(j, INTAKE_VERIFYING, what);
    } else if (status == 200 || status == 201) {
        backoff_ok(&j->st->verify);
        json_t *r = json_loadb(out, n, 0, NULL);
        const char *vid = sais_json_str(r, "verification_id");
        char note[256];
        sais_fen_t pc = 0;
        char money[SAIS_MONEY_BUF];
        const json_t *pcv = json_object_get(json_object_get(r, "income"), "per_capita_monthly");
        if (pcv && sais_json_money(pcv, false, &pc) == SAIS_MONEY_OK)
            snprintf(note, sizeof note, "verification %s: per-capita monthly income %s", vid ? vid : "?",
                     sais_money_format(pc, money));
        else
            snprintf(note, sizeof note, "verification %s", vid ? vid : "?");
        change_t c = {.svc = j->svc, .id = j->id, .expect = INTAKE_VERIFYING, .to = INTAKE_DECIDING,
                      .by = "verify", .note = note, .verification_id = vid ? vid : "",
                      .household_id = sais_json_str(r, "household_id")};
        moved = commit(&c) == 0 && c.moved_to == INTAKE_DECIDING;
        json_decref(r);
    } else {
        /* verify answered, and the answer is no: the household cannot be verified */
        backoff_ok(&j->st->verify);
        char code[64], detail[256], note[400];
        problem_code(out, n, code, sizeof code, detail, sizeof detail);
        snprintf(note, sizeof note, "verification refused (%d %s): %s", status, code, detail);
        change_t c = {.svc = j->svc, .id = j->id, .expect = INTAKE_VERIFYING, .to = INTAKE_REJECTED,
                      .by = "verify", .note = note};
        commit(&c);
    }
    free(out);
    return moved;
}

/* deciding -> pending_review | approved | rejected. */
static void step_decide(job_ctx_t *j, const Itk__Application *a)
{
    if (backoff_active(&j->st->rules))
        return;
    json_t *b = json_pack("{s:s}", "id_number", a->id_number);
    json_t *pol = a->n_policies ? json_array() : NULL;
    for (size_t i = 0; pol && i < a->n_policies; i++)
        json_array_append_new(pol, json_string(a->policies[i]));
    if (b && pol)
        json_object_set_new(b, "policies", pol);
    else
        json_decref(pol);
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!body)
        return;
    char *out = NULL;
    size_t n = 0;
    int status = intake_call(j->svc, "rules", "policies.evaluate", NULL, body, CALL_TIMEOUT_MS, &out, &n, NULL);
    free(body);
    json_t *r = status == 200 ? json_loadb(out, n, 0, NULL) : NULL;
    const json_t *results = json_object_get(r, "results");
    if (no_answer(status) || (status == 200 && !json_is_array(results))) {
        backoff_fail(&j->st->rules);
        waiting(j, INTAKE_DECIDING, WAIT_PREFIX "rules (not available); retrying");
    } else if (status == 200) {
        backoff_ok(&j->st->rules);
        change_t c = {.svc = j->svc, .id = j->id, .expect = INTAKE_DECIDING, .by = "rules", .results = results};
        if (commit(&c) == 0 && c.moved_to != INTAKE_NEW)
            app_done(j->st, j->id);
    } else {
        backoff_ok(&j->st->rules);
        char code[64], detail[256], note[400];
        problem_code(out, n, code, sizeof code, detail, sizeof detail);
        if (strcmp(code, "unknown_person") == 0 || strcmp(code, "unknown_household") == 0
            || strcmp(code, "evaluation_failed") == 0) {
            /* rules has not taken in the household yet (it follows verify's events), or a
             * policy of the catalogue is broken: this application waits, the others go on */
            app_wait(j->st, j->id);
            snprintf(note, sizeof note, WAIT_PREFIX "rules (%s); retrying", code);
            waiting(j, INTAKE_DECIDING, note);
        } else {
            snprintf(note, sizeof note, "rules refused to decide (%d %s): %s", status, code, detail);
            change_t c = {.svc = j->svc, .id = j->id, .expect = INTAKE_DECIDING, .to = INTAKE_REJECTED,
                          .by = "rules", .note = note};
            commit(&c);
        }
    }
    json_decref(r);
    free(out);
}

/* A proactive case names no phone: ask the registry for the person's, once. */
static void step_phone(job_ctx_t *j, const Itk__Application *a)
{
    if (backoff_active(&j->st->verify))
        return;
    char *out = NULL;
    size_t n = 0;
    int status = intake_call(j->svc, "verify", "persons.get", NULL, NULL, CALL_TIMEOUT_MS, &out, &n,
                             "id_number", a->id_number, NULL);
    if (no_answer(status)) {
        backoff_fail(&j->st->verify);
    } else {
        backoff_ok(&j->st->verify);
        json_t *p = status == 200 ? json_loadb(out, n, 0, NULL) : NULL;
        change_t c = {.svc = j->svc, .id = j->id, .expect = -1, .to = INTAKE_NEW,
                      .phone = sais_json_str(p, "phone"), .name = sais_json_str(p, "name"), .done = true};
        commit(&c);
        json_decref(p);
    }
    free(out);
}

typedef struct {
    sais_svc_t       *svc;
    const char       *id;
    Itk__Application *app;
} load_ctx_t;

static int load_fn(MDB_txn *txn, void *vctx)
{
    load_ctx_t *l = vctx;
    return intake_store_get(l->svc, txn, l->id, &l->app);
}

static int load_app(sais_svc_t *svc, const char *id, Itk__Application **a)
{
    load_ctx_t l = {svc, id, NULL};
    int rc = sais_store_read(sais_svc_store(svc), load_fn, &l);
    *a = l.app;
    return rc;
}

static int drop_fn(MDB_txn *txn, void *vctx)
{
    job_ctx_t *j = vctx;
    return intake_work_del(j->svc, txn, j->id);
}

static void run_job(job_ctx_t *j, char job)
{
    /* submitted -> verifying -> deciding -> ... in one go when the services answer */
    for (int step = 0; step < 4; step++) {
        Itk__Application *a = NULL;
        int rc = load_app(j->svc, j->id, &a);
        if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
            if (rc == MDB_CORRUPTED)
                sais_error("application %s does not unpack; no more work on it", j->id);
            sais_svc_write(j->svc, drop_fn, j);
            app_done(j->st, j->id);
            return;
        }
        if (rc != 0)
            return;
        int st = intake_status_parse(a->status);
        bool again = false;
        if (job == INTAKE_JOB_PHONE) {
            step_phone(j, a);
        } else if (st == INTAKE_SUBMITTED) {
            change_t c = {.svc = j->svc, .id = j->id, .expect = INTAKE_SUBMITTED, .to = INTAKE_VERIFYING,
                          .by = "intake", .note = "asking verify for a verification report"};
            again = commit(&c) == 0 && c.moved_to == INTAKE_VERIFYING;
        } else if (st == INTAKE_VERIFYING) {
            again = step_verify(j, a);
        } else if (st == INTAKE_DECIDING) {
            step_decide(j, a);
        } else {
            /* nothing left for intake to do (a reviewer decides, or it is final) */
            sais_svc_write(j->svc, drop_fn, j);
            app_done(j->st, j->id);
        }
        intake_app_free(&a);
        if (!again)
            return;
    }
}

/* ---------------------------------------------------------------- the tick */

typedef struct {
    char id[INTAKE_ID_MAX];
    char job;
} job_t;

typedef struct {
    sais_svc_t *svc;
    const char *after;
    job_t       jobs[TICK_SCAN];
    size_t      n;
    bool        at_end;
} scan_ctx_t;

static int scan_fn(MDB_txn *txn, void *vctx)
{
    scan_ctx_t *s = vctx;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(s->svc, INTAKE_DB_WORK), &cur);
    if (rc != 0)
        return rc;
    MDB_val k = {strlen(s->after), (void *)s->after}, v;
    MDB_cursor_op op = *s->after ? MDB_SET_RANGE : MDB_FIRST;
    s->at_end = false;
    for (rc = mdb_cursor_get(cur, &k, &v, op); rc == 0 && s->n < TICK_SCAN;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size == strlen(s->after) && memcmp(k.mv_data, s->after, k.mv_size) == 0)
            continue;
        if (k.mv_size == 0 || k.mv_size >= INTAKE_ID_MAX || v.mv_size != 1)
            continue;
        memcpy(s->jobs[s->n].id, k.mv_data, k.mv_size);
        s->jobs[s->n].id[k.mv_size] = '\0';
        s->jobs[s->n].job = *(const char *)v.mv_data;
        s->n++;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        s->at_end = true;
        rc = 0;
    }
    return rc;
}

void intake_on_tick(sais_svc_t *svc)
{
    intake_t *st = sais_svc_state(svc);
    scan_ctx_t s = {.svc = svc, .after = st->scan_after};
    if (sais_store_read(sais_svc_store(svc), scan_fn, &s) != 0)
        return;
    int64_t t0 = sais_clock_ms();
    int done = 0;
    size_t i = 0;
    for (; i < s.n && done < TICK_JOBS && sais_clock_ms() - t0 < TICK_BUDGET_MS; i++) {
        if (app_waiting(st, s.jobs[i].id))
            continue;
        job_ctx_t j = {svc, st, s.jobs[i].id};
        run_job(&j, s.jobs[i].job);
        done++;
    }
    /* next time: on from the last entry looked at, or from the start after the end */
    if (i == s.n && s.at_end)
        st->scan_after[0] = '\0';
    else if (i > 0)
        snprintf(st->scan_after, sizeof st->scan_after, "%s", s.jobs[i - 1].id);
}

/* ---------------------------------------------------------------- proactive cases */

static int case_app(sais_svc_t *svc, MDB_txn *txn, const Rul__ProactiveCase *pc, Itk__Application *a)
{
    char id[INTAKE_ID_MAX], money[SAIS_MONEY_BUF], note[512];
    int rc = intake_next_id(svc, txn, id);
    if (rc != 0)
        return rc;
    snprintf(note, sizeof note, "proactive case %s: eligible for %s (%s); a reviewer decides", pc->case_id,
             pc->policy, sais_money_format(pc->amount, money));
    Itk__Decision *d = NULL;
    if (intake_str_set(&a->application_id, id) || intake_str_set(&a->id_number, pc->id_number)
        || intake_str_set(&a->household_id, pc->household_id) || intake_str_set(&a->channel, "proactive")
        || intake_str_set(&a->filed_region, pc->region) || intake_str_set(&a->handled_region, pc->region)
        || intake_str_set(&a->origin, "proactive") || intake_str_set(&a->case_id, pc->case_id)
        || intake_strv_add(&a->policies, &a->n_policies, pc->policy)
        || intake_app_add_decision(a, pc->policy, true, pc->amount, "", false, "", &d))
        return ENOMEM;
    for (size_t i = 0; i < pc->n_explanation; i++) {
        const Rul__Clause *cl = pc->explanation[i];
        if (intake_decision_add_clause(d, cl->clause, cl->passed, cl->detail) != 0)
            return ENOMEM;
    }
    for (size_t i = 0; i < pc->n_evidence; i++) {
        const Sais__Evidence *e = pc->evidence[i];
        if (intake_app_add_evidence(a, e->source, e->record_id, e->batch_id) != 0)
            return ENOMEM;
    }
    a->created_at = sais_clock_now();
    return intake_move(a, INTAKE_PENDING_REVIEW, "rules", note) == 0 ? 0 : ENOMEM;
}

static int refresh_case(sais_svc_t *svc, MDB_txn *txn, const char *id, const Rul__ProactiveCase *pc)
{
    Itk__Application *a = NULL;
    int rc = intake_store_get(svc, txn, id, &a);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    bool same = a->n_decisions == 1 && strcmp(a->decisions[0]->policy, pc->policy) == 0
                && a->decisions[0]->amount == pc->amount;
    if (intake_status_parse(a->status) != INTAKE_PENDING_REVIEW || same) {
        intake_app_free(&a);   /* decided already, or the same case sent again */
        return 0;
    }
    for (size_t i = 0; i < a->n_decisions; i++)
        itk__decision__free_unpacked(a->decisions[i], NULL);
    free(a->decisions);
    a->decisions = NULL;
    a->n_decisions = 0;
    Itk__Decision *d = NULL;
    char money[SAIS_MONEY_BUF], note[256];
    rc = intake_app_add_decision(a, pc->policy, true, pc->amount, "", false, "", &d) ? ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < pc->n_explanation; i++) {
        const Rul__Clause *c = pc->explanation[i];
        if (intake_decision_add_clause(d, c->clause, c->passed, c->detail) != 0)
            rc = ENOMEM;
    }
    snprintf(note, sizeof note, "proactive case %s updated by rules: %s %s on today's figures", pc->case_id,
             pc->policy, sais_money_format(pc->amount, money));
    if (rc == 0 && intake_app_add_step(a, sais_clock_now(), a->status, "rules", note) != 0)
        rc = ENOMEM;
    a->updated_at = sais_clock_now();
    if (rc == 0)
        rc = intake_store_put(svc, txn, a);
    intake_app_free(&a);
    return rc;
}

int intake_on_case(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Rul__ProactiveCase *pc = (Rul__ProactiveCase *)sais_event_unpack(&rul__proactive_case__descriptor, ev);
    if (!pc) {
        sais_warn("rules:%llu case.proactive does not unpack; skipped", (unsigned long long)ev->seq);
        return 0;
    }
    int rc = 0;
    Itk__Application *a = NULL;
    size_t cl = strlen(pc->case_id);
    if (cl == 0 || cl > 64 || !sais_region_valid(pc->region) || !*pc->id_number || !intake_policy_id_ok(pc->policy)) {
        sais_warn("rules:%llu case.proactive without case id, region, person or policy; skipped",
                  (unsigned long long)ev->seq);
        goto out;
    }
    MDB_val v;
    rc = sais_get(txn, sais_svc_dbi(svc, INTAKE_DB_CASES), pc->case_id, cl, &v);
    if (rc == 0) {
        /* this case is an application already: rules sends it again when the amount changed
         * while it waits, and the reviewer must decide on the figures of today */
        char id[INTAKE_ID_MAX];
        if (v.mv_size >= sizeof id)
            goto out;
        snprintf(id, sizeof id, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
        rc = refresh_case(svc, txn, id, pc);
        goto out;
    }
    if (rc != MDB_NOTFOUND)
        goto out;
    if (!(a = intake_app_new())) {
        rc = ENOMEM;
        goto out;
    }
    if ((rc = case_app(svc, txn, pc, a)) != 0
        || (rc = sais_put(txn, sais_svc_dbi(svc, INTAKE_DB_CASES), pc->case_id, cl, a->application_id,
                          strlen(a->application_id))) != 0
        || (rc = intake_store_put(svc, txn, a)) != 0
        || (rc = intake_work_put(svc, txn, a->application_id, INTAKE_JOB_PHONE)) != 0
        || (rc = intake_emit(svc, txn, a)) != 0)
        goto out;
    sais_debug("proactive case %s (%s) is application %s in %s's queue", pc->case_id, pc->policy,
              a->application_id, a->handled_region);
out:
    intake_app_free(&a);
    rul__proactive_case__free_unpacked(pc, NULL);
    return rc;
}

/* rules withdrew a proactive case (the household no longer qualifies, e.g. its income records
 * arrived after the registry): the application still waiting for a reviewer is closed as
 * rejected by rules, with the reason. Announced as application.withdrawn, which sends the
 * resident no SMS (nobody asked them); one already decided is left as it is. */
int intake_on_withdrawn(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Rul__ProactiveCase *pc = (Rul__ProactiveCase *)sais_event_unpack(&rul__proactive_case__descriptor, ev);
    if (!pc) {
        sais_warn("rules:%llu case.withdrawn does not unpack; skipped", (unsigned long long)ev->seq);
        return 0;
    }
    int rc = 0;
    Itk__Application *a = NULL;
    size_t cl = strlen(pc->case_id);
    MDB_val v;
    char id[INTAKE_ID_MAX];
    if (cl == 0 || cl > 64)
        goto out;
    rc = sais_get(txn, sais_svc_dbi(svc, INTAKE_DB_CASES), pc->case_id, cl, &v);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc != 0 || v.mv_size >= sizeof id)
        goto out;
    snprintf(id, sizeof id, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
    rc = intake_store_get(svc, txn, id, &a);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc != 0)
        goto out;
    if (intake_status_parse(a->status) != INTAKE_PENDING_REVIEW)
        goto out;
    char note[256];
    snprintf(note, sizeof note, "proactive case %s withdrawn: the household no longer qualifies for %s",
             pc->case_id, pc->policy);
    if (intake_move(a, INTAKE_REJECTED, "rules", note) != 0) {
        rc = ENOMEM;
        goto out;
    }
    a->updated_at = sais_clock_now();
    if ((rc = intake_store_put(svc, txn, a)) == 0 && (rc = intake_work_del(svc, txn, id)) == 0)
        rc = sais_svc_emit(svc, txn, "application.withdrawn", a->handled_region, &a->base);
    if (rc == 0)
        sais_debug("application %s closed: proactive case %s withdrawn", id, pc->case_id);
out:
    intake_app_free(&a);
    rul__proactive_case__free_unpacked(pc, NULL);
    return rc;
}
