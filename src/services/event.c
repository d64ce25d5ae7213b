// SPDX-License-Identifier: GPL-2.0-only
/* Messages a matched event becomes on the event feeds, and the StreamEvents filter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "argus.pb-c.h"
#include "convert.h"
#include "event_type.h"
#include "wire.h"
#include "events.h"
#include "feed.h"
#include "panoptes/v1/agent.pb-c.h"
#include "text.h"
#include "yaml_doc.h"

grpc_byte_buffer *pn_event_metrics_buffer(const char *node, const struct pn_event *ev,
					  const struct pn_match *m)
{
	Argus__ArgusdMetricsHandle h = ARGUS__ARGUSD_METRICS_HANDLE__INIT;
	const char *event = pn_event_bit_argus_name(m->event);

	(void)ev;
	h.arguswatcher = m->watch->name;
	h.event = (char *)(event ? event : "");
	h.nodename = (char *)node;
	return pn_api_pack(&h.base);
}

enum { N_NAMES = 7 };

/*
 * The kernel's names that are not UTF-8, escaped into their string fields
 * (pn_utf8_escape_dup), the bytes of all of them into `raw`; the copies go
 * into esc[] for the caller to free. A name that is UTF-8 is left as it is,
 * so for nearly every event this is seven scans and nothing more. -ENOMEM
 * if a copy could not be had.
 */
static int escape_names(Panoptes__V1__Event *e, Panoptes__V1__Process *proc,
			Panoptes__V1__RawNames *raw, char **esc)
{
	char **field[N_NAMES] = { &e->path,	  &e->dir,     &e->file,     &e->old_path,
				  &e->named_path, &proc->comm, &e->container };
	ProtobufCBinaryData *bytes[N_NAMES] = { &raw->path,	&raw->dir,	  &raw->file,
						&raw->old_path, &raw->named_path, &raw->comm,
						&raw->container };
	bool oom = false;

	for (size_t i = 0; i < N_NAMES; i++) {
		const char *s = *field[i];

		if (!s)
			continue;
		*bytes[i] = (ProtobufCBinaryData){ strlen(s), (uint8_t *)s };
		esc[i] = pn_utf8_escape_dup(s, bytes[i]->len, &oom);
		if (oom)
			return -ENOMEM;
		if (esc[i]) {
			*field[i] = esc[i];
			e->escaped = true;
		}
	}
	if (e->escaped)
		e->raw = raw;
	return 0;
}

/*
 * A map<string, string> field's entries over l's strings (not copied): the
 * caller frees *entries and *out. protobuf-c gives each map field a type of
 * its own, hence one function per field. -ENOMEM.
 */
#define MAP_ENTRIES(fn, type, init)                                                                \
	static int fn(const struct pn_labels *l, type **entries, type ***out, size_t *n)           \
	{                                                                                          \
		*n = 0;                                                                            \
		if (!l || !l->n)                                                                   \
			return 0;                                                                  \
		*entries = calloc(l->n, sizeof(**entries));                                        \
		*out = calloc(l->n, sizeof(**out));                                                \
		if (!*entries || !*out)                                                            \
			return -ENOMEM;                                                            \
		for (size_t i = 0; i < l->n; i++) {                                                \
			init(&(*entries)[i]);                                                      \
			(*entries)[i].key = l->keys[i];                                            \
			(*entries)[i].value = l->values[i];                                        \
			(*out)[i] = &(*entries)[i];                                                \
		}                                                                                  \
		*n = l->n;                                                                         \
		return 0;                                                                          \
	}
MAP_ENTRIES(label_entries, Panoptes__V1__Event__LabelsEntry,
	    panoptes__v1__event__labels_entry__init)
MAP_ENTRIES(annotation_entries, Panoptes__V1__Event__AnnotationsEntry,
	    panoptes__v1__event__annotations_entry__init)

