// SPDX-License-Identifier: GPL-2.0-only
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authz.h"
#include "convert.h"
#include "errmsg.h"
#include "fileio.h"
#include "log.h"
#include "panoptes/state/v1/state.pb-c.h"
#include "text.h"

#define STATE_FILE "watches.pb"
/* far beyond --max-watches of the largest watches: a bigger file is not ours */
#define STATE_MAX_BYTES (256u << 20)

struct pn_state {
	pthread_mutex_t lock; /* one writer at a time: each writes what it walked */
	int dirfd;	      /* flock'ed */
	char dir[4096];
	bool restoring; /* the installs of a restore write once, at its end */
};

int pn_state_open(struct pn_state **out, const char *dir, char *err, size_t errlen)
{
	struct pn_state *s;
	int e;

	*out = NULL;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		e = -errno;
		snprintf(err, errlen, "--state-dir %s: %s", dir, strerror(-e));
		return e;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	pthread_mutex_init(&s->lock, NULL);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		e = -errno;
		snprintf(err, errlen, "--state-dir %s: %s", dir, strerror(-e));
		goto fail;
	}
	if (flock(s->dirfd, LOCK_EX | LOCK_NB)) {
		e = -EBUSY;
		snprintf(err, errlen,
			 "--state-dir %s: in use by another running panoptesd; give each agent its "
			 "own directory",
			 dir);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	pn_state_close(s);
	return e;
}

