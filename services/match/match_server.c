/* match_server — the match service as a table: its databases, methods and the one event it
 * consumes. Handlers live in match_wishes.c, match_offers.c and match_events.c; matching in
 * match_match.c over the rules of match_logic.c. */
#include "match.h"
#include "match_internal.h"

#include <string.h>

static const char *const s_dbis[] = {
    MATCH_DB_WISHES, MATCH_DB_OFFERS, MATCH_DB_ORGS, MATCH_DB_OPEN, MATCH_DB_AVAIL,
    MATCH_DB_HOUSEHOLDS, MATCH_DB_PERSONS, NULL,
};

static const sais_method_t s_methods[] = {
    {"wishes.create", SAIS_M_WRITE, match_wishes_create},
    {"wishes.list", SAIS_M_READ, match_wishes_list},
    {"wishes.get", SAIS_M_READ, match_wishes_get},
    {"wishes.fulfil", SAIS_M_WRITE, match_wishes_fulfil},
    {"wishes.cancel", SAIS_M_WRITE, match_wishes_cancel},
    {"organizations.create", SAIS_M_WRITE, match_orgs_create},
    {"organizations.list", SAIS_M_READ, match_orgs_list},
    {"offers.create", SAIS_M_WRITE, match_offers_create},
    {"stats.wishes", SAIS_M_READ, match_stats},
    {NULL, 0, NULL},
};

static const char *const s_consumes[] = {"verify", NULL};

static int s_on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    if (ev->type && strcmp(producer, "verify") == 0 && strcmp(ev->type, "household.changed") == 0)
        return match_ev_household(svc, txn, ev);
    return 0; /* person.event and the rest are not match's to act on */
}

const sais_service_def_t match_service = {
    .name = "match",
    .dbis = s_dbis,
    .methods = s_methods,
    .consumes = s_consumes,
    .on_event = s_on_event,
};
