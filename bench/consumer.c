// SPDX-License-Identifier: GPL-2.0-only
/*
 * pn_bench_consumer: panoptesd's userspace alone. Builds records in memory as
 * the syscalls backend writes them into the ring buffer, and replays them
 * through pn_consumer_on_record() (the ring buffer callback of panoptesd:
 * decode, normalize, match against the registry, format, write) with the
 * output going to /dev/null, on one CPU. Prints JSON: events/s by wall clock
 * and by the thread's CPU time, per round.
 *
 *   pn_bench_consumer [--records N] [--rounds R] [--cpu C] [--output text|json]
 *                     [--cgroup PATH] [--typed] [--gone]
 *
 * The records repeat pn_fileops' cycle on 64 directories x 16 files under a
 * watched subject (recursive, all events) in a temporary directory:
 *   OPEN|CREATE, MODIFY, CLOSE_WRITE, OPEN, ACCESS, CLOSE_NOWRITE, ATTRIB
 *   (chmod), MOVE (rename f -> g), DELETE (unlink), CREATE and DELETE of a
 *   subdirectory: 11 records, 13 events
 * plus one record the subject does not cover (a library the process opens):
 * 12 records per cycle. As from the kernel, chmod and rename records carry
 * PN_REC_TYPE_UNKNOWN, which makes the consumer lstat() the path through
 * /proc/PID/root; the files exist, so that costs one lstat each. --typed
 * clears the flag (the kernel told the type, as the vfs backend does);
 * --gone leaves the files out, so the lookup fails and falls back to another
 * process of the watched cgroup (pn_fileops' case: its files are gone by the
 * time the consumer looks).
 *
 * The registry holds one watch on one cgroup (--cgroup, default the cgroup2
 * root) and tells no kernel anything. A first, untimed round warms the
 * caches; the JSON says how many replays ran in all ("replays"), so that an
 * instruction count taken under callgrind (--toggle-collect=replay) divides
 * into instructions per event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "consumer.h"
#include "panoptes_event.h"
#include "policy.h"
#include "registry.h"

#define DIRS	64
#define FILES	16
#define LIBRARY "/usr/lib/x86_64-linux-gnu/libc.so.6" /* opened, not under the subject */

/* x86_64 syscall numbers, as the syscalls backend records them */
enum {
	NR_READ = 0,
	NR_WRITE = 1,
	NR_CLOSE = 3,
	NR_RENAME = 82,
	NR_MKDIR = 83,
	NR_RMDIR = 84,
	NR_UNLINK = 87,
	NR_CHMOD = 90,
	NR_OPENAT = 257,
};

struct slot {
	size_t off;
	size_t size;
};

struct records {
	char *buf;
	size_t len;
	struct slot *slots;
	size_t n, max;
};

static int sink_watch(void *ctx, uint64_t id, uint32_t ops)
{
	(void)ctx, (void)id, (void)ops;
	return 0;
}

static int sink_unwatch(void *ctx, uint64_t id)
{
	(void)ctx, (void)id;
	return 0;
}

static int sink_levels(void *ctx, const uint32_t *levels, unsigned n)
{
	(void)ctx, (void)levels, (void)n;
	return 0;
}

/* Appends one record, 8-byte aligned as in the ring buffer. */
static void add(struct records *rs, const struct pn_record *head, const char *path,
		const char *old_path)
{
	size_t plen = strlen(path) + 1, olen = old_path ? strlen(old_path) + 1 : 0;
	size_t size = sizeof(*head) + plen + olen;
	struct pn_record *rec;

	if (rs->n == rs->max)
		return;
	rec = (struct pn_record *)(rs->buf + rs->len);
	*rec = *head;
	rec->path_len = (__u16)plen;
	rec->old_path_len = (__u16)olen;
	memcpy(rec + 1, path, plen);
	if (olen)
		memcpy((char *)(rec + 1) + plen, old_path, olen);
	rs->slots[rs->n++] = (struct slot){ rs->len, size };
	rs->len += (size + 7) & ~(size_t)7;
}

static void add_op(struct records *rs, struct pn_record *head, __u32 ops, __u32 nr, __u8 flags,
		   const char *path, const char *old_path)
{
	head->ts_ns += 1000;
	head->ops = ops;
	head->syscall_nr = nr;
	head->flags = flags;
	if (ops != PN_OP_MOVE)
		head->cookie = 0;
	add(rs, head, path, old_path);
}

