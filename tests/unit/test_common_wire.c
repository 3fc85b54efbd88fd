/* sais_wire: varints, and finding a length-delimited field in packed bytes without
 * unpacking, including bytes that are not a message; a garbled peer's unknown fields
 * dropped, so that what is kept of its message can be read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sais_bus.h"
#include "sais_wire.h"
#include "ingest.pb-c.h"
#include "verify.pb-c.h"

static void test_varint(void **state)
{
    (void)state;
    uint8_t b[10];
    assert_int_equal(sais_wire_varint(b, 0), 1);
    assert_int_equal(b[0], 0);
    assert_int_equal(sais_wire_varint(b, 127), 1);
    assert_int_equal(sais_wire_varint(b, 300), 2);
    assert_int_equal(b[0], 0xac);
    assert_int_equal(b[1], 0x02);
    assert_int_equal(sais_wire_varint(b, UINT64_MAX), 10);
}

static void test_find_bytes(void **state)
{
    (void)state;
    Ver__Picture pic = VER__PICTURE__INIT;
    pic.household_id = "H330326000001";
    pic.region = "330326";
    pic.version = 7;
    Sais__Evidence ev = SAIS__EVIDENCE__INIT, *pev = &ev;
    ev.source = "medical";
    ev.record_id = "m-1";
    Ver__HouseholdChanged hc = VER__HOUSEHOLD_CHANGED__INIT;
    hc.picture = &pic;
    hc.cause = &pev;
    hc.n_cause = 1;
    hc.reason = "medical";
    uint8_t buf[512], want[256];
    size_t n = ver__household_changed__pack(&hc, buf);
    size_t wn = ver__picture__pack(&pic, want);

    const uint8_t *got = NULL;
    size_t gl = 0;
    assert_int_equal(sais_wire_find_bytes(buf, n, 1, &got, &gl), 0);
    assert_int_equal(gl, wn);
    assert_memory_equal(got, want, wn);
    assert_int_equal(sais_wire_find_bytes(buf, n, 3, &got, &gl), 0);   /* reason, after the rest */
    assert_int_equal(gl, 7);
    assert_memory_equal(got, "medical", 7);
    assert_int_equal(sais_wire_find_bytes(buf, n, 9, &got, &gl), 1);   /* no such field */
    assert_int_equal(sais_wire_find_bytes(buf, 0, 1, &got, &gl), 1);   /* empty message */

    /* cut short, a length past the end, a wire type that is no message's */
    assert_int_equal(sais_wire_find_bytes(buf, 3, 1, &got, &gl), -1);
    uint8_t bad1[] = {0x0a, 0x7f, 0x01};
    assert_int_equal(sais_wire_find_bytes(bad1, sizeof bad1, 1, &got, &gl), -1);
    uint8_t bad2[] = {0x0b, 0x00};
    assert_int_equal(sais_wire_find_bytes(bad2, sizeof bad2, 1, &got, &gl), -1);
    uint8_t bad3[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(sais_wire_find_bytes(bad3, sizeof bad3, 1, &got, &gl), -1);
    /* varint, fixed64 and fixed32 fields are stepped over */
    uint8_t mixed[] = {0x10, 0x96, 0x01, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4, 0x0a, 0x02, 'o', 'k'};
    assert_int_equal(sais_wire_find_bytes(mixed, sizeof mixed, 1, &got, &gl), 0);
    assert_int_equal(gl, 2);
    assert_memory_equal(got, "ok", 2);
}

/* A fact batch whose second fact carries a field number 0 written as a five-byte varint
 * (found by tests/fuzz/fuzz_verify): protobuf-c takes it, keeps it as an unknown field and
 * packs it back as a tag it refuses. Unpacked as an event, nothing of it is kept. */
static void test_drop_unknown(void **state)
{
    (void)state;
    const uint8_t fact1[] = {0x0a, 0x04, 'h', 'r', 's', 's', 0x12, 0x02, 'w', '1'};
    const uint8_t fact2[] = {0x0a, 0x07, 'm', 'e', 'd', 'i', 'c', 'a', 'l',
                             0x81, 0x80, 0x80, 0x80, 0x00, 1, 2, 3, 4, 5, 6, 7, 8,   /* field 0, fixed64 */
                             0x12, 0x02, 'm', '1',
                             0xa8, 0x7f, 0x05};                                     /* field 2037, varint */
    uint8_t batch[64];
    size_t n = 0;
    batch[n++] = 0x0a;
    batch[n++] = sizeof fact1;
    memcpy(batch + n, fact1, sizeof fact1);
    n += sizeof fact1;
    batch[n++] = 0x0a;
    batch[n++] = sizeof fact2;
    memcpy(batch + n, fact2, sizeof fact2);
    n += sizeof fact2;

    /* what protobuf-c does by itself: the batch reads, and packed again it does not */
    Ing__FactBatch *raw = ing__fact_batch__unpack(NULL, n, batch);
    assert_non_null(raw);
    assert_int_equal(raw->n_facts, 2);
    assert_int_equal(raw->facts[1]->base.n_unknown_fields, 2);
    uint8_t again[64];
    size_t m = ing__fact_batch__pack(raw, again);
    Ing__FactBatch *back = ing__fact_batch__unpack(NULL, m, again);
    if (back)   /* a protobuf-c that reads back what it packs needs no cleaning, but no harm */
        ing__fact_batch__free_unpacked(back, NULL);
    ing__fact_batch__free_unpacked(raw, NULL);

    /* as a consumer takes it: the known fields as sent, no unknown field at any depth */
    Sais__Envelope ev = SAIS__ENVELOPE__INIT;
    ev.payload.data = batch;
    ev.payload.len = n;
    Ing__FactBatch *b = (Ing__FactBatch *)sais_event_unpack(&ing__fact_batch__descriptor, &ev);
    assert_non_null(b);
    assert_int_equal(b->base.n_unknown_fields, 0);
    assert_int_equal(b->facts[1]->base.n_unknown_fields, 0);
    assert_string_equal(b->facts[1]->source, "medical");
    assert_string_equal(b->facts[1]->record_id, "m1");
    m = ing__fact_batch__pack(b, again);
    ing__fact_batch__free_unpacked(b, NULL);
    b = ing__fact_batch__unpack(NULL, m, again);
    assert_non_null(b);
    assert_string_equal(b->facts[0]->record_id, "w1");
    assert_string_equal(b->facts[1]->record_id, "m1");
    ing__fact_batch__free_unpacked(b, NULL);

    /* garbage is still refused, and NULL is safe */
    ev.payload.len = 3;
    assert_null(sais_event_unpack(&ing__fact_batch__descriptor, &ev));
    sais_pb_drop_unknown(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_varint), cmocka_unit_test(test_find_bytes),
                                       cmocka_unit_test(test_drop_unknown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
