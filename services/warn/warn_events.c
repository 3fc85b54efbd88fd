/* warn_events — applying verify's and rules' events (DESIGN.md "The bus"): each runs inside
 * the consumer's write transaction that also advances the cursor, so an event is applied
 * exactly once. A payload that does not unpack is logged and skipped, never fatal. */
#include "warn_internal.h"
#include "intake.pb-c.h"
#include "sais_bus.h"
#include "sais_clock.h"
#include "sais_log.h"

#include <stdio.h>
#include <string.h>

/* household.changed: the whole derived picture, and the records that caused the change. */
int warn_ev_household_changed(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Ver__HouseholdChanged *hc = (Ver__HouseholdChanged *)sais_event_unpack(&ver__household_changed__descriptor, ev);
    if (!hc || !hc->picture || !hc->picture->household_id || !*hc->picture->household_id) {
        sais_warn("household.changed %llu without a picture skipped", (unsigned long long)ev->seq);
        if (hc)
            ver__household_changed__free_unpacked(hc, NULL);
        return 0;
    }
    const Ver__Picture *pic = hc->picture;
    warn_hh_t hh;
    warn_signals_t sigs = {0};
    int rc = warn_hh_load(svc, txn, pic->household_id, &hh);
    if (rc == MDB_BAD_VALSIZE) {
        sais_warn("household.changed %llu: household id too long, skipped", (unsigned long long)ev->seq);
        rc = 0;
        goto done;
    }
    if (rc != 0)
        goto done;
    const Ver__Picture *prev = hh.picture;
    rc = warn_assess_picture(&warn_state(svc)->params, prev, pic, hh.ents, hh.nents, &hh.flags, &sigs);
    if (rc != 0)
        goto done;
    hh.picture = pic;
    if (pic->region && *pic->region)
        snprintf(hh.region, sizeof hh.region, "%s", pic->region);
    if (hc->reason && strcmp(hc->reason, "verification") == 0) {
        long day = warn_day_parse(pic->as_of);
        if (day > hh.last_check)
            hh.last_check = day;
    }
    rc = warn_apply_signals(svc, txn, &hh, &sigs, hc->cause, hc->n_cause, NULL);
    if (rc == 0)
        rc = warn_hh_save(svc, txn, &hh);
done:
    warn_signals_clear(&sigs);
    warn_hh_clear(&hh);   /* after the save: hh.picture points into hc */
    ver__household_changed__free_unpacked(hc, NULL);
    return rc;
}

/* person.event: a death, incarceration, release or new severe disability. */
int warn_ev_person(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Ver__PersonEvent *pe = (Ver__PersonEvent *)sais_event_unpack(&ver__person_event__descriptor, ev);
    if (!pe || !pe->household_id || !*pe->household_id) {
        sais_warn("person.event %llu without a household skipped", (unsigned long long)ev->seq);
        if (pe)
            ver__person_event__free_unpacked(pe, NULL);
        return 0;
    }
    warn_hh_t hh;
    warn_signals_t sigs = {0};
    int rc = warn_hh_load(svc, txn, pe->household_id, &hh);
    if (rc == MDB_BAD_VALSIZE) {
        sais_warn("person.event %llu: household id too long, skipped", (unsigned long long)ev->seq);
        rc = 0;
        goto done;
    }
    if (rc != 0)
        goto done;
    if (!*hh.region && pe->region)
        snprintf(hh.region, sizeof hh.region, "%s", pe->region);
    rc = warn_assess_person(&warn_state(svc)->params, hh.picture, pe, hh.ents, hh.nents,
                            sais_clock_today(), &hh.flags, &sigs);
    Sais__Evidence *evp[1] = {pe->evidence};
    if (rc == 0)
        rc = warn_apply_signals(svc, txn, &hh, &sigs, evp, pe->evidence ? 1 : 0, NULL);
    if (rc == 0)
        rc = warn_hh_save(svc, txn, &hh);
done:
    warn_signals_clear(&sigs);
    warn_hh_clear(&hh);
    ver__person_event__free_unpacked(pe, NULL);
    return rc;
}

static int on_entitlement(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev, const Rul__Entitlement *e);

/* entitlement.*: what rules granted, changed, suspended, resumed or stopped. */
int warn_ev_entitlement(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Rul__Entitlement *e = (Rul__Entitlement *)sais_event_unpack(&rul__entitlement__descriptor, ev);
    if (!e || !e->household_id || !*e->household_id || !e->entitlement_id || !*e->entitlement_id) {
        sais_warn("%s %llu without household or id skipped", ev->type, (unsigned long long)ev->seq);
        if (e)
            rul__entitlement__free_unpacked(e, NULL);
        return 0;
    }
    int rc = on_entitlement(svc, txn, ev, e);
    rul__entitlement__free_unpacked(e, NULL);
    return rc;
}

