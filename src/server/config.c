#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum config_type { CT_STR, CT_UINT, CT_SIZE, CT_MS, CT_LEVEL };

/* One row per setting: the file key, how to parse it, where it goes. */
static const struct config_key {
	const char *key;
	enum config_type type;
	size_t off;
	size_t len;               /* CT_STR: buffer size; CT_UINT: field size */
	uint64_t max;             /* CT_UINT/CT_SIZE/CT_MS: upper bound */
	const char *help;
} config_keys[] = {
#define S(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
	{ "listen", CT_STR, S(listen), 0, "address to bind (IPv4 or IPv6 literal)" },
	{ "port", CT_UINT, S(port), 65535, "TCP port; 0 picks a free one (see port_file)" },
	{ "port_file", CT_STR, S(port_file), 0, "write the bound port to this file once listening" },
	{ "data_dir", CT_STR, S(data_dir), 0, "directory for the database and the blob store" },
	{ "max_upload", CT_SIZE, S(max_upload), 1ull << 40, "largest sealed object accepted (K, M, G suffixes)" },
	{ "json_max", CT_SIZE, S(json_max), 16u << 20, "largest JSON request body" },
	{ "header_max", CT_SIZE, S(header_max), 24u << 10, "largest request line + headers" },
	{ "read_buffer", CT_SIZE, S(read_buffer), 16u << 20, "per-connection memory for body reads, beyond 2 x header_max (larger: fewer socket reads)" },
	{ "session_ttl", CT_MS, S(session_ttl_ms), 3650ull * 86400000, "session lifetime (s, m, h, d suffixes; plain = seconds)" },
	{ "threads", CT_UINT, S(threads), 256, "HTTP worker threads (epoll, one pool)" },
	{ "commit_threads", CT_UINT, S(commit_threads), 64, "threads making uploads durable (fsync, rename, commit)" },
	{ "upload_buffers", CT_UINT, S(upload_buffers), 256, "whole-object upload buffers of 4 MiB, allocated at start (0: stream every upload)" },
	{ "max_connections", CT_UINT, S(max_connections), 1u << 20, "concurrent connections in all" },
	{ "header_timeout", CT_UINT, S(header_timeout_s), 3600, "seconds a client has to send complete request headers" },
	{ "min_upload_rate", CT_SIZE, S(min_upload_rate), 1u << 30, "bytes/s a request body must average after 10 s" },
	{ "login_burst", CT_UINT, S(login_burst), 1u << 20, "login attempts at once per e-mail (4x per client address, also for signup)" },
	{ "login_per_min", CT_UINT, S(login_per_min), 1u << 20, "login attempts regained per minute (same 4x per address)" },
	{ "pairing_ttl", CT_MS, S(pairing_ttl_ms), 7ull * 86400000, "how long a pending pairing stays usable" },
	{ "sweep_interval", CT_UINT, S(sweep_interval_s), 86400, "seconds between retention sweeps" },
	{ "shutdown_grace", CT_UINT, S(shutdown_grace_s), 3600, "seconds in-flight requests get on SIGTERM" },
	{ "log_level", CT_LEVEL, S(log_level), 0, "debug, info, warn or error" },
	{ "live_grace", CT_MS, S(live_grace_ms), 3600000, "a live session goes on this long after its last viewer left" },
	{ "live_max", CT_MS, S(live_max_ms), 7ull * 86400000, "hard limit of one live session" },
	{ "live_start_timeout", CT_MS, S(live_start_timeout_ms), 600000, "the agent must start a requested live stream within this" },
	{ "live_viewer_buffer", CT_SIZE, S(live_viewer_buffer), 1u << 30, "bytes a live viewer may fall behind before it is cut off" },
	{ "tlog_dir", CT_STR, S(tlog_dir), 0, "transparency log directory (default DATA_DIR/log)" },
	{ "tlog_origin", CT_STR, S(tlog_origin), 0, "name of the log (checkpoint origin), used when its key is made" },
	{ "tlog_interval", CT_MS, S(tlog_interval_ms), 1000, "longest a log entry waits for its batch (<= 1s)" },
	{ "tlog_threads", CT_UINT, S(tlog_threads), 1024, "requests that may wait for a log append at once" },
	{ "web_dir", CT_STR, S(web_dir), 0, "the browser viewer's files (default: web/ of the installation)" },
	{ "node_modules", CT_STR, S(node_modules), 0, "npm packages dir holding libsodium-wrappers-sumo (default: searched)" },
	{ "grant_max_range", CT_MS, S(grant_max_range_ms), 7ull * 86400000, "longest footage range one consent grant may cover (grants are clip-sized)" },
	{ "grant_max_expiry", CT_MS, S(grant_max_expiry_ms), 3650ull * 86400000, "longest a consent grant may stay valid" },
#undef S
};
#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->port = 8443;
	snprintf(c->data_dir, sizeof(c->data_dir), "./sealcamd-data");
	c->max_upload = 64u << 20;
	c->json_max = 64u << 10;
	c->header_max = 16u << 10;
	c->read_buffer = 224u << 10;
	c->session_ttl_ms = 30ll * 86400000;
	c->threads = 8;
	c->commit_threads = 24;
	c->upload_buffers = 16;
	c->max_connections = 4096;
	c->header_timeout_s = 30;
	c->min_upload_rate = 4096;
	c->login_burst = 10;
	c->login_per_min = 5;
	c->sweep_interval_s = 300;
	c->pairing_ttl_ms = 3600 * 1000;
	c->shutdown_grace_s = 10;
	c->log_level = LOG_INFO;
	c->live_grace_ms = 5000;
	c->live_max_ms = 3600 * 1000;
	c->live_start_timeout_ms = 15000;
	c->live_viewer_buffer = 8u << 20;
	snprintf(c->tlog_origin, sizeof(c->tlog_origin), "sealcam.local/log");
	c->tlog_interval_ms = 100;
	c->tlog_threads = 32;
	c->grant_max_range_ms = 3600 * 1000;
	c->grant_max_expiry_ms = 90ll * 86400000;
}

