// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* O_PATH, F_DUPFD_CLOEXEC */
#include "guards.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "guard_lsm.h"
#include "log.h"
#include "pathutil.h"
#include "probe.h"

/* Decision lines waiting for the writer; past this many they are counted and dropped. */
#define LINES_MAX 4096

/* One guarded object as one container sees it, reached through one subject path. */
struct entry {
	dev_t dev;
	ino_t ino;
	bool is_dir;
	bool deny;
	bool recursive; /* a directory's whole subtree, through a mark on its mount */
	int mnt_id;	/* of the mount the object is on, as its container reached it */
	uint64_t kdev;	/* its superblock's s_dev as the kernel encodes it (the LSM rules' key) */
	size_t subject;
	const char *path; /* the subject's path, as the container names it (borrowed) */
};

/* An installed guard. */
struct gd {
	struct pn_guard *guard;
	struct pn_targets targets; /* as they were given, for the views */
	char **cgroups;		   /* absolute cgroupfs paths of its targets */
	uint64_t *cg_ids;	   /* their ids, and levels below the cgroup2 root */
	int *cg_levels;
	size_t n_cgroups;
	int *pids;
	size_t n_pids;
	struct entry *entries;
	size_t n_entries;
	int *fds; /* O_PATH, one per entry: what the marks are set and removed through */
	/* what its selector admitted when it was made (ids, sorted); with a selector only */
	char **selected;
	size_t n_selected;
	bool refresh_said; /* a refresh failed and said so: the next failures only debug */
};

/* The fanotify mark of one inode: the union of what every guard needs of it. */
struct mark {
	bool mount; /* a mount mark (recursive subjects), keyed by mnt_id; else an inode's */
	int mnt_id;
	dev_t dev;
	ino_t ino;
	uint64_t mask;
	int fd; /* O_PATH to the object, held while marked */
};

struct line {
	struct line *next;
	size_t len;
	char text[];
};

struct pn_guards {
	struct pn_guards_opts o;
	int fan_fd;
	struct pn_guard_lsm *lsm; /* instead of fan_fd: the kernel decides */
	char lsm_why[256];	  /* why auto took fanotify, or "" */
	bool lsm_pending;	  /* auto: BPF LSM, loaded with the first guard */
	bool adopting;		  /* an adopted BPF LSM guard, until pn_guards_started() */
	bool keep;		  /* --keep-on-exit */
	char pin_dir[PATH_MAX];	  /* o.pin_dir's, for a load deferred to the first guard */
	char unusable[512];	  /* that load and fanotify both failed: why */
	int stop_fd;
	int wake_fd; /* pn_guards_containers_changed() -> the main loop's pn_guards_refresh() */
	pn_guards_selected_fn selected;
	void *selected_arg;
	bool audit_ok;
	pthread_t decider, writer;
	bool decider_started, writer_started;
	/* set, remove and prune, one at a time (gRPC's manage worker, the main thread's tick) */
	pthread_mutex_t change;
	/* the guards, read by the decider per event; changed under `change` too */
	pthread_mutex_t lock;
	struct gd **guards;
	size_t n_guards;
	/* only the caller of set/remove touches the marks */
	struct mark *marks;
	size_t n_marks;
	size_t n_marks_shown; /* n_marks for the stats, under lock */
	/* decision lines, decider -> writer */
	pthread_mutex_t lines_mu;
	pthread_cond_t lines_cv;
	struct line *head, *tail;
	size_t n_lines;
	bool stopping;
	_Atomic uint64_t allowed, denied, passed, unresolved, lines_dropped;
	pn_guard_decision_fn on_decision; /* under lock */
	void *on_decision_arg;
};

/* ------------------------------------------------------------ guards */

static void gd_free(struct gd *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_cgroups; i++)
		free(d->cgroups[i]);
	free(d->cgroups);
	free(d->cg_ids);
	free(d->cg_levels);
	for (size_t i = 0; d->fds && i < d->n_entries; i++)
		if (d->fds[i] >= 0)
			close(d->fds[i]);
	free(d->fds);
	free(d->entries);
	free(d->pids);
	for (size_t i = 0; i < d->n_selected; i++)
		free(d->selected[i]);
	free(d->selected);
	pn_targets_clear(&d->targets);
	pn_guard_free(d->guard);
	free(d);
}

static void pids_of(const char *cgroup, struct gd *d)
{
	char path[PATH_MAX];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1) {
		int *v = realloc(d->pids, (d->n_pids + 1) * sizeof(*v));

		if (!v)
			break;
		d->pids = v;
		d->pids[d->n_pids++] = pid;
	}
	fclose(f);
}

/*
 * A path as the container whose root is rootfd sees it: symlinks, ".." and
 * absolute names stay inside that root (RESOLVE_IN_ROOT), so a container
 * cannot point a guard at the node's own files. Debian 12's glibc has no
 * openat2() wrapper.
 */
static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* The mount id of a descriptor's mount (/proc/self/fdinfo), or -1. */
static int mnt_id_of(int fd)
{
	char path[64], line[128];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %d", &id) == 1)
			break;
	fclose(f);
	return id;
}

/*
 * The s_dev of the superblock under mount mnt_id of pid's namespace, as the
 * kernel encodes it (MKDEV: major << 20 | minor), from that process's
 * mountinfo: what inode->i_sb->s_dev reads in the LSM programs. stat's
 * st_dev is not always it (overlayfs gives a layer's own device for files
 * when its layers are on several file systems; btrfs a subvolume's).
 * Without the line, st_dev re-encoded.
 */
static uint64_t kdev_of(const char *proc_root, int pid, int mnt_id, dev_t st_dev)
{
	unsigned int maj = major(st_dev), min = minor(st_dev);
	char path[64], line[4096];
	bool at_start = true; /* overlayfs' options can make a line longer than the buffer */
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/mountinfo", proc_root, pid);
	f = mnt_id >= 0 ? fopen(path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int a, b;
		int id;

		if (at_start && sscanf(line, "%d %*d %u:%u", &id, &a, &b) == 3 && id == mnt_id) {
			maj = a;
			min = b;
			break;
		}
		at_start = strchr(line, '\n') != NULL;
	}
	if (f)
		fclose(f);
	return (uint64_t)maj << 20 | min;
}

