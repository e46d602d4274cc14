/*
 * timespec — the CLI's parsers for times, durations and sizes, and the
 * matching formatters. Pure functions (only the local time zone is read), so
 * tests/unit/cli_timespec.c checks them directly.
 *
 * Times are milliseconds since the Unix epoch, like every *_ms on the wire.
 */
#ifndef SEALCAM_CLI_TIMESPEC_H
#define SEALCAM_CLI_TIMESPEC_H

#include <stddef.h>
#include <stdint.h>

/* Longest text the formatters produce, including the NUL. */
#define TIMESPEC_TEXT_MAX 40

/*
 * Parse a duration: one or more <number><unit> groups, units ms, s, m, h, d,
 * w ("90s", "1h30m", "2d"), or a bare number of seconds. Stores milliseconds
 * in *ms. Returns 0, or -1 on anything else (empty, negative, overflow,
 * unknown unit).
 */
int timespec_parse_duration(const char *s, int64_t *ms);

/*
 * Parse a point in time relative to now_ms (milliseconds):
 *   "now"; a duration meaning that long ago ("1h", "90m", "2d"), or with
 *   a leading '+' that long from now ("+10m");
 *   "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or with 'T' instead of the space,
 *   in local time, or followed by "Z" for UTC;
 *   "HH:MM[:SS]" — today, local time;
 *   "@<seconds since the epoch>[.mmm]".
 * Returns 0 with *ms set, or -1.
 */
int timespec_parse_time(const char *s, int64_t now_ms, int64_t *ms);

/*
 * Parse a size in bytes: a number with an optional binary suffix
 * K, M, G, T (also KiB, MiB, GiB, TiB, and KB/MB/GB/TB, which mean the same
 * binary multiples — "50G" is what people type for a disk budget), or
 * "0"/"unlimited" for 0. Returns 0 with *bytes set, or -1 (negative,
 * overflow, junk).
 */
int timespec_parse_size(const char *s, uint64_t *bytes);

/* "2026-11-01 12:00:04" in local time. Returns out. */
char *timespec_format_time(int64_t ms, char out[TIMESPEC_TEXT_MAX]);

/* How long ago: "just now", "12s ago", "5m ago", "3h ago", "2d ago". */
char *timespec_format_ago(int64_t ms, int64_t now_ms,
    char out[TIMESPEC_TEXT_MAX]);

/* A duration: "4.0s", "1m05s", "2h03m", "3d04h". */
char *timespec_format_duration(int64_t ms, char out[TIMESPEC_TEXT_MAX]);

/* A size: "512 B", "1.5 KiB", "20.0 MiB", "50.0 GiB". */
char *timespec_format_size(uint64_t bytes, char out[TIMESPEC_TEXT_MAX]);

/* Milliseconds since the epoch, now (CLOCK_REALTIME). */
int64_t timespec_now_ms(void);

#endif
