/* sais_log — one line per event on stderr: time, level, service, request id, message.
 *
 * Every line passes through a masker: any 18-character run that looks like a resident ID
 * number (17 digits and a digit or X) is written as its first 6 and last 1 characters with
 * '*' between, so an ID number never reaches a log unmasked, whoever formatted it.
 */
#ifndef SAIS_LOG_H
#define SAIS_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { SAIS_LOG_DEBUG = 0, SAIS_LOG_INFO, SAIS_LOG_WARN, SAIS_LOG_ERROR } sais_log_level_t;

/* Process-wide minimum level; from config "log.level" (debug|info|warn|error). */
void sais_log_set_level(sais_log_level_t lvl);
int  sais_log_level_parse(const char *s, sais_log_level_t *out);

/* Per-thread context: the service name (set by each actor) and the current request id. */
void sais_log_set_service(const char *name);
void sais_log_set_request(const char *request_id);
/* Copies this thread's context out (for code that runs another service's handler on this
 * thread, sets that service's context, and puts this one back after). */
#define SAIS_LOG_SERVICE_MAX 32
#define SAIS_LOG_REQUEST_MAX 80
void sais_log_get_context(char service[SAIS_LOG_SERVICE_MAX], char request[SAIS_LOG_REQUEST_MAX]);

void sais_log(sais_log_level_t lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sais_debug(...) sais_log(SAIS_LOG_DEBUG, __VA_ARGS__)
#define sais_info(...)  sais_log(SAIS_LOG_INFO, __VA_ARGS__)
#define sais_warn(...)  sais_log(SAIS_LOG_WARN, __VA_ARGS__)
#define sais_error(...) sais_log(SAIS_LOG_ERROR, __VA_ARGS__)

/* Lines that can repeat without end (a full disk fails every write, a scanner makes
 * libmicrohttpd complain of every connection): of one kind, at most `per_minute` are written
 * in a minute. Kinds are told apart by address: a format string, or any pointer that lives
 * as long as what it names. True when this line may be written; *held then gets how many of
 * its kind were held back in the minute before, to be said beside it. At most
 * SAIS_LOG_KINDS kinds are tracked at once; the least recent gives way to a new one. */
#define SAIS_LOG_KINDS 64
bool sais_log_allow(const void *kind, unsigned per_minute, unsigned *held);
/* The same at a given minute (tests). */
bool sais_log_allow_at(const void *kind, unsigned per_minute, int64_t minute, unsigned *held);

/* Masks ID-like runs in `s` in place (the masker above, exposed for tests). */
void sais_log_mask_ids(char *s);

#endif
