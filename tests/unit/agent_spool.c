/* Unit tests for src/agent/spool: the durable queue of sealed objects. */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "../../src/agent/spool.h"

static char root[256];

/* Spool one object of len bytes whose content is derived from seq. */
static int
put(struct spool *s, const char *kind, uint64_t seq, int64_t start,
    uint32_t flags, size_t len)
{
	struct spool_item it = { .start_ms = start, .seq = seq, .flags = flags };
	struct spool_tmp *t;
	unsigned char *buf = malloc(len);

	snprintf(it.kind, sizeof(it.kind), "%s", kind);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(seq * 31 + i);
	if ((t = spool_begin(s, &it)) == NULL) {
		free(buf);
		return -1;
	}
	if (write(spool_tmp_fd(t), buf, len) != (ssize_t)len) {
		free(buf);
		spool_abort(s, t);
		return -1;
	}
	free(buf);
	return spool_commit(s, t);
}

/* 1 if the spooled object's bytes are exactly what put() wrote. */
static int
intact(struct spool *s, const struct spool_item *it, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	int fd = spool_open_item(s, it), ok;
	ssize_t r;

	if (fd < 0) {
		free(buf);
		return 0;
	}
	r = read(fd, buf, len + 1);
	close(fd);
	ok = r == (ssize_t)len;
	for (size_t i = 0; ok && i < len; i++)
		ok = buf[i] == (unsigned char)(it->seq * 31 + i);
	free(buf);
	return ok;
}

static int
count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* Temp files (fsutil_atomic names contain ".tmp.") left in dir. */
static int
count_temp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".tmp.") != NULL)
			n++;
	closedir(d);
	return n;
}