static int build(struct records *rs, size_t n, const char *root, uint64_t cgroup_id, bool typed)
{
	const __u8 unknown = (typed ? 0 : PN_REC_TYPE_UNKNOWN) | PN_REC_NAME_UNRESOLVED;
	const __u8 by_name = PN_REC_NAME_UNRESOLVED, dir = PN_REC_ISDIR | PN_REC_NAME_UNRESOLVED;
	struct pn_record head = {
		.cgroup_id = cgroup_id,
		.watch_cgroup_id = cgroup_id,
		.pid = (__u32)getpid(),
		.tgid = (__u32)getpid(),
		.uid = 1000,
		.gid = 1000,
		.backend = PN_BACKEND_SYSCALLS,
		.comm = "app",
	};
	char f[PATH_MAX], g[PATH_MAX], d[PATH_MAX];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	head.ts_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* paths are ROOT/dNN/xNN.log or LIBRARY (36 bytes): two fit in 2 * (ROOT + 40) */
	rs->max = n;
	rs->slots = calloc(n, sizeof(*rs->slots));
	rs->buf = malloc(n * (sizeof(struct pn_record) + 2 * (strlen(root) + 40) + 8));
	if (!rs->slots || !rs->buf)
		return -ENOMEM;
	for (size_t k = 0; rs->n < n; k++) {
		unsigned dn = k % DIRS, fn = (k / DIRS) % FILES;

		snprintf(f, sizeof(f), "%s/d%02u/f%02u.log", root, dn, fn);
		snprintf(g, sizeof(g), "%s/d%02u/g%02u.log", root, dn, fn);
		snprintf(d, sizeof(d), "%s/d%02u/s%02u", root, dn, fn);
		add_op(rs, &head, PN_OPEN | PN_CREATE, NR_OPENAT, 0, f, NULL);
		add_op(rs, &head, PN_MODIFY, NR_WRITE, 0, f, NULL);
		add_op(rs, &head, PN_CLOSE_WRITE, NR_CLOSE, 0, f, NULL);
		add_op(rs, &head, PN_OPEN, NR_OPENAT, 0, f, NULL);
		add_op(rs, &head, PN_ACCESS, NR_READ, 0, f, NULL);
		add_op(rs, &head, PN_CLOSE_NOWRITE, NR_CLOSE, 0, f, NULL);
		add_op(rs, &head, PN_ATTRIB, NR_CHMOD, unknown, f, NULL);
		head.cookie = 2 * (__u32)k + 1; /* odd, as the kernel's */
		add_op(rs, &head, PN_OP_MOVE, NR_RENAME, unknown, g, f);
		add_op(rs, &head, PN_DELETE, NR_UNLINK, by_name, g, NULL);
		add_op(rs, &head, PN_CREATE, NR_MKDIR, dir, d, NULL);
		add_op(rs, &head, PN_DELETE, NR_RMDIR, dir, d, NULL);
		add_op(rs, &head, PN_OPEN, NR_OPENAT, 0, LIBRARY, NULL);
	}
	return 0;
}

/* The files the chmod and rename records name, so that their type lookups succeed. */
static int make_files(const char *root)
{
	char p[PATH_MAX];
	int fd;

	for (unsigned dn = 0; dn < DIRS; dn++) {
		snprintf(p, sizeof(p), "%s/d%02u", root, dn);
		if (mkdir(p, 0755))
			return -errno;
		for (unsigned fn = 0; fn < FILES; fn++) {
			for (const char *c = "fg"; *c; c++) {
				snprintf(p, sizeof(p), "%s/d%02u/%c%02u.log", root, dn, *c, fn);
				fd = open(p, O_CREAT | O_WRONLY, 0644);
				if (fd < 0 || close(fd))
					return -errno;
			}
		}
	}
	return 0;
}

static void remove_tree(const char *root)
{
	char p[PATH_MAX];

	for (unsigned dn = 0; dn < DIRS; dn++) {
		for (unsigned fn = 0; fn < FILES; fn++) {
			for (const char *c = "fg"; *c; c++) {
				snprintf(p, sizeof(p), "%s/d%02u/%c%02u.log", root, dn, *c, fn);
				unlink(p);
			}
		}
		snprintf(p, sizeof(p), "%s/d%02u", root, dn);
		rmdir(p);
	}
	rmdir(root);
}

static struct pn_registry *make_registry(const char *cgroup2, const char *cgroup, const char *root)
{
	static const struct pn_kernel_sink sink = { .watch = sink_watch,
						    .unwatch = sink_unwatch,
						    .levels = sink_levels };
	struct pn_registry *reg = pn_registry_new(cgroup2, "/proc", &sink);
	struct pn_policy pol = { 0 };
	char yaml[2 * PATH_MAX + 256], err[1024];
	int e;

	if (!reg) {
		fprintf(stderr, "pn_bench_consumer: out of memory\n");
		return NULL;
	}
	snprintf(yaml, sizeof(yaml),
		 "name: bench\npod: bench-1\ntargets:\n  cgroups: [\"%s\"]\n"
		 "subjects:\n  - paths: [\"%s\"]\n    recursive: true\n    tags: {team: bench}\n",
		 cgroup, root);
	e = pn_policy_parse_string("bench", yaml, strlen(yaml), &pol, err, sizeof(err));
	if (!e && pol.n_specs == 1)
		e = pn_registry_add(reg, &pol.specs[0], err, sizeof(err));
	pn_policy_clear(&pol);
	if (e) {
		fprintf(stderr, "pn_bench_consumer: cannot install the watch: %s\n", err);
		pn_registry_free(reg);
		return NULL;
	}
	return reg;
}

