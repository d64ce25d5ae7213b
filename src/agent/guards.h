/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guards of this node, enforced by one of two mechanisms chosen at
 * start (--guard-backend):
 *
 *   lsm: BPF LSM programs decide in the kernel (agent/guard_lsm.c,
 *   bpf/guard/): this module writes each guarded cgroup's rules, keyed by
 *   the identity of the objects its guards name, and logs the decisions
 *   the kernel reports.
 *
 *   fanotify: permission events, as janusd enforced them: one group per
 *   agent (FAN_CLASS_CONTENT), marks on the guarded objects as each
 *   container sees them (its root, resolved in it), and a thread of its
 *   own that answers every permission event before it does anything slow.
 *   The decision takes the process's cgroup into account, so another
 *   container that reaches the same inode through a shared volume is not
 *   affected. When the agent stops or dies, the kernel answers what is
 *   pending and every later event of the group with "allow": no container
 *   hangs on it (docs/guard.md).
 *
 * Either way a decision on a guard's path is written as a log line (the
 * guard's format) by a second thread, so a stdout that blocks delays
 * lines, never an answer, and guards do not outlive the agent.
 */
#ifndef PN_AGENT_GUARDS_H
#define PN_AGENT_GUARDS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"
#include "guard.h"
#include "resolve.h"

struct pn_guards;

struct pn_guards_opts {
	const char *cgroup2_root;
	const char *proc_root; /* "/proc" but in tests */
	const char *node;      /* {node} */
	FILE *out;	       /* decisions' lines */
	bool json;	       /* --output json */
	const char *mechanism; /* auto (NULL), lsm or fanotify: --guard-backend */
	/*
	 * BPF LSM's pins (NULL or "": none): a guard an agent left there
	 * (pn_guards_keep_on_close) is adopted at open, still enforcing.
	 */
	const char *pin_dir;
};

/* What the guards did, for /metrics and GetStatus. */
struct pn_guards_stats {
	const char *mechanism; /* "lsm" or "fanotify" */
	uint64_t allowed;      /* opens and reads of a guarded path allowed */
	uint64_t denied;       /* refused with EPERM */
	uint64_t passed;       /* permission events of no guard (other cgroups, unguarded paths) */
	uint64_t unresolved;   /* objects whose directory could not be told: denied (fail closed) */
	uint64_t lines_dropped; /* decision lines lost: their queue was full */
	size_t guards, marks;	/* marks: fanotify marks, or the kernel's rules (lsm) */
};

/*
 * Loads the BPF LSM programs or opens the fanotify group (o->mechanism) and
 * starts the threads. -errno with why in err (BPF LSM not active, no
 * CAP_SYS_ADMIN, a kernel without fanotify permission events): the agent
 * runs on without guards, and says so at every CreateGuard.
 */
int pn_guards_open(struct pn_guards **out, const struct pn_guards_opts *o, char *err,
		   size_t errlen);
/*
 * Installs the guard, or replaces the guard of the same key in place: the
 * new guard's objects are marked and its rules published before the old
 * one's marks go, so a path denied by both is never open in between. On
 * success the guards own spec's contents (zeroed); on error nothing changed
 * and err names the field: -ENOENT/-ESRCH targets or paths not found,
 * -EINVAL, -ENOMEM, or the errno of a mark the kernel refused.
 */
int pn_guards_set(struct pn_guards *g, struct pn_guard_spec *spec, struct pn_reg_error *err);
/* 0, or -ENOENT when no guard has this key. */
int pn_guards_remove(struct pn_guards *g, const char *key);
/*
 * Replaces, in one step, every guard `owned` calls the caller's (a policy
 * file's, by origin) with specs[0..n): guards of other owners stay, unless
 * a new one takes their key. All or nothing: on error nothing changed,
 * every spec is still the caller's, *failed is the index of the one that
 * failed (SIZE_MAX: none in particular) and err says why. On success the
 * guards own the specs' contents (zeroed).
 */
int pn_guards_replace_set(struct pn_guards *g, bool (*owned)(const struct pn_guard *gu, void *arg),
			  void *arg, struct pn_guard_spec *specs, size_t n, size_t *failed,
			  struct pn_reg_error *err);
