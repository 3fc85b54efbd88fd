/* sais_json: the writer's output byte for byte, the strict reader, exact money. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sais_json.h"

static char *
take(sais_jw_t *w)
{
    size_t len = 12345;
    char *s = sais_jw_take(w, &len);
    assert_non_null(s);
    assert_int_equal(len, strlen(s));
    return s;
}

static void
test_writer_structure(void **state)
{
    (void)state;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "household_id", "hh-1");
    sais_jw_kmoney(&w, "amount", 3216000);
    sais_jw_kmoney(&w, "refund", -5);
    sais_jw_kint(&w, "size", 2);
    sais_jw_kbool(&w, "eligible", true);
    sais_jw_kbool(&w, "stopped", false);
    sais_jw_ktime(&w, "granted_at", 1795420800);
    sais_jw_ktime(&w, "revoked_at", 0);
    sais_jw_kstr(&w, "note", NULL);
    sais_jw_key(&w, "members");
    sais_jw_arr(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "relation", "head");
    sais_jw_obj_end(&w);
    sais_jw_obj(&w);
    sais_jw_obj_end(&w);
    sais_jw_int(&w, INT64_MIN);
    sais_jw_null(&w);
    sais_jw_raw(&w, "{\"x\":[1,2]}", 11);
    sais_jw_arr(&w);
    sais_jw_arr_end(&w);
    sais_jw_strn(&w, "abcdef", 3);
    sais_jw_arr_end(&w);
    sais_jw_obj_end(&w);
    assert_true(sais_jw_ok(&w));
    char *s = take(&w);
    assert_string_equal(s, "{\"household_id\":\"hh-1\",\"amount\":32160.00,\"refund\":-0.05,\"size\":2,"
                           "\"eligible\":true,\"stopped\":false,\"granted_at\":\"2026-11-23T08:00:00Z\","
                           "\"revoked_at\":null,\"note\":null,\"members\":[{\"relation\":\"head\"},{},"
                           "-9223372036854775808,null,{\"x\":[1,2]},[],\"abc\"]}");
    /* the output is JSON that jansson reads back, money exactly */
    json_error_t jerr;
    json_t *root = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(root);
    sais_fen_t fen;
    assert_int_equal(sais_json_money(json_object_get(root, "amount"), false, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, 3216000);
    json_decref(root);
    free(s);

    /* the writer is reusable after take */
    sais_jw_arr(&w);
    sais_jw_money(&w, 1);
    sais_jw_money(&w, 0);
    sais_jw_arr_end(&w);
    s = take(&w);
    assert_string_equal(s, "[0.01,0.00]");
    free(s);

    /* a top-level scalar and an empty writer */
    sais_jw_str(&w, "x");
    s = take(&w);
    assert_string_equal(s, "\"x\"");
    free(s);
    s = take(&w);
    assert_string_equal(s, "");
    free(s);
    sais_jw_free(&w);
}

static void
test_writer_escaping(void **state)
{
    (void)state;
    sais_jw_t w;
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "q\"k", "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f end");
    sais_jw_kstr(&w, "utf8", "程成钊 𠮷 é");
    sais_jw_kstr(&w, "bad", "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xf4\x90\x80\x80" "e\xe6\x88");
    sais_jw_key(&w, "nul");
    sais_jw_strn(&w, "a\0b", 3);
    sais_jw_obj_end(&w);
    char *s = take(&w);
    assert_string_equal(s, "{\"q\\\"k\":\"a\\\"b\\\\c/d\\n\\r\\t\\b\\f\\u0001\\u001f\x7f end\","
                           "\"utf8\":\"程成钊 𠮷 é\","
                           "\"bad\":\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffd\\ufffde\\ufffd\\ufffd\","
                           "\"nul\":\"a\\u0000b\"}");
    /* whatever bytes went in, jansson (which validates UTF-8) accepts what came out */
    json_error_t jerr;
    json_t *root = json_loads(s, JSON_ALLOW_NUL, &jerr);
    if (root == NULL)
        fail_msg("jansson rejected writer output: %s", jerr.text);
    assert_string_equal(json_string_value(json_object_get(root, "utf8")), "程成钊 𠮷 é");
    assert_string_equal(json_string_value(json_object_get(root, "q\"k")),
                        "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f end");
    json_decref(root);
    free(s);
    sais_jw_free(&w);
}