/* Parse a decimal integer with an optional unit suffix from units[]. */
static int
parse_scaled(const char *v, const char *const *units, const uint64_t *mult,
    uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		size_t i;
		for (i = 0; units[i] != NULL; i++)
			if (strcmp(end, units[i]) == 0)
				break;
		if (units[i] == NULL)
			return -1;
		if (n != 0 && mult[i] > UINT64_MAX / n)
			return -1;
		n *= mult[i];
	}
	if (n > max)
		return -1;
	*out = n;
	return 0;
}

int
config_set(struct config *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	static const char *const size_units[] = { "K", "M", "G", "T", NULL };
	static const uint64_t size_mult[] = { 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40 };
	static const char *const ms_units[] = { "ms", "s", "m", "h", "d", NULL };
	static const uint64_t ms_mult[] = { 1, 1000, 60000, 3600000, 86400000 };
	const struct config_key *k = NULL;
	char *field;
	uint64_t n;

	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (strcmp(config_keys[i].key, key) == 0)
			k = &config_keys[i];
	if (k == NULL) {
		snprintf(err, errlen, "unknown setting '%s' (see --help)", key);
		return -1;
	}
	field = (char *)c + k->off;
	switch (k->type) {
	case CT_STR:
		if (strlen(value) >= k->len) {
			snprintf(err, errlen, "%s: longer than %zu bytes", key, k->len - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CT_UINT:
		if (parse_scaled(value, (const char *const[]){ NULL }, NULL, k->max, &n) != 0)
			goto bad_number;
		*(unsigned *)(void *)field = (unsigned)n;
		return 0;
	case CT_SIZE:
		if (parse_scaled(value, size_units, size_mult, k->max, &n) != 0)
			goto bad_number;
		*(uint64_t *)(void *)field = n;
		return 0;
	case CT_MS: {
		/* A plain number is seconds; "500ms" is allowed for tests. */
		if (parse_scaled(value, ms_units, ms_mult, k->max, &n) != 0)
			goto bad_number;
		if (isdigit((unsigned char)value[strlen(value) - 1]))
			n *= 1000;
		if (n == 0 || n > k->max) {
			if (k->max < 86400000)
				snprintf(err, errlen, "%s: must be between 1ms and %" PRIu64 "ms", key, k->max);
			else
				snprintf(err, errlen, "%s: must be between 1ms and %" PRIu64 "d", key, k->max / 86400000);
			return -1;
		}
		*(int64_t *)(void *)field = (int64_t)n;
		return 0;
	}
	case CT_LEVEL: {
		enum log_level lvl;
		if (log_parse_level(value, &lvl) != 0) {
			snprintf(err, errlen, "%s: expected debug, info, warn or error, got '%s'", key, value);
			return -1;
		}
		*(int *)(void *)field = (int)lvl;
		return 0;
	}
	}
bad_number:
	snprintf(err, errlen, "%s: expected a number%s no larger than %" PRIu64 ", got '%s'",
	    key, k->type == CT_SIZE ? " (with optional K, M, G, T)" :
	    k->type == CT_MS ? " (with optional ms, s, m, h, d)" : "", k->max, value);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_load_file(struct config *c, const char *path)
{
	char line[CONFIG_PATH_MAX + 128], err[256];
	FILE *f;
	int lineno = 0, ret = -1;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *eq, *key, *val;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "%s:%d: line too long\n", path, lineno);
			goto out;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = trim(line);
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			fprintf(stderr, "%s:%d: expected 'key = value'\n", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if (config_set(c, key, val, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
			goto out;
		}
	}
	ret = 0;
out:
	fclose(f);
	return ret;
}

static void
config_value(const struct config *c, const struct config_key *k, char *buf,
    size_t len)
{
	const char *field = (const char *)c + k->off;

	switch (k->type) {
	case CT_STR:
		snprintf(buf, len, "%s", field);
		break;
	case CT_UINT:
		snprintf(buf, len, "%u", *(const unsigned *)(const void *)field);
		break;
	case CT_SIZE:
		snprintf(buf, len, "%" PRIu64, *(const uint64_t *)(const void *)field);
		break;
	case CT_MS: {
		/* The largest unit that divides exactly: "30d", "1h", "500ms". */
		static const struct { int64_t ms; const char *u; } units[] = {
			{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" } };
		int64_t v = *(const int64_t *)(const void *)field;
		size_t i = 0;
		while (i + 1 < sizeof(units) / sizeof(units[0]) && (v == 0 || v % units[i].ms != 0))
			i++;
		snprintf(buf, len, "%" PRId64 "%s", v / units[i].ms, units[i].u);
		break;
	}
	case CT_LEVEL: {
		static const char *const names[] = { "debug", "info", "warn", "error" };
		int l = *(const int *)(const void *)field;
		snprintf(buf, len, "%s", l >= 0 && l < 4 ? names[l] : "?");
		break;
	}
	}
}

void
config_usage(FILE *f)
{
	struct config d;
	char v[CONFIG_PATH_MAX];

	config_defaults(&d);
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		char flag[64];
		size_t j;

		for (j = 0; config_keys[i].key[j] != '\0' && j < sizeof(flag) - 1; j++)
			flag[j] = config_keys[i].key[j] == '_' ? '-' : config_keys[i].key[j];
		flag[j] = '\0';
		config_value(&d, &config_keys[i], v, sizeof(v));
		fprintf(f, "  --%-18s %s (default: %s)\n", flag, config_keys[i].help,
		    v[0] ? v : "none");
	}
}

void
config_dump(const struct config *c, FILE *f)
{
	char v[CONFIG_PATH_MAX];

	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		config_value(c, &config_keys[i], v, sizeof(v));
		fprintf(f, "%s = %s\n", config_keys[i].key, v);
	}
}
