/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-stdio.c: the wire side of `ferry serve --stdio` (agent/stdio.c):
 * the JSON-RPC request parser on good and hostile lines, the line reader's
 * cap and chunking, options as a{sv}, the response lines, and the D-Bus
 * error names their error codes come from.
 */
#include <config.h>

#include <string.h>

#include "agent/dbus-priv.h"
#include "agent/stdio-priv.h"

static AgentRpcRequest *
parse(const char *line, int *code, JsonNode **id, GError **error)
{
    return agent_rpc_parse(line, strlen(line), code, id, error);
}

/* Expects @line to be refused with @want_code, FERRY_ERROR @domain_code, a
 * message containing @field, and (if @want_id) the id echoed. */
static void
check_refused(const char *line, int want_code, int domain_code, const char *field,
              gint64 want_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) id = NULL;
    int code = 0;

    g_assert_null(agent_rpc_parse(line, strlen(line), &code, &id, &error));
    g_assert_cmpint(code, ==, want_code);
    g_assert_error(error, FERRY_ERROR, domain_code);
    g_assert_nonnull(strstr(error->message, field));
    if (want_id >= 0) {
        g_assert_nonnull(id);
        g_assert_cmpint(json_node_get_int(id), ==, want_id);
    } else {
        g_assert_null(id);
    }
}

static void
test_parse_good_request(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) id = NULL;
    g_autoptr(AgentRpcRequest) req = NULL;
    int code = 0;

    req = parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"cancel\",\"params\":{\"job\":\"3\"}}",
                &code, &id, &error);
    g_assert_no_error(error);
    g_assert_null(id);
    g_assert_cmpstr(req->method, ==, "cancel");
    g_assert_cmpint(json_node_get_int(req->id), ==, 7);
    g_assert_cmpstr(json_object_get_string_member(req->params, "job"), ==, "3");
}

static void
test_parse_notification_and_string_id(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) id = NULL;
    g_autoptr(AgentRpcRequest) n = NULL, s = NULL;
    int code;

    n = parse("{\"jsonrpc\":\"2.0\",\"method\":\"jobs\"}", &code, &id, &error);
    g_assert_no_error(error);
    g_assert_null(n->id);
    g_assert_cmpuint(json_object_get_size(n->params), ==, 0);
    s = parse("{\"jsonrpc\":\"2.0\",\"method\":\"jobs\",\"id\":\"a-1\",\"params\":null}",
              &code, &id, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_node_get_string(s->id), ==, "a-1");
}

static void
test_parse_not_json(void)
{
    check_refused("{\"jsonrpc\":", AGENT_RPC_PARSE_ERROR, FERRY_ERROR_CORRUPT, "request", -1);
    check_refused("garbage", AGENT_RPC_PARSE_ERROR, FERRY_ERROR_CORRUPT, "request", -1);
}

static void
test_parse_nul_byte(void)
{
    const char line[] = "{\"jsonrpc\":\"2.0\",\0\"method\":\"jobs\"}";
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) id = NULL;
    int code;

    g_assert_null(agent_rpc_parse(line, sizeof(line) - 1, &code, &id, &error));
    g_assert_cmpint(code, ==, AGENT_RPC_PARSE_ERROR);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "NUL byte at offset 17"));
}

static void
test_parse_invalid_utf8(void)
{
    check_refused("{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}", AGENT_RPC_PARSE_ERROR,
                  FERRY_ERROR_CORRUPT, "UTF-8", -1);
}

static void
test_parse_deep_nesting(void)
{
    g_autoptr(GString) s = g_string_new("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"a\":");
    guint i;

    for (i = 0; i < 100000; i++)
        g_string_append_c(s, '[');
    check_refused(s->str, AGENT_RPC_PARSE_ERROR, FERRY_ERROR_CORRUPT, "nested", -1);
}

static void
test_parse_brackets_in_strings_do_not_nest(void)
{
    g_autoptr(GString) s = g_string_new("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"a\":\"");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) id = NULL;
    g_autoptr(AgentRpcRequest) req = NULL;
    int code;
    guint i;

    for (i = 0; i < 100; i++)
        g_string_append(s, "[\\\"");
    g_string_append(s, "\"}}");
    req = parse(s->str, &code, &id, &error);
    g_assert_no_error(error);
    g_assert_nonnull(req);
}

static void
test_parse_batch_refused(void)
{
    check_refused("[{\"jsonrpc\":\"2.0\",\"method\":\"jobs\",\"id\":1}]",
                  AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "batches", -1);
}

