// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for protobuf -> watch mapping (src/api/convert.c): the
 * first byte picks argus' ArgusdConfig, janus' JanusdConfig (a guard spec)
 * or panoptes.v1's Watch, and whether the bytes must first pass the wire
 * check (src/api/bounds.c), as every request does in panoptesd; the rest is
 * the message. What protobuf-c decodes is mapped to a watch spec (a guard
 * spec for janus).
 *
 * Promised, whatever the bytes:
 * - a refusal is -EINVAL or -ENOMEM with a message, and owns nothing; past
 *   the wire check, that message is sound text (a gRPC status a client
 *   prints);
 * - a watch that maps holds what every entry point promises: name, pod and
 *   log format sound text (the format valid), at least one target (pids
 *   positive, names sound text), and subjects that pn_subject_check, the one
 *   check of a subject's invariants, passes again without changing them;
 * - janus: the key is pn_janus_key's; a guard holds at least one target
 *   and subject, each subject a path, normalized, and known event bits;
 * - argus: the key is pn_argus_key's; native: the watch shown back as a
 *   WatchInfo (ListWatches) maps again to the same watch (a client may send
 *   back what it was shown).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argus.pb-c.h"
#include "bounds.h"
#include "convert.h"
#include "format.h"
#include "fuzz_check.h"
#include "guard.h"
#include "janus.pb-c.h"
#include "pathutil.h"
#include "panoptes/v1/agent.pb-c.h"
#include "rules.h"
#include "selector.h"
#include "text.h"

static void sound(const char *what, const char *s, bool nonempty)
{
	if (!s || (nonempty && !*s) || pn_text_check(s, NULL))
		broken("mapped %s \"%s\": missing, empty or not sound text", what,
		       s ? s : "(null)");
}

/* Checked again on a copy: the rule must pass, and find nothing to normalize. */
static void subject_sound(const struct pn_subject *s)
{
	struct pn_subject c = *s;
	struct pn_subject_fault f;
	char **paths = malloc((s->n_paths ? s->n_paths : 1) * sizeof(*paths));
	struct pn_tag *tags = malloc((s->n_tags ? s->n_tags : 1) * sizeof(*tags));

	for (size_t i = 0; i < s->n_paths; i++)
		paths[i] = strdup(s->paths[i]);
	if (s->n_tags)
		memcpy(tags, s->tags, s->n_tags * sizeof(*tags));
	c.paths = paths;
	c.tags = tags;
	if (pn_subject_check(&c, &f))
		broken("mapped a subject pn_subject_check refuses (rule %d, field %d)", f.rule,
		       f.field);
	for (size_t i = 0; i < s->n_paths; i++) {
		if (strcmp(paths[i], s->paths[i]))
			broken("mapped an unnormalized path \"%s\"", s->paths[i]);
		free(paths[i]);
	}
	for (size_t i = 0; i < s->n_tags; i++)
		if (tags[i].key != s->tags[i].key)
			broken("mapped tags out of order");
	if (!s->events || (s->events & ~PN_ALL_EVENTS))
		broken("mapped events %#x", s->events);
	if (!s->tags_text)
		broken("mapped a subject without its tags text");
	free(paths);
	free(tags);
}

static void patterns_sound(char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sound("a selector pattern", v[i], true);
}

/* Given at all, a selector says something, each requirement by Kubernetes' rules. */
static void selector_sound(const struct pn_selector *s)
{
	if (!s)
		return;
	if (!(s->n_namespaces + s->n_container_names + s->n_images + s->n_labels))
		broken("mapped a selector that selects by nothing");
	patterns_sound(s->namespaces, s->n_namespaces);
	patterns_sound(s->container_names, s->n_container_names);
	patterns_sound(s->images, s->n_images);
	for (size_t i = 0; i < s->n_labels; i++) {
		sound("a label key", s->labels[i].key, true);
		if (pn_label_op_takes_values(s->labels[i].op) != (s->labels[i].n_values > 0))
			broken("label %s: %zu values for %s", s->labels[i].key,
			       s->labels[i].n_values, pn_label_op_name(s->labels[i].op));
		for (size_t j = 0; j < s->labels[i].n_values; j++)
			sound("a label value", s->labels[i].values[j], false);
	}
}

