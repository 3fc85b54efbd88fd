/* gateway_routes — see gateway_routes.h. The table follows API.md section by section; the
 * roles follow API.md "Roles and scope". Region scoping of a single resource is left to the
 * owning service, which knows the person's region (Request.caller carries the regions). */
#include "gateway_routes.h"

#include <stdio.h>
#include <string.h>

#define ADM GW_ROLE_ADMIN
#define CW  GW_ROLE_CASEWORKER
#define REV GW_ROLE_REVIEWER
#define PAR GW_ROLE_PARTNER
#define CHA GW_ROLE_CHARITY
#define CIT GW_ROLE_CITY
#define AUD GW_ROLE_AUDITOR
#define STAFF (CW | REV)

#define NOAUTH GW_F_NOAUTH
#define AUDIT  GW_F_AUDIT
#define WRITE  GW_F_WRITE
#define PROBE  GW_F_PROBE
#define JSON   GW_F_JSON
#define LONG   GW_F_LONG

const gw_route_t gw_routes[] = {
    /* operations */
    {"GET",    "/healthz", NULL, "local.healthz", 0, NOAUTH | PROBE, 0},
    {"GET",    "/metrics", NULL, "local.metrics", 0, NOAUTH | PROBE, 0},
    {"GET",    "/console", NULL, "local.console", 0, NOAUTH, 0},
    {"GET",    "/console/{*path}", NULL, "local.console", 0, NOAUTH, 0},

    /* keys */
    {"POST",   "/v1/keys", NULL, "local.keys.create", ADM, WRITE | JSON, 16},
    {"GET",    "/v1/keys", NULL, "local.keys.list", ADM, 0, 0},
    {"DELETE", "/v1/keys/{id}", NULL, "local.keys.delete", ADM, WRITE, 0},

    /* partner feeds */
    {"POST",   "/v1/feeds/{source}/batches", "ingest", "feed.begin", PAR, WRITE | GW_F_STREAM | GW_F_SOURCE, 0},
    {"GET",    "/v1/feeds/{source}/batches/{batch_id}", "ingest", "batches.get", PAR | CIT, GW_F_SOURCE, 0},
    {"GET",    "/v1/feeds", "ingest", "feeds.list", CIT, 0, 0},

    /* registry */
    {"GET",    "/v1/persons/{id_number}", "verify", "persons.get", STAFF | CIT, AUDIT, 0},
    {"GET",    "/v1/households/{household_id}", "verify", "households.get", STAFF | CIT, AUDIT, 0},
    {"GET",    "/v1/households/{household_id}/benefits", "verify", "households.benefits", STAFF | CIT, AUDIT, 0},

    /* verification */
    {"POST",   "/v1/verifications", "verify", "verifications.create", STAFF, AUDIT | WRITE | JSON, 0},
    {"GET",    "/v1/verifications/{id}", "verify", "verifications.get", STAFF | CIT, AUDIT, 0},

    /* policies and decisions */
    {"GET",    "/v1/policies", "rules", "policies.list", STAFF | CIT, 0, 0},
    {"POST",   "/v1/policies/evaluate", "rules", "policies.evaluate", STAFF | CIT, AUDIT | JSON, 0},
    {"POST",   "/v1/policies/simulate", "rules", "policies.simulate", REV | CIT, JSON | LONG, 0},
    {"GET",    "/v1/entitlements", "rules", "entitlements.list", STAFF | CIT, 0, 0},
    {"POST",   "/v1/admin/policies/reload", "rules", "policies.reload", ADM, WRITE, 0},

    /* applications */
    {"POST",   "/v1/applications", "intake", "applications.create", STAFF, WRITE | JSON, 0},
    {"GET",    "/v1/applications", "intake", "applications.list", STAFF | CIT, 0, 0},
    {"GET",    "/v1/applications/{id}", "intake", "applications.get", STAFF | CIT, 0, 0},
    {"POST",   "/v1/applications/{id}/review", "intake", "applications.review", REV, WRITE | JSON, 0},

    /* early warning and visits */
    {"GET",    "/v1/alerts", "warn", "alerts.list", STAFF | CIT, 0, 0},
    {"POST",   "/v1/alerts/{id}/acknowledge", "warn", "alerts.acknowledge", STAFF, WRITE | JSON, 0},
    {"POST",   "/v1/alerts/{id}/resolve", "warn", "alerts.resolve", REV, WRITE | JSON, 0},
    {"POST",   "/v1/visits", "warn", "visits.create", STAFF, WRITE | JSON, 0},
    {"GET",    "/v1/visits", "warn", "visits.list", STAFF | CIT, 0, 0},
    {"GET",    "/v1/visits/due", "warn", "visits.due", STAFF | CIT, 0, 0},
    {"GET",    "/v1/households/{household_id}/visit-code", "warn", "visits.code", STAFF | CIT, AUDIT, 0},
    {"POST",   "/v1/admin/compare", "warn", "compare.run", ADM, WRITE | LONG, 0},

    /* charity, wishes and the service alliance */
    {"POST",   "/v1/wishes", "match", "wishes.create", STAFF, WRITE | JSON, 0},
    {"GET",    "/v1/wishes", "match", "wishes.list", CHA | STAFF | CIT, 0, 0},
    {"GET",    "/v1/wishes/{id}", "match", "wishes.get", CHA | STAFF | CIT, 0, 0},
    {"POST",   "/v1/wishes/{id}/fulfil", "match", "wishes.fulfil", CHA | STAFF, WRITE | JSON, 0},
    {"POST",   "/v1/wishes/{id}/cancel", "match", "wishes.cancel", STAFF, WRITE | JSON, 0},
    {"POST",   "/v1/organizations", "match", "organizations.create", CHA | STAFF, WRITE | JSON, 0},
    {"GET",    "/v1/organizations", "match", "organizations.list", CHA | STAFF | CIT, 0, 0},
    {"POST",   "/v1/offers", "match", "offers.create", CHA, WRITE | JSON, 0},
    {"GET",    "/v1/stats", "city", "stats.get", CHA | STAFF | CIT, 0, 0},

    /* notifications */
    {"GET",    "/v1/notifications", "notify", "notifications.list", STAFF | CIT, 0, 0},
    {"POST",   "/v1/webhooks", "notify", "webhooks.create", ADM, WRITE | JSON, 0},
    {"GET",    "/v1/webhooks", "notify", "webhooks.list", ADM, 0, 0},

    /* city level */
    {"GET",    "/v1/city/stats", "city", "city.stats", CIT, 0, 0},
    {"GET",    "/v1/city/locate/{id_number}", "city", "city.locate", CIT, AUDIT, 0},

    /* audit */
    {"GET",    "/v1/audit", NULL, "local.audit", AUD, 0, 0},
};
const size_t gw_nroutes = sizeof gw_routes / sizeof gw_routes[0];

