/*
 * control — talking to a running agent on this machine.
 *
 * The agent listens on a Unix socket, <state>/control.sock (mode 0600, in
 * the private state directory: only its user may talk to it). One command
 * line in, one reply line out:
 *
 *	press [CAMERA]     a doorbell press: "ok <event id>"
 *	reload [CAMERA]    re-read detect.json: "ok"
 *	list               "ok <id> <name>" per camera, then "ok"
 *
 * CAMERA is a camera's name or a prefix of its id (at least 4 hex digits);
 * it may be left out when the agent records one camera. Errors: "error
 * <message>". `sealcam-agent press` and `sealcam-agent config` are the
 * clients.
 *
 * The press input (--press-input FILE|-) is the other doorbell hook: every
 * line read (from a FIFO that a GPIO watcher such as `gpiomon` writes to,
 * or standard input) is a press of its camera. A FIFO is reopened when its
 * writer closes it; a regular file or stdin is read to its end.
 */
#ifndef SEALCAM_AGENT_CONTROL_H
#define SEALCAM_AGENT_CONTROL_H

#include <stddef.h>

struct camera;
struct control;
struct pressin;

#define CONTROL_SOCK "control.sock"
#define CONTROL_LINE_MAX 512

/* Listen in state_dir for commands on cams[0..n-1] (the array must live
 * until control_stop). NULL when the socket cannot be made (logged; the
 * agent records anyway). */
struct control *control_start(const char *state_dir, struct camera **cams,
    size_t n);
void control_stop(struct control *ctl);

/*
 * Client: send line to the agent of state_dir and read its reply (without
 * the newline) into reply. 0 if the agent answered "ok...", 1 if it
 * answered "error...", -1 if no agent listens (errno) or it did not answer.
 */
int control_send(const char *state_dir, const char *line, char *reply,
    size_t n);

/* The camera of cams named by what (name, or id prefix >= 4 hex digits;
 * NULL/"" = the only camera). NULL with a reason in why. */
struct camera *control_find(struct camera **cams, size_t n, const char *what,
    char *why, size_t whylen);

/* Read presses for cam from path ("-" = standard input). NULL on error. */
struct pressin *pressin_start(const char *path, struct camera *cam);
void pressin_stop(struct pressin *p);

#endif
