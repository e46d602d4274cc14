/*
 * events — a camera's events: what the detector saw, what the doorbell
 * did, and what the recorder must keep.
 *
 *	detect thread ──events_frame()──┐            ┌── events_decide() ── recorder
 *	control / press ─events_ring()──┤  events    ├── events_segment()
 *	                                └── jobs ────┴─> evwork thread:
 *	                                     notify (POST /v1/camera/events),
 *	                                     JPEG, seal record, spool
 *
 * Time is the camera's wall clock in ms (what segments carry): the
 * detector feeds frame times, the recorder packet times.
 *
 * Recording decisions. Every finished segment [start, end) is held by the
 * recorder until events_decide() can tell whether an event's clip
 * [clip_start, clip_end] overlaps it: an event that starts later reaches
 * back by the pre-roll, and the detector reports a start a few frames
 * after it happened, so "not overlapped" is known only once the detector
 * has seen frames up to end + pre-roll + start latency; an open event
 * covers a segment once motion continued past it. Overlapped segments are
 * sealed with the event flag; others are sealed plain (continuous, both)
 * or dropped (events only). So the clip of an event starts up to a
 * segment before its pre-roll, never after.
 *
 * Records. An event gets a start record (with a thumbnail of the frame
 * that started it), an update record whenever a new label (person, car,
 * animal) is found (with that frame), and an end record once the
 * recorder has decided every segment up to clip_end (so it lists the
 * segment sequence numbers of the clip). Records and notifications are
 * made on the evwork thread; the detector never waits for a disk or the
 * network.
 *
 * Thread-safe (one lock).
 */
#ifndef SEALCAM_AGENT_EVENTS_H
#define SEALCAM_AGENT_EVENTS_H

#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "detconf.h"
#include "evrec.h"
#include "motion.h"

struct camera;
struct events;

#define EVENTS_MAX_OBJS 16

/* Labels the agent reports (FORMAT.md "Event record plaintext"). */
enum events_label { EVENTS_PERSON = 0, EVENTS_CAR = 1, EVENTS_ANIMAL = 2,
	EVENTS_NLABELS = 3 };

/* A recognised object in a frame, normalised to 0..1. */
struct events_obj {
	float x, y, w, h;
	int label;		/* enum events_label */
	float score;
};

/* Recording decision for one segment. */
enum events_decision { EVENTS_WAIT = 0, EVENTS_KEEP = 1, EVENTS_DROP = 2 };

/* New, for camera c (whose spool, keys and token the worker uses). The
 * worker thread starts here; token is the camera token (copied). */
struct events *events_new(struct camera *c, const char *token);

/* Stop the worker after it finished its queue (records sealed, pending
 * notifications tried once more, until deadline_ms monotonic), free. */
void events_free(struct events *e, int64_t deadline_ms);

/* Apply settings (record mode, notify policy, pre-roll...). */
void events_configure(struct events *e, const struct detconf *d);

/* The record mode in force (enum detconf_record). */
int events_record_mode(struct events *e);

/* --- the detector ---------------------------------------------------------- */

/* The detector runs (1) or not (0): while it does not, decisions use the
 * recorder's clock. */
void events_detector_state(struct events *e, int running);

/*
 * One analysed frame at time t_ms: the motion result r (event start, end,
 * boxes), the objects found in it (objs may be NULL), and the frame for
 * thumbnails (referenced only when a record needs it).
 */
void events_frame(struct events *e, const struct motion_result *r,
    const struct events_obj *objs, int nobjs, const AVFrame *frame,
    int frame_w, int frame_h);

/* 1 if an event is open now (the detector labels only then). */
int events_active(struct events *e);

/* --- the doorbell ------------------------------------------------------------ */

/*
 * A press now: a ring event whose clip runs from pre-roll before to
 * ring_post_seconds after. Waits up to wait_ms until the worker has
 * reserved its id and sent the notification; *id = the event id (0 if not
 * known yet). 0, or -1 if the camera cannot record events yet (no keyring).
 */
int events_ring(struct events *e, int wait_ms, uint64_t *id);

/* --- the recorder -------------------------------------------------------------- */

/* The latest packet's time, and (for ring thumbnails without a detector)
 * the latest video keyframe of the main stream (ref'd; pkt NULL forgets). */
void events_recorder_packet(struct events *e, int64_t t_ms,
    const AVCodecParameters *par, const AVPacket *key);

/*
 * May segment [start_ms, end_ms) be decided now? EVENTS_WAIT, or KEEP with
 * *flags (SEG_FLAG_EVENT when an event's clip overlaps it), or DROP (events
 * only, nothing overlaps). force: decide now with what is known (the
 * recorder stops, or holds too much).
 */
enum events_decision events_decide(struct events *e, int64_t start_ms,
    int64_t end_ms, int force, uint32_t *flags);

/* A decided segment: seq of the sealed segment, 0 if dropped or failed. */
void events_segment(struct events *e, int64_t start_ms, int64_t end_ms,
    uint64_t seq);

/* The recorder ended its run: events waiting for segments end now. */
void events_recorder_done(struct events *e);

/* Detector and recorder ended: close an open event (at its last motion). */
void events_close(struct events *e);

/* Label names ("person"...). */
const char *events_label_name(int label);

#endif
