// SPDX-License-Identifier: GPL-2.0-only
/*
 * Server-streaming calls: a bounded queue per stream with one write in
 * flight (gRPC's rule), the list of streams subscribed to a feed, and
 * publish, which hands one matched event to every stream that wants it
 * without ever waiting for a client. The bounds: messages and bytes per
 * stream, bytes on every stream together, open streams per client and in
 * total, and a cut for a stream whose client stopped reading.
 */
#include <errno.h>
#include <grpc/byte_buffer.h>
#include <grpc/support/alloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macros.h"
#include "transport.h"
#include "wire.h"

/*
 * A message and its size as queued: gRPC may empty a buffer it sent before
 * the write completes, so the size to give back is kept here.
 */
struct queued {
	grpc_byte_buffer *bb;
	size_t bytes;
};

struct pn_rpc_stream {
	struct pn_rpc *rpc;
	grpc_call *call;
	const struct pn_rpc_service *service; /* the one whose method opened it */
	pthread_mutex_t mu;
	int refs;
	struct pn_rpc_tag meta_tag, close_tag, write_tag, status_tag;
	int cancelled;	/* RECV_CLOSE_ON_SERVER writes it */
	bool over;	/* nothing more may be sent: client gone, or status sent */
	bool writing;	/* one SEND_MESSAGE in flight at a time (gRPC's rule) */
	bool finishing; /* send the status once the queue is empty */
	bool status_sent;
	grpc_status_code code;
	grpc_slice details;
	struct queued *queue; /* ring */
	size_t cap, head, len;
	size_t bytes; /* queued, the one in flight included */
	uint64_t drops;
	/*
	 * When the stream first lost a message to its own bound since its
	 * client last took one (0: not since); the clock of the cut.
	 */
	uint64_t stalled_ns;
	enum pn_rpc_queue_verdict stalled_by;
	const char *method;		/* its path, for the cut's message and the log */
	char client[PN_RPC_CLIENT_KEY]; /* counted against it; "" once given back */

	const struct pn_rpc_feed_slot *slot; /* NULL until subscribed */
	size_t slot_index;
	void *sub;
	struct pn_rpc_stream *prev, *next;
	bool listed;
};

void pn_rpc_client_key(const struct pn_authz_caller *who, const char *peer, char *out,
		       size_t outlen)
{
	const char *port;

	if (who->identity[0]) {
		snprintf(out, outlen, "certificate \"%s\"", who->identity);
	} else if (who->via == PN_VIA_SOCKET) {
		snprintf(out, outlen, "the unix socket");
	} else if (peer && (port = strrchr(peer, ':')) && port > peer) {
		snprintf(out, outlen, "%.*s", (int)(port - peer), peer);
	} else {
		snprintf(out, outlen, "%s", peer && peer[0] ? peer : "an unknown peer");
	}
}

/* 0 and the stream counted against its client and the total, or -EBUSY with why not. */
static int client_count(struct pn_rpc *rpc, const char *key, char *msg, size_t msglen)
{
	const struct pn_rpc_opts *o = &rpc->opts;
	struct pn_rpc_client *c = NULL;
	int e = 0;

	pthread_mutex_lock(&rpc->clients_mu);
	for (size_t i = 0; i < rpc->n_clients && !c; i++)
		if (strcmp(rpc->clients[i].key, key) == 0)
			c = &rpc->clients[i];
	if (o->max_streams && atomic_load(&rpc->n_streams) >= o->max_streams) {
		snprintf(msg, msglen, "open streams: %u are open, the most --max-streams allows",
			 o->max_streams);
		e = -EBUSY;
	} else if (o->max_streams_per_client && c && c->streams >= o->max_streams_per_client) {
		snprintf(msg, msglen,
			 "open streams: %s has %u open, the most --max-streams-per-client allows",
			 key, c->streams);
		e = -EBUSY;
	} else if (!c) {
		struct pn_rpc_client *v = realloc(rpc->clients, (rpc->n_clients + 1) * sizeof(*v));

		if (v) {
			rpc->clients = v;
			c = &v[rpc->n_clients++];
			snprintf(c->key, sizeof(c->key), "%s", key);
			c->streams = 0;
		} else {
			snprintf(msg, msglen, "out of memory");
			e = -ENOMEM;
		}
	}
	if (!e) {
		c->streams++;
		atomic_fetch_add(&rpc->n_streams, 1);
	} else if (e == -EBUSY) {
		atomic_fetch_add(&rpc->refused, 1);
	}
	pthread_mutex_unlock(&rpc->clients_mu);
	return e;
}

