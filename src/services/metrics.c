// SPDX-License-Identifier: GPL-2.0-only
#include "metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "events.h"
#include "log.h"
#include "text.h"

struct pn_metrics {
	struct MHD_Daemon *httpd;  /* --metrics-listen */
	struct MHD_Daemon *probes; /* --probe-listen: its own thread and limits */
	struct pn_metrics_source src;
	atomic_bool ready; /* set by the main thread, read by libmicrohttpd's */
};

/*
 * Label values: backslash, double quote and newline escaped, as the format
 * requires, and a value that is not UTF-8 (which the format forbids) in the
 * escaped form of the gRPC API's names (pn_utf8_escape_dup), so that no
 * value can make a scraper refuse the page. Names from clients are UTF-8
 * already (pn_text_check); this keeps the page valid whatever they hold.
 */
static void label_value(FILE *f, const char *s)
{
	bool oom = false;
	char *esc = pn_utf8_escape_dup(s, strlen(s), &oom);
	const char *p = esc ? esc : oom ? "?" : s;

	for (; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*p, f);
	}
	free(esc);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(FILE *f, const char *name, const char *help, unsigned long long v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, v);
}

static void gauge(FILE *f, const char *name, const char *help, unsigned long long v)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s %llu\n", name, v);
}

static void watch_events(const char *name, const uint64_t *counts, void *arg)
{
	FILE *f = arg;

	for (unsigned i = 0; i < PN_EVENT_KINDS; i++) {
		fputs("panoptes_events_total{watch=\"", f);
		label_value(f, name);
		fprintf(f, "\",event=\"%s\"} %llu\n", pn_event_bit_name(1u << i),
			(unsigned long long)counts[i]);
	}
}

