/* verify — answers for persons, households, benefits and verification reports. */
#include "verify.h"
#include "verify_person.h"
#include "verify_picture.h"
#include "verify_refresh.h"
#include "rules.pb-c.h"
#include "warn.pb-c.h"
#include "match.pb-c.h"
#include "sais_clock.h"
#include "sais_id.h"
#include "sais_mask.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Looks up and validates the ID number in param `key`; answers 422 itself when invalid. */
static int id_param(const Sais__Request *req, const char *key, char out[19], sais_reply_t *reply)
{
    const char *raw = sais_req_param(req, key);
    if (!raw || !*raw) {
        sais_reply_invalid(reply, key, "missing_field", "an ID number is required");
        return -1;
    }
    sais_id_status_t st = sais_id_check(raw, sais_clock_today(), out);
    if (st != SAIS_ID_OK) {
        sais_reply_invalid(reply, key, sais_id_code(st), sais_id_message(st));
        return -1;
    }
    return 0;
}

static void jw_entitlement(sais_jw_t *w, const Rul__Entitlement *e)
{
    sais_jw_obj(w);
    sais_jw_kstr(w, "entitlement_id", e->entitlement_id);
    sais_jw_kstr(w, "policy", e->policy);
    sais_jw_kmoney(w, "amount", e->amount);
    sais_jw_kstr(w, "period", e->period);
    sais_jw_kstr(w, "status", e->status);
    sais_jw_kstr(w, "origin", e->origin);
    sais_jw_ktime(w, "granted_at", e->granted_at);
    sais_jw_obj_end(w);
}

static void jw_alert(sais_jw_t *w, const Wrn__Alert *a)
{
    sais_jw_obj(w);
    sais_jw_kstr(w, "alert_id", a->alert_id);
    sais_jw_kstr(w, "kind", a->kind);
    sais_jw_kstr(w, "severity", a->severity);
    sais_jw_kstr(w, "status", a->status);
    sais_jw_ktime(w, "raised_at", a->raised_at);
    sais_jw_kstr(w, "detail", a->detail);
    sais_jw_obj_end(w);
}

typedef void (*each_fn)(sais_jw_t *w, const ProtobufCMessage *m, void *ctx);

/* Calls fn for every message stored under "household_id|..." in dbname. */
static int each_of_household(sais_svc_t *svc, MDB_txn *txn, const char *dbname, const char *hh,
                             const ProtobufCMessageDescriptor *desc, each_fn fn, sais_jw_t *w, void *ctx)
{
    MDB_cursor *cur;
    char prefix[200];
    int n = snprintf(prefix, sizeof prefix, "%s|", hh);
    if (n <= 0 || (size_t)n >= sizeof prefix)
        return 0;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, dbname), &cur);
    if (rc != 0)
        return rc;
    MDB_val k = {(size_t)n, prefix}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < (size_t)n || memcmp(k.mv_data, prefix, (size_t)n) != 0)
            break;
        ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, v.mv_size, v.mv_data);
        if (!m)
            continue;
        fn(w, m, ctx);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    mdb_cursor_close(cur);
    return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : rc;
}

static void ent_cb(sais_jw_t *w, const ProtobufCMessage *m, void *ctx)
{
    const Rul__Entitlement *e = (const Rul__Entitlement *)m;
    const char *only = ctx;
    if (only && strcmp(e->id_number, only) != 0 && strcmp(e->status, "active") != 0)
        return;
    jw_entitlement(w, e);
}

static void open_alert_cb(sais_jw_t *w, const ProtobufCMessage *m, void *ctx)
{
    (void)ctx;
    const Wrn__Alert *a = (const Wrn__Alert *)m;
    if (strcmp(a->status, "resolved") != 0)
        jw_alert(w, a);
}

