/* sais_config — the table of every setting SAIS knows, with defaults and help.
 *
 * Layering: defaults, then a file, then the environment (SAIS_ + key upper-cased with '.'
 * turned into '_'). A load builds the new values aside and swaps them in only when the whole
 * file was good, so a bad file leaves the running configuration as it was.
 */
#include "sais_config.h"
#include "sais_log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { T_STR, T_INT, T_BOOL } s_type_t;

typedef struct {
    const char *key;
    const char *def;
    s_type_t type;
    const char *help;
    int64_t lo, hi;   /* T_INT: the values accepted (a map of 0 MiB, a fetch of -5 events,
                       * a timeout of weeks are refused when the config is read) */
} s_entry_t;

static const s_entry_t s_table[] = {
    { "log.level", "info", T_STR, "minimum log level: debug, info, warn or error", 0, 0 },
    { "data.dir", "data", T_STR, "directory holding each service's LMDB environment and secrets", 0, 0 },
    { "store.map_mb", "256", T_INT, "initial LMDB map size per service, MiB (grown on MAP_FULL)", 1, 16777216 },
    { "clock.now", "", T_STR, "pin the clock to this RFC 3339 instant; empty = real time", 0, 0 },

    { "gateway.listen", "127.0.0.1:8080", T_STR, "HTTP listen address host:port", 0, 0 },
    { "gateway.threads", "2", T_INT, "HTTP threads polling connections; 0 = a thread per connection", 0, 256 },
    { "gateway.workers", "64", T_INT, "with gateway.threads > 0: threads for the steps that wait on a service (the most such requests in progress at once)", 1, 1024 },
    { "gateway.max_body_mb", "2048", T_INT, "largest request body accepted (feed uploads), MiB", 1, 1048576 },
    { "gateway.max_json_kb", "1024", T_INT, "largest JSON request body accepted, KiB", 1, 1048576 },
    { "gateway.conn_timeout_s", "30", T_INT, "idle HTTP connection timeout, seconds", 1, 86400 },
    { "gateway.max_conns", "1024", T_INT, "most concurrent HTTP connections", 1, 1000000 },
    { "gateway.max_conns_per_ip", "64", T_INT, "most concurrent HTTP connections from one address", 1, 1000000 },
    { "gateway.request_timeout_ms", "10000", T_INT, "deadline for a service to answer a request (504 after)", 1, 86400000 },
    { "gateway.long_request_timeout_ms", "600000", T_INT, "the same for whole-city computations (simulate, the monthly comparison): a 6M-person city takes longer than a request", 1, 86400000 },
    { "gateway.web_dir", "web", T_STR, "directory of the console's static files", 0, 0 },
    { "gateway.conn_memory_kb", "64", T_INT, "memory for one connection's headers and read buffer, KiB (bigger headers get 431)", 16, 1048576 },
    { "gateway.tls_cert", "", T_STR, "PEM certificate (chain) the gateway serves HTTPS with; with gateway.tls_key set too the gateway speaks only HTTPS (TLS 1.2 and 1.3). Empty = plain HTTP (behind a TLS proxy, or on loopback)", 0, 0 },
    { "gateway.tls_key", "", T_STR, "PEM private key of gateway.tls_cert; readable by its owner only (mode 600), else the gateway does not start", 0, 0 },
    { "gateway.rate.admin", "0", T_INT, "requests a minute one admin key may make (429 with Retry-After beyond it); 0 = unlimited", 0, 100000000 },
    { "gateway.rate.caseworker", "1200", T_INT, "requests a minute one caseworker key may make; 0 = unlimited", 0, 100000000 },
    { "gateway.rate.reviewer", "1200", T_INT, "requests a minute one reviewer key may make; 0 = unlimited", 0, 100000000 },
    { "gateway.rate.partner", "600", T_INT, "requests a minute one partner key may make (a batch of any size is one request); 0 = unlimited", 0, 100000000 },
    { "gateway.rate.charity", "600", T_INT, "requests a minute one charity key may make; 0 = unlimited", 0, 100000000 },
    { "gateway.rate.city", "6000", T_INT, "requests a minute one city key may make; 0 = unlimited", 0, 100000000 },
    { "gateway.rate.auditor", "600", T_INT, "requests a minute one auditor key may make; 0 = unlimited", 0, 100000000 },
    { "gateway.trusted_proxies", "", T_STR, "addresses (comma-separated) of reverse proxies in front of the gateway: for a request from one of them, the client address (gateway.auth_failures_per_min, the audit of a refusal) is the last X-Forwarded-For entry not itself a trusted proxy. Empty = X-Forwarded-For is ignored", 0, 0 },
    { "gateway.rate_burst_s", "10", T_INT, "a key may spend this many seconds' worth of its rate at once", 1, 3600 },
    { "gateway.probes_per_min", "1200", T_INT, "requests to /healthz and /metrics a minute from one client address, with a burst of 10 seconds' worth; each asks every service, and no key is needed, so beyond it 429; 0 = unlimited", 0, 100000000 },
    { "gateway.auth_failures_per_min", "60", T_INT, "failed authentications (401) a minute from one client address, each audited; beyond it 429 without consulting keys or writing the audit (the first such refusal is audited); 0 = unlimited", 0, 100000000 },

    { "gateway.endpoint", "tcp://127.0.0.1:7101", T_STR, "bus endpoint of the gateway service", 0, 0 },
    { "ingest.endpoint", "tcp://127.0.0.1:7102", T_STR, "bus endpoint of the ingest service", 0, 0 },
    { "verify.endpoint", "tcp://127.0.0.1:7103", T_STR, "bus endpoint of the verify service", 0, 0 },
    { "rules.endpoint", "tcp://127.0.0.1:7104", T_STR, "bus endpoint of the rules service", 0, 0 },
    { "intake.endpoint", "tcp://127.0.0.1:7105", T_STR, "bus endpoint of the intake service", 0, 0 },
    { "warn.endpoint", "tcp://127.0.0.1:7106", T_STR, "bus endpoint of the warn service", 0, 0 },
    { "match.endpoint", "tcp://127.0.0.1:7107", T_STR, "bus endpoint of the match service", 0, 0 },
    { "notify.endpoint", "tcp://127.0.0.1:7108", T_STR, "bus endpoint of the notify service", 0, 0 },
    { "city.endpoint", "tcp://127.0.0.1:7109", T_STR, "bus endpoint of the city aggregator", 0, 0 },

    { "bus.local_reads", "on", T_BOOL, "answer the reads a service marks safe on any thread (READ_ANY) on the caller's thread when that service runs in the same process, instead of through its socket", 0, 0 },
    { "bus.hwm", "10000", T_INT, "ZeroMQ send/receive high-water mark, messages", 1, 10000000 },
    { "bus.max_msg_mb", "64", T_INT, "largest bus message accepted (ZMQ_MAXMSGSIZE), MiB", 1, 2047 },
    { "bus.heartbeat_ms", "1000", T_INT, "ZeroMQ heartbeat interval, ms", 0, 3600000 },
    { "bus.fetch_wait_ms", "1000", T_INT, "long-poll wait of a consumer's fetch, ms", 1, 600000 },
    { "bus.fetch_max", "16384", T_INT, "most events returned by one fetch (a consumer applies a fetch in one transaction: bigger ones share their page writes and sync; a busy producer answers one fetch per consumer between its own transactions)", 1, 1000000 },
    { "bus.fetch_linger_ms", "10", T_INT, "a consumer that has caught up with a producer waits this long before fetching again, so that a steady stream of events is applied in fewer, larger transactions (each one a sync) instead of one per producer commit; after a quiet spell the parked fetch still answers the first event at once. 0 = fetch again at once", 0, 60000 },
    { "bus.fetch_prompt", "ingest,verify", T_STR, "producers (comma-separated service names) whose consumers never linger: a partner's record -> verify's picture -> warn's alert stays as quick as the bus allows", 0, 0 },
    { "bus.fetch_kb", "8192", T_INT, "most bytes of events returned by one fetch (at least one event), KiB: a consumer applies a fetch in one transaction, and LMDB's cost per dirty page grows with the transaction", 1, 1048576 },
    { "bus.reconnect_ms", "100", T_INT, "first reconnect delay, ms", 1, 3600000 },
    { "bus.reconnect_max_ms", "5000", T_INT, "longest reconnect delay (backoff cap), ms", 0, 3600000 },
    { "bus.curve", "off", T_BOOL, "CURVE-encrypt the bus and admit only allow-listed certificates (between hosts); see README 'Deploying a county and a city'", 0, 0 },
    { "bus.cert_dir", "", T_STR, "with bus.curve on: <service>.secret (mode 0600), public/*.cert (the allow-list and local server keys), remote/<county>/<service>.cert (server keys of the counties a city reads)", 0, 0 },
    { "bus.zap_domain", "sais", T_STR, "ZAP domain of the CURVE servers", 0, 0 },
    { "bus.cert_name", "", T_STR, "with bus.curve on: the certificate of requests made outside a service (sais status, digest, load); empty = the first service this process runs", 0, 0 },

    { "ingest.commit_lines", "1000", T_INT, "feed records accepted per LMDB write transaction", 1, 1000000 },
    { "ingest.max_errors", "1000", T_INT, "rejected records listed in a batch report", 0, 1000000 },

    { "verify.refresh_orphan_s", "600", T_INT, "households owed a refresh by a batch that never finished (its session lost, the partner never posting it again) are refreshed after this many seconds with nothing new from ingest", 1, 86400 },
    { "verify.refresh_slice", "2048", T_INT, "households a finished batch owes that are refreshed in its own transaction; more are swept in transactions of this many while the batch's feed.done waits", 1, 1000000 },

    { "rules.policies_dir", "deploy/policies", T_STR, "directory of the policy catalogue", 0, 0 },
    { "rules.step_limit", "100000", T_INT, "instruction budget of one policy evaluation", 1, 1000000000 },
    { "rules.outreach", "on", T_STR, "on, or hold while a city's data is first loaded: households' changes are stored and decided once when it is set back to on and rules restarts, so that no case, grant or SMS follows from a half-loaded registry; verify then also recomputes each household the feeds touched once, on release, instead of once per feed batch", 0, 0 },
    { "rules.hold_slice", "1000", T_INT, "households decided per transaction when held outreach is released", 1, 100000 },
    { "rules.simulate_threads", "2", T_INT, "threads a city-wide simulation runs on (each with its own Lua state)", 1, 8 },

    { "notify.sms_endpoint", "", T_STR, "SMS gateway URL; empty = record messages in the outbox only", 0, 0 },
    { "notify.max_attempts", "8", T_INT, "delivery attempts before a notification is given up", 1, 1000 },
    { "notify.backoff_ms", "500", T_INT, "first retry delay of a delivery, ms", 1, 86400000 },
    { "notify.backoff_max_ms", "60000", T_INT, "longest retry delay of a delivery, ms", 1, 86400000 },
    { "notify.http_timeout_ms", "5000", T_INT, "timeout of one SMS or webhook HTTP call, ms", 10, 600000 },
    { "notify.sms_signature", "温州市民政局", T_STR, "the sender signature in 【】 at the start of every SMS", 0, 0 },

    { "warn.visit_code_ttl_s", "2592000", T_INT, "lifetime of a home-visit QR code, seconds", 1, 316224000 },
    { "warn.visit_code_key", "", T_STR, "key signing visit codes; empty = derived from the data dir secret", 0, 0 },
    { "warn.catastrophic_oop", "20000.00", T_STR, "catastrophic_medical: household 12-month out-of-pocket at least this, yuan", 0, 0 },
    { "warn.catastrophic_share_pct", "50", T_INT, "catastrophic_medical: and at least this % of household 12-month income", 0, 1000 },
    { "warn.income_drop_pct", "50", T_INT, "income_drop: latest month below this % of the previous 6-month average", 1, 100 },
    { "warn.recheck_months", "12", T_INT, "recheck_due: months between dibao verifications", 1, 120 },
    { "warn.recheck_months_able", "6", T_INT, "recheck_due: the same when a member can work", 1, 120 },
    { "warn.dibao_line", "1200.00", T_STR, "assets_over_limit: the dibao line the asset limits derive from, yuan", 0, 0 },
    { "warn.dibao_deposit_months", "24", T_INT, "assets_over_limit: deposits+securities per capita above this many months of the line", 0, 1200 },
    { "warn.dibao_vehicle_max", "50000.00", T_STR, "assets_over_limit: a vehicle worth more than this, yuan", 0, 0 },
    { "warn.dibao_real_estate_max", "1", T_INT, "assets_over_limit: more real-estate titles than this", 0, 100 },
    { "warn.visit_risk_min", "2", T_INT, "visit_risk: an aspect scored at least this raises the alert", 1, 3 },
    { "warn.visit_risk_high", "3", T_INT, "visit_risk: an aspect scored this makes it high severity", 1, 3 },

    { "city.deployment", "county", T_STR, "what this stack is: county or city", 0, 0 },
    { "city.counties", "", T_STR, "city only: comma-separated county=tcp://host:port (its bus base, producers at fixed port offsets) or county.producer=endpoint; see deploy/city.conf", 0, 0 },
    { "city.name", "", T_STR, "county only: this deployment's name, as city.locate reports it; empty = city.deployment", 0, 0 },
};

