/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pending records of the vfs backend. The LSM path hooks run before an
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

#include "lib/record.bpf.h"

/* Keeps the record built in scratch until `hook` reports the result. */
static __always_inline void pending__save(struct pn_scratch *s, __u32 hook, void *match)
{
	__u64 key = bpf_get_current_pid_tgid();

	s->hook = hook;
	s->match = (__u64)match;
	/* the scratch starts with a struct pn_pending: one copy saves it */
	bpf_map_update_elem(&pn_pending, &key, s, BPF_ANY);
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

#endif
