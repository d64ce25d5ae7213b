// SPDX-License-Identifier: GPL-2.0-only
/*
 * pn_fileops: the benchmark workload. N threads run a fixed cycle of file
 * operations over their own directory tree for a duration or an op count,
 * optionally from inside a cgroup, and print what they did as JSON: ops/s,
 * each operation's count, and the inotify-style events that a watch of the
 * whole tree with every event type should report (for completeness).
 *
 *   pn_fileops --dir DIR [--threads N] [--seconds S | --cycles N]
 *              [--mix create,read,chmod,rename,unlink,mkdir] [--cgroup PATH]
 *
 * One cycle, per thread: create and unlink always (a cycle needs its file and
 * must not leave it behind), the other steps when in the mix (default all):
 *   create  open(O_CREAT|O_EXCL|O_WRONLY), write 64 B, close  CREATE OPEN MODIFY CLOSE_WRITE
 *   read    open(O_RDONLY), read, close                      OPEN ACCESS CLOSE_NOWRITE
 *   chmod   chmod                                            ATTRIB
 *   rename  rename f -> g                                    MOVED_FROM MOVED_TO
 *   unlink  unlink g (or f)                                  DELETE
 *   mkdir   mkdir d, rmdir d                                 CREATE DELETE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum step { S_CREATE, S_READ, S_CHMOD, S_RENAME, S_UNLINK, S_MKDIR, N_STEPS };

static const char *const step_names[N_STEPS] = { "create", "read", "chmod",
						 "rename", "unlink", "mkdir" };
/* syscalls each step makes, and events a recursive all-events watch reports */
static const unsigned step_syscalls[N_STEPS] = { 3, 3, 1, 1, 1, 2 };
static const unsigned step_events[N_STEPS] = { 4, 3, 1, 2, 1, 2 };

struct config {
	const char *dir;
	unsigned threads;
	double seconds;
	unsigned long cycles;
	bool mix[N_STEPS];
};

struct worker {
	pthread_t thread;
	const struct config *cfg;
	unsigned id;
	unsigned long count[N_STEPS];
	int error;
};

static atomic_bool stop;

static int run_cycle(struct worker *w, const char *base, unsigned long k, char *buf)
{
	const bool *mix = w->cfg->mix;
	char f[4200], g[4200], d[4200];
	int fd;

	snprintf(f, sizeof(f), "%s/f%lu", base, k);
	snprintf(g, sizeof(g), "%s/g%lu", base, k);
	snprintf(d, sizeof(d), "%s/d%lu", base, k);
	fd = open(f, O_CREAT | O_EXCL | O_WRONLY, 0644);
	if (fd < 0 || write(fd, buf, 64) != 64 || close(fd))
		return -errno;
	w->count[S_CREATE]++;
	if (mix[S_READ]) {
		fd = open(f, O_RDONLY);
		if (fd < 0 || read(fd, buf, 64) < 0 || close(fd))
			return -errno;
		w->count[S_READ]++;
	}
	if (mix[S_CHMOD]) {
		if (chmod(f, 0600))
			return -errno;
		w->count[S_CHMOD]++;
	}
	if (mix[S_RENAME]) {
		if (rename(f, g))
			return -errno;
		w->count[S_RENAME]++;
	}
	if (unlink(mix[S_RENAME] ? g : f))
		return -errno;
	w->count[S_UNLINK]++;
	if (mix[S_MKDIR]) {
		if (mkdir(d, 0755) || rmdir(d))
			return -errno;
		w->count[S_MKDIR]++;
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	char base[4096], buf[64];

	memset(buf, 'x', sizeof(buf));
	snprintf(base, sizeof(base), "%s/t%u", w->cfg->dir, w->id);
	if (mkdir(base, 0755) && errno != EEXIST) {
		w->error = -errno;
		return NULL;
	}
	for (unsigned long k = 0; !atomic_load_explicit(&stop, memory_order_relaxed); k++) {
		if (w->cfg->cycles && k >= w->cfg->cycles)
			break;
		w->error = run_cycle(w, base, k, buf);
		if (w->error)
			break;
	}
	return NULL;
}

static int join_cgroup(const char *cg)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "pn_fileops: --cgroup %s: %s\n", cg, strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_mix(const char *s, bool *mix)
{
	char *copy = strdup(s), *save = NULL;

	memset(mix, 0, N_STEPS * sizeof(*mix));
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned i;

		for (i = 0; i < N_STEPS && strcmp(t, step_names[i]); i++)
			;
		if (i == N_STEPS) {
			fprintf(stderr, "pn_fileops: --mix: unknown step \"%s\"\n", t);
			free(copy);
			return -1;
		}
		mix[i] = true;
	}
	free(copy);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },     { "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' }, { "cycles", required_argument, NULL, 'c' },
		{ "mix", required_argument, NULL, 'm' },     { "cgroup", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg = { .threads = 1, .seconds = 5 };
	unsigned long total[N_STEPS] = { 0 }, syscalls = 0, events = 0;
	struct worker *w;
	double t0, t1;
	int opt, rc = 0;

	parse_mix("create,read,chmod,rename,unlink,mkdir", cfg.mix);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			cfg.dir = optarg;
			break;
		case 't':
			cfg.threads = strtoul(optarg, NULL, 10);
			break;
		case 's':
			cfg.seconds = strtod(optarg, NULL);
			break;
		case 'c':
			cfg.cycles = strtoul(optarg, NULL, 10);
			cfg.seconds = 0;
			break;
		case 'm':
			if (parse_mix(optarg, cfg.mix))
				return 2;
			break;
		case 'g':
			if (join_cgroup(optarg))
				return 1;
			break;
		default:
			return 2;
		}
	}
	if (!cfg.dir || !cfg.threads || (!cfg.cycles && cfg.seconds <= 0)) {
		fprintf(stderr, "pn_fileops: --dir is required; --threads >= 1; --seconds > 0 or "
				"--cycles N\n");
		return 2;
	}

	w = calloc(cfg.threads, sizeof(*w));
	t0 = now();
	for (unsigned i = 0; i < cfg.threads; i++) {
		w[i] = (struct worker){ .cfg = &cfg, .id = i };
		pthread_create(&w[i].thread, NULL, work, &w[i]);
	}
	if (!cfg.cycles) {
		struct timespec ts = { (time_t)cfg.seconds,
				       (long)((cfg.seconds - (time_t)cfg.seconds) * 1e9) };

		nanosleep(&ts, NULL);
		atomic_store(&stop, true);
	}
	for (unsigned i = 0; i < cfg.threads; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].error) {
			fprintf(stderr, "pn_fileops: thread %u: %s\n", i, strerror(-w[i].error));
			rc = 1;
		}
		for (unsigned s = 0; s < N_STEPS; s++)
			total[s] += w[i].count[s];
	}
	t1 = now();

	for (unsigned s = 0; s < N_STEPS; s++) {
		syscalls += total[s] * step_syscalls[s];
		events += total[s] * step_events[s];
	}
	printf("{\"threads\":%u,\"seconds\":%.6f,\"syscalls\":%lu,\"syscalls_per_s\":%.1f,"
	       "\"events\":%lu,\"counts\":{",
	       cfg.threads, t1 - t0, syscalls, syscalls / (t1 - t0), events);
	for (unsigned s = 0; s < N_STEPS; s++)
		printf("%s\"%s\":%lu", s ? "," : "", step_names[s], total[s]);
	printf("}}\n");
	free(w);
	return rc;
}
