/* gateway_routes — the ONE route table of the HTTP API (API.md) and the matcher.
 *
 * Each route names its method, its path pattern ("{name}" captures one segment, "{*name}" at
 * the end captures the rest), the service that owns the answer and the rpc method it is sent
 * as (or a "local.*" handler of the gateway itself), the roles allowed, flags and a body limit.
 * The table is static and read-only; nothing here allocates.
 */
#ifndef GATEWAY_ROUTES_H
#define GATEWAY_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include "gateway_http.h"

enum {
    GW_ROLE_ADMIN      = 1u << 0,
    GW_ROLE_CASEWORKER = 1u << 1,
    GW_ROLE_REVIEWER   = 1u << 2,
    GW_ROLE_PARTNER    = 1u << 3,
    GW_ROLE_CHARITY    = 1u << 4,
    GW_ROLE_CITY       = 1u << 5,
    GW_ROLE_AUDITOR    = 1u << 6,
};
#define GW_NROLES 7   /* the bits above are 1 << 0 .. 1 << (GW_NROLES - 1) */

enum {
    GW_F_NOAUTH = 1u << 0,   /* no key needed (/healthz, /metrics, /console) */
    GW_F_AUDIT  = 1u << 1,   /* a read of personal data: audited */
    GW_F_WRITE  = 1u << 2,   /* changes state: audited, Idempotency-Key passed on */
    GW_F_JSON   = 1u << 3,   /* takes a JSON body (checked, then passed through as bytes) */
    GW_F_STREAM = 1u << 4,   /* the feed upload: streamed to ingest in chunks */
    GW_F_SOURCE = 1u << 5,   /* {source} capture must be in a partner's sources */
    GW_F_LONG   = 1u << 6,   /* a whole-city computation: waits gateway.long_request_timeout_ms */
    GW_F_PROBE  = 1u << 7,   /* asks every service, no key needed: paced per client address */
};

typedef struct {
    const char *method;
    const char *pattern;
    const char *service;     /* owning service; NULL for the gateway's own handlers */
    const char *rpc;         /* rpc method name, or "local.<x>" */
    unsigned    roles;       /* GW_ROLE_* allowed (admin always is) */
    unsigned    flags;       /* GW_F_* */
    unsigned    body_kb;     /* JSON body limit in KiB; 0 = gateway.max_json_kb */
} gw_route_t;

/* The table, and its length. Index i is stable for a build (metrics use it). */
extern const gw_route_t gw_routes[];
extern const size_t     gw_nroutes;

typedef enum { GW_MATCH_OK = 0, GW_MATCH_NO_PATH, GW_MATCH_NO_METHOD } gw_match_status_t;

#define GW_MAX_CAPTURES 4
typedef struct {
    const gw_route_t *route;
    size_t            index;
    size_t            ncap;
    const char       *cap_name[GW_MAX_CAPTURES];   /* points into a static scratch per match */
    const char       *cap_value[GW_MAX_CAPTURES];  /* points into the gw_path_t */
    char              cap_names[GW_MAX_CAPTURES][32];
    char              allow[96];                   /* for 405: "GET, POST" */
} gw_match_t;

/* Finds the route for method + decoded path. Among patterns that fit the path the most
 * specific wins (a literal segment beats a capture, left to right). On GW_MATCH_NO_METHOD
 * m->allow lists the methods the path has. */
gw_match_status_t gw_route_match(const char *method, const gw_path_t *path, gw_match_t *m);

/* Role name <-> bit. 0 for an unknown name. */
unsigned    gw_role_bit(const char *name);
const char *gw_role_name(unsigned bit);

/* True if a key with role `role_bit` may use `r` (admin may use anything). */
bool gw_route_allows(const gw_route_t *r, unsigned role_bit);

/* The seven feed sources. */
extern const char *const gw_sources[];
bool gw_source_valid(const char *s);

/* Every distinct owning service in the table, NULL-terminated (for /healthz and /metrics). */
extern const char *const gw_backends[];

#endif
