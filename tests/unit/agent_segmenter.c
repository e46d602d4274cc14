/*
 * Unit tests for src/agent/segmenter: H.264 (and AAC) stream copy into
 * self-contained fMP4 segments. The input clips are made with ffmpeg at test
 * time; every segment is opened and decoded again with libavformat and
 * libavcodec, as the CLI and the browser will.
 */
#include "t.h"

#include <unistd.h>

#include <libavformat/avformat.h>

#include "log.h"
#include "../../src/agent/segmenter.h"

#define MAXSEG 256

static char dir[64];

struct segs {
	struct segment s[MAXSEG];
	int n;
	int64_t src_video_packets;
};

/* Demux path and push everything through a segmenter. 0 on success. */
static int
run(const char *path, const struct segmenter_opts *o, struct segs *out)
{
	AVFormatContext *ic = NULL;
	AVPacket *pkt = av_packet_alloc();
	struct segmenter *sg = NULL;
	int v, a, r = -1, got;
	struct segment seg;

	memset(out, 0, sizeof(*out));
	if (avformat_open_input(&ic, path, NULL, NULL) < 0 ||
	    avformat_find_stream_info(ic, NULL) < 0)
		goto done;
	v = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	a = av_find_best_stream(ic, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
	if (v < 0)
		goto done;
	sg = segmenter_new(ic->streams[v]->codecpar, ic->streams[v]->time_base,
	    a >= 0 ? ic->streams[a]->codecpar : NULL,
	    a >= 0 ? ic->streams[a]->time_base : (AVRational){ 1, 1 }, o);
	if (sg == NULL)
		goto done;
	while (av_read_frame(ic, pkt) >= 0) {
		int st = pkt->stream_index == v ? 0 :
		    pkt->stream_index == a ? 1 : -1;
		int64_t wall = 1700000000000LL + av_rescale_q(pkt->dts,
		    ic->streams[pkt->stream_index]->time_base, (AVRational){ 1, 1000 });

		if (st == 0)
			out->src_video_packets++;
		if (st >= 0) {
			got = segmenter_push(sg, st, pkt, wall, &seg);
			if (got < 0)
				goto done;
			if (got == 1 && out->n < MAXSEG)
				out->s[out->n++] = seg;
		}
		av_packet_unref(pkt);
	}
	if (segmenter_finish(sg, &seg) == 1 && out->n < MAXSEG)
		out->s[out->n++] = seg;
	r = 0;
done:
	segmenter_free(sg);
	av_packet_free(&pkt);
	avformat_close_input(&ic);
	return r;
}

static void
segs_clear(struct segs *ss)
{
	for (int i = 0; i < ss->n; i++)
		segment_clear(&ss->s[i]);
}

struct mem { const uint8_t *p; size_t len, off; };

static int
callback_read(void *cookie, uint8_t *buf, int n)
{
	struct mem *m = cookie;
	size_t left = m->len - m->off;

	if (left == 0)
		return AVERROR_EOF;
	if ((size_t)n > left)
		n = (int)left;
	memcpy(buf, m->p + m->off, (size_t)n);
	m->off += (size_t)n;
	return n;
}

struct check {
	int ok;			/* opened, all packets decoded without error */
	int first_key;		/* first video packet is a keyframe */
	int has_audio;
	int64_t first_dts_us, end_dts_us;	/* video decode timeline */
	int frames;		/* decoded video frames */
	int major_mp4;		/* starts with ftyp, has moov and moof */
};

static int
has_box(const uint8_t *p, size_t len, const char *type)
{
	for (size_t i = 4; i + 4 <= len; i++)
		if (memcmp(p + i, type, 4) == 0)
			return 1;
	return 0;
}

/* Open one segment on its own, decode every video frame. */
static void
check_segment(const struct segment *sg, struct check *c)
{
	struct mem m = { sg->data, sg->len, 0 };
	unsigned char *iob = av_malloc(65536);
	AVIOContext *pb = avio_alloc_context(iob, 65536, 0, &m, callback_read,
	    NULL, NULL);
	AVFormatContext *ic = avformat_alloc_context();
	AVCodecContext *dec = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	const AVCodec *codec;
	AVStream *vs;
	int v, errors = 0, first = 1;

	memset(c, 0, sizeof(*c));
	c->major_mp4 = sg->len > 8 && memcmp(sg->data + 4, "ftyp", 4) == 0 &&
	    has_box(sg->data, sg->len, "moov") && has_box(sg->data, sg->len, "moof");
	ic->pb = pb;
	if (avformat_open_input(&ic, NULL, NULL, NULL) < 0)
		goto out;
	if (avformat_find_stream_info(ic, NULL) < 0)
		goto out;
	v = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	c->has_audio = av_find_best_stream(ic, AVMEDIA_TYPE_AUDIO, -1, -1,
	    NULL, 0) >= 0;
	if (v < 0)
		goto out;
	vs = ic->streams[v];
	codec = avcodec_find_decoder(vs->codecpar->codec_id);
	dec = avcodec_alloc_context3(codec);
	avcodec_parameters_to_context(dec, vs->codecpar);
	dec->thread_count = 1;
	if (avcodec_open2(dec, codec, NULL) < 0)
		goto out;
	while (av_read_frame(ic, pkt) >= 0) {
		if (pkt->stream_index == v) {
			int64_t d = av_rescale_q(pkt->dts, vs->time_base,
			    (AVRational){ 1, 1000000 });
			int64_t e = av_rescale_q(pkt->dts + pkt->duration,
			    vs->time_base, (AVRational){ 1, 1000000 });

			if (first) {
				c->first_key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
				c->first_dts_us = d;
				first = 0;
			}
			if (e > c->end_dts_us)
				c->end_dts_us = e;
			if (avcodec_send_packet(dec, pkt) < 0)
				errors++;
			while (avcodec_receive_frame(dec, fr) == 0) {
				if (fr->decode_error_flags || (fr->flags & AV_FRAME_FLAG_CORRUPT))
					errors++;
				c->frames++;
			}
		}
		av_packet_unref(pkt);
	}
	avcodec_send_packet(dec, NULL);
	while (avcodec_receive_frame(dec, fr) == 0)
		c->frames++;
	c->ok = errors == 0;
out:
	av_frame_free(&fr);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	avformat_close_input(&ic);
	if (pb) {
		av_freep(&pb->buffer);
		avio_context_free(&pb);
	}
}

static int
make_clip(const char *name, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "ffmpeg -hide_banner -loglevel error -y %s "
	    "%s/%s", args, dir, name);
	return system(cmd);
}

