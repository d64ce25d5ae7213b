// SPDX-License-Identifier: GPL-2.0-only
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroupfs.h"
#include "events.h"
#include "log.h"
#include "panoptes_event.h"
#include "selector.h"

struct reg_watch {
	struct pn_watch *watch;
	struct pn_targets targets;
	/* the registry's reference and one per snapshot that holds the watch */
	_Atomic unsigned refs;
	bool follow_move; /* a subject rewrites its paths while matching (reg_dispatch) */
	/*
	 * The spec as it was given, before onlyDir or followMove changed the
	 * watch: what tells a reload that a watch is unchanged.
	 */
	char *fingerprint;
	/* events reported, by bit index: written by the consumer only, read by any thread */
	uint64_t counts[PN_EVENT_KINDS];
};

/* A watch bound to a cgroup, with the container id it was asked for by (or ""). */
struct reg_binding {
	struct reg_watch *rw;
	char *container;
};

struct reg_cgroup {
	uint64_t id;
	char *path;
	uint32_t level;
	uint32_t ops;	     /* what its own watches need; the kernel map adds its ancestors' */
	uint32_t pushed_ops; /* what the kernel map holds, valid when pushed */
	bool pushed;
	/* found gone by a prune: removed by the next, once the consumer took its records */
	bool gone;
	struct reg_binding *bindings;
	size_t n_bindings;
	/*
	 * Watched ancestors, nearest first. Kept up to date as cgroups come and
	 * go (link_cgroup/unlink_cgroup): recomputing them on every install made
	 * a policy of 1,000 watches take seconds (bench/run rss).
	 */
	struct reg_cgroup **ancestors;
	size_t n_ancestors;
};

/*
 * What the consumer matches against, built whole under the registry lock at
 * every change and then only read: per watched cgroup (sorted by id), the
 * watches of the cgroup and of its watched ancestors, nearest first, each
 * watch once. The consumer takes a reference per event and matches, formats
 * and publishes with no registry lock held, so a stdout or a stream that
 * stops draining holds up no gRPC call, /metrics or probe.
 */
struct snap_binding {
	struct reg_watch *rw;
	char *container;
};

struct snap_cgroup {
	uint64_t id;
	size_t first, n; /* into bindings */
};

struct reg_snap {
	_Atomic unsigned refs;
	struct snap_cgroup *cgroups;
	size_t n_cgroups;
	struct snap_binding *bindings;
	size_t n_bindings;
	struct reg_watch **watches; /* one reference each */
	size_t n_watches;
};

struct pn_registry {
	pn_reg_admit_fn admit; /* set once, before the first dispatch */
	void *admit_arg;
	/*
	 * Lock order: lock, then snap_lock. snap_lock guards only the snap
	 * pointer and the reference taken on it (a few instructions).
	 */
	pthread_mutex_t lock;
	pthread_mutex_t snap_lock;
	struct reg_snap *snap;
	bool snap_stale; /* the last rebuild ran out of memory: the next change retries */
	char *cgroup2_root;
	char *proc_root;
	struct pn_kernel_sink sink;
	struct reg_watch **watches;
	size_t n_watches;
	struct reg_cgroup **cgroups; /* sorted by id */
	size_t n_cgroups;
	size_t max_watches;
	/* the levels the kernel holds, ascending */
	uint32_t levels[PN_MAX_WATCH_LEVELS];
	unsigned n_levels;
	bool levels_pushed;
	/*
	 * Cgroups the kernel stops at its gate (an entry with no ops): every
	 * watch covering them has a selector, and each refused their container
	 * (exclude_refused). Sorted; cleared at every change of the watches.
	 */
	pn_reg_decide_fn decide; /* set once, before the first dispatch */
	void *decide_arg;
	uint64_t *excluded;
	size_t n_excluded;
	_Atomic uint64_t exclusions; /* ever made, for /metrics */
};

static const char *watch_key(const struct pn_watch *w)
{
	return w->key ? w->key : w->name;
}

void pn_registry_set_max_watches(struct pn_registry *r, size_t max)
{
	pthread_mutex_lock(&r->lock);
	r->max_watches = max;
	pthread_mutex_unlock(&r->lock);
}

struct pn_registry *pn_registry_new(const char *cgroup2_root, const char *proc_root,
				    const struct pn_kernel_sink *sink)
{
	struct pn_registry *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->snap_lock, NULL);
	r->cgroup2_root = strdup(cgroup2_root);
	r->proc_root = strdup(proc_root);
	r->sink = *sink;
	if (!r->cgroup2_root || !r->proc_root) {
		pn_registry_free(r);
		return NULL;
	}
	return r;
}

static void reg_cgroup_free(struct reg_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_bindings; i++)
		free(cg->bindings[i].container);
	free(cg->bindings);
	free(cg->ancestors);
	free(cg->path);
	free(cg);
}

static void reg_watch_put(struct reg_watch *rw)
{
	if (!rw || atomic_fetch_sub_explicit(&rw->refs, 1, memory_order_acq_rel) != 1)
		return;
	pn_watch_free(rw->watch);
	pn_targets_clear(&rw->targets);
	free(rw->fingerprint);
	free(rw);
}

static void snap_put(struct reg_snap *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < s->n_bindings; i++)
		free(s->bindings[i].container);
	for (size_t i = 0; i < s->n_watches; i++)
		reg_watch_put(s->watches[i]);
	free(s->bindings);
	free(s->cgroups);
	free(s->watches);
	free(s);
}

static struct reg_snap *snap_get(struct pn_registry *r)
{
	struct reg_snap *s;

	pthread_mutex_lock(&r->snap_lock);
	s = r->snap;
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&r->snap_lock);
	return s;
}

void pn_registry_free(struct pn_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_cgroups; i++)
		reg_cgroup_free(r->cgroups[i]);
	for (size_t i = 0; i < r->n_watches; i++)
		reg_watch_put(r->watches[i]);
	snap_put(r->snap);
	free(r->cgroups);
	free(r->watches);
	free(r->excluded);
	free(r->cgroup2_root);
	free(r->proc_root);
	pthread_mutex_destroy(&r->snap_lock);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ------------------------------------------------------------ bookkeeping */

