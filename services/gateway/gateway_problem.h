/* gateway_problem — the answer the gateway is about to send, and RFC 9457 problem documents
 * (API.md "Conventions": type, title, status, detail, errors[]).
 *
 * A gw_resp_t owns its body (malloc) or its file descriptor; gw_resp_reset frees either.
 */
#ifndef GATEWAY_PROBLEM_H
#define GATEWAY_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    bool     ready;        /* an answer has been decided */
    int      status;
    char     ctype[64];
    char    *body;         /* owned */
    size_t   len;
    int      fd;           /* owned, -1 if none: a static file to send instead of body */
    uint64_t fd_size;
    char     xname[24];    /* one extra header ("Allow", "Location", "WWW-Authenticate"), */
    char     xvalue[160];  /* or "" */
} gw_resp_t;

void gw_resp_init(gw_resp_t *r);
void gw_resp_reset(gw_resp_t *r);   /* frees, back to init state */

/* Takes ownership of body (malloc'd, may be NULL with len 0). Returns 0; on a NULL body with
 * len > 0 falls back to a 503 problem and returns -1. */
int gw_resp_take(gw_resp_t *r, int status, const char *ctype, char *body, size_t len);
/* Copies bytes. 0, or -1 (answer becomes a bare 503). */
int gw_resp_copy(gw_resp_t *r, int status, const char *ctype, const void *p, size_t n);


/* A problem document: type "https://sais.example/problems/<code>", errors []. */
void gw_problem(gw_resp_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A problem with one entry in errors: {"field", "code", "message"}. */
void gw_problem_field(gw_resp_t *r, int status, const char *code, const char *detail,
                      const char *field, const char *ecode, const char *message);

#endif
