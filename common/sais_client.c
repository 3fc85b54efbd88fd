/* sais_client — see sais_client.h. */
#include "sais_client.h"
#include "sais_clock.h"
#include "sais_curve.h"
#include "sais_log.h"

#include <czmq.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>

#define SAIS_CLIENT_MAX_SERVICES 16
#define SAIS_CLIENT_POOL 32

typedef struct {
    char     name[32];
    char     endpoint[256];
    zsock_t *idle[SAIS_CLIENT_POOL];
    size_t   nidle;
} pool_t;

struct sais_client_t {
    const sais_config_t *cfg;
    sais_curve_t        *curve;      /* NULL: plain sockets (bus.curve off) */
    pthread_mutex_t      mu;
    pool_t               pools[SAIS_CLIENT_MAX_SERVICES];
    size_t               npools;
    uint64_t             next_id;
};

void sais_socket_tune(void *zsock, const sais_config_t *cfg)
{
    int hwm = (int)sais_config_int(cfg, "bus.hwm");
    int hb = (int)sais_config_int(cfg, "bus.heartbeat_ms");
    zsock_set_linger(zsock, 0);
    zsock_set_sndhwm(zsock, hwm > 0 ? hwm : 10000);
    zsock_set_rcvhwm(zsock, hwm > 0 ? hwm : 10000);
    zsock_set_maxmsgsize(zsock, (int)(sais_config_int(cfg, "bus.max_msg_mb") << 20));
    if (hb > 0) {
        /* ZMTP heartbeats notice a dead peer on tcp:// and drop the connection so that
         * reconnect (with backoff below) can begin; harmless on inproc:// */
        zsock_set_heartbeat_ivl(zsock, hb);
        zsock_set_heartbeat_timeout(zsock, hb * 3);
        zsock_set_heartbeat_ttl(zsock, hb * 3);
    }
    zsock_set_reconnect_ivl(zsock, (int)sais_config_int(cfg, "bus.reconnect_ms"));
    zsock_set_reconnect_ivl_max(zsock, (int)sais_config_int(cfg, "bus.reconnect_max_ms"));
}

sais_client_t *sais_client_new(const sais_config_t *cfg)
{
    char name[64] = "";
    if (sais_curve_enabled(cfg) && sais_curve_process_name(cfg, name, sizeof name) != 0) {
        sais_error("client: bus.curve is on but this process has no certificate: set bus.cert_name "
                   "(e.g. SAIS_BUS_CERT_NAME=admin with <cert_dir>/admin.secret)");
        return NULL;
    }
    return sais_client_new_as(cfg, name);
}

sais_client_t *sais_client_new_as(const sais_config_t *cfg, const char *name)
{
    char err[512];
    sais_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (sais_curve_new(cfg, name, &self->curve, err, sizeof err) != 0) {
        sais_error("client: %s", err);
        free(self);
        return NULL;
    }
    if (pthread_mutex_init(&self->mu, NULL) != 0) {
        sais_curve_destroy(&self->curve);
        free(self);
        return NULL;
    }
    self->cfg = cfg;
    randombytes_buf(&self->next_id, sizeof self->next_id);
    self->next_id &= 0xffffffffffull;
    return self;
}

void sais_client_destroy(sais_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sais_client_t *self = *self_p;
    for (size_t i = 0; i < self->npools; i++)
        for (size_t j = 0; j < self->pools[i].nidle; j++)
            zsock_destroy(&self->pools[i].idle[j]);
    sais_curve_destroy(&self->curve);
    pthread_mutex_destroy(&self->mu);
    free(self);
    *self_p = NULL;
}

/* Under the mutex: the pool for `service`, made on first use. NULL if unknown. */
static pool_t *pool_for(sais_client_t *self, const char *service)
{
    for (size_t i = 0; i < self->npools; i++)
        if (strcmp(self->pools[i].name, service) == 0)
            return &self->pools[i];
    if (self->npools == SAIS_CLIENT_MAX_SERVICES)
        return NULL;
    char key[64];
    snprintf(key, sizeof key, "%s.endpoint", service);
    const char *ep = sais_config_get(self->cfg, key);
    if (!ep || !*ep)
        return NULL;
    pool_t *p = &self->pools[self->npools++];
    snprintf(p->name, sizeof p->name, "%s", service);
    snprintf(p->endpoint, sizeof p->endpoint, "%s", ep);
    p->nidle = 0;
    return p;
}

