/* intake_create — POST /v1/applications: an application with only an ID card.
 *
 * A PREPARED method (sais_service.h). The first call, outside any transaction, validates the
 * body and finds who the person is and where the household is registered: from intake's own
 * copy of the registry (intake_registry.c), or — for someone verify knows and that copy does
 * not yet — by asking verify; named policies are checked against rules' catalogue. The second
 * call, in a write transaction the runtime shares among the requests waiting together (group
 * commit), stores the application, its queue entry, its work item and the
 * "application.submitted" event. The runtime keeps the Idempotency-Key record with them: the
 * same request again -> the first answer, another under the same key -> 409.
 */
#include "intake_internal.h"
#include "sais_clock.h"
#include "sais_id.h"
#include "sais_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POLICIES 16
#define MAX_NOTE     1000

typedef struct {
    char        id_number[19];
    const char *channel;
    const char *filed_region;
    const char *policies[MAX_POLICIES];
    size_t      npolicies;
    const char *phone;            /* from the request, NULL if none */
    const char *note;
    /* from the registry */
    char        household_id[72];
    char        region[8];
    char        name[256];
    char        reg_phone[32];
} filed_t;

/* What the first call found, kept for the second (reply->user). */
typedef struct {
    json_t *body;   /* f's strings point into it */
    filed_t f;
} prepared_t;

static void prepared_free(void *p)
{
    prepared_t *pr = p;
    json_decref(pr->body);
    free(pr);
}

/* ---------------------------------------------------------------- validation */

/* Answers 422 for `field` and says the request is refused. */
static int bad(sais_reply_t *reply, const char *field, const char *code, const char *message)
{
    sais_reply_invalid(reply, field, code, message);
    return 1;
}

/* Fills f from the body; answers 422 itself and returns 1 when something is wrong. */
static int validate(const json_t *body, filed_t *f, sais_reply_t *reply)
{
    const json_t *idv = json_object_get(body, "id_number");
    if (!json_is_string(idv) || !*json_string_value(idv))
        return bad(reply, "id_number", "missing_field", "id_number is required");
    sais_id_status_t st = sais_id_check(json_string_value(idv), sais_clock_today(), f->id_number);
    if (st != SAIS_ID_OK)
        return bad(reply, "id_number", sais_id_code(st), sais_id_message(st));

    f->channel = sais_json_str(body, "channel");
    if (!f->channel)
        return bad(reply, "channel", "missing_field", "channel is required");
    if (!intake_channel_ok(f->channel))
        return bad(reply, "channel", "out_of_range",
                                  "channel is one of window, mobile, hotline, proxy");

    f->filed_region = sais_json_str(body, "filed_region");
    if (!f->filed_region)
        return bad(reply, "filed_region", "missing_field", "filed_region is required");
    if (!sais_region_valid(f->filed_region))
        return bad(reply, "filed_region", "bad_region",
                                  "filed_region is a 6-digit county code (GB/T 2260)");

    const json_t *pol = json_object_get(body, "policies");
    if (pol && !json_is_null(pol)) {
        if (!json_is_array(pol) || json_array_size(pol) > MAX_POLICIES)
            return bad(reply, "policies", "out_of_range",
                                      "policies is an array of at most 16 policy ids");
        size_t i;
        const json_t *v;
        json_array_foreach(pol, i, v) {
            const char *s = json_is_string(v) ? json_string_value(v) : NULL;
            if (!intake_policy_id_ok(s))
                return bad(reply, "policies", "out_of_range", "not a policy id");
            bool dup = false;
            for (size_t j = 0; j < f->npolicies; j++)
                dup = dup || strcmp(f->policies[j], s) == 0;
            if (!dup)
                f->policies[f->npolicies++] = s;
        }
    }

    const json_t *ph = json_object_get(body, "phone");
    if (ph && !json_is_null(ph)) {
        f->phone = json_is_string(ph) ? json_string_value(ph) : NULL;
        if (!intake_phone_ok(f->phone))
            return bad(reply, "phone", "bad_phone",
                                      "phone is 6 to 20 digits, optionally after '+'");
    }
    const json_t *nt = json_object_get(body, "note");
    if (nt && !json_is_null(nt)) {
        if (!json_is_string(nt) || strlen(json_string_value(nt)) > MAX_NOTE)
            return bad(reply, "note", "out_of_range", "note is text of at most 1000 bytes");
        f->note = json_string_value(nt);
    }
    return 0;
}

/* ---------------------------------------------------------------- the registry */

static void copy_str(char *out, size_t len, const json_t *o, const char *k)
{
    const char *s = sais_json_str(o, k);
    snprintf(out, len, "%s", s ? s : "");
}

