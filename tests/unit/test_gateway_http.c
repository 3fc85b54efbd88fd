/* Reading requests: percent-decoding, UTF-8, path traversal, the query string, headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_http.h"

static void pct_decode(void **state)
{
    (void)state;
    char out[64];
    size_t n;
    assert_int_equal(gw_pct_decode("a%20b", 5, false, out, &n), 0);
    assert_string_equal(out, "a b");
    assert_int_equal(n, 3);
    assert_int_equal(gw_pct_decode("a+b", 3, false, out, &n), 0);
    assert_string_equal(out, "a+b");
    assert_int_equal(gw_pct_decode("a+b", 3, true, out, &n), 0);
    assert_string_equal(out, "a b");
    assert_int_equal(gw_pct_decode("%E7%A8%8B", 9, false, out, &n), 0);
    assert_string_equal(out, "程");
    assert_int_equal(gw_pct_decode("%2f%2F", 6, false, out, &n), 0);
    assert_string_equal(out, "//");
    assert_int_equal(gw_pct_decode("%00", 3, false, out, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], '\0');
    assert_int_equal(gw_pct_decode("%", 1, false, out, &n), -1);
    assert_int_equal(gw_pct_decode("%4", 2, false, out, &n), -1);
    assert_int_equal(gw_pct_decode("%zz", 3, false, out, &n), -1);
    assert_int_equal(gw_pct_decode("ab%g1", 5, false, out, &n), -1);
}

static void utf8(void **state)
{
    (void)state;
    assert_true(gw_utf8_valid("", 0));
    assert_true(gw_utf8_valid("abc", 3));
    assert_true(gw_utf8_valid("程成钊", strlen("程成钊")));
    assert_true(gw_utf8_valid("𠮷", 4));
    assert_false(gw_utf8_valid("\xC0\xAF", 2));          /* overlong '/' */
    assert_false(gw_utf8_valid("\xE0\x80\xAF", 3));      /* overlong */
    assert_false(gw_utf8_valid("\xED\xA0\x80", 3));      /* surrogate */
    assert_false(gw_utf8_valid("\xF4\x90\x80\x80", 4));  /* above U+10FFFF */
    assert_false(gw_utf8_valid("\xE7\xA8", 2));          /* truncated */
    assert_false(gw_utf8_valid("\x80", 1));
    assert_false(gw_utf8_valid("\xFF", 1));
}

static gw_path_status_t parse(const char *s, gw_path_t *p)
{
    return gw_path_parse(s, strlen(s), p);
}

static void paths(void **state)
{
    (void)state;
    gw_path_t p;
    assert_int_equal(parse("/v1/persons/330326199001011235", &p), GW_PATH_OK);
    assert_int_equal(p.nseg, 3);
    assert_string_equal(p.seg[0], "v1");
    assert_string_equal(p.seg[2], "330326199001011235");
    gw_path_free(&p);

    assert_int_equal(parse("/", &p), GW_PATH_OK);
    assert_int_equal(p.nseg, 0);
    gw_path_free(&p);

    assert_int_equal(parse("/a/", &p), GW_PATH_OK);
    assert_int_equal(p.nseg, 2);
    assert_string_equal(p.seg[1], "");
    gw_path_free(&p);

    assert_int_equal(parse("/v1/households/%E7%A8%8B", &p), GW_PATH_OK);
    assert_string_equal(p.seg[2], "程");
    gw_path_free(&p);

    /* traversal, plain or encoded, in any case */
    static const char *const trav[] = {
        "/console/../etc/passwd", "/console/%2e%2e/x", "/console/%2E%2E/x", "/console/.%2e/x",
        "/console/./x", "/..", "/console/%2e",
    };
    for (size_t i = 0; i < sizeof trav / sizeof trav[0]; i++) {
        gw_path_status_t st = parse(trav[i], &p);
        if (st != GW_PATH_TRAVERSAL) fail_msg("%s: %d", trav[i], st);
    }
    /* an encoded separator, NUL, control bytes, invalid UTF-8, bad escapes */
    static const char *const bad[] = {
        "/console/a%2fb", "/console/..%2fetc", "/console/a%5cb", "/v1/persons/%00",
        "/v1/persons/a%0ab", "/v1/persons/%C0%AF", "/v1/persons/%FF", "/v1/persons/%zz",
        "/v1/persons/%4", "relative", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_path_status_t st = parse(bad[i], &p);
        if (st != GW_PATH_BAD) fail_msg("%s: %d", bad[i], st);
    }
    /* "..." is a name, not traversal */
    assert_int_equal(parse("/console/...", &p), GW_PATH_OK);
    gw_path_free(&p);
    assert_int_equal(parse("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", &p), GW_PATH_TOO_DEEP);
}

static void query(void **state)
{
    (void)state;
    gw_params_t p = {.n = 0};
    char err[128];
    assert_int_equal(gw_params_add(&p, "id", "capture"), 0);
    const char *q = "region=3303&status=open&name=%E7%A8%8B+x&id=override&flag&&empty=";
    assert_int_equal(gw_query_parse(q, strlen(q), &p, err, sizeof err), 0);
    assert_string_equal(gw_params_get(&p, "region"), "3303");
    assert_string_equal(gw_params_get(&p, "status"), "open");
    assert_string_equal(gw_params_get(&p, "name"), "程 x");
    assert_string_equal(gw_params_get(&p, "id"), "capture");   /* a query cannot override */
    assert_string_equal(gw_params_get(&p, "flag"), "");
    assert_string_equal(gw_params_get(&p, "empty"), "");
    assert_null(gw_params_get(&p, "missing"));
    gw_params_free(&p);

    static const char *const bad[] = {"a=%zz", "a=%", "a=%FF", "a=%C0%AF", "%00=1", "a=b%0a", "=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_params_t b = {.n = 0};
        if (gw_query_parse(bad[i], strlen(bad[i]), &b, err, sizeof err) != -1) fail_msg("%s accepted", bad[i]);
        gw_params_free(&b);
    }
    /* bounded */
    char many[GW_MAX_PARAMS * 8 + 64] = "";
    size_t o = 0;
    for (int i = 0; i < GW_MAX_PARAMS + 1; i++) o += (size_t)snprintf(many + o, sizeof many - o, "k%d=1&", i);
    gw_params_t m = {.n = 0};
    assert_int_equal(gw_query_parse(many, o, &m, err, sizeof err), -1);
    gw_params_free(&m);
}

