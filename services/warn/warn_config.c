/* warn_config — the warn.* thresholds (warn_params_load in warn_signals.h).
 *
 * A table, not code: each key, its built-in default, how it is read and its bounds. A key
 * common/sais_config.c knows is read from the configuration (file, environment); a key it
 * does not know yet falls back to the default here, so the two tables can be merged by
 * copying these lines there without touching warn.
 */
#include "warn_signals.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { P_MONEY, P_INT } p_type_t;

typedef struct {
    const char *key;
    const char *def;
    p_type_t    type;
    long        min, max;   /* for P_INT */
    size_t      offset;
} p_entry_t;

#define AT(f) offsetof(warn_params_t, f)
static const p_entry_t s_table[] = {
    {"warn.catastrophic_oop", "20000.00", P_MONEY, 0, 0, AT(catastrophic_oop)},
    {"warn.catastrophic_share_pct", "50", P_INT, 0, 1000, AT(catastrophic_share_pct)},
    {"warn.income_drop_pct", "50", P_INT, 1, 100, AT(income_drop_pct)},
    {"warn.recheck_months", "12", P_INT, 1, 120, AT(recheck_months)},
    {"warn.recheck_months_able", "6", P_INT, 1, 120, AT(recheck_months_able)},
    {"warn.dibao_line", "1200.00", P_MONEY, 0, 0, AT(dibao_line)},
    {"warn.dibao_deposit_months", "24", P_INT, 0, 1200, AT(dibao_deposit_months)},
    {"warn.dibao_vehicle_max", "50000.00", P_MONEY, 0, 0, AT(dibao_vehicle_max)},
    {"warn.dibao_real_estate_max", "1", P_INT, 0, 100, AT(dibao_real_estate_max)},
    {"warn.visit_risk_min", "2", P_INT, 1, 3, AT(visit_risk_min)},
    {"warn.visit_risk_high", "3", P_INT, 1, 3, AT(visit_risk_high)},
};
#undef AT

int warn_params_load(const sais_config_t *cfg, warn_params_t *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < sizeof s_table / sizeof s_table[0]; i++) {
        const p_entry_t *e = &s_table[i];
        const char *v = cfg && sais_config_help(e->key) ? sais_config_get(cfg, e->key) : NULL;
        if (!v || !*v)
            v = e->def;
        char *slot = (char *)p + e->offset;
        if (e->type == P_MONEY) {
            sais_fen_t fen;
            if (sais_money_parse(v, strlen(v), false, &fen) != SAIS_MONEY_OK) {
                snprintf(err, errlen, "%s: \"%s\" is not an amount in yuan", e->key, v);
                return -1;
            }
            memcpy(slot, &fen, sizeof fen);
        } else {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || end == v || *end || n < e->min || n > e->max) {
                snprintf(err, errlen, "%s: \"%s\" is not a whole number from %ld to %ld", e->key, v,
                         e->min, e->max);
                return -1;
            }
            int iv = (int)n;
            memcpy(slot, &iv, sizeof iv);
        }
    }
    if (p->visit_risk_high < p->visit_risk_min) {
        snprintf(err, errlen, "warn.visit_risk_high must not be below warn.visit_risk_min");
        return -1;
    }
    return 0;
}
