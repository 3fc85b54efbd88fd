/* city_api — /v1/stats, /v1/city/stats and /v1/city/locate from the stored figures. */
#include "city.h"
#include "sais_clock.h"
#include "sais_id.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_jw_figures(sais_jw_t *w, const city_figures_t *f)
{
    sais_jw_kint(w, "persons", f->persons);
    sais_jw_kint(w, "households", f->households);
    sais_jw_kint(w, "monitored", f->monitored);
    sais_jw_kint(w, "entitlements_active", f->entitlements_active);
    sais_jw_kmoney(w, "monthly_cost", f->monthly_cost);
    sais_jw_kint(w, "alerts_open", f->alerts_open);
    sais_jw_key(w, "applications");
    sais_jw_obj(w);
    for (int i = 0; i < CITY_NAPP; i++)
        sais_jw_kint(w, city_app_statuses[i], f->applications[i]);
    sais_jw_obj_end(w);
    sais_jw_key(w, "wishes");
    sais_jw_obj(w);
    sais_jw_kint(w, "submitted", f->wishes_submitted);
    sais_jw_kint(w, "fulfilled", f->wishes_fulfilled);
    sais_jw_obj_end(w);
    sais_jw_kmoney(w, "donations_value", f->donations_value);
    sais_jw_kint(w, "beneficiaries", f->beneficiaries);
}

/* Aggregates carry no person's data: a charity key, which has no region scope, sees the whole
 * city's figures; everyone else what sais_req_sees_region allows. */
static bool s_visible(const Sais__Request *req, const char *region)
{
    if (sais_req_sees_region(req, region))
        return true;
    return strcmp(sais_req_role(req), "charity") == 0 && (!req->caller || req->caller->n_regions == 0);
}

static bool s_city_role(const Sais__Request *req)
{
    const char *role = sais_req_role(req);
    return !*role || strcmp(role, "admin") == 0 || strcmp(role, "city") == 0;
}

typedef struct {
    const Sais__Request *req;
    const char          *prefix;
    city_figures_t       sum;
    sais_jw_t           *w;   /* the "regions" array being written */
} s_stats_ctx_t;

static int s_stats_region(const char *region, const city_figures_t *f, char *const *deps, size_t ndeps, void *vctx)
{
    (void)deps;
    (void)ndeps;
    s_stats_ctx_t *c = vctx;
    if (strncmp(region, c->prefix, strlen(c->prefix)) != 0 || !s_visible(c->req, region))
        return 0;
    city_figures_add(&c->sum, f);
    sais_jw_str(c->w, region);
    return 0;
}

static bool s_prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n < 2 || n > 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

int city_stats_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *prefix = sais_req_param(req, "region");
    if (prefix && *prefix && !s_prefix_ok(prefix))
        return sais_reply_invalid(reply, "region", "bad_region", "a region prefix is 2 to 6 digits");
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "region", prefix && *prefix ? prefix : NULL);
    sais_jw_key(&w, "regions");
    sais_jw_arr(&w);
    s_stats_ctx_t c = {.req = req, .prefix = prefix ? prefix : "", .w = &w};
    city_db_t db = city_db_of(svc);
    int rc = city_regions_each(txn, &db, s_stats_region, &c);
    if (rc != 0) {
        sais_jw_free(&w);
        return rc;
    }
    sais_jw_arr_end(&w);
    s_jw_figures(&w, &c.sum);
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}

typedef struct {
    sais_jw_t      *w;
    city_figures_t  total;
} s_all_ctx_t;

static int s_all_region(const char *region, const city_figures_t *f, char *const *deps, size_t ndeps, void *vctx)
{
    s_all_ctx_t *c = vctx;
    city_figures_add(&c->total, f);
    sais_jw_obj(c->w);
    sais_jw_kstr(c->w, "region", region);
    sais_jw_kstr(c->w, "name", sais_region_name(region));
    /* one county deployment per region is the normal case; a region two deployments fed
     * (a district handed over) names both, here joined and in "deployments" */
    sais_jw_key(c->w, "deployment");
    if (ndeps == 0) {
        sais_jw_null(c->w);
    } else {
        size_t len = 0;
        for (size_t i = 0; i < ndeps; i++)
            len += strlen(deps[i]) + 1;
        char *joined = malloc(len);
        if (!joined)
            return ENOMEM;
        joined[0] = '\0';
        for (size_t i = 0; i < ndeps; i++) {
            if (i)
                strcat(joined, ",");
            strcat(joined, deps[i]);
        }
        sais_jw_str(c->w, joined);
        free(joined);
    }
    sais_jw_key(c->w, "deployments");
    sais_jw_arr(c->w);
    for (size_t i = 0; i < ndeps; i++)
        sais_jw_str(c->w, deps[i]);
    sais_jw_arr_end(c->w);
    s_jw_figures(c->w, f);
    sais_jw_obj_end(c->w);
    return 0;
}

int city_stats_all(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    if (!s_city_role(req))
        return sais_reply_problem(reply, 403, "forbidden", "city figures are for the city role");
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "deployment", sais_config_get(sais_svc_config(svc), "city.deployment"));
    sais_jw_key(&w, "counties");
    sais_jw_arr(&w);
    s_all_ctx_t c = {.w = &w};
    city_db_t db = city_db_of(svc);
    int rc = city_regions_each(txn, &db, s_all_region, &c);
    if (rc != 0) {
        sais_jw_free(&w);
        return rc;
    }
    sais_jw_arr_end(&w);
    sais_jw_key(&w, "total");
    sais_jw_obj(&w);
    s_jw_figures(&w, &c.total);
    sais_jw_obj_end(&w);
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}

int city_locate(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    if (!s_city_role(req))
        return sais_reply_problem(reply, 403, "forbidden", "locating persons across counties is for the city role");
    const char *raw = sais_req_param(req, "id_number");
    char id[19];
    if (!raw || !*raw)
        return sais_reply_invalid(reply, "id_number", "missing_field", "an ID number is required");
    sais_id_status_t st = sais_id_check(raw, sais_clock_today(), id);
    if (st != SAIS_ID_OK)
        return sais_reply_invalid(reply, "id_number", sais_id_code(st), sais_id_message(st));
    city_db_t db = city_db_of(svc);
    city_person_t p;
    int rc = city_person_get(txn, &db, id, &p);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "not_found", "no county has reported this person");
    if (rc != 0)
        return rc;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "id_number", id);
    sais_jw_kstr(&w, "region", p.region);
    sais_jw_kstr(&w, "deployment", p.deployment);
    sais_jw_kstr(&w, "household_id", p.household_id);
    sais_jw_kstr(&w, "status", p.status);
    sais_jw_obj_end(&w);
    return sais_reply_jw(reply, 200, &w);
}
