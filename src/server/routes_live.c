/*
 * routes_live — live view (PROTOCOL.md "Live view"): viewers start or join
 * a camera's session and receive its ciphertext stream; the owner lists
 * who watched; agents keep a command channel open and upload the stream.
 * The relay (relay.c) does the fan-out; nothing here sees a key.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "live_audit.h"
#include "log.h"
#include "relay.h"
#include "routes.h"
#include "server.h"
#include "store.h"
#include "tlogsrv.h"

/* --- viewers ----------------------------------------------------------------- */

/* What the kernel may hold for a viewer: beyond this the backlog stays in
 * the relay, where a slow viewer is measured and cut (live_viewer_buffer)
 * instead of hiding megabytes of stale video in socket buffers. */
#define LIVE_VIEWER_SNDBUF (256 * 1024)

struct view_state {
	struct relay_viewer *v;
	int64_t view_id;
	uint8_t sid[RELAY_ID_LEN];
	int audit;                /* 0 pending (log job), 1 recorded, -1 failed */
	int streaming;            /* the response holds the viewer's second reference */
};

static ssize_t
callback_viewer_read(void *cookie, struct MHD_Connection *conn, char *buf,
    size_t max)
{
	return relay_viewer_read(cookie, conn, buf, max);
}

static void
callback_viewer_release(void *cookie)
{
	relay_viewer_release(cookie);
}

static void
view_state_free(struct req *rq)
{
	struct view_state *st = rq->state;

	if (st->audit > 0)
		live_audit_end(rq->srv, st->view_id, http_now_ms(),
		    relay_viewer_bytes(st->v));
	if (!st->streaming)
		relay_viewer_release(st->v);
	relay_viewer_release(st->v);
	free(st);
	rq->state = NULL;
}

/* On a log worker: the view's record and log entry (live_audit.c). */
static void
job_audit(struct req *rq)
{
	struct view_state *st = rq->state;

	st->audit = live_audit_begin(rq->srv, rq->who.account_id, rq->params.cam,
	    st->sid, http_now_ms(), &st->view_id) == 0 ? 1 : -1;
}

void
h_live_get(struct req *rq)
{
	struct server *srv = rq->srv;
	struct view_state *st = rq->state;
	uint8_t sid[RELAY_ID_LEN];
	char sidhex[2 * RELAY_ID_LEN + 1];
	int created, ready;

	if (st == NULL) {
		struct relay_viewer *v;
		enum relay_join_result jr;
		int64_t now = http_now_ms();

		jr = relay_join(srv->relay, rq->params.cam, now, &v, sid, &created);
		if (jr == RELAY_OFFLINE) {
			http_error(rq, 503, "camera_offline",
			    "the camera's agent is not connected");
			return;
		}
		if (jr != RELAY_JOINED || (st = calloc(1, sizeof(*st))) == NULL) {
			if (jr == RELAY_JOINED) {
				relay_viewer_release(v);
				relay_viewer_release(v);
			}
			http_error(rq, 500, "internal", "out of memory");
			return;
		}
		st->v = v;
		memcpy(st->sid, sid, sizeof(sid));
		rq->state = st;
		rq->state_free = view_state_free;
		log_info("live", "action=%s", created ? "start" : "join");
		/* Recorded (and in the transparency log, durably) before any
		 * footage flows: no record, no view. The log append waits for
		 * the disk: off this thread, while the agent starts its stream. */
		tlogsrv_defer(srv->tlog, rq, job_audit);
		return;
	}
	if (st->audit < 0) {
		http_error(rq, 503, "internal", "cannot record the live view");
		return;
	}
	ready = relay_viewer_ready(st->v, rq);
	if (ready == 0)
		return;               /* parked until the agent's stream arrives */
	if (ready < 0) {
		http_error(rq, 504, "camera_timeout",
		    "the camera did not start streaming");
		return;
	}
	(void)relay_viewer_session(st->v, sid);
	http_limit_sndbuf(rq, LIVE_VIEWER_SNDBUF);
	relay_viewer_direct(st->v, http_stream_socket(rq), LIVE_VIEWER_SNDBUF);
	auth_hex(sid, RELAY_ID_LEN, sidhex);
	st->streaming = 1;
	http_reply_stream(rq, 200, "application/octet-stream", "X-Sealcam-Live-Session",
	    sidhex, callback_viewer_read, st->v, callback_viewer_release);
}

