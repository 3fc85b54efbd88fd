/* verify_person: folding facts into a person record, order independence above all. */
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
#include "verify_medical_packed.h"

/* ---- helpers ----------------------------------------------------------------------- */

static char ID_A[19], ID_B[19];

static void make_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = sais_id_check_char(first17);
    out[18] = '\0';
}

static Ing__Fact base(const char *source, const char *rid, const char *id, const char *date)
{
    Ing__Fact f;
    ing__fact__init(&f);
    f.source = (char *) source;
    f.record_id = (char *) rid;
    f.id_number = (char *) id;
    f.batch_id = (char *) "b1";
    f.date = (char *) date;
    return f;
}

static Ing__Fact hukou(const char *rid, const char *id, const char *date, const char *event,
                       const char *hh, const char *rel, const char *region, const char *phone)
{
    Ing__Fact f = base("hukou", rid, id, date);
    f.event = (char *) event;
    f.name = (char *) "程成钊";
    f.household_id = (char *) hh;
    f.relation = (char *) rel;
    f.region = (char *) region;
    f.phone = (char *) phone;
    return f;
}

static Ing__Fact hrss(const char *rid, const char *id, const char *month, const char *kind,
                      int64_t amount)
{
    Ing__Fact f = base("hrss", rid, id, "");
    f.month = (char *) month;
    f.kind = (char *) kind;
    f.amount = amount;
    return f;
}

static Ing__Fact medical(const char *rid, const char *id, const char *date, int64_t total,
                         int64_t oop)
{
    Ing__Fact f = base("medical", rid, id, date);
    f.total = total;
    f.out_of_pocket = oop;
    f.insurance_paid = total - oop;
    f.category = (char *) "serious";
    return f;
}

static Ing__Fact disab(const char *rid, const char *id, const char *cert, int grade,
                       const char *date, const char *status)
{
    Ing__Fact f = base("disability", rid, id, date);
    f.certificate = (char *) cert;
    f.category = (char *) "physical";
    f.grade = grade;
    f.status = (char *) status;
    return f;
}

static Ing__Fact civil(const char *rid, const char *id, const char *event, const char *date)
{
    Ing__Fact f = base("civil", rid, id, date);
    f.event = (char *) event;
    return f;
}

static Ing__Fact justice(const char *rid, const char *id, const char *event, const char *date)
{
    Ing__Fact f = base("justice", rid, id, date);
    f.event = (char *) event;
    f.facility = (char *) "Wenzhou prison";
    return f;
}

static Ing__Fact asset(const char *rid, const char *id, const char *kind, int64_t value,
                       const char *as_of)
{
    Ing__Fact f = base("assets", rid, id, as_of);
    f.kind = (char *) kind;
    f.amount = value;
    return f;
}

static uint8_t *pack(const Vst__Person *p, size_t *len)
{
    *len = vst__person__get_packed_size(p);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(vst__person__pack(p, buf), *len);
    return buf;
}

static void assert_same_bytes(const Vst__Person *a, const Vst__Person *b)
{
    size_t la, lb;
    uint8_t *ba = pack(a, &la), *bb = pack(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ba, bb, la);
    free(ba);
    free(bb);
}

/* Applies `f` to `p`, expecting success; returns the effect (caller clears). */
static verify_effect_t apply_ok(Vst__Person *p, Ing__Fact f)
{
    verify_effect_t eff;
    verify_effect_init(&eff);
    assert_int_equal(verify_person_apply(p, &f, &eff), 0);
    return eff;
}

static int setup(void **state)
{
    (void) state;
    make_id("33032619800101001", ID_A);   /* male, born 1980-01-01 */
    make_id("33032619850615002", ID_B);   /* female */
    return 0;
}

/* ---- order independence ------------------------------------------------------------ */