static void
test_writer_misuse(void **state)
{
    (void)state;
    sais_jw_t w;
    size_t len = 99;

    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kint(&w, "a", 1);
    assert_null(sais_jw_take(&w, &len));   /* unfinished */
    assert_int_equal(len, 0);

    sais_jw_init(&w);
    sais_jw_arr_end(&w);                   /* close without open */
    assert_false(sais_jw_ok(&w));
    assert_null(sais_jw_take(&w, NULL));

    sais_jw_init(&w);
    sais_jw_key(&w, "top");                /* a key outside an object */
    assert_false(sais_jw_ok(&w));
    sais_jw_free(&w);

    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_key(&w, "k");
    sais_jw_obj_end(&w);                   /* a key without its value */
    assert_false(sais_jw_ok(&w));
    sais_jw_free(&w);

    sais_jw_init(&w);
    for (int i = 0; i < SAIS_JW_MAX_DEPTH + 5; i++)
        sais_jw_arr(&w);
    assert_false(sais_jw_ok(&w));
    for (int i = 0; i < SAIS_JW_MAX_DEPTH + 5; i++)
        sais_jw_arr_end(&w);
    assert_null(sais_jw_take(&w, NULL));   /* sticky */
    sais_jw_free(&w);

    /* a large document grows the buffer */
    sais_jw_init(&w);
    sais_jw_arr(&w);
    for (int i = 0; i < 100000; i++)
        sais_jw_int(&w, i);
    sais_jw_arr_end(&w);
    char *s = sais_jw_take(&w, &len);
    assert_non_null(s);
    json_t *root = json_loadb(s, len, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_array_size(root), 100000);
    assert_int_equal(json_integer_value(json_array_get(root, 99999)), 99999);
    json_decref(root);
    free(s);
}

static void
test_parse_object(void **state)
{
    (void)state;
    char err[200];
    const char *ok = "{\"id_number\":\"11010519491231002X\",\"n\":1}";
    json_t *o = sais_json_parse_object(ok, strlen(ok), err, sizeof err);
    assert_non_null(o);
    assert_string_equal(sais_json_str(o, "id_number"), "11010519491231002X");
    assert_null(sais_json_str(o, "n"));         /* not a string */
    assert_null(sais_json_str(o, "missing"));
    assert_null(sais_json_str(NULL, "n"));
    json_decref(o);

    const char *dup = "{\"a\":1,\"b\":2,\"a\":3}";
    assert_null(sais_json_parse_object(dup, strlen(dup), err, sizeof err));
    assert_non_null(strstr(err, "duplicate"));
    const char *nested_dup = "{\"x\":{\"k\":1,\"k\":1}}";
    assert_null(sais_json_parse_object(nested_dup, strlen(nested_dup), err, sizeof err));

    const char *arr = "[1,2]";
    assert_null(sais_json_parse_object(arr, strlen(arr), err, sizeof err));
    assert_string_equal(err, "expected a JSON object");
    assert_null(sais_json_parse_object("42", 2, err, sizeof err));
    assert_null(sais_json_parse_object("", 0, err, sizeof err));
    assert_null(sais_json_parse_object(NULL, 5, err, sizeof err));
    assert_null(sais_json_parse_object("{\"a\":", 5, err, sizeof err));
    assert_non_null(strstr(err, "malformed JSON"));
    assert_null(sais_json_parse_object("{} {}", 5, err, sizeof err));   /* trailing data */
    const char *nul = "{\"a\":\"\\u0000\"}";
    assert_null(sais_json_parse_object(nul, strlen(nul), err, sizeof err));
    const char *bad_utf8 = "{\"a\":\"\xff\"}";
    assert_null(sais_json_parse_object(bad_utf8, strlen(bad_utf8), NULL, 0));   /* invalid UTF-8 */
    /* the body need not be NUL-terminated */
    o = sais_json_parse_object("{\"a\":1}xxxx", 7, err, sizeof err);
    assert_non_null(o);
    json_decref(o);
}

static void
test_deep_nesting_fails_cleanly(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *body = malloc(depth * 2 + 16);
    assert_non_null(body);
    size_t n = 0;
    body[n++] = '{';
    memcpy(body + n, "\"a\":", 4);
    n += 4;
    memset(body + n, '[', depth);
    n += depth;
    memset(body + n, ']', depth);
    n += depth;
    body[n++] = '}';
    char err[200];
    assert_null(sais_json_parse_object(body, n, err, sizeof err));
    assert_non_null(strstr(err, "depth"));
    /* a plain deep array too */
    assert_null(sais_json_parse_object(body + 5, depth * 2, err, sizeof err));
    free(body);
}

