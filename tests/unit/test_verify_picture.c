/* verify_picture: the household economic picture from person records (DOMAIN.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sais_clock.h"
#include "sais_id.h"
#include "verify_person.h"
#include "verify_picture.h"

/* ---- helpers ----------------------------------------------------------------------- */

static long s_today;   /* 2026-11-23: complete months 2025-11 .. 2026-10 */

static Vst__Person *person(const char *first17)
{
    char id[19];
    memcpy(id, first17, 17);
    id[17] = sais_id_check_char(first17);
    id[18] = '\0';
    Vst__Person *p = verify_person_new(id);
    assert_non_null(p);
    return p;
}

static Ing__Fact base(const Vst__Person *p, const char *source, const char *rid,
                      const char *date)
{
    Ing__Fact f;
    ing__fact__init(&f);
    f.source = (char *) source;
    f.record_id = (char *) rid;
    f.id_number = p->id_number;
    f.batch_id = (char *) "b1";
    f.date = (char *) date;
    return f;
}

static void apply(Vst__Person *p, Ing__Fact f)
{
    assert_int_equal(verify_person_apply(p, &f, NULL), 0);
}

static void reg(Vst__Person *p, const char *rid, const char *hh, const char *rel,
                const char *phone)
{
    Ing__Fact f = base(p, "hukou", rid, "2020-01-01");
    f.event = (char *) "register";
    f.name = (char *) "程";
    f.household_id = (char *) hh;
    f.relation = (char *) rel;
    f.region = (char *) "330326";
    f.phone = (char *) phone;
    apply(p, f);
}

static void income(Vst__Person *p, const char *rid, const char *month, int64_t amount)
{
    Ing__Fact f = base(p, "hrss", rid, "");
    f.month = (char *) month;
    f.kind = (char *) "wage";
    f.amount = amount;
    apply(p, f);
}

/* The same amount in every month of [first, last] (YYYY-MM), record ids prefix-NN. */
static void income_months(Vst__Person *p, const char *prefix, const char *first,
                          const char *last, int64_t amount)
{
    long a = sais_month_parse(first, 7), b = sais_month_parse(last, 7);
    for (long m = a; m <= b; m++) {
        char rid[32], month[8];
        snprintf(rid, sizeof rid, "%s-%ld", prefix, m);
        sais_month_format(m, month);
        income(p, rid, month, amount);
    }
}

static void medical(Vst__Person *p, const char *rid, const char *date, int64_t total,
                    int64_t oop)
{
    Ing__Fact f = base(p, "medical", rid, date);
    f.total = total;
    f.out_of_pocket = oop;
    f.insurance_paid = total - oop;
    f.category = (char *) "serious";
    apply(p, f);
}

static void event(Vst__Person *p, const char *source, const char *rid, const char *ev,
                  const char *date)
{
    Ing__Fact f = base(p, source, rid, date);
    f.event = (char *) ev;
    apply(p, f);
}

static void disability(Vst__Person *p, const char *rid, const char *cert, const char *cat,
                       int grade, const char *status)
{
    Ing__Fact f = base(p, "disability", rid, "2024-01-01");
    f.certificate = (char *) cert;
    f.category = (char *) cat;
    f.grade = grade;
    f.status = (char *) status;
    apply(p, f);
}

static void asset(Vst__Person *p, const char *rid, const char *kind, int64_t value)
{
    Ing__Fact f = base(p, "assets", rid, "2026-06-30");
    f.kind = (char *) kind;
    f.amount = value;
    apply(p, f);
}

static const Ver__Member *member(const Ver__Picture *pic, const char *id)
{
    for (size_t i = 0; i < pic->n_members; i++)
        if (strcmp(pic->members[i]->id_number, id) == 0)
            return pic->members[i];
    fail_msg("member %s not in the picture", id);
    return NULL;
}

static int setup(void **state)
{
    (void) state;
    s_today = sais_date_parse("2026-11-23", 10);
    return 0;
}

/* ---- the seed story ------------------------------------------------------------------ */

