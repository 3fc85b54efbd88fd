/* sais_service_local — reads answered on the caller's thread when the service they ask runs in
 * the same process (`sais up`), for the methods a service marks SAIS_M_READ_ANY.
 *
 * Through the socket, a read costs two thread hops (the caller's thread to the service's actor
 * and back: eventfd writes, polls, wake-ups) and waits behind whatever the actor is doing —
 * applying a fetched batch of events, say — although LMDB would let any number of threads read
 * a snapshot at once. A READ_ANY handler uses only its read transaction, the request and what
 * the service set up before it started, so it can run on any thread, in parallel.
 *
 * The request goes through its wire form (packed and unpacked) and so does the answer, so a
 * handler sees exactly what it would from the socket and the caller gets exactly what it
 * would. Whatever cannot be done here (no such service in this process, another kind of
 * method, no reader slot) is left to the socket (SAIS_LOCAL_NO).
 *
 * Registration happens when a service has started and is undone, before its store closes,
 * under a write lock that waits for the calls in flight. The lock prefers writers, so a READ_ANY
 * handler must never call another service (a nested read lock behind a waiting writer would
 * deadlock).
 */
#include "sais_service_int.h"
#include "sais_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOCAL 32

static pthread_once_t   s_once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t s_lock;
static bool             s_lock_ok;
static sais_svc_t      *s_svcs[MAX_LOCAL];

static void init_lock(void)
{
    pthread_rwlockattr_t a;
    if (pthread_rwlockattr_init(&a) != 0)
        return;
    /* a stopping service must not wait for a gap in a stream of reads */
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    s_lock_ok = pthread_rwlock_init(&s_lock, &a) == 0;
    pthread_rwlockattr_destroy(&a);
}

void svc_local_register(sais_svc_t *svc)
{
    if (!sais_config_bool(svc->cfg, "bus.local_reads"))
        return;
    bool any = false;
    for (const sais_method_t *m = svc->def->methods; m && m->name; m++)
        any = any || m->kind == SAIS_M_READ_ANY;
    if (!any || pthread_once(&s_once, init_lock) != 0 || !s_lock_ok)
        return;
    if (pthread_rwlock_wrlock(&s_lock) != 0)
        return;
    for (size_t i = 0; i < MAX_LOCAL; i++)
        if (s_svcs[i] == NULL) {
            s_svcs[i] = svc;
            break;
        }
    pthread_rwlock_unlock(&s_lock);
}

void svc_local_unregister(sais_svc_t *svc)
{
    if (!s_lock_ok || pthread_rwlock_wrlock(&s_lock) != 0)
        return;
    for (size_t i = 0; i < MAX_LOCAL; i++)
        if (s_svcs[i] == svc)
            s_svcs[i] = NULL;
    pthread_rwlock_unlock(&s_lock);
}

typedef struct {
    sais_svc_t          *svc;
    const sais_method_t *m;
    const Sais__Request *req;
    sais_reply_t        *reply;
} local_ctx_t;

static int local_read(MDB_txn *txn, void *vctx)
{
    local_ctx_t *c = vctx;
    return c->m->fn(c->svc, txn, c->req, c->reply);
}

/* The answer as the socket would carry it: packed, then unpacked for the caller. */
static int wire_reply(const char *id, const sais_reply_t *r, Sais__Reply **out)
{
    Sais__Reply rep = SAIS__REPLY__INIT;
    rep.id = (char *)id;
    rep.status = r->status;
    rep.content_type = (char *)r->content_type;
    rep.body.data = (uint8_t *)r->body;
    rep.body.len = r->len;
    size_t n = sais__reply__get_packed_size(&rep);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return -1;
    sais__reply__pack(&rep, buf);
    *out = sais__reply__unpack(NULL, n, buf);
    free(buf);
    return *out ? 0 : -1;
}

static int call_locked(sais_svc_t *svc, const sais_method_t *m, const Sais__Request *req, Sais__Reply **out)
{
    size_t n = sais__request__get_packed_size(req);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return SAIS_LOCAL_NO;
    sais__request__pack(req, buf);
    Sais__Request *wire = sais__request__unpack(NULL, n, buf);
    free(buf);
    if (!wire)
        return SAIS_LOCAL_NO;
    sais_reply_t reply = {0};
    local_ctx_t c = {svc, m, wire, &reply};
    /* the handler's log lines name its service, as on its own thread */
    char caller_svc[SAIS_LOG_SERVICE_MAX], caller_req[SAIS_LOG_REQUEST_MAX];
    sais_log_get_context(caller_svc, caller_req);
    sais_log_set_service(svc->def->name);
    sais_log_set_request(wire->id);
    int rc = sais_store_read(svc->store, local_read, &c);
    int out_rc = SAIS_CALL_OK;
    if (rc == -1 && reply.status == 0) {
        out_rc = SAIS_LOCAL_NO;   /* no read transaction (e.g. every reader slot taken) */
    } else {
        svc_answer_failure(svc, wire->method, rc, &reply);   /* as the actor would */
        if (wire_reply(wire->id, &reply, out) != 0)
            out_rc = SAIS_LOCAL_NO;
    }
    sais_log_set_service(caller_svc);
    sais_log_set_request(caller_req);
    sais_reply_reset(&reply);
    sais__request__free_unpacked(wire, NULL);
    return out_rc;
}

int sais_local_call(const char *service, const Sais__Request *req, Sais__Reply **reply)
{
    *reply = NULL;
    if (pthread_once(&s_once, init_lock) != 0 || !s_lock_ok || !req->method)
        return SAIS_LOCAL_NO;
    if (pthread_rwlock_rdlock(&s_lock) != 0)
        return SAIS_LOCAL_NO;
    int rc = SAIS_LOCAL_NO;
    for (size_t i = 0; i < MAX_LOCAL; i++) {
        sais_svc_t *svc = s_svcs[i];
        if (!svc || strcmp(svc->def->name, service) != 0)
            continue;
        for (const sais_method_t *m = svc->def->methods; m && m->name; m++)
            if (m->kind == SAIS_M_READ_ANY && strcmp(m->name, req->method) == 0) {
                rc = call_locked(svc, m, req, reply);
                break;
            }
        break;
    }
    pthread_rwlock_unlock(&s_lock);
    return rc;
}
