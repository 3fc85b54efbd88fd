/* notify_server — the notify actor's private state, shared by notify_server.c (the service
 * table, events, deliveries) and notify_api.c (the request handlers). Not for other services:
 * they see notify.h only. */
#ifndef NOTIFY_SERVER_H
#define NOTIFY_SERVER_H

#include "sais_service.h"
#include "notify_courier.h"
#include "notify_outbox.h"

/* Owned by the actor (sais_svc_state); built in on_start, freed in on_stop. The courier
 * (delivery thread) reads none of this: it got its own copy of the settings. */
typedef struct {
    notify_outbox_t   ob;
    notify_courier_t *courier;
    char              sms_url[2049];          /* "" = no SMS gateway */
    char              signature[96];          /* SMS signature, 【...】 */
    int64_t           backoff_ms, backoff_max_ms;
    uint32_t          max_attempts;
    int               drain_ms;               /* a clean stop waits this long for deliveries */
} notify_state_t;

/* Request handlers (notify_api.c); see notify.h for the contract. */
int notify_api_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req, sais_reply_t *reply);
int notify_api_webhook_create(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req,
                              sais_reply_t *reply);
int notify_api_webhook_list(sais_svc_t *svc, MDB_txn *txn, const Sais__Request *req,
                            sais_reply_t *reply);

#endif
