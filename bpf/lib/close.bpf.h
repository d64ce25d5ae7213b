/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CLOSE_WRITE / CLOSE_NOWRITE. inotify reports a close when the file's last
 * reference goes (__fput), not at every close(2): a dup'ed descriptor keeps
 * the file open. Syscall tracepoints see no __fput, so the release is
 * recognised where a descriptor goes away while holding the last reference:
 * close(2), dup2/dup3 replacing an open descriptor, and process exit. This
 * must run before the descriptor is gone, hence enter hooks.
 */
#ifndef PN_CLOSE_BPF_H
#define PN_CLOSE_BPF_H

#include "lib/coalesce.bpf.h"
#include "lib/record.bpf.h"

static __always_inline void close__file(struct hook *h, struct file *f, __u32 nr)
{
	__u32 fmode, op;

	if (!f || compat__file_refs(f) != 1)
		return;
	if (h->w->ops & (PN_ACCESS | PN_MODIFY))
		coalesce__forget(f);
	fmode = BPF_CORE_READ(f, f_mode);
	op = (fmode & PN_FMODE_WRITE) ? PN_CLOSE_WRITE : PN_CLOSE_NOWRITE;
	if (!hook__wants(h, op))
		return;
	record__emit_file(h, f, file__mode(f), op, nr, 0);
}

/*
 * A descriptor of the current task is about to go away: `f`, or when the
 * hook only knows the number (syscall tracepoints), the file behind `fd`.
 */
static __always_inline int close__current(struct file *f, long fd, __u32 nr)
{
	struct hook h;

	/* ACCESS/MODIFY too: their coalescing state is forgotten on release */
	if (!hook__enter(&h) || !hook__wants(&h, PN_CLOSE | PN_ACCESS | PN_MODIFY))
		return 0;
	if (!f)
		f = file__from_fd(h.task, fd);
	close__file(&h, f, nr);
	return 0;
}

static __always_inline int close__fd(long fd, __u32 nr)
{
	return close__current(NULL, fd, nr);
}

#endif
