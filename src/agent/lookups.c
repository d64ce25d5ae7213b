// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* AT_EMPTY_PATH */
#include "lookups.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "names.h"

enum worker_state {
	W_IDLE,	 /* waits for a request */
	W_BUSY,	 /* looking up */
	W_DONE,	 /* answered; the consumer reads res */
	W_ENDED, /* the thread returned: join it */
};

struct pn_lookup_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC: the consumer's deadline */
	enum worker_state state;
	bool abandoned; /* the consumer stopped waiting: end after this lookup */
	bool orphan;	/* nobody will join: free yourself at the end */
	bool quit;
	bool own_kept;	       /* names has the agent's own root (the first request's proc_root) */
	struct pn_names names; /* this thread's only */
	struct pn_lookup job;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---------------------------------------------------------------- on the worker thread */

static int inode_flags(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return PN_REC_ISDIR;
	return S_ISREG(st->st_mode) && st->st_nlink > 1 ? PN_REC_MULTILINK : 0;
}

/* inode_flags() of `path` through `pid`, or -1: nothing to see through it. */
static int inode_flags_as(struct pn_names *n, const char *proc_root, int pid, uint64_t cgroup_id,
			  const char *path)
{
	const char *last;
	struct stat st;
	int fd = pn_names_open_parent(n, proc_root, pid, cgroup_id, path, &last), r;

	if (fd < 0)
		return fd == -ESRCH ? -1 : 0;
	r = fstatat(fd, last, &st, AT_SYMLINK_NOFOLLOW | (*last ? 0 : AT_EMPTY_PATH));
	close(fd);
	return r ? 0 : inode_flags(&st);
}

/*
 * Another process of the watched cgroup, from the registry: asked under
 * the worker's lock and only while the consumer still waits. An abandoned
 * worker may return long after, when the agent is stopping and the
 * registry is gone; cgroupfs (pn_registry_pid_in) never blocks for long.
 */
static int sibling(struct pn_lookup_worker *w)
{
	const struct pn_lookup_req *q = &w->job.req;
	int pid = 0;

	pthread_mutex_lock(&w->lock);
	if (!w->abandoned)
		pid = pn_registry_pid_in(q->registry, q->watch_cgroup_id, q->tgid);
	pthread_mutex_unlock(&w->lock);
	return pid;
}

/*
 * What the kernel could not see of a name: file or directory, and other
 * hard links. A short-lived process (chmod, mv) has often exited by now (a
 * zombie's root is unreadable too): then asked through another process of
 * the watched cgroup, which sees the same filesystem. Gone: a file with
 * one link.
 */
static int resolve_inode(struct pn_lookup_worker *w)
{
	struct pn_names *n = &w->names;
	const struct pn_lookup_req *q = &w->job.req;
	int flags = inode_flags_as(n, q->proc_root, q->tgid, q->cgroup_id, q->inode_path), pid;

	if (flags >= 0)
		return flags;
	pid = sibling(w);
	flags = pid > 0 ? inode_flags_as(n, q->proc_root, pid, q->watch_cgroup_id, q->inode_path) :
			  0;
	return flags < 0 ? 0 : flags;
}

/*
 * A name the process passed as text, into dst as its kernel resolved it:
 * through the process; once it has exited, in the root it had (the
 * record's root_id) if that is kept, else through another process of the
 * watched cgroup. `st` (may be NULL): the object's stat, from the same
 * lookup.
 */
static int resolve_name(struct pn_lookup_worker *w, const char *text, bool follow, char *dst,
			struct stat *st)
{
	struct pn_names *n = &w->names;
	const struct pn_lookup_req *q = &w->job.req;
	int e = pn_names_resolve(n, q->proc_root, q->tgid, q->cgroup_id, text, follow, dst,
				 PN_PATH_MAX, st);
	int pid;

	if (!e)
		pn_names_keep(n, q->root_id);
	if (e != -ESRCH)
		return e;
	e = pn_names_resolve_kept(n, q->root_id, text, follow, dst, PN_PATH_MAX, st);
	if (e != -ESRCH)
		return e;
	pid = sibling(w);
	if (pid <= 0)
		return -ESRCH;
	return pn_names_resolve(n, q->proc_root, pid, q->watch_cgroup_id, text, follow, dst,
				PN_PATH_MAX, st);
}

static void run(struct pn_lookup_worker *w)
{
	const struct pn_lookup_req *q = &w->job.req;
	struct pn_lookup_res *r = &w->job.res;
	bool inode = q->inode;
	struct stat st;

	w->names.links_since_ns = q->links_since_ns;
	r->e = r->old_e = -ENOENT;
	r->inode_flags = 0;
	if (q->name) {
		r->e = resolve_name(w, q->text, q->follow, r->real, inode ? &st : NULL);
		/* the lookup that resolved the name saw the object: one lookup, not two */
		if (!r->e && inode) {
			r->inode_flags = st.st_mode ? inode_flags(&st) : 0;
			inode = false;
		}
	}
	if (q->old)
		r->old_e = resolve_name(w, q->old_text, false, r->real_old, NULL);
	if (inode)
		r->inode_flags = resolve_inode(w);
}

