/* sais_log: line format, levels, ID masking, one write per line across threads. Output is
 * captured by pointing fd 2 at a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sais_clock.h"
#include "sais_log.h"

static int s_saved_stderr = -1;
static char s_path[64];

static void
capture_start(void)
{
    snprintf(s_path, sizeof s_path, "/tmp/sais_log_test_XXXXXX");
    int fd = mkstemp(s_path);
    assert_true(fd >= 0);
    close(fd);
    fd = open(s_path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    s_saved_stderr = dup(STDERR_FILENO);
    assert_true(s_saved_stderr >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
}

/* Restores stderr and returns what was written (caller frees). */
static char *
capture_end(size_t *len)
{
    dup2(s_saved_stderr, STDERR_FILENO);
    close(s_saved_stderr);
    FILE *f = fopen(s_path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    unlink(s_path);
    if (len)
        *len = (size_t)n;
    return buf;
}

static int
setup(void **state)
{
    (void)state;
    sais_clock_pin("2026-11-23T08:00:00Z");
    sais_log_set_level(SAIS_LOG_INFO);
    sais_log_set_service("ingest");
    sais_log_set_request("req-id");
    return 0;
}

static void
test_line_format(void **state)
{
    (void)state;
    capture_start();
    sais_info("batch %d accepted", 17);
    sais_error("disk full");
    sais_log_set_request(NULL);
    sais_log_set_service(NULL);
    sais_warn("no context");
    char *out = capture_end(NULL);
    assert_string_equal(out, "2026-11-23T08:00:00Z INFO  ingest [req-id] batch 17 accepted\n"
                             "2026-11-23T08:00:00Z ERROR ingest [req-id] disk full\n"
                             "2026-11-23T08:00:00Z WARN  - [-] no context\n");
    free(out);
}

static void
test_levels(void **state)
{
    (void)state;
    sais_log_level_t lvl = SAIS_LOG_ERROR;
    assert_int_equal(sais_log_level_parse("debug", &lvl), 0);
    assert_int_equal(lvl, SAIS_LOG_DEBUG);
    assert_int_equal(sais_log_level_parse("WARN", &lvl), 0);
    assert_int_equal(lvl, SAIS_LOG_WARN);
    assert_int_equal(sais_log_level_parse("warning", &lvl), 0);
    assert_int_equal(sais_log_level_parse("error", &lvl), 0);
    assert_int_equal(lvl, SAIS_LOG_ERROR);
    assert_int_equal(sais_log_level_parse("info", &lvl), 0);
    assert_int_equal(lvl, SAIS_LOG_INFO);
    assert_int_equal(sais_log_level_parse("loud", &lvl), -1);
    assert_int_equal(sais_log_level_parse("", &lvl), -1);
    assert_int_equal(sais_log_level_parse(NULL, &lvl), -1);

    capture_start();
    sais_log_set_level(SAIS_LOG_WARN);
    sais_debug("hidden debug");
    sais_info("hidden info");
    sais_warn("shown warn");
    sais_log_set_level(SAIS_LOG_DEBUG);
    sais_debug("shown debug");
    char *out = capture_end(NULL);
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "WARN  ingest [req-id] shown warn\n"));
    assert_non_null(strstr(out, "DEBUG ingest [req-id] shown debug\n"));
    free(out);
}

static void
test_mask_ids(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "11010519491231002X", "110105***********X" },
        { "id=440524188001010014,", "id=440524***********4," },
        { "a440524188001010014b", "a440524***********4b" },
        { "11010519491231002x ok", "110105***********x ok" },
        { "4405241880010100144", "4405241880010100144" },        /* 19 digits: not an ID */
        { "44052418800101001", "44052418800101001" },            /* 17 digits alone */
        { "144052418800101001X", "144052***********1X" },        /* 18 digits: masked */
        { "44052418800101001Y", "44052418800101001Y" },
        { "amount 3216000 fen at 1795420800", "amount 3216000 fen at 1795420800" },
        { "440524188001010014/11010519491231002X",
          "440524***********4/110105***********X" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        sais_log_mask_ids(buf);
        assert_string_equal(buf, cases[i].out);
    }
    sais_log_mask_ids(NULL);

    /* the masker runs on every line, whatever formatted it */
    capture_start();
    sais_log_set_request("440524188001010014");
    sais_info("person %s applied, household %s", "11010519491231002X", "hh-1");
    sais_log_set_request("req-id");
    char *out = capture_end(NULL);
    assert_string_equal(out, "2026-11-23T08:00:00Z INFO  ingest [440524***********4] person "
                             "110105***********X applied, household hh-1\n");
    free(out);
}

