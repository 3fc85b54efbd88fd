/* verify — the service table and the event side; see verify.h. */
#include "verify.h"
#include "verify_person.h"
#include "verify_picture.h"
#include "rules.pb-c.h"
#include "warn.pb-c.h"
#include "ingest.pb-c.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CAUSES 16

/* A household touched by the envelope being applied, with the records that touched it. */
typedef struct {
    char           *household_id;
    char           *region;
    Sais__Evidence  causes[MAX_CAUSES];
    char           *cause_strs[MAX_CAUSES][3];
    size_t          ncauses;
    char            reason[16];
} dirty_t;

typedef struct {
    dirty_t *v;
    size_t   n, cap;
} dirty_set_t;

static void dirty_free(dirty_set_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].household_id);
        free(d->v[i].region);
        for (size_t j = 0; j < d->v[i].ncauses; j++)
            for (int k = 0; k < 3; k++)
                free(d->v[i].cause_strs[j][k]);
    }
    free(d->v);
    memset(d, 0, sizeof *d);
}

static int dirty_add(dirty_set_t *d, const char *hh, const char *region, const Ing__Fact *f)
{
    if (!hh || !*hh)
        return 0;
    dirty_t *e = NULL;
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->v[i].household_id, hh) == 0) {
            e = &d->v[i];
            break;
        }
    if (!e) {
        if (d->n == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : 16;
            dirty_t *nv = realloc(d->v, cap * sizeof *nv);
            if (!nv)
                return -1;
            d->v = nv;
            d->cap = cap;
        }
        e = &d->v[d->n];
        memset(e, 0, sizeof *e);
        e->household_id = strdup(hh);
        e->region = strdup(region ? region : "");
        if (!e->household_id || !e->region) {
            free(e->household_id);
            free(e->region);
            return -1;
        }
        snprintf(e->reason, sizeof e->reason, "%s", f->source);
        d->n++;
    } else if (region && *region && !*e->region) {
        free(e->region);
        e->region = strdup(region);
        if (!e->region)
            return -1;
    }
    if (e->ncauses < MAX_CAUSES) {
        size_t j = e->ncauses;
        e->cause_strs[j][0] = strdup(f->source);
        e->cause_strs[j][1] = strdup(f->record_id);
        e->cause_strs[j][2] = strdup(f->batch_id);
        if (!e->cause_strs[j][0] || !e->cause_strs[j][1] || !e->cause_strs[j][2]) {
            for (int k = 0; k < 3; k++)
                free(e->cause_strs[j][k]);
            return -1;
        }
        sais__evidence__init(&e->causes[j]);
        e->causes[j].source = e->cause_strs[j][0];
        e->causes[j].record_id = e->cause_strs[j][1];
        e->causes[j].batch_id = e->cause_strs[j][2];
        e->ncauses++;
    }
    return 0;
}

