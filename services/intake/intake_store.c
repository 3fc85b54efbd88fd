/* intake_store — applications in LMDB, the county queue beside them, the work list, and
 * the few steps every path takes (a move, an event). See intake_internal.h for the keys. */
#include "intake_internal.h"
#include "sais_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int intake_store_get(sais_svc_t *svc, MDB_txn *txn, const char *id, Itk__Application **out)
{
    *out = NULL;
    MDB_val v;
    int rc = sais_get(txn, sais_svc_dbi(svc, INTAKE_DB_APPS), id, strlen(id), &v);
    if (rc != 0)
        return rc;
    *out = intake_app_unpack(v.mv_data, v.mv_size);
    return *out ? 0 : MDB_CORRUPTED;
}

static int region_key(const Itk__Application *a, char *out, size_t len)
{
    int n = snprintf(out, len, "%s|%s", a->handled_region, a->application_id);
    return (n > 0 && (size_t)n < len) ? n : -1;
}

int intake_store_put(sais_svc_t *svc, MDB_txn *txn, const Itk__Application *a)
{
    char key[96];
    int kl = region_key(a, key, sizeof key);
    if (kl < 0 || !*a->application_id)
        return MDB_BAD_VALSIZE; /* ids and regions are ours and short: a programmer error */
    int rc = sais_put_pb(txn, sais_svc_dbi(svc, INTAKE_DB_APPS), a->application_id,
                         strlen(a->application_id), &a->base);
    if (rc == 0)
        rc = sais_put(txn, sais_svc_dbi(svc, INTAKE_DB_REGION), key, (size_t)kl, a->status,
                      strlen(a->status));
    return rc;
}

int intake_work_put(sais_svc_t *svc, MDB_txn *txn, const char *id, char job)
{
    return sais_put(txn, sais_svc_dbi(svc, INTAKE_DB_WORK), id, strlen(id), &job, 1);
}

int intake_work_del(sais_svc_t *svc, MDB_txn *txn, const char *id)
{
    int rc = sais_del(txn, sais_svc_dbi(svc, INTAKE_DB_WORK), id, strlen(id));
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int intake_next_id(sais_svc_t *svc, MDB_txn *txn, char out[INTAKE_ID_MAX])
{
    uint64_t n = 0;
    int rc = sais_next_id(sais_svc_store(svc), txn, "application", &n);
    if (rc == 0)
        snprintf(out, INTAKE_ID_MAX, "A%010llu", (unsigned long long)n);
    return rc;
}

int intake_move(Itk__Application *a, intake_status_t to, const char *by, const char *note)
{
    int from = intake_status_parse(a->status);
    if (!intake_step_ok(from < 0 ? INTAKE_NEW : (intake_status_t)from, to))
        return 1;
    int64_t now = sais_clock_now();
    if (intake_app_add_step(a, now, intake_status_name(to), by, note) != 0
        || intake_str_set(&a->status, intake_status_name(to)) != 0)
        return -1;
    a->updated_at = now;
    return 0;
}

int intake_emit(sais_svc_t *svc, MDB_txn *txn, const Itk__Application *a)
{
    char type[64];
    snprintf(type, sizeof type, "application.%s", a->status);
    return sais_svc_emit(svc, txn, type, a->handled_region, &a->base);
}

int intake_set_approved(Itk__Application *a, const size_t *idx, size_t n)
{
    intake_strv_clear(&a->approved_policies, &a->n_approved_policies);
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= a->n_decisions)
            continue;
        const char *p = a->decisions[idx[i]]->policy;
        if (intake_strv_has(a->approved_policies, a->n_approved_policies, p))
            continue;
        if (intake_strv_add(&a->approved_policies, &a->n_approved_policies, p) != 0)
            return -1;
    }
    return 0;
}

void intake_caller_name(const Sais__Request *req, const char *fallback, char *out, size_t len)
{
    const Sais__Caller *c = req->caller;
    const char *name = c && c->name && *c->name ? c->name : NULL;
    const char *key = c && c->key_id && *c->key_id ? c->key_id : NULL;
    if (name && key)
        snprintf(out, len, "%s (%s)", name, key);
    else if (name || key)
        snprintf(out, len, "%s", name ? name : key);
    else
        snprintf(out, len, "%s", fallback);
}
