/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The services panoptesd serves, each as the row the transport registers
 * (struct pn_rpc_service). A row's ctx is the service's own state; its stop
 * hook frees it, and the transport calls that hook once no call can reach
 * the service. All are made alike, so the composition root keeps them in
 * one table; `agent` must outlive the server.
 */
#ifndef PN_SERVICES_H
#define PN_SERVICES_H

#include "agent_view.h"
#include "server.h"

/* argus.Argusd, wire-compatible with argusd. 0 or -ENOMEM. */
int pn_argus_service(struct pn_rpc_service *row, const struct pn_agent_view *agent);
/* janus.Janusd, wire-compatible with janusd: guards, enforced by agent/guards.c. */
int pn_janus_service(struct pn_rpc_service *row, const struct pn_agent_view *agent);
/* panoptes.v1.Agent: typed watches, event streams, status. */
int pn_native_service(struct pn_rpc_service *row, const struct pn_agent_view *agent);
/* A container or image started or gone, to every StreamLifecycle client. Any thread. */
void pn_native_publish_lifecycle(struct pn_rpc *rpc, const char *node,
				 const struct pn_lifecycle *lc);
/* grpc.health.v1.Health, answering for every service the server registered. */
int pn_health_service(struct pn_rpc_service *row, const struct pn_agent_view *agent);

#endif
