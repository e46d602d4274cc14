#include "source_enc.h"

#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "log.h"

struct source_enc {
	AVCodecContext *dec;
	AVCodecContext *enc;
	AVCodecParameters *par;	/* encoder output */
	struct SwsContext *sws;
	AVFrame *in, *yuv;
	AVRational in_tb;
	int64_t next_pts;	/* encoder tb; keeps pts strictly rising */
};

struct source_enc *
source_enc_new(const AVCodecParameters *par, AVRational tb, AVRational fps,
    int gop_s)
{
	struct source_enc *e;
	const AVCodec *dc, *ec;
	AVDictionary *opts = NULL;
	int r;

	if (fps.num <= 0 || fps.den <= 0)
		fps = (AVRational){ 25, 1 };
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->in_tb = tb;
	if ((dc = avcodec_find_decoder(par->codec_id)) == NULL ||
	    (ec = avcodec_find_encoder_by_name("libx264")) == NULL) {
		log_err("source", "msg=\"no decoder for input or no libx264\" "
		    "codec=%s", avcodec_get_name(par->codec_id));
		goto fail;
	}
	if ((e->dec = avcodec_alloc_context3(dc)) == NULL ||
	    avcodec_parameters_to_context(e->dec, par) < 0 ||
	    avcodec_open2(e->dec, dc, NULL) < 0)
		goto fail;
	if ((e->enc = avcodec_alloc_context3(ec)) == NULL)
		goto fail;
	e->enc->width = par->width;
	e->enc->height = par->height;
	e->enc->pix_fmt = AV_PIX_FMT_YUV420P;
	e->enc->time_base = av_inv_q(fps);
	e->enc->framerate = fps;
	e->enc->gop_size = gop_s * fps.num / fps.den;
	e->enc->max_b_frames = 0;
	/* SPS/PPS in extradata: the mp4 init segment needs them. */
	e->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	av_dict_set(&opts, "preset", "ultrafast", 0);
	av_dict_set(&opts, "tune", "zerolatency", 0);
	av_dict_set(&opts, "crf", "26", 0);
	/* Fixed keyframe interval: segments cut on a predictable grid. */
	av_dict_set(&opts, "x264-params", "scenecut=0", 0);
	r = avcodec_open2(e->enc, ec, &opts);
	av_dict_free(&opts);
	if (r < 0) {
		log_err("source", "msg=\"cannot open libx264\" err=\"%s\"",
		    av_err2str(r));
		goto fail;
	}
	if ((e->par = avcodec_parameters_alloc()) == NULL ||
	    avcodec_parameters_from_context(e->par, e->enc) < 0 ||
	    (e->in = av_frame_alloc()) == NULL ||
	    (e->yuv = av_frame_alloc()) == NULL)
		goto fail;
	e->yuv->format = AV_PIX_FMT_YUV420P;
	e->yuv->width = par->width;
	e->yuv->height = par->height;
	if (av_frame_get_buffer(e->yuv, 0) < 0)
		goto fail;
	e->next_pts = 0;
	log_info("source", "msg=\"encoding to H.264\" in=%s size=%dx%d fps=%d/%d",
	    avcodec_get_name(par->codec_id), par->width, par->height,
	    fps.num, fps.den);
	return e;
fail:
	source_enc_free(e);
	return NULL;
}

void
source_enc_free(struct source_enc *e)
{
	if (e == NULL)
		return;
	avcodec_free_context(&e->dec);
	avcodec_free_context(&e->enc);
	avcodec_parameters_free(&e->par);
	sws_freeContext(e->sws);
	av_frame_free(&e->in);
	av_frame_free(&e->yuv);
	free(e);
}

const AVCodecParameters *
source_enc_par(const struct source_enc *e, AVRational *tb)
{
	*tb = e->enc->time_base;
	return e->par;
}

/* Convert one decoded frame to yuv420p and hand it to x264. */
static int
encode_frame(struct source_enc *e, AVFrame *f)
{
	AVFrame *src = f;
	int64_t pts;

	if (f->format != AV_PIX_FMT_YUV420P || f->width != e->enc->width ||
	    f->height != e->enc->height) {
		e->sws = sws_getCachedContext(e->sws, f->width, f->height,
		    f->format, e->enc->width, e->enc->height, AV_PIX_FMT_YUV420P,
		    SWS_BILINEAR, NULL, NULL, NULL);
		if (e->sws == NULL || av_frame_make_writable(e->yuv) < 0)
			return -1;
		sws_scale(e->sws, (const uint8_t *const *)f->data, f->linesize,
		    0, f->height, e->yuv->data, e->yuv->linesize);
		src = e->yuv;
	}
	pts = f->best_effort_timestamp != AV_NOPTS_VALUE ?
	    av_rescale_q(f->best_effort_timestamp, e->in_tb, e->enc->time_base) :
	    e->next_pts;
	if (pts < e->next_pts)
		pts = e->next_pts;
	src->pts = pts;
	src->pict_type = AV_PICTURE_TYPE_NONE;
	e->next_pts = pts + 1;
	return avcodec_send_frame(e->enc, src) < 0 ? -1 : 0;
}

int
source_enc_send(struct source_enc *e, const AVPacket *in)
{
	int r;

	if (avcodec_send_packet(e->dec, in) < 0 && in != NULL)
		return 0;	/* a corrupt input frame: skip it */
	while ((r = avcodec_receive_frame(e->dec, e->in)) == 0) {
		r = encode_frame(e, e->in);
		av_frame_unref(e->in);
		if (r != 0)
			return -1;
	}
	if (in == NULL)
		avcodec_send_frame(e->enc, NULL);
	return (r == AVERROR(EAGAIN) || r == AVERROR_EOF) ? 0 : -1;
}

int
source_enc_receive(struct source_enc *e, AVPacket *out)
{
	int r = avcodec_receive_packet(e->enc, out);

	if (r == 0)
		return 0;
	return (r == AVERROR(EAGAIN) || r == AVERROR_EOF) ? 1 : -1;
}
