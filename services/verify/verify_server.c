/* verify — the service table and the event side; see verify.h. */
#include "verify.h"
#include "verify_person.h"
#include "verify_picture.h"
#include "verify_refresh.h"
#include "verify_medical_packed.h"
#include "rules.pb-c.h"
#include "warn.pb-c.h"
#include "match.pb-c.h"
#include "ingest.pb-c.h"
#include "sais_bus.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The household's region is the region of its member whose hukou record in force is the
 * latest by (date, record_id), registered members before moved-out ones. While a household
 * moves, or when partners disagree, members' records name different regions; taking the
 * region of whichever record happened to be applied last would make it depend on arrival
 * order. *out is NULL when no member's record says (then the caller keeps what it has). */
static int household_region(sais_svc_t *svc, MDB_txn *txn, const char *hh, char *const *members, size_t n,
                            char **out)
{
    MDB_dbi persons = sais_svc_dbi(svc, VERIFY_DB_PERSONS);
    Vst__Person *best = NULL;
    bool best_reg = false;
    int rc = 0;
    *out = NULL;
    for (size_t i = 0; i < n && rc == 0; i++) {
        Vst__Person *p = NULL;
        rc = sais_get_pb(txn, persons, members[i], strlen(members[i]), &vst__person__descriptor,
                         (ProtobufCMessage **)&p);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc != 0)
            break;
        bool reg = verify_person_registered_in(p, hh);
        int c = -1;
        if (p->hukou && *p->region) {
            c = 1;
            if (best && reg == best_reg) {
                c = strcmp(p->hukou->date, best->hukou->date);
                if (c == 0)
                    c = strcmp(p->hukou->record_id, best->hukou->record_id);
            } else if (best) {
                c = reg ? 1 : -1;
            }
        }
        if (c > 0) {
            if (best)
                vst__person__free_unpacked(best, NULL);
            best = p;
            best_reg = reg;
        } else {
            vst__person__free_unpacked(p, NULL);
        }
    }
    if (rc == 0 && best && !(*out = strdup(best->region)))
        rc = ENOMEM;
    if (best)
        vst__person__free_unpacked(best, NULL);
    return rc;
}

/* Adds (add=true) or removes an id from a household's member list, kept sorted, and keeps
 * the household's region (household_region). */
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
        rc = 0;
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
    } else if (!add) {
        if (h)
            vst__household__free_unpacked(h, NULL);
        return 0;   /* not a member: nothing to take away */
    }
    Vst__Household out = *cur;
    if (members) {
        out.members = members;
        out.n_members = nm;
    }
    char *derived = NULL;
    if (out.n_members > 0)
        rc = household_region(svc, txn, hh, out.members, out.n_members, &derived);
    if (rc == 0) {
        if (derived)
            out.region = derived;
        else if (add && region && *region)
            out.region = (char *)region;
        if (h && !members && strcmp(out.region, cur->region) == 0)
            rc = 0;   /* unchanged */
        /* A household whose last member moved on is forgotten, not kept empty: had the move
         * been applied before the older registration, the household would never have
         * existed, and the state must not depend on that order (refresh_household retires
         * its picture). */
        else if (out.n_members == 0)
            rc = sais_del(txn, dbi, hh, strlen(hh));
        else
            rc = sais_put_pb(txn, dbi, hh, strlen(hh), &out.base);
    }
    free(derived);
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
    return verify_compute_picture_with(svc, txn, household_id, NULL, NULL, out);
}

