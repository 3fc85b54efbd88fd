/* ingest_record: the boundaries of every rule of every source, through the NDJSON stream
 * (one record at a time, built from a valid base record with some fields changed) and, for
 * text-only paths, through CSV. Today is 2026-11-23. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_ingest_util.h"

static const char *base_record(const char *src)
{
    static const struct {
        const char *src, *json;
    } bases[] = {
        {"hukou", "{\"record_id\":\"h1\",\"id_number\":\"330326198501011238\",\"name\":\"程小明\","
                  "\"household_id\":\"HH-1\",\"relation\":\"head\",\"region\":\"330326\","
                  "\"phone\":\"13800138000\",\"event\":\"register\",\"date\":\"2020-05-01\"}"},
        {"medical", "{\"record_id\":\"m1\",\"id_number\":\"330326198501011238\","
                    "\"settled_on\":\"2026-10-01\",\"total\":50000.00,\"insurance_paid\":9800.00,"
                    "\"out_of_pocket\":40200.00,\"category\":\"serious\",\"hospital\":\"温医一院\"}"},
        {"disability", "{\"record_id\":\"d1\",\"id_number\":\"330326198501011238\","
                       "\"certificate\":\"33032619850101123842\",\"category\":\"physical\","
                       "\"grade\":2,\"issued_on\":\"2019-03-01\",\"status\":\"active\"}"},
        {"hrss", "{\"record_id\":\"w1\",\"id_number\":\"330326198501011238\",\"month\":\"2026-10\","
                 "\"kind\":\"wage\",\"amount\":1500.00}"},
        {"civil", "{\"record_id\":\"c1\",\"id_number\":\"330326198501011238\",\"event\":\"death\","
                  "\"date\":\"2026-11-01\"}"},
        {"justice", "{\"record_id\":\"j1\",\"id_number\":\"330326198501011238\","
                    "\"event\":\"incarcerated\",\"date\":\"2026-06-01\",\"facility\":\"一监\"}"},
        {"assets", "{\"record_id\":\"a1\",\"id_number\":\"330326198501011238\",\"kind\":\"vehicle\","
                   "\"value\":\"80000.00\",\"as_of\":\"2026-09-30\"}"},
    };
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (strcmp(bases[i].src, src) == 0)
            return bases[i].json;
    fail_msg("no base for %s", src);
    return NULL;
}

/* The base record of `src` with the members of `changes` (a JSON object) put over it; a
 * member whose value is the string "-DEL-" is removed. Returns the stream's transcript. */
static char *run_with(const char *src, const char *changes)
{
    json_error_t err;
    json_t *base = json_loads(base_record(src), 0, &err);
    assert_non_null(base);
    json_t *ch = json_loads(changes, 0, &err);
    if (!ch)
        fail_msg("bad test JSON %s: %s", changes, err.text);
    const char *k;
    json_t *v;
    json_object_foreach(ch, k, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), "-DEL-") == 0)
            json_object_del(base, k);
        else
            json_object_set(base, k, v);
    }
    char *line = json_dumps(base, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(base);
    json_decref(ch);
    transcript_t t = tr_run(src, INGEST_NDJSON, line, strlen(line), 0);
    free(line);
    return t.buf;
}

static void expect_ok(const char *src, const char *changes, const char *want)
{
    char *t = run_with(src, changes);
    if (strncmp(t, "OK ", 3) != 0 || (want && !strstr(t, want)))
        fail_msg("%s %s: expected OK with \"%s\", got\n%s", src, changes, want ? want : "", t);
    free(t);
}

static int count_errors(const char *t)
{
    int n = 0;
    for (const char *p = t; (p = strstr(p, " [")); p += 2)
        n++;
    return n;
}

/* Expects the record rejected with exactly one error, on `field` with `code`, and (when
 * given) `msg` somewhere in the message. */
