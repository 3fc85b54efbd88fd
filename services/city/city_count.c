/* city_count — see city_count.h. New records are built from borrowed strings (the old
 * record's and the event's), packed, and only then is the old record freed. */
#include "city_count.h"
#include "city.pb-c.h"
#include "sais_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const city_app_statuses[CITY_NAPP] = {
    "submitted", "verifying", "deciding", "pending_review", "approved", "rejected",
};

/* Households under these policies, active, are "monitored" (DOMAIN.md: marginal is a status
 * that is monitored; dibao and tekun households are followed by caseworkers). */
static const char *const s_monitored[] = {"marginal", "dibao", "tekun"};

int city_app_status_index(const char *status)
{
    for (int i = 0; status && i < CITY_NAPP; i++)
        if (strcmp(status, city_app_statuses[i]) == 0)
            return i;
    return -1;
}

bool city_region_ok(const char *r)
{
    if (!r)
        return false;
    for (int i = 0; i < 6; i++)
        if (r[i] < '0' || r[i] > '9')
            return false;
    return r[6] == '\0';
}

static const char *s_str(const char *s) { return s ? s : ""; }

void city_figures_add(city_figures_t *sum, const city_figures_t *x)
{
    sum->persons += x->persons;
    sum->households += x->households;
    sum->monitored += x->monitored;
    sum->entitlements_active += x->entitlements_active;
    sum->monthly_cost += x->monthly_cost;
    sum->alerts_open += x->alerts_open;
    for (int i = 0; i < CITY_NAPP; i++)
        sum->applications[i] += x->applications[i];
    sum->wishes_submitted += x->wishes_submitted;
    sum->wishes_fulfilled += x->wishes_fulfilled;
    sum->donations_value += x->donations_value;
    sum->beneficiaries += x->beneficiaries;
}

static void s_figures_neg(city_figures_t *f)
{
    city_figures_t z = {0};
    z.persons = -f->persons;
    z.households = -f->households;
    z.monitored = -f->monitored;
    z.entitlements_active = -f->entitlements_active;
    z.monthly_cost = -f->monthly_cost;
    z.alerts_open = -f->alerts_open;
    for (int i = 0; i < CITY_NAPP; i++)
        z.applications[i] = -f->applications[i];
    z.wishes_submitted = -f->wishes_submitted;
    z.wishes_fulfilled = -f->wishes_fulfilled;
    z.donations_value = -f->donations_value;
    z.beneficiaries = -f->beneficiaries;
    *f = z;
}

static bool s_figures_zero(const city_figures_t *f)
{
    static const city_figures_t z = {0};
    return memcmp(f, &z, sizeof z) == 0;
}

static void s_from_pb(const Cty__Figures *p, city_figures_t *f)
{
    memset(f, 0, sizeof *f);
    f->persons = p->persons;
    f->households = p->households;
    f->monitored = p->monitored;
    f->entitlements_active = p->entitlements_active;
    f->monthly_cost = p->monthly_cost;
    f->alerts_open = p->alerts_open;
    for (size_t i = 0; i < p->n_applications && i < CITY_NAPP; i++)
        f->applications[i] = p->applications[i];
    f->wishes_submitted = p->wishes_submitted;
    f->wishes_fulfilled = p->wishes_fulfilled;
    f->donations_value = p->donations_value;
    f->beneficiaries = p->beneficiaries;
}

/* ---------------------------------------------------------------- region figures */

/* Key "<region>|<dep>"; -1 if too long. */
static int s_fig_key(char *buf, size_t len, const char *region, const char *dep)
{
    int n = snprintf(buf, len, "%s|%s", region, dep);
    return (n > 0 && (size_t)n < len && n <= 511) ? n : -1;
}

/* Adds delta to what dep gives region. A region that is not a 6-digit code keeps no figures:
 * its contributions are neither added nor later taken off. */
