/*
 * pair — register a new camera with a pairing string (PROTOCOL.md
 * "Pairing a camera", step 2).
 *
 * The pairing string (made by the owner's client, reaching the agent out of
 * band) carries the server URL, the owner's signing public key and a
 * one-time secret. The agent makes the camera's Ed25519 key (camera id =
 * hash of its public key), proves the key to the owner with a MAC under the
 * secret, registers at POST /v1/pairings/{id}/register and keeps what it
 * got: the pinned owner key, the camera key (0600), the camera token (0600).
 * No step trusts the server: a server that swapped the camera key fails the
 * owner's proof check, and keyrings must be signed by the pinned owner key.
 */
#ifndef SEALCAM_AGENT_PAIR_H
#define SEALCAM_AGENT_PAIR_H

#include "config.h"

/*
 * Pair: conf carries the source, name and settings; on success conf is
 * completed (id, dir, server, owner key) and saved under state. 0 / -1
 * (logged; nothing half-written is left that looks like a camera).
 */
int pair_register(const char *pairing_string, const char *state,
    struct camera_conf *conf);

#endif
