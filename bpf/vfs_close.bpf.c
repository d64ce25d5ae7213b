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
