/* gateway_http — the pure parts of reading an HTTP request: percent-decoding, UTF-8 checks,
 * splitting the path into segments (refusing traversal), the query string, header values.
 * No I/O, no libmicrohttpd: everything here is unit-tested on strings.
 */
#ifndef GATEWAY_HTTP_H
#define GATEWAY_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define GW_MAX_SEGS    16
#define GW_MAX_PARAMS  64
#define GW_RID_MAX     129     /* request id: up to 128 visible ASCII characters */

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool gw_utf8_valid(const char *s, size_t n);

/* Decodes %XX (and '+' as space when plus_space) from in[0..n) into out (at least n+1 bytes),
 * NUL-terminated; *outlen gets the decoded length. -1 on a bad escape ("%4", "%zz"). The
 * result may contain any byte, including NUL: callers check it. */
int gw_pct_decode(const char *in, size_t n, bool plus_space, char *out, size_t *outlen);

/* A decoded path: segments point into one owned buffer. */
typedef struct {
    char  *buf;
    char  *seg[GW_MAX_SEGS];
    size_t nseg;
} gw_path_t;

typedef enum {
    GW_PATH_OK = 0,
    GW_PATH_BAD,        /* bad escape, invalid UTF-8, NUL or control byte, encoded '/' or '\' */
    GW_PATH_TRAVERSAL,  /* a "." or ".." segment, encoded or not */
    GW_PATH_TOO_DEEP,   /* more than GW_MAX_SEGS segments */
    GW_PATH_NOMEM,
} gw_path_status_t;

/* Splits the raw path (before '?', starting with '/') into decoded segments. "/" has none;
 * "/a//b" and "/a/" keep their empty segments (so they match no route). On success the
 * caller frees with gw_path_free. */
gw_path_status_t gw_path_parse(const char *raw, size_t n, gw_path_t *out);
void gw_path_free(gw_path_t *p);
const char *gw_path_status_text(gw_path_status_t st);

/* Parameters: path captures and the query string, in order, owned. */
typedef struct {
    char  *key[GW_MAX_PARAMS];
    char  *value[GW_MAX_PARAMS];
    size_t n;
} gw_params_t;

/* Adds a copy of key/value. -1 if full or out of memory. */
int  gw_params_add(gw_params_t *p, const char *key, const char *value);
const char *gw_params_get(const gw_params_t *p, const char *key);
void gw_params_free(gw_params_t *p);

/* Parses "a=1&b=x%20y" (without the '?') into p, skipping keys already present in p (so a
 * query cannot override a path capture) and empty pieces. Keys and values are decoded with
 * '+' as space and must be valid UTF-8 without NUL or control bytes. 0, or -1 with a reason
 * in err. */
int gw_query_parse(const char *q, size_t n, gw_params_t *p, char *err, size_t errlen);

/* True if the Content-Type header value names `want` (case-insensitive), optionally followed
 * by parameters ("application/json; charset=utf-8"). NULL header -> false. */
bool gw_ctype_is(const char *header, const char *want);
/* The value of parameter `name` (case ignored) of a Content-Type header, unquoted, into
 * out[len]: 1; 0 when there is none; -1 when it is there but empty, too long or its quote
 * is not closed. */
int gw_ctype_param(const char *header, const char *name, char *out, size_t len);

/* Copies a client's X-Request-Id into out[GW_RID_MAX] if it is 1..128 visible ASCII
 * characters; otherwise makes a fresh random one (32 hex). Returns true if echoed. */
bool gw_request_id(const char *client, char out[GW_RID_MAX]);

/* "Bearer <token>" (scheme case-insensitive, spaces tolerated) -> pointer to the token inside
 * header and its length; NULL if the header is absent or of another scheme. */
const char *gw_bearer(const char *header, size_t *len);

/* True if no array or object in the JSON text nests deeper than max_depth (strings and their
 * escapes are skipped). Run before parsing so a hostile body cannot make the parser recurse;
 * API bodies are shallow. */
#define GW_JSON_MAX_DEPTH 32
bool gw_json_depth_ok(const char *s, size_t n, int max_depth);

/* A batch id: 1..64 of [A-Za-z0-9._:-]. */
bool gw_batch_id_valid(const char *s);

#endif
