// SPDX-License-Identifier: GPL-2.0-only
/* Protobuf <-> watch mapping and errno <-> gRPC status (src/api/convert.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convert.h"
#include "status.h"
#include "event_type.h"
#include "rules.h"
#include "selector.h"

/* An argus config on the stack: one subject, pids or cids as given. */
struct argus_req {
	Argus__ArgusdConfig c;
	Argus__ArgusWatcherSubject s;
	Argus__ArgusWatcherSubject *sv[1];
	Argus__ArgusWatcherSubject__TagsEntry tag;
	Argus__ArgusWatcherSubject__TagsEntry *tagv[1];
	char *paths[2];
	char *events[3];
	int32_t pids[3];
	char *cids[2];
};

static void argus_req_init(struct argus_req *r)
{
	memset(r, 0, sizeof(*r));
	argus__argusd_config__init(&r->c);
	argus__argus_watcher_subject__init(&r->s);
	argus__argus_watcher_subject__tags_entry__init(&r->tag);
	r->c.name = "web";
	r->c.podname = "web-0";
	r->pids[0] = 300;
	r->pids[1] = 100;
	r->c.pid = r->pids;
	r->c.n_pid = 2;
	r->paths[0] = "/data//logs/";
	r->s.path = r->paths;
	r->s.n_path = 1;
	r->events[0] = "create";
	r->events[1] = "closewrite";
	r->s.event = r->events;
	r->s.n_event = 2;
	r->s.recursive = 1;
	r->tag.key = "team";
	r->tag.value = "db";
	r->tagv[0] = &r->tag;
	r->s.tags = r->tagv;
	r->s.n_tags = 1;
	r->sv[0] = &r->s;
	r->c.subject = r->sv;
	r->c.n_subject = 1;
}

