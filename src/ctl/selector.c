// SPDX-License-Identifier: GPL-2.0-only
/*
 * The selector flags watches and guards share (--watch-namespace,
 * --watch-container-name, --watch-image, --watch-selector): parsed into a
 * Targets message, and printed back from one.
 */
#include "ctl.h"

#include <string.h>

#include "convert.h"
#include "json.h"
#include "selector.h"

int ctl_selector_flag(const struct ctl_args *a, struct ctl_selector *s, Panoptes__V1__Targets *t,
		      int id, char *val)
{
	char msg[256];
	int err;

	switch (id) {
	case CTL_OPT_NAMESPACE:
		return ctl_push(t->namespaces, t->n_namespaces, val) ? ctl_nomem() : 0;
	case CTL_OPT_CONTAINER_NAME:
		return ctl_push(t->container_names, t->n_container_names, val) ? ctl_nomem() : 0;
	case CTL_OPT_IMAGE:
		return ctl_push(t->images, t->n_images, val) ? ctl_nomem() : 0;
	case CTL_OPT_SELECTOR:
		err = pn_label_selector_parse(val, &s->reqs, &s->n_reqs, msg, sizeof(msg));
		if (err == -ENOMEM)
			return ctl_nomem();
		return err ? ctl_usage_err("%s: %s", a->flag, msg) : 0;
	}
	return 0;
}

int ctl_selector_finish(struct ctl_selector *s, Panoptes__V1__Targets *t)
{
	if (!s->n_reqs)
		return 0;
	s->req_msgs = calloc(s->n_reqs, sizeof(*s->req_msgs));
	s->req_ptrs = calloc(s->n_reqs, sizeof(*s->req_ptrs));
	if (!s->req_msgs || !s->req_ptrs)
		return ctl_nomem();
	for (size_t i = 0; i < s->n_reqs; i++) {
		Panoptes__V1__LabelSelectorRequirement *m = &s->req_msgs[i];

		*m = (Panoptes__V1__LabelSelectorRequirement)
			PANOPTES__V1__LABEL_SELECTOR_REQUIREMENT__INIT;
		m->key = s->reqs[i].key;
		m->operator_ = (char *)pn_label_op_name(s->reqs[i].op);
		m->values = s->reqs[i].values;
		m->n_values = s->reqs[i].n_values;
		s->req_ptrs[i] = m;
	}
	s->pod_selector = (Panoptes__V1__LabelSelector)PANOPTES__V1__LABEL_SELECTOR__INIT;
	s->pod_selector.match_expressions = s->req_ptrs;
	s->pod_selector.n_match_expressions = s->n_reqs;
	t->pod_selector = &s->pod_selector;
	return 0;
}

void ctl_selector_clear(struct ctl_selector *s, Panoptes__V1__Targets *t)
{
	free(t->namespaces);
	free(t->container_names);
	free(t->images);
	pn_label_reqs_free(s->reqs, s->n_reqs);
	free(s->reqs);
	free(s->req_msgs);
	free(s->req_ptrs);
}

void ctl_selector_print(const Panoptes__V1__Targets *t,
			void (*put)(const char *flag, const char *val))
{
	struct pn_selector *s = NULL;
	char buf[4096], msg[256];

	for (size_t i = 0; i < t->n_namespaces; i++)
		put("--watch-namespace", t->namespaces[i]);
	for (size_t i = 0; i < t->n_container_names; i++)
		put("--watch-container-name", t->container_names[i]);
	for (size_t i = 0; i < t->n_images; i++)
		put("--watch-image", t->images[i]);
	if (!t->pod_selector)
		return;
	/* the agent's own check: what it sent back, it accepted */
	if (pn_api_selector_map(t, "targets", &s, msg, sizeof(msg)) || !s) {
		put("--watch-selector", "?");
		return;
	}
	if (s->n_labels) {
		pn_label_selector_format(s->labels, s->n_labels, buf, sizeof(buf));
		put("--watch-selector", buf);
	}
	pn_selector_free(s);
}

void ctl_selector_json(struct json *j, const Panoptes__V1__Targets *t)
{
	const Panoptes__V1__LabelSelector *ls = t->pod_selector;

	json_kstrv(j, "namespaces", t->namespaces, t->n_namespaces);
	json_kstrv(j, "container_names", t->container_names, t->n_container_names);
	json_kstrv(j, "images", t->images, t->n_images);
	if (!ls)
		return;
	json_key(j, "pod_selector");
	json_object_begin(j);
	json_key(j, "match_labels");
	json_object_begin(j);
	for (size_t i = 0; i < ls->n_match_labels; i++)
		json_kstr(j, ls->match_labels[i]->key, ls->match_labels[i]->value);
	json_object_end(j);
	json_key(j, "match_expressions");
	json_array_begin(j);
	for (size_t i = 0; i < ls->n_match_expressions; i++) {
		const Panoptes__V1__LabelSelectorRequirement *r = ls->match_expressions[i];

		json_object_begin(j);
		json_kstr(j, "key", r->key);
		json_kstr(j, "operator", r->operator_);
		json_kstrv(j, "values", r->values, r->n_values);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}
