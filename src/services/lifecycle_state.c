// SPDX-License-Identifier: GPL-2.0-only
#include "lifecycle_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "panoptes/state/v1/state.pb-c.h"

#define SEEN_FILE "containers.pb"
/* a node runs some hundreds of containers; this is far beyond */
#define SEEN_MAX_BYTES (64u << 20)

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

static void save(struct pn_lifecycle_set *set)
{
	Panoptes__State__V1__SeenContainers m = PANOPTES__STATE__V1__SEEN_CONTAINERS__INIT;
	Panoptes__State__V1__SeenContainer *c, **p;
	uint8_t *buf = NULL;
	size_t len;
	int e = -ENOMEM;

	if (!set->state)
		return;
	c = calloc(set->n ? set->n : 1, sizeof(*c));
	p = calloc(set->n ? set->n : 1, sizeof(*p));
	if (!c || !p)
		goto out;
	for (size_t i = 0; i < set->n; i++) {
		const struct pn_lifecycle *lc = &set->v[i];

		panoptes__state__v1__seen_container__init(&c[i]);
		c[i].container_id = (char *)or_empty(lc->container_id);
		c[i].image = (char *)or_empty(lc->image);
		c[i].image_spec = (char *)or_empty(lc->image_spec);
		c[i].image_id = (char *)or_empty(lc->image_id);
		c[i].namespace_ = (char *)or_empty(lc->namespace);
		c[i].pod = (char *)or_empty(lc->pod);
		c[i].container_name = (char *)or_empty(lc->container_name);
		p[i] = &c[i];
	}
	m.containers = p;
	m.n_containers = set->n;
	len = panoptes__state__v1__seen_containers__get_packed_size(&m);
	buf = malloc(len ? len : 1);
	if (!buf)
		goto out;
	panoptes__state__v1__seen_containers__pack(&m, buf);
	e = pn_state_replace(set->state, SEEN_FILE, buf, len);
out:
	if (e)
		pn_warn("--state-dir %s: cannot write %s: %s (containers that stop while no agent "
			"runs will not be reported)",
			pn_state_dir(set->state), SEEN_FILE, strerror(-e));
	free(buf);
	free(p);
	free(c);
}

static ssize_t find(const struct pn_lifecycle_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(or_empty(set->v[i].container_id), or_empty(id)))
			return (ssize_t)i;
	return -1;
}

static int add(struct pn_lifecycle_set *set, const struct pn_lifecycle *lc)
{
	struct pn_lifecycle *v = realloc(set->v, (set->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	set->v = v;
	if (pn_lifecycle_copy(&v[set->n], lc))
		return -ENOMEM;
	v[set->n].kind = PN_LC_CONTAINER_STARTED;
	v[set->n].snapshot = v[set->n].reconciled = false;
	set->n++;
	return 0;
}

int pn_lifecycle_set_load(struct pn_lifecycle_set *set, struct pn_state *state)
{
	Panoptes__State__V1__SeenContainers *m;
	char path[4096 + sizeof(SEEN_FILE) + 1];
	char *buf = NULL;
	size_t len = 0;
	int e;

	memset(set, 0, sizeof(*set));
	set->state = state;
	if (!state)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", pn_state_dir(state), SEEN_FILE);
	e = pn_read_file(path, SEEN_MAX_BYTES, &buf, &len);
	if (e == -ENOENT)
		return 0;
	if (e) {
		pn_warn("%s: cannot read it (%s): containers that stopped while no agent ran are not "
			"reported",
			path, strerror(-e));
		return 0;
	}
	m = panoptes__state__v1__seen_containers__unpack(NULL, len, (const uint8_t *)buf);
	free(buf);
	if (!m) {
		pn_state_set_aside(state, SEEN_FILE);
		pn_warn("%s: %zu bytes that do not decode: containers that stopped while no agent "
			"ran are not reported; it is kept as %s.bad",
			path, len, SEEN_FILE);
		return 0;
	}
	e = 0;
	for (size_t i = 0; i < m->n_containers && !e; i++) {
		const Panoptes__State__V1__SeenContainer *c = m->containers[i];
		struct pn_lifecycle lc = {
			.image = or_null(c->image),
			.image_spec = or_null(c->image_spec),
			.image_id = or_null(c->image_id),
			.namespace = or_null(c->namespace_),
			.pod = or_null(c->pod),
			.container_name = or_null(c->container_name),
			.container_id = or_null(c->container_id),
		};

		if (lc.container_id && find(set, lc.container_id) < 0)
			e = add(set, &lc);
	}
	panoptes__state__v1__seen_containers__free_unpacked(m, NULL);
	return e;
}

void pn_lifecycle_set_note(struct pn_lifecycle_set *set, const struct pn_lifecycle *lc)
{
	ssize_t i = find(set, lc->container_id);

	if (lc->kind == PN_LC_CONTAINER_STARTED && i < 0) {
		if (add(set, lc))
			pn_warn("out of memory: container %s is not kept in --state-dir",
				or_empty(lc->container_id));
	} else if (lc->kind == PN_LC_CONTAINER_STOPPED && i >= 0) {
		pn_lifecycle_clear(&set->v[i]);
		set->v[i] = set->v[--set->n];
	} else {
		return;
	}
	save(set);
}

int pn_lifecycle_set_remove(const char *dir)
{
	char path[4096 + sizeof(SEEN_FILE) + 1];

	snprintf(path, sizeof(path), "%s/%s", dir, SEEN_FILE);
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

void pn_lifecycle_set_clear(struct pn_lifecycle_set *set)
{
	while (set->n)
		pn_lifecycle_clear(&set->v[--set->n]);
	free(set->v);
	set->v = NULL;
}
