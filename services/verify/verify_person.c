/* verify_person — folding facts into a person record. See verify_person.h for the contract.
 *
 * The one idea that makes replays safe: every piece of state is a function of the SET of
 * facts seen. "Current" values are maxima under a total order (date, then record_id, both
 * compared as strings: validated dates "YYYY-MM-DD" sort as text), lists are sets kept
 * sorted, and pruning is relative to a maximum of the set itself (see prune_horizon below).
 */
#include "verify_person.h"

#include <stdlib.h>
#include <string.h>

#include "sais_clock.h"
#include "sais_id.h"

/* ---- strings laid out as protobuf-c lays them out ---------------------------------- */

static const char *s_or(const char *s) { return s ? s : ""; }
static bool s_empty(const char *s) { return !s || !*s; }
static bool s_eq(const char *a, const char *b) { return strcmp(s_or(a), s_or(b)) == 0; }

static void s_free(char *s)
{
    if (s && s != protobuf_c_empty_string)
        free(s);
}

/* A copy that protobuf-c's free_unpacked can free: "" is the shared empty string. */
static char *s_dup(const char *s)
{
    if (s_empty(s))
        return (char *) protobuf_c_empty_string;
    return strdup(s);
}

/* Replaces *dst with a copy of src; sets *changed if the text differs. -1 on OOM (then
 * *dst is untouched). */
static int s_set(char **dst, const char *src, bool *changed)
{
    if (s_eq(*dst, src))
        return 0;
    char *c = s_dup(src);
    if (!c)
        return -1;
    s_free(*dst);
    *dst = c;
    if (changed)
        *changed = true;
    return 0;
}

/* (date, record_id) order: > 0 if (da, ra) is later than (db, rb). */
static int key_cmp(const char *da, const char *ra, const char *db, const char *rb)
{
    int c = strcmp(s_or(da), s_or(db));
    return c ? c : strcmp(s_or(ra), s_or(rb));
}

static bool valid_date(const char *s)
{
    return s && strlen(s) == 10 && sais_date_parse(s, 10) != SAIS_DATE_INVALID;
}

/* ---- arrays of sub-message pointers --------------------------------------------- */

/* Typed insert/remove for the repeated fields (one per element type, so no pointer-type
 * punning through void **). */
#define ARRAY_OPS(name, T)                                                                  \
    static int name##_insert(T ***arr, size_t *n, size_t pos, T *item)                     \
    {                                                                                       \
        T **grown = realloc(*arr, (*n + 1) * sizeof *grown);                               \
        if (!grown)                                                                         \
            return -1;                                                                      \
        memmove(grown + pos + 1, grown + pos, (*n - pos) * sizeof *grown);                 \
        grown[pos] = item;                                                                  \
        *arr = grown;                                                                       \
        (*n)++;                                                                             \
        return 0;                                                                           \
    }                                                                                       \
    __attribute__((unused)) /* not every type removes; clang says so of an unused inline */ \
    static inline void name##_remove(T **arr, size_t *n, size_t pos)                       \
    {                                                                                       \
        memmove(arr + pos, arr + pos + 1, (*n - pos - 1) * sizeof *arr);                   \
        (*n)--;                                                                             \
    }

ARRAY_OPS(dis, Vst__Disability)
ARRAY_OPS(inc, Vst__Income)
ARRAY_OPS(med, Vst__Medical)
ARRAY_OPS(ast, Vst__Asset)

/* ---- effects --------------------------------------------------------------------- */

void verify_effect_init(verify_effect_t *eff)
{
    if (eff)
        memset(eff, 0, sizeof *eff);
}

void verify_effect_clear(verify_effect_t *eff)
{
    if (!eff)
        return;
    free(eff->old_household_id);
    free(eff->old_region);
    free(eff->new_household_id);
    free(eff->new_region);
    memset(eff, 0, sizeof *eff);
}

/* ---- life cycle ------------------------------------------------------------------ */

