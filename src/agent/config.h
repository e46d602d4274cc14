/*
 * config — a camera's persistent state under the agent's state directory.
 *
 *	<state>/cameras/<camera id hex>/
 *	    camera.json     server URL, pinned owner signing key, source,
 *	                    name, recording settings (not secret)
 *	    camera.key      the camera's Ed25519 secret key (0600, raw 64 bytes)
 *	    token           the camera token (0600)
 *	    keyring         the last accepted owner-signed keyring (raw)
 *	    log-key         the transparency log's verifier key (pinned at pairing)
 *	    log-checkpoint  the last log checkpoint accepted (logcheck.h)
 *	    log-owner       the owner's log id, pinned from the first keyring
 *	    next-seq-<kind> the next unused sequence number (decimal)
 *	    spool/          sealed objects waiting for upload (spool.h)
 *	    lock            held (flock) by the process recording the camera
 *
 * Every file is written durably (temp, fsync, rename, fsync dir) through
 * fsutil. The state directory is --state, else $SEALCAM_AGENT_STATE, else
 * $XDG_DATA_HOME/sealcam-agent, else ~/.local/share/sealcam-agent.
 */
#ifndef SEALCAM_AGENT_CONFIG_H
#define SEALCAM_AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

#define CONFIG_PATH_MAX 1024
#define CONFIG_ID_HEX 33		/* 16-byte camera id as hex + NUL */
#define CONFIG_NAME_MAX 128
#define CONFIG_URL_MAX 512
#define CONFIG_TOKEN_MAX 256
#define CONFIG_CAMERAS_MAX 64
#define CONFIG_SEGMENT_S_DEFAULT 4
#define CONFIG_MAX_SEGMENT_S_DEFAULT 10
#define CONFIG_BUDGET_DEFAULT (2ull << 30)	/* 2 GiB of spool per camera */

struct camera_conf {
	char dir[CONFIG_PATH_MAX];	/* this camera's state directory */
	char id_hex[CONFIG_ID_HEX];
	char name[CONFIG_NAME_MAX];
	char server[CONFIG_URL_MAX];
	uint8_t owner_sign_pk[32];	/* pinned at pairing */
	char source[SOURCE_SPEC_MAX];
	int loop;			/* files: loop forever */
	double speed;			/* files/lavfi pacing factor */
	uint32_t segment_s;		/* target segment length */
	uint32_t max_segment_s;		/* forced cut */
	uint64_t spool_budget;		/* bytes */
	/* This run's overrides of detect.json (command line, not saved). */
	int record_override;		/* enum detconf_record, 0 = none */
	int detect_source_set;		/* detect_source below applies */
	char detect_source[SOURCE_SPEC_MAX];
	uint32_t live_frag_ms;		/* live fragments: 0 = every frame, <= 500 */
};

/* Fill buf with the state directory (see above). 0, or -1 if none. */
int config_state_dir(const char *opt, char *buf, size_t n);

/* Defaults for everything but ids, server, key and source. */
void config_defaults(struct camera_conf *c);

/* Write camera.json (creating c->dir, mode 0700). 0 / -1 (logged). */
int config_save(const struct camera_conf *c);

/* Read <dir>/camera.json. 0 / -1 (logged). */
int config_load(const char *dir, struct camera_conf *c);

/* The camera directories under state (ids into ids[], count *n). */
int config_list(const char *state, char ids[][CONFIG_ID_HEX], size_t max,
    size_t *n);

/* Durably write a secret file (mode 0600) in dir. */
int config_secret_save(const char *dir, const char *name, const void *buf,
    size_t len);

/*
 * Read a file of dir of at most max bytes into buf; *len gets its size.
 * Secret files that are readable by group or others are refused.
 */
int config_file_load(const char *dir, const char *name, int secret,
    uint8_t *buf, size_t max, size_t *len);

/*
 * Reserve the next sequence number of kind: durably record next+1 before
 * returning next, so that after a crash no number is used twice (a crash
 * may skip one). 0 / -1.
 */
int config_seq_reserve(const char *dir, const char *kind, uint64_t *seq);

/* Take the camera's lock file (non-blocking); the fd, or -1 if held. */
int config_lock(const char *dir);

#endif
