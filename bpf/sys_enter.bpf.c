// SPDX-License-Identifier: GPL-2.0-only
/*
 * The syscalls backend's enter hook: operations on names and descriptors are
 * captured as the call starts, from the objects the kernel is about to use,
 * and finished by sys_exit once the result is known (lib/pending.bpf.h).
 * What the exit hook could read instead is what the process's memory and
 * descriptor table say when the call returns: another thread can rewrite a
 * name while unlink() waits for its directory's lock, or dup2() a decoy
 * over the descriptor of a long write. Opens stay with sys_exit: their file
 * exists only then. Every syscall on the node passes through here: the
 * first test is one table load, the second the cgroup filter.
 */
#include "lib/pending.bpf.h"
#include "lib/move.bpf.h"
#include "lib/rw.bpf.h"
#include "lib/syscall_plan.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The event on the file behind `fd`, kept in `slot` until the call returns. */
static __always_inline void enter__fd(struct hook *h, long fd, __u32 op, bool rw, __u32 nr,
				      __u64 slot)
{
	struct pn_scratch *s;
	struct file *f;
	__u32 mode, how;

	if (!hook__wants(h, op))
		return;
	f = file__from_fd(h->task, fd);
	if (!f)
		return;
	mode = file__mode(f);
	if (rw) {
		if (!rw__is_data(mode))
			return;
		if (coalesce__peek(f, op)) {
			counters__inc(h->c, coalesced);
			return;
		}
		how = PENDING_RW;
	} else {
		how = h->w->ops & (PN_ACCESS | PN_MODIFY) ? PENDING_NOTE : 0;
	}
	s = record__of_file(h, f, mode, op, nr, 0);
	if (s)
		pending__save_syscall(h, s, slot, nr, how, f);
}

/* An operation on a name: the dirfd walked now, the text copied now. */
static __always_inline void enter__name(struct hook *h, struct plan *p, __u32 nr)
{
	struct path_src name = path_src__name(p->fd, p->name, true);
	struct pn_scratch *s;

	if (!hook__wants(h, p->ops))
		return;
	s = record__begin(h, p->ops, nr, 0);
	if (!s)
		return;
	s->rec.flags = p->rec_flags | PN_REC_NAME_UNRESOLVED;
	s->rec.flags2 = p->rec_flags2;
	if (record__add_path(h, s, &name))
		pending__save_syscall(h, s, 0, nr, 0, NULL);
}

static __always_inline void enter__move(struct hook *h, struct plan *p, __u32 nr)
{
	struct path_src to = path_src__name(p->fd2, p->name2, true);
	struct path_src from = path_src__name(p->fd, p->name, true);
	__u8 flags = PN_REC_TYPE_UNKNOWN | PN_REC_NAME_UNRESOLVED;
	struct pn_scratch *s;

	if (p->rename_flags & PN_RENAME_EXCHANGE)
		flags |= PN_REC_EXCHANGE;
	s = move__record(h, &to, &from, flags, nr, 0);
	if (s)
		pending__save_syscall(h, s, 0, nr, 0, NULL);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(pn_sys_enter, struct pt_regs *regs, long id)
{
	struct plan p = {};
	struct hook h;
	__u8 kind;

	if ((unsigned long)id >= PN_SYSCALL_TABLE_SIZE)
		return 0;
	kind = pn_syscall_kind[id];
	if (!syscall_kind__at_entry(kind))
		return 0;

	if (!hook__enter(&h))
		return 0;
	if (syscall__is_compat(h.task))
		return 0;

	plan__decode(&p, kind, regs);
	switch (p.type) {
	case PLAN_FD:
		enter__fd(&h, p.fd, p.ops, p.rw, id, 0);
		if (p.ops2)
			enter__fd(&h, p.fd2, p.ops2, p.rw, id, PENDING_SLOT2);
		break;
	case PLAN_NAME:
		enter__name(&h, &p, id);
		break;
	case PLAN_MOVE:
		enter__move(&h, &p, id);
		break;
	default:
		break;
	}
	return 0;
}