/* The same selector: kubectl's text of both, and the patterns. */
static bool same_selector(const struct pn_selector *a, const struct pn_selector *b)
{
	char ta[8192], tb[8192];

	if (!a || !b)
		return a == b;
	if (a->n_namespaces != b->n_namespaces || a->n_container_names != b->n_container_names ||
	    a->n_images != b->n_images || a->n_labels != b->n_labels)
		return false;
	for (size_t i = 0; i < a->n_namespaces; i++)
		if (strcmp(a->namespaces[i], b->namespaces[i]))
			return false;
	for (size_t i = 0; i < a->n_container_names; i++)
		if (strcmp(a->container_names[i], b->container_names[i]))
			return false;
	for (size_t i = 0; i < a->n_images; i++)
		if (strcmp(a->images[i], b->images[i]))
			return false;
	pn_label_selector_format(a->labels, a->n_labels, ta, sizeof(ta));
	pn_label_selector_format(b->labels, b->n_labels, tb, sizeof(tb));
	return !strcmp(ta, tb);
}

static void spec_sound(const struct pn_watch_spec *spec)
{
	const struct pn_watch *w = spec->watch;
	const struct pn_targets *t = &spec->targets;

	if (!w || !w->n_subjects)
		broken("mapped a spec without a watch or subjects");
	sound("a watch name", w->name, true);
	sound("a pod", w->pod, false);
	if (w->log_format) {
		sound("a log format", w->log_format, true);
		if (pn_format_validate(w->log_format, NULL, 0))
			broken("mapped log format \"%s\" that does not validate", w->log_format);
	}
	if (t->pods != (w->selector && !(t->n_pids + t->n_cgroups + t->n_containers)))
		broken("watch %s: pods %d is not \"a selector alone\"", w->name, t->pods);
	if (!(t->n_pids + t->n_cgroups + t->n_containers) && !t->pods)
		broken("watch %s has no target", w->name);
	selector_sound(w->selector);
	for (size_t j = 0; j < t->n_pids; j++)
		if (t->pids[j] <= 0)
			broken("watch %s has pid %d", w->name, t->pids[j]);
	for (size_t j = 0; j < t->n_cgroups; j++)
		sound("a cgroup", t->cgroups[j], false);
	for (size_t j = 0; j < t->n_containers; j++)
		sound("a container", t->containers[j], false);
	for (size_t j = 0; j < w->n_subjects; j++)
		subject_sound(&w->subjects[j]);
}

static void refusal_sound(int e, const char *err, const struct pn_watch_spec *spec, bool checked)
{
	if ((e != -EINVAL && e != -ENOMEM) || !*err)
		broken("refusal %d without a message", e);
	if (spec->watch || spec->targets.pids || spec->targets.cgroups || spec->targets.containers)
		broken("refusal \"%s\" left a spec behind", err);
	if (checked && pn_text_check(err, NULL))
		broken("refusal of checked bytes is not sound text: \"%s\"", err);
}

static bool same_subject(const struct pn_subject *a, const struct pn_subject *b)
{
	if (a->n_paths != b->n_paths || a->n_ignore != b->n_ignore || a->n_tags != b->n_tags ||
	    a->events != b->events || a->only_dir != b->only_dir || a->recursive != b->recursive ||
	    a->follow_move != b->follow_move || a->max_depth != b->max_depth ||
	    strcmp(a->tags_text, b->tags_text))
		return false;
	for (size_t i = 0; i < a->n_paths; i++)
		if (strcmp(a->paths[i], b->paths[i]))
			return false;
	for (size_t i = 0; i < a->n_ignore; i++)
		if (strcmp(a->ignore[i], b->ignore[i]))
			return false;
	return true;
}

/* ListWatches shows the watch; CreateWatch given that back makes the same watch. */
static void round_trip(const struct pn_watch_spec *spec)
{
	uint64_t counts[PN_EVENT_KINDS] = { 0 };
	const struct pn_watch_view v = {
		.watch = spec->watch,
		.targets = &spec->targets,
		.counts = counts,
	};
	Panoptes__V1__WatchInfo *info = pn_api_watch_info_new(&v);
	struct pn_watch_spec again;
	char err[512];
	const struct pn_watch *a = spec->watch, *b;

	if (!info)
		broken("pn_api_watch_info_new: NULL");
	if (pn_api_watch_to_spec(info->watch, &again, err, sizeof(err)))
		broken("the watch shown back does not map again: %s", err);
	b = again.watch;
	if (strcmp(a->name, b->name) || strcmp(a->pod, b->pod) ||
	    !a->log_format != !b->log_format ||
	    (a->log_format && strcmp(a->log_format, b->log_format)) ||
	    a->n_subjects != b->n_subjects || again.targets.n_pids != spec->targets.n_pids ||
	    again.targets.n_cgroups != spec->targets.n_cgroups ||
	    again.targets.n_containers != spec->targets.n_containers ||
	    again.targets.pods != spec->targets.pods || !same_selector(a->selector, b->selector))
		broken("the watch shown back maps to another watch");
	for (size_t i = 0; i < a->n_subjects; i++)
		if (!same_subject(&a->subjects[i], &b->subjects[i]))
			broken("subject %zu shown back maps to another subject", i);
	pn_watch_free(again.watch);
	pn_targets_clear(&again.targets);
	protobuf_c_message_free_unpacked(&info->base, NULL);
}

