/* rules_kept: a picture stored from the bytes it arrived in is byte for byte the value stored
 * from the unpacked picture, with and without the kept record, and the record reads back as
 * the unknown field rules_kept_read looks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rules.h"

static void check(const Ver__Picture *pic, const unsigned char *kept, size_t keptlen)
{
    uint8_t packed[1024];
    size_t len = ver__picture__pack(pic, packed);
    size_t a = rules_picture_encoded_size(pic, kept, keptlen), b = rules_picture_packed_size(len, kept, keptlen);
    assert_int_equal(a, b);
    uint8_t *va = malloc(a), *vb = malloc(b);
    assert_non_null(va);
    assert_non_null(vb);
    rules_picture_encode(pic, kept, keptlen, va);
    rules_picture_encode_packed(packed, len, kept, keptlen, vb);
    assert_memory_equal(va, vb, a);
    Ver__Picture *back = ver__picture__unpack(NULL, b, vb);
    assert_non_null(back);
    assert_string_equal(back->household_id, pic->household_id);
    assert_int_equal(back->version, pic->version);
    assert_int_equal(back->n_members, pic->n_members);
    assert_int_equal(back->base.n_unknown_fields, keptlen ? 1 : 0);
    if (keptlen) {
        const ProtobufCMessageUnknownField *uf = &back->base.unknown_fields[0];
        assert_int_equal(uf->tag, RULES_KEPT_TAG);
        assert_int_equal(uf->wire_type, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        assert_true(uf->len > keptlen);
        assert_memory_equal(uf->data + (uf->len - keptlen), kept, keptlen);
    }
    ver__picture__free_unpacked(back, NULL);
    free(va);
    free(vb);
}

static void test_packed_equals_unpacked(void **state)
{
    (void)state;
    Ver__Member m1 = VER__MEMBER__INIT, m2 = VER__MEMBER__INIT, *mp[2] = {&m1, &m2};
    m1.id_number = "330326196811065873";
    m1.name = "程建华";
    m1.status = "active";
    m1.income_12m = 2160007;
    m1.counted = true;
    m2.id_number = "33032719710914816X";
    m2.name = "林秀英";
    m2.status = "deceased";
    m2.oop_12m = 4020000;
    Ver__Picture pic = VER__PICTURE__INIT;
    pic.household_id = "H330326000001";
    pic.region = "330326";
    pic.version = 300;
    pic.members = mp;
    pic.n_members = 2;
    unsigned char kept[RULES_KEPT_BYTES];
    for (size_t i = 0; i < sizeof kept; i++)
        kept[i] = (unsigned char)(i * 7);
    check(&pic, NULL, 0);
    check(&pic, kept, 10 + 9 * 6);
    check(&pic, kept, 1);
    check(&pic, kept, RULES_KEPT_BYTES);   /* the longest record: a two-byte length */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_packed_equals_unpacked)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
