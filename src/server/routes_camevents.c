/*
 * routes_camevents — event notifications: a camera says at once that an event
 * began (POST /v1/camera/events), and users' clients are told (GET
 * /v1/events, GET /v1/cameras/{cam}/events, long-polls).
 *
 * What the server learns here is what DESIGN.md allows it: that an event
 * happened, when, on which camera, and whether it was motion or a doorbell
 * ring. Labels, zones, boxes and pictures travel in the sealed event
 * record, uploaded like any object; storing one adds a "record" note too
 * (routes_objects.c), so watchers fetch it as soon as it is there.
 */
#include <stdlib.h>
#include <string.h>

#include "evnotes.h"
#include "http.h"
#include "jsonv.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "server.h"
#include "store.h"
#include "wait.h"

#define WATCH_MAX_S 30		/* longest long-poll */
#define WATCH_BATCH 256		/* notes per answer */
#define WATCH_CAMERAS_MAX 1024	/* cameras one user may view, for the filter */
#define SEQ_MAX ((uint64_t)INT64_MAX)
#define TIME_MAX 9007199254740991LL	/* 2^53 - 1 */

static const char *const type_names[] = { "", "motion", "ring", "record" };

void
routes_camevents_note(struct server *srv, const uint8_t cam[STORE_ID_LEN],
    int type, uint64_t seq, int64_t start_ms)
{
	struct evnote n;
	int64_t id;

	memset(&n, 0, sizeof(n));
	memcpy(n.camera_id, cam, STORE_ID_LEN);
	n.type = type;
	n.seq = seq;
	n.start_ms = start_ms;
	n.at_ms = http_now_ms();
	if (evnotes_add(srv->notes, &n, &id) == 1)
		wait_notify(srv->waits, evnotes_wait_key);
}

void
h_camera_event_notify(struct req *rq)
{
	struct server *srv = rq->srv;
	const char *kind;
	uint64_t seq, start;
	unsigned retry;
	struct evnote n;
	int64_t id;
	int type, added;

	if (jv_uint(rq, rq->json, "seq", SEQ_MAX, 0, 0, &seq) != 0 ||
	    jv_string(rq, rq->json, "kind", 1, 16, &kind) != 0 ||
	    jv_uint(rq, rq->json, "start_ms", TIME_MAX, 0, 0, &start) != 0)
		return;
	if (strcmp(kind, "motion") == 0)
		type = EVNOTE_MOTION;
	else if (strcmp(kind, "ring") == 0)
		type = EVNOTE_RING;
	else {
		http_error(rq, 400, "bad_request", "field 'kind': motion or ring");
		return;
	}
	if (seq == 0) {
		http_error(rq, 400, "bad_request", "field 'seq': the event record's "
		    "sequence number, from 1");
		return;
	}
	/* A camera gone wild must not flush everyone else's notes out of
	 * the ring: a bucket per camera. */
	if (ratelimit_take(srv->notify_rl, rq->who.camera.id, STORE_ID_LEN,
	    http_now_ms(), &retry) != 0) {
		http_error_retry(rq, retry, "too many event notifications");
		return;
	}
	memset(&n, 0, sizeof(n));
	memcpy(n.camera_id, rq->who.camera.id, STORE_ID_LEN);
	n.type = type;
	n.seq = seq;
	n.start_ms = (int64_t)start;
	n.at_ms = http_now_ms();
	added = evnotes_add(srv->notes, &n, &id);
	if (added)
		wait_notify(srv->waits, evnotes_wait_key);
	/* Idempotent: a retry of the same notification answers 200. */
	http_reply_json(rq, added ? 201 : 200, json_pack("{s:I}", "id",
	    (json_int_t)id));
}

/* The cameras a watcher may see: one camera, or all the user views. */
struct watch_filter {
	size_t n;
	uint8_t cam[WATCH_CAMERAS_MAX][STORE_ID_LEN];
};

