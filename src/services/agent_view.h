/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent as the gRPC services see it: the few things they do to it and
 * read from it, filled in by the composition root, so that no service holds
 * the registry, the capture or the consumer themselves (as /metrics reads
 * them through struct pn_metrics_source). Every hook is called from the
 * completion queue thread.
 */
#ifndef PN_AGENT_VIEW_H
#define PN_AGENT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "cri.h"
#include "guards.h"
#include "panoptes_event.h"
#include "registry.h"
#include "resolve.h"
#include "watch_view.h"

/* What GetStatus reports besides the kernel counters. */
struct pn_agent_status {
	const char *backend;  /* valid for the agent's life */
	const char *programs; /* attached programs, comma-separated; likewise */
	size_t watches;
	size_t cgroups;
	uint64_t records;		 /* ring buffer records decoded */
	uint64_t malformed;		 /* records that failed validation */
	uint64_t events;		 /* events written */
	uint64_t dropped;		 /* events matched but not written (no memory) */
	uint64_t policy_reloads;	 /* SIGHUP reloads of the policy files that succeeded */
	uint64_t policy_reload_failures; /* and those refused (the old policy kept) */
	uint64_t lookups_timed_out;	 /* name lookups waited for past --lookup-timeout-ms */
	uint64_t lookups_skipped;	 /* name lookups not tried (lookups.h bounds) */
	bool cri_enabled;		 /* false: --cri-endpoint "" */
	struct pn_cri_stats cri;
};

struct pn_agent_view {
	const char *node;
	const char *version;
	void *ctx; /* handed to every hook */
	/* pn_registry_install()'s contract: on success the agent owns the spec. */
	int (*install)(void *ctx, struct pn_watch_spec *spec, enum pn_reg_mode mode,
		       struct pn_reg_error *err);
	/* 0, or -ENOENT when no watch has this key. */
	int (*remove)(void *ctx, const char *key);
	/* fn for every watch, under the registry lock: fn must not call back in. */
	void (*foreach_watch)(void *ctx, void (*fn)(const struct pn_watch_view *v, void *arg),
			      void *arg);
	/* The kernel's counters, summed over CPUs. */
	void (*counters)(void *ctx, struct pn_counters *sum);
	void (*status)(void *ctx, struct pn_agent_status *out);
	/* Targets -> cgroups as an install resolves them (pn_resolve_targets()), installing nothing. */
	int (*resolve)(void *ctx, const struct pn_targets *t, struct pn_resolved **out, size_t *n,
		       struct pn_reg_error *err);
	/*
	 * The containers running now and their images, as lifecycle records
	 * (snapshot set), each to fn; then done(), with no change told in
	 * between, so a stream subscribed there misses none and gets none twice.
	 * -ENODEV without a container runtime (NULL: never one).
	 */
	int (*lifecycle_snapshot)(void *ctx, void (*fn)(void *arg, const struct pn_lifecycle *lc),
				  void (*done)(void *arg), void *arg);
	/* The node's guards; NULL when they cannot be enforced here, guards_why says why. */
	struct pn_guards *guards;
	const char *guards_why;
	/* After a guard changed over the API: kept in the state dir. NULL: nothing to do. */
	void (*guards_changed)(void *ctx);
	/* The cgroup2 mount, and below it the cgroups API watches may bind (--api-cgroup-root). */
	const char *cgroup2;
	char *const *api_cgroup_roots; /* normalized, "/" = the whole tree */
	size_t n_api_cgroup_roots;
};

#endif
