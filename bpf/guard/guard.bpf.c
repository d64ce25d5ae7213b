// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guard, decided in the kernel (--guard-backend lsm): BPF LSM programs
 * on file_open (janus' OPEN_PERM) and file_permission for reads
 * (ACCESS_PERM) return -EPERM to a guarded cgroup's process when a rule
 * denies the object it reached. The object is told by its identity (the
 * superblock's s_dev and the inode number) and so are its directories,
 * walked up through d_parent: a symlink, "..", a bind mount of a directory
 * below the guarded one, a hard link made inside it or an io_uring open all
 * end at the same dentries. The walk stays inside the object's file system
 * (a bind mount's root is not where its parent's walk goes on, so crossing
 * mounts as prepend_path() does would lose the guarded directory above a
 * bind-mounted one).
 *
 * Its own object, not part of the capture's (bpf/README.md): it is loaded
 * only when the guard enforces with it, and its cost then is one global
 * load for a node without guards, one hash lookup per cgroup level that
 * holds a guard for an unguarded process, and the walk for guarded ones.
 */
#include "lib/compat.bpf.h"

#include "panoptes_guard.h"

char LICENSE[] SEC("license") = "GPL";

#define PN_MAY_READ 0x4
#define PN_EPERM    1

/* Decisions for the log lines; a full buffer costs a line (counted), never a decision. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} pn_guard_decisions SEC(".maps");

/* Guarded cgroup ids. Written by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pn_guard_cgroup);
} pn_guard_cgroups SEC(".maps");

/* Guarded objects per cgroup. Written by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pn_guard_key);
	__type(value, struct pn_guard_rule);
} pn_guard_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pn_guard_counters);
} pn_guard_counters SEC(".maps");

/*
 * The walk's state, one per thread inside a decision, kept in a map and not
 * on the stack: a value loaded from a map is unknown to the verifier, so the
 * states each step reaches agree whichever way the step before went (a
 * rule found or not, a better verdict or not) and are pruned; on the stack
 * the verdict's exact range survives each step and the walk went past
 * the verifier's million instructions. Keyed by thread, not a per-CPU
 * array: LSM programs run with migration disabled but may be preempted
 * (preempt=full), and another task's decision must never write into this
 * one's. A thread is in one decision at a time (no hook runs inside one).
 */
struct guard_walk {
	struct dentry *d;	 /* the dentry the next step looks at */
	struct pn_guard_key key; /* the best rule's object */
	__u32 level;		 /* and how far up it is */
	__u8 best;		 /* PN_GUARD_V_* */
	__u8 ended;		 /* the walk reached the top of the file system, or needs no more */
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct guard_walk);
} pn_guard_walks SEC(".maps");

/* Bit L: a guarded cgroup sits at level L of the tree. 0: no guard, nothing to do. */
__u32 pn_guard_levels = 0;
/* PN_GUARD_LAYOUT, written by the agent that made the maps (agent/guard_lsm.c) */
__u64 pn_guard_layout = 0;

static __always_inline struct pn_guard_counters *guard__counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pn_guard_counters, &zero);
}

/*
 * The guarded cgroup the task is in (its own, or the nearest guarded
 * ancestor), with its id in *id; NULL for every other task.
 */
static __always_inline struct pn_guard_cgroup *guard__cgroup(__u32 levels, __u64 *id)
{
	struct pn_guard_cgroup *cg;
	__u64 own = bpf_get_current_cgroup_id();

	cg = bpf_map_lookup_elem(&pn_guard_cgroups, &own);
	if (cg) {
		*id = own;
		return cg;
	}
	for (__u32 level = PN_GUARD_LEVELS - 1; level > 0; level--) {
		__u64 anc;

		if (!(levels & (1u << level)))
			continue;
		anc = compat__ancestor_cgroup_id(level);
		if (!anc || anc == own)
			continue;
		cg = bpf_map_lookup_elem(&pn_guard_cgroups, &anc);
		if (cg) {
			*id = anc;
			return cg;
		}
	}
	return NULL;
}

