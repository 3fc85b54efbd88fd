/* The notify service end to end in one process: fake "rules" and "warn" producers emit events
 * over inproc://, notify turns them into SMS, inbox items and webhook deliveries, and a tiny
 * HTTP receiver (libmicrohttpd, 127.0.0.1) that is down (503) for a while and then up checks
 * that every event arrives exactly once, in order, with a valid signature. Then: a receiver
 * that never answers ends in `failed` with the reason visible; SMS without a gateway wait as
 * pending and go out once a gateway is configured; who may list what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notify.h"
#include "rules.pb-c.h"
#include "sais_clock.h"
#include "sais_test_support.h"
#include "warn.pb-c.h"

#define SECRET "s3cret-for-the-test-receiver"
#define PHONE  "13800001234"
#define SEED_SMS "【温州市民政局】您家庭的临时救助(支出型)已批准，金额32160.00元。如有疑问请咨询当地民政窗口。"

/* ---------------------------------------------------------------- fake producers */

static const char *const no_dbis[] = {"x", NULL};

static int64_t param_int(const Sais__Request *req, const char *k)
{
    const char *v = sais_req_param(req, k);
    return v ? strtoll(v, NULL, 10) : 0;
}

static int emit_entitlement(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    Rul__Entitlement e = RUL__ENTITLEMENT__INIT;
    e.entitlement_id = (char *)sais_req_param(req, "id");
    e.household_id = (char *)sais_req_param(req, "hh");
    e.id_number = "11010519491231002X";
    e.policy = (char *)sais_req_param(req, "policy");
    e.amount = param_int(req, "amount");
    e.previous_amount = param_int(req, "prev");
    e.period = (char *)sais_req_param(req, "period");
    e.status = "active";
    e.origin = "proactive";
    e.region = (char *)sais_req_param(req, "region");
    e.notify_phone = (char *)sais_req_param(req, "phone");
    int rc = sais_svc_emit(svc, txn, sais_req_param(req, "type"), e.region, &e.base);
    if (rc)
        return rc;
    return sais_reply_bytes(reply, 201, "application/json", "{}", 2);
}

static int emit_alert(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    Wrn__Alert a = WRN__ALERT__INIT;
    a.alert_id = "alt-1";
    a.kind = "catastrophic_medical";
    a.severity = "high";
    a.household_id = (char *)sais_req_param(req, "hh");
    a.region = (char *)sais_req_param(req, "region");
    a.status = "open";
    int rc = sais_svc_emit(svc, txn, sais_req_param(req, "type"), a.region, &a.base);
    if (rc)
        return rc;
    return sais_reply_bytes(reply, 201, "application/json", "{}", 2);
}

static const sais_method_t rules_methods[] = {{"emit", SAIS_M_WRITE, emit_entitlement}, {NULL, 0, NULL}};
static const sais_service_def_t fake_rules = {.name = "rules", .dbis = no_dbis, .methods = rules_methods};
static const sais_method_t warn_methods[] = {{"emit", SAIS_M_WRITE, emit_alert}, {NULL, 0, NULL}};
static const sais_service_def_t fake_warn = {.name = "warn", .dbis = no_dbis, .methods = warn_methods};

/* ---------------------------------------------------------------- the HTTP receiver */

typedef struct {
    char  path[16];
    char  event_id[160];
    char *body;
} got_t;

typedef struct {
    pthread_mutex_t    mu;
    bool               down;
    int                refused;
    int                bad_signature;
    got_t              got[512];
    size_t             ngot;
    struct MHD_Daemon *d;
    uint16_t           port;
} rx_t;

typedef struct {
    char  *buf;
    size_t len;
} upload_t;

