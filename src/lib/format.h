/* SPDX-License-Identifier: GPL-2.0-only */
/* Output formats: argus log lines and JSON lines. */
#ifndef PN_FORMAT_H
#define PN_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "selector.h"

#define PN_DEFAULT_LOG_FORMAT "{event} {ftype} '{path}{sep}{file}' ({pod}:{node}) {tags}"

/*
 * A line buffer that holds any event whose strings need no escaping: callers
 * format into one on the stack first and take the heap only when the length
 * returned says the line is longer (escaped bytes, long tags). Lines have no
 * length limit.
 */
#define PN_LINE_STACK (3 * PN_PATH_MAX + 1024)

/* What the formatter needs besides the event and the match. */
struct pn_format_ctx {
	const char *node;	  /* {node} */
	const char *container;	  /* {container}: the watch target's container id, or "" */
	const char *container_id; /* {container_id}: the id the event's cgroup is named by, or "" */
	const char *pod_uid;	  /* {pod_uid}: the pod uid its cgroup path holds, or "" */
	/* from the container runtime (agent/cri.c); NULL or "" where it said nothing */
	const char *pod;		     /* {pod} when the watch names no pod */
	const char *namespace;		     /* {namespace} */
	const char *container_name;	     /* {container_name} */
	const char *image;		     /* {image} */
	const char *image_id;		     /* {image_id} */
	const struct pn_labels *labels;	     /* {labels}: the pod's, key order; NULL = none */
	const struct pn_labels *annotations; /* {annotations}: those asked for; NULL = none */
	/* JSON and the native stream carry labels / annotations objects (--event-labels...) */
	bool with_labels, with_annotations;
	bool identity_incomplete; /* a runtime is there and has not named the container */
	/* a guard's decision (agent/guard.c): {response} ALLOW or DENY, {event} OPEN_PERM... */
	const char *response;
	const char *decision_event;
	int64_t realtime_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC, to print {time} */
};

/*
 * Checks a log format: every {name} must be a known specifier (event ftype
 * path file sep pod node tags pid comm uid cgroup container container_id pod_uid
 * namespace container_name image image_id labels annotations time response;
 * response is empty but for a guard's decisions). On error
 * returns -EINVAL with a message naming the bad specifier in err.
 */
int pn_format_validate(const char *fmt, char *err, size_t errlen);

/*
 * Writes one log line (with '\n') for a match into buf; a NULL fmt is the
 * default format. Literal text and every value are escaped as file names
 * are (pn_text_escape: control characters, bytes that are not UTF-8, '\\'),
 * so a line is one line of well-formed UTF-8; "{{" is not special. Returns the length written, or the
 * length needed (like snprintf) if it did not fit.
 */
size_t pn_format_line(char *buf, size_t len, const char *fmt, const struct pn_event *ev,
		      const struct pn_match *m, const struct pn_format_ctx *ctx);

/*
 * Writes one JSON object and '\n' with every field: time (RFC 3339 UTC,
 * nanoseconds), event, events (array of names, including ISDIR), ftype,
 * is_dir, path, dir, file, old_path (moves), cookie (moves), named_path (vfs
 * opens through a symlink), pid, tgid, uid, gid, comm, cgroup_id, container,
 * container_id, pod_uid (from the event's cgroup path), namespace, container_name, image,
 * image_id (from the container runtime), labels and annotations (objects, only when
 * with_labels / with_annotations), identity_incomplete (only when true), watch, pod,
 * node, tags (object), truncated. Strings are escaped per RFC
 * 8259 (jsonstr.h). Same return convention as pn_format_line().
 */
size_t pn_format_json(char *buf, size_t len, const struct pn_event *ev, const struct pn_match *m,
		      const struct pn_format_ctx *ctx);

/*
 * An event's pod: the one its watch names (a controller's), else the one
 * the container runtime names; "" if neither.
 */
const char *pn_format_pod(const struct pn_match *m, const struct pn_format_ctx *ctx);

/*
 * The wall-clock time of a kernel timestamp (CLOCK_MONOTONIC ns) given
 * CLOCK_REALTIME - CLOCK_MONOTONIC: any ts_ns, however it came, gives a time
 * {time} can print. A sum past what int64 nanoseconds hold (the year 2262)
 * is INT64_MAX, which prints as 2262-04-11T23:47:16.854775807Z: the
 * documented stand-in for "later than any real clock", never a wrapped date.
 */
int64_t pn_format_realtime_ns(uint64_t ts_ns, int64_t offset_ns);

/* RFC 3339 UTC with nanoseconds: 2026-11-21T21:20:54.123456789Z. Returns length. */
size_t pn_format_time(char *buf, size_t len, int64_t realtime_ns);

#endif
