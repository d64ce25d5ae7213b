// SPDX-License-Identifier: GPL-2.0-only
/*
 * The syscalls backend's main hook: one tp_btf program on sys_exit serves
 * every file syscall whose arguments can still be read when it returns (the
 * result is known there, so only successful operations are reported). Every
 * syscall on the node passes through here: the first test is one table load,
 * the second the cgroup filter.
 */
#include "lib/move.bpf.h"
#include "lib/open.bpf.h"
#include "lib/rw.bpf.h"
#include "lib/syscall_args.bpf.h"
#include "lib/syscall_table.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* What a syscall asks the handlers to do, decoded from its kind and arguments. */
enum plan_type {
	PLAN_NONE,
	PLAN_OPEN, /* new fd in result */
	PLAN_FD,   /* event on an open file; up to two (copy_file_range and friends) */
	PLAN_NAME, /* event on a name relative to a dirfd */
	PLAN_MOVE, /* rename */
};

struct plan {
	enum plan_type type;
	__u32 ops;	/* PLAN_FD: ops of fd[0]; PLAN_NAME/OPEN: ops */
	__u32 ops2;	/* PLAN_FD: ops of fd[1], 0 if none */
	__u8 rec_flags; /* PN_REC_* known from the syscall itself */
	bool rw;	/* read/write family: regular files only, coalesced */
	long fd;	/* PLAN_FD: first fd; PLAN_NAME/MOVE: (old) dirfd; PLAN_OPEN: open flags */
	long fd2;	/* PLAN_FD: second fd; PLAN_MOVE: new dirfd */
	const char *name;  /* PLAN_NAME/MOVE: (old) name */
	const char *name2; /* PLAN_MOVE: new name */
	long rename_flags;
};

static __always_inline void plan__decode(struct plan *p, __u8 kind, struct pt_regs *regs, long ret)
{
	unsigned long a0 = syscall__arg(regs, 0);
	unsigned long a1 = syscall__arg(regs, 1);
	/*
	 * fd and dirfd arguments are C ints: the kernel uses the low 32 bits
	 * of the register and so must we (AT_FDCWD often arrives without sign
	 * extension).
	 */
	int fd0 = (int)a0, fd1 = (int)a1;

	switch (kind) {
	case PN_K_OPEN:
		p->type = PLAN_OPEN, p->fd = fd1;
		break;
	case PN_K_OPENAT:
		p->type = PLAN_OPEN, p->fd = syscall__arg(regs, 2);
		break;
	case PN_K_OPENAT2: {
		__u64 flags = 0;

		/* struct open_how starts with the u64 flags */
		bpf_probe_read_user(&flags, sizeof(flags), (void *)syscall__arg(regs, 2));
		p->type = PLAN_OPEN, p->fd = flags;
		break;
	}
	case PN_K_CREAT:
		p->type = PLAN_OPEN, p->fd = PN_O_CREAT | PN_O_TRUNC | 1 /* O_WRONLY */;
		break;
	case PN_K_READ:
		if (ret > 0)
			p->type = PLAN_FD, p->fd = fd0, p->ops = PN_ACCESS, p->rw = true;
		break;
	case PN_K_WRITE:
		if (ret > 0)
			p->type = PLAN_FD, p->fd = fd0, p->ops = PN_MODIFY, p->rw = true;
		break;
	case PN_K_FTRUNCATE:
		p->type = PLAN_FD, p->fd = fd0, p->ops = PN_MODIFY;
		break;
	case PN_K_COPY_RANGE:
		if (ret > 0)
			p->type = PLAN_FD, p->rw = true, p->fd = fd0, p->ops = PN_ACCESS,
			p->fd2 = (int)syscall__arg(regs, 2), p->ops2 = PN_MODIFY;
		break;
	case PN_K_SENDFILE:
		if (ret > 0)
			p->type = PLAN_FD, p->rw = true, p->fd = fd1, p->ops = PN_ACCESS,
			p->fd2 = fd0, p->ops2 = PN_MODIFY;
		break;
	case PN_K_SPLICE:
		if (ret > 0)
			p->type = PLAN_FD, p->rw = true, p->fd = fd0, p->ops = PN_ACCESS,
			p->fd2 = (int)syscall__arg(regs, 2), p->ops2 = PN_MODIFY;
		break;
	case PN_K_ATTR_FD:
		p->type = PLAN_FD, p->fd = fd0, p->ops = PN_ATTRIB;
		break;
	case PN_K_TRUNCATE:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_MODIFY;
		break;
	case PN_K_UNLINK:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_DELETE;
		break;
	case PN_K_RMDIR:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_DELETE,
		p->rec_flags = PN_REC_ISDIR;
		break;
	case PN_K_UNLINKAT:
		p->type = PLAN_NAME, p->fd = fd0, p->name = (void *)a1, p->ops = PN_DELETE;
		if (syscall__arg(regs, 2) & PN_AT_REMOVEDIR)
			p->rec_flags = PN_REC_ISDIR;
		break;
	case PN_K_MKDIR:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_CREATE,
		p->rec_flags = PN_REC_ISDIR;
		break;
	case PN_K_MKDIRAT:
		p->type = PLAN_NAME, p->fd = fd0, p->name = (void *)a1, p->ops = PN_CREATE,
		p->rec_flags = PN_REC_ISDIR;
		break;
	case PN_K_MKNOD:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_CREATE;
		break;
	case PN_K_MKNODAT:
		p->type = PLAN_NAME, p->fd = fd0, p->name = (void *)a1, p->ops = PN_CREATE;
		break;
	case PN_K_LINK:
	case PN_K_SYMLINK:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a1, p->ops = PN_CREATE;
		break;
	case PN_K_LINKAT:
		p->type = PLAN_NAME, p->fd = (int)syscall__arg(regs, 2),
		p->name = (void *)syscall__arg(regs, 3), p->ops = PN_CREATE;
		break;
	case PN_K_SYMLINKAT:
		p->type = PLAN_NAME, p->fd = fd1, p->name = (void *)syscall__arg(regs, 2),
		p->ops = PN_CREATE;
		break;
	case PN_K_ATTR_PATH:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_ATTRIB,
		p->rec_flags = PN_REC_TYPE_UNKNOWN;
		break;
	case PN_K_ATTR_AT:
		if (!a1) /* utimensat(fd, NULL, ...) is futimens(fd) */
			p->type = PLAN_FD, p->fd = fd0, p->ops = PN_ATTRIB;
		else
			p->type = PLAN_NAME, p->fd = fd0, p->name = (void *)a1, p->ops = PN_ATTRIB,
			p->rec_flags = PN_REC_TYPE_UNKNOWN;
		break;
	case PN_K_RENAME:
		p->type = PLAN_MOVE, p->fd = PN_AT_FDCWD, p->name = (void *)a0,
		p->fd2 = PN_AT_FDCWD, p->name2 = (void *)a1;
		break;
	case PN_K_RENAMEAT:
	case PN_K_RENAMEAT2:
		p->type = PLAN_MOVE, p->fd = fd0, p->name = (void *)a1,
		p->fd2 = (int)syscall__arg(regs, 2), p->name2 = (void *)syscall__arg(regs, 3);
		if (kind == PN_K_RENAMEAT2)
			p->rename_flags = syscall__arg(regs, 4);
		break;
	}
	if (p->type == PLAN_MOVE)
		p->ops = PN_OP_MOVE;
}

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

