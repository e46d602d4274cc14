/*
 * bench/live — the live view's costs (bench/live.sh runs it; figures in
 * docs/BENCHMARKS.md).
 *
 *	live crypto
 *	    Ed25519 sign/verify, and live_seal / verify-only / decrypting
 *	    reader throughput for 1-frame and 500 ms records.
 *	live relay URL CAMDIR CAMTOKEN VIEWERTOKEN CAMID BOXPK FLV N SECONDS PID [FRAG_MS]
 *	    Act as the camera's agent (command channel, one chunked upload of
 *	    sealed records, one per video frame of FLV, paced at 25 fps, or one
 *	    per FRAG_MS of video as the agent's --live-fragment-ms, cut before
 *	    keyframes) and as
 *	    N viewers of sealcamd's relay. Latency = the time from the moment a
 *	    record's last byte was written to the upload socket to the moment a
 *	    viewer has read that record's last byte (loopback, one clock).
 *	    Prints p50/p99 over all viewers, relay CPU (run time of PID's
 *	    threads, ns, over the measured window: cpuclock.h) per viewer,
 *	    and delivered throughput.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cpuclock.h"
#include "flvread.h"
#include "live.h"

#define MAXREC 20000

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double
secs(int64_t us)
{
	return (double)us / 1e6;
}

/* ---- crypto ---------------------------------------------------------------- */

static int
callback_count(void *cookie, const struct live_event *ev)
{
	(void)ev;
	(*(int *)cookie)++;
	return 0;
}

static void
bench_crypto(void)
{
	uint8_t pk[32], sk[64], sig[64], msg[104] = { 1 }, bpk[32], bsk[32];
	uint8_t head[LIVE_HEAD_MAX];
	size_t sizes[] = { 8000, 100000 }, hl;
	int64_t t0;
	int n;

	crypto_sign_keypair(pk, sk);
	crypto_box_keypair(bpk, bsk);
	t0 = mono_us();
	for (n = 0; n < 20000; n++)
		crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	printf("ed25519 sign    %8.0f /s\n", n / secs(mono_us() - t0));
	t0 = mono_us();
	for (n = 0; n < 10000; n++)
		if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0)
			abort();
	printf("ed25519 verify  %8.0f /s\n", n / secs(mono_us() - t0));
	for (size_t k = 0; k < 2; k++) {
		struct live_params p = { .session_seq = 1, .start_ms = 1, .epoch = 1,
		    .recipients = (const uint8_t (*)[32])bpk, .nrecipients = 1 };
		struct live_sealer *s = live_sealer_new(&p, sk, head, &hl);
		struct live_expect e = { .camera_pk = pk };
		size_t rl = LIVE_RECORD_SIZE(sizes[k]), recs = k ? 300 : 3000;
		uint8_t *pt = calloc(1, sizes[k]), *wire = malloc(hl + rl * (recs + 1));
		size_t off = hl;
		int64_t t1;
		int got;

		memcpy(wire, head, hl);
		t0 = mono_us();
		for (size_t i = 0; i <= recs; i++, off += rl)
			if (live_seal(s, i ? LIVE_REC_FRAG : LIVE_REC_INIT, i == 1 ?
			    LIVE_FLAG_KEY : 0, i, pt, sizes[k], wire + off) != LIVE_OK)
				abort();
		t1 = mono_us();
		printf("seal %6zu B     %8.0f records/s  %7.1f MB/s\n", sizes[k],
		    (double)recs / secs(t1 - t0), (double)recs * (double)sizes[k] /
		    secs(t1 - t0) / 1e6);
		for (int dec = 0; dec < 2; dec++) {
			struct live_reader *r = live_reader_new(&e, dec ? bpk : NULL,
			    dec ? bsk : NULL);
			got = 0;
			t0 = mono_us();
			if (live_reader_write(r, wire, off, callback_count, &got) != LIVE_OK)
				abort();
			t1 = mono_us();
			printf("%s %6zu B %8.0f records/s  %7.1f MB/s\n", dec ?
			    "open (decrypt) " : "verify (server)", sizes[k],
			    (double)got / secs(t1 - t0), (double)off / secs(t1 - t0) / 1e6);
			live_reader_free(r);
		}
		live_sealer_free(s);
		free(pt);
		free(wire);
	}
}

/* ---- relay ----------------------------------------------------------------- */

static const char *host = "127.0.0.1";
static int port;
static int64_t sent_us[MAXREC];		/* per record index; 0 = not yet */
static int64_t window_from, window_to;	/* measured window, mono us */
static atomic_int heads;		/* viewers streaming (head received) */

