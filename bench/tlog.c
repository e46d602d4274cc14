/*
 * bench/tlog — the transparency log's figures (docs/BENCHMARKS.md):
 *
 *   1. durable appends/s with batching: many producer threads submit real
 *      144-byte entries; each is acknowledged only once the checkpoint
 *      covering it is durable (fsync). Saturation run (as fast as the
 *      writer goes) and a paced run at --rate (open loop), with the
 *      integration latency p50/p99 (submit -> callback).
 *   2. bytes per entry on disk after the append runs.
 *   3. inclusion-proof time from tiles at 1 M and --big (10 M) entries,
 *      the trees built in bulk (no fsync); random leaves with a cold tile
 *      cache (page cache warm), and recent leaves (the server's case).
 *   4. limits measured in the same run: SHA-256 of one tree node
 *      (tlog_node_hash: OpenSSL, SHA extensions where the CPU has them)
 *      and 8 KiB file write + fdatasync + rename.
 *
 *   build/bench/tlog [--seconds S] [--producers P] [--rate R] [--big N]
 *                    [--dir D] [--quick] [--proofs-only]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "tlog_entry.h"
#include "tlog_note.h"
#include "tlog_store.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time of this thread: what a proof costs without the preemptions a
 * loaded 2-core box adds to wall time. */
static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1));
	return v[i];
}

static uint64_t du_tree;	/* bytes allocated (st_blocks) */
static uint64_t du_apparent;	/* file sizes */

static int du_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p;
	(void)f;
	if (flag == FTW_F) {
		du_tree += (uint64_t)st->st_blocks * 512;
		du_apparent += (uint64_t)st->st_size;
	}
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

/* --- appends ---------------------------------------------------------------- */

#define MAX_ENTRIES (8u << 20)

static double *t_submit;	/* per submitted entry */
static double *lat;		/* per integrated entry */
static atomic_size_t n_done, n_failed;
static atomic_size_t next_slot;

struct producer {
	struct tlog_store *s;
	int id;
	double start, stop;	/* run window */
	double rate;		/* entries/s for this producer; 0 = saturate */
	atomic_long outstanding;
	long max_outstanding;
	size_t submitted;
};

static struct producer *producers;

/* cookie = slot | producer << 24 (MAX_ENTRIES is 2^23) */
static void callback_done(void *cookie, int status, uint64_t index)
{
	size_t c = (size_t)(uintptr_t)cookie, slot = c & (MAX_ENTRIES - 1);

	(void)index;
	if (status != 0)
		atomic_fetch_add(&n_failed, 1);
	else
		lat[atomic_fetch_add(&n_done, 1)] = now_s() - t_submit[slot];
	atomic_fetch_sub(&producers[c >> 24].outstanding, 1);
}

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct tlog_entry e;
	uint8_t buf[TLOG_ENTRY_LEN];
	uint64_t k = 0;

	memset(&e, 0, sizeof(e));
	e.type = TLOG_E_STAFF_ACCESS;
	randombytes_buf(e.account, sizeof(e.account));
	randombytes_buf(e.subject, sizeof(e.subject));
	randombytes_buf(e.actor, sizeof(e.actor));
	while (now_s() < p->start)
		usleep(100);
	for (;;) {
		double t = now_s();
		size_t slot;

		if (t >= p->stop)
			break;
		if (p->rate > 0) {
			/* open loop: entry k is due at start + k / rate */
			double due = p->start + (double)k / p->rate;

			if (due > t) {
				usleep((useconds_t)((due - t) * 1e6));
				continue;
			}
		} else if (atomic_load(&p->outstanding) >= p->max_outstanding) {
			usleep(200);
			continue;
		}
		/* a distinct, canonical entry each time */
		e.seq = k;
		e.time_ms = (uint64_t)(t * 1000);
		if (k > 0)
			memcpy(e.prev, buf + 112, 32);
		randombytes_buf(e.commitment, sizeof(e.commitment));
		if (tlog_entry_encode(&e, buf) != 0)
			abort();
		slot = atomic_fetch_add(&next_slot, 1);
		if (slot >= MAX_ENTRIES)
			break;
		t_submit[slot] = now_s();
		atomic_fetch_add(&p->outstanding, 1);
		if (tlog_store_submit(p->s, buf, sizeof(buf), callback_done,
		    (void *)(uintptr_t)(slot | ((size_t)p->id << 24))) != 0) {
			atomic_fetch_sub(&p->outstanding, 1);
			atomic_fetch_add(&n_failed, 1);
		}
		p->submitted++;
		k++;
	}
	return NULL;
}

