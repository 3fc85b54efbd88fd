/* gateway_local — what the gateway answers itself: /healthz, /metrics, /v1/keys, /v1/audit,
 * the console. Each handler fills rq->resp. */
#include "gateway_int.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateway_audit.h"
#include "sais_client.h"
#include "sais_clock.h"
#include "sais_json.h"
#include "sais_log.h"

#define PROBE_TIMEOUT_MS 1000
#define LIST_DEFAULT     50
#define LIST_MAX         1000

/* ---- asking every service at once */

typedef struct {
    gw_t       *gw;
    const char *service;
    const char *method;
    int         timeout_ms;
    gw_fan_t   *out;
} fan_job_t;

static void *fan_one(void *arg)
{
    fan_job_t *j = arg;
    Sais__Request req = SAIS__REQUEST__INIT;
    req.method = (char *)j->method;
    j->out->reply = NULL;
    j->out->rc = j->gw->call(j->gw->call_cls, j->service, &req, j->timeout_ms, &j->out->reply);
    if (j->out->rc != SAIS_CALL_OK && j->out->reply) {
        sais__reply__free_unpacked(j->out->reply, NULL);
        j->out->reply = NULL;
    }
    return NULL;
}

void gw_fanout(gw_t *gw, const char *method, int timeout_ms, gw_fan_t *out)
{
    size_t n = 0;
    while (gw_backends[n]) n++;
    fan_job_t jobs[16];
    pthread_t th[16];
    bool started[16] = {false};
    for (size_t i = 0; i < n && i < 16; i++) {
        jobs[i] = (fan_job_t){gw, gw_backends[i], method, timeout_ms, &out[i]};
        out[i].rc = SAIS_CALL_DOWN;
        out[i].reply = NULL;
        started[i] = pthread_create(&th[i], NULL, fan_one, &jobs[i]) == 0;
        if (!started[i]) fan_one(&jobs[i]);   /* no thread: ask in line */
    }
    for (size_t i = 0; i < n && i < 16; i++)
        if (started[i]) pthread_join(th[i], NULL);
}

void gw_fanout_free(gw_fan_t *out)
{
    for (size_t i = 0; gw_backends[i]; i++) {
        if (out[i].reply) sais__reply__free_unpacked(out[i].reply, NULL);
        out[i].reply = NULL;
    }
}

static bool fan_up(const gw_fan_t *f)
{
    return f->rc == SAIS_CALL_OK && f->reply && f->reply->status >= 200 && f->reply->status < 300;
}

/* ---- /healthz */

/* A store that cannot commit (a full disk, an I/O error) as a line of /healthz's problems;
 * nothing when its writes commit. `st` is a health or bus.status answer, NULL for the
 * gateway's own store. */
static void store_problem(gw_t *gw, const char *svc, const json_t *st, sais_jw_t *w)
{
    char err[128], at[21];
    const char *since = NULL, *why = NULL;
    if (st) {
        since = sais_json_str(st, "store_failing_since");
        why = sais_json_str(st, "store_error");
    } else {
        uint64_t failures;
        int64_t t;
        sais_store_write_health(gw->store, &failures, &t, err, sizeof err);
        if (t) {
            sais_time_format(t, at);
            since = at;
            why = err;
        }
    }
    if (!since) return;
    char line[320];
    snprintf(line, sizeof line, "%s: its store cannot be written since %s (%s): is the disk full?",
             svc, since, why ? why : "unknown error");
    sais_jw_str(w, line);
}

static json_t *fan_json(const gw_fan_t *f)
{
    if (!fan_up(f)) return NULL;
    json_t *o = json_loadb((const char *)f->reply->body.data, f->reply->body.len, 0, NULL);
    if (json_is_object(o)) return o;
    json_decref(o);
    return NULL;
}