struct viewer {
	pthread_t t;
	const char *path, *token;
	int64_t *lat;			/* microseconds */
	size_t nlat, cap;
	uint64_t bytes;
	int fd;
};

static int
dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, host, &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
write_all(int fd, const void *b, size_t n)
{
	const char *p = b;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0) {
			if (errno == EINTR)
				continue;
			perror("write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Dechunk an HTTP/1.1 chunked body incrementally. */
struct dechunk {
	int state;	/* 0 headers, 1 size line, 2 data, 3 CRLF after data */
	size_t left;
	char line[64];
	size_t ll;
	size_t hdr_match;
};

/* Feed n raw bytes; out gets body bytes; returns count of body bytes. */
static size_t
dechunk(struct dechunk *d, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];
		switch (d->state) {
		case 0: {
			static const char end[] = "\r\n\r\n";
			d->hdr_match = c == end[d->hdr_match] ? d->hdr_match + 1 :
			    c == '\r' ? 1 : 0;
			if (d->hdr_match == 4)
				d->state = 1;
			break;
		}
		case 1:
			if (c == '\n') {
				d->line[d->ll] = '\0';
				d->left = strtoul(d->line, NULL, 16);
				d->ll = 0;
				d->state = d->left ? 2 : 1;
			} else if (c != '\r' && d->ll < sizeof(d->line) - 1) {
				d->line[d->ll++] = (char)c;
			}
			break;
		case 2: {
			size_t take = n - i < d->left ? n - i : d->left;
			memcpy(out + o, in + i, take);
			o += take;
			d->left -= take;
			i += take - 1;
			if (d->left == 0)
				d->state = 3;
			break;
		}
		case 3:
			if (c == '\n')
				d->state = 1;
			break;
		}
	}
	return o;
}

static void *
viewer_main(void *cookie)
{
	struct viewer *v = cookie;
	char req[512];
	static __thread uint8_t in[1 << 16], body[1 << 16];
	struct dechunk d = { 0 };
	size_t need = 0, have = 0, hlen = 0;
	uint8_t rh[24];
	int head_done = 0;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: "
	    "Bearer %s\r\n\r\n", v->path, v->token);
	v->fd = dial();
	write_all(v->fd, req, strlen(req));
	for (;;) {
		ssize_t r = read(v->fd, in, sizeof(in));
		int64_t now = mono_us();
		size_t n;

		if (r <= 0)
			break;
		n = dechunk(&d, in, (size_t)r, body);
		if (now >= window_from && now <= window_to)
			v->bytes += n;
		/* Walk the live stream: head, then records (24-byte header
		 * carries the length; index at offset 8). */
		for (size_t i = 0; i < n;) {
			if (!head_done) {
				if (hlen < 8) {
					rh[hlen++] = body[i++];
					if (hlen == 8)
						need = 72 + (size_t)rh[7] * 88 + 64;
					continue;
				}
				size_t take = need - hlen < n - i ? need - hlen : n - i;
				hlen += take;
				i += take;
				if (hlen == need) {
					head_done = 1;
					have = 0;
					atomic_fetch_add(&heads, 1);
				}
				continue;
			}
			if (have < 24) {
				rh[have++] = body[i++];
				if (have == 24)
					need = 24 + (((size_t)rh[4] << 24) | ((size_t)rh[5] << 16) |
					    ((size_t)rh[6] << 8) | rh[7]) + 64;
				continue;
			}
			size_t take = need - have < n - i ? need - have : n - i;
			have += take;
			i += take;
			if (have == need) {
				uint64_t idx = 0;
				for (int k = 8; k < 16; k++)
					idx = idx << 8 | rh[k];
				if (idx < MAXREC && sent_us[idx] && now >= window_from &&
				    now <= window_to) {
					if (v->nlat == v->cap) {
						v->cap = v->cap ? v->cap * 2 : 1024;
						v->lat = realloc(v->lat, v->cap * sizeof(*v->lat));
					}
					v->lat[v->nlat++] = now - sent_us[idx];
				}
				if (rh[0] == LIVE_REC_END) {
					close(v->fd);
					return NULL;
				}
				have = 0;
			}
		}
	}
	close(v->fd);
	return NULL;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int
load_hex(const char *path, uint8_t *b, size_t n)
{
	char hex[256];
	FILE *f = fopen(path, "r");
	size_t len = 0;

	if (f == NULL || fgets(hex, sizeof(hex), f) == NULL)
		return -1;
	fclose(f);
	hex[strcspn(hex, "\n")] = '\0';
	return sodium_hex2bin(b, n, hex, strlen(hex), NULL, &len, NULL) == 0 && len == n ? 0 : -1;
}

