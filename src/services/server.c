// SPDX-License-Identifier: GPL-2.0-only
/*
 * Call lifetimes. Every operation handed to gRPC carries a `struct tag`
 * whose done() runs on the completion queue thread. Objects that several
 * operations point at (a stream) are reference counted; the count is taken
 * before an operation starts and dropped in its done().
 *
 * Lock order: rpc->lock (the list of subscribed streams), then a stream's mu.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "macros.h"
#include "status.h"
#include "wire.h"
#include "feed.h"
#include "fileio.h"
#include "log.h"

/* Requests kept outstanding per method: calls arriving together need not wait for a re-arm. */
#define PN_RPC_PENDING_PER_METHOD 8
/* After shutdown starts, calls still running this long are cancelled. */
#define PN_RPC_GRACE_MS 1000

struct pn_rpc;

struct tag {
	void (*done)(struct pn_rpc *rpc, struct tag *t, bool ok);
};

struct method_slot {
	const struct pn_rpc_method *method;
	void *handle; /* grpc_server_register_method() */
};

struct pn_rpc {
	struct pn_rpc_opts opts;
	char address[256];
	grpc_server *server;
	grpc_completion_queue *cq;
	pthread_t thread;
	bool thread_started;
	struct method_slot *methods;
	size_t n_methods;
	struct tag unknown_tag; /* unregistered methods: answered UNIMPLEMENTED */
	grpc_call *unknown_call;
	grpc_call_details unknown_details;
	grpc_metadata_array unknown_md;
	struct tag shutdown_tag;
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

/* ------------------------------------------------------------ helpers */

static void inflight_add(struct pn_rpc *rpc)
{
	atomic_fetch_add(&rpc->inflight, 1);
}

/* ------------------------------------------------------------ streams */

struct pn_rpc_stream {
	struct pn_rpc *rpc;
	grpc_call *call;
	pthread_mutex_t mu;
	int refs;
	struct tag meta_tag, close_tag, write_tag, status_tag;
	int cancelled;	/* RECV_CLOSE_ON_SERVER writes it */
	bool over;	/* nothing more may be sent: client gone, or status sent */
	bool writing;	/* one SEND_MESSAGE in flight at a time (gRPC's rule) */
	bool finishing; /* send the status once the queue is empty */
	bool status_sent;
	grpc_status_code code;
	grpc_slice details;
	grpc_byte_buffer **queue; /* ring */
	size_t cap, head, len, limit;
	uint64_t drops;

	enum pn_rpc_feed feed;
	struct pn_event_filter filter;
	char *service;
	struct pn_rpc_stream *prev, *next;
	bool listed;
};

static void stream_unref(struct pn_rpc_stream *s)
{
	int refs;

	pthread_mutex_lock(&s->mu);
	refs = --s->refs;
	pthread_mutex_unlock(&s->mu);
	if (refs)
		return;
	for (size_t i = 0; i < s->len; i++)
		grpc_byte_buffer_destroy(s->queue[(s->head + i) % s->cap]);
	free(s->queue);
	grpc_slice_unref(s->details);
	pn_event_filter_clear(&s->filter);
	free(s->service);
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
		op.data.send_message.send_message = s->queue[s->head];
		s->writing = true;
		s->refs++;
		inflight_add(s->rpc);
		ce = grpc_call_start_batch(s->call, &op, 1, &s->write_tag, NULL);
	} else if (s->finishing && !s->over) {
		op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
		op.data.send_status_from_server.status = s->code;
		op.data.send_status_from_server.status_details = &s->details;
		s->status_sent = true;
		s->refs++;
		inflight_add(s->rpc);
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
		atomic_fetch_sub(&s->rpc->inflight, 1);
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
		stream_unref(s); /* the list's reference */
}

static void stream_write_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, write_tag);

	(void)rpc;
	pthread_mutex_lock(&s->mu);
	grpc_byte_buffer_destroy(s->queue[s->head]);
	s->head = (s->head + 1) % s->cap;
	s->len--;
	s->writing = false;
	if (!ok)
		s->over = true; /* client gone or call cancelled */
	stream_kick(s);
	pthread_mutex_unlock(&s->mu);
	stream_unref(s);
}

static void stream_status_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, status_tag);

	(void)rpc;
	(void)ok;
	pthread_mutex_lock(&s->mu);
	s->over = true;
	pthread_mutex_unlock(&s->mu);
	stream_unref(s);
}