int verify_persons_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    char id[19];
    if (id_param(req, "id_number", id, reply) != 0)
        return 0;
    Vst__Person *p = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PERSONS), id, 18, &vst__person__descriptor,
                         (ProtobufCMessage **)&p);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_person", "no person with this ID number in the registry");
    if (rc != 0)
        return rc;
    /* Partners may report on someone before (or without) a household registration: verify
     * keeps those facts for when the hukou record arrives, but until then the person is not
     * in the registry (no region, no household) and is not shown as if they were. */
    if (!*p->household_id) {
        vst__person__free_unpacked(p, NULL);
        return sais_reply_problem(reply, 404, "unknown_person", "no household registration for this ID number in the registry");
    }
    if (!sais_req_sees_region(req, p->region)) {
        vst__person__free_unpacked(p, NULL);
        return sais_reply_problem(reply, 403, "out_of_region", "the person is registered outside your regions");
    }
    long today = sais_clock_today();
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "id_number", p->id_number);
    sais_jw_kstr(&w, "name", p->name);
    sais_jw_kstr(&w, "sex", p->sex);
    sais_jw_kstr(&w, "birth_date", p->birth_date);
    sais_jw_kstr(&w, "region", p->region);
    sais_jw_kstr(&w, "household_id", p->household_id);
    sais_jw_kstr(&w, "relation", p->relation);
    sais_jw_kstr(&w, "phone", p->phone);
    sais_jw_kstr(&w, "status", verify_person_status(p));
    const Vst__Disability *d = verify_person_disability(p);
    sais_jw_key(&w, "disability");
    if (d) {
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "category", d->category);
        sais_jw_kint(&w, "grade", d->grade);
        sais_jw_obj_end(&w);
    } else {
        sais_jw_null(&w);
    }
    sais_jw_kmoney(&w, "income_monthly_avg_12m", verify_person_income_monthly(p, today));
    sais_jw_kmoney(&w, "medical_oop_12m", verify_person_oop_12m(p, today));
    sais_jw_key(&w, "entitlements");
    sais_jw_arr(&w);
    rc = each_of_household(svc, txn, VERIFY_DB_ENTS, p->household_id, &rul__entitlement__descriptor, ent_cb, &w, p->id_number);
    sais_jw_arr_end(&w);
    sais_jw_key(&w, "open_alerts");
    sais_jw_arr(&w);
    if (rc == 0)
        rc = each_of_household(svc, txn, VERIFY_DB_ALERTS, p->household_id, &wrn__alert__descriptor, open_alert_cb, &w, NULL);
    sais_jw_arr_end(&w);
    sais_jw_obj_end(&w);
    vst__person__free_unpacked(p, NULL);
    if (rc != 0) {
        sais_jw_free(&w);
        return rc;
    }
    return sais_reply_jw(reply, 200, &w);
}

/* The household category from its active entitlements: tekun > dibao > marginal > none. */
typedef struct { int rank; } cat_ctx_t;
static void cat_cb(sais_jw_t *w, const ProtobufCMessage *m, void *ctx)
{
    (void)w;
    const Rul__Entitlement *e = (const Rul__Entitlement *)m;
    cat_ctx_t *c = ctx;
    if (strcmp(e->status, "active") != 0)
        return;
    int r = strcmp(e->policy, "tekun") == 0 ? 3 : strcmp(e->policy, "dibao") == 0 ? 2
          : strcmp(e->policy, "marginal") == 0 ? 1 : 0;
    if (r > c->rank)
        c->rank = r;
}

/* The household's picture as stored, or computed now if its refresh is still owed (a feed
 * batch not finished: verify_refresh.h), so a read never shows members' facts without their
 * picture. *out is freed with ver__picture__free_unpacked. */
static int load_picture(sais_svc_t *svc, MDB_txn *txn, const char *hh, Ver__Picture **out)
{
    if (!verify_refresh_pending(svc, txn, hh))
        return sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PICTURES), hh, strlen(hh), &ver__picture__descriptor,
                           (ProtobufCMessage **)out);
    Ver__Picture *pic = malloc(sizeof *pic);
    if (!pic)
        return ENOMEM;
    ver__picture__init(pic);
    int rc = verify_compute_picture(svc, txn, hh, pic);
    if (rc != 0) {
        verify_picture_clear(pic);
        free(pic);
        return rc;
    }
    *out = pic;
    return 0;
}

