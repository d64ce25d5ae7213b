/* SPDX-License-Identifier: GPL-2.0-only */
/* protobuf-c messages <-> the byte buffers gRPC core sends and receives. */
#ifndef PN_API_WIRE_H
#define PN_API_WIRE_H

#include <grpc/byte_buffer.h>
#include <grpc/status.h>
#include <protobuf-c/protobuf-c.h>

/* Serializes a message into a byte buffer gRPC can send (NULL when out of memory). */
grpc_byte_buffer *pn_api_pack(const ProtobufCMessage *msg);
/*
 * Parses a received buffer as `desc`; NULL when it does not parse. Free the
 * result with protobuf_c_message_free_unpacked(msg, NULL).
 */
ProtobufCMessage *pn_api_unpack(const ProtobufCMessageDescriptor *desc, grpc_byte_buffer *bb);

/*
 * A request, checked before anything is decoded: more than max_bytes is
 * RESOURCE_EXHAUSTED; bytes that break a bound of bounds.h or are not the
 * message are INVALID_ARGUMENT; either way one line in err and *out NULL.
 * A NULL bb is the empty message. OK: *out to free as above.
 */
grpc_status_code pn_api_unpack_request(const ProtobufCMessageDescriptor *desc, grpc_byte_buffer *bb,
				       size_t max_bytes, ProtobufCMessage **out, char *err,
				       size_t errlen);

#endif
