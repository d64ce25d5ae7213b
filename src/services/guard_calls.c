// SPDX-License-Identifier: GPL-2.0-only
#include "guard_calls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_view.h"
#include "authz.h"
#include "convert.h"
#include "log.h"
#include "status.h"

grpc_status_code pn_guard_unavailable(const struct pn_agent_view *agent, const char *call,
				      char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: this node cannot enforce guards: %s", call,
		 agent->guards_why && agent->guards_why[0] ? agent->guards_why :
							     "no guard backend");
	return GRPC_STATUS_FAILED_PRECONDITION;
}

struct find_ctx {
	const char *key;
	Panoptes__V1__GuardInfo *info;
	bool oom;
};

static void find_info(const struct pn_guard_view *v, void *arg)
{
	struct find_ctx *f = arg;

	if (f->info || strcmp(v->guard->watch->key, f->key))
		return;
	f->info = pn_api_guard_info_new(v->guard, v->targets, v->pids, v->n_pids);
	f->oom = !f->info;
}

struct origin_ctx {
	const char *key;
	char origin[512];
};

static void origin_of(const struct pn_guard_view *v, void *arg)
{
	struct origin_ctx *o = arg;

	if (!strcmp(v->guard->watch->key, o->key))
		snprintf(o->origin, sizeof(o->origin), "%s", v->guard->watch->origin);
}

/* A guard of that name from a policy file is the operator's: read-only over the API. */
static int operator_guard(const struct pn_agent_view *agent, const char *name, const char *call,
			  char *msg, size_t msglen)
{
	struct origin_ctx o = { .key = name };

	pn_guards_foreach(agent->guards, origin_of, &o);
	if (!o.origin[0] || !strcmp(o.origin, "api"))
		return 0;
	snprintf(msg, msglen, "%s: guard %s comes from %s: read-only over the API", call, name,
		 o.origin);
	return -EACCES;
}

