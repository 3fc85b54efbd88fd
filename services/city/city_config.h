/* city_config — which logs the city service reads, from configuration.
 *
 * city.deployment = county (default): this stack's own verify, rules, warn, intake and match
 * at their "<producer>.endpoint"; the cursors are named after the producers and the county's
 * name (for city.locate) is city.name, or city.deployment when that is empty.
 *
 * city.deployment = city: city.counties lists the counties, comma-separated, each entry one of
 *   name=tcp://host:port            the county's bus base: the port of its gateway.endpoint;
 *                                   its producers are at fixed offsets from it, as in
 *                                   deploy/county.conf (verify +2, rules +3, intake +4,
 *                                   warn +5, match +6)
 *   name.producer=endpoint          one producer's endpoint (any transport), overriding the base
 * Every county needs all five producers. Names are 1-31 of [a-z0-9_-]. The cursors are named
 * "name/producer".
 */
#ifndef CITY_CONFIG_H
#define CITY_CONFIG_H

#include <stddef.h>
#include "sais_config.h"
#include "sais_service.h"

#define CITY_NPRODUCERS 5
/* verify, rules, warn, intake, match */
extern const char *const city_producers[CITY_NPRODUCERS];

#define CITY_NAME_MAX 32
#define CITY_MAX_COUNTIES 25

typedef struct {
    char name[CITY_NAME_MAX];
    char endpoint[CITY_NPRODUCERS][256];   /* by city_producers[] index; "" = not given */
} city_county_t;

/* Parses a city.counties value into out (at most max counties); *n gets the count. 0, or -1
 * with a reason in err (unknown producer, bad name, duplicate, a base that is not
 * tcp://host:port, a county missing a producer, too many counties, an empty list). */
int city_counties_parse(const char *spec, city_county_t *out, size_t max, size_t *n,
                        char *err, size_t errlen);

/* The sais_service_def_t.sources hook: the logs to consume, per the rules above. */
int city_sources(const sais_config_t *cfg, sais_source_t *out, size_t max, char *err, size_t errlen);

/* The deployment name events of a cursor named `source` come from, into out[CITY_NAME_MAX],
 * and the producer (a pointer into city_producers, or NULL for a name that is not one). */
const char *city_source_split(const sais_config_t *cfg, const char *source, char out[CITY_NAME_MAX]);

#endif