Vst__Person *verify_person_new(const char *id_number)
{
    Vst__Person *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    vst__person__init(p);
    if (s_set(&p->id_number, id_number, NULL) != 0)
        goto fail;
    /* Far-future "today": the ID was validated by ingest against its own today; here we only
     * want the format and check digit, so a birth date is never "in the future". */
    char norm[19];
    if (id_number && sais_id_check(id_number, sais_days_from_civil(9999, 12, 31), norm) == SAIS_ID_OK) {
        char birth[11];
        char sex[2] = { sais_id_sex(norm), '\0' };
        sais_id_birth_date(norm, birth);
        if (s_set(&p->birth_date, birth, NULL) != 0 || s_set(&p->sex, sex, NULL) != 0)
            goto fail;
    }
    return p;
fail:
    vst__person__free_unpacked(p, NULL);
    return NULL;
}

void verify_person_destroy(Vst__Person **p)
{
    if (p && *p) {
        vst__person__free_unpacked(*p, NULL);
        *p = NULL;
    }
}

/* ---- hukou ----------------------------------------------------------------------- */

static Vst__Hukou *hukou_from_fact(const Ing__Fact *f)
{
    Vst__Hukou *h = malloc(sizeof *h);
    if (!h)
        return NULL;
    vst__hukou__init(h);
    if (s_set(&h->record_id, f->record_id, NULL) || s_set(&h->batch_id, f->batch_id, NULL)
        || s_set(&h->date, f->date, NULL) || s_set(&h->event, f->event, NULL)
        || s_set(&h->name, f->name, NULL) || s_set(&h->household_id, f->household_id, NULL)
        || s_set(&h->relation, f->relation, NULL) || s_set(&h->region, f->region, NULL)
        || s_set(&h->phone, f->phone, NULL)) {
        vst__hukou__free_unpacked(h, NULL);
        return NULL;
    }
    return h;
}

/* The effective registration fields, from the record in force and the latest registration:
 * a function of those two records only, hence of the set of hukou facts. */
static int hukou_derive(Vst__Person *p, bool *picture_changed)
{
    const Vst__Hukou *h = p->hukou, *r = p->hukou_registration;
    if (!h)
        return 0;
#define FIELD(f) ((!s_empty(h->f) || !r) ? h->f : r->f)
    if (s_set(&p->name, FIELD(name), picture_changed)
        || s_set(&p->household_id, FIELD(household_id), picture_changed)
        || s_set(&p->relation, FIELD(relation), picture_changed)
        || s_set(&p->region, FIELD(region), picture_changed)
        || s_set(&p->phone, FIELD(phone), picture_changed))
        return -1;
#undef FIELD
    const char *status = strcmp(h->event, "move_out") == 0 ? "moved_out" : "registered";
    return s_set(&p->hukou_status, status, picture_changed);
}

static int apply_hukou(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    bool is_move = strcmp(f->event, "move_out") == 0;
    if (!is_move && strcmp(f->event, "register") != 0 && strcmp(f->event, "update") != 0)
        return -1;
    if (!valid_date(f->date))
        return -1;

    bool in_force = !p->hukou
        || key_cmp(f->date, f->record_id, p->hukou->date, p->hukou->record_id) > 0;
    bool registration = !is_move
        && (!p->hukou_registration
            || key_cmp(f->date, f->record_id, p->hukou_registration->date,
                       p->hukou_registration->record_id) > 0);
    if (!in_force && !registration)
        return 0;   /* older than what is in force, or seen before */

    Vst__Hukou *a = in_force ? hukou_from_fact(f) : NULL;
    Vst__Hukou *b = registration ? hukou_from_fact(f) : NULL;
    if ((in_force && !a) || (registration && !b)) {
        if (a) vst__hukou__free_unpacked(a, NULL);
        if (b) vst__hukou__free_unpacked(b, NULL);
        return -1;
    }
    if (a) {
        if (p->hukou)
            vst__hukou__free_unpacked(p->hukou, NULL);
        p->hukou = a;
    }
    if (b) {
        if (p->hukou_registration)
            vst__hukou__free_unpacked(p->hukou_registration, NULL);
        p->hukou_registration = b;
    }
    eff->changed = true;
    return hukou_derive(p, &eff->picture_changed);
}

