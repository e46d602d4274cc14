/*
 * tlog_store — the durable tile store and sequencer: tile layout on disk,
 * proofs from tiles equal to proofs from memory, partial-to-full tile
 * transitions, serving only what is published, concurrent producers, and
 * crash recovery (a child killed with SIGKILL during a burst of appends).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "t.h"
#include "tlog_note.h"
#include "tlog_store.h"

static struct tlog_signer *signer;
static struct tlog_verifier *verifier;
static const char *origin = "sealcam.test/log";

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tmpdir(void)
{
	static char buf[8][64];
	static int n;
	char *d = buf[n++ % 8];

	return t_mkdtemp(d, sizeof(buf[0]), "tlog-test");
}

static int exists(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0;
}

static size_t entry_of(uint64_t i, uint8_t *buf)
{
	/* Varying lengths, so bundle offsets matter. */
	return (size_t)snprintf((char *)buf, 64, "entry %llu %.*s",
	    (unsigned long long)i, (int)(i % 23), "abcdefghijklmnopqrstuvwxyz");
}

static int checkpoint_of(struct tlog_store *s, struct tlog_checkpoint *c)
{
	char note[1024];
	size_t len;
	uint64_t size;

	if (tlog_store_checkpoint(s, note, sizeof(note), &len, &size) != 0)
		return -1;
	if (tlog_checkpoint_open(note, len, verifier, origin, c) != 0)
		return -1;
	return c->size == size ? 0 : -1;
}

/* Append entries [from, to) in batches of the given sizes (cycled). */
static int bulk(struct tlog_store *s, struct tlog_mem *m, uint64_t from,
    uint64_t to, const size_t *sizes, size_t nsizes, uint64_t *cps, size_t *ncps)
{
	static uint8_t bufs[4096][64];
	const uint8_t *ents[4096];
	size_t lens[4096], k = 0;

	while (from < to) {
		size_t n = sizes[k++ % nsizes];
		uint64_t first;

		if (n > to - from)
			n = (size_t)(to - from);
		for (size_t i = 0; i < n; i++) {
			uint8_t lh[32];

			lens[i] = entry_of(from + i, bufs[i]);
			ents[i] = bufs[i];
			tlog_leaf_hash(ents[i], lens[i], lh);
			if (tlog_mem_append(m, lh) != 0)
				return -1;
		}
		if (tlog_store_append_many(s, ents, lens, n, &first) != 0 ||
		    first != from)
			return -1;
		from += n;
		if (cps != NULL)
			cps[(*ncps)++] = from;
	}
	return 0;
}

static int proofs_equal(const struct tlog_proof *a, const struct tlog_proof *b)
{
	return a->n == b->n && memcmp(a->h, b->h, a->n * 32) == 0;
}

/* --- layout and proofs ----------------------------------------------------- */

