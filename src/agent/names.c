// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* O_PATH */
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Debian 12's glibc has no wrapper for openat2(2) (5.6) */
static int openat2_dir(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static bool is_dot_name(const char *s)
{
	return !*s || !strcmp(s, ".") || !strcmp(s, "..");
}

int pn_names_open_parent(const char *proc_root, int pid, const char *path, const char **last)
{
	char root[64 + PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int rootfd, fd, e;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	*last = slash + 1;
	if (is_dot_name(*last)) {
		/* the path names a directory by itself: resolve all of it */
		snprintf(dir, sizeof(dir), "%s", path);
		*last = "";
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (!dir[0])
			strcpy(dir, "/");
	}
	snprintf(root, sizeof(root), "%s/%d/root", proc_root, pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	/* absolute names resolve from rootfd, which RESOLVE_IN_ROOT makes "/" */
	fd = openat2_dir(rootfd, dir);
	e = fd < 0 ? -errno : fd;
	close(rootfd);
	return e;
}

/* Where fd is, as the kernel names it for this process (d_path). */
static int fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	/* removed since it was opened: the name it had is not one any more */
	if (n >= 10 && !strcmp(buf + n - 10, " (deleted)"))
		return -ENOENT;
	return 0;
}

int pn_names_resolve(const char *proc_root, int pid, const char *path, char *out, size_t outlen)
{
	char root[64 + PATH_MAX], rootpath[PATH_MAX], dirpath[PATH_MAX];
	const char *last, *rel;
	int dirfd, rootfd, e;
	size_t rlen;

	dirfd = pn_names_open_parent(proc_root, pid, path, &last);
	if (dirfd < 0)
		return dirfd;
	snprintf(root, sizeof(root), "%s/%d/root", proc_root, pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	e = rootfd < 0 ? -errno : 0;
	if (!e)
		e = fd_path(dirfd, dirpath, sizeof(dirpath));
	if (!e)
		e = fd_path(rootfd, rootpath, sizeof(rootpath));
	if (rootfd >= 0)
		close(rootfd);
	close(dirfd);
	if (e)
		return e;
	/*
	 * Both are named the same way (from this agent's root, or from the top
	 * of the process's mount namespace when that is not reachable from
	 * here), so the directory's path inside the process's root is what
	 * follows the root's own.
	 */
	rlen = strcmp(rootpath, "/") ? strlen(rootpath) : 0;
	if (strncmp(dirpath, rootpath, rlen) || (dirpath[rlen] && dirpath[rlen] != '/'))
		return -EXDEV;
	rel = dirpath[rlen] ? dirpath + rlen : "/";
	if (!*last)
		e = snprintf(out, outlen, "%s", rel);
	else
		e = snprintf(out, outlen, "%s%s%s", rel, strcmp(rel, "/") ? "/" : "", last);
	return e < 0 || (size_t)e >= outlen ? -ENAMETOOLONG : 0;
}
