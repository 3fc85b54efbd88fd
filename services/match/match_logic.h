/* match_logic — the rules of DOMAIN.md "Wishes and the alliance", as pure functions: no I/O,
 * no allocation except where said, nothing kept. The store (match_store.c) gathers the
 * candidates from LMDB and applies what these functions choose.
 *
 * An offer matches open wishes of the same category in its region — its region is a code
 * prefix ("3303" covers all of Wenzhou), or empty for any region — oldest wish first, as many
 * as its remaining quantity covers. A wish that arrives later goes to the oldest offer of its
 * category that covers its region and still has quantity left.
 */
#ifndef MATCH_LOGIC_H
#define MATCH_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The eight categories of DOMAIN.md, NULL-terminated. */
extern const char *const match_categories[];
bool match_category_valid(const char *category);

/* charity, company, volunteer_team */
bool match_kind_valid(const char *kind);

/* open, matched, fulfilled, cancelled */
bool match_status_valid(const char *status);

/* An offer's region: empty (any) or 2 to 6 digits. NULL counts as empty. */
bool match_region_prefix_valid(const char *prefix);

/* True if an offer meant for `offer_region` (prefix; NULL or "" = any) may serve a wish of
 * `wish_region`. */
bool match_region_covers(const char *offer_region, const char *wish_region);

/* State changes: a wish may be cancelled while open or matched, fulfilled only when matched. */
bool match_can_cancel(const char *status);
bool match_can_fulfil(const char *status);

/* An open wish waiting for an offer. `age` orders them: smaller is older (the store uses the
 * wish's sequence number). Borrowed strings. */
typedef struct {
    const char *wish_id;
    const char *region;
    uint64_t    age;
} match_wish_cand_t;

/* An offer with quantity left. */
typedef struct {
    const char *offer_id;
    const char *region;      /* prefix, "" = any */
    uint32_t    remaining;
    uint64_t    age;
} match_offer_cand_t;

/* Which of `n` open wishes (any order) an offer for `offer_region` with `quantity` left takes:
 * the oldest ones it covers, at most `quantity`. Writes their indexes into `picked` (room for
 * min(n, quantity)) oldest first and returns how many; -1 on allocation failure. */
long match_pick_wishes(const char *offer_region, uint32_t quantity, const match_wish_cand_t *wishes,
                       size_t n, size_t *picked);

/* The offer a new wish of `wish_region` goes to: the index of the oldest of `n` offers (any
 * order) with quantity left that covers the region, or -1 if none. */
long match_pick_offer(const char *wish_region, const match_offer_cand_t *offers, size_t n);

/* Quantity bookkeeping. take: one item leaves the offer (0, or -1 if none is left).
 * give_back: a matched wish was cancelled (0, or -1 if the offer is already whole). */
int match_offer_take(uint32_t *remaining);
int match_offer_give_back(uint32_t *remaining, uint32_t quantity);

#endif
