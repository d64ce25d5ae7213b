/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The watches clients created over gRPC (argus, panoptes.v1), kept in
 * --state-dir/watches.pb so that a restarted agent serves them again: an
 * argus-controller does not resend what it created. Operator watches (flags,
 * policy files) are not kept: their sources are read again. One agent per
 * directory (a lock, as for the pins).
 */
#ifndef PN_STATE_H
#define PN_STATE_H

#include <stddef.h>

#include "agent_view.h"

struct pn_state;

/* The API's guards in the directory (guard_state.c), removed with the watches' file. */
#define PN_STATE_GUARDS_FILE "guards.pb"

/*
 * Creates dir (0700) if needed and locks it. On failure -errno and one line
 * in err naming --state-dir.
 */
int pn_state_open(struct pn_state **out, const char *dir, char *err, size_t errlen);
/* NULL-safe. */
void pn_state_close(struct pn_state *s);

/*
 * Installs every kept watch through the agent, as it was created (its API,
 * key, owner); one whose targets are gone is said in the log and dropped.
 * Returns how many were restored. The file is then written again.
 */
size_t pn_state_restore(struct pn_state *s, const struct pn_agent_view *agent);

/*
 * Writes every API watch the agent holds now, replacing the file at once
 * (rename): a crash leaves the old file or the new, never a mix. Called after
 * every change; concurrent calls are serialized, and each writes what it
 * sees then. NULL-safe (no state dir).
 */
int pn_state_save(struct pn_state *s, const struct pn_agent_view *agent);

/*
 * Other files of the directory (lifecycle_state.c): `name` replaced at once
 * by buf (rename), the directory's path, and a file that does not decode
 * set aside as NAME.bad.
 */
int pn_state_replace(struct pn_state *s, const char *name, const void *buf, size_t len);
const char *pn_state_dir(const struct pn_state *s);
int pn_state_set_aside(struct pn_state *s, const char *name);

/* Removes the API's files, watches.pb and guards.pb (--remove-pins). */
int pn_state_remove(const char *dir);

#endif
