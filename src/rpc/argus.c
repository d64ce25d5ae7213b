// SPDX-License-Identifier: GPL-2.0-only
/*
 * argus.Argusd, as argusd served it to argus-controller: a watch is keyed by
 * node and pids (or container ids), created or updated in place by
 * CreateWatch, removed by DestroyWatch. Both go through the registry like
 * every other watch.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argus.pb-c.h"
#include "convert.h"
#include "log.h"
#include "server.h"

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

static Argus__ArgusdHandle *handle_of_view(const struct pn_rpc *rpc, const struct pn_watch_view *v)
{
	Argus__ArgusdHandle *h = malloc(sizeof(*h));
	struct pid_list pids = { 0 };

	if (!h)
		return NULL;
	argus__argusd_handle__init(h);
	h->nodename = strdup(pn_rpc_opts(rpc)->node);
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
	const struct pn_rpc *rpc;
	const char *key;
	Argus__ArgusdHandle *found;
};

static void find_handle(const struct pn_watch_view *v, void *arg)
{
	struct find_ctx *f = arg;

	if (!f->found && v->watch->key && strcmp(v->watch->key, f->key) == 0)
		f->found = handle_of_view(f->rpc, v);
}

static grpc_status_code create_watch(struct pn_rpc *rpc, const ProtobufCMessage *req,
				     ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Argus__ArgusdConfig *c = (const void *)req;
	const struct pn_rpc_opts *o = pn_rpc_opts(rpc);
	struct pn_watch_spec spec;
	struct find_ctx f = { .rpc = rpc };
	char key[4096], name[256];
	int e;

	e = pn_argus_to_spec(c, o->node, &spec, msg, msglen);
	if (e)
		return pn_rpc_status_of_errno(e);
	snprintf(key, sizeof(key), "%s", spec.watch->key);
	snprintf(name, sizeof(name), "%s", spec.watch->name);
	e = pn_registry_install(o->registry, &spec, PN_REG_UPSERT, msg, msglen);
	if (e && strncmp(msg, "container ", 10) == 0) {
		char was[1024];

		/* argus calls that field cid */
		snprintf(was, sizeof(was), "%s", msg);
		snprintf(msg, msglen, "cid: %s", was);
	}
	if (e) {
		pn_watch_free(spec.watch);
		pn_targets_clear(&spec.targets);
		return pn_rpc_status_of_errno(e);
	}
	pn_info("grpc: argus watch %s installed (%s)", name, key);
	f.key = key;
	pn_registry_foreach_view(o->registry, find_handle, &f);
	if (!f.found) {
		/* pruned between install and now: the container exited */
		snprintf(msg, msglen, "cid/pid: the targets of %s exited while it was installed",
			 name);
		return GRPC_STATUS_NOT_FOUND;
	}
	*resp = &f.found->base;
	return GRPC_STATUS_OK;
}

static grpc_status_code destroy_watch(struct pn_rpc *rpc, const ProtobufCMessage *req,
				      ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Argus__ArgusdConfig *c = (const void *)req;
	const struct pn_rpc_opts *o = pn_rpc_opts(rpc);
	Argus__Empty *empty;
	char key[4096];
	int e;

	e = pn_argus_key(c, o->node, key, sizeof(key), msg, msglen);
	if (e)
		return pn_rpc_status_of_errno(e);
	if (pn_registry_remove(o->registry, key)) {
		snprintf(msg, msglen, "nodeName, pid, cid: no watch for %s", key + strlen("argus/"));
		return GRPC_STATUS_NOT_FOUND;
	}
	pn_info("grpc: argus watch %s removed", key);
	empty = malloc(sizeof(*empty));
	if (!empty)
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	argus__empty__init(empty);
	*resp = &empty->base;
	return GRPC_STATUS_OK;
}

struct state_ctx {
	struct pn_rpc *rpc;
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
	h[c->n] = handle_of_view(c->rpc, v);
	if (h[c->n])
		c->n++;
	else
		c->oom = true;
}

static void get_watch_state(struct pn_rpc *rpc, struct pn_rpc_stream *s,
			    const ProtobufCMessage *req)
{
	struct state_ctx c = { .rpc = rpc };

	(void)req;
	/* Snapshot under the registry lock, send outside it: a slow client holds nothing. */
	pn_registry_foreach_view(pn_rpc_opts(rpc)->registry, collect_handle, &c);
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

static void record_metrics(struct pn_rpc *rpc, struct pn_rpc_stream *s,
			   const ProtobufCMessage *req)
{
	(void)rpc;
	(void)req;
	pn_rpc_stream_subscribe(s, PN_FEED_METRICS, NULL, NULL);
}

const struct pn_rpc_method pn_argus_methods[] = {
	{ .path = "/argus.Argusd/CreateWatch",
	  .request = &argus__argusd_config__descriptor,
	  .unary = create_watch },
	{ .path = "/argus.Argusd/DestroyWatch",
	  .request = &argus__argusd_config__descriptor,
	  .unary = destroy_watch },
	{ .path = "/argus.Argusd/GetWatchState",
	  .request = &argus__empty__descriptor,
	  .stream = get_watch_state },
	{ .path = "/argus.Argusd/RecordMetrics",
	  .request = &argus__empty__descriptor,
	  .stream = record_metrics },
	{ 0 },
};