static int s_fig_apply(MDB_txn *txn, const city_db_t *db, const char *region, const char *dep,
                       const city_figures_t *delta)
{
    char key[512];
    int klen = s_fig_key(key, sizeof key, s_str(region), s_str(dep));
    if (!city_region_ok(region) || s_figures_zero(delta) || klen < 0)
        return 0;
    Cty__Figures *old = NULL;
    int rc = sais_get_pb(txn, db->regions, key, (size_t)klen, &cty__figures__descriptor, (ProtobufCMessage **)&old);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    city_figures_t f = {0};
    if (old) {
        s_from_pb(old, &f);
        cty__figures__free_unpacked(old, NULL);
    }
    city_figures_add(&f, delta);
    if (s_figures_zero(&f)) {
        rc = sais_del(txn, db->regions, key, (size_t)klen);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    Cty__Figures n = CTY__FIGURES__INIT;
    n.persons = f.persons;
    n.households = f.households;
    n.monitored = f.monitored;
    n.entitlements_active = f.entitlements_active;
    n.monthly_cost = f.monthly_cost;
    n.alerts_open = f.alerts_open;
    n.applications = f.applications;
    n.n_applications = CITY_NAPP;
    n.wishes_submitted = f.wishes_submitted;
    n.wishes_fulfilled = f.wishes_fulfilled;
    n.donations_value = f.donations_value;
    n.beneficiaries = f.beneficiaries;
    return sais_put_pb(txn, db->regions, key, (size_t)klen, &n.base);
}

/* Moves a contribution: old_c off old_region, new_c onto new_region. */
static int s_fig_move(MDB_txn *txn, const city_db_t *db, const char *dep, const char *old_region,
                      const city_figures_t *old_c, const char *new_region, const city_figures_t *new_c)
{
    city_figures_t off = *old_c;
    s_figures_neg(&off);
    if (strcmp(s_str(old_region), s_str(new_region)) == 0) {
        city_figures_add(&off, new_c);
        return s_fig_apply(txn, db, new_region, dep, &off);
    }
    int rc = s_fig_apply(txn, db, old_region, dep, &off);
    return rc ? rc : s_fig_apply(txn, db, new_region, dep, new_c);
}

int city_figures_get(MDB_txn *txn, const city_db_t *db, const char *region, city_figures_t *out)
{
    memset(out, 0, sizeof *out);
    if (!city_region_ok(region))
        return 0;
    char prefix[8];
    memcpy(prefix, region, 6);
    prefix[6] = '|';
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->regions, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = {7, prefix}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 7 || memcmp(k.mv_data, prefix, 7) != 0)
            break;
        Cty__Figures *p = cty__figures__unpack(NULL, v.mv_size, v.mv_data);
        if (!p) {
            rc = MDB_CORRUPTED;
            break;
        }
        city_figures_t f;
        s_from_pb(p, &f);
        cty__figures__free_unpacked(p, NULL);
        city_figures_add(out, &f);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* One region's rows gathered by city_regions_each. */
typedef struct {
    char           region[8];
    city_figures_t sum;
    char         **deps;
    size_t         ndeps, cap;
} s_group_t;

static void s_group_reset(s_group_t *g)
{
    for (size_t i = 0; i < g->ndeps; i++)
        free(g->deps[i]);
    g->ndeps = 0;
    g->region[0] = '\0';
    memset(&g->sum, 0, sizeof g->sum);
}

static int s_group_flush(s_group_t *g, city_region_fn fn, void *ctx)
{
    if (!g->region[0])
        return 0;
    int r = fn(g->region, &g->sum, g->deps, g->ndeps, ctx);
    s_group_reset(g);
    return r;
}

int city_regions_each(MDB_txn *txn, const city_db_t *db, city_region_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->regions, &cur);
    if (rc != 0)
        return rc;
    s_group_t g = {0};
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *key = k.mv_data;
        if (k.mv_size < 7 || key[6] != '|')
            continue;
        if (g.region[0] && memcmp(g.region, key, 6) != 0 && (rc = s_group_flush(&g, fn, ctx)) != 0)
            break;
        memcpy(g.region, key, 6);
        g.region[6] = '\0';
        Cty__Figures *p = cty__figures__unpack(NULL, v.mv_size, v.mv_data);
        if (!p) {
            rc = MDB_CORRUPTED;
            break;
        }
        city_figures_t f;
        s_from_pb(p, &f);
        cty__figures__free_unpacked(p, NULL);
        city_figures_add(&g.sum, &f);
        if (g.ndeps == g.cap) {
            size_t cap = g.cap ? g.cap * 2 : 4;
            char **d = realloc(g.deps, cap * sizeof *d);
            if (!d) {
                rc = ENOMEM;
                break;
            }
            g.deps = d;
            g.cap = cap;
        }
        if (!(g.deps[g.ndeps] = strndup(key + 7, k.mv_size - 7))) {
            rc = ENOMEM;
            break;
        }
        g.ndeps++;
    }
    if (rc == MDB_NOTFOUND)
        rc = s_group_flush(&g, fn, ctx);
    mdb_cursor_close(cur);
    s_group_reset(&g);
    free(g.deps);
    return rc;
}