grpc_byte_buffer *pn_event_record_buffer(const char *node, const struct pn_event *ev,
					 const struct pn_match *m, const struct pn_format_ctx *fctx)
{
	Panoptes__V1__Event__LabelsEntry *label_ents = NULL, **labels = NULL;
	Panoptes__V1__Event__AnnotationsEntry *annot_ents = NULL, **annots = NULL;
	Panoptes__V1__Event e = PANOPTES__V1__EVENT__INIT;
	Panoptes__V1__Process proc = PANOPTES__V1__PROCESS__INIT;
	Panoptes__V1__Event__TagsEntry *entries = NULL, **tags = NULL;
	const struct pn_subject *s = m->subject;
	char stack[PN_LINE_STACK], *line = stack, comm[sizeof(ev->comm)];
	char *dir = strndup(m->full_path, m->dir_len);
	grpc_byte_buffer *bb = NULL;
	Panoptes__V1__RawNames raw = PANOPTES__V1__RAW_NAMES__INIT;
	char *esc[N_NAMES] = { NULL };
	size_t n;

	if (!dir)
		return NULL;
	if (s->n_tags) {
		entries = calloc(s->n_tags, sizeof(*entries));
		tags = calloc(s->n_tags, sizeof(*tags));
		if (!entries || !tags)
			goto out;
		for (size_t i = 0; i < s->n_tags; i++) {
			panoptes__v1__event__tags_entry__init(&entries[i]);
			entries[i].key = s->tags[i].key;
			entries[i].value = s->tags[i].value;
			tags[i] = &entries[i];
		}
	}
	memcpy(comm, ev->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	proc.pid = ev->pid;
	proc.tgid = ev->tgid;
	proc.uid = ev->uid;
	proc.gid = ev->gid;
	proc.comm = comm;

	n = pn_format_line(stack, sizeof(stack), m->watch->log_format, ev, m, fctx);
	if (n >= sizeof(stack)) {
		/* a long escaped line: the length is known, format it whole on the heap */
		line = malloc(n + 1);
		if (!line || pn_format_line(line, n + 1, m->watch->log_format, ev, m, fctx) != n)
			goto out;
	}
	if (n && line[n - 1] == '\n')
		n--;
	line[n] = '\0';

	e.time_unix_nano = ev->ts_ns + (uint64_t)fctx->realtime_offset_ns;
	e.monotonic_ns = ev->ts_ns;
	e.type = (Panoptes__V1__EventType)pn_api_event_type_of_bit(m->event);
	e.is_dir = m->is_dir;
	e.path = (char *)m->full_path;
	e.dir = dir;
	e.file = (char *)m->file;
	e.old_path = (char *)(m->other_path ? m->other_path : "");
	e.cookie = m->cookie;
	e.process = &proc;
	e.cgroup_id = ev->cgroup_id;
	e.container = (char *)(fctx->container ? fctx->container : "");
	e.container_id = (char *)(fctx->container_id ? fctx->container_id : "");
	e.pod_uid = (char *)(fctx->pod_uid ? fctx->pod_uid : "");
	if (fctx->response) {
		/* a guard's decision: the guard, and its answer; no watch */
		e.guard = m->watch->name;
		e.decision = !strcmp(fctx->response, "DENY") ?
				     PANOPTES__V1__DECISION__DECISION_DENY :
				     PANOPTES__V1__DECISION__DECISION_ALLOW;
	} else {
		e.watch = m->watch->name;
	}
	e.pod = (char *)pn_format_pod(m, fctx);
	e.namespace_ = (char *)(fctx->namespace ? fctx->namespace : "");
	e.container_name = (char *)(fctx->container_name ? fctx->container_name : "");
	e.image = (char *)(fctx->image ? fctx->image : "");
	e.image_id = (char *)(fctx->image_id ? fctx->image_id : "");
	e.identity_incomplete = fctx->identity_incomplete;
	if ((fctx->with_labels && label_entries(fctx->labels, &label_ents, &labels, &e.n_labels)) ||
	    (fctx->with_annotations &&
	     annotation_entries(fctx->annotations, &annot_ents, &annots, &e.n_annotations)))
		goto out;
	e.labels = labels;
	e.annotations = annots;
	e.node = (char *)node;
	e.n_tags = s->n_tags;
	e.tags = tags;
	e.truncated = (ev->flags & PN_REC_TRUNCATED) != 0;
	e.multilink = (ev->flags & PN_REC_MULTILINK) != 0;
	e.unresolved = (ev->flags & (PN_EV_UNRESOLVED | PN_EV_OLD_UNRESOLVED)) != 0;
	e.line = line;
	e.named_path = (char *)(ev->named_path ? ev->named_path : "");
	if (escape_names(&e, &proc, &raw, esc))
		goto out;
	bb = pn_api_pack(&e.base);
out:
	for (size_t i = 0; i < N_NAMES; i++)
		free(esc[i]);
	if (line != stack)
		free(line);
	free(tags);
	free(entries);
	free(labels);
	free(label_ents);
	free(annots);
	free(annot_ents);
	free(dir);
	return bb;
}

static bool under(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return true;
	return strncmp(prefix, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool pn_event_filter_pass(const struct pn_event_filter *f, const struct pn_match *m)
{
	if (f->events && !(f->events & m->event))
		return false;
	if (f->path_prefix && !under(f->path_prefix, m->full_path))
		return false;
	return !f->n_watches || pn_event_filter_has_watch(f, m->watch->name);
}

/* The slot holding `name`, or the empty one where it would go. */
static uint32_t *filter_slot(const struct pn_event_filter *f, const char *name)
{
	size_t h = (size_t)pn_yaml_hash(name) & f->mask;

	for (;; h = (h + 1) & f->mask) {
		uint32_t v = f->slots[h];

		if (!v || strcmp(f->watches[v - 1], name) == 0)
			return &f->slots[h];
	}
}

bool pn_event_filter_has_watch(const struct pn_event_filter *f, const char *name)
{
	return f->slots && *filter_slot(f, name) != 0;
}

int pn_event_filter_set_watches(struct pn_event_filter *f, char *const *names, size_t n)
{
	size_t size = 4;

	if (n > PN_EVENT_FILTER_WATCHES_MAX)
		return -E2BIG;
	if (!n)
		return 0;
	/* at most half full, so a miss ends at an empty slot after a probe or two */
	while (size < 2 * n)
		size *= 2;
	f->slots = calloc(size, sizeof(*f->slots));
	f->watches = calloc(n, sizeof(*f->watches));
	if (!f->slots || !f->watches)
		return -ENOMEM;
	f->mask = size - 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t *slot = filter_slot(f, names[i]);

		if (*slot)
			continue;
		f->watches[f->n_watches] = strdup(names[i]);
		if (!f->watches[f->n_watches])
			return -ENOMEM;
		*slot = (uint32_t)++f->n_watches;
	}
	return 0;
}

void pn_event_filter_clear(struct pn_event_filter *f)
{
	for (size_t i = 0; i < f->n_watches; i++)
		free(f->watches[i]);
	free(f->watches);
	free(f->slots);
	free(f->path_prefix);
	memset(f, 0, sizeof(*f));
}
