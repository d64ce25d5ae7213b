// SPDX-License-Identifier: GPL-2.0-only
/*
 * grpc.health.v1.Health: SERVING once the kernel programs are attached,
 * NOT_SERVING while the agent stops. Known services: "" (the whole agent)
 * and every service the server registered (argus.Argusd, panoptes.v1.Agent
 * and grpc.health.v1.Health itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.pb-c.h"
#include "bounds.h"
#include "services.h"

static bool known(struct pn_rpc *rpc, const char *service)
{
	return service[0] == '\0' || pn_rpc_has_service(rpc, service);
}

static Grpc__Health__V1__HealthCheckResponse__ServingStatus status_of(struct pn_rpc *rpc,
								      const char *service)
{
	if (!known(rpc, service))
		return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
	if (pn_rpc_serving(rpc))
		return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

static grpc_status_code check(struct pn_rpc *rpc, void *ctx, const struct pn_authz_caller *who,
			      const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg,
			      size_t msglen)
{
	const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
	Grpc__Health__V1__HealthCheckResponse *out;

	(void)ctx;
	(void)who;
	if (!known(rpc, r->service)) {
		snprintf(msg, msglen, "service: unknown service \"%s\"", r->service);
		return GRPC_STATUS_NOT_FOUND;
	}
	out = malloc(sizeof(*out));
	if (!out)
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	grpc__health__v1__health_check_response__init(out);
	out->status = status_of(rpc, r->service);
	*resp = &out->base;
	return GRPC_STATUS_OK;
}

/* One HealthCheckResponse with the current status of `service` (the stream's sub). */
static void send_status(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s, const void *sub)
{
	Grpc__Health__V1__HealthCheckResponse out = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;

	(void)ctx;
	out.status = status_of(rpc, sub);
	pn_rpc_stream_send(s, &out.base, false);
}

static const struct pn_rpc_feed health_feeds[] = {
	{ .name = "Watch", .serving = send_status, .free_sub = free },
	{ 0 },
};

static void watch(struct pn_rpc *rpc, void *ctx, struct pn_rpc_stream *s,
		  const ProtobufCMessage *req)
{
	const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
	char *service = strdup(r->service);

	if (!service) {
		pn_rpc_stream_finish(s, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	/*
	 * Subscribe first, then send: a change between the two is sent twice
	 * rather than missed.
	 */
	pn_rpc_stream_subscribe(s, &health_feeds[0], service);
	send_status(rpc, ctx, s, r->service);
}

static const struct pn_rpc_method health_methods[] = {
	{ .path = "/grpc.health.v1.Health/Check",
	  .request = &grpc__health__v1__health_check_request__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_OPEN,
	  .unary = check },
	{ .path = "/grpc.health.v1.Health/Watch",
	  .request = &grpc__health__v1__health_check_request__descriptor,
	  .max_request_bytes = PN_API_SMALL_REQUEST,
	  .access = PN_RPC_OPEN,
	  .stream = watch },
	{ 0 },
};

int pn_health_service(struct pn_rpc_service *row, const struct pn_agent_view *agent)
{
	(void)agent;
	*row = (struct pn_rpc_service){
		.name = "grpc.health.v1.Health",
		.methods = health_methods,
		.feeds = health_feeds,
	};
	return 0;
}
