/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gRPC server on gRPC C core: one completion queue drained by one
 * thread, registered methods, unary and server-streaming calls. Services
 * (argus.c, native.c, health.c) describe their methods in tables; the
 * transport (server.c, stream.c, tls.c) owns every grpc_call and its
 * lifetime.
 *
 * Streams never let a client slow the agent: each has a bounded queue that
 * the ring buffer consumer fills without waiting; when it is full, messages
 * for that stream are dropped and counted.
 */
#ifndef PN_RPC_SERVER_H
#define PN_RPC_SERVER_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "consumer.h"
#include "format.h"
#include "registry.h"
#include "rules.h"

struct pn_rpc_opts {
	const char *listen; /* HOST:PORT */
	const char *node;
	const char *version;
	bool tls;
	const char *tls_ca_file; /* with tls: require client certificates signed by it */
	const char *tls_cert_file;
	const char *tls_key_file;
	size_t max_request_bytes;
	size_t stream_queue; /* messages per stream */
	struct pn_registry *registry;
	struct pn_capture *capture;
	struct pn_consumer *consumer;
};

struct pn_rpc;
struct pn_rpc_stream;

/* Binds, starts the completion queue thread. On error one line in err. */
int pn_rpc_start(struct pn_rpc **out, const struct pn_rpc_opts *opts, char *err, size_t errlen);
/* The address actually bound (port 0 resolved). */
const char *pn_rpc_address(const struct pn_rpc *rpc);
/* Health: SERVING once the kernel side is attached, NOT_SERVING while stopping. */
void pn_rpc_set_serving(struct pn_rpc *rpc, bool serving);
/*
 * Graceful stop: NOT_SERVING, no new calls, open streams finished, calls
 * still running after a grace period cancelled, queue drained, all freed.
 * NULL-safe.
 */
void pn_rpc_stop(struct pn_rpc *rpc);

/* For the consumer: one matched event, to every stream that wants it. Never blocks. */
void pn_rpc_publish(struct pn_rpc *rpc, const struct pn_event *ev, const struct pn_match *m,
		    const struct pn_format_ctx *fctx);

/* Figures for GetStatus and /metrics. */
unsigned pn_rpc_stream_count(struct pn_rpc *rpc);
uint64_t pn_rpc_stream_drops(struct pn_rpc *rpc);

/* ---------------------------------------------------------------- for services */

/* What an event stream subscribes to. */
enum pn_rpc_feed {
	PN_FEED_NONE,	 /* a finite stream (GetWatchState) */
	PN_FEED_METRICS, /* argus RecordMetrics */
	PN_FEED_EVENTS,	 /* panoptes.v1 StreamEvents */
	PN_FEED_HEALTH,	 /* grpc.health.v1 Watch */
};

/* StreamEvents filters, owned by the stream once subscribed. */
struct pn_event_filter {
	char **watches;
	size_t n_watches;
	uint32_t events;   /* PN_* bits; 0 = any */
	char *path_prefix; /* normalized; NULL = any */
};

struct pn_rpc_method {
	const char *path; /* "/package.Service/Method" */
	const ProtobufCMessageDescriptor *request;
	/*
	 * Unary: return a status; on OK set *resp to a heap message the server
	 * frees with protobuf_c_message_free_unpacked(). msg: the status message.
	 */
	grpc_status_code (*unary)(struct pn_rpc *rpc, const ProtobufCMessage *req,
				  ProtobufCMessage **resp, char *msg, size_t msglen);
	/*
	 * Server streaming: send with pn_rpc_stream_send(), then either finish
	 * or subscribe. The server holds its own references; the handler's end
	 * when it returns.
	 */
	void (*stream)(struct pn_rpc *rpc, struct pn_rpc_stream *s, const ProtobufCMessage *req);
};

/* Service tables (argus.c, native.c, health.c), ended by a zeroed entry. */
extern const struct pn_rpc_method pn_argus_methods[];
extern const struct pn_rpc_method pn_agent_methods[];
extern const struct pn_rpc_method pn_health_methods[];
/* argus.c keeps aliases of its watches (pids of cid-only watches); freed at stop. */
void pn_argus_forget_all(void);

/* What the services read. */
const struct pn_rpc_opts *pn_rpc_opts(const struct pn_rpc *rpc);
uint64_t pn_rpc_uptime_s(const struct pn_rpc *rpc);
bool pn_rpc_serving(const struct pn_rpc *rpc);

/*
 * Queues one message. `bounded`: obey the stream's queue limit (drop and
 * count when full); otherwise always queue (finite replies such as
 * GetWatchState). 0, -ENOMEM, or -EPIPE if the stream is over.
 */
int pn_rpc_stream_send(struct pn_rpc_stream *s, const ProtobufCMessage *msg, bool bounded);
/* Ends the stream with a status once everything queued is sent. */
void pn_rpc_stream_finish(struct pn_rpc_stream *s, grpc_status_code code, const char *msg);
/*
 * Keeps the stream open for a feed until the client leaves or the server
 * stops. The stream takes `filter` (events) or `service` (health) over.
 */
void pn_rpc_stream_subscribe(struct pn_rpc_stream *s, enum pn_rpc_feed feed,
			     struct pn_event_filter *filter, char *service);

void pn_event_filter_clear(struct pn_event_filter *f);

/* Health answer for a service name: 1 SERVING, 2 NOT_SERVING, -1 unknown service. */
int pn_rpc_health_of(const struct pn_rpc *rpc, const char *service);

#endif
