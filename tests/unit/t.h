/*
 * t.h — the smallest test harness that can do the job.
 *
 * A test program groups checks into cases:
 *
 *	t_case("flipped header bit is rejected");
 *	T_ASSERT(seg_open(...) == SEG_EBADSIG);
 *	...
 *	return t_done();
 *
 * Each case prints one TAP-style line ("ok - name" or "not ok - name") when
 * the next case starts or at t_done(); failed checks print "# file:line: expr"
 * beneath. tests/run.sh counts those lines.
 */
#ifndef SEALCAM_T_H
#define SEALCAM_T_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh directory (or file, t_mkstemp) "$TMPDIR/<name>-XXXXXX" in buf:
 * tests/run.sh gives every run its own TMPDIR and removes it at the end, so
 * a test killed half-way leaves nothing behind in /tmp. NULL (-1) when the
 * name does not fit or the call fails. */
static inline int t_tmpname(char *buf, size_t n, const char *name)
{
	const char *base = getenv("TMPDIR");
	int r;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	r = snprintf(buf, n, "%s/%s-XXXXXX", base, name);
	return r > 0 && (size_t)r < n ? 0 : -1;
}

static inline char *t_mkdtemp(char *buf, size_t n, const char *name)
{
	return t_tmpname(buf, n, name) == 0 ? mkdtemp(buf) : NULL;
}

static inline int t_mkstemp(char *buf, size_t n, const char *name)
{
	return t_tmpname(buf, n, name) == 0 ? mkstemp(buf) : -1;
}

static char t_name[256];
static int t_open, t_case_failed, t_total_failed;

static inline void t_finish_case(void)
{
	if (!t_open)
		return;
	printf("%s - %s\n", t_case_failed ? "not ok" : "ok", t_name);
	fflush(stdout);
	t_open = 0;
}

static inline void t_case(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void t_case(const char *fmt, ...)
{
	va_list ap;

	t_finish_case();
	va_start(ap, fmt);
	vsnprintf(t_name, sizeof(t_name), fmt, ap);
	va_end(ap);
	t_open = 1;
	t_case_failed = 0;
}

static inline void t_fail(const char *file, int line, const char *what)
{
	/* Report at most a few failures per case; the first is what matters. */
	if (t_case_failed++ < 5)
		printf("# %s:%d: %s\n", file, line, what);
	t_total_failed++;
}

#define T_ASSERT(c) do { if (!(c)) t_fail(__FILE__, __LINE__, #c); } while (0)
#define T_EQ(a, b) do { long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (t_a_ != t_b_) { char t_m_[512]; snprintf(t_m_, sizeof(t_m_), \
	"%s == %s (%lld != %lld)", #a, #b, t_a_, t_b_); \
	t_fail(__FILE__, __LINE__, t_m_); } } while (0)
#define T_MEMEQ(a, b, n) T_ASSERT(memcmp((a), (b), (n)) == 0)

static inline int t_done(void)
{
	t_finish_case();
	return t_total_failed ? 1 : 0;
}

#endif
