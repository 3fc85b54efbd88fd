/* city_count — the figures of each region, kept exact from events.
 *
 * Every household of every deployment has one stored record (cty.Household) from which its
 * contribution to its region's figures is computed: households (1 if verify's picture lists
 * a member not moved out), monitored (an active marginal status or an active dibao or tekun
 * entitlement), entitlements_active, monthly_cost (active monthly amounts), alerts_open (its
 * alerts with status open) and beneficiaries (1 if it holds an active entitlement or had a
 * wish fulfilled). A change takes the record's whole old contribution off its old region and
 * adds the new one to its new region, in the same transaction: a repeated or changed status
 * is counted once, and a household that moves region takes its figures along.
 *
 * Persons are counted once each, where they live: a person record (cty.Person) names the
 * household (of one deployment) that counts them. A person listed in two households is counted
 * in the one where they are not moved out; the later picture wins between two such.
 *
 * Applications and wishes are items (cty.Item) keyed by id: an application adds 1 to
 * "submitted" and 1 to its current status; a wish adds 1 to wishes.submitted and, once
 * fulfilled, 1 to wishes.fulfilled and its value to donations_value. Events without an id
 * (a payload this service cannot read) are counted as flows by type: city_count_flow.
 *
 * Functions take borrowed strings, run inside the caller's write transaction and return 0 or
 * an LMDB code (MDB_CORRUPTED for a stored record that does not unpack; ENOMEM).
 */
#ifndef CITY_COUNT_H
#define CITY_COUNT_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "submitted" (every application filed) then the statuses of API.md counted as current. */
#define CITY_NAPP 6
extern const char *const city_app_statuses[CITY_NAPP];
/* The index of an application status in city_app_statuses, -1 if it is not one. */
int city_app_status_index(const char *status);

typedef struct {
    int64_t persons, households, monitored, entitlements_active;
    int64_t monthly_cost;                  /* fen */
    int64_t alerts_open;
    int64_t applications[CITY_NAPP];
    int64_t wishes_submitted, wishes_fulfilled;
    int64_t donations_value;               /* fen */
    int64_t beneficiaries;
} city_figures_t;

/* sum += x */
void city_figures_add(city_figures_t *sum, const city_figures_t *x);

typedef struct {
    MDB_dbi households, persons, items, regions;
} city_db_t;

typedef struct {
    const char *id_number;
    const char *status;     /* active|deceased|incarcerated|moved_out */
} city_member_t;

/* verify's picture of household `household_id` of deployment `dep`: its region and members. */
int city_count_picture(MDB_txn *txn, const city_db_t *db, const char *dep, const char *household_id,
                       const char *region, const city_member_t *members, size_t nmembers);

typedef struct {
    const char *entitlement_id;
    const char *household_id;
    const char *region;     /* used until the household has a picture */
    const char *policy;
    const char *period;     /* monthly|one_off|status */
    const char *status;     /* active|suspended|stopped */
    int64_t     amount;     /* fen */
} city_grant_t;

/* rules' entitlement as it is now (any of entitlement.*). */
int city_count_grant(MDB_txn *txn, const city_db_t *db, const char *dep, const city_grant_t *g);

/* warn's alert as it is now (any of alert.*). */
int city_count_alert(MDB_txn *txn, const city_db_t *db, const char *dep, const char *alert_id,
                     const char *household_id, const char *region, const char *status);

/* intake's application as it is now; `region` is its handled_region. */
int city_count_application(MDB_txn *txn, const city_db_t *db, const char *dep, const char *application_id,
                           const char *region, const char *status);

/* match's wish as it is now; `value` (fen) counts in donations_value once fulfilled. */
int city_count_wish(MDB_txn *txn, const city_db_t *db, const char *dep, const char *wish_id,
                    const char *household_id, const char *region, const char *status, int64_t value);

/* Adds delta to region's figures as is (counting by event type, without ids). */
int city_count_flow(MDB_txn *txn, const city_db_t *db, const char *dep, const char *region,
                    const city_figures_t *delta);

/* The figures of one region (zeros if none). */
int city_figures_get(MDB_txn *txn, const city_db_t *db, const char *region, city_figures_t *out);

/* Calls fn for every region with figures, in code order, with the sorted names of the
 * deployments whose events give it some non-zero figure (borrowed for the call). Stops at fn's first nonzero
 * return and returns it; else 0 or an LMDB code. */
typedef int (*city_region_fn)(const char *region, const city_figures_t *f, char *const *deps,
                              size_t ndeps, void *ctx);
int city_regions_each(MDB_txn *txn, const city_db_t *db, city_region_fn fn, void *ctx);

/* Where a person is counted, copied out (longer values are cut). MDB_NOTFOUND if the city
 * has not seen the person. */
typedef struct {
    char region[64];
    char deployment[64];
    char household_id[64];
    char status[64];
} city_person_t;
int city_person_get(MDB_txn *txn, const city_db_t *db, const char *id_number, city_person_t *out);

/* True for a 6-digit region code (what figures are kept under). */
bool city_region_ok(const char *region);

#endif
