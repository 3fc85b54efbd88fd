/* rules_kept — each household's brief decisions under the catalogue in force, kept under the
 * key of the inputs they were made from (rules_inputs_key).
 *
 * rules decides every household on every change anyway; keeping the outcome costs one small
 * write, and a city-wide simulate then evaluates only the "after" side of its what-if — half
 * the policy work or more. A kept record stands in only when its key is the key of the
 * household as it is now (the same catalogue, picture version and payments), so a stale or
 * foreign record is never used: the household is evaluated as if there were none.
 *
 * Record: format (1), count, key (8), then per policy in catalogue order flags (1: bit 0
 * eligible, bit 1 automatic) and amount (8, fen). Host byte order: the store is local.
 */
#include "rules.h"

#include <string.h>

#define KEPT_FORMAT   1
#define KEPT_HEADER   10
#define KEPT_PER      9

int rules_kept_store(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic, const rules_history_t *hist,
                     const rules_result_t *results, size_t n)
{
    rules_state_t *st = sais_svc_state(svc);
    uint64_t key;
    if (n > RULES_KEPT_MAX || rules_inputs_key(st->catalog, pic, hist, &key) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (results[i].error != NULL)   /* an error is re-evaluated, never kept */
            return 0;
    unsigned char rec[KEPT_HEADER + KEPT_PER * RULES_KEPT_MAX];
    rec[0] = KEPT_FORMAT;
    rec[1] = (unsigned char)n;
    memcpy(rec + 2, &key, sizeof key);
    for (size_t i = 0; i < n; i++) {
        unsigned char *at = rec + KEPT_HEADER + KEPT_PER * i;
        at[0] = (unsigned char)((results[i].eligible ? 1 : 0) | (results[i].automatic ? 2 : 0));
        memcpy(at + 1, &results[i].amount, sizeof results[i].amount);
    }
    return sais_put(txn, sais_svc_dbi(svc, RULES_DB_KEPT), pic->household_id, strlen(pic->household_id), rec,
                    KEPT_HEADER + KEPT_PER * n);
}

int rules_kept_load(sais_svc_t *svc, MDB_txn *txn, rules_catalog_t *cat, const Ver__Picture *pic,
                    const rules_history_t *hist, rules_result_t *before, size_t n)
{
    uint64_t key, stored;
    MDB_val v;
    if (n > RULES_KEPT_MAX || rules_inputs_key(cat, pic, hist, &key) != 0)
        return MDB_NOTFOUND;
    int rc = sais_get(txn, sais_svc_dbi(svc, RULES_DB_KEPT), pic->household_id, strlen(pic->household_id), &v);
    if (rc != 0)
        return rc;
    const unsigned char *rec = v.mv_data;
    if (v.mv_size != KEPT_HEADER + KEPT_PER * n || rec[0] != KEPT_FORMAT || rec[1] != n)
        return MDB_NOTFOUND;
    memcpy(&stored, rec + 2, sizeof stored);
    if (stored != key)
        return MDB_NOTFOUND;
    for (size_t i = 0; i < n; i++) {
        const rules_policy_info_t *pi = rules_catalog_policy(cat, i);
        const unsigned char *at = rec + KEPT_HEADER + KEPT_PER * i;
        rules_result_t *r = &before[i];
        memset(r, 0, sizeof *r);
        /* both checked at load to fit (RULES_ID_MAX); no snprintf on this path */
        memcpy(r->policy, pi->id, strlen(pi->id) + 1);
        memcpy(r->version, pi->version, strlen(pi->version) + 1);
        r->period = pi->kind;
        r->eligible = (at[0] & 1) != 0;
        r->automatic = (at[0] & 2) != 0;
        memcpy(&r->amount, at + 1, sizeof r->amount);
    }
    return 0;
}
