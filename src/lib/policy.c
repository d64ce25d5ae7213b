// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy schema: watches, their targets and subjects, in the flat form
 * or as an ArgusWatcher. The shape is checked by hand, key by key, because a
 * silently ignored key (a typo) would silently drop a rule; positions and
 * types are yaml_doc.c's, a subject's invariants pn_subject_check()'s.
 */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "guard.h"
#include "macros.h"
#include "selector.h"
#include "events.h"
#include "fileio.h"
#include "yaml_doc.h"

/* A policy is a few KiB; anything this big is a wrong file, not a policy. */
#define POLICY_MAX_BYTES (16u << 20)

struct parser {
	struct pn_yaml y;
	struct pn_policy pol;
	yaml_mark_t *name_marks; /* where each watch's name was given, for duplicates */
	size_t *name_slots;	 /* open-addressed: spec index + 1 by name hash; 0 is empty */
	size_t name_cap;	 /* a power of two, at least twice the specs */
};

/* The slot holding `name`, or the empty one where it would go. */
static size_t *name_slot(struct parser *c, const char *name)
{
	size_t mask = c->name_cap - 1, h = (size_t)pn_yaml_hash(name) & mask;

	while (c->name_slots[h] && strcmp(c->pol.specs[c->name_slots[h] - 1].watch->name, name))
		h = (h + 1) & mask;
	return &c->name_slots[h];
}

/* Room for one more name; every name hashed again into a table twice as large. */
static int names_reserve(struct parser *c)
{
	size_t n = c->pol.n_specs + 1, cap = c->name_cap ? c->name_cap : 16;
	size_t *old = c->name_slots;

	if (2 * n <= c->name_cap)
		return 0;
	while (cap < 2 * n)
		cap <<= 1;
	c->name_slots = calloc(cap, sizeof(*c->name_slots));
	if (!c->name_slots) {
		c->name_slots = old;
		return pn_yaml_oom(&c->y);
	}
	c->name_cap = cap;
	for (size_t i = 0; i < c->pol.n_specs; i++)
		*name_slot(c, c->pol.specs[i].watch->name) = i + 1;
	free(old);
	return 0;
}

