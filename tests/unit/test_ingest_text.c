/* ingest_text and ingest_field: UTF-8 validity at every boundary of the encoding, name
 * normalisation (NFC, middle dots), and the value parsers with spreadsheet damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ingest_field.h"
#include "ingest_text.h"
#include "sais_clock.h"

static bool valid(const char *s)
{
    return ingest_utf8_valid(s, strlen(s), NULL);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(valid(""));
    assert_true(valid("plain ascii, long enough to use the eight-byte path twice over"));
    assert_true(valid("\x7F"));
    assert_true(valid("\xC2\x80"));               /* U+0080, smallest two-byte */
    assert_true(valid("\xDF\xBF"));               /* U+07FF */
    assert_true(valid("\xE0\xA0\x80"));           /* U+0800 */
    assert_true(valid("\xED\x9F\xBF"));           /* U+D7FF, below the surrogates */
    assert_true(valid("\xEE\x80\x80"));           /* U+E000, above them */
    assert_true(valid("\xEF\xBF\xBF"));           /* U+FFFF */
    assert_true(valid("\xF0\x90\x80\x80"));       /* U+10000 */
    assert_true(valid("\xF0\xA0\xAE\xB7"));       /* 𠮷 U+20BB7 */
    assert_true(valid("\xF4\x8F\xBF\xBF"));       /* U+10FFFF */
    assert_true(valid("程小明 and 𠮷 mixed with ascii text for the fast path"));

    assert_false(valid("\x80"));                  /* lone continuation */
    assert_false(valid("\xC0\x80"));              /* overlong NUL */
    assert_false(valid("\xC1\xBF"));              /* overlong */
    assert_false(valid("\xE0\x9F\xBF"));          /* overlong three-byte */
    assert_false(valid("\xED\xA0\x80"));          /* surrogate U+D800 */
    assert_false(valid("\xED\xBF\xBF"));          /* surrogate U+DFFF */
    assert_false(valid("\xF0\x8F\xBF\xBF"));      /* overlong four-byte */
    assert_false(valid("\xF4\x90\x80\x80"));      /* U+110000 */
    assert_false(valid("\xF5\x80\x80\x80"));
    assert_false(valid("\xFF"));
    assert_false(valid("\xE7\xA8"));              /* truncated at the end */
    assert_false(valid("\xE7\xA8x"));             /* truncated in the middle */
    assert_false(valid("\xF0\xA0\xAE"));
    assert_false(valid("\xB3\xCC\xD0\xA1"));      /* GBK */

    size_t at = 99;
    assert_false(ingest_utf8_valid("abcdefghij\xFFkl", 13, &at));
    assert_int_equal(at, 10);
    /* a NUL byte is refused: no C string could carry it */
    assert_false(ingest_utf8_valid("abc\0def", 7, &at));
    assert_int_equal(at, 3);
    assert_false(ingest_utf8_valid("abcdefgh\0", 9, &at));
    assert_int_equal(at, 8);

    assert_int_equal(ingest_utf8_count("程a𠮷", strlen("程a𠮷")), 3);
    const char *t = "  \t x y \r\n";
    size_t n = strlen(t);
    ingest_trim(&t, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(t, "x y", 3);
}