grpc_status_code pn_native_create_guard(struct pn_rpc *rpc, void *ctx,
					const struct pn_authz_caller *who,
					const ProtobufCMessage *req, ProtobufCMessage **resp,
					char *msg, size_t msglen)
{
	const Panoptes__V1__CreateGuardRequest *r = (const void *)req;
	const struct pn_agent_view *agent = ctx;
	struct pn_reg_error re = { 0 };
	struct pn_guard_spec spec;
	struct find_ctx f = { 0 };
	char name[256], target_msg[1024];
	int e;

	(void)rpc;
	if (pn_authz_may_guard(who, "CreateGuard", msg, msglen))
		return GRPC_STATUS_PERMISSION_DENIED;
	e = pn_api_guard_to_spec(r->guard, &spec, msg, msglen);
	if (e)
		return pn_api_status_of_errno(e);
	if (!agent->guards) {
		pn_guard_spec_clear(&spec);
		return pn_guard_unavailable(agent, "CreateGuard", msg, msglen);
	}
	e = pn_authz_may_bind(agent, &spec.targets, target_msg, sizeof(target_msg));
	if (e) {
		snprintf(msg, msglen, "guard.targets: %s", target_msg);
		pn_guard_spec_clear(&spec);
		return e == -ENOMEM ? GRPC_STATUS_RESOURCE_EXHAUSTED :
				      GRPC_STATUS_PERMISSION_DENIED;
	}
	snprintf(name, sizeof(name), "%s", spec.guard->watch->key);
	if (operator_guard(agent, name, "CreateGuard", msg, msglen)) {
		pn_guard_spec_clear(&spec);
		return GRPC_STATUS_PERMISSION_DENIED;
	}
	e = pn_guards_set(agent->guards, &spec, &re);
	if (e) {
		bool target = re.field == PN_REG_FIELD_PID || re.field == PN_REG_FIELD_CGROUP ||
			      re.field == PN_REG_FIELD_CONTAINER ||
			      re.field == PN_REG_FIELD_TARGETS;

		snprintf(msg, msglen, "%s%s", target ? "guard.targets: " : "", re.msg);
		pn_guard_spec_clear(&spec);
		return pn_api_status_of_errno(e);
	}
	pn_info("grpc: guard %s installed", name);
	if (agent->guards_changed)
		agent->guards_changed(agent->ctx);
	f.key = name;
	pn_guards_foreach(agent->guards, find_info, &f);
	if (!f.info) {
		snprintf(msg, msglen, "out of memory");
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	*resp = &f.info->base;
	return GRPC_STATUS_OK;
}

grpc_status_code pn_native_delete_guard(struct pn_rpc *rpc, void *ctx,
					const struct pn_authz_caller *who,
					const ProtobufCMessage *req, ProtobufCMessage **resp,
					char *msg, size_t msglen)
{
	const Panoptes__V1__DeleteGuardRequest *r = (const void *)req;
	const struct pn_agent_view *agent = ctx;
	Panoptes__V1__DeleteGuardResponse *out;

	(void)rpc;
	if (pn_authz_may_guard(who, "DeleteGuard", msg, msglen))
		return GRPC_STATUS_PERMISSION_DENIED;
	if (!r->name[0]) {
		snprintf(msg, msglen, "name: required");
		return GRPC_STATUS_INVALID_ARGUMENT;
	}
	if (!agent->guards)
		return pn_guard_unavailable(agent, "DeleteGuard", msg, msglen);
	/* a janus guard's key holds '/', which no native name does: its API removes it */
	if (!strchr(r->name, '/') && operator_guard(agent, r->name, "DeleteGuard", msg, msglen))
		return GRPC_STATUS_PERMISSION_DENIED;
	if (strchr(r->name, '/') || pn_guards_remove(agent->guards, r->name)) {
		snprintf(msg, msglen, "name: no guard named \"%s\"%s", r->name,
			 strchr(r->name, '/') ? " (janus guards are removed by DestroyGuard)" : "");
		return GRPC_STATUS_NOT_FOUND;
	}
	pn_info("grpc: guard %s deleted", r->name);
	if (agent->guards_changed)
		agent->guards_changed(agent->ctx);
	out = malloc(sizeof(*out));
	if (!out)
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	panoptes__v1__delete_guard_response__init(out);
	*resp = &out->base;
	return GRPC_STATUS_OK;
}

struct list_ctx {
	Panoptes__V1__ListGuardsResponse *r;
	bool oom;
};

static void list_one(const struct pn_guard_view *v, void *arg)
{
	struct list_ctx *c = arg;
	Panoptes__V1__GuardInfo **g = realloc(c->r->guards, (c->r->n_guards + 1) * sizeof(*g));

	if (!g) {
		c->oom = true;
		return;
	}
	c->r->guards = g;
	g[c->r->n_guards] = pn_api_guard_info_new(v->guard, v->targets, v->pids, v->n_pids);
	if (g[c->r->n_guards])
		c->r->n_guards++;
	else
		c->oom = true;
}

grpc_status_code pn_native_list_guards(struct pn_rpc *rpc, void *ctx,
				       const struct pn_authz_caller *who,
				       const ProtobufCMessage *req, ProtobufCMessage **resp,
				       char *msg, size_t msglen)
{
	const struct pn_agent_view *agent = ctx;
	struct list_ctx c = { .r = malloc(sizeof(*c.r)) };

	(void)rpc;
	(void)who;
	(void)req;
	if (!c.r)
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	panoptes__v1__list_guards_response__init(c.r);
	if (agent->guards)
		pn_guards_foreach(agent->guards, list_one, &c);
	if (c.oom) {
		protobuf_c_message_free_unpacked(&c.r->base, NULL);
		snprintf(msg, msglen, "out of memory");
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	*resp = &c.r->base;
	return GRPC_STATUS_OK;
}
