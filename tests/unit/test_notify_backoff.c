/* notify_backoff: exponential from the base, capped, jitter within [d/2, d], deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "notify_backoff.h"

static void test_nominal_doubles_then_caps(void **state)
{
    (void)state;
    const int64_t want[] = {500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
    for (uint32_t a = 1; a <= 10; a++)
        assert_int_equal(notify_backoff_nominal(500, 60000, a), want[a - 1]);
    /* attempt 0 is treated like the first */
    assert_int_equal(notify_backoff_nominal(500, 60000, 0), 500);
    /* no overflow however many attempts, however large the numbers */
    assert_int_equal(notify_backoff_nominal(500, 60000, UINT32_MAX), 60000);
    assert_int_equal(notify_backoff_nominal(INT64_MAX / 2 + 1, INT64_MAX, 70), INT64_MAX);
    assert_int_equal(notify_backoff_nominal(3, INT64_MAX, 64), INT64_MAX);
    /* a cap below the base is the base; a base below 1 is 1 */
    assert_int_equal(notify_backoff_nominal(500, 100, 5), 500);
    assert_int_equal(notify_backoff_nominal(0, 100, 1), 1);
    assert_int_equal(notify_backoff_nominal(-7, 100, 3), 4);
    /* a cap that is not a power-of-two multiple of the base is reached exactly */
    assert_int_equal(notify_backoff_nominal(300, 1000, 3), 1000);
    assert_int_equal(notify_backoff_nominal(300, 1000, 2), 600);
}

static void test_jitter_bounds_and_determinism(void **state)
{
    (void)state;
    for (uint32_t a = 1; a <= 12; a++) {
        int64_t d = notify_backoff_nominal(500, 60000, a);
        int64_t lo = INT64_MAX, hi = 0;
        for (uint64_t seed = 0; seed < 2000; seed++) {
            int64_t v = notify_backoff_delay(500, 60000, a, seed);
            assert_true(v >= d - d / 2);
            assert_true(v <= d);
            assert_int_equal(v, notify_backoff_delay(500, 60000, a, seed));
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        /* the jitter really spreads retries over the window, not a constant */
        assert_true(hi - lo >= d / 4);
    }
    /* different attempts of one notification are not all at the same point of the window */
    bool differs = false;
    for (uint32_t a = 2; a < 8 && !differs; a++) {
        int64_t d1 = notify_backoff_nominal(500, 60000, a), d2 = notify_backoff_nominal(500, 60000, a + 1);
        int64_t f1 = (notify_backoff_delay(500, 60000, a, 42) - d1 / 2) * 1000 / (d1 / 2 + 1);
        int64_t f2 = (notify_backoff_delay(500, 60000, a + 1, 42) - d2 / 2) * 1000 / (d2 / 2 + 1);
        differs = f1 != f2;
    }
    assert_true(differs);
    /* tiny delays stay positive */
    for (uint64_t seed = 0; seed < 100; seed++)
        assert_true(notify_backoff_delay(1, 1, 1, seed) >= 1);
    assert_true(notify_backoff_delay(INT64_MAX, INT64_MAX, 99, 7) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nominal_doubles_then_caps),
        cmocka_unit_test(test_jitter_bounds_and_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
