/* warn_visits — home visits (API.md "Visits"): POST /v1/visits, GET /v1/visits,
 * GET /v1/visits/due and the household's visit code.
 *
 * Alerts follow the household's latest visit (by visited_at; a tie goes to the later
 * posted): a risk of visit_risk_min or more raises visit_risk, a latest visit with every
 * aspect below it resolves it, and any later visit satisfies a pending follow-up. A visit
 * posted with an earlier date than the latest one is recorded but changes no alert. */
#include "warn_internal.h"
#include "warn_list.h"
#include "warn_code.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX    4000
#define VISITOR_MAX 200

static int s_visit_get(sais_svc_t *svc, MDB_txn *txn, const char *id, size_t len, Wst__Visit **out)
{
    ProtobufCMessage *m = NULL;
    *out = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, "visits"), id, len, &wst__visit__descriptor, &m);
    if (rc == 0)
        *out = (Wst__Visit *)m;
    return rc;
}

static void s_risks(const Wst__Visit *v, int r[WARN_RISKS])
{
    r[0] = v->economy;
    r[1] = v->health;
    r[2] = v->education;
    r[3] = v->housing;
    r[4] = v->employment;
    r[5] = v->safety;
}

static void s_visit_json(sais_jw_t *w, const Wst__Visit *v, bool close)
{
    int r[WARN_RISKS];
    s_risks(v, r);
    sais_jw_obj(w);
    sais_jw_kstr(w, "visit_id", v->visit_id);
    sais_jw_kstr(w, "household_id", v->household_id);
    sais_jw_kstr(w, "region", v->region);
    sais_jw_kstr(w, "visitor", v->visitor);
    sais_jw_kstr(w, "visited_at", v->visited_at);
    sais_jw_key(w, "risks");
    sais_jw_obj(w);
    for (int i = 0; i < WARN_RISKS; i++)
        sais_jw_kint(w, warn_risk_names[i], r[i]);
    sais_jw_obj_end(w);
    sais_jw_kstr(w, "note", v->note);
    sais_jw_key(w, "follow_up_due");
    if (v->follow_up_due && *v->follow_up_due)
        sais_jw_str(w, v->follow_up_due);
    else
        sais_jw_null(w);
    sais_jw_ktime(w, "created_at", v->created_at);
    sais_jw_kbool(w, "by_code", v->by_code);
    if (close)
        sais_jw_obj_end(w);
}

/* ---------------------------------------------------------------- input */

/* A date "YYYY-MM-DD", or an RFC 3339 time taken as its bureau day. -1 if neither. */
static long s_visit_day(const char *s)
{
    long d = warn_day_parse(s);
    if (d >= 0)
        return d;
    int64_t t = sais_time_parse(s);
    return t < 0 ? -1 : warn_day_of(t);
}

typedef struct {
    const char *token, *household_id, *visitor, *note;
    long        visited_at, follow_up_due;
    int         risks[WARN_RISKS];
} s_input_t;

