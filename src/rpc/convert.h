/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Protobuf messages <-> watches and events, and errno <-> gRPC status. Pure
 * mapping: no I/O, no gRPC calls, so the unit tests and panoptesctl use it.
 * Every error message names the request field and the bad value.
 */
#ifndef PN_RPC_CONVERT_H
#define PN_RPC_CONVERT_H

#include <grpc/status.h>
#include <stddef.h>
#include <stdint.h>

#include "argus.pb-c.h"
#include "panoptes/v1/agent.pb-c.h"
#include "policy.h"
#include "registry.h"

/* Status for a negative errno from the registry or a conversion. */
grpc_status_code pn_rpc_status_of_errno(int err);
/* "NOT_FOUND", ... as grpc spells them; "UNKNOWN" for codes outside the enum. */
const char *pn_rpc_status_name(grpc_status_code code);

/*
 * EventType values <-> PN_* masks. A single kind maps to one bit, CLOSE,
 * MOVE and ALL to their unions; UNSPECIFIED and unknown values are -EINVAL.
 */
int pn_api_event_type_mask(int type, uint32_t *mask);
/* EventType of one PN_* bit, or EVENT_TYPE_UNSPECIFIED. */
int pn_api_event_type_of_bit(uint32_t bit);
/* Name without the prefix ("CLOSE_WRITE"), or NULL for unknown values. */
const char *pn_api_event_type_name(int type);
/* An argus name ("closewrite") or an enum name ("CLOSE_WRITE", any case). -EINVAL if neither. */
int pn_api_event_type_parse(const char *name, int *type);

/*
 * argus: an ArgusdConfig as a watch spec. The key (node, then pids, else
 * container ids, sorted) is what CreateWatch updates in place and
 * DestroyWatch removes, as argusd did. `node` stands in for an empty
 * nodeName. -EINVAL with the field named on bad input.
 */
int pn_argus_key(const Argus__ArgusdConfig *c, const char *node, char *out, size_t outlen,
		 char *err, size_t errlen);
int pn_argus_to_spec(const Argus__ArgusdConfig *c, const char *node, struct pn_watch_spec *out,
		     char *err, size_t errlen);

/* native: a Watch as a spec (origin "api"); -EINVAL with the field named on bad input. */
int pn_api_watch_to_spec(const Panoptes__V1__Watch *w, struct pn_watch_spec *out, char *err,
			 size_t errlen);

/*
 * A registry view as a WatchInfo, every part heap-allocated: free it with
 * protobuf_c_message_free_unpacked(&info->base, NULL). NULL when out of memory.
 */
Panoptes__V1__WatchInfo *pn_api_watch_info_new(const struct pn_watch_view *v);

#endif
