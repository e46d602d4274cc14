#include "prompt.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

int
prompt_have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

/* Read one line from fp; strip "\n" / "\r\n". */
static int
read_line(FILE *fp, char *buf, size_t max)
{
	size_t n;

	if (fgets(buf, (int)max, fp) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(fp)) {
		/* Longer than max: refuse rather than cut a secret short. */
		sodium_memzero(buf, max);
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

int
prompt_tty(const char *question, int secret, char *buf, size_t max)
{
	struct termios old, quiet;
	FILE *tty;
	int r, restore = 0;

	if ((tty = fopen("/dev/tty", "r+e")) == NULL)
		return -1;
	fputs(question, tty);
	fflush(tty);
	if (secret && tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	r = read_line(tty, buf, max);
	if (restore)
		(void)tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fclose(tty);
	return r;
}

int
prompt_stdin_line(char *buf, size_t max)
{
	return read_line(stdin, buf, max);
}

int
prompt_file_line(const char *path, char *buf, size_t max)
{
	FILE *fp = fopen(path, "re");
	int r;

	if (fp == NULL)
		return -1;
	r = read_line(fp, buf, max);
	fclose(fp);
	return r;
}
