// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cgroups made and removed on the cgroup v2 hierarchy. A container runtime
 * makes a container's cgroup as it starts it and removes it once the last
 * process left, and the kernel says both here whether or not the runtime
 * has an event API of its own (containerd 1.6's CRI has none): panoptesd
 * asks the runtime about the container named by a new cgroup's path before
 * the container's first file event, keeps the path for a cgroup that is
 * gone before its events are read, and reports a container stopped as its
 * cgroup goes. Every node-wide cgroup change is told, unfiltered: they are
 * rare (a few per container start) and only userspace knows which paths
 * name containers.
 */
#include "lib/filter.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Tests only (PANOPTES_TEST_FAULTS=cgroup-notes-refused): nonzero makes the
 * verifier refuse both programs, so the agent's load without them is tested
 * on kernels that accept them. Zero, the verifier prunes the branch as dead
 * (a frozen .rodata value is a known constant), so it costs nothing.
 */
const volatile __u8 pn_fault_notes_refused __weak = 0;

static __always_inline void cgroup__note(struct cgroup *cgrp, const char *path, __u32 op)
{
	struct pn_counters *c;
	struct pn_cgroup_note *n;
	long len;

	if (pn_fault_notes_refused) {
		/* a store through a scalar: refused by every verifier */
		n = (struct pn_cgroup_note *)(unsigned long)bpf_ktime_get_ns();
		n->op = op;
		return;
	}
	/* the v1 hierarchies of a hybrid node fire too; their ids are not the v2 ones */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return;
	n = bpf_ringbuf_reserve(&pn_cgroup_notes, sizeof(*n), 0);
	if (!n) {
		/* one lookup, in a variable: counters__inc() names its argument twice */
		c = counters__get();
		counters__inc(c, cgroup_notes_dropped);
		return;
	}
	n->ts_ns = bpf_ktime_get_ns();
	n->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	n->op = op;
	n->level = BPF_CORE_READ(cgrp, level);
	__builtin_memset(n->pad, 0, sizeof(n->pad));
	len = bpf_probe_read_kernel_str(n->path, sizeof(n->path), path);
	/* a failed read is an empty path: the id still names the cgroup */
	if (len <= 0) {
		n->path[0] = '\0';
		len = 1;
	}
	n->path_len = (__u16)len;
	bpf_ringbuf_submit(n, 0);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(pn_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	cgroup__note(cgrp, path, PN_CGROUP_MADE);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(pn_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	cgroup__note(cgrp, path, PN_CGROUP_REMOVED);
	return 0;
}