static int
callback_camera(void *cookie, const struct store_camera *c)
{
	struct watch_filter *f = cookie;

	if (f->n == WATCH_CAMERAS_MAX)
		return -1;
	memcpy(f->cam[f->n++], c->id, STORE_ID_LEN);
	return 0;
}

static int
callback_want(void *cookie, const uint8_t cam[STORE_ID_LEN])
{
	const struct watch_filter *f = cookie;

	for (size_t i = 0; i < f->n; i++)
		if (memcmp(f->cam[i], cam, STORE_ID_LEN) == 0)
			return 1;
	return 0;
}

static void
state_free(struct req *rq)
{
	free(rq->state);
	rq->state = NULL;
}

/*
 * Both watch routes. The filter is rebuilt on every pass (first call and
 * each wake-up), so a member removed while parked stops seeing notes.
 * Query: after (cursor; absent = from now), wait (s, 0..30).
 */
static void
watch(struct req *rq, int one_camera)
{
	struct server *srv = rq->srv;
	struct watch_filter *f;
	struct evnote out[WATCH_BATCH];
	int64_t after, wait_s, next, *cursor;
	const char *qa = http_query(rq, "after");
	json_t *arr;
	uint64_t gen;
	size_t n;
	int gap, is_owner;

	if (jv_query_int(rq, "after", -1, INT64_MAX - 1, -1, &after) != 0 ||
	    jv_query_int(rq, "wait", 0, WATCH_MAX_S, 0, &wait_s) != 0)
		return;
	if (!rq->resumed) {
		/* The state holds the filter and the cursor across wake-ups
		 * (too large for the stack of every pass, fixed at the first). */
		if ((rq->state = calloc(1, sizeof(*f) + sizeof(int64_t))) == NULL) {
			http_error(rq, 500, "internal", "out of memory");
			return;
		}
		rq->state_free = state_free;
		rq->wdeadline_ms = http_now_ms() + wait_s * 1000;
		cursor = (int64_t *)((struct watch_filter *)rq->state + 1);
		*cursor = qa == NULL ? evnotes_last(srv->notes) : after;
	}
	f = rq->state;
	cursor = (int64_t *)(f + 1);
	f->n = 0;
	if (one_camera) {
		if (store_camera_access(srv->store, rq->params.cam, rq->who.account_id,
		    &is_owner) != STORE_OK) {
			http_error(rq, 404, "not_found", "no such resource");
			return;
		}
		memcpy(f->cam[0], rq->params.cam, STORE_ID_LEN);
		f->n = 1;
	} else if (store_camera_list(srv->store, rq->who.account_id,
	    callback_camera, f) != 0 && f->n < WATCH_CAMERAS_MAX) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	for (;;) {
		gen = wait_gen(srv->waits);
		n = evnotes_since(srv->notes, *cursor, callback_want, f, out,
		    WATCH_BATCH, &next, &gap);
		if (n > 0 || gap || atomic_load(&srv->stopping) ||
		    http_now_ms() >= rq->wdeadline_ms)
			break;
		/* Nothing for this watcher: skip what it was not shown. */
		*cursor = next;
		if (wait_park(srv->waits, rq, evnotes_wait_key, rq->wdeadline_ms,
		    gen) == 0)
			return;		/* parked: called again when woken */
	}
	if ((arr = json_array()) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:o, s:s, s:I, s:I, s:I}",
		    "id", (json_int_t)out[i].id,
		    "camera_id", jv_hexstr(out[i].camera_id, STORE_ID_LEN),
		    "type", type_names[out[i].type], "seq", (json_int_t)out[i].seq,
		    "start_ms", (json_int_t)out[i].start_ms,
		    "at_ms", (json_int_t)out[i].at_ms));
	http_reply_json(rq, 200, json_pack("{s:o, s:I, s:b}", "events", arr,
	    "next", (json_int_t)next, "gap", gap));
}

void
h_events_watch(struct req *rq)
{
	watch(rq, 0);
}

void
h_camera_events_watch(struct req *rq)
{
	watch(rq, 1);
}