static void
test_parse_wrong_version_echoes_id(void)
{
    check_refused("{\"jsonrpc\":\"1.0\",\"method\":\"jobs\",\"id\":12}",
                  AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "'jsonrpc'", 12);
    check_refused("{\"method\":\"jobs\",\"id\":13}",
                  AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "'jsonrpc'", 13);
}

static void
test_parse_method_not_string(void)
{
    check_refused("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":14}",
                  AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "'method'", 14);
    check_refused("{\"jsonrpc\":\"2.0\",\"method\":\"\",\"id\":15}",
                  AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "'method'", 15);
}

static void
test_parse_params_array(void)
{
    check_refused("{\"jsonrpc\":\"2.0\",\"method\":\"cancel\",\"params\":[\"3\"],\"id\":16}",
                  AGENT_RPC_INVALID_PARAMS, FERRY_ERROR_INVALID, "'params'", 16);
}

static void
test_parse_id_object_refused(void)
{
    check_refused("{\"jsonrpc\":\"2.0\",\"method\":\"jobs\",\"id\":{\"x\":1}}",
                  AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "'id'", -1);
    check_refused("{\"jsonrpc\":\"2.0\",\"method\":\"jobs\",\"id\":1.5}",
                  AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "'id'", -1);
}

/* Found by fuzz-stdio-request: an empty line reached memchr() as NULL. */
static void
test_parse_empty_line(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) id = NULL;
    int code;

    g_assert_null(agent_rpc_parse(NULL, 0, &code, &id, &error));
    g_assert_cmpint(code, ==, AGENT_RPC_INVALID_REQUEST);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "empty"));
}

static void
test_parse_not_an_object(void)
{
    check_refused("42", AGENT_RPC_INVALID_REQUEST, FERRY_ERROR_INVALID, "object", -1);
}

/* ---- lines ------------------------------------------------------------ */

typedef struct {
    GPtrArray *lines;      /* "!" for a line that was too long */
} Lines;

static void
collect_line(const char *line, gsize len, gboolean too_long, gpointer data)
{
    Lines *l = data;

    g_ptr_array_add(l->lines, too_long ? g_strdup("!") : g_strndup(line, len));
}

static void
check_empty_line(const char *line, gsize len, gboolean too_long, gpointer data)
{
    g_assert_nonnull(line);
    g_assert_cmpuint(len, ==, 0);
    collect_line(line, len, too_long, data);
}

static void
test_lines_empty_line_is_a_string(void)
{
    Lines l = { g_ptr_array_new_with_free_func(g_free) };
    AgentLineReader r;

    agent_line_reader_init(&r, 8);
    agent_line_reader_feed(&r, (const guint8 *)"\n", 1, check_empty_line, &l);
    agent_line_reader_clear(&r);
    g_assert_cmpuint(l.lines->len, ==, 1);
    g_ptr_array_unref(l.lines);
}

static void
feed_in_chunks(AgentLineReader *r, const char *text, gsize chunk, Lines *l)
{
    gsize len = strlen(text), off;

    for (off = 0; off < len; off += chunk)
        agent_line_reader_feed(r, (const guint8 *)text + off, MIN(chunk, len - off),
                               collect_line, l);
}

static void
test_lines_split_across_chunks(void)
{
    Lines l = { g_ptr_array_new_with_free_func(g_free) };
    AgentLineReader r;
    gsize chunk;

    for (chunk = 1; chunk <= 7; chunk++) {
        g_ptr_array_set_size(l.lines, 0);
        agent_line_reader_init(&r, 16);
        feed_in_chunks(&r, "one\ntwo\r\n\nthree", chunk, &l);
        agent_line_reader_finish(&r, collect_line, &l);
        agent_line_reader_clear(&r);
        g_assert_cmpuint(l.lines->len, ==, 4);
        g_assert_cmpstr(l.lines->pdata[0], ==, "one");
        g_assert_cmpstr(l.lines->pdata[1], ==, "two");
        g_assert_cmpstr(l.lines->pdata[2], ==, "");
        g_assert_cmpstr(l.lines->pdata[3], ==, "three");
    }
    g_ptr_array_unref(l.lines);
}

