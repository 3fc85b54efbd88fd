/* city_config — see city_config.h. */
#include "city_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const city_producers[CITY_NPRODUCERS] = {"verify", "rules", "warn", "intake", "match"};

/* Port offsets from a county's bus base (its gateway.endpoint), the layout of
 * deploy/county.conf and of the built-in defaults (gateway 7101 ... match 7107). */
static const int s_offsets[CITY_NPRODUCERS] = {2, 3, 5, 4, 6};

static int s_producer_index(const char *p, size_t n)
{
    for (int i = 0; i < CITY_NPRODUCERS; i++)
        if (strlen(city_producers[i]) == n && memcmp(city_producers[i], p, n) == 0)
            return i;
    return -1;
}

static bool s_name_ok(const char *p, size_t n)
{
    if (n == 0 || n >= CITY_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* "tcp://host:port" -> host and port; false if it is not that. */
static bool s_split_tcp(const char *url, char *host, size_t hostlen, long *port)
{
    if (strncmp(url, "tcp://", 6) != 0)
        return false;
    const char *h = url + 6;
    const char *colon = strrchr(h, ':');
    if (!colon || colon == h || (size_t)(colon - h) >= hostlen)
        return false;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || p < 1 || p > 65535 - 6)
        return false;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = '\0';
    *port = p;
    return true;
}

static city_county_t *s_county(city_county_t *out, size_t max, size_t *n, const char *name, size_t len,
                               char *err, size_t errlen)
{
    for (size_t i = 0; i < *n; i++)
        if (strlen(out[i].name) == len && memcmp(out[i].name, name, len) == 0)
            return &out[i];
    if (*n == max) {
        snprintf(err, errlen, "city.counties: more than %zu counties", max);
        return NULL;
    }
    city_county_t *c = &out[(*n)++];
    memset(c, 0, sizeof *c);
    memcpy(c->name, name, len);
    return c;
}

/* One "name=url" or "name.producer=url" entry (trimmed, NUL-terminated). */
static int s_entry(char *e, city_county_t *out, size_t max, size_t *n, bool explicit_set[][CITY_NPRODUCERS],
                   char *err, size_t errlen)
{
    char *eq = strchr(e, '=');
    if (!eq) {
        snprintf(err, errlen, "city.counties: \"%s\" is not name=endpoint", e);
        return -1;
    }
    *eq = '\0';
    const char *url = eq + 1;
    while (*url == ' ' || *url == '\t')
        url++;
    size_t klen = strlen(e);
    while (klen && (e[klen - 1] == ' ' || e[klen - 1] == '\t'))
        e[--klen] = '\0';
    char *dot = strchr(e, '.');
    size_t nlen = dot ? (size_t)(dot - e) : klen;
    if (!s_name_ok(e, nlen)) {
        snprintf(err, errlen, "city.counties: county name \"%.*s\" must be 1-%d of a-z 0-9 _ -",
                 (int)nlen, e, CITY_NAME_MAX - 1);
        return -1;
    }
    if (!*url || strlen(url) >= sizeof out->endpoint[0]) {
        snprintf(err, errlen, "city.counties: %s has an empty or overlong endpoint", e);
        return -1;
    }
    int pi = -1;
    if (dot && (pi = s_producer_index(dot + 1, strlen(dot + 1))) < 0) {
        snprintf(err, errlen, "city.counties: \"%s\" names no producer the city reads "
                 "(verify, rules, warn, intake, match)", e);
        return -1;
    }
    city_county_t *c = s_county(out, max, n, e, nlen, err, errlen);
    if (!c)
        return -1;
    size_t ci = (size_t)(c - out);
    if (dot) {
        snprintf(c->endpoint[pi], sizeof c->endpoint[pi], "%s", url);
        explicit_set[ci][pi] = true;   /* wins over a base, in either order */
        return 0;
    }
    char host[200];
    long port;
    if (!s_split_tcp(url, host, sizeof host, &port)) {
        snprintf(err, errlen, "city.counties: the base of %s must be tcp://host:port "
                 "(or give name.producer=endpoint for each producer)", c->name);
        return -1;
    }
    for (int i = 0; i < CITY_NPRODUCERS; i++)
        if (!explicit_set[ci][i])
            snprintf(c->endpoint[i], sizeof c->endpoint[i], "tcp://%s:%ld", host, port + s_offsets[i]);
    return 0;
}

int city_counties_parse(const char *spec, city_county_t *out, size_t max, size_t *n,
                        char *err, size_t errlen)
{
    *n = 0;
    if (!spec || max == 0) {
        snprintf(err, errlen, "city.counties is empty: a city deployment needs its counties");
        return -1;
    }
    char *copy = strdup(spec);
    bool (*explicit_set)[CITY_NPRODUCERS] = calloc(max, sizeof *explicit_set);
    int rc = -1;
    if (!copy || !explicit_set) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t' || *tok == '\n')
            tok++;
        size_t len = strlen(tok);
        while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t' || tok[len - 1] == '\n'))
            tok[--len] = '\0';
        if (len == 0)
            continue;
        if (s_entry(tok, out, max, n, explicit_set, err, errlen) != 0)
            goto done;
    }
    if (*n == 0) {
        snprintf(err, errlen, "city.counties is empty: a city deployment needs its counties");
        goto done;
    }
    for (size_t i = 0; i < *n; i++)
        for (int p = 0; p < CITY_NPRODUCERS; p++)
            if (!out[i].endpoint[p][0]) {
                snprintf(err, errlen, "city.counties: %s has no %s endpoint (give %s=tcp://host:port "
                         "or %s.%s=endpoint)", out[i].name, city_producers[p], out[i].name,
                         out[i].name, city_producers[p]);
                goto done;
            }
    rc = 0;
done:
    if (rc != 0)
        *n = 0;
    free(explicit_set);
    free(copy);
    return rc;
}

