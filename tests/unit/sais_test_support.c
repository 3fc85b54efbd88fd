/* The shared in-process service test scaffolding (sais_test_support.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "sais_test_support.h"

int sais_test_tmpdir_make(char *dir, size_t len, const char *tag)
{
    if (snprintf(dir, len, "/tmp/sais-%s-XXXXXX", tag) >= (int)len)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

int sais_test_tmpdir_remove(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#define PORT_DIR "/tmp/sais-test-ports"

static bool port_binds(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int sais_test_free_port(void)
{
    static int given[64];
    static size_t ngiven;
    static unsigned seed;
    int lo = 32768, hi = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &lo, &hi) != 2) {
            lo = 32768;
            hi = 60999;
        }
        fclose(f);
    }
    int from = lo > 12000 ? 10000 : hi + 1, to = lo > 12000 ? lo - 1 : 65535;
    if (mkdir(PORT_DIR, 0777) != 0 && errno != EEXIST)
        fail_msg("cannot make %s: %s", PORT_DIR, strerror(errno));
    if (!seed)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    assert_true(ngiven < sizeof given / sizeof *given);
    for (int tries = 0; tries < 500; tries++) {
        int port = from + (int)(rand_r(&seed) % (unsigned)(to - from + 1));
        bool mine = false;
        for (size_t i = 0; i < ngiven; i++)
            mine = mine || given[i] == port;
        if (mine)
            continue; /* POSIX locks never conflict within a process; closing would drop it */
        char path[64];
        snprintf(path, sizeof path, PORT_DIR "/%d", port);
        int fd = open(path, O_CREAT | O_RDWR, 0666);
        if (fd < 0)
            continue;
        if (lockf(fd, F_TLOCK, 0) != 0 || !port_binds(port)) {
            close(fd);
            continue;
        }
        given[ngiven++] = port; /* fd stays open: the lock lasts as long as the process */
        return port;
    }
    fail_msg("no free port between %d and %d", from, to);
    return -1;
}

void sais_test_set(sais_config_t *cfg, const char *key, const char *value)
{
    char err[256] = "";
    if (sais_config_set(cfg, key, value, err, sizeof err) != 0)
        fail_msg("config %s=%s: %s", key, value, err);
}

sais_config_t *sais_test_config(const char *dir, const char *name, const char *const *svcs)
{
    char v[512], key[64];
    sais_config_t *cfg = sais_config_new();
    assert_non_null(cfg);
    if (name)
        snprintf(v, sizeof v, "%s/%s", dir, name);
    else
        snprintf(v, sizeof v, "%s", dir);
    sais_test_set(cfg, "data.dir", v);
    for (size_t i = 0; svcs && svcs[i]; i++) {
        snprintf(key, sizeof key, "%s.endpoint", svcs[i]);
        snprintf(v, sizeof v, "inproc://%s-%s", name ? name : "t", svcs[i]);
        sais_test_set(cfg, key, v);
    }
    sais_test_set(cfg, "bus.fetch_wait_ms", "200");
    return cfg;
}

int sais_test_callv(sais_client_t *cl, const char *svc, const char *method, const sais_test_caller_t *who,
                    const char *idem, const void *body, size_t len, int timeout_ms, char **out, va_list ap)
{
    Sais__Request req = SAIS__REQUEST__INIT;
    Sais__Caller caller = SAIS__CALLER__INIT;
    Sais__Param params[16], *pp[16];
    char *regions[1] = {who && who->scope ? (char *)who->scope : NULL};
    size_t n = 0;
    const char *k;
    while (n < 16 && (k = va_arg(ap, const char *)) != NULL) {
        sais__param__init(&params[n]);
        params[n].key = (char *)k;
        params[n].value = va_arg(ap, char *);
        pp[n] = &params[n];
        n++;
    }
    req.method = (char *)method;
    req.params = pp;
    req.n_params = n;
    req.body.data = (uint8_t *)body;
    req.body.len = body ? len : 0;
    if (idem)
        req.idempotency_key = (char *)idem;
    if (who && who->role) {
        caller.role = (char *)who->role;
        if (who->name)
            caller.name = (char *)who->name;
        if (who->key_id)
            caller.key_id = (char *)who->key_id;
        caller.regions = regions;
        caller.n_regions = who->scope ? 1 : 0;
        req.caller = &caller;
    }
    Sais__Reply *rep = NULL;
    int rc = sais_client_call(cl, svc, &req, timeout_ms, &rep);
    if (rc != SAIS_CALL_OK)
        return rc;
    int status = rep->status;
    if (out)
        *out = strndup((const char *)rep->body.data, rep->body.len);
    sais__reply__free_unpacked(rep, NULL);
    return status;
}

