/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The watch registry: named watches, the cgroups they resolve to, and the
 * kernel's view of them (which cgroups are watched, for which operations).
 * The one code path for a watch, whoever creates it: policy file, flags, or
 * (later) the gRPC API. Thread-safe; the consumer's dispatch holds the lock
 * only while matching one event.
 */
#ifndef PN_REGISTRY_H
#define PN_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "rules.h"

/* How the registry tells the kernel side what to watch. */
struct pn_kernel_sink {
	int (*watch)(void *ctx, uint64_t cgroup_id, uint32_t ops);
	int (*unwatch)(void *ctx, uint64_t cgroup_id);
	int (*levels)(void *ctx, const uint32_t *levels, unsigned n);
	void *ctx;
};

struct pn_registry;

typedef void (*pn_reg_match_fn)(const struct pn_event *ev, const struct pn_match *m,
				const char *container, void *arg);

struct pn_registry *pn_registry_new(const char *cgroup2_root, const char *proc_root,
				    const struct pn_kernel_sink *sink);
void pn_registry_free(struct pn_registry *r);

/*
 * Resolves the spec's targets to cgroups and installs the watch; a watch of
 * the same name is replaced in place, with no moment in which neither is
 * active. On success the registry owns spec->watch and spec->targets (the
 * spec is zeroed). On error nothing changed, the caller still owns the spec,
 * and err names the target that failed.
 */
int pn_registry_add(struct pn_registry *r, struct pn_watch_spec *spec, char *err, size_t errlen);
int pn_registry_remove(struct pn_registry *r, const char *name);

/* Reports one event to every watch covering its cgroup. Returns matches made. */
size_t pn_registry_dispatch(struct pn_registry *r, const struct pn_event *ev, pn_reg_match_fn fn,
			    void *arg);

/* Drops cgroups that no longer exist (container exited), and watches left with none. */
int pn_registry_prune(struct pn_registry *r);

/* Event bits are inotify's low 12 bits: counts are kept per bit index. */
#define PN_EVENT_SLOTS 12

/* Calls fn for every watch, under the lock, with its events reported so far by bit index. */
void pn_registry_foreach_watch(struct pn_registry *r,
			       void (*fn)(const char *name, const uint64_t *counts, void *arg),
			       void *arg);

size_t pn_registry_watch_count(struct pn_registry *r);
size_t pn_registry_cgroup_count(struct pn_registry *r);

#endif
