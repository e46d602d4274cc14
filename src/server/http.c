/*
 * http — libmicrohttpd glue: one epoll thread pool; every request walks
 *
 *   callback_request (first call)   match route, check header size, auth
 *                                   (auth.c), check body type and size
 *   callback_request (body chunks)  JSON into a bounded buffer, or streamed
 *                                   to the route's data callback
 *   callback_request (last call)    parse JSON, run the handler
 *   callback_completed              free, one log line, metrics
 *
 * Answers that can be known from the headers alone (no route, no access,
 * too large, wrong type) are queued on the first call, so the body is never
 * read. libmicrohttpd cannot answer in the middle of a body, so errors found
 * while streaming are recorded (http_fail) and sent once it ends.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "accesswatch.h"
#include "auth.h"
#include "guard.h"
#include "log.h"
#include "metrics.h"
#include "relay.h"
#include "server.h"
#include "ticker.h"
#include "wait.h"
#include "workq.h"

struct http {
	struct server *srv;
	struct MHD_Daemon *d;
	unsigned port;
	pthread_t tick;           /* deadlines: guard, long-polls, live (ticker.h) */
	atomic_int inflight;      /* requests between first call and completion */
};

int64_t
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- answering ------------------------------------------------------------ */

/*
 * Headers on every response, API and viewer alike (PROTOCOL.md "Security
 * headers"). The viewer holds decrypted footage and keys in the page, so
 * the policy admits scripts from this origin only (no inline script or
 * style, no eval; 'wasm-unsafe-eval' lets libsodium.js compile its
 * WebAssembly), talks to this origin only, shows media and images from
 * blob: URLs it made itself, and may not be framed.
 */
static const char csp[] =
	"default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "
	"connect-src 'self'; img-src 'self' blob:; media-src 'self' blob:; "
	"style-src 'self'; worker-src 'self'; manifest-src 'self'; "
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static void
security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	/* The public log is meant to be read from anywhere (CORS *). */
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy",
	    MHD_get_response_header(r, "Access-Control-Allow-Origin") != NULL ?
	    "cross-origin" : "same-origin");
	MHD_add_response_header(r, "Permissions-Policy",
	    "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
}

static void
queue(struct req *rq, unsigned status, struct MHD_Response *r, uint64_t len)
{
	if (r == NULL || rq->status != 0) {
		/* A second answer is a bug in a handler; the first one stands. */
		if (rq->status != 0)
			log_err("http", "route=\"%s\" err=\"answered twice\"",
			    rq->route ? rq->route->path : "-");
		if (r != NULL)
			MHD_destroy_response(r);
		return;
	}
	security_headers(r);
	if (MHD_queue_response(rq->conn, status, r) == MHD_YES) {
		rq->status = status;
		rq->bytes_out = len;
	}
	MHD_destroy_response(r);
}

static void
api_headers(struct MHD_Response *r, const char *ctype)
{
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

void
http_reply_json(struct req *rq, unsigned status, json_t *body)
{
	struct MHD_Response *r;
	char *text;
	size_t len;

	if (body == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	len = strlen(text);
	/* MUST_FREE: libmicrohttpd frees text with free() when sent. */
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return;
	}
	api_headers(r, "application/json");
	queue(rq, status, r, len);
}

void
http_reply_empty(struct req *rq, unsigned status)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);

	if (r != NULL)
		api_headers(r, "application/json");
	queue(rq, status, r, 0);
}

static void verror(struct req *rq, unsigned status, const char *code,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void
verror(struct req *rq, unsigned status, const char *code, const char *fmt,
    va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	http_reply_json(rq, status, json_pack("{s:{s:s, s:s}}", "error", "code",
	    code, "message", msg));
}

void
http_error(struct req *rq, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(rq, status, code, fmt, ap);
	va_end(ap);
}

/* An error with one extra header (Retry-After, Allow). */
static void
error_with_header(struct req *rq, unsigned status, const char *code,
    const char *msg, const char *hname, const char *hval)
{
	struct MHD_Response *r;
	json_t *body;
	char *text;

	body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return;
	}
	api_headers(r, "application/json");
	MHD_add_response_header(r, hname, hval);
	queue(rq, status, r, strlen(text));
}

void
http_error_retry(struct req *rq, unsigned retry_after_s, const char *msg)
{
	char ra[16];

	snprintf(ra, sizeof(ra), "%u", retry_after_s);
	error_with_header(rq, 429, "rate_limited", msg, "Retry-After", ra);
}