/* ---- civil ----------------------------------------------------------------------- */

static int apply_civil(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    if (!valid_date(f->date))
        return -1;
    if (strcmp(f->event, "marriage") == 0 || strcmp(f->event, "divorce") == 0)
        return 0;   /* no rule reads marital status: the fact stays only in ingest's record */
    if (strcmp(f->event, "death") != 0)
        return -1;

    bool alive = s_empty(p->death_date);
    if (!alive && key_cmp(f->date, f->record_id, p->death_date, p->death_record_id) <= 0)
        return 0;
    char *d = s_dup(f->date), *r = s_dup(f->record_id), *b = s_dup(f->batch_id);
    if (!d || !r || !b) {
        s_free(d), s_free(r), s_free(b);
        return -1;
    }
    if (!s_eq(p->death_date, d))
        eff->picture_changed = true;
    s_free(p->death_date), s_free(p->death_record_id), s_free(p->death_batch_id);
    p->death_date = d, p->death_record_id = r, p->death_batch_id = b;
    eff->changed = true;
    if (alive)
        eff->happenings |= VERIFY_HAPPEN_DIED;
    return 0;
}

/* ---- justice --------------------------------------------------------------------- */

static int apply_justice(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    bool jailed = strcmp(f->event, "incarcerated") == 0;
    if (!jailed && strcmp(f->event, "released") != 0)
        return -1;
    if (!valid_date(f->date))
        return -1;
    /* another record of a stay already known (the procuratorate's after the prison's) changes
     * nothing here, but warn adds it to the open beneficiary_incarcerated alert as evidence */
    if (jailed && p->incarcerated && !s_eq(f->record_id, p->justice_record_id))
        eff->happenings |= VERIFY_HAPPEN_INCARCERATED;
    if (!s_empty(p->justice_record_id)
        && key_cmp(f->date, f->record_id, p->justice_date, p->justice_record_id) <= 0)
        return 0;

    char *e = s_dup(f->event), *d = s_dup(f->date), *r = s_dup(f->record_id);
    char *b = s_dup(f->batch_id), *fa = s_dup(f->facility);
    if (!e || !d || !r || !b || !fa) {
        s_free(e), s_free(d), s_free(r), s_free(b), s_free(fa);
        return -1;
    }
    s_free(p->justice_event), s_free(p->justice_date), s_free(p->justice_record_id);
    s_free(p->justice_batch_id), s_free(p->facility);
    p->justice_event = e, p->justice_date = d, p->justice_record_id = r;
    p->justice_batch_id = b, p->facility = fa;
    eff->changed = true;
    if (p->incarcerated != jailed) {
        eff->picture_changed = true;
        eff->happenings |= jailed ? VERIFY_HAPPEN_INCARCERATED : VERIFY_HAPPEN_RELEASED;
    }
    p->incarcerated = jailed;
    return 0;
}

/* ---- disability ------------------------------------------------------------------ */

static bool severe(const Vst__Disability *d)
{
    return d && strcmp(d->status, "active") == 0 && d->grade >= 1 && d->grade <= 2;
}

