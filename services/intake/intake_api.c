/* intake_api — reading applications and reviewing them (API.md "Applications").
 *
 * Who sees what: a caller whose regions hold the handling county sees an application in
 * full; one whose regions hold only the county where it was filed sees it masked (ID number,
 * name, phone), so the window that took it can follow it; anyone else gets 403. The queue
 * (applications.list) is the handling county's: it lists only what the caller may decide.
 */
#include "intake_internal.h"
#include "sais_id.h"
#include "sais_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NOTE 1000

/* How `req`'s caller sees `a`: 2 in full, 1 masked, 0 not at all. */
static int visibility(const Sais__Request *req, const Itk__Application *a)
{
    if (sais_req_sees_region(req, a->handled_region))
        return 2;
    return sais_req_sees_region(req, a->filed_region) ? 1 : 0;
}

static int load(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, Itk__Application **a,
                sais_reply_t *reply)
{
    const char *id = sais_req_param(req, "id");
    if (!id || !*id || strlen(id) >= INTAKE_ID_MAX) {
        sais_reply_problem(reply, 404, "unknown_application", "no application with this id");
        return 1;
    }
    int rc = intake_store_get(svc, txn, id, a);
    if (rc == MDB_NOTFOUND) {
        sais_reply_problem(reply, 404, "unknown_application", "no application with this id");
        return 1;
    }
    return rc;
}

static int reply_app(sais_reply_t *reply, int status, const Itk__Application *a, bool masked)
{
    sais_jw_t w;
    sais_jw_init(&w);
    intake_app_json(&w, a, masked);
    if (sais_reply_jw(reply, status, &w) != 0) {
        sais_jw_free(&w);
        return ENOMEM;
    }
    return 0;
}

int intake_applications_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    Itk__Application *a = NULL;
    int rc = load(svc, txn, req, &a, reply);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    int vis = visibility(req, a);
    if (vis == 0)
        rc = sais_reply_problem(reply, 403, "out_of_region",
                                "the application was neither filed nor is handled in your regions");
    else
        rc = reply_app(reply, 200, a, vis == 1);
    intake_app_free(&a);
    return rc;
}

/* ---------------------------------------------------------------- the queue */

typedef struct {
    const Sais__Request *req;
    int                  status;         /* -1: any */
    const char          *household;      /* NULL: any */
    int                  limit;
    int                  n;
    char                 next[96];
    sais_jw_t           *w;
} list_ctx_t;

/* Lists one application if it passes the filters; 1 when the page is full (next is set by
 * the caller from the key it stopped at), 0 otherwise, or an LMDB code. */
static int list_one(sais_svc_t *svc, MDB_txn *txn, list_ctx_t *l, const char *id, size_t idlen)
{
    char buf[INTAKE_ID_MAX];
    if (idlen == 0 || idlen >= sizeof buf)
        return 0;
    memcpy(buf, id, idlen);
    buf[idlen] = '\0';
    Itk__Application *a = NULL;
    int rc = intake_store_get(svc, txn, buf, &a);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
        if (rc == MDB_CORRUPTED)
            sais_warn("application %s does not unpack; left out of the list", buf);
        return 0;
    }
    if (rc != 0)
        return rc;
    bool keep = visibility(l->req, a) == 2
             && (l->status < 0 || intake_status_parse(a->status) == l->status)
             && (!l->household || strcmp(a->household_id, l->household) == 0);
    if (keep) {
        if (l->n == l->limit) {
            intake_app_free(&a);
            return 1;
        }
        intake_app_json(l->w, a, false);
        l->n++;
    }
    intake_app_free(&a);
    return 0;
}

/* Walks `dbi` from `start` (or the first key with `prefix`) while keys have `prefix`;
 * by_region: keys are "region|id" and values statuses (filtered before loading). */
static int walk(sais_svc_t *svc, MDB_txn *txn, list_ctx_t *l, MDB_dbi dbi, const char *prefix,
                const char *after, bool by_region)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    size_t plen = strlen(prefix);
    const char *from = after && *after ? after : prefix;
    MDB_val k = {strlen(from), (void *)from}, v;
    MDB_cursor_op op = *from ? MDB_SET_RANGE : MDB_FIRST;
    const char *status = l->status >= 0 ? intake_status_name(l->status) : NULL;
    for (rc = mdb_cursor_get(cur, &k, &v, op); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        if (after && *after && k.mv_size == strlen(after) && memcmp(k.mv_data, after, k.mv_size) == 0)
            continue; /* the cursor names the last item of the previous page */
        const char *id = k.mv_data;
        size_t idlen = k.mv_size;
        if (by_region) {
            if (status && (v.mv_size != strlen(status) || memcmp(v.mv_data, status, v.mv_size) != 0))
                continue;
            const char *bar = memchr(k.mv_data, '|', k.mv_size);
            if (!bar)
                continue;
            id = bar + 1;
            idlen = k.mv_size - (size_t)(id - (const char *)k.mv_data);
        }
        int r = list_one(svc, txn, l, id, idlen);
        if (r == 1) {
            /* full: the cursor is the key of the last item listed, which is the one before */
            break;
        }
        if (r != 0) {
            mdb_cursor_close(cur);
            return r;
        }
        if (k.mv_size < sizeof l->next)
            snprintf(l->next, sizeof l->next, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
    }
    mdb_cursor_close(cur);
    return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : rc;
}

