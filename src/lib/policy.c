// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy files. The libyaml document API keeps every node's position, so a
 * message can point at the exact key or value; the shape is checked by hand
 * because a silently ignored key (a typo) would silently drop a rule.
 */
#include "policy.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "errmsg.h"
#include "events.h"
#include "fileio.h"
#include "pathutil.h"

/* Large enough for "watches[12].spec.subjects[3].paths[10]" with room to spare. */
#define FIELD_MAX 160
/* A policy is a few KiB; anything this big is a wrong file, not a policy. */
#define POLICY_MAX_BYTES (16u << 20)

struct parser {
	const char *name;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	struct pn_policy pol;
	yaml_mark_t *name_marks; /* where each watch's name was given, for duplicates */
};

/* "FILE:LINE:COL: field: message"; the field is left out when empty (document root). */
static int failf(struct parser *c, yaml_mark_t mark, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int failf(struct parser *c, yaml_mark_t mark, const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s:%zu:%zu: %s%s", c->name, mark.line + 1, mark.column + 1,
		     field, *field ? ": " : "");
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	pn_verrf(c->err + n, c->errlen - (size_t)n, -EINVAL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int oom(struct parser *c)
{
	return pn_errf(c->err, c->errlen, -ENOMEM, "%s: out of memory", c->name);
}

/* A field name too long for the buffer (absurd nesting) ends in "...", still readable. */
static const char *field_done(char *buf, int n)
{
	if (n < 0 || n >= FIELD_MAX)
		memcpy(buf + FIELD_MAX - 4, "...", 4);
	return buf;
}

static const char *join_key(char *buf, const char *prefix, const char *key)
{
	if (*prefix)
		return field_done(buf, snprintf(buf, FIELD_MAX, "%s.%s", prefix, key));
	return field_done(buf, snprintf(buf, FIELD_MAX, "%s", key));
}

static const char *join_idx(char *buf, const char *prefix, size_t i)
{
	return field_done(buf, snprintf(buf, FIELD_MAX, "%s[%zu]", prefix, i));
}

static yaml_node_t *node(struct parser *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* An empty value, "~" or "null" written without quotes: YAML's null. */
static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = sval(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static int fail_type(struct parser *c, const yaml_node_t *n, const char *field, const char *want)
{
	if (n->type == YAML_MAPPING_NODE)
		return failf(c, n->start_mark, field, "expected %s, got a mapping", want);
	if (n->type == YAML_SEQUENCE_NODE)
		return failf(c, n->start_mark, field, "expected %s, got a list", want);
	if (is_null(n))
		return failf(c, n->start_mark, field, "expected %s, got nothing (null)", want);
	return failf(c, n->start_mark, field, "expected %s, got \"%s\"", want, sval(n));
}

static size_t n_items(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *item(struct parser *c, const yaml_node_t *n, size_t i)
{
	return node(c, n->data.sequence.items.start[i]);
}

/* Checks that a mapping's keys are strings, not repeated and (if `allowed`) known. */
static int check_keys(struct parser *c, const yaml_node_t *map, const char *field,
		      const char *const *allowed)
{
	yaml_node_pair_t *start = map->data.mapping.pairs.start;

	for (yaml_node_pair_t *p = start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			return fail_type(c, k, field, "a string key");
		key = sval(k);
		if (allowed) {
			const char *const *a;
			char valid[256] = "";
			size_t len = 0;

			for (a = allowed; *a && strcmp(*a, key); a++)
				;
			if (!*a) {
				for (a = allowed; *a && len < sizeof(valid); a++)
					len += (size_t)snprintf(valid + len, sizeof(valid) - len,
								"%s%s", len ? " " : "", *a);
				return failf(c, k->start_mark, field,
					     "unknown key \"%s\"; valid keys: %s", key, valid);
			}
		}
		for (yaml_node_pair_t *q = start; q < p; q++)
			if (!strcmp(sval(node(c, q->key)), key))
				return failf(c, k->start_mark, field, "duplicate key \"%s\"", key);
	}
	return 0;
}

static yaml_node_t *map_get(struct parser *c, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(sval(k), key))
			return node(c, p->value);
	}
	return NULL;
}

static yaml_node_t *map_key_node(struct parser *c, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(sval(k), key))
			return k;
	}
	return NULL;
}

static int missing(struct parser *c, const yaml_node_t *map, const char *field, const char *key)
{
	return failf(c, map->start_mark, field, "missing required key \"%s\"", key);
}

/* A scalar as text (null reads as ""); `*out` is allocated. */
static int get_string(struct parser *c, const yaml_node_t *n, const char *field, bool nonempty,
		      char **out)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return fail_type(c, n, field, "a string");
	if (is_null(n))
		v = "";
	else if (strlen(v = sval(n)) != n->data.scalar.length)
		return failf(c, n->start_mark, field, "must not contain a NUL byte");
	if (nonempty && !*v)
		return failf(c, n->start_mark, field, "must not be empty");
	*out = strdup(v);
	return *out ? 0 : oom(c);
}

