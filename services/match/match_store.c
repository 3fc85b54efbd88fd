/* match_store — the match service's records and the two indexes that make matching a range
 * scan (see match_internal.h for the databases). */
#include "match_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int match_pb_strset(char **field, const char *value)
{
    char *copy = (char *)protobuf_c_empty_string;
    if (value && *value && !(copy = strdup(value)))
        return -1;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return 0;
}

int match_pb_stradd(char ***items, size_t *n, const char *value)
{
    char *copy = strdup(value ? value : "");
    if (!copy)
        return -1;
    char **v = realloc(*items, (*n + 1) * sizeof *v);
    if (!v) {
        free(copy);
        return -1;
    }
    v[(*n)++] = copy;
    *items = v;
    return 0;
}

size_t match_pb_strdel(char **items, size_t *n, const char *value)
{
    size_t k = 0, removed = 0;
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(items[i], value) == 0) {
            free(items[i]);
            removed++;
        } else {
            items[k++] = items[i];
        }
    }
    *n = k;
    return removed;
}

/* Records built here are freed with free_unpacked like unpacked ones: every string is its own
 * allocation or the shared empty string. */
Mch__Wish *match_wish_new(void)
{
    Mch__Wish *w = malloc(sizeof *w);
    if (w)
        mch__wish__init(w);
    return w;
}

Mch__Offer *match_offer_new(void)
{
    Mch__Offer *o = malloc(sizeof *o);
    if (o)
        mch__offer__init(o);
    return o;
}

Mch__Organization *match_org_new(void)
{
    Mch__Organization *g = malloc(sizeof *g);
    if (g)
        mch__organization__init(g);
    return g;
}

int match_next_id(sais_svc_t *svc, MDB_txn *txn, const char *prefix, char *out, size_t outlen)
{
    uint64_t n = 0;
    char counter[32];
    snprintf(counter, sizeof counter, "match.%s", prefix);
    int rc = sais_next_id(sais_svc_store(svc), txn, counter, &n);
    if (rc == 0)
        snprintf(out, outlen, "%s%010" PRIu64, prefix, n);
    return rc;
}

static size_t key_of(const char *s)
{
    return s ? strlen(s) : 0;
}

static int get_pb(sais_svc_t *svc, MDB_txn *txn, const char *db, const char *id,
                  const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
    *out = NULL;
    size_t n = key_of(id);
    if (n == 0 || n > MATCH_ID_MAX)
        return MDB_NOTFOUND;
    return sais_get_pb(txn, sais_svc_dbi(svc, db), id, n, desc, out);
}

int match_wish_get(sais_svc_t *svc, MDB_txn *txn, const char *wish_id, Mch__Wish **out)
{
    return get_pb(svc, txn, MATCH_DB_WISHES, wish_id, &mch__wish__descriptor, (ProtobufCMessage **)out);
}

int match_offer_get(sais_svc_t *svc, MDB_txn *txn, const char *offer_id, Mch__Offer **out)
{
    return get_pb(svc, txn, MATCH_DB_OFFERS, offer_id, &mch__offer__descriptor, (ProtobufCMessage **)out);
}

int match_org_get(sais_svc_t *svc, MDB_txn *txn, const char *org_id, Mch__Organization **out)
{
    return get_pb(svc, txn, MATCH_DB_ORGS, org_id, &mch__organization__descriptor, (ProtobufCMessage **)out);
}

int match_hh_get(sais_svc_t *svc, MDB_txn *txn, const char *household_id, Mch__Household **out)
{
    return get_pb(svc, txn, MATCH_DB_HOUSEHOLDS, household_id, &mch__household__descriptor,
                  (ProtobufCMessage **)out);
}

int match_person_household(sais_svc_t *svc, MDB_txn *txn, const char *id_number, char *out)
{
    MDB_val v;
    size_t n = key_of(id_number);
    if (n == 0 || n > MATCH_ID_MAX)
        return MDB_NOTFOUND;
    int rc = sais_get(txn, sais_svc_dbi(svc, MATCH_DB_PERSONS), id_number, n, &v);
    if (rc != 0)
        return rc;
    if (v.mv_size == 0 || v.mv_size > MATCH_ID_MAX)
        return MDB_CORRUPTED;
    memcpy(out, v.mv_data, v.mv_size);
    out[v.mv_size] = '\0';
    return 0;
}

/* category \0 id */
static size_t index_key(char *out, size_t outlen, const char *category, const char *id)
{
    int n = snprintf(out, outlen, "%s%c%s", category ? category : "", '\0', id ? id : "");
    return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}

/* Puts or deletes `category \0 id -> region` in `db`. */
static int index_set(sais_svc_t *svc, MDB_txn *txn, const char *db, const char *category,
                     const char *id, const char *region, bool present)
{
    char key[2 * MATCH_ID_MAX + 2];
    size_t n = index_key(key, sizeof key, category, id);
    if (n == 0)
        return MDB_BAD_VALSIZE;
    MDB_dbi dbi = sais_svc_dbi(svc, db);
    if (present)
        return sais_put(txn, dbi, key, n, region ? region : "", key_of(region));
    int rc = sais_del(txn, dbi, key, n);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int match_wish_put(sais_svc_t *svc, MDB_txn *txn, const Mch__Wish *w)
{
    size_t n = key_of(w->wish_id);
    if (n == 0 || n > MATCH_ID_MAX)
        return MDB_BAD_VALSIZE;
    int rc = sais_put_pb(txn, sais_svc_dbi(svc, MATCH_DB_WISHES), w->wish_id, n, &w->base);
    if (rc == 0)
        rc = index_set(svc, txn, MATCH_DB_OPEN, w->category, w->wish_id, w->region,
                       strcmp(w->status, "open") == 0);
    return rc;
}

int match_offer_put(sais_svc_t *svc, MDB_txn *txn, const Mch__Offer *o)
{
    size_t n = key_of(o->offer_id);
    if (n == 0 || n > MATCH_ID_MAX)
        return MDB_BAD_VALSIZE;
    int rc = sais_put_pb(txn, sais_svc_dbi(svc, MATCH_DB_OFFERS), o->offer_id, n, &o->base);
    if (rc == 0)
        rc = index_set(svc, txn, MATCH_DB_AVAIL, o->category, o->offer_id, o->region, o->remaining > 0);
    return rc;
}

int match_org_put(sais_svc_t *svc, MDB_txn *txn, const Mch__Organization *g)
{
    size_t n = key_of(g->organization_id);
    if (n == 0 || n > MATCH_ID_MAX)
        return MDB_BAD_VALSIZE;
    return sais_put_pb(txn, sais_svc_dbi(svc, MATCH_DB_ORGS), g->organization_id, n, &g->base);
}

int match_wish_emit(sais_svc_t *svc, MDB_txn *txn, const char *type, const Mch__Wish *w)
{
    Mch__Household *hh = NULL;
    int rc = match_hh_get(svc, txn, w->household_id, &hh);
    if (rc != 0 && rc != MDB_NOTFOUND && rc != MDB_CORRUPTED)
        return rc;
    /* a shallow copy: only the phone differs, and it is borrowed from hh */
    Mch__Wish ev = *w;
    ev.notify_phone = hh && hh->head_phone ? hh->head_phone : (char *)protobuf_c_empty_string;
    rc = sais_svc_emit(svc, txn, type, w->region, &ev.base);
    if (hh)
        mch__household__free_unpacked(hh, NULL);
    return rc;
}
