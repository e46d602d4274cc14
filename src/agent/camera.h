/*
 * camera — one camera's recording pipeline inside the agent.
 *
 *	keyring poller ──(recipients, epoch)──┐
 *	source → segmenter → hold → sealer → spool → uploader → sealcamd
 *	  └(substream or packets)→ detect → events ┘ (evwork: records, notify)
 *
 * Threads per camera: the recorder (recorder.c: source, segmenter, hold,
 * sealer), detection (detect.c), the event worker (evwork.c), the keyring
 * poller (keyring_poll.c), the uploader (uploader.c) and live view
 * (livecam.c). Each camera
 * has its own key, token, sequence numbers and spool, so several cameras run
 * side by side in one agent process.
 *
 * Nothing is recorded before an owner-signed keyring has been accepted:
 * there would be nobody to seal to. The recorder waits; it buffers nothing.
 */
#ifndef SEALCAM_AGENT_CAMERA_H
#define SEALCAM_AGENT_CAMERA_H

#include <stdatomic.h>

#include "config.h"

struct camera;

/*
 * Start the camera described by conf (its state directory must hold the key
 * and token). stop is the process-wide stop flag: when it becomes non-zero
 * the recorder finishes and seals the segment in progress. NULL on failure
 * (logged), e.g. when another process records this camera.
 */
struct camera *camera_start(const struct camera_conf *conf,
    atomic_int *stop);

/*
 * After *stop was set: wait for the recorder to seal its last segment, stop
 * the keyring poller, let the uploader flush the spool until deadline_ms
 * (monotonic ms, see camera_now_ms) and free everything. NULL is a no-op.
 */
void camera_stop(struct camera *c, int64_t deadline_ms);

/* A doorbell press on this camera: a ring event (events.h). Waits up to
 * CAMERA_PRESS_WAIT_MS for the notification; *id = the event id (0 if not
 * known in time). 0, or -1 when the camera cannot record yet. */
#define CAMERA_PRESS_WAIT_MS 3000
int camera_press(struct camera *c, uint64_t *id);

/* Re-read the camera's detection settings (detect.json). */
void camera_reload(struct camera *c);

/* The camera's id (hex) and name. */
const char *camera_id_hex(const struct camera *c);
const char *camera_name(const struct camera *c);

/* Monotonic clock in ms (for deadlines). */
int64_t camera_now_ms(void);

#endif
