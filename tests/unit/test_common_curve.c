/* CURVE on the bus: services over tcp://127.0.0.1 in one process with bus.curve on. An
 * allow-listed client is served and events flow to a consumer (and to a city-style source
 * "east/ingest" whose server key is under remote/); a revoked certificate, a plain client and
 * a client that knows the server key but is not allow-listed are not. A CURVE server set up
 * without a ZAP handler refuses everyone because of ZMQ_ZAP_ENFORCE_DOMAIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sais_curve.h"
#include "sais_service.h"
#include "sais_test_support.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

static char tmpdir[256], certs[300], intruder[300];
static int port_ingest, port_verify, port_city;

/* ---------------------------------------------------------------- two small services */

static const char *const prod_dbis[] = {"items", NULL};
static const char *const cons_dbis[] = {"seen", NULL};

static int put_fn(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)req;
    uint64_t id;
    int rc = sais_next_id(sais_svc_store(svc), txn, "item", &id);
    if (rc)
        return rc;
    char key[32];
    snprintf(key, sizeof key, "%08llu", (unsigned long long)id);
    if ((rc = sais_put(txn, sais_svc_dbi(svc, "items"), key, strlen(key), "x", 1)))
        return rc;
    Sais__Evidence ev = SAIS__EVIDENCE__INIT;
    ev.record_id = key;
    ev.source = "x";
    if ((rc = sais_svc_emit(svc, txn, "item.put", "330326", &ev.base)))
        return rc;
    return sais_reply_bytes(reply, 201, "text/plain", key, strlen(key));
}
static const sais_method_t prod_methods[] = {{"put", SAIS_M_WRITE, put_fn}, {NULL, 0, NULL}};
static const sais_service_def_t prod_def = {.name = "ingest", .dbis = prod_dbis, .methods = prod_methods};

static int cons_event(sais_svc_t *svc, MDB_txn *txn, const char *producer, const Sais__Envelope *ev)
{
    (void)producer;
    Sais__Evidence *e = sais__evidence__unpack(NULL, ev->payload.len, ev->payload.data);
    if (!e)
        return 0;
    int rc = sais_put(txn, sais_svc_dbi(svc, "seen"), e->record_id, strlen(e->record_id), "1", 1);
    sais__evidence__free_unpacked(e, NULL);
    return rc;
}

static int count_seen(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply)
{
    (void)req;
    MDB_stat st;
    int rc = mdb_stat(txn, sais_svc_dbi(svc, "seen"), &st);
    if (rc)
        return rc;
    char body[32];
    int n = snprintf(body, sizeof body, "%zu", st.ms_entries);
    return sais_reply_bytes(reply, 200, "text/plain", body, (size_t)n);
}
static const sais_method_t cons_methods[] = {{"count", SAIS_M_READ, count_seen}, {NULL, 0, NULL}};
static const char *const cons_consumes[] = {"ingest", NULL};
static const sais_service_def_t cons_def = {.name = "verify", .dbis = cons_dbis, .methods = cons_methods,
                                            .consumes = cons_consumes, .on_event = cons_event};

/* Like the city aggregator: reads ingest as another deployment's producer "east/ingest", so
 * its server key comes from remote/east/ingest.cert. */
static int east_sources(const sais_config_t *cfg, sais_source_t *out, size_t max, char *err, size_t errlen)
{
    (void)cfg;
    if (max < 1) {
        snprintf(err, errlen, "no room");
        return -1;
    }
    snprintf(out[0].name, sizeof out[0].name, "east/ingest");
    snprintf(out[0].endpoint, sizeof out[0].endpoint, "tcp://127.0.0.1:%d", port_ingest);
    return 1;
}
static const sais_service_def_t city_def = {.name = "city", .dbis = cons_dbis, .methods = cons_methods,
                                            .on_event = cons_event, .sources = east_sources};

/* ---------------------------------------------------------------- helpers */

