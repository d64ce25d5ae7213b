/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Coalescing of repeated ACCESS/MODIFY, as inotify folds an event identical
 * to the last one queued. Chosen rule (docs/events.md): per open file, an
 * ACCESS or MODIFY is reported only if the last event reported for that
 * struct file was different; opening the file, an ATTRIB through it, or the
 * other of ACCESS/MODIFY resets it, and its release forgets it.
 */
#ifndef PN_COALESCE_BPF_H
#define PN_COALESCE_BPF_H

#include "lib/maps.bpf.h"

/* True if `op` repeats the last event of this file; otherwise records it. */
static __always_inline bool coalesce__repeat(struct file *f, __u32 op)
{
	__u64 key = (__u64)f;
	__u32 *last = bpf_map_lookup_elem(&pn_file_last, &key);

	if (last) {
		if (*last == op)
			return true;
		*last = op;
		return false;
	}
	bpf_map_update_elem(&pn_file_last, &key, &op, BPF_ANY);
	return false;
}

/*
 * Would `op` repeat the last event of this file? Only looks: the syscalls
 * backend asks at entry, to skip building a record, and decides at exit
 * (coalesce__repeat), once the call succeeded.
 */
static __always_inline bool coalesce__peek(struct file *f, __u32 op)
{
	__u64 key = (__u64)f;
	__u32 *last = bpf_map_lookup_elem(&pn_file_last, &key);

	return last && *last == op;
}

/* Another event on this file intervened (also resets a reused struct file address). */
static __always_inline void coalesce__note(struct file *f, __u32 op)
{
	__u64 key = (__u64)f;

	bpf_map_update_elem(&pn_file_last, &key, &op, BPF_ANY);
}

static __always_inline void coalesce__forget(struct file *f)
{
	__u64 key = (__u64)f;

	bpf_map_delete_elem(&pn_file_last, &key);
}

#endif
