/* metrics — counters, the Prometheus text rendering, /healthz and /metrics. */
#include "metrics.h"
#include "relay.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "guard.h"
#include "http.h"
#include "routes.h"
#include "rowbatch.h"
#include "server.h"
#include "store.h"
#include "wait.h"

static const unsigned statuses[] = {
	0, 200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 410, 411, 413, 415,
	429, 431, 500, 503,
};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

/* Latency buckets in seconds (upper bounds; +Inf implied). */
static const double buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static _Atomic uint64_t *m_requests;     /* [(nroutes + 1) * NSTATUS] */
static _Atomic uint64_t m_hist[NBUCKETS + 1];
static _Atomic uint64_t m_hist_sum_us, m_hist_count;
static _Atomic uint64_t m_bytes_in, m_bytes_out;
static _Atomic uint64_t m_counters[M_NCOUNTERS];
static size_t m_nroutes;

int
metrics_init(void)
{
	m_nroutes = routes_count();
	m_requests = calloc((m_nroutes + 1) * NSTATUS, sizeof(*m_requests));
	return m_requests ? 0 : -1;
}

void
metrics_free(void)
{
	free((void *)m_requests);
	m_requests = NULL;
}

void
metrics_request(int route, unsigned status, double seconds, uint64_t in, uint64_t out)
{
	size_t ri = route < 0 ? m_nroutes : (size_t)route, si = 0, b;

	if (m_requests == NULL)
		return;
	for (size_t i = 1; i < NSTATUS; i++)
		if (statuses[i] == status)
			si = i;
	atomic_fetch_add(&m_requests[ri * NSTATUS + si], 1);
	for (b = 0; b < NBUCKETS && seconds > buckets[b]; b++)
		;
	atomic_fetch_add(&m_hist[b], 1);
	atomic_fetch_add(&m_hist_sum_us, (uint64_t)(seconds * 1e6));
	atomic_fetch_add(&m_hist_count, 1);
	atomic_fetch_add(&m_bytes_in, in);
	atomic_fetch_add(&m_bytes_out, out);
}

void
metrics_add(enum metric_counter c, uint64_t n)
{
	atomic_fetch_add(&m_counters[c], n);
}

/* A growing text buffer. */
struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (b->oom)
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 16384;
			char *np;
			while (cap < b->len + (size_t)n + 1)
				cap *= 2;
			if ((np = realloc(b->p, cap)) == NULL) {
				b->oom = 1;
				return;
			}
			b->p = np;
			b->cap = cap;
		}
	}
}

static void
counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	bprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help,
	    name, name, v);
}

static void
gauge(struct buf *b, const char *name, const char *help, uint64_t v)
{
	bprintf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRIu64 "\n", name, help,
	    name, name, v);
}

