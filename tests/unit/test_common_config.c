/* sais_config: defaults, file syntax and errors (file:line), environment override. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sais_config.h"

static char s_file[64];

/* Writes `text` to a fresh temporary file; its path is s_file. */
static const char *
write_file(const char *text)
{
    snprintf(s_file, sizeof s_file, "/tmp/sais_config_test_XXXXXX");
    int fd = mkstemp(s_file);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return s_file;
}

static void
test_defaults(void **state)
{
    (void)state;
    static const char *const want[][2] = {
        { "log.level", "info" }, { "data.dir", "data" }, { "store.map_mb", "256" }, { "clock.now", "" },
        { "gateway.listen", "127.0.0.1:8080" }, { "gateway.threads", "2" },
        { "gateway.max_body_mb", "2048" }, { "gateway.max_json_kb", "1024" },
        { "gateway.conn_timeout_s", "30" }, { "gateway.max_conns", "1024" },
        { "gateway.max_conns_per_ip", "64" }, { "gateway.request_timeout_ms", "10000" },
        { "gateway.web_dir", "web" },
        { "gateway.endpoint", "tcp://127.0.0.1:7101" }, { "ingest.endpoint", "tcp://127.0.0.1:7102" },
        { "verify.endpoint", "tcp://127.0.0.1:7103" }, { "rules.endpoint", "tcp://127.0.0.1:7104" },
        { "intake.endpoint", "tcp://127.0.0.1:7105" }, { "warn.endpoint", "tcp://127.0.0.1:7106" },
        { "match.endpoint", "tcp://127.0.0.1:7107" }, { "notify.endpoint", "tcp://127.0.0.1:7108" },
        { "city.endpoint", "tcp://127.0.0.1:7109" },
        { "bus.hwm", "10000" }, { "bus.max_msg_mb", "64" }, { "bus.heartbeat_ms", "1000" },
        { "bus.fetch_wait_ms", "1000" }, { "bus.fetch_max", "16384" }, { "bus.fetch_kb", "8192" },
        { "bus.reconnect_ms", "100" },
        { "bus.reconnect_max_ms", "5000" },
        { "ingest.commit_lines", "1000" }, { "ingest.max_errors", "1000" },
        { "rules.policies_dir", "deploy/policies" }, { "rules.step_limit", "100000" },
        { "notify.sms_endpoint", "" }, { "notify.max_attempts", "8" }, { "notify.backoff_ms", "500" },
        { "notify.backoff_max_ms", "60000" }, { "notify.http_timeout_ms", "5000" },
        { "warn.visit_code_ttl_s", "2592000" }, { "warn.visit_code_key", "" },
        { "city.deployment", "county" }, { "city.counties", "" },
    };
    sais_config_t *c = sais_config_new();
    assert_non_null(c);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *v = sais_config_get(c, want[i][0]);
        if (v == NULL || strcmp(v, want[i][1]) != 0)
            fail_msg("%s = \"%s\", want \"%s\"", want[i][0], v ? v : "(unknown)", want[i][1]);
    }
    assert_int_equal(sais_config_int(c, "gateway.max_body_mb"), 2048);
    assert_int_equal(sais_config_int(c, "warn.visit_code_ttl_s"), 2592000);
    assert_int_equal(sais_config_int(c, "gateway.listen"), 0);   /* not a number */
    assert_null(sais_config_get(c, "no.such_key"));
    sais_config_destroy(&c);
    assert_null(c);
    sais_config_destroy(&c);   /* idempotent */
    sais_config_destroy(NULL);
}

static void
test_table(void **state)
{
    (void)state;
    size_t n = 0;
    for (const char *k; (k = sais_config_key_at(n)) != NULL; n++) {
        assert_non_null(sais_config_help(k));
        assert_true(strlen(sais_config_help(k)) > 10);
        assert_non_null(sais_config_default(k));
        for (size_t j = 0; j < n; j++)
            assert_string_not_equal(k, sais_config_key_at(j));
    }
    assert_true(n >= 42);
    assert_null(sais_config_help("nope"));
}

