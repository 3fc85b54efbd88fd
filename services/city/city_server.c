/* city_server — the city service as a table: its databases, methods and what it reads. The
 * logs it reads come from configuration (city_config.c), so the table names no `consumes`. */
#include "city.h"
#include "city_config.h"

static const char *const s_dbis[] = {
    CITY_DB_HOUSEHOLDS, CITY_DB_PERSONS, CITY_DB_ITEMS, CITY_DB_REGIONS, NULL,
};

static const sais_method_t s_methods[] = {
    {"stats.get", SAIS_M_READ, city_stats_get},
    {"city.stats", SAIS_M_READ, city_stats_all},
    {"city.locate", SAIS_M_READ, city_locate},
    {NULL, 0, NULL},
};

city_db_t city_db_of(sais_svc_t *svc)
{
    city_db_t db = {
        .households = sais_svc_dbi(svc, CITY_DB_HOUSEHOLDS),
        .persons = sais_svc_dbi(svc, CITY_DB_PERSONS),
        .items = sais_svc_dbi(svc, CITY_DB_ITEMS),
        .regions = sais_svc_dbi(svc, CITY_DB_REGIONS),
    };
    return db;
}

const sais_service_def_t city_service = {
    .name = "city",
    .dbis = s_dbis,
    .methods = s_methods,
    .on_event = city_on_event,
    .sources = city_sources,
};
