/* gateway_metrics — request counts and latency histograms per route and status, in the
 * Prometheus text format. One small mutex guards the table: an observation is a few adds. */
#include "gateway_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_SLOTS 12            /* the last one gathers any further status ("other") */
static const int64_t bucket_us[] = {1000,   5000,   10000,   25000,   50000,   100000,
                                    250000, 500000, 1000000, 2500000, 5000000, 10000000};
#define NBUCKETS (sizeof bucket_us / sizeof bucket_us[0])

typedef struct {
    int      status;               /* 0: slot unused; -1: "other" */
    uint64_t count;
    uint64_t sum_us;
    uint64_t bucket[NBUCKETS];     /* not cumulative; summed when rendered */
} slot_t;

struct gw_metrics_t {
    pthread_mutex_t mu;
    size_t          nroutes;       /* gw_nroutes + 1 (unmatched) */
    slot_t         *slots;         /* nroutes * STATUS_SLOTS */
};

gw_metrics_t *gw_metrics_new(void)
{
    gw_metrics_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nroutes = gw_nroutes + 1;
    m->slots = calloc(m->nroutes * STATUS_SLOTS, sizeof *m->slots);
    if (!m->slots || pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m->slots);
        free(m);
        return NULL;
    }
    return m;
}

void gw_metrics_destroy(gw_metrics_t **m_p)
{
    if (!m_p || !*m_p) return;
    pthread_mutex_destroy(&(*m_p)->mu);
    free((*m_p)->slots);
    free(*m_p);
    *m_p = NULL;
}

void gw_metrics_observe(gw_metrics_t *m, size_t route, int status, int64_t micros)
{
    if (!m) return;
    if (route >= m->nroutes) route = m->nroutes - 1;
    if (micros < 0) micros = 0;
    pthread_mutex_lock(&m->mu);
    slot_t *row = m->slots + route * STATUS_SLOTS, *s = NULL;
    for (size_t i = 0; i < STATUS_SLOTS - 1 && !s; i++) {
        if (row[i].status == status) s = &row[i];
        else if (row[i].status == 0) {
            row[i].status = status;
            s = &row[i];
        }
    }
    if (!s) {
        s = &row[STATUS_SLOTS - 1];
        s->status = -1;
    }
    s->count++;
    s->sum_us += (uint64_t)micros;
    for (size_t b = 0; b < NBUCKETS; b++) {
        if (micros <= bucket_us[b]) {
            s->bucket[b]++;
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
}

void gw_text_add(gw_text_t *t, const char *fmt, ...)
{
    if (t->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->buf && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 8192;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->failed = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
}

static void route_label(size_t i, char *out, size_t len)
{
    if (i < gw_nroutes) snprintf(out, len, "%s %s", gw_routes[i].method, gw_routes[i].pattern);
    else snprintf(out, len, "unmatched");
}

static void status_label(int status, char *out, size_t len)
{
    if (status < 0) snprintf(out, len, "other");
    else snprintf(out, len, "%d", status);
}

void gw_metrics_render(gw_metrics_t *m, gw_text_t *t)
{
    size_t total = m->nroutes * STATUS_SLOTS;
    slot_t *copy = malloc(total * sizeof *copy);
    if (!copy) {
        t->failed = true;
        return;
    }
    pthread_mutex_lock(&m->mu);
    memcpy(copy, m->slots, total * sizeof *copy);
    pthread_mutex_unlock(&m->mu);

    char route[160], st[16];
    gw_text_add(t, "# HELP sais_http_requests_total HTTP requests answered, by route and status.\n"
                   "# TYPE sais_http_requests_total counter\n");
    for (size_t r = 0; r < m->nroutes; r++) {
        route_label(r, route, sizeof route);
        for (size_t i = 0; i < STATUS_SLOTS; i++) {
            const slot_t *s = &copy[r * STATUS_SLOTS + i];
            if (!s->status) continue;
            status_label(s->status, st, sizeof st);
            gw_text_add(t, "sais_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n", route, st,
                        (unsigned long long)s->count);
        }
    }
    gw_text_add(t, "# HELP sais_http_request_duration_seconds Time to answer, by route and status.\n"
                   "# TYPE sais_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < m->nroutes; r++) {
        route_label(r, route, sizeof route);
        for (size_t i = 0; i < STATUS_SLOTS; i++) {
            const slot_t *s = &copy[r * STATUS_SLOTS + i];
            if (!s->status) continue;
            status_label(s->status, st, sizeof st);
            uint64_t cum = 0;
            for (size_t b = 0; b < NBUCKETS; b++) {
                cum += s->bucket[b];
                gw_text_add(t,
                            "sais_http_request_duration_seconds_bucket{route=\"%s\",status=\"%s\","
                            "le=\"%lld.%06lld\"} %llu\n",
                            route, st, (long long)(bucket_us[b] / 1000000),
                            (long long)(bucket_us[b] % 1000000), (unsigned long long)cum);
            }
            gw_text_add(t,
                        "sais_http_request_duration_seconds_bucket{route=\"%s\",status=\"%s\","
                        "le=\"+Inf\"} %llu\n",
                        route, st, (unsigned long long)s->count);
            gw_text_add(t, "sais_http_request_duration_seconds_sum{route=\"%s\",status=\"%s\"} %llu.%06llu\n",
                        route, st, (unsigned long long)(s->sum_us / 1000000),
                        (unsigned long long)(s->sum_us % 1000000));
            gw_text_add(t, "sais_http_request_duration_seconds_count{route=\"%s\",status=\"%s\"} %llu\n",
                        route, st, (unsigned long long)s->count);
        }
    }
    free(copy);
}
