/* intake — applications filed with only an ID card, their review queue and history (API.md "Applications").
 *
 * The service runs on the common runtime (its store, its place on the bus, digest and
 * health), but its request methods are not written yet: every method answers 501, which the
 * gateway turns into 503 naming the service, so no client ever gets made-up data.
 */
#ifndef INTAKE_H
#define INTAKE_H

#include "sais_service.h"

extern const sais_service_def_t intake_service;

#endif
