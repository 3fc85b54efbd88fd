/* sais_id: GB 11643-1999 validation, ages, sex, regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sais_clock.h"
#include "sais_id.h"

static long s_today;   /* 2026-11-23, the pinned day of the test suite */

/* Builds a valid ID from its parts (the check character computed), into out[19]. */
static void
make_id(const char *region, const char *date8, const char *seq, char out[19])
{
    snprintf(out, 19, "%s%s%s", region, date8, seq);
    out[17] = sais_id_check_char(out);
    out[18] = '\0';
}

static void
test_domain_examples(void **state)
{
    (void)state;
    char out[19];
    assert_int_equal(sais_id_check("11010519491231002X", s_today, out), SAIS_ID_OK);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(sais_id_check("440524188001010014", s_today, out), SAIS_ID_OK);
    assert_string_equal(out, "440524188001010014");
    assert_int_equal(sais_id_check("440524188001010014", s_today, NULL), SAIS_ID_OK);
    assert_int_equal(sais_id_check_char("11010519491231002"), 'X');
    assert_int_equal(sais_id_check_char("44052418800101001"), '4');
}

static void
test_lowercase_x_normalised(void **state)
{
    (void)state;
    char out[19];
    assert_int_equal(sais_id_check("11010519491231002x", s_today, out), SAIS_ID_OK);
    assert_string_equal(out, "11010519491231002X");
}

static void
test_wrong_check_digit(void **state)
{
    (void)state;
    char out[19] = "untouched";
    assert_int_equal(sais_id_check("440524188001010015", s_today, out), SAIS_ID_BAD_CHECK);
    assert_string_equal(out, "untouched");
    assert_int_equal(sais_id_check("110105194912310021", s_today, NULL), SAIS_ID_BAD_CHECK);
    assert_int_equal(sais_id_check("44052418800101001X", s_today, NULL), SAIS_ID_BAD_CHECK);
    assert_string_equal(sais_id_code(SAIS_ID_BAD_CHECK), "bad_check_digit");
}

static void
test_bad_format(void **state)
{
    (void)state;
    const char *bad[] = {
        "4.40524E+17", "", "44052418800101001", "4405241880010100140", "44052418800101001Y",
        "4405241880010100X4", "44052418800101 014", "a40524188001010014", "-44052418800101001",
        "440524188001010014 ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sais_id_check(bad[i], s_today, NULL), SAIS_ID_BAD_FORMAT);
    assert_int_equal(sais_id_check(NULL, s_today, NULL), SAIS_ID_BAD_FORMAT);
    assert_string_equal(sais_id_code(SAIS_ID_BAD_FORMAT), "bad_id_number");
    assert_null(sais_id_code(SAIS_ID_OK));
    assert_non_null(sais_id_message(SAIS_ID_BAD_FORMAT));
}

static void
test_province_prefixes(void **state)
{
    (void)state;
    static const int good[] = { 11, 15, 21, 23, 31, 37, 41, 46, 50, 54, 61, 65 };
    static const int badp[] = { 0, 10, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 71, 81, 82, 91, 99 };
    char region[7], id[19];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(region, sizeof region, "%02d0101", good[i]);
        make_id(region, "19900101", "123", id);
        assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_OK);
        assert_true(sais_region_valid(region));
    }
    for (size_t i = 0; i < sizeof badp / sizeof badp[0]; i++) {
        snprintf(region, sizeof region, "%02d0101", badp[i]);
        make_id(region, "19900101", "123", id);
        assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_FORMAT);
        assert_false(sais_region_valid(region));
    }
}

static void
test_birth_dates(void **state)
{
    (void)state;
    char id[19];
    make_id("330326", "20000229", "001", id);   /* leap (divisible by 400) */
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_OK);
    make_id("330326", "20240229", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_OK);
    make_id("330326", "19000229", "001", id);   /* 1900 is not a leap year */
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_BIRTH_DATE);
    make_id("330326", "20230229", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_BIRTH_DATE);
    make_id("330326", "19901301", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_BIRTH_DATE);
    make_id("330326", "19900100", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_BIRTH_DATE);
    make_id("330326", "19900431", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_BIRTH_DATE);
    /* 1969-12-31 is day -1: must not be mistaken for an error value */
    make_id("330326", "19691231", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_OK);
    /* born today is fine, tomorrow is not */
    make_id("330326", "20261123", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_OK);
    make_id("330326", "20261124", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_BIRTH_DATE);
    make_id("330326", "20991124", "001", id);
    assert_int_equal(sais_id_check(id, s_today, NULL), SAIS_ID_BAD_BIRTH_DATE);
    assert_string_equal(sais_id_code(SAIS_ID_BAD_BIRTH_DATE), "bad_birth_date");
    char date[11];
    sais_id_birth_date("11010519491231002X", date);
    assert_string_equal(date, "1949-12-31");
}

