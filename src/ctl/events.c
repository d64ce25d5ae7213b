// SPDX-License-Identifier: GPL-2.0-only
/*
 * panoptesctl events: Agent.StreamEvents, printed as each event arrives
 * (a signal ends the stream: stopper.c).
 */
#include "ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const char ctl_events_usage[] =
	"Usage: panoptesctl events [--watch NAME]... [--events LIST]... [--path-prefix PATH]\n"
	"                          [--output text|json] [--count N]\n"
	"Prints the events the agent reports (panoptes.v1.Agent/StreamEvents) as they\n"
	"happen, one line each, flushed at once. The agent applies the filters; every\n"
	"filter given must hold.\n"
	"\n"
	"  --watch NAME         only events of this watch (repeatable: any of them)\n"
	"  --events LIST        only these events: comma-separated names as for watch\n"
	"                       create (repeatable; close, move and all expand)\n"
	"  --path-prefix PATH   only paths at or below PATH, by whole components (/data\n"
	"                       matches /data/x, not /database)\n"
	"  --output text|json   the watch's log line (default), or one JSON object per\n"
	"                       event with every field of panoptes.v1.Event\n"
	"  --count N            exit 0 after N events\n"
	"\n"
	"SIGINT and SIGTERM end the stream; the exit code is then 0.\n";

enum {
	OPT_WATCH = 1,
	OPT_EVENTS,
	OPT_PATH_PREFIX,
	OPT_OUTPUT,
	OPT_COUNT,
};

static const struct ctl_opt events_opts[] = {
	{ "watch", OPT_WATCH, true },
	{ "events", OPT_EVENTS, true },
	{ "path-prefix", OPT_PATH_PREFIX, true },
	{ "output", OPT_OUTPUT, true },
	{ "count", OPT_COUNT, true },
	{ NULL, 0, false },
};

/* ------------------------------------------------------------ printing */

static const Panoptes__V1__Process no_process = PANOPTES__V1__PROCESS__INIT;

static void print_json(const Panoptes__V1__Event *e)
{
	const Panoptes__V1__Process *p = e->process ? e->process : &no_process;
	const char *type = pn_api_event_type_name(e->type);
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_ku64(&j, "time_unix_nano", e->time_unix_nano);
	json_ku64(&j, "monotonic_ns", e->monotonic_ns);
	if (type)
		json_kstr(&j, "type", type);
	else
		json_ki64(&j, "type", e->type);
	json_kbool(&j, "is_dir", e->is_dir);
	json_kstr(&j, "path", e->path);
	json_kstr(&j, "dir", e->dir);
	json_kstr(&j, "file", e->file);
	json_kstr(&j, "old_path", e->old_path);
	json_ku64(&j, "cookie", e->cookie);
	if (e->named_path && e->named_path[0])
		json_kstr(&j, "named_path", e->named_path);
	if (e->multilink)
		json_kbool(&j, "multilink", true);
	if (e->identity_incomplete)
		json_kbool(&j, "identity_incomplete", true);
	if (e->unresolved)
		json_kbool(&j, "unresolved", true);
	json_key(&j, "process");
	json_object_begin(&j);
	json_ku64(&j, "pid", p->pid);
	json_ku64(&j, "tgid", p->tgid);
	json_ku64(&j, "uid", p->uid);
	json_ku64(&j, "gid", p->gid);
	json_kstr(&j, "comm", p->comm);
	json_object_end(&j);
	json_ku64(&j, "cgroup_id", e->cgroup_id);
	json_kstr(&j, "container", e->container);
	json_kstr(&j, "container_id", e->container_id);
	json_kstr(&j, "pod_uid", e->pod_uid);
	json_kstr(&j, "namespace", e->namespace_);
	json_kstr(&j, "container_name", e->container_name);
	json_kstr(&j, "image", e->image);
	json_kstr(&j, "image_id", e->image_id);
	/* as panoptesd's JSON: only where the agent was asked to carry them */
	if (e->n_labels) {
		json_key(&j, "labels");
		json_object_begin(&j);
		for (size_t i = 0; i < e->n_labels; i++)
			json_kstr(&j, e->labels[i]->key, e->labels[i]->value);
		json_object_end(&j);
	}
	if (e->n_annotations) {
		json_key(&j, "annotations");
		json_object_begin(&j);
		for (size_t i = 0; i < e->n_annotations; i++)
			json_kstr(&j, e->annotations[i]->key, e->annotations[i]->value);
		json_object_end(&j);
	}
	json_kstr(&j, "watch", e->watch);
	json_kstr(&j, "pod", e->pod);
	json_kstr(&j, "node", e->node);
	json_key(&j, "tags");
	json_object_begin(&j);
	for (size_t i = 0; i < e->n_tags; i++)
		json_kstr(&j, e->tags[i]->key, e->tags[i]->value);
	json_object_end(&j);
	json_kbool(&j, "truncated", e->truncated);
	json_kstr(&j, "line", e->line);
	json_kbool(&j, "escaped", e->escaped);
	if (e->raw) {
		/* the bytes as the kernel gave them: JSON's byte escape (\u00XX), like panoptesd's */
		const ProtobufCBinaryData *raw[] = { &e->raw->path,	  &e->raw->dir,
						     &e->raw->file,	  &e->raw->old_path,
						     &e->raw->named_path, &e->raw->comm,
						     &e->raw->container };
		static const char *const names[] = { "path",	   "dir",  "file",     "old_path",
						     "named_path", "comm", "container" };

		json_key(&j, "raw");
		json_object_begin(&j);
		for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
			/* an empty bytes field has no data pointer at all */
			char *b = raw[i]->len ? strndup((const char *)raw[i]->data, raw[i]->len) :
						strdup("");

			if (!b)
				continue;
			json_kstr(&j, names[i], b);
			free(b);
		}
		json_object_end(&j);
	}
	json_object_end(&j);
	json_end(&j);
}

