// SPDX-License-Identifier: GPL-2.0-only
/*
 * The syscalls backend's exit hook: one tp_btf program on sys_exit reports
 * opens (the new file is there, found by the returned descriptor) and
 * finishes what sys_enter captured of every other file syscall (the result
 * is known here, so only successful operations are reported). Every syscall
 * on the node passes through here: the first test is one table load, then
 * the cgroup filter for opens, one lookup of this thread's pending record
 * for the rest.
 */
#include "lib/open.bpf.h"
#include "lib/pending.bpf.h"
#include "lib/syscall_plan.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void on_open(struct hook *h, long fd, long flags, __u32 nr)
{
	struct file *f = file__from_fd(h->task, fd);
	struct pn_scratch *s;

	if (!f)
		return;
	s = open__record(h, f, flags, nr, fd);
	if (s)
		record__submit(h, s);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(pn_sys_exit, struct pt_regs *regs, long ret)
{
	unsigned long nr = syscall__nr(regs);
	struct plan p = {};
	struct hook h;
	__u8 kind;

	if (nr >= PN_SYSCALL_TABLE_SIZE)
		return 0;
	kind = pn_syscall_kind[nr];
	if (!syscall_kind__at_exit(kind))
		return 0;

	if (syscall_kind__at_entry(kind)) {
		/* nothing watched: no thread can have a pending record, skip the lookups */
		if (!pn_watch_nlevels)
			return 0;
		pending__finish_syscall(0, nr, ret);
		if (kind == PN_K_COPY_RANGE || kind == PN_K_SENDFILE || kind == PN_K_SPLICE)
			pending__finish_syscall(PENDING_SLOT2, nr, ret);
		return 0;
	}

	if (!hook__enter(&h))
		return 0;
	if (syscall__is_compat(h.task))
		return 0;
	if (ret < 0) {
		counters__inc(h.c, failed);
		return 0;
	}
	plan__decode(&p, kind, regs);
	if (p.type == PLAN_OPEN)
		on_open(&h, ret, p.fd, nr);
	return 0;
}