static zsock_t *take(sais_client_t *self, const char *service)
{
    char endpoint[256];
    pthread_mutex_lock(&self->mu);
    pool_t *p = pool_for(self, service);
    if (!p) {
        pthread_mutex_unlock(&self->mu);
        return NULL;
    }
    if (p->nidle > 0) {
        zsock_t *s = p->idle[--p->nidle];
        pthread_mutex_unlock(&self->mu);
        return s;
    }
    snprintf(endpoint, sizeof endpoint, "%s", p->endpoint);
    pthread_mutex_unlock(&self->mu);
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s)
        return NULL;
    sais_socket_tune(s, self->cfg);
    char err[512];
    if (sais_curve_client(self->curve, s, service, err, sizeof err) != 0) {
        sais_error("client: cannot call %s over CURVE: %s", service, err);
        zsock_destroy(&s);
        return NULL;
    }
    if (zsock_connect(s, "%s", endpoint) != 0) {
        sais_error("client: cannot connect to %s at %s", service, endpoint);
        zsock_destroy(&s);
        return NULL;
    }
    return s;
}

static void give_back(sais_client_t *self, const char *service, zsock_t *s)
{
    pthread_mutex_lock(&self->mu);
    pool_t *p = pool_for(self, service);
    if (p && p->nidle < SAIS_CLIENT_POOL) {
        p->idle[p->nidle++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&self->mu);
    if (s)
        zsock_destroy(&s);
}

static void drop_idle(sais_client_t *self, const char *service)
{
    pthread_mutex_lock(&self->mu);
    pool_t *p = pool_for(self, service);
    while (p && p->nidle > 0)
        zsock_destroy(&p->idle[--p->nidle]);
    pthread_mutex_unlock(&self->mu);
}

int sais_client_call(sais_client_t *self, const char *service, Sais__Request *req,
                     int timeout_ms, Sais__Reply **reply)
{
    char idbuf[32];
    *reply = NULL;
    if (!req->id || !*req->id) {
        pthread_mutex_lock(&self->mu);
        uint64_t n = ++self->next_id;
        pthread_mutex_unlock(&self->mu);
        snprintf(idbuf, sizeof idbuf, "c%llx", (unsigned long long)n);
        req->id = idbuf;
    }
    int64_t deadline = sais_clock_ms() + timeout_ms;
    req->deadline_ms = deadline;
    int local = sais_local_call(service, req, reply);
    if (local != SAIS_LOCAL_NO)
        return local;

    zsock_t *s = take(self, service);
    if (!s)
        return SAIS_CALL_DOWN;
    size_t n = sais__request__get_packed_size(req);
    zframe_t *f = zframe_new(NULL, n);
    if (!f) {
        give_back(self, service, s);
        return SAIS_CALL_DOWN;
    }
    sais__request__pack(req, zframe_data(f));
    /* DEALER blocks at the HWM rather than dropping; never wait past the deadline for it */
    zsock_set_sndtimeo(s, timeout_ms);
    if (zframe_send(&f, s, 0) != 0) {
        zframe_destroy(&f);
        zsock_destroy(&s);
        return SAIS_CALL_DOWN;
    }
    for (;;) {
        int64_t left = deadline - sais_clock_ms();
        if (left <= 0)
            break;
        zmq_pollitem_t item = {zsock_resolve(s), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, (long)left);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (rc == 0)
            break;
        zframe_t *in = zframe_recv(s);
        if (!in)
            break;
        Sais__Reply *r = sais__reply__unpack(NULL, zframe_size(in), zframe_data(in));
        zframe_destroy(&in);
        if (!r) {
            sais_warn("client: garbled reply from %s dropped", service);
            continue;
        }
        if (strcmp(r->id, req->id) != 0) {
            /* a late answer to an earlier request on this socket: not ours */
            sais__reply__free_unpacked(r, NULL);
            continue;
        }
        *reply = r;
        give_back(self, service, s);
        return SAIS_CALL_OK;
    }
    /* timed out: destroy rather than pool, so a late reply cannot be mistaken later; the
     * idle sockets to the same service likely point at a peer that is gone too (an inproc
     * pipe does not reconnect to a restarted service), so they go as well */
    zsock_destroy(&s);
    drop_idle(self, service);
    return SAIS_CALL_TIMEOUT;
}

int sais_client_callv(sais_client_t *self, const char *service, const char *method,
                      const void *body, size_t len, int timeout_ms, Sais__Reply **reply, ...)
{
    Sais__Request req = SAIS__REQUEST__INIT;
    Sais__Param params[16];
    Sais__Param *pp[16];
    size_t np = 0;
    va_list ap;
    va_start(ap, reply);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (np < 16) {
            sais__param__init(&params[np]);
            params[np].key = (char *)k;
            params[np].value = (char *)(v ? v : "");
            pp[np] = &params[np];
            np++;
        }
    }
    va_end(ap);
    req.method = (char *)method;
    req.params = pp;
    req.n_params = np;
    req.body.data = (uint8_t *)body;
    req.body.len = len;
    return sais_client_call(self, service, &req, timeout_ms, reply);
}
