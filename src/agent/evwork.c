#include "evwork.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "camera.h"
#include "camera_int.h"
#include "httpc.h"
#include "log.h"
#include "thumb.h"

#define EVWORK_NOTIFY_TIMEOUT_S 5
#define EVWORK_MAP 64		/* recent events: local number -> id */

struct evwork_waiter {
	int refs;		/* the waiting thread and the job */
	int done;
	uint64_t id;
};

struct evwork {
	struct camera *c;
	struct httpc *http;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* jobs queued, or done, or stop */
	struct evwork_job *q[EVWORK_QUEUE_MAX];
	size_t head, n;
	int stopping;
	int64_t deadline_ms;
	struct {
		uint32_t local;
		uint64_t id;
		int notified;
	} map[EVWORK_MAP];
	unsigned map_next;
};

struct evwork_waiter *
evwork_waiter_new(void)
{
	struct evwork_waiter *wt = calloc(1, sizeof(*wt));

	if (wt != NULL)
		wt->refs = 2;
	return wt;
}

/* The job's side is done with its waiter (lock held). */
static void
waiter_finish(struct evwork_waiter *wt, uint64_t id)
{
	if (wt == NULL)
		return;
	wt->done = 1;
	wt->id = id;
	if (--wt->refs == 0)
		free(wt);
}

void
evwork_waiter_cancel(struct evwork *w, struct evwork_waiter *wt)
{
	if (wt == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	waiter_finish(wt, 0);
	pthread_mutex_unlock(&w->mu);
}

static void
job_free(struct evwork_job *j)
{
	if (j == NULL)
		return;
	av_frame_free(&j->frame);
	av_packet_free(&j->key);
	avcodec_parameters_free(&j->par);
	free(j);
}

/* --- notifications ------------------------------------------------------------ */

/* POST /v1/camera/events; one retry on a transport error or 5xx. */
static void
notify(struct evwork *w, uint64_t id, int kind, int64_t start_ms)
{
	json_t *body, *resp = NULL;
	int st = -1, late;

	pthread_mutex_lock(&w->mu);
	late = w->stopping && camera_now_ms() > w->deadline_ms;
	pthread_mutex_unlock(&w->mu);
	if (late)
		return;
	for (int attempt = 0; attempt < 2; attempt++) {
		body = json_pack("{s:I, s:s, s:I}", "seq", (json_int_t)id, "kind",
		    evrec_kind_name(kind), "start_ms", (json_int_t)start_ms);
		st = httpc_json(w->http, "POST", "/v1/camera/events", body, &resp);
		json_decref(body);
		json_decref(resp);
		resp = NULL;
		if (st == 200 || st == 201) {
			log_info("event", "camera=%s event=%llu msg=notified kind=%s",
			    w->c->conf.id_hex, (unsigned long long)id,
			    evrec_kind_name(kind));
			return;
		}
		if (st > 0 && st < 500)
			break;		/* refused (rate limit, token): no retry */
		usleep(200000);
	}
	/* The sealed record still goes through the spool: watchers learn
	 * of the event when it is stored. */
	log_warn("event", "camera=%s event=%llu msg=\"notification not "
	    "delivered\" status=%d err=\"%s\"", w->c->conf.id_hex,
	    (unsigned long long)id, st, st < 0 ? httpc_errmsg(w->http) : "refused");
}

/* --- the thread ----------------------------------------------------------------- */

static int
map_find(struct evwork *w, uint32_t local)
{
	for (int i = 0; i < EVWORK_MAP; i++)
		if (w->map[i].id != 0 && w->map[i].local == local)
			return i;
	return -1;
}

static void
run_job(struct evwork *w, struct evwork_job *j)
{
	struct camera *c = w->c;
	uint64_t seq = 0, id = 0;
	uint8_t *jpeg = NULL, *buf = NULL;
	size_t jlen = 0, blen = 0;
	AVFrame *dec = NULL;
	int m, notified_now = 0;
	int64_t dur;

	/* The record's own sequence number; a start record's is the event's
	 * id. Reserved durably before use, like segments'. */
	if (config_seq_reserve(c->conf.dir, "event", &seq) != 0)
		goto done;
	if (j->rec.state == EVREC_START) {
		m = (int)(w->map_next++ % EVWORK_MAP);
		w->map[m].local = j->local;
		w->map[m].id = seq;
		w->map[m].notified = 0;
	} else if ((m = map_find(w, j->local)) < 0) {
		log_warn("event", "camera=%s msg=\"record of an unknown event "
		    "dropped\"", c->conf.id_hex);
		goto done;
	}
	id = w->map[m].id;
	j->rec.event = id;
	if (j->notify && !w->map[m].notified) {
		w->map[m].notified = 1;
		notify(w, id, j->rec.kind, j->rec.start_ms);
		notified_now = 1;
	}
done:
	/* A ring's press waits only for this much. */
	pthread_mutex_lock(&w->mu);
	waiter_finish(j->waiter, id);
	j->waiter = NULL;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (id == 0)
		return;

	/* The thumbnail, then the sealed record. */
	if (j->frame == NULL && j->key != NULL && j->par != NULL)
		j->frame = dec = thumb_decode_keyframe(j->par, j->key);
	if (j->frame != NULL && thumb_frame(j->frame, &jpeg, &jlen) != 0)
		log_debug("event", "camera=%s msg=\"no thumbnail\"", c->conf.id_hex);
	if (j->frame == NULL || jlen == 0) {
		j->rec.thumb_ms = -1;
		j->rec.nboxes = 0;
	}
	dur = j->rec.state == EVREC_END && j->rec.clip_end_ms >= 0 ?
	    j->rec.clip_end_ms - j->rec.clip_start_ms :
	    j->header_now_ms - j->rec.clip_start_ms;
	if (dur < 0)
		dur = 0;
	if (dur > UINT32_MAX)
		dur = UINT32_MAX;
	if (evrec_encode(&j->rec, jpeg, jlen, &buf, &blen) != 0) {
		log_err("event", "camera=%s event=%llu msg=\"cannot encode the "
		    "record\"", c->conf.id_hex, (unsigned long long)id);
	} else if (sealer_seal_event(c, seq, j->rec.clip_start_ms, (uint32_t)dur,
	    buf, blen) == 0) {
		char labels[96] = "", zones[160] = "";
		size_t off = 0;

		for (int i = 0; i < j->rec.nlabels && off < sizeof(labels); i++)
			off += (size_t)snprintf(labels + off, sizeof(labels) - off,
			    "%s%s:%.2f", i ? "," : "", j->rec.labels[i].label,
			    (double)j->rec.labels[i].score);
		off = 0;
		for (int i = 0; i < j->rec.nzones && off < sizeof(zones); i++)
			off += (size_t)snprintf(zones + off, sizeof(zones) - off,
			    "%s%s", i ? "," : "", j->rec.zones[i]);
		log_info("event", "camera=%s event=%llu record=%llu state=%s kind=%s "
		    "start_ms=%lld end_ms=%lld clip_start_ms=%lld clip_end_ms=%lld "
		    "labels=%s zones=\"%s\" segments=%llu-%llu thumbnail=%zu "
		    "notified=%d", c->conf.id_hex, (unsigned long long)id,
		    (unsigned long long)seq, evrec_state_name(j->rec.state),
		    evrec_kind_name(j->rec.kind), (long long)j->rec.start_ms,
		    (long long)j->rec.end_ms, (long long)j->rec.clip_start_ms,
		    (long long)j->rec.clip_end_ms, labels[0] ? labels : "-", zones,
		    (unsigned long long)(j->rec.have_segments ? j->rec.seg_first : 0),
		    (unsigned long long)(j->rec.have_segments ? j->rec.seg_last : 0),
		    jlen, notified_now);
	}
	if (jpeg != NULL)
		sodium_memzero(jpeg, jlen);
	if (buf != NULL)
		sodium_memzero(buf, blen);
	free(jpeg);
	free(buf);
	(void)dec;	/* freed with the job (it is j->frame) */
}

static void *
worker_main(void *cookie)
{
	struct evwork *w = cookie;
	struct evwork_job *j;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->n == 0 && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		/* At shutdown the queue is still sealed (local work); only
		 * notifications stop at the deadline. */
		if (w->n == 0) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		j = w->q[w->head];
		w->head = (w->head + 1) % EVWORK_QUEUE_MAX;
		w->n--;
		pthread_mutex_unlock(&w->mu);
		run_job(w, j);
		job_free(j);
	}
	return NULL;
}

