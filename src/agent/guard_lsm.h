/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guard's kernel half on BPF LSM (bpf/guard/guard.bpf.c): loads and
 * attaches its programs, writes the guarded cgroups and the rules of their
 * objects to its maps, and hands the decisions the kernel made to the
 * caller (agent/guards.c), which logs them. The kernel decides alone: a
 * decision never waits for this process, and the programs stay as they are
 * while it is busy.
 */
#ifndef PN_AGENT_GUARD_LSM_H
#define PN_AGENT_GUARD_LSM_H

#include <stddef.h>
#include <stdint.h>

#include "panoptes_guard.h"

struct pn_guard_lsm;

/* A guarded cgroup as the kernel is told it. */
struct pn_guard_lsm_cgroup {
	uint64_t id;
	uint32_t flags; /* PN_GUARD_CG_* */
	int level;	/* below the cgroup2 root */
};

struct pn_guard_lsm_rule {
	struct pn_guard_key key;
	struct pn_guard_rule rule;
};

/*
 * Loads and attaches the programs. -errno with why in err (BPF LSM not
 * active, a kernel that refuses the programs): the caller may use fanotify.
 */
int pn_guard_lsm_open(struct pn_guard_lsm **out, char *err, size_t errlen);

/*
 * Makes the kernel's maps hold exactly cgroups[0..n_cg) and rules[0..n)
 * (each key once). The new rules are written over the old before any old
 * one is deleted, and cgroups keep the union of old and new flags until
 * then, so an object denied before and after is denied throughout.
 * -errno of a map update the kernel refused (-E2BIG: the maps are full); a
 * refused sync leaves the union of old and new, which the next sync settles.
 */
int pn_guard_lsm_sync(struct pn_guard_lsm *l, const struct pn_guard_lsm_cgroup *cgroups,
		      size_t n_cg, const struct pn_guard_lsm_rule *rules, size_t n);

/* The descriptor to poll for decisions. */
int pn_guard_lsm_fd(const struct pn_guard_lsm *l);

/* Hands every decision waiting to fn, in order. Returns how many, or -errno. */
int pn_guard_lsm_consume(struct pn_guard_lsm *l,
			 void (*fn)(void *arg, const struct pn_guard_decision *d), void *arg);

/* The programs' counters, summed over the CPUs. */
void pn_guard_lsm_counters(struct pn_guard_lsm *l, struct pn_guard_counters *out);

/* Detaches the programs: nothing is guarded by them any more. NULL-safe. */
void pn_guard_lsm_close(struct pn_guard_lsm *l);

#endif
