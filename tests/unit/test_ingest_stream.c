/* ingest_stream: framing of NDJSON and CSV, chunk boundaries, limits, damaged input, and a
 * throughput figure (printed, not asserted). Today is 2026-11-23. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <time.h>

#include "ingest_json.h"
#include "ingest_text.h"

#include "test_ingest_util.h"

#define ID "330326198501011238"

static char *xstrcat(char *a, const char *b, size_t blen)
{
    size_t alen = a ? strlen(a) : 0;
    char *r = realloc(a, alen + blen + 1);
    assert_non_null(r);
    memcpy(r + alen, b, blen);
    r[alen + blen] = '\0';
    return r;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

/* Feeds `data` whole, one byte at a time and in random chunks: all three must produce the
 * same callbacks. Returns the transcript of the whole feed. */
static char *same_whatever_chunks(const char *src, ingest_format_t fmt, const char *data, size_t len)
{
    transcript_t whole = tr_run(src, fmt, data, len, 0);
    transcript_t bytes = tr_run(src, fmt, data, len, 1);
    transcript_t rnd = tr_run(src, fmt, data, len, SIZE_MAX);
    transcript_t big = tr_run(src, fmt, data, len, 4096);
    assert_string_equal(whole.buf, bytes.buf);
    assert_string_equal(whole.buf, rnd.buf);
    assert_string_equal(whole.buf, big.buf);
    free(bytes.buf);
    free(rnd.buf);
    free(big.buf);
    return whole.buf;
}

static const char *MED_OK =
    "{\"record_id\":\"m%d\",\"id_number\":\"" ID "\",\"settled_on\":\"2026-10-01\","
    "\"total\":500.00,\"insurance_paid\":300.00,\"out_of_pocket\":200.00,\"category\":\"general\"}";

static void test_ndjson_chunking(void **state)
{
    (void)state;
    char *in = NULL;
    char line[512];
    snprintf(line, sizeof line, MED_OK, 1);
    in = xstrcat(in, line, strlen(line));
    in = xstrcat(in, "\r\n\n   \r\n", 8);                       /* CRLF, blank lines */
    snprintf(line, sizeof line, MED_OK, 2);
    in = xstrcat(in, line, strlen(line));
    const char *dup = "\n{\"record_id\":\"m3\",\"x\":1,\"x\":2}\n";   /* duplicate key */
    in = xstrcat(in, dup, strlen(dup));
    const char *bad_utf8 = "{\"record_id\":\"m4\",\"hospital\":\"\xE6\xB8\xA9\xFF\"}\n";
    in = xstrcat(in, bad_utf8, strlen(bad_utf8));
    const char *cjk = "{\"record_id\":\"m5\",\"id_number\":\"" ID "\",\"settled_on\":\"2026-10-01\","
                      "\"total\":1,\"out_of_pocket\":1,\"category\":\"general\",\"hospital\":\"𠮷院\"}\n";
    in = xstrcat(in, cjk, strlen(cjk));
    /* a line over the limit, then a good one: its line number must be right */
    const char *m6 = "{\"record_id\":\"m6\",\"pad\":\"";
    in = xstrcat(in, m6, strlen(m6));
    char *pad = malloc(70000);
    memset(pad, 'a', 70000);
    in = xstrcat(in, pad, 70000);
    free(pad);
    in = xstrcat(in, "\"}\n", 3);
    snprintf(line, sizeof line, MED_OK, 7);
    in = xstrcat(in, line, strlen(line));                       /* no final newline */

    char *t = same_whatever_chunks("medical", INGEST_NDJSON, in, strlen(in));
    assert_contains(t, "OK 1 src=medical id=m1 ");
    assert_contains(t, "OK 4 src=medical id=m2 ");
    assert_contains(t, "REJ 5 id=m3 [-:bad_json:not valid JSON: duplicate object key");
    assert_contains(t, "REJ 6 id=m4 [hospital:bad_encoding:");
    assert_contains(t, "OK 7 src=medical id=m5 ");
    assert_contains(t, "hosp=𠮷院 ");
    assert_contains(t, "REJ 8 id=m6 [-:too_long:the line is longer than 65536 bytes]");
    assert_contains(t, "OK 9 src=medical id=m7 ");
    assert_contains(t, "records=7 lines=8\n");
    free(t);
    free(in);
}

