#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "fsutil.h"
#include "log.h"

#define CONFIG_JSON_MAX 65536

int
config_state_dir(const char *opt, char *buf, size_t n)
{
	const char *e;
	int r;

	if (opt != NULL && opt[0] != '\0')
		r = snprintf(buf, n, "%s", opt);
	else if ((e = getenv("SEALCAM_AGENT_STATE")) != NULL && e[0] != '\0')
		r = snprintf(buf, n, "%s", e);
	else if ((e = getenv("XDG_DATA_HOME")) != NULL && e[0] == '/')
		r = snprintf(buf, n, "%s/sealcam-agent", e);
	else if ((e = getenv("HOME")) != NULL && e[0] == '/')
		r = snprintf(buf, n, "%s/.local/share/sealcam-agent", e);
	else
		return -1;
	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

void
config_defaults(struct camera_conf *c)
{
	c->loop = 0;
	c->speed = 1.0;
	c->segment_s = CONFIG_SEGMENT_S_DEFAULT;
	c->max_segment_s = CONFIG_MAX_SEGMENT_S_DEFAULT;
	c->spool_budget = CONFIG_BUDGET_DEFAULT;
	c->live_frag_ms = 500;
}

static int
path_join(char *buf, size_t n, const char *dir, const char *name)
{
	int r = snprintf(buf, n, "%s/%s", dir, name);

	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

int
config_save(const struct camera_conf *c)
{
	char hex[65], path[CONFIG_PATH_MAX + 32];
	json_t *j;
	char *text;
	int r;

	sodium_bin2hex(hex, sizeof(hex), c->owner_sign_pk, 32);
	j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:i, s:i, s:I}",
	    "version", 1, "camera_id", c->id_hex, "name", c->name,
	    "server", c->server, "owner_sign_pk", hex, "source", c->source,
	    "loop", c->loop, "speed", c->speed, "segment_seconds",
	    (int)c->segment_s, "max_segment_seconds", (int)c->max_segment_s,
	    "spool_budget", (json_int_t)c->spool_budget);
	if (j == NULL || (text = json_dumps(j, JSON_INDENT(2))) == NULL) {
		json_decref(j);
		return -1;
	}
	json_decref(j);
	r = -1;
	if (fsutil_mkdir_p(c->dir, 0700) != 0 ||
	    path_join(path, sizeof(path), c->dir, "camera.json") != 0 ||
	    fsutil_write_durable(path, text, strlen(text), 0600) != 0)
		log_err("config", "msg=\"cannot save camera\" dir=%s err=\"%s\"",
		    c->dir, strerror(errno));
	else
		r = 0;
	free(text);
	return r;
}

