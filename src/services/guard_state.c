// SPDX-License-Identifier: GPL-2.0-only
#include "guard_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "errmsg.h"
#include "fileio.h"
#include "log.h"
#include "panoptes/state/v1/state.pb-c.h"

#define GUARDS_FILE	 PN_STATE_GUARDS_FILE
#define GUARDS_MAX_BYTES (64u << 20)

static bool api_guard(const struct pn_guard *g)
{
	const char *o = g->watch->origin;

	return o && (!strcmp(o, "api") || !strcmp(o, "janus"));
}

struct collect {
	Panoptes__State__V1__StoredGuard **v;
	size_t n;
	bool oom;
};

static void collect_one(const struct pn_guard_view *v, void *arg)
{
	struct collect *c = arg;
	Panoptes__State__V1__StoredGuard *sg, **grown;
	Panoptes__V1__GuardInfo *info;

	if (!api_guard(v->guard) || c->oom)
		return;
	grown = realloc(c->v, (c->n + 1) * sizeof(*grown));
	sg = malloc(sizeof(*sg));
	info = pn_api_guard_info_new(v->guard, v->targets, NULL, 0);
	if (grown)
		c->v = grown;
	if (!grown || !sg || !info) {
		free(sg);
		if (info)
			protobuf_c_message_free_unpacked(&info->base, NULL);
		c->oom = true;
		return;
	}
	panoptes__state__v1__stored_guard__init(sg);
	/* the guard moves out of its info, which then goes */
	sg->guard = info->guard;
	info->guard = NULL;
	protobuf_c_message_free_unpacked(&info->base, NULL);
	sg->key = strdup(v->guard->watch->key);
	sg->origin = strdup(v->guard->watch->origin);
	c->v[c->n++] = sg;
	if (!sg->key || !sg->origin)
		c->oom = true;
}

int pn_guard_state_save(struct pn_state *s, const struct pn_agent_view *agent)
{
	Panoptes__State__V1__Guards m = PANOPTES__STATE__V1__GUARDS__INIT;
	struct collect c = { 0 };
	uint8_t *buf = NULL;
	size_t len;
	int e = -ENOMEM;

	if (!s || !agent->guards)
		return 0;
	pn_guards_foreach(agent->guards, collect_one, &c);
	if (!c.oom) {
		m.guards = c.v;
		m.n_guards = c.n;
		len = panoptes__state__v1__guards__get_packed_size(&m);
		buf = malloc(len ? len : 1);
		if (buf) {
			panoptes__state__v1__guards__pack(&m, buf);
			e = pn_state_replace(s, GUARDS_FILE, buf, len);
		}
	}
	if (e)
		pn_warn("--state-dir %s: cannot write %s: %s (the guards created over gRPC will "
			"not come back after a restart)",
			pn_state_dir(s), GUARDS_FILE, strerror(-e));
	for (size_t i = 0; i < c.n; i++)
		protobuf_c_message_free_unpacked(&c.v[i]->base, NULL);
	free(c.v);
	free(buf);
	return e;
}

/* The stored guard as a spec with its own key and origin, or an error in err. */
static int restore_spec(const Panoptes__State__V1__StoredGuard *sg, struct pn_guard_spec *spec,
			char *err, size_t errlen)
{
	struct pn_watch *w;
	char *key, *origin;
	int e = pn_api_guard_to_spec(sg->guard, spec, err, errlen);

	if (e)
		return e;
	w = spec->guard->watch;
	key = strdup(sg->key[0] ? sg->key : w->name);
	origin = strdup(sg->origin[0] ? sg->origin : "api");
	if (!key || !origin) {
		free(key);
		free(origin);
		pn_guard_spec_clear(spec);
		return pn_errf(err, errlen, -ENOMEM, "out of memory");
	}
	free(w->key);
	free(w->origin);
	w->key = key;
	w->origin = origin;
	return 0;
}

size_t pn_guard_state_restore(struct pn_state *s, const struct pn_agent_view *agent)
{
	Panoptes__State__V1__Guards *m;
	char path[4096 + sizeof(GUARDS_FILE) + 1];
	char *buf = NULL;
	size_t len = 0, n = 0;
	int e;

	if (!s || !agent->guards)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", pn_state_dir(s), GUARDS_FILE);
	e = pn_read_file(path, GUARDS_MAX_BYTES, &buf, &len);
	if (e == -ENOENT)
		return 0;
	if (e) {
		pn_warn("%s: cannot read it (%s): the guards created over gRPC are not restored",
			path, strerror(-e));
		return 0;
	}
	m = panoptes__state__v1__guards__unpack(NULL, len, (const uint8_t *)buf);
	free(buf);
	if (!m) {
		pn_state_set_aside(s, GUARDS_FILE);
		pn_warn("%s: %zu bytes that do not decode: no guard is restored; it is kept as "
			"%s.bad",
			path, len, GUARDS_FILE);
		return 0;
	}
	for (size_t i = 0; i < m->n_guards; i++) {
		struct pn_reg_error re = { 0 };
		struct pn_guard_spec spec;
		char err[1024];

		e = restore_spec(m->guards[i], &spec, err, sizeof(err));
		if (!e)
			e = pn_guards_set(agent->guards, &spec, &re);
		if (e) {
			pn_info("guard %s not restored: %s",
				m->guards[i]->key[0] ? m->guards[i]->key :
				m->guards[i]->guard  ? m->guards[i]->guard->name :
						       "?",
				spec.guard ? re.msg : err);
			pn_guard_spec_clear(&spec);
			continue;
		}
		n++;
	}
	protobuf_c_message_free_unpacked(&m->base, NULL);
	if (n)
		pn_info("restored %zu guard(s) created over gRPC from %s", n, path);
	pn_guard_state_save(s, agent);
	return n;
}