static void test_ndjson_damage(void **state)
{
    (void)state;
    /* invalid UTF-8 in a key, in an unknown field, outside any string; an overlong form and
     * a surrogate; bare garbage; not an object */
    const char *in =
        "{\"record_id\":\"a1\",\"na\xC3me\":\"x\"}\n"
        "{\"record_id\":\"a2\",\"note\":\"\xC0\xAF\"}\n"
        "{\"record_id\":\"a3\",\"note\":\"\xED\xA0\x80\"}\n"
        "\xFF\xFE{}\n"
        "hello\n"
        "\"just a string\"\n"
        "null\n"
        "{\"record_id\":\"a8\"\n"
        "{\"record_id\":\"a9\",\"name\":\"\\ud800\"}\n"
        "{\"record_id\":\"a10\",\"name\":\"a\\u0000b\"}\n";
    char *t = same_whatever_chunks("hukou", INGEST_NDJSON, in, strlen(in));
    assert_contains(t, "REJ 1 id=a1 [-:bad_encoding:the line is not valid UTF-8]");
    assert_contains(t, "REJ 2 id=a2 [-:bad_encoding:");
    assert_contains(t, "REJ 3 id=a3 [-:bad_encoding:");
    assert_contains(t, "REJ 4 id=(null) [-:bad_encoding:");
    assert_contains(t, "REJ 5 id=(null) [-:bad_json:not valid JSON: ");
    assert_contains(t, "REJ 6 id=(null) [-:bad_json:a line must hold one JSON object, not a string]");
    assert_contains(t, "REJ 7 id=(null) [-:bad_json:a line must hold one JSON object, not null]");
    assert_contains(t, "REJ 8 id=a8 [-:bad_json:");
    assert_contains(t, "REJ 9 id=a9 [-:bad_json:");
    assert_contains(t, "REJ 10 id=a10 [-:bad_json:");
    assert_contains(t, "records=10 lines=10\n");
    free(t);
}

static void test_ndjson_limits(void **state)
{
    (void)state;
    /* exactly 65536 bytes is allowed (and then rejected for its content), 65537 is not */
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = 65536 + (size_t)extra;
        char *in = malloc(n + 2);
        memset(in, ' ', n);
        const char *head = "{\"record_id\":\"big\"}";
        memcpy(in, head, strlen(head));
        in[n - 1] = 'x';   /* not blank, and not JSON either */
        in[n] = '\n';
        in[n + 1] = '\0';
        transcript_t t = tr_run("civil", INGEST_NDJSON, in, n + 1, 1000);
        assert_contains(t.buf, extra ? "REJ 1 id=big [-:too_long:" : "REJ 1 id=big [-:bad_json:");
        free(t.buf);
        free(in);
    }

    /* a line of 1 MB, fed in 1 KiB chunks: rejected without being kept, the next line fine */
    size_t mb = 1 << 20;
    char *in = malloc(mb + 200);
    size_t o = (size_t)sprintf(in, "{\"record_id\":\"huge\",\"pad\":\"");
    memset(in + o, 'z', mb);
    o += mb;
    o += (size_t)sprintf(in + o, "\"}\n{\"record_id\":\"c2\",\"id_number\":\"" ID
                                 "\",\"event\":\"death\",\"date\":\"2026-01-01\"}\n");
    transcript_t t = tr_run("civil", INGEST_NDJSON, in, o, 1024);
    assert_contains(t.buf, "REJ 1 id=huge [-:too_long:");
    assert_contains(t.buf, "OK 2 src=civil id=c2 ");
    free(t.buf);
    /* the same at the end of the body, without a newline */
    t = tr_run("civil", INGEST_NDJSON, in, 28 + mb, 4096);
    assert_contains(t.buf, "REJ 1 id=huge [-:too_long:");
    assert_contains(t.buf, "records=1 lines=0\n");
    free(t.buf);
    free(in);

    /* 100,000-deep nesting is over the line limit; 30,000-deep is within it and jansson's
     * depth limit turns it down without recursing that deep */
    size_t depths[] = {100000, 30000};
    for (size_t k = 0; k < 2; k++) {
        size_t d = depths[k];
        char *deep = malloc(2 * d + 64);
        size_t n = (size_t)sprintf(deep, "{\"record_id\":\"deep\",\"x\":");
        memset(deep + n, '[', d);
        n += d;
        memset(deep + n, ']', d);
        n += d;
        deep[n++] = '}';
        deep[n++] = '\n';
        t = tr_run("civil", INGEST_NDJSON, deep, n, 0);
        assert_contains(t.buf, k == 0 ? "REJ 1 id=deep [-:too_long:" : "REJ 1 id=deep [-:bad_json:");
        free(t.buf);
        free(deep);
    }
}