static int get_bool(struct parser *c, const yaml_node_t *n, const char *field, bool *out)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail_type(c, n, field, "a boolean (true/false/yes/no)");
	v = sval(n);
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no")) {
		*out = false;
		return 0;
	}
	return fail_type(c, n, field, "a boolean (true/false/yes/no)");
}

/* A decimal integer that fits in an int; ranges are the caller's, with its own words. */
static int get_int(struct parser *c, const yaml_node_t *n, const char *field, const char *want,
		   long *out)
{
	const char *v;
	char *end;
	long x;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail_type(c, n, field, want);
	v = sval(n);
	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end || errno || x < INT_MIN || x > INT_MAX)
		return fail_type(c, n, field, want);
	*out = x;
	return 0;
}

/*
 * Checks one subject path and normalizes it in place. Returns 0, or -EINVAL
 * with what is wrong in msg (no field name: callers know where it is).
 */
static int path_fix(char *p, char *msg, size_t msglen)
{
	int n;

	if (!p || !*p)
		return pn_errf(msg, msglen, -EINVAL, "path must not be empty");
	if (p[0] != '/')
		return pn_errf(msg, msglen, -EINVAL, "path must be absolute: \"%s\"", p);
	n = pn_path_normalize(p, p, strlen(p) + 1);
	/* A longer path can never come from the kernel: the rule could never match. */
	if (n < 0 || n >= PN_PATH_MAX)
		return pn_errf(msg, msglen, -EINVAL, "path longer than %d bytes", PN_PATH_MAX - 1);
	return 0;
}

int pn_subject_validate(struct pn_subject *s, char *err, size_t errlen)
{
	char msg[PN_PATH_MAX + 64];

	if (!s->n_paths)
		return pn_errf(err, errlen, -EINVAL, "paths: at least one path is required");
	for (size_t i = 0; i < s->n_paths; i++) {
		if (path_fix(s->paths[i], msg, sizeof(msg)))
			return pn_errf(err, errlen, -EINVAL, "paths[%zu]: %s", i, msg);
	}
	if (s->max_depth < 0)
		return pn_errf(err, errlen, -EINVAL, "maxDepth: must be >= 0, got %d",
			       s->max_depth);
	return 0;
}

enum str_kind {
	STR_PLAIN,     /* any non-empty string */
	STR_PATH,      /* absolute, normalized */
	STR_COMPONENT, /* one path component: no '/' */
};

/* A list of strings (null: empty list). On error the list built so far is freed. */
static int get_str_list(struct parser *c, const yaml_node_t *n, const char *field,
			enum str_kind kind, char ***out, size_t *nout)
{
	char fi[FIELD_MAX], msg[PN_PATH_MAX + 64];
	char **v = NULL;
	size_t count;
	int r = 0;

	*out = NULL;
	*nout = 0;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_type(c, n, field, "a list of strings");
	count = n_items(n);
	if (!count)
		return 0;
	v = calloc(count, sizeof(*v));
	if (!v)
		return oom(c);
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *it = item(c, n, i);