static int get_events(struct parser *c, const yaml_node_t *n, const char *field, uint32_t *mask)
{
	char fi[PN_YAML_FIELD_MAX], msg[512];

	*mask = 0;
	if (pn_yaml_is_null(n)) {
		*mask = PN_ALL_EVENTS;
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE) {
		if (pn_event_list_parse(pn_yaml_text(n), mask, msg, sizeof(msg)))
			return pn_yaml_fail(&c->y, n->start_mark, field, "%s", msg);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return pn_yaml_fail_type(&c->y, n, field,
					 "a list of event names or a comma-separated string");
	/* An empty list would be a subject that reports nothing: surely not meant. */
	if (!pn_yaml_n_items(n))
		return pn_yaml_fail(&c->y, n->start_mark, field,
				    "must not be empty; valid names: %s", pn_event_names_valid());
	for (size_t i = 0; i < pn_yaml_n_items(n); i++) {
		yaml_node_t *it = pn_yaml_item(&c->y, n, i);

		pn_yaml_join_idx(fi, field, i);
		if (it->type != YAML_SCALAR_NODE || pn_yaml_is_null(it))
			return pn_yaml_fail_type(&c->y, it, fi, "an event name");
		if (pn_event_name_parse(pn_yaml_text(it), mask))
			return pn_yaml_fail(&c->y, it->start_mark, fi,
					    "unknown event \"%s\"; valid names: %s",
					    pn_yaml_text(it), pn_event_names_valid());
	}
	return 0;
}

static int get_tags(struct parser *c, const yaml_node_t *n, const char *field, struct pn_subject *s)
{
	char fi[PN_YAML_FIELD_MAX];
	size_t count;
	int r;

	if (pn_yaml_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field, "a mapping of tag names to values");
	r = pn_yaml_check_keys(&c->y, n, field, NULL);
	if (r)
		return r;
	count = pn_yaml_n_pairs(n);
	if (!count)
		return 0;
	s->tags = calloc(count, sizeof(*s->tags));
	if (!s->tags)
		return pn_yaml_oom(&c->y);
	for (size_t i = 0; i < count; i++) {
		struct pn_tag *t = &s->tags[s->n_tags];

		r = pn_yaml_get_string(&c->y, pn_yaml_pair_key(&c->y, n, i), field, true, &t->key);
		if (r)
			return r;
		pn_yaml_join_key(fi, field, t->key);
		r = pn_yaml_get_string(&c->y, pn_yaml_pair_value(&c->y, n, i), fi, false,
				       &t->value);
		if (r) {
			free(t->key);
			t->key = NULL;
			return r;
		}
		s->n_tags++;
	}
	return 0;
}

static const char *const subject_keys[] = {
	"paths", "events", "ignore", "onlyDir", "recursive", "followMove", "maxDepth", "tags", NULL,
};

/* The nodes a subject's fields came from, so that a broken rule points at its value. */
struct subject_nodes {
	const yaml_node_t *field[PN_SUBJECT_N_FIELDS];
};

static int subject_fault(struct parser *c, const yaml_node_t *n, const struct subject_nodes *sn,
			 const char *field, const struct pn_subject_fault *f)
{
	char msg[PN_PATH_MAX + 2 * PN_YAML_FIELD_MAX];
	const yaml_node_t *at = sn->field[f->field];

	if (!at)
		at = n;
	else if (f->indexed && at->type == YAML_SEQUENCE_NODE && f->index < pn_yaml_n_items(at))
		at = pn_yaml_item(&c->y, at, f->index);
	pn_subject_fault_format(f, &pn_subject_keys, field, msg, sizeof(msg));
	return pn_yaml_fail(&c->y, at->start_mark, "", "%s", msg);
}

static int parse_subject(struct parser *c, const yaml_node_t *n, const char *field,
			 struct pn_subject *s)
{
	struct subject_nodes sn = { 0 };
	struct pn_subject_fault f;
	char fi[PN_YAML_FIELD_MAX];
	yaml_node_t *v;
	long x;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field, "a mapping");
	r = pn_yaml_check_keys(&c->y, n, field, subject_keys);
	if (r)
		return r;

	v = pn_yaml_map_get(&c->y, n, "paths");
	if (!v)
		return pn_yaml_missing(&c->y, n, field, "paths");
	sn.field[PN_SUBJECT_PATHS] = v;
	/* Empty paths and ignore names are pn_subject_check's to refuse, in its words. */
	r = pn_yaml_get_str_list(&c->y, v, pn_yaml_join_key(fi, field, "paths"), false, &s->paths,
				 &s->n_paths);
	if (r)
		return r;

	s->events = PN_ALL_EVENTS;
	v = pn_yaml_map_get(&c->y, n, "events");
	if (v) {
		r = get_events(c, v, pn_yaml_join_key(fi, field, "events"), &s->events);
		if (r)
			return r;
	}
	v = pn_yaml_map_get(&c->y, n, "ignore");
	if (v) {
		sn.field[PN_SUBJECT_IGNORE] = v;
		r = pn_yaml_get_str_list(&c->y, v, pn_yaml_join_key(fi, field, "ignore"), false,
					 &s->ignore, &s->n_ignore);
		if (r)
			return r;
	}
	v = pn_yaml_map_get(&c->y, n, "onlyDir");
	if (v &&
	    (r = pn_yaml_get_bool(&c->y, v, pn_yaml_join_key(fi, field, "onlyDir"), &s->only_dir)))
		return r;
	v = pn_yaml_map_get(&c->y, n, "recursive");
	sn.field[PN_SUBJECT_RECURSIVE] = v;
	if (v && (r = pn_yaml_get_bool(&c->y, v, pn_yaml_join_key(fi, field, "recursive"),
				       &s->recursive)))
		return r;
	v = pn_yaml_map_get(&c->y, n, "followMove");
	if (v && (r = pn_yaml_get_bool(&c->y, v, pn_yaml_join_key(fi, field, "followMove"),
				       &s->follow_move)))
		return r;
	v = pn_yaml_map_get(&c->y, n, "maxDepth");
	if (v) {
		sn.field[PN_SUBJECT_MAX_DEPTH] = v;
		r = pn_yaml_get_int(&c->y, v, pn_yaml_join_key(fi, field, "maxDepth"),
				    "an integer >= 0", &x);
		if (r)
			return r;
		s->max_depth = (int)x;
	}
	v = pn_yaml_map_get(&c->y, n, "tags");
	if (v) {
		sn.field[PN_SUBJECT_TAGS] = v;
		r = get_tags(c, v, pn_yaml_join_key(fi, field, "tags"), s);
		if (r)
			return r;
	}
	if (pn_subject_check(s, &f))
		return subject_fault(c, n, &sn, field, &f);
	if (pn_subject_finish(s))
		return pn_yaml_oom(&c->y);
	return 0;
}

static int parse_subjects(struct parser *c, const yaml_node_t *n, const char *field,
			  struct pn_watch *w)
{
	char fi[PN_YAML_FIELD_MAX];
	size_t count;

	if (pn_yaml_is_null(n))
		return pn_yaml_fail(&c->y, n->start_mark, field,
				    "at least one subject is required");
	if (n->type != YAML_SEQUENCE_NODE)
		return pn_yaml_fail_type(&c->y, n, field, "a list of subjects");
	count = pn_yaml_n_items(n);
	if (!count)
		return pn_yaml_fail(&c->y, n->start_mark, field,
				    "at least one subject is required");
	w->subjects = calloc(count, sizeof(*w->subjects));
	if (!w->subjects)
		return pn_yaml_oom(&c->y);
	for (size_t i = 0; i < count; i++) {
		int r;

		/* Counted first: a half-filled subject must be freed with the watch. */
		w->n_subjects++;
		r = parse_subject(c, pn_yaml_item(&c->y, n, i), pn_yaml_join_idx(fi, field, i),
				  &w->subjects[i]);
		if (r)
			return r;
	}
	return 0;
}

static const char *const target_keys[] = {
	"pids",		  "cgroups", "containers",  "namespaces",
	"containerNames", "images",  "podSelector", NULL,
};

