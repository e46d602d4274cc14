/*
 * livecam — see livecam.h. One session at a time per camera; a "start" for
 * another session while one runs ends the running one (END) and starts
 * the new one once its upload finished.
 */
#include "livecam.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "camera.h"
#include "camera_int.h"
#include "httpc.h"
#include "live.h"
#include "livemux.h"
#include "log.h"

struct qchunk {
	struct qchunk *next;
	size_t len, off;
	uint8_t data[];
};

struct livecam {
	struct camera *c;
	atomic_int active;	/* a session takes packets: the recorder's fast check */
	atomic_int hard_stop;	/* abort transfers now */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;		/* no new sessions; end the current one */
	AVCodecParameters *par;	/* the recording run's video, NULL between runs */
	AVCodecParameters *apar;	/* ... and its audio, NULL if none */
	AVRational tb, atb;
	/* The session (under mu). */
	int have;
	int uploading;
	int ended;		/* END queued: nothing more after it */
	int broken;		/* the queue overflowed: abort the upload */
	uint8_t sid[16];
	char sidhex[33];
	int pending;		/* another session asked for meanwhile */
	uint8_t pending_sid[16];
	struct live_sealer *sealer;
	struct livemux *mux;
	struct qchunk *qhead, *qtail;
	size_t qbytes;
	/* Threads. */
	struct httpc *chan_http, *up_http;
	pthread_t chan_thr, up_thr;
	int chan_started, up_started;
	int64_t last_line_ms;	/* channel thread only (atomic enough: abort reads it) */
	char line[512];
	size_t linelen;
};

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the session (mu held) ------------------------------------------------- */

static int
enqueue_locked(struct livecam *l, uint8_t type, uint8_t flags, int64_t t,
    const uint8_t *pt, size_t n)
{
	struct qchunk *q;

	if (l->broken || l->ended)
		return -1;
	if (l->qbytes + LIVE_RECORD_SIZE(n) > LIVECAM_QUEUE_MAX) {
		/* The upload does not keep up (or is stuck): give up the session
		 * rather than buffer without bound or stall the recorder. */
		log_warn("live", "camera=%s msg=\"upload too slow; live session ended\"",
		    l->c->conf.id_hex);
		l->broken = 1;
		atomic_store(&l->active, 0);
		pthread_cond_broadcast(&l->cv);
		return -1;
	}
	if ((q = malloc(sizeof(*q) + LIVE_RECORD_SIZE(n))) == NULL)
		return -1;
	q->next = NULL;
	q->off = 0;
	q->len = LIVE_RECORD_SIZE(n);
	if (live_seal(l->sealer, type, flags, (uint64_t)t, pt, n, q->data) != LIVE_OK) {
		free(q);
		return -1;
	}
	if (l->qtail != NULL)
		l->qtail->next = q;
	else
		l->qhead = q;
	l->qtail = q;
	l->qbytes += q->len;
	pthread_cond_broadcast(&l->cv);
	return 0;
}

/* Queue END; the upload drains and finishes. */
static void
end_locked(struct livecam *l, const char *why)
{
	if (!l->have || l->ended)
		return;
	atomic_store(&l->active, 0);
	if (l->sealer != NULL && live_sealer_next_index(l->sealer) > 0)
		(void)enqueue_locked(l, LIVE_REC_END, 0, wall_ms(), NULL, 0);
	else
		l->broken = 1;    /* nothing was ever sent: just drop it */
	l->ended = 1;
	pthread_cond_broadcast(&l->cv);
	log_info("live", "camera=%s msg=\"live session ending\" reason=%s",
	    l->c->conf.id_hex, why);
}

static void
drop_locked(struct livecam *l)
{
	while (l->qhead != NULL) {
		struct qchunk *q = l->qhead;
		l->qhead = q->next;
		free(q);
	}
	l->qtail = NULL;
	l->qbytes = 0;
	live_sealer_free(l->sealer);
	l->sealer = NULL;
	livemux_free(l->mux);
	l->mux = NULL;
	l->have = l->uploading = l->ended = l->broken = 0;
	atomic_store(&l->active, 0);
}

