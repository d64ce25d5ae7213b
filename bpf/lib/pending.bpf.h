/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pending records: built before an operation, emitted when it succeeded.
 *
 * The vfs backend. The LSM path hooks run before an
 * operation, while the names still exist and with the mount known, but
 * cannot see whether it succeeds; the function doing the operation returns
 * the result but no longer has the names (an unlinked dentry may be freed by
 * then). So the LSM hook builds the record and saves it per thread, and an
 * fexit program on the operation emits it only if it succeeded.
 *
 * Each pending record names the hook that finishes it and, where nested
 * calls of the same function happen (overlayfs calls notify_change() again
 * on its upper layer), the dentry that hook must see: an inner call on
 * another dentry leaves the record alone.
 */
#ifndef PN_PENDING_BPF_H
#define PN_PENDING_BPF_H

#include "lib/coalesce.bpf.h"
#include "lib/record.bpf.h"

/*
 * The syscalls backend. Its exit hook sees the result but, for operations on
 * names and descriptors, only what user memory and the descriptor table say
 * by then, which another thread of the process may have changed while the
 * call waited in the kernel (the name rewritten, the descriptor dup2()ed
 * over). So sys_enter builds the record from what the kernel is about to
 * use and leaves it pending under the syscall's number; sys_exit emits it if
 * the call succeeded. A second slot holds the second file of
 * copy_file_range, sendfile and splice: bit 63 of the key, which no tgid
 * reaches (PID_MAX_LIMIT is 2^22).
 */
#define PENDING_SLOT2 (1ULL << 63)

/* What sys_exit does with a pending record besides emitting it (pn_pending.how). */
enum pending_how {
	PENDING_RW = 1,	  /* read/write: only when ret > 0, folded if it repeats the file's last */
	PENDING_NOTE = 2, /* another event on the file: the next read/write is no repeat */
};

/* Keeps the record built in scratch, keyed `key`; a full table is counted. */
static __always_inline void pending__store(struct pn_scratch *s, __u64 key, __u32 hook, __u32 how,
					   __u64 match, struct pn_counters *c)
{
	s->hook = hook;
	s->how = how;
	s->match = match;
	/* the scratch starts with a struct pn_pending: one copy saves it */
	if (bpf_map_update_elem(&pn_pending, &key, s, BPF_ANY))
		counters__inc(c, pending_full);
}

/* Keeps the record built in scratch until `hook` reports the result. */
static __always_inline void pending__save(struct pn_scratch *s, __u32 hook, void *match)
{
	pending__store(s, bpf_get_current_pid_tgid(), hook, 0, (__u64)match, counters__get());
}

/* sys_enter's side: the record in scratch waits for syscall `nr` to return. */
static __always_inline void pending__save_syscall(struct hook *h, struct pn_scratch *s, __u64 slot,
						  __u32 nr, __u32 how, struct file *f)
{
	pending__store(s, bpf_get_current_pid_tgid() | slot, nr, how, (__u64)f, h->c);
}

/*
 * sys_exit's side: syscall `nr` returned `ret`; emit what its enter hook kept
 * in `slot`, if anything. A record of another syscall (left by a call that
 * started before the enter hook was attached: userspace attaches exit first)
 * is dropped.
 */
static __always_inline void pending__finish_syscall(__u64 slot, __u32 nr, long ret)
{
	__u64 key = bpf_get_current_pid_tgid() | slot;
	struct pn_counters *c;
	struct pn_pending *p;
	struct file *f;

	p = bpf_map_lookup_elem(&pn_pending, &key);
	if (!p)
		return;
	if (p->hook != nr)
		goto out;
	c = counters__get();
	if (ret < 0) {
		counters__inc(c, failed);
		goto out;
	}
	f = (struct file *)p->match;
	if (p->how & PENDING_RW) {
		/* a read at EOF, a write of nothing: no event, as inotify */
		if (ret == 0)
			goto out;
		/* decided here, not at entry: a call that failed must not fold the next one */
		if (coalesce__repeat(f, p->rec.ops)) {
			counters__inc(c, coalesced);
			goto out;
		}
	} else if (p->how & PENDING_NOTE) {
		coalesce__note(f, p->rec.ops);
	}
	p->rec.result = ret;
	record__output(&p->rec, c);
out:
	bpf_map_delete_elem(&pn_pending, &key);
}

/* The operation `hook` returned `ret` (on `match`, when it matters). */
static __always_inline void pending__finish(__u32 hook, void *match, long ret)
{
	struct pn_pending *p;
	struct pn_counters *c;
	__u64 key;

	/* with nothing watched no thread can have a pending record: skip the lookup */
	if (!pn_watch_nlevels)
		return;
	key = bpf_get_current_pid_tgid();
	p = bpf_map_lookup_elem(&pn_pending, &key);
	if (!p || p->hook != hook || (p->match && p->match != (__u64)match))
		return;
	c = counters__get();
	if (ret < 0) {
		counters__inc(c, failed);
	} else {
		p->rec.result = ret;
		record__output(&p->rec, c);
	}
	bpf_map_delete_elem(&pn_pending, &key);
}

/*
 * The LSM side of a name operation: `dentry` in directory `dir` is about to
 * be created, removed or changed. Builds the record and leaves it pending.
 */
static __always_inline void pending__name(const struct path *dir, struct dentry *dentry, __u32 op,
					  __u8 rec_flags, __u32 hook, void *match)
{
	struct pn_scratch *s;
	struct hook h;

	if (!hook__enter(&h) || !hook__wants(&h, op))
		return;
	s = record__of_dentry(&h, dentry, BPF_CORE_READ(dir, mnt), rec_flags, op, hook, 0);
	if (s)
		pending__save(s, hook, match);
}

/* File or directory, from the inode behind a dentry (0 when negative). */
static __always_inline __u8 dentry__dir_flag(struct dentry *dentry)
{
	return mode__is_dir(BPF_CORE_READ(dentry, d_inode, i_mode)) ? PN_REC_ISDIR : 0;
}

/*
 * For a change made by name (chmod, truncate, utimes): dentry__dir_flag(),
 * and PN_REC_MULTILINK for a regular file with other hard links, as
 * record__of_file() says it for a change through a descriptor.
 */
static __always_inline __u8 dentry__change_flags(struct dentry *dentry)
{
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	__u32 mode = BPF_CORE_READ(inode, i_mode);

	if (mode__is_dir(mode))
		return PN_REC_ISDIR;
	return mode__is_reg(mode) && BPF_CORE_READ(inode, __i_nlink) > 1 ? PN_REC_MULTILINK : 0;
}

#endif