static int push_req(struct parser *c, struct pn_selector *s, struct pn_label_req *r)
{
	struct pn_label_req *v = realloc(s->labels, (s->n_labels + 1) * sizeof(*v));

	if (!v) {
		pn_label_reqs_free(r, 1);
		return pn_yaml_oom(&c->y);
	}
	s->labels = v;
	v[s->n_labels++] = *r;
	return 0;
}

static const char *const label_selector_keys[] = { "matchLabels", "matchExpressions", NULL };
static const char *const expression_keys[] = { "key", "operator", "values", NULL };

/* One of matchExpressions: {key, operator, values}, checked as the API server does. */
static int parse_expression(struct parser *c, const yaml_node_t *n, const char *field,
			    struct pn_selector *s)
{
	char fi[PN_YAML_FIELD_MAX];
	struct pn_label_req r = { 0 };
	yaml_node_t *v;
	char *op = NULL;
	int e;

	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field, "a mapping with key, operator, values");
	e = pn_yaml_check_keys(&c->y, n, field, expression_keys);
	if (e)
		return e;
	if (!(v = pn_yaml_map_get(&c->y, n, "key")))
		return pn_yaml_missing(&c->y, n, field, "key");
	e = pn_yaml_get_string(&c->y, v, pn_yaml_join_key(fi, field, "key"), true, &r.key);
	if (!e && !(v = pn_yaml_map_get(&c->y, n, "operator")))
		e = pn_yaml_missing(&c->y, n, field, "operator");
	if (!e)
		e = pn_yaml_get_string(&c->y, v, pn_yaml_join_key(fi, field, "operator"), true,
				       &op);
	if (!e && pn_label_op_parse(op, &r.op))
		e = pn_yaml_fail(&c->y, v->start_mark, fi,
				 "\"%s\" is not one of In, NotIn, Exists, DoesNotExist", op);
	free(op);
	v = e ? NULL : pn_yaml_map_get(&c->y, n, "values");
	pn_yaml_join_key(fi, field, "values");
	if (!e && v)
		e = pn_yaml_get_str_list(&c->y, v, fi, false, &r.values, &r.n_values);
	/* the API server's own rule: values for In and NotIn, none for the others */
	if (!e && pn_label_op_takes_values(r.op) && !r.n_values)
		e = pn_yaml_fail(&c->y, (v ? v : n)->start_mark, fi,
				 "In and NotIn need at least one value");
	if (!e && !pn_label_op_takes_values(r.op) && r.n_values)
		e = pn_yaml_fail(&c->y, v->start_mark, fi,
				 "Exists and DoesNotExist take no values");
	if (e) {
		pn_label_reqs_free(&r, 1);
		return e;
	}
	return push_req(c, s, &r);
}

/* matchLabels: each key=value an In requirement of one value. */
static int parse_match_labels(struct parser *c, const yaml_node_t *v, const char *fi,
			      struct pn_selector *s)
{
	char fj[PN_YAML_FIELD_MAX];
	int e;

	if (v->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, v, fi, "a mapping of label keys to values");
	e = pn_yaml_check_keys(&c->y, v, fi, NULL);
	for (size_t i = 0; !e && i < pn_yaml_n_pairs(v); i++) {
		struct pn_label_req r = { .op = PN_LABEL_IN };
		char *val = NULL;

		e = pn_yaml_get_string(&c->y, pn_yaml_pair_key(&c->y, v, i), fi, true, &r.key);
		if (!e)
			e = pn_yaml_get_string(&c->y, pn_yaml_pair_value(&c->y, v, i),
					       pn_yaml_join_key(fj, fi, r.key), false, &val);
		if (!e && !(r.values = calloc(1, sizeof(*r.values))))
			e = pn_yaml_oom(&c->y);
		if (e) {
			free(val);
			pn_label_reqs_free(&r, 1);
			return e;
		}
		r.values[0] = val;
		r.n_values = 1;
		e = push_req(c, s, &r);
	}
	return e;
}

/* podSelector: a Kubernetes LabelSelector, matchLabels and matchExpressions ANDed. */
static int parse_pod_selector(struct parser *c, const yaml_node_t *n, const char *field,
			      struct pn_selector *s)
{
	char fi[PN_YAML_FIELD_MAX], fj[PN_YAML_FIELD_MAX];
	size_t before = s->n_labels;
	yaml_node_t *v;
	int e;

	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field,
					 "a mapping with matchLabels or matchExpressions");
	e = pn_yaml_check_keys(&c->y, n, field, label_selector_keys);
	if (e)
		return e;
	v = pn_yaml_map_get(&c->y, n, "matchLabels");
	if (v && !pn_yaml_is_null(v)) {
		e = parse_match_labels(c, v, pn_yaml_join_key(fi, field, "matchLabels"), s);
		if (e)
			return e;
	}
	v = pn_yaml_map_get(&c->y, n, "matchExpressions");
	if (v && !pn_yaml_is_null(v)) {
		pn_yaml_join_key(fi, field, "matchExpressions");
		if (v->type != YAML_SEQUENCE_NODE)
			return pn_yaml_fail_type(&c->y, v, fi, "a list of {key, operator, values}");
		for (size_t i = 0; !e && i < pn_yaml_n_items(v); i++)
			e = parse_expression(c, pn_yaml_item(&c->y, v, i),
					     pn_yaml_join_idx(fj, fi, i), s);
		if (e)
			return e;
	}
	/* Kubernetes reads an empty selector as every pod: here that is namespaces: ["*"] */
	if (s->n_labels == before)
		return pn_yaml_fail(&c->y, n->start_mark, field,
				    "an empty selector would select every pod: give matchLabels or "
				    "matchExpressions, or leave podSelector out");
	return 0;
}