/* ---------------------------------------------------------------- households */

static bool s_active(const Cty__Grant *g) { return strcmp(g->status, "active") == 0; }

static void s_hh_contrib(const Cty__Household *h, city_figures_t *c)
{
    memset(c, 0, sizeof *c);
    if (!h)
        return;
    if (h->pictured)
        for (size_t i = 0; i < h->n_members; i++)
            if (strcmp(h->members[i]->status, "moved_out") != 0) {
                c->households = 1;
                break;
            }
    bool monitored = false;
    for (size_t i = 0; i < h->n_grants; i++) {
        const Cty__Grant *g = h->grants[i];
        if (!s_active(g))
            continue;
        c->entitlements_active++;
        if (strcmp(g->period, "monthly") == 0)
            c->monthly_cost += g->amount;
        for (size_t k = 0; k < sizeof s_monitored / sizeof s_monitored[0]; k++)
            if (strcmp(g->policy, s_monitored[k]) == 0)
                monitored = true;
    }
    c->monitored = monitored;
    c->alerts_open = (int64_t)h->n_open_alerts;
    c->beneficiaries = (c->entitlements_active > 0 || h->wishes_fulfilled > 0);
}

/* Key "<dep>|<household_id>"; an event without a household is kept apart per region so that
 * such contributions never drift between regions. Returns the length, -1 if too long. */
static int s_hh_key(char *buf, size_t len, const char *dep, const char *hh, const char *region)
{
    int n = (hh && *hh) ? snprintf(buf, len, "%s|%s", dep, hh)
                        : snprintf(buf, len, "%s|~%s", dep, s_str(region));
    return (n > 0 && (size_t)n < len && (size_t)n <= 511) ? n : -1;
}

