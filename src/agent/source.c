#include "source.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>

#include "log.h"
#include "source_enc.h"

#define SOURCE_TESTSRC "testsrc2=size=1280x720:rate=25"
#define SOURCE_GOP_S 2			/* keyframe interval when we encode */
#define SOURCE_RTSP_TIMEOUT_US "5000000"

struct source {
	enum source_type type;
	struct source_opts o;
	AVFormatContext *ic;
	int vi, ai;			/* input stream indexes, ai -1 = none */
	struct source_enc *enc;		/* non-H.264 input: encode */
	AVPacket *in;			/* scratch input packet */

	/* Pacing and looping (files, lavfi). */
	int paced;
	int64_t wall0_us;		/* monotonic clock at the first packet */
	int64_t wall0_ms;		/* wall clock at the first packet */
	int64_t ts0_us;			/* media time of the first packet */
	int have_ts0;
	int64_t loop_off_us;		/* added to timestamps after a loop */
	int64_t pass_end_us;		/* end of the latest packet this pass */
	int64_t pass_start_us;		/* first timestamp of the file */
	int have_pass_start;
	int eof_drained;
};

static pthread_once_t source_once = PTHREAD_ONCE_INIT;

static void
source_global_init(void)
{
	avdevice_register_all();
	avformat_network_init();
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
wall_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum source_type
source_type_of(const char *spec)
{
	if (strncmp(spec, "rtsp://", 7) == 0 || strncmp(spec, "rtsps://", 8) == 0)
		return SOURCE_RTSP;
	if (strncmp(spec, "/dev/video", 10) == 0)
		return SOURCE_V4L2;
	if (strcmp(spec, "testsrc") == 0 || strncmp(spec, "lavfi:", 6) == 0)
		return SOURCE_LAVFI;
	return SOURCE_FILE;
}

static const char *
type_name(enum source_type t)
{
	static const char *const names[] = { "file", "rtsp", "v4l2", "lavfi" };

	return (unsigned)t < 4 ? names[t] : "?";
}

/* libavformat polls this during blocking I/O: stop means stop now. */
static int
callback_interrupt(void *cookie)
{
	struct source *s = cookie;

	return s->o.stop != NULL && atomic_load(s->o.stop);
}

struct source *
source_open(const char *spec, const struct source_opts *o)
{
	struct source *s;
	const AVInputFormat *fmt = NULL;
	AVDictionary *opts = NULL;
	const char *url = spec;
	AVStream *vs;
	int r;

	pthread_once(&source_once, source_global_init);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->o = *o;
	s->type = source_type_of(spec);
	s->ai = -1;
	switch (s->type) {
	case SOURCE_RTSP:
		/* TCP: no lost UDP packets, works through NAT and firewalls. */
		av_dict_set(&opts, "rtsp_transport", "tcp", 0);
		av_dict_set(&opts, "timeout", SOURCE_RTSP_TIMEOUT_US, 0);
		break;
	case SOURCE_V4L2:
		fmt = av_find_input_format("video4linux2");
		break;
	case SOURCE_LAVFI:
		fmt = av_find_input_format("lavfi");
		url = strcmp(spec, "testsrc") == 0 ? SOURCE_TESTSRC : spec + 6;
		s->paced = 1;
		break;
	case SOURCE_FILE:
		s->paced = 1;
		break;
	}
	if (s->o.speed <= 0)
		s->paced = 0;
	if ((s->type == SOURCE_V4L2 || s->type == SOURCE_LAVFI) && fmt == NULL) {
		log_err("source", "msg=\"libavdevice lacks the input format\" "
		    "type=%s", s->type == SOURCE_V4L2 ? "v4l2" : "lavfi");
		goto fail;
	}
	if ((s->ic = avformat_alloc_context()) == NULL ||
	    (s->in = av_packet_alloc()) == NULL)
		goto fail;
	s->ic->interrupt_callback.callback = callback_interrupt;
	s->ic->interrupt_callback.opaque = s;
	r = avformat_open_input(&s->ic, url, fmt, &opts);
	av_dict_free(&opts);
	if (r < 0) {
		/* The URL may carry camera credentials: log the type only. */
		log_err("source", "msg=\"cannot open source\" type=%s err=\"%s\"",
		    type_name(s->type), av_err2str(r));
		goto fail;
	}
	if ((r = avformat_find_stream_info(s->ic, NULL)) < 0) {
		log_err("source", "msg=\"cannot probe source\" err=\"%s\"",
		    av_err2str(r));
		goto fail;
	}
	s->vi = av_find_best_stream(s->ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (s->vi < 0) {
		log_err("source", "msg=\"source has no video\"");
		goto fail;
	}
	r = av_find_best_stream(s->ic, AVMEDIA_TYPE_AUDIO, -1, s->vi, NULL, 0);
	if (r >= 0 && s->ic->streams[r]->codecpar->codec_id == AV_CODEC_ID_AAC)
		s->ai = r;
	vs = s->ic->streams[s->vi];
	/* Cameras and files: stream copy of H.264 or H.265 (many IP cameras
	 * default to H.265); re-encoding a camera's main stream would cost a
	 * core per camera. */
	if ((s->type == SOURCE_RTSP || s->type == SOURCE_FILE) &&
	    vs->codecpar->codec_id == AV_CODEC_ID_HEVC) {
		/* copied as it is */
	} else if (vs->codecpar->codec_id != AV_CODEC_ID_H264) {
		if (s->type == SOURCE_RTSP || s->type == SOURCE_FILE) {
			log_err("source", "msg=\"video is neither H.264 nor "
			    "H.265\" codec=%s",
			    avcodec_get_name(vs->codecpar->codec_id));
			goto fail;
		}
		s->enc = source_enc_new(vs->codecpar, vs->time_base,
		    av_guess_frame_rate(s->ic, vs, NULL), SOURCE_GOP_S);
		if (s->enc == NULL)
			goto fail;
		s->ai = -1;
	}
	for (unsigned i = 0; i < s->ic->nb_streams; i++)
		if ((int)i != s->vi && (int)i != s->ai)
			s->ic->streams[i]->discard = AVDISCARD_ALL;
	log_info("source", "msg=opened type=%s video=%s %dx%d audio=%s paced=%d "
	    "loop=%d", type_name(s->type), avcodec_get_name(vs->codecpar->codec_id),
	    vs->codecpar->width, vs->codecpar->height,
	    s->ai >= 0 ? "aac" : "none", s->paced, s->o.loop);
	return s;
fail:
	av_dict_free(&opts);
	source_free(s);
	return NULL;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	source_enc_free(s->enc);
	avformat_close_input(&s->ic);
	av_packet_free(&s->in);
	free(s);
}

const AVCodecParameters *
source_video(const struct source *s, AVRational *tb)
{
	if (s->enc != NULL)
		return source_enc_par(s->enc, tb);
	*tb = s->ic->streams[s->vi]->time_base;
	return s->ic->streams[s->vi]->codecpar;
}

const AVCodecParameters *
source_audio(const struct source *s, AVRational *tb)
{
	if (s->ai < 0)
		return NULL;
	*tb = s->ic->streams[s->ai]->time_base;
	return s->ic->streams[s->ai]->codecpar;
}

/* Sleep until the monotonic time target_us, waking for stop. */
static int
sleep_until(struct source *s, int64_t target_us)
{
	for (;;) {
		int64_t d = target_us - mono_us();
		struct timespec ts;

		if (s->o.stop != NULL && atomic_load(s->o.stop))
			return -1;
		if (d <= 0)
			return 0;
		if (d > 50000)
			d = 50000;	/* stay responsive to stop */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)d * 1000;
		nanosleep(&ts, NULL);
	}
}

/* Seek a file back to its start and keep the timeline running. */
static int
loop_restart(struct source *s)
{
	int r = av_seek_frame(s->ic, s->vi, s->ic->streams[s->vi]->start_time !=
	    AV_NOPTS_VALUE ? s->ic->streams[s->vi]->start_time : 0,
	    AVSEEK_FLAG_BACKWARD);

	if (r < 0) {
		log_err("source", "msg=\"cannot loop\" err=\"%s\"", av_err2str(r));
		return -1;
	}
	s->loop_off_us += s->pass_end_us - s->pass_start_us;
	log_debug("source", "msg=looped offset_us=%lld",
	    (long long)s->loop_off_us);
	return 0;
}

/*
 * Timestamps: shift by the loop offset, then pace. t_us is the packet's
 * media time (µs, offset applied); wall is derived from it so segment
 * times follow the media clock.
 */
static int
pace(struct source *s, int64_t t_us, int64_t *wall_ms)
{
	if (!s->have_ts0) {
		s->have_ts0 = 1;
		s->ts0_us = t_us;
		s->wall0_us = mono_us();
		s->wall0_ms = wall_ms_now();
		if (s->o.clock != NULL && s->paced &&
		    (s->type == SOURCE_FILE || s->type == SOURCE_LAVFI)) {
			/* The camera's other input started first: pace from its
			 * instant (media time 0 of both at the same moment). */
			pthread_mutex_lock(&s->o.clock->mu);
			if (s->o.clock->set) {
				s->wall0_us = s->o.clock->mono0_us +
				    (int64_t)((double)t_us / s->o.speed);
				s->wall0_ms = s->o.clock->wall0_ms + t_us / 1000;
			} else {
				s->o.clock->set = 1;
				s->o.clock->mono0_us = s->wall0_us -
				    (int64_t)((double)t_us / s->o.speed);
				s->o.clock->wall0_ms = s->wall0_ms - t_us / 1000;
			}
			pthread_mutex_unlock(&s->o.clock->mu);
		}
	}
	if (s->type == SOURCE_RTSP || s->type == SOURCE_V4L2) {
		*wall_ms = wall_ms_now();
		return 0;
	}
	*wall_ms = s->wall0_ms + (t_us - s->ts0_us) / 1000;
	if (!s->paced)
		return 0;
	return sleep_until(s, s->wall0_us +
	    (int64_t)((double)(t_us - s->ts0_us) / s->o.speed));
}

/* Read one input packet of a stream we use; applies the loop offset. */
static int
read_input(struct source *s, AVPacket *pkt, int *stream)
{
	for (;;) {
		AVStream *st;
		int64_t off, end;
		int r = av_read_frame(s->ic, pkt);

		if (r == AVERROR_EXIT || (s->o.stop != NULL && atomic_load(s->o.stop))) {
			av_packet_unref(pkt);
			return SOURCE_STOPPED;
		}
		if (r == AVERROR_EOF && s->type == SOURCE_FILE) {
			if (!s->o.loop || s->pass_end_us <= s->pass_start_us)
				return SOURCE_EOF;
			if (loop_restart(s) != 0)
				return SOURCE_ERR;
			continue;
		}
		if (r < 0) {
			log_warn("source", "msg=\"read failed\" err=\"%s\"",
			    av_err2str(r));
			return SOURCE_ERR;
		}
		if (pkt->stream_index != s->vi && pkt->stream_index != s->ai) {
			av_packet_unref(pkt);
			continue;
		}
		st = s->ic->streams[pkt->stream_index];
		*stream = pkt->stream_index == s->vi ? 0 : 1;
		if (pkt->dts == AV_NOPTS_VALUE)
			pkt->dts = pkt->pts;
		if (pkt->dts == AV_NOPTS_VALUE) {
			av_packet_unref(pkt);
			continue;
		}
		/* The file's extent, to know how far a loop moves time. */
		{
			int64_t t = av_rescale_q(pkt->dts, st->time_base,
			    AV_TIME_BASE_Q);

			end = av_rescale_q(pkt->dts + (pkt->duration > 0 ?
			    pkt->duration : 0), st->time_base, AV_TIME_BASE_Q);
			if (!s->have_pass_start || t < s->pass_start_us) {
				s->have_pass_start = 1;
				s->pass_start_us = t;
			}
			if (end > s->pass_end_us)
				s->pass_end_us = end;
		}
		off = av_rescale_q(s->loop_off_us, AV_TIME_BASE_Q, st->time_base);
		pkt->dts += off;
		if (pkt->pts != AV_NOPTS_VALUE)
			pkt->pts += off;
		return SOURCE_OK;
	}
}

int
source_read(struct source *s, AVPacket *pkt, int *stream, int64_t *wall_ms)
{
	AVRational tb;
	int r;

	if (s->enc == NULL) {
		if ((r = read_input(s, pkt, stream)) != SOURCE_OK)
			return r;
		tb = s->ic->streams[*stream == 0 ? s->vi : s->ai]->time_base;
		if (pace(s, av_rescale_q(pkt->dts, tb, AV_TIME_BASE_Q),
		    wall_ms) != 0) {
			av_packet_unref(pkt);
			return SOURCE_STOPPED;
		}
		return SOURCE_OK;
	}
	/* Encoding sources: pull input until x264 gives a packet. */
	for (;;) {
		r = source_enc_receive(s->enc, pkt);
		if (r < 0)
			return SOURCE_ERR;
		if (r == 0) {
			source_enc_par(s->enc, &tb);
			*stream = 0;
			if (pace(s, av_rescale_q(pkt->pts, tb, AV_TIME_BASE_Q),
			    wall_ms) != 0) {
				av_packet_unref(pkt);
				return SOURCE_STOPPED;
			}
			return SOURCE_OK;
		}
		if (s->eof_drained)
			return SOURCE_EOF;
		r = read_input(s, s->in, stream);
		if (r == SOURCE_EOF) {
			s->eof_drained = 1;
			if (source_enc_send(s->enc, NULL) != 0)
				return SOURCE_ERR;
			continue;
		}
		if (r != SOURCE_OK)
			return r;
		if (*stream == 0 && source_enc_send(s->enc, s->in) != 0) {
			av_packet_unref(s->in);
			return SOURCE_ERR;
		}
		av_packet_unref(s->in);
	}
}
