// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* O_PATH */
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pathutil.h"

/* The process's root only; the kept ones stay. */
static void forget_process(struct pn_names *n)
{
	if (n->rootfd)
		close(n->rootfd - 1);
	n->pid = 0;
	n->cgroup_id = 0;
	n->rootfd = 0;
	n->have_root_id = false;
	n->have_rootpath = false;
}

void pn_names_reset(struct pn_names *n)
{
	forget_process(n);
	for (size_t i = 0; i < PN_NAMES_ROOTS; i++)
		if (n->kept[i].fd)
			close(n->kept[i].fd - 1);
	memset(n, 0, sizeof(*n));
}

/* fd's mount id if fd is the root of its mount (what path__root_id() says), else 0. */
static uint32_t mount_root_id(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID) || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return 0;
	return (uint32_t)stx.stx_mnt_id;
}

static int kept_fd(const struct pn_names *n, uint32_t id)
{
	for (size_t i = 0; id && i < PN_NAMES_ROOTS; i++)
		if (n->kept[i].fd && n->kept[i].id == id)
			return n->kept[i].fd - 1;
	return -1;
}

static void keep(struct pn_names *n, size_t slot, uint32_t id, int fd)
{
	if (n->kept[slot].fd)
		close(n->kept[slot].fd - 1);
	n->kept[slot].id = id;
	n->kept[slot].fd = fd + 1;
}

int pn_names_keep_own(struct pn_names *n, const char *proc_root)
{
	char root[64 + PATH_MAX];
	uint32_t id;
	int fd;

	snprintf(root, sizeof(root), "%s/self/root", proc_root);
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	id = mount_root_id(fd);
	if (!id) {
		close(fd);
		return -ENOTSUP;
	}
	keep(n, 0, id, fd);
	return 0;
}