static void test_seed_story(void **state)
{
    (void) state;
    Vst__Person *cheng = person("33032619580302011");   /* the head, 68 */
    Vst__Person *wife = person("33032619620708022");
    reg(cheng, "h1", "H-CHENG", "head", "13900000001");
    reg(wife, "h2", "H-CHENG", "spouse", "13900000002");
    income_months(cheng, "pen", "2025-11", "2026-10", 80000);     /* 800.00 a month */
    income_months(wife, "wage", "2026-05", "2026-10", 100000);    /* 6 months of 1000.00 */
    medical(cheng, "m0", "2025-10-01", 2000000, 1000000);         /* over a year ago */
    medical(cheng, "m1", "2026-08-05", 10000000, 3500000);        /* brain cancer: 35000.00 */
    medical(cheng, "m2", "2026-09-10", 1500000, 520000);          /* 5200.00 */

    Vst__Person *members[] = { wife, cheng };
    Ver__Picture pic;
    assert_int_equal(verify_picture_compute("H-CHENG", "330326", members, 2, s_today, &pic), 0);
    assert_string_equal(pic.household_id, "H-CHENG");
    assert_string_equal(pic.region, "330326");
    assert_string_equal(pic.as_of, "2026-11-23");
    assert_int_equal(pic.counted, 2);
    assert_int_equal(pic.oop_12m, 4020000);              /* 40,200.00 */
    assert_int_equal(pic.income_12m, 960000 + 600000);
    assert_int_equal(pic.income_monthly, 80000 + 50000);
    assert_int_equal(pic.per_capita_income, 65000);      /* 650.00 < the 1200.00 line */
    assert_true(pic.oop_12m * 2 >= pic.income_12m);      /* catastrophic: >= 50% of income */
    assert_string_equal(pic.head_id, cheng->id_number);
    assert_string_equal(pic.head_phone, "13900000001");
    assert_int_equal(pic.version, 0);

    assert_int_equal(pic.n_members, 2);
    assert_string_equal(pic.members[0]->id_number, cheng->id_number);   /* sorted */
    const Ver__Member *c = member(&pic, cheng->id_number);
    assert_int_equal(c->age, 68);
    assert_false(c->able_to_work);
    assert_true(c->counted);
    assert_string_equal(c->status, "active");
    assert_string_equal(c->sex, "M");
    assert_int_equal(c->oop_12m, 4020000);
    assert_int_equal(c->income_monthly_avg, 80000);
    const Ver__Member *w = member(&pic, wife->id_number);
    assert_int_equal(w->age, 64);
    assert_string_equal(w->sex, "F");
    assert_int_equal(w->income_12m, 600000);
    verify_picture_clear(&pic);
    verify_picture_clear(&pic);   /* idempotent */
    verify_person_destroy(&cheng);
    verify_person_destroy(&wife);
}

/* ---- counted members ----------------------------------------------------------------- */

static void test_incarcerated_then_released(void **state)
{
    (void) state;
    Vst__Person *a = person("33032619800101011");
    Vst__Person *b = person("33032619820202022");
    reg(a, "h1", "H1", "head", "1");
    reg(b, "h2", "H1", "spouse", "2");
    income_months(a, "a", "2025-11", "2026-10", 240000);
    income_months(b, "b", "2025-11", "2026-10", 60000);
    event(a, "justice", "j1", "incarcerated", "2026-03-01");
    Vst__Person *members[] = { a, b };

    Ver__Picture pic;
    assert_int_equal(verify_picture_compute("H1", "330326", members, 2, s_today, &pic), 0);
    assert_int_equal(pic.counted, 1);
    assert_int_equal(pic.per_capita_income, 60000);
    assert_int_equal(pic.n_members, 2);   /* still listed, for warn and rules */
    const Ver__Member *ma = member(&pic, a->id_number);
    assert_false(ma->counted);
    assert_string_equal(ma->status, "incarcerated");
    assert_string_equal(pic.head_id, a->id_number);   /* still the registered head */
    verify_picture_clear(&pic);

    event(a, "justice", "j2", "released", "2026-10-01");
    assert_int_equal(verify_picture_compute("H1", "330326", members, 2, s_today, &pic), 0);
    assert_int_equal(pic.counted, 2);
    assert_int_equal(pic.per_capita_income, (240000 + 60000) / 2);
    assert_true(member(&pic, a->id_number)->counted);
    assert_string_equal(member(&pic, a->id_number)->status, "active");
    verify_picture_clear(&pic);
    verify_person_destroy(&a);
    verify_person_destroy(&b);
}

