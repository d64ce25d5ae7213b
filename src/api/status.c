// SPDX-License-Identifier: GPL-2.0-only
#include "status.h"

#include <errno.h>

#include "macros.h"

grpc_status_code pn_api_status_of_errno(int err)
{
	switch (err) {
	case 0:
		return GRPC_STATUS_OK;
	case -EINVAL:
		return GRPC_STATUS_INVALID_ARGUMENT;
	case -ENOENT:
	case -ESRCH:
		return GRPC_STATUS_NOT_FOUND;
	case -EEXIST:
		return GRPC_STATUS_ALREADY_EXISTS;
	case -ENOSPC:
	case -ENOMEM:
	case -E2BIG:
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case -EPERM:
	case -EACCES:
		return GRPC_STATUS_PERMISSION_DENIED;
	case -ETIMEDOUT:
		return GRPC_STATUS_DEADLINE_EXCEEDED;
	case -EXDEV:	  /* outside what this node's agent can see: its setup, not the request */
	case -EOPNOTSUPP: /* what this node cannot do (a guard where no mechanism runs) */
		return GRPC_STATUS_FAILED_PRECONDITION;
	case -ESHUTDOWN:
		return GRPC_STATUS_UNAVAILABLE;
	default:
		return GRPC_STATUS_INTERNAL;
	}
}

const char *pn_api_status_name(grpc_status_code code)
{
	static const char *const names[] = {
		"OK",
		"CANCELLED",
		"UNKNOWN",
		"INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED",
		"NOT_FOUND",
		"ALREADY_EXISTS",
		"PERMISSION_DENIED",
		"RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION",
		"ABORTED",
		"OUT_OF_RANGE",
		"UNIMPLEMENTED",
		"INTERNAL",
		"UNAVAILABLE",
		"DATA_LOSS",
		"UNAUTHENTICATED",
	};

	if ((unsigned)code < ARRAY_SIZE(names))
		return names[code];
	return "UNKNOWN";
}
