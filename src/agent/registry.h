/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The watch registry: named watches, the cgroups they resolve to, and the
 * kernel's view of them (which cgroups are watched, for which operations).
 * The one code path for a watch, whoever creates it: policy file, flags, or
 * the gRPC APIs. Thread-safe; the consumer matches against an immutable
 * snapshot of the watches taken at each change, with no lock held (see
 * pn_registry_dispatch).
 */
#ifndef PN_REGISTRY_H
#define PN_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "resolve.h"
#include "rules.h"
#include "watch_view.h"

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

/*
 * Decides a watch's selector for an event (the consumer: what the container
 * runtime names its cgroup). Without one, a watch with a selector matches
 * nothing: who a cgroup belongs to cannot be told.
 */
typedef bool (*pn_reg_admit_fn)(void *arg, const struct pn_event *ev, const struct pn_watch *w);
void pn_registry_set_admit(struct pn_registry *r, pn_reg_admit_fn fn, void *arg);

/*
 * The same question for a cgroup, never waiting (the consumer: what the
 * runtime has already named): undecided while its container is not named.
 * With it, a cgroup that every covering selector refuses is stopped in the
 * kernel (pn_registry_dispatch); without, every event of a selector watch's
 * cgroups is read and decided here.
 */
enum pn_reg_verdict {
	PN_REG_UNDECIDED,
	PN_REG_ADMITTED,
	PN_REG_REFUSED,
};
typedef enum pn_reg_verdict (*pn_reg_decide_fn)(void *arg, uint64_t cgroup_id,
						const struct pn_watch *w);
void pn_registry_set_decide(struct pn_registry *r, pn_reg_decide_fn fn, void *arg);

/*
 * At most this many cgroups excluded at once (they share the kernel's map
 * of watched cgroups, PN_MAX_CGROUPS_DEFAULT): past it, a refused cgroup's
 * records are still read and dropped here, nothing is lost.
 */
#define PN_REG_MAX_EXCLUDED 4096

/* The kernel said cgroup_id was removed: its exclusion, if any, goes (NULL-safe). */
void pn_registry_forget(struct pn_registry *r, uint64_t cgroup_id);
/* Cgroups excluded now, and exclusions ever made. */
void pn_registry_exclusions(struct pn_registry *r, size_t *now, uint64_t *made);
void pn_registry_free(struct pn_registry *r);

enum pn_reg_mode {
	PN_REG_UPSERT,	     /* install, or replace the watch with the same key */
	PN_REG_CREATE_ONLY,  /* -EEXIST if the key is taken */
	PN_REG_REPLACE_ONLY, /* -ENOENT if there is nothing to replace */
};

/*
 * Resolves the spec's targets to cgroups and installs the watch; a watch of
 * the same key (pn_watch.key, else its name) is replaced in place, with no
 * moment in which neither is active. On success the registry owns
 * spec->watch and spec->targets (the spec is zeroed). On error nothing
 * changed, the caller still owns the spec, and err (NULL-safe) says what
 * failed and in which field: -EINVAL bad target, -ENOENT/-ESRCH target not
 * found (PID, CGROUP, CONTAINER, TARGETS), -EEXIST/-ENOENT per mode (NAME),
 * -ENOSPC past the watch limit or when the kernel's map of watched cgroups
 * refuses one (full; everything is put back as it was), -ENOMEM (NONE).
 */
int pn_registry_install(struct pn_registry *r, struct pn_watch_spec *spec, enum pn_reg_mode mode,
			struct pn_reg_error *err);
/* Install or replace, for callers that only print the message (flags, policy files). */
int pn_registry_add(struct pn_registry *r, struct pn_watch_spec *spec, char *err, size_t errlen);
/* Whether a watch belongs to the set a pn_registry_replace_set() call replaces. */
typedef bool (*pn_reg_owned_fn)(const struct pn_watch *w, void *arg);

struct pn_reg_set_result {
	size_t added, replaced, removed, unchanged;
	size_t failed; /* index of the spec refused, SIZE_MAX when no one spec is to blame */
};

/*
 * Makes the watches `owned` says are the set's exactly specs[0..n), all or
 * nothing (an operator's reload of its policy files). Every spec is resolved
 * and checked before anything changes; then the new and replaced watches
 * reach the kernel while the old ones are still there, and one snapshot
 * publishes the whole change, so a path that both the old and the new set
 * watch is never unwatched and the consumer sees the old set or the new.
 * A spec equal to the installed watch of its key, on the same cgroups, keeps
 * that watch (its counters and followMove state): "unchanged". A spec whose
 * key belongs to a watch outside the set is refused (-EEXIST, NAME), as is a
 * key given twice. On success every spec is zeroed (the registry took or
 * freed it) and out counts what happened; on error nothing changed, the
 * caller still owns the specs, out->failed names the spec refused if one was
 * (err's message then leaves the watch's name to the caller), and the codes
 * are pn_registry_install()'s.
 */
int pn_registry_replace_set(struct pn_registry *r, pn_reg_owned_fn owned, void *arg,
			    struct pn_watch_spec *specs, size_t n, struct pn_reg_set_result *out,
			    struct pn_reg_error *err);
/* Removes the watch with this key (its name unless it was given a key). 0 or -ENOENT. */
int pn_registry_remove(struct pn_registry *r, const char *key);

/* 0 = no limit. Installing a new watch past it fails with -ENOSPC. */
void pn_registry_set_max_watches(struct pn_registry *r, size_t max);

/* Calls fn for every watch, under the registry lock (fn must not call back in). */
void pn_registry_foreach_view(struct pn_registry *r,
			      void (*fn)(const struct pn_watch_view *v, void *arg), void *arg);

/*
 * Reports one event to every watch covering its cgroup, from the snapshot
 * of the last change; fn runs with no registry lock held (it may take its
 * time: installs, views and status go on). One thread dispatches (the
 * consumer): followMove state is its own. Returns the matches handed to
 * fn (those a watch's selector admitted).
 */
size_t pn_registry_dispatch(struct pn_registry *r, const struct pn_event *ev, pn_reg_match_fn fn,
			    void *arg);

/*
 * Drops cgroups that no longer exist (container exited), and watches left with
 * none. A cgroup goes at the second call that finds it gone: the caller
 * consumes the ring buffer between calls, so the records its tasks left are
 * reported. Returns the cgroups dropped.
 */
int pn_registry_prune(struct pn_registry *r);

/* Calls fn for every watch, under the lock, with its events reported so far by bit index. */
void pn_registry_foreach_watch(struct pn_registry *r,
			       void (*fn)(const char *name, const uint64_t *counts, void *arg),
			       void *arg);

/*
 * A live process that sees the filesystem as the watched cgroup `id` does:
 * the first pid in its cgroup.procs or, for a pod-level cgroup whose
 * processes sit in sub-cgroups, in its first non-empty descendant; never
 * `exclude`. 0 if none.
 */
int pn_registry_pid_in(struct pn_registry *r, uint64_t cgroup_id, int exclude);

size_t pn_registry_watch_count(struct pn_registry *r);
size_t pn_registry_cgroup_count(struct pn_registry *r);
/* Is this cgroup bound to a watch (and so in the kernel's map)? */
bool pn_registry_has_cgroup(struct pn_registry *r, uint64_t id);

#endif