int verify_compute_picture_with(sais_svc_t *svc, MDB_txn *txn, const char *household_id,
                                verify_person_lookup_fn lookup, void *ctx, Ver__Picture *out)
{
    Vst__Household *h = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_HOUSES), household_id, strlen(household_id),
                         &vst__household__descriptor, (ProtobufCMessage **)&h);
    if (rc != 0)
        return rc;
    Vst__Person **members = calloc(h->n_members ? h->n_members : 1, sizeof *members);
    bool *owned = calloc(h->n_members ? h->n_members : 1, sizeof *owned);
    size_t n = 0;
    if (!members || !owned) {
        free(members);
        free(owned);
        vst__household__free_unpacked(h, NULL);
        return ENOMEM;
    }
    MDB_dbi persons = sais_svc_dbi(svc, VERIFY_DB_PERSONS);
    for (size_t i = 0; i < h->n_members && rc == 0; i++) {
        const Vst__Person *known = lookup ? lookup(ctx, h->members[i]) : NULL;
        if (known) {
            members[n++] = (Vst__Person *)known;
            continue;
        }
        Vst__Person *p = NULL;
        rc = sais_get_pb(txn, persons, h->members[i], strlen(h->members[i]), &vst__person__descriptor,
                         (ProtobufCMessage **)&p);
        if (rc == 0) {
            owned[n] = true;
            members[n++] = p;
        } else if (rc == MDB_NOTFOUND) {
            rc = 0;
        }
    }
    if (rc == 0 && verify_picture_compute(h->household_id, h->region, members, n, sais_clock_today(), out) != 0)
        rc = ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (owned[i])
            vst__person__free_unpacked(members[i], NULL);
    free(members);
    free(owned);
    vst__household__free_unpacked(h, NULL);
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
    MDB_dbi dbi = sais_svc_dbi(svc, VERIFY_DB_SOURCES);
    MDB_val have;
    /* a batch's facts all say the same: write it once, not once per record */
    if (sais_get(txn, dbi, f->source, strlen(f->source), &have) == 0 && have.mv_size == (size_t)n
        && memcmp(have.mv_data, v, (size_t)n) == 0)
        return 0;
    return sais_put(txn, dbi, f->source, strlen(f->source), v, (size_t)n);
}

/* The persons an envelope touches, each read and unpacked once and written back once at the
 * end (an hrss batch brings twelve months per person: without this each record would be an
 * unpack, a repack and a put of the whole person). Open addressing on the id number. */
typedef struct {
    Vst__Person *p;
    bool         dirty;
    bool         stored;   /* the store has this person (as p, once flushed) */
} cached_t;

typedef struct {
    cached_t *slots;
    size_t    cap;
    /* the people a medical fact was folded into packed (apply_medical_packed), by id number,
     * same capacity: their next fact in the envelope goes through the cache */
    char    **packed;
} person_cache_t;

static int cache_init(person_cache_t *c, size_t nfacts)
{
    c->cap = 64;
    while (c->cap < nfacts * 2)
        c->cap *= 2;
    c->slots = calloc(c->cap, sizeof *c->slots);
    c->packed = calloc(c->cap, sizeof *c->packed);
    if (!c->slots || !c->packed) {
        free(c->slots);
        free(c->packed);
        return -1;
    }
    return 0;
}

static void cache_free(person_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i].p)
            verify_person_destroy(&c->slots[i].p);
        free(c->packed[i]);
    }
    free(c->slots);
    free(c->packed);
    c->slots = NULL;
    c->packed = NULL;
}

/* The cached slot for `id`, loading the person (or making a new one) on first use. */
static int cache_get(sais_svc_t *svc, MDB_txn *txn, person_cache_t *c, const char *id, cached_t **out)
{
    size_t i = verify_id_hash(id) & (c->cap - 1);
    while (c->slots[i].p) {
        if (strcmp(c->slots[i].p->id_number, id) == 0) {
            *out = &c->slots[i];
            return 0;
        }
        i = (i + 1) & (c->cap - 1);
    }
    Vst__Person *p = NULL;
    int rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PERSONS), id, strlen(id), &vst__person__descriptor,
                         (ProtobufCMessage **)&p);
    if (rc == MDB_NOTFOUND) {
        /* a fact that changes nothing (a marriage of someone not registered yet) stores no
         * person: it is only written back when dirty */
        p = verify_person_new(id);
        if (!p)
            return ENOMEM;
    } else if (rc != 0) {
        return rc;
    }
    c->slots[i].p = p;
    c->slots[i].dirty = false;
    c->slots[i].stored = rc == 0;
    *out = &c->slots[i];
    return 0;
}

static int cache_flush(sais_svc_t *svc, MDB_txn *txn, person_cache_t *c)
{
    MDB_dbi persons = sais_svc_dbi(svc, VERIFY_DB_PERSONS);
    for (size_t i = 0; i < c->cap; i++) {
        cached_t *e = &c->slots[i];
        if (!e->p || !e->dirty)
            continue;
        int rc = sais_put_pb(txn, persons, e->p->id_number, strlen(e->p->id_number), &e->p->base);
        if (rc != 0)
            return rc;
        e->dirty = false;
        e->stored = true;
    }
    return 0;
}

/* verify_person_lookup_fn over a flushed cache: a person as the store now has it */
static const Vst__Person *cache_lookup(void *ctx, const char *id)
{
    const person_cache_t *c = ctx;
    size_t i = verify_id_hash(id) & (c->cap - 1);
    while (c->slots[i].p) {
        if (strcmp(c->slots[i].p->id_number, id) == 0)
            return c->slots[i].stored && !c->slots[i].dirty ? c->slots[i].p : NULL;
        i = (i + 1) & (c->cap - 1);
    }
    return NULL;
}

