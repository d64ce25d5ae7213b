// SPDX-License-Identifier: GPL-2.0-only
/*
 * argus.Argusd, as argusd served it to argus-controller: a watch is keyed by
 * node and pids (or container ids), created or updated in place by
 * CreateWatch, removed by DestroyWatch. Both go through the registry like
 * every other watch.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argus.pb-c.h"
#include "convert.h"
#include "status.h"
#include "feed.h"
#include "bounds.h"
#include "log.h"
#include "services.h"

/*
 * argus-controller creates a watch with container ids only and later
 * destroys it with the pids of the handle CreateWatch returned. A
 * cid-keyed watch is therefore also found by "argus/<node>/pid:<handle
 * pids>": this table maps that alias to the registry key. Entries are
 * small and replaced or removed with their watch.
 */
struct alias {
	char *pid_key;
	char *key;
};

/* The service's state: one per server, freed with it. */
struct argus {
	const struct pn_agent_view *agent;
	pthread_mutex_t lock; /* the aliases */
	struct alias *aliases;
	size_t n_aliases;
};

static void alias_drop_at(struct argus *a, size_t i)
{
	free(a->aliases[i].pid_key);
	free(a->aliases[i].key);
	a->aliases[i] = a->aliases[--a->n_aliases];
}

/* Remembers pid_key -> key (any older alias of either is dropped). */
static void alias_set(struct argus *a, const char *pid_key, const char *key)
{
	struct alias *v;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->n_aliases;) {
		if (strcmp(a->aliases[i].pid_key, pid_key) == 0 ||
		    strcmp(a->aliases[i].key, key) == 0) {
			alias_drop_at(a, i);
			continue;
		}
		i++;
	}
	v = realloc(a->aliases, (a->n_aliases + 1) * sizeof(*v));
	if (v) {
		a->aliases = v;
		v[a->n_aliases].pid_key = strdup(pid_key);
		v[a->n_aliases].key = strdup(key);
		if (v[a->n_aliases].pid_key && v[a->n_aliases].key) {
			a->n_aliases++;
		} else {
			free(v[a->n_aliases].pid_key);
			free(v[a->n_aliases].key);
		}
	}
	pthread_mutex_unlock(&a->lock);
}

/* Takes the alias of pid_key out of the table; the key it named, or NULL. */
static char *alias_take(struct argus *a, const char *pid_key)
{
	char *key = NULL;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->n_aliases; i++) {
		if (strcmp(a->aliases[i].pid_key, pid_key) == 0) {
			key = a->aliases[i].key;
			a->aliases[i].key = NULL;
			alias_drop_at(a, i);
			break;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return key;
}

/* Pids: the ones asked for, else every process now in the watch's cgroups. */
struct pid_list {
	int32_t *v;
	size_t n, cap;
};

static void pids_add(struct pid_list *p, int32_t pid)
{
	int32_t *v;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] == pid)
			return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;

		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = pid;
}

static void pids_of_view(const struct pn_watch_view *v, struct pid_list *out)
{
	if (v->targets->n_pids) {
		for (size_t i = 0; i < v->targets->n_pids; i++)
			pids_add(out, v->targets->pids[i]);
		return;
	}
	for (size_t i = 0; i < v->n_bindings; i++) {
		char path[PATH_MAX];
		FILE *f;
		int pid;

		snprintf(path, sizeof(path), "%s/cgroup.procs", v->bindings[i].path);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fscanf(f, "%d", &pid) == 1)
			pids_add(out, pid);
		fclose(f);
	}
}

static Argus__ArgusdHandle *handle_of_view(const struct argus *a, const struct pn_watch_view *v)
{
	Argus__ArgusdHandle *h = malloc(sizeof(*h));
	struct pid_list pids = { 0 };

	if (!h)
		return NULL;
	argus__argusd_handle__init(h);
	h->nodename = strdup(a->agent->node);
	h->podname = strdup(v->watch->pod ? v->watch->pod : "");
	pids_of_view(v, &pids);
	h->pid = pids.v;
	h->n_pid = pids.n;
	if (!h->nodename || !h->podname) {
		protobuf_c_message_free_unpacked(&h->base, NULL);
		return NULL;
	}
	return h;
}