static int entry_add(struct pn_guards *g, struct gd *d, int fd, int pid, size_t subject,
		     const char *path, bool deny)
{
	struct entry *v = realloc(d->entries, (d->n_entries + 1) * sizeof(*v));
	int *fds, mnt_id;
	struct stat st;

	if (!v)
		return -ENOMEM;
	d->entries = v;
	fds = realloc(d->fds, (d->n_entries + 1) * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	d->fds = fds;
	if (fstat(fd, &st))
		return -errno;
	mnt_id = mnt_id_of(fd);
	v[d->n_entries] = (struct entry){ .dev = st.st_dev,
					  .ino = st.st_ino,
					  .is_dir = S_ISDIR(st.st_mode),
					  .deny = deny,
					  .recursive = d->guard->subjects[subject].recursive &&
						       S_ISDIR(st.st_mode),
					  .mnt_id = mnt_id,
					  .kdev = kdev_of(g->o.proc_root, pid, mnt_id, st.st_dev),
					  .subject = subject,
					  .path = path };
	fds[d->n_entries++] = fd;
	return 0;
}

/* A path both allowed and denied by one subject is denied: said once, as the guard is made. */
static void say_both(const struct pn_guard *gu)
{
	for (size_t s = 0; s < gu->n_subjects; s++) {
		const struct pn_guard_subject *gs = &gu->subjects[s];

		for (size_t a = 0; a < gs->n_allow; a++)
			for (size_t d = 0; d < gs->n_deny; d++)
				if (!strcmp(gs->allow[a], gs->deny[d]))
					pn_info("guard %s: subject[%zu]: %s is both allowed and "
						"denied: denied",
						gu->watch->key, s, gs->allow[a]);
	}
}

/* Every path of every subject, in every container of the guard that has it. */
static int resolve_paths(struct pn_guards *g, struct gd *d, struct pn_reg_error *err)
{
	const struct pn_guard *gu = d->guard;
	int *roots = calloc(d->n_cgroups ? d->n_cgroups : 1, sizeof(*roots));
	int *pids = calloc(d->n_cgroups ? d->n_cgroups : 1, sizeof(*pids));
	int e = 0;

	if (!roots || !pids) {
		free(roots);
		free(pids);
		return -ENOMEM;
	}
	say_both(gu);
	for (size_t c = 0; c < d->n_cgroups; c++) {
		char root[PATH_MAX];
		/* a pod-level cgroup's processes sit in its containers' */
		int pid = pn_resolve_first_pid(d->cgroups[c], 4, 0);

		roots[c] = -1;
		pids[c] = pid;
		if (!pid)
			continue;
		snprintf(root, sizeof(root), "%s/%d/root", g->o.proc_root, pid);
		roots[c] = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	for (size_t s = 0; s < gu->n_subjects && !e; s++) {
		const struct pn_guard_subject *gs = &gu->subjects[s];

		for (size_t k = 0; k < gs->n_allow + gs->n_deny && !e; k++) {
			bool deny = k >= gs->n_allow;
			const char *p = deny ? gs->deny[k - gs->n_allow] : gs->allow[k];
			size_t found = 0;

			for (size_t c = 0; c < d->n_cgroups && !e; c++) {
				int fd = roots[c] >= 0 ? open_in_root(roots[c], p) : -ESRCH;

				if (fd < 0)
					continue;
				e = entry_add(g, d, fd, pids[c], s, p, deny);
				if (e)
					close(fd);
				found++;
			}
			/* a selector's pods need not have it, nor be there yet */
			if (!e && !found && gu->watch->selector)
				pn_debug("guard %s: %s is in none of its %zu container(s) now",
					 gu->watch->key, p, d->n_cgroups);
			else if (!e && !found)
				pn_reg_error_set(
					err, PN_REG_FIELD_NONE, 0,
					"subject[%zu].%s[%zu]: %s: not found in any container "
					"of the guard",
					s, deny ? "deny" : "allow", deny ? k - gs->n_allow : k, p),
					e = -ENOENT;
		}
	}
	for (size_t c = 0; c < d->n_cgroups; c++)
		if (roots[c] >= 0)
			close(roots[c]);
	free(roots);
	free(pids);
	return e;
}

/* ------------------------------------------------------------ marks */

static uint64_t entry_mask(const struct pn_guard *gu, const struct entry *en)
{
	uint32_t ops = gu->subjects[en->subject].ops;
	uint64_t m = 0;

	if (ops & PN_GUARD_OPEN)
		m |= FAN_OPEN_PERM;
	if (ops & PN_GUARD_ACCESS)
		m |= FAN_ACCESS_PERM;
	/* a directory covers itself and its direct children (janus), its subdirectories too */
	if (en->is_dir)
		m |= FAN_EVENT_ON_CHILD | FAN_ONDIR;
	return m;
}

static bool mark_same(const struct mark *a, const struct mark *b)
{
	if (a->mount != b->mount)
		return false;
	return a->mount ? a->mnt_id == b->mnt_id : a->dev == b->dev && a->ino == b->ino;
}

static struct mark *mark_find(struct mark *v, size_t n, const struct mark *key)
{
	for (size_t i = 0; i < n; i++)
		if (mark_same(&v[i], key))
			return &v[i];
	return NULL;
}

static int mark_set(struct pn_guards *g, const struct mark *m, unsigned int flags, uint64_t mask)
{
	char path[64];

	/* through the magic link: fanotify_mark() takes no O_PATH descriptor itself */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m->fd);
	if (fanotify_mark(g->fan_fd, flags | (m->mount ? FAN_MARK_MOUNT : 0), mask, AT_FDCWD, path))
		return -errno;
	return 0;
}

/* What a recursive entry needs of its mount: every open (read) below it, directories too. */
static uint64_t mount_mask(const struct pn_guard *gu, const struct entry *en)
{
	return entry_mask(gu, en) & ~(uint64_t)FAN_EVENT_ON_CHILD;
}

/*
 * The marks every guard in `set` needs, in *out (each holding a dup of an
 * entry's descriptor). Marks already there keep their descriptor.
 */
static int marks_of(struct pn_guards *g, struct gd **set, size_t n, struct mark **out,
		    size_t *n_out)
{
	struct mark *v = NULL;
	size_t nv = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < set[i]->n_entries; j++) {
			const struct entry *en = &set[i]->entries[j];

			/* the object itself, and for a recursive directory its mount too */
			for (int kind = 0; kind < 2; kind++) {
				struct mark key = { .mount = kind == 1,
						    .mnt_id = en->mnt_id,
						    .dev = en->dev,
						    .ino = en->ino };
				uint64_t mask = kind ? mount_mask(set[i]->guard, en) :
						       entry_mask(set[i]->guard, en);
				struct mark *m, *old, *grown;

				if (kind == 1 && (!en->recursive || en->mnt_id < 0))
					continue;
				m = mark_find(v, nv, &key);
				if (m) {
					m->mask |= mask;
					continue;
				}
				grown = realloc(v, (nv + 1) * sizeof(*v));
				if (!grown)
					goto oom;
				v = grown;
				old = mark_find(g->marks, g->n_marks, &key);
				key.mask = mask;
				key.fd = fcntl(old ? old->fd : set[i]->fds[j], F_DUPFD_CLOEXEC, 0);
				if (key.fd < 0)
					goto oom;
				v[nv++] = key;
			}
		}
	}
	*out = v;
	*n_out = nv;
	return 0;
oom:
	for (size_t i = 0; i < nv; i++)
		close(v[i].fd);
	free(v);
	return -ENOMEM;
}

static void marks_free(struct mark *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(v[i].fd);
	free(v);
}

/*
 * Adds what `next` needs beyond the marks in place (nothing is removed
 * here, so what both sets deny stays guarded throughout). On a refusal,
 * undoes the additions.
 */
static int marks_add(struct pn_guards *g, struct mark *next, size_t n, struct pn_reg_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct mark *old = mark_find(g->marks, g->n_marks, &next[i]);
		uint64_t add = next[i].mask & ~(old ? old->mask : 0);
		int e;

		if (!add)
			continue;
		e = mark_set(g, &next[i], FAN_MARK_ADD, add);
		if (e) {
			pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
					 "the kernel refused a fanotify mark: %s", strerror(-e));
			while (i--) {
				old = mark_find(g->marks, g->n_marks, &next[i]);
				add = next[i].mask & ~(old ? old->mask : 0);
				if (add)
					mark_set(g, &next[i], FAN_MARK_REMOVE, add);
			}
			return e;
		}
	}
	return 0;
}

/* After the rules changed: what the old marks had and the new set does not need goes. */
static void marks_settle(struct pn_guards *g, struct mark *next, size_t n)
{
	for (size_t i = 0; i < g->n_marks; i++) {
		struct mark *now = mark_find(next, n, &g->marks[i]);
		uint64_t drop = g->marks[i].mask & ~(now ? now->mask : 0);

		/* a mark whose object the kernel let go of is gone already: ENOENT is fine */
		if (drop)
			mark_set(g, &g->marks[i], FAN_MARK_REMOVE, drop);
	}
	marks_free(g->marks, g->n_marks);
	g->marks = next;
	g->n_marks = n;
}

/* ------------------------------------------------------------ LSM rules */

static struct pn_guard_lsm_rule *rule_find(struct pn_guard_lsm_rule *v, size_t n,
					   const struct pn_guard_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(&v[i].key, k, sizeof(*k)))
			return &v[i];
	return NULL;
}

/* cgroup is dir itself or below it (absolute cgroupfs paths). */
static bool cgroup_within(const char *cgroup, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(cgroup, dir, n) && (cgroup[n] == '/' || !cgroup[n]);
}

