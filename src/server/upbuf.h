/*
 * upbuf — aligned buffers for uploads' O_DIRECT writes, from bounded pools.
 *
 * An upload whose declared size fits gets one buffer for the whole object:
 * its bytes reach the disk in a single write on the commit thread (one
 * block request -- the buffer is backed by huge pages where the kernel
 * allows, so physically contiguous -- instead of eight 256 KiB requests,
 * each a VM exit and a sleep of the HTTP thread on a virtio disk). Whole
 * buffers are few (UPBUF_WHOLE_COUNT, allocated on demand and kept); when
 * they are all taken, or the object is larger, or its size is unknown,
 * the upload streams through a 256 KiB buffer instead. Buffers hold only
 * ciphertext, so they are not wiped.
 */
#ifndef SEALCAMD_UPBUF_H
#define SEALCAMD_UPBUF_H

#include <stddef.h>
#include <stdint.h>

#define UPBUF_ALIGN 4096u                 /* any device's logical block size */
#define UPBUF_STREAM_BYTES (256u << 10)   /* streaming buffer (one write each) */
#define UPBUF_WHOLE_BYTES (4u << 20)      /* whole-object buffer */
#define UPBUF_WHOLE_MAX 256

/* Allocate and touch n whole-object buffers (at most UPBUF_WHOLE_MAX; 0:
 * none, every upload streams). Once, at start. 0 or -1. */
int upbuf_init(unsigned n);

/* Free the idle buffers (at exit, for leak checkers). */
void upbuf_cleanup(void);

/*
 * A buffer for an upload of want bytes (0: unknown): a whole-object buffer
 * if want fits and one is free, else a streaming one. *cap is its size.
 * NULL if out of memory.
 */
uint8_t *upbuf_get(uint64_t want, size_t *cap);

/* Give the buffer back (NULL is a no-op). cap as returned by upbuf_get. */
void upbuf_put(uint8_t *buf, size_t cap);

/* Whole-object buffers handed out and not yet given back (tests, metrics). */
unsigned upbuf_whole_in_use(void);

#endif
