/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Coalescing of repeated ACCESS/MODIFY, as inotify folds an event identical
 * to the last one queued. Chosen rule (docs/events.md "Coalescing"): per
 * open file, an ACCESS or MODIFY is folded only if the last event reported
 * for that struct file was the same one and was reported less than
 * pn_coalesce_ns ago; opening the file, an ATTRIB through it, or the other
 * of ACCESS/MODIFY resets it, and its release forgets it. The time bound is
 * what inotify gets from its reader: it folds only into an event still
 * queued, so a file written for hours through one descriptor still shows up
 * as often as the reader drains its queue, never once for the file's life.
 */
#ifndef PN_COALESCE_BPF_H
#define PN_COALESCE_BPF_H

#include "lib/maps.bpf.h"

/*
 * Set before load (--coalesce-ms; its default lives in src/panoptesd/options.c).
 * 0: never fold, every read and write is reported.
 */
const volatile __u64 pn_coalesce_ns __weak = 0;

/* True if `op` repeats the last event of this file recently; otherwise records it as reported. */
static __always_inline bool coalesce__repeat(struct file *f, __u32 op)
{
	__u64 key = (__u64)f, now = bpf_ktime_get_ns();
	struct pn_file_last *last = bpf_map_lookup_elem(&pn_file_last, &key);
	struct pn_file_last v = { .op = op, .reported_ns = now };

	if (last) {
		/* unsigned difference: a stamp from before a reused address is just old */
		if (last->op == op && now - last->reported_ns < pn_coalesce_ns)
			return true;
		last->op = op;
		last->reported_ns = now;
		return false;
	}
	bpf_map_update_elem(&pn_file_last, &key, &v, BPF_ANY);
	return false;
}

/*
 * Would `op` be folded into the last event of this file? Only looks: the
 * syscalls backend asks at entry, to skip building a record, and decides at
 * exit (coalesce__repeat), once the call succeeded.
 */
static __always_inline bool coalesce__peek(struct file *f, __u32 op)
{
	__u64 key = (__u64)f;
	struct pn_file_last *last = bpf_map_lookup_elem(&pn_file_last, &key);

	return last && last->op == op && bpf_ktime_get_ns() - last->reported_ns < pn_coalesce_ns;
}

/*
 * Another event on this file was reported (also resets a reused struct file
 * address): a following ACCESS/MODIFY differs from it and is reported.
 */
static __always_inline void coalesce__note(struct file *f, __u32 op)
{
	__u64 key = (__u64)f;
	struct pn_file_last v = { .op = op, .reported_ns = bpf_ktime_get_ns() };

	bpf_map_update_elem(&pn_file_last, &key, &v, BPF_ANY);
}

static __always_inline void coalesce__forget(struct file *f)
{
	__u64 key = (__u64)f;

	bpf_map_delete_elem(&pn_file_last, &key);
}

#endif
