/* SPDX-License-Identifier: GPL-2.0-only */
/* gRPC status codes: from the errno of the layers below, and by name. */
#ifndef PN_API_STATUS_H
#define PN_API_STATUS_H

#include <grpc/status.h>

/* Status for a negative errno from the registry or a conversion. */
grpc_status_code pn_api_status_of_errno(int err);
/* "NOT_FOUND", ... as grpc spells them; "UNKNOWN" for codes outside the enum. */
const char *pn_api_status_name(grpc_status_code code);

#endif