static void client_uncount(struct pn_rpc *rpc, char *key)
{
	if (!key[0])
		return;
	pthread_mutex_lock(&rpc->clients_mu);
	for (size_t i = 0; i < rpc->n_clients; i++) {
		if (strcmp(rpc->clients[i].key, key) != 0)
			continue;
		/* a client without streams is forgotten: the table holds only open ones */
		if (!--rpc->clients[i].streams)
			rpc->clients[i] = rpc->clients[--rpc->n_clients];
		atomic_fetch_sub(&rpc->n_streams, 1);
		break;
	}
	pthread_mutex_unlock(&rpc->clients_mu);
	key[0] = '\0';
}

void pn_rpc_stream_unref(struct pn_rpc_stream *s)
{
	int refs;

	pthread_mutex_lock(&s->mu);
	refs = --s->refs;
	pthread_mutex_unlock(&s->mu);
	if (refs)
		return;
	for (size_t i = 0; i < s->len; i++)
		grpc_byte_buffer_destroy(s->queue[(s->head + i) % s->cap].bb);
	atomic_fetch_sub(&s->rpc->queue_bytes, s->bytes);
	free(s->queue);
	client_uncount(s->rpc, s->client);
	grpc_slice_unref(s->details);
	if (s->slot && s->slot->feed->free_sub)
		s->slot->feed->free_sub(s->sub);
	grpc_call_unref(s->call);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* With s->mu held: start the next write, or the status once the queue is drained. */
static void stream_kick(struct pn_rpc_stream *s)
{
	grpc_op op = { 0 };
	grpc_call_error ce;

	if (s->writing || s->status_sent)
		return;
	if (s->len && !s->over) {
		op.op = GRPC_OP_SEND_MESSAGE;
		op.data.send_message.send_message = s->queue[s->head].bb;
		s->writing = true;
		s->refs++;
		pn_rpc_inflight_add(s->rpc);
		ce = grpc_call_start_batch(s->call, &op, 1, &s->write_tag, NULL);
	} else if (s->finishing && !s->over) {
		op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
		op.data.send_status_from_server.status = s->code;
		op.data.send_status_from_server.status_details = &s->details;
		s->status_sent = true;
		s->refs++;
		pn_rpc_inflight_add(s->rpc);
		ce = grpc_call_start_batch(s->call, &op, 1, &s->status_tag, NULL);
	} else {
		return;
	}
	if (ce != GRPC_CALL_OK) {
		/* the call is unusable; its RECV_CLOSE will still complete */
		pn_warn("grpc: cannot start a send on a stream: error %d", ce);
		s->writing = false;
		s->over = true;
		s->refs--;
		pn_rpc_inflight_sub(s->rpc);
	}
}

static void stream_unlist(struct pn_rpc_stream *s)
{
	struct pn_rpc *rpc = s->rpc;
	bool was_listed;

	pthread_mutex_lock(&rpc->lock);
	was_listed = s->listed;
	if (was_listed) {
		if (s->prev)
			s->prev->next = s->next;
		else
			rpc->subscribed = s->next;
		if (s->next)
			s->next->prev = s->prev;
		s->listed = false;
		atomic_fetch_sub(&rpc->n_feed_streams, 1);
	}
	pthread_mutex_unlock(&rpc->lock);
	if (was_listed)
		pn_rpc_stream_unref(s); /* the list's reference */
}

static void stream_write_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, write_tag);

	pthread_mutex_lock(&s->mu);
	grpc_byte_buffer_destroy(s->queue[s->head].bb);
	s->bytes -= s->queue[s->head].bytes;
	atomic_fetch_sub(&rpc->queue_bytes, s->queue[s->head].bytes);
	s->head = (s->head + 1) % s->cap;
	s->len--;
	s->writing = false;
	if (ok)
		s->stalled_ns = 0; /* the client takes messages again */
	else
		s->over = true; /* client gone or call cancelled */
	stream_kick(s);
	pthread_mutex_unlock(&s->mu);
	pn_rpc_stream_unref(s);
}

static void stream_status_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, status_tag);

	(void)rpc;
	(void)ok;
	pthread_mutex_lock(&s->mu);
	s->over = true;
	pthread_mutex_unlock(&s->mu);
	pn_rpc_stream_unref(s);
}

static void stream_meta_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, meta_tag);

	(void)rpc;
	(void)ok;
	pn_rpc_stream_unref(s);
}