static void local_healthz(gw_t *gw, gw_req_t *rq)
{
    gw_fan_t out[16];
    json_t *st[16] = {NULL};
    gw_fanout(gw, "health", PROBE_TIMEOUT_MS, out);
    bool all = true;
    size_t n = 0;
    for (; gw_backends[n]; n++) {
        all = all && fan_up(&out[n]);
        st[n] = fan_json(&out[n]);
    }
    sais_jw_t w, p;
    sais_jw_init(&p);
    sais_jw_arr(&p);
    store_problem(gw, "gateway", NULL, &p);
    for (size_t i = 0; i < n; i++)
        if (st[i]) store_problem(gw, gw_backends[i], st[i], &p);
    sais_jw_arr_end(&p);
    size_t plen;
    char *problems = sais_jw_take(&p, &plen);
    sais_jw_free(&p);
    bool clean = problems && plen == 2;   /* "[]" */
    sais_jw_init(&w);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "status", all && clean ? "ok" : "degraded");
    sais_jw_key(&w, "services");
    sais_jw_obj(&w);
    for (size_t i = 0; i < n; i++) sais_jw_kstr(&w, gw_backends[i], fan_up(&out[i]) ? "up" : "down");
    sais_jw_obj_end(&w);
    sais_jw_key(&w, "problems");
    if (problems) sais_jw_raw(&w, problems, plen);
    else sais_jw_raw(&w, "[]", 2);
    sais_jw_obj_end(&w);
    free(problems);
    for (size_t i = 0; i < n; i++) json_decref(st[i]);
    gw_fanout_free(out);
    size_t len;
    char *body = sais_jw_take(&w, &len);
    sais_jw_free(&w);
    gw_resp_take(&rq->resp, all && clean ? 200 : 503, "application/json", body, body ? len : 1);
}

/* ---- /metrics */

static void label_escape(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in && o + 3 < len; in++) {
        if (*in == '\\' || *in == '"') out[o++] = '\\';
        if (*in == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
            continue;
        }
        out[o++] = *in;
    }
    out[o] = '\0';
}

static long long json_ll(const json_t *o, const char *key, bool *ok)
{
    const json_t *v = json_object_get(o, key);
    *ok = json_is_integer(v);
    return *ok ? json_integer_value(v) : 0;
}

/* A service's state from its bus.status, as two gauges: `flag` is 1 while string field `skey`
 * says `when`; `count` is integer field `ckey`. Nothing for a service whose status has neither. */
static void state_gauges(gw_text_t *t, const char *svc, const json_t *st, const char *skey, const char *when,
                         const char *flag, const char *flag_help, const char *ckey, const char *count,
                         const char *count_help)
{
    const json_t *s = st ? json_object_get(st, skey) : NULL;
    bool ok;
    long long c = st ? json_ll(st, ckey, &ok) : 0;
    if (!json_is_string(s) || !ok)
        return;
    gw_text_add(t, "# HELP %s %s\n# TYPE %s gauge\n%s{service=\"%s\"} %d\n", flag, flag_help, flag, flag, svc,
                strcmp(json_string_value(s), when) == 0);
    gw_text_add(t, "# HELP %s %s\n# TYPE %s gauge\n%s{service=\"%s\"} %lld\n", count, count_help, count, count,
                svc, c);
}

/* One metric family of (consumer, producer) samples, from the object `key` of each service's
 * bus.status ("cursors", "skipped"). With `head`, a sample is the producer's head minus the
 * value: the consumer's lag. A family's samples stay together, as the exposition format asks. */
static void producer_family(gw_text_t *t, json_t *const *st, size_t n, const char *key, const char *name,
                            const char *help, const char *type, const long long *head, const bool *have_head)
{
    gw_text_add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    for (size_t i = 0; i < n; i++) {
        const json_t *obj = st[i] ? json_object_get(st[i], key) : NULL;
        const char *producer;
        const json_t *v;
        if (!json_is_object(obj)) continue;
        json_object_foreach((json_t *)obj, producer, v) {
            if (!json_is_integer(v)) continue;
            char pl[96];
            label_escape(producer, pl, sizeof pl);
            long long c = json_integer_value(v);
            if (!head) {
                gw_text_add(t, "%s{consumer=\"%s\",producer=\"%s\"} %lld\n", name, gw_backends[i], pl, c);
                continue;
            }
            for (size_t p = 0; p < n; p++)
                if (strcmp(gw_backends[p], producer) == 0 && have_head[p])
                    gw_text_add(t, "%s{consumer=\"%s\",producer=\"%s\"} %lld\n", name, gw_backends[i], pl,
                                head[p] > c ? head[p] - c : 0);
        }
    }
}

