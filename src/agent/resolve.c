// SPDX-License-Identifier: GPL-2.0-only
#include "resolve.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroupfs.h"
#include "log.h"
#include "macros.h"
#include "pathutil.h"

void pn_reg_error_set(struct pn_reg_error *err, enum pn_reg_field field, size_t index,
		      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->field = field;
	err->index = index;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/*
 * A cgroup target stays inside the cgroup tree: ".." is refused (lexically,
 * before anything is looked up), the path is normalized below the cgroup2
 * mount, and what it names must be a directory of the cgroup2 file system.
 * Messages name the path as given and the cgroup tree, never a host path
 * outside it: whether /etc/x exists is no business of a client's.
 */
static int resolve_cgroup_path(const char *root, const char *user, struct pn_resolved *out,
			       enum pn_reg_field field, size_t index, struct pn_reg_error *err)
{
	size_t rootlen = strlen(root);
	char joined[PATH_MAX];
	struct stat st;
	int e;

	if (!user[0]) {
		pn_reg_error_set(err, field, index, "cgroup \"\": empty path");
		return -EINVAL;
	}
	if (pn_path_has_dotdot(user)) {
		pn_reg_error_set(err, field, index,
				 "cgroup %s: \"..\" is not allowed: give a path inside the cgroup "
				 "tree (%s)",
				 user, root);
		return -EINVAL;
	}
	if (strncmp(user, root, rootlen) == 0 && (user[rootlen] == '/' || user[rootlen] == '\0'))
		snprintf(joined, sizeof(joined), "%s", user);
	else
		snprintf(joined, sizeof(joined), "%s/%s", root, user);
	if (pn_path_normalize(joined, out->path, sizeof(out->path)) < 0) {
		pn_reg_error_set(err, field, index, "cgroup %s: path too long", user);
		return -EINVAL;
	}
	if (stat(out->path, &st) || !S_ISDIR(st.st_mode)) {
		pn_reg_error_set(err, field, index, "cgroup %s: not found (looked for %s)", user,
				 out->path);
		return -ENOENT;
	}
	e = pn_cgroup_id(out->path, &out->id);
	if (e == -EMEDIUMTYPE) {
		/* a mount inside the tree that is not cgroup2: not a cgroup, whatever it is */
		pn_reg_error_set(err, field, index, "cgroup %s: not a cgroup of %s", user, root);
		return -EINVAL;
	}
	if (e) {
		pn_reg_error_set(err, field, index, "cgroup %s: cannot read its id: %s", user,
				 strerror(-e));
		return e;
	}
	return 0;
}

static int resolve_pid(const char *root, const char *proc_root, int pid, size_t i,
		       struct pn_resolved *out, struct pn_reg_error *err)
{
	char path[PATH_MAX];
	int e = pn_cgroup_of_pid(proc_root, root, pid, path, sizeof(path));

	if (e == -EXDEV) {
		pn_reg_error_set(err, PN_REG_FIELD_PID, i,
				 "pid %d: its cgroup cannot be placed in the cgroup2 tree mounted "
				 "at %s: /proc/PID/cgroup names it from the agent's own cgroup "
				 "namespace, outside that mount (mount the host's cgroup2 tree "
				 "there, as deploy/ does)",
				 pid, root);
		return e;
	}
	if (e) {
		pn_reg_error_set(err, PN_REG_FIELD_PID, i, "pid %d: %s", pid,
				 e == -ESRCH ? "no such process" :
					       "no cgroup v2 membership found in /proc/PID/cgroup");
		return e;
	}
	return resolve_cgroup_path(root, path, out, PN_REG_FIELD_PID, i, err);
}

static int resolve_container(const char *root, const char *ref, size_t i, struct pn_resolved *out,
			     struct pn_reg_error *err)
{
	char path[PATH_MAX], runtime[32], id[256];
	int e;

	e = pn_container_ref_parse(ref, runtime, sizeof(runtime), id, sizeof(id),
				   err ? err->msg : NULL, err ? sizeof(err->msg) : 0);
	if (e) {
		if (err) {
			err->field = PN_REG_FIELD_CONTAINER;
			err->index = i;
		}
		return e;
	}
	e = pn_cgroup_of_container(root, ref, path, sizeof(path));
	if (e) {
		pn_reg_error_set(err, PN_REG_FIELD_CONTAINER, i, "container %s: %s under %s", ref,
				 e == -EEXIST ? "the id matches more than one cgroup" :
						"no cgroup found",
				 root);
		/* ambiguous is the caller's to fix, not "exists" */
		return e == -EEXIST ? -EINVAL : e;
	}
	e = resolve_cgroup_path(root, path, out, PN_REG_FIELD_CONTAINER, i, err);
	if (e)
		return e;
	snprintf(out->container, sizeof(out->container), "%s", ref);
	return 0;
}

int pn_resolve_targets(const char *cgroup2_root, const char *proc_root, const struct pn_targets *t,
		       struct pn_resolved **out, size_t *n_out, struct pn_reg_error *err)
{
	static const char *const pods[] = { PN_PODS_CGROUPS };
	size_t n = t->n_pids + t->n_cgroups + t->n_containers, k = 0, n_pods = 0;
	const char *pod_roots[ARRAY_SIZE(pods)];
	char path[PATH_MAX];
	struct pn_resolved *res;
	struct stat st;
	int e = 0;

	for (size_t i = 0; t->pods && i < ARRAY_SIZE(pods); i++) {
		snprintf(path, sizeof(path), "%s%s", cgroup2_root, pods[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			pod_roots[n_pods++] = pods[i];
	}
	if (t->pods && !n_pods) {
		pn_reg_error_set(err, PN_REG_FIELD_TARGETS, 0,
				 "targets: a selector alone watches the node's pods, and this node "
				 "has no pods' cgroup (%s, %s below %s)",
				 PN_PODS_CGROUPS, cgroup2_root);
		return -ENOENT;
	}
	n += n_pods;
	if (n == 0) {
		pn_reg_error_set(err, PN_REG_FIELD_TARGETS, 0,
				 "targets: no pid, cgroup or container given");
		return -EINVAL;
	}
	res = calloc(n, sizeof(*res));
	if (!res) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n_pids && !e; i++)
		e = resolve_pid(cgroup2_root, proc_root, t->pids[i], i, &res[k++], err);
	for (size_t i = 0; i < t->n_cgroups && !e; i++)
		e = resolve_cgroup_path(cgroup2_root, t->cgroups[i], &res[k++], PN_REG_FIELD_CGROUP,
					i, err);
	for (size_t i = 0; i < t->n_containers && !e; i++)
		e = resolve_container(cgroup2_root, t->containers[i], i, &res[k++], err);
	for (size_t i = 0; i < n_pods && !e; i++)
		e = resolve_cgroup_path(cgroup2_root, pod_roots[i], &res[k++], PN_REG_FIELD_TARGETS,
					0, err);
	if (e) {
		free(res);
		return e;
	}
	*out = res;
	*n_out = n;
	return 0;
}

/*
 * The path is looked up in the target's own filesystem view through
 * /proc/PID/root of one of its processes; a path that does not exist (yet)
 * is kept, as is every path of a cgroup with no process to look through.
 */
void pn_resolve_only_dir(const char *proc_root, struct pn_watch *w, const char *cgroup_path)
{
	char procs[PATH_MAX], full[PATH_MAX * 2];
	FILE *f;
	int pid = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup_path);
	f = fopen(procs, "r");
	if (!f)
		return;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return;

	for (size_t i = 0; i < w->n_subjects; i++) {
		struct pn_subject *s = &w->subjects[i];

		if (!s->only_dir)
			continue;
		for (size_t j = 0; j < s->n_paths;) {
			struct stat st;

			snprintf(full, sizeof(full), "%s/%d/root%s", proc_root, pid, s->paths[j]);
			if (stat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
				pn_info("watch %s: subject %zu: onlyDir: %s is not a directory; "
					"skipped",
					w->name, i, s->paths[j]);
				free(s->paths[j]);
				memmove(&s->paths[j], &s->paths[j + 1],
					(s->n_paths - j - 1) * sizeof(char *));
				s->n_paths--;
				continue;
			}
			j++;
		}
	}
}

/* Depth-first: the cgroup's own processes, then its children's. */
int pn_resolve_first_pid(const char *dir, int depth, int exclude)
{
	char path[PATH_MAX];
	struct dirent *de;
	int pid = 0;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	if (f) {
		while (fscanf(f, "%d", &pid) == 1 && pid == exclude)
			;
		if (pid == exclude)
			pid = 0;
		fclose(f);
	}
	if (pid > 0 || depth == 0)
		return pid > 0 ? pid : 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while (!pid && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		pid = pn_resolve_first_pid(path, depth - 1, exclude);
	}
	closedir(d);
	return pid;
}
