/*
 * vimage.c — RGB24 images: FFmpeg decode, swscale resize, tensor conversion.
 */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vimage.h"

struct vimage *vimage_new(int w, int h)
{
	struct vimage *im;

	if (w <= 0 || h <= 0 || w > VIMAGE_MAX_DIM || h > VIMAGE_MAX_DIM)
		return NULL;
	im = calloc(1, sizeof(*im));
	if (im == NULL)
		return NULL;
	im->w = w;
	im->h = h;
	/* 64-byte rows keep swscale's SIMD paths happy. */
	im->stride = (3 * w + 63) & ~63;
	im->px = calloc((size_t)im->stride * h + 64, 1);
	if (im->px == NULL) {
		free(im);
		return NULL;
	}
	return im;
}

void vimage_free(struct vimage *im)
{
	if (im == NULL)
		return;
	free(im->px);
	free(im);
}

struct vimage *vimage_copy(const struct vimage *im)
{
	struct vimage *c = vimage_new(im->w, im->h);

	if (c)
		memcpy(c->px, im->px, (size_t)im->stride * im->h);
	return c;
}

/* Convert any decoded frame into a new RGB24 image of size w x h. */
static struct vimage *frame_to_rgb(const AVFrame *f, int w, int h)
{
	struct SwsContext *sws;
	struct vimage *im = vimage_new(w, h);
	uint8_t *dst[4] = { NULL };
	int dstride[4] = { 0 };

	enum AVPixelFormat fmt = f->format;
	int full = f->color_range == AVCOL_RANGE_JPEG;

	if (im == NULL)
		return NULL;
	/* The deprecated "J" formats are plain YUV with full range. */
	switch (fmt) {
	case AV_PIX_FMT_YUVJ420P: fmt = AV_PIX_FMT_YUV420P; full = 1; break;
	case AV_PIX_FMT_YUVJ422P: fmt = AV_PIX_FMT_YUV422P; full = 1; break;
	case AV_PIX_FMT_YUVJ444P: fmt = AV_PIX_FMT_YUV444P; full = 1; break;
	default: break;
	}
	sws = sws_getContext(f->width, f->height, fmt, w, h, AV_PIX_FMT_RGB24,
	                     (w < f->width || h < f->height) ? SWS_AREA : SWS_BILINEAR,
	                     NULL, NULL, NULL);
	if (sws == NULL) {
		vimage_free(im);
		return NULL;
	}
	if (full) {
		const int *coefs = sws_getCoefficients(SWS_CS_DEFAULT);
		sws_setColorspaceDetails(sws, coefs, 1, coefs, 1, 0, 1 << 16, 1 << 16);
	}
	dst[0] = im->px;
	dstride[0] = im->stride;
	sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
	          dst, dstride);
	sws_freeContext(sws);
	return im;
}

struct vimage *vimage_load(const char *path)
{
	AVFormatContext *fmt = NULL;
	AVCodecContext *dec = NULL;
	const AVCodec *codec;
	AVPacket *pkt = NULL;
	AVFrame *frame = NULL;
	struct vimage *im = NULL;
	int si, r;

	if (avformat_open_input(&fmt, path, NULL, NULL) < 0) {
		log_err("vimage", "file=%s err=\"cannot open\"", path);
		return NULL;
	}
	if (avformat_find_stream_info(fmt, NULL) < 0)
		goto out;
	si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if (si < 0)
		goto out;
	dec = avcodec_alloc_context3(codec);
	pkt = av_packet_alloc();
	frame = av_frame_alloc();
	if (dec == NULL || pkt == NULL || frame == NULL ||
	    avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar) < 0 ||
	    avcodec_open2(dec, codec, NULL) < 0)
		goto out;
	while ((r = av_read_frame(fmt, pkt)) >= 0) {
		if (pkt->stream_index == si && avcodec_send_packet(dec, pkt) >= 0 &&
		    avcodec_receive_frame(dec, frame) == 0) {
			av_packet_unref(pkt);
			goto got;
		}
		av_packet_unref(pkt);
	}
	/* Flush: some decoders hold the only frame until end of stream. */
	avcodec_send_packet(dec, NULL);
	if (avcodec_receive_frame(dec, frame) != 0)
		goto out;
got:
	im = frame_to_rgb(frame, frame->width, frame->height);