/* A fact that may give warn a person.event to judge against the household's picture: a death,
 * a stay in prison or its end, a severe disability certificate (verify_person.c says which
 * ones do; this only must not miss one). A marriage or a grade-4 certificate is not. */
static bool may_raise_event(const Ing__Fact *f)
{
    if (strcmp(f->source, "civil") == 0)
        return f->event && strcmp(f->event, "death") == 0;
    if (strcmp(f->source, "justice") == 0)
        return true;
    if (strcmp(f->source, "disability") == 0)
        return f->status && strcmp(f->status, "active") == 0 && f->grade >= 1 && f->grade <= 2;
    return false;
}

static bool cache_has(const person_cache_t *c, const char *id)
{
    size_t i = verify_id_hash(id) & (c->cap - 1);
    while (c->slots[i].p) {
        if (strcmp(c->slots[i].p->id_number, id) == 0)
            return true;
        i = (i + 1) & (c->cap - 1);
    }
    return false;
}

/* True the first time `id` is asked about in this envelope (noting it), false after: a
 * person's first medical fact is folded packed, the others in the cache, so that a person
 * with many settlements in one envelope is not unpacked and packed once per settlement. */
static bool cache_first_packed(person_cache_t *c, const char *id, bool *oom)
{
    size_t i = verify_id_hash(id) & (c->cap - 1);
    while (c->packed[i]) {
        if (strcmp(c->packed[i], id) == 0)
            return false;
        i = (i + 1) & (c->cap - 1);
    }
    c->packed[i] = strdup(id);
    *oom = c->packed[i] == NULL;
    return !*oom;
}

/* A medical fact of a stored person not in the envelope's cache, folded into the packed
 * record (verify_medical_packed.h): a medical batch is mostly one settlement per person, and
 * unpacking and repacking the whole person for it was most of the fold. 1: not done here
 * (a new person, a record not laid out as expected), the caller takes the full path. */