#define N_KEYS (sizeof s_table / sizeof s_table[0])

struct sais_config_t {
    char *values[N_KEYS];
};

static int
s_index(const char *key)
{
    if (key == NULL)
        return -1;
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(key, s_table[i].key) == 0)
            return (int)i;
    return -1;
}

static void
s_env_name(const char *key, char *out, size_t outlen)
{
    size_t o = 0;
    const char *prefix = "SAIS_";
    for (; *prefix && o + 1 < outlen; prefix++)
        out[o++] = *prefix;
    for (; *key && o + 1 < outlen; key++)
        out[o++] = *key == '.' ? '_' : (char)toupper((unsigned char)*key);
    out[o] = '\0';
}

static bool
s_is_int(const char *v)
{
    if (v == NULL || *v == '\0')
        return false;
    errno = 0;
    char *end;
    (void)strtoll(v, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool
s_is_bool(const char *v)
{
    static const char *const words[] = { "true", "false", "yes", "no", "1", "0", "on", "off" };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(v, words[i]) == 0)
            return true;
    return false;
}

/* NULL if `value` suits the key's type and range, else the reason (in `buf`). */
static const char *
s_type_error(size_t idx, const char *value, char *buf, size_t buflen)
{
    const s_entry_t *e = &s_table[idx];
    if (e->type == T_INT) {
        if (!s_is_int(value))
            snprintf(buf, buflen, "'%.64s' is not an integer", value);
        else if (strtoll(value, NULL, 10) < e->lo || strtoll(value, NULL, 10) > e->hi)
            snprintf(buf, buflen, "'%.64s' is out of range: it takes %lld to %lld", value, (long long)e->lo,
                     (long long)e->hi);
        else
            return NULL;
        return buf;
    }
    if (e->type == T_BOOL && !s_is_bool(value)) {
        snprintf(buf, buflen, "'%.64s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
        return buf;
    }
    return NULL;
}

static int
s_replace(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

/* Applies the environment to `values`. On a malformed value, reports it and returns -1 only
 * if err is given; otherwise the raw value is kept (sais_config_int then reads it as 0). */
static int
s_apply_env(char **values, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        char name[96];
        s_env_name(s_table[i].key, name, sizeof name);
        const char *v = getenv(name);
        if (v == NULL)
            continue;
        char whybuf[160];
        const char *why = s_type_error(i, v, whybuf, sizeof whybuf);
        if (why && err) {
            snprintf(err, errlen, "environment %s: %s", name, why);
            return -1;
        }
        if (s_replace(&values[i], v) != 0) {
            if (err)
                snprintf(err, errlen, "environment %s: out of memory", name);
            return -1;
        }
    }
    return 0;
}

static void
s_free_values(char **values)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        free(values[i]);
        values[i] = NULL;
    }
}

