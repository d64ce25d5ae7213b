// SPDX-License-Identifier: GPL-2.0-only
/*
 * The authorization rules of the gRPC APIs and the --authz-file schema. A
 * file maps certificate names to roles:
 *
 *   roles:
 *     argus-controller: manage
 *     dashboards.example.org: read
 *   default: none
 */
#include "authz.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "pathutil.h"
#include "yaml_doc.h"

/* An authz file is a few lines; this is far beyond any real one. */
#define PN_AUTHZ_FILE_MAX (1 << 20)

struct pn_authz_entry {
	char *name;
	enum pn_authz_role role;
};

struct pn_authz {
	struct pn_authz_entry *entries;
	size_t n;
	enum pn_authz_role dflt;
};

static const char *const role_names[] = {
	[PN_ROLE_NONE] = "none",
	[PN_ROLE_READ] = "read",
	[PN_ROLE_MANAGE] = "manage",
};

const char *pn_authz_role_name(enum pn_authz_role r)
{
	return (unsigned)r < sizeof(role_names) / sizeof(role_names[0]) ? role_names[r] : "?";
}

static int get_role(struct pn_yaml *y, const yaml_node_t *n, const char *field,
		    enum pn_authz_role *out)
{
	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
			if (strcmp(pn_yaml_text(n), role_names[i]) == 0) {
				*out = (enum pn_authz_role)i;
				return 0;
			}
		}
	}
	return pn_yaml_fail(y, n->start_mark, field, "expected none, read or manage");
}

static int authz_doc(struct pn_yaml *y, const yaml_node_t *root, void *arg)
{
	static const char *const keys[] = { "roles", "default", NULL };
	struct pn_authz *a = arg;
	yaml_node_t *roles, *dflt;
	char field[PN_YAML_FIELD_MAX];
	int e;

	if (a->entries || a->n) /* a second document would silently add to the first */
		return pn_yaml_fail(y, root->start_mark, "", "one document expected");
	if (pn_yaml_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(y, root, "", "a mapping (roles, default)");
	e = pn_yaml_check_keys(y, root, "", keys);
	if (e)
		return e;
	dflt = pn_yaml_map_get(y, root, "default");
	if (dflt) {
		e = get_role(y, dflt, "default", &a->dflt);
		if (e)
			return e;
	}
	roles = pn_yaml_map_get(y, root, "roles");
	if (!roles || pn_yaml_is_null(roles))
		return 0;
	if (roles->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(y, roles, "roles",
					 "a mapping of certificate names to roles");
	e = pn_yaml_check_keys(y, roles, "roles", NULL);
	if (e)
		return e;
	a->entries = calloc(pn_yaml_n_pairs(roles) + 1, sizeof(*a->entries));
	if (!a->entries)
		return pn_yaml_oom(y);
	for (size_t i = 0; i < pn_yaml_n_pairs(roles); i++) {
		yaml_node_t *k = pn_yaml_pair_key(y, roles, i);
		yaml_node_t *v = pn_yaml_pair_value(y, roles, i);
		struct pn_authz_entry *en = &a->entries[a->n];

		pn_yaml_join_key(field, "roles", pn_yaml_text(k));
		if (!pn_yaml_text(k)[0])
			return pn_yaml_fail(y, k->start_mark, "roles", "empty certificate name");
		if (strlen(pn_yaml_text(k)) >= PN_AUTHZ_NAME_MAX)
			return pn_yaml_fail(y, k->start_mark, field,
					    "certificate name longer than %d bytes",
					    PN_AUTHZ_NAME_MAX - 1);
		e = get_role(y, v, field, &en->role);
		if (e)
			return e;
		en->name = strdup(pn_yaml_text(k));
		if (!en->name)
			return pn_yaml_oom(y);
		a->n++;
	}
	return 0;
}

int pn_authz_parse(const char *name, const char *text, size_t len, struct pn_authz **out, char *err,
		   size_t errlen)
{
	struct pn_yaml y = { .name = name, .err = err, .errlen = errlen };
	struct pn_authz *a = calloc(1, sizeof(*a));
	int e;

	*out = NULL;
	if (!a) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	e = pn_yaml_parse(&y, text, len, authz_doc, a);
	if (e) {
		pn_authz_free(a);
		return e;
	}
	*out = a;
	return 0;
}

int pn_authz_load(const char *path, struct pn_authz **out, char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	int e;

	*out = NULL;
	e = pn_read_file(path, PN_AUTHZ_FILE_MAX, &text, &len);
	if (e) {
		snprintf(err, errlen, "--authz-file %s: %s", path,
			 e == -EFBIG ? "larger than 1 MiB" : strerror(-e));
		return e;
	}
	e = pn_authz_parse(path, text, len, out, err, errlen);
	free(text);
	return e;
}

void pn_authz_free(struct pn_authz *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->entries[i].name);
	free(a->entries);
	free(a);
}

enum pn_authz_role pn_authz_role_of(const struct pn_authz *a, const char *const *names,
				    size_t n_names)
{
	if (!a)
		return PN_ROLE_MANAGE;
	/* the file's order decides when a certificate carries several listed names */
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < n_names; j++)
			if (strcmp(a->entries[i].name, names[j]) == 0)
				return a->entries[i].role;
	return a->dflt;
}

