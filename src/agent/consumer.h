/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ring buffer consumer: decode a record, normalize its paths, hand it to the
 * registry, format what matched, write it out. Runs on one thread.
 */
#ifndef PN_CONSUMER_H
#define PN_CONSUMER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"
#include "identity.h"
#include "lookups.h"
#include "panoptes_event.h"
#include "registry.h"

/*
 * Called for a container's cgroup made (made) or removed, as the kernel says
 * it (pn_consumer_on_cgroup_note), on the consumer thread; must not block.
 */
typedef void (*pn_consumer_container_fn)(void *arg, const char *container_id, bool made);

/* Called for every event written, on the consumer thread; must not block. */
typedef void (*pn_consumer_match_fn)(void *arg, const struct pn_event *ev, const struct pn_match *m,
				     const struct pn_format_ctx *fctx);

enum pn_output { PN_OUTPUT_TEXT, PN_OUTPUT_JSON };

struct pn_consumer {
	struct pn_registry *registry;
	enum pn_output output;
	const char *node;
	const char *proc_root;
	FILE *out;
	int64_t realtime_offset_ns;
	/* Written by the consumer thread only; GetStatus and /metrics read them from theirs. */
	_Atomic uint64_t records;   /* records decoded */
	_Atomic uint64_t malformed; /* records that failed validation */
	_Atomic uint64_t matched;   /* events written */
	_Atomic uint64_t dropped;   /* events matched but not written: no memory for the line */
	/* events a selector could not decide: the runtime had not named their container */
	_Atomic uint64_t unnamed;
	/* events written without the runtime's names, though a runtime was there to ask */
	_Atomic uint64_t incomplete;
	pn_consumer_match_fn on_match; /* optional: the gRPC feeds */
	void *on_match_arg;
	struct pn_lookups lookups;     /* names as the kernel resolved them, with a time budget */
	struct pn_identity_cache *ids; /* optional: pod uid and container id by cgroup id */
	/* JSON and the native stream carry the pod's labels / the annotations asked for */
	bool with_labels, with_annotations;
	pn_consumer_container_fn on_container; /* optional: the runtime's client */
	void *on_container_arg;
};

void pn_consumer_init(struct pn_consumer *c, struct pn_registry *r, enum pn_output output,
		      const char *node, FILE *out);
/* pn_record_fn for pn_capture_open(). */
int pn_consumer_on_record(void *ctx, const struct pn_record *rec, size_t size);
/* pn_cgroup_note_fn for pn_capture_open(): the identity cache, then on_container. */
int pn_consumer_on_cgroup_note(void *ctx, const struct pn_cgroup_note *n, size_t size);
/* The registry's pn_reg_admit_fn: a watch's selector against the event's identity. */
bool pn_consumer_admit(void *arg, const struct pn_event *ev, const struct pn_watch *w);
/* The registry's pn_reg_decide_fn: the same for a cgroup the runtime has named, never waiting. */
enum pn_reg_verdict pn_consumer_decide(void *arg, uint64_t cgroup_id, const struct pn_watch *w);
/* Closes what the consumer keeps open (NULL-safe; init again to reuse). */
void pn_consumer_clear(struct pn_consumer *c);
/* Re-reads CLOCK_REALTIME - CLOCK_MONOTONIC (the wall clock may be stepped). */
void pn_consumer_sync_clock(struct pn_consumer *c);

#endif
