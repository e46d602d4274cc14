/*
 * httpc — the HTTP client shared by sealcam-agent and the sealcam CLI.
 *
 * A thin layer over one libcurl easy handle: the connection is kept alive
 * between calls (agents upload every few seconds), every response body has a
 * fixed maximum, and the bearer token never reaches a log. One httpc per
 * thread; calls on one handle are sequential.
 *
 * Return value of the request functions: the HTTP status (>= 100), or -1 on
 * a transport error (connection refused, timeout, oversized response, ...),
 * with the reason in httpc_errmsg().
 */
#ifndef SEALCAM_HTTPC_H
#define SEALCAM_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct httpc;

/* JSON responses larger than this are a transport error. */
#define HTTPC_JSON_MAX (4u << 20)

/* Streaming callback: consume len bytes; return 0 to go on, -1 to abort. */
typedef int httpc_sink_fn(void *cookie, const uint8_t *buf, size_t len);

/*
 * Create a client for base_url ("http://127.0.0.1:8443", no trailing
 * slash needed). Returns NULL on allocation failure or a URL that is not
 * http(s). timeout_s bounds each whole request (0 = no limit: streaming).
 */
struct httpc *httpc_new(const char *base_url, long timeout_s);

/* Close the connection, wipe the token, free. httpc_free(NULL) is a no-op. */
void httpc_free(struct httpc *c);

/* Use token as "Authorization: Bearer <token>" from now on (copied; NULL
 * clears). Returns 0, or -1 if the token is too long or has bad bytes. */
int httpc_set_token(struct httpc *c, const char *token);

/* Per-request timeout in seconds (0 = none), e.g. longer for long polls. */
void httpc_set_timeout(struct httpc *c, long timeout_s);

/* Polled (about once a second, and as data moves) during a request; a
 * non-zero return aborts it (the request returns -1, "cancelled"). */
typedef int httpc_abort_fn(void *cookie);

/*
 * Let a request in progress be cancelled from outside, e.g. a 25 s long
 * poll or an upload when the agent shuts down. fn NULL removes it.
 */
void httpc_set_abort(struct httpc *c, httpc_abort_fn *fn, void *cookie);

/*
 * Send method + path (e.g. "/v1/login") with an optional JSON body (not
 * stolen). On return *resp holds the parsed response JSON (caller frees) or
 * NULL if the body was empty or not JSON.
 */
int httpc_json(struct httpc *c, const char *method, const char *path,
    json_t *body, json_t **resp);

/*
 * GET path and hand the body to sink as it arrives, only for 2xx answers;
 * for other statuses the (JSON error) body is parsed into *err if err is
 * non-NULL. The sink's -1 aborts the transfer (returns -1).
 */
int httpc_get_stream(struct httpc *c, const char *path, httpc_sink_fn *sink,
    void *cookie, json_t **err);

/* PUT len bytes from buf with the given content type. */
int httpc_put_buf(struct httpc *c, const char *path, const char *ctype,
    const uint8_t *buf, size_t len, json_t **resp);

/* PUT size bytes read from fd (from its current offset), streamed. */
int httpc_put_fd(struct httpc *c, const char *path, const char *ctype,
    int fd, off_t size, json_t **resp);

/*
 * Body source for httpc_post_stream: fill up to max bytes of buf; return
 * how many (0 = end of body), or -1 to abort. It may block until it has
 * data (the call runs on the caller's thread).
 */
typedef long httpc_source_fn(void *cookie, uint8_t *buf, size_t max);

/* POST a body of unknown length, chunked, pulled from src as it is made
 * (a live stream). Returns the status when the body ended and the server
 * answered, or -1 (the server closed the connection, src aborted, ...). */
int httpc_post_stream(struct httpc *c, const char *path, const char *ctype,
    httpc_source_fn *src, void *cookie, json_t **resp);

/* The "error.code" string of a PROTOCOL.md error body, or "" if none. */
const char *httpc_error_code(const json_t *resp);

/* The "error.message" string, or "" if none. */
const char *httpc_error_message(const json_t *resp);

/* Text of the last transport error (valid until the next call). */
const char *httpc_errmsg(const struct httpc *c);

#endif
