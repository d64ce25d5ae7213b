/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A record's name lookups (names.h), on a worker thread the consumer waits
 * for with a time budget. A lookup goes into the watched container's own
 * filesystems, which a process there may control: a FUSE server that never
 * answers, a hard NFS mount gone away. On the consumer thread one such
 * lookup would stop every event of the node; here the consumer waits at
 * most `timeout_ms` for it and then reports the record as not resolved
 * (its name flagged and sent to every subject, as a name no process could
 * resolve: rules.h), leaving the worker stuck in the kernel and handing the
 * next lookups to a new one.
 *
 * Bounds, so a filesystem cannot trade the budget for the node's events:
 * - at most PN_LOOKUPS_STUCK workers left waiting; with that many, lookups
 *   are not tried (skipped, flagged the same) until one of them returns;
 * - the time lookups take beyond PN_LOOKUPS_SLOW_MS each comes out of an
 *   allowance of PN_LOOKUPS_ALLOWANCE_MS per second: a filesystem that
 *   answers just inside the budget, every time, has its names skipped for
 *   the rest of that second instead of slowing the consumer to its pace.
 *   Ordinary lookups take microseconds and never touch it.
 *
 * A stuck worker keeps its own kept roots (names.h); the new one starts
 * with the agent's own only, and learns the others again.
 *
 * One consumer thread calls all of these; the counters are read from any.
 */
#ifndef PN_LOOKUPS_H
#define PN_LOOKUPS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "panoptes_event.h"
#include "registry.h"

#define PN_LOOKUPS_STUCK	4
#define PN_LOOKUPS_SLOW_MS	1
#define PN_LOOKUPS_ALLOWANCE_MS 250
#define PN_LOOKUPS_TIMEOUT_MS	100 /* --lookup-timeout-ms */

/* What one record asks; the strings are copies (the record is gone once the budget is). */
struct pn_lookup_req {
	const char *proc_root; /* normally /proc; outlives the worker */
	struct pn_registry *registry;
	int tgid;
	uint64_t cgroup_id;
	uint64_t watch_cgroup_id;
	uint32_t root_id;	/* the record's: the root the process had */
	int64_t links_since_ns; /* names.h: symlinks changed since read as -ESTALE */
	bool name;		/* resolve text (follow: its last name too) */
	bool follow;
	bool old;   /* resolve old_text, the first name of a rename */
	bool inode; /* the object's type and links: from the name's lookup, else of inode_path */
	char text[PN_PATH_MAX];
	char old_text[PN_PATH_MAX];
	char inode_path[PN_PATH_MAX];
};

/*
 * The answers: e and old_e 0 (real, real_old hold the names as the kernel
 * resolved them), -ESRCH (no process, no kept root to ask), -ESTALE (a
 * symlink on the way changed after the call) or -errno (the directory is
 * gone). inode_flags: PN_REC_ISDIR or PN_REC_MULTILINK as
 * seen, 0 when the object is gone.
 */
struct pn_lookup_res {
	int e;
	int old_e;
	int inode_flags;
	char real[PN_PATH_MAX];
	char real_old[PN_PATH_MAX];
};

struct pn_lookup {
	struct pn_lookup_req req;
	struct pn_lookup_res res;
};

struct pn_lookup_worker;

struct pn_lookups {
	unsigned timeout_ms;
	struct pn_lookup_worker *cur;			  /* idle between lookups; NULL: none yet */
	struct pn_lookup_worker *stuck[PN_LOOKUPS_STUCK]; /* abandoned, still in the kernel */
	int64_t allowance_ns;
	int64_t refilled_ns;	    /* CLOCK_MONOTONIC of the last refill */
	_Atomic uint64_t timed_out; /* lookups waited for past timeout_ms */
	_Atomic uint64_t skipped;   /* lookups not tried: workers stuck, allowance spent */
};

void pn_lookups_init(struct pn_lookups *l, unsigned timeout_ms);

/*
 * The request to fill for one record, or NULL: no lookup is tried now
 * (counted in skipped). Then pn_lookups_wait(), before anything else.
 */
struct pn_lookup *pn_lookups_begin(struct pn_lookups *l);

/*
 * Runs the request pn_lookups_begin() gave and waits. 0: the answers are
 * in its res, valid until the next pn_lookups_begin(). -ETIMEDOUT: not
 * answered in time (counted in timed_out); the job is the stuck worker's
 * now and must not be touched.
 */
int pn_lookups_wait(struct pn_lookups *l);

/* Stops the idle worker; stuck ones are left to end on their own (NULL-safe). */
void pn_lookups_stop(struct pn_lookups *l);

#endif