struct run_result {
	double secs, window, drain, rate, p50, p99, max;
	size_t done, failed;
	uint64_t batches;
};

/* One append run on store s: nprod producers for secs seconds. */
static void run_appends(struct tlog_store *s, int nprod, double secs,
    double total_rate, struct run_result *r)
{
	pthread_t th[64];
	struct tlog_store_stats st0, st1;
	double start, end;
	size_t done;

	atomic_store(&n_done, 0);
	atomic_store(&n_failed, 0);
	atomic_store(&next_slot, 0);
	producers = calloc((size_t)nprod, sizeof(*producers));
	tlog_store_stats(s, &st0);
	start = now_s() + 0.05;
	for (int i = 0; i < nprod; i++) {
		producers[i].s = s;
		producers[i].id = i;
		producers[i].start = start;
		producers[i].stop = start + secs;
		producers[i].rate = total_rate > 0 ? total_rate / nprod : 0;
		/* enough in flight to keep batches full, not so much that
		 * latency only measures our own queue */
		producers[i].max_outstanding = 2048;
		pthread_create(&th[i], NULL, producer_main, &producers[i]);
	}
	for (int i = 0; i < nprod; i++)
		pthread_join(th[i], NULL);
	/* wait for every submitted entry's callback */
	while (atomic_load(&n_done) + atomic_load(&n_failed) < atomic_load(&next_slot))
		usleep(1000);
	end = now_s();
	tlog_store_stats(s, &st1);
	done = atomic_load(&n_done);
	qsort(lat, done, sizeof(double), cmp_double);
	r->secs = end - start;
	r->window = secs;
	r->drain = end - (start + secs);
	r->done = done;
	r->failed = atomic_load(&n_failed);
	/* saturated: what got durable per second of the whole run; paced:
	 * the offered load is the rate when everything integrated */
	r->rate = (double)done / r->secs;
	r->p50 = pct(lat, done, 0.50);
	r->p99 = pct(lat, done, 0.99);
	r->max = done ? lat[done - 1] : 0;
	r->batches = st1.batches - st0.batches;
	free(producers);
	producers = NULL;
}

/* --- proofs -------------------------------------------------------------------- */

static int build_tree(const char *dir, struct tlog_signer *sg, uint64_t n,
    double *secs)
{
	struct tlog_store_opts o = { .flags = TLOG_STORE_NOSYNC };
	struct tlog_store *s = tlog_store_open(dir, sg, &o);
	enum { CHUNK = 65536 };
	static uint8_t data[CHUNK][32];
	static const uint8_t *ents[CHUNK];
	static size_t lens[CHUNK];
	double t0 = now_s();

	if (s == NULL)
		return -1;
	for (uint64_t i = 0; i < n; i += CHUNK) {
		size_t k = (size_t)(n - i < CHUNK ? n - i : CHUNK);
		uint64_t first;

		for (size_t j = 0; j < k; j++) {
			/* 32-byte entries: the entry size does not change proofs */
			uint64_t v = i + j;

			memset(data[j], 0, 32);
			memcpy(data[j], &v, sizeof(v));
			ents[j] = data[j];
			lens[j] = 32;
		}
		if (tlog_store_append_many(s, ents, lens, k, &first) != 0) {
			tlog_store_free(s);
			return -1;
		}
	}
	tlog_store_free(s);
	*secs = now_s() - t0;
	return 0;
}

/* Read every file of the tree once, so the timing below sees a warm page
 * cache (what a server that has been running has for its hot tiles). */
static uint64_t warm_bytes;
static int warm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	static uint8_t buf[1 << 16];
	int fd;

	(void)st;
	(void)f;
	if (flag != FTW_F || (fd = open(p, O_RDONLY)) < 0)
		return 0;
	for (ssize_t r; (r = read(fd, buf, sizeof(buf))) > 0;)
		warm_bytes += (uint64_t)r;
	close(fd);
	return 0;
}

struct proof_result {
	double mean_us, p50_us, p99_us, verify_us, cpu_p50_us, cpu_p99_us;
	uint64_t hits, misses;
	int bad;
};

