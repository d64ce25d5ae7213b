// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gRPC transport with services of the test's own, served on a real
 * loopback port and called by a real gRPC client: rows registered, stop
 * hooks run once (also when the start fails), a feed serialized once for
 * every stream and filtered per stream, a stream kept to its own service's
 * feeds, a request past its method's size or a field's bound refused before
 * its handler runs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "health.pb-c.h"
#include "server.h"
#include "wire.h"

/* What the test services saw; the context of both. */
struct seen {
	int stops;
	int builds;
	int frees;
};

static grpc_byte_buffer *build(void *ctx, const struct pn_event *ev, const struct pn_match *m,
			       const struct pn_format_ctx *fctx)
{
	Grpc__Health__V1__HealthCheckResponse out = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	struct seen *seen = ctx;

	(void)ev;
	(void)m;
	(void)fctx;
	seen->builds++;
	out.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	return pn_api_pack(&out.base);
}

/* A stream subscribes with the service name it asked for: only "yes" wants events. */
static bool pass(const void *sub, const struct pn_match *m)
{
	(void)m;
	return strcmp(sub, "yes") == 0;
}

static struct seen *freed_into;

static void free_sub(void *sub)
{
	freed_into->frees++;
	free(sub);
}

static const struct pn_rpc_feed follow_feeds[] = {
	{ .name = "Follow", .build = build, .pass = pass, .free_sub = free_sub },
	{ 0 },
};

static void follow(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
		   const ProtobufCMessage *req)
{
	const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;

	(void)rpc;
	(void)ctx;
	pn_rpc_stream_subscribe(s, &follow_feeds[0], strdup(r->service));
}

/* Another service's feed: the transport must refuse it. */
static void steal(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
		  const ProtobufCMessage *req)
{
	const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;

	(void)rpc;
	(void)ctx;
	pn_rpc_stream_subscribe(s, &follow_feeds[0], strdup(r->service));
}

static const struct pn_rpc_method follow_methods[] = {
	{ .path = "/pn.test.Feed/Follow",
	  .request = &grpc__health__v1__health_check_request__descriptor,
	  .stream = follow },
	{ 0 },
};

static const struct pn_rpc_method steal_methods[] = {
	{ .path = "/pn.test.Other/Steal",
	  .request = &grpc__health__v1__health_check_request__descriptor,
	  .stream = steal },
	/* a method that takes less than the server's ceiling */
	{ .path = "/pn.test.Other/Small",
	  .request = &grpc__health__v1__health_check_request__descriptor,
	  .max_request_bytes = 16,
	  .stream = steal },
	{ 0 },
};

static void stop(void *ctx)
{
	((struct seen *)ctx)->stops++;
}

static int start(struct pn_rpc **rpc, struct seen *seen, const struct pn_rpc_opts *o, char *err,
		 size_t errlen)
{
	const struct pn_rpc_service rows[] = {
		{ .name = "pn.test.Feed",
		  .methods = follow_methods,
		  .feeds = follow_feeds,
		  .ctx = seen,
		  .stop = stop },
		{ .name = "pn.test.Other", .methods = steal_methods, .ctx = seen, .stop = stop },
	};

	freed_into = seen;
	return pn_rpc_start(rpc, o, rows, sizeof(rows) / sizeof(rows[0]), err, errlen);
}

static const struct pn_rpc_opts loopback = {
	.listen = "127.0.0.1:0",
	.max_request_bytes = 1 << 20,
	.stream_queue = 16,
};

/* ---------------------------------------------------------------- a client */

struct client {
	grpc_channel *channel;
	grpc_completion_queue *cq;
};

struct call {
	grpc_call *call;
	grpc_byte_buffer *send, *recv;
	grpc_metadata_array md, trailing;
	grpc_status_code status;
	grpc_slice details;
};

static gpr_timespec in_seconds(int s)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(s, GPR_TIMESPAN));
}

static void client_open(struct client *c, const char *address)
{
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();

	grpc_init();
	c->channel = grpc_channel_create(address, creds, NULL);
	grpc_channel_credentials_release(creds);
	c->cq = grpc_completion_queue_create_for_pluck(NULL);
}