/*
 * The selector's lists, each a non-empty list of fnmatch(3) patterns when
 * given; none given leaves *sel NULL.
 */
static int parse_selector(struct parser *c, const yaml_node_t *n, const char *field,
			  struct pn_selector **sel)
{
	static const char *const keys[] = { "namespaces", "containerNames", "images" };
	char fi[PN_YAML_FIELD_MAX];
	struct pn_selector *s;
	yaml_node_t *v;
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(keys) && !r; i++) {
		v = pn_yaml_map_get(&c->y, n, keys[i]);

		if (!v)
			continue;
		if (!*sel && !(*sel = calloc(1, sizeof(**sel))))
			return pn_yaml_oom(&c->y);
		s = *sel;
		pn_yaml_join_key(fi, field, keys[i]);
		char ***list = i == 0 ? &s->namespaces : i == 1 ? &s->container_names : &s->images;
		size_t *n_list = i == 0 ? &s->n_namespaces :
				 i == 1 ? &s->n_container_names :
					  &s->n_images;

		r = pn_yaml_get_str_list(&c->y, v, fi, true, list, n_list);
		/* an empty list would select nothing, without a word */
		if (!r && !*n_list)
			r = pn_yaml_fail(&c->y, v->start_mark, fi, "must not be empty");
	}
	v = r ? NULL : pn_yaml_map_get(&c->y, n, "podSelector");
	if (v) {
		if (!*sel && !(*sel = calloc(1, sizeof(**sel))))
			return pn_yaml_oom(&c->y);
		r = parse_pod_selector(c, v, pn_yaml_join_key(fi, field, "podSelector"), *sel);
	}
	return r;
}

static int parse_targets(struct parser *c, const yaml_node_t *n, const char *field,
			 struct pn_targets *t, struct pn_selector **sel)
{
	char fi[PN_YAML_FIELD_MAX], fj[PN_YAML_FIELD_MAX];
	yaml_node_t *v;
	int r;

	if (pn_yaml_is_null(n))
		goto empty;
	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field,
					 "a mapping with pids, cgroups, containers or a selector");
	r = pn_yaml_check_keys(&c->y, n, field, target_keys);
	if (r)
		return r;

	v = pn_yaml_map_get(&c->y, n, "pids");
	if (v && !pn_yaml_is_null(v)) {
		pn_yaml_join_key(fi, field, "pids");
		if (v->type != YAML_SEQUENCE_NODE)
			return pn_yaml_fail_type(&c->y, v, fi, "a list of process ids");
		if (pn_yaml_n_items(v)) {
			t->pids = calloc(pn_yaml_n_items(v), sizeof(*t->pids));
			if (!t->pids)
				return pn_yaml_oom(&c->y);
		}
		for (size_t i = 0; i < pn_yaml_n_items(v); i++) {
			yaml_node_t *it = pn_yaml_item(&c->y, v, i);
			long pid;

			pn_yaml_join_idx(fj, fi, i);
			r = pn_yaml_get_int(&c->y, it, fj, "a positive integer", &pid);
			if (r)
				return r;
			if (pid <= 0)
				return pn_yaml_fail(&c->y, it->start_mark, fj,
						    "expected a positive integer, got %ld", pid);
			t->pids[t->n_pids++] = (int)pid;
		}
	}
	v = pn_yaml_map_get(&c->y, n, "cgroups");
	if (v) {
		r = pn_yaml_get_str_list(&c->y, v, pn_yaml_join_key(fi, field, "cgroups"), true,
					 &t->cgroups, &t->n_cgroups);
		if (r)
			return r;
	}
	v = pn_yaml_map_get(&c->y, n, "containers");
	if (v) {
		r = pn_yaml_get_str_list(&c->y, v, pn_yaml_join_key(fi, field, "containers"), true,
					 &t->containers, &t->n_containers);
		if (r)
			return r;
	}
	r = parse_selector(c, n, field, sel);
	if (r)
		return r;
	/* a selector alone: the pods of the node, wherever their cgroups are */
	t->pods = *sel && !(t->n_pids + t->n_cgroups + t->n_containers);
	if (t->n_pids + t->n_cgroups + t->n_containers || t->pods)
		return 0;
empty:
	return pn_yaml_fail(
		&c->y, n->start_mark, field,
		"at least one of pids, cgroups, containers, namespaces, containerNames, "
		"images or podSelector is required");
}

/* Where the parts of one watch are, in whichever shape it was written. */
struct watch_nodes {
	const yaml_node_t *name; /* value node */
	const char *name_field;
	const yaml_node_t *pod; /* NULL when absent */
	const yaml_node_t *log_format;
	const yaml_node_t *body; /* the mapping holding targets and subjects */
	const char *body_field;
};