/* Adds every entry of guard e to the rules of the guarded cgroup (id), and its flags to cg. */
static int rules_add(const struct gd *e, uint64_t id, struct pn_guard_lsm_cgroup *cg,
		     struct pn_guard_lsm_rule **v, size_t *nv)
{
	for (size_t j = 0; j < e->n_entries; j++) {
		const struct entry *en = &e->entries[j];
		struct pn_guard_key key = { .cgroup = id, .dev = en->kdev, .ino = en->ino };
		struct pn_guard_lsm_rule *r = rule_find(*v, *nv, &key);

		if (en->recursive)
			cg->flags |= PN_GUARD_CG_DEEP | (en->deny ? PN_GUARD_CG_DEEP_DENY : 0);
		if (!r) {
			struct pn_guard_lsm_rule *grown = realloc(*v, (*nv + 1) * sizeof(**v));

			if (!grown)
				return -ENOMEM;
			*v = grown;
			r = &grown[(*nv)++];
			memset(r, 0, sizeof(*r));
			r->key = key;
		}
		pn_guard_rule_merge(&r->rule, &e->guard->subjects[en->subject], en->deny,
				    en->is_dir, en->recursive);
	}
	return 0;
}

/*
 * The kernel's cgroups and rules for `set`, every guard's entries merged per
 * object. The programs look up a task's nearest guarded cgroup only, so a
 * guarded cgroup also gets the rules of every guard on a cgroup above it
 * (a pod's cgroup guarded beside one of its containers): both apply there,
 * as they do with fanotify.
 */
static int rules_of(struct gd **set, size_t n, struct pn_guard_lsm_cgroup **cg_out, size_t *n_cg,
		    struct pn_guard_lsm_rule **out, size_t *n_out)
{
	struct pn_guard_lsm_cgroup *cgs = NULL;
	struct pn_guard_lsm_rule *v = NULL;
	size_t ncg = 0, nv = 0;

	for (size_t i = 0; i < n; i++) {
		const struct gd *d = set[i];

		for (size_t c = 0; c < d->n_cgroups; c++) {
			struct pn_guard_lsm_cgroup *cg, *grown;
			bool seen = false;

			for (size_t k = 0; k < ncg; k++)
				seen |= cgs[k].id == d->cg_ids[c];
			/* id 0: gone since it was resolved; no task has it */
			if (!d->cg_ids[c] || seen)
				continue;
			grown = realloc(cgs, (ncg + 1) * sizeof(*cgs));
			if (!grown)
				goto oom;
			cgs = grown;
			cg = &cgs[ncg++];
			*cg = (struct pn_guard_lsm_cgroup){ .id = d->cg_ids[c],
							    .level = d->cg_levels[c] };
			for (size_t k = 0; k < n; k++) {
				bool covers = false;

				for (size_t m = 0; m < set[k]->n_cgroups && !covers; m++)
					covers = cgroup_within(d->cgroups[c], set[k]->cgroups[m]);
				if (covers && rules_add(set[k], cg->id, cg, &v, &nv))
					goto oom;
			}
		}
	}
	*cg_out = cgs;
	*n_cg = ncg;
	*out = v;
	*n_out = nv;
	return 0;
oom:
	free(cgs);
	free(v);
	return -ENOMEM;
}

/* The guards the decisions are read against become `set` (its marks or rules: `shown`). */
static void table_swap(struct pn_guards *g, struct gd **set, size_t n, size_t shown)
{
	struct gd **old;

	pthread_mutex_lock(&g->lock);
	old = g->guards;
	g->guards = set;
	g->n_guards = n;
	g->n_marks_shown = shown;
	pthread_mutex_unlock(&g->lock);
	free(old);
}

/* Publishes `set` to the kernel's maps, then the table the decisions are logged from. */
static int publish_lsm(struct pn_guards *g, struct gd **set, size_t n, struct pn_reg_error *err)
{
	struct pn_guard_lsm_cgroup *cgs;
	struct pn_guard_lsm_rule *rules;
	size_t n_cg, n_rules;
	int e = rules_of(set, n, &cgs, &n_cg, &rules, &n_rules);

	if (e) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory");
		return e;
	}
	e = pn_guard_lsm_sync(g->lsm, cgs, n_cg, rules, n_rules);
	free(cgs);
	free(rules);
	if (e) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
				 "the kernel refused a guard's rule: %s%s", strerror(-e),
				 e == -E2BIG ? " (its maps are full)" : "");
		return e;
	}
	table_swap(g, set, n, n_rules);
	return 0;
}

/* ------------------------------------------------------------ publishing */

/*
 * Publishes `set` (n guards). fanotify: marks first, then the rules, then
 * the marks' leftovers. LSM: the kernel's maps (publish_lsm).
 */
static int publish(struct pn_guards *g, struct gd **set, size_t n, struct pn_reg_error *err)
{
	struct mark *next;
	size_t n_next;
	int e;

	if (g->lsm)
		return publish_lsm(g, set, n, err);
	e = marks_of(g, set, n, &next, &n_next);
	if (e) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory");
		return e;
	}
	e = marks_add(g, next, n_next, err);
	if (e) {
		marks_free(next, n_next);
		return e;
	}
	table_swap(g, set, n, n_next);
	marks_settle(g, next, n_next);
	return 0;
}

static int id_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The containers d's selector admits now, sorted, and their cgroups appended
 * to *res: one whose cgroup went meanwhile is skipped (it stopped; the next
 * refresh agrees). Without a runtime to ask, none.
 */
static int select_containers(struct pn_guards *g, struct gd *d, const struct pn_selector *sel,
			     struct pn_resolved **res, size_t *n_res)
{
	char **ids = NULL;
	size_t n = 0;
	int e;

	if (!g->selected)
		return 0;
	e = g->selected(g->selected_arg, sel, &ids, &n);
	if (e) {
		pn_debug(
			"guard %s: the runtime cannot say which containers its selector admits: %s",
			d->guard->watch->key, strerror(-e));
		return 0;
	}
	qsort(ids, n, sizeof(*ids), id_order);
	d->selected = ids;
	d->n_selected = n;
	for (size_t i = 0; i < n; i++) {
		struct pn_targets one = { .containers = &ids[i], .n_containers = 1 };
		struct pn_resolved *r, *v;
		size_t nr;

		if (pn_resolve_targets(g->o.cgroup2_root, g->o.proc_root, &one, &r, &nr, NULL))
			continue;
		v = realloc(*res, (*n_res + nr) * sizeof(*v));
		if (!v) {
			free(r);
			return -ENOMEM;
		}
		memcpy(v + *n_res, r, nr * sizeof(*r));
		*res = v;
		*n_res += nr;
		free(r);
	}
	return 0;
}

/*
 * A guard made of spec: its targets' cgroups (those named, and those of the
 * containers its selector admits now) and its paths resolved in them. On
 * success *out owns spec's contents (zeroed); on error they stay the
 * caller's and err names what failed.
 */
static int gd_make(struct pn_guards *g, struct pn_guard_spec *spec, struct gd **out,
		   struct pn_reg_error *err)
{
	const struct pn_selector *sel = spec->guard->watch->selector;
	const struct pn_targets *t = &spec->targets;
	struct pn_resolved *res = NULL;
	struct gd *d = calloc(1, sizeof(*d));
	size_t n_res = 0;
	int e = 0;