static struct reg_cgroup *find_cgroup(struct pn_registry *r, uint64_t id, size_t *pos)
{
	size_t lo = 0, hi = r->n_cgroups;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->cgroups[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	if (lo < r->n_cgroups && r->cgroups[lo]->id == id)
		return r->cgroups[lo];
	return NULL;
}

static bool path_is_ancestor(const char *anc, const char *path)
{
	size_t n = strlen(anc);

	return strncmp(anc, path, n) == 0 && path[n] == '/';
}

static int ancestor_add(struct reg_cgroup *cg, struct reg_cgroup *anc)
{
	struct reg_cgroup **v = realloc(cg->ancestors, (cg->n_ancestors + 1) * sizeof(*v));
	size_t at = 0;

	if (!v)
		return -ENOMEM;
	cg->ancestors = v;
	while (at < cg->n_ancestors && v[at]->level > anc->level)
		at++;
	memmove(&v[at + 1], &v[at], (cg->n_ancestors - at) * sizeof(*v));
	v[at] = anc;
	cg->n_ancestors++;
	return 0;
}

/* A new cgroup learns its watched ancestors and becomes one of its descendants'. */
static int link_cgroup(struct pn_registry *r, struct reg_cgroup *cg)
{
	for (size_t i = 0; i < r->n_cgroups; i++) {
		struct reg_cgroup *other = r->cgroups[i];
		int e = 0;

		if (other == cg)
			continue;
		if (path_is_ancestor(other->path, cg->path))
			e = ancestor_add(cg, other);
		else if (path_is_ancestor(cg->path, other->path))
			e = ancestor_add(other, cg);
		if (e)
			return e;
	}
	return 0;
}

/* Called once cg has left r->cgroups, before it is freed. */
static void unlink_cgroup(struct pn_registry *r, struct reg_cgroup *cg)
{
	for (size_t i = 0; i < r->n_cgroups; i++) {
		struct reg_cgroup *other = r->cgroups[i];

		for (size_t j = 0; j < other->n_ancestors; j++) {
			if (other->ancestors[j] != cg)
				continue;
			memmove(&other->ancestors[j], &other->ancestors[j + 1],
				(other->n_ancestors - j - 1) * sizeof(*other->ancestors));
			other->n_ancestors--;
			break;
		}
	}
}

/* Removes every binding of rw; cgroups left without bindings go to *dead. */
static void unbind_watch(struct pn_registry *r, struct reg_watch *rw, struct reg_cgroup ***dead,
			 size_t *n_dead)
{
	for (size_t i = 0; i < r->n_cgroups;) {
		struct reg_cgroup *cg = r->cgroups[i];

		for (size_t j = 0; j < cg->n_bindings;) {
			if (cg->bindings[j].rw == rw) {
				free(cg->bindings[j].container);
				cg->bindings[j] = cg->bindings[--cg->n_bindings];
				continue;
			}
			j++;
		}
		if (cg->n_bindings == 0) {
			struct reg_cgroup **d = realloc(*dead, (*n_dead + 1) * sizeof(**dead));

			if (d) {
				*dead = d;
				d[(*n_dead)++] = cg;
			} else {
				reg_cgroup_free(cg);
			}
			memmove(&r->cgroups[i], &r->cgroups[i + 1],
				(r->n_cgroups - i - 1) * sizeof(*r->cgroups));
			r->n_cgroups--;
			unlink_cgroup(r, cg);
			continue;
		}
		i++;
	}
}

static bool snap_has(const struct reg_snap *s, size_t first, const struct reg_watch *rw)
{
	for (size_t i = first; i < s->n_bindings; i++)
		if (s->bindings[i].rw == rw)
			return true;
	return false;
}

static int snap_add(struct reg_snap *s, size_t *cap, const struct reg_binding *b)
{
	if (s->n_bindings == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		struct snap_binding *v = realloc(s->bindings, n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->bindings = v;
		*cap = n;
	}
	s->bindings[s->n_bindings].rw = b->rw;
	s->bindings[s->n_bindings].container = strdup(b->container);
	if (!s->bindings[s->n_bindings].container)
		return -ENOMEM;
	s->n_bindings++;
	return 0;
}

/* Called with the lock held, after every change of watches or cgroups. */
static void rebuild_snap(struct pn_registry *r)
{
	struct reg_snap *s = calloc(1, sizeof(*s)), *old;
	size_t cap = 0;
	int e = 0;

	if (!s)
		goto fail;
	atomic_init(&s->refs, 1);
	if (r->n_cgroups && !(s->cgroups = calloc(r->n_cgroups, sizeof(*s->cgroups))))
		goto fail;
	if (r->n_watches && !(s->watches = calloc(r->n_watches, sizeof(*s->watches))))
		goto fail;
	for (size_t i = 0; i < r->n_watches; i++) {
		atomic_fetch_add_explicit(&r->watches[i]->refs, 1, memory_order_relaxed);
		s->watches[s->n_watches++] = r->watches[i];
	}
	for (size_t i = 0; i < r->n_cgroups && !e; i++) {
		struct reg_cgroup *cg = r->cgroups[i];
		struct snap_cgroup *sc = &s->cgroups[s->n_cgroups++];

		sc->id = cg->id;
		sc->first = s->n_bindings;
		/* a watch bound to a cgroup and to its ancestor reports once, as the nearer */
		for (size_t j = 0; j < cg->n_bindings && !e; j++)
			e = snap_add(s, &cap, &cg->bindings[j]);
		for (size_t a = 0; a < cg->n_ancestors && !e; a++) {
			struct reg_cgroup *anc = cg->ancestors[a];

			for (size_t j = 0; j < anc->n_bindings && !e; j++)
				if (!snap_has(s, sc->first, anc->bindings[j].rw))
					e = snap_add(s, &cap, &anc->bindings[j]);
		}
		sc->n = s->n_bindings - sc->first;
	}
	if (e)
		goto fail;
	pthread_mutex_lock(&r->snap_lock);
	old = r->snap;
	r->snap = s;
	pthread_mutex_unlock(&r->snap_lock);
	snap_put(old);
	r->snap_stale = false;
	return;
fail:
	/* the consumer keeps matching the last snapshot: said, and retried at the next change */
	if (!r->snap_stale)
		pn_warn("out of memory while publishing the watches to the event consumer: it "
			"matches the previous set until the next change");
	r->snap_stale = true;
	snap_put(s);
}

/*
 * Pushes what the kernel must know, only the entries that changed: new and
 * changed entries first, then the dead ones are deleted, so a replaced watch
 * never leaves a gap in which its cgroup is unwatched.
 */
static int sync_kernel(struct pn_registry *r, struct reg_cgroup **dead, size_t n_dead,
		       struct pn_reg_error *err)
{
	uint32_t levels[PN_MAX_WATCH_LEVELS];
	unsigned n_levels = 0;
	bool too_many = false;
	int refused = 0;

	for (size_t i = 0; i < r->n_cgroups; i++) {
		struct reg_cgroup *cg = r->cgroups[i];
		uint32_t own = 0;

		for (size_t j = 0; j < cg->n_bindings; j++)
			own |= pn_watch_kernel_ops(cg->bindings[j].rw->watch);
		cg->ops = own;
	}
	for (size_t i = 0; i < r->n_cgroups; i++) {
		struct reg_cgroup *cg = r->cgroups[i];
		uint32_t ops = cg->ops;
		bool seen = false;

		for (size_t j = 0; j < cg->n_ancestors; j++)
			ops |= cg->ancestors[j]->ops;
		if (!cg->pushed || cg->pushed_ops != ops) {
			int e = r->sink.watch(r->sink.ctx, cg->id, ops);

			if (e && !refused) {
				refused = e;
				pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
						 "cgroup %s: the kernel's map of watched cgroups "
						 "refused it (%s)%s",
						 cg->path, strerror(-e),
						 e == -E2BIG || e == -ENOSPC ? ": it is full" : "");
			}
			if (e && !err)
				pn_warn("cannot watch cgroup %s in the kernel: %s", cg->path,
					strerror(-e));
			cg->pushed = !e;
			cg->pushed_ops = ops;
		}
		for (unsigned j = 0; j < n_levels; j++)
			seen |= levels[j] == cg->level;
		if (!seen) {
			if (n_levels < PN_MAX_WATCH_LEVELS)
				levels[n_levels++] = cg->level;
			else
				too_many = true;
		}
	}
	/* in order, so that the same set is recognized and not pushed again */
	for (unsigned i = 1; i < n_levels; i++)
		for (unsigned j = i; j > 0 && levels[j - 1] > levels[j]; j--) {
			uint32_t t = levels[j];

			levels[j] = levels[j - 1];
			levels[j - 1] = t;
		}
	if (too_many)
		pn_warn("watched cgroups sit at more than %d distinct depths: processes in "
			"sub-cgroups of some of them are not seen (their own cgroups still are)",
			PN_MAX_WATCH_LEVELS);
	if (!r->levels_pushed || n_levels != r->n_levels ||
	    memcmp(levels, r->levels, n_levels * sizeof(*levels))) {
		r->sink.levels(r->sink.ctx, levels, n_levels);
		memcpy(r->levels, levels, n_levels * sizeof(*levels));
		r->n_levels = n_levels;
		r->levels_pushed = true;
	}
	for (size_t i = 0; i < n_dead; i++) {
		if (!find_cgroup(r, dead[i]->id, NULL))
			r->sink.unwatch(r->sink.ctx, dead[i]->id);
		reg_cgroup_free(dead[i]);
	}
	return refused;
}

/* ------------------------------------------------------------ exclusions */

static size_t excluded_pos(const struct pn_registry *r, uint64_t id)
{
	size_t lo = 0, hi = r->n_excluded;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->excluded[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Called with the lock held, at every change of the watches: what a new
 * set wants is decided again from the next event of each cgroup. The
 * kernel entries go after the change's own were pushed, so a watch that
 * now wants an excluded cgroup is in place once its install returns.
 */
static void unexclude_all(struct pn_registry *r)
{
	for (size_t i = 0; i < r->n_excluded; i++)
		r->sink.unwatch(r->sink.ctx, r->excluded[i]);
	r->n_excluded = 0;
}

/*
 * sync_kernel() for a change that adds entries: the selectors' exclusions
 * share the kernel map, so a map they filled gives them up (each is decided
 * again at its next event) before a watch is refused for room.
 */
static int sync_kernel_room(struct pn_registry *r, struct pn_reg_error *err)
{
	int e = sync_kernel(r, NULL, 0, err);

	if ((e == -E2BIG || e == -ENOSPC) && r->n_excluded) {
		unexclude_all(r);
		e = sync_kernel(r, NULL, 0, err);
	}
	return e;
}

static int bind(struct pn_registry *r, struct reg_watch *rw, const struct pn_resolved *res)
{
	size_t pos;
	struct reg_cgroup *cg = find_cgroup(r, res->id, &pos);
	struct reg_binding *b;

	if (!cg) {
		struct reg_cgroup **v = realloc(r->cgroups, (r->n_cgroups + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->cgroups = v;
		cg = calloc(1, sizeof(*cg));
		if (!cg || !(cg->path = strdup(res->path))) {
			free(cg);
			return -ENOMEM;
		}
		cg->id = res->id;
		cg->level = pn_cgroup_level(r->cgroup2_root, res->path);
		memmove(&r->cgroups[pos + 1], &r->cgroups[pos],
			(r->n_cgroups - pos) * sizeof(*r->cgroups));
		r->cgroups[pos] = cg;
		r->n_cgroups++;
		/* on failure cg has no binding: the caller's unbind_watch() removes it */
		if (link_cgroup(r, cg))
			return -ENOMEM;
	}
	for (size_t i = 0; i < cg->n_bindings; i++)
		if (cg->bindings[i].rw == rw)
			return 0; /* two targets of one watch in the same cgroup */
	b = realloc(cg->bindings, (cg->n_bindings + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	cg->bindings = b;
	b[cg->n_bindings].rw = rw;
	b[cg->n_bindings].container = strdup(res->container);
	if (!b[cg->n_bindings].container)
		return -ENOMEM;
	cg->n_bindings++;
	return 0;
}

/* Length-prefixed, so that no two different specs print the same. */
static void fp_str(FILE *f, const char *v)
{
	if (v)
		fprintf(f, "%zu:%s;", strlen(v), v);
	else
		fputs("-;", f);
}

static void fp_strv(FILE *f, char tag, char *const *v, size_t n)
{
	fprintf(f, "%c%zu;", tag, n);
	for (size_t i = 0; i < n; i++)
		fp_str(f, v[i]);
}

static void fp_selector(FILE *f, const struct pn_selector *s)
{
	if (!s) {
		fputs("S-;", f);
		return;
	}
	fp_strv(f, 'N', s->namespaces, s->n_namespaces);
	fp_strv(f, 'M', s->container_names, s->n_container_names);
	fp_strv(f, 'I', s->images, s->n_images);
	fprintf(f, "L%zu;", s->n_labels);
	for (size_t i = 0; i < s->n_labels; i++) {
		fprintf(f, "%d;", (int)s->labels[i].op);
		fp_str(f, s->labels[i].key);
		fp_strv(f, 'V', s->labels[i].values, s->labels[i].n_values);
	}
}

/* Everything a spec says, in one string: equal strings, equal specs. NULL: no memory. */
static char *fingerprint(const struct pn_watch_spec *spec)
{
	const struct pn_watch *w = spec->watch;
	const struct pn_targets *t = &spec->targets;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fp_str(f, w->name);
	fp_str(f, w->key);
	fp_str(f, w->origin);
	fprintf(f, "%d;", (int)w->api);
	fp_str(f, w->owner);
	fp_str(f, w->pod);
	fp_str(f, w->log_format);
	fprintf(f, "s%zu;", w->n_subjects);
	for (size_t i = 0; i < w->n_subjects; i++) {
		const struct pn_subject *s = &w->subjects[i];

		fprintf(f, "p%zu;", s->n_paths);
		for (size_t j = 0; j < s->n_paths; j++)
			fp_str(f, s->paths[j]);
		fprintf(f, "i%zu;", s->n_ignore);
		for (size_t j = 0; j < s->n_ignore; j++)
			fp_str(f, s->ignore[j]);
		fprintf(f, "%" PRIu32 ";%d%d%d;%d;t%zu;", s->events, s->only_dir, s->recursive,
			s->follow_move, s->max_depth, s->n_tags);
		for (size_t j = 0; j < s->n_tags; j++) {
			fp_str(f, s->tags[j].key);
			fp_str(f, s->tags[j].value);
		}
	}
	fprintf(f, "P%zu;", t->n_pids);
	for (size_t i = 0; i < t->n_pids; i++)
		fprintf(f, "%d;", t->pids[i]);
	fprintf(f, "C%zu;", t->n_cgroups);
	for (size_t i = 0; i < t->n_cgroups; i++)
		fp_str(f, t->cgroups[i]);
	fprintf(f, "K%zu;", t->n_containers);
	for (size_t i = 0; i < t->n_containers; i++)
		fp_str(f, t->containers[i]);
	fprintf(f, "D%d;", t->pods);
	fp_selector(f, w->selector);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A watch for spec, not yet bound; it takes fp. NULL: no memory (fp freed). */
static struct reg_watch *reg_watch_new(const struct pn_watch_spec *spec, char *fp)
{
	struct reg_watch *rw = fp ? calloc(1, sizeof(*rw)) : NULL;

	if (!rw) {
		free(fp);
		return NULL;
	}
	atomic_init(&rw->refs, 1);
	rw->fingerprint = fp;
	rw->watch = spec->watch;
	rw->targets = spec->targets;
	for (size_t i = 0; i < spec->watch->n_subjects; i++)
		rw->follow_move |= spec->watch->subjects[i].follow_move;
	return rw;
}

/* A watch that was never published: the spec's parts stay the caller's. */
static void reg_watch_discard(struct reg_watch *rw)
{
	if (!rw)
		return;
	free(rw->fingerprint);
	free(rw);
}

int pn_registry_install(struct pn_registry *r, struct pn_watch_spec *spec, enum pn_reg_mode mode,
			struct pn_reg_error *err)
{
	struct reg_cgroup **dead = NULL;
	struct pn_resolved *res = NULL;
	struct reg_watch *rw, *old = NULL, **v;
	size_t n_res = 0, n_dead = 0, old_idx = 0;
	int e;

	/* Resolution reads cgroupfs and /proc: done before taking the lock. */
	e = pn_resolve_targets(r->cgroup2_root, r->proc_root, &spec->targets, &res, &n_res, err);
	if (e)
		return e;
	/* before onlyDir changes the watch */
	rw = reg_watch_new(spec, fingerprint(spec));
	if (!rw) {
		free(res);
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
				 "out of memory while installing watch %s", spec->watch->name);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_res; i++)
		pn_resolve_only_dir(r->proc_root, spec->watch, res[i].path);

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_watches; i++) {
		if (strcmp(watch_key(r->watches[i]->watch), watch_key(spec->watch)) == 0) {
			old = r->watches[i];
			old_idx = i;
		}
	}
	if (old && mode == PN_REG_CREATE_ONLY) {
		pn_reg_error_set(err, PN_REG_FIELD_NAME, 0, "watch %s: already exists",
				 spec->watch->name);
		e = -EEXIST;
		old = NULL;
		goto unlock;
	}
	if (!old && mode == PN_REG_REPLACE_ONLY) {
		pn_reg_error_set(err, PN_REG_FIELD_NAME, 0, "watch %s: not found",
				 spec->watch->name);
		e = -ENOENT;
		goto unlock;
	}
	if (!old && r->max_watches && r->n_watches >= r->max_watches) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
				 "watch %s: the agent already has %zu watches, its limit "
				 "(--max-watches)",
				 spec->watch->name, r->n_watches);
		e = -ENOSPC;
		goto unlock;
	}
	if (!old) {
		v = realloc(r->watches, (r->n_watches + 1) * sizeof(*v));
		if (!v) {
			pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
					 "out of memory while installing watch %s",
					 spec->watch->name);
			e = -ENOMEM;
			goto unlock;
		}
		r->watches = v;
	}
	for (size_t i = 0; i < n_res; i++) {
		e = bind(r, rw, &res[i]);
		if (e) {
			unbind_watch(r, rw, &dead, &n_dead);
			sync_kernel(r, dead, n_dead, NULL);
			pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
					 "out of memory while installing watch %s",
					 spec->watch->name);
			goto unlock;
		}
	}
	/*
	 * The new watch's cgroups reach the kernel while the old one's are still
	 * there (no gap for a replaced watch); a refusal (the map is full) puts
	 * everything back as it was and the install fails.
	 */
	e = sync_kernel_room(r, err);
	if (e) {
		unbind_watch(r, rw, &dead, &n_dead);
		sync_kernel(r, dead, n_dead, NULL);
		e = e == -ENOMEM ? -ENOMEM : -ENOSPC;
		goto unlock;
	}
	if (old) {
		unbind_watch(r, old, &dead, &n_dead);
		r->watches[old_idx] = rw;
	} else {
		r->watches[r->n_watches++] = rw;
	}
	sync_kernel(r, dead, n_dead, NULL);
	unexclude_all(r);
	rebuild_snap(r);
	memset(spec, 0, sizeof(*spec));
	rw = NULL;
unlock:
	pthread_mutex_unlock(&r->lock);
	free(dead);
	free(res);
	/* failed: the caller keeps the spec */
	reg_watch_discard(rw);
	if (old && !e)
		reg_watch_put(old);
	return e;
}

int pn_registry_add(struct pn_registry *r, struct pn_watch_spec *spec, char *err, size_t errlen)
{
	struct pn_reg_error re = { 0 };
	int e = pn_registry_install(r, spec, PN_REG_UPSERT, &re);

	if (e && err && errlen)
		snprintf(err, errlen, "%s", re.msg);
	return e;
}

/* ------------------------------------------------------------ a set at once */

struct set_item {
	struct pn_resolved *res;
	size_t n_res;
	struct reg_watch *old; /* the installed watch of the same key, if any */
	struct reg_watch *rw;  /* the new one; NULL when old stays as it is */
};

/* Whether rw is bound to exactly the cgroups res stands for (duplicates allowed in res). */
static bool same_cgroups(struct pn_registry *r, const struct reg_watch *rw,
			 const struct pn_resolved *res, size_t n_res)
{
	size_t bound = 0, wanted = 0;

	for (size_t i = 0; i < r->n_cgroups; i++)
		for (size_t j = 0; j < r->cgroups[i]->n_bindings; j++)
			bound += r->cgroups[i]->bindings[j].rw == rw;
	for (size_t i = 0; i < n_res; i++) {
		const struct reg_cgroup *cg = find_cgroup(r, res[i].id, NULL);
		bool dup = false, has = false;

		for (size_t k = 0; k < i && !dup; k++)
			dup = res[k].id == res[i].id;
		if (dup)
			continue;
		wanted++;
		for (size_t j = 0; cg && j < cg->n_bindings && !has; j++)
			has = cg->bindings[j].rw == rw;
		if (!has)
			return false;
	}
	return bound == wanted;
}

static size_t index_of(struct pn_registry *r, const struct reg_watch *rw)
{
	for (size_t i = 0; i < r->n_watches; i++)
		if (r->watches[i] == rw)
			return i;
	return SIZE_MAX;
}

/* Called with the lock held: takes back every binding of the items' new watches. */
static void set_unbind(struct pn_registry *r, struct set_item *it, size_t n)
{
	struct reg_cgroup **dead = NULL;
	size_t n_dead = 0;

	for (size_t i = 0; i < n; i++)
		if (it[i].rw)
			unbind_watch(r, it[i].rw, &dead, &n_dead);
	sync_kernel(r, dead, n_dead, NULL);
	free(dead);
}

int pn_registry_replace_set(struct pn_registry *r, pn_reg_owned_fn owned, void *arg,
			    struct pn_watch_spec *specs, size_t n, struct pn_reg_set_result *out,
			    struct pn_reg_error *err)
{
	struct set_item *it = calloc(n + 1, sizeof(*it));
	struct reg_watch **v;
	struct reg_cgroup **dead = NULL;
	size_t n_dead = 0, added = 0, kept;
	int e = 0;

	*out = (struct pn_reg_set_result){ .failed = SIZE_MAX };
	if (!it) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(watch_key(specs[i].watch), watch_key(specs[j].watch)) == 0) {
				pn_reg_error_set(err, PN_REG_FIELD_NAME, 0,
						 "the name is given twice");
				out->failed = i;
				e = -EEXIST;
				goto free_items;
			}
	/* What reads cgroupfs and /proc is done before the lock, as for one install. */
	for (size_t i = 0; i < n; i++) {
		e = pn_resolve_targets(r->cgroup2_root, r->proc_root, &specs[i].targets, &it[i].res,
				       &it[i].n_res, err);
		if (e) {
			out->failed = i;
			goto free_items;
		}
		it[i].rw = reg_watch_new(&specs[i], fingerprint(&specs[i]));
		if (!it[i].rw) {
			pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory");
			out->failed = i;
			e = -ENOMEM;
			goto free_items;
		}
		for (size_t j = 0; j < it[i].n_res; j++)
			pn_resolve_only_dir(r->proc_root, specs[i].watch, it[i].res[j].path);
	}

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < r->n_watches && !it[i].old; j++)
			if (strcmp(watch_key(r->watches[j]->watch), watch_key(specs[i].watch)) == 0)
				it[i].old = r->watches[j];
		if (it[i].old && !owned(it[i].old->watch, arg)) {
			const struct pn_watch *w = it[i].old->watch;

			pn_reg_error_set(err, PN_REG_FIELD_NAME, 0,
					 "the name is taken by a watch installed by %s",
					 w->origin ? w->origin : "another source");
			out->failed = i;
			e = -EEXIST;
			goto unlock;
		}
		if (it[i].old && strcmp(it[i].old->fingerprint, it[i].rw->fingerprint) == 0 &&
		    same_cgroups(r, it[i].old, it[i].res, it[i].n_res)) {
			/* unchanged: the installed watch stays, counters, followed paths and all */
			reg_watch_discard(it[i].rw);
			it[i].rw = NULL;
			out->unchanged++;
		} else if (it[i].old) {
			out->replaced++;
		} else {
			added++;
		}
	}
	/* what the set leaves: every watch it does not own, and its own */
	kept = n;
	for (size_t j = 0; j < r->n_watches; j++)
		kept += !owned(r->watches[j]->watch, arg);
	if (added && r->max_watches && kept > r->max_watches) {
		pn_reg_error_set(err, PN_REG_FIELD_NONE, 0,
				 "these watches and the others make %zu, past the agent's limit "
				 "of %zu (--max-watches)",
				 kept, r->max_watches);
		e = -ENOSPC;
		goto unlock;
	}
	v = realloc(r->watches, (r->n_watches + added + 1) * sizeof(*v));
	if (!v) {
		e = -ENOMEM;
		goto nomem;
	}
	r->watches = v;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; it[i].rw && j < it[i].n_res; j++) {
			e = bind(r, it[i].rw, &it[i].res[j]);
			if (e) {
				set_unbind(r, it, n);
				goto nomem;
			}
		}
	/*
	 * Every new cgroup reaches the kernel while every old one is still
	 * there: a path both versions watch is never unwatched. A refusal (the
	 * map is full) puts it all back as it was.
	 */
	e = sync_kernel_room(r, err);
	if (e) {
		set_unbind(r, it, n);
		e = e == -ENOMEM ? -ENOMEM : -ENOSPC;
		goto unlock;
	}

	/*
	 * Nothing can fail from here on. Replaced and removed watches lose the
	 * registry's reference under the lock, as one removal does: the
	 * snapshot the consumer may still be matching on holds its own.
	 */
	for (size_t j = 0; j < r->n_watches; j++) {
		struct reg_watch *rw = r->watches[j];
		bool listed = false;

		for (size_t i = 0; i < n && !listed; i++)
			listed = it[i].old == rw;
		if (!listed && owned(rw->watch, arg))
			out->removed++;
	}
	for (size_t i = 0; i < n; i++) {
		if (!it[i].rw)
			continue;
		if (it[i].old) {
			unbind_watch(r, it[i].old, &dead, &n_dead);
			r->watches[index_of(r, it[i].old)] = it[i].rw;
			reg_watch_put(it[i].old);
		} else {
			r->watches[r->n_watches++] = it[i].rw;
			out->added++;
		}
	}
	for (size_t j = 0; j < r->n_watches;) {
		struct reg_watch *rw = r->watches[j];
		bool listed = false;

		for (size_t i = 0; i < n && !listed; i++)
			listed = it[i].rw == rw || (!it[i].rw && it[i].old == rw);
		if (listed || !owned(rw->watch, arg)) {
			j++;
			continue;
		}
		unbind_watch(r, rw, &dead, &n_dead);
		r->watches[j] = r->watches[--r->n_watches];
		reg_watch_put(rw);
	}
	sync_kernel(r, dead, n_dead, NULL);
	unexclude_all(r);
	/* one snapshot for all of it: the consumer sees the old set or the new one */
	rebuild_snap(r);
	for (size_t i = 0; i < n; i++) {
		if (it[i].rw) {
			it[i].rw = NULL; /* the registry's now */
		} else {
			pn_watch_free(specs[i].watch);
			pn_targets_clear(&specs[i].targets);
		}
		memset(&specs[i], 0, sizeof(specs[i]));
	}
	goto unlock;