sais_config_t *
sais_config_new(void)
{
    sais_config_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    for (size_t i = 0; i < N_KEYS; i++) {
        self->values[i] = strdup(s_table[i].def);
        if (self->values[i] == NULL)
            goto fail;
    }
    if (s_apply_env(self->values, NULL, 0) != 0)
        goto fail;
    return self;
fail:
    s_free_values(self->values);
    free(self);
    return NULL;
}

void
sais_config_destroy(sais_config_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    s_free_values((*self_p)->values);
    free(*self_p);
    *self_p = NULL;
}

static char *
s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Value syntax: the rest of the line, trimmed; a '#' preceded by white space starts a
 * comment; "double quotes" keep everything inside verbatim (use "" for an empty value). */
static const char *
s_parse_value(char *v)
{
    v = s_trim(v);
    if (*v == '"') {
        char *close = strchr(v + 1, '"');
        if (close == NULL)
            return NULL;
        char *rest = s_trim(close + 1);
        if (*rest != '\0' && *rest != '#')
            return NULL;
        *close = '\0';
        return v + 1;
    }
    for (char *p = v; *p; p++) {
        if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    }
    return s_trim(v);
}

static bool
s_valid_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '.'))
            return false;
    return true;
}

int
sais_config_load(sais_config_t *self, const char *path, char *err, size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (self == NULL || path == NULL) {
        snprintf(err, errlen, "no configuration file given");
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }

    char *next[N_KEYS] = { NULL };
    char *line = NULL;
    size_t cap = 0;
    char section[128] = "";
    int rc = -1;
    long lineno = 0;

    for (size_t i = 0; i < N_KEYS; i++)
        if ((next[i] = strdup(self->values[i])) == NULL) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto done;
        }

    ssize_t got;
    while ((got = getline(&line, &cap, f)) != -1) {
        lineno++;
        if (memchr(line, '\0', (size_t)got) != NULL) {
            snprintf(err, errlen, "%s:%ld: contains a NUL byte", path, lineno);
            goto done;
        }
        char *s = s_trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close == NULL || *s_trim(close + 1) != '\0') {
                snprintf(err, errlen, "%s:%ld: malformed section header", path, lineno);
                goto done;
            }
            *close = '\0';
            char *name = s_trim(s + 1);
            if (*name != '\0' && (!s_valid_name(name) || strlen(name) >= sizeof section)) {
                snprintf(err, errlen, "%s:%ld: bad section name '%s'", path, lineno, name);
                goto done;
            }
            snprintf(section, sizeof section, "%s", name);   /* "[]" returns to top level */
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%ld: expected 'key = value'", path, lineno);
            goto done;
        }
        *eq = '\0';
        char *name = s_trim(s);
        if (!s_valid_name(name)) {
            snprintf(err, errlen, "%s:%ld: bad key '%.64s'", path, lineno, name);
            goto done;
        }
        char key[256];
        int kn = section[0] ? snprintf(key, sizeof key, "%s.%s", section, name)
                            : snprintf(key, sizeof key, "%s", name);
        int idx = kn > 0 && (size_t)kn < sizeof key ? s_index(key) : -1;
        if (idx < 0) {
            snprintf(err, errlen, "%s:%ld: unknown key '%.128s'", path, lineno, key);
            goto done;
        }
        const char *value = s_parse_value(eq + 1);
        if (value == NULL) {
            snprintf(err, errlen, "%s:%ld: %s: unterminated or malformed quoted value", path,
                     lineno, key);
            goto done;
        }
        char whybuf[160];
        const char *why = s_type_error((size_t)idx, value, whybuf, sizeof whybuf);
        if (why) {
            snprintf(err, errlen, "%s:%ld: %s: %s", path, lineno, key, why);
            goto done;
        }
        if (s_replace(&next[idx], value) != 0) {
            snprintf(err, errlen, "%s:%ld: out of memory", path, lineno);
            goto done;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto done;
    }
    if (s_apply_env(next, err, errlen) != 0)
        goto done;

    for (size_t i = 0; i < N_KEYS; i++) {
        free(self->values[i]);
        self->values[i] = next[i];
        next[i] = NULL;
    }
    rc = 0;
