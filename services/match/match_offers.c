/* match_offers — POST/GET /v1/organizations and POST /v1/offers (API.md "Charity, wishes
 * and the service alliance"). An offer is matched at once: the reply names the wishes it took. */
#include "match_internal.h"
#include "sais_clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES     600
#define QUANTITY_MAX       100000

/* A required (or optional) string member no longer than max bytes: 0 and *out (borrowed,
 * NULL if absent), or -1 with the reply set. */
static int text(const json_t *body, const char *field, bool required, size_t max, sais_reply_t *reply,
                const char **out, int *rc)
{
    *out = sais_json_str(body, field);
    char msg[96];
    if (required && (!*out || !**out)) {
        snprintf(msg, sizeof msg, "%s is required", field);
        *rc = sais_reply_invalid(reply, field, "missing_field", msg);
        return -1;
    }
    if (*out && strlen(*out) > max) {
        snprintf(msg, sizeof msg, "%s is longer than %zu bytes", field, max);
        *rc = sais_reply_invalid(reply, field, "too_long", msg);
        return -1;
    }
    return 0;
}

int match_orgs_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    static const char *const fields[] = {"name", "kind", "contact", NULL};
    int rc;
    json_t *body = match_body(req, reply, &rc);
    if (!body)
        return rc;
    Mch__Organization *g = NULL;
    const char *name, *kind, *contact;
    if (match_body_strings(body, fields, reply, &rc) != 0
        || text(body, "name", true, NAME_MAX_BYTES, reply, &name, &rc) != 0
        || text(body, "kind", true, 32, reply, &kind, &rc) != 0
        || text(body, "contact", false, NAME_MAX_BYTES, reply, &contact, &rc) != 0)
        goto done;
    if (!match_kind_valid(kind)) {
        rc = sais_reply_invalid(reply, "kind", "bad_kind", "kind must be charity, company or volunteer_team");
        goto done;
    }
    char id[24];
    if ((rc = match_next_id(svc, txn, "OG", id, sizeof id)) != 0)
        goto done;
    if (!(g = match_org_new()) || match_pb_strset(&g->organization_id, id) || match_pb_strset(&g->name, name)
        || match_pb_strset(&g->kind, kind) || match_pb_strset(&g->contact, contact)
        || match_pb_strset(&g->created_by, match_caller_name(req))
        || match_pb_strset(&g->key_id, match_caller_key(req))) {
        rc = ENOMEM;
        goto done;
    }
    g->created_at = sais_clock_now();
    rc = match_org_put(svc, txn, g);
    if (rc == 0) {
        sais_jw_t jw;
        sais_jw_init(&jw);
        match_org_json(&jw, g);
        rc = sais_reply_jw(reply, 201, &jw);
    }
done:
    if (g)
        mch__organization__free_unpacked(g, NULL);
    json_decref(body);
    return rc;
}

int match_orgs_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *kind = sais_req_param(req, "kind");
    const char *cursor = sais_req_param(req, "cursor");
    int limit = sais_req_limit(req);
    if (limit < 0)
        return sais_reply_invalid(reply, "limit", "bad_limit", "limit must be a whole number from 1 to 1000");
    if (kind && *kind && !match_kind_valid(kind))
        return sais_reply_invalid(reply, "kind", "bad_kind", "kind must be charity, company or volunteer_team");
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, MATCH_DB_ORGS), &cur);
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
            continue;
        Mch__Organization *g = mch__organization__unpack(NULL, v.mv_size, v.mv_data);
        if (!g) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (!kind || !*kind || strcmp(g->kind, kind) == 0) {
            if (n == limit) {
                more = true;
                mch__organization__free_unpacked(g, NULL);
                break;
            }
            match_org_json(&jw, g);
            snprintf(last, sizeof last, "%s", g->organization_id);
            n++;
        }
        mch__organization__free_unpacked(g, NULL);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        sais_jw_free(&jw);
        return rc;
    }
    match_list_end(&jw, more, last);
    return sais_reply_jw(reply, 200, &jw);
}

