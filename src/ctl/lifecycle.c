// SPDX-License-Identifier: GPL-2.0-only
/*
 * panoptesctl lifecycle: Agent.StreamLifecycle, the containers and images
 * of the agent's node, printed as panoptesd's --lifecycle prints them (a
 * signal ends the stream: stopper.c).
 */
#include "ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

const char ctl_lifecycle_usage[] =
	"Usage: panoptesctl lifecycle [--output json|kimager] [--count N]\n"
	"Prints the containers and images of the agent's node\n"
	"(panoptes.v1.Agent/StreamLifecycle): first what runs now (\"snapshot\": true),\n"
	"then each container started or stopped and each image added or removed, as\n"
	"it happens, one line each, flushed at once; the lines of panoptesd\n"
	"--lifecycle. The agent needs its container runtime (--cri-endpoint).\n"
	"\n"
	"  --output json|kimager  every record as a JSON object (default), or\n"
	"                         kimager's image lines only\n"
	"  --count N              exit 0 after N records (printed or not)\n"
	"\n"
	"SIGINT and SIGTERM end the stream; the exit code is then 0.\n";

enum {
	OPT_OUTPUT = 1,
	OPT_COUNT,
};

static const struct ctl_opt lifecycle_opts[] = {
	{ "output", OPT_OUTPUT, true },
	{ "count", OPT_COUNT, true },
	{ NULL, 0, false },
};

static const enum pn_lifecycle_kind kinds[] = {
	[PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_CONTAINER_STARTED] = PN_LC_CONTAINER_STARTED,
	[PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_CONTAINER_STOPPED] = PN_LC_CONTAINER_STOPPED,
	[PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_IMAGE_ADDED] = PN_LC_IMAGE_ADDED,
	[PANOPTES__V1__LIFECYCLE_KIND__LIFECYCLE_KIND_IMAGE_REMOVED] = PN_LC_IMAGE_REMOVED,
};

/* One record as panoptesd's --lifecycle line; a kind this build does not know is skipped. */
static int print_record(const Panoptes__V1__LifecycleRecord *r, enum pn_lifecycle_output output)
{
	struct pn_lifecycle lc;
	char line[4096], *p = line;
	size_t n;

	if (r->kind <= 0 || (size_t)r->kind >= sizeof(kinds) / sizeof(kinds[0]))
		return 0;
	lc = (struct pn_lifecycle){
		.kind = kinds[r->kind],
		.realtime_ns =
			r->time_unix_nano > INT64_MAX ? INT64_MAX : (int64_t)r->time_unix_nano,
		.snapshot = r->snapshot,
		.reconciled = r->reconciled,
		.image = r->image,
		.image_spec = r->image_spec,
		.image_id = r->image_id,
		.namespace = r->namespace_,
		.pod = r->pod,
		.container_name = r->container_name,
		.container_id = r->container_id,
	};
	n = pn_lifecycle_format(line, sizeof(line), output, &lc);
	if (n >= sizeof(line)) {
		p = malloc(n + 1);
		if (!p)
			return ctl_nomem();
		pn_lifecycle_format(p, n + 1, output, &lc);
	}
	fwrite(p, 1, n, stdout);
	if (p != line)
		free(p);
	return 0;
}

struct lifecycle_args {
	enum pn_lifecycle_output output;
	long long count; /* 0: until stopped */
};

static int lifecycle_parse(struct ctl_args *a, struct lifecycle_args *la)
{
	const char *val;
	int id, err = 0;

	a->opts = lifecycle_opts;
	while ((id = ctl_next(a, &val)) != CTL_END) {
		switch (id) {
		case OPT_OUTPUT:
			if (pn_lifecycle_output_parse(val, &la->output) ||
			    la->output == PN_LC_OUTPUT_NONE)
				err = ctl_usage_err("%s: \"%s\" is not json or kimager", a->flag,
						    val);
			break;
		case OPT_COUNT:
			err = ctl_parse_long(a, val, 1, INT64_MAX, &la->count);
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
	const struct lifecycle_args *la = arg;

	return print_record((const Panoptes__V1__LifecycleRecord *)m, la->output);
}

int ctl_cmd_lifecycle(struct ctl_args *a)
{
	Panoptes__V1__StreamLifecycleRequest req = PANOPTES__V1__STREAM_LIFECYCLE_REQUEST__INIT;
	struct lifecycle_args la = { .output = PN_LC_OUTPUT_JSON };
	int err;

	err = lifecycle_parse(a, &la);
	if (err)
		return err;
	return ctl_stream_print(a->ctl, "/panoptes.v1.Agent/StreamLifecycle", &req.base,
				&panoptes__v1__lifecycle_record__descriptor, print_one, &la,
				la.count);
}
