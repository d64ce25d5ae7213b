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
	struct hook h;
	struct file **fds;
};

static long exit__close_step(__u32 fd, void *ctx)
{
	struct exit_walk *e = ctx;
	struct file *f = NULL;

	bpf_probe_read_kernel(&f, sizeof(f), &e->fds[fd]);
	if (f)
		close__file(&e->h, f, (__u32)-1);
	return 0;
}

/*
 * Counters: the hook hit itself is not counted (no seen, filtered or
 * gated), on purpose. Those three count hits on file operations; a process
 * exit is not one, and counting every exit on the node as filtered would
 * make that counter say something else. Each file the exit releases is
 * counted as a close would be: gated when no watch wants its close, then
 * emitted, dropped or truncated.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pn_proc_exit, struct task_struct *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exit_walk e = {};
	struct fdtable *fdt;
	__u32 max_fds;

	e.h.w = filter__watched_cgroup(&e.h.watch_id);
	if (!e.h.w)
		return 0;
	if (!(e.h.w->ops & (PN_CLOSE | PN_ACCESS | PN_MODIFY)))
		return 0;
	/* Other threads still share the table: the last one to exit reports. */
	if (BPF_CORE_READ(task, files, count.counter) != 1)
		return 0;
	/* task, not e.h.task: BPF_CORE_READ would try to relocate our own struct */
	e.h.task = task;
	fdt = BPF_CORE_READ(task, files, fdt);
	max_fds = BPF_CORE_READ(fdt, max_fds);
	if (max_fds > PN_EXIT_MAX_FDS)
		max_fds = PN_EXIT_MAX_FDS;
	e.fds = BPF_CORE_READ(fdt, fd);
	/*
	 * Never NULL (a one-slot per-CPU array), but said: with the bounded loop
	 * unrolled, clang takes the counter's address before the NULL test in
	 * counters__inc(), and 5.10's verifier refuses arithmetic on a pointer
	 * that may be NULL.
	 */
	e.h.c = counters__get();
	if (!e.h.c)
		return 0;
	loop__run(max_fds, exit__close_step, &e);
	return 0;
}
