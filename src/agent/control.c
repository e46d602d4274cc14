#define _GNU_SOURCE /* accept4 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "camera.h"
#include "fsutil.h"
#include "log.h"

#define CONTROL_IO_MS 2000	/* a client has this long to send its line */

struct control {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	struct camera **cams;
	size_t n;
	pthread_t thread;
	atomic_int stop;
};

struct pressin {
	char path[4096];
	struct camera *cam;
	int fd;
	pthread_t thread;
	atomic_int stop;
};

static int
sock_path(const char *state_dir, char *out, size_t n)
{
	int r = snprintf(out, n, "%s/%s", state_dir, CONTROL_SOCK);

	return r < 0 || (size_t)r >= n ? -1 : 0;
}

struct camera *
control_find(struct camera **cams, size_t n, const char *what, char *why,
    size_t whylen)
{
	struct camera *found = NULL;
	size_t hits = 0, len;

	if (what == NULL || what[0] == '\0') {
		if (n == 1)
			return cams[0];
		snprintf(why, whylen, "this agent records %zu cameras: name one", n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(camera_name(cams[i]), what) == 0)
			return cams[i];
	len = strlen(what);
	for (size_t i = 0; len >= 4 && i < n; i++)
		if (strncmp(camera_id_hex(cams[i]), what, len) == 0) {
			found = cams[i];
			hits++;
		}
	if (hits == 1)
		return found;
	snprintf(why, whylen, hits > 1 ? "'%s' matches several cameras" :
	    "no camera '%s' in this agent", what);
	return NULL;
}

/* Read one line (without the newline) within CONTROL_IO_MS. */
static int
read_line(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got + 1 < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, CONTROL_IO_MS) <= 0)
			return -1;
		if ((r = read(fd, buf + got, n - 1 - got)) <= 0)
			break;
		got += (size_t)r;
		if (memchr(buf, '\n', got) != NULL)
			break;
	}
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return got > 0 ? 0 : -1;
}

/* One command: answer into out (with the newline). */
static void
execute(struct control *ctl, char *line, char *out, size_t n)
{
	char *arg = strchr(line, ' '), why[160];
	struct camera *cam;
	uint64_t id = 0;

	if (arg != NULL)
		*arg++ = '\0';
	if (strcmp(line, "list") == 0) {
		size_t off = 0;

		for (size_t i = 0; i < ctl->n && off < n; i++)
			off += (size_t)snprintf(out + off, n - off, "ok %s %s\n",
			    camera_id_hex(ctl->cams[i]), camera_name(ctl->cams[i]));
		if (off < n)
			snprintf(out + off, n - off, "ok\n");
		return;
	}
	if (strcmp(line, "press") != 0 && strcmp(line, "reload") != 0) {
		snprintf(out, n, "error unknown command '%.40s' (press, reload, "
		    "list)\n", line);
		return;
	}
	if ((cam = control_find(ctl->cams, ctl->n, arg, why, sizeof(why))) == NULL) {
		snprintf(out, n, "error %s\n", why);
		return;
	}
	if (strcmp(line, "reload") == 0) {
		camera_reload(cam);
		snprintf(out, n, "ok\n");
	} else if (camera_press(cam, &id) != 0) {
		snprintf(out, n, "error the camera cannot record yet (no keyring "
		    "from its owner)\n");
	} else {
		snprintf(out, n, "ok %llu\n", (unsigned long long)id);
	}
}

