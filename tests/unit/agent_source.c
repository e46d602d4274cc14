/*
 * Unit tests for src/agent/source: files (pacing, looping) and the lavfi
 * test pattern encoded to H.264 in-process. RTSP and V4L2 need a camera;
 * the RTSP path is the same libavformat read loop with different options.
 */
#include "t.h"

#include <stdatomic.h>
#include <time.h>

#include <libavformat/avformat.h>

#include "log.h"
#include "../../src/agent/source.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	char dir[64], path[128], cmd[512];
	struct source_opts o = { 0 };
	struct source *s;
	AVPacket *pkt = av_packet_alloc();
	AVRational tb;
	const AVCodecParameters *par;
	int stream, r, n, keys, mono;
	int64_t wall, last, first_wall;
	double t0;

	log_set_level(LOG_ERR);
	av_log_set_level(AV_LOG_ERROR);
	if (t_mkdtemp(dir, sizeof(dir), "sealcam-src") == NULL)
		return 1;
	snprintf(cmd, sizeof(cmd), "ffmpeg -hide_banner -loglevel error -y -f lavfi "
	    "-i testsrc2=size=320x240:rate=25 -f lavfi -i sine=sample_rate=48000 "
	    "-t 2 -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -c:a aac "
	    "%s/clip.mp4", dir);
	T_EQ(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/clip.mp4", dir);

	t_case("file source: H.264 video and AAC audio are handed out as-is");
	s = source_open(path, &o);
	T_ASSERT(s != NULL);
	par = source_video(s, &tb);
	T_EQ(par->codec_id, AV_CODEC_ID_H264);
	T_ASSERT(par->extradata_size > 0);
	T_ASSERT(source_audio(s, &tb) != NULL);
	n = 0;
	while ((r = source_read(s, pkt, &stream, &wall)) == SOURCE_OK) {
		n += stream == 0;
		av_packet_unref(pkt);
	}
	T_EQ(r, SOURCE_EOF);
	T_EQ(n, 50);
	source_free(s);

	t_case("looped file: video timestamps keep rising across three passes");
	o.loop = 1;
	s = source_open(path, &o);
	n = 0;
	mono = 1;
	last = INT64_MIN;
	while (n < 150 && source_read(s, pkt, &stream, &wall) == SOURCE_OK) {
		if (stream == 0) {
			if (pkt->dts <= last)
				mono = 0;
			last = pkt->dts;
			n++;
		}
		av_packet_unref(pkt);
	}
	T_EQ(n, 150);
	T_ASSERT(mono);
	/* 150 frames at 25 fps: the third pass ends near 6 s. */
	source_video(s, &tb);
	T_ASSERT(av_rescale_q(last, tb, (AVRational){ 1, 1000 }) >= 5900);
	source_free(s);

	t_case("paced file at --speed 4: 2 s of video takes about 0.5 s, wall clock follows media time");
	o.loop = 0;
	o.speed = 4;
	s = source_open(path, &o);
	t0 = now_s();
	first_wall = -1;
	while (source_read(s, pkt, &stream, &wall) == SOURCE_OK) {
		if (first_wall < 0)
			first_wall = wall;
		last = wall;
		av_packet_unref(pkt);
	}
	t0 = now_s() - t0;
	T_ASSERT(t0 >= 0.4 && t0 < 1.5);
	T_ASSERT(last - first_wall >= 1900 && last - first_wall <= 2100);
	source_free(s);

	t_case("a stop request interrupts a paced read at once");
	{
		atomic_int stop = 0;

		o.speed = 0.1;	/* 2 s of video would take 20 s */
		o.stop = &stop;
		s = source_open(path, &o);
		T_EQ(source_read(s, pkt, &stream, &wall), SOURCE_OK);
		av_packet_unref(pkt);
		atomic_store(&stop, 1);
		t0 = now_s();
		while ((r = source_read(s, pkt, &stream, &wall)) == SOURCE_OK)
			av_packet_unref(pkt);
		T_EQ(r, SOURCE_STOPPED);
		T_ASSERT(now_s() - t0 < 0.5);
		source_free(s);
		o.stop = NULL;
	}

	t_case("testsrc: 1280x720 H.264 with SPS/PPS, a keyframe every 2 s");
	o.speed = 0;
	s = source_open("testsrc", &o);
	T_ASSERT(s != NULL);
	par = source_video(s, &tb);
	T_EQ(par->codec_id, AV_CODEC_ID_H264);
	T_EQ(par->width, 1280);
	T_EQ(par->height, 720);
	T_ASSERT(par->extradata_size > 0);
	T_ASSERT(source_audio(s, &tb) == NULL);
	keys = 0;
	for (n = 0; n < 100; n++) {
		T_EQ(source_read(s, pkt, &stream, &wall), SOURCE_OK);
		T_EQ(stream, 0);
		if (pkt->flags & AV_PKT_FLAG_KEY) {
			T_EQ(n % 50, 0);
			keys++;
		}
		av_packet_unref(pkt);
	}
	T_EQ(keys, 2);
	source_free(s);

	t_case("a missing file or a non-H.264 file is refused with an error, not a crash");
	T_ASSERT(source_open("/nonexistent/clip.mp4", &o) == NULL);
	snprintf(cmd, sizeof(cmd), "ffmpeg -hide_banner -loglevel error -y -f lavfi "
	    "-i testsrc2=size=160x120:rate=5 -t 1 -c:v mjpeg %s/clip.avi", dir);
	T_EQ(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/clip.avi", dir);
	T_ASSERT(source_open(path, &o) == NULL);

	av_packet_free(&pkt);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
