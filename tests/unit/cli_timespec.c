/* The CLI's time, duration and size parsing (src/cli/timespec.c). */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/cli/timespec.h"
#include "t.h"

static int64_t
dur(const char *s)
{
	int64_t ms = -12345;

	return timespec_parse_duration(s, &ms) == 0 ? ms : -1;
}

static uint64_t
size(const char *s)
{
	uint64_t b = 12345;

	return timespec_parse_size(s, &b) == 0 ? b : UINT64_MAX;
}

int
main(void)
{
	/* A fixed "now" so the results do not depend on when the test runs. */
	const int64_t now = 1793534400000LL;	/* 2026-11-01 12:00:00 UTC */
	int64_t t;
	char buf[TIMESPEC_TEXT_MAX];

	/* Times below are local: pin the zone so the test means one thing. */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();

	t_case("durations: --since 1h, 90m, 1h30m, 2d, 1w, bare seconds");
	T_EQ(dur("1h"), 3600000);
	T_EQ(dur("90m"), 5400000);
	T_EQ(dur("1h30m"), 5400000);
	T_EQ(dur("2d"), 172800000);
	T_EQ(dur("1w"), 604800000);
	T_EQ(dur("45"), 45000);
	T_EQ(dur("500ms"), 500);
	T_EQ(dur("1m30s"), 90000);

	t_case("durations: junk, negative, unknown unit and overflow are refused");
	T_EQ(dur(""), -1);
	T_EQ(dur("-1h"), -1);
	T_EQ(dur("1x"), -1);
	T_EQ(dur("h"), -1);
	T_EQ(dur("1 h"), -1);
	T_EQ(dur("5min"), -1);
	T_EQ(dur("99999999999999999d"), -1);
	T_EQ(dur("1h "), -1);

	t_case("times: relative ('1h' = an hour ago, '+10m' ahead), now, @epoch");
	T_ASSERT(timespec_parse_time("1h", now, &t) == 0);
	T_EQ(t, now - 3600000);
	T_ASSERT(timespec_parse_time("+10m", now, &t) == 0);
	T_EQ(t, now + 600000);
	T_ASSERT(timespec_parse_time("+", now, &t) != 0);
	T_ASSERT(timespec_parse_time("now", now, &t) == 0);
	T_EQ(t, now);
	T_ASSERT(timespec_parse_time("@1700000000", now, &t) == 0);
	T_EQ(t, 1700000000000LL);
	T_ASSERT(timespec_parse_time("@1700000000.25", now, &t) == 0);
	T_EQ(t, 1700000000250LL);
	T_ASSERT(timespec_parse_time("@1700000000.001", now, &t) == 0);
	T_EQ(t, 1700000000001LL);
	T_ASSERT(timespec_parse_time("@1700000000.", now, &t) != 0);
	T_ASSERT(timespec_parse_time("@1700000000.0001", now, &t) != 0);

	t_case("times: absolute dates in local time and in UTC with Z");
	T_ASSERT(timespec_parse_time("2026-11-01 13:00", now, &t) == 0);
	T_EQ(t, now);	/* Berlin is UTC+1 in November */
	T_ASSERT(timespec_parse_time("2026-11-01T13:00:30", now, &t) == 0);
	T_EQ(t, now + 30000);
	T_ASSERT(timespec_parse_time("2026-11-01T12:00:00Z", now, &t) == 0);
	T_EQ(t, now);
	T_ASSERT(timespec_parse_time("2026-11-01", now, &t) == 0);
	T_EQ(t, now - 13 * 3600000LL);
	T_ASSERT(timespec_parse_time("2026-07-01 12:00Z", now, &t) == 0);
	T_EQ(t, 1782907200000LL);

	t_case("times: HH:MM means today");
	T_ASSERT(timespec_parse_time("09:15", now, &t) == 0);
	T_EQ(t, now - 3 * 3600000LL - 45 * 60000LL);

	t_case("times: impossible dates and junk are refused, not normalised");
	T_ASSERT(timespec_parse_time("2026-02-30", now, &t) != 0);
	T_ASSERT(timespec_parse_time("2026-13-01", now, &t) != 0);
	T_ASSERT(timespec_parse_time("25:00", now, &t) != 0);
	T_ASSERT(timespec_parse_time("2026-11-01 12", now, &t) != 0);
	T_ASSERT(timespec_parse_time("yesterday", now, &t) != 0);
	T_ASSERT(timespec_parse_time("", now, &t) != 0);
	T_ASSERT(timespec_parse_time("@12x", now, &t) != 0);
	T_ASSERT(timespec_parse_time("2026-11-01 12:00 ", now, &t) != 0);

	t_case("sizes: 50G is 50 GiB (the protocol's example), suffix forms");
	T_EQ(size("50G"), 53687091200ULL);
	T_EQ(size("50GiB"), 53687091200ULL);
	T_EQ(size("50gb"), 53687091200ULL);
	T_EQ(size("1.5G"), 1610612736ULL);
	T_EQ(size("100M"), 104857600ULL);
	T_EQ(size("4096"), 4096);
	T_EQ(size("1 T"), 1099511627776ULL);
	T_EQ(size("0"), 0);
	T_EQ(size("unlimited"), 0);

	t_case("sizes: negative, fractional bytes, junk and overflow are refused");
	T_ASSERT(size("-1G") == UINT64_MAX);
	T_ASSERT(size("1.5") == UINT64_MAX);
	T_ASSERT(size("G") == UINT64_MAX);
	T_ASSERT(size("10X") == UINT64_MAX);
	T_ASSERT(size("") == UINT64_MAX);
	T_ASSERT(size("99999999999T") == UINT64_MAX);
	T_ASSERT(size("1..5G") == UINT64_MAX);

	t_case("formatting: time, age, duration, size");
	T_ASSERT(strcmp(timespec_format_time(now, buf), "2026-11-01 13:00:00") == 0);
	T_ASSERT(strcmp(timespec_format_ago(now - 12000, now, buf), "12s ago") == 0);
	T_ASSERT(strcmp(timespec_format_ago(now - 3 * 3600000LL, now, buf), "3h ago") == 0);
	T_ASSERT(strcmp(timespec_format_ago(0, now, buf), "never") == 0);
	T_ASSERT(strcmp(timespec_format_duration(4000, buf), "4.0s") == 0);
	T_ASSERT(strcmp(timespec_format_duration(65000, buf), "1m05s") == 0);
	T_ASSERT(strcmp(timespec_format_size(512, buf), "512 B") == 0);
	T_ASSERT(strcmp(timespec_format_size(53687091200ULL, buf), "50.0 GiB") == 0);

	return t_done();
}
