/* rules — the service table, catalogue loading and the event side; see rules.h. */
#include "rules.h"
#include "sais_bus.h"
#include "sais_index.h"
#include "sais_log.h"
#include "sais_wire.h"
#include "intake.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `packed`: the picture's bytes in the event (len > 0), stored as they are. */
static int remember_picture(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic, const uint8_t *packed,
                            size_t len, const unsigned char *kept, size_t keptlen)
{
    MDB_dbi persons = sais_svc_dbi(svc, RULES_DB_PERSONS);
    int rc = len > 0 && pic->base.n_unknown_fields == 0
                 ? rules_picture_put_packed(svc, txn, pic->household_id, packed, len, kept, keptlen)
                 : rules_picture_put(svc, txn, pic, kept, keptlen);
    for (size_t i = 0; i < pic->n_members && rc == 0; i++) {
        const Ver__Member *m = pic->members[i];
        if (strcmp(m->status, "moved_out") == 0)
            continue;
        /* a household changes several times while a city loads, its members seldom: a put
         * dirties a page (written and synced at commit) even when the value is the same */
        size_t hl = strlen(pic->household_id);
        MDB_val v;
        rc = sais_get(txn, persons, m->id_number, strlen(m->id_number), &v);
        if (rc == 0 && v.mv_size == hl && memcmp(v.mv_data, pic->household_id, hl) == 0)
            continue;
        if (rc != 0 && rc != MDB_NOTFOUND)
            break;
        rc = sais_put(txn, persons, m->id_number, strlen(m->id_number), pic->household_id, hl);
    }
    return rc;
}

static int on_approved(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Itk__Application *a = (Itk__Application *)sais_event_unpack(&itk__application__descriptor, ev);
    if (!a || !*a->household_id) {
        sais_warn("intake event %llu: garbled application.approved skipped", (unsigned long long)ev->seq);
        if (a)
            itk__application__free_unpacked(a, NULL);
        return 0;
    }
    const char *origin = strcmp(a->origin, "proactive") == 0 ? "proactive" : "application";
    int rc = rules_approve(svc, txn, a->household_id, origin, a->approved_policies, a->n_approved_policies);
    itk__application__free_unpacked(a, NULL);
    return rc;
}

static int on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    if (strcmp(producer, "intake") == 0)
        return strcmp(ev->type, "application.approved") == 0 ? on_approved(svc, txn, ev) : 0;
    if (strcmp(producer, "verify") == 0 && strcmp(ev->type, "refresh.released") == 0)
        return rules_hold_verify_said(svc, txn, true);
    if (strcmp(producer, "verify") == 0 && strcmp(ev->type, "refresh.held") == 0)
        return rules_hold_verify_said(svc, txn, false);
    if (strcmp(producer, "verify") != 0 || strcmp(ev->type, "household.changed") != 0)
        return 0;
    Ver__HouseholdChanged *hc = (Ver__HouseholdChanged *)sais_event_unpack(&ver__household_changed__descriptor, ev);
    if (!hc || !hc->picture) {
        sais_warn("verify event %llu: garbled household.changed skipped", (unsigned long long)ev->seq);
        if (hc)
            ver__household_changed__free_unpacked(hc, NULL);
        return 0;
    }
    /* the picture's bytes in the event, to store without packing it again */
    const uint8_t *packed = NULL;
    size_t plen = 0;
    if (sais_wire_find_bytes(ev->payload.data, ev->payload.len, 1, &packed, &plen) != 0)
        plen = 0;
    rules_state_t *st = sais_svc_state(svc);
    int rc;
    if (st->hold) {
        rc = rules_hold_note(svc, txn, hc->picture->household_id, hc->cause, hc->n_cause);
        if (rc == 0)
            rc = remember_picture(svc, txn, hc->picture, packed, plen, NULL, 0);
        ver__household_changed__free_unpacked(hc, NULL);
        return rc;
    }
    /* decided first, so that the picture is stored once, with the decisions kept in it */
    unsigned char kept[RULES_KEPT_BYTES];
    size_t keptlen = 0;
    if (st->draining)
        rc = rules_hold_decide(svc, txn, hc->picture, hc->cause, hc->n_cause, kept, &keptlen);
    else
        rc = rules_decide(svc, txn, hc->picture, hc->cause, hc->n_cause, kept, &keptlen);
    if (rc == 0)
        rc = remember_picture(svc, txn, hc->picture, packed, plen, kept, keptlen);
    ver__household_changed__free_unpacked(hc, NULL);
    return rc;
}

rules_catalog_t *rules_load_catalog(const sais_config_t *cfg, char *err, size_t errlen)
{
    rules_limits_t lim = {.step_limit = (int)sais_config_int(cfg, "rules.step_limit")};
    return rules_catalog_load(sais_config_get(cfg, "rules.policies_dir"), &lim, err, errlen);
}

#define REDECIDE_KEY   "redecide"
#define REDECIDE_SLICE 500
/* The digest of the catalogue the stored decisions are (or are being) made under. */
#define CATALOGUE_KEY  "catalogue"