int
config_load(const char *dir, struct camera_conf *c)
{
	uint8_t buf[CONFIG_JSON_MAX];
	size_t len;
	json_t *j;
	json_error_t e;
	const char *id, *name, *server, *pk, *source;
	int loop = 0, seg = 0, maxseg = 0;
	double speed = 1;
	json_int_t budget = 0;

	memset(c, 0, sizeof(*c));
	config_defaults(c);
	if (config_file_load(dir, "camera.json", 0, buf, sizeof(buf) - 1,
	    &len) != 0)
		return -1;
	buf[len] = '\0';
	if ((j = json_loads((char *)buf, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		log_err("config", "msg=\"bad camera.json\" dir=%s line=%d err=\"%s\"",
		    dir, e.line, e.text);
		return -1;
	}
	if (json_unpack_ex(j, &e, 0, "{s:s, s:s, s:s, s:s, s:s, s?b, s?F, s?i, "
	    "s?i, s?I}", "camera_id", &id, "name", &name, "server", &server,
	    "owner_sign_pk", &pk, "source", &source, "loop", &loop, "speed",
	    &speed, "segment_seconds", &seg, "max_segment_seconds", &maxseg,
	    "spool_budget", &budget) != 0 ||
	    strlen(id) != CONFIG_ID_HEX - 1 ||
	    sodium_hex2bin(c->owner_sign_pk, 32, pk, strlen(pk), NULL, NULL,
	    NULL) != 0 || strlen(pk) != 64 ||
	    snprintf(c->dir, sizeof(c->dir), "%s", dir) >= (int)sizeof(c->dir) ||
	    snprintf(c->name, sizeof(c->name), "%s", name) >= (int)sizeof(c->name) ||
	    snprintf(c->server, sizeof(c->server), "%s", server) >=
	    (int)sizeof(c->server) ||
	    snprintf(c->source, sizeof(c->source), "%s", source) >=
	    (int)sizeof(c->source)) {
		log_err("config", "msg=\"bad camera.json\" dir=%s err=\"%s\"", dir,
		    e.text[0] ? e.text : "bad field");
		json_decref(j);
		return -1;
	}
	memcpy(c->id_hex, id, CONFIG_ID_HEX);
	c->loop = loop;
	if (speed >= 0)
		c->speed = speed;
	if (seg > 0)
		c->segment_s = (uint32_t)seg;
	if (maxseg > 0)
		c->max_segment_s = (uint32_t)maxseg;
	if (budget > 0)
		c->spool_budget = (uint64_t)budget;
	json_decref(j);
	return 0;
}

int
config_list(const char *state, char ids[][CONFIG_ID_HEX], size_t max,
    size_t *n)
{
	char path[CONFIG_PATH_MAX];
	DIR *d;
	struct dirent *de;

	*n = 0;
	if (path_join(path, sizeof(path), state, "cameras") != 0)
		return -1;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL && *n < max) {
		uint8_t bin[16];

		if (strlen(de->d_name) != CONFIG_ID_HEX - 1 ||
		    sodium_hex2bin(bin, sizeof(bin), de->d_name, CONFIG_ID_HEX - 1,
		    NULL, NULL, NULL) != 0)
			continue;
		memcpy(ids[(*n)++], de->d_name, CONFIG_ID_HEX);
	}
	closedir(d);
	return 0;
}

int
config_secret_save(const char *dir, const char *name, const void *buf,
    size_t len)
{
	char path[CONFIG_PATH_MAX + 64];

	if (path_join(path, sizeof(path), dir, name) != 0 ||
	    fsutil_write_durable(path, buf, len, 0600) != 0) {
		log_err("config", "msg=\"cannot write\" file=%s err=\"%s\"", name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
config_file_load(const char *dir, const char *name, int secret, uint8_t *buf,
    size_t max, size_t *len)
{
	char path[CONFIG_PATH_MAX + 64];
	struct stat st;
	uint8_t *p = NULL;

	if (path_join(path, sizeof(path), dir, name) != 0)
		return -1;
	if (secret && stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
		log_err("config", "msg=\"secret file readable by others; refusing "
		    "(chmod 600)\" file=%s", path);
		return -1;
	}
	if (fsutil_read_bounded(path, max, &p, len) != 0) {
		if (errno != ENOENT)
			log_err("config", "msg=\"cannot read\" file=%s err=\"%s\"",
			    path, strerror(errno));
		return -1;
	}
	memcpy(buf, p, *len);
	sodium_memzero(p, *len);
	free(p);
	return 0;
}

int
config_seq_reserve(const char *dir, const char *kind, uint64_t *seq)
{
	char name[64], text[32], path[CONFIG_PATH_MAX + 64];
	uint8_t buf[32];
	size_t len;
	uint64_t next = 1;	/* sequence numbers start at 1 */
	char *end;
	int n;

	snprintf(name, sizeof(name), "next-seq-%s", kind);
	if (config_file_load(dir, name, 0, buf, sizeof(buf) - 1, &len) == 0) {
		buf[len] = '\0';
		errno = 0;
		next = strtoull((char *)buf, &end, 10);
		if (errno != 0 || end == (char *)buf || next == 0) {
			log_err("config", "msg=\"corrupt sequence file\" file=%s", name);
			return -1;
		}
	} else if (errno != ENOENT) {
		return -1;
	}
	/* Durable before use: the number is spent even if we crash now. */
	n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)next + 1);
	if (path_join(path, sizeof(path), dir, name) != 0 ||
	    fsutil_write_durable(path, text, (size_t)n, 0600) != 0) {
		log_err("config", "msg=\"cannot persist sequence\" err=\"%s\"",
		    strerror(errno));
		return -1;
	}
	*seq = next;
	return 0;
}

int
config_lock(const char *dir)
{
	char path[CONFIG_PATH_MAX + 16];
	int fd;

	if (path_join(path, sizeof(path), dir, "lock") != 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}
