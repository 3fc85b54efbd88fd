/* sais_mask: by UTF-8 characters, never past the caller's buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sais_mask.h"

static void
test_id(void **state)
{
    (void)state;
    char out[19];
    assert_string_equal(sais_mask_id("330326199001011235", out, sizeof out), "330326***********5");
    assert_string_equal(sais_mask_id("11010519491231002X", out, sizeof out), "110105***********X");
    assert_string_equal(sais_mask_id("1234567", out, sizeof out), "*******");   /* too short */
    assert_string_equal(sais_mask_id("12345678", out, sizeof out), "123456*8");
    assert_string_equal(sais_mask_id("", out, sizeof out), "");
    assert_string_equal(sais_mask_id(NULL, out, sizeof out), "");
    char small[8];
    assert_string_equal(sais_mask_id("330326199001011235", small, sizeof small), "330326*");
    char canary[4] = "abc";
    sais_mask_id("330326199001011235", canary, 0);   /* outlen 0 writes nothing */
    assert_string_equal(canary, "abc");
}

static void
test_name(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(sais_mask_name("程成钊", out, sizeof out), "程**");
    assert_string_equal(sais_mask_name("𠮷野家", out, sizeof out), "𠮷**");    /* 4-byte first */
    assert_string_equal(sais_mask_name("王𠮷", out, sizeof out), "王*");       /* 4-byte masked */
    assert_string_equal(sais_mask_name("欧阳娜娜", out, sizeof out), "欧***");
    assert_string_equal(sais_mask_name("张", out, sizeof out), "张");
    assert_string_equal(sais_mask_name("Li Lei", out, sizeof out), "L*****");
    assert_string_equal(sais_mask_name("", out, sizeof out), "");
    assert_string_equal(sais_mask_name(NULL, out, sizeof out), "");
    /* 4-byte leads other than F0 (U+E0001 here) are one character too */
    assert_string_equal(sais_mask_name("\xf3\xa0\x80\x81" "ab", out, sizeof out), "\xf3\xa0\x80\x81**");
    /* an invalid byte counts as one character */
    assert_string_equal(sais_mask_name("\xff\xfe" "ab", out, sizeof out), "\xff***");
    assert_string_equal(sais_mask_name("程\xe6\x88", out, sizeof out), "程**");   /* truncated seq */
    /* a short buffer cuts at a character boundary, never in the middle of one */
    char small[3];
    assert_string_equal(sais_mask_name("程成钊", small, sizeof small), "");
    char four[4];
    assert_string_equal(sais_mask_name("程成钊", four, sizeof four), "程");
    char five[5];
    assert_string_equal(sais_mask_name("程成钊", five, sizeof five), "程*");
    /* output never longer than input */
    const char *n = "𠮷𠮷𠮷𠮷";
    char exact[17];
    assert_string_equal(sais_mask_name(n, exact, strlen(n) + 1), "𠮷***");
}

static void
test_phone(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(sais_mask_phone("13800001234", out, sizeof out), "*******1234");
    assert_string_equal(sais_mask_phone("+8613800001234", out, sizeof out), "**********1234");
    assert_string_equal(sais_mask_phone("12345", out, sizeof out), "*2345");
    assert_string_equal(sais_mask_phone("1234", out, sizeof out), "****");   /* would show it all */
    assert_string_equal(sais_mask_phone("", out, sizeof out), "");
    assert_string_equal(sais_mask_phone(NULL, out, sizeof out), "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_phone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