static void test_layout_70000(void)
{
	/* a tiny tile cache: eviction on almost every read */
	struct tlog_store_opts o = { .origin = origin, .flags = TLOG_STORE_NOSYNC,
	    .cache_tiles = 3 };
	char *dir = tmpdir();
	struct tlog_store *s = tlog_store_open(dir, signer, &o);
	struct tlog_mem *m = tlog_mem_new();
	struct tlog_hashsrc ms;
	struct tlog_checkpoint c;
	static const size_t sizes[] = { 1000, 4000, 77, 300, 1, 2000, 255, 256, 3000 };
	static uint64_t cps[1000];
	size_t ncps = 0, bad = 0, checked = 0;
	uint8_t root[32];

	t_case("70,000 entries: the C2SP example tile set exists; proofs and roots from tiles equal those from memory");
	T_ASSERT(s != NULL);
	if (s == NULL)
		return;
	tlog_mem_source(m, &ms);
	T_ASSERT(bulk(s, m, 0, 70000, sizes, 9, cps, &ncps) == 0);
	T_ASSERT(checkpoint_of(s, &c) == 0);
	T_EQ(c.size, 70000);
	T_ASSERT(tlog_tree_hash(&ms, 70000, root) == 0);
	T_MEMEQ(c.root, root, 32);
	/* "273 full level 0 tiles, one partial level 0 tile of width 112, one
	 * full level 1 tile, one partial level 1 tile of width 17, and one
	 * partial level 2 tile of width 1" */
	T_ASSERT(exists(dir, "tile/0/272"));
	T_ASSERT(!exists(dir, "tile/0/273"));
	T_ASSERT(exists(dir, "tile/0/273.p/112"));
	T_ASSERT(exists(dir, "tile/entries/272"));
	T_ASSERT(exists(dir, "tile/entries/273.p/112"));
	T_ASSERT(exists(dir, "tile/1/000"));
	T_ASSERT(exists(dir, "tile/1/001.p/17"));
	T_ASSERT(!exists(dir, "tile/1/001"));
	T_ASSERT(exists(dir, "tile/2/000.p/1"));
	T_ASSERT(!exists(dir, "tile/3"));
	/* Partials of completed tiles are gone; those of the edge stay. */
	T_ASSERT(!exists(dir, "tile/0/000.p"));
	T_ASSERT(!exists(dir, "tile/1/000.p"));
	/* Every checkpoint size, a spread of indexes, and sizes that were
	 * never a checkpoint. */
	for (size_t k = 0; k < ncps + 40; k++) {
		uint64_t n = k < ncps ? cps[k] : 1 + (uint64_t)randombytes_uniform(70000);
		struct tlog_proof a, b;

		T_ASSERT(tlog_store_tree_hash(s, n, root) == 0);
		{
			uint8_t want[32];

			T_ASSERT(tlog_tree_hash(&ms, n, want) == 0);
			bad += memcmp(root, want, 32) != 0;
		}
		for (int j = 0; j < 8; j++) {
			uint64_t i = j == 0 ? n - 1 : j == 1 ? 0 : randombytes_uniform((uint32_t)n);
			uint64_t m1 = 1 + randombytes_uniform((uint32_t)n);

			checked++;
			if (tlog_store_prove_inclusion(s, i, n, &a) != 0 ||
			    tlog_prove_inclusion(&ms, i, n, &b) != 0 || !proofs_equal(&a, &b))
				bad++;
			if (tlog_store_prove_consistency(s, m1, n, &a) != 0 ||
			    tlog_prove_consistency(&ms, m1, n, &b) != 0 || !proofs_equal(&a, &b))
				bad++;
		}
	}
	printf("# %zu proof pairs compared at %zu sizes\n", checked, ncps + 40);
	T_EQ(bad, 0);
	/* Beyond the published tree: refused. */
	{
		struct tlog_proof p;

		T_ASSERT(tlog_store_prove_inclusion(s, 5, 70001, &p) == -1);
		T_ASSERT(tlog_store_prove_consistency(s, 5, 70001, &p) == -1);
		T_ASSERT(tlog_store_tree_hash(s, 70001, root) == -1);
	}
	tlog_store_free(s);
	tlog_mem_free(m);
	rm_rf(dir);
}

/* --- partial -> full, durable, one entry per batch -------------------------- */

