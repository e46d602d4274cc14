/*
 * blob — where sealed objects' bytes live, by opaque key.
 *
 * Keys are 32 random bytes chosen per upload and kept in the object's
 * metadata row: a key says nothing about the camera, the account or the
 * time, and the store holds no "folder per customer". blob_fs.c keeps
 * them as files fanned out over 65536 directories; an S3 backend (later
 * issue) implements the same calls (blob_open() picks it from the URI).
 *
 * Writing: blob_tmp() gives a temp file in the store's own temp area; the
 * caller streams into it, then blob_put() makes it durable and visible
 * under its key in one step (a reader never sees a partial blob). Temp
 * files left by a crash are removed by blob_open().
 */
#ifndef SEALCAMD_BLOB_H
#define SEALCAMD_BLOB_H

#include <stddef.h>
#include <stdint.h>

#define BLOB_KEY_LEN 32
#define BLOB_TMP_PATH_MAX 4200

struct blob;

/* Open the store at uri ("fs:DIR" or a plain directory, created if
 * missing). NULL on failure (logged). */
struct blob *blob_open(const char *uri);

void blob_close(struct blob *b);

/* 0 if the store answers (for /healthz). */
int blob_ping(struct blob *b);

/* Fill key with a fresh random key. */
void blob_key_new(uint8_t key[BLOB_KEY_LEN]);

/*
 * Create a new empty temp file for an upload. Returns its fd (write-only,
 * caller closes) and its path in path (BLOB_TMP_PATH_MAX bytes), or -1.
 */
int blob_tmp(struct blob *b, char *path);

/*
 * Make the temp file at tmp_path (fd still open, fully written) durable
 * under key: fsync the data, rename into place, fsync the directory.
 * Only after 0 is returned may the caller record the key in the store.
 * On -1 the temp file is removed. fd is not closed.
 */
int blob_put(struct blob *b, const uint8_t key[BLOB_KEY_LEN], int fd,
    const char *tmp_path);

/* Discard a temp file that will not be put (upload refused). */
void blob_tmp_discard(struct blob *b, const char *tmp_path);

/*
 * Open the blob for reading: *fd (caller closes) and *size. Returns 0,
 * 1 if there is no such blob, -1 on error.
 */
int blob_get(struct blob *b, const uint8_t key[BLOB_KEY_LEN], int *fd,
    uint64_t *size);

/* Size of the blob; 0, 1 (no such blob) or -1. */
int blob_stat(struct blob *b, const uint8_t key[BLOB_KEY_LEN], uint64_t *size);

/* Delete the blob; deleting a missing one succeeds. 0 or -1. */
int blob_delete(struct blob *b, const uint8_t key[BLOB_KEY_LEN]);

/*
 * Call fn for every blob last modified before before_s (Unix seconds):
 * the sweeper uses this to find blobs a crash left without a metadata
 * row. fn's -1 stops the walk.
 */
typedef int blob_key_fn(void *cookie, const uint8_t key[BLOB_KEY_LEN]);
int blob_scan(struct blob *b, int64_t before_s, blob_key_fn *fn, void *cookie);

#endif