static int add_spec(struct parser *c, struct pn_watch_spec *spec, yaml_mark_t name_mark)
{
	size_t n = c->pol.n_specs + 1;
	struct pn_watch_spec *specs = realloc(c->pol.specs, n * sizeof(*specs));
	yaml_mark_t *marks;

	if (!specs)
		return pn_yaml_oom(&c->y);
	c->pol.specs = specs;
	marks = realloc(c->name_marks, n * sizeof(*marks));
	if (!marks)
		return pn_yaml_oom(&c->y);
	c->name_marks = marks;
	specs[n - 1] = *spec;
	marks[n - 1] = name_mark;
	c->pol.n_specs = n;
	return 0;
}

static int build_watch(struct parser *c, const struct watch_nodes *wn)
{
	struct pn_watch_spec spec = { 0 };
	char fi[PN_YAML_FIELD_MAX];
	const yaml_node_t *v;
	struct pn_watch *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return pn_yaml_oom(&c->y);
	spec.watch = w;

	r = pn_yaml_get_string(&c->y, wn->name, wn->name_field, true, &w->name);
	if (r)
		goto fail;
	r = names_reserve(c);
	if (r)
		goto fail;
	if (*name_slot(c, w->name)) {
		size_t i = *name_slot(c, w->name) - 1;

		r = pn_yaml_fail(&c->y, wn->name->start_mark, wn->name_field,
				 "duplicate watch name \"%s\" (first defined at %zu:%zu)", w->name,
				 c->name_marks[i].line + 1, c->name_marks[i].column + 1);
		goto fail;
	}
	if (wn->pod)
		r = pn_yaml_get_string(&c->y, wn->pod, pn_yaml_join_key(fi, wn->body_field, "pod"),
				       false, &w->pod);
	else
		r = (w->pod = strdup("")) ? 0 : pn_yaml_oom(&c->y);
	if (r)
		goto fail;
	/* An empty logFormat means the default, as an absent one does. */
	if (wn->log_format && !pn_yaml_is_null(wn->log_format)) {
		r = pn_yaml_get_string(&c->y, wn->log_format,
				       pn_yaml_join_key(fi, wn->body_field, "logFormat"), false,
				       &w->log_format);
		if (r)
			goto fail;
		if (!*w->log_format) {
			free(w->log_format);
			w->log_format = NULL;
		}
	}

	v = pn_yaml_map_get(&c->y, wn->body, "targets");
	if (!v) {
		r = pn_yaml_missing(&c->y, wn->body, wn->body_field, "targets");
		goto fail;
	}
	r = parse_targets(c, v, pn_yaml_join_key(fi, wn->body_field, "targets"), &spec.targets,
			  &w->selector);
	if (r)
		goto fail;

	v = pn_yaml_map_get(&c->y, wn->body, "subjects");
	if (!v) {
		r = pn_yaml_missing(&c->y, wn->body, wn->body_field, "subjects");
		goto fail;
	}
	r = parse_subjects(c, v, pn_yaml_join_key(fi, wn->body_field, "subjects"), w);
	if (r)
		goto fail;

	r = add_spec(c, &spec, wn->name->start_mark);
	if (r)
		goto fail;
	/* names_reserve() made room before the watch was parsed */
	*name_slot(c, w->name) = c->pol.n_specs;
	return 0;
fail:
	pn_watch_free(w);
	pn_targets_clear(&spec.targets);
	return r;
}

static const char *const flat_keys[] = { "name", "pod", "logFormat", "targets", "subjects", NULL };

static int parse_flat(struct parser *c, const yaml_node_t *n, const char *field)
{
	char fi[PN_YAML_FIELD_MAX];
	struct watch_nodes wn = {
		.pod = pn_yaml_map_get(&c->y, n, "pod"),
		.log_format = pn_yaml_map_get(&c->y, n, "logFormat"),
		.body = n,
		.body_field = field,
	};
	int r = pn_yaml_check_keys(&c->y, n, field, flat_keys);

	if (r)
		return r;
	wn.name = pn_yaml_map_get(&c->y, n, "name");
	if (!wn.name)
		return pn_yaml_missing(&c->y, n, field, "name");
	wn.name_field = pn_yaml_join_key(fi, field, "name");
	return build_watch(c, &wn);
}

/*
 * The ArgusWatcher custom resource, as `kubectl get -o yaml` prints it. Its
 * `selector` picks pods in the cluster, which a policy file has no use for;
 * `status` is the controller's. Both are accepted and ignored. In metadata
 * only the name matters: other keys cannot hold a rule, so they are not checked.
 */
static const char *const cr_keys[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };
static const char *const spec_keys[] = { "selector", "subjects", "logFormat", "targets", NULL };

