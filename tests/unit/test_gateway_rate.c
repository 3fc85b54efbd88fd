/* The token buckets of the 429 (gateway_rate.h): a burst and then the rate, exactly; the wait
 * a refusal names; the first refusal of a spell marked; names kept apart; a full table takes
 * the slot used longest ago; from several threads at once no token is handed out twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "gateway_rate.h"

static unsigned take_all(gw_rate_t *r, const char *name, uint32_t per_min, uint32_t burst,
                         int64_t now, unsigned most)
{
    unsigned n = 0;
    while (n < most && gw_rate_take(r, name, per_min, burst, now).allowed) n++;
    return n;
}

static void burst_then_rate(void **state)
{
    (void)state;
    gw_rate_t *r = gw_rate_new(64);
    assert_non_null(r);
    /* 120 a minute = 2 a second, a burst of 5 */
    assert_int_equal(take_all(r, "k", 120, 5, 1000, 5), 5);
    gw_rate_verdict_t v = gw_rate_take(r, "k", 120, 5, 1000);
    assert_false(v.allowed);
    assert_true(v.first_refusal);
    assert_int_equal(v.retry_after_s, 1);   /* 500 ms, rounded up to whole seconds */
    v = gw_rate_take(r, "k", 120, 5, 1200);
    assert_false(v.allowed);
    assert_false(v.first_refusal);          /* the same spell */
    /* 499 ms after the burst: not yet one token; at 500 ms exactly one */
    assert_false(gw_rate_take(r, "k", 120, 5, 1499).allowed);
    assert_true(gw_rate_take(r, "k", 120, 5, 1500).allowed);
    assert_false(gw_rate_take(r, "k", 120, 5, 1500).allowed);
    /* over ten seconds: 20 tokens at this rate, but the bucket holds 5 */
    assert_int_equal(take_all(r, "k", 120, 5, 11500, 5), 5);
    /* a refusal after an allowed one starts a new spell */
    v = gw_rate_take(r, "k", 120, 5, 11500);
    assert_true(v.first_refusal);
    /* slow rates name long waits: 1 a minute, empty -> 60 s */
    assert_true(gw_rate_take(r, "slow", 1, 1, 0).allowed);
    v = gw_rate_take(r, "slow", 1, 1, 0);
    assert_false(v.allowed);
    assert_int_equal(v.retry_after_s, 60);
    assert_false(gw_rate_take(r, "slow", 1, 1, 59999).allowed);
    assert_true(gw_rate_take(r, "slow", 1, 1, 60000).allowed);
    /* a clock that goes backwards neither adds nor breaks anything */
    assert_false(gw_rate_take(r, "slow", 1, 1, 10).allowed);
    gw_rate_destroy(&r);
    assert_null(r);
}

static void unlimited_and_edges(void **state)
{
    (void)state;
    gw_rate_t *r = gw_rate_new(64);
    assert_int_equal(take_all(r, "admin", 0, 0, 0, 10000), 10000);
    /* no table: nobody held back */
    assert_true(gw_rate_take(NULL, "k", 1, 1, 0).allowed);
    /* a burst of 0 is taken as 1 */
    assert_int_equal(take_all(r, "b0", 60, 0, 0, 10), 1);
    /* the largest rate and burst the config allows do not overflow */
    assert_int_equal(take_all(r, "big", 100000000, 4000000, 0, 10), 10);
    assert_true(gw_rate_take(r, "big", 100000000, 4000000, INT64_MAX / 2).allowed);
    /* a name longer than the table keeps is cut: the two share a bucket */
    char a[200], b[200];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[150] = 'y';
    assert_int_equal(take_all(r, a, 60, 3, 0, 10), 3);
    assert_false(gw_rate_take(r, b, 60, 3, 0).allowed);
    gw_rate_destroy(&r);
}

static void names_apart_and_eviction(void **state)
{
    (void)state;
    gw_rate_t *r = gw_rate_new(64);
    char name[32];
    /* 64 names, each spends its one token: none shares another's bucket */
    for (int i = 0; i < 64; i++) {
        snprintf(name, sizeof name, "10.0.0.%d", i);
        gw_rate_verdict_t v = gw_rate_take(r, name, 1, 1, 1000 + i);
        if (!v.allowed) fail_msg("%s started empty", name);
    }
    /* a thousand more: the table stays 64 slots; each new name starts full */
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "10.1.%d.%d", i / 256, i % 256);
        if (!gw_rate_take(r, name, 1, 1, 5000 + i).allowed) fail_msg("%s started empty", name);
    }
    /* the newest are still there and still empty */
    snprintf(name, sizeof name, "10.1.%d.%d", 999 / 256, 999 % 256);
    assert_false(gw_rate_take(r, name, 1, 1, 6000).allowed);
    gw_rate_destroy(&r);
}

typedef struct {
    gw_rate_t *r;
    unsigned   got;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < 20000; i++)
        if (gw_rate_take(w->r, "shared", 60, 1000, 0).allowed) w->got++;
    return NULL;
}

static void threads_share_exactly(void **state)
{
    (void)state;
    gw_rate_t *r = gw_rate_new(64);
    worker_t w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){r, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    unsigned total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += w[i].got;
    }
    assert_int_equal(total, 1000);   /* the burst, to the token: the clock never moved */
    gw_rate_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_rate),
        cmocka_unit_test(unlimited_and_edges),
        cmocka_unit_test(names_apart_and_eviction),
        cmocka_unit_test(threads_share_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