/*
 * Removes the guards none of whose containers' cgroups exist any more (the
 * pod ended and nobody destroyed its guard), so their marks do not keep
 * the inodes of a deleted container. Guards with a selector stay: they
 * wait for the pods it admits. Returns how many went. NULL-safe.
 */
int pn_guards_prune(struct pn_guards *g);

/*
 * The containers running now that a selector admits, as the container
 * runtime names them: 0 with *ids (each string and the array the
 * callee's malloc, now the caller's) and *n; -errno when the runtime
 * cannot be asked (the guard keeps the containers it had).
 */
typedef int (*pn_guards_selected_fn)(void *arg, const struct pn_selector *s, char ***ids,
				     size_t *n);
/*
 * How guards with a selector learn their containers (none by default: such
 * a guard holds only its named targets). Set before the first guard.
 */
void pn_guards_set_runtime(struct pn_guards *g, pn_guards_selected_fn fn, void *arg);
/*
 * A container started or stopped (the runtime's client said so, on its own
 * thread): wakes pn_guards_wake_fd() so the main loop calls
 * pn_guards_refresh() at once. Never blocks. NULL-safe.
 */
void pn_guards_containers_changed(struct pn_guards *g);
/* Readable after pn_guards_containers_changed(); -1 for NULL. */
int pn_guards_wake_fd(const struct pn_guards *g);
/*
 * Gives each guard with a selector the containers its selector admits now,
 * replacing it in place (as pn_guards_set) where they changed: a container
 * that started is guarded from here on, one that stopped is let go.
 * Returns how many guards changed. NULL-safe.
 */
int pn_guards_refresh(struct pn_guards *g);
/* How many guards have a selector. NULL-safe. */
size_t pn_guards_by_selector(struct pn_guards *g);

/* A guard as the APIs show it; valid during the callback. */
struct pn_guard_view {
	const struct pn_guard *guard;
	const struct pn_targets *targets;
	const int *pids; /* processes of its cgroups when it was set */
	size_t n_pids;
};
void pn_guards_foreach(struct pn_guards *g, void (*fn)(const struct pn_guard_view *v, void *arg),
		       void *arg);
void pn_guards_stats(struct pn_guards *g, struct pn_guards_stats *out);
/*
 * "lsm" or "fanotify": what enforces ("none" once both failed at the first
 * guard). With auto where bpf is an active LSM, "lsm" before the first
 * guard loads the programs (pn_guards_deferred()), and fanotify if the
 * kernel refuses them then.
 */
const char *pn_guards_mechanism(const struct pn_guards *g);
/* auto's BPF LSM programs wait for the first guard. */
bool pn_guards_deferred(const struct pn_guards *g);
/* Why auto did not take BPF LSM ("" if it did, or was not asked to). */
const char *pn_guards_lsm_why(const struct pn_guards *g);

/*
 * Every decision on a guard's path also goes to fn (the gRPC feeds), on the
 * decider thread after its answer, as an event and a match with the
 * decision in fctx (response, decision_event). NULL stops it; once this
 * returns, the previous fn is no longer running or called.
 */
typedef void (*pn_guard_decision_fn)(void *arg, const struct pn_event *ev, const struct pn_match *m,
				     const struct pn_format_ctx *fctx);
void pn_guards_on_decision(struct pn_guards *g, pn_guard_decision_fn fn, void *arg);
/*
 * After the start's guards are set (policy files, --state-dir): an adopted
 * BPF LSM guard's rules that none of them holds are dropped, and the
 * decisions made while no agent ran are logged, now that their guards are
 * known. NULL-safe.
 */
void pn_guards_started(struct pn_guards *g);
/*
 * --keep-on-exit: BPF LSM's programs stay attached and pinned, enforcing
 * the guards of now while no agent runs. fanotify cannot: its marks go
 * with the group (said at close). NULL-safe.
 */
void pn_guards_keep_on_close(struct pn_guards *g, bool keep);
/*
 * For a start with --guard-backend none: a BPF LSM guard an agent left
 * pinned in pin_dir is detached and removed, said in one line. NULL-safe.
 */
void pn_guards_unpin(const char *pin_dir);
/* Stops the threads and closes the group (the kernel allows what is pending). NULL-safe. */
void pn_guards_close(struct pn_guards *g);

#endif