static void stream_meta_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, meta_tag);

	(void)rpc;
	(void)ok;
	stream_unref(s);
}

/* The call is over for good: the client left, the deadline passed, or the status went out. */
static void stream_close_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	struct pn_rpc_stream *s = container_of(t, struct pn_rpc_stream, close_tag);

	(void)rpc;
	(void)ok;
	pthread_mutex_lock(&s->mu);
	s->over = true;
	pthread_mutex_unlock(&s->mu);
	stream_unlist(s);
	stream_unref(s);
}

static struct pn_rpc_stream *stream_new(struct pn_rpc *rpc, grpc_call *call)
{
	struct pn_rpc_stream *s = calloc(1, sizeof(*s));
	grpc_op ops[2] = { 0 };

	if (!s)
		return NULL;
	s->rpc = rpc;
	s->call = call;
	pthread_mutex_init(&s->mu, NULL);
	s->meta_tag.done = stream_meta_done;
	s->close_tag.done = stream_close_done;
	s->write_tag.done = stream_write_done;
	s->status_tag.done = stream_status_done;
	s->details = grpc_empty_slice();
	s->limit = rpc->opts.stream_queue;
	s->refs = 3; /* the handler, the metadata batch, the close batch */

	/* Headers at once, so the client sees the stream open before any message. */
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	inflight_add(rpc);
	if (grpc_call_start_batch(call, ops, 1, &s->meta_tag, NULL) != GRPC_CALL_OK) {
		atomic_fetch_sub(&rpc->inflight, 1);
		s->refs--;
	}
	ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[0].data.recv_close_on_server.cancelled = &s->cancelled;
	inflight_add(rpc);
	if (grpc_call_start_batch(call, ops, 1, &s->close_tag, NULL) != GRPC_CALL_OK) {
		atomic_fetch_sub(&rpc->inflight, 1);
		s->refs--;
		s->over = true;
	}
	return s;
}

