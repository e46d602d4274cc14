/*
 * http — sealcamd's HTTP front: libmicrohttpd with an epoll thread pool,
 * the request lifecycle (match route -> check access -> read body ->
 * handler -> one response -> one log line and metrics), and the helpers
 * handlers answer with. Error bodies follow PROTOCOL.md:
 * {"error": {"code": "...", "message": "..."}}.
 */
#ifndef SEALCAMD_HTTP_H
#define SEALCAMD_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "routes.h"
#include "store.h"

struct server;
struct http;
struct MHD_Connection;

enum principal_kind { PRINCIPAL_NONE, PRINCIPAL_USER, PRINCIPAL_STAFF, PRINCIPAL_CAMERA };

/* Who is calling, as established by auth.c for the route's access rule. */
struct principal {
	enum principal_kind kind;
	uint8_t account_id[STORE_ID_LEN];   /* users and staff */
	uint8_t token_hash[STORE_HASH_LEN]; /* the session or camera token's hash */
	struct store_camera camera;         /* PRINCIPAL_CAMERA: its own row */
	int cam_is_owner;                   /* {cam} routes: 1 owner, 0 member */
	int has_principal;                  /* staff with an active principal: */
	uint8_t principal_id[STORE_ID_LEN]; /*   its id */
};

/* One request. Handlers read the fields marked (r) and call http_*(). */
struct req {
	struct server *srv;                 /* (r) */
	const struct route *route;          /* (r) matched route */
	struct route_params params;         /* (r) parsed path parameters */
	struct principal who;               /* (r) the caller */
	json_t *json;                       /* (r) BODY_JSON: the parsed object */
	uint64_t content_length;            /* (r) declared body size, if has_length */
	int has_length;                     /* (r) */
	int resumed;                        /* (r) >0 when called again after a suspend */
	int chunked_get;                    /* GET over HTTP/1.1 (see http_stream_socket) */
	void *state;                        /* handler's own, freed by state_free */
	void (*state_free)(struct req *rq);
	/* Internal: */
	struct MHD_Connection *conn;
	struct http *http;
	void *guard;                        /* guard_conn of this connection */
	char *body;                         /* BODY_JSON buffer */
	size_t body_len, body_cap;
	uint64_t bytes_in, bytes_out;
	int64_t start_us;
	unsigned status;                    /* queued status, 0 = none yet */
	int failed;                         /* http_fail() called during the body */
	unsigned fail_status;
	char fail_code[32], fail_msg[160];
	int suspended;
	unsigned suspends;                  /* http_suspend() calls so far */
	char addr[48];                      /* client address (for rate limits) */
	struct req *wnext, *wprev;          /* waitlist links */
	uint8_t wcam[STORE_ID_LEN];
	int64_t wdeadline_ms;
	int woken;
};

/* Start serving (threads running, port bound). NULL on failure (logged). */
struct http *http_start(struct server *srv);

/* The port actually bound (for --port 0). */
unsigned http_port(const struct http *h);

/*
 * Graceful stop: stop accepting, wake long-polls, wait up to grace_s for
 * in-flight requests, then stop the threads and free. NULL is a no-op.
 */
void http_stop(struct http *h, unsigned grace_s);

/* --- answering (each request gets exactly one answer) ------------------- */

/* Reply with a JSON value (stolen; NULL gives a 500). */
void http_reply_json(struct req *rq, unsigned status, json_t *body);

/* Reply with no body (204, 200, 304...). */
void http_reply_empty(struct req *rq, unsigned status);

/* Reply with a PROTOCOL.md error. */
void http_error(struct req *rq, unsigned status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* 429 with Retry-After. */
void http_error_retry(struct req *rq, unsigned retry_after_s, const char *msg);

/* Stream size bytes of fd (taken: closed after sending) with the headers
 * of an immutable sealed object. */
void http_reply_fd(struct req *rq, unsigned status, int fd, uint64_t size,
    const char *ctype, const char *etag);

/*
 * A streamed body of unknown length (chunked): libmicrohttpd calls reader
 * for more whenever the socket has room. A reader with nothing to send
 * suspends conn (MHD_suspend_connection) and returns 0, and whoever makes
 * data resumes it; it ends the body with MHD_CONTENT_READER_END_OF_STREAM
 * or, to make the client see an error, MHD_CONTENT_READER_END_WITH_ERROR.
 * release(cookie) runs once the response is gone (also if this fails).
 * hname/hval: one extra response header (NULL for none).
 */
typedef ssize_t http_stream_fn(void *cookie, struct MHD_Connection *conn,
    char *buf, size_t max);
void http_reply_stream(struct req *rq, unsigned status, const char *ctype,
    const char *hname, const char *hval, http_stream_fn *reader, void *cookie,
    void (*release)(void *cookie));

/* Cap the kernel's send buffer of this request's connection (live
 * streams: keep the backlog where the relay can see it). */
void http_limit_sndbuf(struct req *rq, int bytes);

/*
 * The socket of a GET over HTTP/1.1, whose streamed answer libmicrohttpd
 * sends chunked; -1 for anything else (HEAD, HTTP/1.0: no body or no
 * chunks). While the stream's reader has suspended the connection,
 * libmicrohttpd has no unsent byte of it (it asks the reader only once its
 * write buffer is empty) and does not touch the socket until resumed, so
 * the reader's owner may append whole chunks ("SIZE\r\n" data "\r\n")
 * there itself (relay.c: fan-out without waking each viewer's thread).
 */
int http_stream_socket(struct req *rq);

/*
 * Public, cacheable answers (the transparency log, C2SP tlog-tiles): the
 * given Cache-Control, and CORS open to any origin (anyone may audit the
 * log from a browser). http_reply_public_fd takes fd (closed after
 * sending); http_reply_public copies buf.
 */
void http_reply_public_fd(struct req *rq, unsigned status, int fd,
    uint64_t size, const char *ctype, const char *cache);
void http_reply_public(struct req *rq, unsigned status, const char *ctype,
    const char *cache, const void *buf, size_t len);

/* A file of the viewer (static.c): data must outlive the server; 304
 * sends no body. Cache-Control: no-cache with the ETag. */
void http_reply_static(struct req *rq, unsigned status, const char *ctype,
    const uint8_t *data, size_t len, const char *etag);

/* Plain text (for /metrics). text is copied. */
void http_reply_text(struct req *rq, unsigned status, const char *ctype,
    const char *text, size_t len);

/*
 * While a body is streaming: record an error; the rest of the body is read
 * and dropped, then this error is the answer. Returns -1 (for `return
 * http_fail(...)` in data callbacks).
 */
int http_fail(struct req *rq, unsigned status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* --- reading ------------------------------------------------------------- */

/* A query argument (unescaped) or NULL. */
const char *http_query(struct req *rq, const char *name);

/* A request header or NULL. */
const char *http_header(struct req *rq, const char *name);

/* --- suspending (long-poll) ----------------------------------------------- */

/* Park the connection: no answer now; http_resume() makes libmicrohttpd
 * call the handler again with rq->resumed incremented. */
void http_suspend(struct req *rq);
void http_resume(struct req *rq);

/* Wall-clock milliseconds since the Unix epoch. */
int64_t http_now_ms(void);

#endif