/* A task's pid in its innermost pid namespace (what the container calls it). */
static __always_inline __u32 guard__ns_pid(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &p->numbers[level]);
	return (__u32)up.nr;
}

/* autoAllowOwner's rule, as janusd had it: the container's init or a direct child of it. */
static __always_inline bool guard__is_owner(struct task_struct *t)
{
	return guard__ns_pid(t) == 1 ||
	       guard__ns_pid(BPF_CORE_READ(t, group_leader, real_parent)) == 1;
}

static __always_inline void guard__key_of(struct dentry *d, __u64 cgroup, struct pn_guard_key *k)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);

	k->cgroup = cgroup;
	k->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k->ino = BPF_CORE_READ(inode, i_ino);
}

/* The decision for the log: the rule's object, and the names from the one reached up to it. */
static __always_inline void guard__report(struct pn_guard_counters *c, struct dentry *d,
					  const struct pn_guard_key *key, __u32 level, __u8 op,
					  __u8 flags)
{
	struct pn_guard_decision *r = bpf_ringbuf_reserve(&pn_guard_decisions, sizeof(*r), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!r) {
		if (c)
			__sync_fetch_and_add(&c->lost, 1);
		return;
	}
	r->ts_ns = bpf_ktime_get_ns();
	r->key = *key;
	r->pid = (__u32)id;
	r->tgid = (__u32)(id >> 32);
	r->uid = (__u32)bpf_get_current_uid_gid();
	r->op = op;
	r->flags = flags;
	r->level = (__u8)level;
	r->n_names = 0;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	for (__u32 i = 0; i < PN_GUARD_NAMES; i++) {
		if (i >= level)
			break;
		bpf_probe_read_kernel_str(r->names[i], PN_GUARD_NAME_LEN,
					  BPF_CORE_READ(d, d_name.name));
		r->n_names = (__u8)(i + 1);
		d = BPF_CORE_READ(d, d_parent);
	}
	bpf_ringbuf_submit(r, 0);
}

/* The walk up from the object: the best verdict of its rules and of its directories' rules. */
static __always_inline void guard__walk(struct guard_walk *w, __u64 cgroup, bool deep, __u8 op,
					__u32 is_dir)
{
	struct pn_guard_rule *rule;
	struct pn_guard_key key;

	for (__u32 i = 0; i < PN_GUARD_DEPTH_MAX; i++) {
		/* levels 0 and 1 are SELF and CHILD; every one above is DEEP */
		__u32 at = i < PN_GUARD_AT_DEEP ? i : PN_GUARD_AT_DEEP;
		struct dentry *d = w->d, *parent;
		__u8 v;

		if (i >= 2 && !deep) {
			w->ended = 1;
			return;
		}
		guard__key_of(d, cgroup, &key);
		rule = bpf_map_lookup_elem(&pn_guard_rules, &key);
		/*
		 * The masks give the verifier bounds it does not carry through the
		 * min() and the caller's argument: at most byte 15 of the 16.
		 */
		v = rule ? rule->verdict[at & 3][op & 1][is_dir & 1] : PN_GUARD_V_NONE;
		if (v > w->best) {
			w->best = v;
			w->level = i;
			w->key = key;
			if (v == PN_GUARD_V_DENY)
				return; /* nothing wins over it */
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d || !parent) {
			w->ended = 1;
			return;
		}
		w->d = parent;
	}
}

