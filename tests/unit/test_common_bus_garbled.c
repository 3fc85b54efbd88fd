/* Garbled events on the bus. Every consumer, fed by fake producers (sais_test_fake_producer),
 * takes events of each type it consumes whose payloads are damaged in every way we could think
 * of: empty, random bytes, truncated, an unknown field under a tag protobuf-c cannot read back,
 * and messages well-formed on the wire but built from the schema with hostile values (strings
 * of 700 bytes, no bytes, invalid UTF-8, path and key separators; integers at their extremes;
 * repeated fields twice; sub-messages nested the same way). Each must be taken or skipped
 * with a log line, never stop the consumer: its cursor reaches the producer's head, the
 * service still answers, and nothing crashes or leaks (ASan). A consumer that failed such an
 * event would retry it for ever and take nothing after it.
 *
 * Rounds, as a service cannot be fake and real at once:
 *   1. verify and notify, fed by ingest, rules, warn, match and intake;
 *   2. warn and match, fed by verify, rules and intake;
 *   3. rules, fed by verify and intake;
 *   4. intake, fed by verify and rules;
 *   5. city, fed by one county's verify, rules, warn, intake and match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sais_service.h"
#include "sais_test_support.h"
#include "ingest.pb-c.h"
#include "intake.pb-c.h"
#include "match.pb-c.h"
#include "rules.pb-c.h"
#include "verify.pb-c.h"
#include "warn.pb-c.h"
#include "city.h"
#include "intake.h"
#include "match.h"
#include "notify.h"
#include "rules.h"
#include "verify.h"
#include "warn.h"

static char tmpdir[256];

/* ---------------------------------------------------------------- payloads */

typedef struct {
    uint8_t *b;
    size_t   n, cap;
} buf_t;

static void put(buf_t *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
        uint8_t *g = realloc(b->b, cap);
        assert_non_null(g);
        b->b = g;
        b->cap = cap;
    }
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void put_varint(buf_t *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, t, n);
}

static void put_tag(buf_t *b, unsigned field, unsigned wire)
{
    put_varint(b, (uint64_t)field << 3 | wire);
}

/* The text of a string field in style s. */
static void style_text(buf_t *t, int s)
{
    static const char odd[] = "../..|330326|\x7f\t\"\\{}%2e%00 \xff\xfe\xed\xa0\x80";
    switch (s) {
    case 0:
        for (int i = 0; i < 700; i++)
            put(t, "A", 1);
        break;
    case 1:
        put(t, odd, sizeof odd - 1);
        break;
    case 2:
        break;   /* empty */
    default:
        for (int i = 0; i < 240; i++)
            put(t, "龘", 3);
        break;
    }
}

static uint64_t style_int(int s)
{
    static const uint64_t v[] = {UINT64_MAX, (uint64_t)1 << 63, 0, 0x7fffffffffffffffULL};
    return v[s & 3];
}

/* A message of `d` with every field present (repeated ones twice), valued in style s. */
static void gen(buf_t *b, const ProtobufCMessageDescriptor *d, int s, int depth)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int times = f->label == PROTOBUF_C_LABEL_REPEATED ? 2 : 1;
        for (int k = 0; k < times; k++) {
            switch (f->type) {
            case PROTOBUF_C_TYPE_STRING:
            case PROTOBUF_C_TYPE_BYTES:
            case PROTOBUF_C_TYPE_MESSAGE: {
                buf_t t = {0};
                if (f->type != PROTOBUF_C_TYPE_MESSAGE)
                    style_text(&t, s);
                else if (depth < 3)
                    gen(&t, f->descriptor, s, depth + 1);
                put_tag(b, f->id, 2);
                put_varint(b, t.n);
                if (t.n)
                    put(b, t.b, t.n);
                free(t.b);
                break;
            }
            case PROTOBUF_C_TYPE_FIXED32:
            case PROTOBUF_C_TYPE_SFIXED32:
            case PROTOBUF_C_TYPE_FLOAT:
                put_tag(b, f->id, 5);
                put(b, "\xff\xff\xff\x7f", 4);
                break;
            case PROTOBUF_C_TYPE_FIXED64:
            case PROTOBUF_C_TYPE_SFIXED64:
            case PROTOBUF_C_TYPE_DOUBLE:
                put_tag(b, f->id, 1);
                put(b, "\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
                break;
            default:   /* the varint types: ints, enums, bools */
                put_tag(b, f->id, 0);
                put_varint(b, style_int(s));
                break;
            }
        }
    }
}

