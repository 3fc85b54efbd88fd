/* notify_backoff — see notify_backoff.h. */
#include "notify_backoff.h"

int64_t notify_backoff_nominal(int64_t base_ms, int64_t max_ms, uint32_t attempt)
{
    if (base_ms < 1)
        base_ms = 1;
    if (max_ms < base_ms)
        max_ms = base_ms;
    int64_t d = base_ms;
    /* doubling stops at the cap, so it can never overflow whatever `attempt` is */
    for (uint32_t i = 1; i < attempt && d < max_ms; i++)
        d = d > max_ms / 2 ? max_ms : d * 2;
    return d < max_ms ? d : max_ms;
}

/* splitmix64: a well-mixed 64-bit value from a counter; plenty for spreading retries */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int64_t notify_backoff_delay(int64_t base_ms, int64_t max_ms, uint32_t attempt, uint64_t seed)
{
    int64_t d = notify_backoff_nominal(base_ms, max_ms, attempt);
    uint64_t span = (uint64_t)(d / 2) + 1;
    uint64_t r = mix(seed ^ mix((uint64_t)attempt));
    return d - (int64_t)(r % span);
}