static void
test_env_override(void **state)
{
    (void)state;
    setenv("SAIS_GATEWAY_LISTEN", "0.0.0.0:9090", 1);
    setenv("SAIS_BUS_RECONNECT_MAX_MS", "7000", 1);
    sais_config_t *c = sais_config_new();
    assert_non_null(c);
    assert_string_equal(sais_config_get(c, "gateway.listen"), "0.0.0.0:9090");
    assert_int_equal(sais_config_int(c, "bus.reconnect_max_ms"), 7000);

    /* the environment wins over the file */
    char err[256];
    const char *path = write_file("[gateway]\nlisten = 10.0.0.1:80\nthreads = 8\n");
    assert_int_equal(sais_config_load(c, path, err, sizeof err), 0);
    unlink(path);
    assert_string_equal(sais_config_get(c, "gateway.listen"), "0.0.0.0:9090");
    assert_int_equal(sais_config_int(c, "gateway.threads"), 8);

    /* a malformed environment value is reported by load */
    setenv("SAIS_GATEWAY_THREADS", "many", 1);
    path = write_file("# nothing\n");
    assert_int_equal(sais_config_load(c, path, err, sizeof err), -1);
    unlink(path);
    assert_string_equal(err, "environment SAIS_GATEWAY_THREADS: 'many' is not an integer");
    assert_int_equal(sais_config_int(c, "gateway.threads"), 8);

    setenv("SAIS_GATEWAY_THREADS", "2", 1);
    setenv("SAIS_BUS_FETCH_MAX", "-1", 1);
    path = write_file("# nothing\n");
    assert_int_equal(sais_config_load(c, path, err, sizeof err), -1);
    unlink(path);
    assert_string_equal(err, "environment SAIS_BUS_FETCH_MAX: '-1' is out of range: it takes 1 to 1000000");
    assert_int_equal(sais_config_int(c, "bus.fetch_max"), 16384);
    unsetenv("SAIS_BUS_FETCH_MAX");

    unsetenv("SAIS_GATEWAY_THREADS");
    unsetenv("SAIS_GATEWAY_LISTEN");
    unsetenv("SAIS_BUS_RECONNECT_MAX_MS");
    sais_config_destroy(&c);
}

static void
test_file_syntax(void **state)
{
    (void)state;
    sais_config_t *c = sais_config_new();
    char err[256] = "";
    const char *path = write_file(
        "# SAIS configuration\n"
        "\n"
        "log.level = debug\n"
        "data.dir=/var/lib/sais   # trailing comment\n"
        "  [gateway]  \n"
        "listen = \"127.0.0.1:8443\"\n"
        "web_dir = web#not-a-comment\n"
        "[ notify ]\r\n"
        "sms_endpoint = \"\"\r\n"
        "backoff_ms\t=\t250\n"
        "[]\n"
        "city.counties = \"lucheng=tcp://10.0.0.2:7102 # quoted hash\"\n");
    int rc = sais_config_load(c, path, err, sizeof err);
    unlink(path);
    if (rc != 0)
        fail_msg("load: %s", err);
    assert_string_equal(sais_config_get(c, "log.level"), "debug");
    assert_string_equal(sais_config_get(c, "data.dir"), "/var/lib/sais");
    assert_string_equal(sais_config_get(c, "gateway.listen"), "127.0.0.1:8443");
    assert_string_equal(sais_config_get(c, "gateway.web_dir"), "web#not-a-comment");
    assert_string_equal(sais_config_get(c, "notify.sms_endpoint"), "");
    assert_int_equal(sais_config_int(c, "notify.backoff_ms"), 250);
    assert_string_equal(sais_config_get(c, "city.counties"), "lucheng=tcp://10.0.0.2:7102 # quoted hash");
    sais_config_destroy(&c);
}

static void
expect_error(const char *text, const char *want_suffix)
{
    sais_config_t *c = sais_config_new();
    assert_non_null(c);
    assert_int_equal(sais_config_set(c, "gateway.threads", "3", NULL, 0), 0);
    char err[256] = "";
    const char *path = write_file(text);
    char want[256];
    snprintf(want, sizeof want, "%s:%s", path, want_suffix);
    assert_int_equal(sais_config_load(c, path, err, sizeof err), -1);
    unlink(path);
    assert_string_equal(err, want);
    /* the failed load left every value as it was, even those set before the bad line */
    assert_int_equal(sais_config_int(c, "gateway.threads"), 3);
    assert_string_equal(sais_config_get(c, "log.level"), "info");
    sais_config_destroy(&c);
}

