/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guard: paths a workload may open (allow: permitted and logged) and paths
 * it may not (deny: the open or read fails with EPERM, and is logged), for
 * the processes of its targets' cgroups. janus' JanusGuard: a path covers
 * the object itself and, for a directory, its direct children; a path named
 * in both lists is denied; paths not named are neither guarded nor logged.
 * Built by the API mappings (api/janus.c), enforced by agent/guard.c. Pure
 * data and rules: no I/O.
 */
#ifndef PN_GUARD_H
#define PN_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "panoptes_guard.h"
#include "policy.h"
#include "rules.h"

/* What a subject guards: janus' event words "open", "access" and "all". */
enum {
	PN_GUARD_OPEN = 1u << 0,   /* opening the object (fanotify FAN_OPEN_PERM) */
	PN_GUARD_ACCESS = 1u << 1, /* reading it (FAN_ACCESS_PERM) */
	PN_GUARD_ALL = PN_GUARD_OPEN | PN_GUARD_ACCESS,
};

/* janus' default log line; every panoptes specifier works in a guard's format too. */
#define PN_GUARD_DEFAULT_FORMAT "<{response}> {event} {ftype} '{path}' ({pod}:{node}) {tags}"

struct pn_guard_subject {
	char **allow; /* normalized absolute paths, as the container sees them */
	size_t n_allow;
	char **deny;
	size_t n_deny;
	uint32_t ops; /* PN_GUARD_* */
	bool only_dir;
	bool auto_allow_owner; /* the container's init and its direct children pass a deny */
	bool audit;	       /* the decision also goes to the kernel's audit log */
	/* panoptes' own: a directory covers its whole subtree, made later included */
	bool recursive;
	/* tags and tags_text only ({tags}); its paths are unused */
	struct pn_subject tags;
};

struct pn_guard {
	/*
	 * name, key (janus/<node>/<pod>), pod, origin and log_format (NULL: the
	 * janus default) as a watch holds them, so that a decision is a match
	 * the formatters print; no subjects.
	 */
	struct pn_watch *watch;
	struct pn_guard_subject *subjects;
	size_t n_subjects;
};

struct pn_guard_spec {
	struct pn_guard *guard;
	struct pn_targets targets;
};

/*
 * One event word into *ops: 0, or -EINVAL for a word janus does not have
 * (valid: open, access, all).
 */
int pn_guard_event_parse(const char *word, uint32_t *ops);

/*
 * Whether a subject decides operation `op` (PN_GUARD_OPEN or _ACCESS) on an
 * object reached through one of its paths, a directory or not: its event
 * words name the operation, and onlyDir leaves files alone.
 */
bool pn_guard_subject_covers(const struct pn_guard_subject *s, uint32_t op, bool is_dir);

/*
 * Adds what one guarded object named by subject s (denied or allowed, a
 * directory or not, recursive or not) decides to the kernel's rule of that
 * object (bpf/shared/panoptes_guard.h): the object itself for every
 * operation and type s covers, a directory's children too, a recursive
 * directory's subtree too. Verdicts merge by their order, so deny wins over
 * autoAllowOwner's deny, which wins over allow.
 */
void pn_guard_rule_merge(struct pn_guard_rule *r, const struct pn_guard_subject *s, bool deny,
			 bool is_dir, bool recursive);

void pn_guard_free(struct pn_guard *g);
void pn_guard_spec_clear(struct pn_guard_spec *s);

#endif
