/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which syscalls the syscalls backend handles, and how it reads them. One
 * byte per syscall number keeps the "not ours" test for every other syscall
 * on the node to a bounds check and one load. The numbers are the kernel's
 * names (lib/unistd.bpf.h), so one table serves both architectures.
 */
#ifndef PN_SYSCALL_TABLE_BPF_H
#define PN_SYSCALL_TABLE_BPF_H

#include "lib/unistd.bpf.h"

enum pn_kind {
	PN_K_NONE = 0,
	PN_K_OPEN,	 /* open(path, flags) */
	PN_K_OPENAT,	 /* openat(dfd, path, flags) */
	PN_K_OPENAT2,	 /* openat2(dfd, path, how) */
	PN_K_CREAT,	 /* creat(path, mode) */
	PN_K_READ,	 /* read family: fd in arg0, bytes in ret */
	PN_K_WRITE,	 /* write family: fd in arg0, bytes in ret */
	PN_K_FTRUNCATE,	 /* ftruncate/fallocate: fd in arg0, ret 0 */
	PN_K_TRUNCATE,	 /* truncate(path) */
	PN_K_COPY_RANGE, /* copy_file_range(in, _, out, ...) */
	PN_K_SENDFILE,	 /* sendfile(out, in, ...) */
	PN_K_SPLICE,	 /* splice(in, _, out, ...) */
	PN_K_UNLINK,	 /* unlink(path) */
	PN_K_RMDIR,	 /* rmdir(path) */
	PN_K_UNLINKAT,	 /* unlinkat(dfd, path, flags) */
	PN_K_RENAME,	 /* rename(old, new) */
	PN_K_RENAMEAT,	 /* renameat(odfd, old, ndfd, new) */
	PN_K_RENAMEAT2,	 /* renameat2(odfd, old, ndfd, new, flags) */
	PN_K_MKDIR,	 /* mkdir(path, mode) */
	PN_K_MKDIRAT,	 /* mkdirat(dfd, path, mode) */
	PN_K_MKNOD,	 /* mknod(path, ...) */
	PN_K_MKNODAT,	 /* mknodat(dfd, path, ...) */
	PN_K_LINK,	 /* link(old, new) */
	PN_K_LINKAT,	 /* linkat(odfd, old, ndfd, new, flags) */
	PN_K_SYMLINK,	 /* symlink(target, path) */
	PN_K_SYMLINKAT,	 /* symlinkat(target, dfd, path) */
	PN_K_ATTR_PATH,	 /* chmod/chown/utime(s)/setxattr/removexattr(path, ...) */
	PN_K_ATTR_FD,	 /* fchmod/fchown/fsetxattr/fremovexattr(fd, ...) */
	PN_K_ATTR_AT,	 /* fchmodat(2), fchownat, futimesat, utimensat, [remove|set]xattrat */
	PN_K_ATTR_LPATH, /* lchown/lsetxattr/lremovexattr(path, ...): the last name not followed */
};

#define PN_SYSCALL_TABLE_SIZE 512

/* Opens are reported at exit (the new file exists only then), the rest captured at entry. */
static __always_inline bool syscall_kind__at_entry(__u8 kind)
{
	return kind > PN_K_CREAT;
}

static __always_inline bool syscall_kind__at_exit(__u8 kind)
{
	return kind != PN_K_NONE;
}

/*
 * In .rodata: frozen after load, so the kernel side cannot be steered into
 * other syscalls. A number the architecture lacks has no __NR_ name there.
 */
const volatile __u8 pn_syscall_kind[PN_SYSCALL_TABLE_SIZE] __weak = {
	[__NR_read] = PN_K_READ,
	[__NR_pread64] = PN_K_READ,
	[__NR_readv] = PN_K_READ,
	[__NR_preadv] = PN_K_READ,
	[__NR_preadv2] = PN_K_READ,
	[__NR_write] = PN_K_WRITE,
	[__NR_pwrite64] = PN_K_WRITE,
	[__NR_writev] = PN_K_WRITE,
	[__NR_pwritev] = PN_K_WRITE,
	[__NR_pwritev2] = PN_K_WRITE,
	[__NR_sendfile] = PN_K_SENDFILE,
	[__NR_splice] = PN_K_SPLICE,
	[__NR_copy_file_range] = PN_K_COPY_RANGE,
	[__NR_ftruncate] = PN_K_FTRUNCATE,
	[__NR_fallocate] = PN_K_FTRUNCATE,
	[__NR_truncate] = PN_K_TRUNCATE,
	[__NR_openat] = PN_K_OPENAT,
	[__NR_openat2] = PN_K_OPENAT2,
	[__NR_mkdirat] = PN_K_MKDIRAT,
	[__NR_mknodat] = PN_K_MKNODAT,
	[__NR_unlinkat] = PN_K_UNLINKAT,
	[__NR_renameat] = PN_K_RENAMEAT,
	[__NR_renameat2] = PN_K_RENAMEAT2,
	[__NR_linkat] = PN_K_LINKAT,
	[__NR_symlinkat] = PN_K_SYMLINKAT,
	[__NR_setxattr] = PN_K_ATTR_PATH,
	[__NR_lsetxattr] = PN_K_ATTR_LPATH,
	[__NR_removexattr] = PN_K_ATTR_PATH,
	[__NR_lremovexattr] = PN_K_ATTR_LPATH,
	[__NR_fchmod] = PN_K_ATTR_FD,
	[__NR_fchown] = PN_K_ATTR_FD,
	[__NR_fsetxattr] = PN_K_ATTR_FD,
	[__NR_fremovexattr] = PN_K_ATTR_FD,
	[__NR_fchmodat] = PN_K_ATTR_AT,
	[__NR_fchmodat2] = PN_K_ATTR_AT,
	[__NR_fchownat] = PN_K_ATTR_AT,
	[__NR_utimensat] = PN_K_ATTR_AT,
	[__NR_setxattrat] = PN_K_ATTR_AT,
	[__NR_removexattrat] = PN_K_ATTR_AT,
#if defined(__TARGET_ARCH_x86)
	/* the path syscalls from before the *at forms; the generic table has none */
	[__NR_open] = PN_K_OPEN,
	[__NR_creat] = PN_K_CREAT,
	[__NR_mkdir] = PN_K_MKDIR,
	[__NR_mknod] = PN_K_MKNOD,
	[__NR_rmdir] = PN_K_RMDIR,
	[__NR_unlink] = PN_K_UNLINK,
	[__NR_rename] = PN_K_RENAME,
	[__NR_link] = PN_K_LINK,
	[__NR_symlink] = PN_K_SYMLINK,
	[__NR_chmod] = PN_K_ATTR_PATH,
	[__NR_chown] = PN_K_ATTR_PATH,
	[__NR_lchown] = PN_K_ATTR_LPATH,
	[__NR_utime] = PN_K_ATTR_PATH,
	[__NR_utimes] = PN_K_ATTR_PATH,
	[__NR_futimesat] = PN_K_ATTR_AT,
#endif
};

#endif