static void expect_err(const char *src, const char *changes, const char *field, const char *code,
                       const char *msg)
{
    char *t = run_with(src, changes);
    char want[128];
    snprintf(want, sizeof want, "[%s:%s:", field, code);
    if (strncmp(t, "REJ ", 4) != 0 || !strstr(t, want) || count_errors(t) != 1 ||
        (msg && !strstr(t, msg)))
        fail_msg("%s %s: expected only %s%s%s, got\n%s", src, changes, want, msg ? " with " : "",
                 msg ? msg : "", t);
    free(t);
}

static void test_bases_are_valid(void **state)
{
    (void)state;
    const char *srcs[] = {"hukou", "medical", "disability", "hrss", "civil", "justice", "assets"};
    for (size_t i = 0; i < 7; i++)
        expect_ok(srcs[i], "{}", "fline=1");
    expect_ok("hukou", "{}", "OK 1 src=hukou id=h1 idn=330326198501011238 date=2020-05-01 "
                             "ev=register name=程小明 hh=HH-1 rel=head reg=330326 ph=13800138000");
    expect_ok("medical", "{}", "date=2026-10-01 ");
    expect_ok("medical", "{}", "tot=5000000 ins=980000 oop=4020000 cat=serious hosp=温医一院");
    expect_ok("disability", "{}", "date=2019-03-01 ");
    expect_ok("disability", "{}", "cat=physical hosp= cert=33032619850101123842 gr=2 st=active");
    expect_ok("hrss", "{}", "mon=2026-10 kind=wage amt=150000");
    expect_ok("civil", "{}", "date=2026-11-01 ev=death");
    expect_ok("justice", "{}", "date=2026-06-01 ev=incarcerated");
    expect_ok("justice", "{}", "fac=一监");
    expect_ok("assets", "{}", "date=2026-09-30 ");
    expect_ok("assets", "{}", "kind=vehicle amt=8000000");
}

static void test_common_fields(void **state)
{
    (void)state;
    /* record_id: required, at most 64 bytes, trimmed */
    expect_err("civil", "{\"record_id\":\"-DEL-\"}", "record_id", "missing_field", NULL);
    expect_err("civil", "{\"record_id\":null}", "record_id", "missing_field", NULL);
    expect_err("civil", "{\"record_id\":\"   \"}", "record_id", "missing_field", NULL);
    expect_ok("civil", "{\"record_id\":\"" "0123456789012345678901234567890123456789012345678901234567890123" "\"}",
              "id=0123456789012345678901234567890123456789012345678901234567890123 ");
    expect_err("civil", "{\"record_id\":\"" "01234567890123456789012345678901234567890123456789012345678901234" "\"}",
               "record_id", "too_long", "65 bytes");
    expect_ok("civil", "{\"record_id\":\"  r 7 \"}", "id=r 7 ");
    expect_ok("civil", "{\"record_id\":17}", "id=17 ");
    expect_err("civil", "{\"record_id\":[1]}", "record_id", "out_of_range", NULL);

    /* id_number, via sais_id, plus the spreadsheet's damage */
    expect_err("civil", "{\"id_number\":\"-DEL-\"}", "id_number", "missing_field", NULL);
    expect_ok("civil", "{\"id_number\":\"33038220000229123x\"}", "idn=33038220000229123X ");
    expect_ok("civil", "{\"id_number\":\"11010519491231002X\"}", "idn=11010519491231002X ");
    expect_ok("civil", "{\"id_number\":\"440524188001010014\"}", NULL);
    expect_ok("civil", "{\"id_number\":\"330326202611230019\"}", NULL);  /* born today */
    expect_err("civil", "{\"id_number\":\"330326202611240014\"}", "id_number", "bad_birth_date", NULL);
    expect_err("civil", "{\"id_number\":\"330326198501011239\"}", "id_number", "bad_check_digit", NULL);
    expect_err("civil", "{\"id_number\":\"33032619850101123\"}", "id_number", "bad_id_number",
               "18 characters, got 17");
    expect_err("civil", "{\"id_number\":\"3303261985010112380\"}", "id_number", "bad_id_number", NULL);
    expect_err("civil", "{\"id_number\":\"990326198501011238\"}", "id_number", "bad_id_number", NULL);
    expect_err("civil", "{\"id_number\":\"33032619850101123A\"}", "id_number", "bad_id_number", NULL);
    expect_err("civil", "{\"id_number\":\"4.40524E+17\"}", "id_number", "bad_id_number",
               "scientific notation from a spreadsheet");
    expect_err("civil", "{\"id_number\":4.40524e17}", "id_number", "bad_id_number",
               "scientific notation from a spreadsheet");
    expect_err("civil", "{\"id_number\":\"3.30326E17\"}", "id_number", "bad_id_number",
               "scientific notation");
    expect_err("civil", "{\"id_number\":{}}", "id_number", "bad_id_number", NULL);
    /* typed with a Chinese input method: full-width digits and Ｘ are the same characters */
    expect_ok("civil", "{\"id_number\":\"３３０３２６１９８５０１０１１２３８\"}", "idn=330326198501011238 ");
    expect_ok("civil", "{\"id_number\":\"33038220000229123ｘ\"}", "idn=33038220000229123X ");
    expect_ok("civil", "{\"id_number\":\"11010519491231002Ｘ\"}", "idn=11010519491231002X ");
    expect_err("civil", "{\"id_number\":\"３３０３２６１９８５０１０１１２３９\"}", "id_number", "bad_check_digit", NULL);
    expect_err("civil", "{\"id_number\":\"３３０３２６１９８５０１０１１２３\"}", "id_number", "bad_id_number",
               "18 characters, got 17");
    /* anything else outside ASCII is named as such, not "18 characters, got 18" */
    expect_err("civil", "{\"id_number\":\"33032619850101123八\"}", "id_number", "bad_id_number",
               "other than the digits 0-9 and X");
    expect_err("civil", "{\"id_number\":\"330326１９８５０１０１１２３８０００\"}", "id_number", "bad_id_number",
               "18 characters, got");
    /* unknown members are ignored */
    expect_ok("civil", "{\"extra\":{\"deep\":[1,2]},\"note\":\"x\"}", NULL);
}