/* The call is over for good: the client left, the deadline passed, or the status went out. */
static void stream_close_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, close_tag);

	(void)rpc;
	(void)ok;
	pthread_mutex_lock(&s->mu);
	s->over = true;
	pthread_mutex_unlock(&s->mu);
	stream_unlist(s);
	pn_rpc_stream_unref(s);
}

struct pn_rpc_stream *pn_rpc_stream_new(struct pn_rpc *rpc, grpc_call *call,
					const struct pn_rpc_method_slot *slot,
					const struct pn_authz_caller *who, char *msg, size_t msglen)
{
	struct pn_rpc_stream *s = calloc(1, sizeof(*s));
	grpc_op ops[2] = { 0 };
	char *peer;

	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	peer = grpc_call_get_peer(call);
	pn_rpc_client_key(who, peer, s->client, sizeof(s->client));
	gpr_free(peer);
	if (client_count(rpc, s->client, msg, msglen)) {
		free(s);
		return NULL;
	}
	s->rpc = rpc;
	s->method = slot->method->path;
	s->call = call;
	s->service = slot->service;
	pthread_mutex_init(&s->mu, NULL);
	s->meta_tag.done = stream_meta_done;
	s->close_tag.done = stream_close_done;
	s->write_tag.done = stream_write_done;
	s->status_tag.done = stream_status_done;
	s->details = grpc_empty_slice();
	s->refs = 3; /* the handler, the metadata batch, the close batch */

	/* Headers at once, so the client sees the stream open before any message. */
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	pn_rpc_inflight_add(rpc);
	if (grpc_call_start_batch(call, ops, 1, &s->meta_tag, NULL) != GRPC_CALL_OK) {
		pn_rpc_inflight_sub(rpc);
		s->refs--;
	}
	ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[0].data.recv_close_on_server.cancelled = &s->cancelled;
	pn_rpc_inflight_add(rpc);
	if (grpc_call_start_batch(call, ops, 1, &s->close_tag, NULL) != GRPC_CALL_OK) {
		pn_rpc_inflight_sub(rpc);
		s->refs--;
		s->over = true;
	}
	return s;
}

enum pn_rpc_queue_verdict pn_rpc_queue_verdict(const struct pn_rpc_opts *o, size_t len,
					       size_t queued, uint64_t total, size_t bytes)
{
	if (o->stream_queue && len >= o->stream_queue)
		return PN_QUEUE_FULL_MESSAGES;
	/* sizes of memory held: far from overflowing when added */
	if (o->stream_queue_bytes && queued + bytes > o->stream_queue_bytes)
		return PN_QUEUE_FULL_BYTES;
	if (o->streams_queue_total_bytes && total + bytes > o->streams_queue_total_bytes)
		return PN_QUEUE_FULL_TOTAL;
	return PN_QUEUE_OK;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * With s->mu held: the client took nothing for --stream-cut-seconds while
 * its queue stayed full, so it gets nothing more. What is queued goes at
 * once, but the message in flight, which gRPC holds until the write fails.
 * The status goes out as trailers, which HTTP/2 flow control does not
 * hold back: the client's library has it at once, and its application
 * sees it after the messages its connection had already taken.
 */
static void stream_cut(struct pn_rpc_stream *s)
{
	const struct pn_rpc_opts *o = &s->rpc->opts;
	size_t keep = s->writing ? 1 : 0;
	char msg[512];

	for (size_t i = keep; i < s->len; i++) {
		struct queued *q = &s->queue[(s->head + i) % s->cap];

		grpc_byte_buffer_destroy(q->bb);
		s->bytes -= q->bytes;
		atomic_fetch_sub(&s->rpc->queue_bytes, q->bytes);
	}
	s->len = keep;
	s->over = true;
	s->status_sent = true;
	if (s->stalled_by == PN_QUEUE_FULL_MESSAGES)
		snprintf(msg, sizeof(msg),
			 "stream cut: the client took no message for %u s while its queue was "
			 "full (%zu messages, --stream-queue); %" PRIu64 " messages dropped",
			 o->stream_cut_seconds, o->stream_queue, s->drops);
	else
		snprintf(msg, sizeof(msg),
			 "stream cut: the client took no message for %u s while its queue was "
			 "full (%zu bytes, --stream-queue-bytes); %" PRIu64 " messages dropped",
			 o->stream_cut_seconds, o->stream_queue_bytes, s->drops);
	atomic_fetch_add(&s->rpc->cuts, 1);
	pn_info_refusal("grpc %s: %s: %s", s->method, "RESOURCE_EXHAUSTED", msg);
	grpc_call_cancel_with_status(s->call, GRPC_STATUS_RESOURCE_EXHAUSTED, msg, NULL);
}

/* With s->mu held: a message lost to a bound, counted; the stream cut if it stalled. */
static void stream_drop(struct pn_rpc_stream *s, enum pn_rpc_queue_verdict why)
{
	const struct pn_rpc_opts *o = &s->rpc->opts;
	uint64_t now;

	s->drops++;
	atomic_fetch_add(&s->rpc->drops, 1);
	/* the total is every stream's: only the stream's own bound starts its clock */
	if (!o->stream_cut_seconds || (why == PN_QUEUE_FULL_TOTAL && !s->stalled_ns))
		return;
	now = monotonic_ns();
	if (!s->stalled_ns) {
		s->stalled_ns = now;
		s->stalled_by = why;
	} else if (now - s->stalled_ns >= (uint64_t)o->stream_cut_seconds * 1000000000u) {
		stream_cut(s);
	}
}

/* With s->mu held. */
static int stream_push(struct pn_rpc_stream *s, grpc_byte_buffer *bb, bool bounded)
{
	size_t bytes = grpc_byte_buffer_length(bb);
	enum pn_rpc_queue_verdict why;

	if (s->over || s->finishing) {
		grpc_byte_buffer_destroy(bb);
		return -EPIPE;
	}
	if (bounded) {
		why = pn_rpc_queue_verdict(&s->rpc->opts, s->len, s->bytes,
					   atomic_load(&s->rpc->queue_bytes), bytes);
		if (why != PN_QUEUE_OK) {
			grpc_byte_buffer_destroy(bb);
			stream_drop(s, why);
			return 0;
		}
	}
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct queued *q = malloc(cap * sizeof(*q));

		if (!q) {
			grpc_byte_buffer_destroy(bb);
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->len; i++)
			q[i] = s->queue[(s->head + i) % s->cap];
		free(s->queue);
		s->queue = q;
		s->cap = cap;
		s->head = 0;
	}
	s->queue[(s->head + s->len) % s->cap] = (struct queued){ bb, bytes };
	s->len++;
	s->bytes += bytes;
	atomic_fetch_add(&s->rpc->queue_bytes, bytes);
	stream_kick(s);
	return 0;
}

