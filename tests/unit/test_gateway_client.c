/* Who the client is (gateway_client.c): the peer, or behind a trusted proxy the last
 * X-Forwarded-For entry that is not a trusted proxy itself; what a client writes to the left
 * proves nothing; a bad gateway.trusted_proxies entry is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "gateway_int.h"
#include "sais_config.h"

static void load(gw_t *gw, const char *proxies, int want)
{
    sais_config_t *cfg = sais_config_new();
    char err[160] = "";
    assert_int_equal(sais_config_set(cfg, "gateway.trusted_proxies", proxies, err, sizeof err), 0);
    memset(gw, 0, sizeof *gw);
    int rc = gw_proxies_load(gw, cfg, err, sizeof err);
    if (rc != want) fail_msg("%s: %d (%s)", proxies, rc, err);
    if (rc != 0) assert_non_null(strstr(err, "gateway.trusted_proxies"));
    sais_config_destroy(&cfg);
}

static const char *who(const gw_t *gw, const char *peer, const char *xff)
{
    static char out[64];
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    gw_headers_t h = {.forwarded_for = xff};
    if (inet_pton(AF_INET, peer, &v4.sin_addr) == 1) h.client = (const struct sockaddr *)&v4;
    else if (inet_pton(AF_INET6, peer, &v6.sin6_addr) == 1) h.client = (const struct sockaddr *)&v6;
    gw_client_addr(gw, &h, out, sizeof out);
    return out;
}

static void addresses(void **state)
{
    (void)state;
    gw_t gw;
    load(&gw, "", 0);
    assert_string_equal(who(&gw, "10.0.0.5", "203.0.113.7"), "10.0.0.5");   /* nobody trusted */
    assert_string_equal(who(&gw, "nothing", NULL), "unknown");
    load(&gw, "10.0.0.5, 10.0.0.6,2001:db8::1", 0);
    assert_int_equal(gw.nproxies, 3);
    assert_string_equal(who(&gw, "10.0.0.5", NULL), "10.0.0.5");
    assert_string_equal(who(&gw, "10.0.0.5", "203.0.113.7"), "203.0.113.7");
    assert_string_equal(who(&gw, "10.0.0.5", " 192.0.2.1 ,203.0.113.7 "), "203.0.113.7");
    /* two proxies in a row: the entry before the second */
    assert_string_equal(who(&gw, "10.0.0.5", "198.51.100.4, 10.0.0.6"), "198.51.100.4");
    assert_string_equal(who(&gw, "2001:db8::1", "2001:db8::99"), "2001:db8::99");
    /* what a proxy never writes ends the walk at the last good entry */
    assert_string_equal(who(&gw, "10.0.0.5", "evil, 203.0.113.7"), "203.0.113.7");
    assert_string_equal(who(&gw, "10.0.0.5", "garbage"), "10.0.0.5");
    assert_string_equal(who(&gw, "10.0.0.5", ""), "10.0.0.5");
    /* from a peer not trusted the header says nothing */
    assert_string_equal(who(&gw, "192.0.2.50", "203.0.113.7"), "192.0.2.50");
    load(&gw, "10.0.0.5, localhost", -1);
    load(&gw, "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9,1.1.1.10,"
              "1.1.1.11,1.1.1.12,1.1.1.13,1.1.1.14,1.1.1.15,1.1.1.16,1.1.1.17", -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(addresses)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
