// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for policy files (src/lib/policy.c, yaml_doc.c): the
 * input is a policy file's text, parsed as pn_policy_load parses what it
 * read (pn_policy_parse_string, not NUL-terminated).
 *
 * Promised, whatever the bytes:
 * - a refusal is -errno, one line "fuzz.yaml:LINE:COL: ..." (or the name
 *   and what went wrong), and leaves the policy empty;
 * - a policy that loads holds only what every entry point promises: watch
 *   names unique, non-empty and sound text (pn_text_check), pod and log
 *   format sound text, at least one target (pids positive, cgroup and
 *   container names non-empty sound text), and subjects that
 *   pn_subject_check, the one check of a subject's invariants, passes again
 *   without changing them (paths already normalized, tags sorted).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "guard.h"
#include "pathutil.h"
#include "policy.h"
#include "selector.h"
#include "rules.h"
#include "text.h"

#define NAME "fuzz.yaml"

static void sound(const char *what, const char *s, bool nonempty)
{
	if (!s || (nonempty && !*s) || pn_text_check(s, NULL))
		broken("policy loaded with %s \"%s\": missing, empty or not sound text", what,
		       s ? s : "(null)");
}

/* Checked again on a copy: the rule must pass, and find nothing to normalize. */
static void subject_sound(const struct pn_subject *s)
{
	struct pn_subject c = *s;
	struct pn_subject_fault f;
	char **paths = malloc(s->n_paths * sizeof(*paths));
	struct pn_tag *tags = malloc((s->n_tags ? s->n_tags : 1) * sizeof(*tags));

	for (size_t i = 0; i < s->n_paths; i++)
		paths[i] = strdup(s->paths[i]);
	if (s->n_tags)
		memcpy(tags, s->tags, s->n_tags * sizeof(*tags));
	c.paths = paths;
	c.tags = tags;
	if (pn_subject_check(&c, &f))
		broken("policy loaded a subject pn_subject_check refuses (rule %d, field %d)",
		       f.rule, f.field);
	for (size_t i = 0; i < s->n_paths; i++) {
		if (strcmp(paths[i], s->paths[i]))
			broken("policy loaded an unnormalized path \"%s\"", s->paths[i]);
		free(paths[i]);
	}
	for (size_t i = 0; i < s->n_tags; i++)
		if (tags[i].key != s->tags[i].key)
			broken("policy loaded tags out of order");
	if (s->events & ~PN_ALL_EVENTS)
		broken("policy loaded events %#x", s->events);
	if (s->n_tags && !s->tags_text)
		broken("policy loaded tags without their text");
	free(paths);
	free(tags);
}

/* A guard holds what janus promised: a name, a target, subjects of normalized paths. */
static void guard_sound(const struct pn_guard_spec *gs, const struct pn_policy *p, size_t i)
{
	const struct pn_guard *g = gs->guard;
	const struct pn_targets *t = &gs->targets;

	if (!g || !g->watch || !g->n_subjects)
		broken("guard %zu without a name or subjects", i);
	sound("a guard name", g->watch->name, true);
	if (strchr(g->watch->name, '/') || strcmp(g->watch->key, g->watch->name))
		broken("guard %s: a '/' in its name, or another key", g->watch->name);
	sound("a guard's pod", g->watch->pod, false);
	/* as a watch's, checked by panoptesd when it loads the file (load_policies) */
	sound("a guard's log format", g->watch->log_format, true);
	for (size_t j = 0; j < i; j++)
		if (!strcmp(p->guards[j].guard->watch->name, g->watch->name))
			broken("policy loaded the guard name \"%s\" twice", g->watch->name);
	if (!(t->n_pids + t->n_cgroups + t->n_containers) || t->pods)
		broken("guard %s has no target, or a selector's", g->watch->name);
	for (size_t j = 0; j < g->n_subjects; j++) {
		const struct pn_guard_subject *s = &g->subjects[j];
		char norm[4096];

		if (!(s->n_allow + s->n_deny) || !s->ops || (s->ops & ~PN_GUARD_ALL))
			broken("guard %s: subject %zu without paths or with ops %#x",
			       g->watch->name, j, s->ops);
		for (size_t k = 0; k < s->n_allow + s->n_deny; k++) {
			const char *path = k < s->n_allow ? s->allow[k] : s->deny[k - s->n_allow];

			sound("a guard path", path, true);
			if (pn_path_normalize(path, norm, sizeof(norm)) < 0 || strcmp(norm, path))
				broken("guard %s: path \"%s\" not normalized", g->watch->name,
				       path);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pn_policy p = { .specs = (struct pn_watch_spec *)&p, .n_specs = 99 };
	char err[1024];
	int r;

	memset(err, 'x', sizeof(err));
	r = pn_policy_parse_string(NAME, (const char *)data, size, &p, err, sizeof(err));
	if (r) {
		if (r > 0 || !memchr(err, '\0', sizeof(err)) || !*err)
			broken("refusal %d without a message", r);
		if (strncmp(err, NAME ":", strlen(NAME ":")) || strchr(err, '\n'))
			broken("refusal not one line naming the file: \"%s\"", err);
		if (p.specs || p.n_specs || p.guards || p.n_guards)
			broken("refusal left %zu specs, %zu guards behind", p.n_specs, p.n_guards);
		return 0;
	}
	for (size_t i = 0; i < p.n_specs; i++) {
		const struct pn_watch *w = p.specs[i].watch;
		const struct pn_targets *t = &p.specs[i].targets;

		if (!w || !w->n_subjects)
			broken("spec %zu without a watch or subjects", i);
		sound("a watch name", w->name, true);
		sound("a pod", w->pod, false);
		if (w->log_format)
			sound("a log format", w->log_format, true);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p.specs[j].watch->name, w->name))
				broken("policy loaded the name \"%s\" twice", w->name);
		/* the node's pods, only ever as a selector's */
		if (!(t->n_pids + t->n_cgroups + t->n_containers) && !t->pods)
			broken("watch %s has no target", w->name);
		if (t->pods && (!w->selector || t->n_pids + t->n_cgroups + t->n_containers))
			broken("watch %s: the node's pods without a selector, or beside targets",
			       w->name);
		if (w->selector && !(w->selector->n_namespaces + w->selector->n_container_names +
				     w->selector->n_images + w->selector->n_labels))
			broken("watch %s: an empty selector", w->name);
		for (size_t j = 0; j < t->n_pids; j++)
			if (t->pids[j] <= 0)
				broken("watch %s has pid %d", w->name, t->pids[j]);
		for (size_t j = 0; j < t->n_cgroups; j++)
			sound("a cgroup", t->cgroups[j], true);
		for (size_t j = 0; j < t->n_containers; j++)
			sound("a container", t->containers[j], true);
		for (size_t j = 0; j < w->n_subjects; j++)
			subject_sound(&w->subjects[j]);
	}
	for (size_t i = 0; i < p.n_guards; i++)
		guard_sound(&p.guards[i], &p, i);
	pn_policy_clear(&p);
	return 0;
}
