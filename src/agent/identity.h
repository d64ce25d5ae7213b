/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an event's cgroup id says of its pod and container, read from the
 * cgroup's path (pn_cgroup_path_identity) and kept per id. The kernel gives
 * ids only; the path comes from the id itself (a kernfs file handle on the
 * cgroup2 mount), so cgroups of any runtime are named, watched directly or
 * below a watched parent. Cgroup ids are never reused while the machine
 * runs, so an entry never goes stale; the table is bounded and starts over
 * when full. One thread: the consumer's.
 */
#ifndef PN_AGENT_IDENTITY_H
#define PN_AGENT_IDENTITY_H

#include <stdint.h>

#include "cgroupfs.h"

#define PN_IDENTITY_SLOTS 4096 /* a power of two; a node runs far fewer containers */

struct pn_identity_cache;

/* Opens the cgroup2 mount at cgroup2_root; -errno if it cannot be opened. */
int pn_identity_cache_new(const char *cgroup2_root, struct pn_identity_cache **out);
/*
 * The identity of a cgroup id; empty strings where its path says nothing, or
 * the cgroup is gone before it was first asked about. Valid until the next
 * call. Never NULL.
 */
const struct pn_cgroup_identity *pn_identity_of(struct pn_identity_cache *c, uint64_t cgroup_id);
void pn_identity_cache_free(struct pn_identity_cache *c);

#endif