static int s_hh_load(MDB_txn *txn, const city_db_t *db, const char *key, int klen, Cty__Household **out)
{
    *out = NULL;
    int rc = sais_get_pb(txn, db->households, key, (size_t)klen, &cty__household__descriptor,
                         (ProtobufCMessage **)out);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Stores h in place of old and moves the contribution. A record that contributes nothing and
 * remembers nothing is deleted. */
static int s_hh_commit(MDB_txn *txn, const city_db_t *db, const char *dep, const char *key, int klen,
                       const Cty__Household *old, const Cty__Household *h)
{
    city_figures_t oc, nc;
    s_hh_contrib(old, &oc);
    s_hh_contrib(h, &nc);
    int rc = s_fig_move(txn, db, dep, old ? old->region : "", &oc, h->region, &nc);
    if (rc != 0)
        return rc;
    bool empty = !h->pictured && h->n_grants == 0 && h->n_open_alerts == 0 && h->wishes_fulfilled == 0;
    if (empty) {
        rc = old ? sais_del(txn, db->households, key, (size_t)klen) : 0;
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    return sais_put_pb(txn, db->households, key, (size_t)klen, &h->base);
}

/* ---------------------------------------------------------------- persons */

static bool s_present(const char *status) { return strcmp(s_str(status), "moved_out") != 0; }

static int s_person_load(MDB_txn *txn, const city_db_t *db, const char *id, Cty__Person **out)
{
    *out = NULL;
    int rc = sais_get_pb(txn, db->persons, id, strlen(id), &cty__person__descriptor, (ProtobufCMessage **)out);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static bool s_person_here(const Cty__Person *p, const char *dep, const char *hh)
{
    return p && strcmp(p->deployment, dep) == 0 && strcmp(p->household_id, hh) == 0;
}

static int s_persons_delta(MDB_txn *txn, const city_db_t *db, const char *dep, const char *region, int64_t d)
{
    city_figures_t f = {0};
    f.persons = d;
    return s_fig_apply(txn, db, region, dep, &f);
}

/* The household lists the person with `status`: count them here unless they are present in
 * another household and not here. */
static int s_person_claim(MDB_txn *txn, const city_db_t *db, const char *dep, const char *hh,
                          const char *region, const char *id, const char *status)
{
    Cty__Person *p = NULL;
    int rc = s_person_load(txn, db, id, &p);
    if (rc != 0)
        return rc;
    bool was = p && s_present(p->status), is = s_present(status);
    if (p && !s_person_here(p, dep, hh) && was && !is)
        goto done; /* moved out of here, lives there */
    if (s_person_here(p, dep, hh) && strcmp(p->status, status) == 0 && strcmp(p->region, region) == 0)
        goto done; /* nothing changed */
    if (was && (rc = s_persons_delta(txn, db, dep, p->region, -1)) != 0)
        goto done;
    if (is && (rc = s_persons_delta(txn, db, dep, region, +1)) != 0)
        goto done;
    Cty__Person n = CTY__PERSON__INIT;
    n.deployment = (char *)dep;
    n.household_id = (char *)hh;
    n.region = (char *)region;
    n.status = (char *)status;
    rc = sais_put_pb(txn, db->persons, id, strlen(id), &n.base);
done:
    if (p)
        cty__person__free_unpacked(p, NULL);
    return rc;
}

/* The household no longer lists the person: forget them if this is where they were counted. */
static int s_person_release(MDB_txn *txn, const city_db_t *db, const char *dep, const char *hh, const char *id)
{
    Cty__Person *p = NULL;
    int rc = s_person_load(txn, db, id, &p);
    if (rc != 0 || !s_person_here(p, dep, hh))
        goto done;
    if (s_present(p->status) && (rc = s_persons_delta(txn, db, dep, p->region, -1)) != 0)
        goto done;
    rc = sais_del(txn, db->persons, id, strlen(id));
done:
    if (p)
        cty__person__free_unpacked(p, NULL);
    return rc;
}

int city_person_get(MDB_txn *txn, const city_db_t *db, const char *id_number, city_person_t *out)
{
    Cty__Person *p = NULL;
    int rc = sais_get_pb(txn, db->persons, id_number, strlen(id_number), &cty__person__descriptor,
                         (ProtobufCMessage **)&p);
    if (rc != 0)
        return rc;
    snprintf(out->region, sizeof out->region, "%s", p->region);
    snprintf(out->deployment, sizeof out->deployment, "%s", p->deployment);
    snprintf(out->household_id, sizeof out->household_id, "%s", p->household_id);
    snprintf(out->status, sizeof out->status, "%s", p->status);
    cty__person__free_unpacked(p, NULL);
    return 0;
}

/* ---------------------------------------------------------------- events */

static Cty__Household s_hh_copy(const Cty__Household *old, const char *region)
{
    Cty__Household h = CTY__HOUSEHOLD__INIT;
    if (old) {
        h = *old;
        h.base.unknown_fields = NULL;
        h.base.n_unknown_fields = 0;
    }
    if (!old || !old->pictured)
        h.region = (char *)s_str(region);
    return h;
}

int city_count_picture(MDB_txn *txn, const city_db_t *db, const char *dep, const char *household_id,
                       const char *region, const city_member_t *members, size_t nmembers)
{
    char key[512];
    int klen = s_hh_key(key, sizeof key, dep, household_id, region);
    if (klen < 0 || !household_id || !*household_id)
        return 0;
    Cty__Household *old = NULL;
    int rc = s_hh_load(txn, db, key, klen, &old);
    if (rc != 0)
        return rc;
    Cty__Member *ms = calloc(nmembers ? nmembers : 1, sizeof *ms);
    Cty__Member **pm = calloc(nmembers ? nmembers : 1, sizeof *pm);
    if (!ms || !pm) {
        rc = ENOMEM;
        goto done;
    }
    for (size_t i = 0; old && i < old->n_members; i++) {
        bool kept = false;
        for (size_t k = 0; k < nmembers && !kept; k++)
            kept = strcmp(old->members[i]->id_number, s_str(members[k].id_number)) == 0;
        if (!kept && (rc = s_person_release(txn, db, dep, household_id, old->members[i]->id_number)) != 0)
            goto done;
    }
    size_t n = 0;
    for (size_t k = 0; k < nmembers; k++) {
        const char *id = s_str(members[k].id_number);
        if (!*id)
            continue;
        if ((rc = s_person_claim(txn, db, dep, household_id, s_str(region), id, s_str(members[k].status))) != 0)
            goto done;
        cty__member__init(&ms[n]);
        ms[n].id_number = (char *)id;
        ms[n].status = (char *)s_str(members[k].status);
        pm[n] = &ms[n];
        n++;
    }
    Cty__Household h = s_hh_copy(old, region);
    h.region = (char *)s_str(region);
    h.pictured = true;
    h.members = pm;
    h.n_members = n;
    rc = s_hh_commit(txn, db, dep, key, klen, old, &h);
done:
    free(ms);
    free(pm);
    if (old)
        cty__household__free_unpacked(old, NULL);
    return rc;
}

int city_count_grant(MDB_txn *txn, const city_db_t *db, const char *dep, const city_grant_t *g)
{
    char key[512];
    const char *eid = s_str(g->entitlement_id);
    int klen = s_hh_key(key, sizeof key, dep, g->household_id, g->region);
    if (klen < 0 || !*eid)
        return 0;
    Cty__Household *old = NULL;
    int rc = s_hh_load(txn, db, key, klen, &old);
    if (rc != 0)
        return rc;
    size_t nold = old ? old->n_grants : 0;
    Cty__Grant **pg = calloc(nold + 1, sizeof *pg);
    if (!pg) {
        rc = ENOMEM;
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < nold; i++)
        if (strcmp(old->grants[i]->entitlement_id, eid) != 0)
            pg[n++] = old->grants[i];
    Cty__Grant ng = CTY__GRANT__INIT;
    if (strcmp(s_str(g->status), "stopped") != 0) {
        ng.entitlement_id = (char *)eid;
        ng.policy = (char *)s_str(g->policy);
        ng.period = (char *)s_str(g->period);
        ng.status = (char *)s_str(g->status);
        ng.amount = g->amount;
        pg[n++] = &ng;
    }
    Cty__Household h = s_hh_copy(old, g->region);
    h.grants = pg;
    h.n_grants = n;
    rc = s_hh_commit(txn, db, dep, key, klen, old, &h);
done:
    free(pg);
    if (old)
        cty__household__free_unpacked(old, NULL);
    return rc;
}

int city_count_alert(MDB_txn *txn, const city_db_t *db, const char *dep, const char *alert_id,
                     const char *household_id, const char *region, const char *status)
{
    char key[512];
    int klen = s_hh_key(key, sizeof key, dep, household_id, region);
    if (klen < 0 || !alert_id || !*alert_id)
        return 0;
    Cty__Household *old = NULL;
    int rc = s_hh_load(txn, db, key, klen, &old);
    if (rc != 0)
        return rc;
    size_t nold = old ? old->n_open_alerts : 0;
    char **pa = calloc(nold + 1, sizeof *pa);
    if (!pa) {
        rc = ENOMEM;
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < nold; i++)
        if (strcmp(old->open_alerts[i], alert_id) != 0)
            pa[n++] = old->open_alerts[i];
    if (strcmp(s_str(status), "open") == 0)
        pa[n++] = (char *)alert_id;
    Cty__Household h = s_hh_copy(old, region);
    h.open_alerts = pa;
    h.n_open_alerts = n;
    rc = s_hh_commit(txn, db, dep, key, klen, old, &h);
done:
    free(pa);
    if (old)
        cty__household__free_unpacked(old, NULL);
    return rc;
}

/* A household's count of fulfilled wishes changes by d. */
static int s_hh_wishes(MDB_txn *txn, const city_db_t *db, const char *dep, const char *hh,
                       const char *region, int d)
{
    char key[512];
    int klen = s_hh_key(key, sizeof key, dep, hh, region);
    if (klen < 0 || !hh || !*hh || d == 0)
        return 0;
    Cty__Household *old = NULL;
    int rc = s_hh_load(txn, db, key, klen, &old);
    if (rc != 0)
        return rc;
    Cty__Household h = s_hh_copy(old, region);
    h.wishes_fulfilled += d;
    if (h.wishes_fulfilled < 0)
        h.wishes_fulfilled = 0;
    rc = s_hh_commit(txn, db, dep, key, klen, old, &h);
    if (old)
        cty__household__free_unpacked(old, NULL);
    return rc;
}

/* ---------------------------------------------------------------- items */

typedef void (*s_item_contrib_fn)(const char *status, int64_t value, city_figures_t *c);

static void s_app_contrib(const char *status, int64_t value, city_figures_t *c)
{
    (void)value;
    memset(c, 0, sizeof *c);
    c->applications[0] = 1;
    int i = city_app_status_index(status);
    if (i > 0)
        c->applications[i] = 1;
}

static void s_wish_contrib(const char *status, int64_t value, city_figures_t *c)
{
    memset(c, 0, sizeof *c);
    c->wishes_submitted = 1;
    if (strcmp(status, "fulfilled") == 0) {
        c->wishes_fulfilled = 1;
        c->donations_value = value;
    }
}

/* Replaces the item's contribution; *was_fulfilled tells the caller the old status. */
static int s_item(MDB_txn *txn, const city_db_t *db, char kind, const char *dep, const char *id,
                  const char *region, const char *status, int64_t value, const char *hh,
                  s_item_contrib_fn contrib, bool *was_fulfilled)
{
    char key[512];
    int klen = snprintf(key, sizeof key, "%c|%s|%s", kind, dep, s_str(id));
    *was_fulfilled = false;
    if (!id || !*id || klen <= 0 || klen > 511)
        return 0;
    Cty__Item *old = NULL;
    int rc = sais_get_pb(txn, db->items, key, (size_t)klen, &cty__item__descriptor, (ProtobufCMessage **)&old);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    city_figures_t oc = {0}, nc;
    if (old) {
        contrib(old->status, old->value, &oc);
        *was_fulfilled = strcmp(old->status, "fulfilled") == 0;
    }
    contrib(s_str(status), value, &nc);
    rc = s_fig_move(txn, db, dep, old ? old->region : "", &oc, s_str(region), &nc);
    if (rc == 0) {
        Cty__Item n = CTY__ITEM__INIT;
        n.region = (char *)s_str(region);
        n.status = (char *)s_str(status);
        n.value = value;
        n.household_id = (char *)s_str(hh);
        rc = sais_put_pb(txn, db->items, key, (size_t)klen, &n.base);
    }
    if (old)
        cty__item__free_unpacked(old, NULL);
    return rc;
}

int city_count_application(MDB_txn *txn, const city_db_t *db, const char *dep, const char *application_id,
                           const char *region, const char *status)
{
    bool unused;
    return s_item(txn, db, 'a', dep, application_id, region, status, 0, "", s_app_contrib, &unused);
}

int city_count_wish(MDB_txn *txn, const city_db_t *db, const char *dep, const char *wish_id,
                    const char *household_id, const char *region, const char *status, int64_t value)
{
    bool was = false;
    int rc = s_item(txn, db, 'w', dep, wish_id, region, status, value, household_id, s_wish_contrib, &was);
    if (rc != 0 || !wish_id || !*wish_id)
        return rc;
    bool is = strcmp(s_str(status), "fulfilled") == 0;
    return s_hh_wishes(txn, db, dep, household_id, region, (int)is - (int)was);
}

int city_count_flow(MDB_txn *txn, const city_db_t *db, const char *dep, const char *region,
                    const city_figures_t *delta)
{
    return s_fig_apply(txn, db, region, dep, delta);
}