void
h_metrics(struct req *rq)
{
	struct server *srv = rq->srv;
	struct buf b = { 0 };
	uint64_t objects = 0, bytes = 0, sessions = 0, cum = 0;

	bprintf(&b, "# HELP sealcamd_http_requests_total Requests by route pattern and status.\n"
	    "# TYPE sealcamd_http_requests_total counter\n");
	for (size_t r = 0; r <= m_nroutes; r++) {
		const struct route *rt = routes_get(r);
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t v = atomic_load(&m_requests[r * NSTATUS + s]);
			if (v == 0)
				continue;
			char st[16];
			if (statuses[s] == 0)
				snprintf(st, sizeof(st), "other");
			else
				snprintf(st, sizeof(st), "%u", statuses[s]);
			bprintf(&b, "sealcamd_http_requests_total{method=\"%s\",route=\"%s\","
			    "status=\"%s\"} %" PRIu64 "\n", rt ? rt->method : "",
			    rt ? rt->path : "unmatched", st, v);
		}
	}
	bprintf(&b, "# HELP sealcamd_http_request_seconds Time from request head to"
	    " completion.\n# TYPE sealcamd_http_request_seconds histogram\n");
	for (size_t i = 0; i <= NBUCKETS; i++) {
		cum += atomic_load(&m_hist[i]);
		if (i < NBUCKETS)
			bprintf(&b, "sealcamd_http_request_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			    buckets[i], cum);
		else
			bprintf(&b, "sealcamd_http_request_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
			    cum);
	}
	bprintf(&b, "sealcamd_http_request_seconds_sum %.6f\n"
	    "sealcamd_http_request_seconds_count %" PRIu64 "\n",
	    (double)atomic_load(&m_hist_sum_us) / 1e6, atomic_load(&m_hist_count));
	counter(&b, "sealcamd_http_received_bytes_total", "Request body bytes received.",
	    atomic_load(&m_bytes_in));
	counter(&b, "sealcamd_http_sent_bytes_total", "Response body bytes queued.",
	    atomic_load(&m_bytes_out));
	counter(&b, "sealcamd_upload_bytes_total", "Bytes of sealed objects stored.",
	    atomic_load(&m_counters[M_UPLOAD_BYTES]));
	counter(&b, "sealcamd_uploads_stored_total", "Sealed objects stored.",
	    atomic_load(&m_counters[M_UPLOADS_STORED]));
	counter(&b, "sealcamd_uploads_duplicate_total", "Identical re-uploads acknowledged.",
	    atomic_load(&m_counters[M_UPLOADS_DUPLICATE]));
	counter(&b, "sealcamd_uploads_refused_total", "Uploads refused.",
	    atomic_load(&m_counters[M_UPLOADS_REFUSED]));
	counter(&b, "sealcamd_login_failures_total", "Failed logins.",
	    atomic_load(&m_counters[M_LOGIN_FAILED]));
	counter(&b, "sealcamd_rate_limited_total", "Requests refused by rate limits.",
	    atomic_load(&m_counters[M_RATE_LIMITED]));
	counter(&b, "sealcamd_retention_deleted_total", "Objects removed by retention.",
	    atomic_load(&m_counters[M_SWEEP_DELETED]));
	counter(&b, "sealcamd_blobs_deleted_total", "Blobs deleted from the blob store.",
	    atomic_load(&m_counters[M_BLOBS_DELETED]));
	counter(&b, "sealcamd_slow_clients_cut_total", "Connections cut for slow headers or bodies.",
	    guard_cut_total(srv->guard));
	{
		uint64_t tx = 0, rows = 0;
		rowbatch_stats(srv->rows, &tx, &rows);
		counter(&b, "sealcamd_object_commits_total", "Database transactions committing object rows.", tx);
		counter(&b, "sealcamd_object_rows_committed_total", "Object rows committed (rows/commits = group commit size).", rows);
	}
	if (store_object_totals(srv->store, &objects, &bytes) == 0) {
		gauge(&b, "sealcamd_objects", "Sealed objects stored.", objects);
		gauge(&b, "sealcamd_stored_bytes", "Bytes of sealed objects stored.", bytes);
	}
	if (store_session_count(srv->store, http_now_ms(), &sessions) == 0)
		gauge(&b, "sealcamd_sessions", "Unexpired sessions.", sessions);
	gauge(&b, "sealcamd_longpolls", "Long-polls waiting (camera keyring polls and event watches).", wait_count(srv->waits));
	{
		struct relay_stats rs;
		relay_stats(srv->relay, &rs);
		gauge(&b, "sealcamd_live_sessions", "Live sessions starting, streaming or closing.",
		    rs.sessions);
		gauge(&b, "sealcamd_live_viewers", "Live viewer streams open.", rs.viewers);
		gauge(&b, "sealcamd_live_channels", "Agents' live command channels open.",
		    rs.channels);
		gauge(&b, "sealcamd_live_uploads", "Agents' live uploads streaming.", rs.uploads);
		counter(&b, "sealcamd_live_sessions_total", "Live sessions started.",
		    rs.sessions_total);
		counter(&b, "sealcamd_live_records_total", "Live records relayed.", rs.records);
		counter(&b, "sealcamd_live_viewers_cut_total", "Live viewers cut off for "
		    "falling behind.", rs.viewers_cut);
		counter(&b, "sealcamd_live_direct_writes_total", "Live records written to a "
		    "viewer's socket by the relay itself (no wake-up of its HTTP thread).",
		    rs.direct);
	}
	if (b.oom || b.p == NULL) {
		free(b.p);
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	http_reply_text(rq, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
	free(b.p);
}

void
h_healthz(struct req *rq)
{
	struct server *srv = rq->srv;

	if (store_ping(srv->store) != 0 || blob_ping(srv->blob) != 0) {
		http_error(rq, 503, "internal", "store or blob store not answering");
		return;
	}
	if (atomic_load(&srv->stopping)) {
		http_error(rq, 503, "internal", "shutting down");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}
