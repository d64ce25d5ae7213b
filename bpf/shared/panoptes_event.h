/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the kernel programs and panoptesd. Plain __u32/__u64 only,
 * explicit padding, sizes pinned by _Static_assert: both compilers (clang
 * -target bpf and the host compiler) must lay these out identically.
 */
#ifndef PANOPTES_EVENT_H
#define PANOPTES_EVENT_H

#ifdef __bpf__
/* vmlinux.h already provides __u8.. __u64 */
#else
#include <linux/types.h>
#endif

/*
 * Event bits. The values are inotify's IN_* so that masks read the same in
 * logs, JSON and `bpftool map dump` as they do for users of inotify.
 */
#define PN_ACCESS	 0x00000001u
#define PN_MODIFY	 0x00000002u
#define PN_ATTRIB	 0x00000004u
#define PN_CLOSE_WRITE	 0x00000008u
#define PN_CLOSE_NOWRITE 0x00000010u
#define PN_OPEN		 0x00000020u
#define PN_MOVED_FROM	 0x00000040u
#define PN_MOVED_TO	 0x00000080u
#define PN_CREATE	 0x00000100u
#define PN_DELETE	 0x00000200u
#define PN_DELETE_SELF	 0x00000400u
#define PN_MOVE_SELF	 0x00000800u
#define PN_ISDIR	 0x40000000u

/* The single events above are bits 0 .. PN_EVENT_KINDS - 1, in inotify's order. */
#define PN_EVENT_KINDS 12

#define PN_CLOSE (PN_CLOSE_WRITE | PN_CLOSE_NOWRITE)
#define PN_MOVE	 (PN_MOVED_FROM | PN_MOVED_TO)
#define PN_ALL_EVENTS                                                                              \
	(PN_ACCESS | PN_MODIFY | PN_ATTRIB | PN_CLOSE | PN_OPEN | PN_MOVE | PN_CREATE |            \
	 PN_DELETE | PN_DELETE_SELF | PN_MOVE_SELF)
_Static_assert(PN_ALL_EVENTS == (1u << PN_EVENT_KINDS) - 1, "single events are the low bits");

/*
 * Kernel operations. A record's `ops` holds what the kernel saw, not yet the
 * inotify view relative to a watched path: the kernel says "deleted X" and
 * the rule engine decides whether that is DELETE (X inside a watched
 * directory) or DELETE_SELF (X is the watched path). A rename is one record,
 * PN_OP_MOVE, carrying both paths. An open may carry CREATE and MODIFY (an
 * O_TRUNC of an existing file) beside OPEN, reported in that order.
 */
#define PN_OP_MOVE PN_MOVE

/* Record flags */
#define PN_REC_ISDIR	       0x01u /* the object is a directory */
#define PN_REC_TRUNCATED       0x02u /* path did not fit; it is marked, never silently cut */
#define PN_REC_OLD_TRUNCATED   0x04u /* old path (moves) did not fit */
#define PN_REC_EXCHANGE	       0x08u /* renameat2(RENAME_EXCHANGE): both names moved */
#define PN_REC_TYPE_UNKNOWN    0x10u /* the kernel could not tell file from directory */
#define PN_REC_NAME_UNRESOLVED 0x20u /* path is text the process passed, not a walked dentry */
#define PN_REC_NAMED                                                                               \
	0x40u /* second path is the name the process used (vfs opens), not a move's old name */
#define PN_REC_MULTILINK                                                                           \
	0x80u /* regular file with more than one hard link: another name may be watched */

/* Record flags, second byte */
#define PN_REC2_FOLLOWS                                                                            \
	0x01u /* the call follows a symlink in the path's last name (chmod, truncate...) */

/* Longest path a record carries, terminating NUL included (PATH_MAX). */
#define PN_PATH_MAX 4096

/* A task's comm, NUL included (the kernel's TASK_COMM_LEN). */
#define PN_COMM_LEN 16

struct pn_record {
	__u64 ts_ns;	       /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cgroup_id;       /* the task's own cgroup v2 id */
	__u64 watch_cgroup_id; /* the watched cgroup (the task's or an ancestor) that let it through */
	__s64 result;	       /* syscall return value as the backend saw it */
	__u32 pid;	       /* thread id, host pid namespace */
	__u32 tgid;	       /* process id, host pid namespace */
	__u32 uid;
	__u32 gid;
	__u32 ops;	    /* PN_* bits, see "Kernel operations" */
	__u32 cookie;	    /* links MOVED_FROM/MOVED_TO; 0 otherwise */
	__u32 syscall_nr;   /* syscalls: what the process called; vfs: PN_HOOK_* */
	__u16 path_len;	    /* bytes of path, NUL included */
	__u16 old_path_len; /* bytes of old path (moves), NUL included; 0 otherwise */
	__u8 flags;	    /* PN_REC_* */
	__u8 backend;	    /* PN_BACKEND_* */
	__u8 flags2;	    /* PN_REC2_* */
	__u8 pad;
	__u32 root_id; /* a name's: the task's root, for lookups after it exits (path.bpf.h) */
	char comm[PN_COMM_LEN];
	/* followed by path (path_len bytes) then old path (old_path_len bytes) */
};
_Static_assert(sizeof(struct pn_record) == 88, "pn_record layout is ABI between kernel and user");

#define PN_BACKEND_SYSCALLS 1
#define PN_BACKEND_VFS	    2

/*
 * The vfs backend's hooks, in a record's syscall_nr (a vfs record has no
 * syscall: io_uring and the kernel's own callers reach the same hooks).
 * Above every syscall number, so the two never read alike.
 */