int pn_rpc_stream_send(struct pn_rpc_stream *s, const ProtobufCMessage *msg, bool bounded)
{
	grpc_byte_buffer *bb = pn_api_pack(msg);
	int e;

	if (!bb)
		return -ENOMEM;
	pthread_mutex_lock(&s->mu);
	e = stream_push(s, bb, bounded);
	pthread_mutex_unlock(&s->mu);
	return e;
}

void pn_rpc_stream_finish(struct pn_rpc_stream *s, grpc_status_code code, const char *msg)
{
	pthread_mutex_lock(&s->mu);
	if (!s->finishing) {
		s->finishing = true;
		s->code = code;
		grpc_slice_unref(s->details);
		s->details = grpc_slice_from_copied_string(msg ? msg : "");
		stream_kick(s);
	}
	pthread_mutex_unlock(&s->mu);
}

/* The slot of `feed` among the stream's own service's feeds, or NULL. */
static const struct pn_rpc_feed_slot *feed_slot(struct pn_rpc_stream *s,
						const struct pn_rpc_feed *feed, size_t *index)
{
	struct pn_rpc *rpc = s->rpc;

	for (size_t i = 0; i < rpc->n_feeds; i++) {
		if (rpc->feeds[i].feed == feed && rpc->feeds[i].service == s->service) {
			*index = i;
			return &rpc->feeds[i];
		}
	}
	return NULL;
}

void pn_rpc_stream_subscribe(struct pn_rpc_stream *s, const struct pn_rpc_feed *feed, void *sub)
{
	struct pn_rpc *rpc = s->rpc;
	bool stopping;

	s->slot = feed_slot(s, feed, &s->slot_index);
	if (!s->slot) {
		/* a service's own mistake: say so rather than stream nothing */
		pn_warn("grpc %s: a stream subscribed to a feed its service did not register",
			s->service->name);
		if (feed && feed->free_sub)
			feed->free_sub(sub);
		pn_rpc_stream_finish(s, GRPC_STATUS_INTERNAL, "no such feed");
		return;
	}
	s->sub = sub;
	pthread_mutex_lock(&rpc->lock);
	stopping = atomic_load(&rpc->stopping);
	if (!stopping) {
		pthread_mutex_lock(&s->mu);
		s->refs++; /* the list's reference */
		pthread_mutex_unlock(&s->mu);
		s->listed = true;
		s->prev = NULL;
		s->next = rpc->subscribed;
		if (rpc->subscribed)
			rpc->subscribed->prev = s;
		rpc->subscribed = s;
		atomic_fetch_add(&rpc->n_feed_streams, 1);
	}
	pthread_mutex_unlock(&rpc->lock);
	if (stopping)
		pn_rpc_stream_finish(s, GRPC_STATUS_UNAVAILABLE, "panoptesd is stopping");
}