static void test_hukou(void **state)
{
    (void)state;
    /* name: required, NFC, middle dot, at most 64 characters, rare CJK accepted */
    expect_err("hukou", "{\"name\":\"-DEL-\"}", "name", "missing_field", NULL);
    expect_err("hukou", "{\"name\":\"\"}", "name", "missing_field", NULL);
    expect_ok("hukou", "{\"name\":\"𠮷野家\"}", "name=𠮷野家 ");
    expect_ok("hukou", "{\"name\":\"Jose\\u0301\"}", "name=Jos\xC3\xA9 ");
    expect_ok("hukou", "{\"name\":\"\\u1100\\u1161\\u11A8\"}", "name=\xEA\xB0\x81 ");  /* 각 */
    expect_ok("hukou", "{\"name\":\"买买提.艾力\"}", "name=买买提·艾力 ");
    expect_ok("hukou", "{\"name\":\"买买提•艾力\"}", "name=买买提·艾力 ");
    expect_ok("hukou", "{\"name\":\"买买提・艾力\"}", "name=买买提·艾力 ");
    expect_ok("hukou", "{\"name\":\"买买提．艾力\"}", "name=买买提·艾力 ");
    expect_ok("hukou", "{\"name\":\"买买提‧艾力\"}", "name=买买提·艾力 ");
    expect_ok("hukou", "{\"name\":\"买买提･艾力\"}", "name=买买提·艾力 ");
    expect_ok("hukou", "{\"name\":\"买买提 · 艾力\"}", "name=买买提·艾力 ");
    expect_ok("hukou", "{\"name\":\"  程小明  \"}", "name=程小明 ");
    expect_ok("hukou", "{\"name\":\"J. Smith\"}", "name=J. Smith ");
    /* 64 characters, 𠮷 counting as one */
    char changes[2048], want[2048];
    char name[512] = "";
    for (int i = 0; i < 63; i++)
        strcat(name, "程");
    strcat(name, "𠮷");
    snprintf(changes, sizeof changes, "{\"name\":\"%s\"}", name);
    snprintf(want, sizeof want, "name=%s ", name);
    expect_ok("hukou", changes, want);
    strcat(name, "程");
    snprintf(changes, sizeof changes, "{\"name\":\"%s\"}", name);
    expect_err("hukou", changes, "name", "too_long", "65 characters");
    /* NFC can shorten a name below the limit: 64 composed letters sent decomposed */
    char decomposed[1024] = "";
    _Static_assert(sizeof decomposed + 16 < sizeof changes, "room");
    for (int i = 0; i < 64; i++)
        strcat(decomposed, "e\\u0301");
    snprintf(changes, sizeof changes, "{\"name\":\"%s\"}", decomposed);
    expect_ok("hukou", changes, NULL);
    expect_err("hukou", "{\"name\":\"程\\t明\"}", "name", "out_of_range", "control");

    /* household_id: required, at most 64 bytes */
    expect_err("hukou", "{\"household_id\":\"-DEL-\"}", "household_id", "missing_field", NULL);
    expect_ok("hukou", "{\"household_id\":\"" "HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH" "\"}", NULL);
    expect_err("hukou", "{\"household_id\":\"" "HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH" "\"}",
               "household_id", "too_long", NULL);

    /* relation: the set, case-insensitive */
    const char *rel[] = {"head", "spouse", "child", "parent", "grandchild", "sibling", "other"};
    for (size_t i = 0; i < 7; i++) {
        snprintf(changes, sizeof changes, "{\"relation\":\"%s\"}", rel[i]);
        snprintf(want, sizeof want, "rel=%s ", rel[i]);
        expect_ok("hukou", changes, want);
    }
    expect_ok("hukou", "{\"relation\":\"Spouse\"}", "rel=spouse ");
    expect_err("hukou", "{\"relation\":\"cousin\"}", "relation", "out_of_range", "head, spouse");
    expect_err("hukou", "{\"relation\":\"-DEL-\"}", "relation", "missing_field", NULL);

    /* region: a 6-digit county code of a real province */
    expect_ok("hukou", "{\"region\":\"110105\"}", "reg=110105 ");
    expect_ok("hukou", "{\"region\":330326}", "reg=330326 ");
    expect_err("hukou", "{\"region\":\"990326\"}", "region", "unknown_region", NULL);
    expect_err("hukou", "{\"region\":\"33032\"}", "region", "unknown_region", NULL);
    expect_err("hukou", "{\"region\":\"3303266\"}", "region", "unknown_region", NULL);
    expect_err("hukou", "{\"region\":\"3303a6\"}", "region", "unknown_region", NULL);
    expect_err("hukou", "{\"region\":\"330300\"}", "region", "unknown_region", NULL);
    expect_err("hukou", "{\"region\":\"-DEL-\"}", "region", "missing_field", NULL);

    /* phone: optional; 11 digits starting with 1 */
    expect_ok("hukou", "{\"phone\":\"-DEL-\"}", "ph= ");
    expect_ok("hukou", "{\"phone\":\"\"}", "ph= ");
    expect_ok("hukou", "{\"phone\":null}", "ph= ");
    expect_ok("hukou", "{\"phone\":\"+86 138-0013-8000\"}", "ph=13800138000 ");
    expect_ok("hukou", "{\"phone\":13800138000}", "ph=13800138000 ");
    expect_err("hukou", "{\"phone\":\"23800138000\"}", "phone", "out_of_range", NULL);
    expect_err("hukou", "{\"phone\":\"1380013800\"}", "phone", "out_of_range", NULL);
    expect_err("hukou", "{\"phone\":\"138001380001\"}", "phone", "out_of_range", NULL);
    expect_err("hukou", "{\"phone\":\"0577-1234567\"}", "phone", "out_of_range", NULL);

    /* event */
    expect_ok("hukou", "{\"event\":\"move_out\"}", "ev=move_out ");
    expect_ok("hukou", "{\"event\":\"UPDATE\"}", "ev=update ");
    expect_err("hukou", "{\"event\":\"moved\"}", "event", "out_of_range", NULL);

    /* date: real, not after today, several spellings normalised */
    expect_ok("hukou", "{\"date\":\"2026-11-23\"}", "date=2026-11-23 ");
    expect_err("hukou", "{\"date\":\"2026-11-24\"}", "date", "bad_date", "after today (2026-11-23)");
    expect_ok("hukou", "{\"date\":\"2024-02-29\"}", "date=2024-02-29 ");
    expect_err("hukou", "{\"date\":\"2026-02-29\"}", "date", "bad_date", "not a real date");
    expect_err("hukou", "{\"date\":\"2026-13-01\"}", "date", "bad_date", NULL);
    expect_err("hukou", "{\"date\":\"2026-04-31\"}", "date", "bad_date", NULL);
    expect_err("hukou", "{\"date\":\"2026-00-10\"}", "date", "bad_date", NULL);
    expect_ok("hukou", "{\"date\":\"2026/1/5\"}", "date=2026-01-05 ");
    expect_ok("hukou", "{\"date\":\"2026.01.05\"}", "date=2026-01-05 ");
    expect_ok("hukou", "{\"date\":\"20260105\"}", "date=2026-01-05 ");
    expect_ok("hukou", "{\"date\":\"2026-01-05 10:22:01\"}", "date=2026-01-05 ");
    expect_ok("hukou", "{\"date\":\"2026-01-05T10:22:01Z\"}", "date=2026-01-05 ");
    expect_err("hukou", "{\"date\":\"2026-01-05x\"}", "date", "bad_date", NULL);
    expect_err("hukou", "{\"date\":\"2026/01-05\"}", "date", "bad_date", NULL);
    expect_err("hukou", "{\"date\":\"05/01/2026\"}", "date", "bad_date", NULL);
    expect_err("hukou", "{\"date\":\"45231\"}", "date", "bad_date",
               "looks like an Excel serial date (it would be 2023-11-01)");
    expect_err("hukou", "{\"date\":45231}", "date", "bad_date", "Excel serial date");
    expect_err("hukou", "{\"date\":\"1899-12-31\"}", "date", "bad_date", "before 1900");
    expect_ok("hukou", "{\"date\":\"1900-01-01\"}", "date=1900-01-01 ");
    expect_err("hukou", "{\"date\":\"0\"}", "date", "bad_date", "not a real date");
    expect_err("hukou", "{\"date\":true}", "date", "bad_date", NULL);

    /* several errors at once, all reported in schema order */
    char *t = run_with("hukou", "{\"id_number\":\"1\",\"relation\":\"x\",\"date\":\"2030-01-01\"}");
    assert_int_equal(count_errors(t), 3);
    assert_non_null(strstr(t, "REJ 1 id=h1 [id_number:bad_id_number:"));
    assert_true(strstr(t, "[relation:") < strstr(t, "[date:"));
    free(t);
}