static const char *CSV_HDR = "record_id,id_number,settled_on,total,insurance_paid,out_of_pocket,category,hospital\r\n";

static void test_csv_quoting(void **state)
{
    (void)state;
    char *in = xstrcat(NULL, "\xEF\xBB\xBF", 3);
    in = xstrcat(in, CSV_HDR, strlen(CSV_HDR));
    const char *rows =
        "m1," ID ",2026-10-01,500.00,300.00,200.00,general,\"温州, 第一\"\r\n"     /* 2 */
        "m2," ID ",2026-10-01,\"500\",,\"200.00\",serious,\"He said \"\"hi\"\"\"\r\n"   /* 3 */
        "\"m3\"," ID ",2026-10-01,1,0,1,chronic,\"two\r\nlines\nthree\"\r\n"       /* 4-6 */
        "\r\n"                                                                      /* 7 blank */
        "m4," ID ",2026-10-01,1,0,1,general\r\n"                                    /* 8 */
        "m5," ID ",2026-10-01,1,0,1,general,x,extra\r\n"                            /* 9 */
        "m6," ID ",2026-10-01,1,0,1,general,\"closed\"junk\r\n"                    /* 10 */
        "m7," ID ",2026-10-01,1,0,1,general,\"spaces after\"  \n"                  /* 11 */
        "  \n"                                                                      /* 12 blank */
        "m8," ID ",2026-10-01,1,0,1,general,plain \"quote\" inside\n"              /* 13 */
        ",,,,,,,\n"                                                                 /* 14 */
        "m10," ID ",2026-10-01,1,0,1,general,\"never closed\n"                     /* 15-16 */
        "m11,x,y\n";
    in = xstrcat(in, rows, strlen(rows));
    char *t = same_whatever_chunks("medical", INGEST_CSV, in, strlen(in));
    assert_contains(t, "OK 2 src=medical id=m1 ");
    assert_contains(t, "hosp=温州, 第一 ");
    assert_contains(t, "OK 3 src=medical id=m2 ");
    assert_contains(t, "tot=50000 ins=30000 oop=20000 cat=serious hosp=He said \"hi\" ");
    assert_contains(t, "OK 4 src=medical id=m3 ");
    assert_contains(t, "hosp=two\r\nlines\nthree ");
    assert_contains(t, "REJ 8 id=m4 [-:bad_csv:the record has 7 fields, the header has 8]");
    assert_contains(t, "REJ 9 id=m5 [-:bad_csv:the record has 9 fields, the header has 8]");
    assert_contains(t, "REJ 10 id=m6 [-:bad_csv:text follows the closing quote");
    assert_contains(t, "OK 11 src=medical id=m7 ");
    assert_contains(t, "OK 13 src=medical id=m8 ");
    assert_contains(t, "hosp=plain \"quote\" inside ");
    assert_contains(t, "REJ 14 id=(null) [record_id:missing_field:");
    /* the unclosed quote swallows the rest of the body into one record */
    assert_contains(t, "REJ 15 id=m10 [-:bad_csv:a quoted field is not closed");
    assert_contains(t, "records=10 lines=16\n");
    free(t);
    free(in);
}

