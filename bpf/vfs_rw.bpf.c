// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, reads and writes: lsm file_permission, which the kernel asks
 * before every read or write of a file's data (rw_verify_area: read, write,
 * their vector and positional forms, splice, sendfile, copy_file_range, and
 * io_uring's READ/WRITE, which do not go through a syscall of their own),
 * and for fallocate. It runs before the transfer: a read at end of file is
 * reported like any read (inotify waits for a byte), once per run of reads,
 * since repeats are coalesced. overlayfs passes the read on to a file of its
 * layer: on kernels with backing files (6.12) that file lives on a private
 * mount outside every process's view, so the path walk drops it; older
 * kernels (6.1) open it on a fake path, see below. Each read is reported
 * once.
 */
#include "lib/rw.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PN_MAY_WRITE 0x2
#define PN_MAY_READ  0x4

SEC("lsm/file_permission")
int BPF_PROG(pn_lsm_rw, struct file *f, int mask)
{
	struct hook h;
	__u32 op, mode;

	if (mask & PN_MAY_WRITE)
		op = PN_MODIFY;
	else if (mask & PN_MAY_READ)
		op = PN_ACCESS;
	else
		return 0;
	if (!hook__enter(&h) || !hook__wants(&h, op))
		return 0;
	/*
	 * overlayfs without backing files opens its layer's file on a fake path (the
	 * overlay's own), so that file walks to the same name; its inode is
	 * the layer's, not the one of its path. The overlay's own file was
	 * reported already.
	 */
	if (BPF_CORE_READ(f, f_inode) != BPF_CORE_READ(f, f_path.dentry, d_inode))
		return 0;
	mode = file__mode(f);
	if (rw__reports(&h, f, mode, op))
		record__emit_file(&h, f, mode, op, PN_HOOK_RW, 0);
	return 0;
}
