// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, closes: a descriptor goes away (close(2), dup2 over it,
 * close_range, process exit, io_uring's CLOSE) through filp_flush() since
 * 6.7 and filp_close() before (close(2) stopped calling filp_close() then).
 * Userspace loads the one the kernel has. The last-reference rule is the
 * syscalls backend's (lib/close.bpf.h).
 */
#include "lib/close.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int close__hook(struct file *f)
{
	struct pn_counters *c = counters__get();
	struct pn_cgroup_watch *w;
	__u64 watch_id = 0;

	w = filter__watched_cgroup(&watch_id);
	if (!w) {
		counters__inc(c, filtered);
		return 0;
	}
	counters__inc(c, seen);
	if (!(w->ops & (PN_CLOSE | PN_ACCESS | PN_MODIFY))) {
		counters__inc(c, gated);
		return 0;
	}
	close__file((struct task_struct *)bpf_get_current_task(), f, w, watch_id, c,
		    PN_HOOK_CLOSE);
	return 0;
}

SEC("fentry/filp_flush")
int BPF_PROG(pn_close_flush, struct file *f, fl_owner_t id)
{
	return close__hook(f);
}

SEC("fentry/filp_close")
int BPF_PROG(pn_close_filp, struct file *f, fl_owner_t id)
{
	return close__hook(f);
}