done:
    s_free_values(next);
    free(line);
    fclose(f);
    return rc;
}

int
sais_config_set(sais_config_t *self, const char *key, const char *value, char *err, size_t errlen)
{
    int idx = self ? s_index(key) : -1;
    if (idx < 0) {
        if (err && errlen)
            snprintf(err, errlen, "unknown key '%s'", key ? key : "(null)");
        return -1;
    }
    if (value == NULL)
        value = "";
    char whybuf[160];
    const char *why = s_type_error((size_t)idx, value, whybuf, sizeof whybuf);
    if (why) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", key, why);
        return -1;
    }
    if (s_replace(&self->values[idx], value) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", key);
        return -1;
    }
    return 0;
}

const char *
sais_config_get(const sais_config_t *self, const char *key)
{
    int idx = s_index(key);
    if (idx < 0) {
        sais_error("sais_config_get: unknown key '%s' (add it to the table in sais_config.c)",
                   key ? key : "(null)");
        return NULL;
    }
    return self ? self->values[idx] : s_table[idx].def;
}

int64_t
sais_config_int(const sais_config_t *self, const char *key)
{
    const char *v = sais_config_get(self, key);
    if (!s_is_int(v))
        return 0;
    return (int64_t)strtoll(v, NULL, 10);
}

int
sais_config_int_in(const sais_config_t *self, const char *key, int64_t lo, int64_t hi, const char *what,
                   int64_t *out, char *err, size_t errlen)
{
    const char *v = sais_config_get(self, key);
    int64_t n = sais_config_int(self, key);
    if (!s_is_int(v) || n < lo || n > hi) {
        snprintf(err, errlen, "%s is '%s': it takes a number of %s from %lld to %lld", key, v ? v : "", what,
                 (long long)lo, (long long)hi);
        return -1;
    }
    *out = n;
    return 0;
}

bool
sais_config_bool(const sais_config_t *self, const char *key)
{
    const char *v = sais_config_get(self, key);
    if (v == NULL)
        return false;
    return strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0
        || strcasecmp(v, "on") == 0;
}

const char *
sais_config_key_at(size_t i)
{
    return i < N_KEYS ? s_table[i].key : NULL;
}

const char *
sais_config_help(const char *key)
{
    int idx = s_index(key);
    return idx < 0 ? NULL : s_table[idx].help;
}

const char *
sais_config_default(const char *key)
{
    int idx = s_index(key);
    return idx < 0 ? NULL : s_table[idx].def;
}
