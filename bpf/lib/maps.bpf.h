/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps and globals shared by all hooks. Every *.bpf.c includes this file and
 * `bpftool gen object` links them into one object: the definitions are
 * __weak so the identical copies merge into one map each.
 */
#ifndef PN_MAPS_BPF_H
#define PN_MAPS_BPF_H

#include "lib/common.bpf.h"

/* Records to panoptesd. Size set by userspace before load (--ringbuf-mb). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} pn_events SEC(".maps") __weak;

/*
 * Cgroups made and removed (bpf/cgroup.bpf.c): a few per container start, so
 * 256 KiB (some 480 notes) holds a node's burst of pod starts between two
 * reads; one that does not fit is counted (cgroup_notes_dropped).
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} pn_cgroup_notes SEC(".maps") __weak;

/* Watched cgroup ids -> what their watches want. Written by userspace only; sized by it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PN_MAX_CGROUPS_DEFAULT);
	__type(key, __u64);
	__type(value, struct pn_cgroup_watch);
} pn_cgroups SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pn_counters);
} pn_counters SEC(".maps") __weak;

/*
 * Scratch space, one per CPU. Contract: a hook owns its CPU's scratch from
 * lookup until it returns, so nothing in it survives between two hook runs
 * except cookie_seq, and no hook may keep a pointer into it past its return
 * (a record that must wait is copied out: lib/pending.bpf.h). Why no other
 * hook runs on that CPU in between, for each kind of program:
 *
 *   tracepoints (tp_btf sys_exit and sched_process_exit, the syscalls:
 *   enter tracepoints): run with preemption disabled, and none of these
 *   events fires in interrupt context.
 *
 *   trampolines (fentry/fexit, BPF LSM: the vfs backend): run with
 *   migration disabled, so a program ends on the CPU it started on, and
 *   the kernel skips (and counts as missed) a program hit again on a CPU
 *   where it is already running. Their functions run in process context
 *   only, and nothing a hook calls (probe reads, map updates, ring buffer
 *   output) reaches another hook. They are not run with preemption
 *   disabled, though: on a kernel with full preemption (PREEMPT=y, or
 *   preempt=full with PREEMPT_DYNAMIC) a task can lose the CPU inside a
 *   program and another task's hook can then build its record in the same
 *   scratch, so the first record may go out with the second's bytes.
 *   Voluntary preemption, the default of Debian's kernels, never preempts
 *   a BPF program (it cannot sleep): there the contract holds as for
 *   tracepoints.
 *
 * The parts:
 *   rec + data: the record exactly as it goes to the ring buffer, paths copied
 *               forward into data (path, then old path).
 *   match/hook: only for records saved as pending (lib/pending.bpf.h).
 *   walk:       the dentry walk writes a path backwards so that it ends at
 *               walk[PN_PATH_MAX]; a name the process passed is appended from
 *               there. The second half absorbs the append and keeps every
 *               masked offset inside the buffer, which the verifier needs.
 *   pw:         the walk's own state (struct path_walk), rewritten by each walk.
 */
/*
 * The state of one path walk (lib/path.bpf.h), kept in the scratch and not
 * on the stack: a value loaded from a map is unknown to the verifier, so
 * the states it reaches at each step agree whichever way the step before
 * went (a name prepended, a mount crossed) and are pruned. On the stack the
 * offset's exact range survives each step, and the unrolled walk of the
 * bounded object (kernels without bpf_loop) went past 5.10's million
 * instructions.
 */
struct path_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 off; /* start of the path built so far; PN_PATH_MAX when empty */
	__u8 done; /* reached the task's root */
	__u8 truncated;
	__u8 outside; /* walked off the top without meeting the root: not in this task's view */
	__u8 pad;
};

/* What a step is given: the state, and the buffer (scratch->walk) it prepends to. */
struct path_walk_ref {
	struct path_walk *w;
	char *buf;
};

struct pn_scratch {
	__u64 match; /* } the head of struct pn_pending: a built record can be */
	__u32 hook;  /* } saved as a pending one straight from the scratch     */
	__u32 how;   /* }                                                       */
	struct pn_record rec;
	char data[3 * PN_PATH_MAX]; /* 2 paths; the slack lets masked offsets verify */
	char walk[2 * PN_PATH_MAX];
	struct path_walk pw;
	__u32 cookie_seq;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pn_scratch);
} pn_scratch SEC(".maps") __weak;

/*
 * A record built before an operation, kept per thread until the operation
 * returns and says whether it succeeded (lib/pending.bpf.h): by an LSM hook
 * on the vfs backend, by sys_enter on the syscalls backend. The head mirrors
 * struct pn_scratch so the scratch is saved with one map update.
 */
struct pn_pending {
	__u64 match; /* vfs: the dentry the finishing hook must see (0: any); syscalls: the file */
	__u32 hook;  /* vfs: PN_HOOK_* that finishes it; syscalls: the syscall number */
	__u32 how;   /* syscalls: PENDING_* (what the exit does besides emitting) */
	struct pn_record rec;
	char data[2 * PN_PATH_MAX];
};

_Static_assert(__builtin_offsetof(struct pn_scratch, rec) ==
		       __builtin_offsetof(struct pn_pending, rec),
	       "pn_pending must be a prefix of pn_scratch");
_Static_assert(sizeof(struct pn_pending) <= __builtin_offsetof(struct pn_scratch, walk),
	       "pn_pending must be a prefix of pn_scratch");

/*
 * Threads in the middle of a watched operation, allocated as they come
 * (each entry holds two paths). Full, a record is lost and counted
 * (pending_full). Key: pid_tgid; the syscalls backend keeps the second file
 * of copy_file_range/sendfile/splice under pid_tgid | PENDING_SLOT2.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pn_pending);
} pn_pending SEC(".maps") __weak;

/* The last event reported for one open file, and when (lib/coalesce.bpf.h). */
struct pn_file_last {
	__u32 op;	   /* PN_* */
	__u32 pad;	   /* explicit: the value is copied whole */
	__u64 reported_ns; /* bpf_ktime_get_ns() when `op` was last reported */
};
_Static_assert(sizeof(struct pn_file_last) == 16, "pn_file_last has no implicit padding");

/*
 * Last event reported per open file (struct file address), for coalescing
 * repeated ACCESS/MODIFY. LRU: a file whose release we never saw ages out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct pn_file_last);
} pn_file_last SEC(".maps") __weak;

/*
 * Cgroup levels (depth below the cgroup2 root) that hold a watched cgroup,
 * deepest first, so the filter asks only for ancestors that can match.
 * Written by userspace through the mmaped .bss.
 */
__u32 pn_watch_levels[PN_MAX_WATCH_LEVELS] __weak;
__u32 pn_watch_nlevels __weak;

/* Set before load. */
const volatile __u8 pn_backend __weak = PN_BACKEND_SYSCALLS;

#endif