void pn_state_close(struct pn_state *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static Panoptes__State__V1__Api api_of(enum pn_watch_api api)
{
	return api == PN_WATCH_ARGUS ? PANOPTES__STATE__V1__API__API_ARGUS :
				       PANOPTES__STATE__V1__API__API_NATIVE;
}

struct save_walk {
	char *buf;
	size_t len, cap;
	int err;
	size_t n;
};

/*
 * Each watch is packed as a Watches message of one entry: repeated fields
 * concatenate, so the file is the bytes of one Watches holding them all,
 * built while the views are valid, with no copy of their strings.
 */
static void save_one(const struct pn_watch_view *v, void *arg)
{
	struct save_walk *w = arg;
	const struct pn_watch *pw = v->watch;
	Panoptes__State__V1__StoredWatch sw = PANOPTES__STATE__V1__STORED_WATCH__INIT;
	Panoptes__State__V1__StoredWatch *one = &sw;
	Panoptes__State__V1__Watches ws = PANOPTES__STATE__V1__WATCHES__INIT;
	Panoptes__V1__WatchInfo *info;
	size_t n;

	if (w->err || pw->api == PN_WATCH_OPERATOR)
		return;
	info = pn_api_watch_info_new(v);
	if (!info) {
		w->err = -ENOMEM;
		return;
	}
	sw.watch = info->watch;
	sw.name = pw->name;
	sw.key = pw->key ? pw->key : "";
	sw.api = api_of(pw->api);
	sw.origin = pw->origin ? pw->origin : "";
	sw.owner = pw->owner ? pw->owner : "";
	ws.n_watches = 1;
	ws.watches = &one;
	n = panoptes__state__v1__watches__get_packed_size(&ws);
	if (w->len + n > w->cap) {
		size_t cap = (w->len + n) * 2;
		char *b = realloc(w->buf, cap);

		if (!b) {
			w->err = -ENOMEM;
			goto out;
		}
		w->buf = b;
		w->cap = cap;
	}
	w->len += panoptes__state__v1__watches__pack(&ws, (uint8_t *)w->buf + w->len);
	w->n++;
out:
	protobuf_c_message_free_unpacked(&info->base, NULL);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * No fsync: the file is to survive the agent (a crash, an upgrade), which
 * rename makes safe; a power loss takes the node's containers, and with them
 * what the watches were for.
 */
static int replace_locked(struct pn_state *s, const char *name, const void *buf, size_t len)
{
	char tmp[256];
	int fd, e;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	e = write_all(fd, buf, len);
	if (close(fd) && !e)
		e = -errno;
	if (!e && renameat(s->dirfd, tmp, s->dirfd, name))
		e = -errno;
	return e;
}

int pn_state_replace(struct pn_state *s, const char *name, const void *buf, size_t len)
{
	int e;

	pthread_mutex_lock(&s->lock);
	e = replace_locked(s, name, buf, len);
	pthread_mutex_unlock(&s->lock);
	return e;
}

const char *pn_state_dir(const struct pn_state *s)
{
	return s->dir;
}

int pn_state_set_aside(struct pn_state *s, const char *name)
{
	char bad[256];

	snprintf(bad, sizeof(bad), "%s.bad", name);
	return renameat(s->dirfd, name, s->dirfd, bad) ? -errno : 0;
}

int pn_state_save(struct pn_state *s, const struct pn_agent_view *agent)
{
	struct save_walk w = { 0 };
	int e;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->restoring) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	agent->foreach_watch(agent->ctx, save_one, &w);
	e = w.err;
	if (!e)
		e = replace_locked(s, STATE_FILE, w.buf, w.len);
	if (e)
		pn_warn("--state-dir %s: cannot write %s: %s (the watches created over gRPC will "
			"not survive a restart)",
			s->dir, STATE_FILE, strerror(-e));
	pthread_mutex_unlock(&s->lock);
	free(w.buf);
	return e;
}

static enum pn_watch_api api_from(Panoptes__State__V1__Api api)
{
	return api == PANOPTES__STATE__V1__API__API_ARGUS ? PN_WATCH_ARGUS : PN_WATCH_NATIVE;
}

static int set_str(char **dst, const char *src)
{
	char *d = src && src[0] ? strdup(src) : NULL;

	if (src && src[0] && !d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/*
 * A stored watch as a spec, through the native mapping (which checks it all
 * again: the file is input too), then given back what the mapping does not
 * carry: its own name, key, API, origin and owner.
 */
static int restore_spec(const Panoptes__State__V1__StoredWatch *sw, struct pn_watch_spec *spec,
			char *err, size_t errlen)
{
	Panoptes__V1__Watch copy;
	struct pn_watch *w;
	int e;

	if (!sw->watch || !sw->name[0])
		return pn_errf(err, errlen, -EINVAL, "a watch without a name");
	if (pn_text_check_field("name", sw->name, err, errlen) ||
	    pn_text_check_field("key", sw->key, err, errlen) ||
	    pn_text_check_field("owner", sw->owner, err, errlen) ||
	    pn_text_check_field("origin", sw->origin, err, errlen))
		return -EINVAL;
	copy = *sw->watch;
	copy.name = "restored"; /* the native name rules are not argus' */
	e = pn_api_watch_to_spec(&copy, spec, err, errlen);
	if (e)
		return e;
	w = spec->watch;
	w->api = api_from(sw->api);
	e = set_str(&w->name, sw->name);
	if (!e)
		e = set_str(&w->key, sw->key);
	if (!e)
		e = set_str(&w->owner, sw->owner);
	if (!e)
		e = set_str(&w->origin, sw->origin[0] ? sw->origin : "api");
	if (e) {
		pn_watch_free(spec->watch);
		pn_targets_clear(&spec->targets);
		memset(spec, 0, sizeof(*spec));
		return pn_errf(err, errlen, e, "out of memory");
	}
	return 0;
}

size_t pn_state_restore(struct pn_state *s, const struct pn_agent_view *agent)
{
	Panoptes__State__V1__Watches *ws;
	char path[sizeof(s->dir) + sizeof(STATE_FILE) + 1];
	char *buf = NULL, err[sizeof(((struct pn_reg_error *)0)->msg) + 64];
	size_t len = 0, n = 0, failed = 0;
	int e;

	snprintf(path, sizeof(path), "%s/%s", s->dir, STATE_FILE);
	e = pn_read_file(path, STATE_MAX_BYTES, &buf, &len);
	if (e == -ENOENT)
		return 0;
	if (e) {
		pn_warn("%s: cannot read it (%s): the watches created over gRPC before the restart "
			"are not restored",
			path, strerror(-e));
		return 0;
	}
	ws = panoptes__state__v1__watches__unpack(NULL, len, (const uint8_t *)buf);
	free(buf);
	if (!ws) {
		/* kept for whoever wants to know what it was; the next change writes a new one */
		pn_state_set_aside(s, STATE_FILE);
		pn_warn("%s: not a watch state file (%zu bytes that do not decode): the watches "
			"created over gRPC before the restart are not restored; it is kept as %s.bad",
			path, len, STATE_FILE);
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	s->restoring = true;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < ws->n_watches; i++) {
		const Panoptes__State__V1__StoredWatch *sw = ws->watches[i];
		struct pn_reg_error re = { 0 };
		struct pn_text_fault fault;
		struct pn_watch_spec spec;

		e = restore_spec(sw, &spec, err, sizeof(err));
		/* the operator may have narrowed --api-cgroup-root since */
		if (!e && agent->resolve) {
			e = pn_authz_may_bind(agent, &spec.targets, err, sizeof(err));
			if (e) {
				pn_watch_free(spec.watch);
				pn_targets_clear(&spec.targets);
			}
		}
		if (!e) {
			e = agent->install(agent->ctx, &spec, PN_REG_CREATE_ONLY, &re);
			if (e) {
				snprintf(err, sizeof(err), "%s",
					 e == -EEXIST ? "a watch of that name or key exists (flags "
							"or a policy file)" :
							re.msg);
				pn_watch_free(spec.watch);
				pn_targets_clear(&spec.targets);
			}
		}
		if (e) {
			pn_warn("%s: watch %zu (%s) not restored: %s", path, i,
				pn_text_check(sw->name, &fault) ? "?" : sw->name, err);
			failed++;
			continue;
		}
		n++;
	}
	panoptes__state__v1__watches__free_unpacked(ws, NULL);
	pthread_mutex_lock(&s->lock);
	s->restoring = false;
	pthread_mutex_unlock(&s->lock);
	pn_info("%s: restored %zu watch(es) created over gRPC before the restart%s", path, n,
		failed ? " (the others are said above and dropped)" : "");
	pn_state_save(s, agent);
	return n;
}

int pn_state_remove(const char *dir)
{
	/* the API's watches and guards (guard_state.c); containers.pb is the lifecycle's */
	static const char *const files[] = { STATE_FILE, PN_STATE_GUARDS_FILE };
	char path[4096 + 64];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) && errno != ENOENT)
			return -errno;
	}
	return 0;
}