static void paths_sound(char *const *v, size_t n)
{
	char norm[4096];

	for (size_t i = 0; i < n; i++) {
		sound("a guard path", v[i], true);
		if (pn_path_normalize(v[i], norm, sizeof(norm)) < 0 || strcmp(norm, v[i]))
			broken("mapped a guard path \"%s\" that is not normalized", v[i]);
	}
}

/* A JanusdConfig: refused soundly, or a guard that says what janus promised. */
static void janus_one(const Janus__JanusdConfig *c, bool checked)
{
	struct pn_guard_spec spec;
	char err[512] = "", key[4096];
	const struct pn_guard *g;
	int e = pn_janus_to_spec(c, "node-f", &spec, err, sizeof(err));

	if (e) {
		if ((e != -EINVAL && e != -ENOMEM) || !*err || spec.guard || spec.targets.pids ||
		    spec.targets.containers)
			broken("janus refusal %d \"%s\" unsound", e, err);
		if (checked && pn_text_check(err, NULL))
			broken("janus refusal of checked bytes is not sound text: \"%s\"", err);
		return;
	}
	g = spec.guard;
	if (pn_janus_key(c, "node-f", key, sizeof(key), NULL, 0) || strcmp(key, g->watch->key))
		broken("the guard's key is not pn_janus_key's");
	sound("a guard name", g->watch->name, true);
	sound("a guard's pod", g->watch->pod, true);
	if (!g->watch->log_format || pn_format_validate(g->watch->log_format, NULL, 0))
		broken("a guard without a valid log format");
	if (!(spec.targets.n_pids + spec.targets.n_containers) || !g->n_subjects)
		broken("a guard without targets or subjects");
	for (size_t i = 0; i < spec.targets.n_pids; i++)
		if (spec.targets.pids[i] <= 0)
			broken("a guard with pid %d", spec.targets.pids[i]);
	for (size_t i = 0; i < g->n_subjects; i++) {
		const struct pn_guard_subject *s = &g->subjects[i];

		if (!(s->n_allow + s->n_deny) || !s->ops || (s->ops & ~PN_GUARD_ALL) ||
		    !s->tags.tags_text)
			broken("guard subject %zu: paths %zu+%zu, ops %#x", i, s->n_allow,
			       s->n_deny, s->ops);
		paths_sound(s->allow, s->n_allow);
		paths_sound(s->deny, s->n_deny);
	}
	pn_guard_spec_clear(&spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	struct pn_watch_spec spec;
	ProtobufCMessage *m;
	char err[512];
	bool argus, checked;
	int e;

	if (!size)
		return 0;
	argus = data[0] & 1;
	checked = data[0] & 2;
	if (data[0] & 4) {
		d = &janus__janusd_config__descriptor;
		if (checked && pn_api_wire_check(d, data + 1, size - 1, err, sizeof(err)))
			return 0;
		m = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
		if (m) {
			janus_one((const Janus__JanusdConfig *)m, checked);
			protobuf_c_message_free_unpacked(m, NULL);
		}
		return 0;
	}
	d = argus ? &argus__argusd_config__descriptor : &panoptes__v1__watch__descriptor;
	if (checked && pn_api_wire_check(d, data + 1, size - 1, err, sizeof(err)))
		return 0;
	m = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
	if (!m)
		return 0;
	err[0] = '\0';
	if (argus) {
		const Argus__ArgusdConfig *c = (const Argus__ArgusdConfig *)m;
		char key[4096];

		e = pn_argus_to_spec(c, "node-f", &spec, err, sizeof(err));
		if (!e) {
			if (pn_argus_key(c, "node-f", key, sizeof(key), NULL, 0) ||
			    strcmp(key, spec.watch->key))
				broken("the watch's key is not pn_argus_key's");
		}
	} else {
		e = pn_api_watch_to_spec((const Panoptes__V1__Watch *)m, &spec, err, sizeof(err));
	}
	if (e) {
		refusal_sound(e, err, &spec, checked);
	} else {
		spec_sound(&spec);
		if (!argus)
			round_trip(&spec);
		pn_watch_free(spec.watch);
		pn_targets_clear(&spec.targets);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
