/*
 * staffsrv — staff directory changes: the admin tool, and logging them
 * (staffsrv.h).
 */
#include "staffsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "codec.h"
#include "config.h"
#include "log.h"
#include "server.h"
#include "staff.h"
#include "store.h"
#include "tlog_entry.h"
#include "tlogsrv.h"
#include "vault.h"

#define COMP "staff"
#define PENDING_MAX 256          /* changes applied per pass */
#define ADMIN_WAIT_MS 30000      /* how long the tool waits for sealcamd */
/* sealcamd looks at the store this often even without a wake-up (a lost
 * one, or a tool on another machine sharing the data dir): shorter than
 * ADMIN_WAIT_MS, so a waiting tool still sees its change applied. */
#define STAFF_FALLBACK_MS 20000
#define STAFF_NOINOTIFY_MS 1000  /* without inotify: poll this often */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- applying pending changes ----------------------------------------------------- */

struct pending {
	struct store_staff *v;
	size_t n;
};

static int
callback_pending(void *cookie, const struct store_staff *s)
{
	struct pending *p = cookie;

	if (p->n == PENDING_MAX)
		return -1;              /* the rest next pass */
	p->v[p->n++] = *s;
	return 0;
}

int
staffsrv_apply(struct store *st, struct tlogsrv *t)
{
	struct pending p = { calloc(PENDING_MAX, sizeof(struct store_staff)), 0 };
	int done = 0;

	if (p.v == NULL)
		return -1;
	/* Copied out first: appending takes other store connections. */
	if (store_staff_list(st, 1, callback_pending, &p) != 0) {
		free(p.v);
		return -1;
	}
	for (size_t i = 0; i < p.n; i++) {
		struct store_staff *s = &p.v[i];
		int removed = s->state == STORE_STAFF_REMOVING;
		struct store_log_entry row;
		uint8_t c[32];
		int r;

		tlog_commit("sealcam-logstaff", s->record, s->record_len, c);
		/* A crash after the append and before the state change: the
		 * entry is there already; do not log it twice. */
		r = store_log_find(st, TLOG_STAFF_DIRECTORY, removed ? TLOG_E_STAFF_REMOVED :
		    TLOG_E_STAFF_ADDED, s->principal_id, 0, c, &row);
		if (r == STORE_NOTFOUND)
			r = tlogsrv_log_staff(t, removed, s->principal_id, s->record,
			    s->record_len, NULL);
		if (r != STORE_OK) {
			log_err(COMP, "action=%s err=\"cannot log the directory change; it stays"
			    " pending\"", removed ? "remove" : "add");
			free(p.v);
			return -1;
		}
		if (store_staff_transition(st, s->principal_id, s->state,
		    removed ? STORE_STAFF_REMOVED : STORE_STAFF_ACTIVE, NULL, 0, now_ms()) != 0 ||
		    (removed && store_session_delete_account(st, s->account_id) != 0)) {
			free(p.v);
			return -1;
		}
		log_info(COMP, "action=%s role=%s", removed ? "removed" : "added",
		    staff_role_name((unsigned)s->role));
		done++;
	}
	free(p.v);
	return done;
}

/* --- sealcamd's thread ------------------------------------------------------------ */

struct staffsrv {
	struct server *srv;
	pthread_t th;
	int stopfd;               /* eventfd: staffsrv_stop */
	int inofd;                /* inotify on the data dir, or -1 */
};

/* Did the data dir's events (drained from fd) include the wake file? */
static int
wake_file_touched(int fd)
{
	/* Aligned as inotify_event, as inotify(7) does. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int hit = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->len > 0 && strcmp(e->name, STAFFSRV_WAKE_FILE) == 0)
				hit = 1;
			if (e->mask & IN_Q_OVERFLOW)
				hit = 1;      /* events were lost: look anyway */
			p += sizeof(*e) + e->len;
		}
	}
	return hit;
}

/*
 * Apply what is pending, then sleep until the admin tool touches the wake
 * file (inotify), the fallback period passes, or sealcamd stops. Nothing
 * else changes what this thread waits for: staff changes come only from
 * the tool, a separate process, so there is no in-process event to wait
 * on, and an idle server no longer queries the store 5 times a second.
 */
