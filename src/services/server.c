// SPDX-License-Identifier: GPL-2.0-only
/*
 * The server itself: start and stop, the services' methods registered
 * from their rows, incoming calls armed and dispatched, unary replies, and
 * the thread that drains the completion queue. Streams live in stream.c,
 * credentials in tls.c; transport.h says how calls are kept alive.
 */
#include <errno.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "status.h"
#include "transport.h"
#include "wire.h"

/* Requests kept outstanding per method: calls arriving together need not wait for a re-arm. */
#define PN_RPC_PENDING_PER_METHOD 8
/* After shutdown starts, calls still running this long are cancelled. */
#define PN_RPC_GRACE_MS 1000

/* ------------------------------------------------------------ unary calls */

struct unary {
	struct pn_rpc_tag tag;
	grpc_call *call;
	grpc_byte_buffer *resp;
	grpc_slice details;
	int cancelled;
};

static void unary_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
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
	pn_rpc_inflight_add(rpc);
	if (grpc_call_start_batch(call, ops, n, &u->tag, NULL) != GRPC_CALL_OK) {
		pn_rpc_inflight_sub(rpc);
		unary_done(rpc, &u->tag, false);
	}
}

/* ------------------------------------------------------------ incoming calls */

struct pending {
	struct pn_rpc_tag tag;
	struct pending *next; /* in the manage worker's queue */
	struct pn_rpc_method_slot *slot;
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	grpc_byte_buffer *payload;
};

static void pending_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok);

static int request_call(struct pn_rpc *rpc, struct pn_rpc_method_slot *slot)
{
	struct pending *p = calloc(1, sizeof(*p));
	grpc_call_error ce;

	if (!p)
		return -ENOMEM;
	p->tag.done = pending_done;
	p->slot = slot;
	grpc_metadata_array_init(&p->md);
	pn_rpc_inflight_add(rpc);
	ce = grpc_server_request_registered_call(rpc->server, slot->handle, &p->call, &p->deadline,
						 &p->md, &p->payload, rpc->cq, rpc->cq, &p->tag);
	if (ce != GRPC_CALL_OK) {
		pn_rpc_inflight_sub(rpc);
		grpc_metadata_array_destroy(&p->md);
		free(p);
		return -EIO;
	}
	return 0;
}

/* TCP peers as gRPC names them: "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000". */
static bool peer_is_loopback(const char *peer)
{
	return strncmp(peer, "ipv4:127.", 9) == 0 || strncmp(peer, "ipv6:[::1]:", 11) == 0 ||
	       strncmp(peer, "ipv6:[::ffff:127.", 17) == 0;
}

/* The most names of one certificate considered for its role. */
#define PN_RPC_CERT_NAMES 32

/* Who made the call: the listener it came through, its verified certificate, its role. */
static void caller_of(struct pn_rpc *rpc, grpc_call *call, struct pn_authz_caller *c)
{
	char *peer = grpc_call_get_peer(call);
	grpc_auth_context *ac = grpc_call_auth_context(call);
	const char *names[PN_RPC_CERT_NAMES];
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	c->via = !peer				? PN_VIA_NETWORK :
		 strncmp(peer, "unix:", 5) == 0 ? PN_VIA_SOCKET :
		 peer_is_loopback(peer)		? PN_VIA_LOOPBACK :
						  PN_VIA_NETWORK;
	gpr_free(peer);
	if (ac && grpc_auth_context_peer_is_authenticated(ac)) {
		grpc_auth_property_iterator it = grpc_auth_context_peer_identity(ac);
		const grpc_auth_property *prop = grpc_auth_property_iterator_next(&it);

		/* the identity gRPC names: the first SAN, else the CN */
		if (prop)
			snprintf(c->identity, sizeof(c->identity), "%.*s", (int)prop->value_length,
				 prop->value);
		it = grpc_auth_context_property_iterator(ac);
		while ((prop = grpc_auth_property_iterator_next(&it)) && n < PN_RPC_CERT_NAMES) {
			if (strcmp(prop->name, GRPC_X509_CN_PROPERTY_NAME) == 0 ||
			    strcmp(prop->name, GRPC_X509_SAN_PROPERTY_NAME) == 0)
				names[n++] = prop->value; /* NUL-terminated by gRPC */
		}
		c->role = pn_authz_role_of(rpc->opts.authz, names, n);
		/* a certificate that names nothing still gets a name in messages */
		if (!c->identity[0])
			snprintf(c->identity, sizeof(c->identity), "(certificate without a name)");
	} else {
		c->role = pn_authz_role_uncertified(c->via);
	}
	grpc_auth_context_release(ac);
}

