/* The services SAIS is made of, in start order (producers before their consumers, the
 * gateway last so that when it listens everything behind it is up). */
#ifndef SAIS_SERVICES_H
#define SAIS_SERVICES_H

#include "sais_service.h"

typedef struct {
    const char               *name;
    const sais_service_def_t *def;
} sais_service_entry_t;

extern const sais_service_entry_t sais_services[];
const sais_service_def_t *sais_service_find(const char *name);

#endif
