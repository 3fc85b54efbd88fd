/* match — organisations, wishes, offers and matching (API.md "Charity, wishes and the service alliance").
 *
 * The service runs on the common runtime (its store, its place on the bus, digest and
 * health), but its request methods are not written yet: every method answers 501, which the
 * gateway turns into 503 naming the service, so no client ever gets made-up data.
 */
#ifndef MATCH_H
#define MATCH_H

#include "sais_service.h"

extern const sais_service_def_t match_service;

#endif