static void test_csv_header(void **state)
{
    (void)state;
    /* case and spaces in the header ignored, unknown columns ignored, columns in any order,
     * LF line ends, no BOM; a missing column is a missing field */
    const char *in = " Event ,Notes,DATE,record_id,id_number\n"
                     "death,whatever,2026-11-01,c1," ID "\n"
                     "marriage,,2026-11-02,c2," ID "\n";
    transcript_t t = tr_run("civil", INGEST_CSV, in, strlen(in), 0);
    assert_contains(t.buf, "OK 2 src=civil id=c1 idn=" ID " date=2026-11-01 ev=death ");
    assert_contains(t.buf, "OK 3 src=civil id=c2 ");
    free(t.buf);

    in = "record_id,id_number,date\nc1," ID ",2026-11-01\n";
    t = tr_run("civil", INGEST_CSV, in, strlen(in), 0);
    assert_contains(t.buf, "REJ 2 id=c1 [event:missing_field:event is required]");
    free(t.buf);

    /* a known column twice: every record is rejected, and counted */
    in = "record_id,event,date,event,id_number\nc1,death,2026-11-01,death," ID "\nc2,a,b,c,d\n";
    t = tr_run("civil", INGEST_CSV, in, strlen(in), 0);
    assert_contains(t.buf, "REJ 2 id=(null) [-:bad_csv:the header names column \"event\" twice]");
    assert_contains(t.buf, "REJ 3 id=(null) [-:bad_csv:");
    assert_contains(t.buf, "records=2 ");
    free(t.buf);

    /* leading blank lines: the header is the first line that is not blank */
    in = "\n\nrecord_id,id_number,event,date\nc1," ID ",death,2026-11-01\n";
    t = tr_run("civil", INGEST_CSV, in, strlen(in), 1);
    assert_contains(t.buf, "OK 4 src=civil id=c1 ");
    free(t.buf);

    /* a header alone, an empty body, a lone BOM */
    const char *empties[] = {"record_id,id_number\n", "", "\xEF\xBB\xBF", "\xEF\xBB", "\n\n"};
    for (size_t i = 0; i < 5; i++) {
        t = tr_run("civil", INGEST_CSV, empties[i], strlen(empties[i]), 1);
        assert_int_equal(t.ok + t.rejected, 0);
        free(t.buf);
    }
    /* two bytes of a BOM that is not one are data: here, not UTF-8 */
    in = "\xEF\xBB{\"record_id\":\"x\"}\n";
    t = tr_run("civil", INGEST_NDJSON, in, strlen(in), 1);
    assert_contains(t.buf, "REJ 1 id=x [-:bad_encoding:");
    free(t.buf);
}

static void test_csv_damage(void **state)
{
    (void)state;
    /* invalid UTF-8 in a known and an unknown column; bare CR line ends; a record of 1 MB
     * inside quotes spanning lines, after which numbering goes on right */
    const char *hdr = "record_id,id_number,event,date,note\r";
    char *in = xstrcat(NULL, hdr, strlen(hdr));
    const char *r1 = "c1," ID ",d\xE9" "ath,2026-11-01,\xFF\r";
    in = xstrcat(in, r1, strlen(r1));
    in = xstrcat(in, "c2,", 3);
    in = xstrcat(in, "\"", 1);
    char *pad = malloc(1 << 20);
    for (int i = 0; i < (1 << 20); i++)
        pad[i] = (i % 1000 == 999) ? '\n' : 'p';
    in = xstrcat(in, pad, 1 << 20);
    free(pad);
    const char *r3 = "\"," ID ",death,2026-11-01,\n"
                     "c3," ID ",death,2026-11-01,ok\n";
    in = xstrcat(in, r3, strlen(r3));
    char *t = same_whatever_chunks("civil", INGEST_CSV, in, strlen(in));
    assert_contains(t, "REJ 2 id=c1 [event:bad_encoding:event is not valid UTF-8] "
                       "[note:bad_encoding:note is not valid UTF-8]");
    assert_contains(t, "REJ 3 id=c2 [-:too_long:the record is longer than 65536 bytes]");
    /* 1,048,576 bytes with a newline every 1000: 1048 newlines inside the quotes */
    assert_contains(t, "OK 1052 src=civil id=c3 ");
    free(t);
    free(in);
}

/* Randomly damaged bodies, CSV and NDJSON: whatever the damage, every chunking gives the
 * same callbacks, and nothing crashes or leaks (this runs under ASan). */
