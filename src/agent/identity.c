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
#include <unistd.h>

#include "log.h"

/*
 * The kernfs file handle type: 8 bytes, the cgroup id (include/linux/exportfs.h;
 * since 5.5, "kernfs: use 64bit inodes", older than any kernel panoptes runs on).
 */
#define PN_FILEID_KERNFS 0xfe

struct slot {
	uint64_t id; /* 0 = empty: no cgroup has id 0 */
	bool asking; /* the runtime said -EAGAIN: ask again on the next event */
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
static void ask_runtime(struct pn_identity_cache *c, struct slot *s)
{
	int e;

	s->asking = false;
	s->ident.incomplete = false;
	if (!c->runtime || !s->ident.path.container_id[0])
		return;
	e = c->runtime(c->runtime_arg, s->ident.path.container_id, &s->ident.workload);
	s->asking = e == -EAGAIN || e == -ENODEV;
	s->ident.incomplete = e == -EAGAIN;
}

const struct pn_identity *pn_identity_of(struct pn_identity_cache *c, uint64_t cgroup_id)
{
	char path[PATH_MAX];
	size_t i, mask = PN_IDENTITY_SLOTS - 1;

	if (!c || !cgroup_id)
		return c ? &c->none : NULL;
	/* ids are sequential inode numbers: a multiplicative hash spreads them */
	for (i = (size_t)(cgroup_id * 0x9e3779b97f4a7c15ULL >> 32) & mask;; i = (i + 1) & mask) {
		if (c->slots[i].id == cgroup_id) {
			if (c->slots[i].asking)
				ask_runtime(c, &c->slots[i]);
			return &c->slots[i].ident;
		}
		if (!c->slots[i].id)
			break;
	}
	/* kept under three quarters full, so a probe always ends at an empty slot */
	if (c->used >= PN_IDENTITY_SLOTS / 4 * 3) {
		clear_slots(c);
		return pn_identity_of(c, cgroup_id);
	}
	path_of(c, cgroup_id, path, sizeof(path));
	c->slots[i].id = cgroup_id;
	pn_cgroup_path_identity(path, &c->slots[i].ident.path);
	c->used++;
	ask_runtime(c, &c->slots[i]);
	return &c->slots[i].ident;
}
