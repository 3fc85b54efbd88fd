/* city — city-level figures per county and the person -> county index (API.md "City level", /v1/stats).
 *
 * The service runs on the common runtime (its store, its place on the bus, digest and
 * health), but its request methods are not written yet: every method answers 501, which the
 * gateway turns into 503 naming the service, so no client ever gets made-up data.
 */
#ifndef CITY_H
#define CITY_H

#include "sais_service.h"

extern const sais_service_def_t city_service;

#endif