/* Adds (add=true) or removes an id from a household's member list, kept sorted. */
static int household_member(sais_svc_t *svc, MDB_txn *txn, const char *hh, const char *region,
                            const char *id, bool add)
{
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_HOUSES);
    Vst__Household *h = NULL;
    if (!hh || !*hh || strlen(hh) > 400)
        return 0;
    Vst__Household fresh = VST__HOUSEHOLD__INIT;
    int rc = sais_get_pb(txn, dbi, hh, strlen(hh), &vst__household__descriptor, (ProtobufCMessage **)&h);
    if (rc == MDB_NOTFOUND) {
        if (!add)
            return 0;
        h = NULL;
    } else if (rc != 0) {
        return rc;
    }
    Vst__Household *cur = h ? h : &fresh;
    if (!h) {
        fresh.household_id = (char *)hh;
        fresh.region = (char *)(region ? region : "");
    }
    size_t n = cur->n_members, pos = n;
    bool present = false;
    for (size_t i = 0; i < n; i++) {
        int c = strcmp(cur->members[i], id);
        if (c == 0) {
            present = true;
            pos = i;
            break;
        }
        if (c > 0) {
            pos = i;
            break;
        }
    }
    char **members = NULL;
    size_t nm = 0;
    if (add && !present) {
        members = malloc((n + 1) * sizeof *members);
        if (!members)
            goto oom;
        if (pos > 0)
            memcpy(members, cur->members, pos * sizeof *members);
        members[pos] = (char *)id;
        if (n > pos)
            memcpy(members + pos + 1, cur->members + pos, (n - pos) * sizeof *members);
        nm = n + 1;
    } else if (!add && present) {
        members = malloc((n ? n : 1) * sizeof *members);
        if (!members)
            goto oom;
        if (pos > 0)
            memcpy(members, cur->members, pos * sizeof *members);
        if (n > pos + 1)
            memcpy(members + pos, cur->members + pos + 1, (n - pos - 1) * sizeof *members);
        nm = n - 1;
    } else if (!(add && region && *region && strcmp(cur->region, region) != 0)) {
        if (h)
            vst__household__free_unpacked(h, NULL);
        return 0;
    }
    Vst__Household out = *cur;
    if (members) {
        out.members = members;
        out.n_members = nm;
    }
    if (add && region && *region)
        out.region = (char *)region;
    rc = sais_put_pb(txn, dbi, hh, strlen(hh), &out.base);
    free(members);
    if (h)
        vst__household__free_unpacked(h, NULL);
    return rc;
oom:
    if (h)
        vst__household__free_unpacked(h, NULL);
    return ENOMEM;
}

int verify_compute_picture(sais_svc_t *svc, MDB_txn *txn, const char *household_id, Ver__Picture *out)
{
    Vst__Household *h = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_HOUSES), household_id, strlen(household_id),
                         &vst__household__descriptor, (ProtobufCMessage **)&h);
    if (rc != 0)
        return rc;
    Vst__Person **members = calloc(h->n_members ? h->n_members : 1, sizeof *members);
    size_t n = 0;
    if (!members) {
        vst__household__free_unpacked(h, NULL);
        return ENOMEM;
    }
    MDB_dbi persons = sais_svc_dbi(svc, VERIFY_DB_PERSONS);
    for (size_t i = 0; i < h->n_members && rc == 0; i++) {
        Vst__Person *p = NULL;
        rc = sais_get_pb(txn, persons, h->members[i], strlen(h->members[i]), &vst__person__descriptor,
                         (ProtobufCMessage **)&p);
        if (rc == 0)
            members[n++] = p;
        else if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0 && verify_picture_compute(h->household_id, h->region, members, n, sais_clock_today(), out) != 0)
        rc = ENOMEM;
    for (size_t i = 0; i < n; i++)
        vst__person__free_unpacked(members[i], NULL);
    free(members);
    vst__household__free_unpacked(h, NULL);
    return rc;
}

/* Recomputes one touched household; stores and announces the picture if it changed. */
static int refresh_household(sais_svc_t *svc, MDB_txn *txn, dirty_t *d)
{
    Ver__Picture pic = VER__PICTURE__INIT;
    int rc = verify_compute_picture(svc, txn, d->household_id, &pic);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_PICTURES);
    Ver__Picture *old = NULL;
    rc = sais_get_pb(txn, dbi, d->household_id, strlen(d->household_id), &ver__picture__descriptor,
                     (ProtobufCMessage **)&old);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        verify_picture_clear(&pic);
        return rc;
    }
    rc = 0;
    if (!old || !verify_picture_equal(old, &pic)) {
        pic.version = old ? old->version + 1 : 1;
        rc = sais_put_pb(txn, dbi, d->household_id, strlen(d->household_id), &pic.base);
        if (rc == 0) {
            Ver__HouseholdChanged ev = VER__HOUSEHOLD_CHANGED__INIT;
            Sais__Evidence *causes[MAX_CAUSES];
            for (size_t i = 0; i < d->ncauses; i++)
                causes[i] = &d->causes[i];
            ev.picture = &pic;
            ev.cause = causes;
            ev.n_cause = d->ncauses;
            ev.reason = d->reason;
            rc = sais_svc_emit(svc, txn, "household.changed", pic.region, &ev.base);
        }
    }
    if (old)
        ver__picture__free_unpacked(old, NULL);
    verify_picture_clear(&pic);
    return rc;
}

