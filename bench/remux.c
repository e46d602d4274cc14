/*
 * bench/remux — the limit for the agent's recording work: demux an H.264
 * file and remux it (stream copy) into fragmented MP4 in memory with
 * libavformat, cut every 4 s, as fast as possible. Prints the CPU time per
 * second of video, as a percentage of one core at real time: what one
 * camera would cost if the agent did nothing but remux.
 *
 *	build/bench/remux clip.mp4 [repeats]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <libavformat/avformat.h>

static int
callback_discard(void *cookie, uint8_t *buf, int n)
{
	(void)cookie;
	(void)buf;
	return n;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* One pass; returns the media duration in seconds, -1 on error. */
static double
remux(const char *path)
{
	AVFormatContext *ic = NULL, *oc = NULL;
	AVDictionary *opts = NULL;
	AVPacket *pkt = av_packet_alloc();
	unsigned char *iob = av_malloc(65536);
	AVIOContext *pb = avio_alloc_context(iob, 65536, 1, NULL, NULL,
	    callback_discard, NULL);
	int64_t first = AV_NOPTS_VALUE, last = 0, cut = 0;
	AVStream *is, *os;
	double dur = -1;

	if (avformat_open_input(&ic, path, NULL, NULL) < 0 ||
	    avformat_find_stream_info(ic, NULL) < 0 ||
	    avformat_alloc_output_context2(&oc, NULL, "mp4", NULL) < 0)
		goto out;
	is = ic->streams[0];
	os = avformat_new_stream(oc, NULL);
	avcodec_parameters_copy(os->codecpar, is->codecpar);
	os->codecpar->codec_tag = 0;
	os->time_base = is->time_base;
	oc->pb = pb;
	oc->flags |= AVFMT_FLAG_CUSTOM_IO;
	av_dict_set(&opts, "movflags", "empty_moov+frag_custom+default_base_moof", 0);
	if (avformat_write_header(oc, &opts) < 0)
		goto out;
	while (av_read_frame(ic, pkt) >= 0) {
		if (pkt->stream_index != 0) {
			av_packet_unref(pkt);
			continue;
		}
		if (first == AV_NOPTS_VALUE)
			first = pkt->dts;
		last = pkt->dts;
		if ((pkt->flags & AV_PKT_FLAG_KEY) &&
		    av_rescale_q(pkt->dts - cut, is->time_base,
		    (AVRational){ 1, 1000 }) >= 4000) {
			av_write_frame(oc, NULL);
			cut = pkt->dts;
		}
		av_packet_rescale_ts(pkt, is->time_base, os->time_base);
		pkt->stream_index = 0;
		av_write_frame(oc, pkt);
	}
	av_write_trailer(oc);
	dur = (double)(last - first) * av_q2d(is->time_base);
out:
	av_dict_free(&opts);
	av_packet_free(&pkt);
	avformat_close_input(&ic);
	avformat_free_context(oc);
	if (pb) {
		av_freep(&pb->buffer);
		avio_context_free(&pb);
	}
	return dur;
}

int
main(int argc, char **argv)
{
	int reps = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
	double best = 1e9, media = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: remux clip.mp4 [repeats]\n");
		return 2;
	}
	for (int i = 0; i < reps; i++) {
		double t0 = cpu_s(), d = remux(argv[1]), t = cpu_s() - t0;

		if (d <= 0) {
			fprintf(stderr, "remux: cannot read %s\n", argv[1]);
			return 1;
		}
		media = d;
		if (t < best)
			best = t;
	}
	printf("remux_media_s=%.1f remux_cpu_s=%.4f remux_x_realtime=%.0f "
	    "remux_limit_pct=%.4f\n", media, best, media / best,
	    best / media * 100);
	return 0;
}
