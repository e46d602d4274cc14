#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

#define SPOOL_TMP_MARK ".tmp."	/* fsutil_atomic temp names */
#define SPOOL_SUFFIX ".sc"

struct spool_tmp {
	struct fsutil_atomic *a;
	struct spool_item it;
};

struct spool_entry {
	struct spool_item it;
	int taken;		/* handed to the uploader */
};

struct spool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char dir[SPOOL_PATH_MAX / 2];
	int dirfd;
	uint64_t budget;	/* bytes, 0 = unlimited */
	struct spool_entry *e;	/* sorted oldest first */
	size_t n, cap;
	uint64_t bytes;
	uint64_t evicted;
	unsigned wakeups;	/* bumped by spool_wake */
};

static int
valid_kind(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n >= SPOOL_KIND_MAX)
		return 0;
	for (; *k; k++)
		if (*k < 'a' || *k > 'z')
			return 0;
	return 1;
}

static void
item_name(const struct spool_item *it, char *buf, size_t n)
{
	snprintf(buf, n, "%013lld-%s-%020llu-%u" SPOOL_SUFFIX,
	    (long long)it->start_ms, it->kind, (unsigned long long)it->seq,
	    (unsigned)it->flags);
}

/* Parse a fixed-width decimal field; -1 if not all digits. */
static int
parse_digits(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return 0;
}

/* Inverse of item_name(); -1 for names that are not spool objects. */
static int
item_parse(const char *name, struct spool_item *it)
{
	const char *p = name, *dash;
	uint64_t v;
	size_t klen, len = strlen(name);
	char *end;
	unsigned long fl;

	memset(it, 0, sizeof(*it));
	if (len < 13 + 1 + 1 + 1 + 20 + 1 + 1 + 3 ||
	    strcmp(name + len - 3, SPOOL_SUFFIX) != 0)
		return -1;
	if (parse_digits(p, 13, &v) != 0 || p[13] != '-')
		return -1;
	it->start_ms = (int64_t)v;
	p += 14;
	if ((dash = strchr(p, '-')) == NULL || (klen = (size_t)(dash - p)) == 0 ||
	    klen >= SPOOL_KIND_MAX)
		return -1;
	memcpy(it->kind, p, klen);
	if (!valid_kind(it->kind))
		return -1;
	p = dash + 1;
	if (parse_digits(p, 20, &v) != 0 || p[20] != '-')
		return -1;
	it->seq = v;
	p += 21;
	errno = 0;
	fl = strtoul(p, &end, 10);
	if (errno != 0 || end == p || strcmp(end, SPOOL_SUFFIX) != 0 ||
	    fl > UINT32_MAX)
		return -1;
	it->flags = (uint32_t)fl;
	return 0;
}

static int
entry_cmp(const struct spool_item *a, const struct spool_item *b)
{
	int c;

	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms ? -1 : 1;
	if ((c = strcmp(a->kind, b->kind)) != 0)
		return c;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

static ssize_t
find(struct spool *s, const struct spool_item *it)
{
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->e[i].it.kind, it->kind) == 0 &&
		    s->e[i].it.seq == it->seq)
			return (ssize_t)i;
	return -1;
}

/* Insert keeping the order; new footage nearly always goes at the end. */
static int
insert(struct spool *s, const struct spool_item *it)
{
	size_t i;

	if (s->n == SPOOL_ITEMS_MAX)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct spool_entry *e = realloc(s->e, cap * sizeof(*e));

		if (e == NULL)
			return -1;
		s->e = e;
		s->cap = cap;
	}
	for (i = s->n; i > 0 && entry_cmp(&s->e[i - 1].it, it) > 0; i--)
		;
	memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
	s->e[i].it = *it;
	s->e[i].taken = 0;
	s->n++;
	s->bytes += it->size;
	return 0;
}

static void
remove_at(struct spool *s, size_t i)
{
	s->bytes -= s->e[i].it.size;
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(*s->e));
	s->n--;
}

/*
 * Evict beyond the budget: oldest continuous footage first, event footage
 * only when no continuous footage is left. A taken (uploading) object may be
 * evicted too: the uploader holds its fd and its ack finds nothing to do.
 * reserve is the size of an object about to be added: room is made before
 * it appears, so the committed spool never exceeds the budget on disk.
 * Caller holds the lock.
 */