static void print_event(const Panoptes__V1__Event *e, enum ctl_output output)
{
	if (output == CTL_OUTPUT_JSON)
		print_json(e);
	else {
		/* the agent's line is clean; an agent we did not build may send anything */
		ctl_put_escaped(stdout, e->line);
		putchar('\n');
	}
}

/* ------------------------------------------------------------ command */

struct events_args {
	Panoptes__V1__StreamEventsRequest req;
	enum ctl_output output;
	long long count; /* 0: until stopped */
};

static int events_parse(struct ctl_args *a, struct events_args *ea)
{
	const char *val;
	int id, err = 0;

	a->opts = events_opts;
	while ((id = ctl_next(a, &val)) != CTL_END) {
		switch (id) {
		case OPT_WATCH:
			if (ctl_push(ea->req.watches, ea->req.n_watches, (char *)val))
				err = ctl_nomem();
			break;
		case OPT_EVENTS:
			err = ctl_parse_events(a, val, &ea->req.events, &ea->req.n_events);
			break;
		case OPT_PATH_PREFIX:
			ea->req.path_prefix = (char *)val;
			break;
		case OPT_OUTPUT:
			err = ctl_parse_output(a, val, &ea->output);
			break;
		case OPT_COUNT:
			err = ctl_parse_long(a, val, 1, INT64_MAX, &ea->count);
			break;
		default:
			return ctl_args_stop(a, id, val);
		}
		if (err)
			return err;
	}
	return 0;
}

static int print_one(const ProtobufCMessage *m, void *arg)
{
	const struct events_args *ea = arg;

	print_event((const Panoptes__V1__Event *)m, ea->output);
	return 0;
}

int ctl_cmd_events(struct ctl_args *a)
{
	struct events_args ea = {
		.req = PANOPTES__V1__STREAM_EVENTS_REQUEST__INIT,
		.output = CTL_OUTPUT_TEXT,
	};
	int err;

	err = events_parse(a, &ea);
	if (!err)
		err = ctl_stream_print(a->ctl, "/panoptes.v1.Agent/StreamEvents", &ea.req.base,
				       &panoptes__v1__event__descriptor, print_one, &ea, ea.count);
	free(ea.req.watches);
	free(ea.req.events);
	return err;
}