static int emit_person_event(sais_svc_t *svc, MDB_txn *txn, const Ing__Fact *f,
                             const verify_effect_t *eff, const char *kind)
{
    Ver__PersonEvent pe = VER__PERSON_EVENT__INIT;
    Sais__Evidence ev = SAIS__EVIDENCE__INIT;
    ev.source = f->source;
    ev.record_id = f->record_id;
    ev.batch_id = f->batch_id;
    pe.id_number = f->id_number;
    pe.household_id = eff->new_household_id;
    pe.region = eff->new_region;
    pe.kind = (char *)kind;
    pe.date = (char *)eff->date;
    pe.grade = eff->grade;
    pe.evidence = &ev;
    return sais_svc_emit(svc, txn, "person.event", eff->new_region, &pe.base);
}

static int note_source(sais_svc_t *svc, MDB_txn *txn, const Ing__Fact *f)
{
    char v[160];
    int n = snprintf(v, sizeof v, "%s|%lld", f->batch_id, (long long)sais_clock_now());
    return sais_put(txn, sais_svc_dbi(svc, VERIFY_DB_SOURCES), f->source, strlen(f->source), v, (size_t)n);
}

static int apply_fact(sais_svc_t *svc, MDB_txn *txn, const Ing__Fact *f, dirty_set_t *dirty)
{
    MDB_dbi persons = sais_svc_dbi(svc, VERIFY_DB_PERSONS);
    Vst__Person *p = NULL;
    int rc = sais_get_pb(txn, persons, f->id_number, strlen(f->id_number), &vst__person__descriptor,
                         (ProtobufCMessage **)&p);
    if (rc == MDB_NOTFOUND) {
        p = verify_person_new(f->id_number);
        if (!p)
            return ENOMEM;
    } else if (rc != 0) {
        return rc;
    }
    verify_effect_t eff;
    verify_effect_init(&eff);
    if (verify_person_apply(p, f, &eff) != 0) {
        /* ingest validated it, so this is a fact verify does not use (e.g. a future kind) */
        sais_warn("fact %s/%s not applied", f->source, f->record_id);
        verify_effect_clear(&eff);
        verify_person_destroy(&p);
        return 0;
    }
    if (eff.changed)
        rc = sais_put_pb(txn, persons, f->id_number, strlen(f->id_number), &p->base);
    if (rc == 0 && strcmp(eff.old_household_id, eff.new_household_id) != 0) {
        rc = household_member(svc, txn, eff.old_household_id, NULL, f->id_number, false);
        if (rc == 0 && *eff.new_household_id)
            rc = household_member(svc, txn, eff.new_household_id, eff.new_region, f->id_number, true);
    } else if (rc == 0 && *eff.new_household_id && strcmp(f->source, "hukou") == 0) {
        /* first registration, or a region change inside the same household */
        rc = household_member(svc, txn, eff.new_household_id, eff.new_region, f->id_number, true);
    }
    if (rc == 0 && (eff.picture_changed || strcmp(eff.old_household_id, eff.new_household_id) != 0)) {
        if (dirty_add(dirty, eff.old_household_id, eff.old_region, f) != 0
            || dirty_add(dirty, eff.new_household_id, eff.new_region, f) != 0)
            rc = ENOMEM;
    }
    if (rc == 0 && (eff.happenings & VERIFY_HAPPEN_DIED))
        rc = emit_person_event(svc, txn, f, &eff, "death");
    if (rc == 0 && (eff.happenings & VERIFY_HAPPEN_INCARCERATED))
        rc = emit_person_event(svc, txn, f, &eff, "incarcerated");
    if (rc == 0 && (eff.happenings & VERIFY_HAPPEN_RELEASED))
        rc = emit_person_event(svc, txn, f, &eff, "released");
    if (rc == 0 && (eff.happenings & VERIFY_HAPPEN_SEVERE_DISABILITY))
        rc = emit_person_event(svc, txn, f, &eff, "disability");
    if (rc == 0 && (eff.happenings & VERIFY_HAPPEN_MOVED))
        rc = emit_person_event(svc, txn, f, &eff, "moved");
    if (rc == 0)
        rc = note_source(svc, txn, f);
    verify_effect_clear(&eff);
    verify_person_destroy(&p);
    return rc;
}

