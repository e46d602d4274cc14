/*
 * uploader — moves sealed objects from a camera's spool to sealcamd.
 *
 * One thread per camera with its own keep-alive connection (httpc). Oldest
 * object first: PUT /v1/camera/objects/{kind}/{seq} streamed from the spool
 * file. 201 or 200 (the server already has these exact bytes) → deleted from
 * the spool. Transport errors, 5xx, 408 and 429 → retried with exponential
 * backoff and jitter (backoff.h), the recorder keeps recording meanwhile.
 * 401 (token no longer valid) → retried slowly, nothing is thrown away.
 * Any other 4xx is permanent for that object → quarantined, not retried.
 */
#ifndef SEALCAM_AGENT_UPLOADER_H
#define SEALCAM_AGENT_UPLOADER_H

#include <stdint.h>

struct spool;
struct uploader;

/*
 * Start uploading from spool to server_url with the camera token (copied,
 * never logged). camera names the camera in logs. NULL on failure.
 */
struct uploader *uploader_start(const char *server_url, const char *token,
    struct spool *spool, const char *camera);

/*
 * Stop: keep uploading until the spool is empty or deadline_ms passed,
 * then cancel what is in flight, join the thread and free. NULL is a no-op.
 */
void uploader_stop(struct uploader *u, int deadline_ms);

/* Objects acknowledged by the server so far. */
uint64_t uploader_count(struct uploader *u);

#endif