static void test_medical(void **state)
{
    (void)state;
    /* amounts: JSON number or string, >= 0, at most 2 decimals */
    expect_ok("medical", "{\"total\":\"50000\",\"insurance_paid\":\"9800.0\",\"out_of_pocket\":\"40200.00\"}",
              "tot=5000000 ins=980000 oop=4020000 ");
    expect_ok("medical", "{\"total\":0.1,\"insurance_paid\":0.07,\"out_of_pocket\":0.03}",
              "tot=10 ins=7 oop=3 ");
    expect_ok("medical", "{\"total\":100,\"insurance_paid\":0,\"out_of_pocket\":100}",
              "tot=10000 ins=0 oop=10000 ");
    expect_err("medical", "{\"total\":-1,\"insurance_paid\":\"-DEL-\"}", "total", "bad_amount", NULL);
    expect_err("medical", "{\"total\":\"-0.01\",\"insurance_paid\":\"-DEL-\"}", "total", "bad_amount", NULL);
    expect_err("medical", "{\"total\":50000.001}", "total", "bad_amount", NULL);
    expect_err("medical", "{\"total\":\"50000.005\"}", "total", "bad_amount", NULL);
    expect_err("medical", "{\"total\":\"abc\"}", "total", "bad_amount", NULL);
    expect_err("medical", "{\"total\":\"5e4\"}", "total", "bad_amount", NULL);
    expect_err("medical", "{\"total\":\"-DEL-\"}", "total", "missing_field", NULL);
    expect_err("medical", "{\"out_of_pocket\":\"-DEL-\"}", "out_of_pocket", "missing_field", NULL);
    expect_err("medical", "{\"total\":true}", "total", "bad_amount", NULL);
    /* insurance_paid is optional: then it is the rest of the bill */
    expect_ok("medical", "{\"insurance_paid\":\"-DEL-\"}", "tot=5000000 ins=980000 oop=4020000 ");
    expect_ok("medical", "{\"insurance_paid\":null}", "ins=980000 ");
    /* consistency */
    expect_err("medical", "{\"out_of_pocket\":50000.01,\"insurance_paid\":\"-DEL-\"}", "out_of_pocket",
               "inconsistent", "out_of_pocket 50000.01 is more than total 50000.00");
    expect_ok("medical", "{\"out_of_pocket\":50000,\"insurance_paid\":0}", "ins=0 oop=5000000 ");
    expect_err("medical", "{\"insurance_paid\":9800.01}", "insurance_paid", "inconsistent",
               "9800.01 + out_of_pocket 40200.00 is not total 50000.00");
    expect_err("medical", "{\"insurance_paid\":9799.99}", "insurance_paid", "inconsistent", NULL);
    /* dates and the rest */
    expect_err("medical", "{\"settled_on\":\"2026-11-24\"}", "settled_on", "bad_date", NULL);
    expect_err("medical", "{\"settled_on\":\"-DEL-\"}", "settled_on", "missing_field", NULL);
    expect_ok("medical", "{\"category\":\"General\"}", "cat=general ");
    expect_ok("medical", "{\"category\":\"chronic\"}", "cat=chronic ");
    expect_err("medical", "{\"category\":\"minor\"}", "category", "out_of_range", NULL);
    expect_ok("medical", "{\"hospital\":\"-DEL-\"}", "hosp= ");
    char changes[2048] = "{\"hospital\":\"", *p = changes + strlen(changes);
    for (int i = 0; i < 128; i++)
        p += sprintf(p, "院");
    strcpy(p, "\"}");
    expect_ok("medical", changes, NULL);
    strcpy(p, "院\"}");
    expect_err("medical", changes, "hospital", "too_long", "129 characters");
}

