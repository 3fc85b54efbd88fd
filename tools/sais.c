/* sais — the command line: every service in one process (up), one service (run), the
 * synthetic city (gen), feeding a file (load), state digests (digest) and the audit check.
 * Thin on purpose: the services are in services/, the runtime in common/. */
#include "gateway.h"
#include "gen.h"
#include "sais_clock.h"
#include "sais_config.h"
#include "sais_curve.h"
#include "sais_json.h"
#include "sais_load.h"
#include "sais_log.h"
#include "sais_services.h"

#include <curl/curl.h>
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop, g_hup;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        g_hup = 1;
    else
        g_stop = 1;
}

static void install_signals(void)
{
    /* czmq would install its own SIGINT/SIGTERM handler; SAIS decides how to stop */
    zsys_handler_set(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int usage(void)
{
    fprintf(stderr,
            "usage:\n"
            "  sais up [--data DIR] [--listen HOST:PORT] [--config FILE] [--demo]\n"
            "  sais run SERVICE [--config FILE] [--data DIR]\n"
            "  sais gen --persons N --seed S --out DIR [--today YYYY-MM-DD]\n"
            "  sais load SOURCE FILE [--batch ID] [--config FILE]\n"
            "  sais digest SERVICE [--config FILE]\n"
            "  sais status [--config FILE]\n"
            "  sais compare --month YYYY-MM [--config FILE]\n"
            "  sais audit verify --data DIR\n"
            "  sais config check --config FILE\n"
            "  sais certs --dir DIR NAME...\n"
            "services: ingest verify rules warn intake match notify city gateway\n");
    return 2;
}

typedef struct {
    const char *data, *listen, *config, *batch;
    bool demo;
    const char *pos[4];
    int npos;
} opts_t;

static int parse_opts(int argc, char **argv, int from, opts_t *o)
{
    memset(o, 0, sizeof *o);
    for (int i = from; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--data") ? &o->data : !strcmp(a, "--listen") ? &o->listen
                          : !strcmp(a, "--config") ? &o->config : !strcmp(a, "--batch") ? &o->batch : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sais: %s needs a value\n", a);
                return -1;
            }
            *slot = argv[++i];
        } else if (!strcmp(a, "--demo")) {
            o->demo = true;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "sais: unknown option %s\n", a);
            return -1;
        } else if (o->npos < 4) {
            o->pos[o->npos++] = a;
        } else {
            fprintf(stderr, "sais: too many arguments\n");
            return -1;
        }
    }
    return 0;
}

/* A relative directory setting that does not exist from here is looked up beside the
 * source tree the binary was built in (build/sais -> ./deploy/policies), so `build/sais up`
 * works from any directory during development. Deployments give absolute paths. */
static void resolve_dir(sais_config_t *cfg, const char *key)
{
    const char *v = sais_config_get(cfg, key);
    char exe[512], path[1024], err[128];
    if (!v || !*v || v[0] == '/' || access(v, F_OK) == 0)
        return;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    snprintf(path, sizeof path, "%s/../%s", exe, v);
    if (access(path, F_OK) == 0)
        sais_config_set(cfg, key, path, err, sizeof err);
}

/* Defaults, then the file, then the environment, then the flags. */
static sais_config_t *make_config(const opts_t *o)
{
    char err[512];
    sais_config_t *cfg = sais_config_new();
    if (!cfg) {
        fprintf(stderr, "sais: out of memory\n");
        return NULL;
    }
    if (o->config && sais_config_load(cfg, o->config, err, sizeof err) != 0) {
        fprintf(stderr, "sais: config: %s\n", err);
        sais_config_destroy(&cfg);
        return NULL;
    }
    if ((o->data && sais_config_set(cfg, "data.dir", o->data, err, sizeof err) != 0)
        || (o->listen && sais_config_set(cfg, "gateway.listen", o->listen, err, sizeof err) != 0)) {
        fprintf(stderr, "sais: %s\n", err);
        sais_config_destroy(&cfg);
        return NULL;
    }
    resolve_dir(cfg, "rules.policies_dir");
    resolve_dir(cfg, "gateway.web_dir");
    sais_log_level_t lvl;
    if (sais_log_level_parse(sais_config_get(cfg, "log.level"), &lvl) == 0)
        sais_log_set_level(lvl);
    const char *now = sais_config_get(cfg, "clock.now");
    if (now && *now && sais_clock_pin(now) != 0) {
        fprintf(stderr, "sais: clock.now \"%s\" is not an RFC 3339 time\n", now);
        sais_config_destroy(&cfg);
        return NULL;
    }
    return cfg;
}