static int apply_medical_packed(sais_svc_t *svc, MDB_txn *txn, const Ing__Fact *f, verify_dirty_set_t *dirty)
{
    MDB_dbi persons = sais_svc_dbi(svc, VERIFY_DB_PERSONS);
    MDB_val v;
    int rc = sais_get(txn, persons, f->id_number, strlen(f->id_number), &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? 1 : rc;
    Ing__Fact folded = *f;   /* stored without its batch, as apply_fact says below */
    folded.batch_id = (char *)protobuf_c_empty_string;
    verify_effect_t eff;
    verify_effect_init(&eff);
    uint8_t *out = NULL;
    size_t outlen = 0;
    int r = verify_medical_fold_packed(v.mv_data, v.mv_size, &folded, &out, &outlen, &eff);
    if (r != 0)
        return r == 1 ? 1 : ENOMEM;
    if (out)
        rc = sais_put(txn, persons, f->id_number, strlen(f->id_number), out, outlen);
    free(out);
    if (rc == 0 && eff.picture_changed && verify_dirty_add(dirty, eff.new_household_id, f) != 0)
        rc = ENOMEM;
    verify_effect_clear(&eff);
    return rc;
}

static int apply_fact(sais_svc_t *svc, MDB_txn *txn, const Ing__Fact *f, verify_dirty_set_t *dirty,
                      person_cache_t *cache)
{
    bool oom = false;
    /* not over a cached copy, which may hold changes not yet written */
    if (strcmp(f->source, "medical") == 0 && !cache_has(cache, f->id_number)
        && cache_first_packed(cache, f->id_number, &oom)) {
        int r = apply_medical_packed(svc, txn, f, dirty);
        if (r != 1)
            return r;
    }
    if (oom)
        return ENOMEM;
    cached_t *slot = NULL;
    int rc = cache_get(svc, txn, cache, f->id_number, &slot);
    if (rc != 0)
        return rc;
    Vst__Person *p = slot->p;
    /* warn reads a death, an incarceration or a new certificate (person.event) against the
     * household's picture as it stood just before (who earned most): if the facts before this
     * one changed that picture and it is still owed (by this envelope, an earlier one of an
     * unfinished batch, or the hold), it is brought up to date first, so the answer does not
     * depend on where the envelopes were cut */
    if (may_raise_event(f) && p->household_id && *p->household_id
        && (verify_dirty_has(dirty, p->household_id) || verify_refresh_pending(svc, txn, p->household_id))) {
        rc = cache_flush(svc, txn, cache);
        if (rc == 0)
            rc = verify_refresh_owed(svc, txn, p->household_id, dirty, cache_lookup, cache);
        if (rc != 0)
            return rc;
    }
    /* Which batch brought a record depends on how the partner cut and repeated its feeds
     * (the first copy accepted wins), so the person is folded from the fact without it: the
     * same set of records gives the same person. ingest keeps source|record_id -> batch, and
     * the events below still name the batch as evidence. */
    Ing__Fact folded = *f;
    folded.batch_id = (char *)protobuf_c_empty_string;
    verify_effect_t eff;
    verify_effect_init(&eff);
    if (verify_person_apply(p, &folded, &eff) != 0) {
        /* ingest validated it, so this is a fact verify does not use (e.g. a future kind);
         * verify_person_apply left the person untouched (or, out of memory, partly changed:
         * then the whole transaction is redone) */
        sais_warn("fact %s/%s not applied", f->source, f->record_id);
        verify_effect_clear(&eff);
        return 0;
    }
    if (eff.changed)
        slot->dirty = true;
    if (slot->dirty && (strcmp(f->source, "hukou") == 0 || strcmp(eff.old_household_id, eff.new_household_id) != 0)) {
        /* the household's region is read from its members' stored records below */
        rc = sais_put_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PERSONS), p->id_number, strlen(p->id_number), &p->base);
        slot->dirty = false;
        slot->stored = rc == 0;
    }
    if (rc == 0 && strcmp(eff.old_household_id, eff.new_household_id) != 0) {
        rc = household_member(svc, txn, eff.old_household_id, NULL, f->id_number, false);
        if (rc == 0 && *eff.new_household_id)
            rc = household_member(svc, txn, eff.new_household_id, eff.new_region, f->id_number, true);
    } else if (rc == 0 && *eff.new_household_id && strcmp(f->source, "hukou") == 0) {
        /* first registration, or a region change inside the same household */
        rc = household_member(svc, txn, eff.new_household_id, eff.new_region, f->id_number, true);
    }
    /* any hukou fact may have changed the household's region (household_region), even one
     * that changed nothing of this person's picture */
    if (rc == 0 && (eff.picture_changed || strcmp(eff.old_household_id, eff.new_household_id) != 0
                    || strcmp(f->source, "hukou") == 0)) {
        if (verify_dirty_add(dirty, eff.old_household_id, f) != 0
            || verify_dirty_add(dirty, eff.new_household_id, f) != 0)
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
    verify_effect_clear(&eff);
    return rc;
}

/* What ingest never sends (it checked every record) but a garbled envelope might: a fact
 * whose keys LMDB could not take (a 700-byte ID number, household or source) would fail the
 * whole envelope, and the consumer would step over all of it. Such a fact is refused alone. */
static bool fact_storable(const Ing__Fact *f)
{
    return f->id_number && strlen(f->id_number) == 18 && f->source && *f->source && strlen(f->source) <= 32
        && f->record_id && strlen(f->record_id) <= 64 && f->batch_id && strlen(f->batch_id) <= 128
        && f->household_id && strlen(f->household_id) <= 128;
}