	if (!d)
		return -ENOMEM;
	d->guard = spec->guard;
	if (!sel || t->n_pids + t->n_cgroups + t->n_containers)
		e = pn_resolve_targets(g->o.cgroup2_root, g->o.proc_root, t, &res, &n_res, err);
	if (!e && sel && select_containers(g, d, sel, &res, &n_res))
		goto oom;
	if (e)
		goto fail;
	d->cgroups = calloc(n_res ? n_res : 1, sizeof(*d->cgroups));
	d->cg_ids = calloc(n_res ? n_res : 1, sizeof(*d->cg_ids));
	d->cg_levels = calloc(n_res ? n_res : 1, sizeof(*d->cg_levels));
	if (!d->cgroups || !d->cg_ids || !d->cg_levels)
		goto oom;
	for (size_t i = 0; i < n_res; i++) {
		bool dup = false;

		for (size_t j = 0; j < d->n_cgroups; j++)
			dup |= !strcmp(d->cgroups[j], res[i].path);
		if (dup)
			continue;
		d->cgroups[d->n_cgroups] = strdup(res[i].path);
		if (!d->cgroups[d->n_cgroups])
			goto oom;
		pids_of(res[i].path, d);
		/* a cgroup gone meanwhile keeps id 0, which no task has */
		pn_cgroup_id(res[i].path, &d->cg_ids[d->n_cgroups]);
		d->cg_levels[d->n_cgroups] = pn_cgroup_level(g->o.cgroup2_root, res[i].path);
		d->n_cgroups++;
	}
	free(res);
	res = NULL;
	e = resolve_paths(g, d, err);
	if (e)
		goto fail;
	if (sel)
		pn_info("guard %s: its selector admits %zu running container(s)%s",
			d->guard->watch->key, d->n_selected,
			g->selected ? "" : " (no container runtime to ask)");
	d->targets = spec->targets;
	memset(spec, 0, sizeof(*spec));
	*out = d;
	return 0;
oom:
	e = -ENOMEM;
	pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory");
fail:
	free(res);
	d->guard = NULL; /* still the caller's */
	gd_free(d);
	return e;
}

/* Gives a made guard's contents back to its spec (a publish failed), and frees the rest. */
static void gd_unmake(struct gd *d, struct pn_guard_spec *spec)
{
	spec->guard = d->guard;
	spec->targets = d->targets;
	d->guard = NULL;
	memset(&d->targets, 0, sizeof(d->targets));
	gd_free(d);
}

/* With the open and close code below: what auto deferred, settled before the first guard. */
static int mechanism_settle(struct pn_guards *g, struct pn_reg_error *err);

static int guards_set(struct pn_guards *g, struct pn_guard_spec *spec, struct pn_reg_error *err)
{
	struct gd *d, *replaced = NULL;
	struct gd **set;
	size_t n = 0;
	int e = mechanism_settle(g, err);

	if (!e)
		e = gd_make(g, spec, &d, err);
	if (e)
		return e;
	set = calloc(g->n_guards + 1, sizeof(*set));
	if (!set) {
		gd_unmake(d, spec);
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory");
		return -ENOMEM;
	}
	/* only the holder of `change` changes the table: read without the lock */
	for (size_t i = 0; i < g->n_guards; i++) {
		if (!strcmp(g->guards[i]->guard->watch->key, d->guard->watch->key))
			replaced = g->guards[i];
		else
			set[n++] = g->guards[i];
	}
	set[n++] = d;
	e = publish(g, set, n, err);
	if (e) {
		free(set);
		gd_unmake(d, spec);
		return e;
	}
	gd_free(replaced);
	return 0;
}

int pn_guards_replace_set(struct pn_guards *g, bool (*owned)(const struct pn_guard *gu, void *arg),
			  void *arg, struct pn_guard_spec *specs, size_t n, size_t *failed,
			  struct pn_reg_error *err)
{
	struct gd **made = calloc(n ? n : 1, sizeof(*made)), **set = NULL, **gone = NULL;
	size_t n_set = 0, n_gone = 0, i;
	int e = 0;

	*failed = SIZE_MAX;
	if (!made)
		return -ENOMEM;
	pthread_mutex_lock(&g->change);
	if (n)
		e = mechanism_settle(g, err);
	for (i = 0; i < n && !e; i++) {
		for (size_t j = 0; j < i && !e; j++)
			if (!strcmp(made[j]->guard->watch->key, specs[i].guard->watch->key)) {
				pn_reg_error_set(err, PN_REG_FIELD_NAME, 0, "guard %s: given twice",
						 specs[i].guard->watch->key);
				e = -EINVAL;
			}
		if (!e)
			e = gd_make(g, &specs[i], &made[i], err);
		if (e)
			*failed = i;
	}
	if (!e) {
		set = calloc(g->n_guards + n + 1, sizeof(*set));
		gone = calloc(g->n_guards + 1, sizeof(*gone));
		e = set && gone ? 0 : -ENOMEM;
	}
	if (!e) {
		/* what is not the caller's stays, unless a new guard takes its key */
		for (size_t k = 0; k < g->n_guards; k++) {
			bool taken = owned(g->guards[k]->guard, arg);

			for (size_t j = 0; j < n && !taken; j++)
				taken = !strcmp(made[j]->guard->watch->key,
						g->guards[k]->guard->watch->key);
			if (taken)
				gone[n_gone++] = g->guards[k];
			else
				set[n_set++] = g->guards[k];
		}
		for (size_t j = 0; j < n; j++)
			set[n_set++] = made[j];
		e = publish(g, set, n_set, err);
	}
	if (e) {
		/* nothing changed: every spec is the caller's again */
		for (size_t j = 0; j < n && j < i; j++)
			if (made[j])
				gd_unmake(made[j], &specs[j]);
		free(set);
	} else {
		for (size_t k = 0; k < n_gone; k++)
			gd_free(gone[k]);
	}
	pthread_mutex_unlock(&g->change);
	free(gone);
	free(made);
	return e;
}

int pn_guards_set(struct pn_guards *g, struct pn_guard_spec *spec, struct pn_reg_error *err)
{
	int e;

	pthread_mutex_lock(&g->change);
	e = guards_set(g, spec, err);
	pthread_mutex_unlock(&g->change);
	return e;
}

static int guards_remove(struct pn_guards *g, const char *key)
{
	struct gd **set = calloc(g->n_guards ? g->n_guards : 1, sizeof(*set)), *gone = NULL;
	size_t n = 0;
	int e;

	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < g->n_guards; i++) {
		if (!strcmp(g->guards[i]->guard->watch->key, key))
			gone = g->guards[i];
		else
			set[n++] = g->guards[i];
	}
	if (!gone) {
		free(set);
		return -ENOENT;
	}
	/* only removals: no mark is added, so it cannot be refused */
	e = publish(g, set, n, NULL);
	if (e) {
		free(set);
		return e;
	}
	gd_free(gone);
	return 0;
}

int pn_guards_remove(struct pn_guards *g, const char *key)
{
	int e;

	pthread_mutex_lock(&g->change);
	e = guards_remove(g, key);
	pthread_mutex_unlock(&g->change);
	return e;
}

static bool any_cgroup_lives(const struct gd *d)
{
	struct stat st;

	for (size_t i = 0; i < d->n_cgroups; i++)
		if (!stat(d->cgroups[i], &st))
			return true;
	return false;
}

int pn_guards_prune(struct pn_guards *g)
{
	char key[PATH_MAX];
	int n = 0;

	if (!g)
		return 0;
	pthread_mutex_lock(&g->change);
	for (size_t i = 0; i < g->n_guards;) {
		if (g->guards[i]->guard->watch->selector || any_cgroup_lives(g->guards[i])) {
			i++;
			continue;
		}
		snprintf(key, sizeof(key), "%s", g->guards[i]->guard->watch->key);
		if (guards_remove(g, key))
			break;
		pn_info("guard %s: its containers are gone; removed", key);
		n++;
	}
	pthread_mutex_unlock(&g->change);
	return n;
}

void pn_guards_set_runtime(struct pn_guards *g, pn_guards_selected_fn fn, void *arg)
{
	pthread_mutex_lock(&g->change);
	g->selected = fn;
	g->selected_arg = arg;
	pthread_mutex_unlock(&g->change);
}