#define NVARIANTS 11

/* Payload v of the damaged set for messages of `d` (NULL: the event has no payload type). */
static void payload(buf_t *b, const ProtobufCMessageDescriptor *d, int v, unsigned *seed)
{
    b->n = 0;
    switch (v) {
    case 0:
        break;   /* empty: every field at its default, sub-messages absent */
    case 1:
    case 2:
    case 3: {    /* random bytes */
        size_t n = 1 + rand_r(seed) % 300;
        for (size_t i = 0; i < n; i++) {
            uint8_t c = (uint8_t)rand_r(seed);
            put(b, &c, 1);
        }
        break;
    }
    case 4:      /* field 0 in a non-minimal varint, kept as an unknown field */
        put(b, "\x81\x80\x80\x80\x00" "12345678", 13);
        break;
    case 5:      /* a hostile message cut in the middle */
        if (d)
            gen(b, d, 0, 0);
        b->n /= 2;
        break;
    default:     /* 6..10: hostile messages in each style, then one more with big ints */
        if (d)
            gen(b, d, (v - 6) & 3, 0);
        else
            put(b, "\x0a\x03" "abc", 5);
        break;
    }
}

/* ---------------------------------------------------------------- producers */

typedef struct {
    const char *type;
    const ProtobufCMessageDescriptor *desc;
} kind_t;

static const kind_t INGEST[] = {{"fact.batch", &ing__fact_batch__descriptor},
                                {"feed.done", &ing__feed_done__descriptor}, {NULL, NULL}};
static const kind_t VERIFY[] = {{"household.changed", &ver__household_changed__descriptor},
                                {"person.event", &ver__person_event__descriptor},
                                {"refresh.held", NULL}, {"refresh.released", NULL}, {NULL, NULL}};
static const kind_t RULES[] = {{"entitlement.granted", &rul__entitlement__descriptor},
                               {"entitlement.changed", &rul__entitlement__descriptor},
                               {"entitlement.suspended", &rul__entitlement__descriptor},
                               {"entitlement.resumed", &rul__entitlement__descriptor},
                               {"entitlement.stopped", &rul__entitlement__descriptor},
                               {"case.proactive", &rul__proactive_case__descriptor},
                               {"case.withdrawn", &rul__proactive_case__descriptor}, {NULL, NULL}};
static const kind_t WARN[] = {{"alert.raised", &wrn__alert__descriptor},
                              {"alert.resolved", &wrn__alert__descriptor},
                              {"alert.acknowledged", &wrn__alert__descriptor},
                              {"alert.evidence", &wrn__alert__descriptor}, {NULL, NULL}};
static const kind_t INTAKE[] = {{"application.submitted", &itk__application__descriptor},
                                {"application.pending_review", &itk__application__descriptor},
                                {"application.approved", &itk__application__descriptor},
                                {"application.rejected", &itk__application__descriptor},
                                {"application.withdrawn", &itk__application__descriptor}, {NULL, NULL}};
static const kind_t MATCH[] = {{"wish.created", &mch__wish__descriptor},
                               {"wish.matched", &mch__wish__descriptor},
                               {"wish.fulfilled", &mch__wish__descriptor},
                               {"wish.cancelled", &mch__wish__descriptor}, {NULL, NULL}};

static const kind_t *kinds_of(const char *producer)
{
    if (strcmp(producer, "ingest") == 0) return INGEST;
    if (strcmp(producer, "verify") == 0) return VERIFY;
    if (strcmp(producer, "rules") == 0) return RULES;
    if (strcmp(producer, "warn") == 0) return WARN;
    if (strcmp(producer, "intake") == 0) return INTAKE;
    return MATCH;
}