static void
evict(struct spool *s, uint64_t reserve)
{
	char name[256];

	while (s->budget != 0 && s->n > 0 &&
	    (s->bytes > s->budget || reserve > s->budget - s->bytes)) {
		size_t v = 0;

		for (size_t i = 0; i < s->n; i++)
			if (!(s->e[i].it.flags & SPOOL_FLAG_EVENT)) {
				v = i;
				goto found;
			}
		v = 0;	/* only event footage left: the oldest of it */
found:
		item_name(&s->e[v].it, name, sizeof(name));
		if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT) {
			log_err("spool", "msg=\"cannot evict\" file=%s err=\"%s\"",
			    name, strerror(errno));
			return;
		}
		log_warn("spool", "msg=\"budget exceeded, evicted\" kind=%s seq=%llu "
		    "flags=%u bytes=%llu budget=%llu", s->e[v].it.kind,
		    (unsigned long long)s->e[v].it.seq, (unsigned)s->e[v].it.flags,
		    (unsigned long long)s->e[v].it.size,
		    (unsigned long long)s->budget);
		remove_at(s, v);
		s->evicted++;
	}
}

/* Read the directory: delete temp leftovers, queue complete objects. */
static int
scan(struct spool *s)
{
	DIR *d;
	struct dirent *de;
	struct spool_item it;
	struct stat st;
	int fd;

	if ((fd = dup(s->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, SPOOL_TMP_MARK) != NULL) {
			/* A write that never reached spool_commit. */
			log_info("spool", "msg=\"removing incomplete file\" file=%s",
			    de->d_name);
			unlinkat(s->dirfd, de->d_name, 0);
			continue;
		}
		if (item_parse(de->d_name, &it) != 0)
			continue;
		if (fstatat(s->dirfd, de->d_name, &st, 0) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		it.size = (uint64_t)st.st_size;
		if (insert(s, &it) != 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

struct spool *
spool_open(const char *dir, uint64_t budget_bytes)
{
	struct spool *s;
	char q[SPOOL_PATH_MAX];

	if (strlen(dir) >= sizeof(s->dir)) {
		log_err("spool", "msg=\"path too long\"");
		return NULL;
	}
	snprintf(q, sizeof(q), "%s/quarantine", dir);
	if (fsutil_mkdir_p(q, 0700) != 0) {
		log_err("spool", "msg=\"cannot create spool\" dir=%s err=\"%s\"",
		    dir, strerror(errno));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->budget = budget_bytes;
	if ((s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    scan(s) != 0) {
		log_err("spool", "msg=\"cannot read spool\" dir=%s err=\"%s\"",
		    dir, strerror(errno));
		spool_free(s);
		return NULL;
	}
	evict(s, 0);
	log_info("spool", "msg=opened dir=%s objects=%zu bytes=%llu budget=%llu",
	    dir, s->n, (unsigned long long)s->bytes,
	    (unsigned long long)s->budget);
	return s;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->e);
	free(s);
}

struct spool_tmp *
spool_begin(struct spool *s, const struct spool_item *it)
{
	struct spool_tmp *t;
	char name[256], path[SPOOL_PATH_MAX];
	ssize_t dup;

	if (!valid_kind(it->kind) || it->start_ms < 0 ||
	    it->start_ms > 9999999999999LL) {
		log_err("spool", "msg=\"bad item\" kind=%.16s", it->kind);
		return NULL;
	}
	pthread_mutex_lock(&s->mu);
	dup = find(s, it);
	pthread_mutex_unlock(&s->mu);
	if (dup >= 0) {
		log_err("spool", "msg=\"object already spooled\" kind=%s seq=%llu",
		    it->kind, (unsigned long long)it->seq);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->it = *it;
	item_name(it, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	if ((t->a = fsutil_atomic_open(path, 0600)) == NULL) {
		log_err("spool", "msg=\"cannot create temp file\" err=\"%s\"",
		    strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

int
spool_tmp_fd(const struct spool_tmp *t)
{
	return fsutil_atomic_fd(t->a);
}

void
spool_abort(struct spool *s, struct spool_tmp *t)
{
	(void)s;
	if (t == NULL)
		return;
	fsutil_atomic_abort(t->a);
	free(t);
}

int
spool_commit(struct spool *s, struct spool_tmp *t)
{
	struct spool_item e = t->it;
	struct stat st;

	if (fstat(fsutil_atomic_fd(t->a), &st) != 0) {
		spool_abort(s, t);
		return -1;
	}
	e.size = (uint64_t)st.st_size;
	/* Make room first: older footage goes before the new object is visible. */
	pthread_mutex_lock(&s->mu);
	evict(s, e.size);
	pthread_mutex_unlock(&s->mu);
	/* fsync the file, rename to the final name, fsync the directory: the
	 * name says "complete" only once the bytes are on disk. */
	if (fsutil_atomic_commit(t->a) != 0) {
		log_err("spool", "msg=\"cannot commit\" kind=%s seq=%llu err=\"%s\"",
		    e.kind, (unsigned long long)e.seq, strerror(errno));
		free(t);
		return -1;
	}
	free(t);
	pthread_mutex_lock(&s->mu);
	if (insert(s, &e) != 0) {
		char name[256];

		item_name(&e, name, sizeof(name));
		unlinkat(s->dirfd, name, 0);
		pthread_mutex_unlock(&s->mu);
		log_err("spool", "msg=\"too many spooled objects\"");
		return -1;
	}
	evict(s, 0);	/* an object larger than the whole budget */
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int
spool_take(struct spool *s, struct spool_item *it, int timeout_ms)
{
	struct timespec dl;
	unsigned w;
	int got = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	w = s->wakeups;
	for (;;) {
		for (size_t i = 0; i < s->n; i++)
			if (!s->e[i].taken) {
				s->e[i].taken = 1;
				*it = s->e[i].it;
				got = 1;
				goto out;
			}
		if (w != s->wakeups ||
		    pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT)
			break;
	}
out:
	pthread_mutex_unlock(&s->mu);
	return got;
}

int
spool_open_item(struct spool *s, const struct spool_item *it)
{
	char name[256];

	item_name(it, name, sizeof(name));
	return openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
}

/* Remove the entry for it from the queue (if still there). */
static void
forget(struct spool *s, const struct spool_item *it)
{
	ssize_t i = find(s, it);

	if (i >= 0)
		remove_at(s, (size_t)i);
}

int
spool_ack(struct spool *s, const struct spool_item *it)
{
	char name[256];
	int rc = 0;

	item_name(it, name, sizeof(name));
	pthread_mutex_lock(&s->mu);
	/* No directory fsync: if the deletion is lost in a crash, the object
	 * is uploaded again and the server answers 200 (same bytes). */
	if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT) {
		log_err("spool", "msg=\"cannot delete\" file=%s err=\"%s\"", name,
		    strerror(errno));
		rc = -1;
	}
	forget(s, it);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
spool_quarantine(struct spool *s, const struct spool_item *it)
{
	char name[256], to[300];
	int rc = 0;

	item_name(it, name, sizeof(name));
	snprintf(to, sizeof(to), "quarantine/%s", name);
	pthread_mutex_lock(&s->mu);
	if (renameat(s->dirfd, name, s->dirfd, to) != 0 && errno != ENOENT) {
		log_err("spool", "msg=\"cannot quarantine\" file=%s err=\"%s\"",
		    name, strerror(errno));
		rc = -1;
	}
	forget(s, it);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
spool_release(struct spool *s, const struct spool_item *it)
{
	ssize_t i;

	pthread_mutex_lock(&s->mu);
	if ((i = find(s, it)) >= 0)
		s->e[i].taken = 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
spool_wake(struct spool *s)
{
	pthread_mutex_lock(&s->mu);
	s->wakeups++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
spool_stats(struct spool *s, size_t *count, uint64_t *bytes)
{
	pthread_mutex_lock(&s->mu);
	if (count)
		*count = s->n;
	if (bytes)
		*bytes = s->bytes;
	pthread_mutex_unlock(&s->mu);
}

uint64_t
spool_evicted(struct spool *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->evicted;
	pthread_mutex_unlock(&s->mu);
	return n;
}