/* What a worker holds, freed: by the consumer, or by the worker itself when orphaned. */
static void worker_destroy(struct pn_lookup_worker *w)
{
	pn_names_reset(&w->names);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void *worker_main(void *arg)
{
	struct pn_lookup_worker *w = arg;
	bool orphan;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->state != W_BUSY && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		pthread_mutex_unlock(&w->lock);
		if (!w->own_kept) {
			/* without it, names of the agent's own namespace are looked up like any other */
			(void)pn_names_keep_own(&w->names, w->job.req.proc_root);
			w->own_kept = true;
		}
		run(w);
		pthread_mutex_lock(&w->lock);
		if (w->abandoned)
			break;
		w->state = W_DONE;
		pthread_cond_signal(&w->cond);
	}
	w->state = W_ENDED;
	orphan = w->orphan;
	pthread_mutex_unlock(&w->lock);
	if (orphan)
		worker_destroy(w);
	return NULL;
}

/* ---------------------------------------------------------------- on the consumer thread */

static void worker_free(struct pn_lookup_worker *w)
{
	pthread_join(w->thread, NULL);
	worker_destroy(w);
}

/* A stuck worker let go: freed now if it has returned, else by itself when it does. */
static void release(struct pn_lookup_worker *w)
{
	bool ended;

	pthread_mutex_lock(&w->lock);
	ended = w->state == W_ENDED;
	w->orphan = !ended;
	pthread_mutex_unlock(&w->lock);
	if (ended)
		worker_free(w);
	else
		pthread_detach(w->thread);
}

static struct pn_lookup_worker *worker_start(void)
{
	struct pn_lookup_worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	sigset_t all, old;
	int err;

	if (!w)
		return NULL;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->lock, NULL);
	/* signals are the main thread's (signalfd): the worker never takes one */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		worker_destroy(w);
		return NULL;
	}
	return w;
}

/* Joins the stuck workers that have returned; the number still stuck. */
static unsigned reap(struct pn_lookups *l)
{
	unsigned n = 0;

	for (size_t i = 0; i < PN_LOOKUPS_STUCK; i++) {
		struct pn_lookup_worker *w = l->stuck[i];
		bool ended;

		if (!w)
			continue;
		pthread_mutex_lock(&w->lock);
		ended = w->state == W_ENDED;
		pthread_mutex_unlock(&w->lock);
		if (ended) {
			worker_free(w);
			l->stuck[i] = NULL;
		} else {
			n++;
		}
	}
	return n;
}

void pn_lookups_init(struct pn_lookups *l, unsigned timeout_ms)
{
	memset(l, 0, sizeof(*l));
	l->timeout_ms = timeout_ms;
	l->allowance_ns = PN_LOOKUPS_ALLOWANCE_MS * 1000000LL;
	l->refilled_ns = now_ns();
}

static void count(_Atomic uint64_t *v)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

struct pn_lookup *pn_lookups_begin(struct pn_lookups *l)
{
	const int64_t cap = PN_LOOKUPS_ALLOWANCE_MS * 1000000LL;
	int64_t now = now_ns();
	/* stuck ones that returned are joined at once: their threads are gone then */
	unsigned stuck = reap(l);

	/* refilled at PN_LOOKUPS_ALLOWANCE_MS per second, held up to that */
	l->allowance_ns += (now - l->refilled_ns) * PN_LOOKUPS_ALLOWANCE_MS / 1000;
	if (l->allowance_ns > cap)
		l->allowance_ns = cap;
	l->refilled_ns = now;
	if (l->allowance_ns <= 0 || (!l->cur && stuck >= PN_LOOKUPS_STUCK)) {
		count(&l->skipped);
		return NULL;
	}
	if (!l->cur) {
		l->cur = worker_start();
		if (!l->cur) {
			count(&l->skipped);
			return NULL;
		}
	}
	return &l->cur->job;
}

static void abandon(struct pn_lookups *l, struct pn_lookup_worker *w)
{
	for (size_t i = 0; i < PN_LOOKUPS_STUCK; i++)
		if (!l->stuck[i]) {
			l->stuck[i] = w;
			return;
		}
	/* cannot happen: a worker starts only when fewer are stuck (begin) */
	release(w);
}

int pn_lookups_wait(struct pn_lookups *l)
{
	struct pn_lookup_worker *w = l->cur;
	int64_t start = now_ns(), spent;
	struct timespec deadline;
	int64_t end = start + (int64_t)l->timeout_ms * 1000000LL;
	bool done;

	deadline.tv_sec = end / 1000000000LL;
	deadline.tv_nsec = end % 1000000000LL;
	pthread_mutex_lock(&w->lock);
	w->state = W_BUSY;
	pthread_cond_signal(&w->cond);
	while (w->state == W_BUSY)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == ETIMEDOUT)
			break;
	done = w->state == W_DONE;
	if (done)
		w->state = W_IDLE;
	else
		w->abandoned = true;
	pthread_mutex_unlock(&w->lock);
	spent = now_ns() - start - PN_LOOKUPS_SLOW_MS * 1000000LL;
	if (spent > 0)
		l->allowance_ns -= spent;
	if (done)
		return 0;
	l->cur = NULL;
	abandon(l, w);
	count(&l->timed_out);
	return -ETIMEDOUT;
}

void pn_lookups_stop(struct pn_lookups *l)
{
	if (!l)
		return;
	if (l->cur) {
		pthread_mutex_lock(&l->cur->lock);
		l->cur->quit = true;
		pthread_cond_signal(&l->cur->cond);
		pthread_mutex_unlock(&l->cur->lock);
		worker_free(l->cur);
		l->cur = NULL;
	}
	for (size_t i = 0; i < PN_LOOKUPS_STUCK; i++) {
		if (l->stuck[i])
			release(l->stuck[i]);
		l->stuck[i] = NULL;
	}
}
