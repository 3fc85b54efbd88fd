/* sais_money: exact yuan text <-> fen, and muldiv rounding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sais_money.h"

static sais_money_status_t
parse(const char *s, bool neg, sais_fen_t *out)
{
    *out = -777;
    return sais_money_parse(s, strlen(s), neg, out);
}

static void
test_parse_ok(void **state)
{
    (void)state;
    static const struct { const char *in; sais_fen_t fen; } cases[] = {
        { "0.01", 1 }, { "0", 0 }, { "0.00", 0 }, { "32160", 3216000 }, { "32160.5", 3216050 },
        { "32160.00", 3216000 }, { "1.23", 123 }, { "1.230", 123 }, { "1.2300", 123 },
        { "007.10", 710 }, { "1000000000000", SAIS_MONEY_MAX_FEN },
        { "1000000000000.00", SAIS_MONEY_MAX_FEN }, { "999999999999.99", SAIS_MONEY_MAX_FEN - 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sais_fen_t fen;
        assert_int_equal(parse(cases[i].in, false, &fen), SAIS_MONEY_OK);
        assert_int_equal(fen, cases[i].fen);
    }
}

static void
test_parse_negative(void **state)
{
    (void)state;
    sais_fen_t fen;
    assert_int_equal(parse("-0.01", true, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, -1);
    assert_int_equal(parse("-0.01", false, &fen), SAIS_MONEY_NEGATIVE);
    assert_int_equal(fen, -777);   /* untouched on error */
    assert_int_equal(parse("-12.30", true, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, -1230);
    assert_int_equal(parse("-0", false, &fen), SAIS_MONEY_OK);   /* minus zero is zero */
    assert_int_equal(fen, 0);
    assert_int_equal(parse("-1000000000000", true, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, -SAIS_MONEY_MAX_FEN);
    assert_int_equal(parse("-1000000000000.01", true, &fen), SAIS_MONEY_TOO_LARGE);
}

static void
test_parse_errors(void **state)
{
    (void)state;
    sais_fen_t fen;
    static const char *const nan[] = { "", ".5", "5.", "1e3", "1E3", "-", ".", "+5", " 5", "5 ",
                                       "1.2.3", "nan", "inf", "1,000", "12a", "--1", "0x10", "-.5",
                                       "4.40524E+17", "1.5e-2" };
    for (size_t i = 0; i < sizeof nan / sizeof nan[0]; i++)
        assert_int_equal(parse(nan[i], true, &fen), SAIS_MONEY_NOT_A_NUMBER);
    assert_int_equal(sais_money_parse(NULL, 0, true, &fen), SAIS_MONEY_NOT_A_NUMBER);

    assert_int_equal(parse("1.234", false, &fen), SAIS_MONEY_TOO_PRECISE);
    assert_int_equal(parse("12.345", false, &fen), SAIS_MONEY_TOO_PRECISE);
    assert_int_equal(parse("0.001", false, &fen), SAIS_MONEY_TOO_PRECISE);
    assert_int_equal(parse("1.2301", false, &fen), SAIS_MONEY_TOO_PRECISE);
    assert_int_equal(parse("1000000000000.01", false, &fen), SAIS_MONEY_TOO_LARGE);
    assert_int_equal(parse("99999999999999999999999999999999999", false, &fen), SAIS_MONEY_TOO_LARGE);
    assert_int_equal(parse("9223372036854775808", false, &fen), SAIS_MONEY_TOO_LARGE);
    /* syntax errors win over size */
    assert_int_equal(parse("99999999999999999999999x", false, &fen), SAIS_MONEY_NOT_A_NUMBER);
    assert_int_equal(fen, -777);
    assert_non_null(sais_money_message(SAIS_MONEY_TOO_PRECISE));
}

static void
test_parse_length_not_terminator(void **state)
{
    (void)state;
    sais_fen_t fen;
    assert_int_equal(sais_money_parse("12.345", 4, false, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, 1230);
    assert_int_equal(sais_money_parse("12,", 2, false, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, 1200);
    assert_int_equal(sais_money_parse("12", 0, false, &fen), SAIS_MONEY_NOT_A_NUMBER);
}

static void
test_format(void **state)
{
    (void)state;
    char buf[SAIS_MONEY_BUF];
    assert_string_equal(sais_money_format(3216000, buf), "32160.00");
    assert_string_equal(sais_money_format(0, buf), "0.00");
    assert_string_equal(sais_money_format(1, buf), "0.01");
    assert_string_equal(sais_money_format(-1, buf), "-0.01");
    assert_string_equal(sais_money_format(-1230, buf), "-12.30");
    assert_string_equal(sais_money_format(105, buf), "1.05");
    assert_string_equal(sais_money_format(SAIS_MONEY_MAX_FEN, buf), "1000000000000.00");
    assert_string_equal(sais_money_format(INT64_MAX, buf), "92233720368547758.07");
    assert_string_equal(sais_money_format(INT64_MIN, buf), "-92233720368547758.08");

    /* format and parse are inverse over the valid range */
    static const sais_fen_t vals[] = { 0, 1, -1, 99, 100, 101, 3216000, -3216050,
                                       SAIS_MONEY_MAX_FEN, -SAIS_MONEY_MAX_FEN };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        sais_fen_t back;
        sais_money_format(vals[i], buf);
        assert_int_equal(sais_money_parse(buf, strlen(buf), true, &back), SAIS_MONEY_OK);
        assert_int_equal(back, vals[i]);
    }
}

static void
test_muldiv(void **state)
{
    (void)state;
    assert_int_equal(sais_money_muldiv(3216000, 8, 10), 2572800);   /* the seed: 40200.00 * 0.8 */
    assert_int_equal(sais_money_muldiv(4020000, 8, 10), 3216000);
    /* halves round away from zero, both signs */
    assert_int_equal(sais_money_muldiv(5, 1, 2), 3);
    assert_int_equal(sais_money_muldiv(-5, 1, 2), -3);
    assert_int_equal(sais_money_muldiv(3, 1, 2), 2);
    assert_int_equal(sais_money_muldiv(-3, 1, 2), -2);
    assert_int_equal(sais_money_muldiv(7, 1, 2), 4);
    assert_int_equal(sais_money_muldiv(1, 1, 2), 1);
    assert_int_equal(sais_money_muldiv(-1, 1, 2), -1);
    assert_int_equal(sais_money_muldiv(1, -1, 2), -1);
    /* below half truncates toward zero, above half rounds away */
    assert_int_equal(sais_money_muldiv(1, 1, 3), 0);
    assert_int_equal(sais_money_muldiv(2, 1, 3), 1);
    assert_int_equal(sais_money_muldiv(-2, 1, 3), -1);
    assert_int_equal(sais_money_muldiv(-1, 1, 3), 0);
    assert_int_equal(sais_money_muldiv(1, 1, 4), 0);
    assert_int_equal(sais_money_muldiv(3, 1, 4), 1);
    assert_int_equal(sais_money_muldiv(120000, 13, 10), 156000);    /* 1.3 x line */
    assert_int_equal(sais_money_muldiv(120001, 13, 10), 156001);    /* 156001.3 */
    assert_int_equal(sais_money_muldiv(120005, 13, 10), 156007);    /* 156006.5 */
    assert_int_equal(sais_money_muldiv(123457, 105, 100), 129630);  /* 129629.85 */
    assert_int_equal(sais_money_muldiv(0, 5, 7), 0);
    /* an intermediate product beyond 64 bits stays exact */
    assert_int_equal(sais_money_muldiv(INT64_MAX / 3, 3, 3), INT64_MAX / 3);
    assert_int_equal(sais_money_muldiv(INT64_MAX, 1000, 1000), INT64_MAX);
    assert_int_equal(sais_money_muldiv(INT64_MAX, 2, 1), INT64_MAX);   /* saturates */
    assert_int_equal(sais_money_muldiv(INT64_MIN, 2, 1), INT64_MIN);
    assert_int_equal(sais_money_muldiv(100, 1, 0), 0);                /* den must be > 0 */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_negative),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_length_not_terminator),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_muldiv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