/* case.proactive / case.withdrawn: rules found a household eligible for dibao or tekun and sent it to a
 * caseworker. Until the case is decided the household is treated as a proposed dibao/tekun
 * household (status "proposed"): an asset record that breaks the dibao limits meanwhile must
 * reach the caseworker deciding the case. A proposed benefit is never "in force" for the
 * beneficiary signals: nothing is being paid yet. */
int warn_ev_case(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Rul__ProactiveCase *pc = (Rul__ProactiveCase *)sais_event_unpack(&rul__proactive_case__descriptor, ev);
    if (!pc || !pc->household_id || !*pc->household_id || !pc->case_id || !*pc->case_id) {
        sais_warn("%s %llu without household or id skipped", ev->type, (unsigned long long)ev->seq);
        if (pc)
            rul__proactive_case__free_unpacked(pc, NULL);
        return 0;
    }
    Rul__Entitlement e = RUL__ENTITLEMENT__INIT;
    e.entitlement_id = pc->case_id;
    e.household_id = pc->household_id;
    e.id_number = pc->id_number;
    e.policy = pc->policy;
    e.amount = pc->amount;
    e.period = "monthly";
    bool withdrawn = strcmp(ev->type, "case.withdrawn") == 0;
    e.status = withdrawn ? "withdrawn" : "proposed";
    e.change = withdrawn ? "withdrawn" : "proposed";
    e.region = pc->region;
    e.granted_at = ev->occurred_at;
    e.changed_at = ev->occurred_at;
    int rc = on_entitlement(svc, txn, ev, &e);
    rul__proactive_case__free_unpacked(pc, NULL);
    return rc;
}

/* application.approved|rejected|withdrawn: intake's decision on one of rules' proactive cases.
 * The case stops being "proposed" (see warn_ev_case): a rejected or withdrawn case no longer
 * makes the household a dibao household for assets_over_limit, and an approved one is
 * followed by rules' grant, which does. A filed application (no case id) reaches warn only
 * through what rules grants for it. */
int warn_ev_application(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev)
{
    Itk__Application *a = (Itk__Application *)sais_event_unpack(&itk__application__descriptor, ev);
    if (!a) {
        sais_warn("%s %llu does not unpack; skipped", ev->type, (unsigned long long)ev->seq);
        return 0;
    }
    int rc = 0;
    if (a->case_id && *a->case_id && a->household_id && *a->household_id) {
        const char *decided = strcmp(ev->type, "application.approved") == 0    ? "approved"
                              : strcmp(ev->type, "application.withdrawn") == 0 ? "withdrawn"
                                                                               : "rejected";
        Rul__Entitlement e = RUL__ENTITLEMENT__INIT;
        e.entitlement_id = a->case_id;
        e.household_id = a->household_id;
        e.id_number = a->id_number;
        e.policy = a->n_policies ? a->policies[0] : (char *)"";
        e.period = "monthly";
        e.status = (char *)decided;
        e.change = (char *)decided;
        e.region = a->handled_region;
        e.granted_at = a->created_at;
        e.changed_at = ev->occurred_at;
        rc = on_entitlement(svc, txn, ev, &e);
    }
    itk__application__free_unpacked(a, NULL);
    return rc;
}

static int on_entitlement(sais_svc_t *svc, MDB_txn *txn, const Sais__Envelope *ev, const Rul__Entitlement *e)
{
    warn_hh_t hh;
    warn_signals_t sigs = {0};
    int rc = warn_hh_load(svc, txn, e->household_id, &hh);
    if (rc == MDB_BAD_VALSIZE) {
        sais_warn("%s %llu: household id too long, skipped", ev->type, (unsigned long long)ev->seq);
        rc = 0;
        goto done;
    }
    if (rc != 0)
        goto done;
    if (!*hh.region && e->region)
        snprintf(hh.region, sizeof hh.region, "%s", e->region);
    const warn_ent_t *x = warn_hh_ent_set(&hh, e, ev->type, sais_clock_today());
    if (!x) {
        rc = -1;
        goto done;
    }
    warn_ent_t copy = *x; /* the array may move below; keep the entry by value */
    rc = warn_alert_annotate(svc, txn, &hh, &copy);
    if (rc == 0)
        rc = warn_assess_household(&warn_state(svc)->params, hh.picture, hh.ents, hh.nents,
                                   &hh.flags, &sigs);
    Sais__Evidence cause = SAIS__EVIDENCE__INIT, *evp[1] = {&cause};
    cause.source = "rules";
    cause.record_id = e->entitlement_id;
    if (rc == 0)
        rc = warn_apply_signals(svc, txn, &hh, &sigs, evp, 1, NULL);
    if (rc == 0)
        rc = warn_hh_save(svc, txn, &hh);
done:
    warn_signals_clear(&sigs);
    warn_hh_clear(&hh);
    return rc;
}