static void render_bus(gw_t *gw, gw_text_t *t)
{
    gw_fan_t out[16];
    json_t *st[16] = {NULL};
    long long head[16] = {0};
    bool have_head[16] = {false};
    gw_fanout(gw, "bus.status", PROBE_TIMEOUT_MS, out);
    size_t n = 0;
    for (; gw_backends[n]; n++) {
        if (!(st[n] = fan_json(&out[n]))) continue;
        head[n] = json_ll(st[n], "head", &have_head[n]);
    }
    gw_text_add(t, "# HELP sais_service_up 1 if the service answered bus.status.\n"
                   "# TYPE sais_service_up gauge\n");
    for (size_t i = 0; i < n; i++)
        gw_text_add(t, "sais_service_up{service=\"%s\"} %d\n", gw_backends[i], st[i] ? 1 : 0);
    gw_text_add(t, "# HELP sais_bus_head Last sequence number in the service's event log.\n"
                   "# TYPE sais_bus_head gauge\n");
    for (size_t i = 0; i < n; i++)
        if (have_head[i]) gw_text_add(t, "sais_bus_head{service=\"%s\"} %lld\n", gw_backends[i], head[i]);
    producer_family(t, st, n, "cursors", "sais_bus_lag", "Events a consumer has yet to apply from a producer.",
                    "gauge", head, have_head);
    producer_family(t, st, n, "cursors", "sais_bus_cursor", "The last event of a producer a consumer has applied.",
                    "gauge", NULL, NULL);
    producer_family(t, st, n, "skipped", "sais_bus_skipped_events",
                    "Events of a producer a consumer stepped over because no retry could apply them (each "
                    "logged as an error).", "counter", NULL, NULL);
    producer_family(t, st, n, "diverged", "sais_bus_diverged",
                    "1 when a producer's log was found to end before the consumer's cursor (restored "
                    "from an older backup): nothing more is taken from it.", "gauge", NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        state_gauges(t, gw_backends[i], st[i], "outreach", "held", "sais_rules_outreach_held",
                     "1 while rules.outreach = hold (a first load): nothing is granted, no case opened, no SMS sent.",
                     "held_households", "sais_rules_held_households",
                     "Households changed while outreach was held and not yet decided.");
        state_gauges(t, gw_backends[i], st[i], "refresh", "releasing", "sais_verify_releasing",
                     "1 while the refreshes held while outreach was held are done (ingest's events wait meanwhile).",
                     "owed_households", "sais_verify_owed_households",
                     "Households whose picture is owed a refresh (a feed batch not finished, or held while outreach "
                     "is held).");
    }
    gw_text_add(t, "# HELP sais_intake_work_pending Applications intake has still to move on (verifying, "
                   "deciding, the notices of a decision).\n# TYPE sais_intake_work_pending gauge\n");
    for (size_t i = 0; i < n; i++) {
        bool have = false;
        long long w = st[i] ? json_ll(st[i], "work_pending", &have) : 0;
        if (have) gw_text_add(t, "sais_intake_work_pending{service=\"%s\"} %lld\n", gw_backends[i], w);
    }
    gw_text_add(t, "# HELP sais_store_map_used_bytes LMDB map in use per service.\n"
                   "# TYPE sais_store_map_used_bytes gauge\n");
    uint64_t used = 0, size = 0;
    bool own = sais_store_usage(gw->store, &used, &size) == 0;
    if (own) gw_text_add(t, "sais_store_map_used_bytes{service=\"gateway\"} %llu\n", (unsigned long long)used);
    for (size_t i = 0; i < n; i++) {
        bool ok;
        long long u = st[i] ? json_ll(st[i], "map_used", &ok) : 0;
        if (st[i] && ok) gw_text_add(t, "sais_store_map_used_bytes{service=\"%s\"} %lld\n", gw_backends[i], u);
    }
    gw_text_add(t, "# HELP sais_store_map_size_bytes LMDB map size per service.\n"
                   "# TYPE sais_store_map_size_bytes gauge\n");
    if (own) gw_text_add(t, "sais_store_map_size_bytes{service=\"gateway\"} %llu\n", (unsigned long long)size);
    for (size_t i = 0; i < n; i++) {
        bool ok;
        long long s = st[i] ? json_ll(st[i], "map_size", &ok) : 0;
        if (st[i] && ok) gw_text_add(t, "sais_store_map_size_bytes{service=\"%s\"} %lld\n", gw_backends[i], s);
    }
    uint64_t failures = 0;
    int64_t since = 0;
    sais_store_write_health(gw->store, &failures, &since, NULL, 0);
    gw_text_add(t, "# HELP sais_store_write_failures_total Writes a service could not commit to its store (a "
                   "full disk, an I/O error), each logged as an error.\n"
                   "# TYPE sais_store_write_failures_total counter\n"
                   "sais_store_write_failures_total{service=\"gateway\"} %llu\n", (unsigned long long)failures);
    for (size_t i = 0; i < n; i++) {
        bool ok;
        long long f = st[i] ? json_ll(st[i], "store_write_failures", &ok) : 0;
        if (st[i] && ok) gw_text_add(t, "sais_store_write_failures_total{service=\"%s\"} %lld\n", gw_backends[i], f);
    }
    gw_text_add(t, "# HELP sais_store_write_failing 1 while a service's writes fail, until one commits again.\n"
                   "# TYPE sais_store_write_failing gauge\n"
                   "sais_store_write_failing{service=\"gateway\"} %d\n", since != 0);
    for (size_t i = 0; i < n; i++)
        if (st[i] && json_object_get(st[i], "store_write_failures"))
            gw_text_add(t, "sais_store_write_failing{service=\"%s\"} %d\n", gw_backends[i],
                        json_object_get(st[i], "store_failing_since") != NULL);
    for (size_t i = 0; i < n; i++) json_decref(st[i]);
    gw_fanout_free(out);
}

