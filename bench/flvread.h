/*
 * flvread.h — the video tags of an FLV file, for the live benchmarks
 * (bench/live.c and bench/rtmp/live_rtmp.c send the same frames through
 * sealcamd's relay and through nginx-rtmp). FLV: 9-byte header, then
 * (4-byte previous size, 11-byte tag header, body)*.
 */
#ifndef SEALCAM_BENCH_FLVREAD_H
#define SEALCAM_BENCH_FLVREAD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flv_tag {
	uint8_t *data;		/* the whole tag: 11-byte header + body */
	size_t len;
	size_t body;		/* body bytes */
	int key;		/* video keyframe */
	int seq_header;		/* AVC sequence header (SPS/PPS) */
};

/* All video tags of path (*n set); NULL on failure. */
static inline struct flv_tag *
flv_read_video(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct flv_tag *tags = NULL;
	uint8_t h[11];
	size_t cap = 0;

	*n = 0;
	if (f == NULL || fseek(f, 13, SEEK_SET) != 0)	/* header + prev size 0 */
		goto out;
	while (fread(h, 1, 11, f) == 11) {
		size_t body = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
		uint8_t *t = malloc(11 + body);

		if (t == NULL || (memcpy(t, h, 11), fread(t + 11, 1, body, f)) != body) {
			free(t);
			break;
		}
		fseek(f, 4, SEEK_CUR);	/* previous tag size */
		if (h[0] != 9 || body < 2) {
			free(t);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			tags = realloc(tags, cap * sizeof(*tags));
		}
		tags[*n].data = t;
		tags[*n].len = 11 + body;
		tags[*n].body = body;
		tags[*n].key = (t[11] >> 4) == 1;
		tags[*n].seq_header = t[12] == 0;
		(*n)++;
	}
out:
	if (f)
		fclose(f);
	return tags;
}

#endif
