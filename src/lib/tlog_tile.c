/*
 * tlog_tile.c — C2SP tlog-tiles names and entry bundles.
 *
 * A tile index is written as 3-digit groups, all but the last prefixed with
 * "x" (1234067 -> x001/x234/067), so a directory never holds both a file
 * and a directory of the same name and the tree serves as static files.
 */
#include <stdio.h>
#include <string.h>

#include "tlog.h"

int tlog_tile_path(char out[TLOG_PATH_MAX], int level, uint64_t index,
    unsigned width)
{
	unsigned groups[7];
	int ng = 0, n;
	size_t off;

	if (level < TLOG_LEVEL_ENTRIES || level > 63 || width < 1 ||
	    width > TLOG_TILE_WIDTH)
		return -1;
	do {
		groups[ng++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index > 0);

	if (level == TLOG_LEVEL_ENTRIES)
		n = snprintf(out, TLOG_PATH_MAX, "tile/entries/");
	else
		n = snprintf(out, TLOG_PATH_MAX, "tile/%d/", level);
	off = (size_t)n;
	while (ng-- > 0) {
		n = snprintf(out + off, TLOG_PATH_MAX - off, ng ? "x%03u/" : "%03u",
		    groups[ng]);
		off += (size_t)n;
	}
	if (width < TLOG_TILE_WIDTH)
		snprintf(out + off, TLOG_PATH_MAX - off, ".p/%u", width);
	return 0;
}

/* A decimal without leading zeros in [lo, hi]; advances *p. */
static int parse_small(const char **p, unsigned lo, unsigned hi, unsigned *v)
{
	const char *s = *p;
	unsigned x = 0;
	int nd = 0;

	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return -1;
	while (*s >= '0' && *s <= '9' && nd < 4) {
		x = x * 10 + (unsigned)(*s - '0');
		s++;
		nd++;
	}
	if (nd == 0 || (*s >= '0' && *s <= '9') || x < lo || x > hi)
		return -1;
	*v = x;
	*p = s;
	return 0;
}

int tlog_tile_path_parse(const char *path, int *level, uint64_t *index,
    unsigned *width)
{
	const char *s = path;
	char again[TLOG_PATH_MAX];
	unsigned l, w = TLOG_TILE_WIDTH;
	uint64_t n = 0;
	int groups = 0;

	if (strncmp(s, "tile/", 5) != 0)
		return -1;
	s += 5;
	if (strncmp(s, "entries/", 8) == 0) {
		*level = TLOG_LEVEL_ENTRIES;
		s += 8;
	} else {
		if (parse_small(&s, 0, 63, &l) != 0 || *s++ != '/')
			return -1;
		*level = (int)l;
	}
	for (;;) {
		int more = (*s == 'x');

		if (more)
			s++;
		if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' &&
		    s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
			return -1;
		/* 2^64 needs at most 7 groups; the overflow check does the rest. */
		if (++groups > 7)
			return -1;
		uint64_t g = (uint64_t)(s[0] - '0') * 100 +
		    (uint64_t)(s[1] - '0') * 10 + (uint64_t)(s[2] - '0');
		if (n > (UINT64_MAX - g) / 1000)
			return -1;
		n = n * 1000 + g;
		s += 3;
		if (!more)
			break;
		if (*s++ != '/')
			return -1;
	}
	if (*s == '.') {
		if (strncmp(s, ".p/", 3) != 0)
			return -1;
		s += 3;
		if (parse_small(&s, 1, TLOG_TILE_WIDTH - 1, &w) != 0)
			return -1;
	}
	if (*s != '\0')
		return -1;
	/* Exactly one spelling per tile: no leading zero group ("x000/"). */
	if (tlog_tile_path(again, *level, n, w) != 0 || strcmp(again, path) != 0)
		return -1;
	*index = n;
	*width = w;
	return 0;
}

int tlog_bundle_next(const uint8_t *buf, size_t len, size_t *off,
    const uint8_t **entry, size_t *entry_len)
{
	size_t o = *off, n;

	if (o == len)
		return 0;
	if (o > len || len - o < 2)
		return -1;
	n = (size_t)buf[o] << 8 | buf[o + 1];
	if (len - o - 2 < n)
		return -1;
	*entry = buf + o + 2;
	*entry_len = n;
	*off = o + 2 + n;
	return 1;
}
