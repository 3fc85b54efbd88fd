/* city — the figures of every county region (API.md /v1/stats, "City level") and the
 * person -> county index behind cross-county routing.
 *
 * Owns (its LMDB): "households" (cty.Household: what each household of each deployment
 * contributes), "persons" (cty.Person: where each person is counted), "items" (cty.Item:
 * applications and wishes) and "regions" (cty.Figures per 6-digit region code). Everything
 * is updated in the consumer's write transaction, from events only: the service emits none.
 *
 * Consumes verify, rules, warn, intake and match: in a county deployment
 * (city.deployment = county) its own stack's logs, in a city deployment (= city) the same five
 * logs of every county listed in city.counties (city_config.c), one cursor per county and
 * producer ("pingyang/verify").
 *
 * Methods: "stats.get" (READ, ?region= prefix, the caller's scope), "city.stats" (READ, every
 * region and the total), "city.locate" (READ, {id_number}).
 */
#ifndef CITY_H
#define CITY_H

#include "sais_service.h"
#include "city_count.h"

extern const sais_service_def_t city_service;

#define CITY_DB_HOUSEHOLDS "households"
#define CITY_DB_PERSONS    "persons"
#define CITY_DB_ITEMS      "items"
#define CITY_DB_REGIONS    "regions"

/* The service's databases for city_count (city_server.c). */
city_db_t city_db_of(sais_svc_t *svc);

/* Handlers (city_api.c). */
int city_stats_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int city_stats_all(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int city_locate(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);

/* Applies one consumed event (city_events.c); `producer` is a cursor name as city_sources
 * made it. Returns 0 or an LMDB code; garbled payloads are logged and skipped. */
int city_on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev);

#endif