static int redecide_start_fn(MDB_txn *txn, void *vctx)
{
    sais_svc_t *svc = vctx;
    rules_state_t *st = sais_svc_state(svc);
    MDB_dbi meta = sais_svc_dbi(svc, "_meta");
    int rc = sais_put(txn, meta, REDECIDE_KEY, strlen(REDECIDE_KEY), "", 0);
    return rc ? rc : sais_put(txn, meta, CATALOGUE_KEY, strlen(CATALOGUE_KEY),
                              rules_catalog_digest(st->catalog), RULES_CATALOG_DIGEST);
}

int rules_redecide_start(sais_svc_t *svc)
{
    rules_state_t *st = sais_svc_state(svc);
    int rc = sais_svc_write(svc, redecide_start_fn, svc);
    if (rc == 0)
        st->redeciding = true;
    return rc;
}

typedef struct {
    sais_svc_t *svc;
    size_t      done;
    bool        finished;
} redecide_ctx_t;

/* One slice: the households after the stored position, decided with the catalogue in force
 * (the cause named is the catalogue itself), and the new position, in one transaction. */
static int redecide_fn(MDB_txn *txn, void *vctx)
{
    redecide_ctx_t *c = vctx;
    MDB_dbi meta = sais_svc_dbi(c->svc, "_meta");
    MDB_val pos;
    c->done = 0;
    c->finished = false;
    int rc = sais_get(txn, meta, REDECIDE_KEY, strlen(REDECIDE_KEY), &pos);
    if (rc == MDB_NOTFOUND) {
        c->finished = true;
        return SAIS_TXN_ABORT;
    }
    if (rc != 0)
        return rc;
    char after[256];
    snprintf(after, sizeof after, "%.*s", (int)(pos.mv_size < 255 ? pos.mv_size : 255), (const char *)pos.mv_data);
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, sais_svc_dbi(c->svc, RULES_DB_PICTURES), &cur)) != 0)
        return rc;
    MDB_val k = {strlen(after), after}, v;
    MDB_cursor_op op = *after ? MDB_SET_RANGE : MDB_FIRST;
    Sais__Evidence ev = SAIS__EVIDENCE__INIT, *evp = &ev;
    ev.source = "policy";
    ev.record_id = "catalogue reload";
    char last[256] = "";
    for (rc = mdb_cursor_get(cur, &k, &v, op); rc == 0 && c->done < REDECIDE_SLICE;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (op == MDB_SET_RANGE && k.mv_size == strlen(after) && memcmp(k.mv_data, after, k.mv_size) == 0)
            continue;
        snprintf(last, sizeof last, "%.*s", (int)(k.mv_size < 255 ? k.mv_size : 255), (const char *)k.mv_data);
        Ver__Picture *pic = ver__picture__unpack(NULL, v.mv_size, v.mv_data);
        c->done++;
        if (!pic)
            continue;
        unsigned char kept[RULES_KEPT_BYTES];
        size_t keptlen = 0;
        int d = rules_decide(c->svc, txn, pic, &evp, 1, kept, &keptlen);
        if (d == 0)   /* the decisions under the new catalogue replace those kept */
            d = rules_picture_put(c->svc, txn, pic, kept, keptlen);
        ver__picture__free_unpacked(pic, NULL);
        if (d != 0) {
            mdb_cursor_close(cur);
            return d;
        }
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    if (rc == MDB_NOTFOUND) {
        c->finished = true;
        return sais_del(txn, meta, REDECIDE_KEY, strlen(REDECIDE_KEY));
    }
    return sais_put(txn, meta, REDECIDE_KEY, strlen(REDECIDE_KEY), last, strlen(last));
}

static void on_tick(sais_svc_t *svc)
{
    rules_state_t *st = sais_svc_state(svc);
    if (!st || st->hold)   /* a reload's re-decision waits for the release too */
        return;
    if (st->draining) {    /* first the held households, then a reload's re-decision */
        rules_hold_drain(svc);
        return;
    }
    if (!st->redeciding)
        return;
    redecide_ctx_t c = {svc, 0, false};
    int rc = sais_svc_write(svc, redecide_fn, &c);
    if ((rc == 0 || rc == SAIS_TXN_ABORT) && c.finished) {
        st->redeciding = false;
        sais_info("every household decided again under the catalogue in force");
    } else if (rc == 0)
        sais_svc_tick_again(svc);
}

typedef enum { CAT_SAME, CAT_FIRST, CAT_CHANGED, CAT_UNKNOWN } catalogue_seen_t;

typedef struct {
    sais_svc_t      *svc;
    catalogue_seen_t seen;
} start_ctx_t;