int verify_households_picture(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *hh = sais_req_param(req, "household_id");
    Vst__Person *p = NULL;
    if (!hh || !*hh) {
        char id[19];
        if (id_param(req, "id_number", id, reply) != 0)
            return 0;
        int rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PERSONS), id, 18, &vst__person__descriptor,
                             (ProtobufCMessage **)&p);
        if (rc == MDB_NOTFOUND || (rc == 0 && !*p->household_id)) {
            if (p)
                vst__person__free_unpacked(p, NULL);
            return sais_reply_problem(reply, 404, "unknown_person", "no person with this ID number in the registry");
        }
        if (rc != 0)
            return rc;
        hh = p->household_id;
    }
    if (strlen(hh) > 64) {
        if (p)
            vst__person__free_unpacked(p, NULL);
        return sais_reply_invalid(reply, "household_id", "too_long", "a household id has at most 64 characters");
    }
    Ver__Picture *pic = NULL;
    int rc = load_picture(svc, txn, hh, &pic);
    if (p)
        vst__person__free_unpacked(p, NULL);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_household", "no household with this id");
    if (rc != 0)
        return rc;
    rc = sais_reply_pb(reply, 200, &pic->base);
    ver__picture__free_unpacked(pic, NULL);
    return rc;
}

static void all_ent_cb(sais_jw_t *w, const ProtobufCMessage *m, void *ctx)
{
    (void)ctx;
    jw_entitlement(w, (const Rul__Entitlement *)m);
}

int verify_households_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *hh = sais_req_param(req, "household_id");
    if (!hh || !*hh || strlen(hh) > 64)
        return sais_reply_invalid(reply, "household_id", "missing_field", "a household id is required");
    Ver__Picture *pic = NULL;
    int rc = load_picture(svc, txn, hh, &pic);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_household", "no household with this id");
    if (rc != 0)
        return rc;
    if (!sais_req_sees_region(req, pic->region)) {
        ver__picture__free_unpacked(pic, NULL);
        return sais_reply_problem(reply, 403, "out_of_region", "the household is registered outside your regions");
    }
    cat_ctx_t cat = {0};
    sais_jw_t w;
    sais_jw_init(&w);
    rc = each_of_household(svc, txn, VERIFY_DB_ENTS, hh, &rul__entitlement__descriptor, cat_cb, &w, &cat);
    static const char *const cats[] = {"none", "marginal", "dibao", "tekun"};
    size_t registered = 0;
    for (size_t i = 0; i < pic->n_members; i++)
        if (strcmp(pic->members[i]->status, "moved_out") != 0)
            registered++;
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "household_id", pic->household_id);
    sais_jw_kstr(&w, "region", pic->region);
    sais_jw_kint(&w, "size", (int64_t)registered);
    sais_jw_kint(&w, "counted_members", pic->counted);
    sais_jw_key(&w, "members");
    sais_jw_arr(&w);
    for (size_t i = 0; i < pic->n_members; i++) {
        const Ver__Member *m = pic->members[i];
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "id_number", m->id_number);
        sais_jw_kstr(&w, "name", m->name);
        sais_jw_kstr(&w, "relation", m->relation);
        sais_jw_kstr(&w, "status", m->status);
        sais_jw_obj_end(&w);
    }
    sais_jw_arr_end(&w);
    sais_jw_kmoney(&w, "per_capita_monthly_income", pic->per_capita_income);
    sais_jw_kmoney(&w, "medical_oop_12m", pic->oop_12m);
    sais_jw_key(&w, "assets");
    sais_jw_obj(&w);
    sais_jw_kmoney(&w, "vehicles", pic->vehicle_max);
    sais_jw_kint(&w, "real_estate", pic->real_estate);
    sais_jw_kmoney(&w, "deposits", pic->deposits);
    sais_jw_obj_end(&w);
    sais_jw_kstr(&w, "category", cats[cat.rank]);
    sais_jw_key(&w, "entitlements");
    sais_jw_arr(&w);
    if (rc == 0)
        rc = each_of_household(svc, txn, VERIFY_DB_ENTS, hh, &rul__entitlement__descriptor, all_ent_cb, &w, NULL);
    sais_jw_arr_end(&w);
    sais_jw_kstr(&w, "as_of", pic->as_of);
    sais_jw_obj_end(&w);
    ver__picture__free_unpacked(pic, NULL);
    if (rc != 0) {
        sais_jw_free(&w);
        return rc;
    }
    return sais_reply_jw(reply, 200, &w);
}

/* The happiness list: entitlements, one-off grants and fulfilled wishes, newest first. Each
 * item is rendered on its own, then the items are sorted by date. */
typedef struct {
    int64_t at;
    char   *id;
    char   *json;
    size_t  len;
} benefit_t;

typedef struct {
    benefit_t *v;
    size_t n, cap;
    int err;
} benefit_list_t;