/* The time left for a call inside this request, within the service's own limit. */
static int call_budget(const intake_t *st, const Sais__Request *req)
{
    int t = st->call_timeout_ms;
    if (req->deadline_ms > 0) {
        int64_t left = req->deadline_ms - sais_clock_ms() - 250;
        if (left < t)
            t = left > 100 ? (int)left : 100;
    }
    return t;
}

/* Who the person is and where the household is registered. Answers the request itself
 * (422 unknown_person, 503) and returns 1 when the application cannot be taken. */
static int lookup_person(sais_svc_t *svc, const Sais__Request *req, filed_t *f, sais_reply_t *reply)
{
    intake_t *st = sais_svc_state(svc);
    char *out = NULL;
    size_t n = 0;
    int status = intake_call(svc, "verify", "persons.get", NULL, NULL, call_budget(st, req), &out, &n,
                             "id_number", f->id_number, NULL);
    if (status == 404 || status == 422) {
        free(out);
        sais_reply_invalid(reply, "id_number", "unknown_person", "no person with this ID number in the registry");
        return 1;
    }
    if (status != 200) {
        free(out);
        const char *why = status == SAIS_CALL_TIMEOUT ? "did not answer in time"
                        : status < 0                  ? "is unreachable"
                                                      : "could not answer";
        sais_reply_problem(reply, 503, "verify_unavailable",
                           "the registry (verify) %s: who the applicant is cannot be looked up; try again", why);
        return 1;
    }
    json_t *p = sais_json_parse_object(out, n, NULL, 0);
    free(out);
    if (!p) {
        sais_reply_problem(reply, 503, "verify_unavailable", "the registry (verify) gave an answer that does not parse");
        return 1;
    }
    copy_str(f->household_id, sizeof f->household_id, p, "household_id");
    copy_str(f->region, sizeof f->region, p, "region");
    copy_str(f->name, sizeof f->name, p, "name");
    copy_str(f->reg_phone, sizeof f->reg_phone, p, "phone");
    json_decref(p);
    if (!sais_region_valid(f->region) || !*f->household_id) {
        sais_reply_invalid(reply, "id_number", "unknown_person",
                           "the person has no household registration in the registry");
        return 1;
    }
    return 0;
}

/* Named policies must be in rules' catalogue. When rules does not answer the application is
 * still taken: deciding asks rules again, and an unknown id is then the reason it is rejected. */
static int check_policies(sais_svc_t *svc, const Sais__Request *req, const filed_t *f, sais_reply_t *reply)
{
    if (f->npolicies == 0)
        return 0;
    intake_t *st = sais_svc_state(svc);
    char *out = NULL;
    size_t n = 0;
    int status = intake_call(svc, "rules", "policies.list", NULL, NULL, call_budget(st, req), &out, &n, NULL);
    json_t *list = status == 200 ? json_loadb(out, n, 0, NULL) : NULL;
    free(out);
    if (!json_is_array(list)) {
        sais_warn("rules' catalogue not available (%d): named policies checked when deciding", status);
        json_decref(list);
        return 0;
    }
    int bad = 0;
    for (size_t i = 0; i < f->npolicies && !bad; i++) {
        bool found = false;
        size_t j;
        json_t *p;
        json_array_foreach(list, j, p) {
            const char *id = sais_json_str(p, "id");
            if (id && strcmp(id, f->policies[i]) == 0)
                found = true;
        }
        if (!found) {
            char msg[128];
            snprintf(msg, sizeof msg, "no policy \"%s\" in the catalogue", f->policies[i]);
            sais_reply_invalid(reply, "policies", "unknown_policy", msg);
            bad = 1;
        }
    }
    json_decref(list);
    return bad;
}

/* ---------------------------------------------------------------- the write */