static __always_inline int guard__decide(struct file *file, __u8 op)
{
	__u64 tid = bpf_get_current_pid_tgid(), cgroup = 0;
	__u32 levels = pn_guard_levels, is_dir, level;
	struct guard_walk fresh = {}, *w;
	struct pn_guard_counters *c;
	struct pn_guard_cgroup *cg;
	struct pn_guard_key key;
	struct dentry *object;
	__u8 best, flags = 0;
	__u32 cg_flags;

	if (!levels)
		return 0;
	cg = guard__cgroup(levels, &cgroup);
	if (!cg)
		return 0;
	cg_flags = cg->flags;
	/*
	 * overlayfs before backing files (6.8) opens and reads its layer's file on
	 * the overlay's own path (open_with_fake_path): the overlay's file was
	 * decided already, and this one's inode is the layer's, not the one its
	 * dentry names. A backing file (6.8+) has the layer's own path, whose
	 * identity no rule holds (rules name the overlay's objects): passed.
	 */
	object = BPF_CORE_READ(file, f_path.dentry);
	if (BPF_CORE_READ(file, f_inode) != BPF_CORE_READ(object, d_inode))
		return 0;
	is_dir = (BPF_CORE_READ(file, f_inode, i_mode) & PN_S_IFMT) == PN_S_IFDIR;
	c = guard__counters();
	fresh.d = object;
	if (bpf_map_update_elem(&pn_guard_walks, &tid, &fresh, BPF_ANY) ||
	    !(w = bpf_map_lookup_elem(&pn_guard_walks, &tid))) {
		/* no room to walk (16,384 threads deciding at once): fail closed */
		guard__key_of(object, cgroup, &key);
		if (c) {
			__sync_fetch_and_add(&c->unresolved, 1);
			__sync_fetch_and_add(&c->denied, 1);
		}
		guard__report(c, object, &key, 0, op,
			      PN_GUARD_F_DENIED | PN_GUARD_F_UNRESOLVED |
				      (is_dir ? PN_GUARD_F_DIR : 0));
		return -PN_EPERM;
	}
	guard__walk(w, cgroup, cg_flags & PN_GUARD_CG_DEEP, op, is_dir);
	best = w->best;
	level = w->level;
	key = w->key;
	if (!w->ended && best < PN_GUARD_V_DENY && (cg_flags & PN_GUARD_CG_DEEP_DENY)) {
		/* fail closed: a recursive deny may be further up than the walk reached */
		best = PN_GUARD_V_DENY;
		level = 0;
		guard__key_of(object, cgroup, &key);
		flags |= PN_GUARD_F_UNRESOLVED;
		if (c)
			__sync_fetch_and_add(&c->unresolved, 1);
	}
	bpf_map_delete_elem(&pn_guard_walks, &tid);
	if (best == PN_GUARD_V_NONE) {
		if (c)
			__sync_fetch_and_add(&c->passed, 1);
		return 0;
	}
	if (best == PN_GUARD_V_DENY_OWNER_OK) {
		if (guard__is_owner((struct task_struct *)bpf_get_current_task()))
			flags |= PN_GUARD_F_OWNER;
		else
			best = PN_GUARD_V_DENY;
	}
	if (best == PN_GUARD_V_DENY)
		flags |= PN_GUARD_F_DENIED;
	if (is_dir)
		flags |= PN_GUARD_F_DIR;
	if (c)
		__sync_fetch_and_add(flags & PN_GUARD_F_DENIED ? &c->denied : &c->allowed, 1);
	guard__report(c, object, &key, level, op, flags);
	/*
	 * A branch, not "denied ? -EPERM : 0": clang makes that a negation of
	 * 0 or 1, whose result the verifier does not bound, and an LSM program
	 * must be seen to return within [-4095, 0].
	 */
	if (!(flags & PN_GUARD_F_DENIED))
		return 0;
	asm volatile("" ::: "memory");
	return -PN_EPERM;
}

SEC("lsm/file_open")
int BPF_PROG(pn_guard_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	return guard__decide(file, PN_GUARD_OP_OPEN);
}

SEC("lsm/file_permission")
int BPF_PROG(pn_guard_read, struct file *file, int mask, int ret)
{
	if (ret)
		return ret;
	/* janus' ACCESS_PERM is a read (fanotify's): a read of data, or of a directory's entries */
	if (!(mask & PN_MAY_READ))
		return 0;
	return guard__decide(file, PN_GUARD_OP_ACCESS);
}