/* Waits for SIGINT/SIGTERM; SIGHUP reloads the policy catalogue. */
static void wait_for_signals(const sais_config_t *cfg)
{
    sais_client_t *cl = NULL;
    while (!g_stop) {
        usleep(100000);
        if (g_hup) {
            g_hup = 0;
            if (!cl)
                cl = sais_client_new(cfg);
            Sais__Reply *rep = NULL;
            if (cl && sais_client_callv(cl, "rules", "policies.reload", NULL, 0, 10000, &rep, NULL) == SAIS_CALL_OK) {
                sais_info("SIGHUP: policy reload answered %d: %.*s", rep->status, (int)rep->body.len,
                          (const char *)rep->body.data);
                sais__reply__free_unpacked(rep, NULL);
            } else {
                sais_warn("SIGHUP: rules did not answer the reload");
            }
        }
    }
    sais_client_destroy(&cl);
}

/* ------------------------------------------------------------------ demo city */

static const char *const demo_sources[] = {"hukou", "hrss", "medical", "disability", "assets", "civil", "justice", NULL};

static int load_demo(const sais_config_t *cfg)
{
    const char *data = sais_config_get(cfg, "data.dir");
    char marker[600], dir[600], path[700], batch[64];
    snprintf(marker, sizeof marker, "%s/demo.loaded", data);
    snprintf(dir, sizeof dir, "%s/demo-feeds", data);
    if (access(marker, F_OK) == 0)
        return 0;
    char today[11];
    sais_date_format(sais_clock_today(), today);
    fprintf(stderr, "sais: generating the demo city (5,000 persons) in %s ...\n", dir);
    char *gargv[] = {"gen", "--persons", "5000", "--seed", "20261123", "--out", dir, "--today", today, NULL};
    if (sais_gen_main(9, gargv) != 0)
        return -1;
    sais_client_t *cl = sais_client_new(cfg);
    if (!cl)
        return -1;
    fprintf(stderr, "sais: loading it through the feed path:\n");
    for (size_t i = 0; demo_sources[i]; i++) {
        snprintf(path, sizeof path, "%s/%s.ndjson", dir, demo_sources[i]);
        snprintf(batch, sizeof batch, "demo-%s-%s", demo_sources[i], today);
        if (access(path, R_OK) != 0)
            continue;
        if (sais_load_file(cl, demo_sources[i], path, batch) != 0) {
            sais_client_destroy(&cl);
            return -1;
        }
    }
    sais_client_destroy(&cl);
    FILE *f = fopen(marker, "w");
    if (!f || fclose(f) != 0)
        fprintf(stderr, "sais: cannot write %s\n", marker);
    return 0;
}

/* The seed story's household from planted.json, for the banner. */
static void seed_story_household(const sais_config_t *cfg, char *out, size_t len)
{
    char path[600], err[128];
    snprintf(path, sizeof path, "%s/demo-feeds/planted.json", sais_config_get(cfg, "data.dir"));
    out[0] = '\0';
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    (void)err;
    if (!root)
        return;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c) {
        const char *name = json_string_value(json_object_get(c, "case"));
        if (name && strstr(name, "seed_story")) {
            snprintf(out, len, "%s", json_string_value(json_object_get(c, "household_id")));
            break;
        }
    }
    json_decref(root);
}

/* ------------------------------------------------------------------ commands */

static int cmd_up(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, 2, &o) != 0 || o.npos)
        return usage();
    sais_config_t *cfg = make_config(&o);
    if (!cfg)
        return 1;
    char err[256], key[64], ep[64];
    for (const sais_service_entry_t *e = sais_services; e->name; e++) {
        snprintf(key, sizeof key, "%s.endpoint", e->name);
        snprintf(ep, sizeof ep, "inproc://sais-%s", e->name);
        if (sais_config_set(cfg, key, ep, err, sizeof err) != 0) {
            fprintf(stderr, "sais: %s\n", err);
            sais_config_destroy(&cfg);
            return 1;
        }
    }
    install_signals();
    zactor_t *actors[16] = {0};
    size_t n = 0;
    int status = 0;
    for (const sais_service_entry_t *e = sais_services; e->name; e++) {
        actors[n] = sais_service_start(e->def, cfg);
        if (!actors[n]) {
            fprintf(stderr, "sais: the %s service did not start (see above)\n", e->name);
            status = 1;
            goto stop;
        }
        n++;
    }
    if (o.demo && load_demo(cfg) != 0) {
        fprintf(stderr, "sais: the demo city could not be loaded\n");
        status = 1;
        goto stop;
    }
    char keypath[600], hh[128];
    gateway_admin_key_path(cfg, keypath, sizeof keypath);
    const char *listen = sais_config_get(cfg, "gateway.listen");
    printf("SAIS is up on http://%s (every service in this process; data in %s/)\n", listen,
           sais_config_get(cfg, "data.dir"));
    printf("The admin API key is in %s\n\nTry:\n", keypath);
    printf("  curl -s http://%s/healthz\n", listen);
    printf("  curl -s -H \"Authorization: Bearer $(cat %s)\" 'http://%s/v1/entitlements?policy=temp_medical'\n",
           keypath, listen);
    seed_story_household(cfg, hh, sizeof hh);
    if (*hh)
        printf("  curl -s -H \"Authorization: Bearer $(cat %s)\" http://%s/v1/households/%s\n", keypath, listen, hh);
    else
        printf("  curl -s -H \"Authorization: Bearer $(cat %s)\" 'http://%s/v1/alerts?status=open'\n", keypath,
               listen);
    printf("Stop with Ctrl-C.\n");
    fflush(stdout);
    wait_for_signals(cfg);