static int apply_disability(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    bool active = strcmp(s_or(f->status), "active") == 0;
    if (s_empty(f->certificate) || (!active && strcmp(s_or(f->status), "revoked") != 0))
        return -1;
    if (f->grade < (active ? 1 : 0) || f->grade > 4 || !valid_date(f->date))
        return -1;

    size_t pos = 0;
    int c = 1;
    while (pos < p->n_disabilities
           && (c = strcmp(p->disabilities[pos]->certificate, f->certificate)) < 0)
        pos++;
    Vst__Disability *old = (pos < p->n_disabilities && c == 0) ? p->disabilities[pos] : NULL;
    if (old && key_cmp(f->date, f->record_id, old->issued_on, old->record_id) <= 0)
        return 0;

    Vst__Disability *d = malloc(sizeof *d);
    if (!d)
        return -1;
    vst__disability__init(d);
    d->grade = f->grade;
    if (s_set(&d->certificate, f->certificate, NULL) || s_set(&d->category, f->category, NULL)
        || s_set(&d->issued_on, f->date, NULL) || s_set(&d->status, f->status, NULL)
        || s_set(&d->record_id, f->record_id, NULL) || s_set(&d->batch_id, f->batch_id, NULL)
        || (!old && dis_insert(&p->disabilities, &p->n_disabilities, pos, d) != 0)) {
        vst__disability__free_unpacked(d, NULL);
        return -1;
    }
    if (old) {
        p->disabilities[pos] = d;
        if (old->grade != d->grade || !s_eq(old->status, d->status)
            || !s_eq(old->category, d->category))
            eff->picture_changed = true;
    } else {
        eff->picture_changed = true;
    }
    if (severe(d) && !severe(old)) {
        eff->happenings |= VERIFY_HAPPEN_SEVERE_DISABILITY;
        eff->grade = d->grade;
    }
    if (old)
        vst__disability__free_unpacked(old, NULL);
    eff->changed = true;
    return 0;
}

/* ---- bounded histories (hrss, medical) ------------------------------------------- *
 *
 * Storage is kept bounded by dropping entries VERIFY_KEEP_MONTHS or more months before the
 * newest month present in the same list. Pruning against "today" would make the record
 * depend on when each fact happened to be applied (a replay a month later would keep less);
 * pruning against the newest month present keeps it a function of the set of facts:
 * the newest month only grows, so an entry dropped early would also be dropped at the end,
 * and an entry that arrives already beyond the horizon is refused on arrival. The final
 * list is exactly { e in the set : e.month > newest(set) - VERIFY_KEEP_MONTHS }. */

static long income_newest(const Vst__Person *p)
{
    return p->n_incomes ? p->incomes[p->n_incomes - 1]->month : -1;
}

static long medical_month(const Vst__Medical *m)
{
    long d = sais_date_parse(m->settled_on, strlen(m->settled_on));
    return d < 0 ? -1 : sais_month_of(d);
}

static long medical_newest(Vst__Medical *const *meds, size_t n)
{
    /* sorted by settled_on: the last entry holds the newest month */
    return n ? medical_month(meds[n - 1]) : -1;
}

static int income_cmp(const Vst__Income *a, long month, const char *kind, const char *rid)
{
    if (a->month != month)
        return a->month < month ? -1 : 1;
    int c = strcmp(a->kind, kind);
    return c ? c : strcmp(a->record_id, rid);
}

/* Removes the entry with record_id `rid`; returns whether one was found. */
static bool income_forget(Vst__Person *p, const char *rid)
{
    for (size_t i = 0; i < p->n_incomes; i++)
        if (strcmp(p->incomes[i]->record_id, rid) == 0) {
            vst__income__free_unpacked(p->incomes[i], NULL);
            inc_remove(p->incomes, &p->n_incomes, i);
            return true;
        }
    return false;
}

