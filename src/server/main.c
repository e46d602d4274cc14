/*
 * sealcamd — the sealcam server: stores and relays ciphertext only.
 *
 * Reads top to bottom: options -> config -> open store and blob store ->
 * serve until SIGTERM/SIGINT -> stop accepting, finish in-flight requests,
 * close in reverse order.
 */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accesswatch.h"
#include "auth.h"
#include "blob.h"
#include "config.h"
#include "static.h"
#include "evnotes.h"
#include "guard.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "relay.h"
#include "ratelimit.h"
#include "rowbatch.h"
#include "routes.h"
#include "server.h"
#include "staffsrv.h"
#include "store.h"
#include "sweeper.h"
#include "tlog_note.h"
#include "ticker.h"
#include "tlogsrv.h"
#include "wait.h"
#include "upbuf.h"
#include "workq.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sealcamd [--config FILE] [--KEY VALUE ...]   serve\n"
	    "       sealcamd routes                               print the route table (JSON)\n"
	    "       sealcamd admin set-role EMAIL user|staff [--data-dir DIR]\n"
	    "       sealcamd admin staff add|remove|list ...       staff directory (see\n"
	    "                                                     'sealcamd admin staff --help')\n"
	    "                                                     operator tools (not over HTTP)\n"
	    "       sealcamd log-key [--data-dir DIR]             print the log's verifier key\n"
	    "                                                     (made if there is none yet)\n"
	    "       sealcamd --print-config [...]                 show effective settings\n"
	    "\n"
	    "The server stores only ciphertext: sealed segments, keyrings and vault\n"
	    "backups it cannot open. Settings come from defaults, then the config file\n"
	    "(`key = value` lines), then flags; every key is also a flag:\n\n");
	config_usage(f);
	fprintf(f,
	    "\nData directory: DIR/sealcamd.db (SQLite, WAL), DIR/blobs/ (sealed objects),\n"
	    "DIR/log/ (the transparency log's tiles), DIR/log.key (its signing key, 0600).\n"
	    "Signals: SIGTERM/SIGINT stop accepting, finish in-flight requests, exit.\n");
}

/* Apply --config first, then every --key value / --key=value flag. */
static int
parse_args(struct config *cfg, int argc, char **argv, int *print_config)
{
	char err[256];

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			if (config_load_file(cfg, argv[i + 1]) != 0)
				return -1;
		}
	for (int i = 1; i < argc; i++) {
		char key[64], *eq;
		const char *a = argv[i], *val;
		size_t j;

		if (strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		if (strcmp(a, "--print-config") == 0) {
			*print_config = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || strlen(a) - 2 >= sizeof(key)) {
			fprintf(stderr, "sealcamd: unexpected argument '%s' (see --help)\n", a);
			return -1;
		}
		for (j = 0; a[2 + j] != '\0'; j++)
			key[j] = a[2 + j] == '-' ? '_' : a[2 + j];
		key[j] = '\0';
		if ((eq = strchr(key, '=')) != NULL) {
			*eq = '\0';
			val = strchr(a, '=') + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "sealcamd: %s needs a value\n", a);
			return -1;
		}
		if (config_set(cfg, key, val, err, sizeof(err)) != 0) {
			fprintf(stderr, "sealcamd: %s\n", err);
			return -1;
		}
	}
	return 0;
}

static int
open_store(const struct config *cfg, unsigned nconn, struct store **st)
{
	char path[CONFIG_PATH_MAX + 32];

	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
		log_err("main", "data_dir=%s err=\"%s\"", cfg->data_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "sqlite:%s/sealcamd.db", cfg->data_dir);
	return (*st = store_open(path, nconn)) ? 0 : -1;
}

/*
 * `sealcamd admin staff ...`: the staff directory (staffsrv.c). Its own
 * options are taken out; the rest (--data-dir, --config, ...) are settings.
 */
