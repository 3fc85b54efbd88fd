/* gateway_problem — see gateway_problem.h. */
#include "gateway_problem.h"
#include "sais_service.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sais_json.h"

/* Sent when even building a problem fails: a fixed body needs no allocation. */
static const char oom_body[] =
    "{\"type\":\"https://sais.example/problems/unavailable\",\"title\":\"Service Unavailable\","
    "\"status\":503,\"detail\":\"the gateway is out of memory\",\"errors\":[]}";

void gw_resp_init(gw_resp_t *r)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

void gw_resp_reset(gw_resp_t *r)
{
    free(r->body);
    if (r->fd >= 0) close(r->fd);
    gw_resp_init(r);
}

static void set_oom(gw_resp_t *r)
{
    gw_resp_reset(r);
    r->ready = true;
    r->status = 503;
    snprintf(r->ctype, sizeof r->ctype, "application/problem+json");
    r->body = strdup(oom_body);
    r->len = r->body ? strlen(r->body) : 0;
}

int gw_resp_take(gw_resp_t *r, int status, const char *ctype, char *body, size_t len)
{
    if (!body && len > 0) {
        set_oom(r);
        return -1;
    }
    gw_resp_reset(r);
    r->ready = true;
    r->status = status;
    snprintf(r->ctype, sizeof r->ctype, "%s", ctype ? ctype : "application/json");
    r->body = body;
    r->len = len;
    return 0;
}

int gw_resp_copy(gw_resp_t *r, int status, const char *ctype, const void *p, size_t n)
{
    char *b = NULL;
    if (n > 0) {
        b = malloc(n);
        if (!b) {
            set_oom(r);
            return -1;
        }
        memcpy(b, p, n);
    }
    return gw_resp_take(r, status, ctype, b, n);
}

static void problem_build(gw_resp_t *r, int status, const char *code, const char *detail,
                          const char *field, const char *ecode, const char *message)
{
    sais_jw_t w;
    sais_jw_init(&w);
    char type[160];
    snprintf(type, sizeof type, "https://sais.example/problems/%s", code);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "type", type);
    sais_jw_kstr(&w, "title", sais_status_title(status));
    sais_jw_kint(&w, "status", status);
    sais_jw_kstr(&w, "detail", detail);
    sais_jw_key(&w, "errors");
    sais_jw_arr(&w);
    if (field) {
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "field", field);
        sais_jw_kstr(&w, "code", ecode);
        sais_jw_kstr(&w, "message", message);
        sais_jw_obj_end(&w);
    }
    sais_jw_arr_end(&w);
    sais_jw_obj_end(&w);
    size_t len = 0;
    char *body = sais_jw_take(&w, &len);
    sais_jw_free(&w);
    if (!body) {
        set_oom(r);
        return;
    }
    gw_resp_take(r, status, "application/problem+json", body, len);
}

void gw_problem(gw_resp_t *r, int status, const char *code, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    problem_build(r, status, code, detail, NULL, NULL, NULL);
}

void gw_problem_field(gw_resp_t *r, int status, const char *code, const char *detail,
                      const char *field, const char *ecode, const char *message)
{
    problem_build(r, status, code, detail, field, ecode, message);
}