static int apply_hrss(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    long m = (f->month && strlen(f->month) == 7) ? sais_month_parse(f->month, 7) : -1;
    if (m < 0 || s_empty(f->kind))
        return -1;

    /* The same record_id is the same record (ingest's idempotency key): seen before, nothing
     * changes. Should two versions ever differ, the greater (month, kind, amount) is kept so
     * the result still does not depend on which came first. */
    for (size_t i = 0; i < p->n_incomes; i++) {
        const Vst__Income *e = p->incomes[i];
        if (strcmp(e->record_id, f->record_id) != 0)
            continue;
        int c = income_cmp(e, m, f->kind, f->record_id);
        if (c > 0 || (c == 0 && e->amount >= f->amount))
            return 0;
        break;
    }

    long newest = income_newest(p);
    if (m > newest)
        newest = m;
    if (m <= newest - VERIFY_KEEP_MONTHS)
        return 0;   /* already beyond the horizon: it could only be pruned again */

    Vst__Income *e = malloc(sizeof *e);
    if (!e)
        return -1;
    vst__income__init(e);
    e->month = (int32_t) m;
    e->amount = f->amount;
    if (s_set(&e->kind, f->kind, NULL) || s_set(&e->record_id, f->record_id, NULL)
        || s_set(&e->batch_id, f->batch_id, NULL)) {
        vst__income__free_unpacked(e, NULL);
        return -1;
    }
    income_forget(p, f->record_id);
    size_t pos = 0;
    while (pos < p->n_incomes && income_cmp(p->incomes[pos], m, f->kind, f->record_id) < 0)
        pos++;
    if (inc_insert(&p->incomes, &p->n_incomes, pos, e) != 0) {
        vst__income__free_unpacked(e, NULL);
        return -1;
    }
    /* prune: sorted by month, so the stale entries are a prefix */
    size_t drop = 0;
    while (drop < p->n_incomes && p->incomes[drop]->month <= newest - VERIFY_KEEP_MONTHS)
        vst__income__free_unpacked(p->incomes[drop++], NULL);
    if (drop) {
        memmove(p->incomes, p->incomes + drop, (p->n_incomes - drop) * sizeof *p->incomes);
        p->n_incomes -= drop;
    }
    eff->changed = eff->picture_changed = true;
    return 0;
}

static int medical_cmp(const Vst__Medical *a, const char *settled_on, const char *rid)
{
    int c = strcmp(a->settled_on, settled_on);
    return c ? c : strcmp(a->record_id, rid);
}

int verify_medicals_fold(Vst__Medical ***medicals, size_t *n_medicals, const Ing__Fact *f, bool *changed)
{
    *changed = false;
    if (!valid_date(f->date))
        return -1;
    long m = sais_month_of(sais_date_parse(f->date, 10));

    for (size_t i = 0; i < *n_medicals; i++) {
        const Vst__Medical *e = (*medicals)[i];
        if (strcmp(e->record_id, f->record_id) != 0)
            continue;
        int c = strcmp(e->settled_on, f->date);
        if (c > 0 || (c == 0 && (e->out_of_pocket > f->out_of_pocket
                                 || (e->out_of_pocket == f->out_of_pocket
                                     && e->total >= f->total))))
            return 0;   /* seen before (or a lesser version of it) */
        break;
    }

    long newest = medical_newest(*medicals, *n_medicals);
    if (m > newest)
        newest = m;
    if (m <= newest - VERIFY_KEEP_MONTHS)
        return 0;

    Vst__Medical *e = malloc(sizeof *e);
    if (!e)
        return -1;
    vst__medical__init(e);
    e->total = f->total;
    e->insurance_paid = f->insurance_paid;
    e->out_of_pocket = f->out_of_pocket;
    if (s_set(&e->settled_on, f->date, NULL) || s_set(&e->category, f->category, NULL)
        || s_set(&e->record_id, f->record_id, NULL) || s_set(&e->batch_id, f->batch_id, NULL)) {
        vst__medical__free_unpacked(e, NULL);
        return -1;
    }
    for (size_t i = 0; i < *n_medicals; i++)
        if (strcmp((*medicals)[i]->record_id, f->record_id) == 0) {
            vst__medical__free_unpacked((*medicals)[i], NULL);
            med_remove(*medicals, n_medicals, i);
            break;
        }
    size_t pos = 0;
    while (pos < *n_medicals && medical_cmp((*medicals)[pos], f->date, f->record_id) < 0)
        pos++;
    if (med_insert(medicals, n_medicals, pos, e) != 0) {
        vst__medical__free_unpacked(e, NULL);
        return -1;
    }
    size_t drop = 0;
    while (drop < *n_medicals && medical_month((*medicals)[drop]) <= newest - VERIFY_KEEP_MONTHS)
        vst__medical__free_unpacked((*medicals)[drop++], NULL);
    if (drop) {
        memmove(*medicals, *medicals + drop, (*n_medicals - drop) * sizeof **medicals);
        *n_medicals -= drop;
    }
    *changed = true;
    return 0;
}