/* Checks the offer's numbers and category into o; -1 with the reply set when one is bad. */
static int offer_fields(const json_t *body, Mch__Offer *o, sais_reply_t *reply, int *rc)
{
    const char *category = sais_json_str(body, "category");
    const char *region = sais_json_str(body, "region");
    if (!category || !*category) {
        *rc = sais_reply_invalid(reply, "category", "missing_field", "category is required");
        return -1;
    }
    if (!match_category_valid(category)) {
        *rc = sais_reply_invalid(reply, "category", "bad_category",
                                 "category must be clothing, bedding, food, education, medical, appliance, service or other");
        return -1;
    }
    json_t *q = json_object_get(body, "quantity");
    if (!q || json_is_null(q)) {
        *rc = sais_reply_invalid(reply, "quantity", "missing_field", "quantity is required");
        return -1;
    }
    if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > QUANTITY_MAX) {
        *rc = sais_reply_invalid(reply, "quantity", "bad_quantity", "quantity must be a whole number from 1 to 100000");
        return -1;
    }
    json_t *uv = json_object_get(body, "unit_value");
    if (!uv || json_is_null(uv)) {
        *rc = sais_reply_invalid(reply, "unit_value", "missing_field", "unit_value is required");
        return -1;
    }
    sais_money_status_t st = sais_json_money(uv, false, &o->unit_value);
    if (st != SAIS_MONEY_OK) {
        *rc = sais_reply_invalid(reply, "unit_value", "bad_money", sais_money_message(st));
        return -1;
    }
    if (!match_region_prefix_valid(region)) {
        *rc = sais_reply_invalid(reply, "region", "bad_region", "region must be a region code or a prefix of 2 to 6 digits");
        return -1;
    }
    o->quantity = o->remaining = (uint32_t)json_integer_value(q);
    if (match_pb_strset(&o->category, category) || match_pb_strset(&o->region, region)) {
        *rc = ENOMEM;
        return -1;
    }
    return 0;
}

int match_offers_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    static const char *const fields[] = {"organization_id", "donor", "category", "title", "region", NULL};
    int rc;
    json_t *body = match_body(req, reply, &rc);
    if (!body)
        return rc;
    Mch__Offer *o = match_offer_new();
    Mch__Organization *g = NULL;
    const char *org, *donor, *title;
    if (!o) {
        rc = ENOMEM;
        goto done;
    }
    if (match_body_strings(body, fields, reply, &rc) != 0
        || text(body, "organization_id", false, MATCH_ID_MAX, reply, &org, &rc) != 0
        || text(body, "donor", false, NAME_MAX_BYTES, reply, &donor, &rc) != 0
        || text(body, "title", true, NAME_MAX_BYTES, reply, &title, &rc) != 0
        || offer_fields(body, o, reply, &rc) != 0)
        goto done;
    if (org && *org) {
        rc = match_org_get(svc, txn, org, &g);
        if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
            rc = sais_reply_invalid(reply, "organization_id", "unknown_organization", "no organisation with this id");
            goto done;
        }
        if (rc != 0)
            goto done;
        if (!donor || !*donor)
            donor = g->name; /* the organisation is the donor unless a person is named */
    }
    if (!donor || !*donor) {
        rc = sais_reply_invalid(reply, "donor", "missing_field", "donor (or organization_id) is required");
        goto done;
    }
    char id[24];
    if ((rc = match_next_id(svc, txn, "OF", id, sizeof id)) != 0)
        goto done;
    if (match_pb_strset(&o->offer_id, id) || match_pb_strset(&o->organization_id, org)
        || match_pb_strset(&o->donor, donor) || match_pb_strset(&o->title, title)
        || match_pb_strset(&o->created_by, match_caller_name(req))
        || match_pb_strset(&o->key_id, match_caller_key(req))) {
        rc = ENOMEM;
        goto done;
    }
    o->created_at = sais_clock_now();
    rc = match_offer_arrives(svc, txn, o, NULL);
    if (rc == 0) {
        sais_jw_t jw;
        sais_jw_init(&jw);
        sais_jw_obj(&jw);
        match_offer_json(&jw, o);
        sais_jw_obj_end(&jw);
        rc = sais_reply_jw(reply, 201, &jw);
    }
done:
    if (g)
        mch__organization__free_unpacked(g, NULL);
    if (o)
        mch__offer__free_unpacked(o, NULL);
    json_decref(body);
    return rc;
}
