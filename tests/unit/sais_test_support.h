/* What the in-process service tests share: a temporary data directory, a config whose
 * services answer on inproc:// endpoints, a call through sais_client with params and a body
 * that gives back the status and the body, waiting until a consumer's cursor reaches a
 * producer's head, and fake producer services whose "emit" puts a given payload on their
 * log. Compiled once (tests/unit/sais_test_support.c) into every unit test. The helpers
 * fail the running cmocka test on a setup error rather than returning one. */
#ifndef SAIS_TEST_SUPPORT_H
#define SAIS_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "sais_client.h"
#include "sais_config.h"
#include "sais_service.h"

/* Makes /tmp/sais-<tag>-XXXXXX into dir (len >= 64); 0 or -1. */
int sais_test_tmpdir_make(char *dir, size_t len, const char *tag);
/* Removes dir and all below it; 0 or -1. */
int sais_test_tmpdir_remove(const char *dir);

/* A loopback TCP port for a service of this test: below the kernel's ephemeral range (which
 * bind(0) and connect() draw from), and held by a lock file in /tmp/sais-test-ports that the
 * other test processes (tests/lib/sais_harness.py too) respect until this one exits. Fails
 * the test if none is found. */
int sais_test_free_port(void);

/* Sets one config key, failing the test if the config refuses it. */
void sais_test_set(sais_config_t *cfg, const char *key, const char *value);
/* A new config (caller destroys): data.dir = <dir>/<name> (just dir if name is NULL),
 * bus.fetch_wait_ms = 200, and <svc>.endpoint = inproc://<name>-<svc> for each of the
 * NULL-terminated svcs. */
sais_config_t *sais_test_config(const char *dir, const char *name, const char *const *svcs);

/* Who a request comes from, as the gateway passes it on. role NULL, or the whole caller NULL:
 * another service (no caller). scope: the one region, or NULL for none; name NULL: not set. */
typedef struct {
    const char *role, *scope, *name, *key_id;
} sais_test_caller_t;

/* Calls `method` of `svc`: params from ap (NULL-terminated key, value pairs, at most 16),
 * idempotency key idem (NULL: none), body of len bytes. Returns the reply's status or a
 * SAIS_CALL_* code; *out (out may be NULL) gets the body as a string (caller frees), left
 * untouched when there is no reply. */
int sais_test_callv(sais_client_t *cl, const char *svc, const char *method, const sais_test_caller_t *who,
                    const char *idem, const void *body, size_t len, int timeout_ms, char **out, va_list ap);
/* The same with the params as arguments. */
int sais_test_call(sais_client_t *cl, const char *svc, const char *method, const sais_test_caller_t *who,
                   const char *idem, const void *body, size_t len, int timeout_ms, char **out, ...);
/* Asserts that status is want (printing method and body otherwise) and parses body as JSON;
 * frees body; returns the JSON (caller decrefs). */
json_t *sais_test_expect_json(const char *method, int status, int want, char *body);

/* Has the fake `producer` emit one event of `type` in `region` with m packed as its payload
 * (m NULL: empty payload); fails the test unless it answers 200. */
void sais_test_emit(sais_client_t *cl, const char *producer, const char *type, const char *region,
                    const ProtobufCMessage *m);
/* sais_test_emit, the envelope naming `sources` (comma-separated) as the feeds behind it. */
void sais_test_emit_sourced(sais_client_t *cl, const char *producer, const char *type, const char *region,
                            const char *sources, const ProtobufCMessage *m);
/* The consumer's cursor on producer's log (its bus.status), 0 when it does not answer. */
uint64_t sais_test_cursor(sais_client_t *cl, const char *consumer, const char *producer);
/* Waits (up to about 5 s) until consumer's cursor on producer reaches head; fails the test
 * otherwise. */
void sais_test_wait_cursor(sais_client_t *cl, const char *consumer, const char *producer, uint64_t head);

/* A fake producer named `name`: no dbis, one WRITE method "emit" that appends the request body
 * as the payload of an event of param "type" (required) in param "region" (default ""). The
 * definition is static storage; at most 8 names. */
const sais_service_def_t *sais_test_fake_producer(const char *name);
/* That "emit" method, for a fake that answers other methods too. */
int sais_test_fake_emit(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);

#endif