/* A new session: fresh live key sealed to the keyring in force now. */
static void
begin_locked(struct livecam *l, const uint8_t sid[16])
{
	struct camera *c = l->c;
	struct live_params p;
	struct camera_recipients r;
	uint8_t head[LIVE_HEAD_MAX];
	size_t hl;
	struct qchunk *q;

	pthread_mutex_lock(&c->mu);
	r = c->rcpt;
	pthread_mutex_unlock(&c->mu);
	if (r.epoch == 0) {
		log_warn("live", "camera=%s msg=\"live view asked for before any keyring\"",
		    c->conf.id_hex);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.session_seq = live_session_seq(sid);
	p.start_ms = (uint64_t)wall_ms();
	p.epoch = r.epoch;
	p.recipients = (const uint8_t (*)[SEG_PK_BYTES])r.pk;
	p.nrecipients = r.n;
	if ((l->sealer = live_sealer_new(&p, c->sk, head, &hl)) == NULL ||
	    (q = malloc(sizeof(*q) + hl)) == NULL) {
		live_sealer_free(l->sealer);
		l->sealer = NULL;
		return;
	}
	q->next = NULL;
	q->off = 0;
	q->len = hl;
	memcpy(q->data, head, hl);
	l->qhead = l->qtail = q;
	l->qbytes = hl;
	memcpy(l->sid, sid, 16);
	sodium_bin2hex(l->sidhex, sizeof(l->sidhex), sid, 16);
	l->have = 1;
	atomic_store(&l->active, 1);
	pthread_cond_broadcast(&l->cv);
	log_info("live", "camera=%s msg=\"live session started\" epoch=%u recipients=%u",
	    c->conf.id_hex, r.epoch, r.n);
}

/* --- the recorder's side ------------------------------------------------------ */

static int
callback_mux_out(void *cookie, int is_init, int key, int64_t t,
    const uint8_t *data, size_t len)
{
	struct livecam *l = cookie;	/* mu held: called from livemux_push */

	return enqueue_locked(l, is_init ? LIVE_REC_INIT : LIVE_REC_FRAG,
	    !is_init && key ? LIVE_FLAG_KEY : 0, t, data, len);
}

/* A copy of par in *dst (NULL if par is NULL or on failure). */
static void
params_set(AVCodecParameters **dst, const AVCodecParameters *par)
{
	avcodec_parameters_free(dst);
	if (par != NULL && (*dst = avcodec_parameters_alloc()) != NULL &&
	    avcodec_parameters_copy(*dst, par) < 0)
		avcodec_parameters_free(dst);
}

void
livecam_run(struct livecam *l, const AVCodecParameters *par, AVRational tb,
    const AVCodecParameters *apar, AVRational atb)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	/* A new run may bring other codec parameters: the viewer's decoder
	 * was set up for the old ones, so the session ends. */
	if (l->mux != NULL)
		end_locked(l, par ? "source restarted" : "source ended");
	params_set(&l->par, par);
	params_set(&l->apar, par != NULL ? apar : NULL);
	l->tb = tb;
	l->atb = atb;
	pthread_mutex_unlock(&l->mu);
}

void
livecam_feed(struct livecam *l, int stream, const AVPacket *pkt, int64_t t)
{
	if (l == NULL || !atomic_load(&l->active))
		return;
	pthread_mutex_lock(&l->mu);
	if (l->have && !l->ended && !l->broken && l->par != NULL) {
		if (l->mux == NULL && stream == 0 && (pkt->flags & AV_PKT_FLAG_KEY))
			l->mux = livemux_new(l->par, l->tb, l->apar, l->atb,
			    l->c->conf.live_frag_ms, callback_mux_out, l);
		if (l->mux != NULL && livemux_push(l->mux, stream, pkt, t) != 0)
			end_locked(l, "mux failed");
	}
	pthread_mutex_unlock(&l->mu);
}

/* --- the upload ------------------------------------------------------------- */

