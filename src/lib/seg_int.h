/*
 * seg_int.h — internals shared by seg.c, seg_seal.c and seg_open.c only.
 */
#ifndef SEALCAM_SEG_INT_H
#define SEALCAM_SEG_INT_H

#include <stdint.h>

#include "codec.h"
#include "seg.h"

/* Header field offsets (docs/FORMAT.md, "Header"). */
#define SEG_OFF_MAGIC 0
#define SEG_OFF_VERSION 4
#define SEG_OFF_KIND 5
#define SEG_OFF_FLAGS 6
#define SEG_OFF_NREC 7
#define SEG_OFF_CAMERA 8
#define SEG_OFF_SEQ 24
#define SEG_OFF_START 32
#define SEG_OFF_DURATION 40
#define SEG_OFF_EPOCH 44
#define SEG_OFF_SSHEADER 48
#define SEG_OFF_STANZAS 72

#define SEG_SIG_PREFIX_BYTES 16
#define SEG_SIGNED_BYTES (SEG_SIG_PREFIX_BYTES + 2 * SEG_HASH_BYTES)

void seg_set_last_error(int err);

/* The 80 bytes the camera signs (prefix || header hash || body hash). */
void seg_signed_message(uint8_t msg[SEG_SIGNED_BYTES],
    const uint8_t header_hash[SEG_HASH_BYTES],
    const uint8_t body_hash[SEG_HASH_BYTES]);

/*
 * Encode a header (recipient stanzas sorted by key id) into out, which has
 * room for SEG_HEADER_MAX bytes; *outlen gets the length. The data key is
 * sealed to each recipient here.
 */
int seg_header_encode(const struct seg_seal_params *p,
    const uint8_t camera_id[SEG_CAMERA_ID_BYTES],
    const uint8_t data_key[SEG_DATA_KEY_BYTES],
    const uint8_t ss_header[SEG_SS_HEADER_BYTES], uint8_t *out, size_t *outlen);

#endif
