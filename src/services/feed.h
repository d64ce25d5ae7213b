/* SPDX-License-Identifier: GPL-2.0-only */
/* What the server's feeds send: messages built from a matched event, and health updates. */
#ifndef PN_RPC_FEED_H
#define PN_RPC_FEED_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

#include "format.h"
#include "rules.h"
#include "server.h"

/* argus ArgusdMetricsHandle for one match. */
grpc_byte_buffer *pn_event_metrics_buffer(const struct pn_rpc *rpc, const struct pn_event *ev,
					  const struct pn_match *m);
/* panoptes.v1 Event for one match, with the watch's log line. */
grpc_byte_buffer *pn_event_record_buffer(const struct pn_rpc *rpc, const struct pn_event *ev,
					 const struct pn_match *m,
					 const struct pn_format_ctx *fctx);
/* StreamEvents filters: every one given must hold. */
bool pn_event_filter_pass(const struct pn_event_filter *f, const struct pn_match *m);

/* One HealthCheckResponse with the current status of `service` to a Watch stream. */
int pn_health_send_status(struct pn_rpc *rpc, struct pn_rpc_stream *s, const char *service);

#endif
