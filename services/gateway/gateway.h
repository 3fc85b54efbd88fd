/* gateway — the HTTP front door of SAIS (libmicrohttpd), as a service on the runtime.
 *
 * `gateway_service` is started like any other service (sais_service_start). Its on_start reads
 * the "gateway.*" settings, makes sure an admin key exists (writing the secret to
 * <data.dir>/admin.key, mode 0600, the first time) and starts the HTTP daemon; on_stop stops
 * it. Its own store holds the API keys (hashed) and the audit chain.
 *
 * Besides HTTP, the service answers one bus method, "keys.create" (JSON body as for
 * POST /v1/keys, reply 201 with the secret), so that tools running next to it (the demo
 * loader, tests) can make partner/caseworker keys without an admin secret.
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include "sais_service.h"
#include "sais_store.h"

extern const sais_service_def_t gateway_service;

/* What a key may do. Arrays are borrowed for the call. */
typedef struct {
    const char        *name;      /* 1..200 bytes of UTF-8 */
    const char        *role;      /* admin caseworker reviewer partner charity city auditor */
    const char *const *regions;   /* code prefixes, 2..6 digits; required for caseworker/reviewer */
    size_t             nregions;
    const char *const *sources;   /* feed sources; required for partner */
    size_t             nsources;
    int64_t            expires_at;/* unix seconds after which the key stops working; 0 = never */
} gateway_key_spec_t;

/* Creates a key in the gateway store. On success returns 0, the key id in id[idlen] (>= 16)
 * and the secret, shown this once, in secret[secretlen] (>= 64). On invalid input returns -1
 * with the reason in err; on a store failure -1 as well ("store: ..."). */
int gateway_key_create(sais_store_t *store, const gateway_key_spec_t *spec,
                       char *id, size_t idlen, char *secret, size_t secretlen,
                       char *err, size_t errlen);

/* Stops a key at once. 0 deleted, 1 no such key, -1 store failure. */
int gateway_key_delete(sais_store_t *store, const char *id);

/* If the store holds no key at all, creates an "admin" key and writes its secret (one line)
 * to <data_dir>/admin.key with mode 0600. The path is written to path[pathlen] either way.
 * Returns 1 if a key was created, 0 if keys existed already, -1 on failure (nothing created). */
int gateway_admin_key_ensure(sais_store_t *store, const char *data_dir, char *path, size_t pathlen);

/* Where gateway_admin_key_ensure puts the secret for this config: "<data.dir>/admin.key". */
int gateway_admin_key_path(const sais_config_t *cfg, char *path, size_t pathlen);

/* `sais config check`: what the gateway would refuse at start beyond a key's type and range —
 * a gateway.trusted_proxies entry that is not an address, and, when both are on this host, TLS
 * files that are not PEM or a key others may read. 0, or -1 with the reason in err. */
int gateway_config_check(const sais_config_t *cfg, char *err, size_t errlen);

/* `sais audit verify --data DIR`: opens the gateway store under DIR (DIR/gateway, or DIR itself
 * if it holds data.mdb) read-only and walks the audit chain. Returns 0 if every link holds
 * (report: entry count and head hash), 1 if the chain is broken (report names the first broken
 * link or missing seq), -1 if the store cannot be read (report says why). */
int gateway_audit_verify(const char *data_dir, char *report, size_t len);

#endif
