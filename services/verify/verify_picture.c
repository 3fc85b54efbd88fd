/* verify_picture — the household economic picture. See verify_picture.h for the rules. */
#include "verify_picture.h"

#include <stdlib.h>
#include <string.h>

#include "sais_clock.h"
#include "sais_id.h"
#include "verify_person.h"

static const char *s_or(const char *s) { return s ? s : ""; }

static void s_free(char *s)
{
    if (s && s != protobuf_c_empty_string)
        free(s);
}

/* Replaces *dst with a copy of src, laid out as protobuf-c unpacks ("" is shared). */
static int s_set(char **dst, const char *src)
{
    char *c = (src && *src) ? strdup(src) : (char *) protobuf_c_empty_string;
    if (!c)
        return -1;
    s_free(*dst);
    *dst = c;
    return 0;
}

/* Floor division for a positive divisor, right for negative sums too (corrections). */
static int64_t floor_div(int64_t a, int64_t d)
{
    int64_t q = a / d;
    return (a % d != 0 && a < 0) ? q - 1 : q;
}

static int by_id(const void *a, const void *b)
{
    const Vst__Person *pa = *(Vst__Person *const *) a, *pb = *(Vst__Person *const *) b;
    return strcmp(s_or(pa->id_number), s_or(pb->id_number));
}

void verify_picture_clear(Ver__Picture *pic)
{
    if (!pic)
        return;
    for (size_t i = 0; i < pic->n_members; i++)
        if (pic->members[i])
            ver__member__free_unpacked(pic->members[i], NULL);
    free(pic->members);
    s_free(pic->household_id);
    s_free(pic->region);
    s_free(pic->as_of);
    s_free(pic->head_id);
    s_free(pic->head_phone);
    ver__picture__init(pic);
}

/* One member line. The caller decides nothing here: `counted` and the status come from the
 * person's record and this household. */
static int member_fill(Ver__Member *m, const Vst__Person *p, const char *household_id,
                       long today_days)
{
    bool deceased = p->death_date && *p->death_date;
    bool here = verify_person_registered_in(p, household_id);
    const char *status = deceased ? "deceased"
                       : !here ? "moved_out"
                       : p->incarcerated ? "incarcerated" : "active";
    m->counted = here && !deceased && !p->incarcerated;

    int age = sais_age_on(s_or(p->birth_date), today_days);
    m->age = age < 0 ? 0 : age;   /* no parseable birth date: treated as not of working age */
    const Vst__Disability *d = verify_person_disability(p);
    m->disability_grade = d ? d->grade : 0;
    m->able_to_work = age >= 16 && age < 60 && !(d && d->grade <= 2);
    m->income_12m = verify_person_income_12m(p, today_days);
    m->income_monthly_avg = floor_div(m->income_12m, 12);
    m->oop_12m = verify_person_oop_12m(p, today_days);

    if (s_set(&m->id_number, p->id_number) || s_set(&m->name, p->name)
        || s_set(&m->relation, p->relation) || s_set(&m->status, status)
        || s_set(&m->birth_date, p->birth_date) || s_set(&m->phone, p->phone)
        || s_set(&m->death_date, p->death_date) || s_set(&m->sex, p->sex)
        || s_set(&m->disability_category, d ? d->category : ""))
        return -1;
    return 0;
}

/* Assets of one counted member's snapshot, added into the picture. */
static void add_assets(Ver__Picture *out, const Vst__Person *p)
{
    for (size_t i = 0; i < p->n_assets; i++) {
        const Vst__Asset *a = p->assets[i];
        if (strcmp(a->kind, "deposit") == 0 || strcmp(a->kind, "securities") == 0)
            out->deposits += a->value;
        else if (strcmp(a->kind, "vehicle") == 0 && a->value > out->vehicle_max)
            out->vehicle_max = a->value;
        else if (strcmp(a->kind, "real_estate") == 0)
            out->real_estate++;
        else if (strcmp(a->kind, "business") == 0)
            out->business += a->value;
    }
}

int verify_picture_compute(const char *household_id, const char *region,
                           Vst__Person *const *members, size_t n, long today_days,
                           Ver__Picture *out)
{
    ver__picture__init(out);
    Vst__Person **sorted = NULL;
    if (n) {
        sorted = malloc(n * sizeof *sorted);
        out->members = calloc(n, sizeof *out->members);
        if (!sorted || !out->members)
            goto fail;
        size_t kept = 0;
        for (size_t i = 0; i < n; i++)
            if (members[i])
                sorted[kept++] = members[i];
        n = kept;
        qsort(sorted, n, sizeof *sorted, by_id);
    }

    long this_month = sais_month_of(today_days);
    int64_t latest = 0, prev6 = 0;
    const Vst__Person *head = NULL, *first_counted = NULL;
    for (size_t i = 0; i < n; i++) {
        const Vst__Person *p = sorted[i];
        if (i > 0 && by_id(&sorted[i - 1], &sorted[i]) == 0)
            continue;
        Ver__Member *m = malloc(sizeof *m);
        if (!m)
            goto fail;
        ver__member__init(m);
        out->members[out->n_members++] = m;
        if (member_fill(m, p, household_id, today_days) != 0)
            goto fail;

        bool alive_here = verify_person_registered_in(p, household_id)
            && !(p->death_date && *p->death_date);
        if (!head && alive_here && strcmp(s_or(p->relation), "head") == 0)
            head = p;
        if (!m->counted)
            continue;
        if (!first_counted)
            first_counted = p;
        out->counted++;
        out->income_monthly += m->income_monthly_avg;
        out->income_12m += m->income_12m;
        out->oop_12m += m->oop_12m;
        latest += verify_person_income_month(p, this_month - 1);
        for (long k = 2; k <= 7; k++)
            prev6 += verify_person_income_month(p, this_month - k);
        add_assets(out, p);
    }
    out->per_capita_income = out->counted ? floor_div(out->income_monthly, out->counted) : 0;
    out->latest_month_income = latest;
    out->prev6_avg_income = floor_div(prev6, 6);

    /* the head of household as registered; failing that (the head died or moved out) the
     * first counted member, so an SMS still reaches someone who lives there */
    if (!head)
        head = first_counted;
    char as_of[11];
    sais_date_format(today_days, as_of);
    if (s_set(&out->household_id, household_id) || s_set(&out->region, region)
        || s_set(&out->as_of, as_of) || s_set(&out->head_id, head ? head->id_number : "")
        || s_set(&out->head_phone, head ? head->phone : ""))
        goto fail;
    free(sorted);
    return 0;
fail:
    free(sorted);
    verify_picture_clear(out);
    return -1;
}

uint8_t *verify_picture_pack_stored(const Ver__Picture *pic, size_t *len)
{
    /* a shallow copy: only the top-level version differs */
    Ver__Picture c = *pic;
    c.version = 0;
    *len = ver__picture__get_packed_size(&c);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        ver__picture__pack(&c, buf);
    return buf;
}
