/* Runs every file of tests/corpus/<source>/ through ingest_stream and compares the outcome
 * with <file>.expected.json beside it:
 *   {"received", "accepted", "rejected",
 *    "errors": [{"line", "record_id", "field", "code", "message_contains"?}, ...],  (all, in order)
 *    "facts":  [{"line", <any Fact field>: <value>, ...}, ...]?   (listed fields of those facts)}
 * Each file is fed whole, one byte at a time and in random chunks. Today is 2026-11-23. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_ingest_util.h"

typedef struct {
    json_t *errors;
    json_t *facts;
    size_t accepted, rejected;
} report_t;

static int rep_record(void *ctx, uint32_t line, Ing__Fact *f)
{
    report_t *r = ctx;
    r->accepted++;
    json_t *o = json_pack(
        "{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s,"
        " s:s, s:i, s:s, s:s, s:s, s:I, s:s}",
        "line", (int)line, "source", f->source, "record_id", f->record_id, "id_number",
        f->id_number, "batch_id", f->batch_id, "date", f->date, "event", f->event, "name", f->name,
        "household_id", f->household_id, "relation", f->relation, "region", f->region, "phone",
        f->phone, "total", (json_int_t)f->total, "insurance_paid", (json_int_t)f->insurance_paid,
        "out_of_pocket", (json_int_t)f->out_of_pocket, "category", f->category, "hospital",
        f->hospital, "certificate", f->certificate, "grade", (int)f->grade, "status", f->status,
        "month", f->month, "kind", f->kind, "amount", (json_int_t)f->amount, "facility",
        f->facility);
    assert_non_null(o);
    assert_int_equal(f->line, line);
    json_array_append_new(r->facts, o);
    return 0;
}

static int rep_reject(void *ctx, uint32_t line, const char *id, const ingest_error_t *e, size_t n)
{
    report_t *r = ctx;
    r->rejected++;
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:i, s:o, s:o, s:s, s:s}", "line", (int)line, "record_id",
                              id ? json_string(id) : json_null(), "field",
                              e[i].field ? json_string(e[i].field) : json_null(), "code",
                              e[i].code, "message", e[i].message);
        assert_non_null(o);
        json_array_append_new(r->errors, o);
    }
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool same_value(json_t *want, json_t *got)
{
    return json_equal(want, got);
}

/* Compares one run with the expectations; returns the number of differences (printed). */
static int compare(const char *name, size_t chunk, json_t *exp, report_t *r)
{
    int bad = 0;
    size_t received = (size_t)json_integer_value(json_object_get(exp, "received"));
    size_t accepted = (size_t)json_integer_value(json_object_get(exp, "accepted"));
    size_t rejected = (size_t)json_integer_value(json_object_get(exp, "rejected"));
    if (r->accepted != accepted || r->rejected != rejected || r->accepted + r->rejected != received) {
        printf("%s (chunk %zu): accepted %zu rejected %zu, expected %zu/%zu of %zu\n", name, chunk,
               r->accepted, r->rejected, accepted, rejected, received);
        bad++;
    }
    json_t *we = json_object_get(exp, "errors");
    size_t n = json_array_size(we) > json_array_size(r->errors) ? json_array_size(we)
                                                                 : json_array_size(r->errors);
    for (size_t i = 0; i < n; i++) {
        json_t *w = json_array_get(we, i), *g = json_array_get(r->errors, i);
        bool ok = w && g;
        const char *keys[] = {"line", "record_id", "field", "code"};
        for (size_t k = 0; ok && k < 4; k++)
            ok = same_value(json_object_get(w, keys[k]), json_object_get(g, keys[k]));
        const char *mc = json_string_value(json_object_get(w, "message_contains"));
        if (ok && mc)
            ok = strstr(json_string_value(json_object_get(g, "message")), mc) != NULL;
        if (!ok) {
            char *ws = w ? json_dumps(w, JSON_COMPACT) : NULL;
            char *gs = g ? json_dumps(g, JSON_COMPACT) : NULL;
            printf("%s (chunk %zu): error %zu\n  expected %s\n  got      %s\n", name, chunk, i,
                   ws ? ws : "nothing", gs ? gs : "nothing");
            free(ws);
            free(gs);
            bad++;
        }
    }
    json_t *wf = json_object_get(exp, "facts");
    size_t i;
    json_t *w;
    json_array_foreach(wf, i, w) {
        json_t *line = json_object_get(w, "line");
        json_t *g = NULL, *cand;
        size_t j;
        json_array_foreach(r->facts, j, cand)
            if (json_equal(json_object_get(cand, "line"), line))
                g = cand;
        const char *key;
        json_t *val;
        bool ok = g != NULL;
        json_object_foreach(w, key, val)
            if (ok && !json_equal(val, json_object_get(g, key))) {
                char *gs = json_dumps(json_object_get(g, key), JSON_ENCODE_ANY);
                printf("%s (chunk %zu): fact of line %lld: %s is %s\n", name, chunk,
                       (long long)json_integer_value(line), key, gs ? gs : "absent");
                free(gs);
                ok = false;
            }
        if (!g)
            printf("%s (chunk %zu): no accepted fact at line %lld\n", name, chunk,
                   (long long)json_integer_value(line));
        bad += !ok;
    }
    return bad;
}

