/*
 * thumb — a small JPEG of a recorded segment, for the viewer's camera list
 * and timeline (sealed and uploaded like the segment itself: kind
 * thumbnail, the segment's sequence number, the same keyring).
 *
 * Cheap by construction: the segment's fMP4 is demuxed from memory only up
 * to its first video keyframe, that one frame is decoded (one thread),
 * scaled with libswscale and encoded with libavcodec's MJPEG encoder. No
 * other frame is touched.
 */
#ifndef SEALCAM_AGENT_THUMB_H
#define SEALCAM_AGENT_THUMB_H

#include <stddef.h>
#include <stdint.h>

#define THUMB_WIDTH 320			/* target width; smaller sources keep theirs */
#define THUMB_MAX_BYTES (512u << 10)	/* a thumbnail larger than this is refused */

/*
 * JPEG of the first video keyframe of mp4 (a complete fMP4 segment:
 * ftyp moov moof mdat ...), width min(THUMB_WIDTH, source width), height by
 * the display aspect ratio, both even. On success 0 with *jpeg (malloc'd,
 * the caller frees) and *jlen; -1 on failure (logged at debug level: a
 * segment without a decodable keyframe simply has no thumbnail).
 */
int thumb_make(const uint8_t *mp4, size_t len, uint8_t **jpeg, size_t *jlen);

/*
 * The same JPEG from a decoded frame (any format libswscale reads): event
 * thumbnails from the detection stream (evwork.c). 0 / -1.
 */
struct AVFrame;
int thumb_frame(const struct AVFrame *frame, uint8_t **jpeg, size_t *jlen);

/*
 * Decode one keyframe packet on its own (one thread: one frame, threads
 * would only cost start-up time): a new frame the caller frees with
 * av_frame_free, or NULL. thumb_make's decoder, and evwork's for a ring
 * with no detection frame at hand.
 */
struct AVCodecParameters;
struct AVPacket;
struct AVFrame *thumb_decode_keyframe(const struct AVCodecParameters *par,
    const struct AVPacket *pkt);

#endif