/* Reads the body into *in; on invalid input the reply says why and 1 is returned. */
static int s_read_input(const json_t *o, s_input_t *in, sais_reply_t *reply, int *rc)
{
    static const char *const strings[] = {"token", "household_id", "visitor", "note", "visited_at", "follow_up_due", NULL};
    memset(in, 0, sizeof *in);
    in->follow_up_due = -1;
    for (size_t i = 0; strings[i]; i++) {
        json_t *f = json_object_get(o, strings[i]);
        if (f && !json_is_string(f) && !json_is_null(f)) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s must be a string", strings[i]);
            *rc = sais_reply_invalid(reply, strings[i], "not_a_string", msg);
            return 1;
        }
    }
    in->token = sais_json_str(o, "token");
    in->household_id = sais_json_str(o, "household_id");
    in->visitor = sais_json_str(o, "visitor");
    in->note = sais_json_str(o, "note");
    if ((!in->token || !*in->token) && (!in->household_id || !*in->household_id)) {
        *rc = sais_reply_invalid(reply, "household_id", "missing_field", "household_id or token is required");
        return 1;
    }
    if (in->household_id && strlen(in->household_id) > WARN_HID_MAX) {
        *rc = sais_reply_invalid(reply, "household_id", "too_long", "household_id is longer than 64 bytes");
        return 1;
    }
    if ((in->note && strlen(in->note) > NOTE_MAX) || (in->visitor && strlen(in->visitor) > VISITOR_MAX)) {
        bool note = in->note && strlen(in->note) > NOTE_MAX;
        *rc = sais_reply_invalid(reply, note ? "note" : "visitor", "too_long",
                                 note ? "note is longer than 4000 bytes" : "visitor is longer than 200 bytes");
        return 1;
    }
    const char *at = sais_json_str(o, "visited_at");
    if (!at || !*at) {
        *rc = sais_reply_invalid(reply, "visited_at", "missing_field", "visited_at is required (YYYY-MM-DD)");
        return 1;
    }
    in->visited_at = s_visit_day(at);
    if (in->visited_at < 0) {
        *rc = sais_reply_invalid(reply, "visited_at", "bad_date", "visited_at is not a date (YYYY-MM-DD)");
        return 1;
    }
    if (in->visited_at > sais_clock_today()) {
        *rc = sais_reply_invalid(reply, "visited_at", "in_future", "visited_at is after today");
        return 1;
    }
    const char *due = sais_json_str(o, "follow_up_due");
    if (due && *due) {
        in->follow_up_due = warn_day_parse(due);
        if (in->follow_up_due < 0) {
            *rc = sais_reply_invalid(reply, "follow_up_due", "bad_date", "follow_up_due is not a date (YYYY-MM-DD)");
            return 1;
        }
        if (in->follow_up_due < in->visited_at) {
            *rc = sais_reply_invalid(reply, "follow_up_due", "before_visit", "follow_up_due is before visited_at");
            return 1;
        }
    }
    json_t *risks = json_object_get(o, "risks");
    if (!json_is_object(risks)) {
        *rc = sais_reply_invalid(reply, "risks", "missing_field", "risks must be an object with the six aspects");
        return 1;
    }
    for (int i = 0; i < WARN_RISKS; i++) {
        json_t *r = json_object_get(risks, warn_risk_names[i]);
        char field[32], msg[128];
        snprintf(field, sizeof field, "risks.%s", warn_risk_names[i]);
        if (!json_is_integer(r) || json_integer_value(r) < 0 || json_integer_value(r) > 3) {
            snprintf(msg, sizeof msg, "risks.%s is required, a whole number from 0 to 3", warn_risk_names[i]);
            *rc = sais_reply_invalid(reply, field, r ? "bad_risk" : "missing_field", msg);
            return 1;
        }
        in->risks[i] = (int)json_integer_value(r);
    }
    return 0;
}

/* ---------------------------------------------------------------- create */

static int s_drop_followup(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh)
{
    if (!*hh->followup_visit || hh->followup_due < 0)
        return 0;
    char key[128];
    size_t n = warn_key_followup(key, sizeof key, hh->followup_due, hh->household_id);
    int rc = n ? sais_del(txn, sais_svc_dbi(svc, "followups"), key, n) : 0;
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    n = warn_key_sched(key, sizeof key, hh->followup_due + 1, 'f', hh->household_id);
    rc = n ? sais_del(txn, sais_svc_dbi(svc, "schedule"), key, n) : 0;
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    hh->followup_visit[0] = '\0';
    hh->followup_due = -1;
    return 0;
}

static int s_set_followup(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh, const char *visit_id, long due)
{
    char key[128];
    size_t n = warn_key_followup(key, sizeof key, due, hh->household_id);
    int rc = n ? sais_put(txn, sais_svc_dbi(svc, "followups"), key, n, visit_id, strlen(visit_id)) : 0;
    if (rc != 0)
        return rc;
    /* overdue from the day after it was due */
    n = warn_key_sched(key, sizeof key, due + 1, 'f', hh->household_id);
    rc = n ? sais_put(txn, sais_svc_dbi(svc, "schedule"), key, n, "", 0) : 0;
    if (rc != 0)
        return rc;
    snprintf(hh->followup_visit, sizeof hh->followup_visit, "%s", visit_id);
    hh->followup_due = due;
    return 0;
}

