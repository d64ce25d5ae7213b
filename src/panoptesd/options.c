// SPDX-License-Identifier: GPL-2.0-only
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "cri.h"
#include "selector.h"
#include "events.h"
#include "panoptes_event.h"
#include "format.h"
#include "lookups.h"
#include "macros.h"
#include "pathutil.h"
#include "text.h"

static const char usage_text[] =
	"Usage: panoptesd [OPTIONS]\n"
	"Reports file activity inside chosen cgroups and containers, with the process\n"
	"that caused it, using eBPF. Runs as root.\n"
	"\n"
	"Watches (one from the flags below, and any number from --policy files):\n"
	"  --policy FILE            load watches from a YAML policy file (repeatable);\n"
	"                           see docs/policy.md\n"
	"  --watch-pid PID          watch the cgroup of process PID (repeatable)\n"
	"  --watch-cgroup PATH      watch a cgroup v2 directory and its sub-cgroups; absolute\n"
	"                           or relative to the cgroup2 mount (repeatable)\n"
	"  --watch-container ID     watch a container: containerd://ID, docker://ID,\n"
	"                           cri-o://ID, runc://ID or a bare ID (repeatable)\n"
	"  --watch-namespace NS     only the pods of namespace NS, as the container runtime\n"
	"                           names them (repeatable; fnmatch patterns such as\n"
	"                           'prod-*'); alone, with no other target, the node's pods\n"
	"  --watch-container-name NAME\n"
	"                           only containers so named in their pod spec (likewise)\n"
	"  --watch-image IMAGE      only containers of that image, as the pod spec names it\n"
	"                           (likewise: 'nginx:*', '*/nginx@sha256:*')\n"
	"  --watch-selector SEL     only pods whose labels match SEL, in kubectl's syntax:\n"
	"                           'app=web,tier in (a,b),!canary' (repeatable: all hold)\n"
	"  --path PATH              absolute path inside the target to watch (repeatable)\n"
	"  --events LIST            comma-separated events (repeatable; default all):\n"
	"                           access attrib closewrite closenowrite close create delete\n"
	"                           deleteself modify moveself movedfrom movedto move open all\n"
	"  --recursive              cover the whole tree below each path, including\n"
	"                           directories created later\n"
	"  --max-depth N            with --recursive: levels below a path (1 = children;\n"
	"                           0 = unlimited, the default)\n"
	"  --ignore NAME            skip entries with a path component NAME (repeatable)\n"
	"  --only-dir               skip paths that are not directories\n"
	"  --follow-move            when a watched path is renamed, follow it to its new name\n"
	"  --tag KEY=VALUE          tag the events of this watch (repeatable)\n"
	"  --format FORMAT          log line format (default:\n"
	"                           \"" PN_DEFAULT_LOG_FORMAT "\")\n"
	"                           specifiers: {event} {ftype} {path} {file} {sep} {pod}\n"
	"                           {node} {tags} {pid} {comm} {uid} {cgroup} {container}\n"
	"                           {time}\n"
	"  --name NAME              name of the watch made from flags (default: cli)\n"
	"  --pod NAME               pod name printed by {pod} for that watch\n"
	"\n"
	"Output and agent:\n"
	"  --output text|json       log lines (default) or JSON lines with every field\n"
	"  --node-name NAME         {node} (default: $NODE_NAME, else the hostname)\n"
	"  --backend auto|vfs|syscalls  kernel backend (default auto: vfs where the kernel\n"
	"                           allows it, else syscalls)\n"
	"  --guard-backend auto|lsm|fanotify|none  how guards (janus.Janusd) are\n"
	"                           enforced (default auto: BPF LSM where the kernel runs\n"
	"                           it, else fanotify permission events; none: no guards,\n"
	"                           CreateGuard is refused)\n"
	"  --ringbuf-mb N           ring buffer size in MiB, a power of two (default 4)\n"
	"  --batch-us N             after a wakeup that found records, let the next ones\n"
	"                           gather for N microseconds before reading again: fewer\n"
	"                           wakeups under load, at most N more latency (default\n"
	"                           200; 0 = read as soon as the kernel wakes the agent)\n"
	"  --coalesce-ms N          repeated reads (writes) of one open file are one ACCESS\n"
	"                           (MODIFY) per N ms at most, 0 to 60000 (default 1000;\n"
	"                           0 = every read and write reported)\n"
	"  --lookup-timeout-ms N    how long the reader waits for one lookup of a name in\n"
	"                           a container's filesystem, 1 to 10000 (default 100);\n"
	"                           past it the event is reported with the name flagged\n"
	"                           unresolved (docs/events.md)\n"
	"  --nice N                 the ring buffer reader's nice value, -20 to 19 (default\n"
	"                           -10: under CPU contention the workloads that cause\n"
	"                           events wait, rather than their events being dropped)\n"
	"  --pin-path DIR           pin maps, programs and links under DIR on bpffs for\n"
	"                           bpftool (default /sys/fs/bpf/panoptes; \"\" = none);\n"
	"                           an agent starting on pins of its own build adopts\n"
	"                           them and reports what they captured meanwhile\n"
	"  --keep-on-exit           at stop, leave the programs pinned and capturing for\n"
	"                           the next agent on --pin-path (restarts and upgrades\n"
	"                           without a blind window; docs/operations.md)\n"
	"  --remove-pins            detach and remove what an agent left on --pin-path,\n"
	"                           and the watches in --state-dir, then exit (uninstall)\n"
	"  --state-dir DIR          keep the watches created over gRPC in DIR/watches.pb\n"
	"                           and restore them at start (default /var/lib/panoptes,\n"
	"                           skipped with a warning if it cannot be made; \"\" = none)\n"
	"  --cri-endpoint ENDPOINT  the container runtime's CRI socket, as crictl spells\n"
	"                           it (unix:///run/containerd/containerd.sock), asked for\n"
	"                           the pod, namespace, container name and image of every\n"
	"                           event (default: the first of containerd's, CRI-O's,\n"
	"                           cri-dockerd's and k3s' sockets found; \"\" = none)\n"
	"  --cri-wait-ms N          how long a new container's first event may wait for\n"
	"                           the runtime's answer, 0 to 5000 (default 250); later\n"
	"                           events never wait\n"
	"  --cri-resync-s N         list the runtime's containers every N seconds, 1 to\n"
	"                           3600 (default 30): how soon --lifecycle sees a change\n"
	"                           the kernel's cgroup notes did not tell\n"
	"  --event-labels           JSON events and the native stream carry the pod's\n"
	"                           labels (\"labels\"; {labels} in --format works without)\n"
	"  --event-annotations KEYS the pod annotations (comma-separated keys, repeatable,\n"
	"                           at most 32) events carry: \"annotations\", {annotations}\n"
	"  --lifecycle FORMAT       also write containers and images as they start and\n"
	"                           go (kimager's job) to stdout: kimager (its image\n"
	"                           lines) or json (every record); default none\n"
	"  --metrics-listen ADDR    serve Prometheus /metrics, /healthz and /readyz on\n"
	"                           HOST:PORT (default 0.0.0.0:2112; \"\" = off)\n"
	"  --probe-listen ADDR      serve only /healthz and /readyz on HOST:PORT, on a\n"
	"                           thread of their own that scrapers cannot hold up:\n"
	"                           for the kubelet's probes (default \"\" = off)\n"
	"\n"
	"gRPC API (argus.Argusd, panoptes.v1.Agent, grpc.health.v1.Health; docs/api.md).\n"
	"With a listener, starting without any watch is fine:\n"
	"  --socket PATH            serve gRPC on a unix socket, mode 0600 (default\n"
	"                           " PN_API_DEFAULT_SOCKET "; \"\" = off)\n"
	"  --listen HOST:PORT       serve gRPC on TCP (default " PN_API_DEFAULT_LISTEN
	"; \"\" = off).\n"
	"                           Beyond loopback only with mutual TLS (-tls -tlscafile)\n"
	"  --insecure-listen HOST:PORT\n"
	"                           instead of --listen: serve there without requiring client\n"
	"                           certificates, even beyond loopback (logged, in status)\n"
	"  --authz-file FILE        with mutual TLS: roles (read, manage) of client\n"
	"                           certificates by name (YAML; docs/api.md); without it\n"
	"                           every verified client manages watches\n"
	"  --api-cgroup-root DIR    cgroups that watches made over the API may cover: DIR\n"
	"                           (relative to the cgroup2 mount) and below (repeatable;\n"
	"                           default /kubepods.slice and /kubepods, the pods; \"/\" =\n"
	"                           every cgroup, the root included)\n"
	"  -tls, --tls              serve TLS on --listen; needs -tlscertfile and -tlskeyfile\n"
	"  -tlscafile, --tlscafile FILE\n"
	"                           with -tls: require client certificates signed by this\n"
	"                           CA (mutual TLS)\n"
	"  -tlscertfile, --tlscertfile FILE\n"
	"                           server certificate chain (PEM)\n"
	"  -tlskeyfile, --tlskeyfile FILE\n"
	"                           server private key (PEM)\n"
	"  --max-watches N          refuse new watches past N (default 1024)\n"
	"  --max-cgroups N          cgroups the kernel can watch at once (default 16384);\n"
	"                           a watch that needs more is refused\n"
	"  --max-request-bytes N    refuse larger requests, whatever the method (default 4194304)\n"
	"  --stream-queue N         messages queued per event stream before a slow client\n"
	"                           loses some (default 4096)\n"
	"  --stream-queue-bytes N   bytes queued per stream before it loses some\n"
	"                           (default 4194304)\n"
	"  --streams-queue-total-bytes N\n"
	"                           bytes queued on every stream together (default 67108864)\n"
	"  --stream-cut-seconds N   cut a stream whose queue is full and whose client took\n"
	"                           nothing for N seconds (default 10; 0: never)\n"
	"  --max-streams N          open streams in total (default 256)\n"
	"  --max-streams-per-client N\n"
	"                           open streams per client (default 16)\n"
	"\n"
	"  --verbose                debug logging, including libbpf's\n"
	"  -h, --help               this text\n"
	"  --version                print the version\n"
	"\n"
	"Events go to stdout, diagnostics to stderr. SIGINT/SIGTERM detach and exit 0.\n";