static const enum pn_authz_role role_needed[] = {
	[PN_RPC_MANAGE] = PN_ROLE_MANAGE,
	[PN_RPC_READ] = PN_ROLE_READ,
	[PN_RPC_OPEN] = PN_ROLE_NONE,
};

static void handle_call(struct pn_rpc *rpc, struct pending *p)
{
	const struct pn_rpc_method *m = p->slot->method;
	ProtobufCMessage *req = NULL, *resp = NULL;
	gpr_timespec now = gpr_now(p->deadline.clock_type);
	struct pn_authz_caller who;
	grpc_status_code code;
	char msg[2048] = "";
	size_t max;

	if (gpr_time_cmp(p->deadline, now) <= 0) {
		unary_reply(rpc, p->call, GRPC_STATUS_DEADLINE_EXCEEDED,
			    "the deadline passed before the call was served", NULL);
		return;
	}
	caller_of(rpc, p->call, &who);
	if (pn_authz_may_call(&who, role_needed[m->access], m->path, msg, sizeof(msg))) {
		pn_info_refusal("grpc %s: %s: %s", m->path,
				pn_api_status_name(GRPC_STATUS_PERMISSION_DENIED), msg);
		unary_reply(rpc, p->call, GRPC_STATUS_PERMISSION_DENIED, msg, NULL);
		return;
	}
	max = rpc->opts.max_request_bytes;
	if (m->max_request_bytes && (!max || m->max_request_bytes < max))
		max = m->max_request_bytes;
	code = pn_api_unpack_request(m->request, p->payload, max ? max : SIZE_MAX, &req, msg,
				     sizeof(msg));
	if (code != GRPC_STATUS_OK) {
		pn_info_refusal("grpc %s: %s: %s", m->path, pn_api_status_name(code), msg);
		unary_reply(rpc, p->call, code, msg, NULL);
		return;
	}
	if (m->stream) {
		struct pn_rpc_stream *s =
			pn_rpc_stream_new(rpc, p->call, p->slot, &who, msg, sizeof(msg));

		if (!s) {
			pn_info_refusal("grpc %s: %s: %s", m->path,
					pn_api_status_name(GRPC_STATUS_RESOURCE_EXHAUSTED), msg);
			unary_reply(rpc, p->call, GRPC_STATUS_RESOURCE_EXHAUSTED, msg, NULL);
		} else {
			m->stream(rpc, p->slot->service->ctx, s, req);
			pn_rpc_stream_unref(s); /* the handler's reference */
		}
	} else {
		code = m->unary(rpc, p->slot->service->ctx, &who, req, &resp, msg, sizeof(msg));
		unary_reply(rpc, p->call, code, msg, resp ? pn_api_pack(resp) : NULL);
		if (resp)
			protobuf_c_message_free_unpacked(resp, NULL);
		if (code != GRPC_STATUS_OK)
			pn_info_refusal("grpc %s: %s: %s", m->path, pn_api_status_name(code), msg);
	}
	protobuf_c_message_free_unpacked(req, NULL);
}

static void pending_free(struct pending *p)
{
	if (p->payload)
		grpc_byte_buffer_destroy(p->payload);
	grpc_metadata_array_destroy(&p->md);
	free(p);
}

/* Counted in flight until served, so the queue stays up for its reply. */
static void work_push(struct pn_rpc *rpc, struct pending *p)
{
	pn_rpc_inflight_add(rpc);
	pthread_mutex_lock(&rpc->work_mu);
	p->next = NULL;
	if (rpc->work_tail)
		rpc->work_tail->next = p;
	else
		rpc->work_head = p;
	rpc->work_tail = p;
	pthread_cond_signal(&rpc->work_cv);
	pthread_mutex_unlock(&rpc->work_mu);
}

