/*
 * static — the browser viewer's files (web/ and two libsodium.js modules
 * from node_modules), served at / by the public routes of routes.c.
 *
 * Everything is read into memory once at start, from a fixed allow-list:
 * the regular files directly in web/ whose names are short, lower-case and
 * end in a known extension, plus the vendor files named in static.c. A
 * request only ever looks a name up in that table, so no request path
 * reaches the file system (no traversal, no symlink games, no partial
 * reads while files change); editing web/ needs a restart.
 */
#ifndef SEALCAMD_STATIC_H
#define SEALCAMD_STATIC_H

#include <stddef.h>
#include <stdint.h>

#define STATIC_NAME_MAX 64            /* longest file name, without NUL */
#define STATIC_FILE_MAX (4u << 20)    /* largest file loaded */
#define STATIC_TOTAL_MAX (32u << 20)  /* all files together */
#define STATIC_FILES_MAX 256

struct webroot;
struct req;

/* One file as served. */
struct static_file {
	char name[STATIC_NAME_MAX + 1];
	int vendor;               /* 1: under /vendor/ */
	const char *mime;         /* Content-Type */
	const uint8_t *data;
	size_t len;
	char etag[40];            /* "\"<32 hex>\"": BLAKE2b-128 of the bytes */
};

/*
 * Load the viewer. web_dir and node_modules may be "" to search the usual
 * places ($SEALCAM_ROOT/..., then up to three directories above the
 * executable, then /usr/share/sealcam/...). A missing web directory is not
 * an error (the API still works; / answers 404 with a note in the log);
 * a file that cannot be read is. NULL on failure (logged).
 */
struct webroot *webroot_load(const char *web_dir, const char *node_modules);

/* Free. NULL is a no-op. */
void webroot_free(struct webroot *w);

/* Number of files loaded (0 when the viewer is not installed). */
size_t webroot_count(const struct webroot *w);

/* The file called name (vendor: under /vendor/), or NULL. */
const struct static_file *webroot_find(const struct webroot *w,
    const char *name, int vendor);

/*
 * Whether name may be a served file name at all: 1..STATIC_NAME_MAX
 * characters of [a-z0-9._-], starting with [a-z0-9], ending in a known
 * extension. The route matcher uses it for {asset}.
 */
int static_name_ok(const char *name, size_t len);

/* Content-Type for a file name's extension, or NULL if not served. */
const char *static_mime(const char *name);

#endif