static void
test_file_errors(void **state)
{
    (void)state;
    expect_error("log.level = warn\n\n[gateway]\nthreads = 9\nlistn = x\n", "5: unknown key 'gateway.listn'");
    expect_error("log.level = warn\nthis line has no equals\n", "2: expected 'key = value'");
    expect_error("log.level = warn\n[gateway\nthreads = 2\n", "2: malformed section header");
    expect_error("[gateway] x\n", "1: malformed section header");
    expect_error("log.level = warn\ngateway.threads = four\n", "2: gateway.threads: 'four' is not an integer");
    expect_error("gateway.threads = 12345678901234567890\n", "1: gateway.threads: '12345678901234567890' is not an integer");
    expect_error("log.level = warn\n = value\n", "2: bad key ''");
    expect_error("[bus]\nfetch_max = 0\n", "2: bus.fetch_max: '0' is out of range: it takes 1 to 1000000");
    expect_error("store.map_mb = -256\n", "1: store.map_mb: '-256' is out of range: it takes 1 to 16777216");
    expect_error("Log.Level = warn\n", "1: bad key 'Log.Level'");
    expect_error("log.level = \"warn\n", "1: log.level: unterminated or malformed quoted value");
    expect_error("log.level = \"warn\" extra\n", "1: log.level: unterminated or malformed quoted value");
    expect_error("log.level = warn\nfoo = bar\n", "2: unknown key 'foo'");

    sais_config_t *c = sais_config_new();
    char err[256];
    assert_int_equal(sais_config_load(c, "/nonexistent/sais.conf", err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/sais.conf: cannot open: No such file or directory");
    assert_int_equal(sais_config_load(c, "/nonexistent/sais.conf", NULL, 0), -1);
    sais_config_destroy(&c);
}

static void
test_set_int_bool(void **state)
{
    (void)state;
    sais_config_t *c = sais_config_new();
    char err[128];
    assert_int_equal(sais_config_set(c, "gateway.listen", "[::1]:8080", err, sizeof err), 0);
    assert_string_equal(sais_config_get(c, "gateway.listen"), "[::1]:8080");
    assert_int_equal(sais_config_set(c, "gateway.lisen", "x", err, sizeof err), -1);
    assert_string_equal(err, "unknown key 'gateway.lisen'");
    assert_int_equal(sais_config_set(c, "bus.hwm", "10k", err, sizeof err), -1);
    assert_string_equal(err, "bus.hwm: '10k' is not an integer");
    /* every number has a range, refused with the value and the range named */
    assert_int_equal(sais_config_set(c, "bus.hwm", "-5", err, sizeof err), -1);
    assert_string_equal(err, "bus.hwm: '-5' is out of range: it takes 1 to 10000000");
    assert_int_equal(sais_config_int(c, "bus.hwm"), 10000);
    assert_int_equal(sais_config_set(c, "bus.hwm", "10000000", err, sizeof err), 0);
    assert_int_equal(sais_config_set(c, "gateway.threads", "0", err, sizeof err), 0);
    assert_int_equal(sais_config_set(c, "gateway.threads", "257", err, sizeof err), -1);
    assert_string_equal(err, "gateway.threads: '257' is out of range: it takes 0 to 256");
    assert_int_equal(sais_config_set(c, "bus.hwm", "yes", err, sizeof err), -1);
    assert_int_equal(sais_config_set(c, "bus.curve", "maybe", err, sizeof err), -1);
    assert_string_equal(err, "bus.curve: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
    /* each key's own default is inside its range */
    for (size_t i = 0; sais_config_key_at(i); i++) {
        const char *k = sais_config_key_at(i);
        if (sais_config_set(c, k, sais_config_default(k), err, sizeof err) != 0)
            fail_msg("%s: its default is refused: %s", k, err);
    }
    assert_int_equal(sais_config_set(c, "city.counties", "a", err, sizeof err), 0);
    assert_false(sais_config_bool(c, "city.counties"));
    static const char *const yes[] = { "true", "YES", "1", "On" };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(sais_config_set(c, "city.counties", yes[i], err, sizeof err), 0);
        assert_true(sais_config_bool(c, "city.counties"));
    }
    sais_config_destroy(&c);
}

int
main(void)
{
    /* a stray variable from the caller's shell must not change the defaults under test */
    for (size_t i = 0; sais_config_key_at(i); i++) {
        char name[128] = "SAIS_";
        size_t o = 5;
        for (const char *k = sais_config_key_at(i); *k && o < sizeof name - 1; k++)
            name[o++] = *k == '.' ? '_' : (char)toupper((unsigned char)*k);
        name[o] = '\0';
        unsetenv(name);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_env_override),
        cmocka_unit_test(test_file_syntax),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_set_int_bool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
