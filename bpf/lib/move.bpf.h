/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A rename, on both backends: one record with the new name as its path, the
 * old name as its second path, and a cookie that links the MOVED_FROM and
 * MOVED_TO userspace derives from it. The syscalls backend names both by
 * the text the process passed, the vfs backend by the dentries its LSM hook
 * sees; the record is the same shape.
 */
#ifndef PN_MOVE_BPF_H
#define PN_MOVE_BPF_H

#include "lib/record.bpf.h"

/*
 * The record of a move from `from` to `to`, built but not submitted (the
 * vfs backend keeps it pending until the rename succeeded), or NULL when no
 * watch wants moves or a name did not resolve.
 */
static __always_inline struct pn_scratch *move__record(struct hook *h, const struct path_src *to,
						       const struct path_src *from, __u8 flags,
						       __u32 nr, long result)
{
	struct pn_scratch *s;

	if (!hook__wants(h, PN_OP_MOVE))
		return NULL;
	s = record__begin(h, PN_OP_MOVE, nr, result);
	if (!s)
		return NULL;
	s->rec.cookie = record__cookie(s);
	s->rec.flags = flags;
	if (!record__add_path(h, s, to) || !record__add_second(h, s, from, 0))
		return NULL;
	return s;
}

#endif
