/* gateway_rate — how often one caller may be answered: the 429 of API.md "Conventions".
 *
 * Two uses, one mechanism (a token bucket per name in a fixed table):
 *   - each API key may make `rate` requests a second, per its role (gateway.rate.<role>),
 *     with a burst of gateway.rate_burst_s seconds' worth: a stolen or runaway key cannot
 *     read the city at the speed of the hardware;
 *   - each client address may fail to authenticate gateway.auth_failures_per_min times a
 *     minute. Every 401 is audited, so without this an unauthenticated flood would grow the
 *     audit chain without bound. A valid key from the same address is never held back.
 *
 * The table is fixed in size (no allocation per caller, so a flood of addresses cannot grow
 * memory): a name not in it takes the slot, among the few it may occupy, used longest ago —
 * a caller gone quiet for that long has a full bucket again anyway.
 *
 * Thread safety: every call takes the table's mutex (the polling threads, the workers).
 * Times are CLOCK_MONOTONIC milliseconds from the caller (the pinned clock.now is for
 * business dates, not for pacing).
 */
#ifndef GATEWAY_RATE_H
#define GATEWAY_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw_rate_t gw_rate_t;

#define GW_RATE_NAME_MAX 64   /* a key id or an IPv6 address in text fits */

/* A table of `slots` buckets (rounded up to a power of two, at least 64). NULL on failure. */
gw_rate_t *gw_rate_new(size_t slots);
void gw_rate_destroy(gw_rate_t **r_p);

typedef struct {
    bool     allowed;       /* a token was taken */
    unsigned retry_after_s; /* when refused: seconds until a token is there (>= 1) */
    bool     first_refusal; /* when refused: the first since the bucket last allowed one */
} gw_rate_verdict_t;

/* Takes one token from `name`'s bucket, which refills at `per_min` tokens a minute up to
 * `burst` (a new name starts full; a burst of 0 is taken as 1). per_min == 0 means
 * unlimited: always allowed, nothing kept. A name longer than GW_RATE_NAME_MAX - 1 is cut
 * there. */
gw_rate_verdict_t gw_rate_take(gw_rate_t *r, const char *name, uint32_t per_min, uint32_t burst,
                               int64_t now_ms);

#endif