char *pn_metrics_render(const struct pn_metrics_source *src, size_t *len)
{
	struct pn_counters k;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	pn_capture_counters(src->capture, &k);

	family(f, "panoptes_events_total", "counter", "Events reported, by watch and event type.");
	pn_registry_foreach_watch(src->registry, watch_events, f);

#define KERNEL_COUNTER(name, metric, help) counter(f, metric, help, k.name);
	PN_COUNTERS(KERNEL_COUNTER)
#undef KERNEL_COUNTER
	counter(f, "panoptes_records_total", "Records received from the ring buffer.",
		atomic_load_explicit(&src->consumer->records, memory_order_relaxed));
	counter(f, "panoptes_records_malformed_total", "Records that failed validation.",
		atomic_load_explicit(&src->consumer->malformed, memory_order_relaxed));
	counter(f, "panoptes_events_written_total", "Events matched and written.",
		atomic_load_explicit(&src->consumer->matched, memory_order_relaxed));
	counter(f, "panoptes_events_dropped_total",
		"Events matched but not written: no memory for the line.",
		atomic_load_explicit(&src->consumer->dropped, memory_order_relaxed));
	counter(f, "panoptes_events_unnamed_total",
		"Events a watch's selector could not decide: the container runtime had not named "
		"their container (docs/policy.md, selectors).",
		atomic_load_explicit(&src->consumer->unnamed, memory_order_relaxed));
	{
		uint64_t made;
		size_t now;

		pn_registry_exclusions(src->registry, &now, &made);
		gauge(f, "panoptes_selector_excluded_cgroups",
		      "Cgroups stopped at the kernel's gate: every selector watch covering them "
		      "refused their container.",
		      now);
		counter(f, "panoptes_selector_exclusions_total",
			"Cgroups ever stopped at the kernel's gate for the selectors (cleared at "
			"every change of the watches, decided again).",
			made);
	}
	counter(f, "panoptes_events_identity_incomplete_total",
		"Events written without the container runtime's names though a runtime was there: "
		"not answered within --cri-wait-ms, or not answering.",
		atomic_load_explicit(&src->consumer->incomplete, memory_order_relaxed));
	counter(f, "panoptes_name_lookups_timed_out_total",
		"Name lookups in a container's filesystem not answered within --lookup-timeout-ms.",
		atomic_load_explicit(&src->consumer->lookups.timed_out, memory_order_relaxed));
	counter(f, "panoptes_name_lookups_skipped_total",
		"Name lookups not tried: lookups stuck, or their time for this second spent.",
		atomic_load_explicit(&src->consumer->lookups.skipped, memory_order_relaxed));
	if (src->policy_reloads && src->policy_reload_failures) {
		counter(f, "panoptes_policy_reloads_total",
			"Reloads of the policy files (SIGHUP) that installed them.",
			atomic_load_explicit(src->policy_reloads, memory_order_relaxed));
		counter(f, "panoptes_policy_reload_failures_total",
			"Reloads of the policy files (SIGHUP) refused: the old policy was kept.",
			atomic_load_explicit(src->policy_reload_failures, memory_order_relaxed));
	}
	if (src->guards) {
		struct pn_guards_stats gs;

		pn_guards_stats(src->guards, &gs);
		gauge(f, "panoptes_guards", "Guards installed (janus.Janusd).", gs.guards);
		family(f, "panoptes_guard_mechanism", "gauge",
		       "What enforces the guards: lsm (BPF LSM, in the kernel) or fanotify.");
		fprintf(f, "panoptes_guard_mechanism{mechanism=\"%s\"} 1\n", gs.mechanism);
		gauge(f, "panoptes_guard_marks",
		      "Objects guarded: fanotify marks, or the kernel's rules (one per cgroup and "
		      "object) with lsm.",
		      gs.marks);
		family(f, "panoptes_guard_decisions_total", "counter",
		       "Opens and reads of a guard's paths, by the guard's answer.");
		fprintf(f, "panoptes_guard_decisions_total{response=\"allow\"} %llu\n",
			(unsigned long long)gs.allowed);
		fprintf(f, "panoptes_guard_decisions_total{response=\"deny\"} %llu\n",
			(unsigned long long)gs.denied);
		counter(f, "panoptes_guard_passed_total",
			"Permission events no guard decides (fanotify: another cgroup, a path not "
			"named; lsm: a guarded cgroup's path not named): allowed, not logged.",
			gs.passed);
		counter(f, "panoptes_guard_unresolved_total",
			"Objects below a denied directory whose directory could not be told: "
			"denied (fail closed).",
			gs.unresolved);
		counter(f, "panoptes_guard_lines_dropped_total",
			"Decision lines lost because their queue (4,096) or the kernel's buffer "
			"(lsm) was full: the decisions themselves were made and counted.",
			gs.lines_dropped);
	}
	if (src->cri) {
		struct pn_cri_stats cs;

		pn_cri_stats(src->cri, &cs);
		gauge(f, "panoptes_cri_connected",
		      "1 while the container runtime answers (pods and images on events), else 0.",
		      cs.connected);
		gauge(f, "panoptes_cri_containers", "Containers the runtime has named.",
		      cs.containers);
		gauge(f, "panoptes_cri_images",
		      "Distinct images of them (normalized references): what runs on this node.",
		      cs.images);
		counter(f, "panoptes_cri_lookups_total",
			"Containers asked of the runtime for their first event.", cs.lookups);
		counter(f, "panoptes_cri_lookups_late_total",
			"Of them, not answered within --cri-wait-ms: the first events went without.",
			cs.late);
		counter(f, "panoptes_cri_lookups_unknown_total", "Of them, unknown to the runtime.",
			cs.unknown);
		counter(f, "panoptes_cri_failures_total", "Calls to the runtime that failed.",
			cs.failures);
		counter(f, "panoptes_cri_cgroups_made_total",
			"Containers asked about as the kernel said their cgroup was made.",
			cs.cgroups_made);
		counter(f, "panoptes_cri_cgroups_removed_total",
			"Containers let go (stopped) as the kernel said their cgroup was removed.",
			cs.cgroups_removed);
	}
	gauge(f, "panoptes_watches", "Watches installed.", pn_registry_watch_count(src->registry));
	gauge(f, "panoptes_watched_cgroups", "Cgroups watched in the kernel.",
	      pn_registry_cgroup_count(src->registry));
	if (src->grpc_streams) {
		gauge(f, "panoptes_grpc_streams",
		      "Open gRPC streams (RecordMetrics, StreamEvents, Health.Watch).",
		      src->grpc_streams(src->grpc_ctx));
		counter(f, "panoptes_grpc_stream_drops_total",
			"Stream messages dropped because a client read too slowly.",
			src->grpc_stream_drops(src->grpc_ctx));
		counter(f, "panoptes_grpc_streams_cut_total",
			"Streams cut with RESOURCE_EXHAUSTED: their queue stayed full and their "
			"client took nothing for --stream-cut-seconds.",
			src->grpc_stream_cuts(src->grpc_ctx));
		counter(f, "panoptes_grpc_streams_refused_total",
			"Streams refused with RESOURCE_EXHAUSTED at --max-streams or "
			"--max-streams-per-client.",
			src->grpc_streams_refused(src->grpc_ctx));
		gauge(f, "panoptes_grpc_stream_queue_bytes",
		      "Bytes queued on every stream (a message shared by streams counts for "
		      "each).",
		      src->grpc_stream_queue_bytes(src->grpc_ctx));
		gauge(f, "panoptes_grpc_insecure_listen",
		      "1 if --insecure-listen serves the API without client certificates.",
		      src->grpc_insecure_listen ? 1 : 0);
	}

	family(f, "panoptes_backend_info", "gauge",
	       "The kernel backend in use, and its path walk (full: up to PATH_MAX; bounded: "
	       "kernels without bpf_loop).");
	fprintf(f, "panoptes_backend_info{backend=\"%s\",path_walk=\"%s\"} 1\n",
		pn_capture_backend(src->capture), pn_capture_path_walk(src->capture));
	{
		const struct pn_capture_handover *ho = pn_capture_handover(src->capture);

		gauge(f, "panoptes_handover_adopted",
		      "1 if this agent adopted the pinned programs of the one before it (no gap).",
		      ho->adopted ? 1 : 0);
		gauge(f, "panoptes_handover_gap_seconds",
		      "Seconds between the last sign of life of the agent before and this one's "
		      "adoption; 0 without one.",
		      (unsigned long long)(ho->away_ns / 1000000000ULL));
		gauge(f, "panoptes_handover_dropped_records",
		      "Records the kernel dropped (ring buffer full) while no agent read them, "
		      "before this one adopted the pins.",
		      (unsigned long long)ho->dropped);
	}
	family(f, "panoptes_build_info", "gauge", "Version of panoptesd.");
	fprintf(f, "panoptes_build_info{version=\"%s\"} 1\n", src->version);

	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* /healthz and /readyz: no lock taken, whatever the rest of the agent is doing. */
static enum MHD_Result probe_reply(struct pn_metrics *m, struct MHD_Connection *conn,
				   const char *url)
{
	static char ok[] = "ok\n", not_ready[] = "not ready\n", not_found[] = "not found\n";

	if (!strcmp(url, "/healthz"))
		return reply(conn, MHD_HTTP_OK, "text/plain", ok, strlen(ok),
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/readyz")) {
		if (atomic_load_explicit(&m->ready, memory_order_acquire))
			return reply(conn, MHD_HTTP_OK, "text/plain", ok, strlen(ok),
				     MHD_RESPMEM_PERSISTENT);
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", not_ready,
			     strlen(not_ready), MHD_RESPMEM_PERSISTENT);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
		     MHD_RESPMEM_PERSISTENT);
}

