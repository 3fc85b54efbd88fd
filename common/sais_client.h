/* sais_client — request/reply to a service's ROUTER, safe to use from many threads.
 *
 * Keeps a small pool of DEALER sockets per service (endpoints from config "<svc>.endpoint").
 * A call takes a socket from the pool, sends the Request, waits for the Reply with the same
 * id until the timeout, and gives the socket back; on timeout the socket is destroyed rather
 * than returned, so a late reply can never be taken for the answer to another request.
 * With bus.curve on each DEALER is a CURVE client of the service it calls (sais_curve.h).
 */
#ifndef SAIS_CLIENT_H
#define SAIS_CLIENT_H

#include "sais_config.h"
#include "envelope.pb-c.h"

typedef struct sais_client_t sais_client_t;

enum { SAIS_CALL_OK = 0, SAIS_CALL_TIMEOUT = -1, SAIS_CALL_DOWN = -2, SAIS_CALL_BAD_REPLY = -3 };

/* With bus.curve on, every socket of the client is a CURVE client holding the certificate of
 * the process (sais_curve_process_name: bus.cert_name, else the first service this process
 * started); NULL, with the reason logged, if there is none or it cannot be loaded. */
sais_client_t *sais_client_new(const sais_config_t *cfg);
/* The same with the certificate `name` (a service's own client uses the service's name). */
sais_client_t *sais_client_new_as(const sais_config_t *cfg, const char *name);
void sais_client_destroy(sais_client_t **self_p);

/* Fills req->id (if empty) and req->deadline_ms (now + timeout_ms) and sends it to `service`.
 * On SAIS_CALL_OK *reply is the answer (free with sais__reply__free_unpacked). */
int sais_client_call(sais_client_t *self, const char *service, Sais__Request *req,
                     int timeout_ms, Sais__Reply **reply);

/* A call answered on this thread by a service running in this process, without the socket
 * (sais_service_local.c): SAIS_CALL_OK with *reply, or SAIS_LOCAL_NO when it cannot be (the
 * service is elsewhere, or the method is not a READ_ANY). sais_client_call tries it first. */
enum { SAIS_LOCAL_NO = 1 };
int sais_local_call(const char *service, const Sais__Request *req, Sais__Reply **reply);

/* Convenience: method + params (NULL-terminated key,value,... pairs) + body. */
int sais_client_callv(sais_client_t *self, const char *service, const char *method,
                      const void *body, size_t len, int timeout_ms, Sais__Reply **reply, ...);

/* Applies the socket options of DESIGN.md (heartbeats, HWM, LINGER 0, MAXMSGSIZE, reconnect
 * backoff) to any socket the runtime makes. */
void sais_socket_tune(void *zsock, const sais_config_t *cfg);

#endif
