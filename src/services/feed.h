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

#include "bounds.h"
#include "format.h"
#include "rules.h"

/*
 * The most watch names one StreamEvents filter may give (its `watches`
 * field; the request's bounds refuse more before decoding): the set is a
 * hash table, so the bound is on memory, not on time.
 */
#define PN_EVENT_FILTER_WATCHES_MAX PN_API_FILTER_WATCHES

/* StreamEvents filters, owned by the stream once subscribed. */
struct pn_event_filter {
	char **watches; /* distinct names, in the order first given */
	size_t n_watches;
	uint32_t *slots;   /* open addressing: 1 + index into watches; 0 = empty */
	size_t mask;	   /* slots - 1; a power of two, at least twice n_watches */
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
/*
 * The filter's watch names (copied; duplicates kept once). 0, -E2BIG past
 * PN_EVENT_FILTER_WATCHES_MAX names (nothing allocated), or -ENOMEM.
 */
int pn_event_filter_set_watches(struct pn_event_filter *f, char *const *names, size_t n);
/* Whether the filter names this watch: one hash and a probe or two. */
bool pn_event_filter_has_watch(const struct pn_event_filter *f, const char *name);
/* StreamEvents filters: every one given must hold. */
bool pn_event_filter_pass(const struct pn_event_filter *f, const struct pn_match *m);
void pn_event_filter_clear(struct pn_event_filter *f);

#endif
