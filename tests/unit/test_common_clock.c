/* sais_clock: pinning (API and environment), the bureau's day, civil dates, RFC 3339. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sais_clock.h"

#define T_2026_11_23_08 1795420800LL   /* 2026-11-23T08:00:00Z */

/* Runs first: main() sets SAIS_CLOCK_NOW before anything asks the time. */
static void
test_env_pins_on_first_use(void **state)
{
    (void)state;
    assert_int_equal(sais_clock_now(), T_2026_11_23_08);
    assert_int_equal(sais_clock_now(), T_2026_11_23_08);   /* pinned: does not move */
    assert_int_equal(sais_clock_today(), sais_days_from_civil(2026, 11, 23));
}

static void
test_pin_and_bureau_day(void **state)
{
    (void)state;
    assert_int_equal(sais_clock_pin("2026-11-23T15:59:59Z"), 0);
    assert_int_equal(sais_clock_today(), sais_days_from_civil(2026, 11, 23));
    assert_int_equal(sais_clock_pin("2026-11-23T16:00:00Z"), 0);   /* midnight in UTC+8 */
    assert_int_equal(sais_clock_today(), sais_days_from_civil(2026, 11, 24));
    assert_int_equal(sais_clock_pin("2026-11-24T00:30:00+08:00"), 0);
    assert_int_equal(sais_clock_today(), sais_days_from_civil(2026, 11, 24));
    assert_int_equal(sais_clock_pin("1969-12-31T16:00:00Z"), 0);
    assert_int_equal(sais_clock_today(), 0);
    assert_int_equal(sais_clock_pin("1969-12-31T15:59:59Z"), 0);
    assert_int_equal(sais_clock_today(), -1);

    assert_int_equal(sais_clock_pin("2026-11-23"), -1);
    assert_int_equal(sais_clock_now(), -28801);   /* a failed pin changes nothing */

    assert_int_equal(sais_clock_pin(""), 0);   /* unpinned: real time */
    int64_t real = (int64_t)time(NULL);
    int64_t now = sais_clock_now();
    assert_true(now >= real - 2 && now <= real + 2);
    int64_t ms = sais_clock_ms();
    assert_true(ms / 1000 >= real - 2 && ms / 1000 <= real + 2);
    assert_int_equal(sais_clock_pin("2026-11-23T08:00:00Z"), 0);
    assert_int_equal(sais_clock_now(), T_2026_11_23_08);
    assert_int_equal(sais_clock_pin(NULL), 0);
    assert_true(sais_clock_now() >= real - 2);
}

static void
test_leap_years(void **state)
{
    (void)state;
    assert_true(sais_is_leap(2000));
    assert_true(sais_is_leap(2024));
    assert_true(sais_is_leap(1600));
    assert_false(sais_is_leap(1900));
    assert_false(sais_is_leap(2100));
    assert_false(sais_is_leap(2023));
}

