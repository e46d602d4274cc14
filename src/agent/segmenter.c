#include "segmenter.h"

#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#include "log.h"

#define SEGMENTER_IO_BUF 65536
/* Room kept for the moof and sample tables when cutting on size. */
#define SEGMENTER_MOOF_SLACK (1u << 20)

struct segmenter {
	struct segmenter_opts o;
	AVFormatContext *oc;
	AVIOContext *pb;
	AVRational in_tb[2];	/* caller's time bases, video and audio */
	int have_audio;
	int broken;		/* a write failed: the run is over */

	/* Muxer output lands here: init first, then the current fragment. */
	uint8_t *buf;
	size_t len, cap;
	size_t init_len;	/* bytes of ftyp + moov at the start of buf */
	int overflow;

	int started;		/* first keyframe seen; base is valid */
	int64_t base;		/* first video dts of the run (video tb) */
	AVPacket *held;		/* last video packet, awaiting its duration */
	int64_t held_wall;
	int64_t last_delta;	/* last video frame interval (video tb) */
	int64_t last_vdts, last_adts;

	/* The segment being built. */
	int seg_open;
	int64_t seg_first_dts;	/* rebased, video tb */
	int64_t seg_start_ms;
	int seg_key;
	uint32_t seg_frames;
	size_t seg_bytes;	/* packet payload so far */
};

static int
callback_write(void *cookie, uint8_t *data, int n)
{
	struct segmenter *s = cookie;

	if (n < 0 || (size_t)n > s->cap - s->len) {
		/* Bounded: a segment never grows past max_bytes. */
		s->overflow = 1;
		return AVERROR(ENOSPC);
	}
	memcpy(s->buf + s->len, data, (size_t)n);
	s->len += (size_t)n;
	return n;
}

static int
add_stream(struct segmenter *s, const AVCodecParameters *par, AVRational tb)
{
	AVStream *st = avformat_new_stream(s->oc, NULL);

	if (st == NULL || avcodec_parameters_copy(st->codecpar, par) < 0)
		return -1;
	/* The input container's tag may not be valid in mp4. */
	st->codecpar->codec_tag = 0;
	st->time_base = tb;
	return 0;
}

