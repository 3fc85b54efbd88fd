/* verify — household economic status verification reports (API.md): a snapshot of the
 * picture, the income by source, the checks made and the feeds it used, stored once and
 * returned unchanged afterwards whatever arrives later. */
#include "verify.h"
#include "verify_person.h"
#include "verify_picture.h"
#include "sais_clock.h"
#include "sais_id.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"wage", "pension", "unemployment_benefit", "business", NULL};
static const char *const sources[] = {"hukou", "medical", "disability", "hrss", "civil", "justice", "assets", NULL};

/* Monthly average per hrss kind over the counted members, same window as the picture. */
static int income_by_kind(sais_svc_t *svc, MDB_txn *txn, const Ver__Picture *pic, int64_t out[4])
{
    long month = sais_month_of(sais_clock_today());
    memset(out, 0, 4 * sizeof *out);
    for (size_t i = 0; i < pic->n_members; i++) {
        const Ver__Member *m = pic->members[i];
        if (!m->counted)
            continue;
        Vst__Person *p = NULL;
        int rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PERSONS), m->id_number, strlen(m->id_number),
                             &vst__person__descriptor, (ProtobufCMessage **)&p);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc != 0)
            return rc;
        for (size_t j = 0; j < p->n_incomes; j++) {
            const Vst__Income *in = p->incomes[j];
            if (in->month < month - 12 || in->month >= month)
                continue;
            for (int k = 0; kinds[k]; k++)
                if (strcmp(in->kind, kinds[k]) == 0)
                    out[k] += in->amount;
        }
        vst__person__free_unpacked(p, NULL);
    }
    for (int k = 0; k < 4; k++)
        out[k] /= 12;
    return 0;
}

static void check(sais_jw_t *w, const char *name, bool passed, const char *detail)
{
    sais_jw_obj(w);
    sais_jw_kstr(w, "name", name);
    sais_jw_kbool(w, "passed", passed);
    sais_jw_kstr(w, "detail", detail);
    sais_jw_obj_end(w);
}

