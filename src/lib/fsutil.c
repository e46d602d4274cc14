/*
 * fsutil — durable writes (temp, fsync, rename, fsync dir), bounded reads.
 */
#define _GNU_SOURCE	/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

struct fsutil_atomic {
	int fd;
	char path[PATH_MAX];	/* destination */
	char tmp[PATH_MAX];	/* temp file in the same directory */
};

/* Directory part of path into dir ("." if none). */
static int
dir_of(const char *path, char *dir, size_t dirsz)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (dirsz < 2)
			return -1;
		memcpy(dir, ".", 2);
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dirsz)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int
fsutil_fsync_dir(const char *dir)
{
	int fd, rc, e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc == 0 ? 0 : -1;
}

struct fsutil_atomic *
fsutil_atomic_open(const char *path, mode_t mode)
{
	struct fsutil_atomic *a;
	int n;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	n = snprintf(a->path, sizeof(a->path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(a->path))
		goto toolong;
	n = snprintf(a->tmp, sizeof(a->tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(a->tmp))
		goto toolong;
	/* mkstemp makes the file 0600 and unique; then apply the wanted mode. */
	if ((a->fd = mkostemp(a->tmp, O_CLOEXEC)) < 0)
		goto err;
	if (fchmod(a->fd, mode) != 0) {
		int e = errno;
		close(a->fd);
		unlink(a->tmp);
		errno = e;
		goto err;
	}
	return a;
toolong:
	errno = ENAMETOOLONG;
err:
	free(a);
	return NULL;
}

int
fsutil_atomic_fd(const struct fsutil_atomic *a)
{
	return a->fd;
}

int
fsutil_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
fsutil_atomic_write(struct fsutil_atomic *a, const void *buf, size_t len)
{
	return fsutil_write_all(a->fd, buf, len);
}

void
fsutil_atomic_abort(struct fsutil_atomic *a)
{
	int e = errno;

	if (a == NULL)
		return;
	close(a->fd);
	unlink(a->tmp);
	free(a);
	errno = e;
}

int
fsutil_atomic_commit(struct fsutil_atomic *a)
{
	char dir[PATH_MAX];
	int e;

	/* Data on disk before the name points at it. */
	if (fsync(a->fd) != 0)
		goto err;
	if (close(a->fd) != 0) {
		a->fd = -1;
		goto err;
	}
	a->fd = -1;
	if (rename(a->tmp, a->path) != 0)
		goto err;
	/* The rename itself is durable only once the directory is synced. */
	if (dir_of(a->path, dir, sizeof(dir)) != 0 || fsutil_fsync_dir(dir) != 0) {
		e = errno;
		free(a);
		errno = e;
		return -1;
	}
	free(a);
	return 0;
err:
	e = errno;
	if (a->fd >= 0)
		close(a->fd);
	unlink(a->tmp);
	free(a);
	errno = e;
	return -1;
}

int
fsutil_write_durable(const char *path, const void *buf, size_t len,
    mode_t mode)
{
	struct fsutil_atomic *a;

	if ((a = fsutil_atomic_open(path, mode)) == NULL)
		return -1;
	if (fsutil_atomic_write(a, buf, len) != 0) {
		fsutil_atomic_abort(a);
		return -1;
	}
	return fsutil_atomic_commit(a);
}

int
fsutil_read_bounded(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *b = NULL;
	size_t cap, n = 0;
	int fd, e;

	*buf = NULL;
	*len = 0;
	if (max >= SIZE_MAX - 1) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto err;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto err;
	}
	/* Size from fstat is a hint; read until EOF and still enforce max. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	if ((b = malloc(cap + 1)) == NULL)
		goto err;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			uint8_t *nb;
			if (cap == max + 1) {
				errno = EFBIG;
				goto err;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((nb = realloc(b, cap + 1)) == NULL)
				goto err;
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		errno = EFBIG;
		goto err;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
err:
	e = errno;
	free(b);
	close(fd);
	errno = e;
	return -1;
}

int
fsutil_mkdir_p(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p)) {
		errno = n == 0 ? ENOENT : ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			return -1;
		p[i] = i == n ? '\0' : '/';
	}
	{
		struct stat st;
		if (stat(path, &st) != 0)
			return -1;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	return 0;
}