struct find_ctx {
	const struct argus *a;
	const char *key;
	Argus__ArgusdHandle *found;
};

static void find_handle(const struct pn_watch_view *v, void *arg)
{
	struct find_ctx *f = arg;

	if (!f->found && v->watch->key && strcmp(v->watch->key, f->key) == 0)
		f->found = handle_of_view(f->a, v);
}

static grpc_status_code create_watch(struct pn_rpc *rpc, void *ctx,
				     const struct pn_authz_caller *who, const ProtobufCMessage *req,
				     ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Argus__ArgusdConfig *c = (const void *)req;
	struct argus *a = ctx;
	const struct pn_agent_view *agent = a->agent;
	struct pn_watch_spec spec;
	struct find_ctx f = { .a = a };
	struct pn_reg_error re = { 0 };
	char key[4096], name[256];
	int e;

	(void)rpc;
	e = pn_argus_to_spec(c, agent->node, &spec, msg, msglen);
	if (e)
		return pn_api_status_of_errno(e);
	snprintf(key, sizeof(key), "%s", spec.watch->key);
	snprintf(name, sizeof(name), "%s", spec.watch->name);
	/* one call at a time on the completion queue thread: nothing changes the key between */
	e = pn_authz_may_modify_key(agent, who, PN_WATCH_ARGUS, key, "CreateWatch", msg, msglen);
	if (!e)
		e = pn_authz_may_bind(agent, &spec.targets, msg, msglen);
	if (e || (e = pn_authz_stamp(spec.watch, who))) {
		pn_watch_free(spec.watch);
		pn_targets_clear(&spec.targets);
		return e == -ENOMEM ? GRPC_STATUS_RESOURCE_EXHAUSTED :
				      GRPC_STATUS_PERMISSION_DENIED;
	}
	e = agent->install(agent->ctx, &spec, PN_REG_UPSERT, &re);
	if (e) {
		/* argus calls the containers field cid */
		snprintf(msg, msglen, "%s%s", re.field == PN_REG_FIELD_CONTAINER ? "cid: " : "",
			 re.msg);
		pn_watch_free(spec.watch);
		pn_targets_clear(&spec.targets);
		return pn_api_status_of_errno(e);
	}
	pn_info("grpc: argus watch %s installed (%s)", name, key);
	f.key = key;
	agent->foreach_watch(agent->ctx, find_handle, &f);
	if (!f.found) {
		/* pruned between install and now: the container exited */
		snprintf(msg, msglen, "cid/pid: the targets of %s exited while it was installed",
			 name);
		return GRPC_STATUS_NOT_FOUND;
	}
	if (!c->n_pid && f.found->n_pid) {
		Argus__ArgusdConfig by_pid = *c;
		char pid_key[4096], ignored[64];

		by_pid.pid = f.found->pid;
		by_pid.n_pid = f.found->n_pid;
		if (pn_argus_key(&by_pid, agent->node, pid_key, sizeof(pid_key), ignored,
				 sizeof(ignored)) == 0)
			alias_set(a, pid_key, key);
	}
	*resp = &f.found->base;
	return GRPC_STATUS_OK;
}

