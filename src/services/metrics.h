/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prometheus text exposition, /healthz and /readyz over HTTP (libmicrohttpd,
 * a thread per listener). Reads the kernel counters, the registry and the
 * consumer's figures; never blocks the ring buffer consumer beyond the
 * registry lock.
 */
#ifndef PN_METRICS_H
#define PN_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "capture.h"
#include "consumer.h"
#include "cri.h"
#include "guards.h"
#include "registry.h"

struct pn_metrics_source {
	struct pn_capture *capture;
	struct pn_registry *registry;
	const struct pn_consumer *consumer;
	const char *version;
	/* The gRPC server's figures, when it runs (it sits above this layer). */
	unsigned (*grpc_streams)(void *ctx);
	unsigned long long (*grpc_stream_drops)(void *ctx);
	unsigned long long (*grpc_stream_cuts)(void *ctx);
	unsigned long long (*grpc_streams_refused)(void *ctx);
	unsigned long long (*grpc_stream_queue_bytes)(void *ctx);
	bool grpc_insecure_listen; /* --insecure-listen: clients without certificates admitted */
	void *grpc_ctx;
	/* SIGHUP's reloads of the policy files, done and refused; NULL: not exported */
	const _Atomic unsigned long long *policy_reloads, *policy_reload_failures;
	struct pn_cri *cri;	  /* NULL: --cri-endpoint "", nothing exported */
	struct pn_guards *guards; /* NULL: this node cannot enforce guards, nothing exported */
};

struct pn_metrics;

/*
 * Listens on "HOST:PORT" ("[::]:PORT" for IPv6): /metrics, /healthz and
 * /readyz on metrics_listen; /healthz and /readyz alone on probe_listen, a
 * daemon and thread of its own that slow scrapers of /metrics cannot hold
 * up. Either may be "". Errors name the flag.
 */
int pn_metrics_start(struct pn_metrics **out, const char *metrics_listen, const char *probe_listen,
		     const struct pn_metrics_source *src, char *err, size_t errlen);
void pn_metrics_set_ready(struct pn_metrics *m, bool ready);
void pn_metrics_stop(struct pn_metrics *m);

/* The exposition text (malloc'ed, *len bytes); exposed for tests and the server. */
char *pn_metrics_render(const struct pn_metrics_source *src, size_t *len);

#endif