static int build(sais_svc_t *svc, const Sais__Request *req, const filed_t *f, MDB_txn *txn, Itk__Application *a)
{
    char id[INTAKE_ID_MAX], by[300], note[400];
    int rc = intake_next_id(svc, txn, id);
    if (rc != 0)
        return rc;
    intake_caller_name(req, "intake", by, sizeof by);
    const char *fname = sais_region_name(f->filed_region), *hname = sais_region_name(f->region);
    if (strcmp(f->filed_region, f->region) == 0)
        snprintf(note, sizeof note, "filed by %s at %s%s%s%s", f->channel, f->filed_region,
                 fname ? " (" : "", fname ? fname : "", fname ? ")" : "");
    else
        snprintf(note, sizeof note, "filed by %s at %s%s%s%s; handled by %s%s%s%s, the county of the household registration",
                 f->channel, f->filed_region, fname ? " (" : "", fname ? fname : "", fname ? ")" : "",
                 f->region, hname ? " (" : "", hname ? hname : "", hname ? ")" : "");
    int64_t now = sais_clock_now();
    const char *phone = f->phone ? f->phone : (intake_phone_ok(f->reg_phone) ? f->reg_phone : "");
    if (intake_str_set(&a->application_id, id) || intake_str_set(&a->id_number, f->id_number)
        || intake_str_set(&a->household_id, f->household_id) || intake_str_set(&a->channel, f->channel)
        || intake_str_set(&a->filed_region, f->filed_region) || intake_str_set(&a->handled_region, f->region)
        || intake_str_set(&a->phone, phone) || intake_str_set(&a->note, f->note)
        || intake_str_set(&a->origin, "application") || intake_str_set(&a->name, f->name)
        || intake_str_set(&a->filed_by, req->caller && req->caller->role && *req->caller->role ? by : ""))
        return ENOMEM;
    for (size_t i = 0; i < f->npolicies; i++)
        if (intake_strv_add(&a->policies, &a->n_policies, f->policies[i]) != 0)
            return ENOMEM;
    a->created_at = now;
    if (intake_move(a, INTAKE_SUBMITTED, by, note) != 0)
        return ENOMEM;
    return 0;
}

static int reply_created(sais_reply_t *reply, const Itk__Application *a)
{
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "application_id", a->application_id);
    sais_jw_kstr(&w, "status", a->status);
    sais_jw_kstr(&w, "filed_region", a->filed_region);
    sais_jw_kstr(&w, "handled_region", a->handled_region);
    sais_jw_kstr(&w, "household_id", a->household_id);
    sais_jw_ktime(&w, "created_at", a->created_at);
    sais_jw_obj_end(&w);
    if (sais_reply_jw(reply, 201, &w) != 0) {
        sais_jw_free(&w);
        return ENOMEM;
    }
    return 0;
}

/* The second call: the write, in a transaction shared with other requests. */
static int create_write(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const prepared_t *pr = reply->user;
    if (!pr)
        return sais_reply_problem(reply, 503, "service_error", "the application was not prepared");
    Itk__Application *a = intake_app_new();
    if (!a)
        return ENOMEM;
    int rc = build(svc, req, &pr->f, txn, a);
    if (rc == 0)
        rc = intake_store_put(svc, txn, a);
    if (rc == 0)
        rc = intake_work_put(svc, txn, a->application_id, INTAKE_JOB_PROCESS);
    if (rc == 0)
        rc = intake_emit(svc, txn, a);
    if (rc == 0)
        rc = reply_created(reply, a);
    if (rc == 0)
        sais_debug("application %s filed at %s, handled by %s", a->application_id, a->filed_region,
                   a->handled_region);
    intake_app_free(&a);
    return rc;
}

/* The first call: everything that needs no write, the registry and the catalogue. */
static int create_prepare(sais_svc_t *svc, const Sais__Request *req, sais_reply_t *reply)
{
    char err[256];
    prepared_t *pr = calloc(1, sizeof *pr);
    if (!pr)
        return ENOMEM;
    pr->body = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!pr->body) {
        free(pr);
        return sais_reply_problem(reply, 400, "bad_json", "%s", err);
    }
    filed_t *f = &pr->f;
    if (validate(pr->body, f, reply) != 0)
        goto answered;
    const char *role = sais_req_role(req);
    if (*role && strcmp(role, "admin") != 0
        && !sais_region_in_scope(f->filed_region, req->caller->regions, req->caller->n_regions)) {
        sais_reply_problem(reply, 403, "out_of_region", "you may not file applications at %s", f->filed_region);
        goto answered;
    }
    intake_registry_entry_t e;
    int rc = intake_registry_get(svc, f->id_number, &e);
    if (rc == 0) {
        snprintf(f->household_id, sizeof f->household_id, "%s", e.household_id);
        snprintf(f->region, sizeof f->region, "%s", e.region);
        snprintf(f->name, sizeof f->name, "%s", e.name);
        snprintf(f->reg_phone, sizeof f->reg_phone, "%s", e.phone);
    } else if (rc != MDB_NOTFOUND || lookup_person(svc, req, f, reply) != 0) {
        if (rc != MDB_NOTFOUND)
            sais_reply_problem(reply, 503, "store", "intake's copy of the registry cannot be read");
        goto answered;
    }
    if (check_policies(svc, req, f, reply) != 0)
        goto answered;
    reply->user = pr;
    reply->user_free = prepared_free;
    return 0;
answered:
    prepared_free(pr);
    return 0;
}

int intake_applications_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    return txn ? create_write(svc, txn, req, reply) : create_prepare(svc, req, reply);
}
