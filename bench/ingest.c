/*
 * bench/ingest — sealcamd ingest: N simulated cameras uploading 2 MiB sealed
 * segments, against nginx (WebDAV PUT to disk, no fsync) in the same run,
 * beside the fsync limit of this disk.
 *
 *	build/bench/ingest [--sealcamd build/sealcamd] [--nginx /usr/sbin/nginx]
 *	    [--work DIR] [--scales 10,100,500] [--period-ms 4000] [--threads 8]
 *	    [--phase paced|flood|both] [--no-limits] [--segs DIR] [--keep]
 *
 * --segs puts the sealed-segment cache (3.3 GB for 500 cameras; default
 * WORK/segs) elsewhere, e.g. on a tmpfs when the disk is short of space:
 * it is only read by the clients, the servers' data stays in WORK.
 * Stored objects are deleted as they appear (see the reclaimer) unless
 * --keep is given.
 * --phase runs only one of the two phases below; --no-limits skips the
 * BLAKE2b and fsync reference measurements (for quick profiling runs only:
 * figures for docs/BENCHMARKS.md need the limits from the same run).
 *
 * For each target and each scale N, on a fresh data directory:
 *   paced   every camera uploads one segment every period (phases spread
 *           evenly over the period, like independent cameras): latency
 *           p50/p99 from request start to response;
 *   flood   every camera uploads its segments back to back, all cameras at
 *           once: segments/s, MB/s (the maximum durable ingest rate).
 * Server CPU seconds per GB come from /proc/<pid>/stat (utime + stime of the
 * server's process, or of nginx's workers) over each phase.
 *
 * Every camera has its own key, token and keyring, and each segment is a
 * real container sealed with libsealcam to the owner's key (sealed once into
 * DIR/segs and reused across runs), so sealcamd does all its work: verify
 * header and signature, hash, temp file, fsync, rename, fsync dir, commit.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keyring.h"
#include "seg.h"

#define SEG_PT (2u << 20)          /* 2 MiB of plaintext per segment */
#define MAX_CAMS 1000

struct cam {
	uint8_t pk[32], sk[64], id[16];
	char id_hex[33];
	char token[64];
	int nsegs;                /* segments sealed for this camera */
	/* per phase */
	CURL *easy;
	struct curl_slist *hdrs;
	FILE *body;
	int next;                 /* next segment index (0-based) */
	int64_t due_us;
	int busy;
};

static struct cam cams[MAX_CAMS];
static int ncams;
static char work[1024], segs_dir[1100];
static const char *sealcamd_bin = "build/sealcamd", *nginx_bin = "/usr/sbin/nginx";
static unsigned threads = 8;
static int no_limits, phases = 3;        /* bit 1: paced, bit 0: flood */
static int64_t period_us = 4000000;
static uint8_t owner_box_pk[32], owner_box_sk[32], owner_sign_pk[32], owner_sign_sk[64];

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
die(const char *what)
{
	fprintf(stderr, "ingest: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Segments each camera needs: more for the first ones (small scales need
 * samples), two for the rest (500 cameras: 1000 uploads, 2.1 GB on disk). */
static int
segs_for(int i)
{
	return i < 10 ? 8 : i < 100 ? 4 : 2;
}

/* Refuse to fill a shared disk: keep twice what a phase can hold at once
 * free -- every camera's upload in flight (the reclaimer deletes what is
 * stored), or with --keep all of the phase's segments. */
static int keep_objects;

static void
check_space(int n, int segs)
{
	struct statvfs v;
	double need = 2.0 * n * (keep_objects ? segs : 1) * (SEG_PT + 64 * 1024);

	if (statvfs(work, &v) == 0 && (double)v.f_bavail * (double)v.f_frsize < need) {
		fprintf(stderr, "ingest: %s has %.1f GB free, a phase of %d cameras x %d segments"
		    " needs %.1f GB (twice its data): free space or use --scales/--work\n", work,
		    (double)v.f_bavail * (double)v.f_frsize / 1e9, n, segs, need / 1e9);
		exit(1);
	}
}

/* --- preparation: keys and sealed segments, cached in WORK ------------------- */

static int
load_or_make(const char *path, uint8_t *buf, size_t n, void (*make)(uint8_t *))
{
	FILE *f = fopen(path, "rb");

	if (f != NULL) {
		size_t got = fread(buf, 1, n, f);
		fclose(f);
		if (got == n)
			return 0;
	}
	make(buf);
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, n, f) != n)
		die(path);
	fclose(f);
	return 1;
}