enum {
	OPT_POLICY = 256,
	OPT_WATCH_PID,
	OPT_WATCH_CGROUP,
	OPT_WATCH_CONTAINER,
	OPT_WATCH_NAMESPACE,
	OPT_WATCH_CONTAINER_NAME,
	OPT_WATCH_IMAGE,
	OPT_WATCH_SELECTOR,
	OPT_PATH,
	OPT_EVENTS,
	OPT_RECURSIVE,
	OPT_MAX_DEPTH,
	OPT_IGNORE,
	OPT_ONLY_DIR,
	OPT_FOLLOW_MOVE,
	OPT_TAG,
	OPT_FORMAT,
	OPT_NAME,
	OPT_POD,
	OPT_OUTPUT,
	OPT_NODE_NAME,
	OPT_BACKEND,
	OPT_GUARD_BACKEND,
	OPT_RINGBUF_MB,
	OPT_BATCH_US,
	OPT_COALESCE_MS,
	OPT_LOOKUP_TIMEOUT_MS,
	OPT_NICE,
	OPT_VERBOSE,
	OPT_VERSION,
	OPT_PIN_PATH,
	OPT_KEEP_ON_EXIT,
	OPT_REMOVE_PINS,
	OPT_STATE_DIR,
	OPT_CRI_ENDPOINT,
	OPT_CRI_WAIT_MS,
	OPT_CRI_RESYNC_S,
	OPT_EVENT_LABELS,
	OPT_EVENT_ANNOTATIONS,
	OPT_LIFECYCLE,
	OPT_METRICS_LISTEN,
	OPT_PROBE_LISTEN,
	OPT_LISTEN,
	OPT_TLS,
	OPT_TLS_CA,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_MAX_WATCHES,
	OPT_MAX_CGROUPS,
	OPT_MAX_REQUEST,
	OPT_STREAM_QUEUE,
	OPT_STREAM_QUEUE_BYTES,
	OPT_STREAMS_QUEUE_TOTAL,
	OPT_STREAM_CUT,
	OPT_MAX_STREAMS,
	OPT_MAX_STREAMS_CLIENT,
	OPT_SOCKET,
	OPT_INSECURE_LISTEN,
	OPT_AUTHZ_FILE,
	OPT_API_CGROUP_ROOT,
};