struct evwork *
evwork_start(struct camera *c, const char *token)
{
	struct evwork *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->c = c;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((w->http = httpc_new(c->conf.server, EVWORK_NOTIFY_TIMEOUT_S)) == NULL ||
	    httpc_set_token(w->http, token) != 0 ||
	    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		evwork_stop(w, 0);
		return NULL;
	}
	w->started = 1;
	return w;
}

int
evwork_push(struct evwork *w, struct evwork_job *job)
{
	pthread_mutex_lock(&w->mu);
	if (w->n == EVWORK_QUEUE_MAX || w->stopping) {
		pthread_mutex_unlock(&w->mu);
		log_warn("event", "camera=%s msg=\"event work queue full; record "
		    "dropped\"", w->c->conf.id_hex);
		pthread_mutex_lock(&w->mu);
		waiter_finish(job->waiter, 0);
		job->waiter = NULL;
		pthread_mutex_unlock(&w->mu);
		job_free(job);
		return -1;
	}
	w->q[(w->head + w->n) % EVWORK_QUEUE_MAX] = job;
	w->n++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void
evwork_wait(struct evwork *w, struct evwork_waiter *wt, int ms, uint64_t *id)
{
	struct timespec dl;

	*id = 0;
	if (wt == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!wt->done)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) != 0)
			break;
	*id = wt->id;
	if (--wt->refs == 0)
		free(wt);
	pthread_mutex_unlock(&w->mu);
}

void
evwork_stop(struct evwork *w, int64_t deadline_ms)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	w->deadline_ms = deadline_ms;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thread, NULL);
	httpc_free(w->http);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
