#include "timespec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Durations and times beyond this are typos, not intentions (~10000 years). */
#define TIMESPEC_MS_MAX ((int64_t)315576000000000LL)

/* Read an unsigned decimal number of at most 18 digits at *p. */
static int
read_uint(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;
	int digits = 0;

	while (isdigit((unsigned char)*s)) {
		if (++digits > 18)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (digits == 0)
		return -1;
	*p = s;
	*v = n;
	return 0;
}

int
timespec_parse_duration(const char *s, int64_t *ms)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		/* "ms" before "m": the longest unit that matches wins. */
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "w", 604800000 },
	};
	const char *p = s;
	int64_t total = 0;
	uint64_t n;
	size_t i;

	if (s == NULL || *s == '\0')
		return -1;
	/* A bare number is seconds. */
	if (read_uint(&p, &n) == 0 && *p == '\0') {
		if (n > (uint64_t)(TIMESPEC_MS_MAX / 1000))
			return -1;
		*ms = (int64_t)n * 1000;
		return 0;
	}
	p = s;
	while (*p != '\0') {
		if (read_uint(&p, &n) != 0)
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t ul = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, ul) == 0 &&
			    !isalpha((unsigned char)p[ul]))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		if (n > (uint64_t)(TIMESPEC_MS_MAX / units[i].ms))
			return -1;
		total += (int64_t)n * units[i].ms;
		if (total > TIMESPEC_MS_MAX)
			return -1;
		p += strlen(units[i].unit);
	}
	*ms = total;
	return 0;
}

/* Parse exactly n digits into *v. */
static int
read_fixed(const char **p, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/* "HH:MM[:SS]" at *p into tm fields. */
static int
read_clock(const char **p, struct tm *tm)
{
	int h, m, sec = 0;

	if (read_fixed(p, 2, &h) != 0 || **p != ':')
		return -1;
	(*p)++;
	if (read_fixed(p, 2, &m) != 0)
		return -1;
	if (**p == ':') {
		(*p)++;
		if (read_fixed(p, 2, &sec) != 0)
			return -1;
	}
	if (h > 23 || m > 59 || sec > 60)
		return -1;
	tm->tm_hour = h;
	tm->tm_min = m;
	tm->tm_sec = sec;
	return 0;
}

/* tm (local or UTC) to milliseconds; rejects dates mktime normalised. */
static int
tm_to_ms(struct tm *tm, int utc, int64_t *ms)
{
	struct tm want = *tm;
	time_t t;

	tm->tm_isdst = -1;
	t = utc ? timegm(tm) : mktime(tm);
	if (t == (time_t)-1)
		return -1;
	/* 2026-02-30 would silently become March 2nd: refuse instead. */
	if (tm->tm_mday != want.tm_mday || tm->tm_mon != want.tm_mon ||
	    tm->tm_year != want.tm_year)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

int
timespec_parse_time(const char *s, int64_t now_ms, int64_t *ms)
{
	struct tm tm;
	const char *p = s;
	int y, mo, d, utc = 0;
	uint64_t n;
	int64_t ago;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "now") == 0) {
		*ms = now_ms;
		return 0;
	}
	if (*s == '@') {
		/* Seconds since the epoch, to the millisecond: "@1700000000.250". */
		int frac = 0, digits = 0;
		p = s + 1;
		if (read_uint(&p, &n) != 0 || n > (uint64_t)(TIMESPEC_MS_MAX / 1000))
			return -1;
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p) && digits < 3; p++, digits++)
				frac = frac * 10 + (*p - '0');
			if (digits == 0)
				return -1;
			for (; digits < 3; digits++)
				frac *= 10;
		}
		if (*p != '\0')
			return -1;
		*ms = (int64_t)n * 1000 + frac;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	/* HH:MM[:SS] today. */
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    s[2] == ':') {
		time_t now = (time_t)(now_ms / 1000);
		if (localtime_r(&now, &tm) == NULL || read_clock(&p, &tm) != 0 ||
		    *p != '\0')
			return -1;
		return tm_to_ms(&tm, 0, ms);
	}
	/* YYYY-MM-DD[( |T)HH:MM[:SS]][Z] */
	if (strlen(s) >= 10 && s[4] == '-' && s[7] == '-') {
		if (read_fixed(&p, 4, &y) != 0 || *p++ != '-' ||
		    read_fixed(&p, 2, &mo) != 0 || *p++ != '-' ||
		    read_fixed(&p, 2, &d) != 0)
			return -1;
		if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970)
			return -1;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		if (*p == ' ' || *p == 'T') {
			p++;
			if (read_clock(&p, &tm) != 0)
				return -1;
		}
		if (*p == 'Z') {
			utc = 1;
			p++;
		}
		if (*p != '\0')
			return -1;
		return tm_to_ms(&tm, utc, ms);
	}
	/* "+10m": that long from now (footage paced faster than real time
	 * in tests, or an open end). */
	if (*s == '+') {
		if (timespec_parse_duration(s + 1, &ago) != 0)
			return -1;
		*ms = now_ms + ago;
		return 0;
	}
	/* Otherwise a duration: that long ago. */
	if (timespec_parse_duration(s, &ago) != 0)
		return -1;
	*ms = now_ms - ago;
	return 0;
}

