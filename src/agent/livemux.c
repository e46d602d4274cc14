/*
 * livemux — see livemux.h. libavformat's mp4 muxer in fragmented mode
 * (empty_moov + frag_custom + default_base_moof, as the segmenter), writing
 * into a bounded buffer; each flush (av_write_frame(NULL)) is one fragment.
 * Unlike the segmenter, a packet is written at once with its duration taken
 * from the previous frame interval: holding a packet back to learn its
 * exact duration would add a frame of latency.
 */
#include "livemux.h"

#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#include "log.h"

#define LIVEMUX_IO_BUF 65536

struct livemux {
	AVFormatContext *oc;
	AVIOContext *pb;
	AVRational tb;
	AVRational atb;		/* audio's time base; audio = 0: no audio track */
	int audio;
	int64_t abase;		/* the first video dts in atb */
	int64_t alast_dts;
	uint32_t frag_ms;
	livemux_out_fn *out;
	void *cookie;
	uint8_t *buf;
	size_t len;
	int overflow, broken;
	int started;		/* first keyframe seen, init sent */
	int64_t base;		/* first dts */
	int64_t last_dts, last_delta;
	int frag_open, frag_key;
	int64_t frag_dts, frag_wall;
};

static int
callback_write(void *cookie, uint8_t *data, int n)
{
	struct livemux *m = cookie;

	if (n < 0 || (size_t)n > LIVEMUX_MAX_BYTES - m->len) {
		m->overflow = 1;
		return AVERROR(ENOSPC);
	}
	memcpy(m->buf + m->len, data, (size_t)n);
	m->len += (size_t)n;
	return n;
}

