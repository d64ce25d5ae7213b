/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The cgroup filter: the first thing every hook does after learning the
 * syscall is one of ours. An unwatched task must leave here with as little
 * work as possible, because every process on the node pays for it.
 */
#ifndef PN_FILTER_BPF_H
#define PN_FILTER_BPF_H

#include "lib/compat.bpf.h"
#include "lib/maps.bpf.h"

/*
 * Returns the watch entry covering the current task (its own cgroup or the
 * nearest watched ancestor) and its id, or NULL. Ancestors are asked only at
 * levels where userspace placed a watched cgroup.
 */
static __always_inline struct pn_cgroup_watch *filter__watched_cgroup(__u64 *watch_id)
{
	__u32 nlevels = pn_watch_nlevels;
	struct pn_cgroup_watch *w;
	__u64 own, id;

	if (!nlevels)
		return NULL;

	own = bpf_get_current_cgroup_id();
	w = bpf_map_lookup_elem(&pn_cgroups, &own);
	if (w) {
		*watch_id = own;
		return w;
	}
	for (__u32 i = 0; i < PN_MAX_WATCH_LEVELS; i++) {
		if (i >= nlevels)
			break;
		/*
		 * 0 when the task sits above that level: no such ancestor. At the
		 * task's own level it is the task's own id, already looked up.
		 */
		id = compat__ancestor_cgroup_id(pn_watch_levels[i]);
		if (!id || id == own)
			continue;
		w = bpf_map_lookup_elem(&pn_cgroups, &id);
		if (w) {
			*watch_id = id;
			return w;
		}
	}
	return NULL;
}

static __always_inline struct pn_counters *counters__get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pn_counters, &zero);
}

#define counters__inc(c, field)                                                                    \
	do {                                                                                       \
		if (c)                                                                             \
			(c)->field++;                                                              \
	} while (0)

/* Does any watch of the task's cgroup want one of `ops`? Counts a no as gated. */
static __always_inline bool filter__wants(struct pn_cgroup_watch *w, __u32 ops,
					  struct pn_counters *c)
{
	if (w->ops & ops)
		return true;
	counters__inc(c, gated);
	return false;
}

#endif