static void test_fuzz_chunking(void **state)
{
    (void)state;
    static const char *const csv_base =
        "\xEF\xBB\xBFrecord_id,id_number,event,date,note\r\n"
        "c1," ID ",death,2026-11-01,\"a, \"\"quoted\"\"\r\nnote\"\r\n"
        "c2," ID ",marriage,2026/1/5,plain\n"
        "\n"
        "c3," ID ",divorce,20260105,\"\"\r\n";
    static const char *const nd_base =
        "{\"record_id\":\"c1\",\"id_number\":\"" ID "\",\"event\":\"death\",\"date\":\"2026-11-01\"}\r\n"
        "\n"
        "{\"record_id\":\"c2\",\"id_number\":\"" ID "\",\"event\":\"Marriage\",\"date\":20260105}\n"
        "{\"record_id\":\"c3\",\"id_number\":\"" ID "\",\"event\":\"divorce\",\"date\":\"\\u0032026-01-05\"}";
    static const char *const bits[] = {
        "\"", ",", "\r", "\n", "\r\n", "\"\"", "\xEF", "\xEF\xBB\xBF", "\xFF", "\xE7\xA8", "程",
        "𠮷", "{", "}", "\\", ":", " ", "x", "\"\r\n\"", ",,", "\0",
    };
    unsigned seed = 7;
#define RND(n) ((seed = seed * 1103515245u + 12345u), (seed >> 8) % (n))
    size_t total_records = 0;
    for (int doc = 0; doc < 600; doc++) {
        int csv = doc % 2 == 0;
        char body[2048];
        size_t len = strlen(csv ? csv_base : nd_base);
        memcpy(body, csv ? csv_base : nd_base, len);
        int muts = 1 + (int)RND(4);
        for (int m = 0; m < muts; m++) {
            size_t at = RND(len + 1);
            char tmp[2048];
            size_t n = 0;
            if (RND(3) == 0) {              /* delete a few bytes */
                size_t del = 1 + RND(4);
                if (at + del > len)
                    del = len - at;
                memcpy(tmp, body, at);
                memcpy(tmp + at, body + at + del, len - at - del);
                n = len - del;
            } else {                         /* insert a bit (NUL counts as one byte) */
                const char *b = bits[RND(sizeof bits / sizeof bits[0])];
                size_t bl = b[0] ? strlen(b) : 1;
                if (len + bl >= sizeof tmp)
                    continue;
                memcpy(tmp, body, at);
                memcpy(tmp + at, b, bl);
                memcpy(tmp + at + bl, body + at, len - at);
                n = len + bl;
            }
            memcpy(body, tmp, n);
            len = n;
        }
        char *t = same_whatever_chunks("civil", csv ? INGEST_CSV : INGEST_NDJSON, body, len);
        const char *r = strstr(t, "records=");
        assert_non_null(r);
        total_records += strtoul(r + 8, NULL, 10);
        free(t);
    }
#undef RND
    assert_true(total_records > 1000);
}

/* A callback's non-zero return stops the stream, and stays. */
static void test_stop(void **state)
{
    (void)state;
    char in[2048] = "";
    for (int i = 1; i <= 5; i++) {
        char line[512];
        snprintf(line, sizeof line, MED_OK, i);
        strcat(in, line);
        strcat(in, "\n");
    }
    transcript_t t = {0};
    t.stop_after = 2;
    ingest_stream_t *s = ingest_stream_new("medical", INGEST_NDJSON, test_today(), &TR_SINK, &t);
    assert_non_null(s);
    assert_int_equal(ingest_stream_feed(s, in, strlen(in)), 7);
    assert_int_equal(t.ok, 2);
    assert_int_equal(ingest_stream_feed(s, in, strlen(in)), 7);
    assert_int_equal(ingest_stream_finish(s), 7);
    assert_int_equal(t.ok, 2);
    assert_int_equal(ingest_stream_records(s), 2);
    ingest_stream_destroy(&s);
    ingest_stream_destroy(&s);
    assert_null(s);
    free(t.buf);

    /* NULL callbacks: counted, dropped; after finish, feed is an error */
    ingest_sink_t none = {NULL, NULL};
    s = ingest_stream_new("medical", INGEST_NDJSON, test_today(), &none, NULL);
    assert_int_equal(ingest_stream_feed(s, in, strlen(in)), 0);
    assert_int_equal(ingest_stream_feed(s, "garbage\n", 8), 0);
    assert_int_equal(ingest_stream_finish(s), 0);
    assert_int_equal(ingest_stream_records(s), 6);
    assert_int_equal(ingest_stream_feed(s, "x", 1), -1);
    ingest_stream_destroy(&s);

    assert_null(ingest_stream_new("police", INGEST_NDJSON, test_today(), &none, NULL));
}

static void test_content_type(void **state)
{
    (void)state;
    ingest_format_t f = INGEST_CSV;
    assert_int_equal(ingest_format_from_content_type("application/x-ndjson", &f), 0);
    assert_int_equal(f, INGEST_NDJSON);
    assert_int_equal(ingest_format_from_content_type("Text/CSV; charset=utf-8", &f), 0);
    assert_int_equal(f, INGEST_CSV);
    assert_int_equal(ingest_format_from_content_type("application/json", &f), -1);
    assert_int_equal(ingest_format_from_content_type("text/csvx", &f), -1);
    assert_int_equal(ingest_format_from_content_type(NULL, &f), -1);
}

/* ---- the NDJSON fast path against jansson */

