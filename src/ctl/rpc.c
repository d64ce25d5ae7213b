// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gRPC core side: one channel and one pluck completion queue per run. A
 * unary call is api/client.c's single batch; a stream is one batch to send the request,
 * one per message read, one for the final status. Every status becomes one
 * of the documented exit codes here, so the commands never look at gRPC
 * codes themselves.
 */
#include "ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include "client.h"
#include "fileio.h"
#include "wire.h"

/* Batch tags: each pluck waits for exactly the batch it started. */
#define TAG_OPEN    ((void *)(uintptr_t)2)
#define TAG_READ    ((void *)(uintptr_t)3)
#define TAG_STATUS  ((void *)(uintptr_t)4)
#define TAG_CONNECT ((void *)(uintptr_t)5)

/* ------------------------------------------------------------ connection */

/*
 * gRPC core logs its own account of a refused connection or a failed
 * handshake on stderr; the status line printed below already says it, once.
 * GRPC_VERBOSITY (gRPC's own switch) brings those logs back for debugging.
 */
static void quiet_log(gpr_log_func_args *args)
{
	(void)args;
}

/* A whole PEM file, NUL-terminated, for the credentials. */
static int read_pem(const char *flag, const char *path, char **out, size_t *outlen)
{
	/* No size limit: the files are the user's own, and gRPC judges what they hold. */
	int e = pn_read_file(path, SIZE_MAX, out, outlen);

	if (e == -ENOMEM)
		return ctl_nomem();
	if (e)
		return ctl_usage_err("%s: cannot read \"%s\": %s", flag, path, strerror(-e));
	if (!*outlen) {
		free(*out);
		*out = NULL;
		return ctl_usage_err("%s: \"%s\" is empty", flag, path);
	}
	return 0;
}

/* Frees a PEM buffer; a private key does not linger in freed memory. */
static void free_pem(char *pem, size_t len)
{
	if (pem)
		explicit_bzero(pem, len);
	free(pem);
}

int ctl_connect(struct ctl *ctl)
{
	grpc_ssl_pem_key_cert_pair pair = { 0 };
	grpc_channel_credentials *creds = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL;
	size_t ca_len = 0, cert_len = 0, key_len = 0;
	grpc_arg arg = {
		.type = GRPC_ARG_STRING,
		.key = GRPC_ARG_PRIMARY_USER_AGENT_STRING,
		.value.string = "panoptesctl/" PN_VERSION,
	};
	grpc_channel_args args = { .num_args = 1, .args = &arg };
	int err = 0;

	if (ctl->channel)
		return 0;
	/* Without -tls the files would be ignored and the call sent in clear text. */
	if (!ctl->tls && (ctl->tls_ca || ctl->tls_cert || ctl->tls_key))
		return ctl_usage_err("%s: needs --tls", ctl->tls_ca   ? "--tlscafile" :
							ctl->tls_cert ? "--tlscertfile" :
									"--tlskeyfile");
	if (ctl->tls_cert && !ctl->tls_key)
		return ctl_usage_err("--tlscertfile: needs --tlskeyfile too");
	if (ctl->tls_key && !ctl->tls_cert)
		return ctl_usage_err("--tlskeyfile: needs --tlscertfile too");
	if (ctl->tls_ca) {
		err = read_pem("--tlscafile", ctl->tls_ca, &ca, &ca_len);
		if (err)
			goto out;
	}
	if (ctl->tls_cert) {
		err = read_pem("--tlscertfile", ctl->tls_cert, &cert, &cert_len);
		if (err)
			goto out;
		err = read_pem("--tlskeyfile", ctl->tls_key, &key, &key_len);
		if (err)
			goto out;
		pair.cert_chain = cert;
		pair.private_key = key;
	}

	if (!getenv("GRPC_VERBOSITY"))
		gpr_set_log_function(quiet_log);
	grpc_init();
	ctl->grpc_up = true;
	ctl->cq = grpc_completion_queue_create_for_pluck(NULL);
	/* Without a CA file, gRPC verifies the server against the system's roots. */
	if (ctl->tls)
		creds = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
	else
		creds = grpc_insecure_credentials_create();
	if (!creds || !ctl->cq) {
		ctl_err("cannot set up the %s channel to %s", ctl->tls ? "TLS" : "plain-text",
			ctl->server);
		err = CTL_EXIT_UNREACHABLE;
		goto out;
	}
	/* Never NULL: a bad target gives a channel whose calls fail (exit 3). */
	ctl->channel = grpc_channel_create(ctl->server, creds, &args);
out:
	if (creds)
		grpc_channel_credentials_release(creds);
	free_pem(ca, ca_len);
	free_pem(cert, cert_len);
	free_pem(key, key_len);
	return err;
}

