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
	size_t stream_queue; /* messages per stream */
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

/* ---------------------------------------------------------------- for services */

/* Streams subscribed to a feed, and the messages dropped because their queue was full. */
unsigned pn_rpc_stream_count(struct pn_rpc *rpc);
uint64_t pn_rpc_stream_drops(struct pn_rpc *rpc);
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