struct livemux *
livemux_new(const AVCodecParameters *video, AVRational vtb,
    const AVCodecParameters *audio, AVRational atb, uint32_t frag_ms,
    livemux_out_fn *out, void *cookie)
{
	struct livemux *m;
	unsigned char *iobuf = NULL;
	AVStream *st;

	if ((video->codec_id != AV_CODEC_ID_H264 && video->codec_id !=
	    AV_CODEC_ID_HEVC) || video->extradata_size <= 0) {
		log_err("livemux", "msg=\"live view needs H.264 or H.265 with "
		    "parameter sets\"");
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->tb = vtb;
	m->frag_ms = frag_ms > LIVEMUX_FRAG_MS_MAX ? LIVEMUX_FRAG_MS_MAX : frag_ms;
	m->out = out;
	m->cookie = cookie;
	if ((m->buf = malloc(LIVEMUX_MAX_BYTES)) == NULL ||
	    avformat_alloc_output_context2(&m->oc, NULL, "mp4", NULL) < 0 ||
	    (iobuf = av_malloc(LIVEMUX_IO_BUF)) == NULL ||
	    (m->pb = avio_alloc_context(iobuf, LIVEMUX_IO_BUF, 1, m, NULL,
	    callback_write, NULL)) == NULL) {
		av_free(iobuf);
		goto fail;
	}
	m->oc->pb = m->pb;
	m->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
	if ((st = avformat_new_stream(m->oc, NULL)) == NULL ||
	    avcodec_parameters_copy(st->codecpar, video) < 0)
		goto fail;
	st->codecpar->codec_tag = 0;
	st->time_base = vtb;
	if (audio != NULL && audio->codec_id == AV_CODEC_ID_AAC &&
	    audio->extradata_size > 0 && atb.num > 0 && atb.den > 0) {
		if ((st = avformat_new_stream(m->oc, NULL)) == NULL ||
		    avcodec_parameters_copy(st->codecpar, audio) < 0)
			goto fail;
		st->codecpar->codec_tag = 0;
		st->time_base = atb;
		m->atb = atb;
		m->audio = 1;
	}
	return m;
fail:
	livemux_free(m);
	return NULL;
}

void
livemux_free(struct livemux *m)
{
	if (m == NULL)
		return;
	if (m->oc != NULL)
		avformat_free_context(m->oc);
	if (m->pb != NULL) {
		av_freep(&m->pb->buffer);
		avio_context_free(&m->pb);
	}
	free(m->buf);
	free(m);
}

/* Write the header (init) and hand it out. */
static int
start(struct livemux *m, int64_t wall_ms)
{
	AVDictionary *opts = NULL;
	int r;

	av_dict_set(&opts, "movflags", "empty_moov+frag_custom+default_base_moof", 0);
	r = avformat_write_header(m->oc, &opts);
	av_dict_free(&opts);
	if (r < 0) {
		log_err("livemux", "msg=\"cannot write init\" err=\"%s\"", av_err2str(r));
		return -1;
	}
	avio_flush(m->pb);
	if (m->overflow || m->len == 0 ||
	    m->out(m->cookie, 1, 0, wall_ms, m->buf, m->len) != 0)
		return -1;
	m->len = 0;
	m->started = 1;
	return 0;
}

/* Close the open fragment and hand it out. */
static int
flush(struct livemux *m)
{
	int r;

	if (!m->frag_open)
		return 0;
	m->frag_open = 0;
	r = av_write_frame(m->oc, NULL);	/* frag_custom: cut here */
	avio_flush(m->pb);
	if (r < 0 || m->overflow) {
		log_err("livemux", "msg=\"fragment flush failed\"");
		return -1;
	}
	if (m->len == 0)
		return 0;
	r = m->out(m->cookie, 0, m->frag_key, m->frag_wall, m->buf, m->len);
	m->len = 0;
	return r == 0 ? 0 : -1;
}

int
livemux_has_audio(const struct livemux *m)
{
	return m != NULL && m->audio;
}

/* Write one packet (already on the muxer's timeline, in time base tb). */
static int
write_packet(struct livemux *m, AVPacket *pkt, int stream, AVRational tb)
{
	int r;

	pkt->stream_index = stream;
	av_packet_rescale_ts(pkt, tb, m->oc->streams[stream]->time_base);
	r = av_write_frame(m->oc, pkt);
	if (r < 0 || m->overflow) {
		log_err("livemux", "msg=\"mux failed\" err=\"%s\"",
		    m->overflow ? "fragment too large" : av_err2str(r));
		return -1;
	}
	return 0;
}

/*
 * Audio goes into whatever fragment is being filled: on the video's
 * timeline (both counted from the first video keyframe), never backwards.
 */
static int
push_audio(struct livemux *m, const AVPacket *in)
{
	AVPacket *pkt;
	int64_t dts = in->dts != AV_NOPTS_VALUE ? in->dts : in->pts;
	int r;

	if (!m->audio || !m->started || dts == AV_NOPTS_VALUE)
		return 0;
	dts -= m->abase;
	if (dts < 0 || dts <= m->alast_dts)
		return 0;	/* from before the picture, or out of order */
	m->alast_dts = dts;
	if ((pkt = av_packet_clone(in)) == NULL)
		return -1;
	pkt->pts = in->pts != AV_NOPTS_VALUE ? in->pts - m->abase : dts;
	pkt->dts = dts;
	r = write_packet(m, pkt, 1, m->atb);
	av_packet_free(&pkt);
	return r;
}

int
livemux_push(struct livemux *m, int stream, const AVPacket *in, int64_t wall_ms)
{
	AVPacket *pkt;
	int64_t dts, elapsed;
	int key = (in->flags & AV_PKT_FLAG_KEY) != 0, r;

	if (m->broken)
		return -1;
	if (stream != 0) {
		if (stream == 1 && push_audio(m, in) != 0)
			goto broken;
		return 0;
	}
	dts = in->dts != AV_NOPTS_VALUE ? in->dts : in->pts;
	if (dts == AV_NOPTS_VALUE)
		return 0;
	if (!m->started) {
		if (!key)
			return 0;	/* nothing decodable before a keyframe */
		m->base = dts;
		m->last_dts = INT64_MIN;
		m->abase = av_rescale_q(dts, m->tb, m->atb.num > 0 ? m->atb : m->tb);
		m->alast_dts = -1;
		if (start(m, wall_ms) != 0)
			goto broken;
	}
	dts -= m->base;
	if (dts <= m->last_dts)
		return 0;		/* the segmenter logs these too */
	if (m->last_dts != INT64_MIN)
		m->last_delta = dts - m->last_dts;
	m->last_dts = dts;
	/* Keyframes begin fragments: a viewer can start at any of them. */
	if (key && flush(m) != 0)
		goto broken;
	if (!m->frag_open) {
		m->frag_open = 1;
		m->frag_key = key;
		m->frag_dts = dts;
		m->frag_wall = wall_ms;
	}
	if ((pkt = av_packet_clone(in)) == NULL)
		goto broken;
	pkt->pts = (in->pts != AV_NOPTS_VALUE ? in->pts - m->base : dts);
	pkt->dts = dts;
	if (pkt->duration <= 0)
		pkt->duration = m->last_delta > 0 ? m->last_delta :
		    av_rescale_q(40, (AVRational){ 1, 1000 }, m->tb);
	elapsed = av_rescale_q(dts + pkt->duration - m->frag_dts, m->tb,
	    (AVRational){ 1, 1000 });
	r = write_packet(m, pkt, 0, m->tb);
	av_packet_free(&pkt);
	if (r != 0)
		goto broken;
	/* Out as soon as it holds frag_ms: no waiting for the next frame. */
	if (elapsed >= m->frag_ms && flush(m) != 0)
		goto broken;
	return 0;
broken:
	m->broken = 1;
	return -1;
}