static void test_fast_path_reads(void **state)
{
    (void)state;
    ingest_field_t fields[INGEST_FIELD_COUNT];
    size_t nf = ingest_source_fields(INGEST_MEDICAL, fields, INGEST_FIELD_COUNT);
    ingest_json_t *j = ingest_json_new(fields, nf);
    assert_non_null(j);
    ingest_value_t v[INGEST_FIELD_COUNT];

    const char *line = " { \"record_id\" : \"m\\u0031\\\"\" , \"total\":500.25,\"out_of_pocket\":-0,"
                       "\"category\":null,\"hospital\":\"\\u6e29\\ud83d\\ude00\",\"x\":[1],\"y\":true}";
    /* an array in an unknown member is still nesting: declined */
    assert_false(ingest_json_read(j, line, strlen(line), v));
    line = " { \"record_id\" : \"m\\u0031\\\"\" , \"total\":500.25,\"out_of_pocket\":-0,"
           "\"category\":null,\"hospital\":\"\\u6e29\\ud83d\\ude00\",\"y\":true,\"\":\"\"} ";
    assert_true(ingest_json_read(j, line, strlen(line), v));
    assert_int_equal(v[INGEST_F_RECORD_ID].kind, INGEST_V_TEXT);
    assert_int_equal(v[INGEST_F_RECORD_ID].len, 3);
    assert_memory_equal(v[INGEST_F_RECORD_ID].text, "m1\"", 3);
    assert_int_equal(v[INGEST_F_TOTAL].kind, INGEST_V_NUMBER);
    assert_true(json_is_real(v[INGEST_F_TOTAL].json));
    assert_true(json_real_value(v[INGEST_F_TOTAL].json) == 500.25);
    assert_true(json_is_integer(v[INGEST_F_OUT_OF_POCKET].json));
    assert_int_equal(json_integer_value(v[INGEST_F_OUT_OF_POCKET].json), 0);
    assert_int_equal(v[INGEST_F_CATEGORY].kind, INGEST_V_NULL);
    assert_int_equal(v[INGEST_F_ID_NUMBER].kind, INGEST_V_ABSENT);
    assert_int_equal(v[INGEST_F_HOSPITAL].len, 7);
    assert_memory_equal(v[INGEST_F_HOSPITAL].text, "温\xF0\x9F\x98\x80", 7);
    assert_true(ingest_json_read(j, "{}", 2, v));
    assert_true(ingest_json_read(j, "{\"grade\":{\"a\":1}}", 0, v) == false);

    const char *declined[] = {
        "", "[]", "\"s\"", "{", "{\"a\":1,}", "{\"a\":1}x", "{\"a\" 1}", "{\"a\":}", "{a:1}",
        "{\"total\":1,\"total\":2}", "{\"x\":1,\"x\":2}", "{\"\\u0078\":1,\"x\":2}",
        "{\"total\":1e5}", "{\"total\":1E5}", "{\"total\":01}", "{\"total\":1.}", "{\"total\":.5}",
        "{\"total\":+1}", "{\"total\":-}", "{\"x\":1234567890123456789}",
        "{\"x\":\"a\\u0000b\"}", "{\"x\":\"\\ud800\"}", "{\"x\":\"\\udc00\"}", "{\"x\":\"\\ud800\\u0041\"}",
        "{\"x\":\"\\x\"}", "{\"x\":\"\\u12\"}", "{\"x\":\"a\tb\"}", "{\"x\":\"abc}", "{\"x\":nul}",
        "{\"x\":truex}", "{\"x\":{}}", "{\"x\":[]}", "{\"x\":1 2}",
    };
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++)
        if (ingest_json_read(j, declined[i], strlen(declined[i]), v))
            fail_msg("fast path accepted %s", declined[i]);
    ingest_json_destroy(&j);
    ingest_json_destroy(&j);
    assert_null(j);
}

static void compare_paths(const char *src, const char *data, size_t len, size_t *ok, size_t *rej)
{
    transcript_t fast = tr_run_mode(src, INGEST_NDJSON, data, len, 0, false);
    transcript_t slow = tr_run_mode(src, INGEST_NDJSON, data, len, 0, true);
    if (strcmp(fast.buf, slow.buf) != 0) {
        /* show the first line that differs */
        const char *a = fast.buf, *b = slow.buf;
        while (*a && *a == *b)
            a++, b++;
        while (a > fast.buf && a[-1] != '\n')
            a--, b--;
        fail_msg("%s: fast path and jansson differ:\nfast: %.300s\njansson: %.300s", src, a, b);
    }
    *ok += fast.ok;
    *rej += fast.rejected;
    free(fast.buf);
    free(slow.buf);
}