static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static void test_order_independence(void **state)
{
    (void) state;
    const char *A = ID_A;
    Ing__Fact facts[] = {
        hukou("h1", A, "2020-01-05", "register", "H1", "head", "330326", "13800000001"),
        hukou("h2", A, "2023-06-01", "update", "H1", "head", "330326", "13800000002"),
        hukou("h3", A, "2024-03-01", "register", "H2", "spouse", "330327", "13800000003"),
        hukou("h4", A, "2025-01-01", "move_out", "", "", "", ""),
        hukou("h0", A, "2024-03-01", "update", "H9", "head", "330328", ""),  /* tie: h3 wins */
        justice("j1", A, "incarcerated", "2021-01-01"),
        justice("j2", A, "released", "2022-01-01"),
        justice("j3", A, "incarcerated", "2022-01-01"),   /* same date, later record_id */
        civil("c1", A, "marriage", "2019-05-01"),
        civil("c2", A, "death", "2026-02-01"),
        civil("c3", A, "death", "2026-01-15"),
        disab("d1", A, "C1", 2, "2020-01-01", "active"),
        disab("d2", A, "C1", 2, "2022-01-01", "revoked"),
        disab("d3", A, "C2", 3, "2023-01-01", "active"),
        disab("d4", A, "C1", 1, "2021-01-01", "active"),
        hrss("i1", A, "2023-01", "wage", 100000),        /* pruned: 29 months before 2025-06 */
        hrss("i2", A, "2024-06", "wage", 300000),
        hrss("i3", A, "2024-06", "wage", 120000),        /* second employer, same month */
        hrss("i4", A, "2025-06", "pension", 250000),
        hrss("i5", A, "2025-05", "wage", 310000),
        hrss("i6", A, "2024-05", "business", 50000),
        hrss("i7", A, "2023-05", "wage", 90000),         /* exactly 25 months back: pruned */
        hrss("i8", A, "2023-06", "wage", 95000),         /* 24 months back: kept */
        medical("m1", A, "2022-01-10", 500000, 100000),  /* pruned */
        medical("m2", A, "2025-03-10", 5000000, 2000000),
        medical("m3", A, "2025-03-10", 100000, 30000),
        medical("m4", A, "2025-08-01", 800000, 400000),
        asset("a1", A, "vehicle", 5000000, "2024-01-01"),
        asset("a2", A, "vehicle", 3000000, "2025-01-01"),
        asset("a3", A, "vehicle", 2000000, "2025-01-01"),
        asset("a4", A, "real_estate", 0, "2025-01-01"),
        asset("a5", A, "real_estate", 0, "2025-01-01"),
        asset("a6", A, "deposit", 10000, "2024-06-30"),
        asset("a7", A, "deposit", 20000, "2025-06-30"),
        asset("a8", A, "securities", 700000, "2025-06-30"),
        /* repeats: a record seen before changes nothing */
        hrss("i2", A, "2024-06", "wage", 300000),
        medical("m4", A, "2025-08-01", 800000, 400000),
        hukou("h3", A, "2024-03-01", "register", "H2", "spouse", "330327", "13800000003"),
    };
    enum { N = sizeof facts / sizeof facts[0] };

    Vst__Person *ref = verify_person_new(A);
    assert_non_null(ref);
    for (size_t i = 0; i < N; i++) {
        verify_effect_t eff = apply_ok(ref, facts[i]);
        verify_effect_clear(&eff);
    }
    /* the reference is what the rules say, not merely some stable value */
    assert_string_equal(ref->hukou_status, "moved_out");
    assert_string_equal(ref->household_id, "H2");
    assert_string_equal(ref->region, "330327");
    assert_string_equal(ref->relation, "spouse");
    assert_string_equal(ref->hukou->record_id, "h4");
    assert_string_equal(ref->hukou_registration->record_id, "h3");
    assert_true(ref->incarcerated);
    assert_string_equal(ref->justice_record_id, "j3");
    assert_string_equal(ref->death_date, "2026-02-01");
    assert_int_equal(ref->n_disabilities, 2);
    assert_string_equal(ref->disabilities[0]->status, "revoked");
    assert_int_equal(ref->disabilities[1]->grade, 3);
    assert_int_equal(ref->n_incomes, 6);   /* i2 i3 i4 i5 i6 i8 */
    assert_string_equal(ref->incomes[0]->record_id, "i8");
    assert_int_equal(ref->n_medicals, 3);
    assert_int_equal(ref->n_assets, 6);    /* a7 a4 a5 a8 a2 a3 */
    assert_string_equal(ref->birth_date, "1980-01-01");
    assert_string_equal(ref->sex, "M");

    Ing__Fact shuffled[N];
    for (int round = 0; round < 200; round++) {
        memcpy(shuffled, facts, sizeof facts);
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = (size_t) (rng() % (i + 1));
            Ing__Fact t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        Vst__Person *p = verify_person_new(A);
        assert_non_null(p);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(verify_person_apply(p, &shuffled[i], NULL), 0);
        assert_same_bytes(ref, p);

        /* a record that went through the store behaves the same */
        size_t len;
        uint8_t *buf = pack(p, &len);
        Vst__Person *q = vst__person__unpack(NULL, len, buf);
        free(buf);
        assert_non_null(q);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(verify_person_apply(q, &shuffled[N - 1 - i], NULL), 0);
        assert_same_bytes(ref, q);
        verify_person_destroy(&q);
        verify_person_destroy(&p);
        assert_null(p);
    }
    verify_person_destroy(&ref);
    verify_person_destroy(&ref);   /* idempotent */
}