static void
test_one_line_per_call(void **state)
{
    (void)state;
    capture_start();
    sais_info("two\nlines\r\tand tab");
    char *out = capture_end(NULL);
    assert_string_equal(out, "2026-11-23T08:00:00Z INFO  ingest [req-id] two lines  and tab\n");
    free(out);
}

static void
test_long_lines(void **state)
{
    (void)state;
    char *big = malloc(200001);
    assert_non_null(big);
    memset(big, 'a', 200000);
    big[200000] = '\0';
    memcpy(big + 9000, "440524188001010014", 18);

    capture_start();
    sais_info("%.10000s|", big);   /* longer than the stack buffer: complete */
    sais_info("%s", big);          /* beyond the cap: cut, marked */
    size_t n;
    char *out = capture_end(&n);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    const char *prefix = "2026-11-23T08:00:00Z INFO  ingest [req-id] ";
    assert_int_equal((size_t)(nl - out), strlen(prefix) + 10001);
    assert_int_equal(nl[-1], '|');
    assert_non_null(strstr(out, "440524***********4"));
    assert_null(strstr(out, "440524188001010014"));
    char *second = nl + 1;
    char *nl2 = strchr(second, '\n');
    assert_non_null(nl2);
    assert_true(nl2 - second < 70000);
    assert_memory_equal(nl2 - 3, "...", 3);
    assert_int_equal(nl2[1], '\0');
    free(out);
    free(big);
}

#define THREADS 4
#define LINES 2000

static void *
writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    char svc[16];
    snprintf(svc, sizeof svc, "svc%d", id);
    sais_log_set_service(svc);   /* per-thread: must not leak into other threads */
    sais_log_set_request("r");
    char pad[300];
    memset(pad, 'a' + id, sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        sais_info("%d %s", i, pad);
    return NULL;
}

static void
test_threads_do_not_interleave(void **state)
{
    (void)state;
    capture_start();
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    char *out = capture_end(NULL);
    int count[THREADS] = { 0 };
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int id, i;
        char want[400];
        assert_int_equal(sscanf(line, "2026-11-23T08:00:00Z INFO  svc%d [r] %d ", &id, &i), 2);
        assert_true(id >= 0 && id < THREADS);
        char pad[300];
        memset(pad, 'a' + id, sizeof pad - 1);
        pad[sizeof pad - 1] = '\0';
        snprintf(want, sizeof want, "2026-11-23T08:00:00Z INFO  svc%d [r] %d %s", id, i, pad);
        assert_string_equal(line, want);
        count[id]++;
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(count[i], LINES);
    free(out);
}

/* Lines that repeat: per kind, per minute, the held-back count said once, kinds apart, and
 * a full table gives way to a new kind. */
static void
test_repeated_lines_limited(void **state)
{
    (void)state;
    static const char a[] = "kind a", b[] = "kind b";
    unsigned held = 99;
    for (int i = 0; i < 3; i++) {
        assert_true(sais_log_allow_at(a, 3, 1000, &held));
        assert_int_equal(held, 0);
    }
    assert_false(sais_log_allow_at(a, 3, 1000, &held));
    assert_false(sais_log_allow_at(a, 3, 1000, &held));
    assert_true(sais_log_allow_at(b, 3, 1000, &held));     /* another kind is not held */
    assert_int_equal(held, 0);
    assert_true(sais_log_allow_at(a, 3, 1001, &held));     /* the next minute: two held */
    assert_int_equal(held, 2);
    assert_true(sais_log_allow_at(a, 3, 1001, &held));
    assert_int_equal(held, 0);                              /* said once */

    /* more kinds than the table holds: each new one is still written */
    static char many[SAIS_LOG_KINDS + 8];
    for (size_t i = 0; i < sizeof many; i++)
        assert_true(sais_log_allow_at(&many[i], 1, 2000, &held));
    assert_true(sais_log_allow_at(a, 3, 2000, &held));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_line_format, setup),
        cmocka_unit_test_setup(test_levels, setup),
        cmocka_unit_test_setup(test_mask_ids, setup),
        cmocka_unit_test_setup(test_one_line_per_call, setup),
        cmocka_unit_test_setup(test_long_lines, setup),
        cmocka_unit_test_setup(test_threads_do_not_interleave, setup),
        cmocka_unit_test(test_repeated_lines_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
