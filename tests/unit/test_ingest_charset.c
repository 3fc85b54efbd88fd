/* ingest_charset and the stream reading a CSV body in GB18030: every cut of the bytes gives
 * the same UTF-8, a damaged byte costs its line only, and an undeclared GBK file is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest_charset.h"
#include "ingest_text.h"
#include "test_ingest_util.h"

#define ID  "330326198501011238"
#define ID2 "330326199003077511"

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

typedef struct {
    char buf[4096];
    size_t len;
} sink_t;

static int collect(void *ctx, const char *p, size_t n)
{
    sink_t *s = ctx;
    assert_true(s->len + n <= sizeof s->buf);
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

/* in[0..n) converted in chunks cut at a and b (a <= b <= n), then the end */
static sink_t convert_cut(const char *in, size_t n, size_t a, size_t b)
{
    sink_t s = {.len = 0};
    ingest_charset_t *c = ingest_charset_new("gb18030");
    assert_non_null(c);
    assert_int_equal(ingest_charset_convert(c, in, a, collect, &s), 0);
    assert_int_equal(ingest_charset_convert(c, in + a, b - a, collect, &s), 0);
    assert_int_equal(ingest_charset_convert(c, in + b, n - b, collect, &s), 0);
    assert_int_equal(ingest_charset_convert(c, NULL, 0, collect, &s), 0);
    ingest_charset_destroy(&c);
    return s;
}

/* Every way of cutting the input in three gives `want`. */
static void assert_every_cut(const char *in, size_t n, const char *want, size_t wn)
{
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++) {
            sink_t s = convert_cut(in, n, a, b);
            if (s.len != wn || memcmp(s.buf, want, wn) != 0)
                fail_msg("cut at %zu and %zu: %zu bytes out, want %zu", a, b, s.len, wn);
        }
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ingest_charset_canonical("UTF-8"), "utf-8");
    assert_string_equal(ingest_charset_canonical("utf8"), "utf-8");
    assert_string_equal(ingest_charset_canonical("GBK"), "gb18030");
    assert_string_equal(ingest_charset_canonical("gb2312"), "gb18030");
    assert_string_equal(ingest_charset_canonical("GB18030"), "gb18030");
    assert_null(ingest_charset_canonical("latin1"));
    assert_null(ingest_charset_canonical("big5"));
    assert_null(ingest_charset_canonical(""));
    assert_null(ingest_charset_canonical(NULL));
    assert_string_equal(ingest_charset_label("gb18030"), "GB18030");
    assert_string_equal(ingest_charset_label("utf-8"), "UTF-8");
    assert_null(ingest_charset_new("utf-8"));
    assert_null(ingest_charset_new("latin1"));
}

static void test_every_cut_valid(void **state)
{
    (void)state;
    /* GB18030's BOM, 程小明 (two bytes each), 𠮷 (four), a middle dot, € (GBK's A2E3), ASCII */
    static const char in[] = "\x84\x31\x95\x33"
                             "\xB3\xCC\xD0\xA1\xC3\xF7,\x95\x34\xB2\x35;\xB0\xA2\xA1\xA4\xC4\xBE"
                             " \xA2\xE3\r\nok";
    static const char want[] = "\xEF\xBB\xBF"
                               "\xE7\xA8\x8B\xE5\xB0\x8F\xE6\x98\x8E,\xF0\xA0\xAE\xB7;"
                               "\xE9\x98\xBF\xC2\xB7\xE6\x9C\xA8 \xE2\x82\xAC\r\nok";
    assert_every_cut(in, sizeof in - 1, want, sizeof want - 1);
}

static void test_every_cut_damaged(void **state)
{
    (void)state;
    /* a byte no sequence begins with; a lead byte with an ASCII trail; a four-byte sequence
     * broken at its third byte; a lead byte the body ends on. Each bad byte is one 0xFF and
     * what follows it is read afresh: the ASCII survives, no bad byte joins a neighbour. */
    static const char in[] = "a\xFF" "b\x81 c\x95\x34 d\xB3\xCC" "e\xB3";
    static const char want[] = "a\xFF" "b\xFF c\xFF" "4 d\xE7\xA8\x8B" "e\xFF";
    assert_every_cut(in, sizeof in - 1, want, sizeof want - 1);

    /* two bad lead bytes in a row never become a UTF-8 character (C3 A9 would be é) */
    sink_t s = convert_cut("\xC3\xFF\xA9\x7F", 4, 1, 2);
    assert_false(ingest_utf8_valid(s.buf, s.len, NULL));
}

static void test_looks_gb18030(void **state)
{
    (void)state;
    assert_true(ingest_charset_looks_gb18030("\xB3\xCC\xD0\xA1\xC3\xF7", 6));
    assert_true(ingest_charset_looks_gb18030("H1 \xCE\xC2\xD6\xDD", 7));
    assert_false(ingest_charset_looks_gb18030("na\xC3me", 5));       /* one: likely chance */
    assert_false(ingest_charset_looks_gb18030("plain", 5));          /* ASCII alone */
    assert_false(ingest_charset_looks_gb18030("\xFF\xFE", 2));       /* not GB18030 */
    assert_false(ingest_charset_looks_gb18030("\xB3", 1));           /* cut short */
    assert_false(ingest_charset_looks_gb18030("\xA8\xA6", 2));       /* é: not Chinese text */
}

/* a hukou CSV body, in UTF-8 or GB18030: a quoted note running over two lines (a column
 * ingest ignores), a name with a middle dot, a BOM in front */