static void *manage_worker(void *arg)
{
	struct pn_rpc *rpc = arg;

	for (;;) {
		struct pending *p;

		pthread_mutex_lock(&rpc->work_mu);
		while (!rpc->work_head && !rpc->work_exit)
			pthread_cond_wait(&rpc->work_cv, &rpc->work_mu);
		p = rpc->work_head;
		if (p) {
			rpc->work_head = p->next;
			if (!rpc->work_head)
				rpc->work_tail = NULL;
		}
		pthread_mutex_unlock(&rpc->work_mu);
		if (!p)
			return NULL;
		handle_call(rpc, p); /* takes p->call */
		pending_free(p);
		pn_rpc_inflight_sub(rpc);
	}
}

static void pending_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
{
	struct pending *p = container_of(t, struct pending, tag);
	const struct pn_rpc_method *m = p->slot->method;

	if (ok) {
		/* keep one request armed per slot before serving this one */
		if (!atomic_load(&rpc->stopping))
			request_call(rpc, p->slot);
		if (m->access == PN_RPC_MANAGE && m->unary && rpc->worker_started) {
			work_push(rpc, p);
			return;
		}
		handle_call(rpc, p); /* takes p->call */
	}
	pending_free(p);
}

static void request_unknown(struct pn_rpc *rpc);

static void unknown_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
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
	pn_rpc_inflight_add(rpc);
	if (grpc_server_request_call(rpc->server, &rpc->unknown_call, &rpc->unknown_details,
				     &rpc->unknown_md, rpc->cq, rpc->cq,
				     &rpc->unknown_tag) != GRPC_CALL_OK) {
		pn_rpc_inflight_sub(rpc);
		grpc_call_details_destroy(&rpc->unknown_details);
		grpc_metadata_array_destroy(&rpc->unknown_md);
	}
}

/* ------------------------------------------------------------ the queue thread */

static void shutdown_done(struct pn_rpc *rpc, struct pn_rpc_tag *t, bool ok)
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
			struct pn_rpc_tag *t = ev.tag;

			pn_rpc_inflight_sub(rpc);
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

/* Every method of every service registered with gRPC, every feed given its slot. */
static int register_services(struct pn_rpc *rpc)
{
	size_t n_methods = 0, n_feeds = 0;

	for (size_t i = 0; i < rpc->n_services; i++) {
		for (const struct pn_rpc_method *m = rpc->services[i].methods; m && m->path; m++)
			n_methods++;
		for (const struct pn_rpc_feed *f = rpc->services[i].feeds; f && f->name; f++)
			n_feeds++;
	}
	rpc->methods = calloc(n_methods + 1, sizeof(*rpc->methods));
	rpc->feeds = calloc(n_feeds + 1, sizeof(*rpc->feeds));
	rpc->built = calloc(n_feeds + 1, sizeof(*rpc->built));
	if (!rpc->methods || !rpc->feeds || !rpc->built)
		return -ENOMEM;
	for (size_t i = 0; i < rpc->n_services; i++) {
		const struct pn_rpc_service *svc = &rpc->services[i];

		for (const struct pn_rpc_feed *f = svc->feeds; f && f->name; f++)
			rpc->feeds[rpc->n_feeds++] =
				(struct pn_rpc_feed_slot){ .feed = f, .service = svc };
		for (const struct pn_rpc_method *m = svc->methods; m && m->path; m++) {
			struct pn_rpc_method_slot *slot = &rpc->methods[rpc->n_methods++];

			slot->method = m;
			slot->service = svc;
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

/*
 * The socket's path made ready for a bind: its directory made if missing,
 * a stale socket (nobody accepts on it) removed; a live one, or a file that
 * is not a socket, refused: one agent per socket.
 */
static int socket_prepare(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	char *slash;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--socket %s: longer than %zu bytes (a unix socket's limit)",
			 path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* only root's processes need to get in: the socket's own mode says the same */
		if (mkdir(dir, 0700) && errno != EEXIST) {
			e = -errno;
			snprintf(err, errlen, "--socket %s: cannot make its directory %s: %s", path,
				 dir, strerror(errno));
			return e;
		}
	}
	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		e = -errno;
		snprintf(err, errlen, "--socket %s: %s", path, strerror(errno));
		return e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "--socket %s: exists and is not a socket", path);
		return -EEXIST;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "--socket %s: %s", path, strerror(errno));
		return e;
	}
	e = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	close(fd);
	if (!e) {
		snprintf(err, errlen,
			 "--socket %s: another process serves it (another panoptesd?); give "
			 "another --socket, or --socket \"\"",
			 path);
		return -EADDRINUSE;
	}
	if (unlink(path) && errno != ENOENT) {
		e = -errno;
		snprintf(err, errlen, "--socket %s: cannot remove the stale socket: %s", path,
			 strerror(errno));
		return e;
	}
	return 0;
}

