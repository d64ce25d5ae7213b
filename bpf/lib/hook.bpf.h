/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The prelude every hook shares once its own cheap tests passed: the cgroup
 * filter, counted. Its answer travels as one struct hook from the program
 * down to the record builders, so no helper takes the watch, the counters
 * and the watch id as three loose arguments.
 */
#ifndef PN_HOOK_BPF_H
#define PN_HOOK_BPF_H

#include "lib/filter.bpf.h"

struct hook {
	struct pn_cgroup_watch *w; /* what the watches covering the task want */
	struct pn_counters *c;	   /* this CPU's counters; NULL-safe (counters__inc) */
	struct task_struct *task;  /* current */
	__u64 watch_id;		   /* the watched cgroup that let the task through */
};

/*
 * False for a task no watch covers (counted as filtered); else fills `h`,
 * counted as seen.
 */
static __always_inline bool hook__enter(struct hook *h)
{
	h->c = counters__get();
	h->w = filter__watched_cgroup(&h->watch_id);
	if (!h->w) {
		counters__inc(h->c, filtered);
		return false;
	}
	counters__inc(h->c, seen);
	h->task = (struct task_struct *)bpf_get_current_task();
	return true;
}

/* Does any watch of the task's cgroup want one of `ops`? Counts a no as gated. */
static __always_inline bool hook__wants(struct hook *h, __u32 ops)
{
	return filter__wants(h->w, ops, h->c);
}

#endif