static int on_facts(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Ing__FactBatch *b = (Ing__FactBatch *)sais_event_unpack(&ing__fact_batch__descriptor, ev);
    if (!b) {
        sais_warn("ingest event %llu: garbled fact.batch skipped", (unsigned long long)ev->seq);
        return 0;
    }
    verify_dirty_set_t dirty = {0};
    person_cache_t cache;
    if (cache_init(&cache, b->n_facts) != 0) {
        ing__fact_batch__free_unpacked(b, NULL);
        return ENOMEM;
    }
    int rc = 0;
    const Ing__Fact *noted = NULL;   /* the source and batch last noted: a run of facts shares them */
    for (size_t i = 0; i < b->n_facts && rc == 0; i++) {
        const Ing__Fact *f = b->facts[i];
        if (!fact_storable(f)) {
            sais_warn("ingest event %llu: fact %d of %zu has a key no record can have; not applied",
                      (unsigned long long)ev->seq, (int)i + 1, b->n_facts);
            continue;
        }
        rc = apply_fact(svc, txn, f, &dirty, &cache);
        if (rc == 0 && !(noted && strcmp(noted->source, f->source) == 0 && strcmp(noted->batch_id, f->batch_id) == 0)) {
            rc = note_source(svc, txn, f);
            noted = f;
        }
    }
    if (rc == 0)
        rc = cache_flush(svc, txn, &cache);
    /* the touched households' pictures are owed until the batch's feed.done (verify_refresh.h) */
    if (rc == 0)
        rc = verify_refresh_envelope(svc, txn, &dirty);
    cache_free(&cache);
    verify_dirty_free(&dirty);
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
        /* while held refreshes are released nothing new from ingest is applied: what is
         * announced then is a function of the log up to the restart, not of timing */
        if (verify_refresh_releasing(svc))
            return SAIS_EV_WAIT;
        if (strcmp(ev->type, "fact.batch") == 0)
            return on_facts(svc, txn, ev);
        if (strcmp(ev->type, "feed.done") == 0)
            return verify_refresh_batch_done(svc, txn);
        return 0;
    }
    if (strcmp(producer, "rules") == 0 && strncmp(ev->type, "entitlement.", 12) == 0) {
        Rul__Entitlement *e = (Rul__Entitlement *)sais_event_unpack(&rul__entitlement__descriptor, ev);
        if (!e) {
            sais_warn("rules event %llu: garbled entitlement skipped", (unsigned long long)ev->seq);
            return 0;
        }
        int rc = keep_copy(svc, txn, VERIFY_DB_ENTS, e->household_id, e->entitlement_id, &e->base);
        rul__entitlement__free_unpacked(e, NULL);
        return rc;
    }
    if (strcmp(producer, "warn") == 0 && strncmp(ev->type, "alert.", 6) == 0) {
        Wrn__Alert *a = (Wrn__Alert *)sais_event_unpack(&wrn__alert__descriptor, ev);
        if (!a) {
            sais_warn("warn event %llu: garbled alert skipped", (unsigned long long)ev->seq);
            return 0;
        }
        /* only what a person or household read shows: the actions warn adds to an open
         * alert are not announced, so whether a copy has them would depend on how warn's
         * inputs interleaved, and verify's state must not */
        Wrn__Alert view = WRN__ALERT__INIT;
        view.alert_id = a->alert_id;
        view.kind = a->kind;
        view.severity = a->severity;
        view.household_id = a->household_id;
        view.id_number = a->id_number;
        view.region = a->region;
        view.status = a->status;
        view.raised_at = a->raised_at;
        view.detail = a->detail;
        int rc = keep_copy(svc, txn, VERIFY_DB_ALERTS, a->household_id, a->alert_id, &view.base);
        wrn__alert__free_unpacked(a, NULL);
        return rc;
    }
    if (strcmp(producer, "match") == 0 && strcmp(ev->type, "wish.fulfilled") == 0) {
        Mch__Wish *w = (Mch__Wish *)sais_event_unpack(&mch__wish__descriptor, ev);
        if (!w) {
            sais_warn("match event %llu: garbled wish skipped", (unsigned long long)ev->seq);
            return 0;
        }
        int rc = keep_copy(svc, txn, VERIFY_DB_WISHES, w->household_id, w->wish_id, &w->base);
        mch__wish__free_unpacked(w, NULL);
        return rc;
    }
    return 0;
}

static const char *const dbis[] = {VERIFY_DB_PERSONS, VERIFY_DB_HOUSES, VERIFY_DB_PICTURES, VERIFY_DB_ENTS,
                                   VERIFY_DB_ALERTS, VERIFY_DB_REPORTS, VERIFY_DB_SOURCES, VERIFY_DB_VERSIONS,
                                   VERIFY_DB_WISHES, VERIFY_DB_PENDING, VERIFY_DB_HELD,
                                   NULL};
static const char *const consumes[] = {"ingest", "rules", "warn", "match", NULL};
static const sais_method_t methods[] = {
    {"persons.get", SAIS_M_READ_ANY, verify_persons_get},
    {"households.get", SAIS_M_READ_ANY, verify_households_get},
    {"households.picture", SAIS_M_READ_ANY, verify_households_picture},
    {"households.benefits", SAIS_M_READ_ANY, verify_households_benefits},
    {"verifications.create", SAIS_M_WRITE, verify_verifications_create},
    {"verifications.get", SAIS_M_READ_ANY, verify_verifications_get},
    {NULL, 0, NULL},
};

const sais_service_def_t verify_service = {
    .name = "verify",
    .dbis = dbis,
    .methods = methods,
    .consumes = consumes,
    .on_event = on_event,
    .on_start = verify_refresh_start,
    .on_stop = verify_refresh_stop,
    .on_tick = verify_refresh_tick,
    .on_status = verify_refresh_status,
    .tick_ms = 50,
};
