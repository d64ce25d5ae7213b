/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which syscalls the sys_exit dispatcher handles, by number, per
 * architecture. Numbers are ABI and never change; arm64 uses the generic
 * table, which has only the *at forms. One byte per syscall number keeps the
 * "not ours" test for every other syscall on the node to a bounds check and
 * one load.
 */
#ifndef PN_SYSCALL_TABLE_BPF_H
#define PN_SYSCALL_TABLE_BPF_H

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
	PN_K_ATTR_PATH,	 /* chmod/chown/lchown/utime(s)/[l]setxattr/[l]removexattr(path, ...) */
	PN_K_ATTR_FD,	 /* fchmod/fchown/fsetxattr/fremovexattr(fd, ...) */
	PN_K_ATTR_AT,	 /* fchmodat(2), fchownat, futimesat, utimensat, [remove|set]xattrat */
};

#define PN_SYSCALL_TABLE_SIZE 512

#if defined(__TARGET_ARCH_x86)
#define PN_SYSCALL_KINDS                                                                           \
	[0] = PN_K_READ, [1] = PN_K_WRITE, [2] = PN_K_OPEN, [17] = PN_K_READ, [18] = PN_K_WRITE,   \
	[19] = PN_K_READ, [20] = PN_K_WRITE, [40] = PN_K_SENDFILE, [76] = PN_K_TRUNCATE,           \
	[77] = PN_K_FTRUNCATE, [82] = PN_K_RENAME, [83] = PN_K_MKDIR, [84] = PN_K_RMDIR,           \
	[85] = PN_K_CREAT, [86] = PN_K_LINK, [87] = PN_K_UNLINK, [88] = PN_K_SYMLINK,              \
	[90] = PN_K_ATTR_PATH /* chmod */, [91] = PN_K_ATTR_FD /* fchmod */,                       \
	[92] = PN_K_ATTR_PATH /* chown */, [93] = PN_K_ATTR_FD /* fchown */,                       \
	[94] = PN_K_ATTR_PATH /* lchown */, [132] = PN_K_ATTR_PATH /* utime */,                    \
	[133] = PN_K_MKNOD, [188] = PN_K_ATTR_PATH /* setxattr */,                                 \
	[189] = PN_K_ATTR_PATH /* lsetxattr */, [190] = PN_K_ATTR_FD /* fsetxattr */,              \
	[197] = PN_K_ATTR_PATH /* removexattr */, [198] = PN_K_ATTR_PATH /* lremovexattr */,       \
	[199] = PN_K_ATTR_FD /* fremovexattr */, [235] = PN_K_ATTR_PATH /* utimes */,              \
	[257] = PN_K_OPENAT, [258] = PN_K_MKDIRAT, [259] = PN_K_MKNODAT,                           \
	[260] = PN_K_ATTR_AT /* fchownat */, [261] = PN_K_ATTR_AT /* futimesat */,                 \
	[263] = PN_K_UNLINKAT, [264] = PN_K_RENAMEAT, [265] = PN_K_LINKAT, [266] = PN_K_SYMLINKAT, \
	[268] = PN_K_ATTR_AT /* fchmodat */, [275] = PN_K_SPLICE,                                  \
	[280] = PN_K_ATTR_AT /* utimensat */, [285] = PN_K_FTRUNCATE /* fallocate */,              \
	[295] = PN_K_READ /* preadv */, [296] = PN_K_WRITE /* pwritev */, [316] = PN_K_RENAMEAT2,  \
	[326] = PN_K_COPY_RANGE, [327] = PN_K_READ /* preadv2 */,                                  \
	[328] = PN_K_WRITE /* pwritev2 */, [437] = PN_K_OPENAT2,                                   \
	[452] = PN_K_ATTR_AT /* fchmodat2 */, [463] = PN_K_ATTR_AT /* setxattrat */,               \
	[466] = PN_K_ATTR_AT /* removexattrat */
#elif defined(__TARGET_ARCH_arm64)
#define PN_SYSCALL_KINDS                                                                           \
	[5] = PN_K_ATTR_PATH /* setxattr */, [6] = PN_K_ATTR_PATH /* lsetxattr */,                 \
	[7] = PN_K_ATTR_FD /* fsetxattr */, [14] = PN_K_ATTR_PATH /* removexattr */,               \
	[15] = PN_K_ATTR_PATH /* lremovexattr */, [16] = PN_K_ATTR_FD /* fremovexattr */,          \
	[33] = PN_K_MKNODAT, [34] = PN_K_MKDIRAT, [35] = PN_K_UNLINKAT, [36] = PN_K_SYMLINKAT,     \
	[37] = PN_K_LINKAT, [38] = PN_K_RENAMEAT, [45] = PN_K_TRUNCATE, [46] = PN_K_FTRUNCATE,     \
	[47] = PN_K_FTRUNCATE /* fallocate */, [52] = PN_K_ATTR_FD /* fchmod */,                   \
	[53] = PN_K_ATTR_AT /* fchmodat */, [54] = PN_K_ATTR_AT /* fchownat */,                    \
	[55] = PN_K_ATTR_FD /* fchown */, [56] = PN_K_OPENAT, [63] = PN_K_READ, [64] = PN_K_WRITE, \
	[65] = PN_K_READ, [66] = PN_K_WRITE, [67] = PN_K_READ, [68] = PN_K_WRITE,                  \
	[69] = PN_K_READ, [70] = PN_K_WRITE, [71] = PN_K_SENDFILE, [76] = PN_K_SPLICE,             \
	[88] = PN_K_ATTR_AT /* utimensat */, [276] = PN_K_RENAMEAT2, [285] = PN_K_COPY_RANGE,      \
	[286] = PN_K_READ, [287] = PN_K_WRITE, [437] = PN_K_OPENAT2,                               \
	[452] = PN_K_ATTR_AT /* fchmodat2 */, [463] = PN_K_ATTR_AT /* setxattrat */,               \
	[466] = PN_K_ATTR_AT /* removexattrat */
#else
#error "panoptes: no syscall table for this architecture"
#endif

/* In .rodata: frozen after load, so the kernel side cannot be steered into other syscalls. */
const volatile __u8 pn_syscall_kind[PN_SYSCALL_TABLE_SIZE] __weak = { PN_SYSCALL_KINDS };

#endif
