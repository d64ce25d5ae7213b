// SPDX-License-Identifier: GPL-2.0-only
/*
 * panoptesctl: drives a running panoptesd over its gRPC API. main() holds the
 * global state; the command table below picks what runs, each command parses
 * its own flags and makes its calls.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"Usage: panoptesctl [GLOBAL FLAGS] COMMAND [ARGS]\n"
	"Drives a running panoptesd over its gRPC API (panoptes.v1.Agent, grpc.health.v1).\n"
	"\n"
	"Commands:\n"
	"  health [--service NAME]          is the agent serving? exit 0 only if SERVING\n"
	"  status [--output text|json]      version, backend, kernel, watches, counters\n"
	"  watch create NAME TARGETS SUBJECT\n"
	"                                   install a watch (see panoptesctl watch --help)\n"
	"  watch update NAME TARGETS SUBJECT\n"
	"                                   replace a watch as a whole, in place\n"
	"  watch delete NAME                remove a watch\n"
	"  watch list [--output text|json]  every watch, its cgroups and event counts\n"
	"  events [FILTERS] [--output text|json] [--count N]\n"
	"                                   print matched events as they happen\n"
	"  lifecycle [--output json|kimager] [--count N]\n"
	"                                   the node's containers and images, then changes\n"
	"  guard create NAME TARGETS SUBJECT\n"
	"                                   deny or allow paths (see panoptesctl guard --help)\n"
	"  guard delete NAME                remove a guard\n"
	"  guard list [--output text|json]  every guard, janus.Janusd's too\n"
	"\n"
	"Global flags (anywhere on the line; -flag and --flag alike, also --flag=VALUE):\n"
	"  --server ADDRESS     panoptesd's gRPC address, HOST:PORT or unix:PATH (default:\n"
	"                       $PANOPTES_SERVER, else " PN_CTL_DEFAULT_SERVER ")\n"
	"  --timeout SECONDS    deadline of each call, connecting included; for streams,\n"
	"                       of the connection only (default 10)\n"
	"  -tls                 use TLS; the server's certificate is checked against\n"
	"                       -tlscafile, else the system's roots\n"
	"  -tlscafile FILE      CA certificate(s) that signed the server's certificate\n"
	"  -tlscertfile FILE    client certificate for mutual TLS (with -tlskeyfile)\n"
	"  -tlskeyfile FILE     that certificate's private key\n"
	"  -h, --help           help (after a command: that command's help)\n"
	"  --version            print the version\n"
	"\n"
	"Exit codes: 0 success; 1 the server answered with an error, printed on stderr as\n"
	"\"panoptesctl: CODE: message\"; 2 bad command line; 3 the server cannot be reached.\n";

static const struct ctl_cmd cmds[] = {
	{ "health", ctl_cmd_health, "panoptesctl health", ctl_health_usage },
	{ "status", ctl_cmd_status, "panoptesctl status", ctl_status_usage },
	{ "watch", ctl_cmd_watch, "panoptesctl watch", ctl_watch_usage },
	{ "events", ctl_cmd_events, "panoptesctl events", ctl_events_usage },
	{ "lifecycle", ctl_cmd_lifecycle, "panoptesctl lifecycle", ctl_lifecycle_usage },
	{ "guard", ctl_cmd_guard, "panoptesctl guard", ctl_guard_usage },
	{ NULL, NULL, NULL, NULL },
};

int ctl_dispatch(struct ctl_args *a, const struct ctl_cmd *table)
{
	const char *word = NULL;
	int id = ctl_next(a, &word);

	if (id == CTL_END)
		return ctl_usage_err("missing command (see %s --help)", a->cmd);
	if (id != CTL_POSITIONAL)
		return ctl_args_stop(a, id, word);
	for (const struct ctl_cmd *c = table; c->name; c++) {
		if (strcmp(c->name, word) == 0) {
			a->opts = NULL;
			a->cmd = c->path;
			a->usage = c->usage;
			return c->run(a);
		}
	}
	return ctl_usage_err("%s: unknown command (see %s --help)", word, a->cmd);
}

int main(int argc, char **argv)
{
	const char *env = getenv("PANOPTES_SERVER");
	struct ctl ctl = {
		.server = env && env[0] ? env : PN_CTL_DEFAULT_SERVER,
		.timeout = 10,
	};
	struct ctl_args a = {
		.ctl = &ctl,
		.argc = argc,
		.argv = argv,
		.i = 1,
		.cmd = "panoptesctl",
		.usage = usage_text,
	};
	int err;

	err = ctl_dispatch(&a, cmds);
	if (err <= 0)
		err = ctl_flush_stdout();
	ctl_disconnect(&ctl);
	return err;
}