/* ---- a medical fact folded into the packed record ---------------------------------- */

/* verify_medical_fold_packed against the full path (unpack, verify_person_apply, pack) on
 * persons built from random subsets of registration, justice, disability, wage, asset and
 * medical facts, with medical facts of random dates (some beyond the 25-month horizon),
 * repeated and revised record ids: the same bytes and the same effect every time. */
static void test_medical_packed_matches_full(void **state)
{
    (void) state;
    const char *A = ID_A;
    Ing__Fact others[] = {
        hukou("h1", A, "2020-01-05", "register", "H1", "head", "330326", "13800000001"),
        hukou("h2", A, "2023-06-01", "update", "H1", "head", "330326", "13800000002"),
        justice("j1", A, "incarcerated", "2021-01-01"),
        civil("c1", A, "marriage", "2019-05-01"),
        disab("d1", A, "C1", 2, "2020-01-01", "active"),
        hrss("i2", A, "2024-06", "wage", 300000),
        hrss("i4", A, "2025-06", "pension", 250000),
        asset("a1", A, "vehicle", 5000000, "2024-01-01"),
        asset("a8", A, "securities", 700000, "2025-06-30"),
    };
    enum { NO = sizeof others / sizeof others[0] };
    char rids[40][8], dates[40][11];
    size_t changed_seen = 0, unchanged_seen = 0;
    for (int round = 0; round < 300; round++) {
        Vst__Person *p = verify_person_new(A);
        assert_non_null(p);
        for (size_t i = 0; i < NO; i++)
            if (rng() % 2)
                assert_int_equal(verify_person_apply(p, &others[i], NULL), 0);
        size_t len;
        uint8_t *buf = pack(p, &len);
        verify_person_destroy(&p);
        for (int k = 0; k < 40; k++) {
            snprintf(rids[k], sizeof rids[k], "m%d", (int) (rng() % 12));
            snprintf(dates[k], sizeof dates[k], "%04d-%02d-%02d", 2021 + (int) (rng() % 6),
                     1 + (int) (rng() % 12), 1 + (int) (rng() % 28));
            int64_t total = 1000 + (int64_t) (rng() % 5) * 1000;
            Ing__Fact f = medical(rids[k], A, dates[k], total, total / (1 + (int64_t) (rng() % 3)));
            f.batch_id = (char *) protobuf_c_empty_string;

            Vst__Person *full = vst__person__unpack(NULL, len, buf);
            assert_non_null(full);
            verify_effect_t want = apply_ok(full, f);
            size_t wlen;
            uint8_t *wbuf = pack(full, &wlen);
            vst__person__free_unpacked(full, NULL);

            verify_effect_t got;
            verify_effect_init(&got);
            uint8_t *out = NULL;
            size_t outlen = 0;
            assert_int_equal(verify_medical_fold_packed(buf, len, &f, &out, &outlen, &got), 0);
            assert_int_equal(got.changed, want.changed);
            assert_int_equal(got.picture_changed, want.picture_changed);
            assert_string_equal(got.old_household_id, want.old_household_id);
            assert_string_equal(got.new_household_id, want.new_household_id);
            assert_string_equal(got.new_region, want.new_region);
            assert_int_equal(got.happenings, 0);
            if (want.changed) {
                assert_non_null(out);
                assert_int_equal(outlen, wlen);
                assert_memory_equal(out, wbuf, wlen);
                free(buf);
                buf = out;
                len = outlen;
                changed_seen++;
            } else {
                assert_null(out);
                assert_int_equal(wlen, len);
                assert_memory_equal(wbuf, buf, len);
                unchanged_seen++;
            }
            free(wbuf);
            verify_effect_clear(&want);
            verify_effect_clear(&got);
        }
        free(buf);
    }
    /* both outcomes were exercised many times */
    assert_true(changed_seen > 1000 && unchanged_seen > 1000);
}