/* What the latest visit does to the household's alerts and follow-up. */
static int s_latest_visit(sais_svc_t *svc, MDB_txn *txn, warn_hh_t *hh, const Wst__Visit *v, long due)
{
    const warn_params_t *p = &warn_state(svc)->params;
    char note[160];
    snprintf(note, sizeof note, "visit %s on %s", v->visit_id, v->visited_at);
    int rc = s_drop_followup(svc, txn, hh);
    if (rc == 0)
        rc = warn_alert_close_open(svc, txn, hh->household_id, WARN_K_FOLLOW_UP, "visited", note, NULL);
    if (rc != 0)
        return rc;
    int r[WARN_RISKS], top = 0;
    s_risks(v, r);
    const char *severity = warn_visit_severity(p, r, &top);
    if (severity) {
        warn_signal_t sig = {.kind = WARN_K_VISIT_RISK, .severity = severity, .source = "visit",
                             .raise = true, .day = -1};
        snprintf(sig.id_number, sizeof sig.id_number, "%s", hh->picture && hh->picture->head_id ? hh->picture->head_id : "");
        size_t o = (size_t)snprintf(sig.detail, sizeof sig.detail, "visit %s on %s scored", v->visit_id, v->visited_at);
        for (int i = 0; i < WARN_RISKS && o < sizeof sig.detail; i++)
            if (r[i] >= p->visit_risk_min)
                o += (size_t)snprintf(sig.detail + o, sizeof sig.detail - o, " %s %d,", warn_risk_names[i], r[i]);
        if (o < sizeof sig.detail && sig.detail[o - 1] == ',')
            sig.detail[o - 1] = '\0';
        Sais__Evidence e = SAIS__EVIDENCE__INIT, *ev[1] = {&e};
        e.source = "visit";
        e.record_id = v->visit_id;
        rc = warn_apply_signal(svc, txn, hh, &sig, ev, 1, NULL);
    } else {
        char done[200];
        snprintf(done, sizeof done, "%s scored every aspect below %d", note, p->visit_risk_min);
        rc = warn_alert_close_open(svc, txn, hh->household_id, WARN_K_VISIT_RISK, "visited", done, NULL);
    }
    if (rc == 0 && due >= 0)
        rc = s_set_followup(svc, txn, hh, v->visit_id, due);
    return rc;
}

int warn_visits_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    char err[200];
    json_t *o = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!o)
        return sais_reply_problem(reply, 400, "bad_json", "%s", err);
    s_input_t in;
    warn_hh_t hh;
    memset(&hh, 0, sizeof hh);
    int rc = 0;
    if (s_read_input(o, &in, reply, &rc))
        goto done;

    char code_hid[WARN_HID_MAX + 1];
    const char *hid = in.household_id;
    if (in.token && *in.token) {
        const warn_t *st = warn_state(svc);
        warn_code_status_t cs = warn_code_check(st->code_key, st->code_keylen, in.token, sais_clock_now(),
                                                code_hid, sizeof code_hid, NULL);
        if (cs == WARN_CODE_BAD) {
            rc = sais_reply_invalid(reply, "token", "bad_visit_code", "the visit code is not genuine");
            goto done;
        }
        if (cs == WARN_CODE_EXPIRED) {
            rc = sais_reply_invalid(reply, "token", "visit_code_expired", "the visit code has expired");
            goto done;
        }
        if (hid && *hid && strcmp(hid, code_hid) != 0) {
            rc = sais_reply_invalid(reply, "token", "visit_code_mismatch",
                                    "the visit code belongs to another household");
            goto done;
        }
        hid = code_hid;
    }
    rc = warn_hh_load(svc, txn, hid, &hh);
    if (rc != 0 && rc != MDB_BAD_VALSIZE)
        goto done;
    if (rc == MDB_BAD_VALSIZE || !hh.found || !*hh.region) {
        rc = sais_reply_invalid(reply, "household_id", "unknown_household", "no such household");
        goto done;
    }
    if (!sais_req_sees_region(req, hh.region)) {
        rc = sais_reply_problem(reply, 403, "out_of_region", "the household belongs to a region outside your scope");
        goto done;
    }

    uint64_t n;
    if ((rc = sais_next_id(sais_svc_store(svc), txn, "visit", &n)) != 0)
        goto done;
    char id[24], visited[11], due[11] = "";
    snprintf(id, sizeof id, "VS%08llu", (unsigned long long)n);
    sais_date_format(in.visited_at, visited);
    if (in.follow_up_due >= 0)
        sais_date_format(in.follow_up_due, due);
    const char *who = req->caller && req->caller->name ? req->caller->name : "";
    Wst__Visit v = WST__VISIT__INIT;
    v.visit_id = id;
    v.household_id = hh.household_id;
    v.region = hh.region;
    v.visitor = (char *)(in.visitor && *in.visitor ? in.visitor : who);
    v.visited_at = visited;
    v.economy = in.risks[0];
    v.health = in.risks[1];
    v.education = in.risks[2];
    v.housing = in.risks[3];
    v.employment = in.risks[4];
    v.safety = in.risks[5];
    v.note = (char *)(in.note ? in.note : "");
    v.follow_up_due = due;
    v.created_at = sais_clock_now();
    v.created_by = (char *)who;
    v.by_code = in.token && *in.token;
    char key[WARN_HID_MAX + 32];
    size_t kn = warn_key_pair(key, sizeof key, hh.household_id, id);
    if ((rc = sais_put_pb(txn, sais_svc_dbi(svc, "visits"), id, strlen(id), &v.base)) != 0
        || (rc = sais_put(txn, sais_svc_dbi(svc, "hhvisits"), key, kn, "", 0)) != 0)
        goto done;
    if (hh.last_visit_at < 0 || in.visited_at >= hh.last_visit_at) {
        snprintf(hh.last_visit, sizeof hh.last_visit, "%s", id);
        hh.last_visit_at = in.visited_at;
        if ((rc = s_latest_visit(svc, txn, &hh, &v, in.follow_up_due)) != 0)
            goto done;
    }
    if ((rc = warn_hh_save(svc, txn, &hh)) != 0)
        goto done;
    sais_jw_t w;
    sais_jw_init(&w);
    s_visit_json(&w, &v, true);
    rc = sais_reply_jw(reply, 201, &w);
