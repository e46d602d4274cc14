/*
 * staffsrv — the staff directory on the server side: registering and
 * removing staff principals (`sealcamd admin staff ...`, an operator tool
 * on the data directory, never an HTTP route), and logging each change.
 *
 * The transparency log has one writer (the running sealcamd holds its
 * lock), so the admin tool does not append itself while sealcamd runs: it
 * writes the change into the store as pending (ADDING / REMOVING, with the
 * directory record to log), and sealcamd's staff thread appends the record
 * to the directory's chain and only then makes the change take effect
 * (ACTIVE / REMOVED; a removed principal's sessions end). The tool waits
 * for that. When no sealcamd runs, the tool opens the log and does the
 * same work itself. Either way a principal is usable only once logged.
 *
 * Waking sealcamd: the tool then touches DIR/staff.pending (an empty file
 * in the data directory); sealcamd's staff thread watches the directory
 * with inotify and looks at the store when that file is written. It also
 * looks every 20 s (STAFF_FALLBACK_MS: a lost wake-up, a tool on another
 * host sharing the data dir), and every 1 s where inotify is unavailable.
 * Idle, it does not wake otherwise (it used to query every 200 ms).
 */
#ifndef SEALCAMD_STAFFSRV_H
#define SEALCAMD_STAFFSRV_H

struct config;
struct server;
struct staffsrv;
struct store;
struct tlogsrv;

/* Log and apply every pending directory change, oldest first. Returns how
 * many were applied, or -1 (logged; the rest stay pending). */
int staffsrv_apply(struct store *st, struct tlogsrv *t);

#define STAFFSRV_WAKE_FILE "staff.pending"

/* sealcamd's staff thread: applies pending changes at start, when the
 * tool touches the wake file, and every 20 s. */
struct staffsrv *staffsrv_start(struct server *srv);

/* The tool: wake a running sealcamd on data_dir (touch the wake file).
 * Best effort: a failure leaves the change to the fallback look. */
void staffsrv_notify(const char *data_dir);

/* Stop and join. NULL is a no-op. */
void staffsrv_stop(struct staffsrv *s);

/*
 * `sealcamd admin staff add|remove|list ...` (argv[0] = "staff"); cfg has
 * the data directory and log settings. Returns the exit status.
 */
int staffsrv_admin(const struct config *cfg, struct store *st, int argc,
    char **argv);

#endif