/* What the packed path does not take goes back to the caller (1), untouched: a fact
 * verify_person_apply refuses, and bytes not laid out as protobuf-c packs a person. */
static void test_medical_packed_declines(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    assert_non_null(p);
    Ing__Fact m = medical("m1", ID_A, "2025-03-10", 5000, 2000);
    assert_int_equal(verify_person_apply(p, &m, NULL), 0);
    Ing__Fact a = asset("a1", ID_A, "vehicle", 5000000, "2024-01-01");
    assert_int_equal(verify_person_apply(p, &a, NULL), 0);
    size_t len;
    uint8_t *buf = pack(p, &len);
    verify_person_destroy(&p);

    verify_effect_t eff;
    verify_effect_init(&eff);
    uint8_t *out = (uint8_t *) "x";
    size_t outlen = 7;
    Ing__Fact bad = medical("m2", ID_A, "2025-02-30", 5000, 2000);
    assert_int_equal(verify_medical_fold_packed(buf, len, &bad, &out, &outlen, &eff), 1);
    assert_null(out);
    Ing__Fact f = medical("m2", ID_A, "2025-04-01", 5000, 2000);
    f.record_id = (char *) "";
    assert_int_equal(verify_medical_fold_packed(buf, len, &f, &out, &outlen, &eff), 1);
    f.record_id = (char *) "m2";
    for (size_t cut = 1; cut < len; cut++) {   /* every truncation: declined or folded, never read past */
        int r = verify_medical_fold_packed(buf, cut, &f, &out, &outlen, &eff);
        assert_true(r == 0 || r == 1);
        free(out);
    }
    /* the asset (field 24) moved before the settlement (field 23): out of order */
    size_t apos = 0;
    while (apos < len && buf[apos] != 0xC2)   /* tag of field 24, wire type 2: 0xC2 0x01 */
        apos++;
    assert_true(apos < len);
    uint8_t *swapped = malloc(len);
    assert_non_null(swapped);
    size_t mpos = 0;
    while (buf[mpos] != 0xBA)                  /* tag of field 23: 0xBA 0x01 */
        mpos++;
    memcpy(swapped, buf, mpos);
    memcpy(swapped + mpos, buf + apos, len - apos);
    memcpy(swapped + mpos + (len - apos), buf + mpos, apos - mpos);
    assert_int_equal(verify_medical_fold_packed(swapped, len, &f, &out, &outlen, &eff), 1);
    assert_int_equal(verify_medical_fold_packed(buf, len, &f, &out, &outlen, &eff), 0);
    assert_non_null(out);
    assert_true(eff.changed);
    free(out);
    verify_effect_clear(&eff);
    free(swapped);
    free(buf);
}