static void client_close(struct client *c)
{
	grpc_channel_destroy(c->channel);
	grpc_completion_queue_shutdown(c->cq);
	while (grpc_completion_queue_pluck(c->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
		       .type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(c->cq);
	grpc_shutdown();
}

static void wait_for(struct client *c, void *tag)
{
	grpc_event ev = grpc_completion_queue_pluck(c->cq, tag, in_seconds(10), NULL);

	assert_int_equal(ev.type, GRPC_OP_COMPLETE);
}

/* Opens a server stream: request sent, half-closed. */
static void call_open(struct client *c, struct call *k, const char *method, const char *service)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	grpc_op ops[4];

	memset(k, 0, sizeof(*k));
	grpc_metadata_array_init(&k->md);
	grpc_metadata_array_init(&k->trailing);
	req.service = (char *)service;
	k->send = pn_api_pack(&req.base);
	k->call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
					   grpc_slice_from_static_string(method), NULL,
					   in_seconds(30), NULL);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = k->send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &k->md;
	assert_int_equal(grpc_call_start_batch(k->call, ops, 4, &k->send, NULL), GRPC_CALL_OK);
	wait_for(c, &k->send);
}

/* The next message, or NULL when the stream ended without one. */
static grpc_byte_buffer *call_next(struct client *c, struct call *k)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &k->recv;
	k->recv = NULL;
	assert_int_equal(grpc_call_start_batch(k->call, &op, 1, &k->recv, NULL), GRPC_CALL_OK);
	wait_for(c, &k->recv);
	return k->recv;
}

/* Waits for the call's status, kept in k->status and k->details. */
static void call_status(struct client *c, struct call *k)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	op.data.recv_status_on_client.trailing_metadata = &k->trailing;
	op.data.recv_status_on_client.status = &k->status;
	op.data.recv_status_on_client.status_details = &k->details;
	assert_int_equal(grpc_call_start_batch(k->call, &op, 1, &k->status, NULL), GRPC_CALL_OK);
	wait_for(c, &k->status);
}

static void call_free(struct call *k)
{
	grpc_byte_buffer_destroy(k->send);
	grpc_slice_unref(k->details);
	grpc_metadata_array_destroy(&k->md);
	grpc_metadata_array_destroy(&k->trailing);
	grpc_call_unref(k->call);
}

static grpc_status_code call_close(struct client *c, struct call *k)
{
	call_status(c, k);
	call_free(k);
	return k->status;
}

static void wait_streams(struct pn_rpc *rpc, unsigned n)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	for (int i = 0; i < 1000 && pn_rpc_stream_count(rpc) != n; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(pn_rpc_stream_count(rpc), n);
}

/* ---------------------------------------------------------------- tests */

static void test_rows_registered_and_stopped_once(void **state)
{
	struct seen seen = { 0 };
	struct pn_rpc *rpc;
	char err[256] = "";

	(void)state;
	assert_int_equal(start(&rpc, &seen, &loopback, err, sizeof(err)), 0);
	assert_true(pn_rpc_has_service(rpc, "pn.test.Feed"));
	assert_true(pn_rpc_has_service(rpc, "pn.test.Other"));
	assert_false(pn_rpc_has_service(rpc, "pn.test"));
	assert_false(pn_rpc_has_service(rpc, ""));
	/* port 0 was resolved to the bound one */
	assert_int_equal(strncmp(pn_rpc_address(rpc), "127.0.0.1:", 10), 0);
	assert_true(atoi(pn_rpc_address(rpc) + 10) > 0);
	assert_false(pn_rpc_serving(rpc));
	pn_rpc_set_serving(rpc, true);
	assert_true(pn_rpc_serving(rpc));
	assert_int_equal(seen.stops, 0);
	pn_rpc_stop(rpc);
	assert_int_equal(seen.stops, 2); /* one per row */
}

static void test_failed_start_stops_the_services(void **state)
{
	struct pn_rpc_opts o = loopback;
	struct seen seen = { 0 };
	struct pn_rpc *rpc = (void *)&seen;
	char err[256] = "";

	(void)state;
	o.tls = true;
	o.tls_cert_file = "/nonexistent/cert.pem";
	o.tls_key_file = "/nonexistent/key.pem";
	assert_int_not_equal(start(&rpc, &seen, &o, err, sizeof(err)), 0);
	assert_null(rpc);
	assert_non_null(strstr(err, "-tlscertfile /nonexistent/cert.pem"));
	assert_int_equal(seen.stops, 2);
}