static void
test_lines_overlong_dropped_next_read(void)
{
    Lines l = { g_ptr_array_new_with_free_func(g_free) };
    AgentLineReader r;
    gsize chunk;

    for (chunk = 1; chunk <= 40; chunk += 13) {
        g_ptr_array_set_size(l.lines, 0);
        agent_line_reader_init(&r, 8);
        feed_in_chunks(&r, "12345678\n123456789\nabcdefghijklmnopqrstuvwxyz\r\nok\n",
                       chunk, &l);
        /* Nothing of the long lines is kept while they last. */
        g_assert_cmpuint(r.buf->len, ==, 0);
        agent_line_reader_clear(&r);
        g_assert_cmpuint(l.lines->len, ==, 4);
        g_assert_cmpstr(l.lines->pdata[0], ==, "12345678");
        g_assert_cmpstr(l.lines->pdata[1], ==, "!");
        g_assert_cmpstr(l.lines->pdata[2], ==, "!");
        g_assert_cmpstr(l.lines->pdata[3], ==, "ok");
    }
    g_ptr_array_unref(l.lines);
}

static void
test_lines_crlf_at_the_cap(void)
{
    Lines l = { g_ptr_array_new_with_free_func(g_free) };
    AgentLineReader r;

    agent_line_reader_init(&r, 4);
    feed_in_chunks(&r, "abcd\r\nabcde\r\n", 1, &l);
    agent_line_reader_clear(&r);
    g_assert_cmpuint(l.lines->len, ==, 2);
    g_assert_cmpstr(l.lines->pdata[0], ==, "abcd");
    g_assert_cmpstr(l.lines->pdata[1], ==, "!");
    g_ptr_array_unref(l.lines);
}

static void
test_lines_overlong_last_line(void)
{
    Lines l = { g_ptr_array_new_with_free_func(g_free) };
    AgentLineReader r;

    agent_line_reader_init(&r, 4);
    feed_in_chunks(&r, "abcdefgh", 3, &l);
    agent_line_reader_finish(&r, collect_line, &l);
    agent_line_reader_clear(&r);
    g_assert_cmpuint(l.lines->len, ==, 1);
    g_assert_cmpstr(l.lines->pdata[0], ==, "!");
    g_ptr_array_unref(l.lines);
}

/* ---- options and output ----------------------------------------------- */