/* ---- hukou ------------------------------------------------------------------------- */

static void test_hukou_move_between_households(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, hukou("h1", ID_A, "2020-01-05", "register", "H1", "head",
                                          "330326", "13800000001"));
    assert_true(e.changed && e.picture_changed);
    assert_string_equal(e.old_household_id, "");
    assert_string_equal(e.new_household_id, "H1");
    assert_int_equal(e.happenings & VERIFY_HAPPEN_MOVED, 0);   /* first registration */
    assert_true(verify_person_registered_in(p, "H1"));
    verify_effect_clear(&e);

    e = apply_ok(p, hukou("h2", ID_A, "2024-03-01", "register", "H2", "spouse", "330327",
                          "13800000009"));
    assert_string_equal(e.old_household_id, "H1");
    assert_string_equal(e.old_region, "330326");
    assert_string_equal(e.new_household_id, "H2");
    assert_string_equal(e.new_region, "330327");
    assert_true(e.happenings & VERIFY_HAPPEN_MOVED);
    assert_string_equal(e.date, "2024-03-01");
    assert_false(verify_person_registered_in(p, "H1"));
    assert_true(verify_person_registered_in(p, "H2"));
    assert_string_equal(p->phone, "13800000009");
    verify_effect_clear(&e);

    /* move_out without a household: leaves the one registered last */
    e = apply_ok(p, hukou("h3", ID_A, "2025-01-01", "move_out", "", "", "", ""));
    assert_string_equal(e.old_household_id, "H2");
    assert_string_equal(e.new_household_id, "H2");
    assert_true(e.happenings & VERIFY_HAPPEN_MOVED);
    assert_string_equal(verify_person_status(p), "moved_out");
    assert_false(verify_person_registered_in(p, "H2"));
    assert_string_equal(p->relation, "spouse");
    verify_effect_clear(&e);
    verify_effect_clear(&e);   /* idempotent */
    verify_person_destroy(&p);
}

static void test_hukou_out_of_order(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, hukou("h9", ID_A, "2024-03-01", "register", "H2", "head",
                                          "330327", "1"));
    verify_effect_clear(&e);
    /* an older record arriving late changes nothing */
    e = apply_ok(p, hukou("h1", ID_A, "2020-01-05", "register", "H1", "head", "330326", "2"));
    assert_false(e.changed);
    assert_false(e.picture_changed);
    assert_string_equal(e.old_household_id, "H2");
    assert_string_equal(e.new_household_id, "H2");
    assert_int_equal(e.happenings, 0);
    assert_string_equal(p->household_id, "H2");
    verify_effect_clear(&e);
    /* an older move_out arriving late does not undo the later registration */
    e = apply_ok(p, hukou("h2", ID_A, "2022-01-01", "move_out", "H1", "", "", ""));
    assert_false(e.changed);
    assert_string_equal(verify_person_status(p), "active");
    verify_effect_clear(&e);
    /* same date: the greater record_id is in force */
    e = apply_ok(p, hukou("h8", ID_A, "2024-03-01", "update", "H3", "head", "330327", "3"));
    assert_false(e.changed);
    verify_effect_clear(&e);
    e = apply_ok(p, hukou("hA", ID_A, "2024-03-01", "update", "H2", "head", "330327", "4"));
    assert_true(e.changed && e.picture_changed);
    assert_int_equal(e.happenings, 0);   /* same household */
    assert_string_equal(p->phone, "4");
    verify_effect_clear(&e);
    /* a later record with the same content: evidence changes, the picture does not */
    e = apply_ok(p, hukou("h5", ID_A, "2025-01-01", "update", "H2", "head", "330327", "4"));
    assert_true(e.changed);
    assert_false(e.picture_changed);
    verify_effect_clear(&e);
    verify_person_destroy(&p);
}