		join_idx(fi, field, i);
		r = get_string(c, it, fi, kind != STR_PATH, &v[i]);
		if (r)
			goto fail;
		if (kind == STR_PATH && path_fix(v[i], msg, sizeof(msg))) {
			r = failf(c, it->start_mark, fi, "%s", msg);
			goto fail;
		}
		/* Ignore names are compared with single components: a '/' could never match. */
		if (kind == STR_COMPONENT && strchr(v[i], '/')) {
			r = failf(c, it->start_mark, fi,
				  "must be a file or directory name without '/': \"%s\"", v[i]);
			goto fail;
		}
	}
	*out = v;
	*nout = count;
	return 0;
fail:
	for (size_t i = 0; i < count; i++)
		free(v[i]);
	free(v);
	return r;
}

static int get_events(struct parser *c, const yaml_node_t *n, const char *field, uint32_t *mask)
{
	char fi[FIELD_MAX], msg[512];

	*mask = 0;
	if (is_null(n)) {
		*mask = PN_ALL_EVENTS;
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE) {
		if (pn_event_list_parse(sval(n), mask, msg, sizeof(msg)))
			return failf(c, n->start_mark, field, "%s", msg);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_type(c, n, field, "a list of event names or a comma-separated string");
	/* An empty list would be a subject that reports nothing: surely not meant. */
	if (!n_items(n))
		return failf(c, n->start_mark, field, "must not be empty; valid names: %s",
			     pn_event_names_valid());
	for (size_t i = 0; i < n_items(n); i++) {
		yaml_node_t *it = item(c, n, i);

		join_idx(fi, field, i);
		if (it->type != YAML_SCALAR_NODE || is_null(it))
			return fail_type(c, it, fi, "an event name");
		if (pn_event_name_parse(sval(it), mask))
			return failf(c, it->start_mark, fi, "unknown event \"%s\"; valid names: %s",
				     sval(it), pn_event_names_valid());
	}
	return 0;
}

static int get_tags(struct parser *c, const yaml_node_t *n, const char *field, struct pn_subject *s)
{
	char fi[FIELD_MAX];
	size_t count;
	int r;

	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail_type(c, n, field, "a mapping of tag names to values");
	r = check_keys(c, n, field, NULL);
	if (r)
		return r;
	count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (!count)
		return 0;
	s->tags = calloc(count, sizeof(*s->tags));
	if (!s->tags)
		return oom(c);
	for (size_t i = 0; i < count; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		struct pn_tag *t = &s->tags[s->n_tags];

		r = get_string(c, k, field, true, &t->key);
		if (r)
			return r;
		join_key(fi, field, t->key);
		r = get_string(c, v, fi, false, &t->value);
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

static int parse_subject(struct parser *c, const yaml_node_t *n, const char *field,
			 struct pn_subject *s)
{
	char fi[FIELD_MAX], msg[PN_PATH_MAX + 64];
	yaml_node_t *v;
	long x;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return fail_type(c, n, field, "a mapping");
	r = check_keys(c, n, field, subject_keys);
	if (r)
		return r;

	v = map_get(c, n, "paths");
	if (!v)
		return missing(c, n, field, "paths");
	r = get_str_list(c, v, join_key(fi, field, "paths"), STR_PATH, &s->paths, &s->n_paths);
	if (r)
		return r;
	if (!s->n_paths)
		return failf(c, v->start_mark, fi, "at least one path is required");

	s->events = PN_ALL_EVENTS;
	v = map_get(c, n, "events");
	if (v) {
		r = get_events(c, v, join_key(fi, field, "events"), &s->events);
		if (r)
			return r;
	}
	v = map_get(c, n, "ignore");
	if (v) {
		r = get_str_list(c, v, join_key(fi, field, "ignore"), STR_COMPONENT, &s->ignore,
				 &s->n_ignore);
		if (r)
			return r;
	}
	v = map_get(c, n, "onlyDir");
	if (v && (r = get_bool(c, v, join_key(fi, field, "onlyDir"), &s->only_dir)))
		return r;
	v = map_get(c, n, "recursive");
	if (v && (r = get_bool(c, v, join_key(fi, field, "recursive"), &s->recursive)))
		return r;
	v = map_get(c, n, "followMove");
	if (v && (r = get_bool(c, v, join_key(fi, field, "followMove"), &s->follow_move)))
		return r;
	v = map_get(c, n, "maxDepth");
	if (v) {
		r = get_int(c, v, join_key(fi, field, "maxDepth"), "an integer >= 0", &x);
		if (r)
			return r;
		if (x < 0)
			return failf(c, v->start_mark, fi, "must be >= 0, got %ld", x);
		s->max_depth = (int)x;
	}
	v = map_get(c, n, "tags");
	if (v) {
		r = get_tags(c, v, join_key(fi, field, "tags"), s);
		if (r)
			return r;
	}
	/* The checks every entry point shares; the ones above already carry positions. */
	if (pn_subject_validate(s, msg, sizeof(msg)))
		return failf(c, n->start_mark, field, "%s", msg);
	if (pn_subject_finish(s))
		return oom(c);
	return 0;
}

static int parse_subjects(struct parser *c, const yaml_node_t *n, const char *field,
			  struct pn_watch *w)
{
	char fi[FIELD_MAX];
	size_t count;

	if (is_null(n))
		return failf(c, n->start_mark, field, "at least one subject is required");
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_type(c, n, field, "a list of subjects");
	count = n_items(n);
	if (!count)
		return failf(c, n->start_mark, field, "at least one subject is required");
	w->subjects = calloc(count, sizeof(*w->subjects));
	if (!w->subjects)
		return oom(c);
	for (size_t i = 0; i < count; i++) {
		int r;

		/* Counted first: a half-filled subject must be freed with the watch. */
		w->n_subjects++;
		r = parse_subject(c, item(c, n, i), join_idx(fi, field, i), &w->subjects[i]);
		if (r)
			return r;
	}
	return 0;
}

static const char *const target_keys[] = { "pids", "cgroups", "containers", NULL };

static int parse_targets(struct parser *c, const yaml_node_t *n, const char *field,
			 struct pn_targets *t)
{
	char fi[FIELD_MAX], fj[FIELD_MAX];
	yaml_node_t *v;
	int r;

	if (is_null(n))
		goto empty;
	if (n->type != YAML_MAPPING_NODE)
		return fail_type(c, n, field, "a mapping with pids, cgroups or containers");
	r = check_keys(c, n, field, target_keys);
	if (r)
		return r;

	v = map_get(c, n, "pids");
	if (v && !is_null(v)) {
		join_key(fi, field, "pids");
		if (v->type != YAML_SEQUENCE_NODE)
			return fail_type(c, v, fi, "a list of process ids");
		if (n_items(v)) {
			t->pids = calloc(n_items(v), sizeof(*t->pids));
			if (!t->pids)
				return oom(c);
		}
		for (size_t i = 0; i < n_items(v); i++) {
			yaml_node_t *it = item(c, v, i);
			long pid;

			join_idx(fj, fi, i);
			r = get_int(c, it, fj, "a positive integer", &pid);
			if (r)
				return r;
			if (pid <= 0)
				return failf(c, it->start_mark, fj,
					     "expected a positive integer, got %ld", pid);
			t->pids[t->n_pids++] = (int)pid;
		}
	}
	v = map_get(c, n, "cgroups");
	if (v) {
		r = get_str_list(c, v, join_key(fi, field, "cgroups"), STR_PLAIN, &t->cgroups,
				 &t->n_cgroups);
		if (r)
			return r;
	}
	v = map_get(c, n, "containers");
	if (v) {
		r = get_str_list(c, v, join_key(fi, field, "containers"), STR_PLAIN, &t->containers,
				 &t->n_containers);
		if (r)
			return r;
	}
	if (t->n_pids + t->n_cgroups + t->n_containers)
		return 0;
empty:
	return failf(c, n->start_mark, field,
		     "at least one of pids, cgroups or containers is required");
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
		return oom(c);
	c->pol.specs = specs;
	marks = realloc(c->name_marks, n * sizeof(*marks));
	if (!marks)
		return oom(c);
	c->name_marks = marks;
	specs[n - 1] = *spec;
	marks[n - 1] = name_mark;
	c->pol.n_specs = n;
	return 0;
}

static int build_watch(struct parser *c, const struct watch_nodes *wn)
{
	struct pn_watch_spec spec = { 0 };
	char fi[FIELD_MAX];
	const yaml_node_t *v;
	struct pn_watch *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return oom(c);
	spec.watch = w;

	r = get_string(c, wn->name, wn->name_field, true, &w->name);
	if (r)
		goto fail;
	for (size_t i = 0; i < c->pol.n_specs; i++) {
		if (!strcmp(c->pol.specs[i].watch->name, w->name)) {
			r = failf(c, wn->name->start_mark, wn->name_field,
				  "duplicate watch name \"%s\" (first defined at %zu:%zu)", w->name,
				  c->name_marks[i].line + 1, c->name_marks[i].column + 1);
			goto fail;
		}
	}
	if (wn->pod)
		r = get_string(c, wn->pod, join_key(fi, wn->body_field, "pod"), false, &w->pod);
	else
		r = (w->pod = strdup("")) ? 0 : oom(c);
	if (r)
		goto fail;
	/* An empty logFormat means the default, as an absent one does. */
	if (wn->log_format && !is_null(wn->log_format)) {
		r = get_string(c, wn->log_format, join_key(fi, wn->body_field, "logFormat"), false,
			       &w->log_format);
		if (r)
			goto fail;
		if (!*w->log_format) {
			free(w->log_format);
			w->log_format = NULL;
		}
	}

	v = map_get(c, wn->body, "targets");
	if (!v) {
		r = missing(c, wn->body, wn->body_field, "targets");
		goto fail;
	}
	r = parse_targets(c, v, join_key(fi, wn->body_field, "targets"), &spec.targets);
	if (r)
		goto fail;

	v = map_get(c, wn->body, "subjects");
	if (!v) {
		r = missing(c, wn->body, wn->body_field, "subjects");
		goto fail;
	}
	r = parse_subjects(c, v, join_key(fi, wn->body_field, "subjects"), w);
	if (r)
		goto fail;

	r = add_spec(c, &spec, wn->name->start_mark);
	if (r)
		goto fail;
	return 0;
fail:
	pn_watch_free(w);
	pn_targets_clear(&spec.targets);
	return r;
}

static const char *const flat_keys[] = { "name", "pod", "logFormat", "targets", "subjects", NULL };

static int parse_flat(struct parser *c, const yaml_node_t *n, const char *field)
{
	char fi[FIELD_MAX];
	struct watch_nodes wn = {
		.pod = map_get(c, n, "pod"),
		.log_format = map_get(c, n, "logFormat"),
		.body = n,
		.body_field = field,
	};
	int r = check_keys(c, n, field, flat_keys);

	if (r)
		return r;
	wn.name = map_get(c, n, "name");
	if (!wn.name)
		return missing(c, n, field, "name");
	wn.name_field = join_key(fi, field, "name");
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
	char fk[FIELD_MAX], fm[FIELD_MAX], fs[FIELD_MAX], fn[FIELD_MAX];
	yaml_node_t *kind, *api, *meta, *spec;
	struct watch_nodes wn = { 0 };
	int r = check_keys(c, n, field, cr_keys);

	if (r)
		return r;
	api = map_get(c, n, "apiVersion");
	if (api && api->type != YAML_SCALAR_NODE)
		return fail_type(c, api, join_key(fk, field, "apiVersion"), "a string");
	kind = map_get(c, n, "kind");
	if (!kind)
		return missing(c, n, field, "kind");
	join_key(fk, field, "kind");
	if (kind->type != YAML_SCALAR_NODE || strcmp(sval(kind), "ArgusWatcher"))
		return fail_type(c, kind, fk, "\"ArgusWatcher\"");

	meta = map_get(c, n, "metadata");
	if (!meta)
		return missing(c, n, field, "metadata");
	join_key(fm, field, "metadata");
	if (meta->type != YAML_MAPPING_NODE)
		return fail_type(c, meta, fm, "a mapping");
	r = check_keys(c, meta, fm, NULL);
	if (r)
		return r;
	wn.name = map_get(c, meta, "name");
	if (!wn.name)
		return missing(c, meta, fm, "name");
	wn.name_field = join_key(fn, fm, "name");

	spec = map_get(c, n, "spec");
	if (!spec)
		return missing(c, n, field, "spec");
	join_key(fs, field, "spec");
	if (spec->type != YAML_MAPPING_NODE)
		return fail_type(c, spec, fs, "a mapping");
	r = check_keys(c, spec, fs, spec_keys);
	if (r)
		return r;
	wn.log_format = map_get(c, spec, "logFormat");
	wn.body = spec;
	wn.body_field = fs;
	return build_watch(c, &wn);
}

static int parse_watch(struct parser *c, const yaml_node_t *n, const char *field)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_type(c, n, field, "a mapping describing a watch");
	if (map_key_node(c, n, "kind") || map_key_node(c, n, "apiVersion") ||
	    map_key_node(c, n, "spec") || map_key_node(c, n, "metadata"))
		return parse_cr(c, n, field);
	return parse_flat(c, n, field);
}

static int parse_document(struct parser *c, const yaml_node_t *root)
{
	static const char *const list_keys[] = { "watches", NULL };
	char fi[FIELD_MAX];
	yaml_node_t *list;
	int r;

	/* "---" with nothing after it: an empty document, not an error. */
	if (is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail_type(c, root, "",
				 "a mapping (a watch, an ArgusWatcher or a \"watches\" list)");
	if (!map_key_node(c, root, "watches"))
		return parse_watch(c, root, "");

	r = check_keys(c, root, "", list_keys);
	if (r)
		return r;
	list = map_get(c, root, "watches");
	if (is_null(list))
		return 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return fail_type(c, list, "watches", "a list of watches");
	for (size_t i = 0; i < n_items(list); i++) {
		r = parse_watch(c, item(c, list, i), join_idx(fi, "watches", i));
		if (r)
			return r;
	}
	return 0;
}

static int yaml_fail(struct parser *c, const yaml_parser_t *yp, const char *text, size_t len)
{
	yaml_mark_t mark = yp->problem_mark;

	if (yp->error == YAML_MEMORY_ERROR)
		return oom(c);
	if (yp->error == YAML_READER_ERROR) {
		/* Reader errors (bad encoding) only know a byte offset. */
		size_t off = yp->problem_offset < len ? yp->problem_offset : len;

		mark.line = 0;
		mark.column = 0;
		for (size_t i = 0; i < off; i++) {
			if (text[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else {
				mark.column++;
			}
		}
		return failf(c, mark, "", "YAML syntax error: %s", yp->problem);
	}
	if (yp->context)
		return failf(c, mark, "", "YAML syntax error: %s (%s started at %zu:%zu)",
			     yp->problem, yp->context, yp->context_mark.line + 1,
			     yp->context_mark.column + 1);
	return failf(c, mark, "", "YAML syntax error: %s", yp->problem ? yp->problem : "unknown");
}

int pn_policy_parse_string(const char *name, const char *text, size_t len, struct pn_policy *out,
			   char *err, size_t errlen)
{
	struct parser c = { .name = name ? name : "<policy>", .err = err, .errlen = errlen };
	yaml_parser_t yp;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!yaml_parser_initialize(&yp))
		return oom(&c);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;

		/* On failure libyaml has already freed the document. */
		if (!yaml_parser_load(&yp, &doc)) {
			r = yaml_fail(&c, &yp, text, len);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			/* End of the stream. */
			yaml_document_delete(&doc);
			break;
		}
		c.doc = &doc;
		r = parse_document(&c, root);
		c.doc = NULL;
		yaml_document_delete(&doc);
		if (r)
			break;
	}
	yaml_parser_delete(&yp);
	free(c.name_marks);
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
	memset(p, 0, sizeof(*p));
}