static void test_transitions(void)
{
	/* Layout, not durability (the crash test covers that): no fsync,
	 * so 300 batches take no time. */
	struct tlog_store_opts o = { .origin = origin, .interval_ms = 1,
	    .flags = TLOG_STORE_NOSYNC };
	char *dir = tmpdir();
	struct tlog_store *s = tlog_store_open(dir, signer, &o);
	struct tlog_checkpoint c;
	uint8_t e[64], got[64];
	size_t len, glen;
	int wrong_index = 0, wrong_files = 0, wrong_entries = 0;
	char rel[TLOG_PATH_MAX];

	t_case("one entry per batch to 300: partial tiles .p/1..255 appear, the full tile replaces them, entries read back");
	T_ASSERT(s != NULL);
	if (s == NULL)
		return;
	T_ASSERT(checkpoint_of(s, &c) == 0);
	T_EQ(c.size, 0);
	for (uint64_t i = 0; i < 300; i++) {
		uint64_t idx;

		len = entry_of(i, e);
		if (tlog_store_append(s, e, len, &idx) != 0 || idx != i)
			wrong_index++;
		if (i < 255) {
			/* the edge tile of every checkpoint so far is there */
			T_ASSERT(tlog_tile_path(rel, 0, 0, (unsigned)i + 1) == 0);
			wrong_files += !exists(dir, rel);
			T_ASSERT(tlog_tile_path(rel, TLOG_LEVEL_ENTRIES, 0, (unsigned)i + 1) == 0);
			wrong_files += !exists(dir, rel);
			if (i > 0) {
				T_ASSERT(tlog_tile_path(rel, 0, 0, (unsigned)i) == 0);
				wrong_files += !exists(dir, rel);
			}
		}
	}
	T_EQ(wrong_index, 0);
	T_EQ(wrong_files, 0);
	T_ASSERT(exists(dir, "tile/0/000"));
	T_ASSERT(exists(dir, "tile/entries/000"));
	T_ASSERT(!exists(dir, "tile/0/000.p"));
	T_ASSERT(!exists(dir, "tile/entries/000.p"));
	T_ASSERT(exists(dir, "tile/0/001.p/44"));
	T_ASSERT(exists(dir, "tile/0/001.p/1"));
	T_ASSERT(exists(dir, "tile/1/000.p/1"));
	T_ASSERT(checkpoint_of(s, &c) == 0);
	T_EQ(c.size, 300);
	for (uint64_t i = 0; i < 300; i++) {
		len = entry_of(i, e);
		if (tlog_store_read_entry(s, i, got, sizeof(got), &glen) != 0 ||
		    glen != len || memcmp(got, e, len) != 0)
			wrong_entries++;
	}
	T_EQ(wrong_entries, 0);
	T_ASSERT(tlog_store_read_entry(s, 300, got, sizeof(got), &glen) == -1);
	T_ASSERT(tlog_store_read_entry(s, 0, got, 3, &glen) == -1);
	tlog_store_free(s);

	/* Reopen: same state, appends continue where they stopped. */
	s = tlog_store_open(dir, signer, &o);
	T_ASSERT(s != NULL);
	if (s != NULL) {
		uint64_t idx;

		len = entry_of(300, e);
		T_ASSERT(tlog_store_append(s, e, len, &idx) == 0);
		T_EQ(idx, 300);
		T_ASSERT(checkpoint_of(s, &c) == 0);
		T_EQ(c.size, 301);
		tlog_store_free(s);
	}
	rm_rf(dir);
}