static void test_deceased_moved_and_head_fallback(void **state)
{
    (void) state;
    Vst__Person *head = person("33032619500101011");
    Vst__Person *son = person("33032619900101031");
    Vst__Person *left = person("33032619920101042");
    reg(head, "h1", "H1", "head", "1");
    reg(son, "h2", "H1", "child", "3");
    reg(left, "h3", "H1", "child", "4");
    Ing__Fact mv = base(left, "hukou", "h4", "2026-05-01");
    mv.event = (char *) "move_out";
    apply(left, mv);
    event(head, "civil", "c1", "death", "2026-09-01");
    income_months(head, "p", "2025-11", "2026-10", 90000);

    /* unsorted, with a duplicate */
    Vst__Person *members[] = { left, son, head, son };
    Ver__Picture pic;
    assert_int_equal(verify_picture_compute("H1", "330326", members, 4, s_today, &pic), 0);
    assert_int_equal(pic.n_members, 3);
    assert_string_equal(pic.members[0]->id_number, head->id_number);
    assert_string_equal(pic.members[1]->id_number, son->id_number);
    assert_string_equal(pic.members[2]->id_number, left->id_number);
    assert_int_equal(pic.counted, 1);
    assert_int_equal(pic.income_monthly, 0);   /* the deceased's pension is not counted */
    assert_string_equal(pic.members[0]->status, "deceased");
    assert_string_equal(pic.members[0]->death_date, "2026-09-01");
    assert_false(pic.members[0]->counted);
    assert_int_equal(pic.members[0]->income_monthly_avg, 90000);   /* shown for warn */
    assert_string_equal(pic.members[2]->status, "moved_out");
    assert_false(pic.members[2]->counted);
    /* the head died: the first counted member is the contact */
    assert_string_equal(pic.head_id, son->id_number);
    assert_string_equal(pic.head_phone, "3");
    verify_picture_clear(&pic);

    /* another household listing the same person: not registered there, not counted */
    Vst__Person *one[] = { son };
    assert_int_equal(verify_picture_compute("H2", "330326", one, 1, s_today, &pic), 0);
    assert_int_equal(pic.counted, 0);
    assert_int_equal(pic.per_capita_income, 0);
    assert_string_equal(pic.members[0]->status, "moved_out");
    assert_string_equal(pic.head_id, "");
    verify_picture_clear(&pic);

    verify_person_destroy(&head);
    verify_person_destroy(&son);
    verify_person_destroy(&left);
}

static void test_empty_household(void **state)
{
    (void) state;
    Ver__Picture pic;
    assert_int_equal(verify_picture_compute("H0", "330326", NULL, 0, s_today, &pic), 0);
    assert_int_equal(pic.counted, 0);
    assert_int_equal(pic.per_capita_income, 0);
    assert_int_equal(pic.n_members, 0);
    assert_string_equal(pic.as_of, "2026-11-23");
    verify_picture_clear(&pic);
}

/* ---- ages, ability to work, disability ----------------------------------------------- */

