/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a file syscall asks the syscalls backend to do, decoded from its kind
 * (lib/syscall_table.bpf.h) and its arguments. Both halves decode the same
 * way: sys_enter for the operations on names and descriptors, whose objects
 * it captures before the kernel acts, sys_exit for opens, whose file exists
 * only once the call returns.
 */
#ifndef PN_SYSCALL_PLAN_BPF_H
#define PN_SYSCALL_PLAN_BPF_H

#include "lib/syscall_args.bpf.h"
#include "lib/syscall_table.bpf.h"
#include "lib/unistd.bpf.h"

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
	__u32 ops;	 /* PLAN_FD: ops of fd[0]; PLAN_NAME/OPEN: ops */
	__u32 ops2;	 /* PLAN_FD: ops of fd[1], 0 if none */
	__u8 rec_flags;	 /* PN_REC_* known from the syscall itself */
	__u8 rec_flags2; /* PN_REC2_* likewise */
	bool rw;  /* read/write family: regular files only, coalesced, reported when ret > 0 */
	long fd;  /* PLAN_FD: first fd; PLAN_NAME/MOVE: (old) dirfd; PLAN_OPEN: open flags */
	long fd2; /* PLAN_FD: second fd; PLAN_MOVE: new dirfd */
	const char *name;  /* PLAN_NAME/MOVE: (old) name */
	const char *name2; /* PLAN_MOVE: new name */
	long rename_flags;
};

/*
 * Does an *at attribute call leave a symlink in the last name alone
 * (AT_SYMLINK_NOFOLLOW)? Each keeps its flags elsewhere; fchmodat and
 * futimesat have none and always follow.
 */
static __always_inline bool plan__at_nofollow(struct pt_regs *regs)
{
	unsigned long nr = syscall__nr(regs), flags = 0;

	if (nr == __NR_fchownat)
		flags = syscall__arg(regs, 4);
	else if (nr == __NR_fchmodat2 || nr == __NR_utimensat)
		flags = syscall__arg(regs, 3);
	else if (nr == __NR_setxattrat || nr == __NR_removexattrat)
		flags = syscall__arg(regs, 2);
	return flags & PN_AT_SYMLINK_NOFOLLOW;
}

static __always_inline void plan__decode(struct plan *p, __u8 kind, struct pt_regs *regs)
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
		p->type = PLAN_FD, p->fd = fd0, p->ops = PN_ACCESS, p->rw = true;
		break;
	case PN_K_WRITE:
		p->type = PLAN_FD, p->fd = fd0, p->ops = PN_MODIFY, p->rw = true;
		break;
	case PN_K_FTRUNCATE:
		p->type = PLAN_FD, p->fd = fd0, p->ops = PN_MODIFY;
		break;
	case PN_K_COPY_RANGE:
		p->type = PLAN_FD, p->rw = true, p->fd = fd0, p->ops = PN_ACCESS,
		p->fd2 = (int)syscall__arg(regs, 2), p->ops2 = PN_MODIFY;
		break;
	case PN_K_SENDFILE:
		p->type = PLAN_FD, p->rw = true, p->fd = fd1, p->ops = PN_ACCESS, p->fd2 = fd0,
		p->ops2 = PN_MODIFY;
		break;
	case PN_K_SPLICE:
		p->type = PLAN_FD, p->rw = true, p->fd = fd0, p->ops = PN_ACCESS,
		p->fd2 = (int)syscall__arg(regs, 2), p->ops2 = PN_MODIFY;
		break;
	case PN_K_ATTR_FD:
		p->type = PLAN_FD, p->fd = fd0, p->ops = PN_ATTRIB;
		break;
	case PN_K_TRUNCATE:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_MODIFY,
		p->rec_flags2 = PN_REC2_FOLLOWS;
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
	case PN_K_ATTR_LPATH:
		p->type = PLAN_NAME, p->fd = PN_AT_FDCWD, p->name = (void *)a0, p->ops = PN_ATTRIB,
		p->rec_flags = PN_REC_TYPE_UNKNOWN;
		if (kind == PN_K_ATTR_PATH)
			p->rec_flags2 = PN_REC2_FOLLOWS;
		break;
	case PN_K_ATTR_AT:
		if (!a1) /* utimensat(fd, NULL, ...) is futimens(fd) */
			p->type = PLAN_FD, p->fd = fd0, p->ops = PN_ATTRIB;
		else
			p->type = PLAN_NAME, p->fd = fd0, p->name = (void *)a1, p->ops = PN_ATTRIB,
			p->rec_flags = PN_REC_TYPE_UNKNOWN;
		if (!plan__at_nofollow(regs))
			p->rec_flags2 = PN_REC2_FOLLOWS;
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

#endif