/* With s->mu held. */
static int stream_push(struct pn_rpc_stream *s, grpc_byte_buffer *bb, bool bounded)
{
	if (s->over || s->finishing) {
		grpc_byte_buffer_destroy(bb);
		return -EPIPE;
	}
	if (bounded && s->len >= s->limit) {
		grpc_byte_buffer_destroy(bb);
		s->drops++;
		atomic_fetch_add(&s->rpc->drops, 1);
		return 0;
	}
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		grpc_byte_buffer **q = malloc(cap * sizeof(*q));

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
	s->queue[(s->head + s->len) % s->cap] = bb;
	s->len++;
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

void pn_rpc_stream_subscribe(struct pn_rpc_stream *s, enum pn_rpc_feed feed,
			     struct pn_event_filter *filter, char *service)
{
	struct pn_rpc *rpc = s->rpc;
	bool stopping;

	s->feed = feed;
	if (filter) {
		s->filter = *filter;
		memset(filter, 0, sizeof(*filter));
	}
	s->service = service;
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

void pn_event_filter_clear(struct pn_event_filter *f)
{
	for (size_t i = 0; i < f->n_watches; i++)
		free(f->watches[i]);
	free(f->watches);
	free(f->path_prefix);
	memset(f, 0, sizeof(*f));
}

/* ------------------------------------------------------------ unary calls */

struct unary {
	struct tag tag;
	grpc_call *call;
	grpc_byte_buffer *resp;
	grpc_slice details;
	int cancelled;
};

static void unary_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	struct unary *u = container_of(t, struct unary, tag);

	(void)rpc;
	(void)ok;
	if (u->resp)
		grpc_byte_buffer_destroy(u->resp);
	grpc_slice_unref(u->details);
	grpc_call_unref(u->call);
	free(u);
}

/* Sends the reply (when OK), the status, and waits for the call to close. Takes `call`. */
static void unary_reply(struct pn_rpc *rpc, grpc_call *call, grpc_status_code code, const char *msg,
			grpc_byte_buffer *resp)
{
	struct unary *u = calloc(1, sizeof(*u));
	grpc_op ops[4] = { 0 };
	size_t n = 0;

	if (!u) {
		if (resp)
			grpc_byte_buffer_destroy(resp);
		grpc_call_cancel(call, NULL);
		grpc_call_unref(call);
		return;
	}
	u->tag.done = unary_done;
	u->call = call;
	u->resp = code == GRPC_STATUS_OK ? resp : NULL;
	if (resp && !u->resp)
		grpc_byte_buffer_destroy(resp);
	u->details = grpc_slice_from_copied_string(msg);
	ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
	if (u->resp) {
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = u->resp;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = code;
	ops[n++].data.send_status_from_server.status_details = &u->details;
	ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[n++].data.recv_close_on_server.cancelled = &u->cancelled;
	inflight_add(rpc);
	if (grpc_call_start_batch(call, ops, n, &u->tag, NULL) != GRPC_CALL_OK) {
		atomic_fetch_sub(&rpc->inflight, 1);
		unary_done(rpc, &u->tag, false);
	}
}

/* ------------------------------------------------------------ incoming calls */

struct pending {
	struct tag tag;
	struct method_slot *slot;
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	grpc_byte_buffer *payload;
};

static void pending_done(struct pn_rpc *rpc, struct tag *t, bool ok);

static int request_call(struct pn_rpc *rpc, struct method_slot *slot)
{
	struct pending *p = calloc(1, sizeof(*p));
	grpc_call_error ce;

	if (!p)
		return -ENOMEM;
	p->tag.done = pending_done;
	p->slot = slot;
	grpc_metadata_array_init(&p->md);
	inflight_add(rpc);
	ce = grpc_server_request_registered_call(rpc->server, slot->handle, &p->call, &p->deadline,
						 &p->md, &p->payload, rpc->cq, rpc->cq, &p->tag);
	if (ce != GRPC_CALL_OK) {
		atomic_fetch_sub(&rpc->inflight, 1);
		grpc_metadata_array_destroy(&p->md);
		free(p);
		return -EIO;
	}
	return 0;
}

static void handle_call(struct pn_rpc *rpc, struct pending *p)
{
	const struct pn_rpc_method *m = p->slot->method;
	ProtobufCMessage *req = NULL, *resp = NULL;
	gpr_timespec now = gpr_now(p->deadline.clock_type);
	grpc_status_code code;
	char msg[2048] = "";

	if (gpr_time_cmp(p->deadline, now) <= 0) {
		unary_reply(rpc, p->call, GRPC_STATUS_DEADLINE_EXCEEDED,
			    "the deadline passed before the call was served", NULL);
		return;
	}
	if (!p->payload || !(req = pn_api_unpack(m->request, p->payload))) {
		snprintf(msg, sizeof(msg), "request: cannot decode the bytes as %s",
			 m->request->name);
		unary_reply(rpc, p->call, GRPC_STATUS_INVALID_ARGUMENT, msg, NULL);
		return;
	}
	if (m->stream) {
		struct pn_rpc_stream *s = stream_new(rpc, p->call);

		if (!s) {
			unary_reply(rpc, p->call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory",
				    NULL);
		} else {
			m->stream(rpc, s, req);
			stream_unref(s); /* the handler's reference */
		}
	} else {
		code = m->unary(rpc, req, &resp, msg, sizeof(msg));
		unary_reply(rpc, p->call, code, msg, resp ? pn_api_pack(resp) : NULL);
		if (resp)
			protobuf_c_message_free_unpacked(resp, NULL);
		if (code != GRPC_STATUS_OK)
			pn_info("grpc %s: %s: %s", m->path, pn_api_status_name(code), msg);
	}
	protobuf_c_message_free_unpacked(req, NULL);
}

static void pending_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	struct pending *p = container_of(t, struct pending, tag);

	if (ok) {
		/* keep one request armed per slot before serving this one */
		if (!atomic_load(&rpc->stopping))
			request_call(rpc, p->slot);
		handle_call(rpc, p); /* takes p->call */
	}
	if (p->payload)
		grpc_byte_buffer_destroy(p->payload);
	grpc_metadata_array_destroy(&p->md);
	free(p);
}

static void request_unknown(struct pn_rpc *rpc);

static void unknown_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	char msg[512];

	(void)t;
	if (ok) {
		snprintf(msg, sizeof(msg), "panoptesd does not serve method %.*s",
			 (int)GRPC_SLICE_LENGTH(rpc->unknown_details.method),
			 (const char *)GRPC_SLICE_START_PTR(rpc->unknown_details.method));
		unary_reply(rpc, rpc->unknown_call, GRPC_STATUS_UNIMPLEMENTED, msg, NULL);
	}
	grpc_call_details_destroy(&rpc->unknown_details);
	grpc_metadata_array_destroy(&rpc->unknown_md);
	if (ok && !atomic_load(&rpc->stopping))
		request_unknown(rpc);
}

