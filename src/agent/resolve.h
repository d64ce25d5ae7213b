/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Target resolution: what a watch's pids, cgroups and container refs stand
 * for in cgroupfs and /proc. Reads the file system, holds no state: the
 * registry calls it before taking its lock.
 */
#ifndef PN_RESOLVE_H
#define PN_RESOLVE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "rules.h"

/*
 * Which part of a watch spec was refused, as data: each API names the
 * field in its own words (panoptes.v1 "watch.targets", argus "cid") from
 * this, never from the wording of msg.
 */
enum pn_reg_field {
	PN_REG_FIELD_NONE,	/* no field of the request: memory, the agent's limit */
	PN_REG_FIELD_NAME,	/* the watch's name (or key): taken, or nothing to replace */
	PN_REG_FIELD_TARGETS,	/* the targets as a whole: none given */
	PN_REG_FIELD_PID,	/* targets.pids[index] */
	PN_REG_FIELD_CGROUP,	/* targets.cgroups[index] */
	PN_REG_FIELD_CONTAINER, /* targets.containers[index] */
};

struct pn_reg_error {
	enum pn_reg_field field;
	size_t index; /* into the list the field names; 0 for the others */
	/* one line that starts with what it is about: "pid 7: no such process" */
	char msg[2048];
};

/* Fills err (NULL-safe). */
void pn_reg_error_set(struct pn_reg_error *err, enum pn_reg_field field, size_t index,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* One cgroup a target stands for. */
struct pn_resolved {
	char path[PATH_MAX];
	uint64_t id;
	char container[256]; /* the container ref it was asked for by, or "" */
};

/*
 * One entry per target, pids first, then cgroups, then containers (two
 * targets may resolve to the same cgroup). *out is the caller's to free. On
 * error nothing is allocated and err names the target: -EINVAL bad target,
 * -ENOENT/-ESRCH not found, -ENOMEM.
 */
int pn_resolve_targets(const char *cgroup2_root, const char *proc_root, const struct pn_targets *t,
		       struct pn_resolved **out, size_t *n_out, struct pn_reg_error *err);

/*
 * onlyDir, as inotify's IN_ONLYDIR: drops the subject paths of w that exist
 * and are not directories, as a process of the cgroup at cgroup_path sees
 * them, and says so in the log.
 */
void pn_resolve_only_dir(const char *proc_root, struct pn_watch *w, const char *cgroup_path);

/*
 * The first pid in cgroup_path's cgroup.procs or, when it has none, in its
 * first non-empty descendant down to depth levels below; never exclude. 0 if
 * none.
 */
int pn_resolve_first_pid(const char *cgroup_path, int depth, int exclude);

#endif
