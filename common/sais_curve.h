/* sais_curve — CURVE on the bus between hosts (DESIGN.md "The bus", point 5).
 *
 * With bus.curve = on, every ROUTER a service binds is a CURVE server and every DEALER (a
 * consumer's, a request pool's) a CURVE client. The keys live under bus.cert_dir, in czmq's
 * zcert format, as `sais certs` writes them:
 *
 *   <cert_dir>/<name>.secret             the keypair of service <name>; mode 0600 (a file
 *                                        others can read is refused)
 *   <cert_dir>/public/<name>.cert        the allow-list: every certificate in public/ (and
 *                                        below it) may connect to this host's services; also
 *                                        where a client finds the server key of service <name>
 *   <cert_dir>/remote/<dep>/<svc>.cert   the server key of another deployment's service,
 *                                        for targets named "<dep>/<svc>" (the city's sources,
 *                                        "pingyang/verify"); outside public/ so that reading a
 *                                        county's log does not let that county connect back
 *
 * The allow-list is enforced by one zauth actor per process, shared by every CURVE server in
 * it: started by the first sais_curve_server, stopped when the last sais_curve_t holding it
 * is destroyed. zauth rereads the directory when it changes, so a certificate added to or
 * removed from public/ counts from the next connection on. Each server also sets
 * ZMQ_ZAP_ENFORCE_DOMAIN: without it libzmq 4.3 lets any client that knows the server key in
 * whenever no ZAP handler answers; with it such a server refuses everyone (fail closed).
 *
 * With bus.curve = off (the default: inproc:// and loopback deployments) sais_curve_new
 * gives NULL and every function here does nothing for a NULL curve, so call sites need no
 * branches.
 *
 * Thread safety: a sais_curve_t is read-only after sais_curve_new except for its zauth
 * reference (taken by sais_curve_server, under a process-wide lock); sais_curve_client may be
 * called from many threads at once.
 */
#ifndef SAIS_CURVE_H
#define SAIS_CURVE_H

#include <czmq.h>
#include "sais_config.h"

typedef struct sais_curve_t sais_curve_t;

/* bus.curve on? */
bool sais_curve_enabled(const sais_config_t *cfg);

/* When bus.curve is off: *out = NULL, returns 0. When on: loads "<bus.cert_dir>/<name>.secret"
 * and returns 0 with *out owned by the caller, or -1 with the reason in err (no certificate
 * directory, a missing, unreadable, public-only or world-readable secret, a libzmq without
 * CURVE). `name` is the identity's certificate name: a service name or bus.cert_name. */
int sais_curve_new(const sais_config_t *cfg, const char *name, sais_curve_t **out, char *err,
                   size_t errlen);

/* Frees it and gives back its zauth reference (the last one stops the actor). Destroy the
 * sockets it set up first. Idempotent; NULLs the pointer. */
void sais_curve_destroy(sais_curve_t **self_p);

/* Makes `sock` (not yet bound) a CURVE server with self's keypair and makes sure the
 * process's zauth actor runs with "<cert_dir>/public" as the allow-list (one allow-list per
 * process: a second, different one is an error). 0, or -1 with err — then the socket must not
 * be bound: it would not be safe. NULL self: nothing to do, 0. */
int sais_curve_server(sais_curve_t *self, zsock_t *sock, char *err, size_t errlen);

/* The socket options only (keypair, CURVE_SERVER, ZAP domain, ZAP_ENFORCE_DOMAIN, each
 * checked and the last one read back), no zauth: what sais_curve_server applies. Exposed so a
 * test can show that such a server without a ZAP handler refuses every client. */
int sais_curve_server_options(const sais_curve_t *self, zsock_t *sock, char *err, size_t errlen);

/* Makes `sock` (not yet connected) a CURVE client of service `target` with self's keypair;
 * the server key is read from public/<target>.cert, or remote/<dep>/<svc>.cert for a target
 * "<dep>/<svc>", each time (so a rotated key is picked up by the next socket). 0, or -1 with
 * err (no such certificate, a name that is not a-z 0-9 _ -). NULL self: nothing to do, 0. */
int sais_curve_client(const sais_curve_t *self, zsock_t *sock, const char *target, char *err,
                      size_t errlen);

/* Where the server key of `target` is looked up (for messages and docs). 0, or -1 if the
 * name is not acceptable or out does not hold the path. */
int sais_curve_server_cert_path(const sais_config_t *cfg, const char *target, char *out, size_t outlen);

/* The identity of requests made outside any service (the command line, SIGHUP's reload):
 * bus.cert_name if set, else the first service this process started (recorded by
 * sais_curve_note_service). Writes it into out and returns 0, or -1 if there is none. */
int sais_curve_process_name(const sais_config_t *cfg, char *out, size_t outlen);
/* Records `name` as this process's identity if none is recorded yet. */
void sais_curve_note_service(const char *name);

/* `sais certs`: a new keypair for `name` written as <dir>/<name>.secret (0600) and
 * <dir>/public/<name>.cert, creating <dir> (0700) and <dir>/public as needed. Refuses to
 * overwrite either file (a key that was handed out must not change by accident). 0, or -1 with
 * err. */
int sais_curve_generate(const char *dir, const char *name, char *err, size_t errlen);

#endif
