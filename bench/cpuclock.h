/*
 * cpuclock.h — CPU time a process has used, in seconds, to the nanosecond
 * (for bench/live.c and bench/rtmp/live_rtmp.c, which compare two relays
 * using well under 1 % of a core: /proc/PID/stat's 10 ms ticks are too
 * coarse for that). Sums the run time the scheduler counts for every
 * thread (/proc/PID/task/TID/schedstat, first field, ns); a thread that
 * exits inside the window loses its part, so both relays are measured
 * while their threads are steady (sealcamd's pools, nginx's one worker).
 */
#ifndef SEALCAM_BENCH_CPUCLOCK_H
#define SEALCAM_BENCH_CPUCLOCK_H

#include <dirent.h>
#include <stdio.h>

static inline double
cpuclock_s(int pid)
{
	char path[128];
	unsigned long long ns = 0, t;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.32s/schedstat", pid, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%llu", &t) == 1)
			ns += t;
		fclose(f);
	}
	closedir(d);
	return (double)ns / 1e9;
}

#endif