static int write_report(sais_svc_t *svc, MDB_txn *txn, const char *vid, const Ver__Picture *pic,
                        const char *purpose, const char *by, sais_jw_t *w)
{
    int64_t by_kind[4];
    int rc = income_by_kind(svc, txn, pic, by_kind);
    if (rc != 0)
        return rc;
    char buf[256], a[SAIS_MONEY_BUF], b[SAIS_MONEY_BUF];
    sais_jw_obj(w);
    sais_jw_kstr(w, "verification_id", vid);
    sais_jw_kstr(w, "household_id", pic->household_id);
    sais_jw_kstr(w, "region", pic->region);
    sais_jw_kstr(w, "as_of", pic->as_of);
    sais_jw_ktime(w, "created_at", sais_clock_now());
    sais_jw_kstr(w, "purpose", purpose);
    sais_jw_kstr(w, "authorized_by", by);
    sais_jw_key(w, "members");
    sais_jw_arr(w);
    size_t able = 0, able_with_income = 0;
    for (size_t i = 0; i < pic->n_members; i++) {
        const Ver__Member *m = pic->members[i];
        sais_jw_obj(w);
        sais_jw_kstr(w, "id_number", m->id_number);
        sais_jw_kstr(w, "name", m->name);
        sais_jw_kstr(w, "relation", m->relation);
        sais_jw_kstr(w, "status", m->status);
        sais_jw_kint(w, "age", m->age);
        sais_jw_kbool(w, "counted", m->counted);
        sais_jw_kbool(w, "able_to_work", m->able_to_work);
        sais_jw_kmoney(w, "income_monthly_avg", m->income_monthly_avg);
        sais_jw_key(w, "disability");
        if (m->disability_grade > 0) {
            sais_jw_obj(w);
            sais_jw_kstr(w, "category", m->disability_category);
            sais_jw_kint(w, "grade", m->disability_grade);
            sais_jw_obj_end(w);
        } else {
            sais_jw_null(w);
        }
        sais_jw_obj_end(w);
        if (m->counted && m->able_to_work) {
            able++;
            able_with_income += m->income_12m > 0;
        }
    }
    sais_jw_arr_end(w);
    sais_jw_key(w, "income");
    sais_jw_obj(w);
    sais_jw_kmoney(w, "per_capita_monthly", pic->per_capita_income);
    sais_jw_kmoney(w, "household_monthly", pic->income_monthly);
    sais_jw_kmoney(w, "household_12m", pic->income_12m);
    sais_jw_key(w, "by_source");
    sais_jw_arr(w);
    for (int k = 0; kinds[k]; k++) {
        sais_jw_obj(w);
        sais_jw_kstr(w, "source", "hrss");
        sais_jw_kstr(w, "kind", kinds[k]);
        sais_jw_kmoney(w, "monthly_avg", by_kind[k]);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    sais_jw_obj_end(w);
    sais_jw_key(w, "assets");
    sais_jw_obj(w);
    sais_jw_kmoney(w, "deposits", pic->deposits);
    sais_jw_kmoney(w, "vehicles", pic->vehicle_max);
    sais_jw_kint(w, "real_estate", pic->real_estate);
    sais_jw_kmoney(w, "business", pic->business);
    sais_jw_obj_end(w);
    sais_jw_kmoney(w, "medical_oop_12m", pic->oop_12m);
    sais_jw_key(w, "checks");
    sais_jw_arr(w);
    snprintf(buf, sizeof buf, "%d of %zu registered members counted (alive, not incarcerated)", pic->counted,
             pic->n_members);
    check(w, "counted_members", pic->counted > 0, buf);
    snprintf(buf, sizeof buf, "%zu of %zu members able to work have income records in the last 12 months",
             able_with_income, able);
    check(w, "income_records", able_with_income == able, buf);
    snprintf(buf, sizeof buf, "per-capita monthly income %s over %d counted members",
             sais_money_format(pic->per_capita_income, a), pic->counted);
    check(w, "per_capita_income", pic->counted > 0, buf);
    snprintf(buf, sizeof buf, "out-of-pocket medical costs %s in the last 365 days against income %s",
             sais_money_format(pic->oop_12m, a), sais_money_format(pic->income_12m, b));
    check(w, "medical_expenses", true, buf);
    snprintf(buf, sizeof buf, "%d real-estate title(s); most valuable vehicle %s", pic->real_estate,
             sais_money_format(pic->vehicle_max, a));
    check(w, "property", true, buf);
    sais_jw_arr_end(w);
    sais_jw_key(w, "sources");
    sais_jw_arr(w);
    for (int s = 0; sources[s]; s++) {
        MDB_val v;
        rc = sais_get(txn, sais_svc_dbi(svc, VERIFY_DB_SOURCES), sources[s], strlen(sources[s]), &v);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc != 0)
            return rc;
        const char *bar = memchr(v.mv_data, '|', v.mv_size);
        if (!bar)
            continue;
        size_t bl = (size_t)(bar - (const char *)v.mv_data);
        char tbuf[32];
        snprintf(tbuf, sizeof tbuf, "%.*s", (int)(v.mv_size - bl - 1), bar + 1);
        sais_jw_obj(w);
        sais_jw_kstr(w, "source", sources[s]);
        sais_jw_key(w, "last_batch_id");
        sais_jw_strn(w, v.mv_data, bl);
        sais_jw_ktime(w, "last_batch_at", atoll(tbuf));
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
    sais_jw_obj_end(w);
    return 0;
}

int verify_verifications_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    char err[256], hh[128], id[19];
    json_t *body = sais_json_parse_object(req->body.data, req->body.len, err, sizeof err);
    if (!body)
        return sais_reply_problem(reply, 400, "bad_json", "%s", err);
    const char *h = sais_json_str(body, "household_id");
    const char *idn = sais_json_str(body, "id_number");
    const char *purpose = sais_json_str(body, "purpose");
    const char *by = sais_json_str(body, "authorized_by");
    int rc = 0;
    if (!purpose || !*purpose || strlen(purpose) > 200) {
        rc = sais_reply_invalid(reply, "purpose", "missing_field", "why the verification is made is required");
        goto out;
    }
    if (!by || !*by || strlen(by) > 200) {
        rc = sais_reply_invalid(reply, "authorized_by", "missing_field",
                                "the authorization (signed consent or case reference) is required");
        goto out;
    }
    if (!h && idn) {
        sais_id_status_t st = sais_id_check(idn, sais_clock_today(), id);
        if (st != SAIS_ID_OK) {
            rc = sais_reply_invalid(reply, "id_number", sais_id_code(st), sais_id_message(st));
            goto out;
        }
        Vst__Person *p = NULL;
        rc = sais_get_pb(txn, sais_svc_dbi(svc, VERIFY_DB_PERSONS), id, 18, &vst__person__descriptor,
                         (ProtobufCMessage **)&p);
        if (rc == MDB_NOTFOUND) {
            rc = sais_reply_invalid(reply, "id_number", "unknown_person", "no person with this ID number in the registry");
            goto out;
        }
        if (rc != 0)
            goto out;
        snprintf(hh, sizeof hh, "%s", p->household_id);
        vst__person__free_unpacked(p, NULL);
        if (!*hh) {   /* known from another feed, never registered in a household */
            rc = sais_reply_invalid(reply, "id_number", "unknown_person", "the person has no household registration in the registry");
            goto out;
        }
        h = hh;
    }
    if (!h || !*h || strlen(h) > 64) {
        rc = sais_reply_invalid(reply, "household_id", "missing_field", "household_id or id_number is required");
        goto out;
    }
    Ver__Picture pic = VER__PICTURE__INIT;
    rc = verify_compute_picture(svc, txn, h, &pic);
    if (rc == MDB_NOTFOUND) {
        rc = sais_reply_problem(reply, 404, "unknown_household", "no household with this id");
        goto out;
    }
    if (rc != 0)
        goto out;
    if (!sais_req_sees_region(req, pic.region)) {
        verify_picture_clear(&pic);
        rc = sais_reply_problem(reply, 403, "out_of_region", "the household is registered outside your regions");
        goto out;
    }
    uint64_t n;
    char vid[32];
    if ((rc = sais_next_id(sais_svc_store(svc), txn, "verification", &n)) != 0) {
        verify_picture_clear(&pic);
        goto out;
    }
    snprintf(vid, sizeof vid, "V%010llu", (unsigned long long)n);
    sais_jw_t w;
    sais_jw_init(&w);
    rc = write_report(svc, txn, vid, &pic, purpose, by, &w);
    verify_picture_clear(&pic);
    size_t len = 0;
    char *doc = rc == 0 ? sais_jw_take(&w, &len) : NULL;
    sais_jw_free(&w);
    if (rc == 0 && !doc)
        rc = ENOMEM;
    if (rc == 0)
        rc = sais_put(txn, sais_svc_dbi(svc, VERIFY_DB_REPORTS), vid, strlen(vid), doc, len);
    if (rc == 0 && sais_reply_bytes(reply, 201, "application/json", doc, len) != 0)
        rc = ENOMEM;
    free(doc);
out:
    json_decref(body);
    return rc;
}

int verify_verifications_get(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *vid = sais_req_param(req, "id");
    MDB_val v;
    if (!vid || !*vid || strlen(vid) > 32)
        return sais_reply_problem(reply, 404, "unknown_verification", "no such verification");
    int rc = sais_get(txn, sais_svc_dbi(svc, VERIFY_DB_REPORTS), vid, strlen(vid), &v);
    if (rc == MDB_NOTFOUND)
        return sais_reply_problem(reply, 404, "unknown_verification", "no verification %s", vid);
    if (rc != 0)
        return rc;
    char err[128];
    json_t *doc = sais_json_parse_object(v.mv_data, v.mv_size, err, sizeof err);
    const char *region = doc ? sais_json_str(doc, "region") : NULL;
    bool sees = region && sais_req_sees_region(req, region);
    json_decref(doc);
    if (!sees)
        return sais_reply_problem(reply, 403, "out_of_region", "the verification is of a household outside your regions");
    return sais_reply_bytes(reply, 200, "application/json", v.mv_data, v.mv_size);
}
