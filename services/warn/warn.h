/* warn — the early-warning service (DESIGN.md, DOMAIN.md "Early-warning signals", API.md
 * "Early warning" and "Visits").
 *
 * Consumes verify's household.changed and person.event, rules' entitlement.* and case.*
 * events and intake's decisions on proactive cases (application.approved|rejected|withdrawn),
 * keeps alerts, visits, follow-ups and the dibao re-check schedule in its own LMDB, and
 * produces alert.raised, alert.evidence, alert.acknowledged and alert.resolved (payload
 * wrn.Alert). Methods: alerts.list, alerts.acknowledge, alerts.resolve, visits.create,
 * visits.list, visits.due, visits.code, compare.run.
 *
 * Start it with sais_service_start(&warn_service, cfg); the definition is static and
 * read-only.
 */
#ifndef WARN_H
#define WARN_H

#include "sais_service.h"

extern const sais_service_def_t warn_service;

#endif