static grpc_status_code destroy_watch(struct pn_rpc *rpc, void *ctx,
				      const struct pn_authz_caller *who,
				      const ProtobufCMessage *req, ProtobufCMessage **resp,
				      char *msg, size_t msglen)
{
	const Argus__ArgusdConfig *c = (const void *)req;
	struct argus *a = ctx;
	const struct pn_agent_view *agent = a->agent;
	Argus__Empty *empty;
	char key[4096];
	const char *gone;
	char *aliased;
	int e;

	(void)rpc;
	e = pn_argus_key(c, agent->node, key, sizeof(key), msg, msglen);
	if (e)
		return pn_api_status_of_errno(e);
	if (pn_authz_may_modify_key(agent, who, PN_WATCH_ARGUS, key, "DestroyWatch", msg, msglen))
		return GRPC_STATUS_PERMISSION_DENIED;
	/* by its own key, else by the pids of the handle a cid-only CreateWatch returned */
	aliased = alias_take(a, key);
	gone = key;
	e = agent->remove(agent->ctx, key);
	if (e && aliased) {
		if (pn_authz_may_modify_key(agent, who, PN_WATCH_ARGUS, aliased, "DestroyWatch",
					    msg, msglen)) {
			alias_set(a, key, aliased);
			free(aliased);
			return GRPC_STATUS_PERMISSION_DENIED;
		}
		e = agent->remove(agent->ctx, aliased);
		gone = aliased;
	}
	if (e) {
		/*
		 * As argusd: destroying what is not there is not an error. The
		 * usual cause is a pod that already ended, whose watch panoptesd
		 * pruned with its cgroup; an error would only make the
		 * controller retry.
		 */
		pn_info_refusal("grpc: argus DestroyWatch: no watch for %s (already gone)",
				key + strlen("argus/"));
	} else {
		pn_info("grpc: argus watch %s removed", gone);
	}
	free(aliased);
	empty = malloc(sizeof(*empty));
	if (!empty)
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	argus__empty__init(empty);
	*resp = &empty->base;
	return GRPC_STATUS_OK;
}

struct state_ctx {
	const struct argus *a;
	Argus__ArgusdHandle **handles;
	size_t n;
	bool oom;
};

static void collect_handle(const struct pn_watch_view *v, void *arg)
{
	struct state_ctx *c = arg;
	Argus__ArgusdHandle **h = realloc(c->handles, (c->n + 1) * sizeof(*h));

	if (!h) {
		c->oom = true;
		return;
	}
	c->handles = h;
	h[c->n] = handle_of_view(c->a, v);
	if (h[c->n])
		c->n++;
	else
		c->oom = true;
}

static void get_watch_state(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
			    const ProtobufCMessage *req)
{
	const struct argus *a = ctx;
	struct state_ctx c = { .a = a };

	(void)rpc;
	(void)req;
	/* Snapshot under the registry lock, send outside it: a slow client holds nothing. */
	a->agent->foreach_watch(a->agent->ctx, collect_handle, &c);
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

static grpc_byte_buffer *metrics_message(void *ctx, const struct pn_event *ev,
					 const struct pn_match *m, const struct pn_format_ctx *fctx)
{
	const struct argus *a = ctx;

	/* a guard's decision is no argus watch's event */
	if (fctx && fctx->response)
		return NULL;
	return pn_event_metrics_buffer(a->agent->node, ev, m);
}

static const struct pn_rpc_feed argus_feeds[] = {
	{ .name = "RecordMetrics", .build = metrics_message },
	{ 0 },
};

static void record_metrics(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
			   const ProtobufCMessage *req)
{
	(void)rpc;
	(void)ctx;
	(void)req;
	pn_rpc_stream_subscribe(s, &argus_feeds[0], NULL);
}

static const struct pn_rpc_method argus_methods[] = {
	{ .path = "/argus.Argusd/CreateWatch",
	  .request = &argus__argusd_config__descriptor,
	  .max_request_bytes = PN_API_WATCH_REQUEST,
	  .unary = create_watch },
	{ .path = "/argus.Argusd/DestroyWatch",
	  .request = &argus__argusd_config__descriptor,
	  .max_request_bytes = PN_API_WATCH_REQUEST,
	  .unary = destroy_watch },
	{ .path = "/argus.Argusd/GetWatchState",
	  .request = &argus__empty__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_READ,
	  .stream = get_watch_state },
	{ .path = "/argus.Argusd/RecordMetrics",
	  .request = &argus__empty__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_READ,
	  .stream = record_metrics },
	{ 0 },
};

static void argus_stop(void *ctx)
{
	struct argus *a = ctx;

	if (!a)
		return;
	while (a->n_aliases)
		alias_drop_at(a, a->n_aliases - 1);
	free(a->aliases);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int pn_argus_service(struct pn_rpc_service *row, const struct pn_agent_view *agent)
{
	struct argus *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->agent = agent;
	pthread_mutex_init(&a->lock, NULL);
	*row = (struct pn_rpc_service){
		.name = "argus.Argusd",
		.methods = argus_methods,
		.feeds = argus_feeds,
		.ctx = a,
		.stop = argus_stop,
	};
	return 0;
}