enum pn_hook {
	PN_HOOK_OPEN = 0x10000, /* fexit do_filp_open */
	PN_HOOK_CLOSE,		/* fentry filp_flush / filp_close */
	PN_HOOK_RW,		/* lsm file_permission */
	PN_HOOK_UNLINK,		/* lsm path_unlink + fexit do_unlinkat */
	PN_HOOK_RMDIR,		/* lsm path_rmdir + fexit do_rmdir */
	PN_HOOK_MKDIR,		/* lsm path_mkdir + fexit do_mkdirat */
	PN_HOOK_MKNOD,		/* lsm path_mknod + fexit do_mknodat */
	PN_HOOK_SYMLINK,	/* lsm path_symlink + fexit do_symlinkat */
	PN_HOOK_LINK,		/* lsm path_link + fexit do_linkat */
	PN_HOOK_RENAME,		/* lsm path_rename + fexit do_renameat2 */
	PN_HOOK_SETATTR, /* lsm path_chmod/chown/truncate, file_truncate + fexit notify_change */
	PN_HOOK_UTIMES,	 /* fexit vfs_utimes */
};

/* Value of the watched-cgroups map, keyed by cgroup id (__u64). */
struct pn_cgroup_watch {
	__u32 ops; /* PN_* operations any watch of this cgroup (or an ancestor) wants */
	__u32 pad;
};
_Static_assert(sizeof(struct pn_cgroup_watch) == 8, "pn_cgroup_watch layout");

/*
 * The kernel's counters, one row each: the field (its name in `bpftool map
 * dump`, GetStatus, panoptesctl and the log), the Prometheus metric, and the
 * metric's help text. struct pn_counters is this list; userspace expands it
 * wherever it sums, copies or prints the counters, so a row added here
 * reaches all of them (the .proto is checked against it by
 * tests/unit/test_counters.c). The order is the ABI and every output's order:
 * append only.
 */
#define PN_COUNTERS(X)                                                                             \
	X(seen, "panoptes_kernel_seen_total",                                                      \
	  "Hook hits on a syscall of interest from watched tasks.")                                \
	X(filtered, "panoptes_kernel_filtered_total",                                              \
	  "Hook hits from unwatched tasks, dropped in the kernel by the cgroup filter.")           \
	X(gated, "panoptes_kernel_gated_total",                                                    \
	  "Hits from watched tasks for event types no watch asked for (none, for containers "      \
	  "no selector wants), dropped in the kernel.")                                            \
	X(coalesced, "panoptes_kernel_coalesced_total",                                            \
	  "Repeated ACCESS/MODIFY on one open file, folded in the kernel.")                        \
	X(emitted, "panoptes_kernel_emitted_total", "Records written to the ring buffer.")         \
	X(dropped, "panoptes_ringbuf_drops_total",                                                 \
	  "Records lost because the ring buffer was full.")                                        \
	X(truncated, "panoptes_truncated_paths_total",                                             \
	  "Records whose path did not fit PATH_MAX (flagged, never cut silently).")                \
	X(failed, "panoptes_failed_operations_total",                                              \
	  "Operations that failed in the kernel: no event by design.")                             \
	X(pending_full, "panoptes_kernel_pending_full_total",                                      \
	  "Records lost because too many threads were inside a watched operation at once.")        \
	X(cgroup_notes_dropped, "panoptes_kernel_cgroup_notes_dropped_total",                      \
	  "Cgroups made or removed that their ring buffer had no room to tell.")

/* Per-CPU counters; userspace sums the CPUs. */
struct pn_counters {
#define PN_COUNTER_FIELD(name, metric, help) __u64 name;
	PN_COUNTERS(PN_COUNTER_FIELD)
#undef PN_COUNTER_FIELD
};
_Static_assert(sizeof(struct pn_counters) == 80, "pn_counters layout");

/*
 * A cgroup made or removed on the cgroup v2 hierarchy (bpf/cgroup.bpf.c), in
 * a ring buffer of its own (pn_cgroup_notes): the container runtime's client
 * asks about a container as its cgroup appears, before its first event, and
 * lets it go as the cgroup goes. The path is the hierarchy's (the tracepoint's
 * own), whatever cgroup namespace the agent runs in.
 */
#define PN_CGROUP_MADE	  1
#define PN_CGROUP_REMOVED 2
/* Longer than any runtime's container cgroup path (systemd's are ~180 bytes). */
#define PN_CGROUP_PATH_MAX 512

struct pn_cgroup_note {
	__u64 ts_ns; /* CLOCK_MONOTONIC, as pn_record's */
	__u64 cgroup_id;
	__u32 op;	/* PN_CGROUP_* */
	__u32 level;	/* depth below the root: 1 for /kubepods */
	__u16 path_len; /* bytes of path, NUL included; PN_CGROUP_PATH_MAX: it may be cut */
	__u16 pad[3];
	char path[PN_CGROUP_PATH_MAX];
};
_Static_assert(sizeof(struct pn_cgroup_note) == 544, "pn_cgroup_note layout");

/*
 * Distinct cgroup levels (depths below the cgroup2 root) that can hold a
 * watched cgroup: the size of the kernel's pn_watch_levels[].
 */
#define PN_MAX_WATCH_LEVELS 8
/* Entries of the watched-cgroup map unless --max-cgroups sets another size before load. */
#define PN_MAX_CGROUPS_DEFAULT 16384

#endif /* PANOPTES_EVENT_H */
