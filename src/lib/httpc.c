#include "httpc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#define HTTPC_TOKEN_MAX 256
#define HTTPC_URL_MAX 2048

struct httpc {
	CURL *curl;
	char base[HTTPC_URL_MAX];
	char auth[HTTPC_TOKEN_MAX + 32];	/* "Authorization: Bearer ..." */
	int have_auth;
	long timeout_s;
	httpc_abort_fn *abort_fn;	/* polled by curl; non-zero cancels */
	void *abort_cookie;
	char errbuf[CURL_ERROR_SIZE];
	char msg[CURL_ERROR_SIZE + 64];
};

/* A response body accumulated in memory, with a hard cap. */
struct httpc_buf {
	char *p;
	size_t len, cap, max;
	int overflow;
};

/* Where a streaming download goes. */
struct httpc_stream {
	struct httpc *c;
	httpc_sink_fn *sink;
	void *cookie;
	struct httpc_buf errbody;	/* non-2xx bodies are kept for *err */
	int aborted;
};

/* A streaming upload source. */
struct httpc_src {
	const uint8_t *buf;	/* buffer source, or NULL for fd */
	int fd;
	off_t left;
	int failed;
};

static pthread_once_t httpc_once = PTHREAD_ONCE_INIT;
static int httpc_global_ok;