static int on_facts(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Ing__FactBatch *b = ing__fact_batch__unpack(NULL, ev->payload.len, ev->payload.data);
    if (!b) {
        sais_warn("ingest event %llu: garbled fact.batch skipped", (unsigned long long)ev->seq);
        return 0;
    }
    dirty_set_t dirty = {0};
    int rc = 0;
    for (size_t i = 0; i < b->n_facts && rc == 0; i++)
        rc = apply_fact(svc, txn, b->facts[i], &dirty);
    /* one picture per touched household per envelope: the output depends only on the log */
    for (size_t i = 0; i < dirty.n && rc == 0; i++)
        rc = refresh_household(svc, txn, &dirty.v[i]);
    dirty_free(&dirty);
    ing__fact_batch__free_unpacked(b, NULL);
    return rc;
}

static int keep_copy(sais_svc_t *svc, MDB_txn *txn, const char *dbname, const char *hh,
                     const char *id, const ProtobufCMessage *msg)
{
    char key[256];
    int n = snprintf(key, sizeof key, "%s|%s", hh, id);
    if (!*hh || n <= 0 || (size_t)n >= sizeof key)
        return 0;
    return sais_put_pb(txn, sais_svc_dbi(svc, dbname), key, (size_t)n, msg);
}

static int on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    if (strcmp(producer, "ingest") == 0) {
        if (strcmp(ev->type, "fact.batch") == 0)
            return on_facts(svc, txn, ev);
        return 0;
    }
    if (strcmp(producer, "rules") == 0 && strncmp(ev->type, "entitlement.", 12) == 0) {
        Rul__Entitlement *e = rul__entitlement__unpack(NULL, ev->payload.len, ev->payload.data);
        if (!e) {
            sais_warn("rules event %llu: garbled entitlement skipped", (unsigned long long)ev->seq);
            return 0;
        }
        int rc = keep_copy(svc, txn, VERIFY_DB_ENTS, e->household_id, e->entitlement_id, &e->base);
        rul__entitlement__free_unpacked(e, NULL);
        return rc;
    }
    if (strcmp(producer, "warn") == 0 && strncmp(ev->type, "alert.", 6) == 0) {
        Wrn__Alert *a = wrn__alert__unpack(NULL, ev->payload.len, ev->payload.data);
        if (!a) {
            sais_warn("warn event %llu: garbled alert skipped", (unsigned long long)ev->seq);
            return 0;
        }
        int rc = keep_copy(svc, txn, VERIFY_DB_ALERTS, a->household_id, a->alert_id, &a->base);
        wrn__alert__free_unpacked(a, NULL);
        return rc;
    }
    return 0;
}

static const char *const dbis[] = {VERIFY_DB_PERSONS, VERIFY_DB_HOUSES, VERIFY_DB_PICTURES, VERIFY_DB_ENTS,
                                   VERIFY_DB_ALERTS, VERIFY_DB_REPORTS, VERIFY_DB_SOURCES, NULL};
static const char *const consumes[] = {"ingest", "rules", "warn", NULL};
static const sais_method_t methods[] = {
    {"persons.get", SAIS_M_READ, verify_persons_get},
    {"households.get", SAIS_M_READ, verify_households_get},
    {"households.benefits", SAIS_M_READ, verify_households_benefits},
    {"verifications.create", SAIS_M_WRITE, verify_verifications_create},
    {"verifications.get", SAIS_M_READ, verify_verifications_get},
    {NULL, 0, NULL},
};

const sais_service_def_t verify_service = {
    .name = "verify",
    .dbis = dbis,
    .methods = methods,
    .consumes = consumes,
    .on_event = on_event,
};
