/* httpc against a tiny in-process libmicrohttpd server on 127.0.0.1. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"
#include "t.h"

struct req {
	char body[8192];
	size_t len;
};

static char last_auth[512];
static size_t last_put_len;

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned code, const char *ctype,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
callback_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **state)
{
	struct req *rq = *state;
	const char *a;

	(void)cls;
	(void)version;
	if (rq == NULL) {
		*state = calloc(1, sizeof(*rq));
		return MHD_YES;
	}
	if (*size) {
		size_t n = *size < sizeof(rq->body) - rq->len ? *size : 0;
		memcpy(rq->body + rq->len, data, n);
		rq->len += n;
		last_put_len += *size;
		*size = 0;
		return MHD_YES;
	}
	a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	snprintf(last_auth, sizeof(last_auth), "%s", a ? a : "");
	if (strcmp(url, "/echo") == 0)
		return reply(conn, 200, "application/json", rq->body, rq->len);
	if (strcmp(url, "/err") == 0) {
		const char *e = "{\"error\":{\"code\":\"forbidden\",\"message\":\"no\"}}";
		return reply(conn, 403, "application/json", e, strlen(e));
	}
	if (strcmp(url, "/big") == 0) {
		size_t n = HTTPC_JSON_MAX + 10;
		char *big = malloc(n);
		enum MHD_Result ret;
		memset(big, ' ', n);
		ret = reply(conn, 200, "application/json", big, n);
		free(big);
		return ret;
	}
	if (strcmp(url, "/blob") == 0) {
		static char blob[300000];
		for (size_t i = 0; i < sizeof(blob); i++)
			blob[i] = (char)(i * 7);
		return reply(conn, 200, "application/octet-stream", blob, sizeof(blob));
	}
	if (strcmp(url, "/slow") == 0) {
		usleep(3000000);	/* a long poll that answers late */
		return reply(conn, 204, "application/json", "", 0);
	}
	if (strcmp(method, "PUT") == 0)
		return reply(conn, 201, "application/json", "{}", 2);
	return reply(conn, 404, "application/json", "{}", 2);
}

static void
callback_done(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*state);
}

struct sink {
	size_t n;
	int bad;
};

static int
callback_sink(void *cookie, const uint8_t *buf, size_t len)
{
	struct sink *s = cookie;

	for (size_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)((s->n + i) * 7))
			s->bad = 1;
	s->n += len;
	return 0;
}

static time_t abort_after;

static int
callback_abort(void *cookie)
{
	struct timespec now;

	(void)cookie;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > abort_after;
}

int
main(void)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct httpc *c;
	json_t *resp = NULL, *body;
	char base[64];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int st;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* loopback only */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, callback_request, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, callback_done, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	if (d == NULL) {
		printf("not ok - start test server\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u/", info->port);

	t_case("non-http URLs are refused");
	T_ASSERT(httpc_new("file:///etc/passwd", 5) == NULL);
	T_ASSERT(httpc_new("gopher://x", 5) == NULL);

	c = httpc_new(base, 10);
	T_ASSERT(c != NULL);

	t_case("JSON round trip with bearer token");
	T_ASSERT(httpc_set_token(c, "u.abc_DEF-123") == 0);
	body = json_pack("{s:s, s:i}", "hello", "world", "n", 42);
	st = httpc_json(c, "POST", "/echo", body, &resp);
	T_EQ(st, 200);
	T_ASSERT(resp && json_integer_value(json_object_get(resp, "n")) == 42);
	T_ASSERT(strcmp(last_auth, "Bearer u.abc_DEF-123") == 0);
	json_decref(body);
	json_decref(resp);

	t_case("token with CR/LF or spaces is refused (no header injection)");
	T_ASSERT(httpc_set_token(c, "u.x\r\nX-Evil: 1") == -1);
	T_ASSERT(httpc_set_token(c, "u.x y") == -1);
	st = httpc_json(c, "GET", "/echo", NULL, &resp);
	T_ASSERT(strcmp(last_auth, "") == 0);	/* the old token was cleared */
	json_decref(resp);

	t_case("error bodies give their stable code");
	st = httpc_json(c, "GET", "/err", NULL, &resp);
	T_EQ(st, 403);
	T_ASSERT(strcmp(httpc_error_code(resp), "forbidden") == 0);
	T_ASSERT(strcmp(httpc_error_message(resp), "no") == 0);
	T_ASSERT(strcmp(httpc_error_code(NULL), "") == 0);
	json_decref(resp);

	t_case("oversized JSON response is a transport error, not a crash");
	st = httpc_json(c, "GET", "/big", NULL, &resp);
	T_EQ(st, -1);
	T_ASSERT(resp == NULL);
	T_ASSERT(strstr(httpc_errmsg(c), "larger") != NULL);

	t_case("streaming download delivers every byte in order");
	{
		struct sink s = { 0 };
		st = httpc_get_stream(c, "/blob", callback_sink, &s, NULL);
		T_EQ(st, 200);
		T_EQ(s.n, 300000);
		T_ASSERT(!s.bad);
	}

	t_case("upload from a file descriptor sends exactly size bytes");
	{
		char path[96];
		int fd = t_mkstemp(path, sizeof(path), "httpc-test");
		char data[100000];
		memset(data, 'a', sizeof(data));
		T_ASSERT(write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
		lseek(fd, 0, SEEK_SET);
		last_put_len = 0;
		st = httpc_put_fd(c, "/put", "application/octet-stream", fd,
		    sizeof(data), &resp);
		T_EQ(st, 201);
		T_EQ(last_put_len, sizeof(data));
		json_decref(resp);
		t_case("upload from a file that is shorter than announced fails");
		lseek(fd, 0, SEEK_SET);
		st = httpc_put_fd(c, "/put", "application/octet-stream", fd,
		    sizeof(data) + 10, &resp);
		T_EQ(st, -1);
		close(fd);
		unlink(path);
	}

	t_case("connection refused is a transport error with a message");
	{
		struct httpc *dead = httpc_new("http://127.0.0.1:1", 5);
		st = httpc_json(dead, "GET", "/", NULL, &resp);
		T_EQ(st, -1);
		T_ASSERT(httpc_errmsg(dead)[0] != '\0');
		httpc_free(dead);
	}

	t_case("a long request is cancelled from outside within about a second");
	{
		struct timespec t0, t1;
		double el;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		abort_after = t0.tv_sec + 1;	/* cancel once a second passed */
		httpc_set_abort(c, callback_abort, &t0);
		st = httpc_json(c, "GET", "/slow", NULL, &resp);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		T_EQ(st, -1);
		T_ASSERT(strcmp(httpc_errmsg(c), "cancelled") == 0);
		T_ASSERT(el < 2.6);
		t_case("a cancelled handle refuses new requests until the abort is removed");
		T_EQ(httpc_json(c, "GET", "/echo", NULL, &resp), -1);
		httpc_set_abort(c, NULL, NULL);
		T_EQ(httpc_json(c, "GET", "/echo", NULL, &resp), 200);
		json_decref(resp);
	}

	httpc_free(c);
	httpc_free(NULL);
	MHD_stop_daemon(d);
	return t_done();
}
