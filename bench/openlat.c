// SPDX-License-Identifier: GPL-2.0-only
/*
 * pn_openlat: how long open(2) takes, one call at a time, for the guard's
 * benchmark (bench/run --only guard): from inside a cgroup (--cgroup), N
 * opens (and closes) of each FILE, each timed with CLOCK_MONOTONIC. Prints
 * JSON: opens, failed (and the errno of the first failure), p50, p99, max
 * and mean in nanoseconds.
 *
 *   pn_openlat [--cgroup PATH] [--count N] FILE...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int join_cgroup(const char *cg)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ok = fprintf(f, "%d\n", getpid()) > 0;
	ok &= fclose(f) == 0;
	return ok ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	long count = 10000;
	const char *cgroup = NULL;
	uint64_t *lat, sum = 0;
	size_t n = 0, failed = 0;
	int first_errno = 0, i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--cgroup") && i + 1 < argc)
			cgroup = argv[++i];
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: pn_openlat [--cgroup PATH] [--count N] FILE...\n");
			return 2;
		}
	}
	if (i == argc || count <= 0) {
		fprintf(stderr, "usage: pn_openlat [--cgroup PATH] [--count N] FILE...\n");
		return 2;
	}
	if (cgroup) {
		int e = join_cgroup(cgroup);

		if (e) {
			fprintf(stderr, "pn_openlat: cannot join %s: %s\n", cgroup, strerror(-e));
			return 1;
		}
	}
	lat = calloc((size_t)count * (size_t)(argc - i), sizeof(*lat));
	if (!lat)
		return 1;
	for (long c = 0; c < count; c++) {
		for (int f = i; f < argc; f++) {
			uint64_t t0 = now_ns(), t1;
			int fd = open(argv[f], O_RDONLY | O_CLOEXEC);

			t1 = now_ns();
			if (fd < 0) {
				if (!failed++)
					first_errno = errno;
			} else {
				close(fd);
			}
			lat[n++] = t1 - t0;
			sum += t1 - t0;
		}
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("{\"opens\":%zu,\"failed\":%zu,\"errno\":%d,\"p50_ns\":%llu,\"p99_ns\":%llu,"
	       "\"max_ns\":%llu,\"mean_ns\":%llu}\n",
	       n, failed, first_errno, (unsigned long long)lat[n / 2],
	       (unsigned long long)lat[n * 99 / 100], (unsigned long long)lat[n - 1],
	       (unsigned long long)(sum / n));
	free(lat);
	return 0;
}
