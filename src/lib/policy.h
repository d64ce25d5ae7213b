/* SPDX-License-Identifier: GPL-2.0-only */
/* Standalone policy files (YAML, shaped like the ArgusWatcher spec). */
#ifndef PN_POLICY_H
#define PN_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

/* Whom a watch applies to. Strings as the user wrote them; resolution happens later. */
struct pn_targets {
	int *pids;
	size_t n_pids;
	char **cgroups; /* absolute cgroupfs paths, or paths relative to the cgroup2 root */
	size_t n_cgroups;
	char **containers; /* "containerd://ID", "docker://ID", "cri-o://ID", "runc://ID" or "ID" */
	size_t n_containers;
	/*
	 * The node's pods' cgroups (PN_PODS_CGROUPS, those that exist): what a
	 * watch with a selector and no other target watches.
	 */
	bool pods;
};

struct pn_watch_spec {
	struct pn_watch *watch;
	struct pn_targets targets;
};

struct pn_guard_spec; /* guard.h */

struct pn_policy {
	struct pn_watch_spec *specs;
	size_t n_specs;
	struct pn_guard_spec *guards; /* a `guards:` list (docs/guard.md) */
	size_t n_guards;
};

/*
 * Parses a policy from a file (path) or from memory (pn_policy_parse_string,
 * `name` used in messages). On error returns a negative errno and writes one
 * line to err: "FILE:LINE:COL: what is wrong" (LINE/COL 1-based), naming the
 * offending key or value. Nothing is allocated on error.
 */
int pn_policy_load(const char *path, struct pn_policy *out, char *err, size_t errlen);
int pn_policy_parse_string(const char *name, const char *text, size_t len, struct pn_policy *out,
			   char *err, size_t errlen);

/* Frees what a policy owns (watches included). NULL-safe, idempotent. */
void pn_policy_clear(struct pn_policy *p);
void pn_targets_clear(struct pn_targets *t);

#endif
