/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The client side of a unary gRPC call, for every client of ours
 * (panoptesctl's calls to the agent, the agent's calls to the container
 * runtime): the request packed, one batch sent and awaited on a pluck
 * completion queue, the reply unpacked. What a failed status means is the
 * caller's to say.
 */
#ifndef PN_API_CLIENT_H
#define PN_API_CLIENT_H

#include <grpc/grpc.h>
#include <grpc/support/time.h>
#include <protobuf-c/protobuf-c.h>

struct pn_api_reply {
	grpc_status_code status;
	char details[256];     /* the peer's status message, or gRPC's own account */
	ProtobufCMessage *msg; /* status OK: the decoded reply; free with pn_api_reply_clear() */
};

/* A deadline that many milliseconds from now (CLOCK_MONOTONIC). */
gpr_timespec pn_api_deadline_ms(long ms);

/*
 * Calls `method` on the channel and waits for the whole call on cq (a pluck
 * queue; the call's own tag, so one queue serves one call at a time per
 * thread). 0 with reply->status set when the call ran: OK with a message
 * that decoded, or the peer's non-OK status. -EPROTO when the peer said OK
 * without a message or with one that is not `desc` (details say which);
 * -EIO when gRPC refused the batch.
 */
int pn_api_unary(grpc_channel *ch, grpc_completion_queue *cq, const char *method,
		 const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
		 gpr_timespec deadline, struct pn_api_reply *reply);
void pn_api_reply_clear(struct pn_api_reply *reply);
/* Shuts a pluck queue down once every call on it is over, and destroys it; NULL is fine. */
void pn_api_cq_destroy(grpc_completion_queue *cq);

#endif
