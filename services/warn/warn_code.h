/* warn_code — the household's visit code (API.md "Visits"): a token a visitor scans on the
 * door plate, signed with HMAC-SHA256 so that a visit posted with it provably came from that
 * household's door, and its QR code as SVG.
 *
 * Token: base64url(payload) "." base64url(mac), payload = "v1|<expires unix>|<household_id>",
 * mac = HMAC-SHA256(key, payload). The key is config warn.visit_code_key, or else 32 random
 * bytes kept in <store dir>/visit.key (mode 0600), created once.
 */
#ifndef WARN_CODE_H
#define WARN_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "sais_config.h"

#define WARN_CODE_MAX 256   /* longest token, with its NUL */

/* Loads the signing key into key[64] (*keylen bytes): the configured secret (hashed to 32
 * bytes with BLAKE2b when longer than 64), or the data-dir secret in `dir`, created with
 * 32 random bytes if missing. 0, or -1 with a reason in err. */
int warn_code_key_load(const sais_config_t *cfg, const char *dir, unsigned char key[64],
                       size_t *keylen, char *err, size_t errlen);

/* Writes the token for `household_id` valid until `expires` into out[WARN_CODE_MAX].
 * 0, or -1 if the household id is too long. */
int warn_code_make(const unsigned char *key, size_t keylen, const char *household_id,
                   int64_t expires, char out[WARN_CODE_MAX]);

typedef enum {
    WARN_CODE_OK = 0,
    WARN_CODE_BAD,       /* not a token of ours, or tampered with: "bad_visit_code" */
    WARN_CODE_EXPIRED,   /* genuine but past its expiry: "visit_code_expired" */
} warn_code_status_t;

/* Checks a token at time `now`. On OK (and on EXPIRED) writes its household id into
 * household_id[hlen] and its expiry into *expires (may be NULL). The MAC is compared in
 * constant time before anything in the payload is trusted. */
warn_code_status_t warn_code_check(const unsigned char *key, size_t keylen, const char *token,
                                   int64_t now, char *household_id, size_t hlen, int64_t *expires);

/* The QR code of `text` as a standalone SVG document (malloc'd, caller frees), or NULL
 * when the text cannot be encoded or memory runs out. One dark module is one unit; the
 * symbol has the standard 4-module quiet zone. */
char *warn_code_qr_svg(const char *text);

#endif
