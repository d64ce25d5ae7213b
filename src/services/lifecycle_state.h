/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * With --lifecycle and --state-dir: the containers this agent reported
 * running, kept in --state-dir/containers.pb as they start and stop, so
 * that the next agent reports those that went while none ran
 * (agent/cri.c reconciles them at its first list).
 */
#ifndef PN_LIFECYCLE_STATE_H
#define PN_LIFECYCLE_STATE_H

#include <stddef.h>

#include "lifecycle.h"
#include "state.h"

struct pn_lifecycle_set {
	struct pn_state *state; /* NULL: kept in memory only */
	struct pn_lifecycle *v; /* container records, strings their own */
	size_t n;
};

/*
 * Reads what the agent before kept (none: an empty set). A file that does
 * not decode is said once and set aside; -ENOMEM only.
 */
int pn_lifecycle_set_load(struct pn_lifecycle_set *set, struct pn_state *state);
/* A record as it is reported: a started container joins, a stopped one leaves; saved. */
void pn_lifecycle_set_note(struct pn_lifecycle_set *set, const struct pn_lifecycle *lc);
void pn_lifecycle_set_clear(struct pn_lifecycle_set *set);
/* Removes the file (--remove-pins). */
int pn_lifecycle_set_remove(const char *dir);

#endif