#define HDR "record_id,id_number,name,household_id,relation,region,event,date,note\r\n"
static const char csv_utf8[] =
    "\xEF\xBB\xBF" HDR
    "h1," ID ",\xE7\xA8\x8B\xE5\xB0\x8F\xE6\x98\x8E,HH-1,head,330326,register,2020-01-01,\"\xE7\xA8\x8B\r\n\xE5\xB0\x8F\"\r\n"
    "h2," ID2 ",\xE9\x98\xBF\xE4\xBE\x9D\xC2\xB7\xE6\x9C\xA8,HH-1,spouse,330326,register,2020-01-01,\r\n"
    "h3," ID ",\xF0\xA0\xAE\xB7,HH-1,head,330326,update,2021-01-01,\r\n";
static const char csv_gb[] =
    "\x84\x31\x95\x33" HDR
    "h1," ID ",\xB3\xCC\xD0\xA1\xC3\xF7,HH-1,head,330326,register,2020-01-01,\"\xB3\xCC\r\n\xD0\xA1\"\r\n"
    "h2," ID2 ",\xB0\xA2\xD2\xC0\xA1\xA4\xC4\xBE,HH-1,spouse,330326,register,2020-01-01,\r\n"
    "h3," ID ",\x95\x34\xB2\x35,HH-1,head,330326,update,2021-01-01,\r\n";

static transcript_t run_charset(const char *in, size_t len, const char *charset, size_t chunk)
{
    return tr_run_charset("hukou", INGEST_CSV, in, len, chunk, false, charset);
}

static void test_stream_same_records(void **state)
{
    (void)state;
    transcript_t want = run_charset(csv_utf8, sizeof csv_utf8 - 1, "utf-8", SIZE_MAX);
    if (want.ok != 3)
        fail_msg("%s", want.buf);
    assert_contains(want.buf, "OK 4 src=hukou id=h2 ");
    assert_contains(want.buf, "OK 5 src=hukou id=h3 ");
    static const size_t chunks[] = {1, 2, 3, 5, 7, 64, SIZE_MAX};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        transcript_t t = run_charset(csv_gb, sizeof csv_gb - 1, "gb18030", chunks[i]);
        assert_string_equal(t.buf, want.buf);
        free(t.buf);
    }
    free(want.buf);
}

static void test_stream_damaged_line(void **state)
{
    (void)state;
    /* a byte of h2's name damaged: h2 alone is rejected, named in the body's charset */
    char in[sizeof csv_gb];
    memcpy(in, csv_gb, sizeof csv_gb);
    char *p = strstr(in, "\xB0\xA2");
    assert_non_null(p);
    p[1] = '\x7F';
    transcript_t t = run_charset(in, sizeof csv_gb - 1, "gb18030", 3);
    assert_int_equal(t.ok, 2);
    assert_contains(t.buf, "REJ 4 id=h2 [name:bad_encoding:name is not valid GB18030]");
    assert_contains(t.buf, "OK 5 src=hukou id=h3 ");
    free(t.buf);
}

static void test_undeclared_gbk(void **state)
{
    (void)state;
    /* GBK posted as UTF-8 (as Excel writes it: no BOM): the report says what the file is
     * and what to do */
    transcript_t t = tr_run("hukou", INGEST_CSV, csv_gb + 4, sizeof csv_gb - 5, 0);
    assert_contains(t.buf, "REJ 2 id=h1 [name:bad_encoding:name is not valid UTF-8; it reads as "
                           "GB18030 (GBK), as Excel saves CSV on a Chinese Windows: post it as "
                           "text/csv; charset=GB18030, or save it as CSV UTF-8]");
    free(t.buf);

    /* NDJSON is UTF-8 whatever is declared: a GBK line is named, and converting is the fix */
    const char *nd = "{\"record_id\":\"h1\",\"id_number\":\"" ID "\",\"name\":\"\xB3\xCC\xD0\xA1\"}\n"
                     "{\"record_id\":\"h2\",\"id_number\":\"" ID "\",\"name\":\"\xFF\xFE\"}\n";
    t = tr_run("hukou", INGEST_NDJSON, nd, strlen(nd), 0);
    assert_contains(t.buf, "REJ 1 id=h1 [name:bad_encoding:name is not valid UTF-8; the line reads "
                           "as GB18030 (GBK): NDJSON is UTF-8, so convert the file]");
    assert_contains(t.buf, "REJ 2 id=h2 [name:bad_encoding:name is not valid UTF-8]");
    free(t.buf);
}

static void test_set_charset_refusals(void **state)
{
    (void)state;
    transcript_t t = {0};
    ingest_stream_t *s = ingest_stream_new("hukou", INGEST_NDJSON, test_today(), &TR_SINK, &t);
    assert_non_null(s);
    assert_int_equal(ingest_stream_set_charset(s, "gb18030"), -1);   /* NDJSON is UTF-8 */
    assert_int_equal(ingest_stream_set_charset(s, "utf-8"), 0);
    ingest_stream_destroy(&s);

    s = ingest_stream_new("hukou", INGEST_CSV, test_today(), &TR_SINK, &t);
    assert_int_equal(ingest_stream_set_charset(s, "latin1"), -1);
    assert_int_equal(ingest_stream_feed(s, "record_id", 9), 0);
    assert_int_equal(ingest_stream_set_charset(s, "gb18030"), -1);   /* too late */
    ingest_stream_destroy(&s);
    free(t.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_every_cut_valid),
        cmocka_unit_test(test_every_cut_damaged),
        cmocka_unit_test(test_looks_gb18030),
        cmocka_unit_test(test_stream_same_records),
        cmocka_unit_test(test_stream_damaged_line),
        cmocka_unit_test(test_undeclared_gbk),
        cmocka_unit_test(test_set_charset_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