static void test_fast_vs_jansson(void **state)
{
    (void)state;
    size_t ok = 0, rej = 0;
    /* every NDJSON file of the corpus */
    const char *root = getenv("SAIS_SOURCE_DIR");
    int files = 0;
    for (int k = 0; k < INGEST_SOURCE_COUNT; k++) {
        const char *src = ingest_source_name((ingest_source_t)k);
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tests/corpus/%s", root ? root : ".", src);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 7 || strcmp(e->d_name + n - 7, ".ndjson") != 0)
                continue;
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            FILE *f = fopen(path, "rb");
            assert_non_null(f);
            static char buf[1 << 20];
            size_t len = fread(buf, 1, sizeof buf, f);
            fclose(f);
            compare_paths(src, buf, len, &ok, &rej);
            files++;
        }
        closedir(d);
    }
    assert_true(files > 0);

    /* valid lines of every source, damaged at random in ways JSON cares about */
    static const char *const bases[INGEST_SOURCE_COUNT] = {
        "{\"record_id\":\"h1\",\"id_number\":\"" ID "\",\"name\":\"\\u7a0b小明\",\"household_id\":\"HH-1\","
        "\"relation\":\"head\",\"region\":330326,\"phone\":\"13800138000\",\"event\":\"register\",\"date\":\"2020-05-01\"}",
        "{\"record_id\":\"m1\",\"id_number\":\"" ID "\",\"settled_on\":\"2026-10-01\",\"total\":50000.00,"
        "\"insurance_paid\":9800,\"out_of_pocket\":\"40200.00\",\"category\":\"serious\",\"hospital\":\"院\"}",
        "{\"record_id\":\"d1\",\"id_number\":\"" ID "\",\"certificate\":\"C1\",\"category\":\"physical\","
        "\"grade\":2,\"issued_on\":\"2019-03-01\",\"status\":\"active\"}",
        "{\"record_id\":\"w1\",\"id_number\":\"" ID "\",\"month\":\"2026-10\",\"kind\":\"wage\",\"amount\":1500.5}",
        "{\"record_id\":\"c1\",\"id_number\":\"" ID "\",\"event\":\"death\",\"date\":20261101}",
        "{\"record_id\":\"j1\",\"id_number\":\"" ID "\",\"event\":\"released\",\"date\":\"2026-06-01\",\"facility\":null}",
        "{\"record_id\":\"a1\",\"id_number\":\"" ID "\",\"kind\":\"vehicle\",\"value\":0.1,\"as_of\":\"2026-09-30\"}",
    };
    static const char *const bits[] = {
        "{", "}", "[", "]", "\"", "\\", ":", ",", ".", "-", "+", "e", "E", "0", "1", "9", "00",
        "n", "null", "true", "false", " ", "\t", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\u0000",
        "\\n", "é", "𠮷", "\"x\":1,", "\"total\":", "\"record_id\":\"d\",", "\"grade\":",
        "12345678901234567890", "1e5", "0.1", "2.0", "45231", "\"\"", "\\\"", "\x7f",
    };
    unsigned seed = 2026;
    size_t read_fast = 0;
#define RND(n) ((seed = seed * 1103515245u + 12345u), (seed >> 8) % (n))
    for (int k = 0; k < INGEST_SOURCE_COUNT; k++) {
        size_t cap = 4000 * 512, len = 0;
        char *data = malloc(cap);
        assert_non_null(data);
        ingest_field_t fields[INGEST_FIELD_COUNT];
        size_t nf = ingest_source_fields((ingest_source_t)k, fields, INGEST_FIELD_COUNT);
        ingest_json_t *j = ingest_json_new(fields, nf);
        ingest_value_t v[INGEST_FIELD_COUNT];
        for (int i = 0; i < 3000; i++) {
            char line[512];
            snprintf(line, sizeof line, "%s", bases[k]);
            int muts = 1 + (int)RND(3);
            for (int m = 0; m < muts; m++) {
                size_t l = strlen(line), at = RND(l + 1);
                int op = (int)RND(3);
                char tmp[512];
                if (op == 0 || op == 2) {   /* insert, or replace one byte */
                    const char *b = bits[RND(sizeof bits / sizeof bits[0])];
                    size_t skip = (op == 2 && at < l) ? 1 : 0;
                    snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)at, line, b, line + at + skip);
                } else {                    /* delete up to 3 bytes */
                    size_t del = 1 + RND(3);
                    if (at + del > l)
                        del = l - at;
                    snprintf(tmp, sizeof tmp, "%.*s%s", (int)at, line, line + at + del);
                }
                memcpy(line, tmp, sizeof line);
            }
            size_t l = strlen(line);
            if (ingest_utf8_valid(line, l, NULL) && ingest_json_read(j, line, l, v))
                read_fast++;
            memcpy(data + len, line, l);
            len += l;
            data[len++] = '\n';
        }
        compare_paths(ingest_source_name((ingest_source_t)k), data, len, &ok, &rej);
        ingest_json_destroy(&j);
        free(data);
    }
