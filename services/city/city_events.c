/* city_events — from the consumed events to city_count calls.
 *
 * The payloads of verify, rules, warn and match are read with their generated code. intake's
 * itk.Application is read by field name (application_id, handled_region, status) through
 * protobuf-c's descriptor when the build has proto/intake.proto, so a renamed field degrades
 * to counting by type instead of breaking the build. Without a readable payload an event is
 * counted by its envelope type and region: applications filed, approved and rejected (final
 * statuses, so each application reaches each once), wishes created and fulfilled; the
 * statuses an application passes through and the value of donations need the payload.
 */
#include "city.h"
#include "city_config.h"
#include "city_count.h"
#include "sais_bus.h"
#include "sais_log.h"
#include "sais_sources.h"
#include "match.pb-c.h"
#include "rules.pb-c.h"
#include "verify.pb-c.h"
#include "warn.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include("intake.pb-c.h")
#include "intake.pb-c.h"
#define CITY_HAVE_INTAKE 1
#endif
#endif

static const char *s_str(const char *s) { return s ? s : ""; }

typedef int (*s_event_fn)(sais_svc_t *svc, MDB_txn *txn, const city_db_t *db, const char *dep,
                          const Sais__Envelope *ev);

static int s_household(sais_svc_t *svc, MDB_txn *txn, const city_db_t *db, const char *dep,
                       const Sais__Envelope *ev)
{
    (void)svc;
    if (!sais_bus_sourced_by(ev, SAIS_REGISTRY_SOURCES))
        return 0;   /* counts of persons by region and status: unchanged */
    Ver__HouseholdChanged *hc = (Ver__HouseholdChanged *)sais_event_unpack(&ver__household_changed__descriptor, ev);
    if (!hc || !hc->picture) {
        sais_warn("household.changed %llu from %s does not unpack; skipped", (unsigned long long)ev->seq, dep);
        if (hc)
            ver__household_changed__free_unpacked(hc, NULL);
        return 0;
    }
    const Ver__Picture *p = hc->picture;
    city_member_t *m = calloc(p->n_members ? p->n_members : 1, sizeof *m);
    int rc = ENOMEM;
    if (m) {
        for (size_t i = 0; i < p->n_members; i++) {
            m[i].id_number = p->members[i]->id_number;
            m[i].status = p->members[i]->status;
        }
        const char *region = *s_str(p->region) ? p->region : s_str(ev->region);
        rc = city_count_picture(txn, db, dep, p->household_id, region, m, p->n_members);
        free(m);
    }
    ver__household_changed__free_unpacked(hc, NULL);
    return rc;
}

static int s_entitlement(sais_svc_t *svc, MDB_txn *txn, const city_db_t *db, const char *dep,
                         const Sais__Envelope *ev)
{
    (void)svc;
    Rul__Entitlement *e = (Rul__Entitlement *)sais_event_unpack(&rul__entitlement__descriptor, ev);
    if (!e) {
        sais_warn("%s %llu from %s does not unpack; skipped", ev->type, (unsigned long long)ev->seq, dep);
        return 0;
    }
    city_grant_t g = {
        .entitlement_id = e->entitlement_id,
        .household_id = e->household_id,
        .region = *s_str(e->region) ? e->region : s_str(ev->region),
        .policy = e->policy,
        .period = e->period,
        .status = e->status,
        .amount = e->amount,
    };
    int rc = city_count_grant(txn, db, dep, &g);
    rul__entitlement__free_unpacked(e, NULL);
    return rc;
}

static int s_alert(sais_svc_t *svc, MDB_txn *txn, const city_db_t *db, const char *dep,
                   const Sais__Envelope *ev)
{
    (void)svc;
    Wrn__Alert *a = (Wrn__Alert *)sais_event_unpack(&wrn__alert__descriptor, ev);
    if (!a) {
        sais_warn("%s %llu from %s does not unpack; skipped", ev->type, (unsigned long long)ev->seq, dep);
        return 0;
    }
    const char *region = *s_str(a->region) ? a->region : s_str(ev->region);
    int rc = city_count_alert(txn, db, dep, a->alert_id, a->household_id, region, a->status);
    wrn__alert__free_unpacked(a, NULL);
    return rc;
}

