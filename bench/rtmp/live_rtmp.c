/*
 * bench/rtmp/live_rtmp — the peer of bench/live's relay measurement:
 * the same FLV video frames, at 25 fps, published to nginx-rtmp and played
 * by N RTMP readers (librtmp, Debian librtmp-dev; built by bench/live.sh,
 * not by make: only benchmarks need librtmp).
 *
 *	live_rtmp rtmp://127.0.0.1:PORT/live/s FLV N SECONDS PID...
 *
 * Latency = from the moment a frame's tag was written to the publisher's
 * socket (RTMP_Write returned) to the moment a reader has the whole video
 * message. Each frame's index is stamped into the last 4 bytes of its tag
 * body (nginx-rtmp relays the payload as is), so readers need no help
 * from timestamps. CPU: run time of the PIDs' threads (nginx master and
 * worker; cpuclock.h) over the measured window. The publisher sends
 * 4096-byte RTMP chunks, as ffmpeg and OBS do (librtmp's default is 128,
 * which would make nginx-rtmp parse 80 chunks per frame). Prints the same
 * line format as bench/live.
 */
#include <librtmp/log.h>
#include <librtmp/rtmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cpuclock.h"
#include "../flvread.h"

#define MAXREC 20000

static int64_t sent_us[MAXREC];
static atomic_llong window_from = INT64_MAX, window_to = INT64_MAX;
static atomic_int done;
static char *url;

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct reader {
	pthread_t t;
	int64_t *lat;
	size_t nlat, cap;
	uint64_t bytes;
	int ok;
};

