/*
 * logcheck — the agent accepts a keyring only if it is in the transparency
 * log (PROTOCOL.md "Log receipts"), checked against state kept per camera:
 *
 *	<camera dir>/log-key         the log's verifier key, pinned at pairing
 *	                             (from the register answer; an agent paired
 *	                             before the log fetches it once, /v1/log/key)
 *	<camera dir>/log-checkpoint  the last checkpoint accepted (signed note)
 *	<camera dir>/log-owner       the owner's log id (hex), pinned from the
 *	                             first keyring accepted
 *
 * The receipt must show the keyring's entry (type keyring, this camera, this
 * epoch, this keyring's hash, the owner's chain) included under a checkpoint
 * signed by the pinned key that extends the last one accepted. Only then is
 * the new checkpoint saved; the caller then persists and installs the
 * keyring. So every keyring the camera seals to is one the owner's
 * 'sealcam log verify' sees.
 */
#ifndef SEALCAM_AGENT_LOGCHECK_H
#define SEALCAM_AGENT_LOGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct httpc;

/* Tree size of the last accepted checkpoint (0: none), for ?log_size=. */
uint64_t logcheck_size(const char *dir);

/* Save the log key given at registration (0600). 0 / -1 (logged). */
int logcheck_pin_key(const char *dir, const char *vkey);

/*
 * Check that keyring (buf, len) with epoch for camera_id is in the log per
 * the receipt `log` (the "log" member of the keyring answer; NULL or JSON
 * null: not in the log). http is used only to fetch the log key if none is
 * pinned (may be NULL). 0 if accepted (checkpoint and owner id saved), -1
 * if refused (the reason logged) or on an error.
 */
int logcheck_keyring(const char *dir, const char *id_hex,
    const uint8_t camera_id[16], struct httpc *http, const json_t *log,
    const uint8_t *buf, size_t len, uint32_t epoch);

#endif