static long
callback_pull(void *cookie, uint8_t *buf, size_t max)
{
	struct livecam *l = cookie;
	struct timespec dl;
	size_t n;

	pthread_mutex_lock(&l->mu);
	while (l->qhead == NULL && !l->ended && !l->broken &&
	    !atomic_load(&l->hard_stop)) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		pthread_cond_timedwait(&l->cv, &l->mu, &dl);
	}
	if (l->broken || atomic_load(&l->hard_stop)) {
		pthread_mutex_unlock(&l->mu);
		return -1;
	}
	if (l->qhead == NULL) {       /* END sent: the body is complete */
		pthread_mutex_unlock(&l->mu);
		return 0;
	}
	n = l->qhead->len - l->qhead->off < max ? l->qhead->len - l->qhead->off : max;
	memcpy(buf, l->qhead->data + l->qhead->off, n);
	l->qhead->off += n;
	if (l->qhead->off == l->qhead->len) {
		struct qchunk *q = l->qhead;
		l->qhead = q->next;
		if (l->qhead == NULL)
			l->qtail = NULL;
		l->qbytes -= q->len;
		free(q);
	}
	pthread_mutex_unlock(&l->mu);
	return (long)n;
}

static int
callback_abort_hard(void *cookie)
{
	return atomic_load(&((struct livecam *)cookie)->hard_stop);
}

static void *
upload_main(void *cookie)
{
	struct livecam *l = cookie;
	char path[64];
	json_t *resp = NULL;
	int st;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->stopping && !(l->have && !l->uploading)) {
			if (!l->have && l->pending) {
				l->pending = 0;
				begin_locked(l, l->pending_sid);
				continue;
			}
			pthread_cond_wait(&l->cv, &l->mu);
		}
		if (!l->have)
			break;            /* stopping, nothing to send */
		l->uploading = 1;
		snprintf(path, sizeof(path), "/v1/camera/live/%s", l->sidhex);
		pthread_mutex_unlock(&l->mu);

		st = httpc_post_stream(l->up_http, path, "application/octet-stream",
		    callback_pull, l, &resp);
		if (st == 200)
			log_info("live", "camera=%s msg=\"live session over\"",
			    l->c->conf.id_hex);
		else
			log_info("live", "camera=%s msg=\"live upload ended\" status=%d "
			    "err=\"%s\"", l->c->conf.id_hex, st, st < 0 ?
			    httpc_errmsg(l->up_http) : httpc_error_message(resp));
		json_decref(resp);
		resp = NULL;

		pthread_mutex_lock(&l->mu);
		drop_locked(l);
		pthread_cond_broadcast(&l->cv);
		if (l->stopping)
			break;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* --- the command channel ------------------------------------------------------ */

static void
handle_line(struct livecam *l, const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *sh = json_string_value(json_object_get(j, "session"));
	uint8_t sid[16];
	size_t bl = 0;

	if (type != NULL && strcmp(type, "hello") == 0)
		log_info("live", "camera=%s msg=\"live command channel open\"",
		    l->c->conf.id_hex);
	if (type == NULL || (strcmp(type, "start") != 0 && strcmp(type, "stop") != 0) ||
	    sh == NULL || strlen(sh) != 32 ||
	    sodium_hex2bin(sid, sizeof(sid), sh, 32, NULL, &bl, NULL) != 0 || bl != 16) {
		json_decref(j);
		return;           /* hello, ping, or something newer: ignore */
	}
	pthread_mutex_lock(&l->mu);
	if (strcmp(type, "start") == 0 && !l->stopping) {
		if (!l->have) {
			begin_locked(l, sid);
		} else if (sodium_memcmp(l->sid, sid, 16) != 0) {
			memcpy(l->pending_sid, sid, 16);
			l->pending = 1;
			end_locked(l, "another session");
		}
	} else if (strcmp(type, "stop") == 0 && l->have &&
	    sodium_memcmp(l->sid, sid, 16) == 0) {
		end_locked(l, "nobody watches");
	}
	pthread_mutex_unlock(&l->mu);
	json_decref(j);
}