static const char *norm(const char *in)
{
    static char out[4096];
    size_t chars;
    long n = ingest_name_normalise(in, strlen(in), out, sizeof out, &chars);
    if (n < 0)
        return "(failed)";
    assert_int_equal((size_t)n, strlen(out));
    assert_int_equal(chars, ingest_utf8_count(out, (size_t)n));
    return out;
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(norm("程小明"), "程小明");
    assert_string_equal(norm("𠮷"), "𠮷");
    /* NFC */
    assert_string_equal(norm("Jose\xCC\x81"), "Jos\xC3\xA9");              /* e + U+0301 */
    assert_string_equal(norm("Jos\xC3\xA9"), "Jos\xC3\xA9");               /* already NFC */
    assert_string_equal(norm("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "한"); /* jamo -> syllable */
    assert_string_equal(norm("\xEA\xB0\x80\xE1\x86\xA8"), "각");            /* LV + T */
    assert_string_equal(norm("\xEF\xA4\x80"), "豈");                        /* U+F900 */
    assert_string_equal(norm("A\xCC\x8A"), "\xC3\x85");                     /* Å */
    assert_string_equal(norm("\xE2\x84\xAB"), "\xC3\x85");                  /* U+212B ANGSTROM */
    /* ccc reordering: dot below before dot above */
    assert_string_equal(norm("q\xCC\x87\xCC\xA3"), "q\xCC\xA3\xCC\x87");
    /* middle dots */
    const char *dots[] = {"·", "•", "・", "．", "‧", "･", "∙", "⋅", "\xCE\x87" /* U+0387 */};
    for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++) {
        char in[64];
        snprintf(in, sizeof in, "买买提%s艾力", dots[i]);
        assert_string_equal(norm(in), "买买提·艾力");
    }
    assert_string_equal(norm("买买提.艾力"), "买买提·艾力");
    assert_string_equal(norm("买买提 . 艾力"), "买买提·艾力");
    assert_string_equal(norm("买买提　·　艾力"), "买买提·艾力");            /* ideographic spaces */
    assert_string_equal(norm("阿依古丽.买买提.吐尔逊"), "阿依古丽·买买提·吐尔逊");
    /* an ASCII dot not between CJK is left alone, spaces with it too */
    assert_string_equal(norm("J. Smith"), "J. Smith");
    assert_string_equal(norm("程. Smith"), "程. Smith");
    assert_string_equal(norm("程 明"), "程 明");
    /* a dot variant elsewhere still becomes U+00B7, keeping its spaces */
    assert_string_equal(norm("Anna • Lee"), "Anna · Lee");

    char small[8];
    assert_int_equal(ingest_name_normalise("程小明", strlen("程小明"), small, sizeof small, NULL), -1);

    assert_true(ingest_is_cjk(0x4E00));
    assert_true(ingest_is_cjk(0x20BB7));
    assert_false(ingest_is_cjk('a'));
    assert_false(ingest_is_cjk(0xAC00));
}

static long date_of(const char *s)
{
    long d = -1;
    ingest_date_status_t st = ingest_parse_date(s, strlen(s), &d);
    return st == INGEST_DATE_OK ? d : -(long)st - 100;
}

static void test_dates(void **state)
{
    (void)state;
    long d = sais_date_parse("2026-01-05", 10);
    assert_int_equal(date_of("2026-01-05"), d);
    assert_int_equal(date_of("2026/1/5"), d);
    assert_int_equal(date_of("2026.01.5"), d);
    assert_int_equal(date_of("20260105"), d);
    assert_int_equal(date_of("2026-01-05T23:59:59+08:00"), d);
    assert_int_equal(date_of("2026-01-05 08:00"), d);
    assert_int_equal(date_of("2000-02-29"), sais_date_parse("2000-02-29", 10));
    const long BAD = -(long)INGEST_DATE_BAD - 100, EXCEL = -(long)INGEST_DATE_EXCEL_SERIAL - 100,
               OLD = -(long)INGEST_DATE_BEFORE_1900 - 100;
    assert_int_equal(date_of("1900-02-29"), BAD);
    assert_int_equal(date_of("2100-02-29"), BAD);
    assert_int_equal(date_of("2026-1-5-"), BAD);
    assert_int_equal(date_of("2026-001-05"), BAD);
    assert_int_equal(date_of("26-01-05"), BAD);
    assert_int_equal(date_of("2026-01-05T"), BAD);
    assert_int_equal(date_of("2026-01-05Z"), BAD);
    assert_int_equal(date_of("202601050"), BAD);
    assert_int_equal(date_of("202601"), BAD);
    assert_int_equal(date_of("2026年1月5日"), BAD);
    assert_int_equal(date_of(""), BAD);
    assert_int_equal(date_of("45231"), EXCEL);
    assert_int_equal(date_of("1"), EXCEL);
    assert_int_equal(date_of("1899-12-31"), OLD);

    char out[11];
    assert_true(ingest_excel_serial_date("45231", 5, out));
    assert_string_equal(out, "2023-11-01");
    assert_true(ingest_excel_serial_date("61", 2, out));
    assert_string_equal(out, "1900-03-01");
    assert_true(ingest_excel_serial_date("1", 1, out));
    assert_string_equal(out, "1900-01-01");
    assert_false(ingest_excel_serial_date("0", 1, out));
    assert_false(ingest_excel_serial_date("123456", 6, out));
    assert_false(ingest_excel_serial_date("4523a", 5, out));
}

static void test_months_ids_phones(void **state)
{
    (void)state;
    long m = -1;
    assert_true(ingest_parse_month("2026-03", 7, &m));
    assert_int_equal(m, 2026 * 12 + 2);
    assert_true(ingest_parse_month("2026/3", 6, &m));
    assert_int_equal(m, 2026 * 12 + 2);
    assert_true(ingest_parse_month("202612", 6, &m));
    assert_int_equal(m, 2026 * 12 + 11);
    assert_false(ingest_parse_month("2026-13", 7, &m));
    assert_false(ingest_parse_month("2026-0", 6, &m));
    assert_false(ingest_parse_month("1899-12", 7, &m));
    assert_false(ingest_parse_month("2026-03-01", 10, &m));
    assert_false(ingest_parse_month("Mar-26", 6, &m));

    assert_true(ingest_looks_scientific("4.40524E+17", 11));
    assert_true(ingest_looks_scientific("4.40524e17", 10));
    assert_true(ingest_looks_scientific("3E+17", 5));
    assert_false(ingest_looks_scientific("440524188001010014", 18));
    assert_false(ingest_looks_scientific("4.40524E+", 9));
    assert_false(ingest_looks_scientific("E+17", 4));
    assert_false(ingest_looks_scientific("4.4E+17x", 8));

    char p[12];
    assert_true(ingest_parse_phone("13800138000", 11, p));
    assert_string_equal(p, "13800138000");
    assert_true(ingest_parse_phone("+86 138 0013 8000", 17, p));
    assert_string_equal(p, "13800138000");
    assert_true(ingest_parse_phone("0086-13800138000", 16, p));
    assert_false(ingest_parse_phone("1380013800", 10, p));
    assert_false(ingest_parse_phone("138001380001", 12, p));
    assert_false(ingest_parse_phone("23800138000", 11, p));
    assert_false(ingest_parse_phone("1380013800a", 11, p));
    assert_false(ingest_parse_phone("", 0, p));
}

/* What a spreadsheet or an input method does to a value that is still exact. */
static void test_typed_and_exported(void **state)
{
    (void)state;
    char out[19];
    const char *fw = "３３０３２６１９８５０１０１１２３８";
    assert_int_equal(ingest_fold_fullwidth_id(fw, strlen(fw), out), 18);
    assert_memory_equal(out, "330326198501011238", 18);
    const char *mixed = "33032619850101123ｘ";
    assert_int_equal(ingest_fold_fullwidth_id(mixed, strlen(mixed), out), 18);
    assert_int_equal(out[17], 'X');
    assert_int_equal(ingest_fold_fullwidth_id("3303261985010112八", strlen("3303261985010112八"), out), 0);
    const char *longer = "３３０３２６１９８５０１０１１２３８０";
    assert_int_equal(ingest_fold_fullwidth_id(longer, strlen(longer), out), 19);

    const char *v = " =\"330326198501011238\" ";
    size_t n = strlen(v);
    ingest_excel_text_formula(&v, &n);
    assert_int_equal(n, 18);
    assert_memory_equal(v, "330326198501011238", 18);
    const char *q = "=\"a\"\"b\"";            /* a quote inside: left as it is */
    n = strlen(q);
    v = q;
    ingest_excel_text_formula(&v, &n);
    assert_ptr_equal(v, q);
    v = "=\"";                                /* too short */
    n = 2;
    ingest_excel_text_formula(&v, &n);
    assert_int_equal(n, 2);
    v = "plain";
    n = 5;
    ingest_excel_text_formula(&v, &n);
    assert_int_equal(n, 5);

    uint32_t cp = 0;
    assert_false(ingest_private_use("程𠮷祥", strlen("程𠮷祥"), &cp));
    assert_true(ingest_private_use("王\xEE\x80\x80", 6, &cp));
    assert_int_equal(cp, 0xE000);
    assert_true(ingest_private_use("\xF3\xB0\x80\x81", 4, &cp));
    assert_int_equal(cp, 0xF0001);
    assert_false(ingest_private_use("\xEF\xA4\x80", 3, &cp));   /* U+F900, a compatibility ideograph */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_months_ids_phones),
        cmocka_unit_test(test_typed_and_exported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
