/* Replies and request accessors for handlers; see sais_service.h. */
#include "sais_service.h"
#include "sais_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sais_reply_reset(sais_reply_t *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
    r->status = 0;
    r->content_type[0] = '\0';
}

int sais_reply_bytes(sais_reply_t *r, int status, const char *ctype, const void *p, size_t n)
{
    char *b = malloc(n + 1);
    if (!b)
        return -1;
    if (n)
        memcpy(b, p, n);
    b[n] = '\0';
    sais_reply_reset(r);
    r->body = b;
    r->len = n;
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "%s", ctype);
    return 0;
}

int sais_reply_jw(sais_reply_t *r, int status, sais_jw_t *w)
{
    size_t n = 0;
    char *b = sais_jw_take(w, &n);
    if (!b)
        return -1;
    sais_reply_reset(r);
    r->body = b;
    r->len = n;
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "application/json");
    return 0;
}

int sais_reply_pb(sais_reply_t *r, int status, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    char *b = malloc(n + 1);
    if (!b)
        return -1;
    protobuf_c_message_pack(msg, (uint8_t *)b);
    sais_reply_reset(r);
    r->body = b;
    r->len = n;
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "application/x-protobuf");
    return 0;
}

const char *sais_status_title(int status)
{
    /* RFC 9110 reason phrases for the statuses SAIS answers */
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "Error";
    }
}

static int problem(sais_reply_t *r, int status, const char *code, const char *detail,
                   const char *field, const char *ecode)
{
    sais_jw_t w;
    char type[128];
    sais_jw_init(&w);
    snprintf(type, sizeof type, "https://sais.example/problems/%s", code);
    sais_jw_obj(&w);
    sais_jw_kstr(&w, "type", type);
    sais_jw_kstr(&w, "title", sais_status_title(status));
    sais_jw_kint(&w, "status", status);
    sais_jw_kstr(&w, "detail", detail);
    if (field) {
        sais_jw_key(&w, "errors");
        sais_jw_arr(&w);
        sais_jw_obj(&w);
        sais_jw_kstr(&w, "field", field);
        sais_jw_kstr(&w, "code", ecode);
        sais_jw_kstr(&w, "message", detail);
        sais_jw_obj_end(&w);
        sais_jw_arr_end(&w);
    }
    sais_jw_obj_end(&w);
    if (sais_reply_jw(r, status, &w) != 0) {
        sais_jw_free(&w);
        return -1;
    }
    snprintf(r->content_type, sizeof r->content_type, "application/problem+json");
    return 0;
}

int sais_reply_problem(sais_reply_t *r, int status, const char *code, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return problem(r, status, code, detail, NULL, NULL);
}

int sais_reply_invalid(sais_reply_t *r, const char *field, const char *code, const char *message)
{
    return problem(r, 422, code, message, field, code);
}

const char *sais_req_param(const Sais__Request *req, const char *key)
{
    for (size_t i = 0; i < req->n_params; i++)
        if (strcmp(req->params[i]->key, key) == 0)
            return req->params[i]->value;
    return NULL;
}

const char *sais_req_role(const Sais__Request *req)
{
    return req->caller && req->caller->role ? req->caller->role : "";
}

bool sais_req_sees_region(const Sais__Request *req, const char *region)
{
    const char *role = sais_req_role(req);
    if (!*role || strcmp(role, "admin") == 0 || strcmp(role, "city") == 0)
        return true;
    if (!region || !req->caller)
        return false;
    return sais_region_in_scope(region, req->caller->regions, req->caller->n_regions);
}

int sais_req_limit(const Sais__Request *req)
{
    const char *s = sais_req_param(req, "limit");
    if (!s || !*s)
        return 50;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return (v >= 1 && v <= 1000) ? (int)v : -1;
}
