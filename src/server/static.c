/*
 * static — the viewer's files in memory, and the handler of the public
 * routes `GET /`, `GET /{asset}` and `GET /vendor/{asset}`.
 */
#include "static.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fsutil.h"
#include "http.h"
#include "log.h"
#include "server.h"

struct webroot {
	struct static_file f[STATIC_FILES_MAX];
	size_t n;
	size_t total;             /* bytes loaded */
};

/* Extensions served, and as what. Anything else in web/ is ignored. */
static const struct {
	const char *ext;
	const char *mime;
} mimes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/*
 * The vendor allow-list: served name -> path under node_modules. The
 * wrapper imports "./libsodium-sumo.mjs", so both live side by side.
 */
static const struct {
	const char *name;
	const char *rel;
} vendor_files[] = {
	{ "libsodium-wrappers.mjs",
	    "libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs" },
	{ "libsodium-sumo.mjs",
	    "libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs" },
};
#define NVENDOR (sizeof(vendor_files) / sizeof(vendor_files[0]))

const char *
static_mime(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++) {
		size_t e = strlen(mimes[i].ext);
		if (n > e && strcmp(name + n - e, mimes[i].ext) == 0)
			return mimes[i].mime;
	}
	return NULL;
}

int
static_name_ok(const char *name, size_t len)
{
	char buf[STATIC_NAME_MAX + 1];

	if (len == 0 || len > STATIC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	return static_mime(buf) != NULL;
}

/* dir/name if it exists as a directory, into out. */
static int
try_dir(const char *base, const char *sub, char *out, size_t n)
{
	struct stat st;

	if (base == NULL || base[0] == '\0')
		return -1;
	if ((size_t)snprintf(out, n, "%s%s%s", base, sub[0] ? "/" : "", sub) >= n)
		return -1;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/*
 * Find a directory: the configured one, else $SEALCAM_ROOT/sub, up to
 * three levels above the executable (build/sealcamd in a checkout), then
 * /usr/share/sealcam/sub.
 */
static int
find_dir(const char *configured, const char *sub, char *out, size_t n)
{
	char exe[PATH_MAX], *slash;
	ssize_t len;

	if (configured != NULL && configured[0] != '\0')
		return try_dir(configured, "", out, n);
	if (try_dir(getenv("SEALCAM_ROOT"), sub, out, n) == 0)
		return 0;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		for (int up = 0; up < 3 && (slash = strrchr(exe, '/')) != NULL; up++) {
			*slash = '\0';
			if (try_dir(exe, sub, out, n) == 0)
				return 0;
		}
	}
	return try_dir("/usr/share/sealcam", sub, out, n);
}

/* Read one file into the table. */
static int
add_file(struct webroot *w, const char *path, const char *name, int vendor)
{
	struct static_file *f;
	uint8_t *data = NULL, h[16];
	size_t len = 0;

	if (w->n >= STATIC_FILES_MAX) {
		log_err("static", "file=%s err=\"more than %d files\"", path, STATIC_FILES_MAX);
		return -1;
	}
	if (fsutil_read_bounded(path, STATIC_FILE_MAX, &data, &len) != 0) {
		log_err("static", "file=%s err=\"%s\"", path, strerror(errno));
		return -1;
	}
	if (w->total + len > STATIC_TOTAL_MAX) {
		log_err("static", "file=%s err=\"the viewer's files exceed %u bytes\"",
		    path, STATIC_TOTAL_MAX);
		free(data);
		return -1;
	}
	f = &w->f[w->n++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->vendor = vendor;
	f->mime = static_mime(name);
	f->data = data;
	f->len = len;
	w->total += len;
	/* A strong validator that changes exactly when the bytes do. */
	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	f->etag[0] = '"';
	sodium_bin2hex(f->etag + 1, 33, h, sizeof(h));
	f->etag[33] = '"';
	f->etag[34] = '\0';
	return 0;
}

static int
load_web(struct webroot *w, const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		log_err("static", "dir=%s err=\"%s\"", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (!static_name_ok(e->d_name, strlen(e->d_name)))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		/* Regular files only: no symlinks out of the directory. */
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		rc = add_file(w, path, e->d_name, 0);
	}
	closedir(d);
	return rc;
}

struct webroot *
webroot_load(const char *web_dir, const char *node_modules)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct webroot *w;
	struct stat st;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (find_dir(web_dir, "web", dir, sizeof(dir)) != 0) {
		log_warn("static", "msg=\"no web/ directory found: the browser viewer is "
		    "not served (set web_dir)\"");
		return w;
	}
	if (load_web(w, dir) != 0)
		goto fail;
	if (webroot_find(w, "index.html", 0) == NULL) {
		log_warn("static", "dir=%s msg=\"no index.html: the browser viewer is "
		    "not served\"", dir);
		return w;
	}
	/* The viewer needs libsodium.js: without it the pages cannot work. */
	if (find_dir(node_modules, "node_modules", path, sizeof(path)) != 0) {
		log_err("static", "msg=\"node_modules with libsodium-wrappers-sumo not "
		    "found (run scripts/deps.sh, or set node_modules)\"");
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	for (size_t i = 0; i < NVENDOR; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    vendor_files[i].rel) >= sizeof(path) || stat(path, &st) != 0) {
			log_err("static", "file=%s/%s err=\"missing (run scripts/deps.sh)\"",
			    dir, vendor_files[i].rel);
			goto fail;
		}
		if (add_file(w, path, vendor_files[i].name, 1) != 0)
			goto fail;
	}
	log_info("static", "files=%zu bytes=%zu", w->n, w->total);
	return w;
fail:
	webroot_free(w);
	return NULL;
}

void
webroot_free(struct webroot *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		free((void *)w->f[i].data);
	free(w);
}

size_t
webroot_count(const struct webroot *w)
{
	return w ? w->n : 0;
}

const struct static_file *
webroot_find(const struct webroot *w, const char *name, int vendor)
{
	if (w == NULL)
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		if (w->f[i].vendor == vendor && strcmp(w->f[i].name, name) == 0)
			return &w->f[i];
	return NULL;
}

/* GET / (index.html), GET /{asset}, GET /vendor/{asset}. */
void
h_static(struct req *rq)
{
	const char *path = rq->route->path, *inm;
	const struct static_file *f;
	int vendor = strncmp(path, "/vendor/", 8) == 0;

	f = webroot_find(rq->srv->web, strcmp(path, "/") == 0 ? "index.html" :
	    rq->params.asset, vendor);
	if (f == NULL) {
		http_error(rq, 404, "not_found", "no such file");
		return;
	}
	inm = http_header(rq, "If-None-Match");
	if (inm != NULL && strcmp(inm, f->etag) == 0) {
		http_reply_static(rq, 304, f->mime, NULL, 0, f->etag);
		return;
	}
	http_reply_static(rq, 200, f->mime, f->data, f->len, f->etag);
}