static int add_socket(struct pn_rpc *rpc, const char *path, char *err, size_t errlen)
{
	grpc_server_credentials *creds;
	char target[PATH_MAX + 8];
	struct stat st;
	mode_t old;
	int port, e;

	e = socket_prepare(path, err, errlen);
	if (e)
		return e;
	snprintf(target, sizeof(target), "unix:%s", path);
	creds = grpc_insecure_server_credentials_create();
	/* gRPC binds here: made 0600 from the start, no moment in which others may connect */
	old = umask(0177);
	port = grpc_server_add_http2_port(rpc->server, target, creds);
	umask(old);
	grpc_server_credentials_release(creds);
	if (port <= 0 || lstat(path, &st) || chmod(path, 0600)) {
		snprintf(err, errlen, "--socket %s: cannot listen there", path);
		return -EADDRINUSE;
	}
	rpc->socket_dev = st.st_dev;
	rpc->socket_ino = st.st_ino;
	return 0;
}

/* Removes the socket file at stop, unless another process replaced it since. */
static void remove_socket(struct pn_rpc *rpc)
{
	const char *path = rpc->opts.socket_path;
	struct stat st;

	if (!rpc->socket_ino || !path || !path[0])
		return;
	if (lstat(path, &st) == 0 && st.st_dev == rpc->socket_dev && st.st_ino == rpc->socket_ino)
		unlink(path);
}

static int add_tcp(struct pn_rpc *rpc, const struct pn_rpc_opts *opts, char *err, size_t errlen)
{
	grpc_server_credentials *creds = pn_rpc_credentials(opts, err, errlen);
	const char *colon = strrchr(opts->listen, ':');
	int hostlen = colon ? (int)(colon - opts->listen) : (int)strlen(opts->listen);
	size_t used = strlen(rpc->address);
	int port;

	if (!creds)
		return -EINVAL;
	port = grpc_server_add_http2_port(rpc->server, opts->listen, creds);
	grpc_server_credentials_release(creds);
	if (port <= 0) {
		snprintf(err, errlen,
			 "%s %s: cannot listen there (address in use, or not HOST:PORT)",
			 opts->insecure_listen ? "--insecure-listen" : "--listen", opts->listen);
		return -EADDRINUSE;
	}
	snprintf(rpc->address + used, sizeof(rpc->address) - used, "%s%.*s:%d", used ? ", " : "",
		 hostlen, opts->listen, port);
	return 0;
}