void
http_reply_fd(struct req *rq, unsigned status, int fd, uint64_t size,
    const char *ctype, const char *etag)
{
	/* sendfile() where possible; libmicrohttpd closes fd when done. */
	struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);

	if (r == NULL) {
		close(fd);
		http_error(rq, 500, "internal", "cannot stream the object");
		return;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	/* Sealed objects never change under their (camera, kind, seq). */
	MHD_add_response_header(r, "Cache-Control", "private, max-age=31536000, immutable");
	if (etag != NULL)
		MHD_add_response_header(r, "ETag", etag);
	queue(rq, status, r, size);
}

/* The stream's reader, with the connection it may suspend. */
struct stream_ctx {
	http_stream_fn *fn;
	void *cookie;
	void (*release)(void *cookie);
	struct MHD_Connection *conn;
};

static ssize_t
callback_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_ctx *c = cls;

	(void)pos;
	return c->fn(c->cookie, c->conn, buf, max);
}

static void
callback_stream_free(void *cls)
{
	struct stream_ctx *c = cls;

	c->release(c->cookie);
	free(c);
}

void
http_reply_stream(struct req *rq, unsigned status, const char *ctype,
    const char *hname, const char *hval, http_stream_fn *reader, void *cookie,
    void (*release)(void *cookie))
{
	struct stream_ctx *c = malloc(sizeof(*c));
	struct MHD_Response *r = NULL;

	if (c != NULL) {
		*c = (struct stream_ctx){ reader, cookie, release, rq->conn };
		/* Unknown size: chunked. 32 KiB blocks keep syscalls few. */
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024,
		    callback_stream, c, callback_stream_free);
	}
	if (r == NULL) {
		free(c);
		release(cookie);
		http_error(rq, 500, "internal", "cannot start the stream");
		return;
	}
	api_headers(r, ctype);
	if (hname != NULL)
		MHD_add_response_header(r, hname, hval);
	queue(rq, status, r, 0);
}

void
http_limit_sndbuf(struct req *rq, int bytes)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	if (ci != NULL)
		(void)setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &bytes,
		    sizeof(bytes));
}

int
http_stream_socket(struct req *rq)
{
	const union MHD_ConnectionInfo *ci;

	if (!rq->chunked_get)
		return -1;
	ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci != NULL ? ci->connect_fd : -1;
}

static void
public_headers(struct MHD_Response *r, const char *ctype, const char *cache)
{
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", cache);
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
}

void
http_reply_public_fd(struct req *rq, unsigned status, int fd, uint64_t size,
    const char *ctype, const char *cache)
{
	struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);

	if (r == NULL) {
		close(fd);
		http_error(rq, 500, "internal", "cannot send the file");
		return;
	}
	public_headers(r, ctype, cache);
	queue(rq, status, r, size);
}

void
http_reply_public(struct req *rq, unsigned status, const char *ctype,
    const char *cache, const void *buf, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)buf,
	    MHD_RESPMEM_MUST_COPY);

	if (r == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	public_headers(r, ctype, cache);
	queue(rq, status, r, len);
}

void
http_reply_static(struct req *rq, unsigned status, const char *ctype,
    const uint8_t *data, size_t len, const char *etag)
{
	/* PERSISTENT: the viewer's files live as long as the server. */
	struct MHD_Response *r = MHD_create_response_from_buffer(len,
	    data ? (void *)(uintptr_t)data : (void *)"", MHD_RESPMEM_PERSISTENT);

	if (r == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	if (status != 304)
		MHD_add_response_header(r, "Content-Type", ctype);
	/* Names carry no version: revalidate every load (a 304 is cheap). */
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "ETag", etag);
	queue(rq, status, r, len);
}

void
http_reply_text(struct req *rq, unsigned status, const char *ctype,
    const char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text,
	    MHD_RESPMEM_MUST_COPY);

	if (r != NULL) {
		MHD_add_response_header(r, "Content-Type", ctype);
		MHD_add_response_header(r, "Cache-Control", "no-store");
	}
	queue(rq, status, r, len);
}