static void
test_civil_round_trip(void **state)
{
    (void)state;
    assert_int_equal(sais_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(sais_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(sais_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(sais_days_from_civil(2026, 11, 23), 20780);
    assert_int_equal(sais_days_from_civil(0, 1, 1), -719528);
    /* every day from year 0 to 9999 maps back to itself, consecutively */
    int py, pm, pd;
    sais_civil_from_days(-719529, &py, &pm, &pd);
    for (long d = -719528; d <= 2932896; d++) {
        int y, m, dd;
        sais_civil_from_days(d, &y, &m, &dd);
        if (sais_days_from_civil(y, m, dd) != d)
            fail_msg("day %ld -> %d-%d-%d does not round-trip", d, y, m, dd);
        if (!(dd == pd + 1 && m == pm && y == py) && !(dd == 1 && (m == pm + 1 || (m == 1 && y == py + 1))))
            fail_msg("day %ld: %d-%d-%d does not follow %d-%d-%d", d, y, m, dd, py, pm, pd);
        py = y, pm = m, pd = dd;
    }
}

static void
test_dates(void **state)
{
    (void)state;
    assert_int_equal(sais_date_parse("2024-02-29", 10), sais_days_from_civil(2024, 2, 29));
    assert_int_equal(sais_date_parse("2000-02-29", 10), 11016);
    assert_int_equal(sais_date_parse("2023-02-29", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("1900-02-29", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-13-01", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-00-01", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-04-31", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-01-00", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-1-01", 9), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026/01/01", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-01-01", 9), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-01-011", 11), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("+026-01-01", 10), SAIS_DATE_INVALID);
    assert_int_equal(sais_date_parse("2026-01-01T00", 10), sais_days_from_civil(2026, 1, 1));
    long d = 12345;
    assert_int_equal(sais_date_read("1969-12-31", 10, &d), 0);
    assert_int_equal(d, -1);
    assert_int_equal(sais_date_read("1969-12-32", 10, &d), -1);
    assert_int_equal(sais_date_read("1969-12-30", 10, NULL), 0);

    char out[11];
    sais_date_format(0, out);
    assert_string_equal(out, "1970-01-01");
    sais_date_format(-1, out);
    assert_string_equal(out, "1969-12-31");
    sais_date_format(sais_days_from_civil(2024, 2, 29), out);
    assert_string_equal(out, "2024-02-29");
    sais_date_format(-10000000, out);   /* clamped to fixed width */
    assert_string_equal(out, "0000-01-01");
    sais_date_format(10000000, out);
    assert_string_equal(out, "9999-12-31");
}

static void
test_months(void **state)
{
    (void)state;
    assert_int_equal(sais_month_parse("2026-11", 7), 2026 * 12 + 10);
    assert_int_equal(sais_month_parse("0000-01", 7), 0);
    assert_int_equal(sais_month_parse("2026-00", 7), -1);
    assert_int_equal(sais_month_parse("2026-13", 7), -1);
    assert_int_equal(sais_month_parse("2026-1", 6), -1);
    assert_int_equal(sais_month_parse("2026-11-01", 10), -1);
    assert_int_equal(sais_month_parse("2026/11", 7), -1);
    char out[8];
    sais_month_format(2026 * 12 + 10, out);
    assert_string_equal(out, "2026-11");
    sais_month_format(2027 * 12 + 0, out);
    assert_string_equal(out, "2027-01");
    assert_int_equal(sais_month_of(sais_days_from_civil(2026, 11, 30)), 2026 * 12 + 10);
    assert_int_equal(sais_month_of(sais_days_from_civil(2026, 12, 1)), 2026 * 12 + 11);
    assert_int_equal(sais_month_of(-1), 1969 * 12 + 11);
}

static void
test_rfc3339(void **state)
{
    (void)state;
    char out[21];
    sais_time_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    sais_time_format(T_2026_11_23_08, out);
    assert_string_equal(out, "2026-11-23T08:00:00Z");
    sais_time_format(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    sais_time_format(951782400 + 86399, out);
    assert_string_equal(out, "2000-02-29T23:59:59Z");

    assert_int_equal(sais_time_parse("2026-11-23T08:00:00Z"), T_2026_11_23_08);
    assert_int_equal(sais_time_parse("2026-11-23t08:00:00z"), T_2026_11_23_08);
    assert_int_equal(sais_time_parse("2026-11-23T16:00:00+08:00"), T_2026_11_23_08);
    assert_int_equal(sais_time_parse("2026-11-23T03:30:00-04:30"), T_2026_11_23_08);
    assert_int_equal(sais_time_parse("2026-11-23T08:00:00.999Z"), T_2026_11_23_08);
    assert_int_equal(sais_time_parse("1970-01-01T00:00:00Z"), 0);
    static const char *const bad[] = {
        "", "2026-11-23", "2026-11-23T08:00:00", "2026-11-23 08:00:00Z", "2026-11-23T24:00:00Z",
        "2026-11-23T08:60:00Z", "2026-11-23T08:00:61Z", "2026-02-30T08:00:00Z",
        "2026-11-23T08:00:00.Z", "2026-11-23T08:00:00+0800", "2026-11-23T08:00:00+08:00x",
        "2026-11-23T08:00:00Zjunk", "2026-11-23T8:00:00Z", "2026-11-23T08:00:00+24:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sais_time_parse(bad[i]) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(sais_time_parse(NULL), -1);

    for (int64_t t = -86400 * 3; t < 4102444800LL; t += 86400 * 7 + 3601) {
        sais_time_format(t, out);
        assert_int_equal(sais_time_parse(out), t);
    }
}

/* Readers on several threads see either pinned value, never a torn or unpinned one. */
static void *
reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200000; i++) {
        int64_t t = sais_clock_now();
        if (t != T_2026_11_23_08 && t != T_2026_11_23_08 + 86400)
            return (void *)1;
    }
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    assert_int_equal(sais_clock_pin("2026-11-23T08:00:00Z"), 0);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
    for (int i = 0; i < 2000; i++)
        sais_clock_pin(i % 2 ? "2026-11-23T08:00:00Z" : "2026-11-24T08:00:00Z");
    for (int i = 0; i < 3; i++) {
        void *rc;
        pthread_join(th[i], &rc);
        assert_null(rc);
    }
}

int
main(void)
{
    setenv("SAIS_CLOCK_NOW", "2026-11-23T08:00:00Z", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_pins_on_first_use),
        cmocka_unit_test(test_pin_and_bureau_day),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_civil_round_trip),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
