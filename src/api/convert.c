// SPDX-License-Identifier: GPL-2.0-only
#include "convert.h"

#include "bounds.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "errmsg.h"
#include "event_type.h"
#include "events.h"
#include "format.h"
#include "rules.h"
#include "selector.h"
#include "text.h"

/* ------------------------------------------------------------ subjects */

/* What an argus subject and a native subject both carry, borrowed. */
struct subject_in {
	const char *field; /* "subject[2]" or "watch.subjects[2]" */
	char **paths;
	size_t n_paths;
	char **ignore;
	size_t n_ignore;
	bool only_dir, recursive, follow_move;
	int max_depth;
	size_t n_tags;
	const char *(*tag_key)(const void *tags, size_t i);
	const char *(*tag_value)(const void *tags, size_t i);
	const void *tags;
};

static char **dup_strv(char *const *v, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof(*out));

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			while (i--)
				free(out[i]);
			free(out);
			return NULL;
		}
	}
	return out;
}

/* Copies the target lists; -ENOMEM leaves what was copied for pn_targets_clear(). */
static int targets_fill(struct pn_targets *t, const int32_t *pids, size_t n_pids,
			char *const *cgroups, size_t n_cgroups, char *const *containers,
			size_t n_containers)
{
	if (n_pids) {
		t->pids = malloc(n_pids * sizeof(*t->pids));
		if (!t->pids)
			return -ENOMEM;
		memcpy(t->pids, pids, n_pids * sizeof(*t->pids));
		t->n_pids = n_pids;
	}
	if (n_cgroups) {
		t->cgroups = dup_strv(cgroups, n_cgroups);
		if (!t->cgroups)
			return -ENOMEM;
		t->n_cgroups = n_cgroups;
	}
	if (n_containers) {
		t->containers = dup_strv(containers, n_containers);
		if (!t->containers)
			return -ENOMEM;
		t->n_containers = n_containers;
	}
	return 0;
}

/*
 * Fills s (events already set) from in and checks it with pn_subject_check(),
 * whose verdict lands in *f. s is the caller's to clear whatever the result,
 * so that the fault's value (borrowed from s) outlives the call.
 */
static int subject_fill(struct pn_subject *s, const struct subject_in *in,
			struct pn_subject_fault *f, char *err, size_t errlen)
{
	int e;

	s->paths = dup_strv(in->paths, in->n_paths);
	s->ignore = dup_strv(in->ignore, in->n_ignore);
	if (!s->paths || !s->ignore)
		goto oom;
	s->n_paths = in->n_paths;
	s->n_ignore = in->n_ignore;
	s->only_dir = in->only_dir;
	s->recursive = in->recursive;
	s->follow_move = in->follow_move;
	s->max_depth = in->max_depth;
	if (in->n_tags) {
		s->tags = calloc(in->n_tags, sizeof(*s->tags));
		if (!s->tags)
			goto oom;
	}
	for (size_t i = 0; i < in->n_tags; i++) {
		s->tags[i].key = strdup(in->tag_key(in->tags, i));
		s->tags[i].value = strdup(in->tag_value(in->tags, i));
		s->n_tags = i + 1;
		if (!s->tags[i].key || !s->tags[i].value)
			goto oom;
	}
	e = pn_subject_check(s, f);
	if (e) {
		pn_subject_fault_format(f, &pn_subject_keys, in->field, err, errlen);
		return e;
	}
	if (pn_subject_finish(s))
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", in->field);
	return -ENOMEM;
}

static struct pn_watch *watch_new(const char *name, const char *pod, const char *log_format,
				  const char *key, const char *origin, size_t n_subjects)
{
	struct pn_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->name = strdup(name);
	w->pod = strdup(pod ? pod : "");
	w->log_format = log_format && log_format[0] ? strdup(log_format) : NULL;
	w->key = key ? strdup(key) : NULL;
	w->origin = strdup(origin);
	w->subjects = calloc(n_subjects ? n_subjects : 1, sizeof(*w->subjects));
	if (!w->name || !w->pod || (log_format && log_format[0] && !w->log_format) ||
	    (key && !w->key) || !w->origin || !w->subjects) {
		pn_watch_free(w);
		return NULL;
	}
	return w;
}

static int check_log_format(const char *field, const char *fmt, char *err, size_t errlen)
{
	char msg[512];

	if (fmt && fmt[0] && pn_format_validate(fmt, msg, sizeof(msg)))
		return pn_errf(err, errlen, -EINVAL, "%s: %s", field, msg);
	return 0;
}

