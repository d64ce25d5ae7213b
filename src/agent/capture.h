/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel side as userspace sees it: load and attach the programs, feed
 * the watched-cgroup map, consume the ring buffer, read the counters.
 */
#ifndef PN_CAPTURE_H
#define PN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "panoptes_event.h"

struct pn_capture;

/* Called for every record, on the thread that calls pn_capture_consume(). */
typedef int (*pn_record_fn)(void *ctx, const struct pn_record *rec, size_t size);
/* Likewise for every cgroup made or removed (after the records waiting with it). */
typedef int (*pn_cgroup_note_fn)(void *ctx, const struct pn_cgroup_note *note, size_t size);

struct pn_capture_opts {
	const char *backend;  /* "auto", "vfs" or "syscalls" */
	unsigned ringbuf_mb;  /* ring buffer size in MiB, power of two */
	unsigned coalesce_ms; /* fold repeated ACCESS/MODIFY of a file this long; 0 = never */
	unsigned max_cgroups; /* entries of the watched-cgroup map; 0 = PN_MAX_CGROUPS_DEFAULT */
	const char *pin_path; /* bpffs directory for maps/, progs/, links/; NULL or "": no pins */
	pn_record_fn on_record;
	pn_cgroup_note_fn on_cgroup_note; /* optional */
	void *ctx;
};

/*
 * Opens, loads and attaches. On failure returns a negative errno and writes
 * one line to err saying what is missing (BTF, BPF permission, a hook) and
 * what still works.
 */
int pn_capture_open(struct pn_capture **out, const struct pn_capture_opts *opts, char *err,
		    size_t errlen);
/*
 * Detaches and clears the pins; after pn_capture_keep_on_close(c, true) it
 * leaves programs, links and maps pinned and capturing instead, for the next
 * agent on the same --pin-path to adopt. NULL-safe.
 */
void pn_capture_close(struct pn_capture *c);
void pn_capture_keep_on_close(struct pn_capture *c, bool keep);

/* What this agent took over from the one before it on the same pins (pn_capture_open). */
struct pn_capture_handover {
	bool adopted;	  /* its programs kept running: no gap */
	bool clean;	  /* it left them with --keep-on-exit (else it was killed) */
	uint64_t away_ns; /* since it was last seen */
	uint64_t dropped; /* records the kernel dropped meanwhile (ring buffer full) */
};
const struct pn_capture_handover *pn_capture_handover(const struct pn_capture *c);
/* Tells the pins this agent is alive (each second), for the next one's gap report. */
void pn_capture_heartbeat(struct pn_capture *c);
/*
 * Deletes the watched cgroups keep() does not want: after adopting, those
 * the earlier agent watched and this one does not. Returns how many.
 */
int pn_capture_retain_cgroups(struct pn_capture *c, bool (*keep)(void *ctx, uint64_t id),
			      void *ctx);

/* An fd that becomes readable when records are waiting (for epoll). */
int pn_capture_fd(const struct pn_capture *c);
/* Consumes every waiting record; returns how many, or a negative errno. */
int pn_capture_consume(struct pn_capture *c);

int pn_capture_watch_cgroup(struct pn_capture *c, uint64_t cgroup_id, uint32_t ops);
int pn_capture_unwatch_cgroup(struct pn_capture *c, uint64_t cgroup_id);
/* Levels holding watched cgroups (any order, at most 8 distinct). */
int pn_capture_set_levels(struct pn_capture *c, const uint32_t *levels, unsigned n);

void pn_capture_counters(struct pn_capture *c, struct pn_counters *sum);
const char *pn_capture_backend(const struct pn_capture *c);
/* "full" (bpf_loop: paths up to PATH_MAX) or "bounded" (kernels without it) */
const char *pn_capture_path_walk(const struct pn_capture *c);
/* The pin directory in use, "" when not pinning. */
const char *pn_capture_pin_path(const struct pn_capture *c);
/* Names of attached programs, comma-separated, e.g. "pn_sys_exit,pn_close". */
const char *pn_capture_programs(const struct pn_capture *c);

/*
 * Keeps libbpf's messages out of the log (they appear with --verbose) while
 * a load that the kernel may refuse is tried, for loaders of other objects
 * (agent/guard_lsm.c) too; returns the previous setting. Main thread, at start.
 */
bool pn_capture_libbpf_quiet(bool quiet);

#endif
