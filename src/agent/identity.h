/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an event's cgroup id says of its pod and container, read from the
 * cgroup's path (pn_cgroup_path_identity) and kept per id. The kernel gives
 * ids only; the path comes from the id itself (a kernfs file handle on the
 * cgroup2 mount), so cgroups of any runtime are named, watched directly or
 * below a watched parent. The pod and container names, the namespace and
 * the image come from the container runtime, asked through a hook (the
 * agent links its CRI client there; the consumer's fuzz target does not).
 * Cgroup ids are never reused while the machine runs, and a container's
 * names and image never change, so an entry never goes stale; the table is
 * bounded: the cgroups the kernel said were removed leave it first, and it
 * starts over if that is not enough. One thread: the consumer's.
 */
#ifndef PN_AGENT_IDENTITY_H
#define PN_AGENT_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroupfs.h"
#include "selector.h"

#define PN_IDENTITY_SLOTS    4096 /* a power of two; a node runs far fewer containers */
#define PN_IDENTITY_GRACE_NS (5ULL * 1000000000ULL)

struct pn_identity_cache;

/*
 * What the container runtime says of a container (agent/cri.c): each string
 * heap-owned, NULL where it said nothing.
 */
struct pn_workload {
	char *pod;		 /* io.kubernetes.pod.name */
	char *namespace;	 /* io.kubernetes.pod.namespace */
	char *container;	 /* the container's name in the pod spec */
	char *image;		 /* the image as the pod spec names it (or the runtime's tag) */
	char *image_id;		 /* the runtime's image reference (digest or sha256 id) */
	struct pn_labels labels; /* the pod's, without kubelet's io.kubernetes.pod.*; key order */
	struct pn_labels annotations; /* the pod's that --event-annotations asks for; key order */
};

void pn_workload_clear(struct pn_workload *w);

/*
 * A cgroup's identity: what its path says (pn_cgroup_path_identity), and
 * what the runtime says of the container it names (empty until known).
 */
struct pn_identity {
	struct pn_cgroup_identity path;
	struct pn_workload workload;
	/* a runtime is there to name the container and has not (yet): the event says so */
	bool incomplete;
};

/*
 * Asked for a container id the first time one of its events is written
 * (then on later events while it says -EAGAIN or -ENODEV): 0 with *out
 * filled, -ENOENT if the runtime does not know the container (never asked
 * again), -EAGAIN if there is no answer yet (the identity is incomplete),
 * -ENODEV if no runtime was found on the node (nothing is missing). With
 * `wait`, may wait, bounded, for the runtime; without, answers from what
 * is known and leaves the wait to the next call that waits.
 */
typedef int (*pn_identity_runtime_fn)(void *arg, const char *container_id, bool wait,
				      struct pn_workload *out);

/* Opens the cgroup2 mount at cgroup2_root; -errno if it cannot be opened. */
int pn_identity_cache_new(const char *cgroup2_root, struct pn_identity_cache **out);
/* The runtime asked for what a cgroup path cannot say; none (NULL) by default. */
void pn_identity_set_runtime(struct pn_identity_cache *c, pn_identity_runtime_fn fn, void *arg);
/*
 * The identity of a cgroup id; empty strings where its path says nothing, or
 * the cgroup is gone before it was first asked about. Valid until the next
 * call. Never NULL.
 */
const struct pn_identity *pn_identity_of(struct pn_identity_cache *c, uint64_t cgroup_id);
/*
 * The identity of a cgroup id if the runtime has named its container, asking
 * it without waiting (pn_identity_runtime_fn); NULL if not (yet). Valid
 * until the next call. A later pn_identity_of() still waits where a first
 * event would.
 */
const struct pn_identity *pn_identity_named(struct pn_identity_cache *c, uint64_t cgroup_id);
/*
 * The kernel said a cgroup was made, with its path (bpf/cgroup.bpf.c): kept
 * if the path names a pod or a container (true, and *out says what), so
 * that events read after the cgroup is gone still name it. The runtime is
 * asked at its first event as for any other.
 */
bool pn_identity_made(struct pn_identity_cache *c, uint64_t cgroup_id, const char *path,
		      struct pn_cgroup_identity *out);
/*
 * ...and removed (CLOCK_MONOTONIC ns): its entry is let go when room is
 * needed, PN_IDENTITY_GRACE_NS later, so events that were waiting in the
 * ring buffer behind the removal still find it.
 */
void pn_identity_removed(struct pn_identity_cache *c, uint64_t cgroup_id, uint64_t now_ns);
void pn_identity_cache_free(struct pn_identity_cache *c);

#endif