enum pn_authz_role pn_authz_role_uncertified(enum pn_authz_via via)
{
	(void)via; /* every listener that admits such clients was chosen by the operator */
	return PN_ROLE_MANAGE;
}

/* "client \"NAME\"", or how the caller came without a certificate. */
static const char *caller_words(const struct pn_authz_caller *c, char *buf, size_t len)
{
	if (c->identity[0])
		snprintf(buf, len, "client \"%s\"", c->identity);
	else
		snprintf(buf, len, "%s",
			 c->via == PN_VIA_SOCKET   ? "a unix socket client" :
			 c->via == PN_VIA_LOOPBACK ? "a loopback client" :
						     "a client without a certificate");
	return buf;
}

int pn_authz_may_call(const struct pn_authz_caller *c, enum pn_authz_role need, const char *call,
		      char *msg, size_t msglen)
{
	char who[PN_AUTHZ_NAME_MAX + 32];

	if (c->role >= need)
		return 0;
	snprintf(msg, msglen, "%s: %s has role %s; this call needs %s (--authz-file)", call,
		 caller_words(c, who, sizeof(who)), pn_authz_role_name(c->role),
		 pn_authz_role_name(need));
	return -EACCES;
}

int pn_authz_may_guard(const struct pn_authz_caller *c, const char *call, char *msg, size_t msglen)
{
	char who[PN_AUTHZ_NAME_MAX + 32];

	if (pn_authz_may_call(c, PN_ROLE_MANAGE, call, msg, msglen))
		return -EACCES;
	if (c->via == PN_VIA_SOCKET || c->identity[0])
		return 0;
	snprintf(msg, msglen,
		 "%s: %s presented no client certificate: guards change what workloads may do and "
		 "are taken only over mutual TLS or the local socket",
		 call, caller_words(c, who, sizeof(who)));
	return -EACCES;
}

static const char *api_name(enum pn_watch_api api)
{
	return api == PN_WATCH_ARGUS ? "argus.Argusd" : "panoptes.v1.Agent";
}

int pn_authz_may_modify(const struct pn_authz_caller *c, enum pn_watch_api api,
			const struct pn_watch *w, const char *call, char *msg, size_t msglen)
{
	const char *origin = w->origin ? w->origin : "?";
	char who[PN_AUTHZ_NAME_MAX + 32];

	if (w->api == PN_WATCH_OPERATOR) {
		snprintf(msg, msglen,
			 "%s: watch \"%s\" belongs to the operator (origin %s): read-only over "
			 "the API",
			 call, w->name, origin);
		return -EACCES;
	}
	if (w->api != api) {
		snprintf(msg, msglen,
			 "%s: watch \"%s\" belongs to %s (origin %s): only that API may change "
			 "it",
			 call, w->name, api_name(w->api), origin);
		return -EACCES;
	}
	if (w->owner && w->owner[0] && c->via != PN_VIA_SOCKET &&
	    strcmp(w->owner, c->identity) != 0) {
		snprintf(msg, msglen,
			 "%s: watch \"%s\" belongs to client \"%s\" (origin %s): %s may not "
			 "change it",
			 call, w->name, w->owner, origin, caller_words(c, who, sizeof(who)));
		return -EACCES;
	}
	return 0;
}

