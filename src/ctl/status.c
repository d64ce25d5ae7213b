// SPDX-License-Identifier: GPL-2.0-only
/* panoptesctl status: Agent.GetStatus as a table for people or one JSON object for scripts. */
#include "ctl.h"

#include <inttypes.h>
#include <stdio.h>

#include "json.h"
#include "panoptes_event.h"

const char ctl_status_usage[] =
	"Usage: panoptesctl status [--output text|json]\n"
	"Calls panoptes.v1.Agent/GetStatus: version, node, kernel backend and release,\n"
	"loaded programs, uptime, watches, cgroups, kernel and agent counters, open\n"
	"event streams and the messages slow stream clients lost.\n"
	"\n"
	"  --output text|json   a table (default) or one JSON object on one line, with the\n"
	"                       fields of panoptes.v1.Status under their .proto names\n";

static void print_duration(uint64_t s)
{
	if (s >= 86400)
		printf("%" PRIu64 "d%02" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s\n", s / 86400,
		       s / 3600 % 24, s / 60 % 60, s % 60);
	else if (s >= 3600)
		printf("%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s\n", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		printf("%" PRIu64 "m%02" PRIu64 "s\n", s / 60, s % 60);
	else
		printf("%" PRIu64 "s\n", s);
}

static const Panoptes__V1__KernelCounters no_counters = PANOPTES__V1__KERNEL_COUNTERS__INIT;

static void print_str(const char *label, const char *v)
{
	printf("%-16s ", label);
	ctl_put_escaped(stdout, v);
	putchar('\n');
}

static void print_text(const Panoptes__V1__Status *st)
{
	const Panoptes__V1__KernelCounters *k = st->kernel ? st->kernel : &no_counters;

	/* strings from the agent (and its kernel) go to a terminal: escaped, one line each */
	print_str("version", st->version);
	print_str("node", st->node);
	print_str("backend", st->backend);
	print_str("kernel release", st->kernel_release);
	printf("%-16s %zu:", "programs", st->n_programs);
	for (size_t i = 0; i < st->n_programs; i++) {
		putchar(' ');
		ctl_put_escaped(stdout, st->programs[i]);
	}
	printf("\n%-16s ", "uptime");
	print_duration(st->uptime_seconds);
	printf("%-16s %" PRIu32 "\n", "watches", st->watches);
	printf("%-16s %" PRIu32 "\n", "cgroups", st->cgroups);
	printf("%-16s %" PRIu64 "\n", "records", st->records);
	printf("%-16s %" PRIu64 "\n", "malformed", st->malformed);
	printf("%-16s %" PRIu64 "\n", "events", st->events);
	printf("%-16s %" PRIu64 "\n", "events dropped", st->events_dropped);
	printf("%-16s %" PRIu32 "\n", "streams", st->streams);
	printf("%-16s %" PRIu64 "\n", "stream drops", st->stream_drops);
	printf("%-16s %" PRIu64 "\n", "stream cuts", st->stream_cuts);
	printf("%-16s %" PRIu64 "\n", "streams refused", st->streams_refused);
	printf("%-16s %" PRIu64 "\n", "stream bytes", st->stream_queue_bytes);
	printf("%-16s %s\n", "insecure listen", st->insecure_listen ? "yes" : "no");
	printf("%-16s %" PRIu64 " (%" PRIu64 " refused)\n", "policy reloads", st->policy_reloads,
	       st->policy_reload_failures);
	printf("%-16s %" PRIu64 " timed out, %" PRIu64 " skipped\n", "name lookups",
	       st->lookups_timed_out, st->lookups_skipped);
	if (st->runtime && st->runtime->connected)
		printf("%-16s %s at %s: %" PRIu64 " containers, %" PRIu64 " asked (%" PRIu64
		       " late, %" PRIu64 " unknown), %" PRIu64 " failed calls\n",
		       "runtime", st->runtime->name, st->runtime->endpoint, st->runtime->containers,
		       st->runtime->lookups, st->runtime->late, st->runtime->unknown,
		       st->runtime->failures);
	else if (st->runtime)
		printf("%-16s none: %s\n", "runtime", st->runtime->error);
	else
		printf("%-16s not asked (--cri-endpoint \"\")\n", "runtime");
	if (st->guard_mechanism && st->guard_mechanism[0])
		print_str("guards", st->guard_mechanism);
	else {
		printf("%-16s none: ", "guards");
		ctl_put_escaped(stdout, st->guard_unavailable ? st->guard_unavailable : "");
		putchar('\n');
	}
	printf("%-16s", "kernel counters");
#define TEXT(name, metric, help) printf(" " #name "=%" PRIu64, k->name);
	PN_COUNTERS(TEXT)
#undef TEXT
	putchar('\n');
}

static void print_json(const Panoptes__V1__Status *st)
{
	const Panoptes__V1__KernelCounters *k = st->kernel ? st->kernel : &no_counters;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kstr(&j, "version", st->version);
	json_kstr(&j, "node", st->node);
	json_kstr(&j, "backend", st->backend);
	json_kstr(&j, "kernel_release", st->kernel_release);
	json_kstrv(&j, "programs", st->programs, st->n_programs);
	json_ku64(&j, "uptime_seconds", st->uptime_seconds);
	json_ku64(&j, "watches", st->watches);
	json_ku64(&j, "cgroups", st->cgroups);
	json_key(&j, "kernel");
	json_object_begin(&j);
#define JSON(name, metric, help) json_ku64(&j, #name, k->name);
	PN_COUNTERS(JSON)
#undef JSON
	json_object_end(&j);
	json_ku64(&j, "records", st->records);
	json_ku64(&j, "malformed", st->malformed);
	json_ku64(&j, "events", st->events);
	json_ku64(&j, "events_dropped", st->events_dropped);
	json_ku64(&j, "streams", st->streams);
	json_ku64(&j, "stream_drops", st->stream_drops);
	json_ku64(&j, "stream_cuts", st->stream_cuts);
	json_ku64(&j, "streams_refused", st->streams_refused);
	json_ku64(&j, "stream_queue_bytes", st->stream_queue_bytes);
	json_kbool(&j, "insecure_listen", st->insecure_listen);
	json_ku64(&j, "policy_reloads", st->policy_reloads);
	json_ku64(&j, "policy_reload_failures", st->policy_reload_failures);
	json_ku64(&j, "lookups_timed_out", st->lookups_timed_out);
	json_ku64(&j, "lookups_skipped", st->lookups_skipped);
	json_kstr(&j, "guard_mechanism", st->guard_mechanism);
	json_kstr(&j, "guard_unavailable", st->guard_unavailable);
	if (st->runtime) {
		json_key(&j, "runtime");
		json_object_begin(&j);
		json_kstr(&j, "endpoint", st->runtime->endpoint);
		json_kbool(&j, "connected", st->runtime->connected);
		json_kstr(&j, "name", st->runtime->name);
		json_kstr(&j, "error", st->runtime->error);
		json_ku64(&j, "containers", st->runtime->containers);
		json_ku64(&j, "lookups", st->runtime->lookups);
		json_ku64(&j, "late", st->runtime->late);
		json_ku64(&j, "unknown", st->runtime->unknown);
		json_ku64(&j, "failures", st->runtime->failures);
		json_ku64(&j, "images", st->runtime->images);
		json_ku64(&j, "cgroups_made", st->runtime->cgroups_made);
		json_ku64(&j, "cgroups_removed", st->runtime->cgroups_removed);
		json_object_end(&j);
	}
	json_object_end(&j);
	json_end(&j);
}

int ctl_cmd_status(struct ctl_args *a)
{
	Panoptes__V1__GetStatusRequest req = PANOPTES__V1__GET_STATUS_REQUEST__INIT;
	enum ctl_output output = CTL_OUTPUT_TEXT;
	ProtobufCMessage *m;
	int err;

	err = ctl_output_flag_only(a, &output);
	if (err)
		return err;
	err = ctl_unary(a->ctl, "/panoptes.v1.Agent/GetStatus", &req.base,
			&panoptes__v1__status__descriptor, &m);
	if (err)
		return err;
	if (output == CTL_OUTPUT_JSON)
		print_json((const Panoptes__V1__Status *)m);
	else
		print_text((const Panoptes__V1__Status *)m);
	protobuf_c_message_free_unpacked(m, NULL);
	return CTL_EXIT_OK;
}