static void test_disability(void **state)
{
    (void)state;
    expect_ok("disability", "{\"grade\":1}", "gr=1 ");
    expect_ok("disability", "{\"grade\":4}", "gr=4 ");
    expect_ok("disability", "{\"grade\":\"3\"}", "gr=3 ");
    expect_err("disability", "{\"grade\":0}", "grade", "out_of_range", NULL);
    expect_err("disability", "{\"grade\":5}", "grade", "out_of_range", NULL);
    expect_err("disability", "{\"grade\":2.5}", "grade", "out_of_range", NULL);
    expect_err("disability", "{\"grade\":\"二\"}", "grade", "out_of_range", NULL);
    expect_err("disability", "{\"grade\":-1}", "grade", "out_of_range", NULL);
    expect_err("disability", "{\"grade\":\"-DEL-\"}", "grade", "missing_field", NULL);
    const char *cats[] = {"visual", "hearing", "speech", "physical", "intellectual", "mental",
                          "multiple"};
    char changes[128], want[128];
    for (size_t i = 0; i < 7; i++) {
        snprintf(changes, sizeof changes, "{\"category\":\"%s\"}", cats[i]);
        snprintf(want, sizeof want, "cat=%s ", cats[i]);
        expect_ok("disability", changes, want);
    }
    expect_err("disability", "{\"category\":\"serious\"}", "category", "out_of_range", NULL);
    expect_ok("disability", "{\"status\":\"revoked\"}", "st=revoked ");
    expect_err("disability", "{\"status\":\"expired\"}", "status", "out_of_range", NULL);
    expect_err("disability", "{\"status\":\"-DEL-\"}", "status", "missing_field", NULL);
    expect_err("disability", "{\"certificate\":\"-DEL-\"}", "certificate", "missing_field", NULL);
    expect_err("disability", "{\"issued_on\":\"2027-01-01\"}", "issued_on", "bad_date", NULL);
}