out:
	if (im == NULL)
		log_err("vimage", "file=%s err=\"cannot decode a frame\"", path);
	av_frame_free(&frame);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	avformat_close_input(&fmt);
	return im;
}

int vimage_load_frames(const char *path, const int *idx, int n, int w, int h,
                       struct vimage **out)
{
	AVFormatContext *fmt = NULL;
	AVCodecContext *dec = NULL;
	const AVCodec *codec;
	AVPacket *pkt = NULL;
	AVFrame *frame = NULL;
	int si, got = 0, fno = 0, eof = 0;

	for (int i = 0; i < n; i++)
		out[i] = NULL;
	if (avformat_open_input(&fmt, path, NULL, NULL) < 0) {
		log_err("vimage", "file=%s err=\"cannot open\"", path);
		return -1;
	}
	if (avformat_find_stream_info(fmt, NULL) < 0)
		goto out;
	si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if (si < 0)
		goto out;
	dec = avcodec_alloc_context3(codec);
	pkt = av_packet_alloc();
	frame = av_frame_alloc();
	if (dec == NULL || pkt == NULL || frame == NULL ||
	    avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar) < 0 ||
	    avcodec_open2(dec, codec, NULL) < 0)
		goto out;
	while (got < n) {
		int r = avcodec_receive_frame(dec, frame);
		if (r == 0) {
			if (fno == idx[got]) {
				out[got] = frame_to_rgb(frame, w ? w : frame->width,
				                        h ? h : frame->height);
				if (out[got] == NULL)
					goto out;
				got++;
			}
			fno++;
			av_frame_unref(frame);
			continue;
		}
		if (r != AVERROR(EAGAIN) || eof)
			break;
		if (av_read_frame(fmt, pkt) < 0) {
			avcodec_send_packet(dec, NULL);
			eof = 1;
			continue;
		}
		if (pkt->stream_index == si)
			avcodec_send_packet(dec, pkt);
		av_packet_unref(pkt);
	}
out:
	av_frame_free(&frame);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	avformat_close_input(&fmt);
	if (got == n)
		return 0;
	log_err("vimage", "file=%s err=\"got %d of %d frames\"", path, got, n);
	for (int i = 0; i < n; i++) {
		vimage_free(out[i]);
		out[i] = NULL;
	}
	return -1;
}

int vimage_save_ppm(const struct vimage *im, const char *path)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fprintf(f, "P6\n%d %d\n255\n", im->w, im->h) > 0;
	for (int y = 0; ok && y < im->h; y++)
		ok = fwrite(im->px + (size_t)y * im->stride, 3, im->w, f) == (size_t)im->w;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

struct vimage *vimage_scale(const struct vimage *im, int w, int h)
{
	struct SwsContext *sws;
	struct vimage *o = vimage_new(w, h);
	const uint8_t *src[4] = { im->px, NULL, NULL, NULL };
	int sstride[4] = { im->stride, 0, 0, 0 };
	uint8_t *dst[4] = { NULL };
	int dstride[4] = { 0 };

	if (o == NULL)
		return NULL;
	/* Area averaging when shrinking avoids aliasing small faces away. */
	sws = sws_getContext(im->w, im->h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_RGB24,
	                     (w < im->w || h < im->h) ? SWS_AREA : SWS_BILINEAR,
	                     NULL, NULL, NULL);
	if (sws == NULL) {
		vimage_free(o);
		return NULL;
	}
	dst[0] = o->px;
	dstride[0] = o->stride;
	sws_scale(sws, src, sstride, 0, im->h, dst, dstride);
	sws_freeContext(sws);
	return o;
}

int vimage_to_tensor(const struct vimage *im, const float mean[3], float scale,
                     struct nn_tensor *out)
{
	if (nn_tensor_init(out, im->h, im->w, 3) != 0)
		return -1;
	for (int y = 0; y < im->h; y++) {
		const uint8_t *s = im->px + (size_t)y * im->stride;
		float *d = out->d + (size_t)y * im->w * 3;
		for (int x = 0; x < im->w * 3; x += 3) {
			d[x] = (s[x] - mean[0]) * scale;
			d[x + 1] = (s[x + 1] - mean[1]) * scale;
			d[x + 2] = (s[x + 2] - mean[2]) * scale;
		}
	}
	return 0;
}