/* "application.approved" -> "approved" */
static const char *s_suffix(const char *type)
{
    const char *dot = strchr(s_str(type), '.');
    return dot ? dot + 1 : "";
}

#ifdef CITY_HAVE_INTAKE
/* A singular string field of msg by name, NULL if the message has no such field. */
static const char *s_pb_str(const ProtobufCMessage *msg, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    return *(char *const *)((const char *)msg + f->offset);
}
#endif

static int s_application(sais_svc_t *svc, MDB_txn *txn, const city_db_t *db, const char *dep,
                         const Sais__Envelope *ev)
{
    (void)svc;
#ifdef CITY_HAVE_INTAKE
    ProtobufCMessage *m = protobuf_c_message_unpack(&itk__application__descriptor, NULL, ev->payload.len,
                                                    ev->payload.data);
    if (m) {
        const char *id = s_pb_str(m, "application_id");
        const char *region = s_pb_str(m, "handled_region");
        const char *status = s_pb_str(m, "status");
        if (id && *id && status && *status) {
            if (!region || !*region)
                region = s_str(ev->region);
            int rc = city_count_application(txn, db, dep, id, region, status);
            protobuf_c_message_free_unpacked(m, NULL);
            return rc;
        }
        protobuf_c_message_free_unpacked(m, NULL);
    }
#endif
    const char *what = s_suffix(ev->type);
    city_figures_t d = {0};
    if (!strcmp(what, "submitted") || !strcmp(what, "created") || !strcmp(what, "filed"))
        d.applications[0] = 1;
    else if (!strcmp(what, "approved") || !strcmp(what, "rejected"))
        d.applications[city_app_status_index(what)] = 1;
    return city_count_flow(txn, db, dep, s_str(ev->region), &d);
}

static int s_wish(sais_svc_t *svc, MDB_txn *txn, const city_db_t *db, const char *dep,
                  const Sais__Envelope *ev)
{
    (void)svc;
    Mch__Wish *w = (Mch__Wish *)sais_event_unpack(&mch__wish__descriptor, ev);
    if (w && w->wish_id && *w->wish_id && w->status && *w->status) {
        const char *region = *s_str(w->region) ? w->region : s_str(ev->region);
        int rc = city_count_wish(txn, db, dep, w->wish_id, w->household_id, region, w->status, w->value);
        mch__wish__free_unpacked(w, NULL);
        return rc;
    }
    if (w)
        mch__wish__free_unpacked(w, NULL);
    const char *what = s_suffix(ev->type);
    city_figures_t d = {0};
    if (!strcmp(what, "created"))
        d.wishes_submitted = 1;
    else if (!strcmp(what, "fulfilled"))
        d.wishes_fulfilled = 1;
    return city_count_flow(txn, db, dep, s_str(ev->region), &d);
}

/* Who sends what; a type ending in '.' is a prefix. Anything else is not the city's. */
static const struct {
    const char *producer;
    const char *type;
    s_event_fn  fn;
} s_events[] = {
    {"verify", "household.changed", s_household},
    {"rules", "entitlement.", s_entitlement},
    {"warn", "alert.", s_alert},
    {"intake", "application.", s_application},
    {"match", "wish.", s_wish},
};

int city_on_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    char dep[CITY_NAME_MAX];
    const char *prod = city_source_split(sais_svc_config(svc), producer, dep);
    const char *type = s_str(ev->type);
    if (!prod)
        return 0;
    for (size_t i = 0; i < sizeof s_events / sizeof s_events[0]; i++) {
        if (strcmp(prod, s_events[i].producer) != 0)
            continue;
        size_t n = strlen(s_events[i].type);
        bool prefix = s_events[i].type[n - 1] == '.';
        if (prefix ? strncmp(type, s_events[i].type, n) == 0 : strcmp(type, s_events[i].type) == 0) {
            city_db_t db = city_db_of(svc);
            return s_events[i].fn(svc, txn, &db, dep, ev);
        }
    }
    return 0;
}
