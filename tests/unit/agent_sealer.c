/*
 * Unit tests for src/agent/sealer.c and the sequence numbers of config.c:
 * real segments from the segmenter are sealed into the spool and opened
 * again with the core opener, as the CLI will.
 */
#include "t.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <sodium.h>

#include "log.h"
#include "seg.h"
#include "../../src/agent/camera_int.h"
#include "../../src/agent/segmenter.h"
#include "../../src/agent/spool.h"

static char dir[64];

/* Read a spooled object into memory. */
static uint8_t *
slurp(struct spool *s, const struct spool_item *it, size_t *len)
{
	int fd = spool_open_item(s, it);
	uint8_t *buf;
	ssize_t r;

	if (fd < 0)
		return NULL;
	buf = malloc(it->size);
	r = read(fd, buf, it->size);
	close(fd);
	*len = r < 0 ? 0 : (size_t)r;
	return buf;
}

int
main(void)
{
	struct camera cam;
	uint8_t pk[SEG_PK_BYTES];
	uint8_t box_pk[3][32], box_sk[3][32];
	struct segs { struct segment s[16]; int n; } ss = { 0 };
	AVFormatContext *ic = NULL;
	AVPacket *pkt = av_packet_alloc();
	struct segmenter *sg;
	struct segmenter_opts so = { 2000, 10000, SEGMENTER_MAX_BYTES_DEFAULT };
	struct segment seg;
	struct spool_item it;
	char cmd[512], path[256], cdir[128];
	uint64_t seq;

	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERR);
	av_log_set_level(AV_LOG_ERROR);
	if (t_mkdtemp(dir, sizeof(dir), "sealcam-sealer") == NULL)
		return 1;
	snprintf(cmd, sizeof(cmd), "ffmpeg -hide_banner -loglevel error -y -f lavfi "
	    "-i testsrc2=size=320x240:rate=25 -t 8 -c:v libx264 -preset ultrafast "
	    "-g 25 -pix_fmt yuv420p %s/clip.mp4", dir);
	if (system(cmd) != 0)
		return 1;

	/* Segments from a real clip. */
	snprintf(path, sizeof(path), "%s/clip.mp4", dir);
	if (avformat_open_input(&ic, path, NULL, NULL) < 0 ||
	    avformat_find_stream_info(ic, NULL) < 0)
		return 1;
	sg = segmenter_new(ic->streams[0]->codecpar, ic->streams[0]->time_base,
	    NULL, (AVRational){ 1, 1 }, &so);
	while (av_read_frame(ic, pkt) >= 0) {
		if (segmenter_push(sg, 0, pkt, 1700000000000LL + pkt->dts * 1000 /
		    12800, &seg) == 1)
			ss.s[ss.n++] = seg;
		av_packet_unref(pkt);
	}
	if (segmenter_finish(sg, &seg) == 1)
		ss.s[ss.n++] = seg;
	segmenter_free(sg);
	avformat_close_input(&ic);
	av_packet_free(&pkt);

	/* A camera as camera_start() would set it up. */
	memset(&cam, 0, sizeof(cam));
	snprintf(cdir, sizeof(cdir), "%s/cam", dir);
	mkdir(cdir, 0700);
	snprintf(cam.conf.dir, sizeof(cam.conf.dir), "%s", cdir);
	snprintf(cam.conf.id_hex, sizeof(cam.conf.id_hex), "test");
	crypto_sign_keypair(pk, cam.sk);
	seg_camera_id(pk, cam.camera_id);
	pthread_mutex_init(&cam.mu, NULL);
	for (int i = 0; i < 3; i++)
		crypto_box_keypair(box_pk[i], box_sk[i]);
	snprintf(path, sizeof(path), "%s/spool", cdir);
	cam.spool = spool_open(path, 0);

	t_case("without an accepted keyring nothing is sealed");
	T_ASSERT(sealer_seal_segment(&cam, &ss.s[0], 0, NULL) != 0);
	{
		size_t n;

		spool_stats(cam.spool, &n, NULL);
		T_EQ(n, 0);
	}

	t_case("segments and their thumbnails sealed to keyring epoch 1 open for its recipients, byte for byte");
	cam.rcpt.epoch = 1;
	cam.rcpt.n = 2;
	memcpy(cam.rcpt.pk[0], box_pk[0], 32);
	memcpy(cam.rcpt.pk[1], box_pk[1], 32);
	T_ASSERT(ss.n >= 4);
	for (int i = 0; i < 2; i++)
		T_EQ(sealer_seal_segment(&cam, &ss.s[i], 0, NULL), 0);
	/* Epoch 2 drops recipient 1 and adds recipient 2. */
	cam.rcpt.epoch = 2;
	memcpy(cam.rcpt.pk[1], box_pk[2], 32);
	for (int i = 2; i < ss.n; i++)
		T_EQ(sealer_seal_segment(&cam, &ss.s[i], SPOOL_FLAG_EVENT, NULL), 0);
	for (int i = 0; i < ss.n; i++) {
		struct seg_expect e = { .camera_pk = pk, .kind = SEG_KIND_SEGMENT,
		    .check_seq = 1, .seq = (uint64_t)i + 1 };
		struct seg_header h;
		uint8_t *sealed, *pt = NULL;
		size_t slen, ptlen = 0;
		int rc;

		T_EQ(spool_take(cam.spool, &it, 0), 1);
		T_EQ(it.seq, i + 1);
		T_EQ(it.start_ms, ss.s[i].start_ms);
		sealed = slurp(cam.spool, &it, &slen);
		T_ASSERT(sealed != NULL);
		rc = seg_open_buf(&e, box_pk[0], box_sk[0], sealed, slen, &pt,
		    &ptlen, &h);
		T_EQ(rc, SEG_OK);
		T_EQ(ptlen, ss.s[i].len);
		T_ASSERT(pt != NULL && memcmp(pt, ss.s[i].data, ptlen) == 0);
		T_EQ(h.start_ms, ss.s[i].start_ms);
		T_EQ(h.duration_ms, ss.s[i].duration_ms);
		T_EQ(h.epoch, i < 2 ? 1 : 2);
		T_EQ(h.flags, i < 2 ? 0 : SEG_FLAG_EVENT);
		T_EQ(it.flags, i < 2 ? 0 : SPOOL_FLAG_EVENT);
		free(pt);
		pt = NULL;
		/* A removed member cannot read what was sealed after removal;
		 * an added one can. */
		rc = seg_open_buf(&e, box_pk[1], box_sk[1], sealed, slen, &pt,
		    &ptlen, NULL);
		if (i < 2)
			T_EQ(rc, SEG_OK);
		else
			T_EQ(rc, SEG_ENOTRECIPIENT);
		free(pt);
		pt = NULL;
		rc = seg_open_buf(&e, box_pk[2], box_sk[2], sealed, slen, &pt,
		    &ptlen, NULL);
		if (i < 2)
			T_EQ(rc, SEG_ENOTRECIPIENT);
		else
			T_EQ(rc, SEG_OK);
		free(pt);
		free(sealed);

		/* Its thumbnail: kind thumbnail, the same seq, times, flags
		 * and recipients; a JPEG inside. */
		{
			struct seg_expect te = { .camera_pk = pk,
			    .kind = SEG_KIND_THUMBNAIL, .check_seq = 1,
			    .seq = (uint64_t)i + 1 };

			T_EQ(spool_take(cam.spool, &it, 0), 1);
			T_ASSERT(strcmp(it.kind, "thumbnail") == 0);
			T_EQ(it.seq, i + 1);
			sealed = slurp(cam.spool, &it, &slen);
			T_ASSERT(sealed != NULL);
			pt = NULL;
			rc = seg_open_buf(&te, box_pk[0], box_sk[0], sealed, slen,
			    &pt, &ptlen, &h);
			T_EQ(rc, SEG_OK);
			T_ASSERT(ptlen > 100 && ptlen < 64 * 1024);
			T_ASSERT(pt[0] == 0xff && pt[1] == 0xd8 &&
			    pt[ptlen - 2] == 0xff && pt[ptlen - 1] == 0xd9);
			T_EQ(h.start_ms, ss.s[i].start_ms);
			T_EQ(h.epoch, i < 2 ? 1 : 2);
			T_EQ(h.flags, i < 2 ? 0 : SEG_FLAG_EVENT);
			free(pt);
			pt = NULL;
			rc = seg_open_buf(&te, box_pk[1], box_sk[1], sealed, slen,
			    &pt, &ptlen, NULL);
			T_EQ(rc, i < 2 ? SEG_OK : SEG_ENOTRECIPIENT);
			free(pt);
			free(sealed);
		}
	}
	t_case("the sealed bytes contain no plaintext MP4 boxes");
	{
		size_t slen;
		uint8_t *sealed;

		spool_release(cam.spool, &it);
		T_EQ(spool_take(cam.spool, &it, 0), 1);
		sealed = slurp(cam.spool, &it, &slen);
		for (size_t k = 0; k + 4 <= slen; k++) {
			T_ASSERT(memcmp(sealed + k, "ftyp", 4) != 0);
			T_ASSERT(memcmp(sealed + k, "moof", 4) != 0);
		}
		free(sealed);
	}

	t_case("sequence numbers go on after a restart, never reused");
	T_EQ(config_seq_reserve(cdir, "segment", &seq), 0);
	T_EQ(seq, (uint64_t)ss.n + 1);
	T_EQ(config_seq_reserve(cdir, "thumbnail", &seq), 0);
	T_EQ(seq, 1);	/* each kind counts on its own */

	t_case("killed at random points, a reserved sequence number is never handed out again");
	for (int round = 0; round < 10; round++) {
		int fds[2];
		pid_t pid;
		uint64_t max = 0, v;
		int st;

		if (pipe(fds) != 0)
			return 1;
		if ((pid = fork()) == 0) {
			close(fds[0]);
			for (;;) {
				if (config_seq_reserve(cdir, "segment", &v) != 0)
					_exit(1);
				/* "used": reported only after the reservation */
				if (write(fds[1], &v, sizeof(v)) != sizeof(v))
					_exit(1);
			}
		}
		close(fds[1]);
		usleep(5000 + randombytes_uniform(20000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		while (read(fds[0], &v, sizeof(v)) == sizeof(v))
			max = v > max ? v : max;
		close(fds[0]);
		T_EQ(config_seq_reserve(cdir, "segment", &seq), 0);
		T_ASSERT(seq > max);
	}

	spool_free(cam.spool);
	for (int i = 0; i < ss.n; i++)
		segment_clear(&ss.s[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
