// SPDX-License-Identifier: GPL-2.0-only
#include "metrics.h"

#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "events.h"
#include "text.h"

struct pn_metrics {
	struct MHD_Daemon *httpd;
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

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct pn_metrics *m = cls;
	static char ok[] = "ok\n", not_ready[] = "not ready\n", not_found[] = "not found\n",
		    bad_method[] = "method not allowed\n";

	(void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     strlen(bad_method), MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics")) {
		size_t len = 0;
		char *body = pn_metrics_render(&m->src, &len);

		if (!body)
			return MHD_NO;
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
			     len, MHD_RESPMEM_MUST_FREE);
	}
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

static int parse_listen(const char *listen, struct addrinfo **ai, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST,
				  .ai_socktype = SOCK_STREAM };
	char host[256], port[16];
	const char *colon = strrchr(listen, ':');
	size_t hlen;
	int e;

	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(port)) {
		snprintf(err, errlen, "--metrics-listen: expected HOST:PORT, got \"%s\"", listen);
		return -EINVAL;
	}
	hlen = colon - listen;
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		listen++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "--metrics-listen: host too long in \"%s\"", listen);
		return -EINVAL;
	}
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	e = getaddrinfo(hlen ? host : NULL, port, &hints, ai);
	if (e) {
		snprintf(err, errlen,
			 "--metrics-listen: \"%s\": %s (a numeric address is expected)", listen,
			 gai_strerror(e));
		return -EINVAL;
	}
	return 0;
}

int pn_metrics_start(struct pn_metrics **out, const char *listen,
		     const struct pn_metrics_source *src, char *err, size_t errlen)
{
	struct addrinfo *ai = NULL;
	struct pn_metrics *m;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int e;

	*out = NULL;
	e = parse_listen(listen, &ai, err, errlen);
	if (e)
		return e;
	m = calloc(1, sizeof(*m));
	if (!m) {
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	m->src = *src;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->httpd = MHD_start_daemon(flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR,
				    ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!m->httpd) {
		snprintf(err, errlen,
			 "--metrics-listen %s: cannot listen (address in use or not local?); use "
			 "--metrics-listen \"\" to run without metrics",
			 listen);
		free(m);
		return -EADDRINUSE;
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
	MHD_stop_daemon(m->httpd);
	free(m);
}
