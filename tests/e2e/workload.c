// SPDX-License-Identifier: GPL-2.0-only
/*
 * pn_workload: performs file operations given on the command line, one
 * syscall pattern per step, so the e2e tests know exactly which events to
 * expect. Linked statically: it runs unchanged inside a busybox container.
 *
 *   pn_workload [--wait-fd N] STEP...
 *
 * Steps (paths may be relative; they resolve against the current directory):
 *   cd:DIR            chdir
 *   create:P          open(O_CREAT|O_EXCL|O_WRONLY) + close
 *   write:P:TEXT      open(O_WRONLY|O_APPEND) + write x1 + close
 *   write3:P:TEXT     open(O_WRONLY|O_APPEND) + write x3 (coalesced) + close
 *   trunc:P           open(O_WRONLY|O_TRUNC) + close
 *   read:P            open(O_RDONLY) + read until EOF + close
 *   chmod:P:OCTAL     chmod
 *   truncate:P        truncate(P, 0)
 *   lchown:P          lchown(P, own uid, own gid): the link itself, not its target
 *   rename:OLD:NEW    rename
 *   unlink:P          unlink
 *   mkdir:P           mkdir
 *   mkdirp:P          mkdir of every component (like mkdir -p), no opens
 *   rmdir:P           rmdir
 *   symlink:TGT:P     symlink
 *   atcreate:DIR:NAME open DIR, openat(dirfd, NAME, O_CREAT|O_WRONLY) + close both
 *   atunlink:DIR:NAME open DIR, unlinkat(dirfd, NAME, 0) + close
 *   openexit:P        open(O_CREAT|O_WRONLY), write, and exit without closing
 *   sleep:MS          sleep
 *   comm:NAME         prctl(PR_SET_NAME): the steps after it run as NAME (any bytes)
 * Exits 0 if every step succeeded, else prints the failing step and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *step)
{
	fprintf(stderr, "pn_workload: %s: %s\n", step, strerror(errno));
	return 1;
}

static char *field(char **rest)
{
	char *f = *rest, *colon;

	if (!f)
		return NULL;
	colon = strchr(f, ':');
	if (colon) {
		*colon = '\0';
		*rest = colon + 1;
	} else {
		*rest = NULL;
	}
	return f;
}

static int write_n(const char *p, const char *text, int n)
{
	int fd = open(p, O_WRONLY | O_APPEND);

	if (fd < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (write(fd, text, strlen(text)) < 0)
			return -1;
	return close(fd);
}

static int read_all(const char *p)
{
	char buf[4096];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -1 : 0;
}

static int mkdir_p(char *p)
{
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755);
}

static int run_step(char *step)
{
	char *rest = step, *op = field(&rest), *a = field(&rest), *b = rest;
	int fd, dfd;

	if (!op || !a)
		return errno = EINVAL, -1;
	if (!strcmp(op, "cd"))
		return chdir(a);
	if (!strcmp(op, "create")) {
		fd = open(a, O_CREAT | O_EXCL | O_WRONLY, 0644);
		return fd < 0 ? -1 : close(fd);
	}
	if (!strcmp(op, "write"))
		return write_n(a, b ? b : "x", 1);
	if (!strcmp(op, "write3"))
		return write_n(a, b ? b : "x", 3);
	if (!strcmp(op, "trunc")) {
		fd = open(a, O_WRONLY | O_TRUNC);
		return fd < 0 ? -1 : close(fd);
	}
	if (!strcmp(op, "read"))
		return read_all(a);
	if (!strcmp(op, "chmod"))
		return chmod(a, b ? (mode_t)strtol(b, NULL, 8) : 0600);
	if (!strcmp(op, "truncate"))
		return truncate(a, 0);
	if (!strcmp(op, "lchown"))
		return lchown(a, getuid(), getgid());
	if (!strcmp(op, "rename"))
		return rename(a, b);
	if (!strcmp(op, "unlink"))
		return unlink(a);
	if (!strcmp(op, "mkdir"))
		return mkdir(a, 0755);
	if (!strcmp(op, "mkdirp"))
		return mkdir_p(a);
	if (!strcmp(op, "rmdir"))
		return rmdir(a);
	if (!strcmp(op, "symlink"))
		return symlink(a, b);
	if (!strcmp(op, "atcreate") || !strcmp(op, "atunlink")) {
		int r;

		dfd = open(a, O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			return -1;
		if (op[2] == 'c') {
			fd = openat(dfd, b, O_CREAT | O_WRONLY, 0644);
			r = fd < 0 ? -1 : close(fd);
		} else {
			r = unlinkat(dfd, b, 0);
		}
		close(dfd);
		return r;
	}
	if (!strcmp(op, "openexit")) {
		fd = open(a, O_CREAT | O_WRONLY, 0644);
		if (fd < 0 || write(fd, "x", 1) != 1)
			return -1;
		_exit(0);
	}
	if (!strcmp(op, "comm"))
		return prctl(PR_SET_NAME, a, 0, 0, 0);
	if (!strcmp(op, "sleep")) {
		struct timespec ts = { .tv_sec = atoi(a) / 1000,
				       .tv_nsec = (atoi(a) % 1000) * 1000000L };

		return nanosleep(&ts, NULL);
	}
	return errno = EINVAL, -1;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char copy[4096];

		snprintf(copy, sizeof(copy), "%s", argv[i]);
		if (run_step(copy))
			return fail(argv[i]);
	}
	return 0;
}
