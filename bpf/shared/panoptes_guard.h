/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the guard's BPF LSM programs (bpf/guard/guard.bpf.c) and
 * panoptesd (src/agent/guard_lsm.c). Same rules as panoptes_event.h: plain
 * __u8..__u64, explicit padding, sizes pinned.
 *
 * Userspace writes what each guarded cgroup may not do as rules keyed by the
 * identity of the objects its guards name (the superblock's s_dev as the
 * kernel encodes it, and the inode number); the programs look up the object
 * reached and its directories, nearest first, and decide in the kernel.
 */
#ifndef PANOPTES_GUARD_H
#define PANOPTES_GUARD_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/*
 * The layout of what the guard's maps hold (keys, values, records below,
 * .bss): an agent adopts the maps another left pinned only if their
 * stamps are equal. Bump it with any change of them.
 */
#define PN_GUARD_LAYOUT 1

/* Directories above an object the programs look at: one more would be unresolved. */
#define PN_GUARD_DEPTH_MAX 64
/* Names below the guarded object a decision carries for its log line. */
#define PN_GUARD_NAMES	  16
#define PN_GUARD_NAME_LEN 256
/* Levels of the cgroup tree a guarded cgroup may sit at (bits of pn_guard_levels). */
#define PN_GUARD_LEVELS 32

/* A verdict, ordered so that the larger wins: deny over owner-deny over allow. */
enum {
	PN_GUARD_V_NONE = 0,
	PN_GUARD_V_ALLOW = 1,
	PN_GUARD_V_DENY_OWNER_OK =
		2, /* autoAllowOwner: denied but to the container's init and its children */
	PN_GUARD_V_DENY = 3,
};

/* Where the object stands to the guarded one (the rule's first index). */
enum {
	PN_GUARD_AT_SELF = 0,  /* the guarded object itself */
	PN_GUARD_AT_CHILD = 1, /* a direct child of a guarded directory */
	PN_GUARD_AT_DEEP = 2,  /* further down a recursive one */
	PN_GUARD_AT_KINDS = 3,
};

/* Operations (the rule's second index): janus' OPEN_PERM and ACCESS_PERM. */
enum {
	PN_GUARD_OP_OPEN = 0,
	PN_GUARD_OP_ACCESS = 1,
	PN_GUARD_OPS = 2,
};

struct pn_guard_key {
	__u64 cgroup; /* the guard's cgroup (the task's own or an ancestor) */
	__u64 dev;    /* inode->i_sb->s_dev: MKDEV() as the kernel encodes it (major << 20) */
	__u64 ino;    /* inode->i_ino */
};
_Static_assert(sizeof(struct pn_guard_key) == 24, "pn_guard_key is ABI between kernel and user");

/* verdict[at][op][is_dir]: every guard of the cgroup that names this object, merged (max). */
struct pn_guard_rule {
	__u8 verdict[PN_GUARD_AT_KINDS][PN_GUARD_OPS][2];
	__u8 pad[4];
};
_Static_assert(sizeof(struct pn_guard_rule) == 16, "pn_guard_rule is ABI between kernel and user");

/* flags of a guarded cgroup */
#define PN_GUARD_CG_DEEP      0x1 /* a rule is recursive: walk every directory up, not only one */
#define PN_GUARD_CG_DEEP_DENY 0x2 /* a recursive rule denies: a walk that cannot end is denied */

struct pn_guard_cgroup {
	__u32 flags; /* PN_GUARD_CG_* */
	__u32 pad;
};
_Static_assert(sizeof(struct pn_guard_cgroup) == 8,
	       "pn_guard_cgroup is ABI between kernel and user");

/* flags of a decision */
#define PN_GUARD_F_DENIED     0x1 /* the kernel returned -EPERM */
#define PN_GUARD_F_DIR	      0x2
#define PN_GUARD_F_UNRESOLVED 0x4 /* the walk up did not end within PN_GUARD_DEPTH_MAX: denied */
#define PN_GUARD_F_OWNER      0x8 /* a deny passed for the container's init or its child */

/*
 * One decision on a guard's object, for its log line: the rule's object
 * (key), how far above the object reached it is (level: 0 itself), and the
 * names from the object reached upward (names[0] its own), the first
 * min(level, PN_GUARD_NAMES) of them.
 */
struct pn_guard_decision {
	__u64 ts_ns;
	struct pn_guard_key key;
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u8 op;    /* PN_GUARD_OP_* */
	__u8 flags; /* PN_GUARD_F_* */
	__u8 level;
	__u8 n_names;
	char comm[16];
	char names[PN_GUARD_NAMES][PN_GUARD_NAME_LEN];
};
_Static_assert(sizeof(struct pn_guard_decision) == 64 + PN_GUARD_NAMES * PN_GUARD_NAME_LEN,
	       "pn_guard_decision is ABI between kernel and user");

/* Per-CPU counters of the programs. */
struct pn_guard_counters {
	__u64 allowed;
	__u64 denied;
	__u64 passed;	  /* opens and reads in guarded cgroups that no rule names */
	__u64 unresolved; /* counted in denied too */
	__u64 lost;	  /* decisions whose record did not fit the ring buffer */
};
_Static_assert(sizeof(struct pn_guard_counters) == 40, "pn_guard_counters layout");

#endif
