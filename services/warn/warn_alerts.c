/* warn_alerts — GET /v1/alerts, POST /v1/alerts/{id}/acknowledge and /resolve (API.md
 * "Early warning"). */
#include "warn_internal.h"
#include "warn_list.h"
#include "sais_index.h"
#include "sais_clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int warn_req_limit(const Sais__Request *req)
{
    const char *s = sais_req_param(req, "limit");
    if (!s || !*s)
        return 50;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || *end || n < 1 || n > 1000)
        return -1;
    return (int)n;
}

bool warn_region_match(const char *region, const char *filter)
{
    if (!filter || !*filter)
        return true;
    return region && strncmp(region, filter, strlen(filter)) == 0;
}

static bool s_status_valid(const char *s)
{
    return strcmp(s, "open") == 0 || strcmp(s, "acknowledged") == 0 || strcmp(s, "resolved") == 0;
}

static bool s_filter(const Wrn__Alert *a, const Sais__Request *req)
{
    const char *region = sais_req_param(req, "region");
    const char *status = sais_req_param(req, "status");
    const char *kind = sais_req_param(req, "kind");
    const char *hid = sais_req_param(req, "household_id");
    const char *idn = sais_req_param(req, "id_number");
    if (!sais_req_sees_region(req, a->region) || !warn_region_match(a->region, region))
        return false;
    if (status && *status && strcmp(a->status, status) != 0)
        return false;
    if (kind && *kind && strcmp(a->kind, kind) != 0)
        return false;
    if (hid && *hid && strcmp(a->household_id, hid) != 0)
        return false;
    return !(idn && *idn && strcmp(a->id_number, idn) != 0);
}

/* One page of the list: each alert read goes in, or ends the page (sais_walk_fn). */
typedef struct {
    sais_jw_t           *w;
    const Sais__Request *req;
    int                  n, limit;
    bool                 more;
    char                 last[72];
} s_page_t;

static int s_page_add(const MDB_val *k, const MDB_val *v, void *ctx)
{
    (void)k;
    s_page_t *pg = ctx;
    Wrn__Alert *a = wrn__alert__unpack(NULL, v->mv_size, v->mv_data);
    if (!a)
        return -1;
    int r = 0;
    if (s_filter(a, pg->req)) {
        if (pg->n == pg->limit) {
            pg->more = true;
            r = 1;
        } else {
            warn_alert_json(pg->w, a, pg->req);
            snprintf(pg->last, sizeof pg->last, "%s", a->alert_id);
            pg->n++;
        }
    }
    wrn__alert__free_unpacked(a, NULL);
    return r;
}

int warn_alerts_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *status = sais_req_param(req, "status");
    const char *kind = sais_req_param(req, "kind");
    const char *cursor = sais_req_param(req, "cursor");
    const char *hid = sais_req_param(req, "household_id");
    int limit = warn_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "bad_limit", "limit must be a whole number from 1 to 1000");
    if (status && *status && !s_status_valid(status))
        return sais_reply_invalid(reply, "status", "bad_status", "status must be open, acknowledged or resolved");
    if (kind && *kind && !warn_kind_valid(kind))
        return sais_reply_invalid(reply, "kind", "bad_kind", "kind is not an alert kind of API.md");

    sais_jw_t w;
    warn_list_begin(&w);
    s_page_t pg = {.w = &w, .req = req, .limit = limit};
    MDB_dbi alerts = sais_svc_dbi(svc, "alerts");
    /* ?household_id= walks that household's own index (hhalerts) rather than every alert of
     * the city: the household page and a feed's "did it raise?" stay fast at 6M */
    int rc = hid && *hid
                 ? sais_walk_index(txn, sais_svc_dbi(svc, "hhalerts"), alerts, hid, cursor, s_page_add, &pg)
                 : sais_walk_table(txn, alerts, cursor, s_page_add, &pg);
    return warn_list_end(&w, rc, pg.more, pg.last, reply);
}

/* The alert named by {id}, visible to the caller; otherwise the reply says why (rc 0 and
 * *out NULL). */
