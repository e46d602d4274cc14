#include "join.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/mathematics.h>

/* A source timeline that moves on within this much of where the previous
 * segment ended counts as continuous (tfdt carried over by the agent). */
#define JOIN_CONTINUITY_US 500000

#define US ((AVRational){ 1, 1000000 })

struct join_stream {
	AVRational tb;		/* input time base (same in every segment) */
	int64_t shift;		/* added to input dts/pts, input time base */
	int64_t last_dts;	/* last output dts, input time base */
	int have_last;
};

struct join {
	char *path;		/* destination, or "-" */
	char *tmp;		/* temporary file being written, NULL for stdout */
	int64_t from_us, to_us;	/* requested range, wall clock */
	AVFormatContext *out;
	int nst;
	int video;		/* index of the stream that decides cuts */
	AVCodecParameters *par[JOIN_STREAMS_MAX];	/* first segment's */
	struct join_stream st[JOIN_STREAMS_MAX];
	int started;		/* the first keyframe is written */
	int done;		/* a video packet reached to_us */
	int64_t prev_in_end_us;	/* end of the previous segment, source timeline */
	int64_t out_end_us;	/* end of what was written (decode time), output timeline */
	int64_t out_pend_us;	/* end of what was written (presentation time) */
	uint64_t packets, segments;
	char err[320];
};

/* An in-memory segment read through a custom AVIOContext. */
struct join_mem {
	const uint8_t *buf;
	size_t len, pos;
};

static void join_seterr(struct join *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
join_seterr(struct join *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->err, sizeof(j->err), fmt, ap);
	va_end(ap);
}

static const char *
averr(int e, char buf[AV_ERROR_MAX_STRING_SIZE])
{
	return av_make_error_string(buf, AV_ERROR_MAX_STRING_SIZE, e);
}

static int
callback_mem_read(void *cookie, uint8_t *buf, int size)
{
	struct join_mem *m = cookie;
	size_t n = m->len - m->pos;

	if (n == 0)
		return AVERROR_EOF;
	if (n > (size_t)size)
		n = (size_t)size;
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	return (int)n;
}

static int64_t
callback_mem_seek(void *cookie, int64_t off, int whence)
{
	struct join_mem *m = cookie;
	int64_t base;

	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE:
		return (int64_t)m->len;
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)m->pos; break;
	case SEEK_END: base = (int64_t)m->len; break;
	default: return AVERROR(EINVAL);
	}
	if (off > (int64_t)m->len - base || base + off < 0)
		return AVERROR(EINVAL);
	m->pos = (size_t)(base + off);
	return (int64_t)m->pos;
}

struct join *
join_new(const char *path, int64_t from_ms, int64_t to_ms)
{
	struct join *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	if ((j->path = strdup(path)) == NULL) {
		free(j);
		return NULL;
	}
	j->from_us = from_ms * 1000;
	j->to_us = to_ms * 1000;
	j->video = -1;
	return j;
}