static void headers(void **state)
{
    (void)state;
    assert_true(gw_ctype_is("application/json", "application/json"));
    assert_true(gw_ctype_is("Application/JSON; charset=utf-8", "application/json"));
    assert_true(gw_ctype_is(" text/csv ;header=present", "text/csv"));
    assert_false(gw_ctype_is("application/jsonx", "application/json"));
    assert_false(gw_ctype_is("text/plain", "application/json"));
    assert_false(gw_ctype_is(NULL, "application/json"));

    /* a feed's charset: case, spaces and quotes as RFC 9110 allows; absent, empty, unclosed */
    char cs[32];
    assert_int_equal(gw_ctype_param("text/csv; charset=GBK", "charset", cs, sizeof cs), 1);
    assert_string_equal(cs, "GBK");
    assert_int_equal(gw_ctype_param("text/csv;header=present ; CharSet = \"gb18030\"", "charset", cs,
                                    sizeof cs), 1);
    assert_string_equal(cs, "gb18030");
    assert_int_equal(gw_ctype_param("text/csv; xcharset=gbk", "charset", cs, sizeof cs), 0);
    assert_int_equal(gw_ctype_param("text/csv", "charset", cs, sizeof cs), 0);
    assert_int_equal(gw_ctype_param(NULL, "charset", cs, sizeof cs), 0);
    assert_int_equal(gw_ctype_param("text/csv; foo; charset=utf-8", "charset", cs, sizeof cs), 1);
    assert_string_equal(cs, "utf-8");
    assert_int_equal(gw_ctype_param("text/csv; charset=", "charset", cs, sizeof cs), -1);
    assert_int_equal(gw_ctype_param("text/csv; charset=\"gbk", "charset", cs, sizeof cs), -1);
    assert_int_equal(gw_ctype_param("text/csv; charset=0123456789012345678901234567890123456789",
                                    "charset", cs, sizeof cs), -1);

    char rid[GW_RID_MAX];
    assert_true(gw_request_id("abc-123", rid));
    assert_string_equal(rid, "abc-123");
    assert_false(gw_request_id(NULL, rid));
    assert_int_equal(strlen(rid), 32);
    char other[GW_RID_MAX];
    assert_false(gw_request_id("has space", other));
    assert_int_equal(strlen(other), 32);
    assert_string_not_equal(rid, other);
    char longid[300];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_false(gw_request_id(longid, rid));
    assert_false(gw_request_id("", rid));
    /* generated ids never repeat */
    enum { NIDS = 2000 };
    char (*ids)[GW_RID_MAX] = calloc(NIDS, GW_RID_MAX);
    assert_non_null(ids);
    for (int i = 0; i < NIDS; i++)
        assert_false(gw_request_id(NULL, ids[i]));
    qsort(ids, NIDS, GW_RID_MAX, (int (*)(const void *, const void *))strcmp);
    for (int i = 1; i < NIDS; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);

    size_t n;
    const char *t = gw_bearer("Bearer sais_x_y", &n);
    assert_non_null(t);
    assert_int_equal(n, 8);
    assert_memory_equal(t, "sais_x_y", 8);
    t = gw_bearer("bearer   tok  ", &n);
    assert_non_null(t);
    assert_int_equal(n, 3);
    assert_null(gw_bearer("Basic dXNlcjpwYXNz", &n));
    assert_null(gw_bearer("Bearer", &n));
    assert_null(gw_bearer("Bearer   ", &n));
    assert_null(gw_bearer("Bearertok", &n));
    assert_null(gw_bearer(NULL, &n));

    assert_true(gw_batch_id_valid("2026-11-23.medical:1_a"));
    assert_false(gw_batch_id_valid(""));
    assert_false(gw_batch_id_valid(NULL));
    assert_false(gw_batch_id_valid("a/b"));
    assert_false(gw_batch_id_valid("a b"));
    assert_false(gw_batch_id_valid("程"));
    char b65[66];
    memset(b65, 'b', 65);
    b65[65] = '\0';
    assert_false(gw_batch_id_valid(b65));
    b65[64] = '\0';
    assert_true(gw_batch_id_valid(b65));
}

static void json_depth(void **state)
{
    (void)state;
    const char *ok = "{\"a\":[{\"b\":[1,2]}],\"s\":\"[[[[[[\\\"{{{{\"}";
    assert_true(gw_json_depth_ok(ok, strlen(ok), 4));
    assert_false(gw_json_depth_ok(ok, strlen(ok), 3));
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_false(gw_json_depth_ok(deep, sizeof deep, GW_JSON_MAX_DEPTH));
    assert_true(gw_json_depth_ok(deep, sizeof deep, 100));
    assert_true(gw_json_depth_ok("", 0, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pct_decode), cmocka_unit_test(utf8),    cmocka_unit_test(paths),
        cmocka_unit_test(query),      cmocka_unit_test(headers), cmocka_unit_test(json_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
