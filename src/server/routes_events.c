/*
 * routes_events — GET /v1/me/events: the owner's server-sent events
 * (text/event-stream). One event per staff access under the owner's
 * grants, as soon as it is logged and recorded:
 *
 *	id: 12
 *	event: access
 *	data: {"seq":12,"access_id":"...","grant_id":"...","principal_id":"...","time_ms":...}
 *
 * The event only says that something happened; clients fetch the record
 * (GET /v1/me/accesses) and verify it against the log before showing it.
 * A stream lasts at most `wait` seconds (default 60, at most 300), then
 * ends; clients reconnect (EventSource does on its own, with
 * Last-Event-ID) and get what they missed from after_seq.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "accesswatch.h"
#include "auth.h"
#include "http.h"
#include "jsonv.h"
#include "server.h"
#include "store.h"

#define EVENTS_WAIT_DEFAULT_S 60
#define EVENTS_WAIT_MAX_S 300
#define EVENTS_BATCH 64          /* events read from the store per look */
#define EVENTS_BUF 32768

struct events {
	struct server *srv;
	struct accesswatch_sub *sub;
	uint8_t owner[STORE_ID_LEN];
	int64_t last_seq;            /* the last event sent */
	char buf[EVENTS_BUF];        /* formatted, not yet sent */
	size_t len, off;
	int hello;                   /* the opening comment was sent */
};

static int
callback_event(void *cookie, const struct store_access *a)
{
	struct events *ev = cookie;
	char id[33], gid[33], pid[33];
	int n;

	auth_hex(a->id, 16, id);
	auth_hex(a->grant_id, 16, gid);
	auth_hex(a->principal, 16, pid);
	n = snprintf(ev->buf + ev->len, sizeof(ev->buf) - ev->len,
	    "id: %" PRId64 "\nevent: access\ndata: {\"seq\":%" PRId64 ",\"access_id\":\"%s\","
	    "\"grant_id\":\"%s\",\"principal_id\":\"%s\",\"time_ms\":%" PRId64 "}\n\n",
	    a->seq, a->seq, id, gid, pid, a->time_ms);
	if (n < 0 || (size_t)n >= sizeof(ev->buf) - ev->len)
		return -1;              /* the rest on the next look */
	ev->len += (size_t)n;
	ev->last_seq = a->seq;
	return 0;
}

static ssize_t
callback_stream(void *cookie, struct MHD_Connection *conn, char *out, size_t max)
{
	struct events *ev = cookie;
	size_t n;
	int r;

	for (;;) {
		if (ev->off < ev->len) {
			n = ev->len - ev->off < max ? ev->len - ev->off : max;
			memcpy(out, ev->buf + ev->off, n);
			ev->off += n;
			return (ssize_t)n;
		}
		ev->len = ev->off = 0;
		if (!ev->hello) {
			/* Reconnect quickly; a comment tells the client it is live. */
			ev->len = (size_t)snprintf(ev->buf, sizeof(ev->buf),
			    "retry: 1000\n: watching staff accesses\n\n");
			ev->hello = 1;
			continue;
		}
		r = accesswatch_sub_wait(ev->sub, conn);
		if (r < 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (r == 0)
			return 0;       /* suspended until an access or the deadline */
		if (store_access_list(ev->srv->store, ev->owner, ev->last_seq, EVENTS_BATCH,
		    callback_event, ev) != 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (ev->len == EVENTS_BUF || ev->len == 0)
			continue;
	}
}

static void
callback_release(void *cookie)
{
	struct events *ev = cookie;

	accesswatch_release(ev->sub);
	free(ev);
}

/* GET /v1/me/events?after_seq=N&wait=S */
void
h_me_events(struct req *rq)
{
	const char *lei = http_header(rq, "Last-Event-ID");
	struct events *ev;
	int64_t after, wait, last = -1;
	char *end;

	if (jv_query_int(rq, "wait", 0, EVENTS_WAIT_MAX_S, EVENTS_WAIT_DEFAULT_S, &wait) != 0 ||
	    jv_query_int(rq, "after_seq", -1, INT64_MAX, -2, &after) != 0)
		return;
	if (after == -2 && lei != NULL) {
		/* A reconnecting EventSource: from the last event it saw. */
		long long v = strtoll(lei, &end, 10);
		after = *lei != '\0' && *end == '\0' && v >= 0 ? v : -2;
	}
	if (after == -2) {
		/* From now on. */
		if (store_access_last(rq->srv->store, rq->who.account_id, &last) != 0) {
			http_error(rq, 500, "internal", "store unavailable");
			return;
		}
		after = last;
	}
	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	ev->srv = rq->srv;
	memcpy(ev->owner, rq->who.account_id, STORE_ID_LEN);
	ev->last_seq = after;
	if ((ev->sub = accesswatch_subscribe(rq->srv->watch, ev->owner,
	    http_now_ms() + wait * 1000)) == NULL) {
		free(ev);
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	http_reply_stream(rq, 200, "text/event-stream", NULL, NULL, callback_stream, ev,
	    callback_release);
}
