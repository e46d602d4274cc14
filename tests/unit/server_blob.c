/* blob_fs: durable, atomic, unlinkable blob files. */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/server/blob.h"
#include "t.h"

static int
count_files(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
callback_count(void *cookie, const uint8_t key[BLOB_KEY_LEN])
{
	(void)key;
	(*(int *)cookie)++;
	return 0;
}

int
main(void)
{
	char dir[96], path[BLOB_TMP_PATH_MAX], tmpdir[300];
	char hex[2 * BLOB_KEY_LEN + 1], final[400];
	uint8_t key[BLOB_KEY_LEN], key2[BLOB_KEY_LEN], data[100000], back[100000];
	struct blob *b;
	struct stat sb;
	uint64_t size;
	int fd, rfd, n;

	if (sodium_init() < 0 || t_mkdtemp(dir, sizeof(dir), "sealcam-blob") == NULL)
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", dir);
	randombytes_buf(data, sizeof(data));

	t_case("a new blob store opens with its temp area");
	b = blob_open(dir);
	T_ASSERT(b != NULL);
	if (b == NULL)
		return t_done();
	T_EQ(blob_ping(b), 0);

	t_case("put makes a temp file visible under its key, read-only, same bytes");
	blob_key_new(key);
	fd = blob_tmp(b, path);
	T_ASSERT(fd >= 0);
	T_EQ(write(fd, data, sizeof(data)), (long long)sizeof(data));
	T_EQ(blob_stat(b, key, &size), 1);
	T_EQ(blob_put(b, key, fd, path), 0);
	close(fd);
	T_EQ(access(path, F_OK), -1);
	T_EQ(blob_stat(b, key, &size), 0);
	T_EQ(size, sizeof(data));
	T_EQ(blob_get(b, key, &rfd, &size), 0);
	T_EQ(read(rfd, back, sizeof(back)), (long long)sizeof(back));
	T_MEMEQ(back, data, sizeof(data));
	close(rfd);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	snprintf(final, sizeof(final), "%s/%.3s/%s", dir, hex, hex);
	T_EQ(stat(final, &sb), 0);
	T_EQ(sb.st_mode & 0777, 0440);

	t_case("keys are random: two keys differ and name nothing");
	blob_key_new(key2);
	T_ASSERT(memcmp(key, key2, sizeof(key)) != 0);

	t_case("missing blobs are reported as missing, delete is idempotent");
	T_EQ(blob_get(b, key2, &rfd, &size), 1);
	T_EQ(blob_delete(b, key2), 0);
	T_EQ(blob_delete(b, key), 0);
	T_EQ(blob_stat(b, key, &size), 1);

	t_case("a discarded upload leaves nothing behind");
	fd = blob_tmp(b, path);
	T_ASSERT(fd >= 0);
	T_EQ(write(fd, data, 10), 10);
	close(fd);
	blob_tmp_discard(b, path);
	T_EQ(count_files(tmpdir), 0);

	t_case("temp files left by a crash are removed when the store opens");
	fd = blob_tmp(b, path);
	T_ASSERT(fd >= 0);
	close(fd);
	T_EQ(count_files(tmpdir), 1);
	blob_close(b);
	b = blob_open(dir);
	T_ASSERT(b != NULL);
	T_EQ(count_files(tmpdir), 0);

	t_case("scan finds blobs older than a time, not newer ones");
	blob_key_new(key);
	fd = blob_tmp(b, path);
	T_EQ(write(fd, data, 10), 10);
	T_EQ(blob_put(b, key, fd, path), 0);
	close(fd);
	n = 0;
	T_EQ(blob_scan(b, (int64_t)time(NULL) - 3600, callback_count, &n), 0);
	T_EQ(n, 0);
	n = 0;
	T_EQ(blob_scan(b, (int64_t)time(NULL) + 10, callback_count, &n), 0);
	T_EQ(n, 1);

	blob_close(b);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", dir, dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
