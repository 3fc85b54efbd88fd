/* notify_backoff — how long a failed delivery waits before the next attempt.
 *
 * Exponential from a base delay, capped, with "equal jitter": the wait for attempt n is drawn
 * from [d/2, d] where d = min(base * 2^(n-1), cap), so receivers that went down together are
 * not hammered in lock-step when they come back. The jitter is a pure function of a seed (the
 * notification id) and the attempt number, never of a global random state, so a given
 * history of failures always yields the same schedule.
 */
#ifndef NOTIFY_BACKOFF_H
#define NOTIFY_BACKOFF_H

#include <stdint.h>

/* The nominal delay d for `attempt` (1 = the first attempt just failed), in ms: base_ms
 * doubled attempt-1 times, never above max_ms. base_ms < 1 counts as 1; max_ms below the
 * base counts as the base. Never overflows. */
int64_t notify_backoff_nominal(int64_t base_ms, int64_t max_ms, uint32_t attempt);

/* The jittered delay in [d/2, d] (d = the nominal delay above), determined by seed and
 * attempt. */
int64_t notify_backoff_delay(int64_t base_ms, int64_t max_ms, uint32_t attempt, uint64_t seed);

#endif
