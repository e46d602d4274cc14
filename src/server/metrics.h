/*
 * metrics — Prometheus counters and gauges for GET /metrics, and the
 * /healthz answer. Labels are route patterns and status codes only: no
 * ids, addresses, e-mails or tokens ever become a label.
 */
#ifndef SEALCAMD_METRICS_H
#define SEALCAMD_METRICS_H

#include <stdint.h>

enum metric_counter {
	M_UPLOAD_BYTES,           /* bytes of sealed objects accepted */
	M_UPLOADS_STORED,         /* objects newly stored */
	M_UPLOADS_DUPLICATE,      /* identical re-uploads (200) */
	M_UPLOADS_REFUSED,        /* refused uploads (any 4xx) */
	M_LOGIN_FAILED,
	M_RATE_LIMITED,
	M_SWEEP_DELETED,          /* objects removed by retention */
	M_BLOBS_DELETED,          /* blobs removed from the blob store */
	M_NCOUNTERS
};

/* Allocate per-route counters; call once before serving. 0 or -1. */
int metrics_init(void);
void metrics_free(void);

/* One finished request: route index (-1 = unmatched), status, seconds. */
void metrics_request(int route, unsigned status, double seconds,
    uint64_t bytes_in, uint64_t bytes_out);

void metrics_add(enum metric_counter c, uint64_t n);

#endif