static int run_case(const char *dir, const char *source, const char *file)
{
    char path[1024], epath[1100];
    if (snprintf(path, sizeof path, "%s/%.64s/%.255s", dir, source, file) >= (int)sizeof path) {
        printf("%s/%s/%s: path too long\n", dir, source, file);
        return 1;
    }
    snprintf(epath, sizeof epath, "%s.expected.json", path);
    json_error_t jerr;
    json_t *exp = json_load_file(epath, JSON_REJECT_DUPLICATES, &jerr);
    if (!exp) {
        printf("%s: no usable expectations: %s\n", epath, jerr.text);
        return 1;
    }
    size_t len = 0;
    char *data = slurp(path, &len);
    assert_non_null(data);
    ingest_format_t fmt = strstr(file, ".csv") ? INGEST_CSV : INGEST_NDJSON;
    int bad = 0;
    const size_t chunks[] = {0, 1, SIZE_MAX};
    for (size_t c = 0; c < 3; c++) {
        report_t r = {json_array(), json_array(), 0, 0};
        ingest_sink_t sink = {rep_record, rep_reject};
        ingest_stream_t *s = ingest_stream_new(source, fmt, test_today(), &sink, &r);
        assert_non_null(s);
        /* a file named *.gb18030.csv is posted as text/csv; charset=GB18030 */
        if (strstr(file, ".gb18030."))
            assert_int_equal(ingest_stream_set_charset(s, "gb18030"), 0);
        unsigned seed = 99;
        for (size_t off = 0; off < len;) {
            size_t n = chunks[c] == 0 ? len : chunks[c];
            if (chunks[c] == SIZE_MAX) {
                seed = seed * 1103515245u + 12345u;
                n = 1 + (seed >> 8) % 257;
            }
            if (n > len - off)
                n = len - off;
            assert_int_equal(ingest_stream_feed(s, data + off, n), 0);
            off += n;
        }
        assert_int_equal(ingest_stream_finish(s), 0);
        assert_int_equal(ingest_stream_records(s), r.accepted + r.rejected);
        ingest_stream_destroy(&s);
        char name[600];
        snprintf(name, sizeof name, "%s/%s", source, file);
        bad += compare(name, chunks[c], exp, &r);
        json_decref(r.errors);
        json_decref(r.facts);
    }
    free(data);
    json_decref(exp);
    return bad;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static bool is_input(const char *name)
{
    size_t n = strlen(name);
    return (n > 7 && strcmp(name + n - 7, ".ndjson") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".csv") == 0);
}

static void test_corpus(void **state)
{
    (void)state;
    const char *src = getenv("SAIS_SOURCE_DIR");
    char dir[900];
    snprintf(dir, sizeof dir, "%s/tests/corpus", src ? src : ".");
    int cases = 0, bad = 0;
    for (int k = 0; k < INGEST_SOURCE_COUNT; k++) {
        const char *source = ingest_source_name((ingest_source_t)k);
        char sdir[1000];
        snprintf(sdir, sizeof sdir, "%s/%s", dir, source);
        struct dirent **list;
        int n = scandir(sdir, &list, NULL, by_name);
        if (n < 0) {
            printf("no corpus for %s in %s\n", source, sdir);
            bad++;
            continue;
        }
        int here = 0;
        for (int i = 0; i < n; i++) {
            if (is_input(list[i]->d_name)) {
                int b = run_case(dir, source, list[i]->d_name);
                printf("corpus %s/%s: %s\n", source, list[i]->d_name, b ? "FAILED" : "ok");
                bad += b;
                here++;
            }
            free(list[i]);
        }
        free(list);
        if (here == 0) {
            printf("corpus for %s is empty\n", source);
            bad++;
        }
        cases += here;
    }
    printf("%d corpus files\n", cases);
    assert_true(cases > 0);
    assert_int_equal(bad, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
