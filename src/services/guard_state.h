/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guards clients created over gRPC (janus.Janusd, panoptes.v1), kept in
 * --state-dir/guards.pb beside the API watches: a restarted agent enforces
 * them again before it is ready, so janus-controller, which does not resend
 * what it created, still has its guards. Policy files' guards are not kept:
 * the files are read again.
 */
#ifndef PN_GUARD_STATE_H
#define PN_GUARD_STATE_H

#include <stddef.h>

#include "agent_view.h"
#include "state.h"

/* Writes every API guard the agent holds now (rename: all or nothing). NULL-safe. */
int pn_guard_state_save(struct pn_state *s, const struct pn_agent_view *agent);
/*
 * Installs every kept guard as it was made (key, origin); one that cannot be
 * placed now (its containers gone) is said in the log and dropped. Returns
 * how many came back; the file is then written again.
 */
size_t pn_guard_state_restore(struct pn_state *s, const struct pn_agent_view *agent);

#endif