/* Time k inclusion proofs at size n, on a freshly opened store (empty tile
 * cache). recent: leaves among the last 4096 instead of anywhere. */
static void time_proofs(const char *dir, struct tlog_signer *sg,
    struct tlog_verifier *v, uint64_t n, size_t k, int recent,
    struct proof_result *r)
{
	struct tlog_store_opts o = { .flags = TLOG_STORE_NOSYNC };
	struct tlog_store *s = tlog_store_open(dir, sg, &o);
	double *t = malloc(k * sizeof(double)), sum = 0, vsum = 0;
	double *ct = malloc(k * sizeof(double));
	char note[1024];
	size_t len;
	uint64_t size;
	struct tlog_checkpoint cp;
	struct tlog_store_stats st;

	memset(r, 0, sizeof(*r));
	if (s == NULL || t == NULL || ct == NULL ||
	    tlog_store_checkpoint(s, note, sizeof(note), &len, &size) != 0 ||
	    tlog_checkpoint_open(note, len, v, NULL, &cp) != 0 || cp.size != n) {
		r->bad = 1;
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		uint64_t idx = recent ? n - 1 - randombytes_uniform(4096) :
		    ((uint64_t)randombytes_random() << 32 | randombytes_random()) % n;
		struct tlog_proof p;
		uint8_t e[32], lh[32];
		double a, b, c, ca;

		memset(e, 0, 32);
		memcpy(e, &idx, sizeof(idx));
		tlog_leaf_hash(e, 32, lh);
		ca = cpu_s();
		a = now_s();
		if (tlog_store_prove_inclusion(s, idx, n, &p) != 0) {
			r->bad++;
			continue;
		}
		b = now_s();
		ct[i] = (cpu_s() - ca) * 1e6;
		if (tlog_verify_inclusion(lh, 32, idx, n, &p, cp.root, 32) != 0)
			r->bad++;
		c = now_s();
		t[i] = (b - a) * 1e6;
		sum += t[i];
		vsum += (c - b) * 1e6;
	}
	tlog_store_stats(s, &st);
	qsort(t, k, sizeof(double), cmp_double);
	qsort(ct, k, sizeof(double), cmp_double);
	r->cpu_p50_us = pct(ct, k, 0.5);
	r->cpu_p99_us = pct(ct, k, 0.99);
	r->mean_us = sum / (double)k;
	r->p50_us = pct(t, k, 0.5);
	r->p99_us = pct(t, k, 0.99);
	r->verify_us = vsum / (double)k;
	r->hits = st.cache_hits;
	r->misses = st.cache_misses;
out:
	free(t);
	free(ct);
	tlog_store_free(s);
}

/* --- limits ----------------------------------------------------------------------- */

static double node_hash_us(void)
{
	uint8_t a[32] = { 1 }, b[32] = { 2 };
	int n = 200000;
	double t0 = now_s();

	for (int i = 0; i < n; i++)
		tlog_node_hash(a, b, a);
	return (now_s() - t0) * 1e6 / n;
}

static double fsync_files_per_s(const char *dir)
{
	char p[1100], q[1120];
	static uint8_t buf[8192];
	int n = 100;
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/f%d", dir, i);
		snprintf(q, sizeof(q), "%s/f%d.tmp", dir, i);
		fd = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    fdatasync(fd) != 0 || close(fd) != 0 || rename(q, p) != 0)
			return 0;
	}
	return n / (now_s() - t0);
}