static int apply_medical(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    bool changed;
    if (verify_medicals_fold(&p->medicals, &p->n_medicals, f, &changed) != 0)
        return -1;
    if (changed)
        eff->changed = eff->picture_changed = true;
    return 0;
}

/* ---- assets ---------------------------------------------------------------------- *
 * Per kind, only the records with the latest as_of form the snapshot; records sharing that
 * as_of are all kept (several titles, several cars, accounts in several banks). The kept
 * set is { r of kind k : r.as_of = max as_of of kind k }, whatever the arrival order. */

static int apply_assets(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    if (s_empty(f->kind) || !valid_date(f->date))
        return -1;

    const char *cur = NULL;
    for (size_t i = 0; i < p->n_assets; i++)
        if (strcmp(p->assets[i]->kind, f->kind) == 0) {
            cur = p->assets[i]->as_of;
            if (strcmp(p->assets[i]->record_id, f->record_id) == 0)
                return 0;   /* seen before */
        }
    int c = cur ? strcmp(f->date, cur) : 1;
    if (c < 0)
        return 0;   /* an older snapshot */

    Vst__Asset *a = malloc(sizeof *a);
    if (!a)
        return -1;
    vst__asset__init(a);
    a->value = f->amount;
    if (s_set(&a->kind, f->kind, NULL) || s_set(&a->as_of, f->date, NULL)
        || s_set(&a->record_id, f->record_id, NULL) || s_set(&a->batch_id, f->batch_id, NULL)) {
        vst__asset__free_unpacked(a, NULL);
        return -1;
    }
    size_t pos = 0;
    while (pos < p->n_assets) {
        Vst__Asset *e = p->assets[pos];
        int k = strcmp(e->kind, f->kind);
        if (k > 0 || (k == 0 && strcmp(e->record_id, f->record_id) > 0))
            break;
        pos++;
    }
    if (ast_insert(&p->assets, &p->n_assets, pos, a) != 0) {
        vst__asset__free_unpacked(a, NULL);
        return -1;
    }
    if (c > 0) {   /* a newer snapshot replaces every record of the older one */
        for (size_t i = 0; i < p->n_assets;) {
            Vst__Asset *e = p->assets[i];
            if (e != a && strcmp(e->kind, f->kind) == 0) {
                vst__asset__free_unpacked(e, NULL);
                ast_remove(p->assets, &p->n_assets, i);
            } else {
                i++;
            }
        }
    }
    eff->changed = eff->picture_changed = true;
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------- */

static const struct {
    const char *source;
    int (*apply)(Vst__Person *, const Ing__Fact *, verify_effect_t *);
} s_sources[] = {
    { "hukou", apply_hukou },           { "civil", apply_civil },
    { "justice", apply_justice },       { "disability", apply_disability },
    { "hrss", apply_hrss },             { "medical", apply_medical },
    { "assets", apply_assets },
};

int verify_person_apply(Vst__Person *p, const Ing__Fact *f, verify_effect_t *eff)
{
    verify_effect_t local;
    verify_effect_init(&local);
    if (!eff)
        eff = &local;
    verify_effect_clear(eff);
    if (!p || !f || s_empty(f->record_id) || s_empty(f->id_number) || !f->source || !f->event
        || !f->date)
        return -1;
    if (!s_empty(p->id_number) && strcmp(p->id_number, f->id_number) != 0)
        return -1;

    int (*fn)(Vst__Person *, const Ing__Fact *, verify_effect_t *) = NULL;
    for (size_t i = 0; i < sizeof s_sources / sizeof s_sources[0]; i++)
        if (strcmp(f->source, s_sources[i].source) == 0)
            fn = s_sources[i].apply;
    if (!fn)
        return -1;

    int rc = -1;
    bool was_registered = !s_empty(p->hukou_status);
    char *old_status = strdup(s_or(p->hukou_status));
    eff->old_household_id = strdup(s_or(p->household_id));
    eff->old_region = strdup(s_or(p->region));
    if (!old_status || !eff->old_household_id || !eff->old_region)
        goto done;
    if (s_empty(p->id_number) && s_set(&p->id_number, f->id_number, NULL) != 0)
        goto done;
    if (valid_date(f->date))
        memcpy(eff->date, f->date, 11);
    if (fn(p, f, eff) != 0)
        goto done;

    eff->new_household_id = strdup(s_or(p->household_id));
    eff->new_region = strdup(s_or(p->region));
    if (!eff->new_household_id || !eff->new_region)
        goto done;
    if (was_registered
        && (strcmp(eff->old_household_id, eff->new_household_id) != 0
            || strcmp(eff->old_region, eff->new_region) != 0
            || strcmp(old_status, s_or(p->hukou_status)) != 0))
        eff->happenings |= VERIFY_HAPPEN_MOVED;
    rc = 0;
done:
    free(old_status);
    if (rc != 0) {
        verify_effect_clear(eff);
    } else if (eff == &local) {
        verify_effect_clear(&local);
    }
    return rc;
}

/* ---- questions a picture asks ---------------------------------------------------- */

const char *verify_person_status(const Vst__Person *p)
{
    if (!s_empty(p->death_date))
        return "deceased";
    if (strcmp(s_or(p->hukou_status), "moved_out") == 0)
        return "moved_out";
    if (p->incarcerated)
        return "incarcerated";
    return "active";
}

bool verify_person_registered_in(const Vst__Person *p, const char *household_id)
{
    return strcmp(s_or(p->hukou_status), "registered") == 0 && !s_empty(household_id)
        && strcmp(s_or(p->household_id), household_id) == 0;
}

int64_t verify_person_income_month(const Vst__Person *p, long month)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_incomes; i++)
        if (p->incomes[i]->month == month)
            sum += p->incomes[i]->amount;
    return sum;
}

