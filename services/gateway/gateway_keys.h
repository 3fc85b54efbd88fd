/* gateway_keys — API keys: the secret format, its hash, and the "keys" database.
 *
 * A secret is "sais_<id>_<43 characters of base64url>" (32 random bytes from libsodium). Only
 * the BLAKE2b-256 hash of the whole secret is stored, under the key id, with the key's name,
 * role, regions and sources; a request's secret names its id, so lookup is one get and one
 * constant-time compare. Deleting a record stops the key at once: every request reads the
 * store, nothing is cached.
 */
#ifndef GATEWAY_KEYS_H
#define GATEWAY_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "gateway.h"
#include "sais_json.h"
#include "sais_store.h"

#define GW_KEY_ID_LEN      12           /* hex characters */
#define GW_KEY_SECRET_MAX  80
#define GW_KEY_MAX_REGIONS 64
#define GW_KEY_MAX_SOURCES 7
#define GW_KEY_NAME_MAX    200
#define GW_KEYS_DBI        "keys"

typedef struct {
    char          id[GW_KEY_ID_LEN + 4];
    char          name[GW_KEY_NAME_MAX + 1];
    char          role[16];
    unsigned      role_bit;
    size_t        nregions;
    char          regions[GW_KEY_MAX_REGIONS][8];
    size_t        nsources;
    char          sources[GW_KEY_MAX_SOURCES][16];
    int64_t       created_at;
    int64_t       expires_at;   /* 0 = never */
    unsigned char hash[32];
} gw_key_t;

/* Why a key spec was refused: the API's errors[] entry. */
typedef struct {
    char field[32];
    char code[32];
    char message[160];
} gw_field_err_t;

/* "sais_<id>_<base64url>" into out (>= GW_KEY_SECRET_MAX). 0 or -1. */
int gw_key_secret_make(const char *id, char *out, size_t outlen);
/* The id a secret names, into id[GW_KEY_ID_LEN + 4]. 0, or -1 if it is not of the format. */
int gw_key_secret_id(const char *secret, size_t n, char *id);
void gw_key_hash(const char *secret, size_t n, unsigned char out[32]);

/* Checks a spec (role, name, regions, sources). 0, or -1 with the reason in e. */
int gw_key_spec_check(const gateway_key_spec_t *spec, gw_field_err_t *e);

/* Reads a POST /v1/keys body into spec; the arrays point into `body` and `arena`
 * (caller-provided, GW_KEY_MAX_REGIONS + GW_KEY_MAX_SOURCES entries). An "expires_at" must be
 * an RFC 3339 time after now. 0, or -1 with e. */
int gw_key_spec_from_json(const json_t *body, gateway_key_spec_t *spec, const char **arena,
                          gw_field_err_t *e);

/* Creates the key; *out gets the record (without exposing the hash anywhere). 0; -1 with e
 * for invalid input; -2 on a store failure. */
int gw_key_create(sais_store_t *store, const gateway_key_spec_t *spec, gw_key_t *out,
                  char *secret, size_t secretlen, gw_field_err_t *e);

/* Finds the key a secret belongs to. 0 found (*out filled), 1 unknown or wrong secret,
 * 2 found but expired (*out filled: the answer names when), -1 the store could not be read. */
int gw_key_lookup(sais_store_t *store, const char *secret, size_t n, gw_key_t *out);

/* Writes {"items": [...], "next_cursor": ...} of keys with id > cursor (NULL = from the
 * start), at most limit. 0 or -1 (store failure). */
int gw_keys_list(sais_store_t *store, const char *cursor, size_t limit, sais_jw_t *w);

/* The public representation: id, name, role, regions, sources, created_at, expires_at (null
 * for never) (+ key if given). */
void gw_key_write(sais_jw_t *w, const gw_key_t *k, const char *secret);

#endif
