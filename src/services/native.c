// SPDX-License-Identifier: GPL-2.0-only
/* panoptes.v1.Agent: the native API (typed watches, full event records, status). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "convert.h"
#include "status.h"
#include "text.h"
#include "event_type.h"
#include "feed.h"
#include "guard_calls.h"
#include "log.h"
#include "macros.h"
#include "panoptes/v1/agent.pb-c.h"
#include "pathutil.h"
#include "bounds.h"
#include "services.h"

/*
 * The registry says which part of the spec it refused; the API names the
 * request field that holds it.
 */
static void name_the_field(int e, const struct pn_reg_error *err, const char *name, char *msg,
			   size_t msglen)
{
	switch (err->field) {
	case PN_REG_FIELD_NAME:
		if (e == -EEXIST)
			snprintf(msg, msglen, "watch.name: a watch named \"%s\" already exists",
				 name);
		else
			snprintf(msg, msglen, "watch.name: no watch named \"%s\"", name);
		break;
	case PN_REG_FIELD_TARGETS:
	case PN_REG_FIELD_PID:
	case PN_REG_FIELD_CGROUP:
	case PN_REG_FIELD_CONTAINER:
		snprintf(msg, msglen, "watch.targets: %s", err->msg);
		break;
	case PN_REG_FIELD_NONE:
		snprintf(msg, msglen, "%s", err->msg);
		break;
	}
}

struct find_ctx {
	const char *name;
	Panoptes__V1__WatchInfo *info;
	bool oom;
};

static void find_info(const struct pn_watch_view *v, void *arg)
{
	struct find_ctx *f = arg;

	if (f->info || v->watch->key || strcmp(v->watch->name, f->name) != 0)
		return;
	f->info = pn_api_watch_info_new(v);
	f->oom = !f->info;
}

static grpc_status_code install(const struct pn_agent_view *agent,
				const struct pn_authz_caller *who, const Panoptes__V1__Watch *w,
				enum pn_reg_mode mode, ProtobufCMessage **resp, char *msg,
				size_t msglen)
{
	struct find_ctx f = { 0 };
	struct pn_reg_error re = { 0 };
	struct pn_watch_spec spec;
	char name[256], target_msg[1024];
	int e;

	e = pn_api_watch_to_spec(w, &spec, msg, msglen);
	if (e)
		return pn_api_status_of_errno(e);
	snprintf(name, sizeof(name), "%s", spec.watch->name);
	/*
	 * Checked, then installed: the handlers run one at a time on the
	 * completion queue thread, so no other call changes the watch between.
	 * A create changes nothing that exists (the registry refuses a taken
	 * name).
	 */
	if (mode != PN_REG_CREATE_ONLY)
		e = pn_authz_may_modify_key(agent, who, PN_WATCH_NATIVE, name, "UpdateWatch", msg,
					    msglen);
	if (!e && (e = pn_authz_may_bind(agent, &spec.targets, target_msg, sizeof(target_msg))))
		snprintf(msg, msglen, "watch.targets: %s", target_msg);
	if (e || (e = pn_authz_stamp(spec.watch, who))) {
		pn_watch_free(spec.watch);
		pn_targets_clear(&spec.targets);
		return e == -ENOMEM ? GRPC_STATUS_RESOURCE_EXHAUSTED :
				      GRPC_STATUS_PERMISSION_DENIED;
	}
	e = agent->install(agent->ctx, &spec, mode, &re);
	if (e) {
		pn_watch_free(spec.watch);
		pn_targets_clear(&spec.targets);
		name_the_field(e, &re, name, msg, msglen);
		return pn_api_status_of_errno(e);
	}
	pn_info("grpc: watch %s %s", name, mode == PN_REG_CREATE_ONLY ? "created" : "updated");
	f.name = name;
	agent->foreach_watch(agent->ctx, find_info, &f);
	if (!f.info) {
		snprintf(msg, msglen, "%s",
			 f.oom ? "out of memory" :
				 "watch.targets: exited while "
				 "the watch was installed");
		return f.oom ? GRPC_STATUS_RESOURCE_EXHAUSTED : GRPC_STATUS_NOT_FOUND;
	}
	*resp = &f.info->base;
	return GRPC_STATUS_OK;
}