static int parse_cr(struct parser *c, const yaml_node_t *n, const char *field)
{
	char fk[PN_YAML_FIELD_MAX], fm[PN_YAML_FIELD_MAX], fs[PN_YAML_FIELD_MAX],
		fn[PN_YAML_FIELD_MAX];
	yaml_node_t *kind, *api, *meta, *spec;
	struct watch_nodes wn = { 0 };
	int r = pn_yaml_check_keys(&c->y, n, field, cr_keys);

	if (r)
		return r;
	api = pn_yaml_map_get(&c->y, n, "apiVersion");
	if (api && api->type != YAML_SCALAR_NODE)
		return pn_yaml_fail_type(&c->y, api, pn_yaml_join_key(fk, field, "apiVersion"),
					 "a string");
	kind = pn_yaml_map_get(&c->y, n, "kind");
	if (!kind)
		return pn_yaml_missing(&c->y, n, field, "kind");
	pn_yaml_join_key(fk, field, "kind");
	if (kind->type != YAML_SCALAR_NODE || strcmp(pn_yaml_text(kind), "ArgusWatcher"))
		return pn_yaml_fail_type(&c->y, kind, fk, "\"ArgusWatcher\"");

	meta = pn_yaml_map_get(&c->y, n, "metadata");
	if (!meta)
		return pn_yaml_missing(&c->y, n, field, "metadata");
	pn_yaml_join_key(fm, field, "metadata");
	if (meta->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, meta, fm, "a mapping");
	r = pn_yaml_check_keys(&c->y, meta, fm, NULL);
	if (r)
		return r;
	wn.name = pn_yaml_map_get(&c->y, meta, "name");
	if (!wn.name)
		return pn_yaml_missing(&c->y, meta, fm, "name");
	wn.name_field = pn_yaml_join_key(fn, fm, "name");

	spec = pn_yaml_map_get(&c->y, n, "spec");
	if (!spec)
		return pn_yaml_missing(&c->y, n, field, "spec");
	pn_yaml_join_key(fs, field, "spec");
	if (spec->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, spec, fs, "a mapping");
	r = pn_yaml_check_keys(&c->y, spec, fs, spec_keys);
	if (r)
		return r;
	wn.log_format = pn_yaml_map_get(&c->y, spec, "logFormat");
	wn.body = spec;
	wn.body_field = fs;
	return build_watch(c, &wn);
}

static int parse_watch(struct parser *c, const yaml_node_t *n, const char *field)
{
	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field, "a mapping describing a watch");
	if (pn_yaml_map_key(&c->y, n, "kind") || pn_yaml_map_key(&c->y, n, "apiVersion") ||
	    pn_yaml_map_key(&c->y, n, "spec") || pn_yaml_map_key(&c->y, n, "metadata"))
		return parse_cr(c, n, field);
	return parse_flat(c, n, field);
}

/* ------------------------------------------------------------ guards */

static const char *const guard_keys[] = { "name", "pod", "logFormat", "targets", "subjects", NULL };
static const char *const guard_subject_keys[] = {
	"allow", "deny", "events", "onlyDir", "autoAllowOwner", "audit", "recursive", "tags", NULL,
};

/* allow or deny: paths by the one subject rule, normalized, the fault at its item */
static int guard_list(struct parser *c, const yaml_node_t *n, const char *field, const char *list,
		      char ***out, size_t *n_out)
{
	const struct pn_subject_spelling sp = { .name = { [PN_SUBJECT_PATHS] = list },
						.indexed = true };
	char fi[PN_YAML_FIELD_MAX], msg[PN_PATH_MAX + 2 * PN_YAML_FIELD_MAX];
	yaml_node_t *v = pn_yaml_map_get(&c->y, n, list);
	struct pn_subject s = { 0 };
	struct pn_subject_fault f;
	int r;

	if (!v || pn_yaml_is_null(v))
		return 0;
	r = pn_yaml_get_str_list(&c->y, v, pn_yaml_join_key(fi, field, list), false, &s.paths,
				 &s.n_paths);
	if (r)
		return r;
	if (s.n_paths && pn_subject_check(&s, &f)) {
		const yaml_node_t *at = f.indexed && f.index < pn_yaml_n_items(v) ?
						pn_yaml_item(&c->y, v, f.index) :
						v;

		pn_subject_fault_format(&f, &sp, field, msg, sizeof(msg));
		pn_subject_clear(&s);
		return pn_yaml_fail(&c->y, at->start_mark, "", "%s", msg);
	}
	*out = s.paths;
	*n_out = s.n_paths;
	s.paths = NULL;
	s.n_paths = 0;
	pn_subject_clear(&s);
	return 0;
}