int main(int argc, char **argv)
{
	double secs = 6, rate = 20000, t_build;
	int nprod = 8, quick = 0, skip_appends = 0;
	uint64_t big = 10000000;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[1024], vk[TLOG_VKEY_MAX];
	struct tlog_signer *sg;
	struct tlog_verifier *v;
	struct run_result sat, paced;
	struct tlog_store *s;
	struct tlog_store_opts o = { 0 };
	struct tlog_store_stats st;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--producers") && i + 1 < argc)
			nprod = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--big") && i + 1 < argc)
			big = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			base = argv[++i];
		else if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--proofs-only"))
			skip_appends = 1;
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--producers P] "
			    "[--rate R] [--big N] [--dir D] [--quick] [--proofs-only]\n", argv[0]);
			return 2;
		}
	}
	if (quick) {
		secs = 3;
		big = 1000000;
	}
	if (nprod < 1 || nprod > 64 || sodium_init() < 0)
		return 2;
	t_submit = calloc(MAX_ENTRIES, sizeof(double));
	lat = calloc(MAX_ENTRIES, sizeof(double));
	sg = tlog_signer_generate("bench.sealcam.example/log");
	if (t_submit == NULL || lat == NULL || sg == NULL ||
	    tlog_signer_vkey(sg, vk, sizeof(vk)) != 0 ||
	    (v = tlog_verifier_parse(vk)) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/tlog-bench-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}

	printf("limits: SHA-256 tree node (tlog_node_hash) %.3f us; 8 KiB write+fdatasync+rename %.0f files/s\n",
	    node_hash_us(), fsync_files_per_s(dir));

	/* 1. durable appends */
	if (!skip_appends) {
		char d[1100];

		snprintf(d, sizeof(d), "%s/appends", dir);
		s = tlog_store_open(d, sg, &o);
		if (s == NULL)
			return 1;
		run_appends(s, nprod, secs, 0, &sat);
		printf("durable appends, saturated: %d producers, %.1f s: %zu entries, "
		    "%.0f appends/s, %llu batches (%.0f entries/batch), latency p50 %.3f s "
		    "p99 %.3f s max %.3f s, failed %zu\n",
		    nprod, sat.secs, sat.done, sat.rate, (unsigned long long)sat.batches,
		    sat.batches ? (double)sat.done / (double)sat.batches : 0,
		    sat.p50, sat.p99, sat.max, sat.failed);
		for (int k = 1; k <= 2; k++) {
			run_appends(s, nprod, secs, rate * k, &paced);
			printf("durable appends, paced at %.0f/s for %.1f s: %zu entries durable "
			    "(%.0f/s over the window, last %.2f s after it), %llu batches, "
			    "latency p50 %.3f s p99 %.3f s max %.3f s, failed %zu\n",
			    rate * k, paced.window, paced.done,
			    (double)paced.done / paced.window, paced.drain,
			    (unsigned long long)paced.batches, paced.p50, paced.p99,
			    paced.max, paced.failed);
		}
		tlog_store_stats(s, &st);
		tlog_store_free(s);
		du_tree = du_apparent = 0;
		nftw(d, du_one, 64, FTW_PHYS);
		printf("disk: %llu entries of %d bytes: %.1f bytes/entry allocated, "
		    "%.1f bytes/entry in files (tiles + bundles + interior hashes)\n",
		    (unsigned long long)st.size, TLOG_ENTRY_LEN,
		    (double)du_tree / (double)st.size,
		    (double)du_apparent / (double)st.size);
		rm_rf(d);
	}

	/* 2. proofs at 1 M and big */
	{
		uint64_t sizes[2] = { 1000000, big };

		for (int i = 0; i < (big > 1000000 ? 2 : 1); i++) {
			char d[1100];
			struct proof_result cold, recent;

			snprintf(d, sizeof(d), "%s/tree%d", dir, i);
			if (build_tree(d, sg, sizes[i], &t_build) != 0) {
				fprintf(stderr, "build failed\n");
				return 1;
			}
			warm_bytes = 0;
			nftw(d, warm_one, 64, FTW_PHYS);
			time_proofs(d, sg, v, sizes[i], 20000, 0, &cold);
			time_proofs(d, sg, v, sizes[i], 20000, 1, &recent);
			printf("proofs at %llu entries (built in %.1f s, %.1f MB on disk, page cache warm): random leaves "
			    "(cold tile cache) mean %.1f us p50 %.1f us p99 %.1f us, thread CPU "
			    "p50 %.1f us p99 %.1f us "
			    "[cache %llu hits / %llu misses]; recent leaves mean %.1f us "
			    "p50 %.1f us p99 %.1f us; verify %.1f us; bad %d\n",
			    (unsigned long long)sizes[i], t_build, (double)warm_bytes / 1e6,
			    cold.mean_us, cold.p50_us, cold.p99_us, cold.cpu_p50_us,
			    cold.cpu_p99_us,
			    (unsigned long long)cold.hits, (unsigned long long)cold.misses,
			    recent.mean_us, recent.p50_us, recent.p99_us, cold.verify_us,
			    cold.bad + recent.bad);
			rm_rf(d);
		}
	}
	rm_rf(dir);
	tlog_verifier_free(v);
	tlog_signer_free(sg);
	free(t_submit);
	free(lat);
	return 0;
}
