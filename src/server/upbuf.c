#define _GNU_SOURCE /* MADV_HUGEPAGE */
#include "upbuf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define STREAM_IDLE 64           /* idle streaming buffers kept (16 MiB) */
#define HUGE_PAGE (2u << 20)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *stream_idle[STREAM_IDLE];
static unsigned nstream_idle;
static uint8_t *whole_idle[UPBUF_WHOLE_MAX];
static unsigned nwhole_idle, nwhole;     /* idle; allocated in all */

int
upbuf_init(unsigned n)
{
	if (n > UPBUF_WHOLE_MAX)
		return -1;
	pthread_mutex_lock(&mu);
	for (; nwhole < n; nwhole++) {
		void *p;

		/* Huge-page aligned so that THP may back it (fewer faults, and
		 * a write from it is physically contiguous). */
		if (posix_memalign(&p, HUGE_PAGE, UPBUF_WHOLE_BYTES) != 0) {
			pthread_mutex_unlock(&mu);
			return -1;
		}
		(void)madvise(p, UPBUF_WHOLE_BYTES, MADV_HUGEPAGE);   /* a hint only */
		memset(p, 0, UPBUF_WHOLE_BYTES);                      /* fault it in now */
		whole_idle[nwhole_idle++] = p;
	}
	pthread_mutex_unlock(&mu);
	return 0;
}

void
upbuf_cleanup(void)
{
	pthread_mutex_lock(&mu);
	while (nwhole_idle > 0) {
		free(whole_idle[--nwhole_idle]);
		nwhole--;
	}
	while (nstream_idle > 0)
		free(stream_idle[--nstream_idle]);
	pthread_mutex_unlock(&mu);
}

uint8_t *
upbuf_get(uint64_t want, size_t *cap)
{
	uint8_t *b = NULL;
	void *p;

	pthread_mutex_lock(&mu);
	if (want > 0 && want <= UPBUF_WHOLE_BYTES && nwhole_idle > 0) {
		b = whole_idle[--nwhole_idle];
		*cap = UPBUF_WHOLE_BYTES;
	} else if (nstream_idle > 0) {
		b = stream_idle[--nstream_idle];
		*cap = UPBUF_STREAM_BYTES;
	}
	pthread_mutex_unlock(&mu);
	if (b != NULL)
		return b;
	if (posix_memalign(&p, UPBUF_ALIGN, UPBUF_STREAM_BYTES) != 0)
		return NULL;
	*cap = UPBUF_STREAM_BYTES;
	return p;
}

void
upbuf_put(uint8_t *buf, size_t cap)
{
	if (buf == NULL)
		return;
	pthread_mutex_lock(&mu);
	if (cap == UPBUF_WHOLE_BYTES) {
		/* Only upbuf_init makes them: there is always a slot. */
		whole_idle[nwhole_idle++] = buf;
		buf = NULL;
	} else if (nstream_idle < STREAM_IDLE) {
		stream_idle[nstream_idle++] = buf;
		buf = NULL;
	}
	pthread_mutex_unlock(&mu);
	free(buf);
}

unsigned
upbuf_whole_in_use(void)
{
	unsigned n;

	pthread_mutex_lock(&mu);
	n = nwhole - nwhole_idle;
	pthread_mutex_unlock(&mu);
	return n;
}
