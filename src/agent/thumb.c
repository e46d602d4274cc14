#include "thumb.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "log.h"

#define THUMB_IO_BUF 16384
#define THUMB_MAX_PACKETS 64	/* audio before the first video packet, at most */
#define THUMB_JPEG_QSCALE 5	/* MJPEG quantiser: 2 best .. 31 worst */

/* A read-only byte stream over the segment in memory. */
struct membuf {
	const uint8_t *p;
	size_t len, pos;
};

static int
callback_read(void *cookie, uint8_t *buf, int n)
{
	struct membuf *m = cookie;
	size_t left = m->len - m->pos;

	if (left == 0)
		return AVERROR_EOF;
	if ((size_t)n > left)
		n = (int)left;
	memcpy(buf, m->p + m->pos, (size_t)n);
	m->pos += (size_t)n;
	return n;
}

static int64_t
callback_seek(void *cookie, int64_t off, int whence)
{
	struct membuf *m = cookie;
	int64_t base;

	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE: return (int64_t)m->len;
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)m->pos; break;
	case SEEK_END: base = (int64_t)m->len; break;
	default: return -1;
	}
	if (off < -base || base + off > (int64_t)m->len)
		return -1;
	m->pos = (size_t)(base + off);
	return (int64_t)m->pos;
}

/* Decode the one keyframe packet: send it, drain the decoder. */
AVFrame *
thumb_decode_keyframe(const AVCodecParameters *par, const AVPacket *pkt)
{
	const AVCodec *dec = avcodec_find_decoder(par->codec_id);
	AVCodecContext *ctx = NULL;
	AVFrame *f = NULL;

	if (dec == NULL || (ctx = avcodec_alloc_context3(dec)) == NULL)
		return NULL;
	/* One frame: threads would only cost start-up time. */
	ctx->thread_count = 1;
	if (avcodec_parameters_to_context(ctx, par) < 0 ||
	    avcodec_open2(ctx, dec, NULL) < 0 || (f = av_frame_alloc()) == NULL)
		goto fail;
	if (avcodec_send_packet(ctx, pkt) < 0 || avcodec_send_packet(ctx, NULL) < 0)
		goto fail;
	if (avcodec_receive_frame(ctx, f) < 0)
		goto fail;
	avcodec_free_context(&ctx);
	return f;
fail:
	av_frame_free(&f);
	avcodec_free_context(&ctx);
	return NULL;
}

/* Scale to w x h full-range YUV 4:2:0 and encode as JPEG. */
static int
encode_jpeg(const AVFrame *in, int w, int h, uint8_t **jpeg, size_t *jlen)
{
	const AVCodec *enc = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
	AVCodecContext *ctx = NULL;
	struct SwsContext *sws = NULL;
	AVFrame *f = NULL;
	AVPacket *pkt = NULL;
	int rc = -1;

	if (enc == NULL || (ctx = avcodec_alloc_context3(enc)) == NULL ||
	    (f = av_frame_alloc()) == NULL || (pkt = av_packet_alloc()) == NULL)
		goto out;
	ctx->width = w;
	ctx->height = h;
	/* The J format is full range, what JPEG decoders assume. */
	ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
	ctx->time_base = (AVRational){ 1, 25 };
	ctx->flags |= AV_CODEC_FLAG_QSCALE;
	ctx->global_quality = FF_QP2LAMBDA * THUMB_JPEG_QSCALE;
	ctx->thread_count = 1;
	if (avcodec_open2(ctx, enc, NULL) < 0)
		goto out;
	f->format = ctx->pix_fmt;
	f->width = w;
	f->height = h;
	f->quality = ctx->global_quality;
	if (av_frame_get_buffer(f, 0) < 0)
		goto out;
	/* Area averaging: a clean small picture from a large one. */
	sws = sws_getContext(in->width, in->height, (enum AVPixelFormat)in->format,
	    w, h, AV_PIX_FMT_YUVJ420P, SWS_AREA, NULL, NULL, NULL);
	if (sws == NULL || sws_scale(sws, (const uint8_t *const *)in->data,
	    in->linesize, 0, in->height, f->data, f->linesize) != h)
		goto out;
	if (avcodec_send_frame(ctx, f) < 0 || avcodec_receive_packet(ctx, pkt) < 0)
		goto out;
	if (pkt->size <= 0 || (size_t)pkt->size > THUMB_MAX_BYTES ||
	    (*jpeg = malloc((size_t)pkt->size)) == NULL)
		goto out;
	memcpy(*jpeg, pkt->data, (size_t)pkt->size);
	*jlen = (size_t)pkt->size;
	rc = 0;
out:
	sws_freeContext(sws);
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&ctx);
	return rc;
}