static void test_hrss(void **state)
{
    (void)state;
    expect_ok("hrss", "{\"month\":\"2026-11\"}", "mon=2026-11 ");
    expect_err("hrss", "{\"month\":\"2026-12\"}", "month", "out_of_range", "after the current month");
    expect_err("hrss", "{\"month\":\"2026-13\"}", "month", "out_of_range", NULL);
    expect_err("hrss", "{\"month\":\"2026-00\"}", "month", "out_of_range", NULL);
    expect_err("hrss", "{\"month\":\"2026-10-01\"}", "month", "out_of_range", "YYYY-MM");
    expect_ok("hrss", "{\"month\":\"2026/3\"}", "mon=2026-03 ");
    expect_ok("hrss", "{\"month\":\"202603\"}", "mon=2026-03 ");
    expect_ok("hrss", "{\"month\":202603}", "mon=2026-03 ");
    expect_err("hrss", "{\"month\":\"-DEL-\"}", "month", "missing_field", NULL);
    const char *kinds[] = {"wage", "pension", "unemployment_benefit", "business"};
    char changes[128], want[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(changes, sizeof changes, "{\"kind\":\"%s\"}", kinds[i]);
        snprintf(want, sizeof want, "kind=%s ", kinds[i]);
        expect_ok("hrss", changes, want);
    }
    expect_err("hrss", "{\"kind\":\"salary\"}", "kind", "out_of_range", NULL);
    expect_ok("hrss", "{\"amount\":0}", "amt=0 ");
    expect_ok("hrss", "{\"amount\":\"1234.5\"}", "amt=123450 ");
    expect_ok("hrss", "{\"amount\":1234.56}", "amt=123456 ");
    expect_err("hrss", "{\"amount\":-100}", "amount", "bad_amount", NULL);
    expect_err("hrss", "{\"amount\":1234.567}", "amount", "bad_amount", NULL);
    expect_err("hrss", "{\"amount\":\"1,234.00\"}", "amount", "bad_amount", NULL);
    expect_err("hrss", "{\"amount\":\"-DEL-\"}", "amount", "missing_field", NULL);
}

