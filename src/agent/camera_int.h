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
#include "source.h"

#include "segmenter.h"

#define CAMERA_HOLD_MAX 64		/* segments held for a decision */

struct spool;
struct uploader;
struct keyring_poll;
struct livecam;
struct events;
struct detect;

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
	struct source_clock clock;	/* main and detection inputs agree */

	struct spool *spool;
	struct uploader *up;
	struct keyring_poll *kp;
	struct livecam *live;		/* live view: command channel, upload */
	struct events *ev;		/* events: decisions, records */
	struct detect *det;		/* detection thread */
	pthread_t recorder;
	int recorder_started;
	uint64_t sealed;		/* segments sealed (recorder thread) */
	/* Finished segments waiting for events' decision (recorder thread). */
	struct segment held[CAMERA_HOLD_MAX];
	size_t nheld;
	size_t held_bytes;
	int record_ended;		/* the hold was flushed for good */
};

/* recorder.c: the recorder thread. */
void *recorder_main(void *cookie);

/* keyring_poll.c: load the persisted keyring, then long-poll for newer. */
struct keyring_poll *keyring_poll_start(struct camera *c);
void keyring_poll_stop(struct keyring_poll *kp);

/* Verify keyring bytes as this camera's owner-signed keyring newer than
 * last_epoch; on success fill *out. 0 / -1 (logged). */
int keyring_poll_accept(const struct camera *c, const uint8_t *buf,
    size_t len, uint32_t last_epoch, struct camera_recipients *out);

/* sealer.c: seal one finished segment to the current recipients into the
 * spool under a freshly reserved sequence number (*seq, may be NULL).
 * 0 / -1 (logged). */
struct segment;
int sealer_seal_segment(struct camera *c, const struct segment *sg,
    uint32_t flags, uint64_t *seq);

/* Seal an event record (evrec plaintext) under seq (reserved by the
 * caller from the "event" counter), flagged as event footage. 0 / -1. */
int sealer_seal_event(struct camera *c, uint64_t seq, int64_t start_ms,
    uint32_t duration_ms, const uint8_t *data, size_t len);

#endif