int pn_rpc_start(struct pn_rpc **out, const struct pn_rpc_opts *opts,
		 const struct pn_rpc_service *services, size_t n_services, char *err, size_t errlen)
{
	grpc_arg args[2];
	grpc_channel_args chargs = { .num_args = 2, .args = args };
	struct pn_rpc *rpc;
	int e;

	*out = NULL;
	rpc = calloc(1, sizeof(*rpc));
	if (rpc)
		rpc->services = calloc(n_services + 1, sizeof(*rpc->services));
	if (!rpc || !rpc->services) {
		/* the rows were handed over: their contexts are freed here too */
		for (size_t i = 0; i < n_services; i++)
			if (services[i].stop)
				services[i].stop(services[i].ctx);
		free(rpc);
		snprintf(err, errlen, "grpc: out of memory");
		return -ENOMEM;
	}
	memcpy(rpc->services, services, n_services * sizeof(*services));
	rpc->n_services = n_services;
	rpc->opts = *opts;
	pthread_mutex_init(&rpc->lock, NULL);
	pthread_mutex_init(&rpc->work_mu, NULL);
	pthread_cond_init(&rpc->work_cv, NULL);
	pthread_mutex_init(&rpc->clients_mu, NULL);
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
	e = register_services(rpc);
	if (e) {
		snprintf(err, errlen, "grpc: cannot register the methods");
		goto fail;
	}
	if (opts->socket_path && opts->socket_path[0]) {
		e = add_socket(rpc, opts->socket_path, err, errlen);
		if (e)
			goto fail;
		snprintf(rpc->address, sizeof(rpc->address), "unix:%s", opts->socket_path);
	}
	if (opts->listen && opts->listen[0]) {
		e = add_tcp(rpc, opts, err, errlen);
		if (e)
			goto fail;
	}
	grpc_server_start(rpc->server);
	for (size_t i = 0; i < rpc->n_methods; i++)
		for (int j = 0; j < PN_RPC_PENDING_PER_METHOD; j++)
			request_call(rpc, &rpc->methods[i]);
	request_unknown(rpc);
	e = pthread_create(&rpc->worker, NULL, manage_worker, rpc);
	if (e) {
		snprintf(err, errlen, "grpc: cannot start its worker thread: %s", strerror(e));
		e = -e;
		goto fail;
	}
	rpc->worker_started = true;
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

void pn_rpc_set_serving(struct pn_rpc *rpc, bool serving)
{
	if (!rpc)
		return;
	if (atomic_exchange(&rpc->serving, serving) != serving)
		pn_rpc_streams_serving(rpc, true, false);
}

void pn_rpc_stop(struct pn_rpc *rpc)
{
	if (!rpc)
		return;
	if (rpc->thread_started) {
		/* NOT_SERVING to the streams that follow it first, then every feed ends. */
		pn_rpc_streams_serving(rpc, atomic_exchange(&rpc->serving, false), true);
		atomic_store(&rpc->stopping, true);
		rpc->shutdown_tag.done = shutdown_done;
		pn_rpc_inflight_add(rpc);
		grpc_server_shutdown_and_notify(rpc->server, rpc->cq, &rpc->shutdown_tag);
		pn_rpc_streams_finish(rpc);
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
				((struct pn_rpc_tag *)ev.tag)->done(rpc, ev.tag, false);
		}
	}
	/* the queue drained with every queued call served: the worker is idle */
	if (rpc->worker_started) {
		pthread_mutex_lock(&rpc->work_mu);
		rpc->work_exit = true;
		pthread_cond_signal(&rpc->work_cv);
		pthread_mutex_unlock(&rpc->work_mu);
		pthread_join(rpc->worker, NULL);
	}
	/* Streams still listed hold references only to themselves: drop them. */
	pn_rpc_streams_unlist(rpc);
	if (rpc->server)
		grpc_server_destroy(rpc->server);
	if (rpc->cq)
		grpc_completion_queue_destroy(rpc->cq);
	remove_socket(rpc);
	/* no call can reach a service now: each frees its own state */
	for (size_t i = 0; i < rpc->n_services; i++)
		if (rpc->services[i].stop)
			rpc->services[i].stop(rpc->services[i].ctx);
	free(rpc->services);
	free(rpc->methods);
	free(rpc->feeds);
	free(rpc->built);
	pthread_mutex_destroy(&rpc->lock);
	pthread_mutex_destroy(&rpc->work_mu);
	pthread_cond_destroy(&rpc->work_cv);
	pthread_mutex_destroy(&rpc->clients_mu);
	free(rpc->clients);
	free(rpc);
	grpc_shutdown();
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

bool pn_rpc_insecure(const struct pn_rpc *rpc)
{
	return rpc->opts.insecure_listen;
}

bool pn_rpc_has_service(const struct pn_rpc *rpc, const char *name)
{
	for (size_t i = 0; i < rpc->n_services; i++)
		if (strcmp(rpc->services[i].name, name) == 0)
			return true;
	return false;
}