/* --- the owner's history ------------------------------------------------------ */

static int
callback_view_row(void *cookie, const struct store_live_view *v)
{
	json_t *arr = cookie;
	char acct[33], sid[33];

	auth_hex(v->account_id, 16, acct);
	auth_hex(v->session_id, 16, sid);
	return json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:I}",
	    "account_id", acct, "email", v->email, "session_id", sid,
	    "started_ms", (json_int_t)v->started_ms,
	    "ended_ms", v->ended_ms ? json_integer(v->ended_ms) : json_null(),
	    "duration_ms", v->ended_ms ? json_integer(v->ended_ms - v->started_ms) :
	    json_null(), "bytes", (json_int_t)v->bytes)) == 0 ? 0 : -1;
}

void
h_live_history(struct req *rq)
{
	const char *l = http_query(rq, "limit");
	unsigned limit = 100;
	json_t *arr = json_array();

	if (l != NULL) {
		char *end;
		unsigned long n = strtoul(l, &end, 10);
		if (*l == '\0' || *end != '\0' || n < 1 || n > 1000) {
			json_decref(arr);
			http_error(rq, 400, "bad_request", "limit: 1..1000");
			return;
		}
		limit = (unsigned)n;
	}
	if (arr == NULL || store_live_view_list(rq->srv->store, rq->params.cam, limit,
	    callback_view_row, arr) != 0) {
		json_decref(arr);
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:o}", "views", arr));
}

/* --- agents ----------------------------------------------------------------------- */

static ssize_t
callback_chan_read(void *cookie, struct MHD_Connection *conn, char *buf, size_t max)
{
	return relay_chan_read(cookie, conn, buf, max);
}

static void
callback_chan_release(void *cookie)
{
	relay_chan_release(cookie);
}

void
h_live_commands(struct req *rq)
{
	struct relay_chan *ch = relay_chan_open(rq->srv->relay, rq->who.camera.id,
	    http_now_ms());

	if (ch == NULL) {
		http_error(rq, 503, "internal", "shutting down");
		return;
	}
	http_reply_stream(rq, 200, "application/x-ndjson", NULL, NULL,
	    callback_chan_read, ch, callback_chan_release);
}

static void
upload_state_free(struct req *rq)
{
	relay_upload_free(rq->state);
	rq->state = NULL;
}

int
h_live_put_begin(struct req *rq)
{
	struct relay_upload *u;

	switch (relay_upload_begin(rq->srv->relay, rq->who.camera.id,
	    rq->params.session, rq->who.camera.pk, &u)) {
	case RELAY_UP_OK:
		break;
	case RELAY_UP_NOTFOUND:
		http_error(rq, 404, "not_found", "no such live session");
		return -1;
	case RELAY_UP_CONFLICT:
		http_error(rq, 409, "conflict", "this live session is streaming or over");
		return -1;
	}
	rq->state = u;
	rq->state_free = upload_state_free;
	return 0;
}

int
h_live_put_data(struct req *rq, const uint8_t *buf, size_t len)
{
	int rc = relay_upload_write(rq->state, buf, len);

	if (rc == -1)
		log_warn("live", "action=refuse err=\"%s\"", relay_upload_error(rq->state));
	/* Either way the upload is over: closing is how the agent learns. */
	return rc == 0 ? 0 : -2;
}

void
h_live_put(struct req *rq)
{
	struct relay_upload *u = rq->state;

	if (relay_upload_finish(u) != 0) {
		http_error(rq, 400, "bad_container", "%s", relay_upload_error(u));
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:I}", "records",
	    (json_int_t)relay_upload_records(u)));
}
