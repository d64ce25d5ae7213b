// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, closes: a descriptor goes away (close(2), dup2 over it,
 * close_range, process exit, io_uring's CLOSE) through filp_flush() since
 * 6.7 and filp_close() before (close(2) stopped calling filp_close() then).
 * Userspace loads the one the kernel has (lib/compat.bpf.h). The
 * last-reference rule is the syscalls backend's (lib/close.bpf.h).
 */
#include "lib/close.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/filp_flush")
int BPF_PROG(pn_close_flush, struct file *f, fl_owner_t id)
{
	return close__current(f, -1, PN_HOOK_CLOSE);
}

SEC("fentry/filp_close")
int BPF_PROG(pn_close_filp, struct file *f, fl_owner_t id)
{
	return close__current(f, -1, PN_HOOK_CLOSE);
}

/*
 * Before 6.0 io_uring's CLOSE takes the file out of the table with
 * __close_fd_get_file(), which keeps a reference of its own, and only then
 * calls filp_close() and puts it: at filp_close() the file
 * has two references, and pn_close_filp takes it for a file still open
 * elsewhere. On entry here the descriptor is still in the table and the
 * rule is close(2)'s. (fexit cannot read the file: 5.10 lets tracing
 * programs read only pointers to structs, not the struct file ** that
 * returns it.) Loaded where __close_fd_get_file() has that two-argument form
 * (lib/compat.bpf.h).
 */
SEC("fentry/__close_fd_get_file")
int BPF_PROG(pn_close_get_file, unsigned int fd)
{
	return close__fd(fd, PN_HOOK_CLOSE);
}
