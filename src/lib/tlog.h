/*
 * tlog — the verifiable core of sealcam's transparency log.
 *
 *   - RFC 9162 Merkle tree hashing: leaf = SHA-256(0x00 || entry),
 *     node = SHA-256(0x01 || left || right), empty tree = SHA-256("").
 *   - Inclusion and consistency proofs: generated from any source of
 *     complete-subtree hashes (in memory for tests and small trees, tiles on
 *     disk for the server), verified as RFC 9162 sections 2.1.3.2 / 2.1.4.2.
 *   - The C2SP tlog-tiles layout: tile paths `tile/<L>/<N>[.p/<W>]` and
 *     entry bundles `tile/entries/<N>[.p/<W>]` (big-endian uint16 lengths).
 *
 * Pure computation: no files, no threads, no allocation except tlog_mem.
 * Signed checkpoints are in tlog_note.h, the durable store and sequencer in
 * tlog_store.h, the account-chained entries in tlog_entry.h.
 */
#ifndef SEALCAM_TLOG_H
#define SEALCAM_TLOG_H

#include <stddef.h>
#include <stdint.h>

#define TLOG_HASH_LEN 32
/* Standard base64 of a hash: 44 characters (with padding), plus NUL. */
#define TLOG_HASH_B64_LEN 44
/* Longest proof for any 64-bit tree size: 64 nodes, plus the seed node a
 * consistency proof carries when the old size is not a power of two. */
#define TLOG_PROOF_MAX 65
/* C2SP tlog-tiles: every tile is a subtree of height 8, 256 hashes wide. */
#define TLOG_TILE_HEIGHT 8
#define TLOG_TILE_WIDTH 256
/* Entry bundles carry uint16 lengths: no entry can be longer. */
#define TLOG_ENTRY_MAX 65535
/* Longest tile or bundle path ("tile/entries/x018/.../615.p/255"), + NUL. */
#define TLOG_PATH_MAX 64
/* Level value tlog_tile_path() uses for entry bundles. */
#define TLOG_LEVEL_ENTRIES (-1)

#define TLOG_WUR __attribute__((warn_unused_result))

/* A proof: n hashes, leaf side first (the order RFC 9162 sends them in). */
struct tlog_proof {
	size_t n;
	uint8_t h[TLOG_PROOF_MAX][TLOG_HASH_LEN];
};

/*
 * Where proofs and tree hashes come from: read() fills out with the hash of
 * the complete subtree of 2^level leaves that starts at leaf index << level
 * (level 0 = leaf hashes). Returns 0, or -1 if that hash is not available.
 */
struct tlog_hashsrc {
	int (*read)(void *cookie, unsigned level, uint64_t index,
	    uint8_t out[TLOG_HASH_LEN]);
	void *cookie;
};

/* RFC 9162 leaf hash of one entry: SHA-256(0x00 || entry). */
void tlog_leaf_hash(const uint8_t *entry, size_t len,
    uint8_t out[TLOG_HASH_LEN]);

/* RFC 9162 interior node: SHA-256(0x01 || left || right). out may alias. */
void tlog_node_hash(const uint8_t left[TLOG_HASH_LEN],
    const uint8_t right[TLOG_HASH_LEN], uint8_t out[TLOG_HASH_LEN]);

/* Root of the tree of the first `size` leaves (size 0: SHA-256 of ""). */
int tlog_tree_hash(const struct tlog_hashsrc *src, uint64_t size,
    uint8_t root[TLOG_HASH_LEN]);

/* Inclusion proof of leaf `index` in the tree of `size` leaves.
 * -1 if index >= size or the source fails. */
int tlog_prove_inclusion(const struct tlog_hashsrc *src, uint64_t index,
    uint64_t size, struct tlog_proof *out);

/* Consistency proof from the tree of size1 leaves to the one of size2.
 * -1 unless 0 < size1 <= size2, or if the source fails. */
int tlog_prove_consistency(const struct tlog_hashsrc *src, uint64_t size1,
    uint64_t size2, struct tlog_proof *out);

/*
 * Verify that leaf_hash is leaf `index` of the tree of `size` leaves with
 * the given root. Hashes are passed with their lengths because they come
 * from the wire: anything but 32 bytes is rejected. 0 = verified, -1 = not.
 */
int tlog_verify_inclusion(const uint8_t *leaf_hash, size_t leaf_len,
    uint64_t index, uint64_t size, const struct tlog_proof *proof,
    const uint8_t *root, size_t root_len) TLOG_WUR;

/*
 * Verify that the tree (size2, root2) extends the tree (size1, root1).
 * Equal sizes need an empty proof and identical roots; size1 = 0 is always
 * rejected (nothing is proven about an empty tree: a client that saw no
 * checkpoint has nothing to be consistent with). 0 = verified, -1 = not.
 */
int tlog_verify_consistency(uint64_t size1, uint64_t size2,
    const struct tlog_proof *proof, const uint8_t *root1, size_t root1_len,
    const uint8_t *root2, size_t root2_len) TLOG_WUR;

/* Standard base64 (RFC 4648, padded) of a hash; out gets 44 chars + NUL. */
void tlog_hash_to_b64(const uint8_t h[TLOG_HASH_LEN],
    char out[TLOG_HASH_B64_LEN + 1]);

/* Decode exactly one canonical base64 hash of len characters (no NUL
 * needed). -1 unless it decodes to exactly 32 bytes. */
int tlog_hash_from_b64(const char *s, size_t len,
    uint8_t out[TLOG_HASH_LEN]) TLOG_WUR;

/*
 * C2SP tile path for a tile at `level` (0..63, or TLOG_LEVEL_ENTRIES for an
 * entry bundle), tile `index`, `width` hashes or entries (1..256; 256 is a
 * full tile, anything less gets the `.p/<W>` suffix). Example: level 0,
 * index 1234067, width 8 -> "tile/0/x001/x234/067.p/8". -1 on bad input.
 */
int tlog_tile_path(char out[TLOG_PATH_MAX], int level, uint64_t index,
    unsigned width);

/* Parse what tlog_tile_path() makes (exactly: no leading zeros in <L> and
 * <W>, 3-digit groups, x prefixes). 0 or -1. */
int tlog_tile_path_parse(const char *path, int *level, uint64_t *index,
    unsigned *width) TLOG_WUR;

/*
 * Iterate over an entry bundle (uint16 big-endian length, then the entry,
 * repeated). *off starts at 0. Returns 1 with the next entry, 0 at the clean
 * end, -1 if the bundle is truncated.
 */
int tlog_bundle_next(const uint8_t *buf, size_t len, size_t *off,
    const uint8_t **entry, size_t *entry_len) TLOG_WUR;

/*
 * In-memory tree: every complete subtree hash kept (about 64 bytes per
 * leaf). For tests, benchmarks and clients that hold a small log.
 */
struct tlog_mem;
struct tlog_mem *tlog_mem_new(void);
void tlog_mem_free(struct tlog_mem *m);
/* Append one leaf hash. 0, or -1 on allocation failure. */
int tlog_mem_append(struct tlog_mem *m, const uint8_t leaf_hash[TLOG_HASH_LEN]);
uint64_t tlog_mem_size(const struct tlog_mem *m);
/* A hash source reading m (valid while m lives and is not appended to
 * concurrently). */
void tlog_mem_source(struct tlog_mem *m, struct tlog_hashsrc *src);

#endif