static void set(sais_config_t *cfg, const char *key, const char *value)
{
    char err[256];
    assert_int_equal(sais_config_set(cfg, key, value, err, sizeof err), 0);
}

static sais_config_t *make_cfg(bool curve, const char *cert_dir)
{
    sais_config_t *cfg = sais_config_new();
    char v[400];
    assert_non_null(cfg);
    snprintf(v, sizeof v, "%s/data", tmpdir);
    set(cfg, "data.dir", v);
    snprintf(v, sizeof v, "tcp://127.0.0.1:%d", port_ingest);
    set(cfg, "ingest.endpoint", v);
    snprintf(v, sizeof v, "tcp://127.0.0.1:%d", port_verify);
    set(cfg, "verify.endpoint", v);
    snprintf(v, sizeof v, "tcp://127.0.0.1:%d", port_city);
    set(cfg, "city.endpoint", v);
    set(cfg, "bus.fetch_wait_ms", "200");
    set(cfg, "bus.curve", curve ? "on" : "off");
    set(cfg, "bus.cert_dir", cert_dir ? cert_dir : "");
    return cfg;
}

static void copy_file(const char *from, const char *to)
{
    char buf[4096];
    FILE *in = fopen(from, "rb");
    assert_non_null(in);
    FILE *out = fopen(to, "wb");
    assert_non_null(out);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void generate(const char *dir, const char *name)
{
    char err[512];
    int rc = sais_curve_generate(dir, name, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "generate %s/%s: %s\n", dir, name, err);
    assert_int_equal(rc, 0);
}

/* Status of `method` on `svc`, or the SAIS_CALL_* code; body into out. */
static int call(sais_client_t *cl, const char *svc, const char *method, int timeout_ms, char *out, size_t outlen)
{
    Sais__Reply *rep = NULL;
    int rc = sais_client_callv(cl, svc, method, NULL, 0, timeout_ms, &rep, NULL);
    if (rc != SAIS_CALL_OK)
        return rc;
    int status = rep->status;
    if (out)
        snprintf(out, outlen, "%.*s", (int)rep->body.len, (const char *)rep->body.data);
    sais__reply__free_unpacked(rep, NULL);
    return status;
}

/* Events of ingest's log a client can fetch: -1 if it is not answered. */
static int fetch_events(sais_client_t *cl, int timeout_ms)
{
    Sais__FetchRequest fq = SAIS__FETCH_REQUEST__INIT;
    uint8_t buf[64];
    fq.after = 0;
    fq.max = 1000;
    size_t n = sais__fetch_request__pack(&fq, buf);
    Sais__Reply *rep = NULL;
    if (sais_client_callv(cl, "ingest", "bus.fetch", buf, n, timeout_ms, &rep, NULL) != SAIS_CALL_OK)
        return -1;
    int got = -1;
    Sais__FetchReply *fr = rep->status == 200 ? sais__fetch_reply__unpack(NULL, rep->body.len, rep->body.data) : NULL;
    if (fr) {
        got = (int)fr->n_events;
        sais__fetch_reply__free_unpacked(fr, NULL);
    }
    sais__reply__free_unpacked(rep, NULL);
    return got;
}

static long wait_count(sais_client_t *cl, const char *svc, long want)
{
    char out[64] = "";
    for (int i = 0; i < 250; i++) {
        if (call(cl, svc, "count", 1000, out, sizeof out) == 200 && atol(out) >= want)
            break;
        usleep(20000);
    }
    return atol(out);
}

/* ---------------------------------------------------------------- tests */

/* Runs first, while no service (and so no zauth actor) is up in this process. */
static void test_server_without_zap_handler_fails_closed(void **state)
{
    (void)state;
    char err[512];
    sais_config_t *cfg = make_cfg(true, certs);
    sais_curve_t *srv = NULL, *cli = NULL;
    assert_int_equal(sais_curve_new(cfg, "ingest", &srv, err, sizeof err), 0);
    assert_int_equal(sais_curve_new(cfg, "verify", &cli, err, sizeof err), 0);

    for (int enforce = 1; enforce >= 0; enforce--) {
        zsock_t *router = zsock_new(ZMQ_ROUTER);
        assert_non_null(router);
        zsock_set_linger(router, 0);
        assert_int_equal(sais_curve_server_options(srv, router, err, sizeof err), 0);
        int v = -1;
        size_t vlen = sizeof v;
        assert_int_equal(zmq_getsockopt(zsock_resolve(router), ZMQ_ZAP_ENFORCE_DOMAIN, &v, &vlen), 0);
        assert_int_equal(v, 1);
        if (!enforce) {
            /* the same server without the option: what Debian's libzmq does by default */
            int zero = 0;
            assert_int_equal(zmq_setsockopt(zsock_resolve(router), ZMQ_ZAP_ENFORCE_DOMAIN, &zero, sizeof zero), 0);
        }
        int port = zsock_bind(router, "tcp://127.0.0.1:*");
        assert_true(port > 0);
        /* a client with an allow-listed certificate and the right server key */
        zsock_t *d = zsock_new(ZMQ_DEALER);
        assert_non_null(d);
        zsock_set_linger(d, 0);
        assert_int_equal(sais_curve_client(cli, d, "ingest", err, sizeof err), 0);
        assert_int_equal(zsock_connect(d, "tcp://127.0.0.1:%d", port), 0);
        assert_int_equal(zstr_send(d, "hello"), 0);
        zpoller_t *p = zpoller_new(router, NULL);
        assert_non_null(p);
        void *which = zpoller_wait(p, enforce ? 1000 : 5000);
        if (enforce) {
            /* no ZAP handler answers: with ZAP_ENFORCE_DOMAIN nobody gets in */
            assert_null(which);
        } else {
            /* without it, any client that knows the server key gets in: why the option is set */
            assert_ptr_equal(which, router);
        }
        zpoller_destroy(&p);
        zsock_destroy(&d);
        zsock_destroy(&router);
    }
    sais_curve_destroy(&srv);
    sais_curve_destroy(&cli);
    assert_null(srv);
    sais_curve_destroy(&srv);
    sais_config_destroy(&cfg);
}

static void test_certificates_and_settings(void **state)
{
    (void)state;
    char err[512], path[700], other[700];
    sais_curve_t *c = NULL;

    /* off: nothing loaded, nothing needed */
    sais_config_t *off = make_cfg(false, NULL);
    assert_int_equal(sais_curve_new(off, "ingest", &c, err, sizeof err), 0);
    assert_null(c);
    assert_int_equal(sais_curve_server(NULL, NULL, err, sizeof err), 0);
    sais_client_t *plain = sais_client_new(off);
    assert_non_null(plain);
    sais_client_destroy(&plain);
    sais_config_destroy(&off);

    /* on without a directory, an unknown name, a bad name */
    sais_config_t *nodir = make_cfg(true, NULL);
    assert_int_equal(sais_curve_new(nodir, "ingest", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "bus.cert_dir"));
    sais_config_destroy(&nodir);
    sais_config_t *cfg = make_cfg(true, certs);
    assert_int_equal(sais_curve_new(cfg, "rules", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "sais certs"));
    assert_int_equal(sais_curve_new(cfg, "../ingest", &c, err, sizeof err), -1);
    assert_null(c);

    /* generate: 0600 secret, the public file carries the same public key, no overwrite */
    generate(certs, "tmpkey");
    snprintf(path, sizeof path, "%s/tmpkey.secret", certs);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    zcert_t *sec = zcert_load(path);
    snprintf(other, sizeof other, "%s/public/tmpkey.cert", certs);
    zcert_t *pub = zcert_load(other);
    assert_non_null(sec);
    assert_non_null(pub);
    assert_memory_equal(zcert_public_key(sec), zcert_public_key(pub), 32);
    zcert_destroy(&sec);
    zcert_destroy(&pub);
    assert_int_equal(sais_curve_generate(certs, "tmpkey", err, sizeof err), -1);
    assert_non_null(strstr(err, "already has"));
    assert_int_equal(sais_curve_generate(certs, "Tmp/..", err, sizeof err), -1);

    /* a secret others can read is refused; so is a public certificate in its place */
    assert_int_equal(sais_curve_new(cfg, "tmpkey", &c, err, sizeof err), 0);
    sais_curve_destroy(&c);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(sais_curve_new(cfg, "tmpkey", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "0600"));
    unlink(path);
    copy_file(other, path);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(sais_curve_new(cfg, "tmpkey", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "no secret key"));
    unlink(path);
    unlink(other);

    /* where server keys are looked up: public/ for this deployment, remote/ for others */
    assert_int_equal(sais_curve_server_cert_path(cfg, "ingest", path, sizeof path), 0);
    snprintf(other, sizeof other, "%s/public/ingest.cert", certs);
    assert_string_equal(path, other);
    assert_int_equal(sais_curve_server_cert_path(cfg, "east/ingest", path, sizeof path), 0);
    snprintf(other, sizeof other, "%s/remote/east/ingest.cert", certs);
    assert_string_equal(path, other);
    assert_int_equal(sais_curve_server_cert_path(cfg, "../ingest", path, sizeof path), -1);
    assert_int_equal(sais_curve_server_cert_path(cfg, "a/b/c", path, sizeof path), -1);
    assert_int_equal(sais_curve_server_cert_path(cfg, "/ingest", path, sizeof path), -1);

    /* the identity of clients outside a service */
    char name[64];
    set(cfg, "bus.cert_name", "admin");
    assert_int_equal(sais_curve_process_name(cfg, name, sizeof name), 0);
    assert_string_equal(name, "admin");
    set(cfg, "bus.cert_name", "");
    /* no service has started in this process yet: a client outside one has no identity */
    assert_int_equal(sais_curve_process_name(cfg, name, sizeof name), -1);
    assert_null(sais_client_new(cfg));

    /* a service whose secret is missing does not start (nothing bound unsafely) */
    sais_config_t *bad = make_cfg(true, intruder);
    assert_null(sais_service_start(&prod_def, bad));
    sais_config_destroy(&bad);
    sais_config_destroy(&cfg);
}

static void test_services_over_curve(void **state)
{
    (void)state;
    char out[256], path[700];
    sais_config_t *cfg = make_cfg(true, certs);
    zactor_t *prod = sais_service_start(&prod_def, cfg);
    zactor_t *cons = sais_service_start(&cons_def, cfg);
    zactor_t *city = sais_service_start(&city_def, cfg);
    assert_non_null(prod);
    assert_non_null(cons);
    assert_non_null(city);

    /* an allow-listed client is served; the consumer and the "east/ingest" source read the
     * log over CURVE */
    sais_client_t *admin = sais_client_new_as(cfg, "admin");
    assert_non_null(admin);
    for (int i = 0; i < 20; i++)
        assert_int_equal(call(admin, "ingest", "put", 5000, out, sizeof out), 201);
    assert_int_equal(wait_count(admin, "verify", 20), 20);
    assert_int_equal(wait_count(admin, "city", 20), 20);
    assert_int_equal(fetch_events(admin, 5000), 20);
    assert_int_equal(call(admin, "city", "bus.status", 5000, out, sizeof out), 200);
    assert_non_null(strstr(out, "\"east/ingest\":20"));

    /* a client made outside a service takes the process's first service as identity */
    sais_client_t *proc = sais_client_new(cfg);
    assert_non_null(proc);
    assert_int_equal(call(proc, "ingest", "health", 5000, NULL, 0), 200);
    sais_client_destroy(&proc);

    /* a certificate removed from public/ is refused from its next connection on */
    sais_client_t *s1 = sais_client_new_as(cfg, "stranger");
    assert_non_null(s1);
    assert_int_equal(call(s1, "ingest", "health", 5000, NULL, 0), 200);
    snprintf(path, sizeof path, "%s/public/stranger.cert", certs);
    assert_int_equal(unlink(path), 0);
    sais_client_t *s2 = sais_client_new_as(cfg, "stranger");
    assert_non_null(s2);
    assert_int_equal(call(s2, "ingest", "health", 700, NULL, 0), SAIS_CALL_TIMEOUT);
    assert_int_equal(fetch_events(s2, 700), -1);
    sais_client_destroy(&s2);
    sais_client_destroy(&s1);

    /* a client that knows ingest's server key but whose certificate is not allow-listed */
    sais_config_t *icfg = make_cfg(true, intruder);
    sais_client_t *in = sais_client_new_as(icfg, "intruder");
    assert_non_null(in);
    assert_int_equal(call(in, "ingest", "health", 700, NULL, 0), SAIS_CALL_TIMEOUT);
    assert_int_equal(fetch_events(in, 700), -1);
    sais_client_destroy(&in);
    sais_config_destroy(&icfg);

    /* a plain client */
    sais_config_t *pcfg = make_cfg(false, NULL);
    sais_client_t *pl = sais_client_new(pcfg);
    assert_non_null(pl);
    assert_int_equal(call(pl, "ingest", "health", 700, NULL, 0), SAIS_CALL_TIMEOUT);
    assert_int_equal(fetch_events(pl, 700), -1);
    sais_client_destroy(&pl);
    sais_config_destroy(&pcfg);

    /* no server key for a service: the call fails at once rather than connecting blind */
    assert_int_equal(call(admin, "rules", "health", 700, NULL, 0), SAIS_CALL_DOWN);

    /* everything stops (the zauth actor with the last server) and starts again */
    sais_client_destroy(&admin);
    sais_service_stop(&city);
    sais_service_stop(&cons);
    sais_service_stop(&prod);
    prod = sais_service_start(&prod_def, cfg);
    assert_non_null(prod);
    admin = sais_client_new_as(cfg, "admin");
    assert_non_null(admin);
    assert_int_equal(fetch_events(admin, 5000), 20);
    sais_config_t *icfg2 = make_cfg(true, intruder);
    in = sais_client_new_as(icfg2, "intruder");
    assert_non_null(in);
    assert_int_equal(fetch_events(in, 700), -1);
    sais_client_destroy(&in);
    sais_config_destroy(&icfg2);
    sais_client_destroy(&admin);
    sais_service_stop(&prod);
    sais_config_destroy(&cfg);
}

static int setup(void **state)
{
    (void)state;
    char from[700], to[700];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sais-test-curve-%d", (int)getpid());
    snprintf(certs, sizeof certs, "%s/certs", tmpdir);
    snprintf(intruder, sizeof intruder, "%s/intruder", tmpdir);
    if (mkdir(tmpdir, 0700) != 0)
        return -1;
    static const char *const names[] = {"ingest", "verify", "city", "admin", "stranger"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        generate(certs, names[i]);
    /* the city-style source: ingest's public certificate as the server key of "east/ingest" */
    snprintf(to, sizeof to, "%s/remote", certs);
    if (mkdir(to, 0755) != 0)
        return -1;
    snprintf(to, sizeof to, "%s/remote/east", certs);
    if (mkdir(to, 0755) != 0)
        return -1;
    snprintf(from, sizeof from, "%s/public/ingest.cert", certs);
    snprintf(to, sizeof to, "%s/remote/east/ingest.cert", certs);
    copy_file(from, to);
    /* the intruder has its own keypair and knows ingest's server key */
    generate(intruder, "intruder");
    snprintf(to, sizeof to, "%s/public/ingest.cert", intruder);
    copy_file(from, to);
    port_ingest = sais_test_free_port();
    port_verify = sais_test_free_port();
    port_city = sais_test_free_port();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_without_zap_handler_fails_closed),
        cmocka_unit_test(test_certificates_and_settings),
        cmocka_unit_test(test_services_over_curve),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
