/* match_events — what match takes from verify (household.changed: a household's region,
 * members and head, so a wish needs no call to verify) and the figures it gives the city
 * (stats.wishes). */
#include "match_internal.h"
#include "sais_log.h"
#include "verify.pb-c.h"
#include "sais_bus.h"
#include "sais_sources.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Drops the person index entries of members who left the household (when they still point
 * at it: a move to another household may have been applied already). */
static int drop_leavers(sais_svc_t *svc, MDB_txn *txn, const Mch__Household *old, const Ver__Picture *pic)
{
    MDB_dbi persons = sais_svc_dbi(svc, MATCH_DB_PERSONS);
    for (size_t i = 0; i < old->n_members; i++) {
        const char *id = old->members[i]->id_number;
        bool stays = false;
        for (size_t j = 0; j < pic->n_members && !stays; j++)
            stays = pic->members[j]->id_number && strcmp(pic->members[j]->id_number, id) == 0;
        char hid[MATCH_ID_MAX + 1];
        if (stays || match_person_household(svc, txn, id, hid) != 0 || strcmp(hid, old->household_id) != 0)
            continue;
        int rc = sais_del(txn, persons, id, strlen(id));
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

/* *same tells whether the stored record of h->household_id has exactly these bytes.
 * 0 or an LMDB code. */
static int unchanged(sais_svc_t *svc, MDB_txn *txn, const Mch__Household *h, const uint8_t *buf, size_t n,
                     bool *same)
{
    MDB_val v;
    *same = false;
    int rc = sais_get(txn, sais_svc_dbi(svc, MATCH_DB_HOUSEHOLDS), h->household_id, strlen(h->household_id), &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc == 0)
        *same = v.mv_size == n && memcmp(v.mv_data, buf, n) == 0;
    return rc;
}

int match_ev_household(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    if (!sais_bus_sourced_by(ev, SAIS_REGISTRY_SOURCES))
        return 0;   /* nothing of members, names, the head or the region changed */
    Ver__HouseholdChanged *hc = (Ver__HouseholdChanged *)sais_event_unpack(&ver__household_changed__descriptor, ev);
    const Ver__Picture *pic = hc ? hc->picture : NULL;
    if (!pic || !pic->household_id || !*pic->household_id || strlen(pic->household_id) > MATCH_ID_MAX) {
        sais_warn("household.changed %llu without a usable household id skipped", (unsigned long long)ev->seq);
        if (hc)
            ver__household_changed__free_unpacked(hc, NULL);
        return 0;
    }
    Mch__Household *old = NULL;
    uint8_t *buf = NULL;
    int rc = 0;
    /* the record borrows the picture's strings: it is packed before hc is freed */
    Mch__Household h = MCH__HOUSEHOLD__INIT;
    Mch__Member *mv = calloc(pic->n_members ? pic->n_members : 1, sizeof *mv);
    Mch__Member **mp = calloc(pic->n_members ? pic->n_members : 1, sizeof *mp);
    if (!mv || !mp) {
        rc = ENOMEM;
        goto done;
    }
    h.household_id = pic->household_id;
    h.region = pic->region ? pic->region : (char *)protobuf_c_empty_string;
    h.head_id = pic->head_id ? pic->head_id : (char *)protobuf_c_empty_string;
    h.head_phone = pic->head_phone ? pic->head_phone : (char *)protobuf_c_empty_string;
    for (size_t i = 0; i < pic->n_members; i++) {
        const Ver__Member *m = pic->members[i];
        if (!m->id_number || !*m->id_number || strlen(m->id_number) > MATCH_ID_MAX)
            continue;
        mch__member__init(&mv[h.n_members]);
        mv[h.n_members].id_number = m->id_number;
        mv[h.n_members].name = m->name ? m->name : (char *)protobuf_c_empty_string;
        mv[h.n_members].relation = m->relation ? m->relation : (char *)protobuf_c_empty_string;
        mp[h.n_members] = &mv[h.n_members];
        h.n_members++;
    }
    h.members = mp;
    size_t n = mch__household__get_packed_size(&h);
    if (!(buf = malloc(n ? n : 1))) {
        rc = ENOMEM;
        goto done;
    }
    mch__household__pack(&h, buf);
    /* verify sends a picture for every income record; most change nothing match keeps */
    bool same;
    rc = unchanged(svc, txn, &h, buf, n, &same);
    if (rc != 0 || same)
        goto done;
    rc = match_hh_get(svc, txn, pic->household_id, &old);
    if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED)
        rc = 0;
    if (rc == 0 && old)
        rc = drop_leavers(svc, txn, old, pic);
    MDB_dbi persons = sais_svc_dbi(svc, MATCH_DB_PERSONS);
    for (size_t i = 0; rc == 0 && i < h.n_members; i++)
        rc = sais_put(txn, persons, mv[i].id_number, strlen(mv[i].id_number), h.household_id,
                      strlen(h.household_id));
    if (rc == 0)
        rc = sais_put(txn, sais_svc_dbi(svc, MATCH_DB_HOUSEHOLDS), h.household_id, strlen(h.household_id), buf, n);
done:
    free(buf);
    free(mp);
    free(mv);
    if (old)
        mch__household__free_unpacked(old, NULL);
    ver__household_changed__free_unpacked(hc, NULL);
    return rc;
}

/* stats.wishes ?region=: {"wishes": {"submitted", "fulfilled"}, "donations_value",
 * "beneficiaries"} over the wishes the caller may see (an internal caller sees all). */
int match_stats(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *region = sais_req_param(req, "region");
    bool charity = strcmp(sais_req_role(req), "charity") == 0;
    zhash_t *households = zhash_new();
    if (!households)
        return ENOMEM;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, sais_svc_dbi(svc, MATCH_DB_WISHES), &cur);
    if (rc != 0) {
        zhash_destroy(&households);
        return rc;
    }
    int64_t submitted = 0, fulfilled = 0;
    sais_fen_t donations = 0;
    MDB_val k, v;
    MDB_cursor_op op = MDB_FIRST;
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        Mch__Wish *w = mch__wish__unpack(NULL, v.mv_size, v.mv_data);
        if (!w) {
            rc = MDB_CORRUPTED;
            break;
        }
        bool counted = (charity || sais_req_sees_region(req, w->region))
                       && (!region || !*region || strncmp(w->region, region, strlen(region)) == 0);
        if (counted) {
            submitted++;
            if (strcmp(w->status, "fulfilled") == 0) {
                fulfilled++;
                donations += w->value;
                /* zhash keeps the first item of a key; the value only has to be non-NULL */
                if (zhash_insert(households, w->household_id, households) == -1
                    && !zhash_lookup(households, w->household_id))
                    rc = ENOMEM;
            }
        }
        mch__wish__free_unpacked(w, NULL);
        if (rc != 0)
            break;
    }
    mdb_cursor_close(cur);
    size_t beneficiaries = zhash_size(households);
    zhash_destroy(&households);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    sais_jw_t jw;
    sais_jw_init(&jw);
    sais_jw_obj(&jw);
    if (region && *region)
        sais_jw_kstr(&jw, "region", region);
    sais_jw_key(&jw, "wishes");
    sais_jw_obj(&jw);
    sais_jw_kint(&jw, "submitted", submitted);
    sais_jw_kint(&jw, "fulfilled", fulfilled);
    sais_jw_obj_end(&jw);
    sais_jw_kmoney(&jw, "donations_value", donations);
    sais_jw_kint(&jw, "beneficiaries", (int64_t)beneficiaries);
    sais_jw_obj_end(&jw);
    return sais_reply_jw(reply, 200, &jw);
}
