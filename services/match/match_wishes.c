/* match_wishes — POST /v1/wishes, GET /v1/wishes[/{id}], POST /v1/wishes/{id}/fulfil and
 * /cancel (API.md "Charity, wishes and the service alliance"). */
#include "match_internal.h"
#include "sais_clock.h"
#include "sais_id.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_MAX_BYTES 600   /* 200 CJK characters */
#define NOTE_MAX_BYTES  2000

static int reply_wish(sais_reply_t *reply, int status, const Mch__Wish *w, const Sais__Request *req)
{
    sais_jw_t jw;
    sais_jw_init(&jw);
    match_wish_json(&jw, w, req);
    return sais_reply_jw(reply, status, &jw);
}

static const Mch__Member *member_of(const Mch__Household *hh, const char *id_number)
{
    for (size_t i = 0; id_number && i < hh->n_members; i++)
        if (strcmp(hh->members[i]->id_number, id_number) == 0)
            return hh->members[i];
    return NULL;
}

/* Which household the body names (by household_id or a member's id_number), into hid; the
 * person the wish is for into idn ("" = the head). Returns 0 with hid set, or 0 with the
 * reply set (hid empty), or an LMDB code. */
static int resolve_household(sais_svc_t *svc, MDB_txn *txn, const json_t *body, sais_reply_t *reply,
                             char hid[MATCH_ID_MAX + 1], char idn[19])
{
    const char *h = sais_json_str(body, "household_id");
    const char *raw = sais_json_str(body, "id_number");
    hid[0] = idn[0] = '\0';
    if ((!h || !*h) && (!raw || !*raw))
        return sais_reply_invalid(reply, "household_id", "missing_field",
                                  "household_id or id_number is required");
    if (h && *h && strlen(h) > MATCH_ID_MAX)
        return sais_reply_invalid(reply, "household_id", "unknown_household", "no household with this id");
    if (raw && *raw) {
        sais_id_status_t st = sais_id_check(raw, sais_clock_today(), idn);
        if (st != SAIS_ID_OK) {
            idn[0] = '\0';
            return sais_reply_invalid(reply, "id_number", sais_id_code(st), sais_id_message(st));
        }
        int rc = match_person_household(svc, txn, idn, hid);
        if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
            hid[0] = '\0';
            return sais_reply_invalid(reply, "id_number", "unknown_person",
                                      "no person with this ID number in the registry");
        }
        if (rc != 0)
            return rc;
        if (h && *h && strcmp(h, hid) != 0) {
            hid[0] = '\0';
            return sais_reply_invalid(reply, "household_id", "household_mismatch",
                                      "the person is registered in another household");
        }
        return 0;
    }
    snprintf(hid, MATCH_ID_MAX + 1, "%s", h);
    return 0;
}

/* Fills a new wish from the body; 0, or 0 with the reply set, or -1 on allocation failure. */
static int wish_fields(Mch__Wish *w, const json_t *body, sais_reply_t *reply, bool *refused)
{
    *refused = true;
    const char *category = sais_json_str(body, "category");
    const char *title = sais_json_str(body, "title");
    if (!category || !*category)
        return sais_reply_invalid(reply, "category", "missing_field", "category is required");
    if (!match_category_valid(category))
        return sais_reply_invalid(reply, "category", "bad_category",
                                  "category must be clothing, bedding, food, education, medical, appliance, service or other");
    if (!title || !*title)
        return sais_reply_invalid(reply, "title", "missing_field", "title is required");
    if (strlen(title) > TITLE_MAX_BYTES)
        return sais_reply_invalid(reply, "title", "too_long", "title is longer than 200 characters");
    sais_fen_t value = 0;
    json_t *v = json_object_get(body, "estimated_value");
    if (v && !json_is_null(v)) {
        sais_money_status_t st = sais_json_money(v, false, &value);
        if (st != SAIS_MONEY_OK)
            return sais_reply_invalid(reply, "estimated_value", "bad_money", sais_money_message(st));
    }
    *refused = false;
    w->estimated_value = value;
    return match_pb_strset(&w->category, category) || match_pb_strset(&w->title, title) ? -1 : 0;
}

