/* Fuzz target: facts folded into a person (verify_person.h, verify_medical_packed.h).
 *
 * First byte bit 4 clear: the rest is a feed body (bits 0-2 the source, bit 3 CSV) that
 * ingest reads into facts, as partners' records reach verify. Deduplicated by (source,
 * record_id) as ingest does, and all given one ID number, they are folded into a fresh
 * person in input order and in reverse: verify_person.h promises the two records pack to
 * the same bytes. Along the way every medical fact is also folded into the packed record
 * (verify_medical_fold_packed) and must give the bytes the full path gives.
 *
 * Bit 4 set: the rest is taken as a packed ing.FactBatch, as if garbled on the bus, and
 * its facts are folded (whatever they hold), and also as a stored person record that a
 * medical fact is folded into: neither may crash, and a record protobuf-c could have packed
 * must be folded into the bytes the full path gives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_stream.h"
#include "sais_bus.h"
#include "sais_clock.h"
#include "verify_medical_packed.h"
#include "verify_person.h"
#include "verify_picture.h"
#include "fuzz_check.h"


#define MAX_FACTS 64
#define ID "330326198501011238"

typedef struct {
    Ing__Fact *f[MAX_FACTS];
    size_t n;
} facts_t;

/* A fact of our own (the sink's is the stream's), with the one ID number. */
static int keep(facts_t *fs, const Ing__Fact *f)
{
    if (fs->n == MAX_FACTS)
        return 0;
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->f[i]->source, f->source) == 0 && strcmp(fs->f[i]->record_id, f->record_id) == 0)
            return 0;   /* accepted once ever */
    size_t len = ing__fact__get_packed_size(f);
    uint8_t *buf = malloc(len ? len : 1);
    CHECK(buf != NULL);
    ing__fact__pack(f, buf);
    Ing__Fact *c = ing__fact__unpack(NULL, len, buf);
    free(buf);
    CHECK(c != NULL);   /* a fact as a consumer takes it packs into bytes that read back */
    char *id = strdup(ID);
    CHECK(id != NULL);
    if (c->id_number != protobuf_c_empty_string)
        free(c->id_number);
    c->id_number = id;
    fs->f[fs->n++] = c;
    return 0;
}

static int on_record(void *ctx, uint32_t line, Ing__Fact *f)
{
    (void)line;
    return keep(ctx, f);
}

static uint8_t *pack_person(const Vst__Person *p, size_t *len)
{
    *len = vst__person__get_packed_size(p);
    uint8_t *b = malloc(*len ? *len : 1);
    CHECK(b != NULL);
    vst__person__pack(p, b);
    return b;
}

/* Folds every fact into a fresh person in the given direction; with `packed`, each medical
 * fact also through the packed path, compared with the full one. The person's packed bytes. */
static uint8_t *fold_all(const facts_t *fs, bool reverse, bool packed, size_t *len)
{
    Vst__Person *p = verify_person_new(ID);
    CHECK(p != NULL);
    size_t blen = 0;
    uint8_t *buf = pack_person(p, &blen);
    verify_effect_t eff;
    verify_effect_init(&eff);
    for (size_t k = 0; k < fs->n; k++) {
        Ing__Fact *f = fs->f[reverse ? fs->n - 1 - k : k];
        uint8_t *out = NULL;
        size_t outlen = 0;
        int fast = packed && strcmp(f->source, "medical") == 0
                       ? verify_medical_fold_packed(buf, blen, f, &out, &outlen, &eff)
                       : 1;
        CHECK(fast != -1);
        (void)verify_person_apply(p, f, &eff);
        size_t plen = 0;
        uint8_t *full = pack_person(p, &plen);
        if (fast == 0) {
            const uint8_t *got = out ? out : buf;
            size_t glen = out ? outlen : blen;
            CHECK(glen == plen && memcmp(got, full, plen) == 0);
        }
        free(out);
        free(buf);
        buf = full;
        blen = plen;
    }
    verify_effect_clear(&eff);

    /* the picture a household of this one person gets: computed and packed, no crash */
    Ver__Picture pic;
    Vst__Person *members[1] = {p};
    if (verify_picture_compute("H1", "330326", members, 1, sais_days_from_civil(2026, 11, 23), &pic) == 0) {
        size_t n = 0;
        free(verify_picture_pack_stored(&pic, &n));
        verify_picture_clear(&pic);
    }
    verify_person_destroy(&p);
    *len = blen;
    return buf;
}