nomem:
	pn_reg_error_set(err, PN_REG_FIELD_NONE, 0, "out of memory while installing the watches");
unlock:
	pthread_mutex_unlock(&r->lock);
	free(dead);
	if (e)
		*out = (struct pn_reg_set_result){ .failed = out->failed };
free_items:
	for (size_t i = 0; i < n; i++) {
		reg_watch_discard(it[i].rw);
		free(it[i].res);
	}
	free(it);
	return e;
}

/* Called with the lock held; the caller publishes the change (rebuild_snap). */
static void remove_watch_at(struct pn_registry *r, size_t idx)
{
	struct reg_watch *rw = r->watches[idx];
	struct reg_cgroup **dead = NULL;
	size_t n_dead = 0;

	unbind_watch(r, rw, &dead, &n_dead);
	r->watches[idx] = r->watches[--r->n_watches];
	sync_kernel(r, dead, n_dead, NULL);
	free(dead);
	reg_watch_put(rw); /* the published snapshot keeps it until it is replaced */
}

int pn_registry_remove(struct pn_registry *r, const char *key)
{
	int e = -ENOENT;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_watches; i++) {
		if (strcmp(watch_key(r->watches[i]->watch), key) == 0) {
			remove_watch_at(r, i);
			unexclude_all(r);
			rebuild_snap(r);
			e = 0;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return e;
}

struct dispatch_ctx {
	struct pn_registry *r;
	size_t delivered; /* matches handed to fn: what a selector admitted */
	pn_reg_match_fn fn;
	void *arg;
	const char *container;
	struct reg_watch *rw;
	/* matches held back while the lock is taken (followMove), emitted after */
	struct held_match {
		struct pn_match m;
		const char *container;
		struct reg_watch *rw;
	} * held;
	size_t n_held, cap_held;
	bool hold;
};

static void count_match(struct reg_watch *rw, const struct pn_match *m)
{
	unsigned slot = __builtin_ctz(m->event | (1u << PN_EVENT_KINDS));

	/* one writer (the consumer): a relaxed load and store, read by any thread */
	if (slot < PN_EVENT_KINDS)
		__atomic_store_n(&rw->counts[slot],
				 __atomic_load_n(&rw->counts[slot], __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELAXED);
}

/*
 * A match, counted and handed on if the watch's selector admits it: asked
 * per match, so what a selector refuses or cannot decide is what the
 * watch's subjects wanted, and never under the registry lock (the admit
 * hook may wait for the container runtime).
 */
static void deliver(struct dispatch_ctx *d, const struct pn_event *ev, const struct pn_match *m,
		    const char *container, struct reg_watch *rw)
{
	struct pn_registry *r = d->r;

	if (rw->watch->selector && !(r->admit && r->admit(r->admit_arg, ev, rw->watch)))
		return;
	d->delivered++;
	count_match(rw, m);
	d->fn(ev, m, container, d->arg);
}

static void dispatch_one(const struct pn_event *ev, const struct pn_match *m, void *arg)
{
	struct dispatch_ctx *d = arg;

	if (d->hold) {
		if (d->n_held == d->cap_held) {
			size_t n = d->cap_held ? d->cap_held * 2 : 8;
			struct held_match *v = realloc(d->held, n * sizeof(*v));

			if (!v)
				return; /* the consumer counts matched = written + dropped */
			d->held = v;
			d->cap_held = n;
		}
		d->held[d->n_held++] = (struct held_match){ *m, d->container, d->rw };
		return;
	}
	deliver(d, ev, m, d->container, d->rw);
}

/*
 * Matching reads a watch's subjects with no lock: only this thread changes
 * them, and only followMove does, when a move renames a subject path. Such
 * a match runs under the registry lock so that views (ListWatches) never
 * see a path being replaced; its events are formatted and published after
 * the lock is dropped, like every other.
 */
void pn_registry_set_admit(struct pn_registry *r, pn_reg_admit_fn fn, void *arg)
{
	r->admit = fn;
	r->admit_arg = arg;
}

static size_t dispatch_watch(struct pn_registry *r, const struct snap_binding *b,
			     const struct pn_event *ev, struct dispatch_ctx *d)
{
	size_t n;

	d->container = b->container;
	d->rw = b->rw;
	if (!b->rw->follow_move || !ev->old_path)
		return pn_watch_match(b->rw->watch, ev, dispatch_one, d);
	d->hold = true;
	d->n_held = 0;
	pthread_mutex_lock(&r->lock);
	n = pn_watch_match(b->rw->watch, ev, dispatch_one, d);
	pthread_mutex_unlock(&r->lock);
	d->hold = false;
	for (size_t i = 0; i < d->n_held; i++)
		deliver(d, ev, &d->held[i].m, d->held[i].container, d->held[i].rw);
	return n;
}

static const struct snap_cgroup *snap_find(const struct reg_snap *s, uint64_t id)
{
	size_t lo = 0, hi = s->n_cgroups;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->cgroups[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_cgroups && s->cgroups[lo].id == id ? &s->cgroups[lo] : NULL;
}

void pn_registry_set_decide(struct pn_registry *r, pn_reg_decide_fn fn, void *arg)
{
	r->decide = fn;
	r->decide_arg = arg;
}

/*
 * An event no watch took, from a cgroup that only selector watches cover:
 * if each of them refuses its container, nothing of that cgroup can be
 * reported until the watches change, and a container's names never change.
 * So the kernel is told to stop there, at its cgroup gate: an entry of its
 * own with no ops, found before any ancestor's, gates every operation
 * before a record is built (counted as gated), and adds no level to the
 * ancestor walk every task pays. Decided against snapshot s: if the watches
 * changed meanwhile (s is no longer the published one), the next event
 * decides again.
 */
static void exclude_refused(struct pn_registry *r, struct reg_snap *s, const struct snap_cgroup *sc,
			    uint64_t cgroup_id)
{
	size_t pos;
	uint64_t *v;

	for (size_t i = 0; i < sc->n; i++)
		if (!s->bindings[sc->first + i].rw->watch->selector)
			return;
	for (size_t i = 0; i < sc->n; i++)
		if (r->decide(r->decide_arg, cgroup_id, s->bindings[sc->first + i].rw->watch) !=
		    PN_REG_REFUSED)
			return;
	pthread_mutex_lock(&r->lock);
	pos = excluded_pos(r, cgroup_id);
	if (r->snap != s || r->snap_stale || find_cgroup(r, cgroup_id, NULL) ||
	    (pos < r->n_excluded && r->excluded[pos] == cgroup_id) ||
	    r->n_excluded >= PN_REG_MAX_EXCLUDED)
		goto unlock;
	v = realloc(r->excluded, (r->n_excluded + 1) * sizeof(*v));
	if (!v)
		goto unlock;
	r->excluded = v;
	/* refused (the map is full): the cgroup pays for its records, and nothing is lost */
	if (r->sink.watch(r->sink.ctx, cgroup_id, 0))
		goto unlock;
	memmove(&v[pos + 1], &v[pos], (r->n_excluded - pos) * sizeof(*v));
	v[pos] = cgroup_id;
	r->n_excluded++;
	atomic_fetch_add_explicit(&r->exclusions, 1, memory_order_relaxed);
unlock:
	pthread_mutex_unlock(&r->lock);
}

size_t pn_registry_dispatch(struct pn_registry *r, const struct pn_event *ev, pn_reg_match_fn fn,
			    void *arg)
{
	struct dispatch_ctx d = { .r = r, .fn = fn, .arg = arg };
	struct reg_snap *s = snap_get(r);
	const struct snap_cgroup *sc = s ? snap_find(s, ev->watch_cgroup_id) : NULL;

	for (size_t i = 0; sc && i < sc->n; i++)
		dispatch_watch(r, &s->bindings[sc->first + i], ev, &d);
	if (sc && !d.delivered && r->decide && ev->cgroup_id != ev->watch_cgroup_id)
		exclude_refused(r, s, sc, ev->cgroup_id);
	free(d.held);
	snap_put(s);
	return d.delivered;
}

void pn_registry_forget(struct pn_registry *r, uint64_t cgroup_id)
{
	size_t pos;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	pos = excluded_pos(r, cgroup_id);
	if (pos < r->n_excluded && r->excluded[pos] == cgroup_id) {
		r->sink.unwatch(r->sink.ctx, cgroup_id);
		memmove(&r->excluded[pos], &r->excluded[pos + 1],
			(r->n_excluded - pos - 1) * sizeof(*r->excluded));
		r->n_excluded--;
	}
	pthread_mutex_unlock(&r->lock);
}

void pn_registry_exclusions(struct pn_registry *r, size_t *now, uint64_t *made)
{
	pthread_mutex_lock(&r->lock);
	*now = r->n_excluded;
	pthread_mutex_unlock(&r->lock);
	*made = atomic_load_explicit(&r->exclusions, memory_order_relaxed);
}

int pn_registry_prune(struct pn_registry *r)
{
	int removed = 0, gone = 0;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_cgroups;) {
		struct reg_cgroup *cg = r->cgroups[i];
		struct stat st;

		if (stat(cg->path, &st) == 0) {
			i++;
			continue;
		}
		/*
		 * Its last task submitted its records before it exited, so before
		 * this stat; they may still wait in the ring buffer, and dispatch
		 * finds their watches (this cgroup's and its watched ancestors')
		 * through this entry. The consumer drains the ring buffer before
		 * the next prune: remove it then.
		 */
		if (!cg->gone) {
			cg->gone = true;
			i++;
			continue;
		}
		for (size_t j = 0; j < cg->n_bindings; j++)
			pn_info("watch %s: cgroup %s is gone (container or process exited); no "
				"longer watched",
				cg->bindings[j].rw->watch->name, cg->path);
		memmove(&r->cgroups[i], &r->cgroups[i + 1],
			(r->n_cgroups - i - 1) * sizeof(*r->cgroups));
		r->n_cgroups--;
		unlink_cgroup(r, cg);
		sync_kernel(r, &cg, 1, NULL);
		removed++;
	}
	/* Watches left without any cgroup are over. */
	for (size_t i = 0; i < r->n_watches;) {
		struct reg_watch *rw = r->watches[i];
		bool bound = false;

		for (size_t j = 0; j < r->n_cgroups && !bound; j++)
			for (size_t k = 0; k < r->cgroups[j]->n_bindings && !bound; k++)
				bound = r->cgroups[j]->bindings[k].rw == rw;
		if (!bound) {
			pn_info("watch %s: removed (none of its targets exist any more)",
				rw->watch->name);
			remove_watch_at(r, i);
			gone++;
			continue;
		}
		i++;
	}
	/* the snapshot holds no cgroup of the registry's: one rebuild for all of it */
	if (removed || gone)
		rebuild_snap(r);
	pthread_mutex_unlock(&r->lock);
	return removed;
}

/* The consumer counts on with no lock: readers take each counter whole. */
static void counts_load(const struct reg_watch *rw, uint64_t *counts)
{
	for (size_t i = 0; i < PN_EVENT_KINDS; i++)
		counts[i] = __atomic_load_n(&rw->counts[i], __ATOMIC_RELAXED);
}

void pn_registry_foreach_watch(struct pn_registry *r,
			       void (*fn)(const char *name, const uint64_t *counts, void *arg),
			       void *arg)
{
	uint64_t counts[PN_EVENT_KINDS];

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_watches; i++) {
		counts_load(r->watches[i], counts);
		fn(r->watches[i]->watch->name, counts, arg);
	}
	pthread_mutex_unlock(&r->lock);
}

size_t pn_registry_watch_count(struct pn_registry *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->n_watches;
	pthread_mutex_unlock(&r->lock);
	return n;
}

bool pn_registry_has_cgroup(struct pn_registry *r, uint64_t id)
{
	bool has;

	pthread_mutex_lock(&r->lock);
	has = find_cgroup(r, id, NULL) != NULL;
	pthread_mutex_unlock(&r->lock);
	return has;
}

size_t pn_registry_cgroup_count(struct pn_registry *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->n_cgroups;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void pn_registry_foreach_view(struct pn_registry *r,
			      void (*fn)(const struct pn_watch_view *v, void *arg), void *arg)
{
	struct pn_watch_binding *b = NULL;
	uint64_t counts[PN_EVENT_KINDS];

	pthread_mutex_lock(&r->lock);
	if (r->n_cgroups)
		b = calloc(r->n_cgroups, sizeof(*b));
	for (size_t i = 0; i < r->n_watches; i++) {
		struct reg_watch *rw = r->watches[i];
		struct pn_watch_view v = {
			.watch = rw->watch,
			.targets = &rw->targets,
			.bindings = b,
			.counts = counts,
		};

		counts_load(rw, counts);
		/* a watch has at most one binding per cgroup */
		for (size_t j = 0; b && j < r->n_cgroups; j++) {
			struct reg_cgroup *cg = r->cgroups[j];

			for (size_t k = 0; k < cg->n_bindings; k++) {
				if (cg->bindings[k].rw != rw)
					continue;
				b[v.n_bindings++] = (struct pn_watch_binding){
					.cgroup_id = cg->id,
					.path = cg->path,
					.container = cg->bindings[k].container,
				};
			}
		}
		fn(&v, arg);
	}
	pthread_mutex_unlock(&r->lock);
	free(b);
}

int pn_registry_pid_in(struct pn_registry *r, uint64_t cgroup_id, int exclude)
{
	char path[PATH_MAX] = "";
	struct reg_cgroup *cg;

	pthread_mutex_lock(&r->lock);
	cg = find_cgroup(r, cgroup_id, NULL);
	if (cg)
		snprintf(path, sizeof(path), "%s", cg->path);
	pthread_mutex_unlock(&r->lock);
	/* cgroupfs is read outside the lock: the consumer must not hold it up */
	return path[0] ? pn_resolve_first_pid(path, 3, exclude) : 0;
}