static void
httpc_global_init(void)
{
	httpc_global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

struct httpc *
httpc_new(const char *base_url, long timeout_s)
{
	struct httpc *c;
	size_t n;

	pthread_once(&httpc_once, httpc_global_init);
	if (!httpc_global_ok)
		return NULL;
	if (strncmp(base_url, "http://", 7) != 0 &&
	    strncmp(base_url, "https://", 8) != 0)
		return NULL;
	n = strlen(base_url);
	while (n > 0 && base_url[n - 1] == '/')
		n--;
	if (n >= HTTPC_URL_MAX / 2)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	memcpy(c->base, base_url, n);
	c->timeout_s = timeout_s;
	if ((c->curl = curl_easy_init()) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
httpc_free(struct httpc *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	sodium_memzero(c->auth, sizeof(c->auth));
	free(c);
}

int
httpc_set_token(struct httpc *c, const char *token)
{
	sodium_memzero(c->auth, sizeof(c->auth));
	c->have_auth = 0;
	if (token == NULL)
		return 0;
	if (strlen(token) > HTTPC_TOKEN_MAX)
		return -1;
	/* Header injection: a token is printable ASCII without spaces. */
	for (const char *p = token; *p; p++)
		if (*p <= ' ' || *p > '~')
			return -1;
	snprintf(c->auth, sizeof(c->auth), "Authorization: Bearer %s", token);
	c->have_auth = 1;
	return 0;
}

void
httpc_set_timeout(struct httpc *c, long timeout_s)
{
	c->timeout_s = timeout_s;
}

void
httpc_set_abort(struct httpc *c, httpc_abort_fn *fn, void *cookie)
{
	c->abort_fn = fn;
	c->abort_cookie = cookie;
}

static int
callback_xferinfo(void *cookie, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct httpc *c = cookie;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return c->abort_fn(c->abort_cookie) != 0;
}

const char *
httpc_errmsg(const struct httpc *c)
{
	return c->msg;
}

static int
buf_append(struct httpc_buf *b, const void *data, size_t n)
{
	if (n > b->max - b->len) {
		b->overflow = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static size_t
callback_write_buf(char *data, size_t size, size_t nmemb, void *cookie)
{
	struct httpc_buf *b = cookie;

	if (buf_append(b, data, size * nmemb) != 0)
		return 0;	/* curl reports CURLE_WRITE_ERROR */
	return size * nmemb;
}

static size_t
callback_write_stream(char *data, size_t size, size_t nmemb, void *cookie)
{
	struct httpc_stream *s = cookie;
	long status = 0;

	curl_easy_getinfo(s->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		return callback_write_buf(data, size, nmemb, &s->errbody);
	if (s->sink(s->cookie, (const uint8_t *)data, size * nmemb) != 0) {
		s->aborted = 1;
		return 0;
	}
	return size * nmemb;
}

static size_t
callback_read_src(char *out, size_t size, size_t nmemb, void *cookie)
{
	struct httpc_src *src = cookie;
	size_t want = size * nmemb;
	ssize_t r;

	if ((off_t)want > src->left)
		want = (size_t)src->left;
	if (want == 0)
		return 0;
	if (src->buf != NULL) {
		memcpy(out, src->buf, want);
		src->buf += want;
		src->left -= (off_t)want;
		return want;
	}
	do {
		r = read(src->fd, out, want);
	} while (r < 0 && errno == EINTR);
	if (r <= 0) {
		/* A file that shrank under us must not become a short upload. */
		src->failed = 1;
		return CURL_READFUNC_ABORT;
	}
	src->left -= r;
	return (size_t)r;
}

/*
 * Reset the handle to a clean request for method+path, keeping the
 * connection cache. hdrs receives the header list the caller must free.
 */
static int
prepare(struct httpc *c, const char *method, const char *path,
    const char *ctype, struct curl_slist **hdrs)
{
	char url[HTTPC_URL_MAX * 2];
	char ct[128];
	struct curl_slist *h = NULL, *t;

	*hdrs = NULL;
	c->msg[0] = c->errbuf[0] = '\0';
	if (path[0] != '/' || strlen(path) >= HTTPC_URL_MAX) {
		snprintf(c->msg, sizeof(c->msg), "bad request path");
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
	if (c->abort_fn != NULL) {
		if (c->abort_fn(c->abort_cookie) != 0) {
			snprintf(c->msg, sizeof(c->msg), "cancelled");
			return -1;
		}
		curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION,
		    callback_xferinfo);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	}
	if (c->have_auth) {
		if ((t = curl_slist_append(h, c->auth)) == NULL)
			goto oom;
		h = t;
	}
	if (ctype != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		if ((t = curl_slist_append(h, ct)) == NULL)
			goto oom;
		h = t;
	}
	/* No "Expect: 100-continue" round trip on uploads. */
	if ((t = curl_slist_append(h, "Expect:")) == NULL)
		goto oom;
	h = t;
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	*hdrs = h;
	return 0;
oom:
	curl_slist_free_all(h);
	snprintf(c->msg, sizeof(c->msg), "out of memory");
	return -1;
}

/* Run the prepared request; returns the status or -1. */
static int
perform(struct httpc *c, struct curl_slist *hdrs)
{
	CURLcode rc;
	long status = 0;

	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(hdrs);
	/* The header list is gone: drop curl's pointer to it (and the token). */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(c->msg, sizeof(c->msg), "cancelled");
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(c->msg, sizeof(c->msg), "%s",
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	return (int)status;
}

static json_t *
parse_json(const struct httpc_buf *b)
{
	if (b->len == 0)
		return NULL;
	return json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, NULL);
}

/* Upload helper shared by the buffer and fd variants. */
static int
put_src(struct httpc *c, const char *path, const char *ctype,
    struct httpc_src *src, json_t **resp)
{
	struct httpc_buf b = { .max = HTTPC_JSON_MAX };
	struct curl_slist *hdrs;
	int status;

	if (resp)
		*resp = NULL;
	if (prepare(c, "PUT", path, ctype, &hdrs) != 0)
		return -1;
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)src->left);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, callback_read_src);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, src);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, callback_write_buf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	status = perform(c, hdrs);
	if (src->failed) {
		snprintf(c->msg, sizeof(c->msg), "upload source ended early");
		status = -1;
	}
	if (status > 0 && resp)
		*resp = parse_json(&b);
	free(b.p);
	return status;
}

int
httpc_json(struct httpc *c, const char *method, const char *path,
    json_t *body, json_t **resp)
{
	struct httpc_buf b = { .max = HTTPC_JSON_MAX };
	struct curl_slist *hdrs;
	char *text = NULL;
	int status;

	if (resp)
		*resp = NULL;
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		snprintf(c->msg, sizeof(c->msg), "cannot encode JSON");
		return -1;
	}
	if (prepare(c, method, path, text ? "application/json" : NULL, &hdrs) != 0) {
		free(text);
		return -1;
	}
	if (text != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(text));
	}
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, callback_write_buf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	status = perform(c, hdrs);
	if (b.overflow) {
		snprintf(c->msg, sizeof(c->msg), "response larger than %u bytes",
		    HTTPC_JSON_MAX);
		status = -1;
	}
	if (status > 0 && resp)
		*resp = parse_json(&b);
	if (text != NULL) {
		/* Request bodies carry passwords and recovery material. */
		sodium_memzero(text, strlen(text));
		free(text);
	}
	free(b.p);
	return status;
}