struct find_key {
	const char *key;
	const struct pn_authz_caller *c;
	enum pn_watch_api api;
	const char *call;
	char *msg;
	size_t msglen;
	int e;
};

static void check_one(const struct pn_watch_view *v, void *arg)
{
	struct find_key *f = arg;
	const char *key = v->watch->key ? v->watch->key : v->watch->name;

	if (!f->e && strcmp(key, f->key) == 0)
		f->e = pn_authz_may_modify(f->c, f->api, v->watch, f->call, f->msg, f->msglen);
}

int pn_authz_may_modify_key(const struct pn_agent_view *agent, const struct pn_authz_caller *c,
			    enum pn_watch_api api, const char *key, const char *call, char *msg,
			    size_t msglen)
{
	struct find_key f = {
		.key = key, .c = c, .api = api, .call = call, .msg = msg, .msglen = msglen
	};

	agent->foreach_watch(agent->ctx, check_one, &f);
	return f.e;
}

int pn_authz_stamp(struct pn_watch *w, const struct pn_authz_caller *c)
{
	free(w->owner);
	w->owner = NULL;
	if (!c->identity[0])
		return 0;
	w->owner = strdup(c->identity);
	return w->owner ? 0 : -ENOMEM;
}

/*
 * What resolved target i of t was, in the request's words: pids, then
 * cgroups, then containers, then the node's pods' cgroups a selector alone
 * stands for (pn_resolve_targets()).
 */
static void target_words(const struct pn_targets *t, size_t i, const char *path, char *buf,
			 size_t len)
{
	if (i < t->n_pids)
		snprintf(buf, len, "pid %d", t->pids[i]);
	else if ((i -= t->n_pids) < t->n_cgroups)
		snprintf(buf, len, "cgroup %s", t->cgroups[i]);
	else if ((i -= t->n_cgroups) < t->n_containers)
		snprintf(buf, len, "container %s", t->containers[i]);
	else
		snprintf(buf, len, "the pods' cgroup %s", path);
}

static bool allowed_cgroup(const struct pn_agent_view *agent, const char *cg)
{
	for (size_t i = 0; i < agent->n_api_cgroup_roots; i++)
		if (pn_path_depth_below(agent->api_cgroup_roots[i], cg, NULL) >= 0)
			return true;
	return false;
}

int pn_authz_may_bind(const struct pn_agent_view *agent, const struct pn_targets *t, char *msg,
		      size_t msglen)
{
	struct pn_resolved *res = NULL;
	char norm[PATH_MAX], cg[PATH_MAX], what[PATH_MAX + 32];
	size_t n = 0, used;
	int e = 0;

	if (agent->resolve(agent->ctx, t, &res, &n, NULL))
		return 0;
	for (size_t i = 0; i < n && !e; i++) {
		const char *rel = NULL;

		target_words(t, i, res[i].path, what, sizeof(what));
		if (pn_path_normalize(res[i].path, norm, sizeof(norm)) < 0 ||
		    pn_path_depth_below(agent->cgroup2, norm, &rel) < 0) {
			snprintf(msg, msglen, "%s: not a cgroup of the cgroup2 tree", what);
			e = -EACCES;
			break;
		}
		snprintf(cg, sizeof(cg), "/%s", rel ? rel : "");
		if (allowed_cgroup(agent, cg))
			continue;
		used = (size_t)snprintf(msg, msglen,
					"%s: cgroup %s is outside the cgroups the API may watch "
					"(--api-cgroup-root",
					what, cg);
		for (size_t j = 0; j < agent->n_api_cgroup_roots && used < msglen; j++)
			used += (size_t)snprintf(msg + used, msglen - used, " %s",
						 agent->api_cgroup_roots[j]);
		if (used < msglen)
			snprintf(msg + used, msglen - used,
				 "): the operator must allow it with --api-cgroup-root");
		e = -EACCES;
	}
	free(res);
	return e;
}
