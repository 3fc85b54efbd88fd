/* gateway_client — who the client is, for the per-address limit on failed authentications
 * and the audit entry of a refusal.
 *
 * Behind a reverse proxy (the county's TLS terminator, a load balancer) every request comes
 * from the proxy. Such a proxy appends the address it saw to X-Forwarded-For; entries to the
 * left of it are whatever the client sent and prove nothing. So the header is read only from
 * a peer in gateway.trusted_proxies, and from the right: the first entry that is not itself a
 * trusted proxy is the client.
 */
#include "gateway_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* text -> 16 bytes (IPv4 as ::ffff:a.b.c.d), so both families compare alike. */
static bool parse_ip(const char *s, size_t n, unsigned char out[16])
{
    char buf[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    struct in_addr v4;
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

static void ip_text(const unsigned char ip[16], char *out, size_t outlen)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(ip, mapped, 12) == 0) inet_ntop(AF_INET, ip + 12, out, (socklen_t)outlen);
    else inet_ntop(AF_INET6, ip, out, (socklen_t)outlen);
}

static bool trusted(const gw_t *gw, const unsigned char ip[16])
{
    for (size_t i = 0; i < gw->nproxies; i++)
        if (memcmp(gw->proxies[i], ip, 16) == 0) return true;
    return false;
}

int gw_proxies_load(gw_t *gw, const sais_config_t *cfg, char *err, size_t errlen)
{
    const char *v = sais_config_get(cfg, "gateway.trusted_proxies");
    gw->nproxies = 0;
    for (const char *p = v ? v : ""; *p;) {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ", ");
        if (n == 0) break;
        size_t max = sizeof gw->proxies / sizeof gw->proxies[0];
        if (gw->nproxies == max || !parse_ip(p, n, gw->proxies[gw->nproxies])) {
            snprintf(err, errlen, "gateway.trusted_proxies: \"%.*s\" is %s", (int)(n > 64 ? 64 : n), p,
                     gw->nproxies == max ? "one too many (16 at most)" : "not an IP address");
            return -1;
        }
        gw->nproxies++;
        p += n;
    }
    return 0;
}

void gw_client_addr(const gw_t *gw, const gw_headers_t *h, char *out, size_t outlen)
{
    unsigned char ip[16];
    if (!h->client) {
        snprintf(out, outlen, "unknown");
        return;
    }
    if (h->client->sa_family == AF_INET) {
        memset(ip, 0, 10);
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, &((const struct sockaddr_in *)h->client)->sin_addr, 4);
    } else if (h->client->sa_family == AF_INET6) {
        memcpy(ip, &((const struct sockaddr_in6 *)h->client)->sin6_addr, 16);
    } else {
        snprintf(out, outlen, "unknown");
        return;
    }
    if (trusted(gw, ip) && h->forwarded_for) {
        /* from the right: the first entry that is not a trusted proxy itself */
        const char *s = h->forwarded_for;
        size_t end = strlen(s);
        while (end > 0) {
            size_t start = end;
            while (start > 0 && s[start - 1] != ',') start--;
            size_t a = start, b = end;
            while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
            while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
            unsigned char fwd[16];
            if (!parse_ip(s + a, b - a, fwd)) break;   /* not what a proxy writes: stop here */
            memcpy(ip, fwd, 16);
            if (!trusted(gw, fwd)) break;
            end = start > 0 ? start - 1 : 0;
        }
    }
    ip_text(ip, out, outlen);
}
