/*
 * log — structured, one-line logs (logfmt) on stderr.
 *
 *	log_info("upload", "camera=%s seq=%llu bytes=%zu", id, seq, n);
 *	-> ts=2026-11-27T18:40:00.123Z level=info comp=upload camera=... seq=...
 *
 * Never pass secrets, tokens, keys or plaintext to these functions: logs are
 * read by operator staff, who are in our threat model.
 */
#ifndef SEALCAM_LOG_H
#define SEALCAM_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERR };

/* Messages below this level are dropped (default LOG_INFO). */
void log_set_level(enum log_level lvl);

/* Parse "debug", "info", "warn", "error"; 0 on success, -1 if unknown. */
int log_parse_level(const char *s, enum log_level *lvl);

/* Write one line: ts, level, comp, then the formatted key=value text. */
void log_msg(enum log_level lvl, const char *comp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(comp, ...) log_msg(LOG_DEBUG, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(LOG_INFO, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(LOG_WARN, comp, __VA_ARGS__)
#define log_err(comp, ...) log_msg(LOG_ERR, comp, __VA_ARGS__)

#endif