static void test_feed_built_once_filtered_per_stream(void **state)
{
	struct pn_event ev = { 0 };
	struct pn_match m = { 0 };
	struct pn_format_ctx fctx = { 0 };
	struct seen seen = { 0 };
	struct call yes1, yes2, no;
	struct client c;
	struct pn_rpc *rpc;
	char err[256] = "";

	(void)state;
	assert_int_equal(start(&rpc, &seen, &loopback, err, sizeof(err)), 0);
	client_open(&c, pn_rpc_address(rpc));
	call_open(&c, &yes1, "/pn.test.Feed/Follow", "yes");
	call_open(&c, &yes2, "/pn.test.Feed/Follow", "yes");
	call_open(&c, &no, "/pn.test.Feed/Follow", "no");
	wait_streams(rpc, 3);

	pn_rpc_publish(rpc, &ev, &m, &fctx);
	assert_int_equal(seen.builds, 1); /* one serialization, two streams */
	for (struct call *k = &yes1; k; k = k == &yes1 ? &yes2 : NULL) {
		grpc_byte_buffer *bb = call_next(&c, k);
		ProtobufCMessage *msg;

		assert_non_null(bb);
		msg = pn_api_unpack(&grpc__health__v1__health_check_response__descriptor, bb);
		assert_non_null(msg);
		assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)msg)->status,
				 GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
		protobuf_c_message_free_unpacked(msg, NULL);
		grpc_byte_buffer_destroy(bb);
	}

	/* Stopping ends every stream; the filtered one got nothing before its status. */
	pn_rpc_stop(rpc);
	assert_null(call_next(&c, &no));
	assert_int_equal(call_close(&c, &no), GRPC_STATUS_UNAVAILABLE);
	assert_int_equal(call_close(&c, &yes1), GRPC_STATUS_UNAVAILABLE);
	assert_int_equal(call_close(&c, &yes2), GRPC_STATUS_UNAVAILABLE);
	assert_int_equal(seen.builds, 1);
	assert_int_equal(seen.frees, 3);
	assert_int_equal(seen.stops, 2);
	client_close(&c);
}

static void test_stream_keeps_to_its_own_service_feeds(void **state)
{
	struct seen seen = { 0 };
	struct call k;
	struct client c;
	struct pn_rpc *rpc;
	char err[256] = "";

	(void)state;
	assert_int_equal(start(&rpc, &seen, &loopback, err, sizeof(err)), 0);
	client_open(&c, pn_rpc_address(rpc));
	call_open(&c, &k, "/pn.test.Other/Steal", "yes");
	assert_null(call_next(&c, &k));
	assert_int_equal(call_close(&c, &k), GRPC_STATUS_INTERNAL);
	assert_int_equal(pn_rpc_stream_count(rpc), 0);
	assert_int_equal(seen.frees, 1); /* what it subscribed with was not kept */
	pn_rpc_stop(rpc);
	client_close(&c);
}

/* The call ends with exactly this status and message. */
static void ended_with(struct client *c, struct call *k, grpc_status_code code, const char *want)
{
	char got[256];

	call_status(c, k);
	snprintf(got, sizeof(got), "%.*s", (int)GRPC_SLICE_LENGTH(k->details),
		 (const char *)GRPC_SLICE_START_PTR(k->details));
	assert_int_equal(k->status, code);
	assert_string_equal(got, want);
	call_free(k);
}

/* Checked before the handler runs: the method's own size, then the bounds of its fields. */
static void test_requests_refused_before_the_handler(void **state)
{
	struct seen seen = { 0 };
	struct pn_rpc *rpc;
	struct client c;
	struct call k;
	char err[256], name[301];

	(void)state;
	assert_int_equal(start(&rpc, &seen, &loopback, err, sizeof(err)), 0);
	client_open(&c, pn_rpc_address(rpc));

	call_open(&c, &k, "/pn.test.Other/Small", "twenty-bytes-long...");
	ended_with(&c, &k, GRPC_STATUS_RESOURCE_EXHAUSTED,
		   "request: 22 bytes, more than the 16 this method takes");

	/* under the server's 1 MiB, past the field's bound (bounds.c) */
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	call_open(&c, &k, "/pn.test.Feed/Follow", name);
	ended_with(&c, &k, GRPC_STATUS_INVALID_ARGUMENT, "service: 300 bytes, at most 253");

	assert_int_equal(pn_rpc_stream_count(rpc), 0);
	client_close(&c);
	pn_rpc_stop(rpc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_registered_and_stopped_once),
		cmocka_unit_test(test_failed_start_stops_the_services),
		cmocka_unit_test(test_feed_built_once_filtered_per_stream),
		cmocka_unit_test(test_stream_keeps_to_its_own_service_feeds),
		cmocka_unit_test(test_requests_refused_before_the_handler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
