// SPDX-License-Identifier: GPL-2.0-only
#include "client.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <grpc/support/alloc.h>

#include "wire.h"

gpr_timespec pn_api_deadline_ms(long ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis((int64_t)ms, GPR_TIMESPAN));
}

int pn_api_unary(grpc_channel *ch, grpc_completion_queue *cq, const char *method,
		 const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
		 gpr_timespec deadline, struct pn_api_reply *reply)
{
	grpc_metadata_array initial_md, trailing_md;
	grpc_byte_buffer *send = NULL, *recv = NULL;
	grpc_slice details = grpc_empty_slice();
	const char *error_string = NULL;
	grpc_call *call = NULL;
	grpc_call_error ce;
	grpc_op ops[6];
	char *msg;
	int err = 0;

	memset(reply, 0, sizeof(*reply));
	reply->status = GRPC_STATUS_UNKNOWN;
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);
	call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
					grpc_slice_from_static_string(method), NULL, deadline,
					NULL);
	send = pn_api_pack(req);
	if (!call || !send) {
		snprintf(reply->details, sizeof(reply->details), "out of memory");
		err = -EIO;
		goto out;
	}
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[5].data.recv_status_on_client.status = &reply->status;
	ops[5].data.recv_status_on_client.status_details = &details;
	ops[5].data.recv_status_on_client.error_string = &error_string;
	/* the call's address is its tag: unique while it runs */
	ce = grpc_call_start_batch(call, ops, 6, call, NULL);
	if (ce != GRPC_CALL_OK) {
		snprintf(reply->details, sizeof(reply->details),
			 "gRPC refused the batch (grpc_call_error %d)", (int)ce);
		err = -EIO;
		goto out;
	}
	/* the call's deadline ends the batch: the pluck itself need not time out */
	grpc_completion_queue_pluck(cq, call, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	msg = grpc_slice_to_c_string(details);
	snprintf(reply->details, sizeof(reply->details), "%s", msg);
	gpr_free(msg);
	if (reply->status != GRPC_STATUS_OK)
		goto out;
	if (!recv) {
		snprintf(reply->details, sizeof(reply->details), "%s: OK without a message",
			 method);
		err = -EPROTO;
		goto out;
	}
	reply->msg = pn_api_unpack(desc, recv);
	if (!reply->msg) {
		snprintf(reply->details, sizeof(reply->details), "%s: the reply is not a %s",
			 method, desc->name);
		err = -EPROTO;
	}
out:
	if (send)
		grpc_byte_buffer_destroy(send);
	if (recv)
		grpc_byte_buffer_destroy(recv);
	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	grpc_slice_unref(details);
	gpr_free((void *)error_string);
	if (call)
		grpc_call_unref(call);
	return err;
}

void pn_api_cq_destroy(grpc_completion_queue *cq)
{
	grpc_event ev;

	if (!cq)
		return;
	/* every call is over by now: the shutdown event is the only one left */
	grpc_completion_queue_shutdown(cq);
	do {
		ev = grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME),
						 NULL);
	} while (ev.type != GRPC_QUEUE_SHUTDOWN);
	grpc_completion_queue_destroy(cq);
}

void pn_api_reply_clear(struct pn_api_reply *reply)
{
	if (reply->msg)
		protobuf_c_message_free_unpacked(reply->msg, NULL);
	reply->msg = NULL;
}
