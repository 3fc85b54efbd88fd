/* gateway_rate — token buckets per caller in a fixed table; see gateway_rate.h. */
#include "gateway_rate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One token is UNIT units, so that a rate in tokens a minute refills exactly `per_min` units
 * every millisecond: integer arithmetic, no drift. */
#define UNIT  60000u
#define PROBE 8   /* slots a name may occupy, from its hash on */

typedef struct {
    char     name[GW_RATE_NAME_MAX];
    uint64_t units;
    int64_t  last_ms;
    bool     used;
    bool     refused;   /* refused since it last allowed one */
} slot_t;

struct gw_rate_t {
    pthread_mutex_t mu;
    size_t          mask;
    slot_t         *slots;
};

gw_rate_t *gw_rate_new(size_t slots)
{
    size_t n = 64;
    while (n < slots && n < ((size_t)1 << 24)) n <<= 1;
    gw_rate_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->slots = calloc(n, sizeof *r->slots);
    if (!r->slots || pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r->slots);
        free(r);
        return NULL;
    }
    r->mask = n - 1;
    return r;
}

void gw_rate_destroy(gw_rate_t **r_p)
{
    if (!r_p || !*r_p) return;
    pthread_mutex_destroy(&(*r_p)->mu);
    free((*r_p)->slots);
    free(*r_p);
    *r_p = NULL;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* The slot of `name`: its own, else a free one, else the one used longest ago (reset). */
static slot_t *find(gw_rate_t *r, const char *name, uint64_t cap, int64_t now_ms)
{
    size_t at = (size_t)fnv1a(name) & r->mask;
    slot_t *pick = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        slot_t *s = &r->slots[(at + i) & r->mask];
        if (s->used && strcmp(s->name, name) == 0) return s;
        if (!s->used) {
            if (!pick || pick->used) pick = s;
        } else if (!pick || (pick->used && s->last_ms < pick->last_ms)) {
            pick = s;
        }
    }
    memset(pick, 0, sizeof *pick);
    memcpy(pick->name, name, strlen(name) + 1);
    pick->used = true;
    pick->units = cap;
    pick->last_ms = now_ms;
    return pick;
}

gw_rate_verdict_t gw_rate_take(gw_rate_t *r, const char *name, uint32_t per_min, uint32_t burst,
                               int64_t now_ms)
{
    gw_rate_verdict_t v = {true, 0, false};
    if (!r || per_min == 0) return v;
    char key[GW_RATE_NAME_MAX];
    size_t n = strnlen(name ? name : "", sizeof key - 1);
    memcpy(key, name ? name : "", n);
    key[n] = '\0';
    uint64_t cap = (uint64_t)(burst ? burst : 1) * UNIT;

    pthread_mutex_lock(&r->mu);
    slot_t *s = find(r, key, cap, now_ms);
    if (now_ms > s->last_ms) {
        /* elapsed is capped where the bucket is full anyway, so the product cannot overflow */
        uint64_t elapsed = (uint64_t)(now_ms - s->last_ms);
        uint64_t fill_ms = cap / per_min + 1;
        uint64_t add = (elapsed < fill_ms ? elapsed : fill_ms) * per_min;
        s->units = s->units + add > cap ? cap : s->units + add;
        s->last_ms = now_ms;
    }
    if (s->units > cap) s->units = cap;   /* the rate's settings are smaller than they were */
    if (s->units >= UNIT) {
        s->units -= UNIT;
        s->refused = false;
    } else {
        uint64_t wait_ms = (UNIT - s->units + per_min - 1) / per_min;
        v.allowed = false;
        v.retry_after_s = (unsigned)((wait_ms + 999) / 1000);
        if (v.retry_after_s == 0) v.retry_after_s = 1;
        v.first_refusal = !s->refused;
        s->refused = true;
    }
    pthread_mutex_unlock(&r->mu);
    return v;
}