int match_wishes_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    static const char *const fields[] = {"household_id", "id_number", "category", "title", NULL};
    int rc;
    json_t *body = match_body(req, reply, &rc);
    if (!body)
        return rc;
    Mch__Household *hh = NULL;
    Mch__Wish *w = NULL;
    char hid[MATCH_ID_MAX + 1], idn[19];
    if (match_body_strings(body, fields, reply, &rc) != 0)
        goto done;
    rc = resolve_household(svc, txn, body, reply, hid, idn);
    if (rc != 0 || !hid[0])
        goto done;
    if (!(w = match_wish_new())) {
        rc = ENOMEM;
        goto done;
    }
    bool refused;
    rc = wish_fields(w, body, reply, &refused);
    if (rc != 0 || refused)
        goto done;
    rc = match_hh_get(svc, txn, hid, &hh);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
        rc = sais_reply_invalid(reply, "household_id", "unknown_household", "no household with this id");
        goto done;
    }
    if (rc != 0)
        goto done;
    if (!sais_req_sees_region(req, hh->region)) {
        rc = sais_reply_problem(reply, 403, "out_of_region", "the household is registered outside your regions");
        goto done;
    }
    const char *person = idn[0] ? idn : hh->head_id;
    const Mch__Member *m = member_of(hh, person);
    char id[24];
    if ((rc = match_next_id(svc, txn, "WS", id, sizeof id)) != 0)
        goto done;
    if (match_pb_strset(&w->wish_id, id) || match_pb_strset(&w->household_id, hid)
        || match_pb_strset(&w->region, hh->region) || match_pb_strset(&w->status, "open")
        || match_pb_strset(&w->id_number, person) || match_pb_strset(&w->name, m ? m->name : NULL)
        || match_pb_strset(&w->created_by, match_caller_name(req))) {
        rc = ENOMEM;
        goto done;
    }
    w->created_at = sais_clock_now();
    bool matched;
    rc = match_wish_put(svc, txn, w);
    if (rc == 0)
        rc = match_wish_emit(svc, txn, "wish.created", w);
    if (rc == 0)
        rc = match_wish_arrives(svc, txn, w, &matched);
    if (rc == 0)
        rc = reply_wish(reply, 201, w, req);
done:
    if (w)
        mch__wish__free_unpacked(w, NULL);
    if (hh)
        mch__household__free_unpacked(hh, NULL);
    json_decref(body);
    return rc;
}

/* ---------------------------------------------------------------- reading */

static bool visible(const Sais__Request *req, const char *region)
{
    return strcmp(sais_req_role(req), "charity") == 0 || sais_req_sees_region(req, region);
}

static bool prefix_of(const char *s, const char *prefix)
{
    return !prefix || !*prefix || (s && strncmp(s, prefix, strlen(prefix)) == 0);
}

static bool list_filter(const Mch__Wish *w, const Sais__Request *req)
{
    const char *status = sais_req_param(req, "status");
    const char *category = sais_req_param(req, "category");
    const char *hid = sais_req_param(req, "household_id");
    if (!visible(req, w->region) || !prefix_of(w->region, sais_req_param(req, "region")))
        return false;
    if (status && *status && strcmp(w->status, status) != 0)
        return false;
    if (category && *category && strcmp(w->category, category) != 0)
        return false;
    return !(hid && *hid && strcmp(w->household_id, hid) != 0);
}

