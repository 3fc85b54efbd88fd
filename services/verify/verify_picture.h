/* verify_picture — the household economic picture of DOMAIN.md ("The household economic
 * picture"), computed from the household's person records for a given day. Pure: no I/O,
 * no clock (the caller passes today).
 *
 * What is counted, and the windows (all relative to `today_days`):
 *   counted member  registered in this household (hukou in force not a move_out), alive,
 *                   not incarcerated;
 *   monthly income  sum of hrss amounts in the 12 complete months before today's month,
 *                   / 12 floored to the fen (a month without records counts 0);
 *   OOP             out_of_pocket settled today-364 .. today (verify_in_365_days: exactly
 *                   365 days ago is out);
 *   latest month    the month before today's month; prev6 = the 6 months before that;
 *   assets          deposits + securities, the most valuable vehicle, the number of
 *                   real-estate titles and business value, of counted members only (the
 *                   dibao asset tests are per counted member).
 * Every person passed in is listed (deceased, incarcerated and moved-out ones with
 * counted = false, so rules and warn can see them), sorted by id_number.
 */
#ifndef VERIFY_PICTURE_H
#define VERIFY_PICTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "verify.pb-c.h"
#include "vstore.pb-c.h"

/* Fills `out` (caller's storage, whatever it held is overwritten without being freed) with
 * the picture of `household_id` in `region` from its `n` member records (borrowed; duplicates
 * by id_number are listed once). `version` is left 0 for the caller to set; `as_of` is today.
 * The contents of `out` are malloc'd the way protobuf-c unpacks, so release them with
 * verify_picture_clear(out) — or, if `out` itself was malloc'd, ver__picture__free_unpacked.
 * Returns 0, or -1 when out of memory (then `out` holds nothing and needs no clear). */
int verify_picture_compute(const char *household_id, const char *region,
                           Vst__Person *const *members, size_t n, long today_days,
                           Ver__Picture *out);

/* Frees what verify_picture_compute put in `pic` and re-initialises it (empty picture).
 * The struct itself is not freed. Idempotent. */
void verify_picture_clear(Ver__Picture *pic);

/* The picture as verify stores it: packed with version 0 (the change counter is kept apart),
 * so two pictures are the same in every field but `version` exactly when these bytes are
 * equal (protobuf-c packs deterministically). malloc'd, *len its length; NULL when memory
 * runs out. */
uint8_t *verify_picture_pack_stored(const Ver__Picture *pic, size_t *len);

#endif
