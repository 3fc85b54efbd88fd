/* gateway_async — where a request waits when the HTTP threads poll many connections.
 *
 * With gateway.threads > 0 a couple of threads serve every connection, so none of them may
 * sleep on one request: an audit entry's synced commit, a call to a service in another
 * process, a feed chunk ingest takes its time over. The server suspends the connection and
 * parks the step here; when it has run, the connection is resumed and libmicrohttpd calls the
 * handler again to go on.
 *
 * Two queues, each first in, first out:
 *   - jobs, run by `workers` threads: anything that calls a service and waits (a job also
 *     writes its own audit entry, so a request leaves the workers with its answer final);
 *   - audit entries of answers made on the HTTP threads (reads answered in this process),
 *     appended by one thread: whatever has gathered while the last commit was under way goes
 *     in the next, so one synced commit covers many requests and the HTTP threads never wait.
 */
#include "gateway_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "sais_log.h"

#define AUDIT_BATCH_MAX 256

typedef struct item {
    gw_req_t    *rq;
    gw_job_fn    fn;     /* NULL on the audit queue */
    struct item *next;
} item_t;

typedef struct {
    item_t *head, *tail;
} queue_t;

struct gw_async_t {
    gw_t           *gw;
    gw_resume_fn    resume;
    pthread_mutex_t mu;
    pthread_cond_t  job_cv, audit_cv;
    queue_t         jobs, audits;
    bool            stopping;
    pthread_t      *workers;
    unsigned        nworkers;
    pthread_t       auditor;
    bool            auditor_started;
};

static void push(queue_t *q, item_t *it)
{
    it->next = NULL;
    if (q->tail) q->tail->next = it;
    else q->head = it;
    q->tail = it;
}

static item_t *pop(queue_t *q)
{
    item_t *it = q->head;
    if (it) {
        q->head = it->next;
        if (!q->head) q->tail = NULL;
    }
    return it;
}


static void *worker_main(void *arg)
{
    gw_async_t *a = arg;
    sais_log_set_service("gateway");
    for (;;) {
        pthread_mutex_lock(&a->mu);
        while (!a->jobs.head && !a->stopping) pthread_cond_wait(&a->job_cv, &a->mu);
        item_t *it = pop(&a->jobs);
        pthread_mutex_unlock(&a->mu);
        if (!it) return NULL;   /* stopping, and nothing left */
        gw_req_t *rq = it->rq;
        gw_job_fn fn = it->fn;
        free(it);
        bool waited_for = rq->conn != NULL;   /* else fn frees rq */
        fn(a->gw, rq);
        if (waited_for) a->resume(rq);
    }
}

static void *auditor_main(void *arg)
{
    gw_async_t *a = arg;
    sais_log_set_service("gateway");
    gw_req_t *rqs[AUDIT_BATCH_MAX];
    gw_audit_in_t entries[AUDIT_BATCH_MAX];
    const gw_audit_in_t *ptrs[AUDIT_BATCH_MAX];
    char actions[AUDIT_BATCH_MAX][160];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&a->mu);
        while (!a->audits.head && !a->stopping) pthread_cond_wait(&a->audit_cv, &a->mu);
        for (item_t *it; n < AUDIT_BATCH_MAX && (it = pop(&a->audits)) != NULL;) {
            rqs[n++] = it->rq;
            free(it);
        }
        pthread_mutex_unlock(&a->mu);
        if (n == 0) return NULL;
        size_t ne = 0;
        for (size_t i = 0; i < n; i++)
            if (gw_audit_entry(rqs[i], &entries[ne], actions[ne])) {
                ptrs[ne] = &entries[ne];
                ne++;
            }
        bool ok = gw_audit_append_many(a->gw->store, ptrs, ne) == 0;
        for (size_t i = 0; i < n; i++) {
            rqs[i]->audited = true;
            /* an entry not written withholds its answer; one that had none is unaffected */
            if (!ok) {
                char action[160];
                gw_audit_in_t e;
                if (gw_audit_entry(rqs[i], &e, action)) gw_audit_withhold(rqs[i]);
            }
            a->resume(rqs[i]);
        }
    }
}

gw_async_t *gw_async_new(gw_t *gw, unsigned workers, gw_resume_fn resume)
{
    gw_async_t *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->gw = gw;
    a->resume = resume;
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a);
        return NULL;
    }
    if (pthread_cond_init(&a->job_cv, NULL) != 0 || pthread_cond_init(&a->audit_cv, NULL) != 0) {
        /* pthread_cond_init does not fail on Linux; nothing to undo but the mutex */
        pthread_mutex_destroy(&a->mu);
        free(a);
        return NULL;
    }
    a->workers = calloc(workers ? workers : 1, sizeof *a->workers);
    if (!a->workers) goto fail;
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&a->workers[i], NULL, worker_main, a) != 0) goto fail;
        a->nworkers++;
    }
    if (pthread_create(&a->auditor, NULL, auditor_main, a) != 0) goto fail;
    a->auditor_started = true;
    return a;
fail:
    sais_error("gateway: cannot start %u workers and the audit thread", workers);
    gw_async_destroy(&a);
    return NULL;
}

static int enqueue(gw_async_t *a, gw_req_t *rq, gw_job_fn fn)
{
    item_t *it = malloc(sizeof *it);
    if (!it) return -1;
    it->rq = rq;
    it->fn = fn;
    pthread_mutex_lock(&a->mu);
    if (a->stopping) {
        pthread_mutex_unlock(&a->mu);
        free(it);
        return -1;
    }
    push(fn ? &a->jobs : &a->audits, it);
    pthread_cond_signal(fn ? &a->job_cv : &a->audit_cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

int gw_async_job(gw_async_t *a, gw_req_t *rq, gw_job_fn fn)
{
    return fn ? enqueue(a, rq, fn) : -1;
}

int gw_async_audit(gw_async_t *a, gw_req_t *rq)
{
    return enqueue(a, rq, NULL);
}

void gw_async_stop(gw_async_t *a)
{
    pthread_mutex_lock(&a->mu);
    a->stopping = true;
    pthread_cond_broadcast(&a->job_cv);
    pthread_cond_broadcast(&a->audit_cv);
    pthread_mutex_unlock(&a->mu);
    /* the threads empty their queues before they return */
    for (unsigned i = 0; i < a->nworkers; i++) pthread_join(a->workers[i], NULL);
    if (a->auditor_started) pthread_join(a->auditor, NULL);
    a->nworkers = 0;
    a->auditor_started = false;
}

void gw_async_destroy(gw_async_t **a_p)
{
    gw_async_t *a = *a_p;
    if (!a) return;
    gw_async_stop(a);
    free(a->workers);
    pthread_cond_destroy(&a->job_cv);
    pthread_cond_destroy(&a->audit_cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
    *a_p = NULL;
}
