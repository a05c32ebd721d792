/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-aws-pool.c: providers/aws-pool.c with a send callback that never
 * touches the network: results come back in submission order whatever
 * order the threads finish in, the writer is held to threads + 1 buffers,
 * and the first error of any send is the one every later call returns.
 */
#include <config.h>

#include <string.h>

#include "providers/aws-target-priv.h"

#define POOL_THREADS 4
#define POOL_BUF 4096

typedef struct {
    gint in_flight;              /* g_atomic */
    gint most_in_flight;         /* g_atomic */
    guint64 fail_number;         /* 0: none */
} PoolTest;

static gboolean
pool_test_send(gpointer data, HttpClient *http, guint64 number,
               const guint8 *buf, gsize len, char **result, GError **error)
{
    PoolTest *pt = data;
    gint now = g_atomic_int_add(&pt->in_flight, 1) + 1;
    gint most;

    while ((most = g_atomic_int_get(&pt->most_in_flight)) < now &&
           !g_atomic_int_compare_and_exchange(&pt->most_in_flight, most, now))
        ;
    g_assert_nonnull(http);
    /* Later numbers finish first now and then. */
    g_usleep((number % 3) * 2000);
    g_atomic_int_add(&pt->in_flight, -1);
    if (number == pt->fail_number) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "part %" G_GUINT64_FORMAT ": refused", number);
        return FALSE;
    }
    g_assert_cmpuint(len, ==, POOL_BUF);
    g_assert_cmpuint(buf[0], ==, (guint8)number);
    *result = g_strdup_printf("%" G_GUINT64_FORMAT, number);
    return TRUE;
}

static AwsClient *
pool_test_client(void)
{
    return g_new0(AwsClient, 1);    /* aws_client_new_http() needs no more */
}

static void
test_results_in_order(void)
{
    g_autofree AwsClient *client = pool_test_client();
    PoolTest pt = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(AwsPool) pool = aws_pool_new(client, POOL_THREADS, POOL_BUF,
                                           TRUE, pool_test_send, &pt,
                                           &error);
    const GPtrArray *results;
    guint64 n;

    g_assert_no_error(error);
    for (n = 1; n <= 40; n++) {
        guint8 *buf = aws_pool_get_buffer(pool, &error);

        g_assert_no_error(error);
        memset(buf, (int)n, POOL_BUF);
        g_assert_true(aws_pool_submit(pool, n, POOL_BUF, &error));
    }
    g_assert_true(aws_pool_drain(pool, &error));
    results = aws_pool_get_results(pool);
    g_assert_cmpuint(results->len, ==, 40);
    g_assert_cmpuint(aws_pool_get_submitted(pool), ==, 40);
    for (n = 0; n < 40; n++) {
        g_autofree char *want = g_strdup_printf("%" G_GUINT64_FORMAT, n + 1);

        g_assert_cmpstr(g_ptr_array_index(results, n), ==, want);
    }
    g_assert_cmpint(g_atomic_int_get(&pt.most_in_flight), <=, POOL_THREADS);
    g_assert_cmpint(g_atomic_int_get(&pt.most_in_flight), >, 1);
}

static void
test_first_error_kept(void)
{
    g_autofree AwsClient *client = pool_test_client();
    PoolTest pt = { .fail_number = 5 };
    g_autoptr(GError) error = NULL;
    g_autoptr(AwsPool) pool = aws_pool_new(client, POOL_THREADS, POOL_BUF,
                                           TRUE, pool_test_send, &pt,
                                           &error);
    gboolean ok = TRUE;
    guint64 n;

    g_assert_no_error(error);
    for (n = 1; n <= 40 && ok; n++) {
        guint8 *buf = aws_pool_get_buffer(pool, &error);

        if (!buf)
            break;
        memset(buf, (int)n, POOL_BUF);
        ok = aws_pool_submit(pool, n, POOL_BUF, &error);
    }
    if (!error)
        g_assert_false(aws_pool_drain(pool, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE);
    g_assert_cmpstr(error->message, ==, "part 5: refused");
    g_clear_error(&error);
    /* Every later call gives the same error, never a success. */
    g_assert_null(aws_pool_get_buffer(pool, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE);
    g_clear_error(&error);
    g_assert_false(aws_pool_submit(pool, 99, POOL_BUF, &error));
    g_assert_cmpstr(error->message, ==, "part 5: refused");
    g_clear_error(&error);
    g_assert_false(aws_pool_drain(pool, &error));
    g_assert_cmpstr(error->message, ==, "part 5: refused");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/providers/aws/pool/results-in-submission-order",
                    test_results_in_order);
    g_test_add_func("/providers/aws/pool/first-error-kept",
                    test_first_error_kept);
    return g_test_run();
}
