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
#include "lib/path.bpf.h"
#include "lib/record.bpf.h"

static __always_inline void close__file(struct task_struct *task, struct file *f,
					struct pn_cgroup_watch *w, __u64 watch_id,
					struct pn_counters *c, __u32 nr)
{
	__u32 fmode, op;

	if (!f || compat__file_refs(f) != 1)
		return;
	if (w->ops & (PN_ACCESS | PN_MODIFY))
		coalesce__forget(f);
	fmode = BPF_CORE_READ(f, f_mode);
	op = (fmode & PN_FMODE_WRITE) ? PN_CLOSE_WRITE : PN_CLOSE_NOWRITE;
	if (!filter__wants(w, op, c))
		return;
	record__emit_file(task, f, file__mode(f), watch_id, op, nr, 0, c);
}

/*
 * A descriptor of the current task is about to go away: `f`, or when the
 * hook only knows the number (syscall tracepoints), the file behind `fd`.
 */
static __always_inline int close__current(struct file *f, long fd, __u32 nr)
{
	struct task_struct *task;
	struct pn_cgroup_watch *w;
	struct pn_counters *c;
	__u64 watch_id = 0;

	w = filter__enter(&c, &watch_id);
	/* ACCESS/MODIFY too: their coalescing state is forgotten on release */
	if (!w || !filter__wants(w, PN_CLOSE | PN_ACCESS | PN_MODIFY, c))
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	if (!f)
		f = file__from_fd(task, fd);
	close__file(task, f, w, watch_id, c, nr);
	return 0;
}

static __always_inline int close__fd(long fd, __u32 nr)
{
	return close__current(NULL, fd, nr);
}

#endif
