/*
 * fsutil — durable file writes and bounded reads.
 *
 * A write is durable before it is acknowledged (DESIGN.md "Storage"): data
 * goes to a temp file in the destination's directory, is fsynced, renamed
 * over the destination, and the directory is fsynced, so after a crash the
 * destination holds either the old or the whole new content, never a part.
 *
 *	struct fsutil_atomic *a = fsutil_atomic_open("/x/blob", 0600);
 *	fsutil_atomic_write(a, buf, n); ...   (or write(fsutil_atomic_fd(a), ...))
 *	fsutil_atomic_commit(a);   // or fsutil_atomic_abort(a)
 *
 * All functions return 0 / -1 (errno set) or NULL; none logs.
 */
#ifndef SEALCAM_FSUTIL_H
#define SEALCAM_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fsutil_atomic;

/*
 * Create a temp file next to path (same directory, name path.tmp.XXXXXX,
 * mode applied). NULL on failure. Exactly one of commit/abort must follow.
 */
struct fsutil_atomic *fsutil_atomic_open(const char *path, mode_t mode);

/* The temp file's descriptor, for streaming writes (do not close it). */
int fsutil_atomic_fd(const struct fsutil_atomic *a);

/*
 * Write all of buf to fd, retrying short writes and EINTR. 0, or -1 with
 * errno set (a write that makes no progress is EIO).
 */
int fsutil_write_all(int fd, const void *buf, size_t len);

/* Write all of buf (retrying short writes and EINTR). */
int fsutil_atomic_write(struct fsutil_atomic *a, const void *buf, size_t len);

/*
 * fsync, close, rename over the destination, fsync the directory; frees a.
 * On failure the temp file is removed and the destination is unchanged
 * (unless the failure is the final directory fsync, after the rename).
 */
int fsutil_atomic_commit(struct fsutil_atomic *a);

/* Close and remove the temp file; frees a (NULL is a no-op). */
void fsutil_atomic_abort(struct fsutil_atomic *a);

/* Whole-buffer durable write: open, write, commit. */
int fsutil_write_durable(const char *path, const void *buf, size_t len,
    mode_t mode);

/*
 * Read a whole file of at most max bytes into a new malloc'd buffer (*buf,
 * caller frees; one extra NUL byte is appended, not counted in *len, so text
 * can be used as a string). A larger file fails with errno = EFBIG.
 */
int fsutil_read_bounded(const char *path, size_t max, uint8_t **buf,
    size_t *len);

/* fsync a directory (after creating, renaming or removing entries in it). */
int fsutil_fsync_dir(const char *dir);

/* mkdir -p with mode for the directories it creates. */
int fsutil_mkdir_p(const char *path, mode_t mode);

#endif