int
thumb_frame(const AVFrame *frame, uint8_t **jpeg, size_t *jlen)
{
	double dar;
	int w, h;

	*jpeg = NULL;
	*jlen = 0;
	if (frame == NULL || frame->width <= 0 || frame->height <= 0)
		return -1;
	/* Size: THUMB_WIDTH wide (never upscaled), height by the display
	 * aspect ratio (non-square pixels included), both even. */
	dar = (double)frame->width / frame->height;
	if (frame->sample_aspect_ratio.num > 0 && frame->sample_aspect_ratio.den > 0)
		dar *= av_q2d(frame->sample_aspect_ratio);
	w = frame->width < THUMB_WIDTH ? frame->width : THUMB_WIDTH;
	w &= ~1;
	h = (int)(w / dar + 0.5) & ~1;
	if (w < 16 || h < 16 || h > 4 * THUMB_WIDTH)
		return -1;
	return encode_jpeg(frame, w, h, jpeg, jlen);
}

int
thumb_make(const uint8_t *mp4, size_t len, uint8_t **jpeg, size_t *jlen)
{
	struct membuf m = { mp4, len, 0 };
	AVFormatContext *fc = NULL;
	AVIOContext *pb = NULL;
	AVPacket *pkt = NULL;
	AVFrame *frame = NULL;
	const AVCodecParameters *par;
	uint8_t *iobuf;
	int vs = -1, rc = -1;

	*jpeg = NULL;
	*jlen = 0;
	if ((iobuf = av_malloc(THUMB_IO_BUF)) == NULL)
		return -1;
	if ((pb = avio_alloc_context(iobuf, THUMB_IO_BUF, 0, &m, callback_read,
	    NULL, callback_seek)) == NULL) {
		av_free(iobuf);
		return -1;
	}
	if ((fc = avformat_alloc_context()) == NULL)
		goto out;
	fc->pb = pb;
	fc->flags |= AVFMT_FLAG_CUSTOM_IO;
	/* The moov names the codec and its parameters: no probing of frames. */
	if (avformat_open_input(&fc, NULL, av_find_input_format("mp4"), NULL) < 0)
		goto out;	/* fc is freed on failure */
	for (unsigned i = 0; i < fc->nb_streams; i++)
		if (fc->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
			vs = (int)i;
			break;
		}
	if (vs < 0 || (pkt = av_packet_alloc()) == NULL)
		goto out;
	par = fc->streams[vs]->codecpar;
	for (int n = 0; n < THUMB_MAX_PACKETS; n++) {
		if (av_read_frame(fc, pkt) < 0)
			goto out;
		if (pkt->stream_index == vs && (pkt->flags & AV_PKT_FLAG_KEY))
			break;
		av_packet_unref(pkt);
	}
	if (pkt->data == NULL || (frame = thumb_decode_keyframe(par, pkt)) == NULL)
		goto out;
	rc = thumb_frame(frame, jpeg, jlen);
out:
	if (rc != 0)
		log_debug("thumb", "msg=\"no thumbnail for this segment\"");
	av_frame_free(&frame);
	av_packet_free(&pkt);
	avformat_close_input(&fc);
	if (pb != NULL) {
		av_freep(&pb->buffer);
		avio_context_free(&pb);
	}
	return rc;
}
