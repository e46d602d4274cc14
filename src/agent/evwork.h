/*
 * evwork — the thread that turns a camera's event decisions into things
 * that take time: reserving record sequence numbers (fsync), telling the
 * server at once (POST /v1/camera/events), making a thumbnail (thumb.c:
 * scale + MJPEG), sealing the record into the spool. Internal to events.c.
 *
 * Jobs run in order. An event's first job (its start record) reserves the
 * sequence number that becomes the event's id; later jobs of the event
 * look it up by the events module's local event number.
 */
#ifndef SEALCAM_AGENT_EVWORK_H
#define SEALCAM_AGENT_EVWORK_H

#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "evrec.h"

struct camera;
struct evwork;

#define EVWORK_QUEUE_MAX 256	/* jobs waiting; more are dropped (logged) */

struct evwork_job {
	uint32_t local;		/* the events module's event number */
	struct evrec rec;	/* the record (rec.event is filled here) */
	int notify;		/* tell watchers now (once per event) */
	int64_t header_now_ms;	/* for the container duration of open events */
	AVFrame *frame;		/* thumbnail source (owned by the job), or */
	AVPacket *key;		/* a keyframe to decode (owned) with */
	AVCodecParameters *par;	/* its parameters (owned) */
	struct evwork_waiter *waiter;	/* a press waiting for the id, or NULL */
};

/*
 * A press waits for its event's id (and notification) with a waiter: made
 * with evwork_waiter_new, put in the job, then evwork_wait. The waiter is
 * shared by the waiting thread and the worker and freed by the last one
 * done with it, so a press that stops waiting leaves nothing dangling.
 */
struct evwork_waiter;
struct evwork_waiter *evwork_waiter_new(void);
/* The job side's release when no job could be made (id 0). */
void evwork_waiter_cancel(struct evwork *w, struct evwork_waiter *wt);

/* Start the worker for camera c; token is copied into its HTTP client. */
struct evwork *evwork_start(struct camera *c, const char *token);

/* Queue a job (taken: frame, key, par belong to the worker now, also on
 * failure). -1 if the queue is full (the job is dropped and freed). */
int evwork_push(struct evwork *w, struct evwork_job *job);

/* Wait up to ms for the waiter's job; *id = the event id (0 if not yet).
 * Releases the waiter. */
void evwork_wait(struct evwork *w, struct evwork_waiter *wt, int ms,
    uint64_t *id);

/* Finish the queue (until deadline_ms, monotonic), stop, free. */
void evwork_stop(struct evwork *w, int64_t deadline_ms);

#endif
