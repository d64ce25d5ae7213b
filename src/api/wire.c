// SPDX-License-Identifier: GPL-2.0-only
#include "wire.h"

#include <errno.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"

grpc_byte_buffer *pn_api_pack(const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	grpc_slice slice = grpc_slice_malloc(len);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
	bb = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	return bb;
}

ProtobufCMessage *pn_api_unpack(const ProtobufCMessageDescriptor *desc, grpc_byte_buffer *bb)
{
	grpc_byte_buffer_reader reader;
	ProtobufCMessage *msg;
	grpc_slice all;

	if (!grpc_byte_buffer_reader_init(&reader, bb))
		return NULL;
	all = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	msg = protobuf_c_message_unpack(desc, NULL, GRPC_SLICE_LENGTH(all),
					GRPC_SLICE_START_PTR(all));
	grpc_slice_unref(all);
	return msg;
}

/*
 * The payload in one piece, never more than max bytes of it: a compressed
 * payload is counted as it inflates, slice by slice, so that a small
 * message cannot turn into a large one before it is refused.
 */
static int read_bounded(grpc_byte_buffer *bb, size_t max, uint8_t **out, size_t *outlen)
{
	grpc_byte_buffer_reader reader;
	uint8_t *buf = NULL;
	size_t len = 0;
	grpc_slice s;
	int e = 0;

	if (!grpc_byte_buffer_reader_init(&reader, bb))
		return -EINVAL;
	while (!e && grpc_byte_buffer_reader_next(&reader, &s)) {
		size_t n = GRPC_SLICE_LENGTH(s);
		uint8_t *b;

		if (n > max - len) {
			e = -E2BIG;
		} else if (n && !(b = realloc(buf, len + n))) {
			e = -ENOMEM;
		} else if (n) {
			buf = b;
			memcpy(buf + len, GRPC_SLICE_START_PTR(s), n);
			len += n;
		}
		grpc_slice_unref(s);
	}
	grpc_byte_buffer_reader_destroy(&reader);
	if (e) {
		free(buf);
		return e;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

grpc_status_code pn_api_unpack_request(const ProtobufCMessageDescriptor *desc, grpc_byte_buffer *bb,
				       size_t max_bytes, ProtobufCMessage **out, char *err,
				       size_t errlen)
{
	size_t len = bb ? grpc_byte_buffer_length(bb) : 0;
	uint8_t *data = NULL;
	int e;

	*out = NULL;
	if (len > max_bytes) {
		snprintf(err, errlen, "request: %zu bytes, more than the %zu this method takes",
			 len, max_bytes);
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	e = bb ? read_bounded(bb, max_bytes, &data, &len) : 0;
	if (e == -E2BIG) {
		snprintf(err, errlen,
			 "request: more than the %zu bytes this method takes, inflated", max_bytes);
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	}
	if (e) {
		snprintf(err, errlen, "request: %s", e == -ENOMEM ? "out of memory" : "unreadable");
		return e == -ENOMEM ? GRPC_STATUS_RESOURCE_EXHAUSTED : GRPC_STATUS_INVALID_ARGUMENT;
	}
	if (pn_api_wire_check(desc, data, len, err, errlen)) {
		free(data);
		return GRPC_STATUS_INVALID_ARGUMENT;
	}
	*out = protobuf_c_message_unpack(desc, NULL, len, data ? data : (const uint8_t *)"");
	free(data);
	if (!*out) {
		/* the walk passed what protobuf-c refused: only memory is left to lack */
		snprintf(err, errlen, "request: cannot decode the bytes as %s", desc->name);
		return GRPC_STATUS_INVALID_ARGUMENT;
	}
	return GRPC_STATUS_OK;
}
