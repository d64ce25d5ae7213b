/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the transport (server.c, stream.c, tls.c), never included by a
 * service. Every operation handed to gRPC carries a `struct pn_rpc_tag`
 * whose done() runs on the completion queue thread. Objects that several
 * operations point at (a stream) are reference counted; the count is taken
 * before an operation starts and dropped in its done().
 *
 * Calls that change watches (PN_RPC_MANAGE) run on a second thread, the
 * manage worker, one at a time in arrival order: resolving targets reads
 * /proc and cgroupfs and may take long, and health, status and streams
 * must not wait behind it. Their authorization checks and the install
 * they guard are therefore never interleaved with another change.
 *
 * Lock order: rpc->lock (the list of subscribed streams), then a stream's mu.
 * rpc->work_mu is taken alone.
 */
#ifndef PN_RPC_TRANSPORT_H
#define PN_RPC_TRANSPORT_H

#include <limits.h>
#include <pthread.h>
#include <sys/types.h>
#include <stdatomic.h>
#include <time.h>

#include "server.h"

struct pn_rpc_tag {
	void (*done)(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok);
};

/* A registered method, and the service it belongs to. */
struct pn_rpc_method_slot {
	const struct pn_rpc_method *method;
	const struct pn_rpc_service *service;
	void *handle; /* grpc_server_register_method() */
};

/* A feed of a registered service; its index is where publish keeps its message. */
struct pn_rpc_feed_slot {
	const struct pn_rpc_feed *feed;
	const struct pn_rpc_service *service;
};

struct pn_rpc {
	struct pn_rpc_opts opts;
	char address[PATH_MAX + 300];
	dev_t socket_dev; /* the socket file we made, removed at stop if still ours */
	ino_t socket_ino;
	grpc_server *server;
	grpc_completion_queue *cq;
	pthread_t thread;
	bool thread_started;
	pthread_t worker; /* the manage worker */
	bool worker_started;
	pthread_mutex_t work_mu;
	pthread_cond_t work_cv;
	struct pending *work_head, *work_tail; /* calls waiting for it, in order */
	bool work_exit;
	struct pn_rpc_service *services;
	size_t n_services;
	struct pn_rpc_method_slot *methods;
	size_t n_methods;
	struct pn_rpc_feed_slot *feeds;
	grpc_byte_buffer **built; /* per feed slot, for one publish; under lock */
	size_t n_feeds;
	struct pn_rpc_tag unknown_tag; /* unregistered methods: answered UNIMPLEMENTED */
	grpc_call *unknown_call;
	grpc_call_details unknown_details;
	grpc_metadata_array unknown_md;
	struct pn_rpc_tag shutdown_tag;
	atomic_int inflight; /* operations gRPC has not completed yet */
	atomic_bool stopping;
	atomic_bool shutdown_done;
	atomic_bool serving;
	struct timespec started;

	pthread_mutex_t lock;
	struct pn_rpc_stream *subscribed; /* doubly linked */
	atomic_uint n_feed_streams;
	atomic_ullong drops;
};

static inline void pn_rpc_inflight_add(struct pn_rpc *rpc)
{
	atomic_fetch_add(&rpc->inflight, 1);
}

static inline void pn_rpc_inflight_sub(struct pn_rpc *rpc)
{
	atomic_fetch_sub(&rpc->inflight, 1);
}

/* stream.c */

/*
 * A stream on a call the server just accepted for `slot`: headers sent,
 * the close awaited. It holds the caller's reference, dropped with
 * pn_rpc_stream_unref(). NULL when out of memory.
 */
struct pn_rpc_stream *pn_rpc_stream_new(struct pn_rpc *rpc, grpc_call *call,
					const struct pn_rpc_method_slot *slot);
void pn_rpc_stream_unref(struct pn_rpc_stream *s);
/*
 * Tells every stream whose feed has a serving hook the current state
 * (send), and/or ends those streams (finish).
 */
void pn_rpc_streams_serving(struct pn_rpc *rpc, bool send, bool finish);
/* Ends every subscribed stream with UNAVAILABLE (the server is stopping). */
void pn_rpc_streams_finish(struct pn_rpc *rpc);
/* Drops the list's references to streams still subscribed (after the queue is down). */
void pn_rpc_streams_unlist(struct pn_rpc *rpc);

/* tls.c */

/* Server credentials from the TLS flags: insecure without -tls. NULL, with err, on error. */
grpc_server_credentials *pn_rpc_credentials(const struct pn_rpc_opts *o, char *err, size_t errlen);

#endif