static void test_ages_and_ability(void **state)
{
    (void) state;
    Vst__Person *sixty = person("33032619661123011");     /* 60 today */
    Vst__Person *fiftynine = person("33032619661124021"); /* 60 tomorrow */
    Vst__Person *sixteen = person("33032620101123031");   /* 16 today */
    Vst__Person *fifteen = person("33032620101124041");   /* 16 tomorrow */
    Vst__Person *severe = person("33032619860101051");
    Vst__Person *mild = person("33032619860101061");
    Vst__Person *all[] = { sixty, fiftynine, sixteen, fifteen, severe, mild };
    for (size_t i = 0; i < 6; i++) {
        char rid[8];
        snprintf(rid, sizeof rid, "h%zu", i);
        reg(all[i], rid, "H1", i ? "child" : "head", "1");
    }
    disability(severe, "d1", "C1", "visual", 3, "active");
    disability(severe, "d2", "C2", "mental", 2, "active");
    disability(severe, "d3", "C3", "physical", 1, "revoked");
    disability(mild, "d4", "C4", "hearing", 3, "active");

    Ver__Picture pic;
    assert_int_equal(verify_picture_compute("H1", "330326", all, 6, s_today, &pic), 0);
    assert_int_equal(member(&pic, sixty->id_number)->age, 60);
    assert_false(member(&pic, sixty->id_number)->able_to_work);
    assert_int_equal(member(&pic, fiftynine->id_number)->age, 59);
    assert_true(member(&pic, fiftynine->id_number)->able_to_work);
    assert_int_equal(member(&pic, sixteen->id_number)->age, 16);
    assert_true(member(&pic, sixteen->id_number)->able_to_work);
    assert_int_equal(member(&pic, fifteen->id_number)->age, 15);
    assert_false(member(&pic, fifteen->id_number)->able_to_work);
    const Ver__Member *s = member(&pic, severe->id_number);
    assert_int_equal(s->disability_grade, 2);   /* the revoked grade 1 does not count */
    assert_string_equal(s->disability_category, "mental");
    assert_false(s->able_to_work);
    const Ver__Member *m = member(&pic, mild->id_number);
    assert_int_equal(m->disability_grade, 3);
    assert_true(m->able_to_work);
    assert_int_equal(member(&pic, sixty->id_number)->disability_grade, 0);
    assert_string_equal(member(&pic, sixty->id_number)->disability_category, "");
    verify_picture_clear(&pic);
    for (size_t i = 0; i < 6; i++)
        verify_person_destroy(&all[i]);
}

/* ---- income figures ------------------------------------------------------------------ */

static void test_latest_and_prev6(void **state)
{
    (void) state;
    Vst__Person *a = person("33032619800101011");
    Vst__Person *b = person("33032619820202022");
    Vst__Person *gone = person("33032619840303031");
    reg(a, "h1", "H1", "head", "1");
    reg(b, "h2", "H1", "spouse", "2");
    reg(gone, "h3", "H1", "child", "3");
    event(gone, "civil", "c1", "death", "2026-10-30");
    income(a, "a03", "2026-03", 999);                          /* before the six months */
    income_months(a, "a", "2026-04", "2026-09", 100000);
    income(a, "a10", "2026-10", 30000);                        /* the latest complete month */
    income(a, "a11", "2026-11", 500000);                       /* this month: not complete */
    income_months(b, "b", "2026-04", "2026-09", 50001);
    income(b, "b10", "2026-10", 20000);
    income_months(gone, "g", "2026-04", "2026-10", 700000);   /* not counted */
    Vst__Person *members[] = { a, b, gone };

    Ver__Picture pic;
    assert_int_equal(verify_picture_compute("H1", "330326", members, 3, s_today, &pic), 0);
    assert_int_equal(pic.latest_month_income, 50000);
    assert_int_equal(pic.prev6_avg_income, 150001);
    assert_int_equal(pic.income_12m, 999 + 600000 + 30000 + 300006 + 20000);
    assert_int_equal(pic.income_monthly, (999 + 600000 + 30000) / 12 + (300006 + 20000) / 12);
    assert_int_equal(pic.per_capita_income, pic.income_monthly / 2);
    verify_picture_clear(&pic);
    verify_person_destroy(&a);
    verify_person_destroy(&b);
    verify_person_destroy(&gone);
}

/* ---- assets -------------------------------------------------------------------------- */