static bool method_allowed(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

static enum MHD_Result bad_method(struct MHD_Connection *conn)
{
	static char msg[] = "method not allowed\n";

	return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", msg, strlen(msg),
		     MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result handle_metrics(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct pn_metrics *m = cls;

	(void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
	if (!method_allowed(method))
		return bad_method(conn);
	if (!strcmp(url, "/metrics")) {
		size_t len = 0;
		char *body = pn_metrics_render(&m->src, &len);

		if (!body)
			return MHD_NO;
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
			     len, MHD_RESPMEM_MUST_FREE);
	}
	return probe_reply(m, conn, url);
}

static enum MHD_Result handle_probes(void *cls, struct MHD_Connection *conn, const char *url,
				     const char *method, const char *version,
				     const char *upload_data, size_t *upload_data_size,
				     void **con_cls)
{
	(void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
	if (!method_allowed(method))
		return bad_method(conn);
	return probe_reply(cls, conn, url);
}

/*
 * libmicrohttpd's messages: mostly connections refused at a limit, which a
 * client causes at will, so limited like every refusal.
 */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static struct pn_log_limit limit;
	const char *flag = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	pn_info_limited(&limit, "%s: %s", flag, msg);
}

static int parse_listen(const char *flag, const char *listen, struct addrinfo **ai, char *err,
			size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST,
				  .ai_socktype = SOCK_STREAM };
	char host[256], port[16];
	const char *colon = strrchr(listen, ':');
	size_t hlen;
	int e;

	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(port)) {
		snprintf(err, errlen, "%s: expected HOST:PORT, got \"%s\"", flag, listen);
		return -EINVAL;
	}
	hlen = colon - listen;
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		listen++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "%s: host too long in \"%s\"", flag, listen);
		return -EINVAL;
	}
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	e = getaddrinfo(hlen ? host : NULL, port, &hints, ai);
	if (e) {
		snprintf(err, errlen, "%s: \"%s\": %s (a numeric address is expected)", flag,
			 listen, gai_strerror(e));
		return -EINVAL;
	}
	return 0;
}

