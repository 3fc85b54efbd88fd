/* sais_arena: aligned memory from blocks, rows larger than a block, reset and reuse, and
 * protobuf messages unpacked into it equal to ones unpacked with malloc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdalign.h>
#include <string.h>

#include "sais_arena.h"
#include "verify.pb-c.h"

static void test_alignment_and_growth(void **state)
{
    (void)state;
    sais_arena_t a;
    sais_arena_init(&a, 256);
    for (size_t n = 1; n < 600; n += 37) {
        unsigned char *p = sais_arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        memset(p, 0xab, n);   /* ASan: every byte handed out is ours */
    }
    unsigned char *big = sais_arena_alloc(&a, 10000);   /* larger than a block */
    assert_non_null(big);
    memset(big, 1, 10000);
    assert_null(sais_arena_alloc(&a, SIZE_MAX - 3));     /* overflow: refused, not wrapped */
    sais_arena_reset(&a);
    for (int round = 0; round < 1000; round++) {         /* reset reuses: no growth */
        assert_non_null(sais_arena_alloc(&a, 100));
        sais_arena_reset(&a);
    }
    sais_arena_release(&a);
    sais_arena_release(&a);   /* twice is harmless */
}

static void test_protobuf_unpack(void **state)
{
    (void)state;
    Ver__Member m = VER__MEMBER__INIT, *mp = &m;
    m.id_number = "330326194001010011";
    m.name = "Zhou";
    m.age = 86;
    Ver__Picture pic = VER__PICTURE__INIT;
    pic.household_id = "hh-1";
    pic.region = "330326";
    pic.members = &mp;
    pic.n_members = 1;
    pic.version = 9;
    size_t len = ver__picture__get_packed_size(&pic);
    uint8_t buf[512];
    assert_true(len <= sizeof buf);
    ver__picture__pack(&pic, buf);
    sais_arena_t a;
    sais_arena_init(&a, 0);
    for (int round = 0; round < 3; round++) {
        Ver__Picture *p = ver__picture__unpack(sais_arena_allocator(&a), len, buf);
        assert_non_null(p);
        assert_string_equal(p->household_id, "hh-1");
        assert_int_equal(p->n_members, 1);
        assert_string_equal(p->members[0]->name, "Zhou");
        assert_int_equal(p->members[0]->age, 86);
        assert_int_equal(p->version, 9);
        sais_arena_reset(&a);
    }
    /* garbage is a failed unpack, and the arena stays usable */
    uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f };
    assert_null(ver__picture__unpack(sais_arena_allocator(&a), sizeof junk, junk));
    assert_non_null(ver__picture__unpack(sais_arena_allocator(&a), len, buf));
    sais_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_growth),
        cmocka_unit_test(test_protobuf_unpack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