static int
cmd_admin_staff(struct config *cfg, int argc, char **argv)
{
	static const char *const with_value[] = { "--role", "--key", "--name", NULL };
	char **mine = calloc((size_t)argc + 1, sizeof(*mine));
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	struct store *st;
	int nm = 0, nr = 1, pc = 0, r = 2;

	if (mine == NULL || rest == NULL)
		goto out;
	rest[0] = argv[0];
	for (int i = 2; i < argc; i++) {
		int v = 0;
		for (int k = 0; with_value[k] != NULL; k++)
			v |= strcmp(argv[i], with_value[k]) == 0;
		if (v && i + 1 < argc) {
			mine[nm++] = argv[i];
			mine[nm++] = argv[++i];
		} else if (argv[i][0] != '-' || strcmp(argv[i], "--password-stdin") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			mine[nm++] = argv[i];
		} else {
			rest[nr++] = argv[i];
			if (strchr(argv[i], '=') == NULL && i + 1 < argc)
				rest[nr++] = argv[++i];
		}
	}
	if (nm >= 1 && strcmp(mine[nm > 1 ? 1 : 0], "--help") == 0) {
		r = staffsrv_admin(cfg, NULL, nm, mine);
		goto out;
	}
	if (parse_args(cfg, nr, rest, &pc) != 0)
		goto out;
	auth_init(1);
	log_set_level(LOG_WARN);         /* the tool prints what it did */
	r = 1;
	if (open_store(cfg, 2, &st) != 0)
		goto out;
	r = staffsrv_admin(cfg, st, nm, mine);
	store_close(st);
out:
	free(mine);
	free(rest);
	return r;
}

/* `sealcamd admin set-role EMAIL ROLE`: straight to the store, never HTTP. */
static int
cmd_admin(struct config *cfg, int argc, char **argv)
{
	struct store *st;
	char email[STORE_EMAIL_MAX + 1];
	int pc = 0, r, role;

	if (argc >= 3 && strcmp(argv[2], "staff") == 0)
		return cmd_admin_staff(cfg, argc, argv);
	if (argc < 5 || strcmp(argv[2], "set-role") != 0) {
		fprintf(stderr, "usage: sealcamd admin set-role EMAIL user|staff [--data-dir DIR]\n");
		return 2;
	}
	if (strcmp(argv[4], "staff") == 0)
		role = STORE_ROLE_STAFF;
	else if (strcmp(argv[4], "user") == 0)
		role = STORE_ROLE_USER;
	else {
		fprintf(stderr, "sealcamd: role must be user or staff\n");
		return 2;
	}
	if (auth_email_normalize(argv[3], email) != 0) {
		fprintf(stderr, "sealcamd: not an e-mail address: %s\n", argv[3]);
		return 2;
	}
	if (parse_args(cfg, argc - 4, argv + 4, &pc) != 0)
		return 2;
	if (open_store(cfg, 1, &st) != 0)
		return 1;
	r = store_account_set_role(st, email, role);
	store_close(st);
	if (r == STORE_NOTFOUND) {
		fprintf(stderr, "sealcamd: no account %s\n", email);
		return 1;
	}
	return r == STORE_OK ? 0 : 1;
}

/*
 * `sealcamd log-key`: the verifier key clients pin (sealcam --log-key, or
 * compare with the fingerprint they show). Makes the key on a new data dir
 * so an operator can publish it before the first start.
 */
static int
cmd_log_key(struct config *cfg, int argc, char **argv)
{
	struct tlog_signer *s;
	char vkey[TLOG_VKEY_MAX];
	int pc = 0;

	if (parse_args(cfg, argc - 1, argv + 1, &pc) != 0)
		return 2;
	if ((s = tlogsrv_key_load(cfg->data_dir, cfg->tlog_origin)) == NULL)
		return 1;
	if (tlog_signer_vkey(s, vkey, sizeof(vkey)) != 0) {
		tlog_signer_free(s);
		return 1;
	}
	tlog_signer_free(s);
	printf("%s\n", vkey);
	return 0;
}