static grpc_status_code create_watch(struct pn_rpc *rpc, void *ctx,
				     const struct pn_authz_caller *who, const ProtobufCMessage *req,
				     ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Panoptes__V1__CreateWatchRequest *r = (const void *)req;

	(void)rpc;
	return install(ctx, who, r->watch, PN_REG_CREATE_ONLY, resp, msg, msglen);
}

static grpc_status_code update_watch(struct pn_rpc *rpc, void *ctx,
				     const struct pn_authz_caller *who, const ProtobufCMessage *req,
				     ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Panoptes__V1__UpdateWatchRequest *r = (const void *)req;

	(void)rpc;
	return install(ctx, who, r->watch, PN_REG_REPLACE_ONLY, resp, msg, msglen);
}

static grpc_status_code delete_watch(struct pn_rpc *rpc, void *ctx,
				     const struct pn_authz_caller *who, const ProtobufCMessage *req,
				     ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Panoptes__V1__DeleteWatchRequest *r = (const void *)req;
	const struct pn_agent_view *agent = ctx;
	Panoptes__V1__DeleteWatchResponse *out;

	(void)rpc;
	if (!r->name[0]) {
		snprintf(msg, msglen, "name: required");
		return GRPC_STATUS_INVALID_ARGUMENT;
	}
	if (pn_authz_may_modify_key(agent, who, PN_WATCH_NATIVE, r->name, "DeleteWatch", msg,
				    msglen))
		return GRPC_STATUS_PERMISSION_DENIED;
	if (agent->remove(agent->ctx, r->name)) {
		snprintf(msg, msglen, "name: no watch named \"%s\"", r->name);
		return GRPC_STATUS_NOT_FOUND;
	}
	pn_info("grpc: watch %s deleted", r->name);
	out = malloc(sizeof(*out));
	if (!out)
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	panoptes__v1__delete_watch_response__init(out);
	*resp = &out->base;
	return GRPC_STATUS_OK;
}

/*
 * ListWatches in pages, in two walks so that only one page of WatchInfo is
 * ever built at a time: the first measures every watch after the page
 * token (each info built, measured, freed) and, in registry key order,
 * picks what fits the reply's size bound (or page_size); the second builds
 * the picked ones. The token of the next page is the key of the last
 * watch picked, so a watch created or deleted between pages moves no other
 * watch to another page; one that goes between the walks is left out.
 */
struct listed {
	char *key;
	size_t bytes;		       /* packed, with its tag and length */
	Panoptes__V1__WatchInfo *info; /* the second walk's */
};

struct list_ctx {
	const char *after; /* the page token: keys after it */
	struct listed *v;
	size_t n;     /* measured; sorted by key after the first walk */
	size_t taken; /* picked: v[0..taken) */
	bool oom;
};

static const char *watch_key(const struct pn_watch *w)
{
	return w->key ? w->key : w->name;
}

static void list_measure(const struct pn_watch_view *v, void *arg)
{
	struct list_ctx *c = arg;
	const char *key = watch_key(v->watch);
	Panoptes__V1__WatchInfo *info;
	struct listed *nv;

	if (c->oom || (c->after[0] && strcmp(key, c->after) <= 0))
		return;
	nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	if (!nv) {
		c->oom = true;
		return;
	}
	c->v = nv;
	info = pn_api_watch_info_new(v);
	nv[c->n] = (struct listed){ .key = strdup(key) };
	if (!info || !nv[c->n].key) {
		free(nv[c->n].key);
		c->oom = true;
	} else {
		/* field 1's tag, and its length as a varint at most */
		nv[c->n].bytes = protobuf_c_message_get_packed_size(&info->base) + 1 + 10;
		c->n++;
	}
	if (info)
		protobuf_c_message_free_unpacked(&info->base, NULL);
}

