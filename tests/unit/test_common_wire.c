/* sais_wire: varints, and finding a length-delimited field in packed bytes without
 * unpacking, including bytes that are not a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sais_wire.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_varint), cmocka_unit_test(test_find_bytes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
