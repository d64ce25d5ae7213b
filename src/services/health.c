// SPDX-License-Identifier: GPL-2.0-only
/*
 * grpc.health.v1.Health: SERVING once the kernel programs are attached,
 * NOT_SERVING while the agent stops. Known services: "" (the whole agent),
 * argus.Argusd, panoptes.v1.Agent and grpc.health.v1.Health itself.
 */
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "health.pb-c.h"
#include "server.h"

static Grpc__Health__V1__HealthCheckResponse__ServingStatus status_of(struct pn_rpc *rpc,
								      const char *service)
{
	switch (pn_rpc_health_of(rpc, service)) {
	case 1:
		return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	case 2:
		return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	default:
		return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
	}
}

static grpc_status_code check(struct pn_rpc *rpc, const ProtobufCMessage *req,
			      ProtobufCMessage **resp, char *msg, size_t msglen)
{
	const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
	Grpc__Health__V1__HealthCheckResponse *out;

	if (pn_rpc_health_of(rpc, r->service) < 0) {
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

int pn_health_send_status(struct pn_rpc *rpc, struct pn_rpc_stream *s, const char *service)
{
	Grpc__Health__V1__HealthCheckResponse out = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;

	out.status = status_of(rpc, service);
	return pn_rpc_stream_send(s, &out.base, false);
}

static void watch(struct pn_rpc *rpc, struct pn_rpc_stream *s, const ProtobufCMessage *req)
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
	pn_rpc_stream_subscribe(s, PN_FEED_HEALTH, NULL, service);
	pn_health_send_status(rpc, s, r->service);
}

const struct pn_rpc_method pn_health_methods[] = {
	{ .path = "/grpc.health.v1.Health/Check",
	  .request = &grpc__health__v1__health_check_request__descriptor,
	  .unary = check },
	{ .path = "/grpc.health.v1.Health/Watch",
	  .request = &grpc__health__v1__health_check_request__descriptor,
	  .stream = watch },
	{ 0 },
};
