/*
 * evnotes — the server's short memory of event notifications, for
 * watchers (GET /v1/events, PROTOCOL.md "Events").
 *
 * A note is what the server may know about an event: which camera, when,
 * its kind (motion or ring, from the camera's notify call), or that a
 * sealed event record was stored (from an upload). Never a label, a box or
 * a picture: those are inside the sealed record.
 *
 * Notes live in a fixed ring in memory (oldest overwritten). Ids only
 * increase, also across restarts: they start at the server's start time in
 * ms times 1024, so a watcher's cursor from before a restart is below every
 * new id. The ring is per process; a watcher that fell further behind than
 * the ring holds is told so (gap) and lists sealed records instead.
 *
 * Thread-safe.
 */
#ifndef SEALCAMD_EVNOTES_H
#define SEALCAMD_EVNOTES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define EVNOTES_CAP 4096		/* notes kept */

enum evnote_type { EVNOTE_MOTION = 1, EVNOTE_RING = 2, EVNOTE_RECORD = 3 };

struct evnote {
	int64_t id;			/* increasing */
	uint8_t camera_id[STORE_ID_LEN];
	int type;			/* enum evnote_type */
	uint64_t seq;			/* the event record's sequence number */
	int64_t start_ms;		/* event start (camera clock) */
	int64_t at_ms;			/* when the server heard of it */
};

struct evnotes;

/* now_ms seeds the ids. NULL on allocation failure. */
struct evnotes *evnotes_new(int64_t now_ms);
void evnotes_free(struct evnotes *en);

/*
 * Add a note (id assigned) unless one with the same camera, type and seq
 * is held already (a camera's retry): *id gets the note's id either way.
 * Returns 1 if added, 0 if it was there.
 */
int evnotes_add(struct evnotes *en, const struct evnote *n, int64_t *id);

/* The newest id (or the seed - 1 when empty). */
int64_t evnotes_last(struct evnotes *en);

/* Should a watcher see notes of this camera? (1 yes) */
typedef int evnotes_want_fn(void *cookie, const uint8_t cam[STORE_ID_LEN]);

/*
 * Notes with id > after that want() accepts, oldest first, at most max into
 * out. *next = the id to pass as `after` next time (the last note looked
 * at, wanted or not); *gap = 1 if notes after `after` were already
 * overwritten. Returns the count.
 */
size_t evnotes_since(struct evnotes *en, int64_t after, evnotes_want_fn *want,
    void *cookie, struct evnote *out, size_t max, int64_t *next, int *gap);

/* The waitlist key watchers park under (wait.h): no camera id is all 0xff
 * but with negligible probability, and a spurious wake-up only re-checks. */
extern const uint8_t evnotes_wait_key[STORE_ID_LEN];

#endif