static void test_serving(void)
{
	struct tlog_store_opts o = { .origin = origin, .flags = TLOG_STORE_NOSYNC };
	char *dir = tmpdir();
	struct tlog_store *s = tlog_store_open(dir, signer, &o);
	struct tlog_mem *m = tlog_mem_new();
	static const size_t sizes[] = { 300, 10 };
	uint64_t sz;
	int fd;

	t_case("serving: published tiles and bundles open with their size; unpublished, removed or malformed paths do not");
	T_ASSERT(s != NULL);
	if (s == NULL)
		return;
	T_ASSERT(bulk(s, m, 0, 310, sizes, 2, NULL, NULL) == 0);
	T_EQ(tlog_store_open_file(s, "tile/0/000", &fd, &sz), 0);
	T_EQ(sz, 8192);
	close(fd);
	T_EQ(tlog_store_open_file(s, "tile/0/001.p/54", &fd, &sz), 0);
	T_EQ(sz, 54 * 32);
	close(fd);
	T_EQ(tlog_store_open_file(s, "tile/0/001.p/44", &fd, &sz), 0); /* size 300 */
	close(fd);
	T_EQ(tlog_store_open_file(s, "tile/1/000.p/1", &fd, &sz), 0);
	T_EQ(sz, 32);
	close(fd);
	T_EQ(tlog_store_open_file(s, "tile/entries/000", &fd, &sz), 0);
	close(fd);
	T_EQ(tlog_store_open_file(s, "tile/0/001.p/55", &fd, &sz), -1);	/* beyond */
	T_EQ(tlog_store_open_file(s, "tile/0/001", &fd, &sz), -1);
	T_EQ(tlog_store_open_file(s, "tile/0/001.p/50", &fd, &sz), -1);	/* never a checkpoint */
	T_EQ(tlog_store_open_file(s, "tile/0/000.p/5", &fd, &sz), -1);	/* removed */
	T_EQ(tlog_store_open_file(s, "tile/0/../../etc/passwd", &fd, &sz), -1);
	T_EQ(tlog_store_open_file(s, "inner/0", &fd, &sz), -1);
	T_EQ(tlog_store_open_file(s, "pending", &fd, &sz), -1);
	T_EQ(tlog_store_open_file(s, "checkpoint", &fd, &sz), -1);
	tlog_store_free(s);
	tlog_mem_free(m);
	rm_rf(dir);
}

/* --- recovery from leftovers, refusal of bad state ---------------------------- */

static void put(const char *dir, const char *rel, const void *buf, size_t len)
{
	char p[512], d[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	snprintf(d, sizeof(d), "%s", p);
	*strrchr(d, '/') = '\0';
	mkdir(d, 0755);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, len) != (ssize_t)len)
			T_ASSERT(0);
		close(fd);
	}
}

static void test_leftovers(void)
{
	struct tlog_store_opts o = { .origin = origin };
	char *dir = tmpdir();
	struct tlog_store *s = tlog_store_open(dir, signer, &o);
	struct tlog_mem *m = tlog_mem_new();
	struct tlog_hashsrc ms;
	struct tlog_checkpoint c;
	static const size_t sizes[] = { 300 };
	static uint8_t junk[8192];
	uint8_t root[32];

	t_case("recovery: files of an interrupted batch (named by pending) are removed and rewritten correctly");
	T_ASSERT(s != NULL);
	if (s == NULL)
		return;
	tlog_mem_source(m, &ms);
	T_ASSERT(bulk(s, m, 0, 300, sizes, 1, NULL, NULL) == 0);
	tlog_store_free(s);
	/* What a batch 300 -> 700 killed before its checkpoint leaves. */
	memset(junk, 0xee, sizeof(junk));
	{
		/* pending record: 700 big-endian, then its complement */
		uint8_t rec[16] = { 0 };

		rec[6] = 700 >> 8;
		rec[7] = 700 & 255;
		for (int i = 0; i < 8; i++)
			rec[8 + i] = (uint8_t)~rec[i];
		put(dir, "pending", rec, 16);
	}
	put(dir, "tile/0/001", junk, 8192);
	put(dir, "tile/0/002.p/188", junk, 188 * 32);
	put(dir, "tile/1/000.p/2", junk, 64);
	put(dir, "tile/entries/001", junk, 100);
	put(dir, "tile/entries/002.p/188", junk, 100);
	s = tlog_store_open(dir, signer, &o);
	T_ASSERT(s != NULL);
	if (s == NULL)
		goto out;
	T_ASSERT(!exists(dir, "tile/0/001"));
	T_ASSERT(!exists(dir, "tile/0/002.p/188"));
	T_ASSERT(!exists(dir, "tile/1/000.p/2"));
	T_ASSERT(!exists(dir, "tile/entries/001"));
	T_ASSERT(!exists(dir, "tile/entries/002.p/188"));
	T_ASSERT(exists(dir, "tile/0/001.p/44"));	/* published: kept */
	T_ASSERT(exists(dir, "tile/1/000.p/1"));
	/* The same batch done for real now: tiles and proofs are right. */
	T_ASSERT(bulk(s, m, 300, 700, sizes, 1, NULL, NULL) == 0);
	T_ASSERT(checkpoint_of(s, &c) == 0);
	T_EQ(c.size, 700);
	T_ASSERT(tlog_tree_hash(&ms, 700, root) == 0);
	T_MEMEQ(c.root, root, 32);
	{
		struct tlog_proof a, b;

		T_ASSERT(tlog_store_prove_inclusion(s, 400, 700, &a) == 0);
		T_ASSERT(tlog_prove_inclusion(&ms, 400, 700, &b) == 0);
		T_ASSERT(proofs_equal(&a, &b));
	}
	tlog_store_free(s);
out:
	tlog_mem_free(m);
	rm_rf(dir);
}