/* Emits every damaged payload of every kind `producer` has; returns its head. */
static uint64_t flood(sais_client_t *cl, const char *producer)
{
    unsigned seed = 20261124;
    uint64_t head = 0;
    buf_t b = {0};
    for (const kind_t *k = kinds_of(producer); k->type; k++) {
        for (int v = 0; v < NVARIANTS; v++) {
            payload(&b, k->desc, v, &seed);
            static const char *const sources[] = {"", "medical", "hukou,hrss"};
            int st = sais_test_call(cl, producer, "emit", NULL, NULL, b.b ? b.b : (uint8_t *)"", b.n, 5000,
                                    NULL, "type", k->type, "region", v == 7 ? "" : "330326", "sources",
                                    sources[v % 3], NULL);
            assert_int_equal(st, 200);
            head++;
        }
    }
    free(b.b);
    return head;
}

/* ---------------------------------------------------------------- rounds */

typedef struct {
    const char *name;
    const char *fakes[6];
    const sais_service_def_t *reals[3];
    const char *real_names[3];
    void (*after)(sais_client_t *cl);   /* more checks, the services still up */
    const char *county;   /* the city's round: every fake is this county's, read by city */
} round_t;

static void run_round(const round_t *r)
{
    const char *svcs[10];
    size_t n = 0;
    for (size_t i = 0; r->fakes[i]; i++)
        svcs[n++] = r->fakes[i];
    for (size_t i = 0; r->reals[i]; i++)
        svcs[n++] = r->real_names[i];
    svcs[n] = NULL;
    sais_config_t *cfg = sais_test_config(tmpdir, r->name, svcs);
    const char *src = getenv("SAIS_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/deploy/policies", src && *src ? src : "../..");
    sais_test_set(cfg, "rules.policies_dir", dir);
    sais_test_set(cfg, "clock.now", "2026-11-23T08:00:00Z");
    sais_test_set(cfg, "notify.sms_endpoint", "http://127.0.0.1:9/sms");   /* nobody there: retried */
    sais_test_set(cfg, "notify.backoff_ms", "60000");
    if (r->county) {
        char spec[1024] = "";
        for (size_t i = 0; r->fakes[i]; i++) {
            size_t len = strlen(spec);
            snprintf(spec + len, sizeof spec - len, "%s%s.%s=inproc://%s-%s", len ? "," : "", r->county,
                     r->fakes[i], r->name, r->fakes[i]);
        }
        sais_test_set(cfg, "city.counties", spec);
        sais_test_set(cfg, "city.deployment", "city");
    }

    zactor_t *actors[10] = {0};
    size_t na = 0;
    for (size_t i = 0; r->fakes[i]; i++) {
        actors[na] = sais_service_start(sais_test_fake_producer(r->fakes[i]), cfg);
        assert_non_null(actors[na]);
        na++;
    }
    for (size_t i = 0; r->reals[i]; i++) {
        actors[na] = sais_service_start(r->reals[i], cfg);
        assert_non_null(actors[na]);
        na++;
    }
    sais_client_t *cl = sais_client_new(cfg);
    assert_non_null(cl);

    uint64_t heads[6];
    for (size_t i = 0; r->fakes[i]; i++)
        heads[i] = flood(cl, r->fakes[i]);

    /* every real consumer of each fake producer has taken or skipped all of it */
    for (size_t c = 0; r->reals[c]; c++) {
        for (size_t p = 0; r->fakes[p]; p++) {
            bool consumes = r->county != NULL;
            for (size_t k = 0; r->reals[c]->consumes && r->reals[c]->consumes[k]; k++)
                consumes = consumes || strcmp(r->reals[c]->consumes[k], r->fakes[p]) == 0;
            if (!consumes)
                continue;
            char cursor[96];
            snprintf(cursor, sizeof cursor, "%s%s%s", r->county ? r->county : "", r->county ? "/" : "",
                     r->fakes[p]);
            sais_test_wait_cursor(cl, r->real_names[c], cursor, heads[p]);
            print_message("%s: %s took %llu garbled events of %s\n", r->name, r->real_names[c],
                          (unsigned long long)heads[p], r->fakes[p]);
        }
    }

    if (r->after)
        r->after(cl);
    sais_client_destroy(&cl);
    while (na > 0)
        sais_service_stop(&actors[--na]);
    sais_config_destroy(&cfg);
}