static void argus_maps_to_a_watch(void **state)
{
	struct argus_req r;
	struct pn_watch_spec spec;
	char err[512] = "";

	(void)state;
	argus_req_init(&r);
	assert_int_equal(pn_argus_to_spec(&r.c, "node-a", &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.watch->name, "web");
	assert_string_equal(spec.watch->pod, "web-0");
	assert_string_equal(spec.watch->origin, "argus");
	/* pids sorted: the same pod asked twice in another order is the same watch */
	assert_string_equal(spec.watch->key, "argus/node-a/pid:100,pid:300");
	assert_null(spec.watch->log_format);
	assert_int_equal(spec.watch->n_subjects, 1);
	assert_string_equal(spec.watch->subjects[0].paths[0], "/data/logs");
	assert_int_equal(spec.watch->subjects[0].events, PN_CREATE | PN_CLOSE_WRITE);
	assert_true(spec.watch->subjects[0].recursive);
	assert_string_equal(spec.watch->subjects[0].tags_text, "team=db");
	assert_int_equal(spec.targets.n_pids, 2);
	assert_int_equal(spec.targets.n_containers, 0);
	pn_watch_free(spec.watch);
	pn_targets_clear(&spec.targets);
}

static void argus_key_uses_cids_without_pids(void **state)
{
	struct argus_req r;
	struct pn_watch_spec spec;
	char err[512] = "";

	(void)state;
	argus_req_init(&r);
	r.c.n_pid = 0;
	r.cids[0] = "containerd://bbb";
	r.cids[1] = "containerd://aaa";
	r.c.cid = r.cids;
	r.c.n_cid = 2;
	r.c.nodename = "node-b";
	assert_int_equal(pn_argus_to_spec(&r.c, "node-a", &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.watch->key,
			    "argus/node-b/cid:containerd://aaa,cid:containerd://bbb");
	assert_int_equal(spec.targets.n_containers, 2);
	pn_watch_free(spec.watch);
	pn_targets_clear(&spec.targets);
}

static void expect_argus_error(struct argus_req *r, const char *want)
{
	struct pn_watch_spec spec = { 0 };
	char err[512] = "";

	assert_int_equal(pn_argus_to_spec(&r->c, "n", &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	assert_null(spec.watch);
	assert_null(spec.targets.pids);
}

static void argus_bad_input_names_the_field(void **state)
{
	struct argus_req r;

	(void)state;
	argus_req_init(&r);
	r.paths[0] = "data";
	expect_argus_error(&r, "subject[0].paths[0]: path must be absolute: \"data\"");

	argus_req_init(&r);
	r.paths[0] = "";
	expect_argus_error(&r, "subject[0].paths[0]: path must not be empty");

	argus_req_init(&r);
	r.events[1] = "explode";
	expect_argus_error(&r, "subject[0].event[1]: unknown event \"explode\" (valid: access "
			       "attrib closewrite closenowrite close create delete deleteself "
			       "modify moveself movedfrom movedto move open all)");

	argus_req_init(&r);
	r.s.n_event = 0;
	expect_argus_error(&r, "subject[0].event: at least one event is required");

	argus_req_init(&r);
	r.c.n_subject = 0;
	expect_argus_error(&r, "subject: at least one subject is required");

	argus_req_init(&r);
	r.s.maxdepth = -1;
	expect_argus_error(&r, "subject[0].maxDepth: must be >= 0, got -1");

	argus_req_init(&r);
	r.c.n_pid = 0;
	expect_argus_error(&r, "pid, cid: at least one pid or container id is required");

	argus_req_init(&r);
	r.pids[1] = -5;
	expect_argus_error(&r, "pid: -5 is not a process id");

	argus_req_init(&r);
	r.c.logformat = "{event} {nope}";
	expect_argus_error(
		&r, "logFormat: unknown log format specifier \"{nope}\" in \"{event} "
		    "{nope}\"; valid: {event} {ftype} {path} {file} {sep} {pod} {node} "
		    "{tags} {pid} {comm} {uid} {cgroup} {container} {container_id} {pod_uid} "
		    "{namespace} {container_name} {image} {image_id} {labels} {annotations} {time} "
		    "{response}");
}

static void event_types_follow_inotify_bits(void **state)
{
	uint32_t mask = 0;
	int type = -1;

	(void)state;
	assert_int_equal(pn_api_event_type_mask(PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ACCESS, &mask),
			 0);
	assert_int_equal(mask, PN_ACCESS);
	mask = 0;
	assert_int_equal(
		pn_api_event_type_mask(PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE_SELF, &mask), 0);
	assert_int_equal(mask, PN_MOVE_SELF);
	mask = 0;
	assert_int_equal(pn_api_event_type_mask(PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE, &mask),
			 0);
	assert_int_equal(mask, PN_CLOSE);
	mask = 0;
	assert_int_equal(pn_api_event_type_mask(PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ALL, &mask),
			 0);
	assert_int_equal(mask, PN_ALL_EVENTS);
	assert_int_equal(pn_api_event_type_mask(0, &mask), -EINVAL);
	assert_int_equal(pn_api_event_type_mask(99, &mask), -EINVAL);

	for (uint32_t bit = PN_ACCESS; bit <= PN_MOVE_SELF; bit <<= 1) {
		uint32_t back = 0;

		assert_int_equal(pn_api_event_type_mask(pn_api_event_type_of_bit(bit), &back), 0);
		assert_int_equal(back, bit);
	}
	assert_int_equal(pn_api_event_type_of_bit(PN_ISDIR), 0);
	assert_int_equal(pn_api_event_type_of_bit(PN_CLOSE), 0);

	assert_string_equal(
		pn_api_event_type_name(PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE_WRITE),
		"CLOSE_WRITE");
	assert_null(pn_api_event_type_name(0));
	assert_int_equal(pn_api_event_type_parse("closewrite", &type), 0);
	assert_int_equal(type, PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE_WRITE);
	assert_int_equal(pn_api_event_type_parse("moved_to", &type), 0);
	assert_int_equal(type, PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVED_TO);
	assert_int_equal(pn_api_event_type_parse("move", &type), 0);
	assert_int_equal(type, PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE);
	assert_int_equal(pn_api_event_type_parse("all", &type), 0);
	assert_int_equal(type, PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ALL);
	assert_int_equal(pn_api_event_type_parse("nope", &type), -EINVAL);
}

/* A native watch on the stack. */
struct api_req {
	Panoptes__V1__Watch w;
	Panoptes__V1__Targets t;
	Panoptes__V1__Subject s;
	Panoptes__V1__Subject *sv[1];
	char *paths[1];
	Panoptes__V1__EventType events[2];
	char *cgroups[1];
	int32_t pids[1];
};

static void api_req_init(struct api_req *r)
{
	memset(r, 0, sizeof(*r));
	panoptes__v1__watch__init(&r->w);
	panoptes__v1__targets__init(&r->t);
	panoptes__v1__subject__init(&r->s);
	r->w.name = "etc";
	r->w.targets = &r->t;
	r->cgroups[0] = "kubepods/pod1";
	r->t.cgroups = r->cgroups;
	r->t.n_cgroups = 1;
	r->paths[0] = "/etc";
	r->s.paths = r->paths;
	r->s.n_paths = 1;
	r->events[0] = PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MODIFY;
	r->events[1] = PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE;
	r->s.events = r->events;
	r->s.n_events = 2;
	r->s.max_depth = 2;
	r->s.recursive = 1;
	r->sv[0] = &r->s;
	r->w.subjects = r->sv;
	r->w.n_subjects = 1;
}

static void expect_api_error(struct api_req *r, const char *want)
{
	struct pn_watch_spec spec = { 0 };
	char err[512] = "";

	assert_int_equal(pn_api_watch_to_spec(&r->w, &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	assert_null(spec.watch);
}

static void native_watch_round_trips(void **state)
{
	struct api_req r;
	struct pn_watch_spec spec;
	struct pn_watch_view v = { 0 };
	struct pn_watch_binding b = { .cgroup_id = 42,
				      .path = "/sys/fs/cgroup/kubepods/pod1",
				      .container = "" };
	uint64_t counts[PN_EVENT_KINDS] = { 0 };
	Panoptes__V1__WatchInfo *info;
	char err[512] = "";

	(void)state;
	api_req_init(&r);
	assert_int_equal(pn_api_watch_to_spec(&r.w, &spec, err, sizeof(err)), 0);
	assert_null(spec.watch->key);
	assert_string_equal(spec.watch->origin, "api");
	assert_int_equal(spec.watch->subjects[0].events, PN_MODIFY | PN_MOVE);
	assert_int_equal(spec.watch->subjects[0].max_depth, 2);
	assert_int_equal(spec.targets.n_cgroups, 1);

	counts[1] = 7; /* MODIFY */
	v.watch = spec.watch;
	v.targets = &spec.targets;
	v.bindings = &b;
	v.n_bindings = 1;
	v.counts = counts;
	info = pn_api_watch_info_new(&v);
	assert_non_null(info);
	assert_string_equal(info->origin, "api");
	assert_string_equal(info->watch->name, "etc");
	assert_int_equal(info->watch->n_subjects, 1);
	/* MOVE comes back as its two kinds: events are listed as single kinds */
	assert_int_equal(info->watch->subjects[0]->n_events, 3);
	assert_int_equal(info->watch->subjects[0]->events[0],
			 PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MODIFY);
	assert_int_equal(info->watch->subjects[0]->events[1],
			 PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVED_FROM);
	assert_int_equal(info->watch->targets->n_cgroups, 1);
	assert_string_equal(info->watch->targets->cgroups[0], "kubepods/pod1");
	assert_int_equal(info->n_cgroups, 1);
	assert_int_equal(info->cgroups[0]->id, 42);
	assert_int_equal(info->n_event_counts, 1);
	assert_string_equal(info->event_counts[0]->key, "MODIFY");
	assert_int_equal(info->event_counts[0]->value, 7);
	protobuf_c_message_free_unpacked(&info->base, NULL);
	pn_watch_free(spec.watch);
	pn_targets_clear(&spec.targets);
}

/* A selector alone: the node's pods; matchLabels come back as In requirements. */
static void native_selector_round_trips(void **state)
{
	Panoptes__V1__LabelSelector__MatchLabelsEntry
		app = PANOPTES__V1__LABEL_SELECTOR__MATCH_LABELS_ENTRY__INIT,
		*labels[] = { &app };
	Panoptes__V1__LabelSelectorRequirement
		tier = PANOPTES__V1__LABEL_SELECTOR_REQUIREMENT__INIT,
		*exprs[] = { &tier };
	Panoptes__V1__LabelSelector ls = PANOPTES__V1__LABEL_SELECTOR__INIT;
	char *namespaces[] = { "prod-*" }, *values[] = { "a", "b" };
	struct pn_watch_view v = { 0 };
	uint64_t counts[PN_EVENT_KINDS] = { 0 };
	Panoptes__V1__WatchInfo *info;
	Panoptes__V1__Targets *t;
	struct pn_watch_spec spec;
	struct api_req r;
	char err[512] = "";

	(void)state;
	api_req_init(&r);
	r.t.n_cgroups = 0;
	r.t.namespaces = namespaces;
	r.t.n_namespaces = 1;
	app.key = "app";
	app.value = "web";
	tier.key = "tier";
	tier.operator_ = "NotIn";
	tier.values = values;
	tier.n_values = 2;
	ls.match_labels = labels;
	ls.n_match_labels = 1;
	ls.match_expressions = exprs;
	ls.n_match_expressions = 1;
	r.t.pod_selector = &ls;
	assert_int_equal(pn_api_watch_to_spec(&r.w, &spec, err, sizeof(err)), 0);
	assert_true(spec.targets.pods);
	assert_non_null(spec.watch->selector);
	assert_int_equal(spec.watch->selector->n_labels, 2);
	assert_true(pn_selector_match(
		spec.watch->selector, "prod-eu", "app", "nginx",
		&(struct pn_labels){ (char *[]){ "app" }, (char *[]){ "web" }, 1 }));
	assert_false(pn_selector_match(
		spec.watch->selector, "staging", "app", "nginx",
		&(struct pn_labels){ (char *[]){ "app" }, (char *[]){ "web" }, 1 }));

	v.watch = spec.watch;
	v.targets = &spec.targets;
	v.counts = counts;
	info = pn_api_watch_info_new(&v);
	assert_non_null(info);
	t = info->watch->targets;
	assert_int_equal(t->n_cgroups, 0);
	assert_int_equal(t->n_namespaces, 1);
	assert_string_equal(t->namespaces[0], "prod-*");
	assert_int_equal(t->n_container_names + t->n_images, 0);
	assert_non_null(t->pod_selector);
	assert_int_equal(t->pod_selector->n_match_labels, 0);
	assert_int_equal(t->pod_selector->n_match_expressions, 2);
	assert_string_equal(t->pod_selector->match_expressions[0]->key, "app");
	assert_string_equal(t->pod_selector->match_expressions[0]->operator_, "In");
	assert_int_equal(t->pod_selector->match_expressions[0]->n_values, 1);
	assert_string_equal(t->pod_selector->match_expressions[1]->operator_, "NotIn");
	assert_string_equal(t->pod_selector->match_expressions[1]->values[1], "b");
	protobuf_c_message_free_unpacked(&info->base, NULL);
	pn_watch_free(spec.watch);
	pn_targets_clear(&spec.targets);

	/* what the API server refuses, refused naming the field */
	tier.operator_ = "Exists";
	expect_api_error(&r, "watch.targets.pod_selector.match_expressions[0].values: Exists and "
			     "DoesNotExist take no values");
	tier.operator_ = "In";
	tier.n_values = 0;
	expect_api_error(&r, "watch.targets.pod_selector.match_expressions[0].values: In and NotIn "
			     "need at least one value");
	ls.n_match_expressions = 0;
	ls.n_match_labels = 0;
	expect_api_error(&r, "watch.targets.pod_selector: an empty selector would select every "
			     "pod: give match_labels or match_expressions, or leave it out");
	r.t.pod_selector = NULL;
	namespaces[0] = "";
	expect_api_error(&r, "watch.targets.namespaces[0]: must not be empty");
}

static void native_bad_input_names_the_field(void **state)
{
	struct api_req r;

	(void)state;
	api_req_init(&r);
	r.w.name = "";
	expect_api_error(&r, "watch.name: required");

	api_req_init(&r);
	r.w.name = "a/b";
	expect_api_error(&r, "watch.name: \"a/b\" must be at most 253 characters without spaces "
			     "or '/'");

	api_req_init(&r);
	r.t.n_cgroups = 0;
	expect_api_error(&r, "watch.targets: at least one pid, cgroup, container or selector "
			     "(namespaces, container_names, images, pod_selector) is required");

	api_req_init(&r);
	r.pids[0] = 0;
	r.t.pids = r.pids;
	r.t.n_pids = 1;
	expect_api_error(&r, "watch.targets.pids[0]: 0 is not a process id");

	api_req_init(&r);
	r.w.n_subjects = 0;
	expect_api_error(&r, "watch.subjects: at least one subject is required");

	api_req_init(&r);
	r.events[1] = 0;
	expect_api_error(&r, "watch.subjects[0].events[1]: 0 is not an event type");

	api_req_init(&r);
	r.s.max_depth = -3;
	expect_api_error(&r, "watch.subjects[0].maxDepth: must be >= 0, got -3");

	api_req_init(&r);
	r.paths[0] = "etc/x";
	expect_api_error(&r, "watch.subjects[0].paths[0]: path must be absolute: \"etc/x\"");

	api_req_init(&r);
	r.w.targets = NULL;
	expect_api_error(&r, "watch.targets: at least one pid, cgroup, container or selector "
			     "(namespaces, container_names, images, pod_selector) is required");

	expect_api_error(&(struct api_req){ 0 }, "watch.name: required");
}

/*
 * The subject rules every entry point shares (pn_subject_check), through
 * both mappings: maxDepth only with recursive, a tag key once. A map with a
 * key twice is what protobuf-c decodes from the wire when a client sends it.
 */
static void subject_rules_hold_on_both_apis(void **state)
{
	Argus__ArgusWatcherSubject__TagsEntry atags[2], *atagv[2] = { &atags[0], &atags[1] };
	Panoptes__V1__Subject__TagsEntry ntags[2], *ntagv[2] = { &ntags[0], &ntags[1] };
	struct argus_req ar;
	struct api_req nr;

	(void)state;
	argus_req_init(&ar);
	ar.s.recursive = 0;
	ar.s.maxdepth = 2;
	expect_argus_error(&ar, "subject[0].maxDepth: only meaningful with recursive");

	argus_req_init(&ar);
	for (int i = 0; i < 2; i++) {
		argus__argus_watcher_subject__tags_entry__init(&atags[i]);
		atags[i].key = "team";
		atags[i].value = i ? "db" : "web";
	}
	ar.s.tags = atagv;
	ar.s.n_tags = 2;
	expect_argus_error(&ar, "subject[0].tags: key \"team\" given twice");
	atags[1].key = "";
	expect_argus_error(&ar, "subject[0].tags: empty key");

	api_req_init(&nr);
	nr.s.recursive = 0;
	expect_api_error(&nr, "watch.subjects[0].maxDepth: only meaningful with recursive");
	/* 0 is unlimited, the default: fine without recursive */
	nr.s.max_depth = 0;
	{
		struct pn_watch_spec spec;
		char err[512] = "";

		assert_int_equal(pn_api_watch_to_spec(&nr.w, &spec, err, sizeof(err)), 0);
		pn_watch_free(spec.watch);
		pn_targets_clear(&spec.targets);
	}

	api_req_init(&nr);
	for (int i = 0; i < 2; i++) {
		panoptes__v1__subject__tags_entry__init(&ntags[i]);
		ntags[i].key = "team";
		ntags[i].value = i ? "db" : "web";
	}
	nr.s.tags = ntagv;
	nr.s.n_tags = 2;
	expect_api_error(&nr, "watch.subjects[0].tags: key \"team\" given twice");
}

/* What panoptesctl runs before it sends: the fault as data, to name its own flag. */
static void subject_map_reports_the_fault(void **state)
{
	Panoptes__V1__Subject__TagsEntry ntags[2], *ntagv[2] = { &ntags[0], &ntags[1] };
	struct pn_subject_fault f;
	struct pn_subject s = { 0 };
	struct api_req nr;
	char err[512] = "", msg[128];

	(void)state;
	api_req_init(&nr);
	assert_int_equal(pn_api_subject_map(&nr.s, "watch.subjects[0]", &s, &f, err, sizeof(err)),
			 0);
	assert_int_equal(f.rule, PN_SUBJECT_SOUND);
	assert_int_equal(s.events, PN_MODIFY | PN_MOVE);
	assert_string_equal(s.tags_text, "");
	pn_subject_clear(&s);

	nr.s.recursive = 0;
	assert_int_equal(pn_api_subject_map(&nr.s, "watch.subjects[0]", &s, &f, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "watch.subjects[0].maxDepth: only meaningful with recursive");
	assert_int_equal(f.field, PN_SUBJECT_MAX_DEPTH);
	assert_int_equal(f.rule, PN_SUBJECT_NEEDS);
	pn_subject_fault_format(&f, &pn_subject_flags, NULL, msg, sizeof(msg));
	assert_string_equal(msg, "--max-depth: only meaningful with --recursive");
	pn_subject_clear(&s);

	nr.s.recursive = 1;
	for (int i = 0; i < 2; i++) {
		panoptes__v1__subject__tags_entry__init(&ntags[i]);
		ntags[i].key = "k";
		ntags[i].value = "v";
	}
	nr.s.tags = ntagv;
	nr.s.n_tags = 2;
	assert_int_equal(pn_api_subject_map(&nr.s, "watch.subjects[0]", &s, &f, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(f.rule, PN_SUBJECT_DUPLICATE);
	/* the fault's value lives in s until it is cleared */
	pn_subject_fault_format(&f, &pn_subject_flags, NULL, msg, sizeof(msg));
	assert_string_equal(msg, "--tag: key \"k\" given twice");
	pn_subject_clear(&s);

	/* refused before the rules: no fault to name */
	nr.s.n_tags = 0;
	nr.events[1] = 0;
	assert_int_equal(pn_api_subject_map(&nr.s, "watch.subjects[0]", &s, &f, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(f.rule, PN_SUBJECT_SOUND);
	assert_string_equal(err, "watch.subjects[0].events[1]: 0 is not an event type");
	pn_subject_clear(&s);
}

static void errno_maps_to_status(void **state)
{
	(void)state;
	assert_int_equal(pn_api_status_of_errno(0), GRPC_STATUS_OK);
	assert_int_equal(pn_api_status_of_errno(-EINVAL), GRPC_STATUS_INVALID_ARGUMENT);
	assert_int_equal(pn_api_status_of_errno(-ENOENT), GRPC_STATUS_NOT_FOUND);
	assert_int_equal(pn_api_status_of_errno(-ESRCH), GRPC_STATUS_NOT_FOUND);
	assert_int_equal(pn_api_status_of_errno(-EEXIST), GRPC_STATUS_ALREADY_EXISTS);
	assert_int_equal(pn_api_status_of_errno(-ENOSPC), GRPC_STATUS_RESOURCE_EXHAUSTED);
	assert_int_equal(pn_api_status_of_errno(-ENOMEM), GRPC_STATUS_RESOURCE_EXHAUSTED);
	assert_int_equal(pn_api_status_of_errno(-EACCES), GRPC_STATUS_PERMISSION_DENIED);
	assert_int_equal(pn_api_status_of_errno(-EXDEV), GRPC_STATUS_FAILED_PRECONDITION);
	assert_int_equal(pn_api_status_of_errno(-EIO), GRPC_STATUS_INTERNAL);
	assert_string_equal(pn_api_status_name(GRPC_STATUS_NOT_FOUND), "NOT_FOUND");
	assert_string_equal(pn_api_status_name(GRPC_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
	assert_string_equal(pn_api_status_name((grpc_status_code)99), "UNKNOWN");
}

/* ------------------------------------------------------------ janus */

struct janus_req {
	Janus__JanusdConfig c;
	Janus__JanusGuardSubject s;
	Janus__JanusGuardSubject *sv[1];
	Janus__JanusGuardSubject__TagsEntry tag;
	Janus__JanusGuardSubject__TagsEntry *tagv[1];
	char *allow[1], *deny[2], *events[2], *cids[1];
};

static void janus_req_init(struct janus_req *r)
{
	memset(r, 0, sizeof(*r));
	janus__janusd_config__init(&r->c);
	janus__janus_guard_subject__init(&r->s);
	janus__janus_guard_subject__tags_entry__init(&r->tag);
	r->c.name = "guard-web";
	r->c.podname = "web-0";
	r->cids[0] = "containerd://aaa";
	r->c.cid = r->cids;
	r->c.n_cid = 1;
	r->allow[0] = "/etc//nginx/";
	r->deny[0] = "/etc/shadow";
	r->deny[1] = "/root";
	r->s.allow = r->allow;
	r->s.n_allow = 1;
	r->s.deny = r->deny;
	r->s.n_deny = 2;
	r->tag.key = "team";
	r->tag.value = "web";
	r->tagv[0] = &r->tag;
	r->s.tags = r->tagv;
	r->s.n_tags = 1;
	r->sv[0] = &r->s;
	r->c.subject = r->sv;
	r->c.n_subject = 1;
}

static void janus_maps_to_a_guard(void **state)
{
	struct janus_req r;
	struct pn_guard_spec spec;
	char err[512] = "";
	const struct pn_guard_subject *s;

	(void)state;
	janus_req_init(&r);
	assert_int_equal(pn_janus_to_spec(&r.c, "node-a", &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.guard->watch->key, "janus/node-a/web-0");
	assert_string_equal(spec.guard->watch->name, "guard-web");
	assert_string_equal(spec.guard->watch->log_format, PN_GUARD_DEFAULT_FORMAT);
	s = &spec.guard->subjects[0];
	assert_int_equal(s->n_allow, 1);
	assert_string_equal(s->allow[0], "/etc/nginx");
	assert_int_equal(s->n_deny, 2);
	assert_string_equal(s->deny[1], "/root");
	/* no word: opens and reads, as janusd */
	assert_int_equal(s->ops, PN_GUARD_ALL);
	assert_string_equal(s->tags.tags_text, "team=web");
	assert_int_equal(spec.targets.n_containers, 1);
	pn_guard_spec_clear(&spec);

	/* the same pod from another node's controller is another key */
	r.c.nodename = "node-b";
	r.events[0] = "open";
	r.s.event = r.events;
	r.s.n_event = 1;
	assert_int_equal(pn_janus_to_spec(&r.c, "node-a", &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.guard->watch->key, "janus/node-b/web-0");
	assert_int_equal(spec.guard->subjects[0].ops, PN_GUARD_OPEN);
	pn_guard_spec_clear(&spec);
}

static void expect_janus_error(struct janus_req *r, const char *want)
{
	struct pn_guard_spec spec = { 0 };
	char err[512] = "";

	assert_int_equal(pn_janus_to_spec(&r->c, "n", &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	assert_null(spec.guard);
	assert_null(spec.targets.containers);
}

static void janus_bad_input_names_the_field(void **state)
{
	struct janus_req r;

	(void)state;
	janus_req_init(&r);
	r.c.podname = "";
	expect_janus_error(&r, "podName: required (a guard is the guard of one pod)");

	janus_req_init(&r);
	r.c.n_cid = 0;
	expect_janus_error(&r, "pid, cid: at least one pid or container id is required");

	janus_req_init(&r);
	r.c.n_subject = 0;
	expect_janus_error(&r, "subject: at least one subject is required");

	janus_req_init(&r);
	r.s.n_allow = r.s.n_deny = 0;
	expect_janus_error(&r, "subject[0].allow, subject[0].deny: at least one path is required");

	janus_req_init(&r);
	r.deny[1] = "root";
	expect_janus_error(&r, "subject[0].deny[1]: path must be absolute: \"root\"");

	janus_req_init(&r);
	r.allow[0] = "";
	expect_janus_error(&r, "subject[0].allow[0]: path must not be empty");

	janus_req_init(&r);
	r.events[0] = "open";
	r.events[1] = "write";
	r.s.event = r.events;
	r.s.n_event = 2;
	expect_janus_error(&r, "subject[0].event[1]: unknown event \"write\" (valid: open, "
			       "access, all)");

	janus_req_init(&r);
	r.c.nodename = "a/b";
	expect_janus_error(&r, "nodeName: \"a/b\": '/' is not allowed");
}

/* A native guard's selector: kept on its watch, shown back, its bad parts named as guard.* */
static void native_guard_selector_round_trips(void **state)
{
	Panoptes__V1__LabelSelector__MatchLabelsEntry app =
		PANOPTES__V1__LABEL_SELECTOR__MATCH_LABELS_ENTRY__INIT;
	Panoptes__V1__LabelSelector__MatchLabelsEntry *labels[] = { &app };
	Panoptes__V1__LabelSelector ls = PANOPTES__V1__LABEL_SELECTOR__INIT;
	Panoptes__V1__GuardSubject gs = PANOPTES__V1__GUARD_SUBJECT__INIT, *gsv[] = { &gs };
	Panoptes__V1__Targets t = PANOPTES__V1__TARGETS__INIT;
	Panoptes__V1__Guard g = PANOPTES__V1__GUARD__INIT;
	char *namespaces[] = { "prod" }, *deny[] = { "/etc/shadow" };
	Panoptes__V1__GuardInfo *info;
	struct pn_guard_spec spec;
	char err[512] = "";

	(void)state;
	g.name = "secrets";
	g.targets = &t;
	g.subjects = gsv;
	g.n_subjects = 1;
	gs.deny = deny;
	gs.n_deny = 1;
	t.namespaces = namespaces;
	t.n_namespaces = 1;
	app.key = "app";
	app.value = "web";
	ls.match_labels = labels;
	ls.n_match_labels = 1;
	t.pod_selector = &ls;
	assert_int_equal(pn_api_guard_to_spec(&g, &spec, err, sizeof(err)), 0);
	assert_non_null(spec.guard->watch->selector);
	/* its containers are asked of the runtime, not the node's pods' cgroup */
	assert_false(spec.targets.pods);
	assert_true(pn_selector_match(
		spec.guard->watch->selector, "prod", "app", "nginx",
		&(struct pn_labels){ (char *[]){ "app" }, (char *[]){ "web" }, 1 }));
	assert_false(pn_selector_match(
		spec.guard->watch->selector, "prod", "app", "nginx",
		&(struct pn_labels){ (char *[]){ "app" }, (char *[]){ "db" }, 1 }));
	info = pn_api_guard_info_new(spec.guard, &spec.targets, NULL, 0);
	assert_non_null(info);
	assert_int_equal(info->guard->targets->n_namespaces, 1);
	assert_string_equal(info->guard->targets->namespaces[0], "prod");
	assert_non_null(info->guard->targets->pod_selector);
	assert_int_equal(info->guard->targets->pod_selector->n_match_expressions, 1);
	protobuf_c_message_free_unpacked(&info->base, NULL);
	pn_guard_spec_clear(&spec);

	ls.n_match_labels = 0;
	assert_int_equal(pn_api_guard_to_spec(&g, &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "guard.targets.pod_selector: an empty selector would select "
				 "every pod: give match_labels or match_expressions, or leave it "
				 "out");
	assert_null(spec.guard);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(argus_maps_to_a_watch),
		cmocka_unit_test(argus_key_uses_cids_without_pids),
		cmocka_unit_test(argus_bad_input_names_the_field),
		cmocka_unit_test(janus_maps_to_a_guard),
		cmocka_unit_test(janus_bad_input_names_the_field),
		cmocka_unit_test(native_guard_selector_round_trips),
		cmocka_unit_test(event_types_follow_inotify_bits),
		cmocka_unit_test(native_watch_round_trips),
		cmocka_unit_test(native_selector_round_trips),
		cmocka_unit_test(native_bad_input_names_the_field),
		cmocka_unit_test(subject_rules_hold_on_both_apis),
		cmocka_unit_test(subject_map_reports_the_fault),
		cmocka_unit_test(errno_maps_to_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
