/* match — the assistance alliance: organisations, small wishes, offers and their matching
 * (DESIGN.md, DOMAIN.md "Wishes and the alliance", API.md "Charity, wishes and the service
 * alliance").
 *
 * Consumes verify's household.changed to keep its own index of households (region, members,
 * head and the head's phone) and persons, so entering a wish needs no call to verify.
 * Produces wish.created, wish.matched, wish.fulfilled and wish.cancelled (payload mch.Wish,
 * proto/match.proto; notify_phone is set when match knows the head's phone).
 *
 * Methods: wishes.create, wishes.list, wishes.get, wishes.fulfil, wishes.cancel,
 * organizations.create, organizations.list, offers.create, and the internal stats.wishes
 * (?region= prefix -> {"wishes": {"submitted", "fulfilled"}, "donations_value",
 * "beneficiaries"}) that the city's /v1/stats is made of.
 *
 * Start it with sais_service_start(&match_service, cfg); the definition is static and
 * read-only.
 */
#ifndef MATCH_H
#define MATCH_H

#include "sais_service.h"

extern const sais_service_def_t match_service;

#endif