/* ---- justice, civil ---------------------------------------------------------------- */

static void test_justice_out_of_order(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, justice("j2", ID_A, "released", "2026-03-01"));
    assert_false(p->incarcerated);
    assert_int_equal(e.happenings, 0);   /* was never in: no state change */
    assert_true(e.changed);
    assert_false(e.picture_changed);
    verify_effect_clear(&e);

    e = apply_ok(p, justice("j1", ID_A, "incarcerated", "2026-01-01"));   /* older, late */
    assert_false(e.changed);
    assert_false(p->incarcerated);
    assert_int_equal(e.happenings, 0);
    verify_effect_clear(&e);

    e = apply_ok(p, justice("j3", ID_A, "incarcerated", "2026-05-01"));
    assert_true(p->incarcerated);
    assert_true(e.happenings & VERIFY_HAPPEN_INCARCERATED);
    assert_true(e.picture_changed);
    assert_string_equal(verify_person_status(p), "incarcerated");
    verify_effect_clear(&e);

    e = apply_ok(p, justice("j4", ID_A, "released", "2026-09-01"));
    assert_false(p->incarcerated);
    assert_true(e.happenings & VERIFY_HAPPEN_RELEASED);
    assert_string_equal(e.date, "2026-09-01");
    verify_effect_clear(&e);
    verify_person_destroy(&p);
}

static void test_death(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, civil("c1", ID_A, "marriage", "2010-01-01"));
    assert_false(e.changed);
    verify_effect_clear(&e);
    e = apply_ok(p, civil("c2", ID_A, "death", "2026-01-15"));
    assert_true(e.happenings & VERIFY_HAPPEN_DIED);
    assert_string_equal(verify_person_status(p), "deceased");
    verify_effect_clear(&e);
    e = apply_ok(p, civil("c3", ID_A, "death", "2026-01-20"));   /* a correction: no 2nd death */
    assert_int_equal(e.happenings, 0);
    assert_true(e.picture_changed);
    assert_string_equal(p->death_date, "2026-01-20");
    verify_effect_clear(&e);
    verify_person_destroy(&p);
}

/* ---- disability -------------------------------------------------------------------- */

static void test_disability_revoked(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, disab("d1", ID_A, "C1", 2, "2024-01-01", "active"));
    assert_true(e.happenings & VERIFY_HAPPEN_SEVERE_DISABILITY);
    assert_int_equal(e.grade, 2);
    assert_int_equal(verify_person_disability(p)->grade, 2);
    verify_effect_clear(&e);

    e = apply_ok(p, disab("d3", ID_A, "C2", 4, "2024-02-01", "active"));
    assert_int_equal(e.happenings, 0);   /* grade 4 is not severe */
    assert_int_equal(verify_person_disability(p)->grade, 2);   /* the most severe */
    verify_effect_clear(&e);

    e = apply_ok(p, disab("d2", ID_A, "C1", 2, "2025-01-01", "revoked"));
    assert_true(e.picture_changed);
    assert_int_equal(e.happenings, 0);
    assert_int_equal(verify_person_disability(p)->grade, 4);
    assert_string_equal(verify_person_disability(p)->certificate, "C2");
    verify_effect_clear(&e);

    /* an older active record of the revoked certificate does not bring it back */
    e = apply_ok(p, disab("d0", ID_A, "C1", 1, "2024-06-01", "active"));
    assert_false(e.changed);
    assert_int_equal(e.happenings, 0);
    verify_effect_clear(&e);

    e = apply_ok(p, disab("d4", ID_A, "C2", 4, "2025-06-01", "revoked"));
    assert_null(verify_person_disability(p));
    verify_effect_clear(&e);

    /* re-issued later at grade 1: a new severe disability */
    e = apply_ok(p, disab("d5", ID_A, "C1", 1, "2026-01-01", "active"));
    assert_true(e.happenings & VERIFY_HAPPEN_SEVERE_DISABILITY);
    assert_int_equal(e.grade, 1);
    verify_effect_clear(&e);
    verify_person_destroy(&p);
}

