/* The ids a dry run has met (ingest_seen): every id once, then found; the table grows; once
 * full, new ids are no longer kept (-1) but those kept are still found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ingest_seen.h"

static void once_then_found(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    ingest_seen_t *s = ingest_seen_new();
    assert_non_null(s);
    char id[32];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(id, sizeof id, "MB%09d", i);
        if (ingest_seen_add(s, id, (size_t)n) != 1) fail_msg("%s not new", id);
    }
    for (int i = 0; i < 200000; i += 7) {
        int n = snprintf(id, sizeof id, "MB%09d", i);
        if (ingest_seen_add(s, id, (size_t)n) != 0) fail_msg("%s not found again", id);
    }
    /* the empty id and ids differing only at the end are kept apart */
    assert_int_equal(ingest_seen_add(s, "", 0), 1);
    assert_int_equal(ingest_seen_add(s, "", 0), 0);
    assert_int_equal(ingest_seen_add(s, "MB000000000x", 12), 1);
    ingest_seen_destroy(&s);
    assert_null(s);
}

static void full(void **state)
{
    (void)state;
    ingest_seen_t *s = ingest_seen_new();
    char id[32];
    int i = 0, r = 1;
    for (; r == 1 && i < 4000000; i++) {
        int n = snprintf(id, sizeof id, "R%d", i);
        r = ingest_seen_add(s, id, (size_t)n);
    }
    assert_int_equal(r, -1);                                   /* full before 4M ids */
    assert_true(i > (int)(INGEST_SEEN_MAX_SLOTS / 4 * 3) - 2);  /* at three quarters of the slots */
    assert_int_equal(ingest_seen_add(s, "R0", 2), 0);           /* kept ids still found */
    assert_int_equal(ingest_seen_add(s, "never", 5), -1);
    ingest_seen_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(once_then_found), cmocka_unit_test(full)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