static bool signature_ok(const char *header, const char *body, size_t len)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    char want[7 + 65];
    memcpy(want, "sha256=", 7);
    sodium_bin2hex(want + 7, 65, mac, sizeof mac);
    return header && strcmp(header, want) == 0;
}

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    (void)version;
    rx_t *rx = cls;
    if (!*con_cls) {
        upload_t *u = calloc(1, sizeof *u);
        if (!u)
            return MHD_NO;
        *con_cls = u;
        return MHD_YES;
    }
    upload_t *u = *con_cls;
    if (*size) {
        char *nb = realloc(u->buf, u->len + *size + 1);
        if (!nb)
            return MHD_NO;
        memcpy(nb + u->len, data, *size);
        u->buf = nb;
        u->len += *size;
        u->buf[u->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    unsigned status = 200;
    pthread_mutex_lock(&rx->mu);
    if (strcmp(method, "POST") != 0) {
        status = 405;
    } else if (rx->down) {
        rx->refused++;
        status = 503;
    } else {
        const char *eid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Sais-Event-Id");
        const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Sais-Signature");
        bool hook = strcmp(url, "/hook") == 0;
        if (hook && !signature_ok(sig, u->buf ? u->buf : "", u->len)) {
            rx->bad_signature++;
            status = 401;
        } else if (rx->ngot < sizeof rx->got / sizeof rx->got[0]) {
            got_t *g = &rx->got[rx->ngot++];
            snprintf(g->path, sizeof g->path, "%s", url);
            snprintf(g->event_id, sizeof g->event_id, "%s", eid ? eid : "");
            g->body = strdup(u->buf ? u->buf : "");
        }
    }
    pthread_mutex_unlock(&rx->mu);
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    enum MHD_Result res = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return res;
}

static void rx_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    upload_t *u = *con_cls;
    if (u) {
        free(u->buf);
        free(u);
        *con_cls = NULL;
    }
}