void pn_guards_containers_changed(struct pn_guards *g)
{
	uint64_t one = 1;

	/* a counter already above zero has the wakeup pending: EAGAIN is no loss */
	if (g && write(g->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pn_debug("guard: cannot wake the refresh: %s", strerror(errno));
}

int pn_guards_wake_fd(const struct pn_guards *g)
{
	return g ? g->wake_fd : -1;
}

static bool same_ids(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

/* Remakes d with the containers its selector admits now, if they changed: 1, 0, or -errno. */
static int refresh_one(struct pn_guards *g, struct gd *d)
{
	struct pn_guard_spec spec = { .guard = d->guard, .targets = d->targets };
	struct pn_reg_error err = { 0 };
	struct gd *nd, **set;
	char **ids = NULL;
	size_t n_ids = 0, n = 0;
	int e;

	e = g->selected(g->selected_arg, d->guard->watch->selector, &ids, &n_ids);
	if (e)
		return 0; /* the runtime cannot say now: keep what it said last */
	qsort(ids, n_ids, sizeof(*ids), id_order);
	e = same_ids(ids, n_ids, d->selected, d->n_selected);
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	if (e)
		return 0;
	e = gd_make(g, &spec, &nd, &err);
	if (e)
		goto fail;
	set = calloc(g->n_guards, sizeof(*set));
	if (!set) {
		gd_unmake(nd, &spec);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->n_guards; i++)
		set[n++] = g->guards[i] == d ? nd : g->guards[i];
	e = publish(g, set, n, &err);
	if (e) {
		free(set);
		gd_unmake(nd, &spec);
		goto fail;
	}
	/* the guard and its targets are nd's now */
	d->guard = NULL;
	memset(&d->targets, 0, sizeof(d->targets));
	gd_free(d);
	return 1;
fail:
	if (d->refresh_said)
		pn_debug("guard %s: still cannot take its selector's containers: %s",
			 d->guard->watch->key, err.msg);
	else
		pn_warn("guard %s: cannot take the containers its selector admits now: %s "
			"(tried again at every change)",
			d->guard->watch->key, err.msg);
	d->refresh_said = true;
	return e;
}

int pn_guards_refresh(struct pn_guards *g)
{
	uint64_t ticks;
	int n = 0;

	if (!g)
		return 0;
	if (read(g->wake_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		pn_debug("guard: wake: %s", strerror(errno));
	pthread_mutex_lock(&g->change);
	/* a remade guard takes its old one's place: the index stays right */
	for (size_t i = 0; g->selected && i < g->n_guards; i++)
		if (g->guards[i]->guard->watch->selector && refresh_one(g, g->guards[i]) > 0)
			n++;
	pthread_mutex_unlock(&g->change);
	return n;
}

size_t pn_guards_by_selector(struct pn_guards *g)
{
	size_t n = 0;

	if (!g)
		return 0;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n_guards; i++)
		n += g->guards[i]->guard->watch->selector != NULL;
	pthread_mutex_unlock(&g->lock);
	return n;
}

void pn_guards_foreach(struct pn_guards *g, void (*fn)(const struct pn_guard_view *v, void *arg),
		       void *arg)
{
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n_guards; i++) {
		struct pn_guard_view v = { .guard = g->guards[i]->guard,
					   .targets = &g->guards[i]->targets,
					   .pids = g->guards[i]->pids,
					   .n_pids = g->guards[i]->n_pids };

		fn(&v, arg);
	}
	pthread_mutex_unlock(&g->lock);
}

void pn_guards_stats(struct pn_guards *g, struct pn_guards_stats *out)
{
	out->mechanism = pn_guards_mechanism(g);
	out->allowed = atomic_load(&g->allowed);
	out->denied = atomic_load(&g->denied);
	out->passed = atomic_load(&g->passed);
	out->unresolved = atomic_load(&g->unresolved);
	out->lines_dropped = atomic_load(&g->lines_dropped);
	if (g->lsm) {
		struct pn_guard_counters k;

		pn_guard_lsm_counters(g->lsm, &k);
		out->allowed += k.allowed;
		out->denied += k.denied;
		out->passed += k.passed;
		out->unresolved += k.unresolved;
		out->lines_dropped += k.lost;
	}
	pthread_mutex_lock(&g->lock);
	out->guards = g->n_guards;
	out->marks = g->n_marks_shown;
	pthread_mutex_unlock(&g->lock);
}

/* ------------------------------------------------------------ decisions */

/* What one permission event hit, decided under the lock and logged after it. */
struct verdict {
	bool guarded; /* a guard's path: logged */
	bool deny;
	bool audit;
	bool is_dir;
	char path[PATH_MAX]; /* as the container names it */
	const struct gd *by;
	size_t subject;
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* The innermost pid of a process in its own pid namespace (NSpid's last), or 0. */
static int ns_pid(const char *proc_root, int pid, int *ppid)
{
	char path[64], line[256];
	int inner = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/status", proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "PPid:", 5))
			*ppid = atoi(line + 5);
		if (!strncmp(line, "NSpid:", 6)) {
			const char *last = strrchr(line, '\t');

			inner = atoi(last ? last : line + 6);
		}
	}
	fclose(f);
	return inner;
}

/* The container's init (pid 1 of its namespace) or one of its direct children. */
static bool is_owner(const char *proc_root, int pid)
{
	int ppid = 0, parent_ppid = 0;

	if (ns_pid(proc_root, pid, &ppid) == 1)
		return true;
	return ppid > 0 && ns_pid(proc_root, ppid, &parent_ppid) == 1;
}

static bool in_cgroups(const struct gd *d, const char *cgroup)
{
	for (size_t i = 0; i < d->n_cgroups; i++)
		if (cgroup_within(cgroup, d->cgroups[i]))
			return true;
	return false;
}

/*
 * The decision for the object behind fd, opened or read (op) by pid. The
 * object is a guarded one itself, or a direct child of a guarded directory;
 * its directory is told by the name the kernel gives the descriptor. Deny
 * wins over allow; an object that is neither is passed and not logged.
 */
/* The directories above an object, nearest first: what a recursive subject is checked against. */
#define ANC_MAX 32

struct anc {
	dev_t dev;
	ino_t ino;
	int level; /* 0: the object's own directory */
};

/*
 * The directories of the object behind fd, up to `levels` of them, from the
 * name the kernel gives the descriptor. That name is the agent's view when
 * the container's root is reachable from the agent's (a runc bundle), else
 * the container's own (its root is a mount of another namespace): both are
 * tried, in the process's root for the second. Returns how many identities
 * are in anc[] (at most 2 * levels), or -1 when the name cannot be read;
 * name holds the descriptor's name. A root directory has none above it: 0.
 */
static int ancestors_of(struct pn_guards *g, int fd, int pid, char *name, size_t len, int levels,
			struct anc *anc)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char link[64], root[64], dir[PATH_MAX];
	int n = 0, rootfd, dfd;
	struct stat st;
	ssize_t got;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	got = readlink(link, name, len - 1);
	if (got <= 0 || name[0] != '/')
		return -1;
	name[got] = '\0';
	snprintf(root, sizeof(root), "%s/%d/root", g->o.proc_root, pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(dir, sizeof(dir), "%s", name);
	for (int level = 0; level < levels; level++) {
		char *slash = strrchr(dir, '/');
		const char *d;

		if (!slash || (slash == dir && !dir[1]))
			break; /* above "/" */
		slash[slash == dir ? 1 : 0] = '\0';
		d = dir;
		if (!stat(d, &st))
			anc[n++] = (struct anc){ st.st_dev, st.st_ino, level };
		if (rootfd >= 0 &&
		    (dfd = (int)syscall(SYS_openat2, rootfd, d, &how, sizeof(how))) >= 0) {
			if (!fstat(dfd, &st))
				anc[n++] = (struct anc){ st.st_dev, st.st_ino, level };
			close(dfd);
		}
		if (!strcmp(dir, "/"))
			break;
	}
	if (rootfd >= 0)
		close(rootfd);
	return n;
}

/* The level of the nearest ancestor that is en (0: the object's directory), or -1. */
static int ancestor_level(const struct entry *en, const struct anc *anc, int n)
{
	for (int i = 0; i < n; i++)
		if (en->dev == anc[i].dev && en->ino == anc[i].ino)
			return anc[i].level;
	return -1;
}

/* The last `count` names of a path ("a/b" of "/x/a/b" for 2), or "" if it has fewer. */
static const char *last_names(const char *path, int count)
{
	const char *p = path + strlen(path);

	while (count-- > 0) {
		while (p > path && p[-1] != '/')
			p--;
		if (p == path)
			return "";
		if (count > 0)
			p--;
	}
	return p;
}

static void decide(struct pn_guards *g, int fd, int pid, uint32_t op, struct verdict *v)
{
	char cgroup[PATH_MAX], name[PATH_MAX];
	struct anc anc[2 * ANC_MAX];
	bool have_parent, unresolved = false, have_guard = false, deep = false;
	struct stat st;
	int n_anc;

	memset(v, 0, sizeof(*v));
	if (pn_cgroup_of_pid(g->o.proc_root, g->o.cgroup2_root, pid, cgroup, sizeof(cgroup)))
		return;
	/* another container on a shared volume, the node: passed before any lookup */
	for (size_t i = 0; i < g->n_guards; i++) {
		if (!in_cgroups(g->guards[i], cgroup))
			continue;
		have_guard = true;
		for (size_t j = 0; j < g->guards[i]->n_entries; j++)
			deep |= g->guards[i]->entries[j].recursive;
	}
	if (!have_guard || fstat(fd, &st))
		return;
	v->is_dir = S_ISDIR(st.st_mode);
	/* the directory alone, unless a recursive subject asks for every ancestor */
	n_anc = ancestors_of(g, fd, pid, name, sizeof(name), deep ? ANC_MAX : 1, anc);
	/* told, or the object is a root with nothing above it: no need to fail closed */
	have_parent = n_anc > 0 || (n_anc == 0 && !strcmp(name, "/"));
	if (n_anc < 0)
		n_anc = 0;
	/*
	 * Pass 0: the object itself, or a child of a directory told by its
	 * name. Pass 1, only when nothing matched and the directory could not
	 * be told: the event came through some guarded directory's mark, so
	 * each denied directory of the process's guards is taken to be it
	 * (fail closed).
	 */
	for (int pass = 0; pass < 2 && !v->guarded; pass++) {
		if (pass == 1 && have_parent)
			break;
		for (size_t i = 0; i < g->n_guards; i++) {
			const struct gd *d = g->guards[i];

			if (!in_cgroups(d, cgroup))
				continue;
			for (size_t j = 0; j < d->n_entries; j++) {
				const struct entry *en = &d->entries[j];
				const struct pn_guard_subject *s = &d->guard->subjects[en->subject];
				bool self = en->dev == st.st_dev && en->ino == st.st_ino;
				int level = en->is_dir ? ancestor_level(en, anc, n_anc) : -1;
				/* children always; deeper descendants for a recursive directory */
				bool below = level == 0 || (level > 0 && en->recursive);
				bool hit = pass == 0 ? self || below : en->is_dir && en->deny;

				if (!hit || !pn_guard_subject_covers(s, op, v->is_dir))
					continue;
				/* deny wins: an allow never replaces a deny already found */
				if (v->guarded && v->deny && !en->deny)
					continue;
				unresolved = pass == 1;
				v->guarded = true;
				v->deny = en->deny;
				v->audit = s->audit;
				v->by = d;
				v->subject = en->subject;
				if (self || pass == 1)
					snprintf(v->path, sizeof(v->path), "%s", en->path);
				else
					snprintf(v->path, sizeof(v->path), "%s%s%s", en->path,
						 strcmp(en->path, "/") ? "/" : "",
						 last_names(name, level + 1));
			}
		}
	}
	if (v->guarded && v->deny && v->by->guard->subjects[v->subject].auto_allow_owner &&
	    is_owner(g->o.proc_root, pid))
		v->deny = false;
	if (unresolved && v->deny)
		atomic_fetch_add(&g->unresolved, 1);
}

static void line_queue(struct pn_guards *g, const char *text, size_t len)
{
	struct line *l;

	pthread_mutex_lock(&g->lines_mu);
	if (g->n_lines >= LINES_MAX || !(l = malloc(sizeof(*l) + len))) {
		pthread_mutex_unlock(&g->lines_mu);
		atomic_fetch_add(&g->lines_dropped, 1);
		return;
	}
	memcpy(l->text, text, len);
	l->len = len;
	l->next = NULL;
	if (g->tail)
		g->tail->next = l;
	else
		g->head = l;
	g->tail = l;
	g->n_lines++;
	pthread_cond_signal(&g->lines_cv);
	pthread_mutex_unlock(&g->lines_mu);
}

static void proc_read(const char *proc_root, int pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%d/%s", proc_root, pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

/* Who made a decision: the kernel tells it (LSM), or /proc does (fanotify). */
struct who {
	uint64_t ts_ns;
	uint32_t pid, tgid, uid;
	char comm[16];
};

static void who_of_pid(const char *proc_root, int pid, struct who *w)
{
	char comm[64], status[1024];
	const char *uid;

	proc_read(proc_root, pid, "comm", comm, sizeof(comm));
	comm[strcspn(comm, "\n")] = '\0';
	proc_read(proc_root, pid, "status", status, sizeof(status));
	uid = strstr(status, "\nUid:");
	memset(w, 0, sizeof(*w));
	w->ts_ns = mono_ns();
	w->pid = (uint32_t)pid;
	w->tgid = (uint32_t)pid;
	w->uid = uid ? (uint32_t)strtoul(uid + 5, NULL, 10) : 0;
	memcpy(w->comm, comm, strnlen(comm, sizeof(w->comm) - 1));
}

/* The decision as a line of the guard's format (or JSON), to the writer. */
static void decision_log(struct pn_guards *g, const struct verdict *v, const struct who *w,
			 uint32_t op)
{
	const struct pn_guard_subject *s = &v->by->guard->subjects[v->subject];
	char line[PN_LINE_STACK];
	const char *last;
	struct pn_event ev = { 0 };
	struct pn_match m = { 0 };
	struct pn_format_ctx fctx = {
		.node = g->o.node,
		.container = "",
		.response = v->deny ? "DENY" : "ALLOW",
		.decision_event = op == PN_GUARD_OPEN ? "OPEN_PERM" : "ACCESS_PERM",
	};
	size_t n, dir_len;

	ev.ts_ns = w->ts_ns;
	ev.pid = w->pid;
	ev.tgid = w->tgid;
	ev.uid = w->uid;
	memcpy(ev.comm, w->comm,
	       sizeof(ev.comm) < sizeof(w->comm) ? sizeof(ev.comm) : sizeof(w->comm));
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	ev.path = v->path;
	pn_path_split(v->path, &dir_len, &last);
	m.event = op == PN_GUARD_OPEN ? PN_OPEN : PN_ACCESS;
	m.is_dir = v->is_dir;
	m.watch = v->by->guard->watch;
	m.subject = &s->tags;
	m.full_path = v->path;
	m.dir_len = dir_len;
	m.file = last;
	if (g->o.json)
		n = pn_format_json(line, sizeof(line), &ev, &m, &fctx);
	else
		n = pn_format_line(line, sizeof(line), m.watch->log_format, &ev, &m, &fctx);
	line_queue(g, line, n < sizeof(line) ? n : sizeof(line) - 1);
	if (g->on_decision)
		g->on_decision(g->on_decision_arg, &ev, &m, &fctx);
}

void pn_guards_on_decision(struct pn_guards *g, pn_guard_decision_fn fn, void *arg)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->on_decision = fn;
	g->on_decision_arg = arg;
	pthread_mutex_unlock(&g->lock);
}

/* Answers every event of one read, each before anything is logged. */
static void answer_all(struct pn_guards *g, const char *buf, ssize_t len)
{
	const struct fanotify_event_metadata *md = (const void *)buf;

	for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
		struct fanotify_response r;
		struct verdict v;
		uint32_t op;

		if (md->vers != FANOTIFY_METADATA_VERSION || md->fd < 0)
			continue;
		op = md->mask & FAN_ACCESS_PERM ? PN_GUARD_ACCESS : PN_GUARD_OPEN;
		pthread_mutex_lock(&g->lock);
		decide(g, md->fd, md->pid, op, &v);
		r.fd = md->fd;
		r.response = v.guarded && v.deny ? FAN_DENY : FAN_ALLOW;
		if (v.guarded && v.audit && g->audit_ok)
			r.response |= FAN_AUDIT;
		/* the answer first: the process waits for nothing else */
		if (write(g->fan_fd, &r, sizeof(r)) != sizeof(r))
			pn_warn("guard: cannot answer a permission event: %s", strerror(errno));
		if (v.guarded) {
			struct who w;

			who_of_pid(g->o.proc_root, md->pid, &w);
			decision_log(g, &v, &w, op);
		}
		pthread_mutex_unlock(&g->lock);
		close(md->fd);
		atomic_fetch_add(!v.guarded ? &g->passed : v.deny ? &g->denied : &g->allowed, 1);
	}
}

/*
 * The entry a kernel's decision came from: of a guard holding its cgroup,
 * with its object, at a place its rule covers (itself, a directory's child,
 * a recursive directory's descendant), a deny for a denial (or an owner's
 * pass of one).
 */
static bool lsm_entry_of(const struct pn_guards *g, const struct pn_guard_decision *dc,
			 struct verdict *v, const struct entry **hit)
{
	bool want_deny = dc->flags & (PN_GUARD_F_DENIED | PN_GUARD_F_OWNER);
	uint32_t op = dc->op == PN_GUARD_OP_ACCESS ? PN_GUARD_ACCESS : PN_GUARD_OPEN;
	bool is_dir = dc->flags & PN_GUARD_F_DIR;
	const char *cgroup = NULL;

	/* the guarded cgroup by its path: the rules of guards above it are its own too (rules_of) */
	for (size_t i = 0; i < g->n_guards && !cgroup; i++)
		for (size_t c = 0; c < g->guards[i]->n_cgroups && !cgroup; c++)
			if (g->guards[i]->cg_ids[c] == dc->key.cgroup)
				cgroup = g->guards[i]->cgroups[c];
	for (size_t i = 0; cgroup && i < g->n_guards; i++) {
		const struct gd *d = g->guards[i];
		bool in = in_cgroups(d, cgroup);

		for (size_t j = 0; in && j < d->n_entries; j++) {
			const struct entry *en = &d->entries[j];
			bool placed =
				dc->flags & PN_GUARD_F_UNRESOLVED ?
					en->recursive && en->deny :
					en->kdev == dc->key.dev && en->ino == dc->key.ino &&
						(dc->level == 0 || (dc->level == 1 && en->is_dir) ||
						 en->recursive);

			if (!placed || en->deny != want_deny ||
			    !pn_guard_subject_covers(&d->guard->subjects[en->subject], op, is_dir))
				continue;
			v->by = d;
			v->subject = en->subject;
			*hit = en;
			return true;
		}
	}
	return false;
}

/* One decision the kernel made, logged as the fanotify decider logs its own. */
static void lsm_decision(void *arg, const struct pn_guard_decision *dc)
{
	struct pn_guards *g = arg;
	const struct entry *en;
	struct verdict v = { .guarded = true };
	struct who w = { .ts_ns = dc->ts_ns, .pid = dc->pid, .tgid = dc->tgid, .uid = dc->uid };
	size_t off;

	memcpy(w.comm, dc->comm, sizeof(w.comm) - 1);
	v.deny = dc->flags & PN_GUARD_F_DENIED;
	v.is_dir = dc->flags & PN_GUARD_F_DIR;
	pthread_mutex_lock(&g->lock);
	if (!lsm_entry_of(g, dc, &v, &en)) {
		/* its guard was replaced or removed since: counted, not logged */
		pthread_mutex_unlock(&g->lock);
		atomic_fetch_add(&g->lines_dropped, 1);
		return;
	}
	/* the guarded path, then the names below it, the topmost first */
	off = (size_t)snprintf(v.path, sizeof(v.path), "%s", en->path);
	if (dc->level > dc->n_names && off < sizeof(v.path))
		off += (size_t)snprintf(v.path + off, sizeof(v.path) - off, "/...");
	for (int i = (int)dc->n_names - 1; i >= 0 && !(dc->flags & PN_GUARD_F_UNRESOLVED); i--) {
		char name[PN_GUARD_NAME_LEN];

		snprintf(name, sizeof(name), "%.*s", PN_GUARD_NAME_LEN - 1, dc->names[i]);
		if (off < sizeof(v.path))
			off += (size_t)snprintf(v.path + off, sizeof(v.path) - off, "%s%s",
						off == 1 && v.path[0] == '/' ? "" : "/", name);
	}
	decision_log(g, &v, &w, dc->op == PN_GUARD_OP_ACCESS ? PN_GUARD_ACCESS : PN_GUARD_OPEN);
	pthread_mutex_unlock(&g->lock);
}

/* The LSM mechanism's decider: the kernel answered already; this only logs. */
static void *lsm_main(struct pn_guards *g)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = pn_guard_lsm_fd(g->lsm), .events = POLLIN },
				       { .fd = g->stop_fd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		pn_guard_lsm_consume(g->lsm, lsm_decision, g);
		if (p[1].revents)
			break;
	}
	return NULL;
}

static void *decider_main(void *arg)
{
	struct pn_guards *g = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));

	if (g->lsm)
		return lsm_main(g);
	for (;;) {
		struct pollfd p[2] = { { .fd = g->fan_fd, .events = POLLIN },
				       { .fd = g->stop_fd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(g->fan_fd, buf, sizeof(buf));
		if (n > 0)
			answer_all(g, buf, n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			pn_warn("guard: cannot read permission events: %s", strerror(errno));
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	struct pn_guards *g = arg;

	pthread_mutex_lock(&g->lines_mu);
	for (;;) {
		struct line *l;

		while (!g->head && !g->stopping)
			pthread_cond_wait(&g->lines_cv, &g->lines_mu);
		if (!g->head)
			break;
		l = g->head;
		g->head = l->next;
		if (!g->head)
			g->tail = NULL;
		g->n_lines--;
		pthread_mutex_unlock(&g->lines_mu);
		fwrite(l->text, 1, l->len, g->o.out);
		fflush(g->o.out);
		free(l);
		pthread_mutex_lock(&g->lines_mu);
	}
	pthread_mutex_unlock(&g->lines_mu);
	return NULL;
}

/* ------------------------------------------------------------ open, close */

const char *pn_guards_mechanism(const struct pn_guards *g)
{
	return g->lsm || g->lsm_pending ? "lsm" : g->fan_fd >= 0 ? "fanotify" : "none";
}

static int fanotify_open(struct pn_guards *g, char *err, size_t errlen)
{
	const unsigned int flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK;
	const unsigned int event_flags = O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NONBLOCK;
	int e;

	/* FAN_ENABLE_AUDIT (4.15) needs CAP_AUDIT_WRITE: without it, decisions are still logged */
	g->fan_fd = fanotify_init(flags | FAN_ENABLE_AUDIT, event_flags);
	g->audit_ok = g->fan_fd >= 0;
	if (g->fan_fd < 0)
		g->fan_fd = fanotify_init(flags, event_flags);
	if (g->fan_fd < 0) {
		e = -errno;
		snprintf(err, errlen, "%s%s%sfanotify permission events: %s (%s)",
			 g->lsm_why[0] ? "BPF LSM: " : "", g->lsm_why, g->lsm_why[0] ? "; " : "",
			 strerror(-e),
			 e == -EPERM  ? "needs CAP_SYS_ADMIN" :
			 e == -EINVAL ? "the kernel lacks CONFIG_FANOTIFY_ACCESS_PERMISSIONS" :
					"fanotify_init refused");
		return e;
	}
	return 0;
}

static int decider_start(struct pn_guards *g, char *err, size_t errlen)
{
	int e = -pthread_create(&g->decider, NULL, decider_main, g);

	if (e) {
		snprintf(err, errlen, "cannot start the guard's decider: %s", strerror(-e));
		return e;
	}
	g->decider_started = true;
	return 0;
}

/* BPF LSM's programs, adopting what an agent left pinned in o.pin_dir. */
static int lsm_open(struct pn_guards *g)
{
	const struct pn_guard_lsm_opts lo = { .pin_dir = g->o.pin_dir };
	int e = pn_guard_lsm_open(&g->lsm, &lo, g->lsm_why, sizeof(g->lsm_why));

	g->adopting = !e && pn_guard_lsm_adopted(g->lsm);
	return e;
}

/*
 * The mechanism as asked: lsm and fanotify now, or an error. auto takes
 * fanotify now where bpf is not an active LSM; where it is, the programs
 * are loaded with the first guard (mechanism_settle), so that a node that
 * never guards loads and attaches nothing for it.
 */
static int mechanism_open(struct pn_guards *g, char *err, size_t errlen)
{
	const char *m = g->o.mechanism ? g->o.mechanism : "auto";
	int e;

	if (!strcmp(m, "fanotify")) {
		/* an LSM guard left pinned would go on enforcing rules nobody keeps */
		pn_guard_lsm_unpin(g->o.pin_dir, "--guard-backend fanotify");
		return fanotify_open(g, err, errlen);
	}
	if (!strcmp(m, "lsm")) {
		e = lsm_open(g);
		if (e)
			snprintf(err, errlen, "BPF LSM: %s", g->lsm_why);
		return e;
	}
	if (pn_probe_bpf_lsm_missing(g->lsm_why, sizeof(g->lsm_why))) {
		pn_guard_lsm_unpin(g->o.pin_dir, "BPF LSM unavailable");
		return fanotify_open(g, err, errlen);
	}
	/* what an agent left enforcing is adopted now, not at the first guard */
	if (pn_guard_lsm_pinned(g->o.pin_dir) && !lsm_open(g))
		return 0;
	g->lsm_pending = true;
	return 0;
}

/*
 * Before the first guard, under `change`: auto's deferred load of the BPF
 * LSM programs, and fanotify (said once) where the kernel refuses them.
 * -EOPNOTSUPP with why in err where neither works: then every guard is
 * refused the same way.
 */
static int mechanism_settle(struct pn_guards *g, struct pn_reg_error *err)
{
	char why[512];
	int e;

	if (g->unusable[0]) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "this node cannot enforce guards: %s",
				 g->unusable);
		return -EOPNOTSUPP;
	}
	if (!g->lsm_pending)
		return 0;
	g->lsm_pending = false;
	e = lsm_open(g);
	if (e) {
		e = fanotify_open(g, why, sizeof(why));
		if (!e)
			pn_info("guards: BPF LSM refused at the first guard: %s; fanotify permission "
				"events (auto) from now on",
				g->lsm_why);
	}
	if (!e)
		e = decider_start(g, why, sizeof(why));
	if (e) {
		snprintf(g->unusable, sizeof(g->unusable), "%s", why);
		pn_warn("guards: %s; every guard will be refused", why);
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "this node cannot enforce guards: %s",
				 why);
		return -EOPNOTSUPP;
	}
	return 0;
}