int match_wishes_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *status = sais_req_param(req, "status");
    const char *category = sais_req_param(req, "category");
    const char *cursor = sais_req_param(req, "cursor");
    int limit = sais_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "bad_limit", "limit must be a whole number from 1 to 1000");
    if (status && *status && !match_status_valid(status))
        return sais_reply_invalid(reply, "status", "bad_status", "status must be open, matched, fulfilled or cancelled");
    if (category && *category && !match_category_valid(category))
        return sais_reply_invalid(reply, "category", "bad_category", "category is not a wish category of DOMAIN.md");

    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, MATCH_DB_WISHES), &cur);
    if (rc != 0)
        return rc;
    sais_jw_t jw;
    sais_jw_init(&jw);
    sais_jw_obj(&jw);
    sais_jw_key(&jw, "items");
    sais_jw_arr(&jw);
    bool after = cursor && *cursor;
    MDB_val k = {after ? strlen(cursor) : 0, (void *)cursor}, v;
    MDB_cursor_op op = after ? MDB_SET_RANGE : MDB_FIRST;
    int n = 0;
    char last[MATCH_ID_MAX + 1] = "";
    bool more = false;
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        if (after && k.mv_size == strlen(cursor) && memcmp(k.mv_data, cursor, k.mv_size) == 0)
            continue; /* the cursor is the last item already returned */
        Mch__Wish *w = mch__wish__unpack(NULL, v.mv_size, v.mv_data);
        if (!w) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (list_filter(w, req)) {
            if (n == limit) {
                more = true;
                mch__wish__free_unpacked(w, NULL);
                break;
            }
            match_wish_json(&jw, w, req);
            snprintf(last, sizeof last, "%s", w->wish_id);
            n++;
        }
        mch__wish__free_unpacked(w, NULL);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        sais_jw_free(&jw);
        return rc;
    }
    match_list_end(&jw, more, last);
    return sais_reply_jw(reply, 200, &jw);
}

/* The wish named by {id}; 0 with *out NULL and the reply set when it is unknown or outside
 * the caller's regions (a charity sees every region). */
static int target(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply,
                  Mch__Wish **out)
{
    const char *id = sais_req_param(req, "id");
    int rc = match_wish_get(svc, txn, id, out);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_wish", "no wish %.64s", id ? id : "");
    if (rc != 0)
        return rc;
    if (!visible(req, (*out)->region)) {
        mch__wish__free_unpacked(*out, NULL);
        *out = NULL;
        return sais_reply_problem(reply, 403, "out_of_region", "the wish belongs to a region outside your scope");
    }
    return 0;
}

int match_wishes_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    Mch__Wish *w = NULL;
    int rc = target(svc, txn, req, reply, &w);
    if (rc != 0 || !w)
        return rc;
    rc = reply_wish(reply, 200, w, req);
    mch__wish__free_unpacked(w, NULL);
    return rc;
}

/* ---------------------------------------------------------------- changes */

/* A charity may report fulfilment of a wish matched to its own offer: one its key made, or
 * one for an organisation its key registered. 0 with *own set, or an LMDB code. */
static int charity_owns(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, const Mch__Wish *w,
                        bool *own)
{
    *own = false;
    const char *key = match_caller_key(req);
    if (!*key || !*w->offer_id)
        return 0;
    Mch__Offer *o = NULL;
    int rc = match_offer_get(svc, txn, w->offer_id, &o);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED)
        return 0;
    if (rc != 0)
        return rc;
    *own = strcmp(o->key_id, key) == 0;
    if (!*own && *o->organization_id) {
        Mch__Organization *g = NULL;
        rc = match_org_get(svc, txn, o->organization_id, &g);
        if (rc == 0)
            *own = strcmp(g->key_id, key) == 0;
        if (g)
            mch__organization__free_unpacked(g, NULL);
        rc = rc == MDB_NOTFOUND || rc == MDB_CORRUPTED ? 0 : rc;
    }
    mch__offer__free_unpacked(o, NULL);
    return rc;
}

/* The body's note: 0 with *note (borrowed, may be NULL), or the reply set. */
static int note_of(const json_t *body, sais_reply_t *reply, const char **note, int *rc)
{
    static const char *const fields[] = {"note", NULL};
    *note = NULL;
    if (match_body_strings(body, fields, reply, rc) != 0)
        return -1;
    *note = sais_json_str(body, "note");
    if (*note && strlen(*note) > NOTE_MAX_BYTES) {
        *rc = sais_reply_invalid(reply, "note", "too_long", "note is longer than 2000 bytes");
        return -1;
    }
    return 0;
}