const char *const gw_backends[] = {
    "ingest", "verify", "rules", "intake", "warn", "match", "notify", "city", NULL,
};

const char *const gw_sources[] = {
    "hukou", "medical", "disability", "hrss", "civil", "justice", "assets", NULL,
};

bool gw_source_valid(const char *s)
{
    if (!s) return false;
    for (size_t i = 0; gw_sources[i]; i++)
        if (strcmp(gw_sources[i], s) == 0) return true;
    return false;
}

static const struct { const char *name; unsigned bit; } role_names[] = {
    {"admin", GW_ROLE_ADMIN},     {"caseworker", GW_ROLE_CASEWORKER},
    {"reviewer", GW_ROLE_REVIEWER}, {"partner", GW_ROLE_PARTNER},
    {"charity", GW_ROLE_CHARITY}, {"city", GW_ROLE_CITY},
    {"auditor", GW_ROLE_AUDITOR},
};

unsigned gw_role_bit(const char *name)
{
    if (!name) return 0;
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (strcmp(role_names[i].name, name) == 0) return role_names[i].bit;
    return 0;
}

const char *gw_role_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (role_names[i].bit == bit) return role_names[i].name;
    return "";
}

bool gw_route_allows(const gw_route_t *r, unsigned role_bit)
{
    if (r->flags & GW_F_NOAUTH) return true;
    if (role_bit == GW_ROLE_ADMIN) return true;
    return role_bit != 0 && (r->roles & role_bit) != 0;
}

/* Matches one pattern against the path. Returns a specificity score >= 0 (a bit per literal
 * segment, leftmost highest) or -1. Captures go into m when m is non-NULL. */
static long pattern_fit(const char *pattern, const gw_path_t *path, gw_match_t *m)
{
    const char *p = pattern;
    size_t si = 0;
    long score = 0;
    if (m) m->ncap = 0;
    if (*p == '/') p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t plen = e ? (size_t)(e - p) : strlen(p);
        bool rest = plen > 3 && p[0] == '{' && p[1] == '*';
        bool cap = plen > 2 && p[0] == '{' && p[plen - 1] == '}';
        if (rest) {
            /* "{*name}" takes the remaining segments (at least one, maybe empty); the handler
             * reads them from the path itself, only the first is recorded here */
            if (si >= path->nseg) return -1;
            if (m && m->ncap < GW_MAX_CAPTURES) {
                snprintf(m->cap_names[m->ncap], sizeof m->cap_names[0], "%.*s",
                         (int)(plen - 3), p + 2);
                m->cap_value[m->ncap] = path->seg[si];
                m->ncap++;
            }
            return score;
        }
        if (si >= path->nseg) return -1;
        const char *seg = path->seg[si];
        score <<= 1;
        if (cap) {
            if (seg[0] == '\0') return -1;
            if (m && m->ncap < GW_MAX_CAPTURES) {
                snprintf(m->cap_names[m->ncap], sizeof m->cap_names[0], "%.*s",
                         (int)(plen - 2), p + 1);
                m->cap_value[m->ncap] = seg;
                m->ncap++;
            }
        } else {
            if (strlen(seg) != plen || memcmp(seg, p, plen) != 0) return -1;
            score |= 1;
        }
        si++;
        p += plen;
        if (*p == '/') p++;
    }
    return si == path->nseg ? score : -1;
}

gw_match_status_t gw_route_match(const char *method, const gw_path_t *path, gw_match_t *m)
{
    memset(m, 0, sizeof *m);
    long best = -1;
    const char *best_pattern = NULL;
    for (size_t i = 0; i < gw_nroutes; i++) {
        long s = pattern_fit(gw_routes[i].pattern, path, NULL);
        if (s > best) {
            best = s;
            best_pattern = gw_routes[i].pattern;
        }
    }
    if (!best_pattern) return GW_MATCH_NO_PATH;
    size_t alen = 0;
    for (size_t i = 0; i < gw_nroutes; i++) {
        const gw_route_t *r = &gw_routes[i];
        if (strcmp(r->pattern, best_pattern) != 0) continue;
        if (strcmp(r->method, method) == 0) {
            m->route = r;
            m->index = i;
            pattern_fit(r->pattern, path, m);
            for (size_t c = 0; c < m->ncap; c++) m->cap_name[c] = m->cap_names[c];
            return GW_MATCH_OK;
        }
        int w = snprintf(m->allow + alen, sizeof m->allow - alen, "%s%s",
                         alen ? ", " : "", r->method);
        if (w > 0 && (size_t)w < sizeof m->allow - alen) alen += (size_t)w;
    }
    return GW_MATCH_NO_METHOD;
}