void pn_rpc_streams_serving(struct pn_rpc *rpc, bool send, bool finish)
{
	pthread_mutex_lock(&rpc->lock);
	for (struct pn_rpc_stream *s = rpc->subscribed; s; s = s->next) {
		const struct pn_rpc_feed *feed = s->slot->feed;

		if (!feed->serving)
			continue;
		if (send)
			feed->serving(rpc, s->slot->service->ctx, s, s->sub);
		if (finish)
			pn_rpc_stream_finish(s, GRPC_STATUS_UNAVAILABLE, "panoptesd is stopping");
	}
	pthread_mutex_unlock(&rpc->lock);
}

void pn_rpc_streams_finish(struct pn_rpc *rpc)
{
	pthread_mutex_lock(&rpc->lock);
	for (struct pn_rpc_stream *s = rpc->subscribed; s; s = s->next)
		pn_rpc_stream_finish(s, GRPC_STATUS_UNAVAILABLE, "panoptesd is stopping");
	pthread_mutex_unlock(&rpc->lock);
}

void pn_rpc_streams_unlist(struct pn_rpc *rpc)
{
	while (rpc->subscribed)
		stream_unlist(rpc->subscribed);
}

unsigned pn_rpc_stream_count(struct pn_rpc *rpc)
{
	return rpc ? atomic_load(&rpc->n_feed_streams) : 0;
}

uint64_t pn_rpc_stream_drops(struct pn_rpc *rpc)
{
	return rpc ? atomic_load(&rpc->drops) : 0;
}

uint64_t pn_rpc_stream_cuts(struct pn_rpc *rpc)
{
	return rpc ? atomic_load(&rpc->cuts) : 0;
}

uint64_t pn_rpc_streams_refused(struct pn_rpc *rpc)
{
	return rpc ? atomic_load(&rpc->refused) : 0;
}

uint64_t pn_rpc_stream_queue_bytes(struct pn_rpc *rpc)
{
	return rpc ? atomic_load(&rpc->queue_bytes) : 0;
}

void pn_rpc_publish_message(struct pn_rpc *rpc, const struct pn_rpc_feed *feed,
			    const ProtobufCMessage *msg)
{
	grpc_byte_buffer *bb;

	if (!rpc || !atomic_load_explicit(&rpc->n_feed_streams, memory_order_relaxed))
		return;
	bb = pn_api_pack(msg);
	if (!bb)
		return;
	pthread_mutex_lock(&rpc->lock);
	for (struct pn_rpc_stream *s = rpc->subscribed; s; s = s->next) {
		if (s->slot->feed != feed)
			continue;
		pthread_mutex_lock(&s->mu);
		stream_push(s, grpc_byte_buffer_copy(bb), true);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&rpc->lock);
	grpc_byte_buffer_destroy(bb);
}

void pn_rpc_publish(struct pn_rpc *rpc, const struct pn_event *ev, const struct pn_match *m,
		    const struct pn_format_ctx *fctx)
{
	/* the common case, no client listening, costs one load */
	if (!rpc || !atomic_load_explicit(&rpc->n_feed_streams, memory_order_relaxed))
		return;
	pthread_mutex_lock(&rpc->lock);
	memset(rpc->built, 0, rpc->n_feeds * sizeof(*rpc->built));
	for (struct pn_rpc_stream *s = rpc->subscribed; s; s = s->next) {
		const struct pn_rpc_feed *feed = s->slot->feed;
		grpc_byte_buffer **bb = &rpc->built[s->slot_index];

		if (!feed->build)
			continue;
		if (feed->pass && !feed->pass(s->sub, m))
			continue;
		if (!*bb)
			*bb = feed->build(s->slot->service->ctx, ev, m, fctx);
		if (!*bb)
			continue;
		/* copies share the slices: one serialization for every stream */
		pthread_mutex_lock(&s->mu);
		stream_push(s, grpc_byte_buffer_copy(*bb), true);
		pthread_mutex_unlock(&s->mu);
	}
	for (size_t i = 0; i < rpc->n_feeds; i++)
		if (rpc->built[i])
			grpc_byte_buffer_destroy(rpc->built[i]);
	pthread_mutex_unlock(&rpc->lock);
}
