/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The end of an open, on both backends: what the new struct file says about
 * the open (OPEN, CREATE, MODIFY for a truncation), the coalescing state of
 * a fresh file, and the record naming the file.
 */
#ifndef PN_OPEN_BPF_H
#define PN_OPEN_BPF_H

#include "lib/coalesce.bpf.h"
#include "lib/record.bpf.h"

/*
 * The record of an open that made `f`, built but not submitted (the vfs
 * backend adds the name the process used), or NULL when no watch wants it.
 * `flags`: the open(2) flags where the backend knows them, so that O_TRUNC
 * of an existing file reads as MODIFY; the vfs backend passes 0, its
 * truncate hooks report that MODIFY before the OPEN, as inotify orders them.
 */
static __always_inline struct pn_scratch *open__record(struct hook *h, struct file *f, long flags,
						       __u32 nr, long result)
{
	__u32 fmode = BPF_CORE_READ(f, f_mode), mode = file__mode(f), ops = PN_OPEN;

	if (fmode & PN_FMODE_CREATED)
		ops |= PN_CREATE;
	else if ((flags & PN_O_TRUNC) && (fmode & PN_FMODE_WRITE) && mode__is_reg(mode))
		ops |= PN_MODIFY;
	/* A fresh struct file: forget whatever an earlier file at this address left. */
	if (h->w->ops & (PN_ACCESS | PN_MODIFY))
		coalesce__note(f, ops & PN_MODIFY ? PN_MODIFY : PN_OPEN);
	if (!hook__wants(h, ops))
		return NULL;
	return record__of_file(h, f, mode, ops & h->w->ops, nr, result);
}

#endif