static void benefit_add(benefit_list_t *l, int64_t at, const char *id, sais_jw_t *w)
{
    size_t len = 0;
    char *json = sais_jw_take(w, &len);
    char *idc = strdup(id);
    if (!json || !idc || (l->n == l->cap && !(l->cap = l->cap ? l->cap * 2 : 16, l->v = realloc(l->v, l->cap * sizeof *l->v)))) {
        free(json);
        free(idc);
        l->err = 1;
        return;
    }
    l->v[l->n++] = (benefit_t){at, idc, json, len};
}

static void ent_benefit_cb(sais_jw_t *unused, const ProtobufCMessage *m, void *ctx)
{
    (void)unused;
    const Rul__Entitlement *e = (const Rul__Entitlement *)m;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "kind", strcmp(e->period, "one_off") == 0 ? "one_off_grant" : "entitlement");
    sais_jw_kstr(&w, "policy", e->policy);
    sais_jw_kstr(&w, "entitlement_id", e->entitlement_id);
    sais_jw_kmoney(&w, "amount", e->amount);
    sais_jw_kstr(&w, "period", e->period);
    sais_jw_kstr(&w, "status", e->status);
    sais_jw_kstr(&w, "origin", e->origin);
    sais_jw_ktime(&w, "date", e->granted_at);
    sais_jw_obj_end(&w);
    benefit_add(ctx, e->granted_at, e->entitlement_id, &w);
}

static void wish_benefit_cb(sais_jw_t *unused, const ProtobufCMessage *m, void *ctx)
{
    (void)unused;
    const Mch__Wish *x = (const Mch__Wish *)m;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "kind", "wish");
    sais_jw_kstr(&w, "wish_id", x->wish_id);
    sais_jw_kstr(&w, "category", x->category);
    sais_jw_kstr(&w, "title", x->title);
    sais_jw_kstr(&w, "donor", x->donor);
    sais_jw_kmoney(&w, "amount", x->value);
    sais_jw_kstr(&w, "status", x->status);
    sais_jw_ktime(&w, "date", x->fulfilled_at);
    sais_jw_obj_end(&w);
    benefit_add(ctx, x->fulfilled_at, x->wish_id, &w);
}

static int newest_first(const void *a, const void *b)
{
    const benefit_t *x = a, *y = b;
    if (x->at != y->at)
        return x->at > y->at ? -1 : 1;
    return strcmp(y->id, x->id);
}

int verify_households_benefits(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *hh = sais_req_param(req, "household_id");
    if (!hh || !*hh || strlen(hh) > 64)
        return sais_reply_invalid(reply, "household_id", "missing_field", "a household id is required");
    Ver__Picture *pic = NULL;
    int rc = load_picture(svc, txn, hh, &pic);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_household", "no household with this id");
    if (rc != 0)
        return rc;
    bool sees = sais_req_sees_region(req, pic->region);
    ver__picture__free_unpacked(pic, NULL);
    if (!sees)
        return sais_reply_problem(reply, 403, "out_of_region", "the household is registered outside your regions");
    benefit_list_t l = {0};
    rc = each_of_household(svc, txn, VERIFY_DB_ENTS, hh, &rul__entitlement__descriptor, ent_benefit_cb, NULL, &l);
    if (rc == 0)
        rc = each_of_household(svc, txn, VERIFY_DB_WISHES, hh, &mch__wish__descriptor, wish_benefit_cb, NULL, &l);
    if (rc == 0 && l.err)
        rc = ENOMEM;
    sais_jw_t w;
    sais_jw_init(&w);
    if (rc == 0) {
        if (l.n > 1)   /* l.v is NULL when there is nothing, and qsort takes no NULL */
            qsort(l.v, l.n, sizeof *l.v, newest_first);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "household_id", hh);
        sais_jw_key(&w, "items");
        sais_jw_arr(&w);
        for (size_t i = 0; i < l.n; i++)
            sais_jw_raw(&w, l.v[i].json, l.v[i].len);
        sais_jw_arr_end(&w);
        sais_jw_obj_end(&w);
    }
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].json);
        free(l.v[i].id);
    }
    free(l.v);
    if (rc != 0) {
        sais_jw_free(&w);
        return rc;
    }
    return sais_reply_jw(reply, 200, &w);
}
