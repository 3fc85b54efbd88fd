/* The table of services; see sais_services.h. */
#include "sais_services.h"
#include "city.h"
#include "gateway.h"
#include "ingest.h"
#include "intake.h"
#include "match.h"
#include "notify.h"
#include "rules.h"
#include "verify.h"
#include "warn.h"

#include <string.h>

const sais_service_entry_t sais_services[] = {
    {"ingest", &ingest_service},
    {"verify", &verify_service},
    {"rules", &rules_service},
    {"warn", &warn_service},
    {"intake", &intake_service},
    {"match", &match_service},
    {"notify", &notify_service},
    {"city", &city_service},
    {"gateway", &gateway_service},
    {NULL, NULL},
};

const sais_service_def_t *sais_service_find(const char *name)
{
    for (const sais_service_entry_t *e = sais_services; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e->def;
    return NULL;
}