static int
callback_chan_data(void *cookie, const uint8_t *buf, size_t len)
{
	struct livecam *l = cookie;

	l->last_line_ms = camera_now_ms();
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n') {
			if (l->linelen < sizeof(l->line) - 1)
				l->line[l->linelen++] = (char)buf[i];
			continue;
		}
		l->line[l->linelen] = '\0';
		if (l->linelen < sizeof(l->line) - 1)
			handle_line(l, l->line);
		l->linelen = 0;
	}
	return 0;
}

static int
callback_chan_abort(void *cookie)
{
	struct livecam *l = cookie;

	/* Pings come every 15 s: silence means the link is dead. */
	return atomic_load(&l->hard_stop) || atomic_load(l->c->stop) ||
	    camera_now_ms() - l->last_line_ms > LIVECAM_SILENCE_MS;
}

static void *
chan_main(void *cookie)
{
	struct livecam *l = cookie;
	struct backoff bo;
	json_t *err = NULL;

	backoff_init(&bo, 1000, BACKOFF_CAP_MS);
	while (!atomic_load(&l->hard_stop) && !atomic_load(l->c->stop)) {
		int64_t began = camera_now_ms(), until;
		int st;

		l->last_line_ms = began;
		l->linelen = 0;
		st = httpc_get_stream(l->chan_http, "/v1/camera/live/commands",
		    callback_chan_data, l, &err);
		json_decref(err);
		err = NULL;
		if (atomic_load(&l->hard_stop) || atomic_load(l->c->stop))
			break;
		log_info("live", "camera=%s msg=\"command channel closed; reconnecting\" "
		    "status=%d", l->c->conf.id_hex, st);
		if (camera_now_ms() - began > 10000)
			backoff_reset(&bo);
		until = camera_now_ms() + backoff_next(&bo);
		while (camera_now_ms() < until && !atomic_load(&l->hard_stop) &&
		    !atomic_load(l->c->stop))
			usleep(50000);
	}
	return NULL;
}

/* --- start and stop ------------------------------------------------------------- */

struct livecam *
livecam_start(struct camera *c, const char *token)
{
	struct livecam *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->c = c;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if ((l->chan_http = httpc_new(c->conf.server, 0)) == NULL ||
	    (l->up_http = httpc_new(c->conf.server, 0)) == NULL ||
	    httpc_set_token(l->chan_http, token) != 0 ||
	    httpc_set_token(l->up_http, token) != 0)
		goto fail;
	httpc_set_abort(l->chan_http, callback_chan_abort, l);
	httpc_set_abort(l->up_http, callback_abort_hard, l);
	if (pthread_create(&l->up_thr, NULL, upload_main, l) != 0)
		goto fail;
	l->up_started = 1;
	if (pthread_create(&l->chan_thr, NULL, chan_main, l) != 0)
		goto fail;
	l->chan_started = 1;
	return l;
fail:
	livecam_stop(l);
	return NULL;
}

void
livecam_stop(struct livecam *l)
{
	int64_t until;

	if (l == NULL)
		return;
	/* End the session cleanly (viewers get END), give the upload a
	 * moment to deliver it, then cut everything. */
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	end_locked(l, "agent stopping");
	pthread_cond_broadcast(&l->cv);
	until = camera_now_ms() + 2000;
	while (l->have && camera_now_ms() < until) {
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 100 * 1000000;
		if (dl.tv_nsec >= 1000000000) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&l->cv, &l->mu, &dl);
	}
	pthread_mutex_unlock(&l->mu);
	atomic_store(&l->hard_stop, 1);
	pthread_mutex_lock(&l->mu);
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->chan_started)
		pthread_join(l->chan_thr, NULL);
	if (l->up_started)
		pthread_join(l->up_thr, NULL);
	drop_locked(l);
	avcodec_parameters_free(&l->par);
	avcodec_parameters_free(&l->apar);
	httpc_free(l->chan_http);
	httpc_free(l->up_http);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}