static void local_metrics(gw_t *gw, gw_req_t *rq)
{
    gw_text_t t = {NULL, 0, 0, false};
    gw_metrics_render(gw->metrics, &t);
    render_bus(gw, &t);
    if (t.failed) {
        free(t.buf);
        gw_problem(&rq->resp, 503, "out_of_memory", "the gateway is out of memory");
        return;
    }
    gw_resp_take(&rq->resp, 200, "text/plain; version=0.0.4; charset=utf-8", t.buf, t.len);
}

/* ---- list parameters */

static int limit_param(gw_req_t *rq, size_t *limit)
{
    const char *s = gw_params_get(&rq->params, "limit");
    *limit = LIST_DEFAULT;
    if (!s) return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > LIST_MAX) {
        gw_problem_field(&rq->resp, 422, "invalid", "limit is out of range", "limit", "bad_limit",
                         "limit is a whole number from 1 to 1000");
        return -1;
    }
    *limit = (size_t)v;
    return 0;
}

static void take_writer(gw_req_t *rq, int status, sais_jw_t *w)
{
    size_t len;
    char *body = sais_jw_take(w, &len);
    sais_jw_free(w);
    gw_resp_take(&rq->resp, status, "application/json", body, body ? len : 1);
}

/* ---- /v1/keys */