static sais_money_status_t
money_of(const char *json_value, bool neg, sais_fen_t *fen)
{
    json_error_t jerr;
    json_t *v = json_loads(json_value, JSON_DECODE_ANY, &jerr);
    if (v == NULL)
        fail_msg("bad test JSON %s", json_value);
    *fen = -777;
    sais_money_status_t st = sais_json_money(v, neg, fen);
    json_decref(v);
    return st;
}

static void
test_money_exact(void **state)
{
    (void)state;
    static const struct { const char *json; sais_fen_t fen; } ok[] = {
        { "12.34", 1234 }, { "32160", 3216000 }, { "32160.00", 3216000 }, { "32160.5", 3216050 },
        { "0.01", 1 }, { "0.1", 10 }, { "0.29", 29 }, { "1.15", 115 }, { "4.35", 435 },
        { "1e3", 100000 }, { "1.5E2", 15000 }, { "0", 0 }, { "0.0", 0 }, { "-0.0", 0 },
        { "999999999999.99", 99999999999999 }, { "1000000000000", SAIS_MONEY_MAX_FEN },
        { "1000000000000.0", SAIS_MONEY_MAX_FEN }, { "\"32160.00\"", 3216000 }, { "\"0.01\"", 1 },
        { "12.340", 1234 }, { "1e-2", 1 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sais_fen_t fen;
        sais_money_status_t st = money_of(ok[i].json, false, &fen);
        if (st != SAIS_MONEY_OK || fen != ok[i].fen)
            fail_msg("%s -> status %d, %lld fen; want %lld", ok[i].json, st, (long long)fen,
                     (long long)ok[i].fen);
    }
    sais_fen_t fen;
    assert_int_equal(money_of("-12.30", true, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, -1230);
    assert_int_equal(money_of("-5", true, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, -500);
    assert_int_equal(money_of("\"-0.01\"", true, &fen), SAIS_MONEY_OK);
    assert_int_equal(fen, -1);
}

static void
test_money_errors(void **state)
{
    (void)state;
    static const struct { const char *json; bool neg; sais_money_status_t st; } bad[] = {
        { "12.345", false, SAIS_MONEY_TOO_PRECISE },
        { "0.001", false, SAIS_MONEY_TOO_PRECISE },
        { "0.30000000000000004", false, SAIS_MONEY_TOO_PRECISE },
        { "1e-300", false, SAIS_MONEY_TOO_PRECISE },
        { "-0.01", false, SAIS_MONEY_NEGATIVE },
        { "-5", false, SAIS_MONEY_NEGATIVE },
        { "-1e300", false, SAIS_MONEY_NEGATIVE },
        { "\"-0.01\"", false, SAIS_MONEY_NEGATIVE },
        { "1000000000000.01", false, SAIS_MONEY_TOO_LARGE },
        { "1000000000001", false, SAIS_MONEY_TOO_LARGE },
        { "-1000000000001", true, SAIS_MONEY_TOO_LARGE },
        { "1e13", false, SAIS_MONEY_TOO_LARGE },
        { "1e300", false, SAIS_MONEY_TOO_LARGE },
        { "-1e300", true, SAIS_MONEY_TOO_LARGE },
        { "9223372036854775807", false, SAIS_MONEY_TOO_LARGE },
        { "\"1e3\"", false, SAIS_MONEY_NOT_A_NUMBER },
        { "\"\"", false, SAIS_MONEY_NOT_A_NUMBER },
        { "\"12.345\"", false, SAIS_MONEY_TOO_PRECISE },
        { "\"abc\"", false, SAIS_MONEY_NOT_A_NUMBER },
        { "true", false, SAIS_MONEY_NOT_A_NUMBER },
        { "null", false, SAIS_MONEY_NOT_A_NUMBER },
        { "{}", false, SAIS_MONEY_NOT_A_NUMBER },
        { "[1]", false, SAIS_MONEY_NOT_A_NUMBER },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sais_fen_t fen;
        sais_money_status_t st = money_of(bad[i].json, bad[i].neg, &fen);
        if (st != bad[i].st)
            fail_msg("%s -> status %d; want %d", bad[i].json, st, bad[i].st);
        assert_int_equal(fen, -777);
    }
    sais_fen_t fen;
    assert_int_equal(sais_json_money(NULL, true, &fen), SAIS_MONEY_NOT_A_NUMBER);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_structure),
        cmocka_unit_test(test_writer_escaping),
        cmocka_unit_test(test_writer_misuse),
        cmocka_unit_test(test_parse_object),
        cmocka_unit_test(test_deep_nesting_fails_cleanly),
        cmocka_unit_test(test_money_exact),
        cmocka_unit_test(test_money_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
