#include "home.h"

#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
home_ensure(const char *home, const char *sub)
{
	char p[PATH_MAX];

	if (fsutil_mkdir_p(home, 0700) != 0)
		return -1;
	if (sub == NULL)
		return 0;
	if (join_path(p, home, sub) != 0)
		return -1;
	return fsutil_mkdir_p(p, 0700);
}

int
home_read(const char *home, const char *name, uint8_t **buf, size_t *len)
{
	char p[PATH_MAX];

	*buf = NULL;
	*len = 0;
	if (join_path(p, home, name) != 0)
		return -1;
	if (fsutil_read_bounded(p, HOME_FILE_MAX, buf, len) != 0)
		return errno == ENOENT ? 1 : -1;
	return 0;
}

int
home_write(const char *home, const char *name, const void *buf, size_t len)
{
	char p[PATH_MAX];

	if (join_path(p, home, name) != 0)
		return -1;
	/* Temp file, fsync, rename, fsync of the directory. */
	return fsutil_write_durable(p, buf, len, 0600);
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
