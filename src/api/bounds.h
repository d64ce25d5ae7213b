/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bounds of what a client may send, and the check of a request's wire
 * bytes against them before protobuf-c allocates anything.
 *
 * protobuf-c's unpacker allocates for every field it meets: a string per
 * entry, a slot per repeated entry (60,000 copies of one cgroup path are
 * 60,000 strings before anything can dedup them), a record per unknown
 * field (kept for re-serialization). So a request is walked first, on its
 * bytes, with the same descriptors the unpacker uses, and refused when a
 * string is longer than its bound, a repeated field has more entries than
 * its bound, a field is unknown or given twice, text is not what
 * pn_text_check() accepts, or the bytes are not protobuf. Once it passes,
 * the unpacked message is as small as the bounds say.
 */
#ifndef PN_API_BOUNDS_H
#define PN_API_BOUNDS_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Request sizes by kind of method (the method rows carry them; the server's
 * --max-request-bytes is the ceiling over all). A request larger than its
 * method's size is RESOURCE_EXHAUSTED before it is read.
 */
#define PN_API_SMALL_REQUEST  1024	   /* status, health, argus' Empty */
#define PN_API_KEY_REQUEST    8192	   /* one name or registry key: DeleteWatch, ListWatches */
#define PN_API_FILTER_REQUEST (128 * 1024) /* StreamEvents: names and a prefix */
#define PN_API_WATCH_REQUEST  (512 * 1024) /* a whole watch: CreateWatch, UpdateWatch, argus */

/* Bytes of one string, by what it holds (the table below uses these). */
#define PN_API_NAME_BYTES      253  /* names: watch, pod, node (a Kubernetes name's bound) */
#define PN_API_PATH_BYTES      4095 /* paths, cgroup paths, registry keys (PATH_MAX less its NUL) */
#define PN_API_FILE_NAME_BYTES 255  /* ignore entries: one path component (NAME_MAX) */
#define PN_API_ID_BYTES	       256  /* container ids with their scheme, event names */
#define PN_API_TEXT_BYTES      1024 /* log formats, tag values */
/* StreamEvents watch names: the filter's hash set is sized by it (services/feed.h) */
#define PN_API_FILTER_WATCHES 1024

/* ListWatches: the most bytes of one reply (default clients accept 4 MiB). */
#define PN_API_LIST_REPLY_BYTES (3 * 1024 * 1024)

/* One row of the bounds table: a field of a request message. */
struct pn_api_bound {
	const ProtobufCMessageDescriptor *msg;
	const char *field;    /* the proto name, as the descriptor spells it */
	uint32_t max_entries; /* repeated fields (and maps): the most entries */
	uint32_t max_bytes;   /* strings and bytes: the most bytes of one value */
};

/* The bound of a field, or NULL when the table has none (a string or repeated field without one is refused). */
const struct pn_api_bound *pn_api_bound_of(const ProtobufCMessageDescriptor *msg,
					   const char *field);

/* The whole table, for the docs and the tests. */
extern const struct pn_api_bound pn_api_bounds[];
extern const size_t pn_api_n_bounds;

/*
 * Walks data[0..len) as a `desc` message. 0, or -EINVAL with one line in
 * err naming the field path as the conversion errors do
 * ("watch.subjects[0].paths[3]: 5000 bytes, at most 4095"; argus
 * "subject[0].path[2]: ..."; "request: ..." for the message itself).
 * Allocates nothing.
 */
int pn_api_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
		      char *err, size_t errlen);

#endif
