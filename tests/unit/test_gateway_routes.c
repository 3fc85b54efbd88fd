/* The route table: every route matches its own path with the right captures, unknown paths
 * are 404, a known path with another method is 405 with Allow, roles follow API.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "gateway_routes.h"

static gw_match_status_t match(const char *method, const char *path, gw_match_t *m, gw_path_t *p)
{
    assert_int_equal(gw_path_parse(path, strlen(path), p), GW_PATH_OK);
    return gw_route_match(method, p, m);
}

/* Builds a concrete path from a pattern: each capture becomes "v<i>". */
static void concrete(const char *pattern, char *out, size_t len)
{
    size_t o = 0;
    int k = 0;
    for (const char *p = pattern; *p && o + 8 < len;) {
        if (*p == '{') {
            o += (size_t)snprintf(out + o, len - o, "v%d", k++);
            p = strchr(p, '}') + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static void every_route_matches_itself(void **state)
{
    (void)state;
    assert_true(gw_nroutes >= 44);
    for (size_t i = 0; i < gw_nroutes; i++) {
        const gw_route_t *r = &gw_routes[i];
        char path[256];
        concrete(r->pattern, path, sizeof path);
        gw_match_t m;
        gw_path_t p;
        gw_match_status_t st = match(r->method, path, &m, &p);
        if (st != GW_MATCH_OK) fail_msg("route %s %s did not match %s", r->method, r->pattern, path);
        assert_ptr_equal(m.route, r);
        assert_int_equal(m.index, i);
        /* each capture has its name from the pattern and the value we put there */
        int k = 0;
        for (const char *q = strchr(r->pattern, '{'); q; q = strchr(q + 1, '{')) {
            char want[16], name[32];
            snprintf(want, sizeof want, "v%d", k);
            const char *b = q + 1 + (q[1] == '*');
            snprintf(name, sizeof name, "%.*s", (int)(strchr(q, '}') - b), b);
            assert_true((size_t)k < m.ncap);
            assert_string_equal(m.cap_name[k], name);
            assert_string_equal(m.cap_value[k], want);
            k++;
        }
        assert_int_equal(m.ncap, k);
        /* every service route names an rpc method and its service */
        if (r->service) assert_non_null(strchr(r->rpc, '.'));
        else assert_memory_equal(r->rpc, "local.", 6);
        gw_path_free(&p);
    }
}

static void contract_paths(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path, *service, *rpc;
    } cases[] = {
        {"POST", "/v1/feeds/medical/batches", "ingest", "feed.begin"},
        {"GET", "/v1/feeds/medical/batches/b-1", "ingest", "batches.get"},
        {"GET", "/v1/feeds", "ingest", "feeds.list"},
        {"GET", "/v1/persons/330326199001011235", "verify", "persons.get"},
        {"GET", "/v1/households/H1", "verify", "households.get"},
        {"GET", "/v1/households/H1/benefits", "verify", "households.benefits"},
        {"POST", "/v1/verifications", "verify", "verifications.create"},
        {"GET", "/v1/verifications/V1", "verify", "verifications.get"},
        {"GET", "/v1/policies", "rules", "policies.list"},
        {"POST", "/v1/policies/evaluate", "rules", "policies.evaluate"},
        {"POST", "/v1/policies/simulate", "rules", "policies.simulate"},
        {"GET", "/v1/entitlements", "rules", "entitlements.list"},
        {"POST", "/v1/admin/policies/reload", "rules", "policies.reload"},
        {"POST", "/v1/applications", "intake", "applications.create"},
        {"GET", "/v1/applications", "intake", "applications.list"},
        {"GET", "/v1/applications/A1", "intake", "applications.get"},
        {"POST", "/v1/applications/A1/review", "intake", "applications.review"},
        {"GET", "/v1/alerts", "warn", "alerts.list"},
        {"POST", "/v1/alerts/1/acknowledge", "warn", "alerts.acknowledge"},
        {"POST", "/v1/alerts/1/resolve", "warn", "alerts.resolve"},
        {"POST", "/v1/visits", "warn", "visits.create"},
        {"GET", "/v1/visits", "warn", "visits.list"},
        {"GET", "/v1/visits/due", "warn", "visits.due"},
        {"GET", "/v1/households/H1/visit-code", "warn", "visits.code"},
        {"POST", "/v1/admin/compare", "warn", "compare.run"},
        {"POST", "/v1/wishes", "match", "wishes.create"},
        {"GET", "/v1/wishes", "match", "wishes.list"},
        {"POST", "/v1/wishes/W1/fulfil", "match", "wishes.fulfil"},
        {"POST", "/v1/organizations", "match", "organizations.create"},
        {"GET", "/v1/organizations", "match", "organizations.list"},
        {"POST", "/v1/offers", "match", "offers.create"},
        {"GET", "/v1/stats", "city", "stats.get"},
        {"GET", "/v1/city/stats", "city", "city.stats"},
        {"GET", "/v1/city/locate/330326199001011235", "city", "city.locate"},
        {"GET", "/v1/notifications", "notify", "notifications.list"},
        {"POST", "/v1/webhooks", "notify", "webhooks.create"},
        {"GET", "/v1/audit", NULL, "local.audit"},
        {"POST", "/v1/keys", NULL, "local.keys.create"},
        {"GET", "/v1/keys", NULL, "local.keys.list"},
        {"DELETE", "/v1/keys/abc", NULL, "local.keys.delete"},
        {"GET", "/healthz", NULL, "local.healthz"},
        {"GET", "/metrics", NULL, "local.metrics"},
        {"GET", "/console/", NULL, "local.console"},
        {"GET", "/console/js/app.js", NULL, "local.console"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_match_t m;
        gw_path_t p;
        if (match(cases[i].method, cases[i].path, &m, &p) != GW_MATCH_OK)
            fail_msg("%s %s did not match", cases[i].method, cases[i].path);
        if (cases[i].service) assert_string_equal(m.route->service, cases[i].service);
        else assert_null(m.route->service);
        assert_string_equal(m.route->rpc, cases[i].rpc);
        gw_path_free(&p);
    }
}

static void literal_beats_capture(void **state)
{
    (void)state;
    gw_match_t m;
    gw_path_t p;
    assert_int_equal(match("GET", "/v1/visits/due", &m, &p), GW_MATCH_OK);
    assert_string_equal(m.route->rpc, "visits.due");
    assert_int_equal(m.ncap, 0);
    gw_path_free(&p);
    assert_int_equal(match("GET", "/v1/households/H7/benefits", &m, &p), GW_MATCH_OK);
    assert_string_equal(m.route->rpc, "households.benefits");
    assert_string_equal(m.cap_name[0], "household_id");
    assert_string_equal(m.cap_value[0], "H7");
    gw_path_free(&p);
}

static void not_found_and_not_allowed(void **state)
{
    (void)state;
    gw_match_t m;
    gw_path_t p;
    static const char *const missing[] = {
        "/", "/v1", "/v1/", "/v1/nothing", "/v1/persons", "/v1/persons/", "/v1/persons/1/x",
        "/v1/keys/", "/v1//keys", "/healthz/", "/v2/persons/1", "/V1/persons/1",
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        if (match("GET", missing[i], &m, &p) != GW_MATCH_NO_PATH) fail_msg("%s matched", missing[i]);
        gw_path_free(&p);
    }
    assert_int_equal(match("DELETE", "/v1/persons/330326199001011235", &m, &p), GW_MATCH_NO_METHOD);
    assert_string_equal(m.allow, "GET");
    gw_path_free(&p);
    assert_int_equal(match("PUT", "/v1/keys", &m, &p), GW_MATCH_NO_METHOD);
    assert_string_equal(m.allow, "POST, GET");
    gw_path_free(&p);
    assert_int_equal(match("GET", "/v1/feeds/hukou/batches", &m, &p), GW_MATCH_NO_METHOD);
    assert_string_equal(m.allow, "POST");
    gw_path_free(&p);
    assert_int_equal(match("POST", "/healthz", &m, &p), GW_MATCH_NO_METHOD);
    assert_string_equal(m.allow, "GET");
    gw_path_free(&p);
}

static const gw_route_t *route_for(const char *method, const char *path)
{
    gw_match_t m;
    gw_path_t p;
    gw_match_status_t st = match(method, path, &m, &p);
    gw_path_free(&p);
    assert_int_equal(st, GW_MATCH_OK);
    return m.route;
}

static void roles(void **state)
{
    (void)state;
    assert_int_equal(gw_role_bit("admin"), GW_ROLE_ADMIN);
    assert_int_equal(gw_role_bit("auditor"), GW_ROLE_AUDITOR);
    assert_int_equal(gw_role_bit("root"), 0);
    assert_int_equal(gw_role_bit(NULL), 0);
    assert_string_equal(gw_role_name(GW_ROLE_CITY), "city");

    /* admin may do everything; an unknown role nothing that needs a key */
    for (size_t i = 0; i < gw_nroutes; i++) {
        assert_true(gw_route_allows(&gw_routes[i], GW_ROLE_ADMIN));
        if (!(gw_routes[i].flags & GW_F_NOAUTH)) assert_false(gw_route_allows(&gw_routes[i], 0));
        /* city reads (GET) and never writes */
        if (gw_routes[i].flags & GW_F_WRITE) assert_false(gw_route_allows(&gw_routes[i], GW_ROLE_CITY));
    }
    const gw_route_t *persons = route_for("GET", "/v1/persons/1");
    assert_true(gw_route_allows(persons, GW_ROLE_CASEWORKER));
    assert_true(gw_route_allows(persons, GW_ROLE_CITY));
    assert_false(gw_route_allows(persons, GW_ROLE_PARTNER));
    assert_false(gw_route_allows(persons, GW_ROLE_CHARITY));
    assert_false(gw_route_allows(persons, GW_ROLE_AUDITOR));
    assert_true(persons->flags & GW_F_AUDIT);

    const gw_route_t *review = route_for("POST", "/v1/applications/1/review");
    assert_true(gw_route_allows(review, GW_ROLE_REVIEWER));
    assert_false(gw_route_allows(review, GW_ROLE_CASEWORKER));

    const gw_route_t *resolve = route_for("POST", "/v1/alerts/1/resolve");
    assert_false(gw_route_allows(resolve, GW_ROLE_CASEWORKER));
    assert_true(gw_route_allows(route_for("POST", "/v1/alerts/1/acknowledge"), GW_ROLE_CASEWORKER));

    const gw_route_t *feed = route_for("POST", "/v1/feeds/medical/batches");
    assert_true(gw_route_allows(feed, GW_ROLE_PARTNER));
    assert_false(gw_route_allows(feed, GW_ROLE_CASEWORKER));
    assert_true(feed->flags & GW_F_STREAM);
    assert_true(feed->flags & GW_F_SOURCE);

    assert_true(gw_route_allows(route_for("GET", "/v1/audit"), GW_ROLE_AUDITOR));
    assert_false(gw_route_allows(route_for("GET", "/v1/audit"), GW_ROLE_CITY));
    assert_false(gw_route_allows(route_for("GET", "/v1/keys"), GW_ROLE_CITY));
    assert_true(gw_route_allows(route_for("GET", "/v1/city/stats"), GW_ROLE_CITY));
    assert_false(gw_route_allows(route_for("GET", "/v1/city/stats"), GW_ROLE_CASEWORKER));
    assert_true(gw_route_allows(route_for("POST", "/v1/policies/simulate"), GW_ROLE_CITY));
    assert_true(gw_route_allows(route_for("POST", "/v1/policies/simulate"), GW_ROLE_REVIEWER));
    assert_false(gw_route_allows(route_for("POST", "/v1/policies/simulate"), GW_ROLE_CASEWORKER));
    assert_true(gw_route_allows(route_for("GET", "/v1/wishes"), GW_ROLE_CHARITY));
    assert_true(gw_route_allows(route_for("POST", "/v1/offers"), GW_ROLE_CHARITY));
    assert_true(gw_route_allows(route_for("GET", "/v1/stats"), GW_ROLE_CHARITY));
    assert_false(gw_route_allows(route_for("GET", "/v1/alerts"), GW_ROLE_CHARITY));
    assert_true(gw_route_allows(route_for("GET", "/healthz"), 0));
}

static void sources_and_backends(void **state)
{
    (void)state;
    static const char *const ok[] = {"hukou", "medical", "disability", "hrss", "civil", "justice", "assets"};
    for (size_t i = 0; i < 7; i++) assert_true(gw_source_valid(ok[i]));
    assert_false(gw_source_valid("tax"));
    assert_false(gw_source_valid(""));
    assert_false(gw_source_valid(NULL));
    /* every service in the table is probed by /healthz */
    for (size_t i = 0; i < gw_nroutes; i++) {
        if (!gw_routes[i].service) continue;
        bool found = false;
        for (size_t b = 0; gw_backends[b]; b++)
            if (strcmp(gw_backends[b], gw_routes[i].service) == 0) found = true;
        assert_true(found);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_matches_itself),
        cmocka_unit_test(contract_paths),
        cmocka_unit_test(literal_beats_capture),
        cmocka_unit_test(not_found_and_not_allowed),
        cmocka_unit_test(roles),
        cmocka_unit_test(sources_and_backends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
