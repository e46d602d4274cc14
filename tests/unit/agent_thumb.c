/*
 * Unit tests for src/agent/thumb.c: the JPEG made from a segment's first
 * keyframe has the expected size and aspect, shows the segment's first
 * picture, never upscales, and bad input yields no thumbnail.
 */
#include "t.h"

#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "log.h"
#include "../../src/agent/segmenter.h"
#include "../../src/agent/thumb.h"

static char dir[64];

/* An ffmpeg-made clip (extra: more output options), cut by the segmenter;
 * the first segment is returned. 0 on success. */
static int
first_segment(const char *name, const char *size, const char *extra,
    struct segment *out)
{
	struct segmenter_opts so = { 2000, 10000, SEGMENTER_MAX_BYTES_DEFAULT };
	char cmd[768], path[256];
	AVFormatContext *ic = NULL;
	AVPacket *pkt = av_packet_alloc();
	struct segmenter *sg = NULL;
	struct segment seg;
	int got = 0, rc = -1;

	snprintf(path, sizeof(path), "%s/%s.mp4", dir, name);
	snprintf(cmd, sizeof(cmd), "ffmpeg -hide_banner -loglevel error -y -f lavfi "
	    "-i testsrc2=size=%s:rate=25 -t 3 -c:v libx264 -preset ultrafast "
	    "-g 25 -pix_fmt yuv420p %s %s", size, extra, path);
	if (system(cmd) != 0 || avformat_open_input(&ic, path, NULL, NULL) < 0 ||
	    avformat_find_stream_info(ic, NULL) < 0)
		goto out;
	sg = segmenter_new(ic->streams[0]->codecpar, ic->streams[0]->time_base,
	    NULL, (AVRational){ 1, 1 }, &so);
	while (sg != NULL && !got && av_read_frame(ic, pkt) >= 0) {
		got = segmenter_push(sg, 0, pkt, 1700000000000LL, &seg) == 1;
		av_packet_unref(pkt);
	}
	if (!got && sg != NULL)
		got = segmenter_finish(sg, &seg) == 1;
	if (got) {
		*out = seg;
		rc = 0;
	}
out:
	segmenter_free(sg);
	avformat_close_input(&ic);
	av_packet_free(&pkt);
	return rc;
}

/* Decode a JPEG (or the first frame of a file) to a gray w x h picture. */
static int
decode_gray(const uint8_t *jpeg, size_t jlen, const char *file, int w, int h,
    uint8_t *gray, int *jw, int *jh)
{
	AVCodecContext *ctx = NULL;
	AVFormatContext *ic = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	struct SwsContext *sws = NULL;
	uint8_t *dst[4] = { gray };
	int dls[4] = { w }, rc = -1;
	const AVCodec *dec;

	if (file != NULL) {
		if (avformat_open_input(&ic, file, NULL, NULL) < 0 ||
		    avformat_find_stream_info(ic, NULL) < 0 || av_read_frame(ic, pkt) < 0)
			goto out;
		dec = avcodec_find_decoder(ic->streams[0]->codecpar->codec_id);
	} else {
		dec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
		if (av_new_packet(pkt, (int)jlen) < 0)
			goto out;
		memcpy(pkt->data, jpeg, jlen);
	}
	if (dec == NULL || (ctx = avcodec_alloc_context3(dec)) == NULL ||
	    (ic != NULL && avcodec_parameters_to_context(ctx, ic->streams[0]->codecpar) < 0) ||
	    avcodec_open2(ctx, dec, NULL) < 0 || avcodec_send_packet(ctx, pkt) < 0 ||
	    avcodec_send_packet(ctx, NULL) < 0 || avcodec_receive_frame(ctx, f) < 0)
		goto out;
	*jw = f->width;
	*jh = f->height;
	sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, w, h,
	    AV_PIX_FMT_GRAY8, SWS_AREA, NULL, NULL, NULL);
	if (sws != NULL && sws_scale(sws, (const uint8_t *const *)f->data, f->linesize,
	    0, f->height, dst, dls) == h)
		rc = 0;
