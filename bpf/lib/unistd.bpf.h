/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The syscall numbers the dispatcher knows, under the kernel's own names.
 * vmlinux.h carries types, not macros, so the values are restated here, the
 * one place they live: x86_64 from arch/x86/entry/syscalls/syscall_64.tbl,
 * arm64 from the generic table include/uapi/asm-generic/unistd.h, which has
 * only the *at forms of the path syscalls. Syscall numbers are ABI: a value
 * here never changes, new syscalls only add lines (the kernel release that
 * added one is noted where it is newer than 5.8, the oldest kernel panoptes
 * runs on).
 */
#ifndef PN_UNISTD_BPF_H
#define PN_UNISTD_BPF_H

#if defined(__TARGET_ARCH_x86)
#define __NR_read	     0
#define __NR_write	     1
#define __NR_open	     2
#define __NR_pread64	     17
#define __NR_pwrite64	     18
#define __NR_readv	     19
#define __NR_writev	     20
#define __NR_sendfile	     40
#define __NR_truncate	     76
#define __NR_ftruncate	     77
#define __NR_rename	     82
#define __NR_mkdir	     83
#define __NR_rmdir	     84
#define __NR_creat	     85
#define __NR_link	     86
#define __NR_unlink	     87
#define __NR_symlink	     88
#define __NR_chmod	     90
#define __NR_fchmod	     91
#define __NR_chown	     92
#define __NR_fchown	     93
#define __NR_lchown	     94
#define __NR_utime	     132
#define __NR_mknod	     133
#define __NR_setxattr	     188
#define __NR_lsetxattr	     189
#define __NR_fsetxattr	     190
#define __NR_removexattr     197
#define __NR_lremovexattr    198
#define __NR_fremovexattr    199
#define __NR_utimes	     235
#define __NR_openat	     257
#define __NR_mkdirat	     258
#define __NR_mknodat	     259
#define __NR_fchownat	     260
#define __NR_futimesat	     261
#define __NR_unlinkat	     263
#define __NR_renameat	     264
#define __NR_linkat	     265
#define __NR_symlinkat	     266
#define __NR_fchmodat	     268
#define __NR_splice	     275
#define __NR_utimensat	     280
#define __NR_fallocate	     285
#define __NR_preadv	     295
#define __NR_pwritev	     296
#define __NR_renameat2	     316
#define __NR_copy_file_range 326
#define __NR_preadv2	     327
#define __NR_pwritev2	     328
#define __NR_openat2	     437 /* 5.6 */
#define __NR_fchmodat2	     452 /* 6.6 */
#define __NR_setxattrat	     463 /* 6.13 */
#define __NR_removexattrat   466 /* 6.13 */
#elif defined(__TARGET_ARCH_arm64)
#define __NR_setxattr	     5
#define __NR_lsetxattr	     6
#define __NR_fsetxattr	     7
#define __NR_removexattr     14
#define __NR_lremovexattr    15
#define __NR_fremovexattr    16
#define __NR_mknodat	     33
#define __NR_mkdirat	     34
#define __NR_unlinkat	     35
#define __NR_symlinkat	     36
#define __NR_linkat	     37
#define __NR_renameat	     38
#define __NR_truncate	     45
#define __NR_ftruncate	     46
#define __NR_fallocate	     47
#define __NR_fchmod	     52
#define __NR_fchmodat	     53
#define __NR_fchownat	     54
#define __NR_fchown	     55
#define __NR_openat	     56
#define __NR_read	     63
#define __NR_write	     64
#define __NR_readv	     65
#define __NR_writev	     66
#define __NR_pread64	     67
#define __NR_pwrite64	     68
#define __NR_preadv	     69
#define __NR_pwritev	     70
#define __NR_sendfile	     71
#define __NR_splice	     76
#define __NR_utimensat	     88
#define __NR_renameat2	     276
#define __NR_copy_file_range 285
#define __NR_preadv2	     286
#define __NR_pwritev2	     287
#define __NR_openat2	     437 /* 5.6 */
#define __NR_fchmodat2	     452 /* 6.6 */
#define __NR_setxattrat	     463 /* 6.13 */
#define __NR_removexattrat   466 /* 6.13 */
#else
#error "panoptes: no syscall numbers for this architecture"
#endif

#endif