static int s_target(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply,
                    Wrn__Alert **out)
{
    const char *id = sais_req_param(req, "id");
    int rc = warn_alert_get(svc, txn, id, out);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_alert", "no alert %.64s", id ? id : "");
    if (rc != 0)
        return rc;
    if (!sais_req_sees_region(req, (*out)->region)) {
        wrn__alert__free_unpacked(*out, NULL);
        *out = NULL;
        return sais_reply_problem(reply, 403, "out_of_region", "the alert belongs to a region outside your scope");
    }
    return 0;
}

/* The optional JSON body: each named member must be a string if present. */
static json_t *s_body(const Sais__Request *req, sais_reply_t *reply, const char *const *fields, int *rc)
{
    char err[200];
    *rc = 0;
    if (req->body.len == 0)
        return json_object();
    json_t *o = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!o) {
        *rc = sais_reply_problem(reply, 400, "bad_json", "%s", err);
        return NULL;
    }
    for (size_t i = 0; fields[i]; i++) {
        json_t *f = json_object_get(o, fields[i]);
        if (f && !json_is_string(f) && !json_is_null(f)) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s must be a string", fields[i]);
            *rc = sais_reply_invalid(reply, fields[i], "not_a_string", msg);
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static int s_reply_alert(sais_reply_t *reply, const Wrn__Alert *a, const Sais__Request *req)
{
    sais_jw_t w;
    sais_jw_init(&w);
    warn_alert_json(&w, a, req);
    return sais_reply_jw(reply, 200, &w);
}

int warn_alerts_acknowledge(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    static const char *const fields[] = {"note", NULL};
    int rc;
    json_t *body = s_body(req, reply, fields, &rc);
    if (!body)
        return rc;
    Wrn__Alert *a = NULL;
    rc = s_target(svc, txn, req, reply, &a);
    if (rc != 0 || !a)
        goto done;
    if (strcmp(a->status, "resolved") == 0) {
        rc = sais_reply_problem(reply, 409, "alert_resolved", "alert %s is resolved already", a->alert_id);
        goto done;
    }
    if (strcmp(a->status, "open") == 0) {
        const char *note = sais_json_str(body, "note");
        if (warn_pb_strset(&a->status, "acknowledged") || (note && warn_pb_strset(&a->note, note))) {
            rc = -1;
            goto done;
        }
        a->updated_at = sais_clock_now();
        rc = warn_alert_put(svc, txn, a);
        if (rc == 0)
            rc = sais_svc_emit(svc, txn, "alert.acknowledged", a->region, &a->base);
        if (rc != 0)
            goto done;
    }
    rc = s_reply_alert(reply, a, req); /* acknowledging twice changes nothing */
done:
    if (a)
        wrn__alert__free_unpacked(a, NULL);
    json_decref(body);
    return rc;
}

int warn_alerts_resolve(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    static const char *const fields[] = {"outcome", "note", NULL};
    int rc;
    json_t *body = s_body(req, reply, fields, &rc);
    if (!body)
        return rc;
    Wrn__Alert *a = NULL;
    warn_hh_t hh;
    memset(&hh, 0, sizeof hh);
    rc = s_target(svc, txn, req, reply, &a);
    if (rc != 0 || !a)
        goto done;
    if (strcmp(a->status, "resolved") == 0) {
        rc = sais_reply_problem(reply, 409, "alert_resolved", "alert %s is resolved already", a->alert_id);
        goto done;
    }
    const char *outcome = sais_json_str(body, "outcome");
    rc = warn_alert_close(svc, txn, a, outcome && *outcome ? outcome : "resolved", sais_json_str(body, "note"));
    if (rc != 0)
        goto done;
    if (strcmp(a->kind, WARN_K_RECHECK) == 0) {
        /* the re-check is done: the next one is counted from today */
        rc = warn_hh_load(svc, txn, a->household_id, &hh);
        if (rc == 0) {
            hh.last_check = sais_clock_today();
            rc = warn_hh_save(svc, txn, &hh);
        }
        if (rc != 0)
            goto done;
    }
    rc = s_reply_alert(reply, a, req);
done:
    warn_hh_clear(&hh);
    if (a)
        wrn__alert__free_unpacked(a, NULL);
    json_decref(body);
    return rc;
}