static int parse_guard_subject(struct parser *c, const yaml_node_t *n, const char *field,
			       struct pn_guard_subject *gs)
{
	char fi[PN_YAML_FIELD_MAX], fj[PN_YAML_FIELD_MAX];
	yaml_node_t *v;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field, "a mapping with allow and deny paths");
	r = pn_yaml_check_keys(&c->y, n, field, guard_subject_keys);
	if (!r)
		r = guard_list(c, n, field, "allow", &gs->allow, &gs->n_allow);
	if (!r)
		r = guard_list(c, n, field, "deny", &gs->deny, &gs->n_deny);
	if (r)
		return r;
	if (!gs->n_allow && !gs->n_deny)
		return pn_yaml_fail(&c->y, n->start_mark, field,
				    "at least one allow or deny path is required");
	v = pn_yaml_map_get(&c->y, n, "events");
	if (v && !pn_yaml_is_null(v)) {
		pn_yaml_join_key(fi, field, "events");
		if (v->type != YAML_SEQUENCE_NODE)
			return pn_yaml_fail_type(&c->y, v, fi, "a list of open, access, all");
		for (size_t i = 0; i < pn_yaml_n_items(v); i++) {
			yaml_node_t *it = pn_yaml_item(&c->y, v, i);

			pn_yaml_join_idx(fj, fi, i);
			if (it->type != YAML_SCALAR_NODE ||
			    pn_guard_event_parse(pn_yaml_text(it), &gs->ops))
				return pn_yaml_fail(
					&c->y, it->start_mark, fj,
					"unknown event \"%s\" (valid: open, access, all)",
					it->type == YAML_SCALAR_NODE ? pn_yaml_text(it) : "");
		}
	}
	if (!gs->ops)
		gs->ops = PN_GUARD_ALL;
	v = pn_yaml_map_get(&c->y, n, "onlyDir");
	if (v &&
	    (r = pn_yaml_get_bool(&c->y, v, pn_yaml_join_key(fi, field, "onlyDir"), &gs->only_dir)))
		return r;
	v = pn_yaml_map_get(&c->y, n, "autoAllowOwner");
	if (v && (r = pn_yaml_get_bool(&c->y, v, pn_yaml_join_key(fi, field, "autoAllowOwner"),
				       &gs->auto_allow_owner)))
		return r;
	v = pn_yaml_map_get(&c->y, n, "audit");
	if (v && (r = pn_yaml_get_bool(&c->y, v, pn_yaml_join_key(fi, field, "audit"), &gs->audit)))
		return r;
	v = pn_yaml_map_get(&c->y, n, "recursive");
	if (v && (r = pn_yaml_get_bool(&c->y, v, pn_yaml_join_key(fi, field, "recursive"),
				       &gs->recursive)))
		return r;
	v = pn_yaml_map_get(&c->y, n, "tags");
	if (v && (r = get_tags(c, v, pn_yaml_join_key(fi, field, "tags"), &gs->tags)))
		return r;
	return pn_subject_finish(&gs->tags) ? pn_yaml_oom(&c->y) : 0;
}

static int parse_guard(struct parser *c, const yaml_node_t *n, const char *field)
{
	char fi[PN_YAML_FIELD_MAX], fj[PN_YAML_FIELD_MAX];
	struct pn_guard_spec spec = { 0 }, *v;
	struct pn_selector *sel = NULL;
	const yaml_node_t *x;
	struct pn_guard *g;
	struct pn_watch *w;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(&c->y, n, field, "a mapping describing a guard");
	r = pn_yaml_check_keys(&c->y, n, field, guard_keys);
	if (r)
		return r;
	g = spec.guard = calloc(1, sizeof(*g));
	w = g ? (g->watch = calloc(1, sizeof(*w))) : NULL;
	if (!w) {
		r = pn_yaml_oom(&c->y);
		goto fail;
	}
	x = pn_yaml_map_get(&c->y, n, "name");
	if (!x) {
		r = pn_yaml_missing(&c->y, n, field, "name");
		goto fail;
	}
	r = pn_yaml_get_string(&c->y, x, pn_yaml_join_key(fi, field, "name"), true, &w->name);
	if (r)
		goto fail;
	if (strpbrk(w->name, " \t/")) {
		r = pn_yaml_fail(&c->y, x->start_mark, fi,
				 "\"%s\": no spaces or '/' in a guard's "
				 "name",
				 w->name);
		goto fail;
	}
	for (size_t i = 0; i < c->pol.n_guards; i++)
		if (!strcmp(c->pol.guards[i].guard->watch->name, w->name)) {
			r = pn_yaml_fail(&c->y, x->start_mark, fi, "duplicate guard name \"%s\"",
					 w->name);
			goto fail;
		}
	w->key = strdup(w->name);
	w->origin = strdup("policy");
	x = pn_yaml_map_get(&c->y, n, "pod");
	if (x)
		r = pn_yaml_get_string(&c->y, x, pn_yaml_join_key(fi, field, "pod"), false,
				       &w->pod);
	else
		r = (w->pod = strdup("")) ? 0 : pn_yaml_oom(&c->y);
	if (!r && (!w->key || !w->origin))
		r = pn_yaml_oom(&c->y);
	if (r)
		goto fail;
	x = pn_yaml_map_get(&c->y, n, "logFormat");
	if (x && !pn_yaml_is_null(x)) {
		r = pn_yaml_get_string(&c->y, x, pn_yaml_join_key(fi, field, "logFormat"), false,
				       &w->log_format);
		if (r)
			goto fail;
	}
	if (!w->log_format || !*w->log_format) {
		free(w->log_format);
		w->log_format = strdup(PN_GUARD_DEFAULT_FORMAT);
		if (!w->log_format) {
			r = pn_yaml_oom(&c->y);
			goto fail;
		}
	}
	x = pn_yaml_map_get(&c->y, n, "targets");
	if (!x) {
		r = pn_yaml_missing(&c->y, n, field, "targets");
		goto fail;
	}
	r = parse_targets(c, x, pn_yaml_join_key(fi, field, "targets"), &spec.targets, &sel);
	/* a guard takes the containers its selector admits as they run (agent/guards.c) */
	w->selector = sel;
	spec.targets.pods = false;
	if (r)
		goto fail;
	x = pn_yaml_map_get(&c->y, n, "subjects");
	pn_yaml_join_key(fi, field, "subjects");
	if (!x) {
		r = pn_yaml_missing(&c->y, n, field, "subjects");
		goto fail;
	}
	if (x->type != YAML_SEQUENCE_NODE || !pn_yaml_n_items(x)) {
		r = pn_yaml_fail_type(&c->y, x, fi, "a non-empty list of subjects");
		goto fail;
	}
	g->subjects = calloc(pn_yaml_n_items(x), sizeof(*g->subjects));
	if (!g->subjects) {
		r = pn_yaml_oom(&c->y);
		goto fail;
	}
	for (size_t i = 0; i < pn_yaml_n_items(x); i++) {
		g->n_subjects = i + 1;
		r = parse_guard_subject(c, pn_yaml_item(&c->y, x, i), pn_yaml_join_idx(fj, fi, i),
					&g->subjects[i]);
		if (r)
			goto fail;
	}
	v = realloc(c->pol.guards, (c->pol.n_guards + 1) * sizeof(*v));
	if (!v) {
		r = pn_yaml_oom(&c->y);
		goto fail;
	}
	c->pol.guards = v;
	v[c->pol.n_guards++] = spec;
	return 0;
fail:
	pn_guard_spec_clear(&spec);
	return r;
}

