/*
 * fsutil — durable writes replace atomically, leave no temp files, and
 * bounded reads refuse what is too large.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "t.h"

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

int
main(void)
{
	char dir[96], path[256], sub[256];
	uint8_t *buf;
	size_t len;
	struct stat st;
	struct fsutil_atomic *a;

	if (t_mkdtemp(dir, sizeof(dir), "sealcam-fsutil") == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/file", dir);

	t_case("durable write creates the file with its mode and content");
	T_EQ(fsutil_write_durable(path, "hello", 5, 0640), 0);
	T_EQ(fsutil_read_bounded(path, 100, &buf, &len), 0);
	T_ASSERT(len == 5 && memcmp(buf, "hello", 5) == 0 && buf[5] == 0);
	free(buf);
	T_EQ(stat(path, &st), 0);
	T_EQ(st.st_mode & 0777, 0640);
	T_EQ(count_entries(dir), 1);	/* no temp file left behind */

	t_case("durable write replaces; an aborted write leaves the old content");
	T_EQ(fsutil_write_durable(path, "second", 6, 0600), 0);
	a = fsutil_atomic_open(path, 0600);
	T_ASSERT(a != NULL);
	T_EQ(fsutil_atomic_write(a, "partial", 7), 0);
	T_EQ(count_entries(dir), 2);	/* the temp file, beside the old one */
	fsutil_atomic_abort(a);
	T_EQ(fsutil_read_bounded(path, 100, &buf, &len), 0);
	T_ASSERT(len == 6 && memcmp(buf, "second", 6) == 0);
	free(buf);
	T_EQ(count_entries(dir), 1);

	t_case("streaming write through the descriptor, then commit");
	a = fsutil_atomic_open(path, 0600);
	T_EQ(write(fsutil_atomic_fd(a), "via fd", 6), 6);
	T_EQ(fsutil_atomic_commit(a), 0);
	T_EQ(fsutil_read_bounded(path, 6, &buf, &len), 0);
	T_ASSERT(len == 6 && memcmp(buf, "via fd", 6) == 0);
	free(buf);

	t_case("bounded read refuses a larger file with EFBIG");
	buf = (uint8_t *)"x";
	T_EQ(fsutil_read_bounded(path, 5, &buf, &len), -1);
	T_EQ(errno, EFBIG);
	T_ASSERT(buf == NULL && len == 0);
	T_EQ(fsutil_read_bounded("/proc/self/status", 10, &buf, &len), -1);
	T_EQ(errno, EFBIG);	/* size unknown up front, still enforced */
	T_EQ(fsutil_read_bounded("/proc/self/status", 1 << 20, &buf, &len), 0);
	T_ASSERT(len > 10);
	free(buf);
	T_EQ(fsutil_read_bounded("/nonexistent/x", 10, &buf, &len), -1);
	T_EQ(errno, ENOENT);

	t_case("writing into a missing directory fails and creates nothing");
	snprintf(sub, sizeof(sub), "%s/no/such", dir);
	T_EQ(fsutil_write_durable(sub, "x", 1, 0600), -1);
	T_EQ(errno, ENOENT);

	t_case("mkdir -p makes nested directories, refuses a file in the way");
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	T_EQ(fsutil_mkdir_p(sub, 0700), 0);
	T_EQ(stat(sub, &st), 0);
	T_ASSERT(S_ISDIR(st.st_mode));
	T_EQ(fsutil_mkdir_p(sub, 0700), 0);	/* idempotent */
	T_EQ(fsutil_fsync_dir(sub), 0);
	T_EQ(fsutil_mkdir_p(path, 0700), -1);
	T_EQ(errno, ENOTDIR);

	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	unlink(path);
	rmdir(dir);
	return t_done();
}
