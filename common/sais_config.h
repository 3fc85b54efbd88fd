/* sais_config — one flat table of settings: built-in defaults, then a file, then the
 * environment. Key "gateway.listen" is overridden by SAIS_GATEWAY_LISTEN.
 *
 * File syntax: `key = value` lines, `#` comments, optional `[section]` headers that prefix
 * the keys below them ("[gateway]\nlisten = ..." is "gateway.listen"). Unknown keys and
 * malformed lines are reported (file:line) and make sais_config_load fail.
 *
 * The known keys and their defaults are a table in sais_config.c; a service adds its keys
 * there, never as string literals scattered through code.
 */
#ifndef SAIS_CONFIG_H
#define SAIS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct sais_config_t sais_config_t;

/* Defaults + environment. Never NULL except on allocation failure. */
sais_config_t *sais_config_new(void);
void sais_config_destroy(sais_config_t **self_p);

/* Reads `path` over the current values, then applies the environment again (environment
 * wins). On error writes "file:line: reason" into err (errlen bytes) and returns -1; the
 * config keeps the values it had. */
int sais_config_load(sais_config_t *self, const char *path, char *err, size_t errlen);

/* Sets one key (command-line flags use this). -1 and err if the key is unknown. */
int sais_config_set(sais_config_t *self, const char *key, const char *value, char *err, size_t errlen);

/* The value of a known key; NULL for an unknown key (a programmer error, logged). The
 * string is owned by the config and lives until the next set/load/destroy. */
const char *sais_config_get(const sais_config_t *self, const char *key);
int64_t sais_config_int(const sais_config_t *self, const char *key);    /* 0 if not a number */
bool sais_config_bool(const sais_config_t *self, const char *key);      /* true|yes|1|on */
/* A whole number of `what` from lo to hi into *out: 0, or -1 with "<key> is '<value>': it
 * takes a number of <what> from <lo> to <hi>" in err (a service's on_start refuses to start). */
int sais_config_int_in(const sais_config_t *self, const char *key, int64_t lo, int64_t hi, const char *what,
                       int64_t *out, char *err, size_t errlen);

/* Iterate: returns the i-th known key, NULL past the end. */
const char *sais_config_key_at(size_t i);

/* The one-line help and the built-in default of a known key (static strings); NULL for an
 * unknown key. For `sais config --help` style listings. */
const char *sais_config_help(const char *key);
const char *sais_config_default(const char *key);

#endif