static void *
reader_main(void *cookie)
{
	struct reader *rd = cookie;
	RTMP *r = RTMP_Alloc();
	RTMPPacket pkt = { 0 };
	char u[512];

	snprintf(u, sizeof(u), "%s live=1 buffer=100", url);
	RTMP_Init(r);
	if (!RTMP_SetupURL(r, u) || !RTMP_Connect(r, NULL) || !RTMP_ConnectStream(r, 0))
		return NULL;
	rd->ok = 1;
	while (!atomic_load(&done) && RTMP_IsConnected(r)) {
		if (!RTMP_ReadPacket(r, &pkt))
			break;
		if (!RTMPPacket_IsReady(&pkt))
			continue;
		if (pkt.m_packetType == RTMP_PACKET_TYPE_VIDEO && pkt.m_nBodySize >= 9) {
			int64_t now = mono_us();
			const uint8_t *b = (const uint8_t *)pkt.m_body + pkt.m_nBodySize - 4;
			uint32_t idx = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
			    (uint32_t)b[2] << 8 | b[3];

			rd->bytes += pkt.m_nBodySize;
			if (idx < MAXREC && sent_us[idx] && now >= atomic_load(&window_from) &&
			    now <= atomic_load(&window_to)) {
				if (rd->nlat == rd->cap) {
					rd->cap = rd->cap ? rd->cap * 2 : 1024;
					rd->lat = realloc(rd->lat, rd->cap * sizeof(*rd->lat));
				}
				rd->lat[rd->nlat++] = now - sent_us[idx];
			}
		}
		RTMPPacket_Free(&pkt);
	}
	RTMP_Close(r);
	RTMP_Free(r);
	return NULL;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct flv_tag *tags;
	struct reader *rs;
	size_t ntags, all = 0, k = 0;
	int n, seconds, frames, npids;
	int *pids;
	RTMP *pub;
	int64_t t0;
	double c0 = 0, c1 = 0, cwin, cpu;
	uint64_t bytes = 0, total = 0;
	int64_t *lat;

	if (argc < 6) {
		fprintf(stderr, "usage: see the comment at the top of live_rtmp.c\n");
		return 2;
	}
	url = argv[1];
	n = (int)strtol(argv[3], NULL, 10);
	seconds = (int)strtol(argv[4], NULL, 10);
	npids = argc - 5;
	pids = calloc((size_t)npids, sizeof(*pids));
	for (int i = 0; i < npids; i++)
		pids[i] = (int)strtol(argv[5 + i], NULL, 10);
	if ((tags = flv_read_video(argv[2], &ntags)) == NULL || ntags < 2 ||
	    !tags[0].seq_header)
		return 2;
	frames = seconds * 25 + 50;
	RTMP_LogSetLevel(RTMP_LOGCRIT);

	pub = RTMP_Alloc();
	RTMP_Init(pub);
	if (!RTMP_SetupURL(pub, url))
		return 1;
	RTMP_EnableWrite(pub);
	if (!RTMP_Connect(pub, NULL) || !RTMP_ConnectStream(pub, 0)) {
		fprintf(stderr, "live_rtmp: cannot publish\n");
		return 1;
	}
	/* Set Chunk Size (protocol control message 1) to 4096, then use it. */
	{
		RTMPPacket cs = { 0 };
		char pbuf[RTMP_MAX_HEADER_SIZE + 4];

		cs.m_nChannel = 0x02;
		cs.m_headerType = RTMP_PACKET_SIZE_LARGE;
		cs.m_packetType = RTMP_PACKET_TYPE_CHUNK_SIZE;
		cs.m_body = pbuf + RTMP_MAX_HEADER_SIZE;
		cs.m_nBodySize = 4;
		cs.m_body[0] = 0;
		cs.m_body[1] = 0;
		cs.m_body[2] = 0x10;
		cs.m_body[3] = 0;
		if (!RTMP_SendPacket(pub, &cs, FALSE)) {
			fprintf(stderr, "live_rtmp: cannot set the chunk size\n");
			return 1;
		}
		pub->m_outChunkSize = 4096;
	}
	/* The sequence header first, then readers join (nginx-rtmp hands it
	 * to each new player), then frames. */
	{
		uint8_t *t = malloc(tags[0].len + 4);
		memcpy(t, tags[0].data, tags[0].len);
		memset(t + tags[0].len, 0, 4);
		RTMP_Write(pub, (char *)t, (int)tags[0].len + 4);
		free(t);
	}
	rs = calloc((size_t)n, sizeof(*rs));
	for (int i = 0; i < n; i++)
		pthread_create(&rs[i].t, NULL, reader_main, &rs[i]);
	usleep(500000);
	t0 = mono_us();
	for (int i = 1; i <= frames && i < MAXREC - 1; i++) {
		const struct flv_tag *tg = &tags[(size_t)(i - 1) % (ntags - 1) + 1];
		uint8_t *t = malloc(tg->len + 4);
		uint32_t ts = (uint32_t)i * 40;
		int64_t due = t0 + (int64_t)i * 40000, now = mono_us();

		if (due > now)
			usleep((useconds_t)(due - now));
		if (i == 50) {
			for (int p = 0; p < npids; p++)
				c0 += cpuclock_s(pids[p]);
			atomic_store(&window_from, mono_us());
			atomic_store(&window_to, mono_us() + (int64_t)seconds * 1000000);
		}
		memcpy(t, tg->data, tg->len);
		t[4] = (uint8_t)(ts >> 16);
		t[5] = (uint8_t)(ts >> 8);
		t[6] = (uint8_t)ts;
		t[7] = (uint8_t)(ts >> 24);
		t[tg->len - 4] = (uint8_t)(i >> 24);
		t[tg->len - 3] = (uint8_t)(i >> 16);
		t[tg->len - 2] = (uint8_t)(i >> 8);
		t[tg->len - 1] = (uint8_t)i;
		memset(t + tg->len, 0, 4);
		sent_us[i] = mono_us();	/* before the write: RTMP_Write sends */
		if (RTMP_Write(pub, (char *)t, (int)tg->len + 4) <= 0) {
			fprintf(stderr, "live_rtmp: publish failed\n");
			return 1;
		}
		sent_us[i] = mono_us();
		if (i >= 50)
			total += tg->body;
		free(t);
	}
	usleep(200000);                 /* the last frames arrive */
	for (int p = 0; p < npids; p++)
		c1 += cpuclock_s(pids[p]);
	cwin = (double)(mono_us() - atomic_load(&window_from)) / 1e6;
	usleep(100000);
	atomic_store(&done, 1);
	RTMP_Close(pub);
	RTMP_Free(pub);
	for (int i = 0; i < n; i++) {
		pthread_join(rs[i].t, NULL);
		all += rs[i].nlat;
		bytes += rs[i].bytes;
	}
	lat = malloc((all ? all : 1) * sizeof(*lat));
	for (int i = 0; i < n; i++) {
		memcpy(lat + k, rs[i].lat, rs[i].nlat * sizeof(*lat));
		k += rs[i].nlat;
	}
	qsort(lat, all, sizeof(*lat), cmp64);
	cpu = (c1 - c0) / cwin * seconds;    /* per `seconds`, as bench/live */
	printf("rtmp  viewers=%d records=%zu p50_ms=%.3f p99_ms=%.3f cpu_core_pct=%.2f "
	    "cpu_pct_per_viewer=%.4f in_mbit_s=%.2f out_mbit_s=%.1f\n", n, all,
	    all ? (double)lat[all / 2] / 1000 : -1, all ? (double)lat[all * 99 / 100] / 1000 : -1,
	    100 * cpu / seconds, 100 * cpu / seconds / n,
	    (double)total * 8 / seconds / 1e6, (double)bytes * 8 / (seconds + 2.0) / 1e6);
	return 0;
}
