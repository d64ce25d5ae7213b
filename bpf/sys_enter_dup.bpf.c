// SPDX-License-Identifier: GPL-2.0-only
/*
 * dup2/dup3 enter hooks: replacing an open descriptor closes its file, the
 * way a shell's `cmd > file` restores stdout. Only the old file behind newfd
 * matters here.
 */
#include "lib/close.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int dup__replace(struct trace_event_raw_sys_enter *ctx)
{
	long oldfd = ctx->args[0], newfd = ctx->args[1];

	if (oldfd == newfd)
		return 0;
	return close__fd(newfd, ctx->id);
}

SEC("tracepoint/syscalls/sys_enter_dup2")
int pn_dup2(struct trace_event_raw_sys_enter *ctx)
{
	return dup__replace(ctx);
}

SEC("tracepoint/syscalls/sys_enter_dup3")
int pn_dup3(struct trace_event_raw_sys_enter *ctx)
{
	return dup__replace(ctx);
}
