// SPDX-License-Identifier: GPL-2.0-only
/*
 * A FUSE filesystem that stops answering one process: what a container
 * with /dev/fuse (or a hung network mount) can do to the agent's name
 * lookups. It holds one directory, /d, with whatever names are asked for
 * in it (every lookup of /d/NAME finds a file; unlink and chmod succeed),
 * and nothing is cached by the kernel, so every lookup reaches it.
 *
 *   pn_slowfs MOUNTPOINT
 *
 * Commands on stdin, one a line, each answered "ok" on stdout:
 *   hang TGID   lookups by the threads of process TGID wait, until
 *   release     they are answered, and nobody waits any more
 * "mounted" is printed once the mount is up; EOF on stdin unmounts.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static int hang_tgid;
static struct fuse *fs;
static const char *mountpoint;

static int tgid_of(pid_t tid)
{
	char path[64], line[256];
	int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

static void wait_if_hung(void)
{
	pid_t tid = fuse_get_context()->pid;

	pthread_mutex_lock(&lock);
	while (hang_tgid && tgid_of(tid) == hang_tgid)
		pthread_cond_wait(&released, &lock);
	pthread_mutex_unlock(&lock);
}

static void *slow_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return NULL;
}

static int slow_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	wait_if_hung();
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/") || !strcmp(path, "/d")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (!strncmp(path, "/d/", 3) && !strchr(path + 3, '/')) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int slow_unlink(const char *path)
{
	(void)path;
	return 0;
}

static int slow_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return 0;
}

static const struct fuse_operations ops = {
	.init = slow_init,
	.getattr = slow_getattr,
	.unlink = slow_unlink,
	.chmod = slow_chmod,
};

static void *commands(void *arg)
{
	char line[64];
	int tgid;

	(void)arg;
	while (fgets(line, sizeof(line), stdin)) {
		pthread_mutex_lock(&lock);
		if (sscanf(line, "hang %d", &tgid) == 1) {
			hang_tgid = tgid;
		} else if (!strcmp(line, "release\n")) {
			hang_tgid = 0;
			pthread_cond_broadcast(&released);
		}
		pthread_mutex_unlock(&lock);
		printf("ok\n");
		fflush(stdout);
	}
	pthread_mutex_lock(&lock);
	hang_tgid = 0;
	pthread_cond_broadcast(&released);
	pthread_mutex_unlock(&lock);
	fuse_exit(fs);
	/* the loop is in read(2) of /dev/fuse: a detached mount ends it (ENODEV) */
	umount2(mountpoint, MNT_DETACH);
	return NULL;
}

int main(int argc, char **argv)
{
	char *fargs[] = { argv[0], "-o", "default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargs);
	pthread_t t;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: pn_slowfs MOUNTPOINT\n");
		return 2;
	}
	mountpoint = argv[1];
	fs = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!fs || fuse_mount(fs, argv[1])) {
		fprintf(stderr, "pn_slowfs: cannot mount %s\n", argv[1]);
		return 1;
	}
	printf("mounted\n");
	fflush(stdout);
	if (pthread_create(&t, NULL, commands, NULL)) {
		fuse_unmount(fs);
		return 1;
	}
	err = fuse_loop_mt(fs, 0);
	fuse_unmount(fs);
	fuse_destroy(fs);
	return err ? 1 : 0;
}