static void
make_cam(uint8_t *b)
{
	crypto_sign_keypair(b, b + 32);   /* pk(32) || sk(64) */
}

static void
make_owner(uint8_t *b)
{
	crypto_box_keypair(b, b + 32);
	crypto_sign_keypair(b + 64, b + 96);
}

struct seal_job {
	int first, step;
	const uint8_t *pt;
};

static int
callback_write(void *cookie, const uint8_t *buf, size_t len)
{
	return fwrite(buf, 1, len, cookie) == len ? 0 : -1;
}

static void
seg_path(int cam, int k, char *out, size_t len)
{
	snprintf(out, len, "%s/%d/%d", segs_dir, cam, k + 1);
}

static void *
seal_main(void *arg)
{
	struct seal_job *j = arg;
	const uint8_t (*rcpt)[32] = (const uint8_t (*)[32])owner_box_pk;

	for (int i = j->first; i < ncams; i += j->step) {
		char dir[1200], path[1300];

		snprintf(dir, sizeof(dir), "%s/%d", segs_dir, i);
		mkdir(dir, 0700);
		for (int k = 0; k < cams[i].nsegs; k++) {
			struct seg_seal_params p = { .kind = SEG_KIND_SEGMENT, .seq = (uint64_t)k + 1,
			    .start_ms = 1795000000000ull + (uint64_t)k * 4000, .duration_ms = 4000,
			    .epoch = 1, .recipients = rcpt, .nrecipients = 1 };
			struct seg_sealer *s;
			struct stat sb;
			FILE *f;

			seg_path(i, k, path, sizeof(path));
			if (stat(path, &sb) == 0 && sb.st_size > (off_t)SEG_PT)
				continue;         /* sealed by an earlier run */
			if ((f = fopen(path, "wb")) == NULL)
				die(path);
			if ((s = seg_sealer_new(&p, cams[i].sk, callback_write, f)) == NULL ||
			    seg_sealer_write(s, j->pt, SEG_PT) != SEG_OK ||
			    seg_sealer_finish(s) != SEG_OK) {
				fprintf(stderr, "ingest: sealing failed\n");
				exit(1);
			}
			seg_sealer_free(s);
			if (fclose(f) != 0)
				die(path);
		}
	}
	return NULL;
}

static void
prepare(void)
{
	char path[1200];
	uint8_t owner[160], *pt;
	pthread_t th[2];
	struct seal_job jobs[2];
	int64_t t0 = now_us();

	mkdir(work, 0700);
	mkdir(segs_dir, 0700);
	snprintf(path, sizeof(path), "%s/owner.key", work);
	load_or_make(path, owner, sizeof(owner), make_owner);
	memcpy(owner_box_pk, owner, 32);
	memcpy(owner_box_sk, owner + 32, 32);
	memcpy(owner_sign_pk, owner + 64, 32);
	memcpy(owner_sign_sk, owner + 96, 64);
	for (int i = 0; i < ncams; i++) {
		uint8_t kp[96];
		snprintf(path, sizeof(path), "%s/cam%d.key", segs_dir, i);
		load_or_make(path, kp, sizeof(kp), make_cam);
		memcpy(cams[i].pk, kp, 32);
		memcpy(cams[i].sk, kp + 32, 64);
		seg_camera_id(cams[i].pk, cams[i].id);
		sodium_bin2hex(cams[i].id_hex, sizeof(cams[i].id_hex), cams[i].id, 16);
		cams[i].nsegs = segs_for(i);
	}
	if ((pt = malloc(SEG_PT)) == NULL)
		die("malloc");
	randombytes_buf(pt, SEG_PT);
	for (int t = 0; t < 2; t++) {
		jobs[t] = (struct seal_job){ t, 2, pt };
		pthread_create(&th[t], NULL, seal_main, &jobs[t]);
	}
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	free(pt);
	sync();
	printf("# prepared %d cameras' sealed segments in %.1f s (cached in %s)\n",
	    ncams, (double)(now_us() - t0) / 1e6, segs_dir);
}

