/* The matching rules of DOMAIN.md "Wishes and the alliance" as pure functions: an offer of 3
 * quilts with 5 open bedding wishes takes the 3 oldest; a region-less offer matches any
 * region, a regional one only its own; a later wish goes to the oldest offer with quantity
 * left; a cancelled match gives its item back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "match_logic.h"

static void test_three_quilts_take_the_three_oldest(void **state)
{
    (void)state;
    /* five open bedding wishes, handed over in no particular order */
    const match_wish_cand_t w[] = {
        {"WS4", "330326", 4}, {"WS1", "330326", 1}, {"WS5", "330327", 5},
        {"WS3", "330303", 3}, {"WS2", "330326", 2},
    };
    size_t picked[5];
    long k = match_pick_wishes(NULL, 3, w, 5, picked);
    assert_int_equal(k, 3);
    assert_string_equal(w[picked[0]].wish_id, "WS1");
    assert_string_equal(w[picked[1]].wish_id, "WS2");
    assert_string_equal(w[picked[2]].wish_id, "WS3");

    /* more quantity than wishes: every wish, oldest first */
    k = match_pick_wishes("", 10, w, 5, picked);
    assert_int_equal(k, 5);
    for (long i = 0; i < k; i++)
        assert_int_equal(w[picked[i]].age, (uint64_t)i + 1);

    /* nothing to give or nobody waiting */
    assert_int_equal(match_pick_wishes(NULL, 0, w, 5, picked), 0);
    assert_int_equal(match_pick_wishes(NULL, 3, w, 0, picked), 0);
}

static void test_regions(void **state)
{
    (void)state;
    const match_wish_cand_t w[] = {
        {"WS1", "110105", 1}, {"WS2", "330327", 2}, {"WS3", "330326", 3}, {"WS4", "330326", 4},
    };
    size_t picked[4];
    /* a region-less offer matches any region: the two oldest, whatever their county */
    long k = match_pick_wishes("", 2, w, 4, picked);
    assert_int_equal(k, 2);
    assert_string_equal(w[picked[0]].wish_id, "WS1");
    assert_string_equal(w[picked[1]].wish_id, "WS2");

    /* Pingyang's offer does not reach Cangnan or Beijing, even with quantity to spare */
    k = match_pick_wishes("330326", 5, w, 4, picked);
    assert_int_equal(k, 2);
    assert_string_equal(w[picked[0]].wish_id, "WS3");
    assert_string_equal(w[picked[1]].wish_id, "WS4");

    /* a city prefix covers its counties */
    k = match_pick_wishes("3303", 5, w, 4, picked);
    assert_int_equal(k, 3);
    assert_string_equal(w[picked[0]].wish_id, "WS2");

    /* an offer for a region with no wishes takes none */
    assert_int_equal(match_pick_wishes("330381", 5, w, 4, picked), 0);

    assert_true(match_region_covers(NULL, "330326"));
    assert_true(match_region_covers("", "330326"));
    assert_true(match_region_covers("33", "330326"));
    assert_true(match_region_covers("330326", "330326"));
    assert_false(match_region_covers("330326", "330327"));
    assert_false(match_region_covers("330326", "3303"));
    assert_false(match_region_covers("330326", NULL));
}

static void test_later_wish_goes_to_oldest_offer_with_quantity(void **state)
{
    (void)state;
    const match_offer_cand_t o[] = {
        {"OF5", "", 2, 5},          /* any region, two left */
        {"OF1", "", 0, 1},          /* the oldest, but used up */
        {"OF3", "330327", 1, 3},    /* Cangnan only */
        {"OF4", "3303", 1, 4},      /* all of Wenzhou */
    };
    /* a Cangnan wish: OF1 is empty, OF3 is the oldest that covers it */
    assert_int_equal(match_pick_offer("330327", o, 4), 2);
    /* a Pingyang wish: OF3 does not cover it, OF4 is older than OF5 */
    assert_int_equal(match_pick_offer("330326", o, 4), 3);
    /* a wish outside Wenzhou: only the region-less offer with quantity left */
    assert_int_equal(match_pick_offer("110105", o, 4), 0);
    /* nothing with quantity left */
    const match_offer_cand_t empty[] = {{"OF1", "", 0, 1}, {"OF2", "330326", 0, 2}};
    assert_int_equal(match_pick_offer("330326", empty, 2), -1);
    assert_int_equal(match_pick_offer("330326", o, 0), -1);
}

static void test_cancellation_returns_quantity(void **state)
{
    (void)state;
    uint32_t quantity = 3, remaining = quantity;
    for (int i = 0; i < 3; i++)
        assert_int_equal(match_offer_take(&remaining), 0);
    assert_int_equal(remaining, 0);
    assert_int_equal(match_offer_take(&remaining), -1);   /* nothing left to match */
    assert_int_equal(remaining, 0);

    /* a matched wish is cancelled: the item is back, and a new wish can have it */
    assert_int_equal(match_offer_give_back(&remaining, quantity), 0);
    assert_int_equal(remaining, 1);
    const match_offer_cand_t o[] = {{"OF1", "", remaining, 1}};
    assert_int_equal(match_pick_offer("330326", o, 1), 0);

    assert_int_equal(match_offer_give_back(&remaining, quantity), 0);
    assert_int_equal(match_offer_give_back(&remaining, quantity), 0);
    assert_int_equal(remaining, 3);
    /* never more than was offered */
    assert_int_equal(match_offer_give_back(&remaining, quantity), -1);
    assert_int_equal(remaining, 3);
}

static void test_states_and_words(void **state)
{
    (void)state;
    assert_true(match_can_cancel("open"));
    assert_true(match_can_cancel("matched"));
    assert_false(match_can_cancel("fulfilled"));
    assert_false(match_can_cancel("cancelled"));
    assert_false(match_can_cancel(NULL));
    assert_true(match_can_fulfil("matched"));
    assert_false(match_can_fulfil("open"));
    assert_false(match_can_fulfil("fulfilled"));
    assert_false(match_can_fulfil("cancelled"));

    size_t n = 0;
    for (; match_categories[n]; n++)
        assert_true(match_category_valid(match_categories[n]));
    assert_int_equal(n, 8);
    assert_true(match_category_valid("bedding"));
    assert_false(match_category_valid("Bedding"));
    assert_false(match_category_valid("quilts"));
    assert_false(match_category_valid(""));
    assert_false(match_category_valid(NULL));

    assert_true(match_kind_valid("charity"));
    assert_true(match_kind_valid("company"));
    assert_true(match_kind_valid("volunteer_team"));
    assert_false(match_kind_valid("volunteer"));
    assert_true(match_status_valid("matched"));
    assert_false(match_status_valid("pending"));

    assert_true(match_region_prefix_valid(NULL));
    assert_true(match_region_prefix_valid(""));
    assert_true(match_region_prefix_valid("33"));
    assert_true(match_region_prefix_valid("3303"));
    assert_true(match_region_prefix_valid("330326"));
    assert_false(match_region_prefix_valid("3"));
    assert_false(match_region_prefix_valid("3303261"));
    assert_false(match_region_prefix_valid("33a3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_quilts_take_the_three_oldest),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_later_wish_goes_to_oldest_offer_with_quantity),
        cmocka_unit_test(test_cancellation_returns_quantity),
        cmocka_unit_test(test_states_and_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