static rx_t *rx_start(bool down)
{
    rx_t *rx = calloc(1, sizeof *rx);
    assert_non_null(rx);
    pthread_mutex_init(&rx->mu, NULL);
    rx->down = down;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rx->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, rx_handler, rx,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_NOTIFY_COMPLETED, rx_completed, rx, MHD_OPTION_END);
    assert_non_null(rx->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(rx->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    rx->port = info->port;
    assert_true(rx->port > 0);
    return rx;
}

static void rx_stop(rx_t **rxp)
{
    rx_t *rx = *rxp;
    MHD_stop_daemon(rx->d);
    for (size_t i = 0; i < rx->ngot; i++)
        free(rx->got[i].body);
    pthread_mutex_destroy(&rx->mu);
    free(rx);
    *rxp = NULL;
}

static void rx_set_down(rx_t *rx, bool down)
{
    pthread_mutex_lock(&rx->mu);
    rx->down = down;
    pthread_mutex_unlock(&rx->mu);
}

/* how many accepted requests on `path` (NULL = any) */
static size_t rx_count(rx_t *rx, const char *path)
{
    pthread_mutex_lock(&rx->mu);
    size_t n = 0;
    for (size_t i = 0; i < rx->ngot; i++)
        if (!path || strcmp(rx->got[i].path, path) == 0)
            n++;
    pthread_mutex_unlock(&rx->mu);
    return n;
}

static int rx_refused(rx_t *rx)
{
    pthread_mutex_lock(&rx->mu);
    int n = rx->refused;
    pthread_mutex_unlock(&rx->mu);
    return n;
}

static bool wait_for(rx_t *rx, const char *path, size_t want, int ms)
{
    for (int i = 0; i < ms / 20; i++) {
        if (rx_count(rx, path) >= want)
            return true;
        usleep(20000);
    }
    return rx_count(rx, path) >= want;
}

/* ---------------------------------------------------------------- calling services */

static char tmpdir[256];

static sais_config_t *make_cfg(const char *sub, const char *sms, const char *max_attempts)
{
    /* endpoints per test, so that a failed test's actors cannot hold the next test's */
    static const char *const names[] = {"rules", "warn", "intake", "match", "notify", NULL};
    sais_config_t *cfg = sais_test_config(tmpdir, sub, names);
    const char *kv[][2] = {
        {"notify.sms_endpoint", sms},
        {"notify.backoff_ms", "40"},
        {"notify.backoff_max_ms", "160"},
        {"notify.max_attempts", max_attempts},
        {"notify.http_timeout_ms", "2000"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        sais_test_set(cfg, kv[i][0], kv[i][1]);
    return cfg;
}

typedef struct {
    const char *role;
    const char *region;
} who_t;

static const who_t INTERNAL = {NULL, NULL};

/* params: NULL-terminated key, value pairs. Returns the status; *out the parsed JSON body. */
static int call(sais_client_t *cl, const char *svc, const char *method, who_t who, const char *body,
                json_t **out, ...)
{
    const sais_test_caller_t caller = {who.role, who.region, NULL, "k1"};
    char *text = NULL;
    va_list ap;
    va_start(ap, out);
    int status = sais_test_callv(cl, svc, method, &caller, NULL, body, body ? strlen(body) : 0, 3000,
                                 out ? &text : NULL, ap);
    va_end(ap);
    if (text) {
        json_error_t jerr;
        *out = json_loads(text, 0, &jerr);
        free(text);
    }
    return status;
}

static void emit_ent(sais_client_t *cl, int i, const char *type, const char *amount, const char *phone)
{
    char id[32], hh[32];
    snprintf(id, sizeof id, "ent-%d", i);
    snprintf(hh, sizeof hh, "H%03d", i);
    assert_int_equal(call(cl, "rules", "emit", INTERNAL, NULL, NULL, "type", type, "id", id, "hh", hh,
                          "policy", i == 0 ? "temp_medical" : "dibao", "amount", amount,
                          "period", i == 0 ? "one_off" : "monthly", "prev", "100000",
                          "region", "330326", "phone", phone, NULL),
                     201);
}

/* All notifications matching the params, following next_cursor in pages of 3. */
static json_t *list_all(sais_client_t *cl, who_t who, const char *channel, const char *status)
{
    json_t *all = json_array();
    char cursor[64] = "";
    for (int page = 0; page < 100; page++) {
        json_t *j = NULL;
        assert_int_equal(call(cl, "notify", "notifications.list", who, NULL, &j, "limit", "3",
                              "channel", channel ? channel : "", "status", status ? status : "",
                              "cursor", cursor, NULL),
                         200);
        assert_non_null(j);
        json_t *items = json_object_get(j, "items");
        assert_true(json_array_size(items) <= 3);
        json_array_extend(all, items);
        const char *nc = json_string_value(json_object_get(j, "next_cursor"));
        if (!nc) {
            json_decref(j);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", nc);
        json_decref(j);
    }
    return all;
}

static size_t count_where(json_t *items, const char *key, const char *value)
{
    size_t n = 0, i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *v = json_string_value(json_object_get(it, key));
        if (v && strcmp(v, value) == 0)
            n++;
    }
    return n;
}

/* ---------------------------------------------------------------- tests */

static void test_down_then_up_exactly_once_in_order(void **state)
{
    (void)state;
    rx_t *rx = rx_start(true);
    char sms[128], hook[128], body[512];
    snprintf(sms, sizeof sms, "http://127.0.0.1:%u/sms", rx->port);
    snprintf(hook, sizeof hook, "http://127.0.0.1:%u/hook", rx->port);
    sais_config_t *cfg = make_cfg("a", sms, "1000");
    zactor_t *rules = sais_service_start(&fake_rules, cfg);
    zactor_t *warn = sais_service_start(&fake_warn, cfg);
    zactor_t *notify = sais_service_start(&notify_service, cfg);
    assert_non_null(rules);
    assert_non_null(warn);
    assert_non_null(notify);
    sais_client_t *cl = sais_client_new(cfg);
    json_t *j = NULL;

    /* webhook validation */
    const char *bad[] = {
        "{\"url\":\"ftp://127.0.0.1/x\",\"events\":[\"entitlement.*\"],\"secret\":\"" SECRET "\"}",
        "{\"url\":\"http:///nohost\",\"events\":[\"entitlement.*\"],\"secret\":\"" SECRET "\"}",
        "{\"url\":\"http://127.0.0.1/x\",\"events\":[\"entitlement.bogus\"],\"secret\":\"" SECRET "\"}",
        "{\"url\":\"http://127.0.0.1/x\",\"events\":[],\"secret\":\"" SECRET "\"}",
        "{\"url\":\"http://127.0.0.1/x\",\"events\":[\"alert.*\"],\"secret\":\"short\"}",
        "{\"url\":\"http://127.0.0.1/x\",\"events\":[\"alert.*\"]}",
        "{\"url\":\"http://127.0.0.1/x\",\"events\":[7],\"secret\":\"" SECRET "\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(call(cl, "notify", "webhooks.create", INTERNAL, bad[i], NULL, NULL), 422);
    assert_int_equal(call(cl, "notify", "webhooks.create", INTERNAL, "{not json", NULL, NULL), 400);
    snprintf(body, sizeof body, "{\"url\":\"%s\",\"events\":[\"entitlement.*\",\"alert.raised\"],\"secret\":\"%s\"}",
             hook, SECRET);
    assert_int_equal(call(cl, "notify", "webhooks.create", (who_t){"caseworker", "3303"}, body, NULL, NULL), 403);
    assert_int_equal(call(cl, "notify", "webhooks.create", (who_t){"admin", NULL}, body, &j, NULL), 201);
    assert_string_equal(json_string_value(json_object_get(j, "webhook_id")), "wh-000001");
    assert_string_equal(json_string_value(json_object_get(j, "url")), hook);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 2);
    assert_non_null(json_string_value(json_object_get(j, "created_at")));
    assert_null(json_object_get(j, "secret"));
    json_decref(j);
    assert_int_equal(call(cl, "notify", "webhooks.list", INTERNAL, NULL, &j, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    char *dump = json_dumps(j, 0);
    assert_non_null(dump);
    assert_non_null(strstr(dump, "wh-000001"));
    assert_null(strstr(dump, SECRET)); /* the secret is never shown again */
    free(dump);
    json_decref(j);
    assert_int_equal(call(cl, "notify", "webhooks.list", (who_t){"reviewer", "3303"}, NULL, NULL, NULL), 403);

    /* ten entitlement events and an alert while the receiver is down */
    const int N = 10;
    emit_ent(cl, 0, "entitlement.granted", "3216000", PHONE);
    for (int i = 1; i < N; i++) {
        char amount[32];
        snprintf(amount, sizeof amount, "%d", 100000 + i * 100);
        emit_ent(cl, i, i % 2 ? "entitlement.changed" : "entitlement.granted", amount, PHONE);
    }
    assert_int_equal(call(cl, "warn", "emit", INTERNAL, NULL, NULL, "type", "alert.raised", "hh", "H000",
                          "region", "330326", NULL), 201);
    /* an alert type no webhook subscribed to and with no inbox template: nothing at all */
    assert_int_equal(call(cl, "warn", "emit", INTERNAL, NULL, NULL, "type", "alert.acknowledged", "hh", "H000",
                          "region", "330326", NULL), 201);

    for (int i = 0; i < 200 && rx_refused(rx) < 6; i++)
        usleep(20000);
    assert_true(rx_refused(rx) >= 6);
    assert_int_equal(rx_count(rx, NULL), 0);
    /* while down: pending, the head of each queue has attempts and the reason */
    json_t *hooks = list_all(cl, INTERNAL, "webhook", "pending");
    assert_int_equal(json_array_size(hooks), N + 1);
    json_t *first = json_array_get(hooks, json_array_size(hooks) - 1); /* newest first */
    assert_true(json_integer_value(json_object_get(first, "attempts")) >= 1);
    assert_string_equal(json_string_value(json_object_get(first, "last_error")), "HTTP 503");
    /* the ones behind it have not been tried: in order per recipient */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(hooks, 0), "attempts")), 0);
    json_decref(hooks);

    rx_set_down(rx, false);
    assert_true(wait_for(rx, "/hook", (size_t)N + 1, 15000));
    assert_true(wait_for(rx, "/sms", (size_t)N, 15000));
    usleep(600000); /* nothing more may arrive */
    assert_int_equal(rx_count(rx, "/hook"), N + 1);
    assert_int_equal(rx_count(rx, "/sms"), N);
    assert_int_equal(rx->bad_signature, 0);

    /* webhooks: each event once, rules events in their log order, bodies as signed */
    int next_seq = 1, alerts = 0, sms_seen = 0;
    for (size_t i = 0; i < rx->ngot; i++) {
        got_t *g = &rx->got[i];
        json_error_t jerr;
        json_t *b = json_loads(g->body, 0, &jerr);
        assert_non_null(b);
        if (strcmp(g->path, "/hook") == 0) {
            assert_string_equal(json_string_value(json_object_get(b, "event_id")), g->event_id);
            const char *producer = json_string_value(json_object_get(b, "producer"));
            int seq = (int)json_integer_value(json_object_get(b, "seq"));
            if (strcmp(producer, "rules") == 0) {
                assert_int_equal(seq, next_seq);
                char want[64];
                snprintf(want, sizeof want, "rules:%d:webhook:wh-000001", seq);
                assert_string_equal(g->event_id, want);
                if (seq == 1) {
                    assert_string_equal(json_string_value(json_object_get(b, "type")), "entitlement.granted");
                    assert_non_null(strstr(g->body, "\"amount\":32160.00"));
                }
                next_seq++;
            } else {
                assert_string_equal(producer, "warn");
                assert_string_equal(json_string_value(json_object_get(b, "type")), "alert.raised");
                alerts++;
            }
        } else {
            assert_string_equal(json_string_value(json_object_get(b, "to")), PHONE);
            const char *text = json_string_value(json_object_get(b, "body"));
            /* SMS to one phone go out in order too: the first is the seed story's */
            if (sms_seen == 0) {
                assert_string_equal(text, SEED_SMS);
            } else {
                char amount[32];
                snprintf(amount, sizeof amount, "%d.00元", 1000 + sms_seen);
                assert_non_null(strstr(text, "最低生活保障"));
                assert_non_null(strstr(text, amount));
            }
            assert_non_null(json_string_value(json_object_get(b, "notification_id")));
            sms_seen++;
        }
        json_decref(b);
    }
    assert_int_equal(next_seq, N + 1);
    assert_int_equal(alerts, 1);

    /* the outbox agrees: everything delivered, attempts counted */
    json_t *all = list_all(cl, INTERNAL, NULL, NULL);
    assert_int_equal(json_array_size(all), N + N + N + 1 + 1); /* sms + inbox + hooks(N+1) + alert inbox */
    assert_int_equal(count_where(all, "status", "delivered"), json_array_size(all));
    assert_int_equal(count_where(all, "channel", "inbox"), N + 1);
    assert_int_equal(count_where(all, "template", "sms.entitlement.granted"), (N + 1) / 2);
    assert_int_equal(count_where(all, "template", "inbox.alert.raised"), 1);
    assert_int_equal(count_where(all, "body", SEED_SMS), 1);
    json_decref(all);

    /* who sees what: a caseworker its regions' inbox only, nothing of another county */
    json_t *mine = list_all(cl, (who_t){"caseworker", "3303"}, NULL, NULL);
    assert_int_equal(json_array_size(mine), N + 1);
    assert_int_equal(count_where(mine, "channel", "inbox"), N + 1);
    json_decref(mine);
    json_t *other = list_all(cl, (who_t){"caseworker", "3301"}, NULL, NULL);
    assert_int_equal(json_array_size(other), 0);
    json_decref(other);
    json_t *sms_cw = list_all(cl, (who_t){"reviewer", "330326"}, "sms", NULL);
    assert_int_equal(json_array_size(sms_cw), 0);
    json_decref(sms_cw);
    assert_int_equal(call(cl, "notify", "notifications.list", INTERNAL, NULL, &j, "recipient", PHONE, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), N);
    json_decref(j);
    assert_int_equal(call(cl, "notify", "notifications.list", INTERNAL, NULL, &j, "recipient", "330326",
                          "status", "delivered", NULL), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), N + 1);
    json_decref(j);
    assert_int_equal(call(cl, "notify", "notifications.list", INTERNAL, NULL, NULL, "status", "sent", NULL), 422);
    assert_int_equal(call(cl, "notify", "notifications.list", INTERNAL, NULL, NULL, "channel", "fax", NULL), 422);
    assert_int_equal(call(cl, "notify", "notifications.list", INTERNAL, NULL, NULL, "limit", "0", NULL), 422);
    assert_int_equal(call(cl, "notify", "notifications.list", INTERNAL, NULL, NULL, "cursor", "zzz", NULL), 422);

    /* a restart re-reads nothing: the cursor and the outbox say it was all done */
    sais_service_stop(&notify);
    notify = sais_service_start(&notify_service, cfg);
    assert_non_null(notify);
    sais_client_destroy(&cl); /* inproc:// does not reconnect pooled sockets */
    cl = sais_client_new(cfg);
    emit_ent(cl, 99, "entitlement.stopped", "0", PHONE);
    assert_true(wait_for(rx, "/hook", (size_t)N + 2, 10000));
    assert_true(wait_for(rx, "/sms", (size_t)N + 1, 10000));
    usleep(400000);
    assert_int_equal(rx_count(rx, "/hook"), N + 2);
    assert_int_equal(rx_count(rx, "/sms"), N + 1);

    sais_client_destroy(&cl);
    sais_service_stop(&notify);
    sais_service_stop(&warn);
    sais_service_stop(&rules);
    sais_config_destroy(&cfg);
    rx_stop(&rx);
}

static uint16_t closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_failures_and_no_gateway(void **state)
{
    (void)state;
    char body[512];
    /* no SMS gateway; a webhook nobody listens on; three attempts at most */
    sais_config_t *cfg = make_cfg("b", "", "3");
    zactor_t *rules = sais_service_start(&fake_rules, cfg);
    zactor_t *notify = sais_service_start(&notify_service, cfg);
    assert_non_null(rules);
    assert_non_null(notify);
    sais_client_t *cl = sais_client_new(cfg);
    snprintf(body, sizeof body, "{\"url\":\"http://127.0.0.1:%u/hook\",\"events\":[\"*\"],\"secret\":\"%s\"}",
             closed_port(), SECRET);
    assert_int_equal(call(cl, "notify", "webhooks.create", INTERNAL, body, NULL, NULL), 201);
    emit_ent(cl, 0, "entitlement.granted", "3216000", PHONE);
    emit_ent(cl, 1, "entitlement.granted", "120000", PHONE);
    /* a phone that is not one: no SMS, but the inbox and the webhook still hear of it */
    emit_ent(cl, 2, "entitlement.granted", "120000", "not-a-phone");

    json_t *failed = NULL;
    for (int i = 0; i < 300; i++) {
        failed = list_all(cl, INTERNAL, "webhook", "failed");
        if (json_array_size(failed) == 3)
            break;
        json_decref(failed);
        failed = NULL;
        usleep(20000);
    }
    assert_non_null(failed);
    size_t i;
    json_t *it;
    json_array_foreach(failed, i, it)
    {
        assert_int_equal(json_integer_value(json_object_get(it, "attempts")), 3);
        const char *err = json_string_value(json_object_get(it, "last_error"));
        assert_non_null(err);
        assert_true(strlen(err) > 0);
    }
    json_decref(failed);

    json_t *sms = list_all(cl, INTERNAL, "sms", NULL);
    assert_int_equal(json_array_size(sms), 2);
    json_array_foreach(sms, i, it)
    {
        assert_string_equal(json_string_value(json_object_get(it, "status")), "pending");
        assert_int_equal(json_integer_value(json_object_get(it, "attempts")), 0);
        assert_string_equal(json_string_value(json_object_get(it, "last_error")), "no SMS gateway configured");
    }
    json_decref(sms);
    json_t *inbox = list_all(cl, INTERNAL, "inbox", "delivered");
    assert_int_equal(json_array_size(inbox), 3);
    json_decref(inbox);
    /* without a gateway nothing spins: the state stays as it is */
    char d1[256] = "", d2[256] = "";
    json_t *dj = NULL;
    assert_int_equal(call(cl, "notify", "digest", INTERNAL, NULL, &dj, NULL), 200);
    snprintf(d1, sizeof d1, "%s", json_string_value(json_object_get(dj, "digest")));
    json_decref(dj);
    usleep(500000);
    assert_int_equal(call(cl, "notify", "digest", INTERNAL, NULL, &dj, NULL), 200);
    snprintf(d2, sizeof d2, "%s", json_string_value(json_object_get(dj, "digest")));
    json_decref(dj);
    assert_string_equal(d1, d2);

    /* a gateway appears (restart with config): the waiting SMS go out, in order, once */
    rx_t *rx = rx_start(false);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/sms", rx->port);
    sais_service_stop(&notify);
    char err[128];
    assert_int_equal(sais_config_set(cfg, "notify.sms_endpoint", url, err, sizeof err), 0);
    notify = sais_service_start(&notify_service, cfg);
    assert_non_null(notify);
    /* inproc:// does not reconnect pooled client sockets to a re-bound endpoint */
    sais_client_destroy(&cl);
    cl = sais_client_new(cfg);
    assert_true(wait_for(rx, "/sms", 2, 10000));
    usleep(400000);
    assert_int_equal(rx_count(rx, "/sms"), 2);
    assert_non_null(strstr(rx->got[0].body, "32160.00"));
    assert_non_null(strstr(rx->got[1].body, "1200.00"));
    sms = list_all(cl, INTERNAL, "sms", "delivered");
    assert_int_equal(json_array_size(sms), 2);
    json_array_foreach(sms, i, it)
    {
        assert_int_equal(json_integer_value(json_object_get(it, "attempts")), 1);
        assert_true(json_is_null(json_object_get(it, "last_error")));
    }
    json_decref(sms);

    /* a bad gateway URL is a start-up error, not a silent outbox */
    sais_service_stop(&notify);
    assert_int_equal(sais_config_set(cfg, "notify.sms_endpoint", "file:///etc/passwd", err, sizeof err), 0);
    assert_null(sais_service_start(&notify_service, cfg));

    sais_client_destroy(&cl);
    sais_service_stop(&rules);
    sais_config_destroy(&cfg);
    rx_stop(&rx);
}

int main(void)
{
    sais_clock_pin("2026-11-23T08:00:00Z");
    if (sodium_init() < 0)
        return 1;
    if (sais_test_tmpdir_make(tmpdir, sizeof tmpdir, "test-notify") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_down_then_up_exactly_once_in_order),
        cmocka_unit_test(test_failures_and_no_gateway),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (sais_test_tmpdir_remove(tmpdir) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