static void *
staff_main(void *arg)
{
	struct staffsrv *s = arg;
	struct pollfd pfd[2] = { { .fd = s->stopfd, .events = POLLIN },
	    { .fd = s->inofd, .events = POLLIN } };
	int apply = 1;

	for (;;) {
		if (apply)
			(void)staffsrv_apply(s->srv->store, s->srv->tlog);
		pfd[0].revents = pfd[1].revents = 0;
		apply = poll(pfd, s->inofd >= 0 ? 2 : 1, s->inofd >= 0 ? STAFF_FALLBACK_MS :
		    STAFF_NOINOTIFY_MS) == 0;         /* timed out: look anyway */
		if (pfd[0].revents != 0)
			break;
		if (pfd[1].revents != 0 && wake_file_touched(s->inofd))
			apply = 1;
	}
	return NULL;
}

struct staffsrv *
staffsrv_start(struct server *srv)
{
	struct staffsrv *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->srv = srv;
	if ((s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto err0;
	s->inofd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (s->inofd >= 0 && inotify_add_watch(s->inofd, srv->cfg->data_dir,
	    IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB) < 0) {
		close(s->inofd);
		s->inofd = -1;
	}
	if (s->inofd < 0)
		log_warn(COMP, "data_dir=%s err=\"no inotify (%s): staff changes are looked"
		    " for every %d ms\"", srv->cfg->data_dir, strerror(errno), STAFF_NOINOTIFY_MS);
	if (pthread_create(&s->th, NULL, staff_main, s) != 0)
		goto err1;
	return s;
err1:
	if (s->inofd >= 0)
		close(s->inofd);
	close(s->stopfd);
err0:
	free(s);
	return NULL;
}

void
staffsrv_stop(struct staffsrv *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	if (write(s->stopfd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_err(COMP, "err=\"cannot wake the staff thread\"");
	pthread_join(s->th, NULL);
	if (s->inofd >= 0)
		close(s->inofd);
	close(s->stopfd);
	free(s);
}

void
staffsrv_notify(const char *data_dir)
{
	char path[CONFIG_PATH_MAX + 32];
	int fd;

	/* Closing a file opened for writing is the event (IN_CLOSE_WRITE). */
	snprintf(path, sizeof(path), "%s/%s", data_dir, STAFFSRV_WAKE_FILE);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) >= 0)
		close(fd);
}

/* --- the admin tool --------------------------------------------------------------- */

static const char admin_usage[] =
"usage: sealcamd admin staff add EMAIL --role support|research --key KEY\n"
"                                [--name NAME] [--password-stdin] [--data-dir DIR]\n"
"       sealcamd admin staff remove EMAIL|PRINCIPAL-ID [--data-dir DIR]\n"
"       sealcamd admin staff list [--data-dir DIR]\n"
"\n"
"add registers the staff member's public key (KEY: the 'sealcam-staff:...' line\n"
"'sealcam staff init' printed on their machine) for a staff account EMAIL\n"
"(made if needed: its password from standard input with --password-stdin,\n"
"else generated and shown once). remove ends a principal: grants addressed\n"
"to it stop working and its sessions end. Every change is appended to the\n"
"transparency log (the staff directory's chain) before it takes effect; with\n"
"sealcamd running, the running server does that and this tool waits for it.\n";

/* The log is ours if no sealcamd holds its lock; then open it here. */
static struct tlogsrv *
open_log_if_free(const struct config *cfg, struct store *st, int *busy)
{
	struct tlogsrv_opts lo = { .data_dir = cfg->data_dir, .log_dir = cfg->tlog_dir,
	    .origin = cfg->tlog_origin, .interval_ms = 1 };
	char path[CONFIG_PATH_MAX + 32];
	int fd;

	*busy = 0;
	if (cfg->tlog_dir[0] != '\0')
		snprintf(path, sizeof(path), "%s/pending", cfg->tlog_dir);
	else
		snprintf(path, sizeof(path), "%s/log/pending", cfg->data_dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
			*busy = 1;
		close(fd);              /* releases our lock, if we got it */
		if (*busy)
			return NULL;
	}
	return tlogsrv_open(&lo, st);
}

/* Apply the pending change to principal: here, or by the running server. */
static int
apply_change(const struct config *cfg, struct store *st, const uint8_t id[16], int want)
{
	struct store_staff s;
	struct tlogsrv *t;
	int busy;

	if ((t = open_log_if_free(cfg, st, &busy)) != NULL) {
		int r = staffsrv_apply(st, t);
		tlogsrv_free(t);
		if (r < 0)
			return -1;
	} else if (!busy) {
		fprintf(stderr, "sealcamd: cannot open the transparency log; the change stays"
		    " pending until sealcamd runs\n");
		return -1;
	} else {
		fprintf(stderr, "sealcamd is running: waiting for it to log the change...\n");
		staffsrv_notify(cfg->data_dir);
		for (int waited = 0; waited < ADMIN_WAIT_MS; waited += 100) {
			if (store_staff_get(st, id, &s) == STORE_OK && s.state == want)
				return 0;
			usleep(100 * 1000);
		}
		fprintf(stderr, "sealcamd did not log the change within %d s; it stays pending"
		    " and is applied once sealcamd logs it\n", ADMIN_WAIT_MS / 1000);
		return -1;
	}
	return store_staff_get(st, id, &s) == STORE_OK && s.state == want ? 0 : -1;
}

/* The staff account for email: existing (role staff), or made now. */
static int
staff_account(struct store *st, const char *email, int pw_stdin,
    struct store_account *a)
{
	char pw[AUTH_PASSWORD_MAX + 2], hash[STORE_PWHASH_MAX];
	const char *why;
	int r = store_account_find(st, email, a, NULL);

	if (r == STORE_OK) {
		if (a->role != STORE_ROLE_STAFF) {
			fprintf(stderr, "sealcamd: %s is a user account; staff accounts are"
			    " separate (use another address)\n", email);
			return -1;
		}
		return 0;
	}
	if (r != STORE_NOTFOUND)
		return -1;
	if (pw_stdin) {
		if (fgets(pw, sizeof(pw), stdin) == NULL) {
			fprintf(stderr, "sealcamd: --password-stdin: no password on standard input\n");
			return -1;
		}
		pw[strcspn(pw, "\r\n")] = '\0';
	} else {
		uint8_t raw[15];
		randombytes_buf(raw, sizeof(raw));
		codec_b64url_encode(raw, sizeof(raw), pw, sizeof(pw));
		sodium_memzero(raw, sizeof(raw));
	}
	if (auth_password_policy(pw, &why) != 0) {
		fprintf(stderr, "sealcamd: %s\n", why);
		sodium_memzero(pw, sizeof(pw));
		return -1;
	}
	memset(a, 0, sizeof(*a));
	randombytes_buf(a->id, sizeof(a->id));
	memcpy(a->email, email, strlen(email) + 1);
	a->role = STORE_ROLE_STAFF;
	a->created_ms = now_ms();
	if (auth_password_hash(pw, hash) != 0 || store_account_create(st, a, hash) != 0) {
		sodium_memzero(pw, sizeof(pw));
		fprintf(stderr, "sealcamd: cannot create the staff account %s\n", email);
		return -1;
	}
	if (!pw_stdin)
		printf("Staff account %s created. Initial password (shown once): %s\n", email, pw);
	else
		printf("Staff account %s created.\n", email);
	sodium_memzero(pw, sizeof(pw));
	return 0;
}

static int
admin_add(const struct config *cfg, struct store *st, int argc, char **argv)
{
	const char *email_in = NULL, *role_s = NULL, *key = NULL, *name = NULL;
	char email[STORE_EMAIL_MAX + 1], hex[33], fpr[VAULT_FINGERPRINT_LEN + 1];
	struct staff_record rec;
	struct store_staff s;
	struct store_account a;
	int pw_stdin = 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role_s = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			pw_stdin = 1;
		else if (argv[i][0] != '-' && email_in == NULL)
			email_in = argv[i];
		else {
			fprintf(stderr, "sealcamd admin staff add: unexpected '%s'\n%s", argv[i],
			    admin_usage);
			return 2;
		}
	}
	memset(&rec, 0, sizeof(rec));
	if (email_in == NULL || auth_email_normalize(email_in, email) != 0) {
		fprintf(stderr, "sealcamd admin staff add: the staff member's e-mail address is"
		    " required\n%s", admin_usage);
		return 2;
	}
	if ((rec.role = (uint8_t)staff_role_parse(role_s)) == 0) {
		fprintf(stderr, "sealcamd admin staff add: --role support or --role research\n");
		return 2;
	}
	if (key == NULL || staff_key_parse(key, rec.box_pk, rec.sign_pk) != 0) {
		fprintf(stderr, "sealcamd admin staff add: --key must be the 'sealcam-staff:...'"
		    " line 'sealcam staff init' printed\n");
		return 2;
	}
	if (name == NULL)
		name = email;
	if (strlen(name) > STAFF_NAME_MAX) {
		fprintf(stderr, "sealcamd admin staff add: give a --name of at most %d bytes\n",
		    STAFF_NAME_MAX);
		return 2;
	}
	memcpy(rec.name, name, strlen(name) + 1);
	rec.action = STAFF_ADDED;
	rec.time_ms = (uint64_t)now_ms();
	memset(&s, 0, sizeof(s));
	if (staff_record_encode(&rec, s.record, sizeof(s.record), &s.record_len) != 0) {
		fprintf(stderr, "sealcamd admin staff add: --name must be 1-%d bytes of"
		    " printable text\n", STAFF_NAME_MAX);
		return 2;
	}
	staff_principal_id(rec.sign_pk, rec.box_pk, s.principal_id);
	if (staff_account(st, email, pw_stdin, &a) != 0)
		return 1;
	memcpy(s.account_id, a.id, 16);
	s.role = rec.role;
	memcpy(s.name, rec.name, sizeof(s.name));
	memcpy(s.box_pk, rec.box_pk, 32);
	memcpy(s.sign_pk, rec.sign_pk, 32);
	s.changed_ms = (int64_t)rec.time_ms;
	codec_hex_encode(s.principal_id, 16, hex, sizeof(hex));
	if (store_staff_add(st, &s) != STORE_OK) {
		fprintf(stderr, "sealcamd admin staff add: %s already has a staff principal, or"
		    " this key is registered already (remove the old one first)\n", email);
		return 1;
	}
	if (apply_change(cfg, st, s.principal_id, STORE_STAFF_ACTIVE) != 0)
		return 1;
	vault_fingerprint_account(rec.sign_pk, rec.box_pk, fpr);
	printf("Staff principal %s (%s, \"%s\") is in the staff directory, logged.\n"
	    "Key fingerprint: %s\n"
	    "The staff member logs in with: sealcam staff login --email %s\n",
	    hex, staff_role_name(rec.role), rec.name, fpr, email);
	return 0;
}

static int
admin_remove(const struct config *cfg, struct store *st, int argc, char **argv)
{
	char email[STORE_EMAIL_MAX + 1], hex[33];
	struct staff_record rec;
	struct store_account a;
	struct store_staff s;
	uint8_t id[16], buf[STORE_STAFF_RECORD_MAX];
	size_t len;
	int r;

	if (argc != 3) {
		fputs(admin_usage, stderr);
		return 2;
	}
	if (strlen(argv[2]) == 32 && codec_hex_decode(argv[2], id, 16) == 0)
		r = store_staff_get(st, id, &s);
	else if (auth_email_normalize(argv[2], email) == 0 &&
	    store_account_find(st, email, &a, NULL) == STORE_OK)
		r = store_staff_by_account(st, a.id, &s);
	else
		r = STORE_NOTFOUND;
	if (r != STORE_OK || s.state != STORE_STAFF_ACTIVE) {
		fprintf(stderr, "sealcamd admin staff remove: no active staff principal %s\n",
		    argv[2]);
		return 1;
	}
	if (staff_record_parse(s.record, s.record_len, &rec) != 0)
		return 1;
	rec.action = STAFF_REMOVED;
	rec.time_ms = (uint64_t)now_ms();
	if (staff_record_encode(&rec, buf, sizeof(buf), &len) != 0 ||
	    store_staff_transition(st, s.principal_id, STORE_STAFF_ACTIVE,
	    STORE_STAFF_REMOVING, buf, len, (int64_t)rec.time_ms) != STORE_OK)
		return 1;
	if (apply_change(cfg, st, s.principal_id, STORE_STAFF_REMOVED) != 0)
		return 1;
	codec_hex_encode(s.principal_id, 16, hex, sizeof(hex));
	printf("Staff principal %s (%s) removed, logged; its grants no longer work and its"
	    " sessions ended.\n", hex, s.name);
	return 0;
}

static int
callback_print(void *cookie, const struct store_staff *s)
{
	static const char *const states[] = { "adding", "active", "removing", "removed" };
	char hex[33];

	(void)cookie;
	codec_hex_encode(s->principal_id, 16, hex, sizeof(hex));
	printf("%s  %-8s  %-8s  %s\n", hex, staff_role_name((unsigned)s->role),
	    s->state >= 0 && s->state <= 3 ? states[s->state] : "?", s->name);
	return 0;
}

int
staffsrv_admin(const struct config *cfg, struct store *st, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return admin_add(cfg, st, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return admin_remove(cfg, st, argc, argv);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return store_staff_list(st, 0, callback_print, NULL) == 0 ? 0 : 1;
	fputs(admin_usage, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
	return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