static void request_unknown(struct pn_rpc *rpc)
{
	rpc->unknown_tag.done = unknown_done;
	grpc_call_details_init(&rpc->unknown_details);
	grpc_metadata_array_init(&rpc->unknown_md);
	inflight_add(rpc);
	if (grpc_server_request_call(rpc->server, &rpc->unknown_call, &rpc->unknown_details,
				     &rpc->unknown_md, rpc->cq, rpc->cq,
				     &rpc->unknown_tag) != GRPC_CALL_OK) {
		atomic_fetch_sub(&rpc->inflight, 1);
		grpc_call_details_destroy(&rpc->unknown_details);
		grpc_metadata_array_destroy(&rpc->unknown_md);
	}
}

/* ------------------------------------------------------------ the queue thread */

static void shutdown_done(struct pn_rpc *rpc, struct tag *t, bool ok)
{
	(void)t;
	(void)ok;
	atomic_store(&rpc->shutdown_done, true);
}

static void *cq_thread(void *arg)
{
	struct pn_rpc *rpc = arg;
	gpr_timespec cancel_at = gpr_inf_future(GPR_CLOCK_MONOTONIC);
	bool cancelled_all = false, cq_down = false;

	for (;;) {
		gpr_timespec tick = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
						 gpr_time_from_millis(100, GPR_TIMESPAN));
		grpc_event ev = grpc_completion_queue_next(rpc->cq, tick, NULL);

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE) {
			struct tag *t = ev.tag;

			atomic_fetch_sub(&rpc->inflight, 1);
			t->done(rpc, t, ev.success);
		}
		if (!atomic_load(&rpc->stopping))
			continue;
		if (gpr_time_cmp(cancel_at, gpr_inf_future(GPR_CLOCK_MONOTONIC)) == 0)
			cancel_at =
				gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
					     gpr_time_from_millis(PN_RPC_GRACE_MS, GPR_TIMESPAN));
		/* Calls that did not end by themselves (a client that stopped reading). */
		if (!cancelled_all && gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), cancel_at) >= 0) {
			grpc_server_cancel_all_calls(rpc->server);
			cancelled_all = true;
		}
		if (!cq_down && atomic_load(&rpc->shutdown_done) &&
		    atomic_load(&rpc->inflight) == 0) {
			grpc_completion_queue_shutdown(rpc->cq);
			cq_down = true;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ start, stop */

static char *read_file(const char *path, const char *flag, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", flag, path, strerror(errno));
		return NULL;
	}
	if (pn_read_fd(fd, (1 << 20) - 1, &buf, NULL))
		snprintf(err, errlen, "%s %s: cannot read it (or larger than 1 MiB)", flag, path);
	close(fd);
	return buf;
}

static grpc_server_credentials *make_credentials(const struct pn_rpc_opts *o, char *err,
						 size_t errlen)
{
	grpc_ssl_pem_key_cert_pair pair;
	grpc_server_credentials *creds = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL;

	if (!o->tls)
		return grpc_insecure_server_credentials_create();
	cert = read_file(o->tls_cert_file, "-tlscertfile", err, errlen);
	if (!cert)
		goto out;
	key = read_file(o->tls_key_file, "-tlskeyfile", err, errlen);
	if (!key)
		goto out;
	if (o->tls_ca_file && o->tls_ca_file[0]) {
		ca = read_file(o->tls_ca_file, "-tlscafile", err, errlen);
		if (!ca)
			goto out;
	}
	pair.private_key = key;
	pair.cert_chain = cert;
	creds = grpc_ssl_server_credentials_create_ex(
		ca, &pair, 1,
		ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY :
		     GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
		NULL);
	if (!creds)
		snprintf(err, errlen,
			 "-tlscertfile/-tlskeyfile: gRPC refused the certificate or "
			 "key (PEM expected)");
out:
	free(ca);
	free(cert);
	free(key);
	return creds;
}

static int register_methods(struct pn_rpc *rpc)
{
	const struct pn_rpc_method *tables[] = { pn_argus_methods, pn_agent_methods,
						 pn_health_methods };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		for (const struct pn_rpc_method *m = tables[i]; m->path; m++)
			n++;
	rpc->methods = calloc(n, sizeof(*rpc->methods));
	if (!rpc->methods)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		for (const struct pn_rpc_method *m = tables[i]; m->path; m++) {
			struct method_slot *slot = &rpc->methods[rpc->n_methods++];

			slot->method = m;
			slot->handle = grpc_server_register_method(
				rpc->server, m->path, NULL,
				GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
			if (!slot->handle)
				return -EINVAL;
		}
	}
	return 0;
}