static bool digits(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    return n >= 1 && n <= max;
}

int intake_applications_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    int limit = sais_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "out_of_range", "limit is a whole number from 1 to 1000");
    const char *region = sais_req_param(req, "region");
    const char *status = sais_req_param(req, "status");
    const char *hh = sais_req_param(req, "household_id");
    const char *after = sais_req_param(req, "cursor");
    list_ctx_t l = {.req = req, .status = -1, .limit = limit, .household = hh && *hh ? hh : NULL};
    if (status && *status && (l.status = intake_status_parse(status)) < 0)
        return sais_reply_invalid(reply, "status", "out_of_range",
                                  "status is one of submitted, verifying, deciding, pending_review, approved, rejected");
    if (region && *region && !digits(region, 6))
        return sais_reply_invalid(reply, "region", "bad_region", "region is a county code or a prefix of one");
    char prefix[16] = "";
    if (region && *region)
        snprintf(prefix, sizeof prefix, "%s%s", region, strlen(region) == 6 ? "|" : "");
    if (after && *after && (strlen(after) >= sizeof l.next || strncmp(after, prefix, strlen(prefix)) != 0))
        return sais_reply_invalid(reply, "cursor", "bad_cursor", "the cursor does not belong to this list");

    sais_jw_t w;
    sais_jw_init(&w);
    l.w = &w;
    sais_jw_obj(&w);
    sais_jw_key(&w, "items");
    sais_jw_arr(&w);
    int rc = *prefix ? walk(svc, txn, &l, sais_svc_dbi(svc, INTAKE_DB_REGION), prefix, after, true)
                     : walk(svc, txn, &l, sais_svc_dbi(svc, INTAKE_DB_APPS), "", after, false);
    if (rc != 0) {
        sais_jw_free(&w);
        return rc;
    }
    sais_jw_arr_end(&w);
    sais_jw_key(&w, "next_cursor");
    if (l.n == l.limit && *l.next)
        sais_jw_str(&w, l.next);
    else
        sais_jw_null(&w);
    sais_jw_obj_end(&w);
    if (sais_reply_jw(reply, 200, &w) != 0) {
        sais_jw_free(&w);
        return ENOMEM;
    }
    return 0;
}

/* ---------------------------------------------------------------- review */

int intake_applications_review(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *role = sais_req_role(req);
    if (*role && strcmp(role, "reviewer") != 0 && strcmp(role, "admin") != 0)
        return sais_reply_problem(reply, 403, "forbidden", "only a reviewer decides applications");
    Itk__Application *a = NULL;
    json_t *body = NULL;
    int rc = load(svc, txn, req, &a, reply);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    char err[256];
    if (!sais_req_sees_region(req, a->handled_region)) {
        rc = sais_reply_problem(reply, 403, "out_of_region",
                                "application %s is handled by %s, outside your regions",
                                a->application_id, a->handled_region);
        goto out;
    }
    if (!(body = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err))) {
        rc = sais_reply_problem(reply, 400, "bad_json", "%s", err);
        goto out;
    }
    const char *decision = sais_json_str(body, "decision");
    bool approve = decision && strcmp(decision, "approve") == 0;
    if (!decision || (!approve && strcmp(decision, "reject") != 0)) {
        rc = sais_reply_invalid(reply, "decision", decision ? "out_of_range" : "missing_field",
                                "decision is approve or reject");
        goto out;
    }
    const json_t *nt = json_object_get(body, "note");
    const char *note = "";
    if (nt && !json_is_null(nt)) {
        if (!json_is_string(nt) || strlen(json_string_value(nt)) > MAX_NOTE) {
            rc = sais_reply_invalid(reply, "note", "out_of_range", "note is text of at most 1000 bytes");
            goto out;
        }
        note = json_string_value(nt);
    }
    if (intake_status_parse(a->status) != INTAKE_PENDING_REVIEW) {
        rc = sais_reply_problem(reply, 409, "illegal_transition",
                                "application %s is %s; only an application pending review can be reviewed",
                                a->application_id, a->status);
        goto out;
    }
    char by[300];
    intake_caller_name(req, "intake", by, sizeof by);
    int mv = intake_move(a, approve ? INTAKE_APPROVED : INTAKE_REJECTED, by, note);
    if (mv != 0) {
        rc = mv < 0 ? ENOMEM : sais_reply_problem(reply, 409, "illegal_transition", "not a legal step");
        goto out;
    }
    if (approve) {
        size_t idx[32];
        size_t n = intake_review_policies(a->decisions, a->n_decisions, idx, 32);
        if (intake_set_approved(a, idx, n) != 0) {
            rc = ENOMEM;
            goto out;
        }
    } else {
        intake_strv_clear(&a->approved_policies, &a->n_approved_policies);
    }
    if ((rc = intake_store_put(svc, txn, a)) != 0 || (rc = intake_emit(svc, txn, a)) != 0)
        goto out;
    sais_info("application %s %s by %s", a->application_id, a->status, by);
    rc = reply_app(reply, 200, a, false);
out:
    json_decref(body);
    intake_app_free(&a);
    return rc;
}
