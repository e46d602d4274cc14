/*
 * config — sealcamd settings: built-in defaults, then a `key = value`
 * config file, then command-line flags (each later source overrides).
 *
 * Every key has a flag of the same name with '_' written as '-':
 * `max_upload = 64M` in the file is `--max-upload 64M` on the command line.
 */
#ifndef SEALCAMD_CONFIG_H
#define SEALCAMD_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#define CONFIG_PATH_MAX 4096

struct config {
	char listen[64];          /* IPv4 or IPv6 literal to bind */
	unsigned port;            /* 0 = any free port (see port_file) */
	char port_file[CONFIG_PATH_MAX]; /* write the bound port here ("" = no) */
	char data_dir[CONFIG_PATH_MAX];  /* SQLite database and blob store */
	uint64_t max_upload;      /* bytes per sealed object */
	uint64_t json_max;        /* bytes per JSON request body */
	uint64_t header_max;      /* bytes of request line + headers */
	uint64_t read_buffer;     /* per-connection bytes for body reads */
	int64_t session_ttl_ms;   /* session lifetime from login */
	unsigned threads;         /* libmicrohttpd thread pool size */
	unsigned commit_threads;  /* threads that fsync and commit uploads */
	unsigned upload_buffers;  /* whole-object upload buffers (upbuf.h) */
	unsigned max_connections; /* concurrent connections, all clients */
	unsigned header_timeout_s; /* request headers must be complete by then */
	uint64_t min_upload_rate; /* bytes/s an upload must average (after grace) */
	unsigned login_burst;     /* login attempts allowed at once per e-mail/address */
	unsigned login_per_min;   /* refill of those attempts per minute */
	unsigned sweep_interval_s; /* retention sweeper period */
	int64_t pairing_ttl_ms;   /* a pending pairing expires after this */
	unsigned shutdown_grace_s; /* in-flight requests get this long on SIGTERM */
	int log_level;            /* enum log_level */
	int64_t live_grace_ms;    /* a live session outlives its last viewer by this */
	int64_t live_max_ms;      /* hard limit of one live session */
	int64_t live_start_timeout_ms; /* the agent must start streaming by then */
	uint64_t live_viewer_buffer; /* bytes a live viewer may fall behind */
	char tlog_dir[CONFIG_PATH_MAX]; /* transparency log tiles ("" = data_dir/log) */
	char tlog_origin[256];    /* checkpoint origin / key name of a new log key */
	int64_t tlog_interval_ms; /* longest wait before a log batch is cut */
	unsigned tlog_threads;    /* requests that may wait for log appends at once */
	char web_dir[CONFIG_PATH_MAX];   /* the viewer's files ("" = search) */
	char node_modules[CONFIG_PATH_MAX]; /* for libsodium.js ("" = search) */
	int64_t grant_max_range_ms; /* longest footage range one grant may cover */
	int64_t grant_max_expiry_ms; /* longest a grant may stay valid */
};

/* Fill c with the defaults. */
void config_defaults(struct config *c);

/*
 * Read `key = value` lines from path ('#' starts a comment, blank lines
 * ignored). Returns 0, or -1 after printing "path:line: what" to stderr.
 */
int config_load_file(struct config *c, const char *path);

/*
 * Apply one setting by key ("max_upload") from text ("64M"). Returns 0, or
 * -1 with a message in err (size errlen) naming what was expected.
 */
int config_set(struct config *c, const char *key, const char *value,
    char *err, size_t errlen);

/* Write the keys, their meaning and defaults (for --help). */
void config_usage(FILE *f);

/* Write the effective settings as `key = value` lines (for the operator). */
void config_dump(const struct config *c, FILE *f);

#endif