static void
test_sex(void **state)
{
    (void)state;
    assert_int_equal(sais_id_sex("11010519491231002X"), 'F');
    assert_int_equal(sais_id_sex("440524188001010014"), 'M');
}

static long
day(int y, int m, int d)
{
    return sais_days_from_civil(y, m, d);
}

static void
test_age_birthday_rule(void **state)
{
    (void)state;
    char id[19];
    make_id("330326", "19661123", "001", id);
    assert_int_equal(sais_id_age(id, day(2026, 11, 23)), 60);   /* 60 on the 60th birthday */
    assert_int_equal(sais_id_age(id, day(2026, 11, 22)), 59);
    assert_int_equal(sais_id_age(id, day(2026, 12, 31)), 60);
    make_id("330326", "20101123", "002", id);
    assert_int_equal(sais_id_age(id, day(2026, 11, 23)), 16);
    assert_int_equal(sais_id_age(id, day(2026, 11, 22)), 15);
    assert_int_equal(sais_age_on("2010-11-23", day(2026, 11, 23)), 16);
    assert_int_equal(sais_age_on("2010-11-24", day(2026, 11, 23)), 15);
    assert_int_equal(sais_age_on("2010-12-01", day(2026, 11, 30)), 15);
    /* 29 Feb: the birthday is 1 Mar in a non-leap year */
    assert_int_equal(sais_age_on("2008-02-29", day(2024, 2, 28)), 15);
    assert_int_equal(sais_age_on("2008-02-29", day(2024, 2, 29)), 16);
    assert_int_equal(sais_age_on("2008-02-29", day(2025, 2, 28)), 16);
    assert_int_equal(sais_age_on("2008-02-29", day(2025, 3, 1)), 17);
    assert_int_equal(sais_age_on("1966-02-28", day(2026, 2, 28)), 60);
    assert_int_equal(sais_age_on("2008-02-30", day(2025, 3, 1)), -1);
    assert_int_equal(sais_age_on("2008-2-3", day(2025, 3, 1)), -1);
    assert_int_equal(sais_age_on("2008-02-031", day(2025, 3, 1)), -1);
    assert_int_equal(sais_age_on(NULL, day(2025, 3, 1)), -1);
    assert_int_equal(sais_id_age("440524188001010014", s_today), 146);
}

static void
test_regions(void **state)
{
    (void)state;
    assert_true(sais_region_valid("330326"));
    assert_true(sais_region_valid("110105"));
    assert_false(sais_region_valid("330300"));   /* prefecture, not county level */
    assert_false(sais_region_valid("33032"));
    assert_false(sais_region_valid("3303261"));
    assert_false(sais_region_valid("33a326"));
    assert_false(sais_region_valid("990326"));
    assert_false(sais_region_valid(""));
    assert_false(sais_region_valid(NULL));

    char *wz[] = { "3303" };
    char *two[] = { "3302", "330326" };
    char *empty[] = { "" };
    assert_true(sais_region_in_scope("330326", wz, 1));
    assert_true(sais_region_in_scope("330326", two, 2));
    assert_false(sais_region_in_scope("330327", two, 2));
    assert_false(sais_region_in_scope("330326", wz, 0));
    assert_false(sais_region_in_scope("330326", empty, 1));
    assert_false(sais_region_in_scope("33", wz, 1));
    assert_false(sais_region_in_scope(NULL, wz, 1));

    assert_string_equal(sais_region_name("330326"), "Pingyang");
    assert_string_equal(sais_region_name("330302"), "Lucheng");
    assert_string_equal(sais_region_name("330383"), "Longgang");
    assert_string_equal(sais_region_name("330381"), "Rui'an");
    assert_null(sais_region_name("330301"));
    assert_null(sais_region_name(NULL));
    static const char *const wenzhou[] = { "330302", "330303", "330304", "330305", "330324", "330326",
                                           "330327", "330328", "330329", "330381", "330382", "330383" };
    for (size_t i = 0; i < 12; i++) {
        assert_non_null(sais_region_name(wenzhou[i]));
        assert_true(sais_region_valid(wenzhou[i]));
    }
}

int
main(void)
{
    s_today = sais_days_from_civil(2026, 11, 23);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_examples),
        cmocka_unit_test(test_lowercase_x_normalised),
        cmocka_unit_test(test_wrong_check_digit),
        cmocka_unit_test(test_bad_format),
        cmocka_unit_test(test_province_prefixes),
        cmocka_unit_test(test_birth_dates),
        cmocka_unit_test(test_sex),
        cmocka_unit_test(test_age_birthday_rule),
        cmocka_unit_test(test_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