static double seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The measured loop; named for callgrind's --toggle-collect. */
__attribute__((noinline)) void replay(struct pn_consumer *c, const struct records *rs);
__attribute__((noinline)) void replay(struct pn_consumer *c, const struct records *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		pn_consumer_on_record(c, (const struct pn_record *)(rs->buf + rs->slots[i].off),
				      rs->slots[i].size);
	fflush(c->out);
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "pn_bench_consumer: --cpu %d: %s\n", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "records", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "typed", no_argument, NULL, 't' },
		{ "gone", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	size_t n = 240000;
	unsigned rounds = 5;
	int cpu = -1, opt, e, rc = 1;
	bool typed = false, gone = false;
	enum pn_output output = PN_OUTPUT_TEXT;
	char cgroup2[PATH_MAX], root[] = "/tmp/pn-bench-consumer-XXXXXX";
	const char *cgroup = NULL;
	struct pn_registry *reg = NULL;
	struct records rs = { 0 };
	struct pn_consumer cons;
	uint64_t cgroup_id;
	FILE *out = NULL;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'o':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr, "pn_bench_consumer: --output %s: text or json\n",
					optarg);
				return 2;
			}
			output = strcmp(optarg, "json") ? PN_OUTPUT_TEXT : PN_OUTPUT_JSON;
			break;
		case 'g':
			cgroup = optarg;
			break;
		case 't':
			typed = true;
			break;
		case 'x':
			gone = true;
			break;
		default:
			return 2;
		}
	}
	if (!n || !rounds) {
		fprintf(stderr, "pn_bench_consumer: --records and --rounds must be >= 1\n");
		return 2;
	}
	if (cpu >= 0 && pin(cpu))
		return 1;

	e = pn_cgroup2_mount("/proc/self/mountinfo", cgroup2, sizeof(cgroup2));
	if (e) {
		fprintf(stderr, "pn_bench_consumer: no cgroup v2 mount in /proc/self/mountinfo\n");
		return 1;
	}
	if (!cgroup)
		cgroup = cgroup2;
	if (!mkdtemp(root)) {
		fprintf(stderr, "pn_bench_consumer: mkdtemp %s: %s\n", root, strerror(errno));
		return 1;
	}
	e = gone ? 0 : make_files(root);
	if (e) {
		fprintf(stderr, "pn_bench_consumer: cannot make the files under %s: %s\n", root,
			strerror(-e));
		goto out;
	}
	e = pn_cgroup_id(cgroup, &cgroup_id);
	if (e) {
		fprintf(stderr, "pn_bench_consumer: --cgroup %s: cannot read its id: %s\n", cgroup,
			strerror(-e));
		goto out;
	}
	reg = make_registry(cgroup2, cgroup, root);
	out = fopen("/dev/null", "w");
	if (!reg || !out || build(&rs, n, root, cgroup_id, typed)) {
		fprintf(stderr, "pn_bench_consumer: setup failed: %s\n", strerror(errno));
		goto out;
	}
	/* as panoptesd: full buffering, 64 KiB */
	setvbuf(out, NULL, _IOFBF, 1 << 16);
	pn_consumer_init(&cons, reg, output, "node-1", out);

	replay(&cons, &rs); /* warm-up */
	printf("{\"output\":\"%s\",\"typed\":%s,\"gone\":%s,\"records\":%zu,\"events\":%llu,"
	       "\"rounds\":[",
	       output == PN_OUTPUT_JSON ? "json" : "text", typed ? "true" : "false",
	       gone ? "true" : "false", rs.n, (unsigned long long)cons.matched);
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t before = cons.matched;
		double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
		double w, c, events;

		replay(&cons, &rs);
		w = seconds(CLOCK_MONOTONIC) - w0;
		c = seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
		events = (double)(cons.matched - before);
		printf("%s{\"wall_s\":%.6f,\"cpu_s\":%.6f,\"events_per_s\":%.0f,"
		       "\"events_per_cpu_s\":%.0f}",
		       r ? "," : "", w, c, events / w, events / c);
	}
	printf("],\"replays\":%u,\"malformed\":%llu}\n", rounds + 1,
	       (unsigned long long)cons.malformed);
	rc = cons.malformed ? 1 : 0;
out:
	pn_consumer_clear(&cons);
	if (out)
		fclose(out);
	pn_registry_free(reg);
	free(rs.buf);
	free(rs.slots);
	remove_tree(root);
	return rc;
}
