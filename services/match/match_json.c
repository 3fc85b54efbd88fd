/* match_json — wishes, offers and organisations as API.md shows them, and the small request
 * helpers the handlers share. */
#include "match_internal.h"
#include "sais_mask.h"

#include <stdio.h>
#include <string.h>

bool match_masked_for(const Sais__Request *req, const char *region)
{
    return strcmp(sais_req_role(req), "charity") == 0 || !sais_req_sees_region(req, region);
}

static void opt_str(sais_jw_t *w, const char *k, const char *v)
{
    sais_jw_kstr(w, k, v && *v ? v : NULL);
}

void match_wish_json(sais_jw_t *w, const Mch__Wish *x, const Sais__Request *req)
{
    bool masked = match_masked_for(req, x->region);
    char id[64], name[256];
    const char *idv = x->id_number, *namev = x->name;
    if (masked) {
        idv = *x->id_number ? sais_mask_id(x->id_number, id, sizeof id) : "";
        namev = *x->name ? sais_mask_name(x->name, name, sizeof name) : "";
    }
    bool bound = x->offer_id && *x->offer_id;
    sais_jw_obj(w);
    sais_jw_kstr(w, "wish_id", x->wish_id);
    sais_jw_kstr(w, "household_id", x->household_id);
    sais_jw_kstr(w, "region", x->region);
    opt_str(w, "id_number", idv);
    opt_str(w, "name", namev);
    sais_jw_kstr(w, "category", x->category);
    sais_jw_kstr(w, "title", x->title);
    sais_jw_kmoney(w, "estimated_value", x->estimated_value);
    sais_jw_kstr(w, "status", x->status);
    sais_jw_ktime(w, "created_at", x->created_at);
    opt_str(w, "created_by", x->created_by);
    opt_str(w, "offer_id", x->offer_id);
    opt_str(w, "donor", x->donor);
    opt_str(w, "organization_id", x->organization_id);
    sais_jw_key(w, "value");
    if (bound)
        sais_jw_money(w, x->value);
    else
        sais_jw_null(w);
    sais_jw_ktime(w, "matched_at", x->matched_at);
    sais_jw_ktime(w, "fulfilled_at", x->fulfilled_at);
    sais_jw_ktime(w, "cancelled_at", x->cancelled_at);
    opt_str(w, "note", x->note);
    sais_jw_obj_end(w);
}

void match_offer_json(sais_jw_t *w, const Mch__Offer *o)
{
    sais_jw_kstr(w, "offer_id", o->offer_id);
    opt_str(w, "organization_id", o->organization_id);
    sais_jw_kstr(w, "donor", o->donor);
    sais_jw_kstr(w, "category", o->category);
    sais_jw_kstr(w, "title", o->title);
    sais_jw_kint(w, "quantity", o->quantity);
    sais_jw_kint(w, "remaining", o->remaining);
    sais_jw_kmoney(w, "unit_value", o->unit_value);
    opt_str(w, "region", o->region);
    sais_jw_ktime(w, "created_at", o->created_at);
    sais_jw_key(w, "matched");
    sais_jw_arr(w);
    for (size_t i = 0; i < o->n_wish_ids; i++)
        sais_jw_str(w, o->wish_ids[i]);
    sais_jw_arr_end(w);
}

void match_org_json(sais_jw_t *w, const Mch__Organization *g)
{
    sais_jw_obj(w);
    sais_jw_kstr(w, "organization_id", g->organization_id);
    sais_jw_kstr(w, "name", g->name);
    sais_jw_kstr(w, "kind", g->kind);
    sais_jw_kstr(w, "contact", g->contact);
    sais_jw_ktime(w, "created_at", g->created_at);
    sais_jw_obj_end(w);
}

json_t *match_body(const Sais__Request *req, sais_reply_t *reply, int *rc)
{
    char err[200];
    *rc = 0;
    if (req->body.len == 0)
        return json_object();
    json_t *o = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!o)
        *rc = sais_reply_problem(reply, 400, "bad_json", "%s", err);
    return o;
}

int match_body_strings(const json_t *body, const char *const *fields, sais_reply_t *reply, int *rc)
{
    for (size_t i = 0; fields[i]; i++) {
        json_t *f = json_object_get(body, fields[i]);
        if (f && !json_is_string(f) && !json_is_null(f)) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s must be a string", fields[i]);
            *rc = sais_reply_invalid(reply, fields[i], "not_a_string", msg);
            return -1;
        }
    }
    return 0;
}

const char *match_caller_name(const Sais__Request *req)
{
    return req->caller && req->caller->name ? req->caller->name : "";
}

const char *match_caller_key(const Sais__Request *req)
{
    return req->caller && req->caller->key_id ? req->caller->key_id : "";
}

void match_list_end(sais_jw_t *w, bool more, const char *last)
{
    sais_jw_arr_end(w);
    sais_jw_key(w, "next_cursor");
    if (more)
        sais_jw_str(w, last);
    else
        sais_jw_null(w);
    sais_jw_obj_end(w);
}