/* ---- hrss, medical, assets --------------------------------------------------------- */

static void test_income_horizon(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, hrss("i1", ID_A, "2024-01", "wage", 100));
    verify_effect_clear(&e);
    e = apply_ok(p, hrss("i2", ID_A, "2026-01", "wage", 200));   /* 24 months later: both kept */
    assert_int_equal(p->n_incomes, 2);
    verify_effect_clear(&e);
    e = apply_ok(p, hrss("i3", ID_A, "2026-02", "wage", 300));   /* i1 now 25 back: dropped */
    assert_int_equal(p->n_incomes, 2);
    assert_string_equal(p->incomes[0]->record_id, "i2");
    verify_effect_clear(&e);
    e = apply_ok(p, hrss("i4", ID_A, "2023-12", "wage", 400));   /* arrives beyond: refused */
    assert_false(e.changed);
    assert_int_equal(p->n_incomes, 2);
    verify_effect_clear(&e);
    e = apply_ok(p, hrss("i3", ID_A, "2026-02", "wage", 300));   /* repeat */
    assert_false(e.changed);
    verify_effect_clear(&e);
    assert_int_equal(verify_person_income_month(p, sais_month_parse("2026-02", 7)), 300);
    verify_person_destroy(&p);
}

static void test_assets_snapshot(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, asset("a2", ID_A, "vehicle", 3000000, "2025-06-30"));
    verify_effect_clear(&e);
    e = apply_ok(p, asset("a1", ID_A, "vehicle", 9000000, "2024-01-01"));   /* older: ignored */
    assert_false(e.changed);
    verify_effect_clear(&e);
    e = apply_ok(p, asset("a3", ID_A, "vehicle", 2000000, "2025-06-30"));   /* same as_of: added */
    assert_true(e.picture_changed);
    verify_effect_clear(&e);
    e = apply_ok(p, asset("a4", ID_A, "deposit", 500000, "2025-06-30"));
    verify_effect_clear(&e);
    assert_int_equal(p->n_assets, 3);
    e = apply_ok(p, asset("a5", ID_A, "vehicle", 1000000, "2026-01-31"));   /* newer: replaces */
    assert_true(e.changed);
    verify_effect_clear(&e);
    assert_int_equal(p->n_assets, 2);
    assert_string_equal(p->assets[0]->kind, "deposit");
    assert_string_equal(p->assets[1]->record_id, "a5");
    verify_person_destroy(&p);
}

/* ---- bad input --------------------------------------------------------------------- */

static void test_bad_facts_leave_person_untouched(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, hukou("h1", ID_A, "2020-01-05", "register", "H1", "head",
                                          "330326", "1"));
    verify_effect_clear(&e);
    Vst__Person *before = verify_person_new(ID_A);
    e = apply_ok(before, hukou("h1", ID_A, "2020-01-05", "register", "H1", "head", "330326", "1"));
    verify_effect_clear(&e);

    Ing__Fact bad[] = {
        hukou("h2", ID_A, "2021-02-30", "register", "H1", "head", "330326", "1"),  /* no such day */
        hukou("h3", ID_A, "2021-01-01", "adopt", "H1", "head", "330326", "1"),
        hukou("h4", ID_B, "2021-01-01", "update", "H1", "head", "330326", "1"),     /* other person */
        hrss("i1", ID_A, "2026-13", "wage", 1),
        hrss("i2", ID_A, "2026-01", "", 1),
        medical("m1", ID_A, "", 1, 1),
        disab("d1", ID_A, "", 1, "2024-01-01", "active"),
        disab("d2", ID_A, "C1", 0, "2024-01-01", "active"),
        disab("d3", ID_A, "C1", 2, "2024-01-01", "lost"),
        civil("c1", ID_A, "birth", "2024-01-01"),
        justice("j1", ID_A, "paroled", "2024-01-01"),
        asset("a1", ID_A, "", 1, "2024-01-01"),
        base("weather", "w1", ID_A, "2024-01-01"),
        base("hukou", "", ID_A, "2024-01-01"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = apply_ok(before, civil("cX", ID_A, "marriage", "2000-01-01"));   /* dirties eff */
        assert_int_equal(verify_person_apply(p, &bad[i], &e), -1);
        assert_null(e.old_household_id);   /* cleared on failure */
        assert_same_bytes(before, p);
    }
    assert_int_equal(verify_person_apply(NULL, &bad[0], NULL), -1);
    assert_int_equal(verify_person_apply(p, NULL, NULL), -1);
    verify_effect_clear(&e);
    verify_person_destroy(&before);
    verify_person_destroy(&p);
}