int
main(void)
{
	struct spool *s;
	struct spool_item it;
	char dir[300], q[400];
	size_t n;
	uint64_t bytes;

	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERR);
	if (t_mkdtemp(root, sizeof(root), "sealcam-spool") == NULL)
		return 1;

	t_case("objects come out oldest first and survive a reopen byte for byte");
	snprintf(dir, sizeof(dir), "%s/a", root);
	s = spool_open(dir, 0);
	T_ASSERT(s != NULL);
	T_EQ(put(s, "segment", 2, 1000002000, 0, 5000), 0);
	T_EQ(put(s, "segment", 1, 1000001000, 0, 4000), 0);
	T_EQ(put(s, "thumbnail", 1, 1000001500, 0, 300), 0);
	spool_free(s);
	s = spool_open(dir, 0);
	T_ASSERT(s != NULL);
	spool_stats(s, &n, &bytes);
	T_EQ(n, 3);
	T_EQ(bytes, 9300);
	T_EQ(spool_take(s, &it, 0), 1);
	T_EQ(it.seq, 1);
	T_ASSERT(strcmp(it.kind, "segment") == 0);
	T_ASSERT(intact(s, &it, 4000));
	T_EQ(spool_take(s, &it, 0), 1);
	T_ASSERT(strcmp(it.kind, "thumbnail") == 0);
	T_EQ(spool_take(s, &it, 0), 1);
	T_EQ(it.seq, 2);
	T_ASSERT(intact(s, &it, 5000));
	T_EQ(spool_take(s, &it, 0), 0);	/* all taken */

	t_case("a released object is offered again; an acked one is gone for good");
	spool_release(s, &it);
	T_EQ(spool_take(s, &it, 0), 1);
	T_EQ(it.seq, 2);
	T_EQ(spool_ack(s, &it), 0);
	spool_stats(s, &n, &bytes);
	T_EQ(n, 2);
	T_ASSERT(spool_open_item(s, &it) < 0);
	spool_free(s);
	s = spool_open(dir, 0);
	spool_stats(s, &n, NULL);
	T_EQ(n, 2);

	t_case("a refused object moves to quarantine/ and is not retried");
	T_EQ(spool_take(s, &it, 0), 1);
	T_EQ(spool_quarantine(s, &it), 0);
	snprintf(q, sizeof(q), "%s/quarantine", dir);
	T_EQ(count_files(q, "0001000001000-segment-"), 1);
	spool_free(s);
	s = spool_open(dir, 0);
	spool_stats(s, &n, NULL);
	T_EQ(n, 1);

	t_case("the same kind and sequence cannot be spooled twice");
	T_ASSERT(put(s, "thumbnail", 1, 1000009000, 0, 10) != 0);
	T_EQ(count_temp(dir), 0);
	spool_free(s);

	t_case("over budget, the oldest continuous footage is evicted before any event footage");
	snprintf(dir, sizeof(dir), "%s/b", root);
	s = spool_open(dir, 10000);
	T_EQ(put(s, "segment", 1, 1000, SPOOL_FLAG_EVENT, 2000), 0);
	T_EQ(put(s, "segment", 2, 2000, 0, 2000), 0);
	T_EQ(put(s, "segment", 3, 3000, SPOOL_FLAG_EVENT, 2000), 0);
	T_EQ(put(s, "segment", 4, 4000, 0, 2000), 0);
	T_EQ(put(s, "segment", 5, 5000, 0, 2000), 0);
	T_EQ(spool_evicted(s), 0);
	T_EQ(put(s, "segment", 6, 6000, 0, 2000), 0);	/* 12000 > 10000 */
	spool_stats(s, &n, &bytes);
	T_EQ(n, 5);
	T_ASSERT(bytes <= 10000);
	T_EQ(spool_take(s, &it, 0), 1);
	T_EQ(it.seq, 1);	/* event footage kept, seq 2 went */
	spool_release(s, &it);
	T_EQ(put(s, "segment", 7, 7000, 0, 4000), 0);	/* evicts 4 and 5 */
	T_EQ(put(s, "segment", 8, 8000, 0, 4000), 0);	/* evicts 6, 7 */
	spool_stats(s, &n, &bytes);
	T_ASSERT(bytes <= 10000);
	{
		uint64_t seqs[8];
		size_t k = 0;

		while (k < 8 && spool_take(s, &it, 0) == 1)
			seqs[k++] = it.seq;
		T_EQ(k, 3);
		T_EQ(seqs[0], 1);
		T_EQ(seqs[1], 3);
		T_EQ(seqs[2], 8);
	}

	t_case("when only event footage is left, the oldest event goes first");
	T_EQ(put(s, "segment", 9, 9000, SPOOL_FLAG_EVENT, 6000), 0);
	T_EQ(spool_evicted(s), 6);	/* 8, the last continuous one */
	T_EQ(put(s, "segment", 10, 10000, SPOOL_FLAG_EVENT, 2000), 0);
	spool_stats(s, &n, &bytes);
	T_ASSERT(bytes <= 10000);
	T_EQ(spool_evicted(s), 7);
	spool_free(s);
	s = spool_open(dir, 0);
	T_EQ(spool_take(s, &it, 0), 1);
	T_EQ(it.seq, 3);	/* 1, the oldest event, went */
	spool_free(s);

	t_case("a shrunken budget evicts at open");
	s = spool_open(dir, 5000);
	spool_stats(s, &n, &bytes);
	T_EQ(n, 1);
	T_EQ(bytes, 2000);
	T_EQ(spool_take(s, &it, 0), 1);
	T_EQ(it.seq, 10);
	spool_free(s);

	t_case("killed mid-write (SIGKILL at random points), files are complete or absent");
	snprintf(dir, sizeof(dir), "%s/c", root);
	for (int round = 0; round < 20; round++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			struct spool *cs = spool_open(dir, 0);

			for (uint64_t seq = (uint64_t)round * 1000;; seq++)
				put(cs, "segment", seq, 1000 + (int64_t)seq, 0,
				    64 * 1024 + seq % 7);
		}
		usleep(2000 + randombytes_uniform(20000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	s = spool_open(dir, 0);
	T_ASSERT(s != NULL);
	T_EQ(count_temp(dir), 0);
	spool_stats(s, &n, NULL);
	T_ASSERT(n > 0);
	while (spool_take(s, &it, 0) == 1)
		T_ASSERT(intact(s, &it, 64 * 1024 + it.seq % 7));
	spool_free(s);

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