static int listed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->key, ((const struct listed *)b)->key);
}

static void list_fill(const struct pn_watch_view *v, void *arg)
{
	struct list_ctx *c = arg;
	struct listed want = { .key = (char *)watch_key(v->watch) }, *at;

	if (c->oom || !c->taken)
		return;
	at = bsearch(&want, c->v, c->taken, sizeof(*c->v), listed_cmp);
	if (at && !at->info) {
		at->info = pn_api_watch_info_new(v);
		c->oom = !at->info;
	}
}

static void list_clear(struct list_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		if (c->v[i].info)
			protobuf_c_message_free_unpacked(&c->v[i].info->base, NULL);
	}
	free(c->v);
}

static grpc_status_code list_watches(struct pn_rpc *rpc, void *ctx,
				     const struct pn_authz_caller *who, const ProtobufCMessage *req,
				     ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Panoptes__V1__ListWatchesRequest *r = (const void *)req;
	const struct pn_agent_view *agent = ctx;
	struct list_ctx c = { .after = r->page_token };
	Panoptes__V1__ListWatchesResponse *out = NULL;
	size_t bytes = 0, room = PN_API_LIST_REPLY_BYTES - 1 - 10 - PN_API_PATH_BYTES;

	(void)rpc;
	(void)who;
	agent->foreach_watch(agent->ctx, list_measure, &c);
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), listed_cmp);
	/* room leaves space for the token; one watch always goes, whatever its size */
	while (c.taken < c.n && (!r->page_size || c.taken < r->page_size) &&
	       (!c.taken || bytes + c.v[c.taken].bytes <= room))
		bytes += c.v[c.taken++].bytes;
	if (!c.oom)
		agent->foreach_watch(agent->ctx, list_fill, &c);
	if (!c.oom && (out = malloc(sizeof(*out)))) {
		panoptes__v1__list_watches_response__init(out);
		out->watches = malloc((c.taken ? c.taken : 1) * sizeof(*out->watches));
		if (out->watches && c.taken < c.n)
			out->next_page_token = strdup(c.v[c.taken - 1].key);
	}
	if (!out || !out->watches || !out->next_page_token) {
		if (out)
			protobuf_c_message_free_unpacked(&out->base, NULL);
		list_clear(&c);
		snprintf(msg, msglen, "out of memory");
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	for (size_t i = 0; i < c.taken; i++) {
		if (c.v[i].info)
			out->watches[out->n_watches++] = c.v[i].info;
		c.v[i].info = NULL;
	}
	list_clear(&c);
	*resp = &out->base;
	return GRPC_STATUS_OK;
}