static int
bench_relay(char **a)
{
	const char *url = a[0], *camdir = a[1], *camtok = a[2], *vtok = a[3],
	    *camid = a[4], *boxhex = a[5], *flv = a[6];
	int nview = (int)strtol(a[7], NULL, 10), seconds = (int)strtol(a[8], NULL, 10);
	int pid = (int)strtol(a[9], NULL, 10);
	uint8_t sk[64], box[32], head[LIVE_HEAD_MAX], sid[16], buf[4096];
	char path[256], req[512], skpath[4096], sidhex[33];
	struct viewer *vs = calloc((size_t)nview, sizeof(*vs));
	struct flv_tag *tags;
	size_t ntags, hl, total = 0, len = 0;
	struct live_sealer *s;
	int chfd, upfd;
	int64_t t0, tw0 = 0;
	double c0 = 0, c1, cwin;
	struct live_params p;
	int frag_ms = a[10] ? (int)strtol(a[10], NULL, 10) : 0, nfr = 0, fkey = 0;
	uint8_t *frag = malloc(LIVE_MAX_PLAINTEXT), *wbuf = malloc(LIVE_MAX_PLAINTEXT + 4096);
	size_t fl = 0;

	port = (int)strtol(strrchr(url, ':') + 1, NULL, 10);
	snprintf(skpath, sizeof(skpath), "%s/cam.sk", camdir);
	if (load_hex(skpath, sk, 64) != 0 || sodium_hex2bin(box, 32, boxhex, 64,
	    NULL, NULL, NULL) != 0 || (tags = flv_read_video(flv, &ntags)) == NULL ||
	    ntags < 2) {
		fprintf(stderr, "live: bad arguments\n");
		return 2;
	}
	/* The agent's command channel. */
	chfd = dial();
	snprintf(req, sizeof(req), "GET /v1/camera/live/commands HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer %s\r\n\r\n", camtok);
	write_all(chfd, req, strlen(req));
	usleep(100000);
	/* N viewers ask; the first starts the session. */
	snprintf(path, sizeof(path), "/v1/cameras/%s/live", camid);
	for (int i = 0; i < nview; i++) {
		vs[i].path = path;
		vs[i].token = vtok;
		pthread_create(&vs[i].t, NULL, viewer_main, &vs[i]);
	}
	/* Wait for "start". */
	for (;;) {
		ssize_t r = read(chfd, buf + len, sizeof(buf) - 1 - len);
		char *q;
		if (r <= 0) {
			fprintf(stderr, "live: command channel closed\n");
			return 1;
		}
		len += (size_t)r;
		buf[len] = '\0';
		if ((q = strstr((char *)buf, "\"start\",\"session\":\"")) != NULL &&
		    strlen(q) >= 19 + 32) {
			memcpy(sidhex, q + 19, 32);
			sidhex[32] = '\0';
			break;
		}
	}
	sodium_hex2bin(sid, 16, sidhex, 32, NULL, NULL, NULL);
	/* The upload: head, INIT, then one FRAG per frame at 25 fps. */
	memset(&p, 0, sizeof(p));
	p.session_seq = live_session_seq(sid);
	p.start_ms = (uint64_t)time(NULL) * 1000;
	p.epoch = 1;
	p.recipients = (const uint8_t (*)[32])box;
	p.nrecipients = 1;
	s = live_sealer_new(&p, sk, head, &hl);
	upfd = dial();
	snprintf(req, sizeof(req), "POST /v1/camera/live/%s HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", sidhex, camtok);
	write_all(upfd, req, strlen(req));
	{
		char ch[16];
		int n = snprintf(ch, sizeof(ch), "%zx\r\n", hl);
		write_all(upfd, ch, (size_t)n);
		write_all(upfd, head, hl);
		write_all(upfd, "\r\n", 2);
	}
	t0 = mono_us();
	/* Warm-up until every viewer streams (joining is recorded in the
	 * transparency log first, which takes a while for 100 viewers), then
	 * 1 s more, then the measured window of `seconds`. */
	window_from = window_to = INT64_MAX;
	int settle = -1, last = -1;
	for (int i = 0; (last < 0 || i <= last) && i < MAXREC - 2; i++) {
		const struct flv_tag *tg = &tags[(i ? (size_t)(i - 1) % (ntags - 1) + 1 : 0)];
		const struct flv_tag *nt = &tags[(size_t)i % (ntags - 1) + 1];
		uint8_t type = i == 0 ? LIVE_REC_INIT : LIVE_REC_FRAG;
		size_t rl;
		char ch[16];
		int n;
		int64_t due = t0 + (int64_t)i * 40000, now = mono_us();

		if (due > now)
			usleep((useconds_t)(due - now));
		if (settle < 0 && (atomic_load(&heads) == nview || i == 60 * 25)) {
			if (atomic_load(&heads) != nview)
				fprintf(stderr, "live: only %d of %d viewers after 60 s\n",
				    atomic_load(&heads), nview);
			settle = i + 25;
			last = settle + seconds * 25;
		}
		if (i == settle) {
			c0 = cpuclock_s(pid);
			tw0 = mono_us();
			window_to = tw0 + (int64_t)seconds * 1000000;
			window_from = tw0;
		}
		/* This frame joins the open fragment; the fragment goes out as
		 * the agent's muxer sends it: once it holds frag_ms of video
		 * (every frame when frag_ms is 0), or before a keyframe, which
		 * begins a new fragment. */
		if (nfr == 0 && type == LIVE_REC_FRAG)
			fkey = i == 1 || tg->key;
		memcpy(frag + fl, tg->data + 11, tg->body);
		fl += tg->body;
		nfr++;
		if (settle >= 0 && i >= settle)
			total += tg->body;
		if (type == LIVE_REC_FRAG && nfr * 40 < frag_ms && !nt->key &&
		    (last < 0 || i < last))
			continue;
		/* One write per record, chunk framing included, as the agent's
		 * HTTP client (libcurl) sends it. */
		rl = LIVE_RECORD_SIZE(fl);
		n = snprintf(ch, sizeof(ch), "%zx\r\n", rl);
		memcpy(wbuf, ch, (size_t)n);
		live_seal(s, type, fkey ? LIVE_FLAG_KEY : 0, (uint64_t)time(NULL) * 1000,
		    frag, fl, wbuf + n);
		memcpy(wbuf + n + rl, "\r\n", 2);
		write_all(upfd, wbuf, (size_t)n + rl + 2);
		sent_us[live_sealer_next_index(s) - 1] = mono_us();
		fl = 0;
		nfr = 0;
		fkey = 0;
	}
	usleep(200000);                 /* the last records arrive */
	c1 = cpuclock_s(pid);
	cwin = (double)(mono_us() - tw0) / 1e6;
	{
		uint8_t rec[LIVE_RECORD_SIZE(0) + 2];
		char ch[16];
		int n = snprintf(ch, sizeof(ch), "%zx\r\n", (size_t)LIVE_RECORD_SIZE(0));
		live_seal(s, LIVE_REC_END, 0, (uint64_t)time(NULL) * 1000, NULL, 0, rec);
		memcpy(rec + LIVE_RECORD_SIZE(0), "\r\n", 2);
		write_all(upfd, ch, (size_t)n);
		write_all(upfd, rec, sizeof(rec));
		write_all(upfd, "0\r\n\r\n", 5);
	}
	{
		size_t all = 0, k = 0;
		int64_t *lat;
		uint64_t bytes = 0;
		double win = (double)seconds, cpu = (c1 - c0) / cwin * win;

		for (int i = 0; i < nview; i++) {
			pthread_join(vs[i].t, NULL);
			all += vs[i].nlat;
			bytes += vs[i].bytes;
		}
		lat = malloc((all ? all : 1) * sizeof(*lat));
		for (int i = 0; i < nview; i++) {
			memcpy(lat + k, vs[i].lat, vs[i].nlat * sizeof(*lat));
			k += vs[i].nlat;
		}
		qsort(lat, all, sizeof(*lat), cmp64);
		printf("relay frag_ms=%d viewers=%d records=%zu p50_ms=%.3f p99_ms=%.3f "
		    "cpu_core_pct=%.2f cpu_pct_per_viewer=%.4f in_mbit_s=%.2f "
		    "out_mbit_s=%.1f\n", frag_ms, nview, all, all ? (double)lat[all / 2] / 1000 : -1,
		    all ? (double)lat[all * 99 / 100] / 1000 : -1, 100 * cpu / win,
		    100 * cpu / win / nview, (double)total * 8 / win / 1e6,
		    (double)bytes * 8 / win / 1e6);
		free(lat);
	}
	live_sealer_free(s);
	free(frag);
	free(wbuf);
	close(upfd);
	close(chfd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);	/* a closed socket is an error message, not a death */
	if (argc >= 2 && strcmp(argv[1], "crypto") == 0) {
		bench_crypto();
		return 0;
	}
	if ((argc == 12 || argc == 13) && strcmp(argv[1], "relay") == 0)
		return bench_relay(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of bench/live.c\n");
	return 2;
}