int match_wishes_fulfil(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    int rc;
    json_t *body = match_body(req, reply, &rc);
    if (!body)
        return rc;
    Mch__Wish *w = NULL;
    const char *note;
    if (note_of(body, reply, &note, &rc) != 0)
        goto done;
    rc = target(svc, txn, req, reply, &w);
    if (rc != 0 || !w)
        goto done;
    if (strcmp(sais_req_role(req), "charity") == 0 && *w->offer_id) {
        bool own;
        if ((rc = charity_owns(svc, txn, req, w, &own)) != 0)
            goto done;
        if (!own) {
            rc = sais_reply_problem(reply, 403, "not_your_offer",
                                    "wish %s is matched to another donor's offer", w->wish_id);
            goto done;
        }
    }
    if (!match_can_fulfil(w->status)) {
        rc = sais_reply_problem(reply, 409, "illegal_state_change",
                                "wish %s is %s; only a matched wish can be fulfilled", w->wish_id, w->status);
        goto done;
    }
    if (match_pb_strset(&w->status, "fulfilled") || match_pb_strset(&w->note, note)
        || match_pb_strset(&w->fulfilled_by, match_caller_name(req))) {
        rc = ENOMEM;
        goto done;
    }
    w->fulfilled_at = sais_clock_now();
    rc = match_wish_put(svc, txn, w);
    if (rc == 0)
        rc = match_wish_emit(svc, txn, "wish.fulfilled", w);
    if (rc == 0)
        rc = reply_wish(reply, 200, w, req);
done:
    if (w)
        mch__wish__free_unpacked(w, NULL);
    json_decref(body);
    return rc;
}

/* A matched wish gives its item back to the offer, which then serves the oldest open wish
 * it covers, if one is waiting. */
static int give_back(sais_svc_t *svc, MDB_txn *txn, const Mch__Wish *w)
{
    Mch__Offer *o = NULL;
    int rc = match_offer_get(svc, txn, w->offer_id, &o);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED)
        return 0;
    if (rc != 0)
        return rc;
    match_pb_strdel(o->wish_ids, &o->n_wish_ids, w->wish_id);
    if (match_offer_give_back(&o->remaining, o->quantity) != 0)
        rc = MDB_CORRUPTED;
    if (rc == 0)
        rc = match_offer_arrives(svc, txn, o, NULL);
    mch__offer__free_unpacked(o, NULL);
    return rc;
}

int match_wishes_cancel(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    int rc;
    json_t *body = match_body(req, reply, &rc);
    if (!body)
        return rc;
    Mch__Wish *w = NULL;
    const char *note;
    if (note_of(body, reply, &note, &rc) != 0)
        goto done;
    rc = target(svc, txn, req, reply, &w);
    if (rc != 0 || !w)
        goto done;
    if (!sais_req_sees_region(req, w->region)) {
        rc = sais_reply_problem(reply, 403, "out_of_region", "the wish belongs to a region outside your scope");
        goto done;
    }
    if (!match_can_cancel(w->status)) {
        rc = sais_reply_problem(reply, 409, "illegal_state_change",
                                "wish %s is %s; only an open or matched wish can be cancelled", w->wish_id, w->status);
        goto done;
    }
    bool was_matched = strcmp(w->status, "matched") == 0;
    if (match_pb_strset(&w->status, "cancelled") || match_pb_strset(&w->note, note)
        || match_pb_strset(&w->cancelled_by, match_caller_name(req))) {
        rc = ENOMEM;
        goto done;
    }
    w->cancelled_at = sais_clock_now();
    rc = match_wish_put(svc, txn, w);
    if (rc == 0)
        rc = match_wish_emit(svc, txn, "wish.cancelled", w);
    if (rc == 0 && was_matched)
        rc = give_back(svc, txn, w);
    if (rc == 0)
        rc = reply_wish(reply, 200, w, req);
done:
    if (w)
        mch__wish__free_unpacked(w, NULL);
    json_decref(body);
    return rc;
}
