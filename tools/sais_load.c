/* sais_load — see sais_load.h. */
#include "sais_load.h"
#include "sais_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1u << 20)
#define TIMEOUT_MS 120000

static int expect_ok(Sais__Reply *rep, const char *what, const char *path)
{
    if (rep->status == 200)
        return 0;
    fprintf(stderr, "sais load %s: %s answered %d: %.*s\n", path, what, rep->status, (int)rep->body.len,
            (const char *)rep->body.data);
    return -1;
}

int sais_load_file(sais_client_t *client, const char *source, const char *path, const char *batch_id)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t pl = strlen(path);
    const char *format = (pl > 4 && strcmp(path + pl - 4, ".csv") == 0) ? "csv" : "ndjson";
    Sais__Reply *rep = NULL;
    char session[64] = "";
    char *buf = malloc(CHUNK);
    int rc = -1;
    if (!buf)
        goto out;
    if (sais_client_callv(client, "ingest", "feed.begin", NULL, 0, TIMEOUT_MS, &rep, "source", source,
                          "batch_id", batch_id, "format", format, NULL) != SAIS_CALL_OK) {
        fprintf(stderr, "sais load %s: ingest does not answer\n", path);
        goto out;
    }
    if (expect_ok(rep, "feed.begin", path) != 0)
        goto out;
    char err[128];
    json_t *j = sais_json_parse_object(rep->body.data, rep->body.len, err, sizeof err);
    const char *s = j ? sais_json_str(j, "session") : NULL;
    snprintf(session, sizeof session, "%s", s ? s : "");
    json_decref(j);
    sais__reply__free_unpacked(rep, NULL);
    rep = NULL;
    for (;;) {
        size_t n = fread(buf, 1, CHUNK, f);
        if (n == 0)
            break;
        if (sais_client_callv(client, "ingest", "feed.chunk", buf, n, TIMEOUT_MS, &rep, "session", session,
                              NULL) != SAIS_CALL_OK) {
            fprintf(stderr, "sais load %s: ingest does not answer\n", path);
            goto out;
        }
        if (expect_ok(rep, "feed.chunk", path) != 0)
            goto out;
        sais__reply__free_unpacked(rep, NULL);
        rep = NULL;
    }
    if (ferror(f)) {
        perror(path);
        goto out;
    }
    if (sais_client_callv(client, "ingest", "feed.end", NULL, 0, TIMEOUT_MS, &rep, "session", session, NULL)
        != SAIS_CALL_OK) {
        fprintf(stderr, "sais load %s: ingest does not answer\n", path);
        goto out;
    }
    if (expect_ok(rep, "feed.end", path) != 0)
        goto out;
    json_t *r = sais_json_parse_object(rep->body.data, rep->body.len, err, sizeof err);
    if (r) {
        fprintf(stderr, "  %-10s %8lld accepted %6lld duplicates %6lld rejected\n", source,
                (long long)json_integer_value(json_object_get(r, "accepted")),
                (long long)json_integer_value(json_object_get(r, "duplicates")),
                (long long)json_integer_value(json_object_get(r, "rejected")));
        json_decref(r);
    }
    rc = 0;
out:
    if (rep)
        sais__reply__free_unpacked(rep, NULL);
    free(buf);
    fclose(f);
    return rc;
}
