/* bare_mhd — the HTTP ceiling for the benchmarks: libmicrohttpd answering every request with
 * a fixed JSON body the size of a GET /v1/persons answer, and nothing else (no routing, no
 * auth, no service behind it). SAIS's gateway is measured against it on the same machine
 * with the same client.
 *
 *   bare_mhd PORT [THREADS]     listens on 127.0.0.1:PORT until SIGINT/SIGTERM
 *
 * Poll mode and a response queued on the handler's second call, as the gateway does
 * (DESIGN.md: epoll stalls at 128/256/384 connections per thread in 0.9.75; queueing on the
 * first call closes the connection after every request). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] =
    "{\"id_number\":\"330326196811064272\",\"name\":\"\xe7\xa8\x8b\xe5\xbb\xba\xe5\x8d\x8e\","
    "\"sex\":\"M\",\"birth_date\":\"1968-11-06\",\"region\":\"330326\","
    "\"household_id\":\"H330326000001\",\"relation\":\"head\",\"phone\":\"15563723049\","
    "\"status\":\"active\",\"disability\":null,\"income_monthly_avg_12m\":1800.00,"
    "\"medical_oop_12m\":40200.00,\"entitlements\":[],\"open_alerts\":[]}";

static struct MHD_Response *response;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (*state == NULL) {       /* first call: headers only; answer on the next */
        *state = (void *)1;
        return MHD_YES;
    }
    if (*size) {                /* a body we do not read */
        *size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bare_mhd PORT [THREADS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
    if (port <= 0 || port > 65535 || threads < 1) {
        fprintf(stderr, "bare_mhd: bad port or thread count\n");
        return 2;
    }
    response = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!response || MHD_add_response_header(response, "Content-Type", "application/json") != MHD_YES) {
        fprintf(stderr, "bare_mhd: out of memory\n");
        return 1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, (uint16_t)port, NULL, NULL, answer, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bare_mhd: cannot listen on 127.0.0.1:%d\n", port);
        MHD_destroy_response(response);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("bare_mhd listening on 127.0.0.1:%d with %u thread(s)\n", port, threads);
    fflush(stdout);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    return 0;
}