#undef RND
    printf("fast path vs jansson: %zu lines read by the fast path; %zu accepted, %zu rejected, "
           "identical\n", read_fast, ok, rej);
    /* the comparison means something only if both paths saw plenty */
    assert_true(read_fast > 3000);
    assert_true(ok > 300);
    assert_true(rej > 3000);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int count_record(void *ctx, uint32_t line, Ing__Fact *f)
{
    (void)line;
    (void)f;
    ++*(size_t *)ctx;
    return 0;
}

static int count_reject(void *ctx, uint32_t line, const char *id, const ingest_error_t *e, size_t n)
{
    (void)ctx, (void)line, (void)id, (void)e, (void)n;
    return 1;   /* the generated data has no bad record */
}

/* Throughput on 200,000 generated medical records, NDJSON and CSV, fed in 64 KiB chunks.
 * Printed for the record; not asserted (this build may run under sanitizers). */
static void test_bench(void **state)
{
    (void)state;
    const size_t N = 200000;
    for (int fmt = 0; fmt < 2; fmt++) {
        size_t cap = N * 260 + 256, len = 0;
        char *buf = malloc(cap);
        assert_non_null(buf);
        if (fmt == INGEST_CSV)
            len += (size_t)sprintf(buf, "%s", CSV_HDR);
        for (size_t i = 0; i < N; i++) {
            long total = 1000 + (long)(i % 50000) * 7;
            long oop = total / 3;
            if (fmt == INGEST_NDJSON)
                len += (size_t)sprintf(buf + len,
                                       "{\"record_id\":\"med-%zu\",\"id_number\":\"" ID "\","
                                       "\"settled_on\":\"2026-%02zu-%02zu\",\"total\":%ld.%02ld,"
                                       "\"insurance_paid\":%ld.%02ld,\"out_of_pocket\":%ld.%02ld,"
                                       "\"category\":\"serious\",\"hospital\":\"温州医科大学附属第一医院\"}\n",
                                       i, 1 + i % 10, 1 + i % 28, total / 100, total % 100,
                                       (total - oop) / 100, (total - oop) % 100, oop / 100, oop % 100);
            else
                len += (size_t)sprintf(buf + len,
                                       "med-%zu," ID ",2026-%02zu-%02zu,%ld.%02ld,%ld.%02ld,%ld.%02ld,"
                                       "serious,温州医科大学附属第一医院\r\n",
                                       i, 1 + i % 10, 1 + i % 28, total / 100, total % 100,
                                       (total - oop) / 100, (total - oop) % 100, oop / 100, oop % 100);
        }
        size_t ok = 0;
        ingest_sink_t sink = {count_record, count_reject};
        double t0 = now_s();
        ingest_stream_t *s = ingest_stream_new("medical", fmt, test_today(), &sink, &ok);
        assert_non_null(s);
        for (size_t off = 0; off < len; off += 65536)
            assert_int_equal(ingest_stream_feed(s, buf + off, len - off < 65536 ? len - off : 65536), 0);
        assert_int_equal(ingest_stream_finish(s), 0);
        double dt = now_s() - t0;
        ingest_stream_destroy(&s);
        assert_int_equal(ok, N);
        printf("bench: %s %zu medical records in %.3f s = %.0f records/s (%.1f MB/s)\n",
               fmt == INGEST_NDJSON ? "NDJSON" : "CSV", N, dt, (double)N / dt, (double)len / dt / 1e6);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndjson_chunking),
        cmocka_unit_test(test_ndjson_damage),
        cmocka_unit_test(test_ndjson_limits),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_damage),
        cmocka_unit_test(test_fuzz_chunking),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_fast_path_reads),
        cmocka_unit_test(test_fast_vs_jansson),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
