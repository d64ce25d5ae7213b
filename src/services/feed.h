/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the event feeds send: the message a matched event becomes for
 * argus RecordMetrics and for panoptes.v1 StreamEvents, and the
 * StreamEvents filter. The services put these into their feed rows.
 */
#ifndef PN_RPC_FEED_H
#define PN_RPC_FEED_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "rules.h"

/* StreamEvents filters, owned by the stream once subscribed. */
struct pn_event_filter {
	char **watches;
	size_t n_watches;
	uint32_t events;   /* PN_* bits; 0 = any */
	char *path_prefix; /* normalized; NULL = any */
};

/* argus ArgusdMetricsHandle for one match. */
grpc_byte_buffer *pn_event_metrics_buffer(const char *node, const struct pn_event *ev,
					  const struct pn_match *m);
/* panoptes.v1 Event for one match, with the watch's log line. */
grpc_byte_buffer *pn_event_record_buffer(const char *node, const struct pn_event *ev,
					 const struct pn_match *m,
					 const struct pn_format_ctx *fctx);
/* StreamEvents filters: every one given must hold. */
bool pn_event_filter_pass(const struct pn_event_filter *f, const struct pn_match *m);
void pn_event_filter_clear(struct pn_event_filter *f);

#endif