static void test_assets(void **state)
{
    (void) state;
    Vst__Person *a = person("33032619800101011");
    Vst__Person *b = person("33032619820202022");
    Vst__Person *jailed = person("33032619840303031");
    reg(a, "h1", "H1", "head", "1");
    reg(b, "h2", "H1", "spouse", "2");
    reg(jailed, "h3", "H1", "child", "3");
    event(jailed, "justice", "j1", "incarcerated", "2026-01-01");
    asset(a, "a1", "deposit", 1000000);
    asset(a, "a2", "deposit", 500000);          /* a second bank, same as_of: summed */
    asset(b, "a3", "securities", 250000);
    asset(a, "a4", "vehicle", 4000000);
    asset(b, "a5", "vehicle", 6000000);
    asset(a, "a6", "real_estate", 80000000);
    asset(b, "a7", "real_estate", 30000000);
    asset(b, "a8", "real_estate", 10000000);
    asset(a, "a9", "business", 300000);
    asset(jailed, "aA", "vehicle", 90000000);   /* not a counted member */
    asset(jailed, "aB", "deposit", 90000000);
    Vst__Person *members[] = { a, b, jailed };

    Ver__Picture pic;
    assert_int_equal(verify_picture_compute("H1", "330326", members, 3, s_today, &pic), 0);
    assert_int_equal(pic.deposits, 1750000);
    assert_int_equal(pic.vehicle_max, 6000000);
    assert_int_equal(pic.real_estate, 3);
    assert_int_equal(pic.business, 300000);
    verify_picture_clear(&pic);
    verify_person_destroy(&a);
    verify_person_destroy(&b);
    verify_person_destroy(&jailed);
}

/* ---- the stored form: equal bytes = the same picture but for its version ------------ */

static bool same_stored(const Ver__Picture *x, const Ver__Picture *y)
{
    size_t lx, ly;
    uint8_t *bx = verify_picture_pack_stored(x, &lx), *by = verify_picture_pack_stored(y, &ly);
    assert_non_null(bx);
    assert_non_null(by);
    bool same = lx == ly && memcmp(bx, by, lx) == 0;
    free(bx);
    free(by);
    return same;
}

static void test_equal(void **state)
{
    (void) state;
    Vst__Person *a = person("33032619800101011");
    reg(a, "h1", "H1", "head", "1");
    income_months(a, "a", "2026-01", "2026-10", 100000);
    Vst__Person *members[] = { a };
    Ver__Picture x, y;
    assert_int_equal(verify_picture_compute("H1", "330326", members, 1, s_today, &x), 0);
    assert_int_equal(verify_picture_compute("H1", "330326", members, 1, s_today, &y), 0);
    assert_true(same_stored(&x, &y));
    y.version = 7;
    assert_true(same_stored(&x, &y));   /* version is not content */
    assert_int_equal(y.version, 7);     /* and packing it leaves the picture's own alone */
    verify_picture_clear(&y);

    medical(a, "m1", "2026-11-01", 100, 1);       /* one fen of out-of-pocket */
    assert_int_equal(verify_picture_compute("H1", "330326", members, 1, s_today, &y), 0);
    assert_false(same_stored(&x, &y));
    verify_picture_clear(&y);

    assert_int_equal(verify_picture_compute("H1", "330326", members, 1, s_today + 1, &y), 0);
    assert_false(same_stored(&x, &y));  /* another day is another picture */
    verify_picture_clear(&y);
    verify_picture_clear(&x);
    verify_person_destroy(&a);
}

/* A picture may also live on the heap and be freed the protobuf-c way. */
static void test_heap_picture_free_unpacked(void **state)
{
    (void) state;
    Vst__Person *a = person("33032619800101011");
    reg(a, "h1", "H1", "head", "1");
    Vst__Person *members[] = { a };
    Ver__Picture *pic = malloc(sizeof *pic);
    assert_non_null(pic);
    assert_int_equal(verify_picture_compute("H1", "330326", members, 1, s_today, pic), 0);
    size_t len = ver__picture__get_packed_size(pic);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    ver__picture__pack(pic, buf);
    Ver__Picture *back = ver__picture__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(back);
    assert_true(same_stored(pic, back));
    ver__picture__free_unpacked(back, NULL);
    ver__picture__free_unpacked(pic, NULL);
    verify_person_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_story),
        cmocka_unit_test(test_incarcerated_then_released),
        cmocka_unit_test(test_deceased_moved_and_head_fallback),
        cmocka_unit_test(test_empty_household),
        cmocka_unit_test(test_ages_and_ability),
        cmocka_unit_test(test_latest_and_prev6),
        cmocka_unit_test(test_assets),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_heap_picture_free_unpacked),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
