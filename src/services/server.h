/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gRPC transport on gRPC C core: one completion queue drained by one
 * thread, registered methods, unary and server-streaming calls, TLS. It
 * knows services only as rows (struct pn_rpc_service) that the composition
 * root hands to pn_rpc_start(), as bpftool knows its subcommands: a name,
 * a method table, the feeds its streams may subscribe to, and a stop hook.
 * The transport owns every grpc_call and its lifetime; a service owns its
 * context.
 *
 * Streams never let a client slow the agent: each has a queue bounded in
 * messages and bytes, and all of them together in bytes, that the ring
 * buffer consumer fills without waiting; when a bound is reached, messages
 * for that stream are dropped and counted, and a stream whose client takes
 * nothing for a while after its own queue filled is cut with
 * RESOURCE_EXHAUSTED. Open streams are bounded per client and in total.
 */
#ifndef PN_RPC_SERVER_H
#define PN_RPC_SERVER_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"
#include "format.h"
#include "rules.h"

struct pn_rpc;
struct pn_rpc_stream;

/* ---------------------------------------------------------------- a service's row */

/*
 * The role (authz.h) a method needs of its caller, checked by the transport
 * before the request is decoded. The zero value is the strictest.
 */
enum pn_rpc_access {
	PN_RPC_MANAGE = 0, /* changes watches */
	PN_RPC_READ,	   /* reads watches, status or events */
	PN_RPC_OPEN,	   /* anyone connected: health */
};

struct pn_rpc_method {
	const char *path; /* "/package.Service/Method" */
	const ProtobufCMessageDescriptor *request;
	enum pn_rpc_access access;
	/* The largest request it takes (bounds.h), under --max-request-bytes; 0: that ceiling. */
	size_t max_request_bytes;
	/*
	 * Unary: return a status; on OK set *resp to a heap message the server
	 * frees with protobuf_c_message_free_unpacked(). msg: the status message.
	 * ctx: the service's context (its row's ctx); who: the caller.
	 */
	grpc_status_code (*unary)(struct pn_rpc *rpc, void *ctx, const struct pn_authz_caller *who,
				  const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg,
				  size_t msglen);
	/*
	 * Server streaming: send with pn_rpc_stream_send(), then either finish
	 * or subscribe. The server holds its own references; the handler's end
	 * when it returns.
	 */
	void (*stream)(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
		       const ProtobufCMessage *req);
};

/*
 * What a subscribed stream receives after its handler returned, besides
 * the status that ends it. Every hook is optional; ctx is the service's.
 */
struct pn_rpc_feed {
	const char *name; /* for the log; NULL ends a table */
	/*
	 * A matched event as this feed's message, or NULL for none. Called on
	 * the consumer thread at most once per event, whatever the number of
	 * streams: every stream on the feed shares the serialization.
	 */
	grpc_byte_buffer *(*build)(void *ctx, const struct pn_event *ev, const struct pn_match *m,
				   const struct pn_format_ctx *fctx);
	/* Whether this stream wants the event, by what it subscribed with (sub). */
	bool (*pass)(const void *sub, const struct pn_match *m);
	/* The server's serving state changed: tell this stream. */
	void (*serving)(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s, const void *sub);
	/* Frees what a stream subscribed with, when the stream ends. */
	void (*free_sub)(void *sub);
};

struct pn_rpc_service {
	const char *name;		     /* "package.Service", the full gRPC name */
	const struct pn_rpc_method *methods; /* ended by a zeroed entry */
	const struct pn_rpc_feed *feeds;     /* ended by a zeroed entry; NULL: none */
	void *ctx;			     /* handed to every method and feed hook */
	void (*stop)(void *ctx);	     /* frees ctx once no call can reach it; NULL-safe */
};

/* ---------------------------------------------------------------- for the composition root */

struct pn_rpc_opts {
	const char *socket_path; /* the local unix socket, mode 0600; "" = none */
	const char *listen;	 /* TCP HOST:PORT; "" = none */
	/* The operator let listen serve clients without certificates beyond loopback. */
	bool insecure_listen;
	/* Roles of client certificates (borrowed; NULL: every verified client manages). */
	const struct pn_authz *authz;
	bool tls;
	const char *tls_ca_file; /* with tls: require client certificates signed by it */
	const char *tls_cert_file;
	const char *tls_key_file;
	size_t max_request_bytes;
	/* Stream bounds (docs/api.md "Streams and slow clients"); 0 = none. */
	size_t stream_queue;		  /* messages queued per stream */
	size_t stream_queue_bytes;	  /* bytes queued per stream */
	size_t streams_queue_total_bytes; /* bytes queued on every stream together */
	unsigned stream_cut_seconds; /* a full queue whose client takes nothing this long: cut */
	unsigned max_streams;	     /* open server-streaming calls */
	unsigned max_streams_per_client;
};

