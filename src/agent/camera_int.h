/*
 * camera_int — what camera.c, keyring_poll.c and sealer.c share about one
 * camera. Not part of any public interface.
 */
#ifndef SEALCAM_AGENT_CAMERA_INT_H
#define SEALCAM_AGENT_CAMERA_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "seg.h"

struct spool;
struct uploader;
struct keyring_poll;
struct livecam;

/* The recipients of the keyring in force (copied by the sealer). */
struct camera_recipients {
	uint32_t epoch;			/* 0 = none accepted yet */
	unsigned n;
	uint8_t pk[SEG_MAX_RECIPIENTS][SEG_PK_BYTES];	/* X25519 */
};

struct camera {
	struct camera_conf conf;
	atomic_int *stop;	/* process-wide */
	uint8_t camera_id[SEG_CAMERA_ID_BYTES];
	uint8_t sk[SEG_SIGN_SK_BYTES];	/* Ed25519; wiped in camera_stop */
	char token[CONFIG_TOKEN_MAX + 1];	/* wiped after handing to httpc */
	int lock_fd;

	pthread_mutex_t mu;
	pthread_cond_t cv;		/* signalled on a new keyring or stop */
	struct camera_recipients rcpt;	/* under mu */

	struct spool *spool;
	struct uploader *up;
	struct keyring_poll *kp;
	struct livecam *live;		/* live view: command channel, upload */
	pthread_t recorder;
	int recorder_started;
	uint64_t sealed;		/* segments sealed (recorder thread) */
};

/* keyring_poll.c: load the persisted keyring, then long-poll for newer. */
struct keyring_poll *keyring_poll_start(struct camera *c);
void keyring_poll_stop(struct keyring_poll *kp);

/* Verify keyring bytes as this camera's owner-signed keyring newer than
 * last_epoch; on success fill *out. 0 / -1 (logged). */
int keyring_poll_accept(const struct camera *c, const uint8_t *buf,
    size_t len, uint32_t last_epoch, struct camera_recipients *out);

/* sealer.c: seal one finished segment to the current recipients into the
 * spool under a freshly reserved sequence number. 0 / -1 (logged). */
struct segment;
int sealer_seal_segment(struct camera *c, const struct segment *sg,
    uint32_t flags);

#endif
