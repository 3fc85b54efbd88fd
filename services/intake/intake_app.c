/* intake_app — see intake_app.h. Every field a function here sets is a heap copy, so the
 * protobuf-c free of the whole tree is always right. */
#include "intake_app.h"
#include "sais_mask.h"

#include <stdlib.h>
#include <string.h>

Itk__Application *intake_app_new(void)
{
    Itk__Application *a = malloc(sizeof *a);
    if (a)
        itk__application__init(a);
    return a;
}

Itk__Application *intake_app_unpack(const void *data, size_t len)
{
    return itk__application__unpack(NULL, len, data);
}

void intake_app_free(Itk__Application **app_p)
{
    if (!app_p || !*app_p)
        return;
    itk__application__free_unpacked(*app_p, NULL);
    *app_p = NULL;
}

static void str_free(char *s)
{
    /* proto3 strings not set point at protobuf-c's shared "" */
    if (s && s != (char *)protobuf_c_empty_string)
        free(s);
}

int intake_str_set(char **field, const char *v)
{
    char *copy;
    if (!v || !*v) {
        copy = (char *)protobuf_c_empty_string;
    } else if (!(copy = strdup(v))) {
        return -1;
    }
    str_free(*field);
    *field = copy;
    return 0;
}

/* Grows a repeated field's array by one slot; the caller fills arr[*n] and increments. */
static int grow(void **arr, size_t n, size_t size)
{
    void *p = realloc(*arr, (n + 1) * size);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

int intake_strv_add(char ***v, size_t *n, const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy || grow((void **)v, *n, sizeof **v) != 0) {
        free(copy);
        return -1;
    }
    (*v)[(*n)++] = copy;
    return 0;
}