int
http_fail(struct req *rq, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (rq->failed)
		return -1;            /* the first error is the one reported */
	rq->failed = 1;
	rq->fail_status = status;
	snprintf(rq->fail_code, sizeof(rq->fail_code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(rq->fail_msg, sizeof(rq->fail_msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* --- reading ---------------------------------------------------------------- */

const char *
http_query(struct req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_header(struct req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void
http_suspend(struct req *rq)
{
	rq->suspended = 1;
	rq->suspends++;
	guard_request_body_done(rq->guard);
	MHD_suspend_connection(rq->conn);
}

void
http_resume(struct req *rq)
{
	rq->suspended = 0;
	rq->resumed++;
	MHD_resume_connection(rq->conn);
}

/* --- the request lifecycle ---------------------------------------------------- */

static void
client_addr(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "?");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6) {
		/* One IPv6 client usually owns a whole /64: limit per /64. */
		struct in6_addr a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		memset(a.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a, out, (socklen_t)len);
	}
}

/* Is the Content-Type (ignoring parameters and case) equal to want? */
static int
ctype_is(struct req *rq, const char *want)
{
	const char *ct = http_header(rq, "Content-Type");
	size_t n = strlen(want);

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* First call: everything that can be decided from the request head. */
static void
req_begin(struct req *rq, const char *method, const char *url)
{
	const struct config *cfg = rq->srv->cfg;
	const union MHD_ConnectionInfo *ci;
	const char *cl, *te;
	char allow[64];

	switch (routes_match(method, url, &rq->route, &rq->params, allow, sizeof(allow))) {
	case ROUTE_NOT_FOUND:
		rq->route = NULL;
		http_error(rq, 404, "not_found", "no such endpoint");
		return;
	case ROUTE_BAD_METHOD: {
		char msg[96];
		rq->route = NULL;
		snprintf(msg, sizeof(msg), "use %s", allow);
		error_with_header(rq, 405, "method_not_allowed", msg, "Allow", allow);
		return;
	}
	case ROUTE_FOUND:
		break;
	}
	/* The request line and headers, in bytes (libmicrohttpd has already
	 * refused anything beyond its per-connection memory). */
	ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci != NULL && ci->header_size > cfg->header_max) {
		http_error(rq, 431, "too_large", "request headers over %" PRIu64 " bytes",
		    cfg->header_max);
		return;
	}
	cl = http_header(rq, "Content-Length");
	te = http_header(rq, "Transfer-Encoding");
	if (cl != NULL) {
		char *end;
		errno = 0;
		rq->content_length = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || *end != '\0') {
			http_error(rq, 400, "bad_request", "bad Content-Length");
			return;
		}
		rq->has_length = 1;
	}
	/* Who is calling, and may they? (auth.c answers if not.) */
	if (auth_check(rq) != 0)
		return;
	switch (rq->route->body) {
	case BODY_NONE:
		if (rq->has_length && rq->content_length > cfg->json_max) {
			http_error(rq, 413, "too_large", "this endpoint takes no body");
			return;
		}
		break;
	case BODY_JSON:
		if (!ctype_is(rq, "application/json")) {
			http_error(rq, 415, "unsupported_media_type",
			    "send Content-Type: application/json");
			return;
		}
		if (rq->has_length && rq->content_length > cfg->json_max) {
			http_error(rq, 413, "too_large", "JSON bodies are limited to %" PRIu64
			    " bytes", cfg->json_max);
			return;
		}
		break;
	case BODY_STREAM:
		if (!ctype_is(rq, "application/octet-stream")) {
			http_error(rq, 415, "unsupported_media_type",
			    "send Content-Type: application/octet-stream");
			return;
		}
		if (!rq->has_length || te != NULL) {
			http_error(rq, 411, "bad_request", "Content-Length is required");
			return;
		}
		if (rq->content_length > cfg->max_upload) {
			http_error(rq, 413, "too_large", "objects are limited to %" PRIu64
			    " bytes", cfg->max_upload);
			return;
		}
		if (rq->route->begin(rq) != 0) {
			if (rq->status == 0 && rq->failed)
				http_error(rq, rq->fail_status, rq->fail_code, "%s", rq->fail_msg);
			return;
		}
		break;
	case BODY_LIVE:
		/* A live upload: chunked, as long as the session lasts; the
		 * relay bounds each record and ends it, so no length and no
		 * rate floor (a still scene compresses to very little). */
		if (!ctype_is(rq, "application/octet-stream")) {
			http_error(rq, 415, "unsupported_media_type",
			    "send Content-Type: application/octet-stream");
			return;
		}
		if (rq->route->begin(rq) != 0) {
			if (rq->status == 0 && rq->failed)
				http_error(rq, rq->fail_status, rq->fail_code, "%s", rq->fail_msg);
			return;
		}
		guard_request_begin(rq->guard, -1, http_now_ms());
		guard_request_body_done(rq->guard);
		return;
	}
	guard_request_begin(rq->guard, rq->has_length ? (int64_t)rq->content_length :
	    (te != NULL ? -1 : 0), http_now_ms());
}

static void
req_body(struct req *rq, const char *data, size_t n)
{
	const struct config *cfg = rq->srv->cfg;

	rq->bytes_in += n;
	guard_request_body(rq->guard, n);
	if (rq->failed)
		return;               /* drop the rest, answer at the end */
	if (rq->route->body == BODY_STREAM) {
		(void)rq->route->data(rq, (const uint8_t *)data, n);
		return;
	}
	if (rq->body_len + n > cfg->json_max) {
		http_fail(rq, 413, "too_large", "JSON bodies are limited to %" PRIu64 " bytes",
		    cfg->json_max);
		return;
	}
	if (rq->route->body == BODY_NONE)
		return;
	if (rq->body_len + n > rq->body_cap) {
		size_t cap = rq->body_cap ? rq->body_cap : 1024;
		char *nb;
		while (cap < rq->body_len + n)
			cap *= 2;
		if (cap > cfg->json_max)
			cap = cfg->json_max;
		if ((nb = realloc(rq->body, cap)) == NULL) {
			http_fail(rq, 500, "internal", "out of memory");
			return;
		}
		rq->body = nb;
		rq->body_cap = cap;
	}
	memcpy(rq->body + rq->body_len, data, n);
	rq->body_len += n;
}

/* Last call: the body is complete (or this is a resumed request). Returns
 * whether the handler answered or parked the request. */
static int
req_end(struct req *rq)
{
	/* Not rq->suspended: a fast resumer may have cleared it already. */
	unsigned suspends = rq->suspends;

	if (!rq->resumed)
		guard_request_body_done(rq->guard);
	if (rq->failed) {
		http_error(rq, rq->fail_status, rq->fail_code, "%s", rq->fail_msg);
		return rq->status != 0;
	}
	if (rq->route->body == BODY_JSON && rq->json == NULL) {
		json_error_t jerr;

		rq->json = json_loadb(rq->body ? rq->body : "", rq->body_len,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (rq->json == NULL) {
			http_error(rq, 400, "invalid_json", "malformed JSON at line %d column %d: %s",
			    jerr.line, jerr.column, jerr.text);
			return rq->status != 0;
		}
		if (!json_is_object(rq->json)) {
			http_error(rq, 400, "invalid_json", "expected a JSON object");
			return rq->status != 0;
		}
	}
	rq->route->handler(rq);
	if (rq->suspends != suspends)
		return 1;             /* parked: called again when resumed */
	if (rq->status == 0) {
		log_err("http", "route=\"%s\" err=\"handler gave no answer\"", rq->route->path);
		http_error(rq, 500, "internal", "no answer");
	}
	return rq->status != 0;
}

static enum MHD_Result
callback_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct req *rq = *con_cls;

	if (rq == NULL) {
		const union MHD_ConnectionInfo *ci;

		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->srv = h->srv;
		rq->http = h;
		rq->conn = conn;
		rq->start_us = mono_us();
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		rq->guard = ci ? ci->socket_context : NULL;
		client_addr(conn, rq->addr, sizeof(rq->addr));
		rq->chunked_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 &&
		    strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
		*con_cls = rq;
		atomic_fetch_add(&h->inflight, 1);
		req_begin(rq, method, url);
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (rq->route != NULL && rq->route->body == BODY_LIVE &&
		    rq->status == 0 && !rq->failed) {
			size_t n = *upload_data_size;
			rq->bytes_in += n;
			*upload_data_size = 0;
			/* -2: the session is over; closing is the only way to
			 * stop a client in the middle of its body. */
			return rq->route->data(rq, (const uint8_t *)upload_data, n) == -2 ?
			    MHD_NO : MHD_YES;
		}
		req_body(rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->status != 0)
		return MHD_YES;       /* answered on the first call */
	return req_end(rq) ? MHD_YES : MHD_NO;
}

static void
callback_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req *rq = *con_cls;
	double ms;

	(void)conn;
	if (rq == NULL)
		return;
	*con_cls = NULL;
	wait_unpark(h->srv->waits, rq);
	if (rq->state_free != NULL)
		rq->state_free(rq);
	json_decref(rq->json);
	free(rq->body);
	guard_request_end(rq->guard, http_now_ms());
	ms = (double)(mono_us() - rq->start_us) / 1000.0;
	/* One line per request: the route pattern, never the raw path's
	 * query or any header (tokens live there). */
	log_info("http", "method=%s route=%s status=%u in=%" PRIu64 " out=%" PRIu64
	    " ms=%.1f%s", rq->route ? rq->route->method : "-",
	    rq->route ? rq->route->path : "-", rq->status, rq->bytes_in, rq->bytes_out,
	    ms, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	metrics_request(rq->route ? (int)routes_index(rq->route) : -1, rq->status,
	    ms / 1000.0, rq->bytes_in, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ?
	    rq->bytes_out : 0);
	free(rq);
	atomic_fetch_sub(&h->inflight, 1);
}

static void callback_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void
callback_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (msg[i] == '"')
			msg[i] = '\'';
	log_debug("mhd", "msg=\"%s\"", msg);
}

/*
 * Deadlines: a pass enforces every one that came and learns the earliest
 * left; the ticker sleeps until then, or until someone creates an earlier
 * one (ticker.h). With nothing pending (no slow client, long-poll, event
 * stream, live session or agent channel) the thread does not wake.
 */
static void *
tick_main(void *arg)
{
	struct server *srv = ((struct http *)arg)->srv;
	int64_t now, next, d;

	do {
		now = http_now_ms();
		next = guard_tick(srv->guard, now);
		if ((d = wait_tick(srv->waits, now)) < next)
			next = d;
		if ((d = relay_tick(srv->relay, now)) < next)
			next = d;
		if ((d = accesswatch_tick(srv->watch, now)) < next)
			next = d;
	} while (ticker_sleep(srv->ticker, now, next) == 0);
	return NULL;
}

/* Enough descriptors for max_connections plus files being streamed. */
static void
raise_nofile(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < (rlim_t)want * 2 + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)want * 2 + 64 ? rl.rlim_max :
		    (rlim_t)want * 2 + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct http *
http_start(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->srv = srv;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, cfg->listen, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, cfg->listen, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		log_err("http", "listen=%s err=\"not an IPv4 or IPv6 address\"", cfg->listen);
		free(h);
		return NULL;
	}
	raise_nofile(cfg->max_connections);
	/*
	 * Per-connection memory holds the request head and the read buffer:
	 * the largest head we accept plus read_buffer for body reads. With
	 * max_connections this bounds what slow or idle clients can pin.
	 * libmicrohttpd reads into about half of what is free in it, so the
	 * read size follows read_buffer: with 32 KiB a 2 MiB upload took
	 * ~66 recv calls, each also sending an ACK; with 224 KiB ~19
	 * (bench/ingest: 26.5 k -> 7.4 k recv calls for 400 segments).
	 */
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, callback_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, callback_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 1),
	    MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->header_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(cfg->header_max * 2 + (cfg->read_buffer < (32u << 10) ? 32u << 10 : cfg->read_buffer)),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
	    MHD_OPTION_NOTIFY_COMPLETED, callback_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, guard_callback_connection, srv->guard,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		log_err("http", "listen=%s port=%u err=\"cannot start (address in use?)\"",
		    cfg->listen, cfg->port);
		free(h);
		return NULL;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : cfg->port;
	if (pthread_create(&h->tick, NULL, tick_main, h) != 0) {
		MHD_stop_daemon(h->d);
		free(h);
		return NULL;
	}
	return h;
}

unsigned
http_port(const struct http *h)
{
	return h->port;
}

void
http_stop(struct http *h, unsigned grace_s)
{
	int64_t until;
	MHD_socket lfd;

	if (h == NULL)
		return;
	/* 1. No new connections. */
	lfd = MHD_quiesce_daemon(h->d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	/* 2. Long-polls answer now (they see srv->stopping); live streams and
	 * command channels end. */
	wait_wake_all(h->srv->waits);
	relay_shutdown(h->srv->relay);
	/* 3. In-flight requests get grace_s to finish. */
	until = mono_us() + (int64_t)grace_s * 1000000;
	while (atomic_load(&h->inflight) > 0 && mono_us() < until) {
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&h->inflight) > 0)
		log_warn("http", "action=stop inflight=%d err=\"grace period over, closing\"",
		    atomic_load(&h->inflight));
	ticker_stop(h->srv->ticker);
	pthread_join(h->tick, NULL);
	/* Anyone who parked after step 2 is woken before the threads go, and
	 * commits still running finish (they resume their requests). */
	wait_wake_all(h->srv->waits);
	relay_shutdown(h->srv->relay);
	workq_stop(h->srv->logjobs);
	workq_stop(h->srv->commits);
	MHD_stop_daemon(h->d);
	free(h);
}
