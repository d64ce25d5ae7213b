// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, opens: fexit do_filp_open(), which every open path shares
 * (open/openat/openat2/creat and io_uring's OPENAT), with the new struct
 * file as result. The record names the file reached (symlinks followed) and,
 * as its second path, the name the process used; userspace keeps the second
 * one only where the two differ. O_TRUNC of an existing file is reported by
 * the truncate hooks (vfs_attr.bpf.c), before this OPEN, as inotify orders
 * them.
 */
#include "lib/open.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PN_MAY_EXEC 0x1

SEC("fexit/do_filp_open")
int BPF_PROG(pn_end_open, int dfd, struct filename *pathname, const struct open_flags *op,
	     struct file *f)
{
	struct path_src used;
	struct pn_scratch *s;
	struct hook h;

	if (!hook__enter(&h))
		return 0;
	if ((unsigned long)f >= (unsigned long)-4095L || !f) {
		counters__inc(h.c, failed);
		return 0;
	}
	/*
	 * execve() opens the program through here too; the syscalls backend
	 * does not see that open, and nothing closes it by descriptor.
	 */
	if (BPF_CORE_READ(op, acc_mode) & PN_MAY_EXEC)
		return 0;
	s = open__record(&h, f, 0, PN_HOOK_OPEN, 0);
	if (!s)
		return 0;
	/* the name as used is extra: the record goes out without it if it did not resolve */
	used = path_src__name(dfd, BPF_CORE_READ(pathname, name), false);
	record__add_second(&h, s, &used, PN_REC_NAMED);
	record__submit(&h, s);
	return 0;
}