static JsonObject *
object_from(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();

    g_assert_true(json_parser_load_from_data(p, text, -1, NULL));
    return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static void
test_options_types(void)
{
    g_autoptr(JsonObject) obj = object_from(
        "{\"kind\":\"test-sleep\",\"bytes\":100,\"all\":true,\"r\":0.5,\"disks\":[\"vda\",\"vdb\"]}");
    g_autoptr(GVariant) v = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree const char **disks = NULL;
    const char *kind;
    gint64 bytes;
    gboolean all;
    double r;

    v = agent_rpc_options_to_variant(obj, &error);
    g_assert_no_error(error);
    g_assert_true(g_variant_lookup(v, "kind", "&s", &kind));
    g_assert_cmpstr(kind, ==, "test-sleep");
    g_assert_true(g_variant_lookup(v, "bytes", "x", &bytes));
    g_assert_cmpint(bytes, ==, 100);
    g_assert_true(g_variant_lookup(v, "all", "b", &all));
    g_assert_true(all);
    g_assert_true(g_variant_lookup(v, "r", "d", &r));
    g_assert_true(g_variant_lookup(v, "disks", "^a&s", &disks));
    g_assert_cmpstr(disks[1], ==, "vdb");
}

static void
test_options_refuse_objects(void)
{
    g_autoptr(JsonObject) obj = object_from("{\"ok\":1,\"nested\":{\"a\":1}}");
    g_autoptr(JsonObject) mixed = object_from("{\"disks\":[\"vda\",3]}");
    g_autoptr(GError) error = NULL;

    g_assert_null(agent_rpc_options_to_variant(obj, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'nested'"));
    g_clear_error(&error);
    g_assert_null(agent_rpc_options_to_variant(mixed, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'disks'"));
}

static void
test_output_lines(void)
{
    g_autoptr(JsonNode) id = json_node_init_string(json_node_alloc(), "x\"1");
    g_autofree char *err = agent_rpc_error_line(id, AGENT_RPC_METHOD_NOT_FOUND, "no\nsuch", NULL);
    g_autofree char *null_id = agent_rpc_error_line(NULL, AGENT_RPC_PARSE_ERROR, "bad", NULL);
    g_autoptr(JsonObject) o = object_from(err);
    g_autoptr(JsonObject) n = object_from(null_id);
    g_autoptr(GError) gerror = g_error_new(FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "x");
    g_autoptr(GError) cancelled = g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");

    g_assert_null(strchr(err, '\n'));
    g_assert_cmpstr(json_object_get_string_member(o, "id"), ==, "x\"1");
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(o, "error"),
                                               "code"), ==, -32601);
    g_assert_true(json_object_get_null_member(n, "id"));
    g_assert_cmpint(agent_rpc_code_for_error(gerror), ==, -32002);
    g_assert_cmpint(agent_rpc_code_for_error(cancelled), ==, AGENT_RPC_CANCELLED);
}

/* Each FERRY_ERROR code travels as its org.ferry.Error name and comes back
 * as the same code (agent/dbus-errors.c), and cancellation as Cancelled. */
static void
test_dbus_error_names_round_trip(void)
{
    guint code;

    agent_dbus_errors_register();
    agent_dbus_errors_register();          /* once is enough; twice is harmless */
    for (code = 0; code < FERRY_ERROR_LAST; code++) {
        g_autoptr(GError) sent = g_error_new(FERRY_ERROR, code, "job 3: field 'x'");
        const char *name = agent_dbus_error_name_for(sent);
        g_autoptr(GError) back = g_dbus_error_new_for_dbus_error(name, "job 3: field 'x'");

        g_assert_true(g_str_has_prefix(name, "org.ferry.Error."));
        g_assert_cmpstr(name, ==, agent_dbus_error_name(code));
        g_assert_error(back, FERRY_ERROR, (gint)code);
        g_dbus_error_strip_remote_error(back);
        g_assert_cmpstr(back->message, ==, "job 3: field 'x'");
    }
    g_assert_cmpstr(agent_dbus_error_name(FERRY_ERROR_NOT_FOUND), ==, "org.ferry.Error.NotFound");
    g_assert_cmpstr(agent_dbus_error_name(FERRY_ERROR_LAST), ==, "org.ferry.Error.Failed");
    {
        g_autoptr(GError) back = g_dbus_error_new_for_dbus_error("org.ferry.Error.Cancelled", "x");

        g_assert_error(back, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent/stdio/parse/good-request", test_parse_good_request);
    g_test_add_func("/agent/stdio/parse/notification-and-string-id",
                    test_parse_notification_and_string_id);
    g_test_add_func("/agent/stdio/parse/not-json", test_parse_not_json);
    g_test_add_func("/agent/stdio/parse/nul-byte", test_parse_nul_byte);
    g_test_add_func("/agent/stdio/parse/invalid-utf8", test_parse_invalid_utf8);
    g_test_add_func("/agent/stdio/parse/nested-too-deep", test_parse_deep_nesting);
    g_test_add_func("/agent/stdio/parse/brackets-in-strings-do-not-nest",
                    test_parse_brackets_in_strings_do_not_nest);
    g_test_add_func("/agent/stdio/parse/batch-refused", test_parse_batch_refused);
    g_test_add_func("/agent/stdio/parse/wrong-version-echoes-id",
                    test_parse_wrong_version_echoes_id);
    g_test_add_func("/agent/stdio/parse/method-not-a-string", test_parse_method_not_string);
    g_test_add_func("/agent/stdio/parse/params-array", test_parse_params_array);
    g_test_add_func("/agent/stdio/parse/id-object-or-fraction", test_parse_id_object_refused);
    g_test_add_func("/agent/stdio/parse/not-an-object", test_parse_not_an_object);
    g_test_add_func("/agent/stdio/parse/empty-line", test_parse_empty_line);
    g_test_add_func("/agent/stdio/lines/empty-line-is-a-string", test_lines_empty_line_is_a_string);
    g_test_add_func("/agent/stdio/lines/split-across-chunks", test_lines_split_across_chunks);
    g_test_add_func("/agent/stdio/lines/overlong-dropped-next-read",
                    test_lines_overlong_dropped_next_read);
    g_test_add_func("/agent/stdio/lines/crlf-at-the-cap", test_lines_crlf_at_the_cap);
    g_test_add_func("/agent/stdio/lines/overlong-last-line", test_lines_overlong_last_line);
    g_test_add_func("/agent/stdio/options/types", test_options_types);
    g_test_add_func("/agent/stdio/options/objects-refused", test_options_refuse_objects);
    g_test_add_func("/agent/stdio/output/lines-are-one-json-object", test_output_lines);
    g_test_add_func("/agent/dbus/errors/names-round-trip", test_dbus_error_names_round_trip);
    return g_test_run();
}
