/* intake — the service table; see intake.h for what is and is not built. */
#include "intake.h"

static const sais_method_t methods[] = {{NULL, 0, NULL}};

const sais_service_def_t intake_service = {
    .name = "intake",
    .methods = methods,
};
