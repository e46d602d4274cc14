/*
 * camera — one camera's recording pipeline inside the agent.
 *
 *	keyring poller ──(recipients, epoch)──┐
 *	source → segmenter → sealer → spool → uploader → sealcamd
 *
 * Three threads per camera: the recorder (source, segmenter, sealer), the
 * keyring poller (keyring_poll.c) and the uploader (uploader.c). Each camera
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

/* Monotonic clock in ms (for deadlines). */
int64_t camera_now_ms(void);

#endif
