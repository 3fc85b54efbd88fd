/* city — the service table; see city.h for what is and is not built. */
#include "city.h"

static const sais_method_t methods[] = {{NULL, 0, NULL}};

const sais_service_def_t city_service = {
    .name = "city",
    .methods = methods,
};