/* --- servers ----------------------------------------------------------------- */

struct server {
	const char *name;
	pid_t pid;
	unsigned port;
	int is_nginx;
	char dir[1200];
};

static unsigned
free_port(void)
{
	FILE *p = popen("python3 -c 'import socket; s=socket.socket(); "
	    "s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'", "r");
	unsigned port = 0;

	if (p == NULL || fscanf(p, "%u", &port) != 1)
		die("free port");
	pclose(p);
	return port;
}

static void
rmrf(const char *dir)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
	if (system(cmd) != 0)
		die("rm");
}

static int
wait_port_file(const char *path, pid_t pid)
{
	for (int i = 0; i < 400; i++) {
		FILE *f = fopen(path, "r");
		unsigned port;
		if (f != NULL) {
			int n = fscanf(f, "%u", &port);
			fclose(f);
			if (n == 1)
				return (int)port;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(25000);
	}
	return -1;
}

static void
server_start(struct server *s)
{
	char port_file[1300], data[1300], conf[1300];

	snprintf(s->dir, sizeof(s->dir), "%s/run-%s", work, s->name);
	rmrf(s->dir);
	mkdir(s->dir, 0700);
	if (!s->is_nginx) {
		char thr[16];
		snprintf(port_file, sizeof(port_file), "%s/port", s->dir);
		snprintf(data, sizeof(data), "%s/data", s->dir);
		snprintf(thr, sizeof(thr), "%u", threads);
		if ((s->pid = fork()) == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			execl(sealcamd_bin, "sealcamd", "--listen", "127.0.0.1", "--port", "0",
			    "--port-file", port_file, "--data-dir", data, "--threads", thr,
			    "--log-level", "warn", "--login-burst", "1000", (char *)NULL);
			_exit(127);
		}
		if (wait_port_file(port_file, s->pid) < 0) {
			fprintf(stderr, "ingest: sealcamd did not start\n");
			exit(1);
		}
		s->port = (unsigned)wait_port_file(port_file, s->pid);
		return;
	}
	/* nginx: two workers (two cores), WebDAV PUT into a directory on the
	 * same filesystem; bodies go to a temp file, then rename. No fsync. */
	s->port = free_port();
	snprintf(conf, sizeof(conf), "%s/nginx.conf", s->dir);
	{
		FILE *f = fopen(conf, "w");
		char root[1300], tmp[1300];
		if (f == NULL)
			die(conf);
		snprintf(root, sizeof(root), "%s/root", s->dir);
		snprintf(tmp, sizeof(tmp), "%s/tmp", s->dir);
		mkdir(root, 0700);
		mkdir(tmp, 0700);
		/* As root, workers would drop to nobody and not write our dirs. */
		if (geteuid() == 0)
			fprintf(f, "user root;\n");
		fprintf(f, "worker_processes 2;\ndaemon off;\npid %s/nginx.pid;\n"
		    "error_log %s/error.log warn;\nevents { worker_connections 4096; use epoll; }\n"
		    "http {\n access_log off;\n client_max_body_size 64m;\n"
		    " client_body_temp_path %s;\n keepalive_requests 100000;\n"
		    " server {\n  listen 127.0.0.1:%u;\n  root %s;\n"
		    "  location / { dav_methods PUT; create_full_put_path on; dav_access user:rw; }\n"
		    " }\n}\n", s->dir, s->dir, tmp, s->port, root);
		fclose(f);
	}
	if ((s->pid = fork()) == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(nginx_bin, "nginx", "-c", conf, "-p", s->dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null http://127.0.0.1:%u/", s->port);
		if (system(cmd) == 0)
			return;
		usleep(25000);
	}
	fprintf(stderr, "ingest: nginx did not start (see %s/error.log)\n", s->dir);
	exit(1);
}

static void
server_stop(struct server *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

/* CPU seconds of the server: sealcamd's process, or nginx's workers. */
static double
proc_cpu(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL || (p = strrchr(buf, ')')) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* fields after ") ": 3 state ... 14 utime 15 stime */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double
server_cpu(const struct server *s)
{
	char path[128], buf[4096];
	double cpu = 0;
	FILE *f;

	if (!s->is_nginx)
		return proc_cpu(s->pid);
	/* nginx master's children are its workers. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)s->pid, (int)s->pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		char *p = buf, *end;
		long pid;
		while ((pid = strtol(p, &end, 10)) > 0 && end != p) {
			cpu += proc_cpu((pid_t)pid);
			p = end;
		}
	}
	fclose(f);
	return cpu + proc_cpu(s->pid);
}

/* --- the reclaimer: stored objects are deleted as they appear ------------------
 *
 * A 500-camera phase stores 2 GB; the shared disk may not have it. An
 * inotify watch on the store's directories (sealcamd: the blob fan-out
 * directories; nginx: its root) sees each object renamed into place and
 * unlinks it (from this process: the servers' CPU figures do not include
 * it). sealcamd has fsynced the object by then; nginx has not, so its
 * dirty pages may be dropped before writeback -- less disk work for the
 * peer, not less CPU in its workers. --keep turns this off. */

#define RECLAIM_WATCHES 8192

struct reclaim {
	pthread_t th;
	int ifd, stop[2];
	char base[1300];
	char names[RECLAIM_WATCHES][4];
	long deleted;
};

static void *
reclaim_main(void *arg)
{
	struct reclaim *rc = arg;
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pf[2] = { { rc->ifd, POLLIN, 0 }, { rc->stop[0], POLLIN, 0 } };

	for (;;) {
		ssize_t n;

		if (poll(pf, 2, -1) < 0 || (pf[1].revents & POLLIN))
			return NULL;
		if ((n = read(rc->ifd, buf, sizeof(buf))) <= 0)
			continue;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			char path[1600];

			if (ev->len > 0 && ev->wd >= 0 && ev->wd < RECLAIM_WATCHES) {
				snprintf(path, sizeof(path), "%s/%s%s%s", rc->base, rc->names[ev->wd],
				    rc->names[ev->wd][0] ? "/" : "", ev->name);
				if (unlink(path) == 0)
					rc->deleted++;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

static struct reclaim *
reclaim_start(const struct server *s)
{
	struct reclaim *rc = calloc(1, sizeof(*rc));
	int wd;

	if (rc == NULL || (rc->ifd = inotify_init1(IN_CLOEXEC)) < 0 || pipe(rc->stop) != 0)
		die("inotify");
	if (s->is_nginx) {
		snprintf(rc->base, sizeof(rc->base), "%s/root", s->dir);
		if ((wd = inotify_add_watch(rc->ifd, rc->base, IN_MOVED_TO)) < 0 ||
		    wd >= RECLAIM_WATCHES)
			die("inotify watch");
		rc->names[wd][0] = '\0';
	} else {
		DIR *d;
		struct dirent *e;
		char sub[1400];

		snprintf(rc->base, sizeof(rc->base), "%s/data/blobs", s->dir);
		if ((d = opendir(rc->base)) == NULL)
			die(rc->base);
		while ((e = readdir(d)) != NULL) {
			if (strlen(e->d_name) != 3)
				continue;        /* the fan-out directories: "abc" */
			snprintf(sub, sizeof(sub), "%s/%s", rc->base, e->d_name);
			if ((wd = inotify_add_watch(rc->ifd, sub, IN_MOVED_TO)) < 0 ||
			    wd >= RECLAIM_WATCHES)
				die("inotify watch (fs.inotify.max_user_watches?)");
			memcpy(rc->names[wd], e->d_name, 4);
		}
		closedir(d);
	}
	pthread_create(&rc->th, NULL, reclaim_main, rc);
	return rc;
}

static void
reclaim_stop(struct reclaim *rc)
{
	if (rc == NULL)
		return;
	if (write(rc->stop[1], "x", 1) != 1)
		die("reclaim stop");
	pthread_join(rc->th, NULL);
	close(rc->ifd);
	close(rc->stop[0]);
	close(rc->stop[1]);
	free(rc);
}

/* --- sealcamd setup over HTTP -------------------------------------------------- */

static size_t
callback_body(char *ptr, size_t size, size_t n, void *cookie)
{
	json_t **out = cookie;
	json_error_t e;

	json_decref(*out);
	*out = json_loadb(ptr, size * n, 0, &e);
	return size * n;
}

static json_t *
api(CURL *c, unsigned port, const char *method, const char *path, const char *token,
    json_t *body, long *status)
{
	char url[512], auth[128], *text = NULL;
	struct curl_slist *h = NULL;
	json_t *resp = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
		json_decref(body);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, callback_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	if (curl_easy_perform(c) != CURLE_OK)
		die("api request");
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	free(text);
	return resp;
}

static void
setup_sealcamd(const struct server *s, int n)
{
	CURL *c = curl_easy_init();
	char hex[65], hex2[65], path[256], b64[1024];
	uint8_t backup[100], kr[KEYRING_MAX_BYTES];
	long st;
	json_t *r;
	const char *tok;
	char owner_tok[64];

	r = api(c, s->port, "POST", "/v1/signup", NULL, json_pack("{s:s, s:s}",
	    "email", "bench@example.com", "password", "bench password"), &st);
	if (st != 201 || (tok = json_string_value(json_object_get(r, "token"))) == NULL)
		die("signup");
	snprintf(owner_tok, sizeof(owner_tok), "%s", tok);
	json_decref(r);
	randombytes_buf(backup, sizeof(backup));
	sodium_bin2hex(hex, sizeof(hex), owner_box_pk, 32);
	sodium_bin2hex(hex2, sizeof(hex2), owner_sign_pk, 32);
	sodium_bin2base64(b64, sizeof(b64), backup, sizeof(backup), sodium_base64_VARIANT_ORIGINAL);
	json_decref(api(c, s->port, "PUT", "/v1/me/vault", owner_tok, json_pack("{s:s, s:s, s:s}",
	    "box_pk", hex, "sign_pk", hex2, "backup", b64), &st));
	if (st != 204)
		die("vault");
	for (int i = 0; i < n; i++) {
		static struct keyring k;
		uint8_t pid[16];
		char pidhex[33];
		size_t len;

		randombytes_buf(pid, sizeof(pid));
		sodium_bin2hex(pidhex, sizeof(pidhex), pid, 16);
		json_decref(api(c, s->port, "POST", "/v1/pairings", owner_tok, json_pack("{s:s, s:s}",
		    "pairing_id", pidhex, "name", "bench"), &st));
		snprintf(path, sizeof(path), "/v1/pairings/%s/register", pidhex);
		sodium_bin2hex(hex, sizeof(hex), cams[i].pk, 32);
		memset(hex2, '0', 64);
		hex2[64] = '\0';
		r = api(c, s->port, "POST", path, NULL, json_pack("{s:s, s:s, s:s}",
		    "camera_id", cams[i].id_hex, "camera_pk", hex, "proof", hex2), &st);
		if (st != 201 || (tok = json_string_value(json_object_get(r, "camera_token"))) == NULL)
			die("register");
		snprintf(cams[i].token, sizeof(cams[i].token), "%s", tok);
		json_decref(r);
		memset(&k, 0, sizeof(k));
		memcpy(k.camera_id, cams[i].id, 16);
		k.epoch = 1;
		k.issued_ms = 1;
		k.n = 1;
		memcpy(k.r[0].pk, owner_box_pk, 32);
		k.r[0].role = KEYRING_ROLE_OWNER;
		if (keyring_sign(&k, owner_sign_sk, kr, sizeof(kr), &len) != KEYRING_OK)
			die("keyring");
		sodium_bin2base64(b64, sizeof(b64), kr, len, sodium_base64_VARIANT_ORIGINAL);
		snprintf(path, sizeof(path), "/v1/cameras/%s/keyring", cams[i].id_hex);
		json_decref(api(c, s->port, "PUT", path, owner_tok, json_pack("{s:s, s:[]}",
		    "keyring", b64, "members"), &st));
		if (st != 204)
			die("keyring put");
	}
	curl_easy_cleanup(c);
}

/* --- the load ------------------------------------------------------------------- */

struct result {
	int n, errors;
	double secs, cpu, bytes;
	double p50, p99, max;
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
start_upload(CURLM *m, const struct server *s, struct cam *c, int idx, int k)
{
	char url[256], path[1300];
	struct stat sb;

	seg_path(idx, k, path, sizeof(path));
	if ((c->body = fopen(path, "rb")) == NULL || fstat(fileno(c->body), &sb) != 0)
		die(path);
	if (s->is_nginx)
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/%s-%d", s->port, c->id_hex, k + 1);
	else
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/camera/objects/segment/%d",
		    s->port, k + 1);
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->easy, CURLOPT_READDATA, c->body);
	curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	curl_multi_add_handle(m, c->easy);
	c->busy = 1;
}

static size_t
callback_discard(char *ptr, size_t size, size_t n, void *cookie)
{
	(void)ptr;
	(void)cookie;
	return size * n;
}

/* paced = 1: one upload per camera per period; 0: back to back. */
static struct result
run_phase(const struct server *s, int n, int segs, int paced)
{
	CURLM *m = curl_multi_init();
	double *lat = calloc((size_t)n * (size_t)segs, sizeof(double));
	struct result r = { 0 };
	int64_t t0, remaining = (int64_t)n * segs;
	double cpu0;

	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (int i = 0; i < n; i++) {
		struct cam *c = &cams[i];
		char auth[128];

		c->easy = curl_easy_init();
		c->hdrs = curl_slist_append(NULL, "Content-Type: application/octet-stream");
		/* As the agent's httpc: no "Expect: 100-continue" round trip. */
		c->hdrs = curl_slist_append(c->hdrs, "Expect:");
		if (!s->is_nginx) {
			snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
			c->hdrs = curl_slist_append(c->hdrs, auth);
		}
		curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, callback_discard);
		curl_easy_setopt(c->easy, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
		c->next = 0;
		c->busy = 0;
		/* Independent cameras: phases spread evenly over the period. */
		c->due_us = paced ? (int64_t)i * period_us / n : 0;
	}
	cpu0 = server_cpu(s);
	t0 = now_us();
	while (remaining > 0) {
		int running, msgs;
		CURLMsg *msg;
		int64_t now = now_us() - t0, wait_us = 100000;

		for (int i = 0; i < n; i++) {
			struct cam *c = &cams[i];
			if (c->busy || c->next >= segs)
				continue;
			if (c->due_us <= now) {
				start_upload(m, s, c, i, c->next);
				c->due_us += paced ? period_us : 0;
			} else if (c->due_us - now < wait_us)
				wait_us = c->due_us - now;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &msgs)) != NULL) {
			struct cam *c;
			long code = 0;
			curl_off_t us = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME_T, &us);
			if (msg->data.result != CURLE_OK || (code != 201 && code != 204))
				r.errors++;
			lat[r.n++] = (double)us / 1000.0;
			r.bytes += (double)ftell(c->body);
			curl_multi_remove_handle(m, c->easy);
			fclose(c->body);
			c->busy = 0;
			c->next++;
			remaining--;
		}
		if (remaining > 0)
			curl_multi_poll(m, NULL, 0, (int)(wait_us / 1000) + 1, NULL);
	}
	r.secs = (double)(now_us() - t0) / 1e6;
	r.cpu = server_cpu(s) - cpu0;
	qsort(lat, (size_t)r.n, sizeof(double), cmp_double);
	r.p50 = lat[r.n / 2];
	r.p99 = lat[(int)((r.n - 1) * 0.99)];
	r.max = lat[r.n - 1];
	for (int i = 0; i < n; i++) {
		curl_easy_cleanup(cams[i].easy);
		curl_slist_free_all(cams[i].hdrs);
	}
	curl_multi_cleanup(m);
	free(lat);
	return r;
}

static void
print_result(const char *target, int n, const char *phase, const struct result *r)
{
	double gb = r->bytes / 1e9;

	printf("| %-8s | %4d | %-6s | %5d | %7.1f | %7.1f | %6.1f | %6.1f | %6.1f | %5.2f | %d |\n",
	    target, n, phase, r->n, r->n / r->secs, r->bytes / r->secs / 1e6, r->p50, r->p99,
	    r->max, gb > 0 ? r->cpu / gb : 0, r->errors);
	fflush(stdout);
}

/* --- the disk's limit ---------------------------------------------------------------- */

struct fsync_job {
	int id, files, durable;
	const uint8_t *buf;
};

static void *
fsync_main(void *arg)
{
	struct fsync_job *j = arg;
	char path[1300], final[1300], dir[1200];

	snprintf(dir, sizeof(dir), "%s/fsync", work);
	for (int i = 0; i < j->files; i++) {
		int fd;
		snprintf(path, sizeof(path), "%s/t%d-%d", dir, j->id, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
		    write(fd, j->buf, SEG_PT) != (ssize_t)SEG_PT || fsync(fd) != 0)
			die("fsync bench");
		close(fd);
		if (j->durable) {
			/* The whole durable sequence sealcamd runs per object. */
			int dfd = -1;
			snprintf(final, sizeof(final), "%s/f%d-%d", dir, j->id, i);
			if (rename(path, final) != 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0 ||
			    fsync(dfd) != 0)
				die("fsync dir");
			close(dfd);
		}
	}
	return NULL;
}

static double
fsync_rate(int nthreads, int per, int durable)
{
	pthread_t th[64];
	struct fsync_job jobs[64];
	uint8_t *buf = malloc(SEG_PT);
	char dir[1200];
	int64_t t0;
	double secs;

	snprintf(dir, sizeof(dir), "%s/fsync", work);
	rmrf(dir);
	mkdir(dir, 0700);
	randombytes_buf(buf, SEG_PT);
	t0 = now_us();
	for (int t = 0; t < nthreads; t++) {
		jobs[t] = (struct fsync_job){ t, per, durable, buf };
		pthread_create(&th[t], NULL, fsync_main, &jobs[t]);
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	secs = (double)(now_us() - t0) / 1e6;
	rmrf(dir);
	free(buf);
	return nthreads * per / secs;
}

/* CPU seconds per GB of BLAKE2b-256 (libsodium), the floor of verifying. */
static double
blake2b_cost(void)
{
	size_t n = 64u << 20;
	uint8_t *buf = malloc(n), out[32];
	struct timespec a, b;
	double s;

	randombytes_buf(buf, n);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (int i = 0; i < 8; i++)
		crypto_generichash(out, sizeof(out), buf, n, NULL, 0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	free(buf);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return s / (8.0 * (double)n / 1e9);
}

int
main(int argc, char **argv)
{
	int scales[8] = { 10, 100, 500 }, nscales = 3;
	struct server targets[2] = { { .name = "sealcamd" }, { .name = "nginx", .is_nginx = 1 } };
	int ntargets = 2;

	snprintf(work, sizeof(work), "%s/sealcam-ingest", getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sealcamd") == 0 && i + 1 < argc)
			sealcamd_bin = argv[++i];
		else if (strcmp(argv[i], "--nginx") == 0 && i + 1 < argc)
			nginx_bin = argv[++i];
		else if (strcmp(argv[i], "--no-nginx") == 0)
			ntargets = 1;
		else if (strcmp(argv[i], "--keep") == 0)
			keep_objects = 1;
		else if (strcmp(argv[i], "--no-limits") == 0)
			no_limits = 1;
		else if (strcmp(argv[i], "--phase") == 0 && i + 1 < argc) {
			i++;
			phases = strcmp(argv[i], "paced") == 0 ? 2 : strcmp(argv[i], "flood") == 0 ? 1 : 3;
		}
		else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
			snprintf(work, sizeof(work), "%s", argv[++i]);
		else if (strcmp(argv[i], "--segs") == 0 && i + 1 < argc)
			snprintf(segs_dir, sizeof(segs_dir), "%s", argv[++i]);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--period-ms") == 0 && i + 1 < argc)
			period_us = strtoll(argv[++i], NULL, 10) * 1000;
		else if (strcmp(argv[i], "--scales") == 0 && i + 1 < argc) {
			char *s = argv[++i], *end;
			nscales = 0;
			while (*s && nscales < 8) {
				scales[nscales++] = (int)strtol(s, &end, 10);
				s = *end == ',' ? end + 1 : end;
			}
		} else {
			fprintf(stderr, "usage: ingest [--sealcamd BIN] [--nginx BIN | --no-nginx]"
			    " [--work DIR] [--scales 10,100,500] [--period-ms 4000] [--threads 8]"
			    " [--phase paced|flood|both] [--no-limits] [--segs DIR] [--keep]\n");
			return 2;
		}
	}
	if (segs_dir[0] == '\0')
		snprintf(segs_dir, sizeof(segs_dir), "%s/segs", work);
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < nscales; i++)
		if (scales[i] > ncams)
			ncams = scales[i];
	if (ncams > MAX_CAMS || ncams <= 0)
		return 2;
	if (ntargets == 2 && access(nginx_bin, X_OK) != 0) {
		fprintf(stderr, "ingest: %s missing: run scripts/deps.sh bench (installs nginx-core)\n",
		    nginx_bin);
		return 1;
	}
	prepare();

	if (!no_limits) {
		printf("# BLAKE2b-256 (libsodium, one core): %.2f CPU s/GB\n", blake2b_cost());
		printf("# fsync limit, 2 MiB files: write+fsync 1 thread %.0f files/s; "
		    "write+fsync+rename+fsync dir, %u threads %.0f files/s\n",
		    fsync_rate(1, 150, 0), threads, fsync_rate((int)threads, 300 / (int)threads, 1));
	}
	printf("| target   |    N | phase  |  segs | segs/s  |  MB/s   | p50 ms | p99 ms | max ms | CPU s/GB | errors |\n"
	    "|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (int si = 0; si < nscales; si++) {
		int n = scales[si], segs = segs_for(n - 1);
		for (int t = 0; t < ntargets; t++) {
			for (int paced = 1; paced >= 0; paced--) {
				struct result r;
				struct reclaim *rc;
				if (!(phases & (1 << paced)))
					continue;
				check_space(n, segs);
				server_start(&targets[t]);
				if (!targets[t].is_nginx)
					setup_sealcamd(&targets[t], n);
				rc = keep_objects ? NULL : reclaim_start(&targets[t]);
				r = run_phase(&targets[t], n, segs, paced);
				if (rc != NULL && rc->deleted < r.n - r.errors)
					fprintf(stderr, "# reclaimer: %ld of %d objects deleted\n",
					    rc->deleted, r.n - r.errors);
				reclaim_stop(rc);
				print_result(targets[t].name, n, paced ? "paced" : "flood", &r);
				server_stop(&targets[t]);
				rmrf(targets[t].dir);
			}
		}
	}
	if (!no_limits) {
		printf("# fsync limit after the run: write+fsync+rename+fsync dir, %u threads %.0f files/s\n",
		    threads, fsync_rate((int)threads, 300 / (int)threads, 1));
		printf("# BLAKE2b-256 after the run: %.2f CPU s/GB\n", blake2b_cost());
	}
	curl_global_cleanup();
	return 0;
}