/* One bad fact costs only itself: a good registration in the same envelope as a fact with a
 * 700-byte household is applied, and verify stepped over no event of ingest. */
static void verify_keeps_the_rest(sais_client_t *cl)
{
    char big[701];
    memset(big, 'H', 700);
    big[700] = '\0';
    Ing__Fact bad = ING__FACT__INIT, good = ING__FACT__INIT;
    Ing__Fact *facts[] = {&bad, &good};
    bad.source = good.source = "hukou";
    bad.id_number = "330326199001011234";
    good.id_number = "330326198501011238";
    bad.record_id = "h-bad";
    good.record_id = "h-good";
    bad.batch_id = good.batch_id = "b1";
    bad.date = good.date = "2026-01-05";
    bad.event = good.event = "register";
    bad.name = good.name = "张三";
    bad.household_id = big;
    good.household_id = "HH-GOOD";
    bad.relation = good.relation = "head";
    bad.region = good.region = "330326";
    Ing__FactBatch b = ING__FACT_BATCH__INIT;
    b.facts = facts;
    b.n_facts = 2;
    uint64_t head = sais_test_cursor(cl, "verify", "ingest") + 1;
    sais_test_emit(cl, "ingest", "fact.batch", "330326", &b.base);
    sais_test_wait_cursor(cl, "verify", "ingest", head);
    char *out = NULL;
    int st = sais_test_call(cl, "verify", "persons.get", NULL, NULL, NULL, 0, 5000, &out, "id_number",
                            good.id_number, NULL);
    if (st != 200 || !strstr(out, "HH-GOOD"))
        fail_msg("persons.get of the good fact's person: %d %s", st, out ? out : "");
    free(out);
    out = NULL;
    assert_int_equal(sais_test_call(cl, "verify", "bus.status", NULL, NULL, NULL, 0, 5000, &out, NULL), 200);
    assert_non_null(strstr(out, "\"skipped\":{\"ingest\":0,"));
    free(out);
}

static void test_verify_and_notify(void **state)
{
    (void)state;
    round_t r = {"r1", {"ingest", "rules", "warn", "match", "intake", NULL},
                 {&verify_service, &notify_service, NULL}, {"verify", "notify", NULL}, verify_keeps_the_rest, NULL};
    run_round(&r);
}

static void test_warn_and_match(void **state)
{
    (void)state;
    round_t r = {"r2", {"verify", "rules", "intake", NULL},
                 {&warn_service, &match_service, NULL}, {"warn", "match", NULL}, NULL, NULL};
    run_round(&r);
}

/* rules steps over the household changes whose household id no key can hold (it keeps every
 * household's picture under its id), and says how many. */
static void rules_counts_its_skips(sais_client_t *cl)
{
    char *out = NULL;
    assert_int_equal(sais_test_call(cl, "rules", "bus.status", NULL, NULL, NULL, 0, 5000, &out, NULL), 200);
    const char *sk = strstr(out, "\"skipped\":{\"verify\":");
    assert_non_null(sk);
    assert_true(strtol(sk + strlen("\"skipped\":{\"verify\":"), NULL, 10) > 0);
    free(out);
}

static void test_rules(void **state)
{
    (void)state;
    round_t r = {"r3", {"verify", "intake", NULL}, {&rules_service, NULL}, {"rules", NULL}, rules_counts_its_skips, NULL};
    run_round(&r);
}

static void test_intake(void **state)
{
    (void)state;
    round_t r = {"r4", {"verify", "rules", NULL}, {&intake_service, NULL}, {"intake", NULL}, NULL, NULL};
    run_round(&r);
}

static void test_city(void **state)
{
    (void)state;
    round_t r = {"r5", {"verify", "rules", "warn", "intake", "match", NULL}, {&city_service, NULL}, {"city", NULL},
                 NULL, "pingyang"};
    run_round(&r);
}

static int setup(void **state)
{
    (void)state;
    return sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "garbled");
}

static int teardown(void **state)
{
    (void)state;
    return sais_test_tmpdir_remove(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_and_notify),
        cmocka_unit_test(test_warn_and_match),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_intake),
        cmocka_unit_test(test_city),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