static void test_civil_justice_assets(void **state)
{
    (void)state;
    expect_ok("civil", "{\"event\":\"marriage\"}", "ev=marriage ");
    expect_ok("civil", "{\"event\":\"divorce\"}", "ev=divorce ");
    expect_err("civil", "{\"event\":\"birth\"}", "event", "out_of_range", NULL);
    expect_err("civil", "{\"event\":\"-DEL-\"}", "event", "missing_field", NULL);
    expect_err("civil", "{\"date\":\"2026-11-24\"}", "date", "bad_date", NULL);
    expect_err("civil", "{\"date\":\"-DEL-\"}", "date", "missing_field", NULL);

    expect_ok("justice", "{\"event\":\"released\"}", "ev=released ");
    expect_err("justice", "{\"event\":\"death\"}", "event", "out_of_range", NULL);
    expect_ok("justice", "{\"facility\":\"-DEL-\"}", "fac= ");
    expect_err("justice", "{\"date\":\"45000\"}", "date", "bad_date", "Excel");

    const char *kinds[] = {"real_estate", "vehicle", "deposit", "securities", "business"};
    char changes[128], want[128];
    for (size_t i = 0; i < 5; i++) {
        snprintf(changes, sizeof changes, "{\"kind\":\"%s\"}", kinds[i]);
        snprintf(want, sizeof want, "kind=%s ", kinds[i]);
        expect_ok("assets", changes, want);
    }
    expect_err("assets", "{\"kind\":\"cash\"}", "kind", "out_of_range", NULL);
    expect_ok("assets", "{\"value\":0}", "amt=0 ");
    expect_ok("assets", "{\"value\":999999999999.99}", "amt=99999999999999 ");
    expect_err("assets", "{\"value\":\"1000000000000.01\"}", "value", "bad_amount", NULL);
    expect_err("assets", "{\"value\":-5}", "value", "bad_amount", NULL);
    expect_err("assets", "{\"value\":\"-DEL-\"}", "value", "missing_field", NULL);
    expect_err("assets", "{\"as_of\":\"2026-11-24\"}", "as_of", "bad_date", NULL);
    expect_err("assets", "{\"as_of\":\"-DEL-\"}", "as_of", "missing_field", NULL);
}