static int filter_of(const Panoptes__V1__StreamEventsRequest *r, struct pn_event_filter *f,
		     char *msg, size_t msglen)
{
	char path[PN_PATH_MAX];

	memset(f, 0, sizeof(*f));
	/* before any name is looked at: the set's size is what the bound is for */
	if (r->n_watches > PN_EVENT_FILTER_WATCHES_MAX) {
		snprintf(msg, msglen, "watches: %zu names, at most %d", r->n_watches,
			 PN_EVENT_FILTER_WATCHES_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < r->n_events; i++) {
		if (pn_api_event_type_mask((int)r->events[i], &f->events)) {
			snprintf(msg, msglen, "events[%zu]: %d is not an event type", i,
				 (int)r->events[i]);
			return -EINVAL;
		}
	}
	if (pn_text_check_field("path_prefix", r->path_prefix, msg, msglen))
		return -EINVAL;
	for (size_t i = 0; i < r->n_watches; i++) {
		char fi[32];

		snprintf(fi, sizeof(fi), "watches[%zu]", i);
		if (pn_text_check_field(fi, r->watches[i], msg, msglen))
			return -EINVAL;
	}
	if (r->path_prefix[0]) {
		if (r->path_prefix[0] != '/' ||
		    pn_path_normalize(r->path_prefix, path, sizeof(path)) < 0) {
			snprintf(msg, msglen, "path_prefix: \"%s\" is not an absolute path",
				 r->path_prefix);
			return -EINVAL;
		}
		f->path_prefix = strdup(path);
		if (!f->path_prefix)
			goto oom;
	}
	if (pn_event_filter_set_watches(f, r->watches, r->n_watches))
		goto oom;
	return 0;
oom:
	pn_event_filter_clear(f);
	snprintf(msg, msglen, "out of memory");
	return -ENOMEM;
}

static grpc_byte_buffer *event_message(void *ctx, const struct pn_event *ev,
				       const struct pn_match *m, const struct pn_format_ctx *fctx)
{
	const struct pn_agent_view *agent = ctx;

	return pn_event_record_buffer(agent->node, ev, m, fctx);
}

static bool event_pass(const void *sub, const struct pn_match *m)
{
	return pn_event_filter_pass(sub, m);
}

static void event_filter_free(void *sub)
{
	if (!sub)
		return;
	pn_event_filter_clear(sub);
	free(sub);
}

static const struct pn_rpc_feed native_feeds[] = {
	{ .name = "StreamEvents",
	  .build = event_message,
	  .pass = event_pass,
	  .free_sub = event_filter_free },
	/* not fed events: pn_native_publish_lifecycle() sends to it */
	{ .name = "StreamLifecycle" },
	{ 0 },
};
#define LIFECYCLE_FEED (&native_feeds[1])

static const Panoptes__V1__LifecycleKind lifecycle_kinds[] = {
	[PN_LC_CONTAINER_STARTED] = PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_CONTAINER_STARTED,
	[PN_LC_CONTAINER_STOPPED] = PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_CONTAINER_STOPPED,
	[PN_LC_IMAGE_ADDED] = PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_IMAGE_ADDED,
	[PN_LC_IMAGE_REMOVED] = PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_IMAGE_REMOVED,
};

static char *or_empty(const char *s)
{
	return (char *)(s ? s : "");
}

/* The record as LifecycleRecord; its strings are lc's (valid while lc is). */
static void lifecycle_record(Panoptes__V1__LifecycleRecord *r, const char *node,
			     const struct pn_lifecycle *lc)
{
	panoptes__v1__lifecycle_record__init(r);
	if ((size_t)lc->kind < ARRAY_SIZE(lifecycle_kinds))
		r->kind = lifecycle_kinds[lc->kind];
	r->time_unix_nano = lc->realtime_ns > 0 ? (uint64_t)lc->realtime_ns : 0;
	r->snapshot = lc->snapshot;
	r->reconciled = lc->reconciled;
	r->image = or_empty(lc->image);
	r->image_spec = or_empty(lc->image_spec);
	r->image_id = or_empty(lc->image_id);
	r->namespace_ = or_empty(lc->namespace);
	r->pod = or_empty(lc->pod);
	r->container_name = or_empty(lc->container_name);
	r->container_id = or_empty(lc->container_id);
	r->node = or_empty(node);
}

void pn_native_publish_lifecycle(struct pn_rpc *rpc, const char *node,
				 const struct pn_lifecycle *lc)
{
	Panoptes__V1__LifecycleRecord r;

	lifecycle_record(&r, node, lc);
	pn_rpc_publish_message(rpc, LIFECYCLE_FEED, &r.base);
}

struct snapshot_to {
	struct pn_rpc_stream *s;
	const char *node;
};

static void snapshot_record(void *arg, const struct pn_lifecycle *lc)
{
	struct snapshot_to *to = arg;
	Panoptes__V1__LifecycleRecord r;

	lifecycle_record(&r, to->node, lc);
	/* what runs now is finite, and a client that joins needs all of it */
	pn_rpc_stream_send(to->s, &r.base, false);
}

static void snapshot_done(void *arg)
{
	struct snapshot_to *to = arg;

	pn_rpc_stream_subscribe(to->s, LIFECYCLE_FEED, NULL);
}

static void stream_lifecycle(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
			     const ProtobufCMessage *req)
{
	const struct pn_agent_view *agent = ctx;
	struct snapshot_to to = { .s = s, .node = agent->node };
	int e;

	(void)rpc;
	(void)req;
	e = agent->lifecycle_snapshot ?
		    agent->lifecycle_snapshot(agent->ctx, snapshot_record, snapshot_done, &to) :
		    -ENODEV;
	if (e == -ENODEV)
		pn_rpc_stream_finish(
			s, GRPC_STATUS_FAILED_PRECONDITION,
			"no container runtime: panoptesd runs with --cri-endpoint \"\"");
	else if (e)
		pn_rpc_stream_finish(s, pn_api_status_of_errno(e), strerror(-e));
}

static void stream_events(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
			  const ProtobufCMessage *req)
{
	struct pn_event_filter *f = malloc(sizeof(*f));
	char msg[PN_PATH_MAX + 128];
	int e;

	(void)rpc;
	(void)ctx;
	if (!f) {
		pn_rpc_stream_finish(s, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	e = filter_of((const void *)req, f, msg, sizeof(msg));
	if (e) {
		free(f);
		pn_rpc_stream_finish(s, pn_api_status_of_errno(e), msg);
		return;
	}
	pn_rpc_stream_subscribe(s, &native_feeds[0], f);
}

static grpc_status_code get_status(struct pn_rpc *rpc, void *ctx, const struct pn_authz_caller *who,
				   const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg,
				   size_t msglen)
{
	const struct pn_agent_view *o = ctx;
	struct pn_agent_status as;
	Panoptes__V1__Status *st;
	Panoptes__V1__KernelCounters *kc;
	Panoptes__V1__Runtime *rt = NULL;
	struct pn_counters k;
	struct utsname u;
	char *progs, *save = NULL;
	bool ok = true;

	(void)req;
	(void)who;
	st = calloc(1, sizeof(*st));
	kc = calloc(1, sizeof(*kc));
	if (!st || !kc) {
		free(st);
		free(kc);
		snprintf(msg, msglen, "out of memory");
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	panoptes__v1__status__init(st);
	panoptes__v1__kernel_counters__init(kc);
	st->kernel = kc;
	o->counters(o->ctx, &k);
#define COPY(name, metric, help) kc->name = k.name;
	PN_COUNTERS(COPY)
#undef COPY
	st->version = strdup(o->version);
	st->node = strdup(o->node);
	o->status(o->ctx, &as);
	st->backend = strdup(as.backend);
	st->kernel_release = strdup(uname(&u) == 0 ? u.release : "");
	ok = st->version && st->node && st->backend && st->kernel_release;
	progs = strdup(as.programs);
	st->programs = calloc(64, sizeof(char *));
	if (!progs || !st->programs)
		ok = false;
	for (char *p = progs ? strtok_r(progs, ",", &save) : NULL; p && ok && st->n_programs < 64;
	     p = strtok_r(NULL, ",", &save)) {
		st->programs[st->n_programs] = strdup(p);
		if (!st->programs[st->n_programs++])
			ok = false;
	}
	free(progs);
	st->uptime_seconds = pn_rpc_uptime_s(rpc);
	st->watches = (uint32_t)as.watches;
	st->cgroups = (uint32_t)as.cgroups;
	st->records = as.records;
	st->malformed = as.malformed;
	st->events = as.events;
	st->events_dropped = as.dropped;
	st->streams = pn_rpc_stream_count(rpc);
	st->stream_drops = pn_rpc_stream_drops(rpc);
	st->stream_cuts = pn_rpc_stream_cuts(rpc);
	st->streams_refused = pn_rpc_streams_refused(rpc);
	st->stream_queue_bytes = pn_rpc_stream_queue_bytes(rpc);
	st->insecure_listen = pn_rpc_insecure(rpc);
	st->policy_reloads = as.policy_reloads;
	st->policy_reload_failures = as.policy_reload_failures;
	st->lookups_timed_out = as.lookups_timed_out;
	st->lookups_skipped = as.lookups_skipped;
	st->guard_mechanism = strdup(o->guards ? pn_guards_mechanism(o->guards) : "");
	st->guard_unavailable = strdup(o->guards ? "" : o->guards_why ? o->guards_why : "");
	ok = ok && st->guard_mechanism && st->guard_unavailable;
	if (as.cri_enabled && ok) {
		rt = calloc(1, sizeof(*rt));
		if (rt) {
			panoptes__v1__runtime__init(rt);
			st->runtime = rt;
			rt->endpoint = strdup(as.cri.endpoint);
			rt->connected = as.cri.connected;
			rt->name = strdup(as.cri.runtime);
			rt->error = strdup(as.cri.error);
			rt->containers = as.cri.containers;
			rt->lookups = as.cri.lookups;
			rt->late = as.cri.late;
			rt->unknown = as.cri.unknown;
			rt->failures = as.cri.failures;
			rt->images = as.cri.images;
			rt->cgroups_made = as.cri.cgroups_made;
			rt->cgroups_removed = as.cri.cgroups_removed;
		}
		ok = rt && rt->endpoint && rt->name && rt->error;
	}
	if (!ok) {
		protobuf_c_message_free_unpacked(&st->base, NULL);
		snprintf(msg, msglen, "out of memory");
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	*resp = &st->base;
	return GRPC_STATUS_OK;
}

static const struct pn_rpc_method native_methods[] = {
	{ .path = "/panoptes.v1.Agent/CreateWatch",
	  .request = &panoptes__v1__create_watch_request__descriptor,
	  .max_request_bytes = PN_API_WATCH_REQUEST,
	  .unary = create_watch },
	{ .path = "/panoptes.v1.Agent/UpdateWatch",
	  .request = &panoptes__v1__update_watch_request__descriptor,
	  .max_request_bytes = PN_API_WATCH_REQUEST,
	  .unary = update_watch },
	{ .path = "/panoptes.v1.Agent/DeleteWatch",
	  .request = &panoptes__v1__delete_watch_request__descriptor,
	  .max_request_bytes = PN_API_KEY_REQUEST,
	  .unary = delete_watch },
	{ .path = "/panoptes.v1.Agent/ListWatches",
	  .request = &panoptes__v1__list_watches_request__descriptor,
	  .max_request_bytes = PN_API_KEY_REQUEST,
	  .access = PN_RPC_READ,
	  .unary = list_watches },
	{ .path = "/panoptes.v1.Agent/StreamEvents",
	  .request = &panoptes__v1__stream_events_request__descriptor,
	  .max_request_bytes = PN_API_FILTER_REQUEST,
	  .access = PN_RPC_READ,
	  .stream = stream_events },
	{ .path = "/panoptes.v1.Agent/StreamLifecycle",
	  .request = &panoptes__v1__stream_lifecycle_request__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_READ,
	  .stream = stream_lifecycle },
	{ .path = "/panoptes.v1.Agent/CreateGuard",
	  .request = &panoptes__v1__create_guard_request__descriptor,
	  .max_request_bytes = PN_API_WATCH_REQUEST,
	  .unary = pn_native_create_guard },
	{ .path = "/panoptes.v1.Agent/DeleteGuard",
	  .request = &panoptes__v1__delete_guard_request__descriptor,
	  .max_request_bytes = PN_API_KEY_REQUEST,
	  .unary = pn_native_delete_guard },
	{ .path = "/panoptes.v1.Agent/ListGuards",
	  .request = &panoptes__v1__list_guards_request__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_READ,
	  .unary = pn_native_list_guards },
	{ .path = "/panoptes.v1.Agent/GetStatus",
	  .request = &panoptes__v1__get_status_request__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_READ,
	  .unary = get_status },
	{ 0 },
};

int pn_native_service(struct pn_rpc_service *row, const struct pn_agent_view *agent)
{
	/* stateless: the agent view is all it needs */
	*row = (struct pn_rpc_service){
		.name = "panoptes.v1.Agent",
		.methods = native_methods,
		.feeds = native_feeds,
		.ctx = (void *)agent,
	};
	return 0;
}