/* ---- queries ----------------------------------------------------------------------- */

static void test_income_queries(void **state)
{
    (void) state;
    Vst__Person *p = verify_person_new(ID_A);
    const struct { const char *rid, *month; int64_t amount; } rows[] = {
        { "r1", "2025-10", 999999 },   /* before the window */
        { "r2", "2025-11", 120000 },   /* first complete month in the window */
        { "r3", "2026-03", 60000 },
        { "r4", "2026-03", 60001 },    /* two employers */
        { "r5", "2026-10", 100000 },   /* last complete month */
        { "r6", "2026-11", 777777 },   /* the current month: not complete */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        verify_effect_t e = apply_ok(p, hrss(rows[i].rid, ID_A, rows[i].month, "wage",
                                             rows[i].amount));
        verify_effect_clear(&e);
    }
    long today = sais_date_parse("2026-11-01", 10);   /* first day of a month */
    assert_int_equal(verify_person_income_12m(p, today), 340001);
    assert_int_equal(verify_person_income_monthly(p, today), 28333);   /* floor(340001/12) */
    long eve = sais_date_parse("2026-10-31", 10);     /* one day earlier: window shifts */
    assert_int_equal(verify_person_income_12m(p, eve), 999999 + 120000 + 120001);
    assert_int_equal(verify_person_income_monthly(p, eve), 103333);
    verify_person_destroy(&p);
}

static void test_oop_window(void **state)
{
    (void) state;
    long today = sais_date_parse("2026-11-23", 10);
    assert_true(verify_in_365_days(today, today));
    assert_true(verify_in_365_days(today - 364, today));
    assert_false(verify_in_365_days(today - 365, today));   /* exactly 365 days ago: out */
    assert_false(verify_in_365_days(today + 1, today));     /* in the future: out */

    Vst__Person *p = verify_person_new(ID_A);
    verify_effect_t e = apply_ok(p, medical("m1", ID_A, "2025-11-23", 1000, 1000));   /* 365 */
    verify_effect_clear(&e);
    e = apply_ok(p, medical("m2", ID_A, "2025-11-24", 500, 200));   /* 364 days ago */
    verify_effect_clear(&e);
    e = apply_ok(p, medical("m3", ID_A, "2026-11-23", 50, 30));
    verify_effect_clear(&e);
    e = apply_ok(p, medical("m4", ID_A, "2026-11-24", 70, 70));
    verify_effect_clear(&e);
    assert_int_equal(verify_person_oop_12m(p, today), 230);
    verify_person_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_independence),
        cmocka_unit_test(test_medical_packed_matches_full),
        cmocka_unit_test(test_medical_packed_declines),
        cmocka_unit_test(test_hukou_move_between_households),
        cmocka_unit_test(test_hukou_out_of_order),
        cmocka_unit_test(test_justice_out_of_order),
        cmocka_unit_test(test_death),
        cmocka_unit_test(test_disability_revoked),
        cmocka_unit_test(test_income_horizon),
        cmocka_unit_test(test_assets_snapshot),
        cmocka_unit_test(test_bad_facts_leave_person_untouched),
        cmocka_unit_test(test_income_queries),
        cmocka_unit_test(test_oop_window),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