/* The direct API, without a stream: text values as a CSV cell gives them. */
static void test_direct_api(void **state)
{
    (void)state;
    ingest_record_t *r = ingest_record_new(INGEST_HRSS, test_today());
    assert_non_null(r);
    ingest_value_t v[INGEST_FIELD_COUNT] = {0};
    v[INGEST_F_RECORD_ID] = (ingest_value_t){INGEST_V_TEXT, "w9xx", 2, NULL};
    v[INGEST_F_ID_NUMBER] = (ingest_value_t){INGEST_V_TEXT, "330326198501011238", 18, NULL};
    v[INGEST_F_MONTH] = (ingest_value_t){INGEST_V_TEXT, "2026-09", 7, NULL};
    v[INGEST_F_KIND] = (ingest_value_t){INGEST_V_TEXT, " Pension ", 9, NULL};
    v[INGEST_F_AMOUNT] = (ingest_value_t){INGEST_V_TEXT, "2100.50", 7, NULL};
    assert_int_equal(ingest_record_check(r, v, 42), 0);
    Ing__Fact *f = ingest_record_fact(r);
    assert_string_equal(f->source, "hrss");
    assert_string_equal(f->record_id, "w9");
    assert_string_equal(f->kind, "pension");
    assert_int_equal(f->amount, 210050);
    assert_int_equal(f->line, 42);
    assert_string_equal(ingest_record_id(r), "w9");

    v[INGEST_F_AMOUNT] = (ingest_value_t){INGEST_V_TEXT, "2100.505", 8, NULL};
    v[INGEST_F_MONTH] = (ingest_value_t){INGEST_V_TEXT, "\xE4\xB8", 2, NULL};
    assert_int_equal(ingest_record_check(r, v, 43), 2);
    size_t n;
    const ingest_error_t *e = ingest_record_errors(r, &n);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].field, "month");
    assert_string_equal(e[0].code, "bad_encoding");
    assert_string_equal(e[1].field, "amount");
    assert_string_equal(e[1].code, "bad_amount");

    ingest_source_t s;
    assert_int_equal(ingest_source_from_name("justice", &s), 0);
    assert_int_equal(s, INGEST_JUSTICE);
    assert_int_equal(ingest_source_from_name("police", &s), -1);
    assert_int_equal(ingest_field_from_name("as_of", 5), INGEST_F_AS_OF);
    assert_int_equal(ingest_field_from_name("as_o", 4), -1);
    assert_int_equal(ingest_field_from_name("", 0), -1);
    for (int f = 0; f < INGEST_FIELD_COUNT; f++) {
        const char *name = ingest_field_name((ingest_field_t)f);
        assert_int_equal(ingest_field_from_name(name, strlen(name)), f);
    }
    /* every source reads record_id and id_number first */
    for (int k = 0; k < INGEST_SOURCE_COUNT; k++) {
        ingest_field_t fields[INGEST_FIELD_COUNT];
        size_t n = ingest_source_fields((ingest_source_t)k, fields, INGEST_FIELD_COUNT);
        assert_true(n >= 4);
        assert_int_equal(fields[0], INGEST_F_RECORD_ID);
        assert_int_equal(fields[1], INGEST_F_ID_NUMBER);
    }
    ingest_record_destroy(&r);
    ingest_record_destroy(&r);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bases_are_valid),
        cmocka_unit_test(test_common_fields),
        cmocka_unit_test(test_hukou),
        cmocka_unit_test(test_medical),
        cmocka_unit_test(test_disability),
        cmocka_unit_test(test_hrss),
        cmocka_unit_test(test_civil_justice_assets),
        cmocka_unit_test(test_direct_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
