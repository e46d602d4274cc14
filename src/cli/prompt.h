/*
 * prompt — reading passwords and recovery codes: from the terminal without
 * echo, or one line at a time from stdin for scripts and tests
 * (--password-stdin, --recovery-code-stdin).
 */
#ifndef SEALCAM_CLI_PROMPT_H
#define SEALCAM_CLI_PROMPT_H

#include <stddef.h>

/* Longest line accepted (the protocol's password limit is 1024 bytes). */
#define PROMPT_LINE_MAX 1100

/* 1 if there is a terminal to ask on. */
int prompt_have_tty(void);

/*
 * Ask question on the terminal and read one line into buf (max bytes with
 * the NUL), echo off when secret. Returns 0, or -1 (no terminal, EOF, line
 * too long). The caller wipes secrets after use.
 */
int prompt_tty(const char *question, int secret, char *buf, size_t max);

/*
 * Read the next line of stdin into buf, without its newline. Returns 0, or
 * -1 on EOF before any byte or a line longer than max - 1.
 */
int prompt_stdin_line(char *buf, size_t max);

/* Read the first line of a file (e.g. --recovery-code-file). 0 or -1. */
int prompt_file_line(const char *path, char *buf, size_t max);

#endif