/* gRPC's own diagnostics (refused TLS handshakes, ...) in panoptesd's log format. */
static void grpc_log(gpr_log_func_args *a)
{
	if (a->severity == GPR_LOG_SEVERITY_ERROR)
		pn_warn("grpc: %s", a->message);
	else
		pn_debug("grpc: %s (%s:%d)", a->message, a->file, a->line);
}

int pn_rpc_start(struct pn_rpc **out, const struct pn_rpc_opts *opts, char *err, size_t errlen)
{
	grpc_arg args[2];
	grpc_channel_args chargs = { .num_args = 2, .args = args };
	grpc_server_credentials *creds;
	struct pn_rpc *rpc;
	int port, e;

	*out = NULL;
	rpc = calloc(1, sizeof(*rpc));
	if (!rpc)
		return -ENOMEM;
	rpc->opts = *opts;
	pthread_mutex_init(&rpc->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &rpc->started);
	gpr_set_log_function(grpc_log);
	grpc_init();

	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)opts->max_request_bytes;
	/* HTTP/2 streams per connection: enough for controllers opening many streams at once */
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = GRPC_ARG_MAX_CONCURRENT_STREAMS;
	args[1].value.integer = 1024;

	rpc->server = grpc_server_create(&chargs, NULL);
	rpc->cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(rpc->server, rpc->cq, NULL);
	e = register_methods(rpc);
	if (e) {
		snprintf(err, errlen, "grpc: cannot register the methods");
		goto fail;
	}
	creds = make_credentials(opts, err, errlen);
	if (!creds) {
		e = -EINVAL;
		goto fail;
	}
	port = grpc_server_add_http2_port(rpc->server, opts->listen, creds);
	grpc_server_credentials_release(creds);
	if (port <= 0) {
		snprintf(err, errlen,
			 "--listen %s: cannot listen there (address in use, or not "
			 "HOST:PORT)",
			 opts->listen);
		e = -EADDRINUSE;
		goto fail;
	}
	{
		const char *colon = strrchr(opts->listen, ':');
		int hostlen = colon ? (int)(colon - opts->listen) : (int)strlen(opts->listen);

		snprintf(rpc->address, sizeof(rpc->address), "%.*s:%d", hostlen, opts->listen,
			 port);
	}
	grpc_server_start(rpc->server);
	for (size_t i = 0; i < rpc->n_methods; i++)
		for (int j = 0; j < PN_RPC_PENDING_PER_METHOD; j++)
			request_call(rpc, &rpc->methods[i]);
	request_unknown(rpc);
	e = pthread_create(&rpc->thread, NULL, cq_thread, rpc);
	if (e) {
		snprintf(err, errlen, "grpc: cannot start its thread: %s", strerror(e));
		e = -e;
		goto fail;
	}
	rpc->thread_started = true;
	*out = rpc;
	return 0;
fail:
	pn_rpc_stop(rpc);
	return e;
}

const char *pn_rpc_address(const struct pn_rpc *rpc)
{
	return rpc->address;
}

/* Sends the current status to every health Watch stream (send), and/or ends them (finish). */
static void health_broadcast(struct pn_rpc *rpc, bool send, bool finish);

void pn_rpc_set_serving(struct pn_rpc *rpc, bool serving)
{
	if (!rpc)
		return;
	if (atomic_exchange(&rpc->serving, serving) != serving)
		health_broadcast(rpc, true, false);
}