done:
    warn_hh_clear(&hh);
    json_decref(o);
    return rc;
}

/* ---------------------------------------------------------------- lists */

int warn_visits_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *hid = sais_req_param(req, "household_id");
    const char *region = sais_req_param(req, "region");
    const char *cursor = sais_req_param(req, "cursor");
    int limit = warn_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "bad_limit", "limit must be a whole number from 1 to 1000");
    bool by_hh = hid && *hid;
    if (by_hh) {
        if (strlen(hid) > WARN_HID_MAX)
            return sais_reply_invalid(reply, "household_id", "too_long", "household_id is longer than 64 bytes");
        warn_hh_t hh;
        int rc = warn_hh_load(svc, txn, hid, &hh);
        bool sees = rc == 0 && (!hh.found || sais_req_sees_region(req, hh.region));
        warn_hh_clear(&hh);
        if (rc != 0)
            return rc;
        if (!sees)
            return sais_reply_problem(reply, 403, "out_of_region", "the household belongs to a region outside your scope");
    }
    if (cursor && strlen(cursor) > 32)
        return sais_reply_invalid(reply, "cursor", "bad_cursor", "cursor is not one this list gave");
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, by_hh ? "hhvisits" : "visits"), &cur);
    if (rc != 0)
        return rc;
    char start[WARN_HID_MAX + 96];
    size_t prefix = 0, slen;
    if (by_hh) {
        prefix = strlen(hid) + 1;
        slen = warn_key_pair(start, sizeof start, hid, cursor ? cursor : "");
    } else {
        slen = (size_t)snprintf(start, sizeof start, "%s", cursor ? cursor : "");
    }
    sais_jw_t w;
    warn_list_begin(&w);
    MDB_val k = {slen, start}, val;
    MDB_cursor_op op = slen ? MDB_SET_RANGE : MDB_FIRST;
    int n = 0;
    bool more = false;
    char last[24] = "";
    while ((rc = mdb_cursor_get(cur, &k, &val, op)) == 0) {
        op = MDB_NEXT;
        if (by_hh && (k.mv_size < prefix || memcmp(k.mv_data, start, prefix) != 0))
            break;
        if (cursor && *cursor && k.mv_size == slen && memcmp(k.mv_data, start, slen) == 0)
            continue;
        const char *vid = (const char *)k.mv_data + prefix;
        size_t vlen = k.mv_size - prefix;
        Wst__Visit *v = NULL;
        if (by_hh) {
            rc = s_visit_get(svc, txn, vid, vlen, &v);
        } else {
            v = wst__visit__unpack(NULL, val.mv_size, val.mv_data);
            rc = v ? 0 : MDB_CORRUPTED;
        }
        if (rc != 0)
            break;
        if (sais_req_sees_region(req, v->region) && warn_region_match(v->region, region)) {
            if (n == limit) {
                more = true;
                wst__visit__free_unpacked(v, NULL);
                break;
            }
            s_visit_json(&w, v, true);
            snprintf(last, sizeof last, "%s", v->visit_id);
            n++;
        }
        wst__visit__free_unpacked(v, NULL);
    }
    mdb_cursor_close(cur);
    return warn_list_end(&w, rc, more, last, reply);
}