static void test_refusals(void)
{
	struct tlog_store_opts o = { .origin = origin, .flags = TLOG_STORE_NOSYNC };
	struct tlog_store_opts other_origin = { .origin = "other.test/log" };
	struct tlog_signer *other = tlog_signer_generate(origin);
	char *dir = tmpdir();
	struct tlog_store *s = tlog_store_open(dir, signer, &o);
	struct tlog_mem *m = tlog_mem_new();
	static const size_t sizes[] = { 300 };
	char p[512];

	t_case("open refuses: a second writer, another key, another origin, a tampered tile, a lost checkpoint; lost interior hashes are rebuilt");
	T_ASSERT(s != NULL && other != NULL);
	if (s == NULL || other == NULL)
		goto out;
	T_ASSERT(bulk(s, m, 0, 600, sizes, 1, NULL, NULL) == 0);
	tlog_store_free(s);
	s = NULL;
	/* one writer at a time */
	s = tlog_store_open(dir, signer, &o);
	T_ASSERT(s != NULL && tlog_store_open(dir, signer, &o) == NULL);
	tlog_store_free(s);
	s = NULL;
	T_ASSERT(tlog_store_open(dir, other, &o) == NULL);
	T_ASSERT(tlog_store_open(dir, signer, &other_origin) == NULL);
	/* Interior hashes lost: rebuilt from the tiles on open. */
	snprintf(p, sizeof(p), "%s/inner/0", dir);
	T_ASSERT(truncate(p, 100) == 0);
	s = tlog_store_open(dir, signer, &o);
	T_ASSERT(s != NULL);
	if (s != NULL) {
		struct tlog_proof a, b;
		struct tlog_hashsrc ms;

		tlog_mem_source(m, &ms);
		T_ASSERT(tlog_store_prove_inclusion(s, 17, 600, &a) == 0);
		T_ASSERT(tlog_prove_inclusion(&ms, 17, 600, &b) == 0);
		T_ASSERT(proofs_equal(&a, &b));
		tlog_store_free(s);
		s = NULL;
	}
	/* A changed hash in the edge tile no longer reproduces the root. */
	{
		uint8_t t[88 * 32];
		int fd;

		snprintf(p, sizeof(p), "%s/tile/0/002.p/88", dir);
		fd = open(p, O_RDWR);
		T_ASSERT(fd >= 0 && pread(fd, t, sizeof(t), 0) == (ssize_t)sizeof(t));
		t[40] ^= 1;
		T_ASSERT(pwrite(fd, t, sizeof(t), 0) == (ssize_t)sizeof(t));
		T_ASSERT(tlog_store_open(dir, signer, &o) == NULL);
		t[40] ^= 1;
		T_ASSERT(pwrite(fd, t, sizeof(t), 0) == (ssize_t)sizeof(t));
		close(fd);
		s = tlog_store_open(dir, signer, &o);
		T_ASSERT(s != NULL);
		tlog_store_free(s);
		s = NULL;
	}
	snprintf(p, sizeof(p), "%s/checkpoint", dir);
	T_ASSERT(unlink(p) == 0);
	T_ASSERT(tlog_store_open(dir, signer, &o) == NULL);
out:
	tlog_signer_free(other);
	tlog_mem_free(m);
	rm_rf(dir);
}

