#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level log_min = LOG_INFO;
static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level lvl)
{
	log_min = lvl;
}

int
log_parse_level(const char *s, enum log_level *lvl)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void
log_msg(enum log_level lvl, const char *comp, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;
	va_list ap;

	if (lvl < log_min)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s comp=%s ",
	    ts.tv_nsec / 1000000, log_names[lvl], comp);
	if (r > 0 && (size_t)r < sizeof(line) - n)
		n += (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	/* One write per line so concurrent threads do not interleave. */
	line[n < sizeof(line) - 1 ? n : sizeof(line) - 2] = '\n';
	fwrite(line, 1, (n < sizeof(line) - 1 ? n : sizeof(line) - 2) + 1, stderr);
}
