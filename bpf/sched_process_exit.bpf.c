// SPDX-License-Identifier: GPL-2.0-only
/*
 * Process exit: files still open when the last thread of a process exits are
 * released without a close(2). The tracepoint fires before exit_files(), so
 * the table is still there.
 */
#include "lib/close.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Descriptors looked at on exit; larger tables are rare in containers. */
#define PN_EXIT_MAX_FDS 4096

struct exit_walk {
	struct task_struct *task;
	struct file **fds;
	struct pn_cgroup_watch *w;
	struct pn_counters *c;
	__u64 watch_id;
};

static long exit__close_step(__u32 fd, void *ctx)
{
	struct exit_walk *e = ctx;
	struct file *f = NULL;

	bpf_probe_read_kernel(&f, sizeof(f), &e->fds[fd]);
	if (f)
		close__file(e->task, f, e->w, e->watch_id, e->c, (__u32)-1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pn_proc_exit, struct task_struct *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exit_walk e = { .task = task };
	struct fdtable *fdt;
	__u32 max_fds;

	e.w = filter__watched_cgroup(&e.watch_id);
	if (!e.w)
		return 0;
	if (!(e.w->ops & (PN_CLOSE | PN_ACCESS | PN_MODIFY)))
		return 0;
	/* Other threads still share the table: the last one to exit reports. */
	if (BPF_CORE_READ(task, files, count.counter) != 1)
		return 0;
	fdt = BPF_CORE_READ(task, files, fdt);
	max_fds = BPF_CORE_READ(fdt, max_fds);
	if (max_fds > PN_EXIT_MAX_FDS)
		max_fds = PN_EXIT_MAX_FDS;
	e.fds = BPF_CORE_READ(fdt, fd);
	e.c = counters__get();
	loop__run(max_fds, exit__close_step, &e);
	return 0;
}