/* Open the output, with streams copied from the first segment's. */
static int
join_open_output(struct join *j, AVFormatContext *in)
{
	char e[AV_ERROR_MAX_STRING_SIZE];
	AVDictionary *opts = NULL;
	char url[PATH_MAX + 8];
	int i, r, fd;

	if ((int)in->nb_streams > JOIN_STREAMS_MAX) {
		join_seterr(j, "segment has %u streams (at most %d supported)",
		    in->nb_streams, JOIN_STREAMS_MAX);
		return -1;
	}
	if (strcmp(j->path, "-") == 0) {
		snprintf(url, sizeof(url), "pipe:1");
	} else {
		/* Temp file beside the destination, so rename() is atomic. */
		size_t n = strlen(j->path) + 16;
		if ((j->tmp = malloc(n)) == NULL)
			return -1;
		snprintf(j->tmp, n, "%s.XXXXXX", j->path);
		if ((fd = mkstemp(j->tmp)) == -1) {
			join_seterr(j, "cannot create %s: %s", j->tmp, strerror(errno));
			free(j->tmp);
			j->tmp = NULL;
			return -1;
		}
		close(fd);
		/* "file:" so a ':' in the user's file name is not a protocol. */
		snprintf(url, sizeof(url), "file:%s", j->tmp);
	}
	/* The muxer keeps the url: +faststart reopens it to move the index. */
	r = avformat_alloc_output_context2(&j->out, NULL, "mp4", url);
	if (r < 0) {
		join_seterr(j, "mp4 muxer: %s", averr(r, e));
		return -1;
	}
	j->nst = (int)in->nb_streams;
	for (i = 0; i < j->nst; i++) {
		AVStream *is = in->streams[i], *os;
		if ((os = avformat_new_stream(j->out, NULL)) == NULL ||
		    (j->par[i] = avcodec_parameters_alloc()) == NULL ||
		    avcodec_parameters_copy(os->codecpar, is->codecpar) < 0 ||
		    avcodec_parameters_copy(j->par[i], is->codecpar) < 0) {
			join_seterr(j, "out of memory");
			return -1;
		}
		os->codecpar->codec_tag = 0;
		os->time_base = is->time_base;
		j->st[i].tb = is->time_base;
		if (j->video < 0 && is->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
			j->video = i;
	}
	if (j->video < 0) {
		join_seterr(j, "segment has no video stream");
		return -1;
	}
	if ((r = avio_open(&j->out->pb, url, AVIO_FLAG_WRITE)) < 0) {
		join_seterr(j, "cannot write %s: %s",
		    j->tmp ? j->tmp : "standard output", averr(r, e));
		return -1;
	}
	/* A file gets its index up front (plays while downloading); a pipe
	 * cannot seek back, so it gets a fragmented MP4 instead. */
	av_dict_set(&opts, "movflags", j->tmp ? "+faststart" :
	    "+frag_keyframe+empty_moov+default_base_moof", 0);
	r = avformat_write_header(j->out, &opts);
	av_dict_free(&opts);
	if (r < 0) {
		join_seterr(j, "mp4 header: %s", averr(r, e));
		return -1;
	}
	return 0;
}

/* Same streams as the first segment: a join of different codecs or sizes
 * would not play, so it is refused rather than written. */
static int
join_check_streams(struct join *j, AVFormatContext *in)
{
	int i;

	if ((int)in->nb_streams != j->nst) {
		join_seterr(j, "segment has %u streams, the first had %d",
		    in->nb_streams, j->nst);
		return -1;
	}
	for (i = 0; i < j->nst; i++) {
		const AVCodecParameters *a = j->par[i], *b = in->streams[i]->codecpar;
		if (a->codec_id != b->codec_id || a->width != b->width ||
		    a->height != b->height || a->sample_rate != b->sample_rate ||
		    av_cmp_q(j->st[i].tb, in->streams[i]->time_base) != 0 ||
		    a->extradata_size != b->extradata_size ||
		    (a->extradata_size > 0 &&
		    memcmp(a->extradata, b->extradata, (size_t)a->extradata_size) != 0)) {
			join_seterr(j, "stream %d changed (codec, size, time base or "
			    "codec setup) "
			    "— fetch the ranges before and after the change separately", i);
			return -1;
		}
	}
	return 0;
}

/* The fMP4 demuxer read without avformat_find_stream_info() leaves packet
 * durations at 0. Without them the output's last frame has no length (the
 * muxer's edit list ends on its start, and a player drops it) and a segment
 * placed after another cannot know where the previous one ended. Take each
 * packet's duration from the next packet of its stream in decode order, and
 * the last one's from the one before it (a constant frame rate, as cameras
 * have), or from the stream's frame rate when it is alone. */
static void
join_fill_durations(AVFormatContext *in, AVPacket **pkts, int n)
{
	int64_t last_dur[JOIN_STREAMS_MAX] = { 0 };
	int prev[JOIN_STREAMS_MAX];
	int i, s;

	for (s = 0; s < JOIN_STREAMS_MAX; s++)
		prev[s] = -1;
	for (i = 0; i < n; i++) {
		s = pkts[i]->stream_index;
		if (prev[s] >= 0 && pkts[prev[s]]->duration <= 0 &&
		    pkts[i]->dts > pkts[prev[s]]->dts)
			pkts[prev[s]]->duration = pkts[i]->dts - pkts[prev[s]]->dts;
		if (prev[s] >= 0 && pkts[prev[s]]->duration > 0)
			last_dur[s] = pkts[prev[s]]->duration;
		prev[s] = i;
	}
	for (s = 0; s < (int)in->nb_streams && s < JOIN_STREAMS_MAX; s++) {
		AVStream *st = in->streams[s];
		if (prev[s] < 0 || pkts[prev[s]]->duration > 0)
			continue;
		if (last_dur[s] == 0 && st->avg_frame_rate.num > 0 &&
		    st->avg_frame_rate.den > 0)
			last_dur[s] = av_rescale_q(1, av_inv_q(st->avg_frame_rate),
			    st->time_base);
		pkts[prev[s]]->duration = last_dur[s];
	}
}

/* Read every packet of one segment. Returns the count or -1. */
static int
join_read_all(struct join *j, AVFormatContext *in, AVPacket **pkts)
{
	char e[AV_ERROR_MAX_STRING_SIZE];
	int n = 0, r;

	for (;;) {
		if (n == JOIN_PACKETS_MAX) {
			join_seterr(j, "segment has more than %d packets", JOIN_PACKETS_MAX);
			goto err;
		}
		if (pkts[n] == NULL && (pkts[n] = av_packet_alloc()) == NULL)
			goto err;
		r = av_read_frame(in, pkts[n]);
		if (r == AVERROR_EOF)
			break;
		if (r < 0) {
			join_seterr(j, "segment is not a readable MP4: %s", averr(r, e));
			n++;
			goto err;
		}
		if (pkts[n]->stream_index >= (int)in->nb_streams ||
		    pkts[n]->dts == AV_NOPTS_VALUE) {
			av_packet_unref(pkts[n]);
			continue;
		}
		if (pkts[n]->pts == AV_NOPTS_VALUE)
			pkts[n]->pts = pkts[n]->dts;
		n++;
	}
	av_packet_free(&pkts[n]);
	join_fill_durations(in, pkts, n);
	return n;
err:
	while (n >= 0)
		av_packet_free(&pkts[n--]);
	return -1;
}

static int64_t
to_us(int64_t ts, AVRational tb)
{
	return av_rescale_q(ts, tb, US);
}

/* Decide where this segment's kept packets go on the output timeline. */
static void
join_place(struct join *j, AVPacket **pkts, int n, int first_kept)
{
	int64_t seg_first_us = INT64_MAX, seg_first_pts_us = INT64_MAX;
	int64_t kept_first_us = INT64_MAX, shift_us;
	int i;

	for (i = 0; i < n; i++) {
		AVRational tb = j->st[pkts[i]->stream_index].tb;
		int64_t d = to_us(pkts[i]->dts, tb), p = to_us(pkts[i]->pts, tb);
		if (d < seg_first_us)
			seg_first_us = d;
		if (p < seg_first_pts_us)
			seg_first_pts_us = p;
		if (i >= first_kept && d < kept_first_us)
			kept_first_us = d;
	}
	if (!j->started) {
		/* The first kept packet opens the file at time 0. */
		shift_us = -kept_first_us;
	} else if (llabs(seg_first_us - j->prev_in_end_us) <= JOIN_CONTINUITY_US) {
		/* Continuous source timeline: keep the exact shifts. */
		return;
	} else {
		/* Restarted or gapped source: carry on where the output ends,
		 * in decode order and on screen (with B-frames a segment is
		 * shown later than it is decoded: its first picture must come
		 * after the previous segment's last one). */
		shift_us = j->out_end_us - seg_first_us;
		if (j->out_pend_us - seg_first_pts_us > shift_us)
			shift_us = j->out_pend_us - seg_first_pts_us;
	}
	/* Rounded up: a tick of gap rather than two pictures at one time. */
	for (i = 0; i < j->nst; i++)
		j->st[i].shift = av_rescale_q_rnd(shift_us, US, j->st[i].tb,
		    j->started ? AV_ROUND_UP : AV_ROUND_NEAR_INF);
}

int
join_add(struct join *j, const uint8_t *buf, size_t len, int64_t start_ms)
{
	char e[AV_ERROR_MAX_STRING_SIZE];
	struct join_mem mem = { buf, len, 0 };
	AVFormatContext *in = NULL;
	AVIOContext *io = NULL;
	AVPacket **pkts = NULL;
	uint8_t *iobuf = NULL;
	int64_t ref_us = INT64_MAX, start_us = start_ms * 1000, w0 = 0, end_us = 0;
	int n = 0, i, r, k = -1, ret = -1, wrote = 0;

	if (j->done)
		return 0;
	/* Open the plaintext fMP4 from memory. */
	if ((iobuf = av_malloc(65536)) == NULL ||
	    (io = avio_alloc_context(iobuf, 65536, 0, &mem, callback_mem_read,
	    NULL, callback_mem_seek)) == NULL ||
	    (in = avformat_alloc_context()) == NULL) {
		join_seterr(j, "out of memory");
		av_free(iobuf);
		goto out;
	}
	in->pb = io;
	in->flags |= AVFMT_FLAG_CUSTOM_IO;
	if ((r = avformat_open_input(&in, NULL, av_find_input_format("mp4"),
	    NULL)) < 0) {
		join_seterr(j, "segment is not a readable MP4: %s", averr(r, e));
		goto out;	/* avformat_open_input freed `in` */
	}
	if (j->out == NULL ? join_open_output(j, in) : join_check_streams(j, in))
		goto out;
	if ((pkts = calloc(JOIN_PACKETS_MAX + 1, sizeof(*pkts))) == NULL ||
	    (n = join_read_all(j, in, pkts)) < 0) {
		n = 0;
		goto out;
	}

	/* Wall clock of a packet: the header's start time is the earliest
	 * video presentation time in the segment. */
	for (i = 0; i < n; i++)
		if (pkts[i]->stream_index == j->video &&
		    to_us(pkts[i]->pts, j->st[j->video].tb) < ref_us)
			ref_us = to_us(pkts[i]->pts, j->st[j->video].tb);
	if (ref_us == INT64_MAX) {
		ret = 0;	/* no video at all: nothing to cut on */
		goto out;
	}
#define WALL(p) (start_us + to_us((p)->pts, j->st[(p)->stream_index].tb) - ref_us)

	/* Where to start: the last keyframe at or before `from`, else the
	 * first keyframe (the segment begins after `from`). */
	if (!j->started) {
		/* A segment that ends before `from` holds nothing we want. */
		for (i = 0; i < n; i++)
			if (pkts[i]->stream_index == j->video &&
			    WALL(pkts[i]) >= j->from_us)
				break;
		if (i == n) {
			ret = 0;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (pkts[i]->stream_index != j->video ||
			    !(pkts[i]->flags & AV_PKT_FLAG_KEY))
				continue;
			if (WALL(pkts[i]) <= j->from_us || k < 0)
				k = i;
			if (WALL(pkts[i]) > j->from_us)
				break;
		}
		if (k < 0 || WALL(pkts[k]) >= j->to_us) {
			ret = 0;	/* nothing of the range in this segment */
			goto out;
		}
		w0 = WALL(pkts[k]);
	} else {
		k = 0;
		w0 = INT64_MIN;
	}
	join_place(j, pkts, n, k);

	for (i = 0; i < n; i++) {
		AVPacket *p = pkts[i];
		struct join_stream *s = &j->st[p->stream_index];
		int64_t dts, pts, dur;

		/* Source end, for the continuity check of the next segment. */
		dur = p->duration > 0 ? p->duration : 0;
		if (to_us(p->dts + dur, s->tb) > end_us || i == 0)
			end_us = to_us(p->dts + dur, s->tb);
		if (i < k && p->stream_index == j->video)
			continue;
		if (p->stream_index != j->video && WALL(p) < w0)
			continue;
		if (WALL(p) >= j->to_us) {
			if (p->stream_index == j->video)
				j->done = 1;
			continue;
		}
		if (j->done && p->stream_index == j->video)
			continue;
		dts = p->dts + s->shift;
		pts = p->pts + s->shift;
		/* Never go backwards, even on a source that did. */
		if (s->have_last && dts <= s->last_dts) {
			pts += s->last_dts + 1 - dts;
			dts = s->last_dts + 1;
		}
		s->last_dts = dts;
		s->have_last = 1;
		if (to_us(dts + dur, s->tb) > j->out_end_us)
			j->out_end_us = to_us(dts + dur, s->tb);
		if (to_us(pts + dur, s->tb) > j->out_pend_us)
			j->out_pend_us = to_us(pts + dur, s->tb);
		p->dts = dts;
		p->pts = pts;
		av_packet_rescale_ts(p, s->tb, j->out->streams[p->stream_index]->time_base);
		p->pos = -1;
		/* The muxer takes the packet's reference either way. */
		if ((r = av_interleaved_write_frame(j->out, p)) < 0) {
			join_seterr(j, "writing the MP4: %s", averr(r, e));
			goto out;
		}
		j->packets++;
		j->started = 1;
		wrote = 1;
	}
#undef WALL
	j->prev_in_end_us = end_us;
	if (wrote)
		j->segments++;
	ret = 0;
out:
	for (i = 0; i < n; i++)
		av_packet_free(&pkts[i]);
	free(pkts);
	avformat_close_input(&in);
	if (io != NULL) {
		av_freep(&io->buffer);
		avio_context_free(&io);
	}
	return ret;
}

uint64_t
join_packets(const struct join *j)
{
	return j->packets;
}

uint64_t
join_segments(const struct join *j)
{
	return j->segments;
}

int
join_reached_end(const struct join *j)
{
	return j->done;
}

int
join_finish(struct join *j)
{
	char e[AV_ERROR_MAX_STRING_SIZE];
	int r, fd;

	if (!j->started) {
		join_seterr(j, "no footage in that time range");
		goto err;
	}
	if ((r = av_write_trailer(j->out)) < 0) {
		join_seterr(j, "finishing the MP4: %s", averr(r, e));
		goto err;
	}
	if ((r = avio_closep(&j->out->pb)) < 0) {
		join_seterr(j, "closing the MP4: %s", averr(r, e));
		goto err;
	}
	if (j->tmp != NULL) {
		/* On disk before it takes the user's file name. */
		if ((fd = open(j->tmp, O_RDONLY)) == -1 || fsync(fd) != 0) {
			join_seterr(j, "syncing %s: %s", j->tmp, strerror(errno));
			if (fd != -1)
				close(fd);
			goto err;
		}
		close(fd);
		if (rename(j->tmp, j->path) != 0) {
			join_seterr(j, "renaming %s to %s: %s", j->tmp, j->path,
			    strerror(errno));
			goto err;
		}
		free(j->tmp);
		j->tmp = NULL;
	}
	return 0;
err:
	if (j->tmp != NULL) {
		unlink(j->tmp);
		free(j->tmp);
		j->tmp = NULL;
	}
	return -1;
}

void
join_free(struct join *j)
{
	int i;

	if (j == NULL)
		return;
	if (j->out != NULL) {
		if (j->out->pb != NULL)
			avio_closep(&j->out->pb);
		avformat_free_context(j->out);
	}
	if (j->tmp != NULL) {
		unlink(j->tmp);
		free(j->tmp);
	}
	for (i = 0; i < JOIN_STREAMS_MAX; i++)
		avcodec_parameters_free(&j->par[i]);
	free(j->path);
	free(j);
}

const char *
join_errmsg(const struct join *j)
{
	return j->err;
}