stop:
    while (n > 0)
        sais_service_stop(&actors[--n]);
    sais_config_destroy(&cfg);
    return status;
}

static int cmd_run(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, 2, &o) != 0 || o.npos != 1)
        return usage();
    const sais_service_def_t *def = sais_service_find(o.pos[0]);
    if (!def) {
        fprintf(stderr, "sais: no service named \"%s\"\n", o.pos[0]);
        return usage();
    }
    sais_config_t *cfg = make_config(&o);
    if (!cfg)
        return 1;
    install_signals();
    zactor_t *a = sais_service_start(def, cfg);
    if (!a) {
        sais_config_destroy(&cfg);
        return 1;
    }
    wait_for_signals(cfg);
    sais_service_stop(&a);
    sais_config_destroy(&cfg);
    return 0;
}

static int cmd_load(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, 2, &o) != 0 || o.npos != 2)
        return usage();
    sais_config_t *cfg = make_config(&o);
    if (!cfg)
        return 1;
    char batch[80];
    if (!o.batch) {
        const char *base = strrchr(o.pos[1], '/');
        snprintf(batch, sizeof batch, "%s-%lld", o.pos[0], (long long)sais_clock_now());
        (void)base;
    }
    sais_client_t *cl = sais_client_new(cfg);
    int rc = cl ? sais_load_file(cl, o.pos[0], o.pos[1], o.batch ? o.batch : batch) : -1;
    sais_client_destroy(&cl);
    sais_config_destroy(&cfg);
    return rc == 0 ? 0 : 1;
}

static int cmd_digest(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, 2, &o) != 0 || o.npos != 1)
        return usage();
    sais_config_t *cfg = make_config(&o);
    if (!cfg)
        return 1;
    sais_client_t *cl = sais_client_new(cfg);
    Sais__Reply *rep = NULL;
    int rc = 1;
    if (cl && sais_client_callv(cl, o.pos[0], "digest", NULL, 0, 10000, &rep, NULL) == SAIS_CALL_OK) {
        printf("%.*s\n", (int)rep->body.len, (const char *)rep->body.data);
        rc = rep->status == 200 ? 0 : 1;
        sais__reply__free_unpacked(rep, NULL);
    } else {
        fprintf(stderr, "sais: %s does not answer\n", o.pos[0]);
    }
    sais_client_destroy(&cl);
    sais_config_destroy(&cfg);
    return rc;
}

/* The monthly cross-comparison (warn's compare.run) of a deployed stack: every signal re-run
 * over the whole registry as a safety net. The same as POST /v1/admin/compare?month=. */
static int cmd_compare(int argc, char **argv)
{
    opts_t o;
    const char *month = NULL;
    int j = 0;
    char *rest[16];
    for (int i = 0; i < argc && j < 15; i++) {
        if (i >= 2 && !strcmp(argv[i], "--month") && i + 1 < argc) {
            month = argv[++i];
            continue;
        }
        rest[j++] = argv[i];
    }
    rest[j] = NULL;
    if (parse_opts(j, rest, 2, &o) != 0 || o.npos || !month || strlen(month) != 7
        || sais_month_parse(month, 7) < 0) {
        fprintf(stderr, "sais compare: --month YYYY-MM is required\n");
        return usage();
    }
    sais_config_t *cfg = make_config(&o);
    if (!cfg)
        return 1;
    sais_client_t *cl = sais_client_new(cfg);
    Sais__Reply *rep = NULL;
    int rc = 1;
    if (cl && sais_client_callv(cl, "warn", "compare.run", NULL, 0, 600000, &rep, "month", month, NULL) == SAIS_CALL_OK) {
        printf("%.*s\n", (int)rep->body.len, (const char *)rep->body.data);
        rc = rep->status == 200 ? 0 : 1;
        sais__reply__free_unpacked(rep, NULL);
    } else {
        fprintf(stderr, "sais: warn does not answer\n");
    }
    sais_client_destroy(&cl);
    sais_config_destroy(&cfg);
    return rc;
}

