// SPDX-License-Identifier: GPL-2.0-only
/*
 * janus.Janusd, as janusd served it to janus-controller: a guard is keyed
 * by node and pod, created or replaced in place by CreateGuard, removed by
 * DestroyGuard whatever pids come with it (the controller sends those of
 * the last handle it got, which may be another pod's). Only callers of the
 * local socket or with a verified client certificate may change guards.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "bounds.h"
#include "convert.h"
#include "guard_calls.h"
#include "janus.pb-c.h"
#include "log.h"
#include "services.h"
#include "status.h"

struct janus {
	const struct pn_agent_view *agent;
};

static Janus__JanusdHandle *handle_of(const struct janus *j, const struct pn_guard_view *v)
{
	Janus__JanusdHandle *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	janus__janusd_handle__init(h);
	h->nodename = strdup(j->agent->node);
	h->podname = strdup(v->guard->watch->pod ? v->guard->watch->pod : "");
	if (v->n_pids)
		h->pid = malloc(v->n_pids * sizeof(*h->pid));
	if (!h->nodename || !h->podname || (v->n_pids && !h->pid)) {
		protobuf_c_message_free_unpacked(&h->base, NULL);
		return NULL;
	}
	for (size_t i = 0; i < v->n_pids; i++)
		h->pid[i] = v->pids[i];
	h->n_pid = v->n_pids;
	return h;
}

struct find_ctx {
	const struct janus *j;
	const char *key;
	Janus__JanusdHandle *found;
};

static void find_handle(const struct pn_guard_view *v, void *arg)
{
	struct find_ctx *f = arg;

	if (!f->found && !strcmp(v->guard->watch->key, f->key))
		f->found = handle_of(f->j, v);
}

static grpc_status_code create_guard(struct pn_rpc *rpc, void *ctx,
				     const struct pn_authz_caller *who, const ProtobufCMessage *req,
				     ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Janus__JanusdConfig *c = (const void *)req;
	struct janus *j = ctx;
	const struct pn_agent_view *agent = j->agent;
	struct pn_reg_error re = { 0 };
	struct find_ctx f = { .j = j };
	struct pn_guard_spec spec;
	char key[4096];
	int e;

	(void)rpc;
	if (pn_authz_may_guard(who, "CreateGuard", msg, msglen))
		return GRPC_STATUS_PERMISSION_DENIED;
	e = pn_janus_to_spec(c, agent->node, &spec, msg, msglen);
	if (e)
		return pn_api_status_of_errno(e);
	if (!agent->guards) {
		pn_guard_spec_clear(&spec);
		return pn_guard_unavailable(agent, "CreateGuard", msg, msglen);
	}
	e = pn_authz_may_bind(agent, &spec.targets, msg, msglen);
	if (e) {
		pn_guard_spec_clear(&spec);
		return e == -ENOMEM ? GRPC_STATUS_RESOURCE_EXHAUSTED :
				      GRPC_STATUS_PERMISSION_DENIED;
	}
	snprintf(key, sizeof(key), "%s", spec.guard->watch->key);
	e = pn_guards_set(agent->guards, &spec, &re);
	if (e) {
		/* janus calls the containers field cid */
		snprintf(msg, msglen, "%s%s", re.field == PN_REG_FIELD_CONTAINER ? "cid: " : "",
			 re.msg);
		pn_guard_spec_clear(&spec);
		return pn_api_status_of_errno(e);
	}
	pn_info("grpc: janus guard %s installed", key);
	if (agent->guards_changed)
		agent->guards_changed(agent->ctx);
	f.key = key;
	pn_guards_foreach(agent->guards, find_handle, &f);
	if (!f.found) {
		snprintf(msg, msglen, "out of memory");
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	*resp = &f.found->base;
	return GRPC_STATUS_OK;
}

static grpc_status_code destroy_guard(struct pn_rpc *rpc, void *ctx,
				      const struct pn_authz_caller *who,
				      const ProtobufCMessage *req, ProtobufCMessage **resp,
				      char *msg, size_t msglen)
{
	const Janus__JanusdConfig *c = (const void *)req;
	struct janus *j = ctx;
	Janus__Empty *empty;
	char key[4096];
	int e;

	(void)rpc;
	if (pn_authz_may_guard(who, "DestroyGuard", msg, msglen))
		return GRPC_STATUS_PERMISSION_DENIED;
	e = pn_janus_key(c, j->agent->node, key, sizeof(key), msg, msglen);
	if (e)
		return pn_api_status_of_errno(e);
	if (!j->agent->guards)
		return pn_guard_unavailable(j->agent, "DestroyGuard", msg, msglen);
	/* as janusd: destroying what is not there is not an error (the pod ended first) */
	if (pn_guards_remove(j->agent->guards, key))
		pn_info_refusal("grpc: janus DestroyGuard: no guard for %s (already gone)",
				key + strlen("janus/"));
	else
		pn_info("grpc: janus guard %s removed", key);
	if (j->agent->guards_changed)
		j->agent->guards_changed(j->agent->ctx);
	empty = malloc(sizeof(*empty));
	if (!empty)
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	janus__empty__init(empty);
	*resp = &empty->base;
	return GRPC_STATUS_OK;
}

struct state_ctx {
	const struct janus *j;
	Janus__JanusdHandle **handles;
	size_t n;
	bool oom;
};

static void collect_handle(const struct pn_guard_view *v, void *arg)
{
	struct state_ctx *c = arg;
	Janus__JanusdHandle **h;

	/* janus-controller's guards only: panoptes.v1's and policy files' are not its own */
	if (strcmp(v->guard->watch->origin, "janus"))
		return;
	h = realloc(c->handles, (c->n + 1) * sizeof(*h));

	if (!h) {
		c->oom = true;
		return;
	}
	c->handles = h;
	h[c->n] = handle_of(c->j, v);
	if (h[c->n])
		c->n++;
	else
		c->oom = true;
}

static void get_guard_state(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
			    const ProtobufCMessage *req)
{
	const struct janus *j = ctx;
	struct state_ctx c = { .j = j };

	(void)rpc;
	(void)req;
	if (j->agent->guards)
		pn_guards_foreach(j->agent->guards, collect_handle, &c);
	for (size_t i = 0; i < c.n; i++) {
		pn_rpc_stream_send(s, &c.handles[i]->base, false);
		protobuf_c_message_free_unpacked(&c.handles[i]->base, NULL);
	}
	free(c.handles);
	if (c.oom)
		pn_rpc_stream_finish(s, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	else
		pn_rpc_stream_finish(s, GRPC_STATUS_OK, "");
}

static const struct pn_rpc_method janus_methods[] = {
	{ .path = "/janus.Janusd/CreateGuard",
	  .request = &janus__janusd_config__descriptor,
	  .max_request_bytes = PN_API_WATCH_REQUEST,
	  .unary = create_guard },
	{ .path = "/janus.Janusd/DestroyGuard",
	  .request = &janus__janusd_config__descriptor,
	  .max_request_bytes = PN_API_WATCH_REQUEST,
	  .unary = destroy_guard },
	{ .path = "/janus.Janusd/GetGuardState",
	  .request = &janus__empty__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_READ,
	  .stream = get_guard_state },
	{ 0 },
};

static void janus_stop(void *ctx)
{
	free(ctx);
}

int pn_janus_service(struct pn_rpc_service *row, const struct pn_agent_view *agent)
{
	struct janus *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->agent = agent;
	*row = (struct pn_rpc_service){
		.name = "janus.Janusd",
		.methods = janus_methods,
		.ctx = j,
		.stop = janus_stop,
	};
	return 0;
}