/* Every element of a repeated string field by pn_text_check's rule: "FIELD[i]: ...". */
static int check_text_list(const char *field, char *const *v, size_t n, char *err, size_t errlen)
{
	char fi[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(fi, sizeof(fi), "%s[%zu]", field, i);
		if (pn_text_check_field(fi, v[i], err, errlen))
			return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------ argus */

static const char *argus_tag_key(const void *tags, size_t i)
{
	return ((Argus__ArgusWatcherSubject__TagsEntry *const *)tags)[i]->key;
}

static const char *argus_tag_value(const void *tags, size_t i)
{
	return ((Argus__ArgusWatcherSubject__TagsEntry *const *)tags)[i]->value;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pn_argus_key(const Argus__ArgusdConfig *c, const char *node, char *out, size_t outlen,
		 char *err, size_t errlen)
{
	const char *n = c->nodename && c->nodename[0] ? c->nodename : node;
	size_t len;
	int e = 0;

	/* The key is what GetWatchState and ListWatches show: made of text, it is text. */
	if (pn_text_check_field("nodeName", c->nodename, err, errlen) ||
	    check_text_list("cid", c->cid, c->n_cid, err, errlen))
		return -EINVAL;
	/*
	 * One key, one set of targets: the separators of the key cannot be in
	 * its parts. A Kubernetes node name holds no '/', a container id or
	 * name no ',' (hex, or [a-zA-Z0-9_.-]).
	 */
	if (c->nodename && strchr(c->nodename, '/'))
		return pn_errf(err, errlen, -EINVAL, "nodeName: \"%.64s\": '/' is not allowed",
			       c->nodename);
	for (size_t i = 0; i < c->n_cid; i++)
		if (strchr(c->cid[i], ','))
			return pn_errf(err, errlen, -EINVAL,
				       "cid[%zu]: \"%.80s\": ',' is not allowed in a container id",
				       i, c->cid[i]);
	len = (size_t)snprintf(out, outlen, "argus/%s/", n);
	if (c->n_pid) {
		int *pids = malloc(c->n_pid * sizeof(*pids));

		if (!pids)
			return -ENOMEM;
		memcpy(pids, c->pid, c->n_pid * sizeof(*pids));
		qsort(pids, c->n_pid, sizeof(*pids), cmp_int);
		for (size_t i = 0; i < c->n_pid && len < outlen; i++) {
			if (pids[i] <= 0) {
				e = pn_errf(err, errlen, -EINVAL, "pid: %d is not a process id",
					    pids[i]);
				break;
			}
			len += (size_t)snprintf(out + len, outlen - len, "%spid:%d", i ? "," : "",
						pids[i]);
		}
		free(pids);
	} else if (c->n_cid) {
		char **cids = malloc(c->n_cid * sizeof(*cids));

		if (!cids)
			return -ENOMEM;
		memcpy(cids, c->cid, c->n_cid * sizeof(*cids));
		qsort(cids, c->n_cid, sizeof(*cids), cmp_str);
		for (size_t i = 0; i < c->n_cid && len < outlen; i++)
			len += (size_t)snprintf(out + len, outlen - len, "%scid:%s", i ? "," : "",
						cids[i]);
		free(cids);
	} else {
		return pn_errf(err, errlen, -EINVAL,
			       "pid, cid: at least one pid or container id is required");
	}
	if (!e && len >= outlen)
		e = pn_errf(err, errlen, -EINVAL, "pid, cid: too many entries");
	return e;
}

int pn_argus_to_spec(const Argus__ArgusdConfig *c, const char *node, struct pn_watch_spec *out,
		     char *err, size_t errlen)
{
	struct pn_targets *t = &out->targets;
	struct pn_subject_fault f;
	struct pn_watch *w = NULL;
	char key[4096];
	int e;

	memset(out, 0, sizeof(*out));
	if (pn_text_check_field("name", c->name, err, errlen) ||
	    pn_text_check_field("podName", c->podname, err, errlen) ||
	    pn_text_check_field("logFormat", c->logformat, err, errlen))
		return -EINVAL;
	e = pn_argus_key(c, node, key, sizeof(key), err, errlen);
	if (e)
		return e;
	if (!c->n_subject)
		return pn_errf(err, errlen, -EINVAL, "subject: at least one subject is required");
	e = check_log_format("logFormat", c->logformat, err, errlen);
	if (e)
		return e;

	/* argus-controller names the watch after its ArgusWatcher; fall back to the pod */
	w = watch_new(c->name && c->name[0] ? c->name :
					      (c->podname && c->podname[0] ? c->podname : key),
		      c->podname, c->logformat, key, "argus", c->n_subject);
	if (!w)
		goto oom;
	w->api = PN_WATCH_ARGUS;
	for (size_t i = 0; i < c->n_subject; i++) {
		const Argus__ArgusWatcherSubject *as = c->subject[i];
		char field[32];
		struct subject_in in;

		snprintf(field, sizeof(field), "subject[%zu]", i);
		/* Counted first: a half-filled subject is freed with the watch. */
		w->n_subjects = i + 1;
		if (!as->n_event) {
			e = pn_errf(err, errlen, -EINVAL,
				    "%s.event: at least one event is required", field);
			goto fail;
		}
		for (size_t j = 0; j < as->n_event; j++) {
			if (pn_event_name_parse(as->event[j], &w->subjects[i].events)) {
				e = pn_errf(err, errlen, -EINVAL,
					    "%s.event[%zu]: unknown event \"%s\" (valid: %s)",
					    field, j, as->event[j], pn_event_names_valid());
				goto fail;
			}
		}
		in = (struct subject_in){
			.field = field,
			.paths = as->path,
			.n_paths = as->n_path,
			.ignore = as->ignore,
			.n_ignore = as->n_ignore,
			.only_dir = as->onlydir,
			.recursive = as->recursive,
			.follow_move = as->followmove,
			.max_depth = as->maxdepth,
			.n_tags = as->n_tags,
			.tag_key = argus_tag_key,
			.tag_value = argus_tag_value,
			.tags = as->tags,
		};
		e = subject_fill(&w->subjects[i], &in, &f, err, errlen);
		if (e)
			goto fail;
	}

	/* argus sends pids and cids of the same containers: the pids suffice when given */
	if (targets_fill(t, c->pid, c->n_pid, NULL, 0, c->n_pid ? NULL : c->cid,
			 c->n_pid ? 0 : c->n_cid))
		goto oom;
	out->watch = w;
	return 0;
oom:
	e = -ENOMEM;
	snprintf(err, errlen, "out of memory");
fail:
	pn_watch_free(w);
	pn_targets_clear(t);
	return e;
}

/* ------------------------------------------------------------ janus */

static const char *janus_tag_key(const void *tags, size_t i)
{
	return ((Janus__JanusGuardSubject__TagsEntry *const *)tags)[i]->key;
}

static const char *janus_tag_value(const void *tags, size_t i)
{
	return ((Janus__JanusGuardSubject__TagsEntry *const *)tags)[i]->value;
}

int pn_janus_key(const Janus__JanusdConfig *c, const char *node, char *out, size_t outlen,
		 char *err, size_t errlen)
{
	const char *n = c->nodename && c->nodename[0] ? c->nodename : node;

	if (pn_text_check_field("nodeName", c->nodename, err, errlen) ||
	    pn_text_check_field("podName", c->podname, err, errlen))
		return -EINVAL;
	if (!c->podname || !c->podname[0])
		return pn_errf(err, errlen, -EINVAL,
			       "podName: required (a guard is the guard of one pod)");
	/* a Kubernetes node name holds no '/': the key cannot be read two ways */
	if (strchr(n, '/'))
		return pn_errf(err, errlen, -EINVAL, "nodeName: \"%.64s\": '/' is not allowed", n);
	if ((size_t)snprintf(out, outlen, "janus/%s/%s", n, c->podname) >= outlen)
		return pn_errf(err, errlen, -EINVAL, "podName: too long");
	return 0;
}

/*
 * allow or deny paths, checked by the one subject rule (absolute, not
 * empty, text) and normalized; moved into *out.
 */
static int guard_paths(char *const *paths, size_t n, const char *field, const char *list,
		       char ***out, size_t *n_out, char *err, size_t errlen)
{
	const struct pn_subject_spelling sp = {
		.name = { [PN_SUBJECT_PATHS] = list },
		.indexed = true,
	};
	struct pn_subject s = { 0 };
	struct pn_subject_fault f;
	int e;

	if (!n)
		return 0;
	s.paths = dup_strv(paths, n);
	if (!s.paths)
		return pn_errf(err, errlen, -ENOMEM, "%s: out of memory", field);
	s.n_paths = n;
	e = pn_subject_check(&s, &f);
	if (e) {
		pn_subject_fault_format(&f, &sp, field, err, errlen);
		pn_subject_clear(&s);
		return e;
	}
	*out = s.paths;
	*n_out = s.n_paths;
	s.paths = NULL;
	s.n_paths = 0;
	pn_subject_clear(&s);
	return 0;
}

/* What a janus subject and a native one both carry, borrowed; ops already parsed. */
struct guard_in {
	const char *field; /* "subject[2]" or "guard.subjects[2]" */
	char **allow, **deny;
	size_t n_allow, n_deny;
	uint32_t ops; /* 0: none given, both */
	bool only_dir, auto_allow_owner, audit, recursive;
	size_t n_tags;
	const char *(*tag_key)(const void *tags, size_t i);
	const char *(*tag_value)(const void *tags, size_t i);
	const void *tags;
};

static int guard_subject(const struct guard_in *gi, struct pn_guard_subject *gs, char *err,
			 size_t errlen)
{
	char *root = "/";
	struct subject_in in = {
		.field = gi->field,
		/* the tags are checked as a watch's are, on a subject of "/" */
		.paths = &root,
		.n_paths = 1,
		.n_tags = gi->n_tags,
		.tag_key = gi->tag_key,
		.tag_value = gi->tag_value,
		.tags = gi->tags,
	};
	struct pn_subject_fault f;
	int e;

	if (!gi->n_allow && !gi->n_deny)
		return pn_errf(err, errlen, -EINVAL,
			       "%s.allow, %s.deny: at least one path is required", gi->field,
			       gi->field);
	/* janus guards opens and reads when no word is given */
	gs->ops = gi->ops ? gi->ops : PN_GUARD_ALL;
	gs->only_dir = gi->only_dir;
	gs->auto_allow_owner = gi->auto_allow_owner;
	gs->audit = gi->audit;
	gs->recursive = gi->recursive;
	e = guard_paths(gi->allow, gi->n_allow, gi->field, "allow", &gs->allow, &gs->n_allow, err,
			errlen);
	if (!e)
		e = guard_paths(gi->deny, gi->n_deny, gi->field, "deny", &gs->deny, &gs->n_deny,
				err, errlen);
	if (!e)
		e = subject_fill(&gs->tags, &in, &f, err, errlen);
	return e;
}

static int janus_subject(const Janus__JanusGuardSubject *js, const char *field,
			 struct pn_guard_subject *gs, char *err, size_t errlen)
{
	struct guard_in gi = {
		.field = field,
		.allow = js->allow,
		.n_allow = js->n_allow,
		.deny = js->deny,
		.n_deny = js->n_deny,
		.only_dir = js->onlydir,
		.auto_allow_owner = js->autoallowowner,
		.audit = js->audit,
		.n_tags = js->n_tags,
		.tag_key = janus_tag_key,
		.tag_value = janus_tag_value,
		.tags = js->tags,
	};

	for (size_t j = 0; j < js->n_event; j++)
		if (pn_guard_event_parse(js->event[j], &gi.ops))
			return pn_errf(
				err, errlen, -EINVAL,
				"%s.event[%zu]: unknown event \"%.64s\" (valid: open, access, "
				"all)",
				field, j, js->event[j]);
	return guard_subject(&gi, gs, err, errlen);
}

int pn_janus_to_spec(const Janus__JanusdConfig *c, const char *node, struct pn_guard_spec *out,
		     char *err, size_t errlen)
{
	struct pn_targets *t = &out->targets;
	struct pn_guard *g = NULL;
	char key[4096];
	int e;

	memset(out, 0, sizeof(*out));
	if (pn_text_check_field("name", c->name, err, errlen) ||
	    pn_text_check_field("logFormat", c->logformat, err, errlen) ||
	    check_text_list("cid", c->cid, c->n_cid, err, errlen))
		return -EINVAL;
	e = pn_janus_key(c, node, key, sizeof(key), err, errlen);
	if (e)
		return e;
	if (!c->n_pid && !c->n_cid)
		return pn_errf(err, errlen, -EINVAL,
			       "pid, cid: at least one pid or container id is required");
	for (size_t i = 0; i < c->n_pid; i++)
		if (c->pid[i] <= 0)
			return pn_errf(err, errlen, -EINVAL, "pid[%zu]: %d is not a process id", i,
				       c->pid[i]);
	if (!c->n_subject)
		return pn_errf(err, errlen, -EINVAL, "subject: at least one subject is required");
	e = check_log_format("logFormat", c->logformat, err, errlen);
	if (e)
		return e;

	g = calloc(1, sizeof(*g));
	if (!g)
		goto oom;
	/* janus-controller names the guard after its JanusGuard; fall back to the pod */
	g->watch =
		watch_new(c->name && c->name[0] ? c->name : c->podname, c->podname,
			  c->logformat && c->logformat[0] ? c->logformat : PN_GUARD_DEFAULT_FORMAT,
			  key, "janus", 0);
	g->subjects = calloc(c->n_subject, sizeof(*g->subjects));
	if (!g->watch || !g->subjects)
		goto oom;
	for (size_t i = 0; i < c->n_subject; i++) {
		char field[32];

		snprintf(field, sizeof(field), "subject[%zu]", i);
		g->n_subjects = i + 1;
		e = janus_subject(c->subject[i], field, &g->subjects[i], err, errlen);
		if (e)
			goto fail;
	}
	/* the controller sends the pod's containers; pids only when given */
	if (targets_fill(t, c->pid, c->n_pid, NULL, 0, c->cid, c->n_cid))
		goto oom;
	out->guard = g;
	return 0;
oom:
	e = -ENOMEM;
	snprintf(err, errlen, "out of memory");
fail:
	pn_guard_free(g);
	pn_targets_clear(t);
	return e;
}

/* ------------------------------------------------------------ native */

static const char *api_tag_key(const void *tags, size_t i)
{
	return ((Panoptes__V1__Subject__TagsEntry *const *)tags)[i]->key;
}

static const char *api_tag_value(const void *tags, size_t i)
{
	return ((Panoptes__V1__Subject__TagsEntry *const *)tags)[i]->value;
}

int pn_api_subject_map(const Panoptes__V1__Subject *as, const char *field, struct pn_subject *s,
		       struct pn_subject_fault *f, char *err, size_t errlen)
{
	struct subject_in in = {
		.field = field,
		.paths = as->paths,
		.n_paths = as->n_paths,
		.ignore = as->ignore,
		.n_ignore = as->n_ignore,
		.only_dir = as->only_dir,
		.recursive = as->recursive,
		.follow_move = as->follow_move,
		.max_depth = as->max_depth,
		.n_tags = as->n_tags,
		.tag_key = api_tag_key,
		.tag_value = api_tag_value,
		.tags = as->tags,
	};

	*f = (struct pn_subject_fault){ .rule = PN_SUBJECT_SOUND };
	if (!as->n_events)
		return pn_errf(err, errlen, -EINVAL, "%s.events: at least one event is required",
			       field);
	for (size_t j = 0; j < as->n_events; j++)
		if (pn_api_event_type_mask((int)as->events[j], &s->events))
			return pn_errf(err, errlen, -EINVAL,
				       "%s.events[%zu]: %d is not an event type", field, j,
				       (int)as->events[j]);
	return subject_fill(s, &in, f, err, errlen);
}

/* ------------------------------------------------------------ selectors */

static bool has_selector(const Panoptes__V1__Targets *t)
{
	return t->n_namespaces || t->n_container_names || t->n_images || t->pod_selector;
}

/* A non-empty list of patterns, each non-empty text: *out and *n set only when it is. */
static int pattern_list(const char *field, char *const *v, size_t n, char ***out, size_t *n_out,
			char *err, size_t errlen)
{
	if (check_text_list(field, v, n, err, errlen))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!v[i][0])
			return pn_errf(err, errlen, -EINVAL, "%s[%zu]: must not be empty", field,
				       i);
	if (n && !(*out = dup_strv(v, n)))
		return pn_errf(err, errlen, -ENOMEM, "out of memory");
	*n_out = n;
	return 0;
}

static int push_label_req(struct pn_selector *s, struct pn_label_req *r)
{
	struct pn_label_req *v = realloc(s->labels, (s->n_labels + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->labels = v;
	v[s->n_labels++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

/* One LabelSelectorRequirement, checked as the API server checks it. */
static int label_req_map(const Panoptes__V1__LabelSelectorRequirement *m, const char *field,
			 struct pn_label_req *r, char *err, size_t errlen)
{
	char fi[192];

	snprintf(fi, sizeof(fi), "%s.key", field);
	if (pn_text_check_field(fi, m->key, err, errlen))
		return -EINVAL;
	if (!m->key[0])
		return pn_errf(err, errlen, -EINVAL, "%s: required", fi);
	if (pn_label_op_parse(m->operator_, &r->op))
		return pn_errf(
			err, errlen, -EINVAL,
			"%s.operator: \"%.32s\" is not one of In, NotIn, Exists, DoesNotExist",
			field, m->operator_);
	snprintf(fi, sizeof(fi), "%s.values", field);
	if (check_text_list(fi, m->values, m->n_values, err, errlen))
		return -EINVAL;
	if (pn_label_op_takes_values(r->op) && !m->n_values)
		return pn_errf(err, errlen, -EINVAL, "%s: In and NotIn need at least one value",
			       fi);
	if (!pn_label_op_takes_values(r->op) && m->n_values)
		return pn_errf(err, errlen, -EINVAL, "%s: Exists and DoesNotExist take no values",
			       fi);
	r->key = strdup(m->key);
	r->values = dup_strv(m->values, m->n_values);
	r->n_values = m->n_values;
	if (!r->key || !r->values)
		return pn_errf(err, errlen, -ENOMEM, "out of memory");
	return 0;
}

static int pod_selector_map(const Panoptes__V1__LabelSelector *m, const char *field,
			    struct pn_selector *s, char *err, size_t errlen)
{
	struct pn_label_req r = { 0 };
	char fi[128];
	int e = 0;

	for (size_t i = 0; !e && i < m->n_match_labels; i++) {
		const Panoptes__V1__LabelSelector__MatchLabelsEntry *l = m->match_labels[i];

		snprintf(fi, sizeof(fi), "%s.match_labels", field);
		if (pn_text_check_field(fi, l->key, err, errlen) ||
		    pn_text_check_field(fi, l->value, err, errlen))
			return -EINVAL;
		if (!l->key[0])
			return pn_errf(err, errlen, -EINVAL, "%s: a key must not be empty", fi);
		r.op = PN_LABEL_IN;
		r.key = strdup(l->key);
		r.values = dup_strv(&l->value, 1);
		r.n_values = 1;
		e = r.key && r.values ? push_label_req(s, &r) : -ENOMEM;
	}
	for (size_t i = 0; !e && i < m->n_match_expressions; i++) {
		snprintf(fi, sizeof(fi), "%s.match_expressions[%zu]", field, i);
		e = label_req_map(m->match_expressions[i], fi, &r, err, errlen);
		if (!e)
			e = push_label_req(s, &r);
	}
	pn_label_reqs_free(&r, 1);
	if (e == -ENOMEM)
		return pn_errf(err, errlen, -ENOMEM, "out of memory");
	if (e)
		return e;
	/* Kubernetes reads an empty selector as every pod: here that is namespaces ["*"] */
	if (!s->n_labels)
		return pn_errf(err, errlen, -EINVAL,
			       "%s: an empty selector would select every pod: give match_labels "
			       "or match_expressions, or leave it out",
			       field);
	return 0;
}

int pn_api_selector_map(const Panoptes__V1__Targets *t, const char *field, struct pn_selector **out,
			char *err, size_t errlen)
{
	struct pn_selector *s;
	char fi[64];
	int e;

	*out = NULL;
	if (!t || !has_selector(t))
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return pn_errf(err, errlen, -ENOMEM, "out of memory");
	snprintf(fi, sizeof(fi), "%s.namespaces", field);
	e = pattern_list(fi, t->namespaces, t->n_namespaces, &s->namespaces, &s->n_namespaces, err,
			 errlen);
	snprintf(fi, sizeof(fi), "%s.container_names", field);
	if (!e)
		e = pattern_list(fi, t->container_names, t->n_container_names, &s->container_names,
				 &s->n_container_names, err, errlen);
	snprintf(fi, sizeof(fi), "%s.images", field);
	if (!e)
		e = pattern_list(fi, t->images, t->n_images, &s->images, &s->n_images, err, errlen);
	snprintf(fi, sizeof(fi), "%s.pod_selector", field);
	if (!e && t->pod_selector)
		e = pod_selector_map(t->pod_selector, fi, s, err, errlen);
	if (e) {
		pn_selector_free(s);
		return e;
	}
	*out = s;
	return 0;
}

/* ------------------------------------------------------------ native watches */

/* A native watch's or guard's name, pod and log format: `kind` ("watch", "guard") in the fields. */
static int native_names_check(const char *kind, const char *name, const char *pod,
			      const char *log_format, char *err, size_t errlen)
{
	char fi[32];

	if (!name || !name[0])
		return pn_errf(err, errlen, -EINVAL, "%s.name: required", kind);
	snprintf(fi, sizeof(fi), "%s.name", kind);
	if (pn_text_check_field(fi, name, err, errlen))
		return -EINVAL;
	snprintf(fi, sizeof(fi), "%s.pod", kind);
	if (pn_text_check_field(fi, pod, err, errlen))
		return -EINVAL;
	snprintf(fi, sizeof(fi), "%s.log_format", kind);
	if (pn_text_check_field(fi, log_format, err, errlen))
		return -EINVAL;
	if (strlen(name) > PN_API_NAME_BYTES || strpbrk(name, " \t\n/"))
		return pn_errf(err, errlen, -EINVAL,
			       "%s.name: \"%.64s\" must be at most %d characters "
			       "without spaces or '/'",
			       kind, name, PN_API_NAME_BYTES);
	return 0;
}

/* The pids, cgroups and containers of native Targets: sound text, and pids that are pids. */
static int native_targets_check(const char *kind, const Panoptes__V1__Targets *at, char *err,
				size_t errlen)
{
	char fi[48];

	snprintf(fi, sizeof(fi), "%s.targets.cgroups", kind);
	if (check_text_list(fi, at->cgroups, at->n_cgroups, err, errlen))
		return -EINVAL;
	snprintf(fi, sizeof(fi), "%s.targets.containers", kind);
	if (check_text_list(fi, at->containers, at->n_containers, err, errlen))
		return -EINVAL;
	for (size_t i = 0; i < at->n_pids; i++)
		if (at->pids[i] <= 0)
			return pn_errf(err, errlen, -EINVAL,
				       "%s.targets.pids[%zu]: %d is not a process id", kind, i,
				       at->pids[i]);
	return 0;
}

int pn_api_watch_to_spec(const Panoptes__V1__Watch *aw, struct pn_watch_spec *out, char *err,
			 size_t errlen)
{
	const Panoptes__V1__Targets *at;
	struct pn_targets *t = &out->targets;
	struct pn_selector *sel = NULL;
	struct pn_subject_fault f;
	struct pn_watch *w = NULL;
	int e;

	memset(out, 0, sizeof(*out));
	if (!aw)
		return pn_errf(err, errlen, -EINVAL, "watch: required");
	e = native_names_check("watch", aw->name, aw->pod, aw->log_format, err, errlen);
	if (e)
		return e;
	at = aw->targets;
	if (!at || (at->n_pids + at->n_cgroups + at->n_containers == 0 && !has_selector(at)))
		return pn_errf(err, errlen, -EINVAL,
			       "watch.targets: at least one pid, cgroup, container or selector "
			       "(namespaces, container_names, images, pod_selector) is required");
	e = native_targets_check("watch", at, err, errlen);
	if (e)
		return e;
	if (!aw->n_subjects)
		return pn_errf(err, errlen, -EINVAL,
			       "watch.subjects: at least one subject is required");
	e = check_log_format("watch.log_format", aw->log_format, err, errlen);
	if (!e)
		e = pn_api_selector_map(at, "watch.targets", &sel, err, errlen);
	if (e)
		return e;

	w = watch_new(aw->name, aw->pod, aw->log_format, NULL, "api", aw->n_subjects);
	if (!w) {
		pn_selector_free(sel);
		goto oom;
	}
	w->api = PN_WATCH_NATIVE;
	w->selector = sel;
	/* a selector alone: the pods of the node, wherever their cgroups are */
	t->pods = sel && at->n_pids + at->n_cgroups + at->n_containers == 0;
	for (size_t i = 0; i < aw->n_subjects; i++) {
		char field[40];

		snprintf(field, sizeof(field), "watch.subjects[%zu]", i);
		/* Counted first: a half-filled subject is freed with the watch. */
		w->n_subjects = i + 1;
		e = pn_api_subject_map(aw->subjects[i], field, &w->subjects[i], &f, err, errlen);
		if (e)
			goto fail;
	}
	if (targets_fill(t, at->pids, at->n_pids, at->cgroups, at->n_cgroups, at->containers,
			 at->n_containers))
		goto oom;
	out->watch = w;
	return 0;
oom:
	e = -ENOMEM;
	snprintf(err, errlen, "out of memory");
fail:
	pn_watch_free(w);
	pn_targets_clear(t);
	return e;
}

/* ------------------------------------------------------------ WatchInfo */

static char *xstrdup(const char *s, bool *ok)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*ok = false;
	return d;
}

/* A name the kernel chose (a cgroup's path, a container id): escaped if it is not UTF-8. */
static char *xstrdup_name(const char *s, bool *ok)
{
	bool oom = false;
	char *d = s ? pn_utf8_escape_dup(s, strlen(s), &oom) : NULL;

	if (oom)
		*ok = false;
	return d ? d : xstrdup(s, ok);
}

static Panoptes__V1__Subject *subject_msg(const struct pn_subject *s, bool *ok)
{
	Panoptes__V1__Subject *m = malloc(sizeof(*m));
	size_t n_ev = 0;

	if (!m) {
		*ok = false;
		return NULL;
	}
	panoptes__v1__subject__init(m);
	m->only_dir = s->only_dir;
	m->recursive = s->recursive;
	m->follow_move = s->follow_move;
	m->max_depth = s->max_depth;
	m->paths = calloc(s->n_paths + 1, sizeof(char *));
	m->ignore = calloc(s->n_ignore + 1, sizeof(char *));
	m->events = calloc(PN_EVENT_KINDS, sizeof(*m->events));
	m->tags = calloc(s->n_tags + 1, sizeof(*m->tags));
	if (!m->paths || !m->ignore || !m->events || !m->tags) {
		*ok = false;
		return m;
	}
	for (; m->n_paths < s->n_paths; m->n_paths++)
		m->paths[m->n_paths] = xstrdup(s->paths[m->n_paths], ok);
	for (; m->n_ignore < s->n_ignore; m->n_ignore++)
		m->ignore[m->n_ignore] = xstrdup(s->ignore[m->n_ignore], ok);
	for (uint32_t bit = 1; bit <= PN_MOVE_SELF; bit <<= 1)
		if (s->events & bit)
			m->events[n_ev++] = pn_api_event_type_of_bit(bit);
	m->n_events = n_ev;
	for (; m->n_tags < s->n_tags; m->n_tags++) {
		Panoptes__V1__Subject__TagsEntry *t = malloc(sizeof(*t));

		m->tags[m->n_tags] = t;
		if (!t) {
			*ok = false;
			break;
		}
		panoptes__v1__subject__tags_entry__init(t);
		t->key = xstrdup(s->tags[m->n_tags].key, ok);
		t->value = xstrdup(s->tags[m->n_tags].value, ok);
	}
	return m;
}

static char **strv_msg(char *const *v, size_t n, size_t *n_out, bool *ok)
{
	char **m = calloc(n + 1, sizeof(*m));

	*n_out = 0;
	if (!m) {
		*ok = false;
		return NULL;
	}
	for (; *n_out < n; (*n_out)++)
		m[*n_out] = xstrdup(v[*n_out], ok);
	return m;
}

/* Every requirement as a match_expression: matchLabels came in as In of one value. */
static Panoptes__V1__LabelSelector *pod_selector_msg(const struct pn_selector *s, bool *ok)
{
	Panoptes__V1__LabelSelector *m = malloc(sizeof(*m));

	if (!m) {
		*ok = false;
		return NULL;
	}
	panoptes__v1__label_selector__init(m);
	m->match_expressions = calloc(s->n_labels, sizeof(*m->match_expressions));
	if (!m->match_expressions) {
		*ok = false;
		return m;
	}
	for (; m->n_match_expressions < s->n_labels; m->n_match_expressions++) {
		const struct pn_label_req *r = &s->labels[m->n_match_expressions];
		Panoptes__V1__LabelSelectorRequirement *q = malloc(sizeof(*q));

		m->match_expressions[m->n_match_expressions] = q;
		if (!q) {
			*ok = false;
			return m;
		}
		panoptes__v1__label_selector_requirement__init(q);
		q->key = xstrdup(r->key, ok);
		q->operator_ = xstrdup(pn_label_op_name(r->op), ok);
		q->values = strv_msg(r->values, r->n_values, &q->n_values, ok);
	}
	return m;
}

static Panoptes__V1__Targets *targets_msg(const struct pn_targets *t, const struct pn_selector *sel,
					  bool *ok)
{
	Panoptes__V1__Targets *m = malloc(sizeof(*m));

	if (!m) {
		*ok = false;
		return NULL;
	}
	panoptes__v1__targets__init(m);
	m->pids = calloc(t->n_pids + 1, sizeof(*m->pids));
	m->cgroups = calloc(t->n_cgroups + 1, sizeof(char *));
	m->containers = calloc(t->n_containers + 1, sizeof(char *));
	if (!m->pids || !m->cgroups || !m->containers) {
		*ok = false;
		return m;
	}
	for (; m->n_pids < t->n_pids; m->n_pids++)
		m->pids[m->n_pids] = t->pids[m->n_pids];
	for (; m->n_cgroups < t->n_cgroups; m->n_cgroups++)
		m->cgroups[m->n_cgroups] = xstrdup(t->cgroups[m->n_cgroups], ok);
	for (; m->n_containers < t->n_containers; m->n_containers++)
		m->containers[m->n_containers] = xstrdup(t->containers[m->n_containers], ok);
	if (!sel)
		return m;
	m->namespaces = strv_msg(sel->namespaces, sel->n_namespaces, &m->n_namespaces, ok);
	m->container_names =
		strv_msg(sel->container_names, sel->n_container_names, &m->n_container_names, ok);
	m->images = strv_msg(sel->images, sel->n_images, &m->n_images, ok);
	if (sel->n_labels)
		m->pod_selector = pod_selector_msg(sel, ok);
	return m;
}

Panoptes__V1__WatchInfo *pn_api_watch_info_new(const struct pn_watch_view *v)
{
	Panoptes__V1__WatchInfo *info = malloc(sizeof(*info));
	Panoptes__V1__Watch *w;
	const struct pn_watch *pw = v->watch;
	bool ok = true;

	if (!info)
		return NULL;
	panoptes__v1__watch_info__init(info);
	info->origin = xstrdup(pw->origin, &ok);
	info->owner = xstrdup(pw->owner, &ok);
	w = info->watch = malloc(sizeof(*w));
	if (!w)
		goto fail;
	panoptes__v1__watch__init(w);
	w->name = xstrdup(pw->name, &ok);
	w->pod = xstrdup(pw->pod, &ok);
	w->log_format = xstrdup(pw->log_format, &ok);
	w->targets = targets_msg(v->targets, pw->selector, &ok);
	w->subjects = calloc(pw->n_subjects + 1, sizeof(*w->subjects));
	if (!w->subjects)
		goto fail;
	for (; w->n_subjects < pw->n_subjects && ok; w->n_subjects++)
		w->subjects[w->n_subjects] = subject_msg(&pw->subjects[w->n_subjects], &ok);

	info->cgroups = calloc(v->n_bindings + 1, sizeof(*info->cgroups));
	info->event_counts = calloc(PN_EVENT_KINDS, sizeof(*info->event_counts));
	if (!info->cgroups || !info->event_counts)
		goto fail;
	for (; info->n_cgroups < v->n_bindings && ok; info->n_cgroups++) {
		Panoptes__V1__CgroupBinding *b = malloc(sizeof(*b));

		info->cgroups[info->n_cgroups] = b;
		if (!b)
			goto fail;
		panoptes__v1__cgroup_binding__init(b);
		b->id = v->bindings[info->n_cgroups].cgroup_id;
		b->path = xstrdup_name(v->bindings[info->n_cgroups].path, &ok);
		b->container = xstrdup_name(v->bindings[info->n_cgroups].container, &ok);
	}
	for (unsigned i = 0; i < PN_EVENT_KINDS && ok; i++) {
		Panoptes__V1__WatchInfo__EventCountsEntry *c;

		if (!v->counts[i])
			continue;
		c = malloc(sizeof(*c));
		info->event_counts[info->n_event_counts++] = c;
		if (!c)
			goto fail;
		panoptes__v1__watch_info__event_counts_entry__init(c);
		c->key = xstrdup(pn_event_bit_name(1u << i), &ok);
		c->value = v->counts[i];
	}
	if (ok)
		return info;
fail:
	protobuf_c_message_free_unpacked(&info->base, NULL);
	return NULL;
}

/* ------------------------------------------------------------ native guards */

static const char *guard_tag_key(const void *tags, size_t i)
{
	return ((Panoptes__V1__GuardSubject__TagsEntry *const *)tags)[i]->key;
}

static const char *guard_tag_value(const void *tags, size_t i)
{
	return ((Panoptes__V1__GuardSubject__TagsEntry *const *)tags)[i]->value;
}

static int native_guard_subject(const Panoptes__V1__GuardSubject *as, const char *field,
				struct pn_guard_subject *gs, char *err, size_t errlen)
{
	struct guard_in gi = {
		.field = field,
		.allow = as->allow,
		.n_allow = as->n_allow,
		.deny = as->deny,
		.n_deny = as->n_deny,
		.only_dir = as->only_dir,
		.auto_allow_owner = as->auto_allow_owner,
		.audit = as->audit,
		.recursive = as->recursive,
		.n_tags = as->n_tags,
		.tag_key = guard_tag_key,
		.tag_value = guard_tag_value,
		.tags = as->tags,
	};

	for (size_t j = 0; j < as->n_operations; j++) {
		if (as->operations[j] == PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_OPEN)
			gi.ops |= PN_GUARD_OPEN;
		else if (as->operations[j] == PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_READ)
			gi.ops |= PN_GUARD_ACCESS;
		else
			return pn_errf(err, errlen, -EINVAL,
				       "%s.operations[%zu]: %d is not a guard operation (valid: "
				       "GUARD_OPERATION_OPEN, GUARD_OPERATION_READ)",
				       field, j, (int)as->operations[j]);
	}
	return guard_subject(&gi, gs, err, errlen);
}

int pn_api_guard_to_spec(const Panoptes__V1__Guard *ag, struct pn_guard_spec *out, char *err,
			 size_t errlen)
{
	const Panoptes__V1__Targets *at;
	struct pn_targets *t = &out->targets;
	struct pn_selector *sel = NULL;
	struct pn_guard *g = NULL;
	int e;

	memset(out, 0, sizeof(*out));
	if (!ag)
		return pn_errf(err, errlen, -EINVAL, "guard: required");
	/* no '/': janus guards are named janus/NODE/POD, and one name is one guard */
	e = native_names_check("guard", ag->name, ag->pod, ag->log_format, err, errlen);
	if (e)
		return e;
	at = ag->targets;
	if (!at || (at->n_pids + at->n_cgroups + at->n_containers == 0 && !has_selector(at)))
		return pn_errf(err, errlen, -EINVAL,
			       "guard.targets: at least one pid, cgroup, container or selector "
			       "(namespaces, container_names, images, pod_selector) is required");
	e = native_targets_check("guard", at, err, errlen);
	if (e)
		return e;
	if (!ag->n_subjects)
		return pn_errf(err, errlen, -EINVAL,
			       "guard.subjects: at least one subject is required");
	e = check_log_format("guard.log_format", ag->log_format, err, errlen);
	if (!e)
		e = pn_api_selector_map(at, "guard.targets", &sel, err, errlen);
	if (e)
		return e;

	g = calloc(1, sizeof(*g));
	if (!g) {
		pn_selector_free(sel);
		goto oom;
	}
	g->watch = watch_new(ag->name, ag->pod,
			     ag->log_format && ag->log_format[0] ? ag->log_format :
								   PN_GUARD_DEFAULT_FORMAT,
			     ag->name, "api", 0);
	g->subjects = calloc(ag->n_subjects, sizeof(*g->subjects));
	if (!g->watch) {
		pn_selector_free(sel);
		goto oom;
	}
	/* the containers it admits are the runtime's word, asked as they start (agent/guards.c) */
	g->watch->selector = sel;
	if (!g->subjects)
		goto oom;
	g->watch->api = PN_WATCH_NATIVE;
	for (size_t i = 0; i < ag->n_subjects; i++) {
		char field[40];

		snprintf(field, sizeof(field), "guard.subjects[%zu]", i);
		g->n_subjects = i + 1;
		e = native_guard_subject(ag->subjects[i], field, &g->subjects[i], err, errlen);
		if (e)
			goto fail;
	}
	if (targets_fill(t, at->pids, at->n_pids, at->cgroups, at->n_cgroups, at->containers,
			 at->n_containers))
		goto oom;
	out->guard = g;
	return 0;
oom:
	e = -ENOMEM;
	snprintf(err, errlen, "out of memory");
fail:
	pn_guard_free(g);
	pn_targets_clear(t);
	return e;
}

static Panoptes__V1__GuardSubject *guard_subject_msg(const struct pn_guard_subject *s, bool *ok)
{
	Panoptes__V1__GuardSubject *m = malloc(sizeof(*m));

	if (!m) {
		*ok = false;
		return NULL;
	}
	panoptes__v1__guard_subject__init(m);
	m->only_dir = s->only_dir;
	m->auto_allow_owner = s->auto_allow_owner;
	m->audit = s->audit;
	m->recursive = s->recursive;
	m->allow = strv_msg(s->allow, s->n_allow, &m->n_allow, ok);
	m->deny = strv_msg(s->deny, s->n_deny, &m->n_deny, ok);
	m->operations = calloc(2, sizeof(*m->operations));
	m->tags = calloc(s->tags.n_tags + 1, sizeof(*m->tags));
	if (!m->operations || !m->tags) {
		*ok = false;
		return m;
	}
	if (s->ops & PN_GUARD_OPEN)
		m->operations[m->n_operations++] =
			PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_OPEN;
	if (s->ops & PN_GUARD_ACCESS)
		m->operations[m->n_operations++] =
			PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_READ;
	for (; m->n_tags < s->tags.n_tags; m->n_tags++) {
		Panoptes__V1__GuardSubject__TagsEntry *t = malloc(sizeof(*t));

		m->tags[m->n_tags] = t;
		if (!t) {
			*ok = false;
			break;
		}
		panoptes__v1__guard_subject__tags_entry__init(t);
		t->key = xstrdup(s->tags.tags[m->n_tags].key, ok);
		t->value = xstrdup(s->tags.tags[m->n_tags].value, ok);
	}
	return m;
}

Panoptes__V1__GuardInfo *pn_api_guard_info_new(const struct pn_guard *pg,
					       const struct pn_targets *targets, const int *pids,
					       size_t n_pids)
{
	Panoptes__V1__GuardInfo *info = malloc(sizeof(*info));
	Panoptes__V1__Guard *g;
	bool ok = true;

	if (!info)
		return NULL;
	panoptes__v1__guard_info__init(info);
	info->origin = xstrdup(pg->watch->origin, &ok);
	info->pids = calloc(n_pids + 1, sizeof(*info->pids));
	g = info->guard = malloc(sizeof(*g));
	if (!g || !info->pids)
		goto fail;
	for (; info->n_pids < n_pids; info->n_pids++)
		info->pids[info->n_pids] = pids[info->n_pids];
	panoptes__v1__guard__init(g);
	g->name = xstrdup(pg->watch->name, &ok);
	g->pod = xstrdup(pg->watch->pod, &ok);
	g->log_format = xstrdup(pg->watch->log_format, &ok);
	g->targets = targets_msg(targets, pg->watch->selector, &ok);
	g->subjects = calloc(pg->n_subjects + 1, sizeof(*g->subjects));
	if (!g->subjects)
		goto fail;
	for (; g->n_subjects < pg->n_subjects && ok; g->n_subjects++)
		g->subjects[g->n_subjects] = guard_subject_msg(&pg->subjects[g->n_subjects], &ok);
	if (ok)
		return info;
fail:
	protobuf_c_message_free_unpacked(&info->base, NULL);
	return NULL;
}