int sais_test_call(sais_client_t *cl, const char *svc, const char *method, const sais_test_caller_t *who,
                   const char *idem, const void *body, size_t len, int timeout_ms, char **out, ...)
{
    va_list ap;
    va_start(ap, out);
    int st = sais_test_callv(cl, svc, method, who, idem, body, len, timeout_ms, out, ap);
    va_end(ap);
    return st;
}

json_t *sais_test_expect_json(const char *method, int status, int want, char *body)
{
    if (status != want)
        fprintf(stderr, "%s: status %d, want %d: %s\n", method, status, want, body ? body : "");
    assert_int_equal(status, want);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    assert_non_null(j);
    return j;
}

void sais_test_emit(sais_client_t *cl, const char *producer, const char *type, const char *region,
                    const ProtobufCMessage *m)
{
    sais_test_emit_sourced(cl, producer, type, region, "", m);
}

void sais_test_emit_sourced(sais_client_t *cl, const char *producer, const char *type, const char *region,
                            const char *sources, const ProtobufCMessage *m)
{
    size_t n = m ? protobuf_c_message_get_packed_size(m) : 0;
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    if (m)
        protobuf_c_message_pack(m, buf);
    int st = sais_test_call(cl, producer, "emit", NULL, NULL, buf, n, 5000, NULL, "type", type, "region", region,
                            "sources", sources, NULL);
    free(buf);
    assert_int_equal(st, 200);
}

uint64_t sais_test_cursor(sais_client_t *cl, const char *consumer, const char *producer)
{
    char *out = NULL;
    if (sais_test_call(cl, consumer, "bus.status", NULL, NULL, NULL, 0, 5000, &out, NULL) != 200) {
        free(out);
        return 0;
    }
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    uint64_t c = (uint64_t)json_integer_value(json_object_get(json_object_get(j, "cursors"), producer));
    json_decref(j);
    return c;
}

void sais_test_wait_cursor(sais_client_t *cl, const char *consumer, const char *producer, uint64_t head)
{
    for (int i = 0; i < 500 && sais_test_cursor(cl, consumer, producer) < head; i++)
        usleep(10000);
    assert_int_equal(sais_test_cursor(cl, consumer, producer), head);
}

int sais_test_fake_emit(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    const char *type = sais_req_param(req, "type");
    const char *region = sais_req_param(req, "region");
    if (!type)
        return sais_reply_invalid(reply, "type", "missing_field", "type is required");
    /* "sources": comma-separated, as verify names the feeds behind a household.changed */
    const char *list = sais_req_param(req, "sources");
    char buf[128];
    const char *sources[8];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save))
        sources[n++] = t;
    int rc = sais_svc_emit_raw(svc, txn, type, region ? region : "", sources, n, req->body.data, req->body.len);
    if (rc != 0)
        return rc;
    return sais_reply_bytes(reply, 200, "text/plain", "ok", 2);
}

static const char *const no_dbis[] = {NULL};
static const sais_method_t fake_methods[] = {{"emit", SAIS_M_WRITE, sais_test_fake_emit}, {NULL, 0, NULL}};

const sais_service_def_t *sais_test_fake_producer(const char *name)
{
    static sais_service_def_t defs[8];
    for (size_t i = 0; i < 8; i++) {
        if (defs[i].name && strcmp(defs[i].name, name) == 0)
            return &defs[i];
        if (!defs[i].name) {
            defs[i] = (sais_service_def_t){.name = name, .dbis = no_dbis, .methods = fake_methods};
            return &defs[i];
        }
    }
    fail_msg("more than 8 fake producers");
    return NULL;
}