/* Write the bound port atomically (tests and scripts poll for the file). */
static int
write_port_file(const char *path, unsigned port)
{
	char tmp[CONFIG_PATH_MAX + 8];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct server srv;
	struct http *http = NULL;
	sigset_t sigs;
	int print_config = 0, sig = 0, ret = 1;
	long ncpu;

	/* Options. */
	config_defaults(&cfg);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "routes") == 0) {
		routes_print_json(stdout);
		return routes_check() == 0 ? 0 : 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sealcamd: libsodium failed to initialise\n");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "admin") == 0)
		return cmd_admin(&cfg, argc, argv);
	if (argc > 1 && strcmp(argv[1], "log-key") == 0)
		return cmd_log_key(&cfg, argc, argv);
	if (parse_args(&cfg, argc, argv, &print_config) != 0)
		return 2;
	if (print_config) {
		config_dump(&cfg, stdout);
		return 0;
	}
	log_set_level((enum log_level)cfg.log_level);
	if (routes_check() != 0)
		return 1;

	/* Signals: handled by sigwait() in this thread only; every thread
	 * created from here on inherits the mask. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* Resources. */
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	auth_init(ncpu > 0 ? (unsigned)ncpu : 1);
	if (metrics_init() != 0)
		goto out;
	if (open_store(&cfg, cfg.threads + cfg.commit_threads + 2, &srv.store) != 0)
		goto out;
	{
		char blobs[CONFIG_PATH_MAX + 16];
		snprintf(blobs, sizeof(blobs), "fs:%s/blobs", cfg.data_dir);
		if ((srv.blob = blob_open(blobs)) == NULL)
			goto out;
	}
	srv.login_email = ratelimit_new(cfg.login_burst, cfg.login_per_min, 1u << 16);
	/* An address may front a household or an office: 4x the budget. */
	srv.login_addr = ratelimit_new(cfg.login_burst * 4, cfg.login_per_min * 4, 1u << 16);
	srv.ticker = ticker_new();
	srv.waits = wait_new(srv.ticker);
	srv.guard = guard_new(cfg.header_timeout_s, cfg.min_upload_rate, srv.ticker);
	srv.commits = workq_new(cfg.commit_threads);
	if (upbuf_init(cfg.upload_buffers) != 0) {
		log_err("main", "err=\"cannot allocate %u upload buffers\"", cfg.upload_buffers);
		goto out;
	}
	srv.rows = rowbatch_new(srv.store, 64);
	{
		struct relay_conf rc = { .grace_ms = cfg.live_grace_ms,
		    .max_ms = cfg.live_max_ms, .start_timeout_ms = cfg.live_start_timeout_ms,
		    .viewer_buffer = cfg.live_viewer_buffer, .ping_ms = 15000 };
		srv.relay = relay_new(&rc, srv.ticker);
	}
	srv.logjobs = workq_new(cfg.tlog_threads);
	srv.watch = accesswatch_new(srv.ticker);
	/* Event notifications: a ring for watchers, and a budget per camera
	 * (a burst of 30, 120 a minute: far above any real scene). */
	srv.notes = evnotes_new(http_now_ms());
	srv.notify_rl = ratelimit_new(30, 120, 1u << 12);
	if (srv.login_email == NULL || srv.login_addr == NULL || srv.ticker == NULL ||
	    srv.waits == NULL ||
	    srv.guard == NULL || srv.commits == NULL || srv.rows == NULL ||
	    srv.relay == NULL || srv.logjobs == NULL || srv.watch == NULL ||
	    srv.notes == NULL || srv.notify_rl == NULL)
		goto out;
	{
		struct tlogsrv_opts lo = { .data_dir = cfg.data_dir, .log_dir = cfg.tlog_dir,
		    .origin = cfg.tlog_origin, .interval_ms = (unsigned)cfg.tlog_interval_ms };
		if ((srv.tlog = tlogsrv_open(&lo, srv.store)) == NULL)
			goto out;
	}
	if ((srv.web = webroot_load(cfg.web_dir, cfg.node_modules)) == NULL)
		goto out;

	/* Run. */
	if ((http = http_start(&srv)) == NULL)
		goto out;
	if ((srv.sweeper = sweeper_start(&srv)) == NULL)
		goto out;
	if ((srv.staff = staffsrv_start(&srv)) == NULL)
		goto out;
	if (cfg.port_file[0] != '\0' && write_port_file(cfg.port_file, http_port(http)) != 0) {
		log_err("main", "port_file=%s err=\"%s\"", cfg.port_file, strerror(errno));
		goto out;
	}
	log_info("main", "action=listening addr=%s port=%u threads=%u data_dir=%s",
	    cfg.listen, http_port(http), cfg.threads, cfg.data_dir);
	while (sigwait(&sigs, &sig) != 0)
		;
	log_info("main", "action=stopping signal=%s", sig == SIGTERM ? "TERM" : "INT");
	ret = 0;

out:
	/* Tear down in reverse. */
	atomic_store(&srv.stopping, 1);
	staffsrv_stop(srv.staff);
	sweeper_stop(srv.sweeper);
	accesswatch_stop(srv.watch);
	http_stop(http, cfg.shutdown_grace_s);    /* drains srv.commits, logjobs too */
	workq_free(srv.logjobs);
	workq_free(srv.commits);
	upbuf_cleanup();
	rowbatch_free(srv.rows);
	relay_free(srv.relay);
	tlogsrv_free(srv.tlog);
	webroot_free(srv.web);
	accesswatch_free(srv.watch);
	guard_free(srv.guard);
	wait_free(srv.waits);
	ticker_free(srv.ticker);
	ratelimit_free(srv.notify_rl);
	evnotes_free(srv.notes);
	ratelimit_free(srv.login_addr);
	ratelimit_free(srv.login_email);
	blob_close(srv.blob);
	store_close(srv.store);
	metrics_free();
	if (ret == 0)
		log_info("main", "action=stopped");
	return ret;
}
