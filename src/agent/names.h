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
 * A process that has exited has no root to ask. The roots its names were
 * resolved in are kept by their mount id (the kernel's root_id of a record,
 * path.bpf.h), the agent's own from the start: a short-lived `rm` is looked
 * up in the root it had, exactly, while a root like it is kept. Only a root
 * never seen before (a mount namespace whose processes all exited before
 * one of their names was read) is left with no answer. A kept root pins its
 * mount: at most PN_NAMES_ROOTS of them, the oldest replaced first; one
 * whose namespace is gone has lost its submounts, and a name under one of
 * them then reads as gone.
 *
 * A symlink on the way is read when the record is, not when the call ran:
 * one replaced in between (`rm l/f; ln -sfn /elsewhere l`) would name
 * the new target. A link cannot be changed in place, only replaced or
 * renamed, and both set its ctime; so every symlink the lookup crosses is
 * checked against the call's time (links_since_ns), and one changed since
 * makes the answer -ESTALE: the name is then reported as one that could
 * not be resolved, to every subject (rules.h).
 *
 * Cost: the root of the last process asked is kept open (records come in
 * runs from one process), and a directory part without symlinks is checked
 * with one openat2(RESOLVE_NO_SYMLINKS): then the text, normalized, is the
 * answer. Only a name that crosses a symlink pays for reading back where
 * the lookup ended, and for the walk that checks each link's ctime.
 */
#ifndef PN_NAMES_H
#define PN_NAMES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * How far a link's ctime may read before the call and still be taken as
 * changed after it: file times come from the kernel's coarse clock, up to
 * a tick behind (10 ms at HZ=100). A link made this close before the call
 * reads as changed: its name is flagged, never lost.
 */
#define PN_NAMES_CTIME_SLACK_NS (10 * 1000000LL)

/* Roots kept by mount id; slot 0 is the agent's own, never replaced. */
#define PN_NAMES_ROOTS 16

/* The open root of one process and the roots kept; zero-initialized is empty. */
struct pn_names {
	int pid;
	uint64_t cgroup_id;
	int rootfd;	   /* + 1: 0 is none, so a zeroed struct is empty */
	uint32_t root_id;  /* rootfd's mount id when it is that mount's root, else 0 */
	bool have_root_id; /* root_id was asked */
	bool have_rootpath;
	char rootpath[PATH_MAX];
	struct {
		uint32_t id;
		int fd; /* + 1, as rootfd */
	} kept[PN_NAMES_ROOTS];
	unsigned int next_kept;
	/*
	 * CLOCK_REALTIME ns: a symlink crossed whose ctime is this or later
	 * was changed after the call (-ESTALE); 0 checks nothing. Set by the
	 * caller before each lookup.
	 */
	int64_t links_since_ns;
};

/* Closes everything: the process's root and the kept ones. */
void pn_names_reset(struct pn_names *n);

/* Keeps the agent's own root (slot 0). 0, or -errno. */
int pn_names_keep_own(struct pn_names *n, const char *proc_root);

/*
 * After a lookup through a process: keeps its root under `root_id` (a
 * record's), if that is the root's own mount id and no root of that id is
 * kept yet. 0 does nothing.
 */
void pn_names_keep(struct pn_names *n, uint32_t root_id);

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

/* pn_names_resolve() in the root kept under `root_id`; -ESRCH when none is. */
int pn_names_resolve_kept(struct pn_names *n, uint32_t root_id, const char *path, bool follow,
			  char *out, size_t outlen, struct stat *st);

#endif
