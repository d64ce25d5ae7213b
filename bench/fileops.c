// SPDX-License-Identifier: GPL-2.0-only
/*
 * pn_fileops: the benchmark workload. N threads run a fixed cycle of file
 * operations over their own directory tree for a duration or an op count,
 * optionally from inside a cgroup and at a capped rate, and print what they
 * did as JSON: syscalls/s, each operation's count, the CPU time they took,
 * and the inotify-style events that a watch of the whole tree with every
 * event type should report (for completeness).
 *
 *   pn_fileops --dir DIR [--threads N] [--seconds S | --cycles N] [--rate OPS]
 *              [--mix create,read,chmod,rename,unlink,mkdir,newdir] [--cgroup PATH]
 *
 * One cycle, per thread, runs the steps of the mix in this order (default:
 * all but newdir). create and unlink go together (a cycle must not leave its
 * file behind); read, chmod and rename need them.
 *   create  open(O_CREAT|O_EXCL|O_WRONLY), write 64 B, close  CREATE OPEN MODIFY CLOSE_WRITE
 *   read    open(O_RDONLY), read, close                      OPEN ACCESS CLOSE_NOWRITE
 *   chmod   chmod                                            ATTRIB
 *   rename  rename f -> g                                    MOVED_FROM MOVED_TO
 *   unlink  unlink g (or f)                                  DELETE
 *   mkdir   mkdir d, rmdir d                                 CREATE DELETE
 *   newdir  mkdir n, then at once open(n/f, O_CREAT|O_EXCL), close
 *                                                            CREATE CREATE OPEN CLOSE_WRITE
 *           (the race of a watcher that must add a watch per new directory;
 *           n and n/f are left in place)
 *
 * --rate OPS caps the syscalls per second of all threads together (each
 * thread keeps to its share on an absolute schedule, so short sleeps that
 * overshoot are caught up).
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum step { S_CREATE, S_READ, S_CHMOD, S_RENAME, S_UNLINK, S_MKDIR, S_NEWDIR, N_STEPS };

static const char *const step_names[N_STEPS] = { "create", "read",  "chmod", "rename",
						 "unlink", "mkdir", "newdir" };
/* syscalls each step makes, and events a recursive all-events watch reports */
static const unsigned step_syscalls[N_STEPS] = { 3, 3, 1, 1, 1, 2, 3 };
static const unsigned step_events[N_STEPS] = { 4, 3, 1, 2, 1, 2, 4 };

struct config {
	const char *dir;
	unsigned threads;
	double seconds;
	unsigned long cycles;
	double rate; /* syscalls/s of all threads together; 0 = as fast as possible */
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
	if (mix[S_CREATE]) {
		fd = open(f, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || write(fd, buf, 64) != 64 || close(fd))
			return -errno;
		w->count[S_CREATE]++;
	}
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
	if (mix[S_UNLINK]) {
		if (unlink(mix[S_RENAME] ? g : f))
			return -errno;
		w->count[S_UNLINK]++;
	}
	if (mix[S_MKDIR]) {
		if (mkdir(d, 0755) || rmdir(d))
			return -errno;
		w->count[S_MKDIR]++;
	}
	if (mix[S_NEWDIR]) {
		snprintf(d, sizeof(d), "%s/n%lu", base, k);
		snprintf(f, sizeof(f), "%s/n%lu/f", base, k);
		if (mkdir(d, 0755) || (fd = open(f, O_CREAT | O_EXCL | O_WRONLY, 0644)) < 0 ||
		    close(fd))
			return -errno;
		w->count[S_NEWDIR]++;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps until `start` + `syscalls` / `rate` seconds: the thread's share of --rate. */
static void pace(double start, unsigned long syscalls, double rate)
{
	double t = start + syscalls / rate;
	struct timespec ts = { (time_t)t, (long)((t - (time_t)t) * 1e9) };

	if (t > now())
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static unsigned long cycle_syscalls(const bool *mix)
{
	unsigned long n = 0;

	for (unsigned s = 0; s < N_STEPS; s++)
		n += mix[s] ? step_syscalls[s] : 0;
	return n;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const struct config *cfg = w->cfg;
	double rate = cfg->rate / cfg->threads, start = now();
	unsigned long per_cycle = cycle_syscalls(cfg->mix);
	char base[4096], buf[64];

	memset(buf, 'x', sizeof(buf));
	snprintf(base, sizeof(base), "%s/t%u", cfg->dir, w->id);
	if (mkdir(base, 0755) && errno != EEXIST) {
		w->error = -errno;
		return NULL;
	}
	for (unsigned long k = 0; !atomic_load_explicit(&stop, memory_order_relaxed); k++) {
		if (cfg->cycles && k >= cfg->cycles)
			break;
		w->error = run_cycle(w, base, k, buf);
		if (w->error)
			break;
		if (rate > 0)
			pace(start, (k + 1) * per_cycle, rate);
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
	if (mix[S_CREATE] != mix[S_UNLINK] ||
	    ((mix[S_READ] || mix[S_CHMOD] || mix[S_RENAME]) && !mix[S_CREATE])) {
		fprintf(stderr,
			"pn_fileops: --mix %s: create and unlink go together, and read, "
			"chmod and rename need them\n",
			s);
		return -1;
	}
	if (!cycle_syscalls(mix)) {
		fprintf(stderr, "pn_fileops: --mix: no step given\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "mix", required_argument, NULL, 'm' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "rate", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg = { .threads = 1, .seconds = 5 };
	unsigned long total[N_STEPS] = { 0 }, syscalls = 0, events = 0;
	struct rusage ru;
	struct worker *w;
	double t0, t1, cpu;
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
		case 'r':
			cfg.rate = strtod(optarg, NULL);
			break;
		default:
			return 2;
		}
	}
	if (!cfg.dir || !cfg.threads || (!cfg.cycles && cfg.seconds <= 0) || cfg.rate < 0) {
		fprintf(stderr, "pn_fileops: --dir is required; --threads >= 1; --seconds > 0 or "
				"--cycles N; --rate >= 0\n");
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
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	      ru.ru_stime.tv_usec / 1e6;

	for (unsigned s = 0; s < N_STEPS; s++) {
		syscalls += total[s] * step_syscalls[s];
		events += total[s] * step_events[s];
	}
	printf("{\"threads\":%u,\"seconds\":%.6f,\"cpu_s\":%.6f,\"syscalls\":%lu,"
	       "\"syscalls_per_s\":%.1f,\"events\":%lu,\"counts\":{",
	       cfg.threads, t1 - t0, cpu, syscalls, syscalls / (t1 - t0), events);
	for (unsigned s = 0; s < N_STEPS; s++)
		printf("%s\"%s\":%lu", s ? "," : "", step_names[s], total[s]);
	printf("}}\n");
	free(w);
	return rc;
}