/*
 * One listener's bounds. Connections from one address beyond per_ip are
 * closed at once, so a scraper (or an attacker) at one address cannot take
 * every slot; a connection idle for idle_s seconds (a header never
 * finished) is closed. docs/operations.md, "Metrics and probes", states
 * them and the memory they imply.
 */
struct listener {
	const char *flag;
	MHD_AccessHandlerCallback handler;
	unsigned total, per_ip, idle_s;
	size_t conn_memory; /* libmicrohttpd's per-connection pool */
};

/* Prometheus (one connection per scrape, kept alive) and people with curl. */
static const struct listener metrics_listener = {
	.flag = "--metrics-listen",
	.handler = handle_metrics,
	.total = 64,
	.per_ip = 8,
	.idle_s = 5,
	.conn_memory = 32 * 1024,
};

/*
 * The kubelet: a new connection per probe, a request of a few hundred
 * bytes. Many slots, each small, and a short idle time: holding them all
 * takes total / per_ip addresses each keeping its connections busy.
 */
static const struct listener probe_listener = {
	.flag = "--probe-listen",
	.handler = handle_probes,
	.total = 512,
	.per_ip = 4,
	.idle_s = 2,
	.conn_memory = 8 * 1024,
};

static int listen_on(struct pn_metrics *m, const struct listener *l, const char *addr,
		     struct MHD_Daemon **out, char *err, size_t errlen)
{
	/* epoll: the total is not bounded by select()'s FD_SETSIZE */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct addrinfo *ai = NULL;
	int e;

	e = parse_listen(l->flag, addr, &ai, err, errlen);
	if (e)
		return e;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	*out = MHD_start_daemon(flags, 0, NULL, NULL, l->handler, m, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, (void *)l->flag, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				MHD_OPTION_CONNECTION_LIMIT, l->total,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, l->idle_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, l->conn_memory, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!*out) {
		snprintf(err, errlen,
			 "%s %s: cannot listen (address in use or not local?); use %s \"\" to run "
			 "without it",
			 l->flag, addr, l->flag);
		return -EADDRINUSE;
	}
	return 0;
}

int pn_metrics_start(struct pn_metrics **out, const char *metrics_listen, const char *probe_listen,
		     const struct pn_metrics_source *src, char *err, size_t errlen)
{
	struct pn_metrics *m;
	int e = 0;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->src = *src;
	if (metrics_listen[0])
		e = listen_on(m, &metrics_listener, metrics_listen, &m->httpd, err, errlen);
	if (!e && probe_listen[0])
		e = listen_on(m, &probe_listener, probe_listen, &m->probes, err, errlen);
	if (e) {
		pn_metrics_stop(m);
		return e;
	}
	*out = m;
	return 0;
}

void pn_metrics_set_ready(struct pn_metrics *m, bool ready)
{
	if (m)
		atomic_store_explicit(&m->ready, ready, memory_order_release);
}

void pn_metrics_stop(struct pn_metrics *m)
{
	if (!m)
		return;
	if (m->probes)
		MHD_stop_daemon(m->probes);
	if (m->httpd)
		MHD_stop_daemon(m->httpd);
	free(m);
}