static const struct option long_options[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "watch-pid", required_argument, NULL, OPT_WATCH_PID },
	{ "watch-cgroup", required_argument, NULL, OPT_WATCH_CGROUP },
	{ "watch-namespace", required_argument, NULL, OPT_WATCH_NAMESPACE },
	{ "watch-container-name", required_argument, NULL, OPT_WATCH_CONTAINER_NAME },
	{ "watch-image", required_argument, NULL, OPT_WATCH_IMAGE },
	{ "watch-selector", required_argument, NULL, OPT_WATCH_SELECTOR },
	{ "watch-container", required_argument, NULL, OPT_WATCH_CONTAINER },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "recursive", no_argument, NULL, OPT_RECURSIVE },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "only-dir", no_argument, NULL, OPT_ONLY_DIR },
	{ "follow-move", no_argument, NULL, OPT_FOLLOW_MOVE },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "pod", required_argument, NULL, OPT_POD },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "guard-backend", required_argument, NULL, OPT_GUARD_BACKEND },
	{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF_MB },
	{ "batch-us", required_argument, NULL, OPT_BATCH_US },
	{ "coalesce-ms", required_argument, NULL, OPT_COALESCE_MS },
	{ "lookup-timeout-ms", required_argument, NULL, OPT_LOOKUP_TIMEOUT_MS },
	{ "nice", required_argument, NULL, OPT_NICE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "pin-path", required_argument, NULL, OPT_PIN_PATH },
	{ "keep-on-exit", no_argument, NULL, OPT_KEEP_ON_EXIT },
	{ "remove-pins", no_argument, NULL, OPT_REMOVE_PINS },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "cri-endpoint", required_argument, NULL, OPT_CRI_ENDPOINT },
	{ "cri-wait-ms", required_argument, NULL, OPT_CRI_WAIT_MS },
	{ "cri-resync-s", required_argument, NULL, OPT_CRI_RESYNC_S },
	{ "lifecycle", required_argument, NULL, OPT_LIFECYCLE },
	{ "event-labels", no_argument, NULL, OPT_EVENT_LABELS },
	{ "event-annotations", required_argument, NULL, OPT_EVENT_ANNOTATIONS },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "probe-listen", required_argument, NULL, OPT_PROBE_LISTEN },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "insecure-listen", required_argument, NULL, OPT_INSECURE_LISTEN },
	{ "authz-file", required_argument, NULL, OPT_AUTHZ_FILE },
	{ "api-cgroup-root", required_argument, NULL, OPT_API_CGROUP_ROOT },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "tlscafile", required_argument, NULL, OPT_TLS_CA },
	{ "tlscertfile", required_argument, NULL, OPT_TLS_CERT },
	{ "tlskeyfile", required_argument, NULL, OPT_TLS_KEY },
	{ "max-watches", required_argument, NULL, OPT_MAX_WATCHES },
	{ "max-cgroups", required_argument, NULL, OPT_MAX_CGROUPS },
	{ "max-request-bytes", required_argument, NULL, OPT_MAX_REQUEST },
	{ "stream-queue", required_argument, NULL, OPT_STREAM_QUEUE },
	{ "stream-queue-bytes", required_argument, NULL, OPT_STREAM_QUEUE_BYTES },
	{ "streams-queue-total-bytes", required_argument, NULL, OPT_STREAMS_QUEUE_TOTAL },
	{ "stream-cut-seconds", required_argument, NULL, OPT_STREAM_CUT },
	{ "max-streams", required_argument, NULL, OPT_MAX_STREAMS },
	{ "max-streams-per-client", required_argument, NULL, OPT_MAX_STREAMS_CLIENT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int push_str(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Annotations can be large (kubectl's last-applied-configuration): only the keys named. */
#define MAX_EVENT_ANNOTATIONS 32

static int parse_annotation_keys(const char *arg, struct pn_config *cfg, char *err, size_t errlen)
{
	char *copy = strdup(arg), *save = NULL;
	int e = copy ? 0 : -ENOMEM;
	size_t keys = 0;

	for (char *k = copy ? strtok_r(copy, ",", &save) : NULL; k && !e;
	     k = strtok_r(NULL, ",", &save)) {
		bool dup = false;

		keys++;
		if (!pn_label_key_valid(k)) {
			snprintf(err, errlen,
				 "--event-annotations: \"%s\" is not an annotation key "
				 "([prefix/]name, as Kubernetes spells them)",
				 k);
			e = -EINVAL;
			break;
		}
		for (size_t i = 0; i < cfg->n_event_annotations; i++)
			dup = dup || !strcmp(cfg->event_annotations[i], k);
		if (dup)
			continue;
		if (cfg->n_event_annotations == MAX_EVENT_ANNOTATIONS) {
			snprintf(err, errlen, "--event-annotations: at most %d keys",
				 MAX_EVENT_ANNOTATIONS);
			e = -EINVAL;
			break;
		}
		e = push_str(&cfg->event_annotations, &cfg->n_event_annotations, k);
	}
	if (!e && !keys) {
		snprintf(err, errlen, "--event-annotations: expected annotation keys, got \"%s\"",
			 arg);
		e = -EINVAL;
	}
	free(copy);
	return e;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A number flag in [min, max]; the error names the flag, the range and the value. */
static int num_flag(const char *flag, const char *arg, long min, long max, long *out, char *err,
		    size_t errlen)
{
	if (parse_long(arg, min, max, out)) {
		snprintf(err, errlen, "%s: expected %ld to %ld, got \"%s\"", flag, min, max, arg);
		return -EINVAL;
	}
	return 0;
}

struct flag_watch {
	struct pn_subject s;
	struct pn_targets t;
	struct pn_selector *sel;
	bool any_subject_flag;
	bool events_given;
	char *name, *pod, *format;
};

static int add_tag(struct pn_subject *s, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	struct pn_tag *v;

	if (!eq || eq == kv) {
		snprintf(err, errlen, "--tag: expected KEY=VALUE, got \"%s\"", kv);
		return -EINVAL;
	}
	v = realloc(s->tags, (s->n_tags + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->tags = v;
	v[s->n_tags].key = strndup(kv, eq - kv);
	v[s->n_tags].value = strdup(eq + 1);
	if (!v[s->n_tags].key || !v[s->n_tags].value) {
		free(v[s->n_tags].key);
		free(v[s->n_tags].value);
		return -ENOMEM;
	}
	s->n_tags++;
	return 0;
}

/* "--watch-cgroup" for OPT_WATCH_CGROUP: messages name the flag as it was typed. */
static const char *flag_name(int opt)
{
	static char buf[40];

	for (const struct option *o = long_options; o->name; o++) {
		if (o->val == opt) {
			snprintf(buf, sizeof(buf), "--%s", o->name);
			return buf;
		}
	}
	return "a flag";
}

static int handle_watch_flag(struct flag_watch *fw, int opt, const char *arg, char *err,
			     size_t errlen)
{
	long v;
	int *pids;

	/* Every text a watch flag carries is text by the rule every client's text follows. */
	if (arg && pn_text_check_field(flag_name(opt), arg, err, errlen))
		return -EINVAL;
	switch (opt) {
	case OPT_WATCH_PID:
		if (parse_long(arg, 1, INT_MAX, &v)) {
			snprintf(err, errlen, "--watch-pid: not a process id: \"%s\"", arg);
			return -EINVAL;
		}
		pids = realloc(fw->t.pids, (fw->t.n_pids + 1) * sizeof(*pids));
		if (!pids)
			return -ENOMEM;
		fw->t.pids = pids;
		pids[fw->t.n_pids++] = (int)v;
		return 0;
	case OPT_WATCH_CGROUP:
		if (!arg[0]) {
			snprintf(err, errlen, "--watch-cgroup: empty path");
			return -EINVAL;
		}
		return push_str(&fw->t.cgroups, &fw->t.n_cgroups, arg);
	case OPT_WATCH_CONTAINER:
		if (!arg[0]) {
			snprintf(err, errlen, "--watch-container: empty container id");
			return -EINVAL;
		}
		return push_str(&fw->t.containers, &fw->t.n_containers, arg);
	case OPT_WATCH_SELECTOR: {
		char msg[256];
		int e;

		if (!fw->sel && !(fw->sel = calloc(1, sizeof(*fw->sel))))
			return -ENOMEM;
		e = pn_label_selector_parse(arg, &fw->sel->labels, &fw->sel->n_labels, msg,
					    sizeof(msg));
		if (e == -EINVAL)
			snprintf(err, errlen, "--watch-selector: %s", msg);
		return e;
	}
	case OPT_WATCH_NAMESPACE:
	case OPT_WATCH_CONTAINER_NAME:
	case OPT_WATCH_IMAGE:
		if (!arg[0]) {
			snprintf(err, errlen, "%s: empty pattern", flag_name(opt));
			return -EINVAL;
		}
		if (!fw->sel && !(fw->sel = calloc(1, sizeof(*fw->sel))))
			return -ENOMEM;
		if (opt == OPT_WATCH_NAMESPACE)
			return push_str(&fw->sel->namespaces, &fw->sel->n_namespaces, arg);
		if (opt == OPT_WATCH_CONTAINER_NAME)
			return push_str(&fw->sel->container_names, &fw->sel->n_container_names,
					arg);
		return push_str(&fw->sel->images, &fw->sel->n_images, arg);
	case OPT_PATH:
		fw->any_subject_flag = true;
		return push_str(&fw->s.paths, &fw->s.n_paths, arg);
	case OPT_EVENTS: {
		char msg[512];

		fw->any_subject_flag = true;
		fw->events_given = true;
		if (pn_event_list_parse(arg, &fw->s.events, msg, sizeof(msg))) {
			snprintf(err, errlen, "--events: %s", msg);
			return -EINVAL;
		}
		return 0;
	}
	case OPT_RECURSIVE:
		fw->any_subject_flag = true;
		fw->s.recursive = true;
		return 0;
	case OPT_MAX_DEPTH:
		fw->any_subject_flag = true;
		if (parse_long(arg, 0, INT_MAX, &v)) {
			snprintf(err, errlen,
				 "--max-depth: must be a whole number >= 0, got \"%s\"", arg);
			return -EINVAL;
		}
		fw->s.max_depth = (int)v;
		return 0;
	case OPT_IGNORE:
		fw->any_subject_flag = true;
		return push_str(&fw->s.ignore, &fw->s.n_ignore, arg);
	case OPT_ONLY_DIR:
		fw->any_subject_flag = true;
		fw->s.only_dir = true;
		return 0;
	case OPT_FOLLOW_MOVE:
		fw->any_subject_flag = true;
		fw->s.follow_move = true;
		return 0;
	case OPT_TAG:
		fw->any_subject_flag = true;
		return add_tag(&fw->s, arg, err, errlen);
	case OPT_FORMAT: {
		char msg[512];

		if (pn_format_validate(arg, msg, sizeof(msg))) {
			snprintf(err, errlen, "--format: %s", msg);
			return -EINVAL;
		}
		free(fw->format);
		fw->format = strdup(arg);
		return fw->format ? 0 : -ENOMEM;
	}
	case OPT_NAME:
		if (!arg[0]) {
			snprintf(err, errlen, "--name: empty name");
			return -EINVAL;
		}
		free(fw->name);
		fw->name = strdup(arg);
		return fw->name ? 0 : -ENOMEM;
	case OPT_POD:
		free(fw->pod);
		fw->pod = strdup(arg);
		return fw->pod ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

/* A subject rule the flags break, named by the flag. */
static int flag_fault(const struct pn_subject *s, const struct pn_subject_fault *f, char *err,
		      size_t errlen)
{
	if (f->field == PN_SUBJECT_PATHS && f->rule == PN_SUBJECT_REQUIRED)
		snprintf(err, errlen, "--watch-*: give at least one --path to watch");
	else if (f->field == PN_SUBJECT_PATHS &&
		 (f->rule == PN_SUBJECT_RELATIVE || f->rule == PN_SUBJECT_EMPTY))
		/* The flag's words since it exists: an empty path is not absolute either. */
		snprintf(err, errlen, "--path: path must be absolute, got \"%s\"",
			 s->paths[f->index] ? s->paths[f->index] : "");
	else
		pn_subject_fault_format(f, &pn_subject_flags, NULL, err, errlen);
	return -EINVAL;
}

/* Turns the collected flags into one watch spec, or explains what is missing. */
static int finish_flag_watch(struct flag_watch *fw, struct pn_config *cfg, char *err, size_t errlen)
{
	bool have_target = fw->t.n_pids || fw->t.n_cgroups || fw->t.n_containers || fw->sel;
	struct pn_subject_fault f;
	struct pn_watch *w;
	int e;

	if (!have_target && !fw->any_subject_flag)
		return 0;
	if (!have_target) {
		snprintf(err, errlen,
			 "--path and the subject flags need a target: --watch-pid, --watch-cgroup, "
			 "--watch-container, --watch-namespace, --watch-container-name, "
			 "--watch-image or --watch-selector");
		return -EINVAL;
	}
	/* a selector alone: the node's pods */
	fw->t.pods = fw->sel && !(fw->t.n_pids || fw->t.n_cgroups || fw->t.n_containers);
	if (!fw->events_given)
		fw->s.events = PN_ALL_EVENTS;
	e = pn_subject_check(&fw->s, &f);
	if (e)
		return flag_fault(&fw->s, &f, err, errlen);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->subjects = calloc(1, sizeof(*w->subjects));
	w->name = fw->name ? fw->name : strdup("cli");
	w->pod = fw->pod ? fw->pod : strdup("");
	w->log_format = fw->format;
	w->selector = fw->sel;
	fw->sel = NULL;
	fw->name = fw->pod = fw->format = NULL;
	if (!w->subjects || !w->name || !w->pod) {
		pn_watch_free(w);
		return -ENOMEM;
	}
	w->subjects[0] = fw->s;
	w->n_subjects = 1;
	memset(&fw->s, 0, sizeof(fw->s));
	e = pn_subject_finish(&w->subjects[0]);
	if (e) {
		pn_watch_free(w);
		return e;
	}
	cfg->flag_watch.watch = w;
	cfg->flag_watch.targets = fw->t;
	memset(&fw->t, 0, sizeof(fw->t));
	return 0;
}

static void flag_watch_clear(struct flag_watch *fw)
{
	pn_selector_free(fw->sel);
	pn_subject_clear(&fw->s);
	pn_targets_clear(&fw->t);
	free(fw->name);
	free(fw->pod);
	free(fw->format);
}

static void default_node(char *out, size_t len)
{
	const char *env = getenv("NODE_NAME");

	if (env && env[0]) {
		snprintf(out, len, "%s", env);
		return;
	}
	if (gethostname(out, len))
		snprintf(out, len, "unknown");
	out[len - 1] = '\0';
}

/*
 * argusd spelled its TLS flags with one dash (-tls, -tlscafile F); getopt
 * would read "-tls" as -t -l -s. Those four are rewritten to their
 * double-dash form before parsing; everything else is left alone.
 */
static int argusd_flags(int argc, char **argv, struct pn_config *cfg)
{
	static const char *const single[] = { "-tls", "-tlscafile", "-tlscertfile", "-tlskeyfile" };

	cfg->args = calloc((size_t)argc + 1, sizeof(char *));
	if (!cfg->args)
		return -ENOMEM;
	cfg->n_args = (size_t)argc;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		cfg->args[i] = NULL;
		for (size_t j = 0; i > 0 && j < ARRAY_SIZE(single); j++) {
			size_t n = strlen(single[j]);

			if (strncmp(a, single[j], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
				cfg->args[i] = malloc(strlen(a) + 2);
				if (!cfg->args[i])
					return -ENOMEM;
				cfg->args[i][0] = '-';
				strcpy(cfg->args[i] + 1, a);
				break;
			}
		}
		if (!cfg->args[i] && !(cfg->args[i] = strdup(a)))
			return -ENOMEM;
		/* after "--" nothing is an option */
		if (strcmp(a, "--") == 0) {
			for (int k = i + 1; k < argc; k++)
				if (!(cfg->args[k] = strdup(argv[k])))
					return -ENOMEM;
			break;
		}
	}
	return 0;
}

/*
 * Whether HOST:PORT's host is a loopback address, where only the node's own
 * processes connect: 127.0.0.0/8, ::1, localhost. Anything else, a wildcard
 * or a name included, may be reached from the network.
 */
static bool listen_is_loopback(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
	char host[256];
	struct in_addr a4;
	struct in6_addr a6;

	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return false;
	memcpy(host, addr, n);
	host[n] = '\0';
	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The listeners' rules, once every flag is known. */
static int check_listeners(const struct pn_config *cfg, bool listen_given, char *err, size_t errlen)
{
	const char *flag = cfg->insecure_listen ? "--insecure-listen" : "--listen";

	if (cfg->insecure_listen && listen_given) {
		snprintf(
			err, errlen,
			"--insecure-listen: replaces --listen (one TCP listener): give one of them");
		return -EINVAL;
	}
	if (cfg->tls && !cfg->listen[0]) {
		snprintf(err, errlen, "-tls: given with %s \"\" (no gRPC to secure)", flag);
		return -EINVAL;
	}
	if (cfg->listen[0] && !cfg->insecure_listen && !listen_is_loopback(cfg->listen) &&
	    !(cfg->tls && cfg->tls_ca_file)) {
		snprintf(err, errlen,
			 "--listen %s: not a loopback address: serving the API there needs mutual "
			 "TLS (-tls -tlscafile -tlscertfile -tlskeyfile), or --insecure-listen %s "
			 "to serve it without client certificates",
			 cfg->listen, cfg->listen);
		return -EINVAL;
	}
	if (cfg->authz_file && !(cfg->tls && cfg->tls_ca_file)) {
		snprintf(err, errlen,
			 "--authz-file: gives roles to client certificates: needs mutual TLS (-tls "
			 "-tlscafile)");
		return -EINVAL;
	}
	return 0;
}

int pn_options_parse(int argc, char **argv, struct pn_config *cfg, char *err, size_t errlen)
{
	struct flag_watch fw = { 0 };
	bool listen_given = false;
	int opt, e = 0;
	long v = 0; /* a flag that fails to parse leaves it unset, and unused */

	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_path = PN_API_DEFAULT_SOCKET;
	cfg->listen = PN_API_DEFAULT_LISTEN;
	cfg->max_watches = 1024;
	cfg->max_cgroups = PN_MAX_CGROUPS_DEFAULT;
	cfg->max_request_bytes = 4 << 20;
	cfg->stream_queue = 4096;
	/* docs/api.md "Streams and slow clients" gives the memory these imply */
	cfg->stream_queue_bytes = 4 << 20;
	cfg->streams_queue_total_bytes = 64 << 20;
	cfg->stream_cut_seconds = 10;
	cfg->max_streams = 256;
	cfg->max_streams_per_client = 16;
	e = argusd_flags(argc, argv, cfg);
	if (e) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	argv = cfg->args;
	cfg->output = PN_OUTPUT_TEXT;
	cfg->ringbuf_mb = 4;
	cfg->batch_us = 200;
	/*
	 * A descriptor kept open and written is seen again within a second, at a
	 * cost of at most one record a second per such file however fast it is
	 * written (docs/events.md "Coalescing").
	 */
	cfg->coalesce_ms = 1000;
	cfg->lookup_timeout_ms = PN_LOOKUPS_TIMEOUT_MS;
	cfg->nice = -10;
	cfg->backend = "auto";
	cfg->guard_backend = "auto";
	cfg->pin_path = "/sys/fs/bpf/panoptes";
	cfg->state_dir = "/var/lib/panoptes";
	cfg->cri_wait_ms = PN_CRI_WAIT_MS_DEFAULT;
	cfg->cri_resync_s = PN_CRI_RESYNC_S;
	cfg->metrics_listen = "0.0.0.0:2112";
	cfg->probe_listen = "";
	default_node(cfg->node, sizeof(cfg->node));

	opterr = 0;
	/* 0, not 1: glibc then also drops the state of a short-option cluster left half-read */
	optind = 0;
	/* optopt is not reset by getopt for long options: clear it before each call */
	while ((optopt = 0, opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			e = 1;
			goto out;
		case OPT_VERSION:
			printf("panoptesd %s\n", PN_VERSION);
			e = 1;
			goto out;
		case OPT_POLICY:
			e = push_str(&cfg->policy_files, &cfg->n_policy_files, optarg);
			break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "text") == 0) {
				cfg->output = PN_OUTPUT_TEXT;
			} else if (strcmp(optarg, "json") == 0) {
				cfg->output = PN_OUTPUT_JSON;
			} else {
				snprintf(err, errlen, "--output: expected text or json, got \"%s\"",
					 optarg);
				e = -EINVAL;
			}
			break;
		case OPT_NODE_NAME:
			if (!optarg[0]) {
				snprintf(err, errlen, "--node-name: empty name");
				e = -EINVAL;
				break;
			}
			if (pn_text_check_field("--node-name", optarg, err, errlen)) {
				e = -EINVAL;
				break;
			}
			snprintf(cfg->node, sizeof(cfg->node), "%s", optarg);
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "auto") && strcmp(optarg, "syscalls") &&
			    strcmp(optarg, "vfs")) {
				snprintf(err, errlen,
					 "--backend: expected auto, vfs or syscalls, got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->backend = optarg;
			break;
		case OPT_GUARD_BACKEND:
			if (strcmp(optarg, "auto") && strcmp(optarg, "lsm") &&
			    strcmp(optarg, "fanotify") && strcmp(optarg, "none")) {
				snprintf(
					err, errlen,
					"--guard-backend: expected auto, lsm, fanotify or none, got "
					"\"%s\"",
					optarg);
				e = -EINVAL;
				break;
			}
			cfg->guard_backend = optarg;
			break;
		case OPT_RINGBUF_MB:
			if (parse_long(optarg, 1, 1024, &v) || (v & (v - 1))) {
				snprintf(
					err, errlen,
					"--ringbuf-mb: expected a power of two from 1 to 1024, got "
					"\"%s\"",
					optarg);
				e = -EINVAL;
				break;
			}
			cfg->ringbuf_mb = (unsigned)v;
			break;
		case OPT_BATCH_US:
			if (parse_long(optarg, 0, 100000, &v)) {
				snprintf(err, errlen,
					 "--batch-us: expected 0 to 100000, got \"%s\"", optarg);
				e = -EINVAL;
				break;
			}
			cfg->batch_us = (unsigned)v;
			break;
		case OPT_COALESCE_MS:
			if (parse_long(optarg, 0, 60000, &v)) {
				snprintf(err, errlen,
					 "--coalesce-ms: expected 0 to 60000, got \"%s\"", optarg);
				e = -EINVAL;
				break;
			}
			cfg->coalesce_ms = (unsigned)v;
			break;
		case OPT_LOOKUP_TIMEOUT_MS:
			if (parse_long(optarg, 1, 10000, &v)) {
				snprintf(err, errlen,
					 "--lookup-timeout-ms: expected 1 to 10000, got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->lookup_timeout_ms = (unsigned)v;
			break;
		case OPT_NICE:
			if (parse_long(optarg, -20, 19, &v)) {
				snprintf(err, errlen, "--nice: expected -20 to 19, got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->nice = (int)v;
			break;
		case OPT_VERBOSE:
			cfg->verbose = true;
			break;
		case OPT_PIN_PATH:
			if (optarg[0] && optarg[0] != '/') {
				snprintf(
					err, errlen,
					"--pin-path: expected an absolute directory on bpffs or \"\", "
					"got \"%s\"",
					optarg);
				e = -EINVAL;
				break;
			}
			cfg->pin_path = optarg;
			break;
		case OPT_KEEP_ON_EXIT:
			cfg->keep_on_exit = true;
			break;
		case OPT_REMOVE_PINS:
			cfg->remove_pins = true;
			break;
		case OPT_STATE_DIR:
			if (optarg[0] && optarg[0] != '/') {
				snprintf(err, errlen,
					 "--state-dir: expected an absolute directory or \"\", got "
					 "\"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->state_dir = optarg;
			cfg->state_dir_set = true;
			break;
		case OPT_CRI_ENDPOINT: {
			char why[256];

			if (optarg[0] && pn_cri_endpoint_check(optarg, why, sizeof(why))) {
				snprintf(err, errlen, "--cri-endpoint: %s", why);
				e = -EINVAL;
				break;
			}
			cfg->cri_endpoint = optarg;
			break;
		}
		case OPT_CRI_RESYNC_S:
			if (parse_long(optarg, 1, 3600, &v)) {
				snprintf(err, errlen,
					 "--cri-resync-s: expected 1 to 3600, got \"%s\"", optarg);
				e = -EINVAL;
				break;
			}
			cfg->cri_resync_s = (unsigned)v;
			break;
		case OPT_EVENT_LABELS:
			cfg->event_labels = true;
			break;
		case OPT_EVENT_ANNOTATIONS:
			e = parse_annotation_keys(optarg, cfg, err, errlen);
			break;
		case OPT_LIFECYCLE:
			if (pn_lifecycle_output_parse(optarg, &cfg->lifecycle)) {
				snprintf(err, errlen,
					 "--lifecycle: expected kimager, json or none, got \"%s\"",
					 optarg);
				e = -EINVAL;
			}
			break;
		case OPT_CRI_WAIT_MS:
			if (parse_long(optarg, 0, 5000, &v)) {
				snprintf(err, errlen,
					 "--cri-wait-ms: expected 0 to 5000, got \"%s\"", optarg);
				e = -EINVAL;
				break;
			}
			cfg->cri_wait_ms = (unsigned)v;
			break;
		case OPT_METRICS_LISTEN:
			cfg->metrics_listen = optarg;
			break;
		case OPT_PROBE_LISTEN:
			if (optarg[0] && !strrchr(optarg, ':')) {
				snprintf(err, errlen,
					 "--probe-listen: expected HOST:PORT or \"\", got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->probe_listen = optarg;
			break;
		case OPT_LISTEN:
		case OPT_INSECURE_LISTEN:
			if (optarg[0] && !strrchr(optarg, ':')) {
				snprintf(err, errlen,
					 "--%s: expected HOST:PORT or \"\", got \"%s\"",
					 opt == OPT_LISTEN ? "listen" : "insecure-listen", optarg);
				e = -EINVAL;
				break;
			}
			cfg->listen = optarg;
			if (opt == OPT_LISTEN)
				listen_given = true;
			else
				cfg->insecure_listen = optarg[0] != '\0';
			break;
		case OPT_SOCKET:
			if (optarg[0] && optarg[0] != '/') {
				snprintf(err, errlen,
					 "--socket: expected an absolute path or \"\", got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->socket_path = optarg;
			break;
		case OPT_API_CGROUP_ROOT: {
			char norm[PATH_MAX];

			if (optarg[0] != '/' || pn_path_normalize(optarg, norm, sizeof(norm)) < 0) {
				snprintf(
					err, errlen,
					"--api-cgroup-root: expected a directory of the cgroup2 tree "
					"from its root (\"/kubepods.slice\", \"/\"), got \"%s\"",
					optarg);
				e = -EINVAL;
				break;
			}
			e = push_str(&cfg->api_cgroup_roots, &cfg->n_api_cgroup_roots, norm);
			break;
		}
		case OPT_AUTHZ_FILE:
			if (!optarg[0] || access(optarg, R_OK)) {
				snprintf(err, errlen, "--authz-file: cannot read \"%s\": %s",
					 optarg, optarg[0] ? strerror(errno) : "empty path");
				e = -EINVAL;
				break;
			}
			cfg->authz_file = optarg;
			break;
		case OPT_TLS:
			cfg->tls = true;
			break;
		case OPT_TLS_CA:
		case OPT_TLS_CERT:
		case OPT_TLS_KEY:
			if (!optarg[0] || access(optarg, R_OK)) {
				snprintf(err, errlen, "-%s: cannot read \"%s\": %s",
					 opt == OPT_TLS_CA   ? "tlscafile" :
					 opt == OPT_TLS_CERT ? "tlscertfile" :
							       "tlskeyfile",
					 optarg, optarg[0] ? strerror(errno) : "empty path");
				e = -EINVAL;
				break;
			}
			*(opt == OPT_TLS_CA   ? &cfg->tls_ca_file :
			  opt == OPT_TLS_CERT ? &cfg->tls_cert_file :
						&cfg->tls_key_file) = optarg;
			break;
		case OPT_MAX_WATCHES:
			if (parse_long(optarg, 1, 1000000, &v)) {
				snprintf(err, errlen,
					 "--max-watches: expected 1 to 1000000, got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->max_watches = (size_t)v;
			break;
		case OPT_MAX_CGROUPS:
			if (parse_long(optarg, 1, 1 << 20, &v)) {
				snprintf(err, errlen,
					 "--max-cgroups: expected 1 to 1048576, got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->max_cgroups = (unsigned)v;
			break;
		case OPT_MAX_REQUEST:
			if (parse_long(optarg, 1024, 1 << 30, &v)) {
				snprintf(
					err, errlen,
					"--max-request-bytes: expected 1024 to 1073741824, got \"%s\"",
					optarg);
				e = -EINVAL;
				break;
			}
			cfg->max_request_bytes = (size_t)v;
			break;
		case OPT_STREAM_QUEUE:
			if (parse_long(optarg, 1, 1 << 24, &v)) {
				snprintf(err, errlen,
					 "--stream-queue: expected 1 to 16777216, got \"%s\"",
					 optarg);
				e = -EINVAL;
				break;
			}
			cfg->stream_queue = (size_t)v;
			break;
		case OPT_STREAM_QUEUE_BYTES:
			e = num_flag("--stream-queue-bytes", optarg, 1024, 1L << 30, &v, err,
				     errlen);
			cfg->stream_queue_bytes = (size_t)v;
			break;
		case OPT_STREAMS_QUEUE_TOTAL:
			e = num_flag("--streams-queue-total-bytes", optarg, 1024, 1L << 32, &v, err,
				     errlen);
			cfg->streams_queue_total_bytes = (size_t)v;
			break;
		case OPT_STREAM_CUT:
			e = num_flag("--stream-cut-seconds", optarg, 0, 86400, &v, err, errlen);
			cfg->stream_cut_seconds = (unsigned)v;
			break;
		case OPT_MAX_STREAMS:
			e = num_flag("--max-streams", optarg, 1, 65536, &v, err, errlen);
			cfg->max_streams = (unsigned)v;
			break;
		case OPT_MAX_STREAMS_CLIENT:
			e = num_flag("--max-streams-per-client", optarg, 1, 65536, &v, err, errlen);
			cfg->max_streams_per_client = (unsigned)v;
			break;
		case ':':
			snprintf(err, errlen, "%s: missing value", argv[optind - 1]);
			e = -EINVAL;
			break;
		case '?':
			/* a short option: argv[optind - 1] may not be the word it came from */
			if (optopt)
				snprintf(err, errlen, "unknown option \"-%c\" (see --help)",
					 optopt);
			else
				snprintf(err, errlen, "unknown option \"%s\" (see --help)",
					 argv[optind - 1]);
			e = -EINVAL;
			break;
		default:
			e = handle_watch_flag(&fw, opt, optarg, err, errlen);
			if (e == -ENOMEM)
				snprintf(err, errlen, "out of memory");
			break;
		}
		if (e)
			goto out;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", argv[optind]);
		e = -EINVAL;
		goto out;
	}
	/* The node name goes into every message and line: from the environment too, it is text. */
	if (pn_text_check_field("node name (NODE_NAME or the host name; give --node-name)",
				cfg->node, err, errlen)) {
		e = -EINVAL;
		goto out;
	}
	e = finish_flag_watch(&fw, cfg, err, errlen);
	if (e)
		goto out;
	if (cfg->cri_endpoint && !cfg->cri_endpoint[0] &&
	    (cfg->lifecycle != PN_LC_OUTPUT_NONE || cfg->event_labels ||
	     cfg->n_event_annotations)) {
		snprintf(err, errlen,
			 "%s: needs the container runtime, and --cri-endpoint is \"\" (none)",
			 cfg->lifecycle != PN_LC_OUTPUT_NONE ? "--lifecycle" :
			 cfg->event_labels		     ? "--event-labels" :
							       "--event-annotations");
		e = -EINVAL;
		goto out;
	}
	/* the pods' part of the tree, with the systemd and the cgroupfs cgroup drivers */
	if (!cfg->n_api_cgroup_roots) {
		static const char *const pods[] = { PN_PODS_CGROUPS };

		for (size_t i = 0; i < ARRAY_SIZE(pods) && !e; i++)
			e = push_str(&cfg->api_cgroup_roots, &cfg->n_api_cgroup_roots, pods[i]);
		if (e) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if (!cfg->flag_watch.watch && !cfg->n_policy_files && !cfg->listen[0] &&
	    !cfg->socket_path[0]) {
		snprintf(
			err, errlen,
			"nothing to watch and no gRPC API (--listen \"\" --socket \"\"): give --policy "
			"FILE, or --watch-pid/--watch-cgroup/--watch-container with --path (see "
			"--help)");
		e = -EINVAL;
		goto out;
	}
	if (cfg->tls && (!cfg->tls_cert_file || !cfg->tls_key_file)) {
		snprintf(err, errlen, "-tls: needs -tlscertfile FILE and -tlskeyfile FILE");
		e = -EINVAL;
		goto out;
	}
	if (!cfg->tls && (cfg->tls_ca_file || cfg->tls_cert_file || cfg->tls_key_file)) {
		snprintf(err, errlen, "-%s: given without -tls",
			 cfg->tls_ca_file   ? "tlscafile" :
			 cfg->tls_cert_file ? "tlscertfile" :
					      "tlskeyfile");
		e = -EINVAL;
		goto out;
	}
	if ((cfg->keep_on_exit || cfg->remove_pins) && !cfg->pin_path[0]) {
		snprintf(err, errlen,
			 "--%s: given with --pin-path \"\" (the pins are what keeps the programs "
			 "running between two agents)",
			 cfg->keep_on_exit ? "keep-on-exit" : "remove-pins");
		e = -EINVAL;
		goto out;
	}
	e = check_listeners(cfg, listen_given, err, errlen);
out:
	flag_watch_clear(&fw);
	if (e < 0)
		pn_config_clear(cfg);
	return e;
}

void pn_config_clear(struct pn_config *cfg)
{
	for (size_t i = 0; i < cfg->n_policy_files; i++)
		free(cfg->policy_files[i]);
	free(cfg->policy_files);
	cfg->policy_files = NULL;
	cfg->n_policy_files = 0;
	pn_watch_free(cfg->flag_watch.watch);
	pn_targets_clear(&cfg->flag_watch.targets);
	memset(&cfg->flag_watch, 0, sizeof(cfg->flag_watch));
	for (size_t i = 0; i < cfg->n_api_cgroup_roots; i++)
		free(cfg->api_cgroup_roots[i]);
	free(cfg->api_cgroup_roots);
	cfg->api_cgroup_roots = NULL;
	cfg->n_api_cgroup_roots = 0;
	for (size_t i = 0; i < cfg->n_event_annotations; i++)
		free(cfg->event_annotations[i]);
	free(cfg->event_annotations);
	cfg->event_annotations = NULL;
	cfg->n_event_annotations = 0;
	for (size_t i = 0; cfg->args && i < cfg->n_args; i++)
		free(cfg->args[i]);
	free(cfg->args);
	cfg->args = NULL;
	cfg->n_args = 0;
}
