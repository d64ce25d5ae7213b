// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* open_by_handle_at */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * The kernfs file handle type: 8 bytes, the cgroup id (include/linux/exportfs.h;
 * since 5.5, "kernfs: use 64bit inodes", older than any kernel panoptes runs on).
 */
#define PN_FILEID_KERNFS 0xfe

struct slot {
	uint64_t id; /* 0 = empty: no cgroup has id 0 */
	bool asking; /* the runtime said -EAGAIN (or was not asked yet): ask on the next event */
	uint64_t gone_ns; /* when the kernel said the cgroup was removed; 0 while it lives */
	struct pn_identity ident;
};

struct pn_identity_cache {
	int mount_fd;
	bool warned;
	unsigned int used;
	pn_identity_runtime_fn runtime;
	void *runtime_arg;
	struct pn_identity none;
	struct slot slots[PN_IDENTITY_SLOTS];
};

int pn_identity_cache_new(const char *cgroup2_root, struct pn_identity_cache **out)
{
	struct pn_identity_cache *c;
	int err;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->mount_fd = open(cgroup2_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->mount_fd < 0) {
		err = -errno;
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

void pn_workload_clear(struct pn_workload *w)
{
	free(w->pod);
	free(w->namespace);
	free(w->container);
	free(w->image);
	free(w->image_id);
	pn_labels_clear(&w->labels);
	pn_labels_clear(&w->annotations);
	memset(w, 0, sizeof(*w));
}

void pn_identity_set_runtime(struct pn_identity_cache *c, pn_identity_runtime_fn fn, void *arg)
{
	c->runtime = fn;
	c->runtime_arg = arg;
}

static void clear_slots(struct pn_identity_cache *c)
{
	for (size_t i = 0; i < PN_IDENTITY_SLOTS; i++)
		if (c->slots[i].id)
			pn_workload_clear(&c->slots[i].ident.workload);
	memset(c->slots, 0, sizeof(c->slots));
	c->used = 0;
}

void pn_identity_cache_free(struct pn_identity_cache *c)
{
	if (!c)
		return;
	clear_slots(c);
	close(c->mount_fd);
	free(c);
}

/* The cgroup's path below the mount, from its id; "" when it is gone. */
static void path_of(struct pn_identity_cache *c, uint64_t id, char *path, size_t len)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	char link[32];
	ssize_t n;
	int fd;

	path[0] = '\0';
	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = PN_FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		/* ESTALE: the cgroup is gone; EPERM: the capability is missing, for every id */
		if (errno == EPERM && !c->warned)
			pn_warn("events will carry no pod_uid or container_id: reading a cgroup's "
				"path from its id needs CAP_DAC_READ_SEARCH");
		c->warned |= errno == EPERM;
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, len - 1);
	path[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Asks the runtime of a slot's container; `asking` stays set while it has no answer. */
static void ask_runtime(struct pn_identity_cache *c, struct slot *s, bool wait)
{
	int e;

	s->asking = false;
	s->ident.incomplete = false;
	if (!c->runtime || !s->ident.path.container_id[0])
		return;
	e = c->runtime(c->runtime_arg, s->ident.path.container_id, wait, &s->ident.workload);
	s->asking = e == -EAGAIN || e == -ENODEV;
	s->ident.incomplete = e == -EAGAIN;
}

#define MASK (PN_IDENTITY_SLOTS - 1)

/* ids are sequential inode numbers: a multiplicative hash spreads them */
static size_t home_of(uint64_t id)
{
	return (size_t)(id * 0x9e3779b97f4a7c15ULL >> 32) & MASK;
}

/* The slot of an id, or the empty one where it would go (linear probing). */
static struct slot *probe(struct pn_identity_cache *c, uint64_t id)
{
	size_t i = home_of(id);

	while (c->slots[i].id && c->slots[i].id != id)
		i = (i + 1) & MASK;
	return &c->slots[i];
}

/*
 * Empties slot i and moves back the entries after it that could not sit in
 * their home slot because of it, so that every probe still finds them
 * (deletion from a linearly probed table, without tombstones).
 */
static void slot_delete(struct pn_identity_cache *c, size_t i)
{
	pn_workload_clear(&c->slots[i].ident.workload);
	for (size_t j = (i + 1) & MASK; c->slots[j].id; j = (j + 1) & MASK) {
		size_t home = home_of(c->slots[j].id);

		/* j may move to i only if its home does not lie cyclically in (i, j] */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		c->slots[i] = c->slots[j];
		i = j;
	}
	memset(&c->slots[i], 0, sizeof(c->slots[i]));
	c->used--;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/*
 * Room for one more: kept under three quarters full, so a probe always ends
 * at an empty slot. The cgroups removed long enough ago go first; if that
 * is not enough, the table starts over.
 */
static void make_room(struct pn_identity_cache *c)
{
	uint64_t now;

	if (c->used < PN_IDENTITY_SLOTS / 4 * 3)
		return;
	now = mono_ns();
	for (size_t i = 0; i < PN_IDENTITY_SLOTS; i++) {
		/* a slot moved into i by the deletion is looked at again */
		while (c->slots[i].id && c->slots[i].gone_ns &&
		       now - c->slots[i].gone_ns >= PN_IDENTITY_GRACE_NS)
			slot_delete(c, i);
	}
	if (c->used >= PN_IDENTITY_SLOTS / 4 * 3)
		clear_slots(c);
}

/* A slot for an id not in the table, named from its cgroup's path; not asked yet. */
static struct slot *slot_new(struct pn_identity_cache *c, uint64_t cgroup_id)
{
	char path[PATH_MAX];
	struct slot *s;

	make_room(c);
	path_of(c, cgroup_id, path, sizeof(path));
	s = probe(c, cgroup_id);
	s->id = cgroup_id;
	pn_cgroup_path_identity(path, &s->ident.path);
	s->asking = true;
	c->used++;
	return s;
}

const struct pn_identity *pn_identity_of(struct pn_identity_cache *c, uint64_t cgroup_id)
{
	struct slot *s;

	if (!c || !cgroup_id)
		return c ? &c->none : NULL;
	s = probe(c, cgroup_id);
	if (!s->id)
		s = slot_new(c, cgroup_id);
	if (s->asking)
		ask_runtime(c, s, true);
	return &s->ident;
}

const struct pn_identity *pn_identity_named(struct pn_identity_cache *c, uint64_t cgroup_id)
{
	const struct pn_workload *w;
	struct slot *s;

	if (!c || !cgroup_id)
		return NULL;
	s = probe(c, cgroup_id);
	if (!s->id)
		s = slot_new(c, cgroup_id);
	if (s->asking)
		ask_runtime(c, s, false);
	w = &s->ident.workload;
	return w->namespace || w->container || w->image ? &s->ident : NULL;
}

bool pn_identity_made(struct pn_identity_cache *c, uint64_t cgroup_id, const char *path,
		      struct pn_cgroup_identity *out)
{
	struct slot *s;

	memset(out, 0, sizeof(*out));
	if (!c || !cgroup_id || !path)
		return false;
	pn_cgroup_path_identity(path, out);
	/* only what names a pod or a container: a node makes many other cgroups */
	if (!out->container_id[0] && !out->pod_uid[0])
		return false;
	s = probe(c, cgroup_id);
	if (s->id) {
		/*
		 * Its record came first (the note was told after the consumer had
		 * read the notes' ring): if the cgroup was already gone then, the
		 * path is known only now.
		 */
		if (!s->ident.path.container_id[0] && !s->ident.path.pod_uid[0])
			s->ident.path = *out;
		return true;
	}
	make_room(c);
	s = probe(c, cgroup_id);
	s->id = cgroup_id;
	s->ident.path = *out;
	/* the runtime is asked at the first event, which may wait for it */
	s->asking = true;
	c->used++;
	return true;
}

void pn_identity_removed(struct pn_identity_cache *c, uint64_t cgroup_id, uint64_t now_ns)
{
	struct slot *s = c && cgroup_id ? probe(c, cgroup_id) : NULL;

	if (s && s->id)
		s->gone_ns = now_ns ? now_ns : 1;
}