void pn_names_keep(struct pn_names *n, uint32_t root_id)
{
	int fd;

	if (!root_id || !n->rootfd || kept_fd(n, root_id) >= 0)
		return;
	if (!n->have_root_id) {
		n->root_id = mount_root_id(n->rootfd - 1);
		n->have_root_id = true;
	}
	if (n->root_id != root_id)
		return;
	fd = fcntl(n->rootfd - 1, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return;
	keep(n, 1 + n->next_kept++ % (PN_NAMES_ROOTS - 1), root_id, fd);
}

/*
 * The root of `pid`, kept open: it stays usable after the process exits,
 * and a pid reused by a process of another cgroup is a miss.
 */
static int root_of(struct pn_names *n, const char *proc_root, int pid, uint64_t cgroup_id)
{
	char root[64 + PATH_MAX];
	int fd;

	if (n->rootfd && n->pid == pid && n->cgroup_id == cgroup_id)
		return n->rootfd - 1;
	snprintf(root, sizeof(root), "%s/%d/root", proc_root, pid);
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* exited (a zombie's root is unreadable too), whatever errno says */
	if (fd < 0)
		return -ESRCH;
	forget_process(n);
	n->pid = pid;
	n->cgroup_id = cgroup_id;
	n->rootfd = fd + 1;
	return fd;
}

/* Debian 12's glibc has no wrapper for openat2(2) (5.6); `dir`: only a directory will do */
static int openat2_path(int dirfd, const char *path, __u64 resolve, bool dir)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | (dir ? O_DIRECTORY : 0),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

static bool is_dot_name(const char *s)
{
	return !*s || !strcmp(s, ".") || !strcmp(s, "..");
}

/* path's directory part into dir (PATH_MAX bytes); *last at the rest. */
static int split(const char *path, char *dir, const char **last)
{
	const char *slash = strrchr(path, '/');

	if (!slash || (size_t)(slash - path) >= PATH_MAX)
		return -EINVAL;
	*last = slash + 1;
	if (is_dot_name(*last)) {
		/* the path names a directory by itself: resolve all of it */
		if (strlen(path) >= PATH_MAX)
			return -ENAMETOOLONG;
		strcpy(dir, path);
		*last = "";
		return 0;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (!dir[0])
		strcpy(dir, "/");
	return 0;
}

int pn_names_open_parent(struct pn_names *n, const char *proc_root, int pid, uint64_t cgroup_id,
			 const char *path, const char **last)
{
	char dir[PATH_MAX];
	int rootfd, e = split(path, dir, last);

	if (e)
		return e;
	rootfd = root_of(n, proc_root, pid, cgroup_id);
	if (rootfd < 0)
		return rootfd;
	/* absolute names resolve from rootfd, which RESOLVE_IN_ROOT makes "/" */
	return openat2_path(rootfd, dir, 0, true);
}

/* Where fd is, as the kernel names it for this process (d_path). */
static int fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t r;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = readlink(link, buf, len - 1);
	if (r < 0)
		return -errno;
	if ((size_t)r >= len - 1)
		return -ENAMETOOLONG;
	buf[r] = '\0';
	/* removed since it was opened: the name it had is not one any more */
	if (r >= 10 && !strcmp(buf + r - 10, " (deleted)"))
		return -ENOENT;
	return 0;
}

static int join(char *out, size_t outlen, const char *dir, const char *last)
{
	int e;

	if (!*last)
		e = snprintf(out, outlen, "%s", dir);
	else
		e = snprintf(out, outlen, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", last);
	return e < 0 || (size_t)e >= outlen ? -ENAMETOOLONG : 0;
}

/* *st of `last` in dirfd, not followed ("": dirfd itself); st_mode 0 when it is gone. */
static void stat_last(int dirfd, const char *last, struct stat *st)
{
	if (st && fstatat(dirfd, last, st, AT_SYMLINK_NOFOLLOW | (*last ? 0 : AT_EMPTY_PATH)))
		st->st_mode = 0;
}

/* Up to 40 symlinks in one lookup, as the kernel's MAXSYMLINKS. */
#define LINKS_MAX 40

/* Takes the first name off *rest (slashes skipped) into name; false when none is left. */
static bool next_name(const char **rest, char *name, size_t len)
{
	const char *p = *rest, *end;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	end = strchrnul(p, '/');
	if ((size_t)(end - p) >= len)
		return false;
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	*rest = end;
	return true;
}

/*
 * Whether a symlink `path` crosses from rootfd (every name when `all`,
 * else all but the last) has a ctime at or after `since_ns`: replaced or
 * moved after the call. Walked as the kernel walks: a link's target
 * spliced in front of the rest, ".." the parent of where the walk is.
 * Every step opens the directory reached from rootfd again without
 * following anything (the walk's own path holds no symlink), so nothing
 * leads out of the root. A step that fails (a name gone) ends the walk
 * with no answer: the lookup itself says what is gone.
 */
static bool links_changed(int rootfd, const char *path, bool all, int64_t since_ns)
{
	char at[PATH_MAX] = "/", todo[2][PATH_MAX], name[NAME_MAX + 1], target[PATH_MAX];
	const char *rest = path;
	int links = 0, cur = 0;

	while (next_name(&rest, name, sizeof(name))) {
		struct statx stx;
		size_t alen = strlen(at);
		int dirfd, r;
		ssize_t n;

		/* the last name is the object itself, unless the call followed it */
		if (!all && !rest[strspn(rest, "/")])
			break;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			char *slash = strrchr(at, '/');

			*(slash == at ? slash + 1 : slash) = '\0';
			continue;
		}
		dirfd = openat2_path(rootfd, at, RESOLVE_NO_SYMLINKS, true);
		if (dirfd < 0)
			return dirfd == -ELOOP; /* a name of the walk became a link meanwhile */
		r = statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_CTIME, &stx);
		if (r || !S_ISLNK(stx.stx_mode)) {
			close(dirfd);
			if (r || !S_ISDIR(stx.stx_mode) || alen + 1 + strlen(name) >= sizeof(at))
				return false;
			snprintf(at + alen, sizeof(at) - alen, "%s%s", alen > 1 ? "/" : "", name);
			continue;
		}
		if (stx.stx_ctime.tv_sec * 1000000000LL + stx.stx_ctime.tv_nsec >= since_ns) {
			close(dirfd);
			return true;
		}
		n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		close(dirfd);
		if (n <= 0 || ++links > LINKS_MAX)
			return false;
		target[n] = '\0';
		/* the rest of the walk: the link's target, then what followed the link */
		if ((size_t)snprintf(todo[cur], sizeof(todo[cur]), "%s%s", target, rest) >=
		    sizeof(todo[cur]))
			return false;
		rest = todo[cur];
		cur ^= 1;
		if (target[0] == '/')
			strcpy(at, "/");
	}
	return false;
}

/*
 * `path` looked up in rootfd; rootpath (PATH_MAX bytes) holds rootfd's own
 * path once *have_rootpath says so. since_ns: names.h links_since_ns.
 */
static int resolve_at(int rootfd, char *rootpath, bool *have_rootpath, const char *path,
		      bool follow, int64_t since_ns, char *out, size_t outlen, struct stat *st)
{
	char dir[PATH_MAX], dirpath[PATH_MAX];
	const char *last, *rel;
	int dirfd, e;
	size_t rlen;

	if (follow) {
		/* the call went through a symlink in the last name too: resolve all of it */
		if (strlen(path) >= sizeof(dir))
			return -ENAMETOOLONG;
		strcpy(dir, path);
		last = "";
	} else {
		e = split(path, dir, &last);
		if (e)
			return e;
	}
	/*
	 * No symlink on the way: ".." is then the physical parent too, and the
	 * text normalized is where the kernel went.
	 */
	dirfd = openat2_path(rootfd, dir, RESOLVE_NO_SYMLINKS, !follow);
	if (dirfd >= 0) {
		stat_last(dirfd, last, st);
		close(dirfd);
		if (pn_path_normalize(dir, dirpath, sizeof(dirpath)) < 0)
			return -ENAMETOOLONG;
		return join(out, outlen, dirpath, last);
	}
	if (dirfd != -ELOOP)
		return dirfd;
	dirfd = openat2_path(rootfd, dir, 0, !follow);
	if (dirfd < 0)
		return dirfd;
	if (since_ns && links_changed(rootfd, path, follow, since_ns)) {
		close(dirfd);
		return -ESTALE;
	}
	e = fd_path(dirfd, dirpath, sizeof(dirpath));
	stat_last(dirfd, last, st);
	close(dirfd);
	if (!e && !*have_rootpath) {
		e = fd_path(rootfd, rootpath, PATH_MAX);
		*have_rootpath = !e;
	}
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
	return join(out, outlen, rel, last);
}

static int resolve(int rootfd, char *rootpath, bool *have_rootpath, const char *path, bool follow,
		   int64_t since_ns, char *out, size_t outlen, struct stat *st)
{
	int e = resolve_at(rootfd, rootpath, have_rootpath, path, follow, since_ns, out, outlen,
			   st);

	/*
	 * The object may be gone by the time the record is read (chmod f, then
	 * rm f): its directory still tells where it was, and a symlink there
	 * that was since removed is the one case this gets wrong.
	 */
	if (e == -ENOENT && follow)
		e = resolve_at(rootfd, rootpath, have_rootpath, path, false, since_ns, out, outlen,
			       st);
	return e;
}

int pn_names_resolve(struct pn_names *n, const char *proc_root, int pid, uint64_t cgroup_id,
		     const char *path, bool follow, char *out, size_t outlen, struct stat *st)
{
	int rootfd = root_of(n, proc_root, pid, cgroup_id);

	if (rootfd < 0)
		return rootfd;
	return resolve(rootfd, n->rootpath, &n->have_rootpath, path, follow, n->links_since_ns, out,
		       outlen, st);
}

int pn_names_resolve_kept(struct pn_names *n, uint32_t root_id, const char *path, bool follow,
			  char *out, size_t outlen, struct stat *st)
{
	int rootfd = kept_fd(n, root_id);
	/* rare (a process gone before its record was read): its path is asked each time */
	char rootpath[PATH_MAX];
	bool have_rootpath = false;

	if (rootfd < 0)
		return -ESRCH;
	return resolve(rootfd, rootpath, &have_rootpath, path, follow, n->links_since_ns, out,
		       outlen, st);
}