/*
 * Registers the services (the rows are copied), binds, starts the
 * completion queue thread. The server takes the services' contexts over
 * even when it fails: their stop hooks run in pn_rpc_stop(), or before an
 * error returns. On error one line in err.
 */
int pn_rpc_start(struct pn_rpc **out, const struct pn_rpc_opts *opts,
		 const struct pn_rpc_service *services, size_t n_services, char *err,
		 size_t errlen);
/* The listeners, for the log: "unix:PATH, HOST:PORT" (port 0 resolved). */
const char *pn_rpc_address(const struct pn_rpc *rpc);
/* SERVING once the kernel side is attached, NOT_SERVING while stopping. NULL-safe. */
void pn_rpc_set_serving(struct pn_rpc *rpc, bool serving);
/*
 * Graceful stop: NOT_SERVING, no new calls, open streams finished, calls
 * still running after a grace period cancelled, queue drained, the
 * services stopped, all freed. NULL-safe.
 */
void pn_rpc_stop(struct pn_rpc *rpc);

/* For the consumer: one matched event, to every stream that wants it. Never blocks. */
void pn_rpc_publish(struct pn_rpc *rpc, const struct pn_event *ev, const struct pn_match *m,
		    const struct pn_format_ctx *fctx);
/*
 * One message to every stream subscribed to `feed` (a feed that is not fed
 * events: its build is NULL), serialized once, within the queue bounds.
 * Any thread; never blocks. NULL rpc is fine.
 */
void pn_rpc_publish_message(struct pn_rpc *rpc, const struct pn_rpc_feed *feed,
			    const ProtobufCMessage *msg);

/* ---------------------------------------------------------------- for services */

/* Streams subscribed to a feed, and the messages dropped because their queue was full. */
unsigned pn_rpc_stream_count(struct pn_rpc *rpc);
uint64_t pn_rpc_stream_drops(struct pn_rpc *rpc);
/* Streams cut for not reading; refused at an open-streams bound; bytes queued now. */
uint64_t pn_rpc_stream_cuts(struct pn_rpc *rpc);
uint64_t pn_rpc_streams_refused(struct pn_rpc *rpc);
uint64_t pn_rpc_stream_queue_bytes(struct pn_rpc *rpc);

/*
 * The client a stream is counted against (--max-streams-per-client): its
 * verified certificate's name; else every client of the unix socket as one
 * (root on the node); else the peer's address without its port
 * ("ipv4:10.0.0.7", "ipv6:[fd00::7]"). Always NUL-terminated.
 */
#define PN_RPC_CLIENT_KEY (PN_AUTHZ_NAME_MAX + 64)
void pn_rpc_client_key(const struct pn_authz_caller *who, const char *peer, char *out,
		       size_t outlen);

/* Why a message is not queued on a stream (pn_rpc_queue_verdict()). */
enum pn_rpc_queue_verdict {
	PN_QUEUE_OK,
	PN_QUEUE_FULL_MESSAGES, /* the stream's own bound: --stream-queue */
	PN_QUEUE_FULL_BYTES,	/* the stream's own bound: --stream-queue-bytes */
	PN_QUEUE_FULL_TOTAL,	/* every stream's together: --streams-queue-total-bytes */
};
/*
 * Whether a message of `bytes` may join a stream holding `len` messages
 * of `queued` bytes while `total` bytes are queued on every stream.
 */
enum pn_rpc_queue_verdict pn_rpc_queue_verdict(const struct pn_rpc_opts *o, size_t len,
					       size_t queued, uint64_t total, size_t bytes);
uint64_t pn_rpc_uptime_s(const struct pn_rpc *rpc);
bool pn_rpc_serving(const struct pn_rpc *rpc);
/* --insecure-listen was given (GetStatus, /metrics say so). */
bool pn_rpc_insecure(const struct pn_rpc *rpc);
/* Whether a service of this name was registered. */
bool pn_rpc_has_service(const struct pn_rpc *rpc, const char *name);

/*
 * Queues one message. `bounded`: obey the stream's queue limit (drop and
 * count when full); otherwise always queue (finite replies such as
 * GetWatchState). 0, -ENOMEM, or -EPIPE if the stream is over.
 */
int pn_rpc_stream_send(struct pn_rpc_stream *s, const ProtobufCMessage *msg, bool bounded);
/* Ends the stream with a status once everything queued is sent. */
void pn_rpc_stream_finish(struct pn_rpc_stream *s, grpc_status_code code, const char *msg);
/*
 * Keeps the stream open for `feed`, one of its own service's feeds, until
 * the client leaves or the server stops. The stream takes `sub` over (its
 * filter, given back to the feed's pass and serving hooks, freed with its
 * free_sub).
 */
void pn_rpc_stream_subscribe(struct pn_rpc_stream *s, const struct pn_rpc_feed *feed, void *sub);

#endif
