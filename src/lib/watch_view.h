/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A watch as the outside sees it: what the registry hands to the API layers
 * (gRPC mapping, metrics) without them knowing the registry. Plain data,
 * borrowed for the length of a callback.
 */
#ifndef PN_WATCH_VIEW_H
#define PN_WATCH_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "panoptes_event.h"
#include "policy.h"

/* One cgroup a watch is bound to. */
struct pn_watch_binding {
	uint64_t cgroup_id;
	const char *path;
	const char *container; /* the container ref it was asked for by, or "" */
};

/* A watch as the API shows it; valid only during the callback. */
struct pn_watch_view {
	const struct pn_watch *watch;
	const struct pn_targets *targets;
	const struct pn_watch_binding *bindings;
	size_t n_bindings;
	const uint64_t *counts; /* PN_EVENT_KINDS, by event bit index */
};

#endif