void intake_strv_clear(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

bool intake_strv_has(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

int intake_app_add_step(Itk__Application *a, int64_t at, const char *status, const char *by,
                        const char *note)
{
    Itk__Step *s = malloc(sizeof *s);
    if (!s)
        return -1;
    itk__step__init(s);
    s->at = at;
    if (intake_str_set(&s->status, status) != 0 || intake_str_set(&s->by, by) != 0
        || intake_str_set(&s->note, note) != 0
        || grow((void **)&a->history, a->n_history, sizeof *a->history) != 0) {
        itk__step__free_unpacked(s, NULL);
        return -1;
    }
    a->history[a->n_history++] = s;
    return 0;
}

void intake_app_clear_decisions(Itk__Application *a)
{
    for (size_t i = 0; i < a->n_decisions; i++)
        itk__decision__free_unpacked(a->decisions[i], NULL);
    free(a->decisions);
    a->decisions = NULL;
    a->n_decisions = 0;
}

int intake_app_add_decision(Itk__Application *a, const char *policy, bool eligible, int64_t amount,
                            const char *period, bool automatic, const char *version,
                            Itk__Decision **out)
{
    Itk__Decision *d = malloc(sizeof *d);
    if (!d)
        return -1;
    itk__decision__init(d);
    d->eligible = eligible;
    d->amount = amount;
    d->automatic = automatic;
    if (intake_str_set(&d->policy, policy) != 0 || intake_str_set(&d->period, period) != 0
        || intake_str_set(&d->version, version) != 0
        || grow((void **)&a->decisions, a->n_decisions, sizeof *a->decisions) != 0) {
        itk__decision__free_unpacked(d, NULL);
        return -1;
    }
    a->decisions[a->n_decisions++] = d;
    if (out)
        *out = d;
    return 0;
}

int intake_decision_add_clause(Itk__Decision *d, const char *clause, bool passed, const char *detail)
{
    Itk__Clause *c = malloc(sizeof *c);
    if (!c)
        return -1;
    itk__clause__init(c);
    c->passed = passed;
    if (intake_str_set(&c->clause, clause) != 0 || intake_str_set(&c->detail, detail) != 0
        || grow((void **)&d->explanation, d->n_explanation, sizeof *d->explanation) != 0) {
        itk__clause__free_unpacked(c, NULL);
        return -1;
    }
    d->explanation[d->n_explanation++] = c;
    return 0;
}

int intake_app_add_evidence(Itk__Application *a, const char *source, const char *record_id,
                            const char *batch_id)
{
    Sais__Evidence *e = malloc(sizeof *e);
    if (!e)
        return -1;
    sais__evidence__init(e);
    if (intake_str_set(&e->source, source) != 0 || intake_str_set(&e->record_id, record_id) != 0
        || intake_str_set(&e->batch_id, batch_id) != 0
        || grow((void **)&a->evidence, a->n_evidence, sizeof *a->evidence) != 0) {
        sais__evidence__free_unpacked(e, NULL);
        return -1;
    }
    a->evidence[a->n_evidence++] = e;
    return 0;
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = sais_json_str(o, k);
    return s ? s : "";
}

/* One result of policies.evaluate into a decision; -1 on allocation failure. */
static int add_result(Itk__Application *a, const json_t *r)
{
    sais_fen_t amount = 0;
    const json_t *am = json_object_get(r, "amount");
    if (am && sais_json_money(am, false, &amount) != SAIS_MONEY_OK)
        amount = 0;
    const char *error = sais_json_str(r, "error");
    bool eligible = json_is_true(json_object_get(r, "eligible")) && !error;
    Itk__Decision *d;
    if (intake_app_add_decision(a, jstr(r, "policy"), eligible, amount, jstr(r, "period"),
                                json_is_true(json_object_get(r, "automatic")), jstr(r, "version"), &d) != 0)
        return -1;
    const json_t *ex = json_object_get(r, "explanation");
    size_t i;
    const json_t *c;
    json_array_foreach(ex, i, c) {
        if (!json_is_object(c))
            continue;
        if (intake_decision_add_clause(d, jstr(c, "clause"), json_is_true(json_object_get(c, "passed")),
                                       jstr(c, "detail")) != 0)
            return -1;
    }
    if (error && intake_decision_add_clause(d, "policy evaluated", false, error) != 0)
        return -1;
    return 0;
}

int intake_app_set_decisions_json(Itk__Application *a, const json_t *results)
{
    if (!json_is_array(results))
        return 1;
    intake_app_clear_decisions(a);
    size_t i;
    const json_t *r;
    json_array_foreach(results, i, r) {
        if (!json_is_object(r) || !sais_json_str(r, "policy"))
            continue;
        if (add_result(a, r) != 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- JSON out */

static void opt_str(sais_jw_t *w, const char *k, const char *v)
{
    sais_jw_kstr(w, k, v && *v ? v : NULL);
}

static void strv(sais_jw_t *w, const char *k, char *const *v, size_t n)
{
    sais_jw_key(w, k);
    sais_jw_arr(w);
    for (size_t i = 0; i < n; i++)
        sais_jw_str(w, v[i]);
    sais_jw_arr_end(w);
}

static void decisions(sais_jw_t *w, const Itk__Application *a)
{
    sais_jw_key(w, "decisions");
    sais_jw_arr(w);
    for (size_t i = 0; i < a->n_decisions; i++) {
        const Itk__Decision *d = a->decisions[i];
        sais_jw_obj(w);
        sais_jw_kstr(w, "policy", d->policy);
        opt_str(w, "version", d->version);
        sais_jw_kbool(w, "eligible", d->eligible);
        sais_jw_kmoney(w, "amount", d->amount);
        opt_str(w, "period", d->period);
        sais_jw_kbool(w, "automatic", d->automatic);
        sais_jw_key(w, "explanation");
        sais_jw_arr(w);
        for (size_t j = 0; j < d->n_explanation; j++) {
            sais_jw_obj(w);
            sais_jw_kstr(w, "clause", d->explanation[j]->clause);
            sais_jw_kbool(w, "passed", d->explanation[j]->passed);
            sais_jw_kstr(w, "detail", d->explanation[j]->detail);
            sais_jw_obj_end(w);
        }
        sais_jw_arr_end(w);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
}

static void history(sais_jw_t *w, const Itk__Application *a)
{
    sais_jw_key(w, "history");
    sais_jw_arr(w);
    for (size_t i = 0; i < a->n_history; i++) {
        const Itk__Step *s = a->history[i];
        sais_jw_obj(w);
        sais_jw_ktime(w, "at", s->at);
        sais_jw_kstr(w, "status", s->status);
        sais_jw_kstr(w, "by", s->by);
        sais_jw_kstr(w, "note", s->note);
        sais_jw_obj_end(w);
    }
    sais_jw_arr_end(w);
}

void intake_app_json(sais_jw_t *w, const Itk__Application *a, bool masked)
{
    char id[64], phone[64], *name = NULL;
    const char *shown_id = a->id_number, *shown_name = a->name, *shown_phone = a->phone;
    if (masked) {
        shown_id = sais_mask_id(a->id_number, id, sizeof id);
        shown_phone = sais_mask_phone(a->phone, phone, sizeof phone);
        size_t n = strlen(a->name) + 1;
        name = malloc(n);
        /* without memory for the masked name, show none rather than the real one */
        shown_name = name ? sais_mask_name(a->name, name, n) : "";
    }
    sais_jw_obj(w);
    sais_jw_kstr(w, "application_id", a->application_id);
    sais_jw_kstr(w, "status", a->status);
    sais_jw_kstr(w, "id_number", shown_id);
    opt_str(w, "name", shown_name);
    opt_str(w, "household_id", a->household_id);
    sais_jw_kstr(w, "channel", a->channel);
    sais_jw_kstr(w, "origin", a->origin);
    opt_str(w, "case_id", a->case_id);
    sais_jw_kstr(w, "filed_region", a->filed_region);
    sais_jw_kstr(w, "handled_region", a->handled_region);
    /* the region a list filters on, named as every other resource names it */
    sais_jw_kstr(w, "region", a->handled_region);
    sais_jw_kbool(w, "masked", masked);
    strv(w, "policies", a->policies, a->n_policies);
    opt_str(w, "phone", shown_phone);
    sais_jw_kstr(w, "note", a->note);
    opt_str(w, "filed_by", a->filed_by);
    opt_str(w, "verification_id", a->verification_id);
    strv(w, "approved_policies", a->approved_policies, a->n_approved_policies);
    sais_jw_ktime(w, "created_at", a->created_at);
    sais_jw_ktime(w, "updated_at", a->updated_at);
    decisions(w, a);
    history(w, a);
    if (a->n_evidence) {
        sais_jw_key(w, "evidence");
        sais_jw_arr(w);
        for (size_t i = 0; i < a->n_evidence; i++) {
            sais_jw_obj(w);
            sais_jw_kstr(w, "source", a->evidence[i]->source);
            sais_jw_kstr(w, "record_id", a->evidence[i]->record_id);
            opt_str(w, "batch_id", a->evidence[i]->batch_id);
            sais_jw_obj_end(w);
        }
        sais_jw_arr_end(w);
    }
    sais_jw_obj_end(w);
    free(name);
}