/* Every service's bus.status as one JSON object: heads, cursors, map use. */
static int cmd_status(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, 2, &o) != 0 || o.npos)
        return usage();
    sais_config_t *cfg = make_config(&o);
    if (!cfg)
        return 1;
    sais_client_t *cl = sais_client_new(cfg);
    int rc = cl ? 0 : 1;
    printf("{");
    bool first = true;
    for (const sais_service_entry_t *e = sais_services; cl && e->name; e++) {
        Sais__Reply *rep = NULL;
        printf("%s\"%s\": ", first ? "" : ", ", e->name);
        first = false;
        if (sais_client_callv(cl, e->name, "bus.status", NULL, 0, 3000, &rep, NULL) == SAIS_CALL_OK
            && rep->status == 200) {
            printf("%.*s", (int)rep->body.len, (const char *)rep->body.data);
        } else {
            printf("null");
            rc = 1;
        }
        if (rep)
            sais__reply__free_unpacked(rep, NULL);
    }
    printf("}\n");
    sais_client_destroy(&cl);
    sais_config_destroy(&cfg);
    return rc;
}

static int cmd_audit(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, 2, &o) != 0 || o.npos != 1 || strcmp(o.pos[0], "verify") != 0 || !o.data)
        return usage();
    char report[1024];
    int rc = gateway_audit_verify(o.data, report, sizeof report);
    printf("%s\n", report);
    return rc == 0 ? 0 : rc == 1 ? 3 : 1;
}

/* Reads a config as a service would (file, then environment) and says whether it is good,
 * before it is rolled out: an unknown key or a value out of range names the line. The
 * directories it names are only reported, since the file is often checked on another host. */
static int cmd_config(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, 2, &o) != 0 || o.npos != 1 || strcmp(o.pos[0], "check") != 0 || !o.config)
        return usage();
    sais_config_t *cfg = make_config(&o);
    if (!cfg)
        return 1;
    char err[512];
    if (gateway_config_check(cfg, err, sizeof err) != 0) {
        fprintf(stderr, "sais: config: %s: %s\n", o.config, err);
        sais_config_destroy(&cfg);
        return 1;
    }
    static const char *const dirs[] = {"data.dir", "rules.policies_dir", "gateway.web_dir", "bus.cert_dir",
                                       "gateway.tls_cert", "gateway.tls_key"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        const char *v = sais_config_get(cfg, dirs[i]);
        if (v && *v && access(v, F_OK) != 0)
            printf("%s: %s = %s does not exist on this host\n", o.config, dirs[i], v);
    }
    printf("%s: ok\n", o.config);
    sais_config_destroy(&cfg);
    return 0;
}

/* CURVE keypairs for the bus: DIR/NAME.secret (0600, stays on the host that runs NAME) and
 * DIR/public/NAME.cert (handed out: to the allow-lists of the hosts NAME connects to and as the
 * server key of NAME). See README "Deploying a county and a city". */
static int cmd_certs(int argc, char **argv)
{
    const char *dir = NULL;
    int first = 0, n = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--dir")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sais certs: --dir needs a value\n");
                return usage();
            }
            dir = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "sais certs: unknown option %s\n", argv[i]);
            return usage();
        } else {
            if (!first)
                first = i;
            n++;
        }
    }
    if (!dir || n == 0) {
        fprintf(stderr, "sais certs: --dir DIR and at least one NAME are required\n");
        return usage();
    }
    for (int i = first; i < argc; i++) {
        char err[1024];
        if (!strcmp(argv[i], "--dir")) {
            i++;
            continue;
        }
        if (sais_curve_generate(dir, argv[i], err, sizeof err) != 0) {
            fprintf(stderr, "sais certs: %s\n", err);
            return 1;
        }
        printf("%s/%s.secret %s/public/%s.cert\n", dir, argv[i], dir, argv[i]);
    }
    return 0;
}

static int dispatch(int argc, char **argv)
{
    const char *cmd = argv[1];
    if (!strcmp(cmd, "up"))
        return cmd_up(argc, argv);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv);
    if (!strcmp(cmd, "gen"))
        return sais_gen_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "load"))
        return cmd_load(argc, argv);
    if (!strcmp(cmd, "digest"))
        return cmd_digest(argc, argv);
    if (!strcmp(cmd, "status"))
        return cmd_status(argc, argv);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc, argv);
    if (!strcmp(cmd, "audit"))
        return cmd_audit(argc, argv);
    if (!strcmp(cmd, "certs"))
        return cmd_certs(argc, argv);
    if (!strcmp(cmd, "config"))
        return cmd_config(argc, argv);
    return usage();
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    /* process-wide, before any thread: libcurl (notify's deliveries) is initialised and torn
     * down here, by the process that owns it */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "sais: libcurl failed to initialise\n");
        return 1;
    }
    int rc = dispatch(argc, argv);
    curl_global_cleanup();
    return rc;
}
