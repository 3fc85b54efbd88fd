/* gateway_static — the web console: regular files under gateway.web_dir, nothing else.
 *
 * The path segments were decoded and cleaned by gw_path_parse ("." and ".." refused, no
 * encoded '/', no NUL); here hidden names are refused too, the joined path is resolved with
 * realpath and must still lie under the console directory (a symlink pointing out of it is
 * not followed), and only a regular file is sent. */
#include "gateway_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},         {".svg", "image/svg+xml"},
    {".png", "image/png"},                 {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"}, {".woff2", "font/woff2"},
    {".map", "application/json"},
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

static void not_found(gw_req_t *rq)
{
    gw_problem(&rq->resp, 404, "not_found", "no such console file");
}

void gw_static_serve(gw_t *gw, gw_req_t *rq)
{
    if (!gw->web_dir[0]) {
        gw_problem(&rq->resp, 404, "not_found", "the console is not installed");
        return;
    }
    /* "/console" -> "/console/" so the page's relative links resolve */
    if (rq->path.nseg == 1) {
        gw_resp_take(&rq->resp, 301, "text/plain; charset=utf-8", NULL, 0);
        snprintf(rq->resp.xname, sizeof rq->resp.xname, "Location");
        snprintf(rq->resp.xvalue, sizeof rq->resp.xvalue, "/console/");
        return;
    }
    char rel[PATH_MAX] = "";
    size_t rl = 0;
    for (size_t i = 1; i < rq->path.nseg; i++) {
        const char *seg = rq->path.seg[i];
        bool last = i + 1 == rq->path.nseg;
        if (seg[0] == '.') goto missing;
        if (seg[0] == '\0' && !last) goto missing;
        const char *piece = seg[0] ? seg : "index.html";
        int n = snprintf(rel + rl, sizeof rel - rl, "/%s", piece);
        if (n < 0 || (size_t)n >= sizeof rel - rl) goto missing;
        rl += (size_t)n;
    }
    char full[PATH_MAX * 2], real[PATH_MAX];
    snprintf(full, sizeof full, "%s%s", gw->web_dir, rel);
    if (!realpath(full, real)) goto missing;
    size_t dl = strlen(gw->web_dir);
    if (strncmp(real, gw->web_dir, dl) != 0 || real[dl] != '/') goto missing;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) goto missing;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        goto missing;
    }
    gw_resp_take(&rq->resp, 200, type_of(real), NULL, 0);
    rq->resp.fd = fd;
    rq->resp.fd_size = (uint64_t)st.st_size;
    return;
missing:
    not_found(rq);
}