void pn_rpc_stop(struct pn_rpc *rpc)
{
	if (!rpc)
		return;
	if (rpc->thread_started) {
		struct pn_rpc_stream *s;

		/* NOT_SERVING to health watchers first, then every feed ends. */
		health_broadcast(rpc, atomic_exchange(&rpc->serving, false), true);
		atomic_store(&rpc->stopping, true);
		rpc->shutdown_tag.done = shutdown_done;
		inflight_add(rpc);
		grpc_server_shutdown_and_notify(rpc->server, rpc->cq, &rpc->shutdown_tag);
		pthread_mutex_lock(&rpc->lock);
		for (s = rpc->subscribed; s; s = s->next)
			pn_rpc_stream_finish(s, GRPC_STATUS_UNAVAILABLE, "panoptesd is stopping");
		pthread_mutex_unlock(&rpc->lock);
		pthread_join(rpc->thread, NULL);
	} else if (rpc->cq) {
		atomic_store(&rpc->stopping, true);
		if (rpc->server) {
			grpc_server_shutdown_and_notify(rpc->server, rpc->cq, &rpc->shutdown_tag);
			grpc_server_cancel_all_calls(rpc->server);
		}
		grpc_completion_queue_shutdown(rpc->cq);
		/* drain what a half-started server queued (requests fail with ok=0) */
		for (;;) {
			grpc_event ev = grpc_completion_queue_next(
				rpc->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);

			if (ev.type == GRPC_QUEUE_SHUTDOWN)
				break;
			if (ev.tag != &rpc->shutdown_tag)
				((struct tag *)ev.tag)->done(rpc, ev.tag, false);
		}
	}
	/* Streams still listed hold references only to themselves: drop them. */
	while (rpc->subscribed)
		stream_unlist(rpc->subscribed);
	if (rpc->server)
		grpc_server_destroy(rpc->server);
	if (rpc->cq)
		grpc_completion_queue_destroy(rpc->cq);
	free(rpc->methods);
	pn_argus_forget_all();
	pthread_mutex_destroy(&rpc->lock);
	free(rpc);
	grpc_shutdown();
}

/* ------------------------------------------------------------ feeds */

const struct pn_rpc_opts *pn_rpc_opts(const struct pn_rpc *rpc)
{
	return &rpc->opts;
}

uint64_t pn_rpc_uptime_s(const struct pn_rpc *rpc)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - rpc->started.tv_sec);
}

bool pn_rpc_serving(const struct pn_rpc *rpc)
{
	return atomic_load(&rpc->serving);
}

unsigned pn_rpc_stream_count(struct pn_rpc *rpc)
{
	return rpc ? atomic_load(&rpc->n_feed_streams) : 0;
}

uint64_t pn_rpc_stream_drops(struct pn_rpc *rpc)
{
	return rpc ? atomic_load(&rpc->drops) : 0;
}

int pn_rpc_health_of(const struct pn_rpc *rpc, const char *service)
{
	static const char *const known[] = { "", "argus.Argusd", "panoptes.v1.Agent",
					     "grpc.health.v1.Health" };

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(service, known[i]) == 0)
			return pn_rpc_serving(rpc) ? 1 : 2;
	return -1;
}

static void health_broadcast(struct pn_rpc *rpc, bool send, bool finish)
{
	pthread_mutex_lock(&rpc->lock);
	for (struct pn_rpc_stream *s = rpc->subscribed; s; s = s->next) {
		if (s->feed != PN_FEED_HEALTH)
			continue;
		if (send)
			pn_health_send_status(rpc, s, s->service);
		if (finish)
			pn_rpc_stream_finish(s, GRPC_STATUS_UNAVAILABLE, "panoptesd is stopping");
	}
	pthread_mutex_unlock(&rpc->lock);
}

void pn_rpc_publish(struct pn_rpc *rpc, const struct pn_event *ev, const struct pn_match *m,
		    const struct pn_format_ctx *fctx)
{
	grpc_byte_buffer *metrics = NULL, *record = NULL;

	/* the common case, no client listening, costs one load */
	if (!rpc || !atomic_load_explicit(&rpc->n_feed_streams, memory_order_relaxed))
		return;
	pthread_mutex_lock(&rpc->lock);
	for (struct pn_rpc_stream *s = rpc->subscribed; s; s = s->next) {
		grpc_byte_buffer **bb;

		if (s->feed == PN_FEED_METRICS) {
			if (!metrics)
				metrics = pn_event_metrics_buffer(rpc, ev, m);
			bb = &metrics;
		} else if (s->feed == PN_FEED_EVENTS) {
			if (!pn_event_filter_pass(&s->filter, m))
				continue;
			if (!record)
				record = pn_event_record_buffer(rpc, ev, m, fctx);
			bb = &record;
		} else {
			continue;
		}
		if (!*bb)
			continue;
		/* copies share the slices: one serialization for every stream */
		pthread_mutex_lock(&s->mu);
		stream_push(s, grpc_byte_buffer_copy(*bb), true);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&rpc->lock);
	if (metrics)
		grpc_byte_buffer_destroy(metrics);
	if (record)
		grpc_byte_buffer_destroy(record);
}