int
httpc_get_stream(struct httpc *c, const char *path, httpc_sink_fn *sink,
    void *cookie, json_t **err)
{
	struct httpc_stream s = { .c = c, .sink = sink, .cookie = cookie,
	    .errbody = { .max = HTTPC_JSON_MAX } };
	struct curl_slist *hdrs;
	int status;

	if (err)
		*err = NULL;
	if (prepare(c, "GET", path, NULL, &hdrs) != 0)
		return -1;
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, callback_write_stream);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	status = perform(c, hdrs);
	if (s.aborted) {
		snprintf(c->msg, sizeof(c->msg), "download aborted by receiver");
		status = -1;
	}
	if (status > 0 && (status < 200 || status > 299) && err)
		*err = parse_json(&s.errbody);
	free(s.errbody.p);
	return status;
}

/* Pull-style body source of httpc_post_stream. */
struct httpc_pull {
	httpc_source_fn *fn;
	void *cookie;
	int failed;
};

static size_t
callback_read_pull(char *buf, size_t size, size_t nmemb, void *cookie)
{
	struct httpc_pull *p = cookie;
	long n = p->fn(p->cookie, (uint8_t *)buf, size * nmemb);

	if (n < 0) {
		p->failed = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;         /* 0 ends the body */
}

int
httpc_post_stream(struct httpc *c, const char *path, const char *ctype,
    httpc_source_fn *src, void *cookie, json_t **resp)
{
	struct httpc_buf b = { .max = HTTPC_JSON_MAX };
	struct httpc_pull p = { .fn = src, .cookie = cookie };
	struct curl_slist *hdrs, *t;
	int status;

	if (resp)
		*resp = NULL;
	if (prepare(c, "POST", path, ctype, &hdrs) != 0)
		return -1;
	/* No length: libcurl sends the body chunked, each read as it comes. */
	if ((t = curl_slist_append(hdrs, "Transfer-Encoding: chunked")) == NULL) {
		curl_slist_free_all(hdrs);
		return -1;
	}
	hdrs = t;
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, callback_read_pull);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &p);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, callback_write_buf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	status = perform(c, hdrs);
	if (p.failed) {
		snprintf(c->msg, sizeof(c->msg), "upload source failed");
		status = -1;
	}
	if (status > 0 && resp)
		*resp = parse_json(&b);
	free(b.p);
	return status;
}

int
httpc_put_buf(struct httpc *c, const char *path, const char *ctype,
    const uint8_t *buf, size_t len, json_t **resp)
{
	struct httpc_src src = { .buf = buf, .fd = -1, .left = (off_t)len };

	/* A zero-length buffer source still needs a non-NULL pointer. */
	if (buf == NULL)
		src.buf = (const uint8_t *)"";
	return put_src(c, path, ctype, &src, resp);
}

int
httpc_put_fd(struct httpc *c, const char *path, const char *ctype, int fd,
    off_t size, json_t **resp)
{
	struct httpc_src src = { .buf = NULL, .fd = fd, .left = size };

	return put_src(c, path, ctype, &src, resp);
}

static const char *
error_field(const json_t *resp, const char *field)
{
	const char *s;

	if (resp == NULL)
		return "";
	s = json_string_value(json_object_get(json_object_get(resp, "error"),
	    field));
	return s ? s : "";
}

const char *
httpc_error_code(const json_t *resp)
{
	return error_field(resp, "code");
}

const char *
httpc_error_message(const json_t *resp)
{
	return error_field(resp, "message");
}
