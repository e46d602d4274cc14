/*
 * Joining fMP4 segments into one MP4 (src/cli/join.c), checked the way a
 * user would: ffprobe counts the frames and ffmpeg decodes the result.
 * The segments are made by ffmpeg here, like the agent's: complete fMP4s.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/cli/join.h"
#include "t.h"

static char dir[96];

struct file {
	uint8_t *buf;
	size_t len;
};

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static struct file
slurp(const char *path)
{
	struct file f = { NULL, 0 };
	FILE *fp = fopen(path, "rb");
	long n;

	if (fp == NULL)
		return f;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f.buf = malloc((size_t)n);
	if (f.buf != NULL && fread(f.buf, 1, (size_t)n, fp) == (size_t)n)
		f.len = (size_t)n;
	fclose(fp);
	return f;
}

/* Frames ffprobe counts by decoding, or -1. */
static long
frames(const char *path)
{
	char cmd[2048], line[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ffprobe -v error -count_frames -select_streams v:0 "
	    "-show_entries stream=nb_read_frames -of csv=p=0 '%s'", path);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	pclose(p);
	return line[0] ? strtol(line, NULL, 10) : -1;
}

/* ffmpeg decodes the whole file and prints no error. */
static int
decodes_clean(const char *path)
{
	char cmd[2048], line[256];
	FILE *p;
	int lines = 0;

	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -i '%s' -f null - 2>&1", path);
	if ((p = popen(cmd, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), p) != NULL) {
		printf("# ffmpeg: %s", line);
		lines++;
	}
	return pclose(p) == 0 && lines == 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Number of entries in dir (the temp file must not be left behind). */
static int
count_files(const char *d)
{
	char cmd[1024], line[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", d);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	pclose(p);
	return (int)strtol(line, NULL, 10);
}

int
main(void)
{
	const int64_t t0 = 1793534400000LL;	/* wall clock of segment 0 */
	struct file seg[3], other;
	char path[1024], out[1024], outdir[512];
	struct join *j;
	int i, ok, rc;

	if (t_mkdtemp(dir, sizeof(dir), "sealcam-join") == NULL)
		return 1;
	/* 3 segments of 2 s at 25 fps, a keyframe every second, as fMP4. */
	t_case("ffmpeg makes the test segments");
	rc = run("cd %s && ffmpeg -nostdin -loglevel error -f lavfi "
	    "-i testsrc=size=320x240:rate=25 -t 6 -c:v libx264 -preset ultrafast "
	    "-g 25 -keyint_min 25 -sc_threshold 0 -bf 2 -f segment -segment_time 2 "
	    "-segment_format mp4 -segment_format_options "
	    "movflags=+frag_keyframe+empty_moov+default_base_moof seg%%d.mp4 && "
	    "ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=160x120:rate=25 "
	    "-t 2 -c:v libx264 -preset ultrafast -movflags "
	    "+frag_keyframe+empty_moov+default_base_moof %s/small.mp4", dir, dir);
	T_EQ(rc, 0);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/seg%d.mp4", dir, i);
		seg[i] = slurp(path);
		T_ASSERT(seg[i].len > 1000);
	}
	snprintf(path, sizeof(path), "%s/small.mp4", dir);
	other = slurp(path);
	T_ASSERT(other.len > 1000);
	snprintf(outdir, sizeof(outdir), "%s/out", dir);
	mkdir(outdir, 0700);

	t_case("three segments, whole range: one MP4 with all 150 frames that decodes");
	snprintf(out, sizeof(out), "%s/all.mp4", outdir);
	j = join_new(out, t0 - 60000, t0 + 60000);
	ok = 1;
	for (i = 0; i < 3; i++)
		ok &= join_add(j, seg[i].buf, seg[i].len, t0 + 2000 * i) == 0;
	T_ASSERT(ok);
	T_ASSERT(join_finish(j) == 0);
	T_EQ(join_segments(j), 3);
	join_free(j);
	T_EQ(frames(out), 150);
	T_ASSERT(decodes_clean(out));

	t_case("a range inside: starts at the keyframe before 'from', stops at 'until'");
	snprintf(out, sizeof(out), "%s/part.mp4", outdir);
	j = join_new(out, t0 + 2500, t0 + 4500);
	ok = 1;
	for (i = 0; i < 3; i++)
		ok &= join_add(j, seg[i].buf, seg[i].len, t0 + 2000 * i) == 0;
	T_ASSERT(ok);
	T_ASSERT(join_reached_end(j));
	T_ASSERT(join_finish(j) == 0);
	join_free(j);
	/* keyframe at 2.0 s up to the frame before 4.5 s: 2.00 .. 4.48 */
	T_EQ(frames(out), 63);
	T_ASSERT(decodes_clean(out));

	t_case("a range with no footage fails and leaves no file behind");
	snprintf(out, sizeof(out), "%s/none.mp4", outdir);
	j = join_new(out, t0 + 100000, t0 + 200000);
	for (i = 0; i < 3; i++)
		T_EQ(join_add(j, seg[i].buf, seg[i].len, t0 + 2000 * i), 0);
	T_ASSERT(join_finish(j) != 0);
	T_ASSERT(strstr(join_errmsg(j), "no footage") != NULL);
	join_free(j);
	T_ASSERT(!exists(out));

	t_case("garbage instead of an MP4 is an error, and no partial file stays");
	snprintf(out, sizeof(out), "%s/bad.mp4", outdir);
	j = join_new(out, t0 - 60000, t0 + 60000);
	T_EQ(join_add(j, seg[0].buf, seg[0].len, t0), 0);
	T_ASSERT(join_add(j, (const uint8_t *)"not an mp4 at all", 17, t0 + 2000) != 0);
	T_ASSERT(strstr(join_errmsg(j), "not a readable MP4") != NULL);
	join_free(j);
	T_ASSERT(!exists(out));

	t_case("a segment with another picture size is refused, not joined");
	snprintf(out, sizeof(out), "%s/mixed.mp4", outdir);
	j = join_new(out, t0 - 60000, t0 + 60000);
	T_EQ(join_add(j, seg[0].buf, seg[0].len, t0), 0);
	T_ASSERT(join_add(j, other.buf, other.len, t0 + 2000) != 0);
	T_ASSERT(strstr(join_errmsg(j), "changed") != NULL);
	join_free(j);
	T_ASSERT(!exists(out));
	T_EQ(count_files(outdir), 2);	/* all.mp4 and part.mp4 only */

	/* A camera (or agent) that restarts its clock: the same segment twice,
	 * both starting at decode time 0. With B-frames each segment is shown
	 * 2 frames after it is decoded; the second must follow the first on
	 * screen, not overlap its last pictures. */
	t_case("a restarted source with B-frames: 100 frames, none shown twice or lost");
	snprintf(out, sizeof(out), "%s/restart.mp4", outdir);
	j = join_new(out, t0 - 60000, t0 + 60000);
	ok = join_add(j, seg[0].buf, seg[0].len, t0) == 0 &&
	    join_add(j, seg[0].buf, seg[0].len, t0 + 2000) == 0;
	T_ASSERT(ok);
	T_ASSERT(join_finish(j) == 0);
	join_free(j);
	T_EQ(frames(out), 100);
	T_ASSERT(decodes_clean(out));

	/* H.265 from x265 (B-frames, and ffmpeg's segmenter starts every
	 * segment's clock at 0): the last picture keeps its length and the
	 * segments follow each other. */
	t_case("H.265 segments with B-frames: one MP4 with all 150 frames that decodes");
	rc = run("cd %s && ffmpeg -nostdin -loglevel error -f lavfi "
	    "-i testsrc=size=320x240:rate=25 -t 6 -c:v libx265 -preset ultrafast "
	    "-x265-params log-level=error -g 25 -keyint_min 25 -sc_threshold 0 "
	    "-bf 2 -tag:v hvc1 -f segment -segment_time 2 -segment_format mp4 "
	    "-segment_format_options movflags=+frag_keyframe+empty_moov+default_base_moof "
	    "hevc%%d.mp4", dir);
	T_EQ(rc, 0);
	snprintf(out, sizeof(out), "%s/hevc.mp4", outdir);
	j = join_new(out, t0 - 60000, t0 + 60000);
	ok = 1;
	for (i = 0; i < 3; i++) {
		struct file h;
		snprintf(path, sizeof(path), "%s/hevc%d.mp4", dir, i);
		h = slurp(path);
		T_ASSERT(h.len > 1000);
		ok &= join_add(j, h.buf, h.len, t0 + 2000 * i) == 0;
		free(h.buf);
	}
	T_ASSERT(ok);
	T_ASSERT(join_finish(j) == 0);
	join_free(j);
	T_EQ(frames(out), 150);
	T_ASSERT(decodes_clean(out));

	for (i = 0; i < 3; i++)
		free(seg[i].buf);
	free(other.buf);
	if (t_total_failed == 0)
		run("rm -rf %s", dir);
	return t_done();
}