int64_t verify_person_income_12m(const Vst__Person *p, long today_days)
{
    long this_month = sais_month_of(today_days);   /* not complete yet: excluded */
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_incomes; i++) {
        long m = p->incomes[i]->month;
        if (m >= this_month - 12 && m < this_month)
            sum += p->incomes[i]->amount;
    }
    return sum;
}

int64_t verify_person_income_monthly(const Vst__Person *p, long today_days)
{
    int64_t s = verify_person_income_12m(p, today_days);
    /* floor, also for a (corrected-down) negative sum */
    return s >= 0 ? s / 12 : -((-s + 11) / 12);
}

bool verify_in_365_days(long settled, long today_days)
{
    return settled >= 0 && settled <= today_days && settled > today_days - 365;
}

int64_t verify_person_oop_12m(const Vst__Person *p, long today_days)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_medicals; i++) {
        const Vst__Medical *m = p->medicals[i];
        if (verify_in_365_days(sais_date_parse(m->settled_on, strlen(m->settled_on)), today_days))
            sum += m->out_of_pocket;
    }
    return sum;
}

const Vst__Disability *verify_person_disability(const Vst__Person *p)
{
    const Vst__Disability *best = NULL;
    for (size_t i = 0; i < p->n_disabilities; i++) {
        const Vst__Disability *d = p->disabilities[i];
        if (strcmp(d->status, "active") != 0 || d->grade < 1)
            continue;
        if (!best || d->grade < best->grade)   /* sorted by certificate: first wins ties */
            best = d;
    }
    return best;
}