static int parse_document(struct parser *c, const yaml_node_t *root)
{
	static const char *const list_keys[] = { "watches", "guards", NULL };
	char fi[PN_YAML_FIELD_MAX];
	yaml_node_t *list;
	int r;

	/* "---" with nothing after it: an empty document, not an error. */
	if (pn_yaml_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return pn_yaml_fail_type(
			&c->y, root, "",
			"a mapping (a watch, an ArgusWatcher or a \"watches\" list)");
	if (!pn_yaml_map_key(&c->y, root, "watches") && !pn_yaml_map_key(&c->y, root, "guards"))
		return parse_watch(c, root, "");

	r = pn_yaml_check_keys(&c->y, root, "", list_keys);
	if (r)
		return r;
	list = pn_yaml_map_get(&c->y, root, "watches");
	if (list && !pn_yaml_is_null(list)) {
		if (list->type != YAML_SEQUENCE_NODE)
			return pn_yaml_fail_type(&c->y, list, "watches", "a list of watches");
		for (size_t i = 0; i < pn_yaml_n_items(list); i++) {
			r = parse_watch(c, pn_yaml_item(&c->y, list, i),
					pn_yaml_join_idx(fi, "watches", i));
			if (r)
				return r;
		}
	}
	list = pn_yaml_map_get(&c->y, root, "guards");
	if (list && !pn_yaml_is_null(list)) {
		if (list->type != YAML_SEQUENCE_NODE)
			return pn_yaml_fail_type(&c->y, list, "guards", "a list of guards");
		for (size_t i = 0; i < pn_yaml_n_items(list); i++) {
			r = parse_guard(c, pn_yaml_item(&c->y, list, i),
					pn_yaml_join_idx(fi, "guards", i));
			if (r)
				return r;
		}
	}
	return 0;
}

static int parse_root(struct pn_yaml *y, const yaml_node_t *root, void *arg)
{
	struct parser *c = arg;

	(void)y;
	return parse_document(c, root);
}

int pn_policy_parse_string(const char *name, const char *text, size_t len, struct pn_policy *out,
			   char *err, size_t errlen)
{
	struct parser c = {
		.y = { .name = name ? name : "<policy>", .err = err, .errlen = errlen },
	};
	int r;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	r = pn_yaml_parse(&c.y, text, len, parse_root, &c);
	free(c.name_marks);
	free(c.name_slots);
	if (r) {
		pn_policy_clear(&c.pol);
		return r;
	}
	*out = c.pol;
	return 0;
}

int pn_policy_load(const char *path, struct pn_policy *out, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf;
	int r;

	memset(out, 0, sizeof(*out));
	r = pn_read_file(path, POLICY_MAX_BYTES - 1, &buf, &len);
	if (r == -EFBIG)
		return pn_errf(err, errlen, r, "%s: larger than %u MiB, not a policy file", path,
			       POLICY_MAX_BYTES >> 20);
	if (r == -ENOMEM)
		return pn_errf(err, errlen, r, "%s: out of memory", path);
	if (r)
		return pn_errf(err, errlen, r, "%s: %s", path, strerror(-r));
	r = pn_policy_parse_string(path, buf, len, out, err, errlen);
	free(buf);
	return r;
}

void pn_targets_clear(struct pn_targets *t)
{
	if (!t)
		return;
	free(t->pids);
	for (size_t i = 0; i < t->n_cgroups; i++)
		free(t->cgroups[i]);
	free(t->cgroups);
	for (size_t i = 0; i < t->n_containers; i++)
		free(t->containers[i]);
	free(t->containers);
	memset(t, 0, sizeof(*t));
}

void pn_policy_clear(struct pn_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_specs; i++) {
		pn_watch_free(p->specs[i].watch);
		pn_targets_clear(&p->specs[i].targets);
	}
	free(p->specs);
	for (size_t i = 0; i < p->n_guards; i++)
		pn_guard_spec_clear(&p->guards[i]);
	free(p->guards);
	memset(p, 0, sizeof(*p));
}