struct segmenter *
segmenter_new(const AVCodecParameters *video, AVRational vtb,
    const AVCodecParameters *audio, AVRational atb,
    const struct segmenter_opts *o)
{
	struct segmenter *s;
	AVDictionary *opts = NULL;
	unsigned char *iobuf = NULL;
	int r;

	if ((video->codec_id != AV_CODEC_ID_H264 &&
	    video->codec_id != AV_CODEC_ID_HEVC) || o->target_ms <
	    SEGMENTER_TARGET_MS_MIN || o->max_ms < o->target_ms ||
	    o->max_ms > SEGMENTER_MAX_MS_MAX || o->max_bytes <
	    4 * SEGMENTER_MOOF_SLACK) {
		log_err("segmenter", "msg=\"bad parameters\" codec=%s target_ms=%u "
		    "max_ms=%u", avcodec_get_name(video->codec_id),
		    o->target_ms, o->max_ms);
		return NULL;
	}
	if (video->extradata_size <= 0) {
		log_err("segmenter", "msg=\"video stream without parameter "
		    "sets (extradata); cannot write an init segment\"");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->o = *o;
	s->cap = o->max_bytes;
	s->in_tb[0] = vtb;
	s->in_tb[1] = atb;
	s->last_vdts = s->last_adts = INT64_MIN;
	if ((s->buf = malloc(s->cap)) == NULL ||
	    (s->held = av_packet_alloc()) == NULL ||
	    avformat_alloc_output_context2(&s->oc, NULL, "mp4", NULL) < 0 ||
	    (iobuf = av_malloc(SEGMENTER_IO_BUF)) == NULL ||
	    (s->pb = avio_alloc_context(iobuf, SEGMENTER_IO_BUF, 1, s,
	    NULL, callback_write, NULL)) == NULL) {
		av_free(iobuf);
		goto fail;
	}
	s->oc->pb = s->pb;
	s->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
	if (add_stream(s, video, vtb) != 0)
		goto fail;
	if (audio != NULL) {
		if (audio->codec_id != AV_CODEC_ID_AAC) {
			log_info("segmenter", "msg=\"audio is not AAC; recording video "
			    "only\" codec=%s", avcodec_get_name(audio->codec_id));
		} else if (add_stream(s, audio, atb) != 0) {
			goto fail;
		} else {
			s->have_audio = 1;
		}
	}
	/*
	 * empty_moov: the init carries no samples; frag_custom: a fragment is
	 * written only when we flush (at our cut points); default_base_moof:
	 * sample offsets relative to the moof, as Media Source Extensions want.
	 */
	av_dict_set(&opts, "movflags",
	    "empty_moov+frag_custom+default_base_moof", 0);
	r = avformat_write_header(s->oc, &opts);
	av_dict_free(&opts);
	if (r < 0) {
		log_err("segmenter", "msg=\"cannot write init\" err=\"%s\"",
		    av_err2str(r));
		goto fail;
	}
	avio_flush(s->pb);
	if (s->overflow || s->len == 0)
		goto fail;
	s->init_len = s->len;
	return s;
fail:
	segmenter_free(s);
	return NULL;
}

void
segmenter_free(struct segmenter *s)
{
	if (s == NULL)
		return;
	if (s->oc != NULL)
		avformat_free_context(s->oc);
	if (s->pb != NULL) {
		av_freep(&s->pb->buffer);
		avio_context_free(&s->pb);
	}
	av_packet_free(&s->held);
	free(s->buf);
	free(s);
}

void
segment_clear(struct segment *out)
{
	free(out->data);
	memset(out, 0, sizeof(*out));
}

/* Hand a packet (rebased, caller tb) to the muxer. */
static int
mux(struct segmenter *s, int stream, AVPacket *pkt)
{
	int r;

	pkt->stream_index = stream;
	av_packet_rescale_ts(pkt, s->in_tb[stream],
	    s->oc->streams[stream]->time_base);
	/* Our own order is already per-stream monotonic; no interleaving
	 * queue, so a flush really contains everything pushed so far. */
	r = av_write_frame(s->oc, pkt);
	if (r < 0 || s->overflow) {
		log_err("segmenter", "msg=\"mux failed\" err=\"%s\"",
		    s->overflow ? "segment too large" : av_err2str(r));
		s->broken = 1;
		return -1;
	}
	return 0;
}

/* Write the held video packet with its now-known duration. */
static int
write_held(struct segmenter *s, int64_t next_dts)
{
	AVPacket *h = s->held;

	if (h->data == NULL)
		return 0;
	if (next_dts != AV_NOPTS_VALUE && next_dts > h->dts)
		h->duration = next_dts - h->dts;
	else if (h->duration <= 0)
		h->duration = s->last_delta > 0 ? s->last_delta : 1;
	s->last_delta = h->duration;
	if (!s->seg_open) {
		s->seg_open = 1;
		s->seg_first_dts = h->dts;
		s->seg_start_ms = s->held_wall;
		s->seg_key = (h->flags & AV_PKT_FLAG_KEY) != 0;
		s->seg_frames = 0;
		s->seg_bytes = 0;
	}
	s->seg_frames++;
	s->seg_bytes += (size_t)h->size;
	if (mux(s, 0, h) != 0)
		return -1;
	av_packet_unref(h);
	return 0;
}

/* Flush the fragment and hand out init + fragment; end_dts in video tb. */
static int
cut(struct segmenter *s, int64_t end_dts, struct segment *out)
{
	uint8_t *data;
	int r;

	memset(out, 0, sizeof(*out));
	if (!s->seg_open)
		return 0;
	r = av_write_frame(s->oc, NULL);	/* frag_custom: flush now */
	avio_flush(s->pb);
	if (r < 0 || s->overflow) {
		log_err("segmenter", "msg=\"fragment flush failed\"");
		s->broken = 1;
		return -1;
	}
	if ((data = malloc(s->len)) == NULL) {
		s->broken = 1;
		return -1;
	}
	memcpy(data, s->buf, s->len);
	out->data = data;
	out->len = s->len;
	out->start_ms = s->seg_start_ms;
	out->duration_ms = (uint32_t)av_rescale_q(end_dts - s->seg_first_dts,
	    s->in_tb[0], (AVRational){ 1, 1000 });
	out->starts_with_keyframe = s->seg_key;
	out->frames = s->seg_frames;
	/* The next segment starts again right after the init. */
	s->len = s->init_len;
	s->seg_open = 0;
	return 1;
}

int
segmenter_push(struct segmenter *s, int stream, const AVPacket *in,
    int64_t wall_ms, struct segment *out)
{
	AVPacket *pkt;
	int64_t dts, elapsed_ms;
	int r = 0, key;

	memset(out, 0, sizeof(*out));
	if (s->broken)
		return -1;
	if (stream != 0 && (stream != 1 || !s->have_audio))
		return 0;
	dts = in->dts != AV_NOPTS_VALUE ? in->dts : in->pts;
	if (dts == AV_NOPTS_VALUE)
		return 0;
	key = stream == 0 && (in->flags & AV_PKT_FLAG_KEY);
	if (!s->started) {
		if (!key)
			return 0;	/* nothing decodable before a keyframe */
		s->started = 1;
		s->base = dts;
	}
	/* Rebase so every run's timeline starts at 0 (no negative dts). */
	if (stream == 0) {
		dts -= s->base;
	} else {
		dts -= av_rescale_q(s->base, s->in_tb[0], s->in_tb[1]);
		if (dts < 0)
			return 0;	/* audio from before the first frame */
	}
	if (dts <= (stream == 0 ? s->last_vdts : s->last_adts)) {
		log_warn("segmenter", "msg=\"non-monotonic timestamp dropped\" "
		    "stream=%d", stream);
		return 0;
	}
	if (stream == 1) {
		if ((pkt = av_packet_clone(in)) == NULL)
			return -1;
		pkt->pts = (pkt->pts != AV_NOPTS_VALUE ? pkt->pts : in->dts) -
		    (in->dts != AV_NOPTS_VALUE ? in->dts : in->pts) + dts;
		pkt->dts = dts;
		s->last_adts = dts;
		s->seg_bytes += (size_t)pkt->size;
		r = mux(s, 1, pkt);
		av_packet_free(&pkt);
		return r;
	}
	s->last_vdts = dts;

	/* The held packet now knows its duration: into the current segment. */
	if (write_held(s, dts) != 0)
		return -1;
	/* Does this packet start a new segment? */
	if (s->seg_open) {
		elapsed_ms = av_rescale_q(dts - s->seg_first_dts, s->in_tb[0],
		    (AVRational){ 1, 1000 });
		if ((key && elapsed_ms >= s->o.target_ms) ||
		    elapsed_ms >= s->o.max_ms ||
		    s->init_len + s->seg_bytes + (size_t)in->size +
		    SEGMENTER_MOOF_SLACK > s->o.max_bytes) {
			if (!key)
				log_warn("segmenter", "msg=\"forced cut without "
				    "keyframe\" elapsed_ms=%lld",
				    (long long)elapsed_ms);
			if ((r = cut(s, dts, out)) < 0)
				return -1;
		}
	}
	if (av_packet_ref(s->held, in) < 0) {
		segment_clear(out);
		return -1;
	}
	s->held->pts = (in->pts != AV_NOPTS_VALUE ? in->pts - s->base : dts);
	s->held->dts = dts;
	s->held_wall = wall_ms;
	return r;
}

int
segmenter_finish(struct segmenter *s, struct segment *out)
{
	int64_t end;

	memset(out, 0, sizeof(*out));
	if (s->broken)
		return -1;
	if (s->held->data == NULL)
		return cut(s, s->last_vdts, out);
	if (write_held(s, AV_NOPTS_VALUE) != 0)
		return -1;
	end = s->last_vdts + s->last_delta;
	return cut(s, end, out);
}