/* --- concurrency ------------------------------------------------------------- */

struct prod {
	struct tlog_store *s;
	int id, n;
	uint64_t *index;	/* per entry */
	int failures;
};

static void *producer(void *arg)
{
	struct prod *p = arg;

	for (int k = 0; k < p->n; k++) {
		uint8_t e[64];
		int len = snprintf((char *)e, sizeof(e), "producer %d entry %d", p->id, k);

		if (tlog_store_append(p->s, e, (size_t)len, &p->index[k]) != 0)
			p->failures++;
	}
	return NULL;
}

static void *prover(void *arg)
{
	struct prod *p = arg;
	struct tlog_checkpoint c;
	int rounds = 0;

	while (rounds < 200) {
		struct tlog_proof pr;
		uint8_t e[64], lh[32];
		size_t len;

		if (checkpoint_of(p->s, &c) != 0) {
			p->failures++;
			break;
		}
		if (c.size > 0) {
			uint64_t i = randombytes_uniform((uint32_t)c.size);

			if (tlog_store_read_entry(p->s, i, e, sizeof(e), &len) != 0 ||
			    tlog_store_prove_inclusion(p->s, i, c.size, &pr) != 0)
				p->failures++;
			else {
				tlog_leaf_hash(e, len, lh);
				if (tlog_verify_inclusion(lh, 32, i, c.size, &pr, c.root, 32) != 0)
					p->failures++;
			}
		}
		rounds++;
		usleep(1000);
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct tlog_store_opts o = { .origin = origin, .interval_ms = 20, .batch_max = 64 };
	char *dir = tmpdir();
	struct tlog_store *s = tlog_store_open(dir, signer, &o);
	enum { NP = 16, PER = 40 };
	struct prod ps[NP + 1];
	pthread_t th[NP + 1];
	static uint64_t idx[NP][PER];
	static uint8_t seen[NP * PER];
	int failures = 0, dup = 0;
	struct tlog_store_stats st;

	t_case("16 producers and a prover at once: every append gets a unique index, proofs verify meanwhile");
	T_ASSERT(s != NULL);
	if (s == NULL)
		return;
	for (int i = 0; i <= NP; i++) {
		ps[i] = (struct prod){ s, i, PER, i < NP ? idx[i] : NULL, 0 };
		pthread_create(&th[i], NULL, i < NP ? producer : prover, &ps[i]);
	}
	for (int i = 0; i <= NP; i++) {
		pthread_join(th[i], NULL);
		failures += ps[i].failures;
	}
	T_EQ(failures, 0);
	for (int i = 0; i < NP; i++)
		for (int k = 0; k < PER; k++) {
			uint8_t e[64], want[64];
			size_t len;
			int wl = snprintf((char *)want, sizeof(want), "producer %d entry %d", i, k);

			if (idx[i][k] >= NP * PER || seen[idx[i][k]]++) {
				dup++;
				continue;
			}
			if (tlog_store_read_entry(s, idx[i][k], e, sizeof(e), &len) != 0 ||
			    len != (size_t)wl || memcmp(e, want, len) != 0)
				dup++;
		}
	T_EQ(dup, 0);
	tlog_store_stats(s, &st);
	T_EQ(st.size, NP * PER);
	printf("# %llu batches for %d appends\n", (unsigned long long)st.batches, NP * PER);
	T_ASSERT(st.batches > 1 && st.batches < NP * PER);
	tlog_store_free(s);
	rm_rf(dir);
}

/* --- crash: SIGKILL during a burst --------------------------------------------- */

struct ack {
	uint64_t index;
	uint32_t producer, seq;
};

struct child_prod {
	struct tlog_store *s;
	int fd, id, round;
};

static void *child_producer(void *arg)
{
	struct child_prod *p = arg;

	for (uint32_t k = 0;; k++) {
		uint8_t e[64];
		int len = snprintf((char *)e, sizeof(e), "round %d producer %d entry %u",
		    p->round, p->id, k);
		struct ack a = { 0, (uint32_t)p->id, k };

		if (tlog_store_append(p->s, e, (size_t)len, &a.index) != 0)
			_exit(3);
		/* Acknowledged: tell the parent (one write, atomic). */
		if (write(p->fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
			_exit(4);
	}
	return NULL;
}

static void child_run(const char *dir, int fd, int round)
{
	struct tlog_store_opts o = { .origin = origin, .interval_ms = 1, .batch_max = 300 };
	struct tlog_store *s = tlog_store_open(dir, signer, &o);
	struct child_prod ps[8];
	pthread_t th;

	if (s == NULL)
		_exit(2);
	for (int i = 0; i < 8; i++) {
		ps[i] = (struct child_prod){ s, fd, i, round };
		pthread_create(&th, NULL, child_producer, &ps[i]);
	}
	for (;;)
		pause();
}

static void test_crash(void)
{
	char *dir = tmpdir();
	static struct ack acks[200000];
	size_t nacks = 0;
	int rounds_ok = 0;
	uint64_t last_size = 0;
	uint8_t last_root[32];

	t_case("crash: SIGKILL during bursts of appends (4 rounds); after reopen every acknowledged entry is there and the tree verifies");
	for (int round = 0; round < 4; round++) {
		int pfd[2];
		pid_t pid;
		size_t before = nacks;
		struct timespec t0, t1;
		struct tlog_store_opts o = { .origin = origin };
		struct tlog_store *s;
		struct tlog_checkpoint c;
		struct tlog_mem *m;
		struct tlog_hashsrc ms;
		uint8_t root[32];
		int missing = 0, badproof = 0;

		if (pipe(pfd) != 0)
			break;
		pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			child_run(dir, pfd[1], round);
		}
		close(pfd[1]);
		/* Let it run for a random 150..650 ms after its first
		 * acknowledgement, then kill it wherever it is: the kill is not
		 * tied to an acknowledgement, so it usually lands inside a
		 * batch (the sequencer is writing most of the time). */
		long run_ms = 150 + (long)randombytes_uniform(500);
		int started = 0;

		for (;;) {
			struct pollfd pf = { pfd[0], POLLIN, 0 };
			long left = 1000;

			if (started) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				left = run_ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
				    (t1.tv_nsec - t0.tv_nsec) / 1000000);
				if (left <= 0)
					break;
			}
			if (poll(&pf, 1, (int)left) <= 0) {
				if (!started)
					continue;
				break;
			}
			struct ack a;
			if (read(pfd[0], &a, sizeof(a)) != (ssize_t)sizeof(a))
				break;
			if (!started) {
				clock_gettime(CLOCK_MONOTONIC, &t0);
				started = 1;
			}
			if (nacks < sizeof(acks) / sizeof(acks[0]))
				acks[nacks++] = a;
		}
		kill(pid, SIGKILL);
		/* Acks already in the pipe were acknowledged before the kill. */
		for (;;) {
			struct ack a;

			if (read(pfd[0], &a, sizeof(a)) != (ssize_t)sizeof(a))
				break;
			if (nacks < sizeof(acks) / sizeof(acks[0]))
				acks[nacks++] = a;
		}
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		{
			/* Was it killed inside a batch? pending > checkpoint. */
			char p[512];
			uint8_t rec[16], *cpn = NULL;
			uint64_t pend = 0, cps = 0;
			FILE *f;

			snprintf(p, sizeof(p), "%s/pending", dir);
			f = fopen(p, "rb");
			if (f != NULL && fread(rec, 1, 16, f) == 16)
				for (int i = 0; i < 8; i++)
					pend = pend << 8 | rec[i];
			if (f != NULL)
				fclose(f);
			snprintf(p, sizeof(p), "%s/checkpoint", dir);
			f = fopen(p, "rb");
			if (f != NULL) {
				char line[256];

				if (fgets(line, sizeof(line), f) && fgets(line, sizeof(line), f))
					cps = strtoull(line, NULL, 10);
				fclose(f);
			}
			free(cpn);
			printf("# round %d: %zu acknowledged before SIGKILL; %s (checkpoint %llu, pending %llu)\n",
			    round, nacks - before, pend > cps ? "killed inside a batch" : "killed between batches",
			    (unsigned long long)cps, (unsigned long long)pend);
		}

		s = tlog_store_open(dir, signer, &o);
		T_ASSERT(s != NULL);
		if (s == NULL)
			break;
		T_ASSERT(checkpoint_of(s, &c) == 0);
		/* every acknowledged entry, at its index */
		for (size_t i = 0; i < nacks; i++) {
			uint8_t e[64], want[64];
			size_t len;
			int round_of = -1, wl;

			/* which round wrote it: search the rounds' spellings */
			for (int r = 0; r <= round && round_of < 0; r++) {
				wl = snprintf((char *)want, sizeof(want), "round %d producer %u entry %u",
				    r, acks[i].producer, acks[i].seq);
				if (tlog_store_read_entry(s, acks[i].index, e, sizeof(e), &len) == 0 &&
				    len == (size_t)wl && memcmp(e, want, len) == 0)
					round_of = r;
			}
			missing += round_of < 0;
		}
		T_EQ(missing, 0);
		/* the whole tree from its entries reproduces the checkpoint */
		m = tlog_mem_new();
		tlog_mem_source(m, &ms);
		for (uint64_t i = 0; i < c.size; i++) {
			uint8_t e[64], lh[32];
			size_t len;

			if (tlog_store_read_entry(s, i, e, sizeof(e), &len) != 0) {
				missing++;
				break;
			}
			tlog_leaf_hash(e, len, lh);
			tlog_mem_append(m, lh);
		}
		T_ASSERT(tlog_tree_hash(&ms, c.size, root) == 0);
		T_MEMEQ(root, c.root, 32);
		/* consistent with the checkpoint seen after the last round */
		if (last_size > 0) {
			struct tlog_proof p;

			T_ASSERT(tlog_store_prove_consistency(s, last_size, c.size, &p) == 0);
			badproof += tlog_verify_consistency(last_size, c.size, &p,
			    last_root, 32, c.root, 32) != 0;
		}
		for (size_t i = before; i < nacks; i += 97) {
			struct tlog_proof p;
			uint8_t lh[32];

			if (tlog_store_prove_inclusion(s, acks[i].index, c.size, &p) != 0 ||
			    ms.read(ms.cookie, 0, acks[i].index, lh) != 0 ||
			    tlog_verify_inclusion(lh, 32, acks[i].index, c.size, &p, c.root, 32) != 0)
				badproof++;
		}
		T_EQ(badproof, 0);
		if (missing == 0 && badproof == 0)
			rounds_ok++;
		last_size = c.size;
		memcpy(last_root, c.root, 32);
		tlog_mem_free(m);
		tlog_store_free(s);
	}
	T_EQ(rounds_ok, 4);
	rm_rf(dir);
}

int main(void)
{
	char vk[TLOG_VKEY_MAX];

	if (sodium_init() < 0)
		return 1;
	signer = tlog_signer_generate(origin);
	if (signer == NULL || tlog_signer_vkey(signer, vk, sizeof(vk)) != 0 ||
	    (verifier = tlog_verifier_parse(vk)) == NULL)
		return 1;
	test_layout_70000();
	test_transitions();
	test_serving();
	test_leftovers();
	test_refusals();
	test_concurrent();
	test_crash();
	tlog_verifier_free(verifier);
	tlog_signer_free(signer);
	return t_done();
}