/* Follow-ups due by today (+ ?within_days=), oldest first; the cursor is "date|household". */
int warn_visits_due(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *region = sais_req_param(req, "region");
    const char *cursor = sais_req_param(req, "cursor");
    const char *within = sais_req_param(req, "within_days");
    int limit = warn_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "bad_limit", "limit must be a whole number from 1 to 1000");
    long ahead = 0;
    if (within && *within) {
        char *end;
        errno = 0;
        ahead = strtol(within, &end, 10);
        if (errno || *end || ahead < 0 || ahead > 366)
            return sais_reply_invalid(reply, "within_days", "bad_number", "within_days must be from 0 to 366");
    }
    long today = sais_clock_today(), until = today + ahead;
    char start[WARN_HID_MAX + 32];
    size_t slen = 0;
    if (cursor && *cursor) {
        const char *bar = strchr(cursor, '|');
        if (!bar || bar - cursor != 10 || strlen(bar + 1) > WARN_HID_MAX)
            return sais_reply_invalid(reply, "cursor", "bad_cursor", "cursor is not one this list gave");
        memcpy(start, cursor, 10);
        start[10] = '\0';
        slen = 11 + strlen(bar + 1);
        memcpy(start + 11, bar + 1, strlen(bar + 1));
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, "followups"), &cur);
    if (rc != 0)
        return rc;
    sais_jw_t w;
    warn_list_begin(&w);
    MDB_val k = {slen, start}, val;
    MDB_cursor_op op = slen ? MDB_SET_RANGE : MDB_FIRST;
    int n = 0;
    bool more = false;
    char last[WARN_HID_MAX + 16] = "";
    while ((rc = mdb_cursor_get(cur, &k, &val, op)) == 0) {
        op = MDB_NEXT;
        if (slen && k.mv_size == slen && memcmp(k.mv_data, start, slen) == 0)
            continue;
        if (k.mv_size < 12)
            continue;
        long due = sais_date_parse(k.mv_data, 10);
        if (due > until)
            break;
        Wst__Visit *v = NULL;
        rc = s_visit_get(svc, txn, val.mv_data, val.mv_size, &v);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc != 0)
            break;
        if (sais_req_sees_region(req, v->region) && warn_region_match(v->region, region)) {
            if (n == limit) {
                more = true;
                wst__visit__free_unpacked(v, NULL);
                break;
            }
            s_visit_json(&w, v, false);
            sais_jw_kbool(&w, "overdue", due < today);
            sais_jw_kint(&w, "days_overdue", due < today ? today - due : 0);
            sais_jw_obj_end(&w);
            snprintf(last, sizeof last, "%.10s|%.*s", (const char *)k.mv_data, (int)(k.mv_size - 11),
                     (const char *)k.mv_data + 11);
            n++;
        }
        wst__visit__free_unpacked(v, NULL);
    }
    mdb_cursor_close(cur);
    return warn_list_end(&w, rc, more, last, reply);
}

/* ---------------------------------------------------------------- the door-plate code */

int warn_visits_code(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *hid = sais_req_param(req, "household_id");
    warn_hh_t hh;
    int rc = warn_hh_load(svc, txn, hid, &hh);
    if (rc != 0 && rc != MDB_BAD_VALSIZE) {
        warn_hh_clear(&hh);
        return rc;
    }
    if (rc == MDB_BAD_VALSIZE || !hh.found) {
        warn_hh_clear(&hh);
        return sais_reply_problem(reply, 404, "unknown_household", "no household %.64s", hid ? hid : "");
    }
    bool sees = sais_req_sees_region(req, hh.region);
    warn_hh_clear(&hh);
    if (!sees)
        return sais_reply_problem(reply, 403, "out_of_region", "the household belongs to a region outside your scope");
    const warn_t *st = warn_state(svc);
    int64_t expires = sais_clock_now() + st->code_ttl;
    char token[WARN_CODE_MAX];
    if (warn_code_make(st->code_key, st->code_keylen, hid, expires, token) != 0)
        return sais_reply_problem(reply, 422, "bad_household", "the household id cannot be encoded");
    char *svg = warn_code_qr_svg(token);
    if (!svg)
        return -1;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "household_id", hid);
    sais_jw_kstr(&w, "token", token);
    sais_jw_ktime(&w, "expires_at", expires);
    sais_jw_kstr(&w, "qr_svg", svg);
    sais_jw_obj_end(&w);
    free(svg);
    return sais_reply_jw(reply, 200, &w);
}