static void *
control_main(void *cookie)
{
	struct control *ctl = cookie;
	char line[CONTROL_LINE_MAX], out[4096];

	while (!atomic_load(&ctl->stop)) {
		struct pollfd p = { .fd = ctl->fd, .events = POLLIN };
		int cfd;

		if (poll(&p, 1, 200) <= 0)
			continue;
		if ((cfd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (read_line(cfd, line, sizeof(line)) == 0) {
			execute(ctl, line, out, sizeof(out));
			(void)fsutil_write_all(cfd, out, strlen(out));
		}
		close(cfd);
	}
	return NULL;
}

struct control *
control_start(const char *state_dir, struct camera **cams, size_t n)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[64];

	if (ctl == NULL)
		return NULL;
	ctl->fd = -1;
	ctl->cams = cams;
	ctl->n = n;
	if (sock_path(state_dir, ctl->path, sizeof(ctl->path)) != 0) {
		log_warn("control", "msg=\"state directory path too long for a "
		    "control socket; no 'press'/'reload'\" state=%s", state_dir);
		goto fail;
	}
	memcpy(sa.sun_path, ctl->path, sizeof(ctl->path));
	if ((ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* A socket left by an agent that died, or one that runs. */
		if (errno != EADDRINUSE || control_send(state_dir, "list", reply,
		    sizeof(reply)) == 0) {
			log_warn("control", "msg=\"control socket in use (another "
			    "agent on this state directory?)\" path=%s", ctl->path);
			goto fail;
		}
		unlink(ctl->path);
		if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			goto fail;
	}
	if (chmod(ctl->path, 0600) != 0 || listen(ctl->fd, 16) != 0 ||
	    pthread_create(&ctl->thread, NULL, control_main, ctl) != 0) {
		unlink(ctl->path);
		goto fail;
	}
	log_info("control", "msg=listening path=%s", ctl->path);
	return ctl;
fail:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl);
	return NULL;
}

void
control_stop(struct control *ctl)
{
	if (ctl == NULL)
		return;
	atomic_store(&ctl->stop, 1);
	pthread_join(ctl->thread, NULL);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

int
control_send(const char *state_dir, const char *line, char *reply, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[CONTROL_LINE_MAX + 2];
	int fd, rc = -1;

	reply[0] = '\0';
	if (sock_path(state_dir, sa.sun_path, sizeof(sa.sun_path)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto out;
	snprintf(buf, sizeof(buf), "%s\n", line);
	(void)fsutil_write_all(fd, buf, strlen(buf));
	/* The reply may span lines (list): read until the peer closes. */
	{
		size_t got = 0;

		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (got + 1 >= n || poll(&p, 1, 10000) <= 0)
				break;
			if ((r = read(fd, reply + got, n - 1 - got)) <= 0)
				break;
			got += (size_t)r;
		}
		reply[got] = '\0';
		while (got > 0 && reply[got - 1] == '\n')
			reply[--got] = '\0';
		if (got == 0)
			goto out;
	}
	rc = strncmp(reply, "ok", 2) == 0 ? 0 : 1;
out:
	close(fd);
	return rc;
}

/* --- the press input ------------------------------------------------------------ */

static void *
pressin_main(void *cookie)
{
	struct pressin *p = cookie;
	char buf[256];
	int fifo = 0;
	struct stat st;

	while (!atomic_load(&p->stop)) {
		struct pollfd pf;
		ssize_t r;
		uint64_t id;

		if (p->fd < 0) {
			/* A FIFO opened non-blocking waits here for a writer. */
			if ((p->fd = open(p->path, O_RDONLY | O_NONBLOCK |
			    O_CLOEXEC)) < 0) {
				log_err("press", "msg=\"cannot open the press input\" "
				    "path=%s err=\"%s\"", p->path, strerror(errno));
				return NULL;
			}
			fifo = fstat(p->fd, &st) == 0 && S_ISFIFO(st.st_mode);
		}
		pf.fd = p->fd;
		pf.events = POLLIN;
		if (poll(&pf, 1, 200) <= 0)
			continue;
		r = read(p->fd, buf, sizeof(buf));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			/* End: a FIFO's writer went away (reopen and wait for
			 * the next); a file or stdin is done. */
			if (strcmp(p->path, "-") == 0 || !fifo)
				break;
			close(p->fd);
			p->fd = -1;
			continue;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n')
				continue;
			if (camera_press(p->cam, &id) == 0)
				log_info("press", "camera=%s msg=\"doorbell pressed\" "
				    "event=%llu", camera_id_hex(p->cam),
				    (unsigned long long)id);
			else
				log_warn("press", "camera=%s msg=\"press ignored: no "
				    "keyring yet\"", camera_id_hex(p->cam));
		}
	}
	return NULL;
}

struct pressin *
pressin_start(const char *path, struct camera *cam)
{
	struct pressin *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->cam = cam;
	p->fd = -1;
	snprintf(p->path, sizeof(p->path), "%s", path);
	/* Standard input: poll, then read (never blocks after POLLIN). */
	if (strcmp(path, "-") == 0 && (p->fd = dup(STDIN_FILENO)) < 0) {
		free(p);
		return NULL;
	}
	if (pthread_create(&p->thread, NULL, pressin_main, p) != 0) {
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return NULL;
	}
	return p;
}

void
pressin_stop(struct pressin *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->stop, 1);
	pthread_join(p->thread, NULL);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}
