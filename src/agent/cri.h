/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The container runtime, asked over its CRI socket (runtime.v1, the part in
 * proto/cri/runtime.proto) what a container id is: pod, namespace,
 * container name, image. A thread of its own talks to the runtime; the
 * consumer asks pn_cri_lookup() and waits, bounded, only the first time a
 * container is seen. Between asks, the thread lists the runtime's containers
 * (at connect and every resync) so most lookups are answered from memory.
 */
#ifndef PN_AGENT_CRI_H
#define PN_AGENT_CRI_H

#include <stdbool.h>
#include <stdint.h>

#include "identity.h"
#include "lifecycle.h"

/* Where runtimes listen, probed in this order when no endpoint is given. */
#define PN_CRI_PROBED                                                                              \
	"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/cri-dockerd.sock",         \
		"/run/k3s/containerd/containerd.sock"

#define PN_CRI_WAIT_MS_DEFAULT 250  /* what a container's first event may wait for the runtime */
#define PN_CRI_RESYNC_S	       30   /* containers listed again, and a lost runtime asked again */
#define PN_CRI_FIRST_LIST_MS   2000 /* what a start with guards by selector waits for the list */

struct pn_cri_config {
	const char *endpoint; /* "unix:///path" or "/path"; NULL or "" probes PN_CRI_PROBED */
	unsigned int wait_ms;
	unsigned int resync_s; /* 0: PN_CRI_RESYNC_S */
	/*
	 * Containers and images as they come and go (kimager's job); called on
	 * the client's thread, with its lock held: write the line and return.
	 */
	void (*on_lifecycle)(void *arg, const struct pn_lifecycle *lc);
	void *lifecycle_arg;
	/*
	 * The containers the agent before this one said were running (kept in
	 * --state-dir; copied): those the first list lacks are reported stopped,
	 * and their images removed, with `reconciled` set.
	 */
	const struct pn_lifecycle *previous;
	size_t n_previous;
	/* the pod annotations events carry (--event-annotations; copied) */
	char *const *annotation_keys;
	size_t n_annotation_keys;
};

/* What the status and /metrics say of the runtime. */
struct pn_cri_stats {
	bool connected;
	char endpoint[128];    /* the socket asked (or the one last probed), "" if none */
	char runtime[128];     /* "containerd 1.6.20", while connected */
	char error[256];       /* why it is not connected */
	uint64_t containers;   /* known now */
	uint64_t images;       /* distinct images of them (normalized references) */
	uint64_t lookups;      /* containers asked about by the consumer */
	uint64_t late;	       /* of them, not answered within wait_ms (the event went without) */
	uint64_t unknown;      /* of them, unknown to the runtime */
	uint64_t failures;     /* calls to the runtime that failed */
	uint64_t cgroups_made; /* containers asked about as their cgroup appeared */
	uint64_t cgroups_removed; /* containers let go as their cgroup was removed */
};

struct pn_cri;

/*
 * Checks an endpoint's spelling: 0, or -EINVAL with why in err. Only unix
 * sockets: the runtime is on the node.
 */
int pn_cri_endpoint_check(const char *endpoint, char *err, size_t errlen);
/* Starts the thread; connecting happens there (never fails for a missing runtime). */
int pn_cri_start(const struct pn_cri_config *cfg, struct pn_cri **out);
/* A pn_identity_runtime_fn; arg is the struct pn_cri (-ENODEV: no runtime found to ask). */
int pn_cri_lookup(void *arg, const char *container_id, bool wait, struct pn_workload *out);
/*
 * The kernel said a container's cgroup was made (bpf/cgroup.bpf.c): asked
 * about now, on the client's thread, so that its first event finds the
 * answer; never waits. Nothing happens if it is known or no runtime is
 * connected. NULL cri is fine.
 */
void pn_cri_expect(struct pn_cri *cri, const char *container_id);
/*
 * ...and removed: it stopped (--lifecycle says so at once), and is never
 * counted running again, though the runtime may list it so a moment
 * longer, unless its cgroup is made again; its names stay for late events
 * until a list no longer has it.
 */
void pn_cri_gone(struct pn_cri *cri, const char *container_id);
void pn_cri_stats(struct pn_cri *cri, struct pn_cri_stats *out);
/*
 * The containers running now and their images, as lifecycle records with
 * snapshot set (each image after its first container), to fn; then done().
 * All under the client's lock: no record is told to on_lifecycle in
 * between. fn and done must not call back into the client.
 */
void pn_cri_snapshot(struct pn_cri *cri, void (*fn)(void *arg, const struct pn_lifecycle *lc),
		     void (*done)(void *arg), void *arg);
/*
 * Waits, at most ms, for the first whole list of the runtime's containers
 * (what a guard by selector needs before the agent says it is ready); true
 * once it is taken, false at the deadline or for a runtime found missing.
 */
bool pn_cri_wait_listed(struct pn_cri *cri, unsigned int ms);
/*
 * The ids of the running containers whose names pass keep (called under the
 * client's lock: decide and return), into *ids: each string and the array
 * the caller's to free. -ENOTCONN while no runtime answers or before its
 * first whole list (what runs is not known then), -ENODEV without a
 * client, -ENOMEM.
 */
int pn_cri_running(struct pn_cri *cri, bool (*keep)(const void *arg, const struct pn_workload *w),
		   const void *arg, char ***ids, size_t *n);
/* Stops the thread and frees; NULL is fine. */
void pn_cri_stop(struct pn_cri *cri);

#endif
