#include "home.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
join_path(char out[PATH_MAX], const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);

	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
home_resolve(const char *flag, char out[PATH_MAX])
{
	const char *e;
	int n;

	if (flag != NULL && flag[0] != '\0')
		n = snprintf(out, PATH_MAX, "%s", flag);
	else if ((e = getenv("SEALCAM_HOME")) != NULL && e[0] != '\0')
		n = snprintf(out, PATH_MAX, "%s", e);
	else if ((e = getenv("XDG_CONFIG_HOME")) != NULL && e[0] == '/')
		n = snprintf(out, PATH_MAX, "%s/sealcam", e);
	else if ((e = getenv("HOME")) != NULL && e[0] != '\0')
		n = snprintf(out, PATH_MAX, "%s/.config/sealcam", e);
	else
		return -1;
	if (n < 0 || n >= PATH_MAX)
		return -1;
	/* Trailing slashes would double up in joined paths. */
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int
mkdirs(const char *path)
{
	char p[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

int
home_ensure(const char *home, const char *sub)
{
	char p[PATH_MAX];

	if (mkdirs(home) != 0)
		return -1;
	if (sub == NULL)
		return 0;
	if (join_path(p, home, sub) != 0)
		return -1;
	return mkdirs(p);
}

int
home_read(const char *home, const char *name, uint8_t **buf, size_t *len)
{
	char p[PATH_MAX];
	struct stat st;
	uint8_t *b = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	if (join_path(p, home, name) != 0)
		return -1;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) != 0)
		goto err;
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)HOME_FILE_MAX) {
		errno = EFBIG;
		goto err;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL)
		goto err;
	while (got < (size_t)st.st_size) {
		r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto err;
		got += (size_t)r;
	}
	b[got] = '\0';
	close(fd);
	*buf = b;
	*len = got;
	return 0;
err:
	free(b);
	close(fd);
	return -1;
}

int
home_write(const char *home, const char *name, const void *buf, size_t len)
{
	char p[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
	const uint8_t *b = buf;
	char *slash;
	ssize_t r;
	int fd, dfd;

	if (join_path(p, home, name) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", p, (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	/* Write a temp file, sync it, then rename over the old one. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return -1;
	while (len > 0) {
		r = write(fd, b, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto err;
		b += r;
		len -= (size_t)r;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, p) != 0)
		goto err;
	/* The rename is durable once the directory is synced. */
	memcpy(dir, p, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
err:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

int
home_remove(const char *home, const char *name)
{
	char p[PATH_MAX];

	if (join_path(p, home, name) != 0)
		return -1;
	if (unlink(p) != 0 && errno != ENOENT)
		return -1;
	return 0;
}

json_t *
home_json_load(const char *home, const char *name, int *missing)
{
	json_error_t jerr;
	uint8_t *buf;
	size_t len;
	json_t *j;
	int r;

	*missing = 0;
	if ((r = home_read(home, name, &buf, &len)) != 0) {
		*missing = r == 1;
		return NULL;
	}
	j = json_loadb((const char *)buf, len, 0, &jerr);
	free(buf);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

int
home_json_save(const char *home, const char *name, const json_t *obj)
{
	char *s;
	int r;

	if ((s = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
		return -1;
	r = home_write(home, name, s, strlen(s));
	free(s);
	return r;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
home_list(const char *home, const char *sub, const char *suffix, char ***names)
{
	char p[PATH_MAX];
	struct dirent *de;
	char **v = NULL, **nv;
	int n = 0, cap = 0;
	size_t sl = strlen(suffix);
	DIR *d;

	*names = NULL;
	if (join_path(p, home, sub) != 0)
		return -1;
	if ((d = opendir(p)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= sl ||
		    strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, (size_t)cap * sizeof(*v))) == NULL)
				goto err;
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto err;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), cmp_names);
	*names = v;
	return n;
err:
	closedir(d);
	home_names_free(v, n);
	return -1;
}

void
home_names_free(char **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