static void local_keys_create(gw_t *gw, gw_req_t *rq)
{
    char err[160];
    json_t *o = rq->len ? sais_json_parse_object(rq->body, rq->len, err, sizeof err) : NULL;
    if (!o) {
        gw_problem(&rq->resp, 400, "malformed_json", "a JSON object is required");
        return;
    }
    const char *arena[GW_KEY_MAX_REGIONS + GW_KEY_MAX_SOURCES];
    gateway_key_spec_t spec;
    gw_field_err_t e = {{0}, {0}, {0}};
    gw_key_t k;
    char secret[GW_KEY_SECRET_MAX];
    int rc = gw_key_spec_from_json(o, &spec, arena, &e);
    if (rc == 0) rc = gw_key_create(gw->store, &spec, &k, secret, sizeof secret, &e);
    json_decref(o);
    if (rc == -1) {
        gw_problem_field(&rq->resp, 422, "invalid", "the key cannot be made as asked", e.field,
                         e.code, e.message);
        return;
    }
    if (rc != 0) {
        gw_problem(&rq->resp, 503, "store_unavailable", "the key could not be stored");
        return;
    }
    snprintf(rq->subject, sizeof rq->subject, "%s", k.id);
    sais_jw_t w;
    sais_jw_init(&w);
    gw_key_write(&w, &k, secret);
    sodium_memzero(secret, sizeof secret);
    take_writer(rq, 201, &w);
}

static void local_keys_list(gw_t *gw, gw_req_t *rq)
{
    size_t limit;
    if (limit_param(rq, &limit) != 0) return;
    sais_jw_t w;
    sais_jw_init(&w);
    if (gw_keys_list(gw->store, gw_params_get(&rq->params, "cursor"), limit, &w) != 0) {
        sais_jw_free(&w);
        gw_problem(&rq->resp, 503, "store_unavailable", "the key store cannot be read");
        return;
    }
    take_writer(rq, 200, &w);
}

static void local_keys_delete(gw_t *gw, gw_req_t *rq)
{
    const char *id = gw_params_get(&rq->params, "id");
    int rc = gateway_key_delete(gw->store, id);
    if (rc == 0) gw_resp_take(&rq->resp, 204, "application/json", NULL, 0);
    else if (rc == 1) gw_problem(&rq->resp, 404, "not_found", "no key with that id");
    else gw_problem(&rq->resp, 503, "store_unavailable", "the key store cannot be written");
}

/* ---- /v1/audit */

static void local_audit(gw_t *gw, gw_req_t *rq)
{
    gw_audit_query_t q = {
        .actor = gw_params_get(&rq->params, "actor"),
        .subject = gw_params_get(&rq->params, "subject"),
        .action = gw_params_get(&rq->params, "action"),
    };
    if (limit_param(rq, &q.limit) != 0) return;
    const char *since = gw_params_get(&rq->params, "since");
    if (since) {
        q.since = sais_time_parse(since);
        if (q.since < 0) {
            gw_problem_field(&rq->resp, 422, "invalid", "since is not a timestamp", "since",
                             "bad_time", "an RFC 3339 timestamp such as 2026-11-23T08:00:00Z");
            return;
        }
    }
    const char *cursor = gw_params_get(&rq->params, "cursor");
    if (cursor) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cursor, &end, 10);
        if (errno || end == cursor || *end || cursor[0] == '-') {
            gw_problem_field(&rq->resp, 422, "invalid", "cursor is not one this list gave",
                             "cursor", "bad_cursor", "use next_cursor from the previous page");
            return;
        }
        q.after = v;
    }
    sais_jw_t w;
    sais_jw_init(&w);
    if (gw_audit_list(gw->store, &q, &w) != 0) {
        sais_jw_free(&w);
        gw_problem(&rq->resp, 503, "store_unavailable", "the audit trail cannot be read");
        return;
    }
    take_writer(rq, 200, &w);
}

static const struct {
    const char *rpc;
    gw_local_fn fn;
} locals[] = {
    {"local.healthz", local_healthz},         {"local.metrics", local_metrics},
    {"local.console", gw_static_serve},       {"local.keys.create", local_keys_create},
    {"local.keys.list", local_keys_list},     {"local.keys.delete", local_keys_delete},
    {"local.audit", local_audit},
};

gw_local_fn gw_local_find(const char *rpc)
{
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++)
        if (strcmp(locals[i].rpc, rpc) == 0) return locals[i].fn;
    return NULL;
}