/* Is a re-decision under way, and were the stored decisions made under this catalogue? */
static int redecide_pending_fn(MDB_txn *txn, void *vctx)
{
    start_ctx_t *c = vctx;
    rules_state_t *st = sais_svc_state(c->svc);
    MDB_dbi meta = sais_svc_dbi(c->svc, "_meta");
    MDB_val v;
    int rc = sais_get(txn, meta, REDECIDE_KEY, strlen(REDECIDE_KEY), &v);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    st->redeciding = rc == 0;
    rc = sais_get(txn, meta, CATALOGUE_KEY, strlen(CATALOGUE_KEY), &v);
    if (rc == 0) {
        c->seen = v.mv_size == RULES_CATALOG_DIGEST
                          && memcmp(v.mv_data, rules_catalog_digest(st->catalog), RULES_CATALOG_DIGEST) == 0
                      ? CAT_SAME : CAT_CHANGED;
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    /* No digest: a new store, or one kept before digests were. Pictures say which. */
    size_t pictures;
    if ((rc = sais_entries(txn, sais_svc_dbi(c->svc, RULES_DB_PICTURES), &pictures)) != 0)
        return rc;
    c->seen = pictures == 0 ? CAT_FIRST : CAT_UNKNOWN;
    return 0;
}

static int catalogue_note_fn(MDB_txn *txn, void *vctx)
{
    sais_svc_t *svc = vctx;
    return sais_put(txn, sais_svc_dbi(svc, "_meta"), CATALOGUE_KEY, strlen(CATALOGUE_KEY),
                    rules_catalog_digest(((rules_state_t *)sais_svc_state(svc))->catalog),
                    RULES_CATALOG_DIGEST);
}

/* Policy files edited while SAIS was stopped take effect for everyone, as a reload's would:
 * a changed line is not left waiting for each household's next change of facts. */
static int catalogue_check(sais_svc_t *svc)
{
    start_ctx_t c = {svc, CAT_SAME};
    if (sais_store_read(sais_svc_store(svc), redecide_pending_fn, &c) != 0)
        return -1;
    if (c.seen == CAT_FIRST)
        return sais_svc_write(svc, catalogue_note_fn, svc) == 0 ? 0 : -1;
    if (c.seen == CAT_SAME)
        return 0;
    if (c.seen == CAT_CHANGED)
        sais_warn("the policy catalogue differs from the one the stored decisions were made under: "
                  "every household will be decided again");
    else
        sais_warn("no record of the policy catalogue the stored decisions were made under (a store "
                  "kept before rules recorded it): every household will be decided again, once");
    return rules_redecide_start(svc) == 0 ? 0 : -1;
}

static int on_start(sais_svc_t *svc, char *err, size_t errlen)
{
    rules_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char why[512];
    st->catalog = rules_load_catalog(sais_svc_config(svc), why, sizeof why);
    if (!st->catalog) {
        snprintf(err, errlen, "policy catalogue: %s", why);
        free(st);
        return -1;
    }
    sais_info("policy catalogue: %zu policies from %s", rules_catalog_size(st->catalog),
              sais_config_get(sais_svc_config(svc), "rules.policies_dir"));
    if (rules_hold_config(sais_svc_config(svc), &st->hold, &st->hold_slice, err, errlen) != 0) {
        rules_catalog_destroy(&st->catalog);
        free(st);
        return -1;
    }
    sais_svc_set_state(svc, st);
    if (sais_index_backfill(sais_svc_store(svc), RULES_DB_ENTS, RULES_DB_HHENTS, rules_ent_index_key,
                            "rules entitlements by household") != 0) {
        snprintf(err, errlen, "could not index the stored entitlements by household");
        return -1;
    }
    if (catalogue_check(svc) != 0) {
        snprintf(err, errlen, "cannot read or schedule the re-decision under the policy catalogue");
        return -1;
    }
    if (rules_hold_start(svc) != 0) {
        snprintf(err, errlen, "cannot count the households held while outreach was held");
        return -1;
    }
    return 0;
}

static void on_stop(sais_svc_t *svc)
{
    rules_state_t *st = sais_svc_state(svc);
    if (!st)
        return;
    rules_catalog_destroy(&st->catalog);
    free(st);
    sais_svc_set_state(svc, NULL);
}

static const char *const dbis[] = {RULES_DB_ENTS, RULES_DB_CURRENT, RULES_DB_ONEOFF,
                                   RULES_DB_PICTURES, RULES_DB_PERSONS, RULES_DB_CASES, RULES_DB_HHENTS,
                                   RULES_DB_HELD, NULL};
static const char *const consumes[] = {"verify", "intake", NULL};
static const sais_method_t methods[] = {
    {"policies.list", SAIS_M_READ, rules_policies_list},
    {"policies.evaluate", SAIS_M_READ, rules_policies_evaluate},
    {"policies.simulate", SAIS_M_RAW, rules_policies_simulate},
    {"policies.reload", SAIS_M_RAW, rules_policies_reload},
    {"entitlements.list", SAIS_M_READ, rules_entitlements_list},
    {NULL, 0, NULL},
};

const sais_service_def_t rules_service = {
    .name = "rules",
    .dbis = dbis,
    .methods = methods,
    .consumes = consumes,
    .on_event = on_event,
    .on_start = on_start,
    .on_stop = on_stop,
    .on_tick = on_tick,
    .on_status = rules_hold_status,
    .tick_ms = 100,
};
