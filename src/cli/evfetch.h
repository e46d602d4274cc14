/*
 * evfetch — a camera's events as this device sees them: sealed event
 * records listed, downloaded, verified (camera signature under the key
 * the owner's keyring vouches for, kind, sequence), decrypted, parsed
 * (src/lib/evrec.h) and merged per event (FORMAT.md "Event record
 * plaintext").
 */
#ifndef SEALCAM_CLI_EVFETCH_H
#define SEALCAM_CLI_EVFETCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "evrec.h"
#include "objs.h"
#include "trust.h"

struct cli;
struct acct;

#define EVFETCH_MAX 20000	/* events one listing may hold */

/* A camera opened for reading events. */
struct evcam {
	char cam_id[TRUST_ID_HEX];
	char name[160];
	struct trust_cam tc;
	uint32_t *mine;		/* keyring epochs naming this device */
	size_t nmine;
	struct objs_reader rd;
};

/* One event: its records merged. */
struct evview {
	struct evrec rec;	/* merged view (state of the latest record) */
	uint64_t last_seq;	/* the latest record's sequence number */
	int nrecords;
	uint8_t *jpeg;		/* the latest thumbnail (owned), or NULL */
	size_t jlen;
};

/*
 * Trust and keys for camera cam (an entry of GET /v1/cameras) read with
 * me's keys. 0, or -1 with the error printed.
 */
int evcam_open(struct cli *cli, const struct acct *me, const json_t *cam,
    struct evcam *ec);
void evcam_close(struct evcam *ec);

/*
 * Download, verify, decrypt and parse event record seq (sealed under
 * keyring epoch; 0 = unknown, try). 0 with *r (and *jpeg malloc'd or
 * NULL), 1 if it was not sealed for this device, -1 with why.
 */
int evfetch_record(struct cli *cli, struct evcam *ec, uint64_t seq,
    uint32_t epoch, struct evrec *r, uint8_t **jpeg, size_t *jlen,
    char *why, size_t whylen);

/*
 * The events whose records overlap [from_ms, to_ms), merged, oldest
 * first: *out (malloc'd; free with evfetch_free) and *n. *skipped counts
 * records not sealed for this device. 0, or -1 with the error printed.
 */
int evfetch_range(struct cli *cli, struct evcam *ec, int64_t from_ms,
    int64_t to_ms, struct evview **out, size_t *n, size_t *skipped);

/* Merge record r (seq) with thumbnail jpeg (taken) into the views. */
int evfetch_merge(struct evview **v, size_t *n, const struct evrec *r,
    uint64_t seq, uint8_t *jpeg, size_t jlen);

void evfetch_free(struct evview *v, size_t n);

/* One line for people: "12:01:05 ring    9 s  person 0.91  porch". */
void evfetch_print(const struct evview *v, int64_t now_ms, char *out,
    size_t n);

/* The JSON form of a merged event (for --json and the browser). */
json_t *evfetch_json(const struct evview *v, const char *cam_id);

#endif