int
timespec_parse_size(const char *s, uint64_t *bytes)
{
	static const struct { const char *suffix; int shift; } sfx[] = {
		{ "", 0 }, { "B", 0 },
		{ "K", 10 }, { "KB", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MB", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GB", 30 }, { "GiB", 30 },
		{ "T", 40 }, { "TB", 40 }, { "TiB", 40 },
	};
	const char *p = s;
	uint64_t whole, frac = 0, frac_div = 1, v;
	size_t i;

	if (s == NULL)
		return -1;
	if (strcmp(s, "unlimited") == 0) {
		*bytes = 0;
		return 0;
	}
	if (read_uint(&p, &whole) != 0)
		return -1;
	/* One optional fraction ("1.5G"), up to 6 digits. */
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			if (frac_div >= 1000000)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_div *= 10;
			p++;
		}
	}
	if (*p == ' ')
		p++;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (strcasecmp(p, sfx[i].suffix) == 0)
			break;
	if (i == sizeof(sfx) / sizeof(sfx[0]))
		return -1;
	if (whole > (UINT64_MAX >> 1) >> sfx[i].shift)
		return -1;
	v = whole << sfx[i].shift;
	/* frac < frac_div <= 10^6 and shift <= 40: no overflow. */
	v += (frac << sfx[i].shift) / frac_div;
	if (frac != 0 && sfx[i].shift == 0)
		return -1;	/* "1.5" bytes means nothing */
	*bytes = v;
	return 0;
}

char *
timespec_format_time(int64_t ms, char out[TIMESPEC_TEXT_MAX])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, TIMESPEC_TEXT_MAX, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, TIMESPEC_TEXT_MAX, "@%" PRId64, ms / 1000);
	return out;
}

char *
timespec_format_ago(int64_t ms, int64_t now_ms, char out[TIMESPEC_TEXT_MAX])
{
	int64_t s = (now_ms - ms) / 1000;

	if (ms <= 0)
		snprintf(out, TIMESPEC_TEXT_MAX, "never");
	else if (s < 2)
		snprintf(out, TIMESPEC_TEXT_MAX, "just now");
	else if (s < 120)
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 "s ago", s);
	else if (s < 7200)
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 "m ago", s / 60);
	else if (s < 172800)
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 "h ago", s / 3600);
	else
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 "d ago", s / 86400);
	return out;
}

char *
timespec_format_duration(int64_t ms, char out[TIMESPEC_TEXT_MAX])
{
	int64_t s = ms / 1000;

	if (ms < 0)
		ms = s = 0;
	if (ms < 60000)
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 ".%" PRId64 "s",
		    s, (ms % 1000) / 100);
	else if (s < 3600)
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 "m%02" PRId64 "s",
		    s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 "h%02" PRId64 "m",
		    s / 3600, s / 60 % 60);
	else
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRId64 "d%02" PRId64 "h",
		    s / 86400, s / 3600 % 24);
	return out;
}

char *
timespec_format_size(uint64_t bytes, char out[TIMESPEC_TEXT_MAX])
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(out, TIMESPEC_TEXT_MAX, "%" PRIu64 " B", bytes);
		return out;
	}
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, TIMESPEC_TEXT_MAX, "%.1f %s", v, units[i]);
	return out;
}

int64_t
timespec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
