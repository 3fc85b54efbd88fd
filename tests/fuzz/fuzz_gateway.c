/* Fuzz target: what a client controls in a request, read by the gateway's pure parsers
 * (gateway_http.h, gateway_routes.h) and the JSON body check. The input is
 *   METHOD SP target LF  Authorization LF  Content-Type LF  X-Request-Id LF  body
 * (missing lines are empty). Besides "no crash, no leak", each parser's promise is checked:
 * a parsed path has no "." or ".." segment and no '/', NUL or invalid UTF-8 in a segment; a
 * match's captures are segments of that path; query keys and values are valid UTF-8 without
 * control bytes; percent-decoding never grows; a bearer token lies inside its header; an
 * echoed request id is 1..128 visible characters; and for a body jansson parses, the depth
 * check agrees with the parsed depth. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_http.h"
#include "gateway_routes.h"
#include "sais_json.h"
#include "fuzz_check.h"


/* The next LF-terminated line of [*p, end) as a NUL-terminated copy (caller frees). */
static char *next_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    size_t n = (size_t)(stop - *p);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

static bool clean_text(const char *s)
{
    if (!gw_utf8_valid(s, strlen(s)))
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static int json_depth(const json_t *j)
{
    int deepest = 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            int d = json_depth(v);
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            int d = json_depth(json_array_get(j, i));
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    return 0;
}

static void check_path(const char *method, const char *raw, size_t n)
{
    gw_path_t path;
    gw_path_status_t st = gw_path_parse(raw, n, &path);
    CHECK(gw_path_status_text(st) != NULL);
    if (st != GW_PATH_OK)
        return;
    CHECK(path.nseg <= GW_MAX_SEGS);
    for (size_t i = 0; i < path.nseg; i++) {
        const char *s = path.seg[i];
        CHECK(strcmp(s, ".") != 0 && strcmp(s, "..") != 0);
        CHECK(!strchr(s, '/') && !strchr(s, '\\'));
        CHECK(clean_text(s));
    }
    gw_match_t m;
    gw_match_status_t ms = gw_route_match(method, &path, &m);
    if (ms == GW_MATCH_OK) {
        CHECK(m.route != NULL && m.index < gw_nroutes && m.route == &gw_routes[m.index]);
        CHECK(strcmp(m.route->method, method) == 0);
        CHECK(m.ncap <= GW_MAX_CAPTURES);
        for (size_t i = 0; i < m.ncap; i++) {
            bool inside = false;
            for (size_t k = 0; k < path.nseg; k++)
                inside = inside || (m.cap_value[i] >= path.seg[k]
                                    && m.cap_value[i] <= path.seg[k] + strlen(path.seg[k]));
            CHECK(inside);
            CHECK(m.cap_name[i] && m.cap_name[i][0]);
        }
    } else if (ms == GW_MATCH_NO_METHOD) {
        CHECK(m.allow[0] != '\0');
    }
    gw_path_free(&path);
}

static void check_query(const char *q, size_t n)
{
    gw_params_t p;
    memset(&p, 0, sizeof p);
    char err[160];
    if (gw_query_parse(q, n, &p, err, sizeof err) == 0) {
        CHECK(p.n <= GW_MAX_PARAMS);
        for (size_t i = 0; i < p.n; i++) {
            CHECK(clean_text(p.key[i]) && p.key[i][0]);
            CHECK(clean_text(p.value[i]));
            CHECK(gw_params_get(&p, p.key[i]) != NULL);
        }
    } else {
        CHECK(err[0] != '\0');
    }
    gw_params_free(&p);

    char *out = malloc(n + 1);
    if (!out)
        abort();
    for (int plus = 0; plus < 2; plus++) {
        size_t outlen = (size_t)-1;
        if (gw_pct_decode(q, n, plus, out, &outlen) == 0)
            CHECK(outlen <= n && out[outlen] == '\0');
    }
    free(out);
}

static void check_headers(const char *auth, const char *ctype, const char *rid)
{
    size_t tlen = 0;
    const char *tok = gw_bearer(auth, &tlen);
    if (tok)
        CHECK(tok >= auth && tok + tlen <= auth + strlen(auth));
    (void)gw_ctype_is(ctype, "application/json");
    (void)gw_ctype_is(ctype, "text/csv");
    char out[GW_RID_MAX];
    bool echoed = gw_request_id(rid, out);
    size_t n = strlen(out);
    CHECK(n >= 1 && n <= 128);
    for (size_t i = 0; i < n; i++)
        CHECK(out[i] > 0x20 && out[i] < 0x7f);
    if (echoed)
        CHECK(strcmp(out, rid) == 0);
    (void)gw_batch_id_valid(rid);
    (void)gw_source_valid(rid);
}

static void check_body(const char *body, size_t n)
{
    bool shallow = gw_json_depth_ok(body, n, GW_JSON_MAX_DEPTH);
    json_error_t jerr;
    json_t *j = json_loadb(body, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (j) {
        CHECK(shallow == (json_depth(j) <= GW_JSON_MAX_DEPTH));
        json_decref(j);
    }
    char err[256];
    json_t *obj = sais_json_parse_object(body, n, err, sizeof err);
    if (obj) {
        CHECK(json_is_object(obj));
        json_decref(obj);
    } else {
        CHECK(err[0] != '\0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    char *reqline = next_line(&p, end);
    char *auth = next_line(&p, end);
    char *ctype = next_line(&p, end);
    char *rid = next_line(&p, end);

    char *sp = strchr(reqline, ' ');
    const char *method = reqline, *target = "";
    if (sp) {
        *sp = '\0';
        target = sp + 1;
    }
    const char *q = strchr(target, '?');
    size_t plen = q ? (size_t)(q - target) : strlen(target);
    check_path(method, target, plen);
    if (q)
        check_query(q + 1, strlen(q + 1));
    check_headers(auth, ctype, rid);
    check_body(p, (size_t)(end - p));

    free(reqline);
    free(auth);
    free(ctype);
    free(rid);
    return 0;
}
