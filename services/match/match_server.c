/* match — the service table; see match.h for what is and is not built. */
#include "match.h"

static const sais_method_t methods[] = {{NULL, 0, NULL}};

const sais_service_def_t match_service = {
    .name = "match",
    .methods = methods,
};