bool pn_guards_deferred(const struct pn_guards *g)
{
	return g->lsm_pending;
}

const char *pn_guards_lsm_why(const struct pn_guards *g)
{
	return g->lsm_why;
}

int pn_guards_open(struct pn_guards **out, const struct pn_guards_opts *o, char *err, size_t errlen)
{
	struct pn_guards *g = calloc(1, sizeof(*g));
	int e;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->o = *o;
	snprintf(g->pin_dir, sizeof(g->pin_dir), "%s", o->pin_dir ? o->pin_dir : "");
	g->o.pin_dir = g->pin_dir;
	g->stop_fd = -1;
	g->wake_fd = -1;
	g->fan_fd = -1;
	pthread_mutex_init(&g->change, NULL);
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->lines_mu, NULL);
	pthread_cond_init(&g->lines_cv, NULL);
	e = mechanism_open(g, err, errlen);
	if (e)
		goto fail;
	g->stop_fd = eventfd(0, EFD_CLOEXEC);
	g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->stop_fd < 0 || g->wake_fd < 0) {
		e = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-e));
		goto fail;
	}
	e = -pthread_create(&g->writer, NULL, writer_main, g);
	if (e) {
		snprintf(err, errlen, "cannot start the guard's writer: %s", strerror(-e));
		goto fail;
	}
	g->writer_started = true;
	/*
	 * A deferred mechanism gets its decider with the first guard, an adopted
	 * one once the start's guards are set (their decisions meanwhile wait in
	 * the ring buffer for the guards that explain them).
	 */
	if (!g->lsm_pending && !g->adopting) {
		e = decider_start(g, err, errlen);
		if (e)
			goto fail;
	}
	*out = g;
	return 0;
