/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names as the kernel resolved them, inside a process's own root. The
 * syscalls backend reports an operation on a name with the text the process
 * passed, joined to the directory it was relative to; a symlink or a ".."
 * in it (`rm l/f` with l -> /watched) names another place than the text
 * says. Here the directory part is looked up again in the process's root
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so no symlink of a
 * container ever leads into the agent's own root; the last name is kept as
 * it is (unlink, rename, rmdir, lstat never follow it).
 *
 * Cost: the root of the last process asked is kept open (records come in
 * runs from one process), and a directory part without symlinks is checked
 * with one openat2(RESOLVE_NO_SYMLINKS): then the text, normalized, is the
 * answer. Only a name that crosses a symlink pays for reading back where
 * the lookup ended.
 */
#ifndef PN_NAMES_H
#define PN_NAMES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The open root of one process; zero-initialized is empty. */
struct pn_names {
	int pid;
	uint64_t cgroup_id;
	int rootfd; /* + 1: 0 is none, so a zeroed struct is empty */
	bool have_rootpath;
	char rootpath[PATH_MAX];
};

void pn_names_reset(struct pn_names *n);

/*
 * A directory fd (O_PATH) for every name of `path` but the last, looked up
 * in the root of process `pid` of cgroup `cgroup_id` (under `proc_root`,
 * normally /proc); *last points into `path` at the last name ("" when the
 * path names a directory itself: "/", a trailing "/", "." or ".."). -ESRCH
 * when the process is gone, else -errno (the directory is gone).
 */
int pn_names_open_parent(struct pn_names *n, const char *proc_root, int pid, uint64_t cgroup_id,
			 const char *path, const char **last);

/*
 * `path` as process `pid` reaches it: the directory part resolved in its
 * root, then the last name (`follow`: the last name resolved too, for the
 * calls that follow a symlink there: chmod, truncate, utimes...). Writes a
 * NUL-terminated absolute path of at most `outlen` bytes and, when `st` is
 * not NULL, the object's stat from the same lookup (not followed past what
 * `follow` says; st_mode 0 when it is gone). -ESRCH when the process is
 * gone, else -errno (the directory is gone, the result does not fit).
 */
int pn_names_resolve(struct pn_names *n, const char *proc_root, int pid, uint64_t cgroup_id,
		     const char *path, bool follow, char *out, size_t outlen, struct stat *st);

#endif
