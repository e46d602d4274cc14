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

/* sealcamd's staff thread: applies pending changes every 200 ms. */
struct staffsrv *staffsrv_start(struct server *srv);

/* Stop and join. NULL is a no-op. */
void staffsrv_stop(struct staffsrv *s);

/*
 * `sealcamd admin staff add|remove|list ...` (argv[0] = "staff"); cfg has
 * the data directory and log settings. Returns the exit status.
 */
int staffsrv_admin(const struct config *cfg, struct store *st, int argc,
    char **argv);

#endif
