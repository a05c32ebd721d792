/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stdio-priv.h: `ferry serve --stdio`, JSON-RPC 2.0 over newline-delimited
 * JSON on stdin/stdout: the line reader and request parser (agent/stdio.c,
 * hostile input, fuzzable and unit-tested) and the methods
 * (agent/stdio-methods.c).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "agent/agent.h"

/* A request line longer than this is answered with an error and skipped
 * without being buffered: a real request is a few hundred bytes. */
#define AGENT_RPC_MAX_REQUEST_BYTES (1024 * 1024)
/* Arrays and objects nested deeper than this are refused before json-glib
 * (a recursive parser) sees them. */
#define AGENT_RPC_MAX_DEPTH 32

/* JSON-RPC 2.0's codes (section 5.1), and ferry's in its server range:
 * AGENT_RPC_FERRY_ERROR - FerryError code, AGENT_RPC_CANCELLED for a
 * cancelled operation. */
enum {
    AGENT_RPC_PARSE_ERROR = -32700,
    AGENT_RPC_INVALID_REQUEST = -32600,
    AGENT_RPC_METHOD_NOT_FOUND = -32601,
    AGENT_RPC_INVALID_PARAMS = -32602,
    AGENT_RPC_INTERNAL_ERROR = -32603,
    AGENT_RPC_FERRY_ERROR = -32000,      /* .. -32010 */
    AGENT_RPC_CANCELLED = -32050,
};

typedef struct {
    JsonNode *id;          /* string, integer or null; NULL: a notification */
    char *method;
    JsonObject *params;    /* never NULL: {} when absent */
} AgentRpcRequest;

void agent_rpc_request_free(AgentRpcRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentRpcRequest, agent_rpc_request_free)

/**
 * agent_rpc_parse:
 * @line: one request, without its newline (need not be NUL-terminated)
 * @code: set to the JSON-RPC error code on failure
 * @id: set, on failure, to the request's id if one could be read (for the
 *      error response), else NULL
 * @error: FERRY_ERROR_CORRUPT (not JSON), FERRY_ERROR_INVALID (not a
 *         request); the message names the member at fault
 */
AgentRpcRequest *agent_rpc_parse(const char *line, gsize len, int *code,
                                 JsonNode **id, GError **error);

/* Response and notification lines (no newline; owned). */
char *agent_rpc_result_line(JsonNode *id, JsonNode *result);
char *agent_rpc_error_line(JsonNode *id, int code, const char *message,
                           JsonNode *data);
char *agent_rpc_notification_line(const char *method, JsonNode *params);
/* The JSON-RPC code and data for a GError from the agent. */
int agent_rpc_code_for_error(const GError *error);

/* Cuts a byte stream into lines of at most @max bytes; a longer line is
 * reported once (too_long, len 0) when its newline arrives, and its bytes
 * are dropped as they come.  "\r\n" ends a line as "\n" does. */
typedef void (*AgentLineFunc)(const char *line, gsize len, gboolean too_long,
                              gpointer data);

typedef struct {
    GByteArray *buf;
    gsize max;
    gboolean discarding;
} AgentLineReader;

void agent_line_reader_init(AgentLineReader *reader, gsize max);
void agent_line_reader_clear(AgentLineReader *reader);
void agent_line_reader_feed(AgentLineReader *reader, const guint8 *data,
                            gsize len, AgentLineFunc func, gpointer user_data);
/* End of input: a last line without a newline still counts. */
void agent_line_reader_finish(AgentLineReader *reader, AgentLineFunc func,
                              gpointer user_data);

/* Converts a JSON object of options to an a{sv}: strings, integers (x),
 * booleans, numbers (d) and arrays of strings (as); FERRY_ERROR_INVALID
 * naming the member otherwise. */
GVariant *agent_rpc_options_to_variant(JsonObject *obj, GError **error);

/* agent/stdio-methods.c: serve stdin/stdout until end of input. */
int agent_rpc_serve(gboolean session, const char *address);