fail:
	pn_guards_close(g);
	return e;
}

void pn_guards_started(struct pn_guards *g)
{
	char why[256];

	if (!g || !g->adopting)
		return;
	pthread_mutex_lock(&g->change);
	pn_guard_lsm_settle_adopted(g->lsm);
	g->adopting = false;
	pthread_mutex_unlock(&g->change);
	if (decider_start(g, why, sizeof(why)))
		pn_warn("guards: %s: the kernel's decisions are not logged", why);
}

void pn_guards_unpin(const char *pin_dir)
{
	pn_guard_lsm_unpin(pin_dir, "--guard-backend none");
}

void pn_guards_keep_on_close(struct pn_guards *g, bool keep)
{
	if (!g)
		return;
	g->keep = keep;
	pn_guard_lsm_keep_on_close(g->lsm, keep);
}

void pn_guards_close(struct pn_guards *g)
{
	uint64_t one = 1;

	if (!g)
		return;
	if (g->decider_started) {
		if (write(g->stop_fd, &one, sizeof(one)) != sizeof(one))
			pn_warn("guard: cannot stop the decider: %s", strerror(errno));
		pthread_join(g->decider, NULL);
	}
	/* closing the group answers whatever is still pending with "allow" (the kernel's rule) */
	if (g->fan_fd >= 0)
		close(g->fan_fd);
	if (g->keep && g->fan_fd >= 0 && g->n_guards)
		pn_info("guards: fanotify's marks go with this agent (--keep-on-exit keeps only "
			"BPF LSM's): the %zu guard(s) are not enforced until the next agent sets "
			"them again",
			g->n_guards);
	else if (g->keep && g->lsm)
		pn_info("guards: the BPF LSM programs stay attached with the %zu guard(s) of now "
			"(--keep-on-exit): the next agent adopts them",
			g->n_guards);
	/* the LSM programs go: nothing is denied any more */
	pn_guard_lsm_close(g->lsm);
	if (g->writer_started) {
		pthread_mutex_lock(&g->lines_mu);
		g->stopping = true;
		pthread_cond_signal(&g->lines_cv);
		pthread_mutex_unlock(&g->lines_mu);
		pthread_join(g->writer, NULL);
	}
	while (g->head) {
		struct line *l = g->head;

		g->head = l->next;
		free(l);
	}
	for (size_t i = 0; i < g->n_guards; i++)
		gd_free(g->guards[i]);
	free(g->guards);
	marks_free(g->marks, g->n_marks);
	if (g->stop_fd >= 0)
		close(g->stop_fd);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	pthread_cond_destroy(&g->lines_cv);
	pthread_mutex_destroy(&g->lines_mu);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->change);
	free(g);
}