static __always_inline void on_fd(struct hook *h, long fd, __u32 op, bool rw, __u32 nr, long ret)
{
	struct file *f;
	__u32 mode;

	if (!hook__wants(h, op))
		return;
	f = file__from_fd(h->task, fd);
	if (!f)
		return;
	mode = file__mode(f);
	if (rw) {
		if (!rw__reports(h, f, mode, op))
			return;
	} else if (h->w->ops & (PN_ACCESS | PN_MODIFY)) {
		coalesce__note(f, op);
	}
	record__emit_file(h, f, mode, op, nr, ret);
}

static __always_inline void on_name(struct hook *h, struct plan *p, __u32 nr, long ret)
{
	struct path_src name = path_src__name(p->fd, p->name, true);
	struct pn_scratch *s;

	if (!hook__wants(h, p->ops))
		return;
	s = record__begin(h, p->ops, nr, ret);
	if (!s)
		return;
	s->rec.flags = p->rec_flags | PN_REC_NAME_UNRESOLVED;
	if (record__add_path(h, s, &name))
		record__submit(h, s);
}

static __always_inline void on_move(struct hook *h, struct plan *p, __u32 nr, long ret)
{
	struct path_src to = path_src__name(p->fd2, p->name2, true);
	struct path_src from = path_src__name(p->fd, p->name, true);
	__u8 flags = PN_REC_TYPE_UNKNOWN | PN_REC_NAME_UNRESOLVED;
	struct pn_scratch *s;

	if (p->rename_flags & PN_RENAME_EXCHANGE)
		flags |= PN_REC_EXCHANGE;
	s = move__record(h, &to, &from, flags, nr, ret);
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
	if (kind == PN_K_NONE)
		return 0;

	if (!hook__enter(&h))
		return 0;
	if (syscall__is_compat(h.task))
		return 0;
	if (ret < 0) {
		counters__inc(h.c, failed);
		return 0;
	}

	plan__decode(&p, kind, regs, ret);
	switch (p.type) {
	case PLAN_OPEN:
		on_open(&h, ret, p.fd, nr);
		break;
	case PLAN_FD:
		on_fd(&h, p.fd, p.ops, p.rw, nr, ret);
		if (p.ops2)
			on_fd(&h, p.fd2, p.ops2, p.rw, nr, ret);
		break;
	case PLAN_NAME:
		on_name(&h, &p, nr, ret);
		break;
	case PLAN_MOVE:
		on_move(&h, &p, nr, ret);
		break;
	default:
		break;
	}
	return 0;
}
