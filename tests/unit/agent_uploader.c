/*
 * Unit tests for src/agent/uploader against a small in-process HTTP server
 * on 127.0.0.1 that plays sealcamd's upload route: acknowledgements,
 * idempotent repeats, transient 5xx, permanent 4xx, an outage.
 */
#include "t.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "../../src/agent/spool.h"
#include "../../src/agent/uploader.h"

#define NSEQ 32

static atomic_int got[NSEQ];		/* 2xx answers per seq */
static atomic_int tries[NSEQ];		/* requests per seq */
static atomic_int bad_auth;
static atomic_size_t bytes[NSEQ];

struct req { size_t n; };

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body),
	    (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
callback_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **state)
{
	struct req *rq = *state;
	const char *a;
	unsigned long seq;

	(void)cls;
	(void)version;
	(void)data;
	if (rq == NULL) {
		*state = calloc(1, sizeof(*rq));
		return MHD_YES;
	}
	if (*size) {
		rq->n += *size;
		*size = 0;
		return MHD_YES;
	}
	a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (a == NULL || strcmp(a, "Bearer c.test-token") != 0) {
		atomic_fetch_add(&bad_auth, 1);
		return reply(c, 401, "{\"error\":{\"code\":\"unauthorized\"}}");
	}
	if (strcmp(method, "PUT") != 0 ||
	    strncmp(url, "/v1/camera/objects/segment/", 27) != 0)
		return reply(c, 404, "{\"error\":{\"code\":\"not_found\"}}");
	seq = strtoul(url + 27, NULL, 10);
	if (seq >= NSEQ)
		return reply(c, 400, "{}");
	atomic_fetch_add(&tries[seq], 1);
	if (seq == 3)
		return reply(c, 400, "{\"error\":{\"code\":\"bad_container\","
		    "\"message\":\"truncated\"}}");
	if (seq == 5 && atomic_load(&tries[seq]) <= 2)
		return reply(c, 503, "{\"error\":{\"code\":\"internal\"}}");
	atomic_store(&bytes[seq], rq->n);
	/* A repeat of stored bytes is 200, as sealcamd answers. */
	return reply(c, atomic_fetch_add(&got[seq], 1) ? 200 : 201, "{}");
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

static struct MHD_Daemon *
serve(unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, callback_request, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, callback_done, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
}

static void
put(struct spool *s, uint64_t seq, size_t len)
{
	struct spool_item it = { .start_ms = 1000 + (int64_t)seq, .seq = seq };
	char buf[4096];
	struct spool_tmp *t;
	int fd;

	snprintf(it.kind, sizeof(it.kind), "segment");
	t = spool_begin(s, &it);
	fd = spool_tmp_fd(t);
	memset(buf, (int)seq, sizeof(buf));
	for (size_t done = 0; done < len; done += sizeof(buf))
		if (write(fd, buf, len - done < sizeof(buf) ? len - done :
		    sizeof(buf)) < 0)
			break;
	spool_commit(s, t);
}

/* Wait up to ms for the spool to hold exactly n objects. */
static int
wait_count(struct spool *s, size_t n, int ms)
{
	size_t c;

	for (int i = 0; i < ms / 20; i++) {
		spool_stats(s, &c, NULL);
		if (c == n)
			return 1;
		usleep(20000);
	}
	return 0;
}

int
main(void)
{
	struct MHD_Daemon *d;
	struct spool *s;
	struct uploader *u;
	char dir[64], base[64], cmd[128];
	unsigned short port;
	struct timespec t0, t1;

	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERR);
	if (t_mkdtemp(dir, sizeof(dir), "sealcam-up") == NULL || (d = serve(0)) == NULL)
		return 1;
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	s = spool_open(dir, 0);

	t_case("every spooled segment is delivered once, whole, and then deleted");
	for (uint64_t i = 1; i <= 6; i++)
		put(s, i, 10000 * i + 7);
	u = uploader_start(base, "c.test-token", s, "cam");
	T_ASSERT(u != NULL);
	T_ASSERT(wait_count(s, 0, 10000));
	for (int i = 1; i <= 6; i++) {
		if (i == 3)
			continue;
		T_EQ(atomic_load(&got[i]), 1);
		T_EQ(atomic_load(&bytes[i]), 10000 * i + 7);
	}
	T_EQ(atomic_load(&bad_auth), 0);

	t_case("a 5xx answer is retried with backoff until the server takes it");
	T_EQ(atomic_load(&tries[5]), 3);
	T_EQ(atomic_load(&got[5]), 1);

	t_case("a permanent 4xx refusal is quarantined, not retried forever");
	T_EQ(atomic_load(&tries[3]), 1);
	T_EQ(atomic_load(&got[3]), 0);
	snprintf(cmd, sizeof(cmd), "test -n \"$(ls %s/quarantine/*-segment-"
	    "00000000000000000003-0.sc)\"", dir);
	T_EQ(system(cmd), 0);
	T_EQ(uploader_count(u), 5);

	t_case("server down: objects stay spooled; back up: they are delivered");
	MHD_stop_daemon(d);
	put(s, 7, 5000);
	put(s, 8, 5000);
	usleep(1500000);	/* several failed tries */
	T_ASSERT(wait_count(s, 2, 100));
	T_EQ(atomic_load(&got[7]), 0);
	d = serve(port);
	T_ASSERT(d != NULL);
	T_ASSERT(wait_count(s, 0, 15000));
	T_EQ(atomic_load(&got[7]), 1);
	T_EQ(atomic_load(&got[8]), 1);

	t_case("stopping with the server down gives up at the deadline and keeps the files");
	MHD_stop_daemon(d);
	put(s, 9, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uploader_stop(u, 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T_ASSERT(t1.tv_sec - t0.tv_sec <= 3);
	T_ASSERT(wait_count(s, 1, 100));
	spool_free(s);

	t_case("after a restart the spool is scanned and the rest is delivered (200 on repeats)");
	d = serve(port);
	s = spool_open(dir, 0);
	u = uploader_start(base, "c.test-token", s, "cam");
	T_ASSERT(wait_count(s, 0, 10000));
	T_EQ(atomic_load(&got[9]), 1);
	uploader_stop(u, 1000);
	spool_free(s);

	t_case("a refused token (401) keeps the footage spooled");
	s = spool_open(dir, 0);
	put(s, 10, 100);
	u = uploader_start(base, "c.wrong", s, "cam");
	for (int i = 0; i < 100 && atomic_load(&bad_auth) == 0; i++)
		usleep(20000);
	T_ASSERT(atomic_load(&bad_auth) >= 1);
	uploader_stop(u, 200);
	T_ASSERT(wait_count(s, 1, 100));
	spool_free(s);

	MHD_stop_daemon(d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