int
main(void)
{
	struct segmenter_opts o = { 4000, 10000, SEGMENTER_MAX_BYTES_DEFAULT };
	struct segs ss;
	struct check c[MAXSEG];
	char path[128];
	int64_t total_frames, dur_sum;

	log_set_level(LOG_ERR);
	av_log_set_level(AV_LOG_ERROR);
	if (t_mkdtemp(dir, sizeof(dir), "sealcam-seg") == NULL)
		return 1;

	/* 20 s, keyframe every 1.5 s, B-frames, with AAC audio. */
	T_EQ(make_clip("av.mp4", "-f lavfi -i testsrc2=size=640x360:rate=25 "
	    "-f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 "
	    "-c:v libx264 -preset ultrafast -bf 2 -g 38 -keyint_min 38 "
	    "-sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 64k"), 0);
	snprintf(path, sizeof(path), "%s/av.mp4", dir);

	t_case("H.264+AAC clip: segments are cut at keyframes, each at least the target");
	T_EQ(run(path, &o, &ss), 0);
	T_ASSERT(ss.n >= 4 && ss.n <= 5);
	for (int i = 0; i < ss.n; i++) {
		T_ASSERT(ss.s[i].starts_with_keyframe);
		if (i < ss.n - 1) {
			T_ASSERT(ss.s[i].duration_ms >= 4000);
			T_ASSERT(ss.s[i].duration_ms <= 4000 + 1520);
		}
	}

	t_case("every segment is ftyp+moov+moof and decodes standalone without error");
	for (int i = 0; i < ss.n; i++) {
		check_segment(&ss.s[i], &c[i]);
		T_ASSERT(c[i].major_mp4);
		T_ASSERT(c[i].ok);
		T_ASSERT(c[i].first_key);
		T_ASSERT(c[i].has_audio);
		T_EQ(c[i].frames, ss.s[i].frames);
	}

	t_case("decode timestamps continue across segments; no frame lost or repeated");
	total_frames = dur_sum = 0;
	for (int i = 0; i < ss.n; i++) {
		total_frames += c[i].frames;
		dur_sum += ss.s[i].duration_ms;
		if (i > 0)
			T_EQ(c[i].first_dts_us, c[i - 1].end_dts_us);
	}
	T_EQ(c[0].first_dts_us, 0);
	T_EQ(total_frames, ss.src_video_packets);
	T_EQ(total_frames, 500);
	T_ASSERT(dur_sum >= 19900 && dur_sum <= 20100);

	t_case("header times: start_ms is the first frame's wall clock, segments abut");
	for (int i = 1; i < ss.n; i++)
		T_EQ(ss.s[i].start_ms, ss.s[i - 1].start_ms + ss.s[i - 1].duration_ms);
	segs_clear(&ss);

	t_case("keyframe interval longer than max: forced cuts at max, timeline still continuous");
	T_EQ(make_clip("longgop.mp4", "-f lavfi -i testsrc2=size=320x240:rate=25 "
	    "-t 16 -c:v libx264 -preset ultrafast -g 400 -keyint_min 400 "
	    "-sc_threshold 0 -pix_fmt yuv420p -an"), 0);
	snprintf(path, sizeof(path), "%s/longgop.mp4", dir);
	o.target_ms = 2000;
	o.max_ms = 5000;
	T_EQ(run(path, &o, &ss), 0);
	T_EQ(ss.n, 4);	/* 5 + 5 + 5 + 1 s */
	total_frames = 0;
	for (int i = 0; i < ss.n; i++) {
		check_segment(&ss.s[i], &c[i]);
		T_ASSERT(!c[i].has_audio);
		if (i < ss.n - 1)
			T_EQ(ss.s[i].duration_ms, 5000);
		T_EQ(ss.s[i].starts_with_keyframe, i == 0);
		if (i > 0)
			T_EQ(c[i].first_dts_us, c[i - 1].end_dts_us);
		total_frames += ss.s[i].frames;
	}
	T_ASSERT(c[0].ok);
	T_EQ(total_frames, 400);
	segs_clear(&ss);

	t_case("target and max are respected for a 2 s target (cameras with 1 s GOP)");
	T_EQ(make_clip("gop1.mp4", "-f lavfi -i testsrc2=size=320x240:rate=30 "
	    "-t 12 -c:v libx264 -preset ultrafast -g 30 -keyint_min 30 "
	    "-sc_threshold 0 -pix_fmt yuv420p -an"), 0);
	snprintf(path, sizeof(path), "%s/gop1.mp4", dir);
	o.target_ms = 2000;
	o.max_ms = 10000;
	T_EQ(run(path, &o, &ss), 0);
	T_EQ(ss.n, 6);
	for (int i = 0; i < ss.n; i++) {
		T_EQ(ss.s[i].duration_ms, 2000);
		check_segment(&ss.s[i], &c[i]);
		T_ASSERT(c[i].ok && c[i].first_key);
		T_EQ(c[i].frames, 60);
	}
	segs_clear(&ss);

	t_case("a stream without SPS/PPS or not H.264 is refused with a clear error");
	{
		AVCodecParameters *p = avcodec_parameters_alloc();

		p->codec_type = AVMEDIA_TYPE_VIDEO;
		p->codec_id = AV_CODEC_ID_H264;
		p->width = 320;
		p->height = 240;
		T_ASSERT(segmenter_new(p, (AVRational){ 1, 90000 }, NULL,
		    (AVRational){ 1, 1 }, &o) == NULL);
		p->codec_id = AV_CODEC_ID_MJPEG;
		T_ASSERT(segmenter_new(p, (AVRational){ 1, 90000 }, NULL,
		    (AVRational){ 1, 1 }, &o) == NULL);
		avcodec_parameters_free(&p);
	}

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
