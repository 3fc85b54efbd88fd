/* sais_log — one masked line per call, written with a single write(2) so that lines from
 * different threads (and from child processes sharing stderr) never interleave. */
#include "sais_log.h"
#include "sais_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LINE_STACK 4096            /* most lines fit here: no allocation */
#define LINE_MAX_BYTES (64 * 1024) /* longer messages are cut, with a marker */

static atomic_int s_level = SAIS_LOG_INFO;
static _Thread_local char s_service[SAIS_LOG_SERVICE_MAX];
static _Thread_local char s_request[SAIS_LOG_REQUEST_MAX];

static const char *const s_level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

void
sais_log_set_level(sais_log_level_t lvl)
{
    if (lvl < SAIS_LOG_DEBUG || lvl > SAIS_LOG_ERROR)
        return;
    atomic_store(&s_level, (int)lvl);
}

int
sais_log_level_parse(const char *s, sais_log_level_t *out)
{
    if (s == NULL)
        return -1;
    for (int i = SAIS_LOG_DEBUG; i <= SAIS_LOG_ERROR; i++) {
        if (strcasecmp(s, s_level_names[i]) == 0) {
            if (out)
                *out = (sais_log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        if (out)
            *out = SAIS_LOG_WARN;
        return 0;
    }
    return -1;
}

static void
s_set(char *dst, size_t cap, const char *src)
{
    if (src == NULL || *src == '\0') {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, cap, "%s", src);
}

void
sais_log_set_service(const char *name)
{
    s_set(s_service, sizeof s_service, name);
}

void
sais_log_set_request(const char *request_id)
{
    s_set(s_request, sizeof s_request, request_id);
}

void
sais_log_get_context(char service[SAIS_LOG_SERVICE_MAX], char request[SAIS_LOG_REQUEST_MAX])
{
    memcpy(service, s_service, SAIS_LOG_SERVICE_MAX);
    memcpy(request, s_request, SAIS_LOG_REQUEST_MAX);
}

static bool
s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A maximal run of exactly 18 digits, or of exactly 17 digits followed by X/x, is an ID:
 * shorter or longer digit runs (amounts, sequence numbers, timestamps) are left alone. */
void
sais_log_mask_ids(char *s)
{
    if (s == NULL)
        return;
    size_t i = 0;
    while (s[i]) {
        if (!s_is_digit(s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (s_is_digit(s[i]))
            i++;
        size_t run = i - start;
        size_t idlen = 0;
        if (run == 18)
            idlen = 18;
        else if (run == 17 && (s[i] == 'X' || s[i] == 'x')) {
            idlen = 18;
            i++;
        }
        if (idlen)
            memset(s + start + 6, '*', 11);
    }
}

/* Control characters (a newline in a request id or a feed value) would forge log lines. */
static void
s_flatten(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            s[i] = ' ';
}

static void
s_write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;   /* nowhere left to report a failing stderr */
        }
        buf += w;
        len -= (size_t)w;
    }
}

void
sais_log(sais_log_level_t lvl, const char *fmt, ...)
{
    if (lvl < SAIS_LOG_DEBUG || lvl > SAIS_LOG_ERROR)
        lvl = SAIS_LOG_ERROR;
    if ((int)lvl < atomic_load(&s_level))
        return;
    int saved_errno = errno;

    char ts[21];
    sais_time_format(sais_clock_now(), ts);
    char stack[LINE_STACK];
    char *line = stack;
    size_t cap = sizeof stack;
    int head = snprintf(line, cap, "%s %-5s %s [%s] ", ts, s_level_names[lvl],
                        s_service[0] ? s_service : "-", s_request[0] ? s_request : "-");
    if (head < 0 || (size_t)head >= cap)
        head = 0;

    va_list ap;
    va_start(ap, fmt);
    int body = vsnprintf(line + head, cap - (size_t)head, fmt, ap);
    va_end(ap);
    if (body < 0)
        body = 0;
    size_t len = (size_t)head + (size_t)body;

    if (len + 2 > cap) {
        /* Too long for the stack buffer: format again into the heap, up to a hard cap. */
        size_t want = len + 2 > LINE_MAX_BYTES ? LINE_MAX_BYTES : len + 2;
        char *heap = malloc(want);
        if (heap) {
            memcpy(heap, line, (size_t)head);
            va_start(ap, fmt);
            vsnprintf(heap + head, want - 1 - (size_t)head, fmt, ap);
            va_end(ap);
            line = heap;
            cap = want;
        }
        if (len + 2 > cap) {
            len = cap - 2;
            memcpy(line + len - 3, "...", 3);
        }
    }
    s_flatten(line, len);
    sais_log_mask_ids(line);
    line[len] = '\n';
    line[len + 1] = '\0';
    s_write_all(line, len + 1);
    if (line != stack)
        free(line);
    errno = saved_errno;
}

/* ---- lines that repeat */

static struct {
    pthread_mutex_t mu;
    struct { const void *kind; int64_t minute; unsigned n, held; } k[SAIS_LOG_KINDS];
} s_limit = {.mu = PTHREAD_MUTEX_INITIALIZER};

bool sais_log_allow_at(const void *kind, unsigned per_minute, int64_t minute, unsigned *held)
{
    bool ok = true;
    *held = 0;
    pthread_mutex_lock(&s_limit.mu);
    size_t i = 0, oldest = 0;
    for (; i < SAIS_LOG_KINDS && s_limit.k[i].kind && s_limit.k[i].kind != kind; i++)
        if (s_limit.k[i].minute < s_limit.k[oldest].minute)
            oldest = i;
    if (i == SAIS_LOG_KINDS) {
        i = oldest;
        s_limit.k[i].kind = NULL;
    }
    if (!s_limit.k[i].kind || s_limit.k[i].minute != minute) {
        *held = s_limit.k[i].kind ? s_limit.k[i].held : 0;
        s_limit.k[i].kind = kind;
        s_limit.k[i].minute = minute;
        s_limit.k[i].n = 0;
        s_limit.k[i].held = 0;
    }
    if (++s_limit.k[i].n > per_minute) {
        s_limit.k[i].held++;
        ok = false;
    }
    pthread_mutex_unlock(&s_limit.mu);
    return ok;
}

bool sais_log_allow(const void *kind, unsigned per_minute, unsigned *held)
{
    return sais_log_allow_at(kind, per_minute, sais_clock_ms() / 60000, held);
}
