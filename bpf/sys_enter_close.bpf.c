// SPDX-License-Identifier: GPL-2.0-only
/*
 * close(2) enter hook: the descriptor still exists here and we can tell
 * whether it holds the file's last reference. A per-syscall tracepoint, so
 * only close calls pay for it, not every syscall on the node.
 */
#include "lib/close.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_close")
int pn_close(struct trace_event_raw_sys_enter *ctx)
{
	return close__fd(ctx->args[0], ctx->id);
}
