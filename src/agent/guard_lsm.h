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

#include <stdbool.h>
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

struct pn_guard_lsm_opts {
	/*
	 * bpffs directory of the guard's pins (maps/, progs/, links/); NULL or
	 * "": none. What an agent left there with pn_guard_lsm_keep_on_close()
	 * is adopted: its maps (the rules in force) are reused by the programs
	 * loaded now, which attach before the old ones are let go, so a path
	 * denied before the restart is denied throughout.
	 */
	const char *pin_dir;
};

/*
 * Loads and attaches the programs. -errno with why in err (BPF LSM not
 * active, a kernel that refuses the programs): the caller may use fanotify.
 */
int pn_guard_lsm_open(struct pn_guard_lsm **out, const struct pn_guard_lsm_opts *o, char *err,
		      size_t errlen);
/* Whether pin_dir holds the maps of a guard an agent left running. */
bool pn_guard_lsm_pinned(const char *pin_dir);
/*
 * Detaches and removes a guard an agent left pinned in pin_dir, for an
 * agent that will not adopt it (another mechanism, or none: why). NULL-safe.
 */
void pn_guard_lsm_unpin(const char *pin_dir, const char *why);
/* The maps an agent before left were adopted: their rules were in force all along. */
bool pn_guard_lsm_adopted(const struct pn_guard_lsm *l);
/*
 * pn_guard_lsm_close() leaves the programs attached and pinned, enforcing
 * the rules of that moment until the next agent adopts them or
 * `panoptesd --remove-pins` detaches them (--keep-on-exit).
 */
void pn_guard_lsm_keep_on_close(struct pn_guard_lsm *l, bool keep);

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

/*
 * Until this is called, what the adopted maps held stays in them beside
 * every sync's rules (the start's guards are set one at a time); then
 * what none of them holds goes. NULL-safe.
 */
void pn_guard_lsm_settle_adopted(struct pn_guard_lsm *l);

/* The descriptor to poll for decisions. */
int pn_guard_lsm_fd(const struct pn_guard_lsm *l);

/* Hands every decision waiting to fn, in order. Returns how many, or -errno. */
int pn_guard_lsm_consume(struct pn_guard_lsm *l,
			 void (*fn)(void *arg, const struct pn_guard_decision *d), void *arg);

/* The programs' counters, summed over the CPUs. */
void pn_guard_lsm_counters(struct pn_guard_lsm *l, struct pn_guard_counters *out);

/* Detaches the programs (unless kept): nothing is guarded by them any more. NULL-safe. */
void pn_guard_lsm_close(struct pn_guard_lsm *l);

#endif