static void from_feed(const uint8_t *data, size_t size, facts_t *fs)
{
    static const char *const sources[] = {"hukou", "medical", "disability", "hrss",
                                          "civil", "justice", "assets"};
    ingest_sink_t sink = {on_record, NULL};
    ingest_stream_t *s = ingest_stream_new(sources[(data[0] & 7) % 7], data[0] & 8 ? INGEST_CSV : INGEST_NDJSON,
                                           sais_days_from_civil(2026, 11, 23), &sink, fs);
    CHECK(s != NULL);
    CHECK(ingest_stream_feed(s, data + 1, size - 1) == 0);
    CHECK(ingest_stream_finish(s) == 0);
    ingest_stream_destroy(&s);
}

static void from_bus(const uint8_t *data, size_t size, facts_t *fs)
{
    Sais__Envelope ev = SAIS__ENVELOPE__INIT;   /* as verify takes it from the bus */
    ev.payload.data = (uint8_t *)data + 1;
    ev.payload.len = size - 1;
    Ing__FactBatch *b = (Ing__FactBatch *)sais_event_unpack(&ing__fact_batch__descriptor, &ev);
    if (b) {
        for (size_t i = 0; i < b->n_facts; i++)
            keep(fs, b->facts[i]);
        ing__fact_batch__free_unpacked(b, NULL);
    }
    /* the same bytes as a stored person, a medical fact folded in. The packed path copies
     * what is not a settlement as it is, so only bytes protobuf-c could have packed (they
     * unpack as a person and pack back the same) must give what the full path gives; of
     * other bytes (never written by verify) it is only asked not to crash. */
    const uint8_t *rec = data + 1;
    size_t rlen = size - 1;
    Vst__Person *in = vst__person__unpack(NULL, rlen, rec);
    size_t clen = 0;
    uint8_t *canon = in ? pack_person(in, &clen) : NULL;
    bool packed_by_us = canon && clen == rlen && memcmp(canon, rec, rlen) == 0;
    free(canon);
    Ing__Fact f = ING__FACT__INIT;
    f.source = "medical";
    f.record_id = "M1";
    f.id_number = in && in->id_number && *in->id_number ? in->id_number : ID;
    f.event = "";
    f.date = "2026-10-01";
    f.batch_id = "b";
    f.total = 50000;
    f.out_of_pocket = 20000;
    f.category = "general";
    uint8_t *out = NULL;
    size_t outlen = 0;
    verify_effect_t eff;
    verify_effect_init(&eff);
    int r = verify_medical_fold_packed(rec, rlen, &f, &out, &outlen, &eff);
    CHECK(r != -1);
    if (packed_by_us && r == 0) {
        CHECK(verify_person_apply(in, &f, NULL) == 0);
        size_t plen = 0;
        uint8_t *full = pack_person(in, &plen);
        const uint8_t *got = out ? out : rec;
        size_t glen = out ? outlen : rlen;
        CHECK(glen == plen && memcmp(got, full, plen) == 0);
        free(full);
    }
    if (in)
        vst__person__free_unpacked(in, NULL);
    free(out);
    verify_effect_clear(&eff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    facts_t fs = {0};
    bool bus = data[0] & 16;
    if (bus)
        from_bus(data, size, &fs);
    else
        from_feed(data, size, &fs);
    size_t alen = 0, blen = 0;
    uint8_t *a = fold_all(&fs, false, true, &alen);
    uint8_t *b = fold_all(&fs, true, false, &blen);
    if (!bus && (alen != blen || memcmp(a, b, alen) != 0)) {
        fprintf(stderr, "fuzz_verify: %zu facts folded in input order and in reverse give "
                        "different records (%zu and %zu bytes)\n", fs.n, alen, blen);
        abort();
    }
    free(a);
    free(b);
    for (size_t i = 0; i < fs.n; i++)
        ing__fact__free_unpacked(fs.f[i], NULL);
    return 0;
}
