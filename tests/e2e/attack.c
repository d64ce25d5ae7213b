// SPDX-License-Identifier: GPL-2.0-only
/*
 * pn_attack: what a process inside a watched container would do to change a
 * watched file unseen, played deterministically so that tests/e2e
 * test_evasion.py can assert the event it must not lose. Linked statically:
 * it runs unchanged inside a busybox container.
 *
 *   pn_attack fill DIR N
 *       N empty files in DIR (run outside the watched cgroup): the large
 *       directory whose getdents64() holds DIR's lock long enough to race.
 *   pn_attack namerace DIR DECOY N
 *       Creates DIR/t0, t1, ... and unlinks each while a reader thread keeps
 *       DIR's lock with getdents64() and another thread rewrites the name
 *       buffer to DECOY once unlink() is waiting in the kernel, until N
 *       unlinks had their name rewritten before they returned (at most 20 N
 *       tries). Prints "deleted=D raced=R tries=T": D files t0..tD-1
 *       unlinked, R of them with the name rewritten in flight.
 *   pn_attack fdswap FILE DECOY MB
 *       write(fd, MB MiB) into FILE while another thread dup2()s a descriptor
 *       of DECOY over fd. Prints "written=W raced=R" (R: the dup2 happened
 *       before write() returned).
 *   pn_attack badwrite FILE
 *       a write to FILE that fails (EFAULT), then one that succeeds. Prints
 *       "failed=F written=W".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DENTS_BUF (8 << 20)

static atomic_int stop_reader;
static atomic_int in_call;
static atomic_int rewritten;
static char name[4096];
static const char *decoy;
static int dir_fd;

static void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static int fill(const char *dir, long n)
{
	char p[4096];

	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/fill%07ld", dir, i);
		fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd < 0) {
			perror(p);
			return 1;
		}
		close(fd);
	}
	return 0;
}

/* Reads the whole directory again and again: each call holds its lock. */
static void *reader(void *arg)
{
	char *buf = malloc(DENTS_BUF);

	(void)arg;
	if (!buf)
		return NULL;
	while (!atomic_load(&stop_reader)) {
		lseek(dir_fd, 0, SEEK_SET);
		while (getdents64(dir_fd, buf, DENTS_BUF) > 0)
			;
	}
	free(buf);
	return NULL;
}

/* Waits until unlink() is under way, gives it time to wait for the lock, rewrites its name. */
static void *rewriter(void *arg)
{
	(void)arg;
	while (!atomic_load(&in_call))
		;
	sleep_us(2000);
	strcpy(name, decoy);
	atomic_store(&rewritten, 1);
	return NULL;
}

static int namerace(const char *dir, const char *decoy_name, long n)
{
	long deleted = 0, raced = 0, tries = 0;
	pthread_t rd;

	decoy = decoy_name;
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dir_fd < 0 || pthread_create(&rd, NULL, reader, NULL)) {
		perror(dir);
		return 1;
	}
	/*
	 * Until n unlinks had their name rewritten in flight: on a busy machine
	 * some find the lock free (done before the rewrite) or get the rewrite
	 * before the kernel copied the name (ENOENT on the decoy; tI is kept).
	 */
	while (raced < n && tries++ < 20 * n) {
		pthread_t rw;
		int fd, r;

		snprintf(name, sizeof(name), "%s/t%ld", dir, deleted);
		fd = open(name, O_CREAT | O_WRONLY, 0644);
		if (fd < 0) {
			perror(name);
			return 1;
		}
		close(fd);
		atomic_store(&in_call, 0);
		atomic_store(&rewritten, 0);
		if (pthread_create(&rw, NULL, rewriter, NULL))
			return 1;
		atomic_store(&in_call, 1);
		r = unlink(name);
		if (!r) {
			deleted++;
			raced += atomic_load(&rewritten);
		}
		pthread_join(rw, NULL);
	}
	atomic_store(&stop_reader, 1);
	pthread_join(rd, NULL);
	printf("deleted=%ld raced=%ld tries=%ld\n", deleted, raced, tries);
	return 0;
}

static int swap_fd, swap_with;

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&in_call))
		;
	sleep_us(5000);
	dup2(swap_with, swap_fd);
	atomic_store(&rewritten, 1);
	return NULL;
}

static int fdswap(const char *file, const char *decoy_file, long mb)
{
	size_t len = (size_t)mb << 20;
	char *buf = malloc(len);
	pthread_t sw;
	ssize_t w;

	swap_fd = open(file, O_WRONLY | O_APPEND);
	swap_with = open(decoy_file, O_CREAT | O_WRONLY | O_APPEND, 0644);
	if (!buf || swap_fd < 0 || swap_with < 0) {
		perror(file);
		return 1;
	}
	memset(buf, 'x', len);
	if (pthread_create(&sw, NULL, swapper, NULL))
		return 1;
	atomic_store(&in_call, 1);
	w = write(swap_fd, buf, len);
	int raced = atomic_load(&rewritten);

	pthread_join(sw, NULL);
	printf("written=%zd raced=%d\n", w, raced);
	free(buf);
	return w > 0 ? 0 : 1;
}

static int badwrite(const char *file)
{
	int fd = open(file, O_WRONLY | O_APPEND);
	/* an address no process maps: the kernel answers EFAULT (volatile: the compiler must not see it) */
	volatile uintptr_t unmapped = 16;
	int failed, written;

	if (fd < 0) {
		perror(file);
		return 1;
	}
	failed = write(fd, (const void *)unmapped, 1) < 0 && errno == EFAULT;
	written = write(fd, "x", 1) == 1;
	close(fd);
	printf("failed=%d written=%d\n", failed, written);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return fill(argv[2], atol(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "namerace"))
		return namerace(argv[2], argv[3], atol(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "fdswap"))
		return fdswap(argv[2], argv[3], atol(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "badwrite"))
		return badwrite(argv[2]);
	fprintf(stderr, "usage: pn_attack fill DIR N | namerace DIR DECOY N | fdswap FILE DECOY MB "
			"| badwrite FILE\n");
	return 2;
}