static bool s_city_mode(const sais_config_t *cfg)
{
    const char *d = sais_config_get(cfg, "city.deployment");
    return d && strcmp(d, "city") == 0;
}

int city_sources(const sais_config_t *cfg, sais_source_t *out, size_t max, char *err, size_t errlen)
{
    const char *d = sais_config_get(cfg, "city.deployment");
    if (!d || (strcmp(d, "county") != 0 && strcmp(d, "city") != 0)) {
        snprintf(err, errlen, "city.deployment must be county or city, not \"%s\"", d ? d : "");
        return -1;
    }
    size_t k = 0;
    if (!s_city_mode(cfg)) {
        if (max < CITY_NPRODUCERS) {
            snprintf(err, errlen, "too many producers");
            return -1;
        }
        for (int p = 0; p < CITY_NPRODUCERS; p++) {
            char key[64];
            snprintf(key, sizeof key, "%s.endpoint", city_producers[p]);
            const char *ep = sais_config_get(cfg, key);
            if (!ep || !*ep) {
                snprintf(err, errlen, "no endpoint configured for producer %s", city_producers[p]);
                return -1;
            }
            snprintf(out[k].name, sizeof out[k].name, "%s", city_producers[p]);
            snprintf(out[k].endpoint, sizeof out[k].endpoint, "%s", ep);
            k++;
        }
        return (int)k;
    }
    city_county_t *c = calloc(CITY_MAX_COUNTIES, sizeof *c);
    size_t n = 0;
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (city_counties_parse(sais_config_get(cfg, "city.counties"), c, CITY_MAX_COUNTIES, &n, err, errlen) != 0) {
        free(c);
        return -1;
    }
    if (n * CITY_NPRODUCERS > max) {
        snprintf(err, errlen, "city.counties: %zu counties are more than this runtime can read", n);
        free(c);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < CITY_NPRODUCERS; p++) {
            snprintf(out[k].name, sizeof out[k].name, "%s/%s", c[i].name, city_producers[p]);
            snprintf(out[k].endpoint, sizeof out[k].endpoint, "%s", c[i].endpoint[p]);
            k++;
        }
    free(c);
    return (int)k;
}

const char *city_source_split(const sais_config_t *cfg, const char *source, char out[CITY_NAME_MAX])
{
    const char *slash = strchr(source, '/');
    const char *prod = source;
    if (slash) {
        size_t n = (size_t)(slash - source);
        if (n >= CITY_NAME_MAX)
            n = CITY_NAME_MAX - 1;
        memcpy(out, source, n);
        out[n] = '\0';
        prod = slash + 1;
    } else {
        const char *name = sais_config_get(cfg, "city.name");
        if (!name || !*name)
            name = sais_config_get(cfg, "city.deployment");
        snprintf(out, CITY_NAME_MAX, "%s", name ? name : "");
    }
    int i = s_producer_index(prod, strlen(prod));
    return i < 0 ? NULL : city_producers[i];
}
