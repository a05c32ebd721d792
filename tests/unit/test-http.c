/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-http.c: transport/http.c's pure parts: the URL redaction every
 * message goes through, Retry-After, which statuses are retried, and that
 * a refused connection fails with FERRY_ERROR_NETWORK after the retries,
 * naming the URL without its query string.
 */
#include <config.h>

#include <string.h>

#include "transport/transport.h"

static void
test_redact(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "https://s3.amazonaws.com/b/k?X-Amz-Signature=abc&x=1",
          "https://s3.amazonaws.com/b/k?..." },
        { "http://user:secret@127.0.0.1:5000/path", "http://127.0.0.1:5000/path" },
        { "https://h/p#frag", "https://h/p" },
        { "https://h/a\nforged", "https://h/a?forged" },
        { "https://h", "https://h" },
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *r = http_redact_url(cases[i].in);

        g_assert_cmpstr(r, ==, cases[i].out);
    }
}

static void
test_retry_after(void)
{
    g_assert_cmpint(http_parse_retry_after("3", 0), ==, 3);
    g_assert_cmpint(http_parse_retry_after(" 120 ", 0), ==,
                    HTTP_MAX_RETRY_AFTER_S);
    g_assert_cmpint(http_parse_retry_after("3x", 0), ==, -1);
    g_assert_cmpint(http_parse_retry_after(NULL, 0), ==, -1);
    g_assert_cmpint(http_parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT",
                                           1445412480), ==, 5);
    g_assert_cmpint(http_parse_retry_after("not a date", 0), ==, -1);
}

static void
test_retryable(void)
{
    g_assert_true(http_status_is_retryable(503));
    g_assert_true(http_status_is_retryable(429));
    g_assert_true(http_status_is_retryable(500));
    g_assert_false(http_status_is_retryable(403));
    g_assert_false(http_status_is_retryable(404));
}

/* A TCP socket bound to a free port of 127.0.0.1, not listening yet. */
static GSocket *
loopback_socket(guint16 *port)
{
    g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4,
                                        G_SOCKET_TYPE_STREAM, 0, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(
        G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_assert_nonnull(s);
    g_assert_true(g_socket_bind(s, any, FALSE, NULL));
    bound = g_socket_get_local_address(s, NULL);
    *port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    return g_steal_pointer(&s);
}

static void
test_connection_refused(void)
{
    g_autoptr(GSocket) s = NULL;
    g_autoptr(HttpClient) c = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *url = NULL;
    g_auto(HttpResponse) resp = { 0 };
    HttpClientOptions opts = { 0 };
    HttpRequest req = { 0 };
    guint16 port;

    /* A port bound but not listening refuses connections. */
    s = loopback_socket(&port);
    url = g_strdup_printf("http://127.0.0.1:%u/b/k?X-Amz-Signature=s3cr3t",
                          port);
    opts.max_retries = 2;
    opts.backoff_ms = 10;
    c = http_client_new(&opts, &error);
    g_assert_no_error(error);
    req.method = "GET";
    req.url = url;
    g_assert_false(http_client_send(c, &req, &resp, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK);
    g_assert_null(strstr(error->message, "s3cr3t"));
    g_assert_nonnull(strstr(error->message, "/b/k?..."));
    g_assert_cmpuint(resp.attempts, ==, 3);
}

/* Accepts two connections and answers each with half a header section. */
static gpointer
half_headers_server(gpointer data)
{
    GSocket *s = data;
    static const char half[] = "HTTP/1.0 200 OK\r\nContent-Ty";
    guint i;

    for (i = 0; i < 2; i++) {
        g_autoptr(GSocket) c = g_socket_accept(s, NULL, NULL);
        char buf[4096];

        if (!c)
            break;
        (void)g_socket_receive(c, buf, sizeof(buf), NULL, NULL);
        (void)g_socket_send(c, half, strlen(half), NULL, NULL);
        g_socket_close(c, NULL);
    }
    return NULL;
}

/* libcurl returned an empty 200 for a connection closed inside the
 * headers (fault matrix, cloudstack list-close): now a network error,
 * retried. */
static void
test_headers_cut(void)
{
    g_autoptr(GSocket) s = NULL;
    g_autoptr(HttpClient) c = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *url = NULL;
    g_auto(HttpResponse) resp = { 0 };
    HttpClientOptions opts = { 0 };
    HttpRequest req = { 0 };
    GThread *server;
    guint16 port;

    s = loopback_socket(&port);
    g_assert_true(g_socket_listen(s, NULL));
    url = g_strdup_printf("http://127.0.0.1:%u/client/api", port);
    server = g_thread_new("half-headers", half_headers_server, s);
    opts.max_retries = 1;
    opts.backoff_ms = 10;
    c = http_client_new(&opts, &error);
    g_assert_no_error(error);
    req.method = "GET";
    req.url = url;
    g_assert_false(http_client_send(c, &req, &resp, &error));
    g_thread_join(server);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK);
    g_assert_nonnull(strstr(error->message, "in the middle of the answer's headers"));
    g_assert_cmpuint(resp.attempts, ==, 2);
}

static void
test_ca_file_missing(void)
{
    g_autoptr(GError) error = NULL;
    HttpClientOptions opts = { .ca_file = "/nonexistent/ca.pem" };

    g_assert_null(http_client_new(&opts, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "/nonexistent/ca.pem"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/transport/http/redact-url", test_redact);
    g_test_add_func("/transport/http/retry-after", test_retry_after);
    g_test_add_func("/transport/http/retryable-statuses", test_retryable);
    g_test_add_func("/transport/http/connection-refused-retried",
                    test_connection_refused);
    g_test_add_func("/transport/http/ca-file-missing", test_ca_file_missing);
    g_test_add_func("/transport/http/headers-cut-is-network-error",
                    test_headers_cut);
    return g_test_run();
}
