// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor: the cheapest hook a tracepoint agent can have. Every syscall on
 * the node pays one tp_btf sys_exit hit and one hash lookup of its cgroup id
 * in an empty map; no agent that filters by cgroup can cost less.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u32);
} floor_cgroups SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_cgroup_id();

	return bpf_map_lookup_elem(&floor_cgroups, &id) ? 1 : 0;
}