out:
	sws_freeContext(sws);
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	avformat_close_input(&ic);
	return rc;
}

int
main(void)
{
	struct segment s720, s120, spal;
	uint8_t *jpeg = NULL, gthumb[320 * 180], gsrc[320 * 180];
	size_t jlen = 0;
	int jw = 0, jh = 0;
	char path[256];

	log_set_level(LOG_ERR);
	av_log_set_level(AV_LOG_ERROR);
	if (t_mkdtemp(dir, sizeof(dir), "sealcam-thumb") == NULL)
		return 1;

	t_case("a 1280x720 segment gives a 320x180 JPEG of its first picture");
	T_EQ(first_segment("hd", "1280x720", "", &s720), 0);
	T_EQ(thumb_make(s720.data, s720.len, &jpeg, &jlen), 0);
	T_ASSERT(jpeg != NULL && jlen > 1000 && jlen < 64 * 1024);
	T_ASSERT(jpeg[0] == 0xff && jpeg[1] == 0xd8);
	T_EQ(decode_gray(jpeg, jlen, NULL, 320, 180, gthumb, &jw, &jh), 0);
	T_EQ(jw, 320);
	T_EQ(jh, 180);
	snprintf(path, sizeof(path), "%s/hd.mp4", dir);
	T_EQ(decode_gray(NULL, 0, path, 320, 180, gsrc, &jw, &jh), 0);
	{
		/* Same picture: mean absolute difference of the gray levels
		 * (JPEG at q5 and two scalings) stays small. */
		long sum = 0;
		for (size_t i = 0; i < sizeof(gsrc); i++)
			sum += abs((int)gthumb[i] - (int)gsrc[i]);
		T_ASSERT(sum / (long)sizeof(gsrc) < 8);
	}
	free(jpeg);
	jpeg = NULL;

	t_case("one thumbnail of a 720p segment costs a few ms of CPU");
	{
		clock_t c0 = clock();
		for (int i = 0; i < 10; i++) {
			T_EQ(thumb_make(s720.data, s720.len, &jpeg, &jlen), 0);
			free(jpeg);
			jpeg = NULL;
		}
		double ms = (double)(clock() - c0) * 1000.0 / CLOCKS_PER_SEC / 10;
		printf("# thumbnail of a 1280x720 segment: %.1f ms CPU\n", ms);
		/* Generous for sanitizer builds on a loaded machine. */
		T_ASSERT(ms < 200);
	}

	t_case("a source narrower than 320 px is not upscaled");
	T_EQ(first_segment("small", "160x120", "", &s120), 0);
	T_EQ(thumb_make(s120.data, s120.len, &jpeg, &jlen), 0);
	T_EQ(decode_gray(jpeg, jlen, NULL, 16, 16, gthumb, &jw, &jh), 0);
	T_EQ(jw, 160);
	T_EQ(jh, 120);
	free(jpeg);
	jpeg = NULL;

	t_case("non-square pixels: 720x576 at 16:15 is shown 4:3 (320x240)");
	T_EQ(first_segment("pal", "720x576", "-vf setsar=16/15", &spal), 0);
	T_EQ(thumb_make(spal.data, spal.len, &jpeg, &jlen), 0);
	T_EQ(decode_gray(jpeg, jlen, NULL, 16, 16, gthumb, &jw, &jh), 0);
	T_EQ(jw, 320);
	T_EQ(jh, 240);
	free(jpeg);
	jpeg = NULL;

	t_case("no keyframe to decode: no thumbnail, nothing allocated");
	{
		uint8_t junk[4096];
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)(i * 7);
		T_EQ(thumb_make(junk, sizeof(junk), &jpeg, &jlen), -1);
		T_ASSERT(jpeg == NULL && jlen == 0);
		/* The init alone (cut before the first fragment). */
		T_EQ(thumb_make(s720.data, 600, &jpeg, &jlen), -1);
		T_ASSERT(jpeg == NULL);
		T_EQ(thumb_make(s720.data, 0, &jpeg, &jlen), -1);
	}

	segment_clear(&s720);
	segment_clear(&s120);
	segment_clear(&spal);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return t_done();
}
