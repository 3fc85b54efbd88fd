/* intake_registry — intake's copy of the registry: for each person verify lists in a
 * household, the household, its region, the person's name and phone. Kept from verify's
 * household.changed in the consumer transaction; read when an application is filed.
 *
 * A record is "household_id \t region \t name \t phone". A member who moved out is left to
 * the picture of the household they moved to; deceased and incarcerated members stay, as
 * verify's persons.get still answers for them.
 */
#include "intake_internal.h"
#include "sais_log.h"
#include "verify.pb-c.h"
#include "sais_bus.h"
#include "sais_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_or_empty(const char *s) { return s ? s : ""; }

static bool s_clean(const char *s)
{
    return strchr(s, '\t') == NULL;
}

int intake_on_household(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    if (!sais_bus_sourced_by(ev, SAIS_REGISTRY_SOURCES))
        return 0;   /* incomes, costs, disabilities or assets: nothing the registry copy keeps */
    Ver__HouseholdChanged *hc = (Ver__HouseholdChanged *)sais_event_unpack(&ver__household_changed__descriptor, ev);
    const Ver__Picture *pic = hc ? hc->picture : NULL;
    if (!pic || !pic->household_id || !*pic->household_id) {
        sais_warn("household.changed %llu without a usable picture skipped", (unsigned long long)ev->seq);
        if (hc)
            ver__household_changed__free_unpacked(hc, NULL);
        return 0;
    }
    MDB_dbi dbi = sais_svc_dbi(svc, INTAKE_DB_REGISTRY);
    const char *region = *s_or_empty(pic->region) ? pic->region : s_or_empty(ev->region);
    int rc = 0;
    for (size_t i = 0; i < pic->n_members && rc == 0; i++) {
        const Ver__Member *m = pic->members[i];
        const char *id = s_or_empty(m->id_number);
        if (!*id || strlen(id) > 18 || strcmp(s_or_empty(m->status), "moved_out") == 0)
            continue;
        const char *name = s_or_empty(m->name), *phone = s_or_empty(m->phone);
        if (!s_clean(pic->household_id) || !s_clean(region) || !s_clean(name) || !s_clean(phone))
            continue;   /* verify validated these; a tab would only garble the record */
        char rec[512];
        int n = snprintf(rec, sizeof rec, "%s\t%s\t%s\t%s", pic->household_id, region, name, phone);
        if (n <= 0 || (size_t)n >= sizeof rec)
            continue;
        /* most pictures change incomes, not who lives where: a put would dirty a page anyway */
        MDB_val v;
        rc = sais_get(txn, dbi, id, strlen(id), &v);
        if (rc == 0 && v.mv_size == (size_t)n && memcmp(v.mv_data, rec, (size_t)n) == 0)
            continue;
        if (rc != 0 && rc != MDB_NOTFOUND)
            break;
        rc = sais_put(txn, dbi, id, strlen(id), rec, (size_t)n);
    }
    ver__household_changed__free_unpacked(hc, NULL);
    return rc;
}

typedef struct {
    sais_svc_t              *svc;
    const char              *id;
    intake_registry_entry_t *out;
} get_ctx_t;

static void s_field(char *dst, size_t cap, const char **p, const char *end)
{
    const char *tab = memchr(*p, '\t', (size_t)(end - *p));
    const char *stop = tab ? tab : end;
    size_t n = (size_t)(stop - *p);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, *p, n);
    dst[n] = '\0';
    *p = tab ? tab + 1 : end;
}

static int get_fn(MDB_txn *txn, void *vctx)
{
    get_ctx_t *c = vctx;
    MDB_val v;
    int rc = sais_get(txn, sais_svc_dbi(c->svc, INTAKE_DB_REGISTRY), c->id, strlen(c->id), &v);
    if (rc != 0)
        return rc;
    const char *p = v.mv_data, *end = p + v.mv_size;
    s_field(c->out->household_id, sizeof c->out->household_id, &p, end);
    s_field(c->out->region, sizeof c->out->region, &p, end);
    s_field(c->out->name, sizeof c->out->name, &p, end);
    s_field(c->out->phone, sizeof c->out->phone, &p, end);
    return 0;
}

int intake_registry_get(sais_svc_t *svc, const char *id_number, intake_registry_entry_t *out)
{
    memset(out, 0, sizeof *out);
    get_ctx_t c = {svc, id_number, out};
    return sais_store_read(sais_svc_store(svc), get_fn, &c);
}