void ctl_disconnect(struct ctl *ctl)
{
	if (ctl->channel)
		grpc_channel_destroy(ctl->channel);
	ctl->channel = NULL;
	pn_api_cq_destroy(ctl->cq);
	ctl->cq = NULL;
	if (ctl->grpc_up)
		grpc_shutdown();
	ctl->grpc_up = false;
}

/* ------------------------------------------------------------ messages */

/* Starts a batch and waits for it; the call fails, not the batch, when the server is gone. */
static int run_batch(struct ctl *ctl, grpc_call *call, const grpc_op *ops, size_t n, void *tag)
{
	grpc_call_error e = grpc_call_start_batch(call, ops, n, tag, NULL);

	if (e != GRPC_CALL_OK) {
		ctl_err("internal error: gRPC refused a batch (grpc_call_error %d)", (int)e);
		return CTL_EXIT_FAILED;
	}
	grpc_completion_queue_pluck(ctl->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	return 0;
}

static gpr_timespec deadline_after(double seconds)
{
	return pn_api_deadline_ms((long)(seconds * 1000));
}

/*
 * Waits until the channel is connected or its first attempt failed, up to
 * the deadline. The line between "cannot reach" (3) and "the agent said no"
 * (1) is whether a connection was made, and a call alone cannot tell: a
 * stopping agent also answers UNAVAILABLE. A CLI does not wait out gRPC's
 * reconnect backoff, so a failed attempt ends the wait (the call that
 * follows fails at once and says why). Short steps let ctl->stop end the
 * wait promptly.
 */
static grpc_connectivity_state connect_channel(struct ctl *ctl, gpr_timespec deadline)
{
	grpc_connectivity_state st = grpc_channel_check_connectivity_state(ctl->channel, 1);
	gpr_timespec now, step;

	while ((st == GRPC_CHANNEL_IDLE || st == GRPC_CHANNEL_CONNECTING) &&
	       !atomic_load(&ctl->stop)) {
		now = gpr_now(GPR_CLOCK_MONOTONIC);
		if (gpr_time_cmp(now, deadline) >= 0)
			break;
		step = gpr_time_min(deadline,
				    gpr_time_add(now, gpr_time_from_millis(100, GPR_TIMESPAN)));
		grpc_channel_watch_connectivity_state(ctl->channel, st, step, ctl->cq, TAG_CONNECT);
		grpc_completion_queue_pluck(ctl->cq, TAG_CONNECT,
					    gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		st = grpc_channel_check_connectivity_state(ctl->channel, 1);
	}
	return st;
}

/* After connect_channel(): 0 if a call can go, else the exit code (error printed). */
static int connect_result(struct ctl *ctl, grpc_connectivity_state st)
{
	if (st != GRPC_CHANNEL_IDLE && st != GRPC_CHANNEL_CONNECTING)
		return 0;
	if (atomic_load(&ctl->stop))
		return CTL_EXIT_OK;
	ctl_err("cannot reach %s: no connection within %g s (--timeout)", ctl->server,
		ctl->timeout);
	return CTL_EXIT_UNREACHABLE;
}

/*
 * The exit code of a final status: a failed call on a channel that never got
 * ready means no agent answered (3); once connected, every non-OK status is
 * the agent's answer (1).
 */
static int status_exit(struct ctl *ctl, grpc_status_code code, const char *msg, bool connected)
{
	if (code == GRPC_STATUS_OK)
		return CTL_EXIT_OK;
	/* the agent may have come up during the call */
	connected |= grpc_channel_check_connectivity_state(ctl->channel, 0) == GRPC_CHANNEL_READY;
	if (!connected) {
		ctl_err("cannot reach %s: %s", ctl->server,
			msg[0] ? msg : pn_api_status_name(code));
		return CTL_EXIT_UNREACHABLE;
	}
	if (msg[0])
		ctl_err("%s: %s", pn_api_status_name(code), msg);
	else
		ctl_err("%s", pn_api_status_name(code));
	return CTL_EXIT_FAILED;
}

int ctl_unary(struct ctl *ctl, const char *method, const ProtobufCMessage *req,
	      const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp)
{
	struct pn_api_reply reply;
	grpc_connectivity_state st;
	gpr_timespec deadline;
	int err;

	*resp = NULL;
	err = ctl_connect(ctl);
	if (err)
		return err;
	/* one deadline for connecting and calling: --timeout bounds the whole command */
	deadline = deadline_after(ctl->timeout);
	st = connect_channel(ctl, deadline);
	err = connect_result(ctl, st);
	if (err)
		return err;
	err = pn_api_unary(ctl->channel, ctl->cq, method, req, resp_desc, deadline, &reply);
	if (err == -EIO) {
		ctl_err("internal error: %s", reply.details);
		return CTL_EXIT_FAILED;
	}
	if (err) {
		ctl_err("%s", reply.details);
		return CTL_EXIT_FAILED;
	}
	err = status_exit(ctl, reply.status, reply.details, st == GRPC_CHANNEL_READY);
	if (!err)
		*resp = reply.msg;
	else
		pn_api_reply_clear(&reply);
	return err;
}

/* ------------------------------------------------------------ streams */

int ctl_stream_open(struct ctl *ctl, struct ctl_stream *s, const char *method,
		    const ProtobufCMessage *req)
{
	grpc_connectivity_state st;
	grpc_call_error e;
	grpc_op ops[4];
	int err;

	memset(s, 0, sizeof(*s));
	s->ctl = ctl;
	s->method = method;
	s->status = GRPC_STATUS_UNKNOWN;
	s->details = grpc_empty_slice();
	grpc_metadata_array_init(&s->initial_md);
	grpc_metadata_array_init(&s->trailing_md);
	err = ctl_connect(ctl);
	if (err)
		return err;
	st = connect_channel(ctl, deadline_after(ctl->timeout));
	err = connect_result(ctl, st);
	if (err || atomic_load(&ctl->stop))
		return err;
	s->connected = st == GRPC_CHANNEL_READY;
	/* No deadline: a stream lasts until --count, a signal or the server ends it. */
	s->call = grpc_channel_create_call(ctl->channel, NULL, GRPC_PROPAGATE_DEFAULTS, ctl->cq,
					   grpc_slice_from_static_string(method), NULL,
					   gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	s->send = pn_api_pack(req);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = s->send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
	/*
	 * Not waited for here: a server may hold its initial metadata until the
	 * first message, and the caller must be able to cancel the call meanwhile.
	 */
	e = grpc_call_start_batch(s->call, ops, 4, TAG_OPEN, NULL);
	if (e != GRPC_CALL_OK) {
		ctl_err("internal error: gRPC refused a batch (grpc_call_error %d)", (int)e);
		return CTL_EXIT_FAILED;
	}
	s->open_pending = true;
	return 0;
}

static void wait_open(struct ctl_stream *s)
{
	if (!s->open_pending)
		return;
	grpc_completion_queue_pluck(s->ctl->cq, TAG_OPEN, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	s->open_pending = false;
	grpc_byte_buffer_destroy(s->send);
	s->send = NULL;
}

int ctl_stream_next(struct ctl_stream *s, const ProtobufCMessageDescriptor *desc,
		    ProtobufCMessage **msg)
{
	grpc_byte_buffer *recv = NULL;
	grpc_op op;
	int err;

	*msg = NULL;
	if (!s->call)
		return 0;
	wait_open(s);
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &recv;
	err = run_batch(s->ctl, s->call, &op, 1, TAG_READ);
	if (err || !recv)
		return err;
	*msg = pn_api_unpack(desc, recv);
	grpc_byte_buffer_destroy(recv);
	if (!*msg) {
		ctl_err("%s: cannot decode the server's %s", s->method, desc->name);
		return CTL_EXIT_FAILED;
	}
	return 0;
}

void ctl_stream_cancel(struct ctl_stream *s)
{
	if (s->call)
		grpc_call_cancel(s->call, NULL);
}

int ctl_stream_close(struct ctl_stream *s, bool cancelled)
{
	grpc_op op;
	int err = 0;

	if (s->call) {
		wait_open(s);
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
		op.data.recv_status_on_client.trailing_metadata = &s->trailing_md;
		op.data.recv_status_on_client.status = &s->status;
		op.data.recv_status_on_client.status_details = &s->details;
		op.data.recv_status_on_client.error_string = &s->error_string;
		err = run_batch(s->ctl, s->call, &op, 1, TAG_STATUS);
		if (!err && !(cancelled && s->status == GRPC_STATUS_CANCELLED)) {
			char *msg = grpc_slice_to_c_string(s->details);

			err = status_exit(s->ctl, s->status, msg, s->connected);
			gpr_free(msg);
		}
		grpc_call_unref(s->call);
		s->call = NULL;
	}
	if (s->send)
		grpc_byte_buffer_destroy(s->send);
	s->send = NULL;
	grpc_metadata_array_destroy(&s->initial_md);
	grpc_metadata_array_destroy(&s->trailing_md);
	grpc_slice_unref(s->details);
	s->details = grpc_empty_slice();
	gpr_free((void *)s->error_string);
	s->error_string = NULL;
	return err;
}
