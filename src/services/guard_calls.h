/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the guard calls of both APIs share (janus.Janusd and panoptes.v1's
 * CreateGuard, DeleteGuard, ListGuards, whose handlers live here beside
 * native.c's table), on the agent view's guards. Inside services only.
 */
#ifndef PN_GUARD_CALLS_H
#define PN_GUARD_CALLS_H

#include "server.h"

/* FAILED_PRECONDITION: this node cannot enforce guards, and why. */
grpc_status_code pn_guard_unavailable(const struct pn_agent_view *agent, const char *call,
				      char *msg, size_t msglen);

/* panoptes.v1.Agent's guard methods; ctx is the agent view. */
grpc_status_code pn_native_create_guard(struct pn_rpc *rpc, void *ctx,
					const struct pn_authz_caller *who,
					const ProtobufCMessage *req, ProtobufCMessage **resp,
					char *msg, size_t msglen);
grpc_status_code pn_native_delete_guard(struct pn_rpc *rpc, void *ctx,
					const struct pn_authz_caller *who,
					const ProtobufCMessage *req, ProtobufCMessage **resp,
					char *msg, size_t msglen);
grpc_status_code pn_native_list_guards(struct pn_rpc *rpc, void *ctx,
				       const struct pn_authz_caller *who,
				       const ProtobufCMessage *req, ProtobufCMessage **resp,
				       char *msg, size_t msglen);

#endif
