// SPDX-License-Identifier: GPL-2.0-only
#include "bounds.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "argus.pb-c.h"
#include "health.pb-c.h"
#include "janus.pb-c.h"
#include "macros.h"
#include "panoptes/v1/agent.pb-c.h"
#include "text.h"

/* Entries of repeated fields. argus-controller sends a few of each; these leave room. */
#define SUBJECTS   64
#define PATHS	   64
#define IGNORES	   64
#define EVENTS	   32
#define TAGS	   64
#define PIDS	   1024
#define CGROUPS	   64
#define CONTAINERS 64
#define PATTERNS   64 /* namespaces, container names, images of a selector */
#define LABEL_REQS 64 /* matchLabels and matchExpressions of a pod selector */
#define LABEL_VALS 64 /* values of one expression */

/* Kubernetes' own: a key is [prefix/]name, a DNS subdomain (253) and 63; values 63 */
#define LABEL_KEY_BYTES	  (253 + 1 + 63)
#define LABEL_VALUE_BYTES 63

/*
 * argus keys a watch by "argus/NODE/pid:P,pid:Q..." or "...cid:C,...": as
 * many as fit a registry key (PN_API_PATH_BYTES) with the longest node name.
 * argus-controller sends a pod's container ids, and destroys by the pids
 * of the handle it got back.
 */
#define ARGUS_PIDS	200
#define ARGUS_CIDS	16
#define ARGUS_CID_BYTES 128
#define KEY_HEAD	(sizeof("argus/") - 1 + PN_API_NAME_BYTES + 1)
_Static_assert(KEY_HEAD + ARGUS_PIDS * (sizeof("pid:2147483647,") - 1) <= PN_API_PATH_BYTES,
	       "argus pids fit a key");
_Static_assert(KEY_HEAD + ARGUS_CIDS * (sizeof("cid:,") - 1 + ARGUS_CID_BYTES) <= PN_API_PATH_BYTES,
	       "argus cids fit a key");

/* janus keys a guard by node and pod: the pids DestroyGuard brings are read, not kept */
#define JANUS_PIDS ARGUS_PIDS

#define A(m) &argus__##m##__descriptor
#define J(m) &janus__##m##__descriptor
#define N(m) &panoptes__v1__##m##__descriptor

const struct pn_api_bound pn_api_bounds[] = {
	/* argus.Argusd: ArgusdConfig (CreateWatch, DestroyWatch) */
	{ A(argusd_config), "name", 0, PN_API_NAME_BYTES },
	{ A(argusd_config), "nodeName", 0, PN_API_NAME_BYTES },
	{ A(argusd_config), "podName", 0, PN_API_NAME_BYTES },
	{ A(argusd_config), "pid", ARGUS_PIDS, 0 },
	{ A(argusd_config), "cid", ARGUS_CIDS, ARGUS_CID_BYTES },
	{ A(argusd_config), "subject", SUBJECTS, 0 },
	{ A(argusd_config), "logFormat", 0, PN_API_TEXT_BYTES },
	{ A(argus_watcher_subject), "path", PATHS, PN_API_PATH_BYTES },
	{ A(argus_watcher_subject), "event", EVENTS, PN_API_ID_BYTES },
	{ A(argus_watcher_subject), "ignore", IGNORES, PN_API_FILE_NAME_BYTES },
	{ A(argus_watcher_subject), "tags", TAGS, 0 },
	{ A(argus_watcher_subject__tags_entry), "key", 0, PN_API_NAME_BYTES },
	{ A(argus_watcher_subject__tags_entry), "value", 0, PN_API_TEXT_BYTES },
	/* janus.Janusd: JanusdConfig (CreateGuard, DestroyGuard) */
	{ J(janusd_config), "name", 0, PN_API_NAME_BYTES },
	{ J(janusd_config), "nodeName", 0, PN_API_NAME_BYTES },
	{ J(janusd_config), "podName", 0, PN_API_NAME_BYTES },
	{ J(janusd_config), "pid", JANUS_PIDS, 0 },
	{ J(janusd_config), "cid", ARGUS_CIDS, ARGUS_CID_BYTES },
	{ J(janusd_config), "subject", SUBJECTS, 0 },
	{ J(janusd_config), "logFormat", 0, PN_API_TEXT_BYTES },
	{ J(janus_guard_subject), "allow", PATHS, PN_API_PATH_BYTES },
	{ J(janus_guard_subject), "deny", PATHS, PN_API_PATH_BYTES },
	{ J(janus_guard_subject), "event", EVENTS, PN_API_ID_BYTES },
	{ J(janus_guard_subject), "tags", TAGS, 0 },
	{ J(janus_guard_subject__tags_entry), "key", 0, PN_API_NAME_BYTES },
	{ J(janus_guard_subject__tags_entry), "value", 0, PN_API_TEXT_BYTES },
	/* panoptes.v1.Agent */
	{ N(watch), "name", 0, PN_API_NAME_BYTES },
	{ N(watch), "subjects", SUBJECTS, 0 },
	{ N(watch), "log_format", 0, PN_API_TEXT_BYTES },
	{ N(watch), "pod", 0, PN_API_NAME_BYTES },
	{ N(targets), "pids", PIDS, 0 },
	{ N(targets), "cgroups", CGROUPS, PN_API_PATH_BYTES },
	{ N(targets), "containers", CONTAINERS, PN_API_ID_BYTES },
	{ N(targets), "namespaces", PATTERNS, PN_API_NAME_BYTES },
	{ N(targets), "container_names", PATTERNS, PN_API_NAME_BYTES },
	{ N(targets), "images", PATTERNS, PN_API_TEXT_BYTES },
	{ N(label_selector), "match_labels", LABEL_REQS, 0 },
	{ N(label_selector), "match_expressions", LABEL_REQS, 0 },
	{ N(label_selector__match_labels_entry), "key", 0, LABEL_KEY_BYTES },
	{ N(label_selector__match_labels_entry), "value", 0, LABEL_VALUE_BYTES },
	{ N(label_selector_requirement), "key", 0, LABEL_KEY_BYTES },
	{ N(label_selector_requirement), "operator", 0, PN_API_NAME_BYTES },
	{ N(label_selector_requirement), "values", LABEL_VALS, LABEL_VALUE_BYTES },
	{ N(subject), "paths", PATHS, PN_API_PATH_BYTES },
	{ N(subject), "events", EVENTS, 0 },
	{ N(subject), "ignore", IGNORES, PN_API_FILE_NAME_BYTES },
	{ N(subject), "tags", TAGS, 0 },
	{ N(subject__tags_entry), "key", 0, PN_API_NAME_BYTES },
	{ N(subject__tags_entry), "value", 0, PN_API_TEXT_BYTES },
	{ N(guard), "name", 0, PN_API_NAME_BYTES },
	{ N(guard), "subjects", SUBJECTS, 0 },
	{ N(guard), "log_format", 0, PN_API_TEXT_BYTES },
	{ N(guard), "pod", 0, PN_API_NAME_BYTES },
	{ N(guard_subject), "allow", PATHS, PN_API_PATH_BYTES },
	{ N(guard_subject), "deny", PATHS, PN_API_PATH_BYTES },
	{ N(guard_subject), "operations", EVENTS, 0 },
	{ N(guard_subject), "tags", TAGS, 0 },
	{ N(guard_subject__tags_entry), "key", 0, PN_API_NAME_BYTES },
	{ N(guard_subject__tags_entry), "value", 0, PN_API_TEXT_BYTES },
	{ N(delete_guard_request), "name", 0, PN_API_PATH_BYTES },
	/* a native name or an argus key (argus/NODE/pid:...) */
	{ N(delete_watch_request), "name", 0, PN_API_PATH_BYTES },
	{ N(list_watches_request), "page_token", 0, PN_API_PATH_BYTES },
	{ N(stream_events_request), "watches", PN_API_FILTER_WATCHES, PN_API_NAME_BYTES },
	{ N(stream_events_request), "events", EVENTS, 0 },
	{ N(stream_events_request), "path_prefix", 0, PN_API_PATH_BYTES },
	/* grpc.health.v1.Health */
	{ &grpc__health__v1__health_check_request__descriptor, "service", 0, PN_API_NAME_BYTES },
};
const size_t pn_api_n_bounds = ARRAY_SIZE(pn_api_bounds);

const struct pn_api_bound *pn_api_bound_of(const ProtobufCMessageDescriptor *msg, const char *field)
{
	for (size_t i = 0; i < ARRAY_SIZE(pn_api_bounds); i++)
		if (pn_api_bounds[i].msg == msg && strcmp(pn_api_bounds[i].field, field) == 0)
			return &pn_api_bounds[i];
	return NULL;
}

/* ------------------------------------------------------------ the walk */

/* The most fields a request message may have, and how deep messages nest. */
#define MAX_FIELDS 32
#define MAX_DEPTH  8

struct walk {
	const uint8_t *base; /* byte offsets in messages count from here */
	char *err;
	size_t errlen;
	char path[256]; /* "watch.subjects[0].paths[3]"; "" at the top */
	size_t plen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->err && w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err, w->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *here(const struct walk *w)
{
	return w->plen ? w->path : "request";
}

static int malformed(struct walk *w, const uint8_t *at, const char *what)
{
	return fail(w, "%s: not protobuf: %s at byte %zu", here(w), what, (size_t)(at - w->base));
}

/* Appends ".name" (or "name" at the top), or "[i]" when name is NULL. */
static void path_push(struct walk *w, const char *name, size_t i)
{
	size_t room = sizeof(w->path) - w->plen;
	int n = name ? snprintf(w->path + w->plen, room, "%s%s", w->plen ? "." : "", name) :
		       snprintf(w->path + w->plen, room, "[%zu]", i);

	/* a path cut short still names the field's start: good enough for a message */
	if (n > 0)
		w->plen += (size_t)n < room ? (size_t)n : room - 1;
}

static void path_cut(struct walk *w, size_t len)
{
	w->plen = len;
	w->path[len] = '\0';
}

/*
 * A varint of at most `most` bytes (10 for values; protobuf-c reads tags and
 * lengths in at most 5, and refuses longer ones however they decode).
 */
static int varint_of(const uint8_t **p, const uint8_t *end, unsigned most, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < most; i++) {
		uint8_t b;

		if (*p >= end)
			return -1;
		b = *(*p)++;
		if (i == 9 && b > 1)
			return -1; /* more than 64 bits */
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return most < 10 && x > UINT32_MAX ? -1 : 0;
		}
	}
	return -1;
}

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	return varint_of(p, end, 10, v);
}

static int varint32(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	return varint_of(p, end, 5, v);
}

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

static unsigned wire_type_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return WIRE_FIXED32;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return WIRE_FIXED64;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return WIRE_LEN;
	default:
		return WIRE_VARINT;
	}
}

/*
 * A map<string, string> entry, as protoc-c describes one: key = 1, value = 2,
 * "...Entry". Maps of other types are walked as plain messages.
 */
static bool is_map_entry(const ProtobufCMessageDescriptor *d)
{
	size_t n = strlen(d->name);

	return d->n_fields == 2 && d->fields[0].id == 1 && strcmp(d->fields[0].name, "key") == 0 &&
	       d->fields[0].type == PROTOBUF_C_TYPE_STRING && d->fields[1].id == 2 &&
	       strcmp(d->fields[1].name, "value") == 0 &&
	       d->fields[1].type == PROTOBUF_C_TYPE_STRING && n > 5 &&
	       strcmp(d->name + n - 5, "Entry") == 0;
}

static int text_fault(struct walk *w, const char *s, size_t n, const char *field_fmt,
		      const char *key, size_t key_len)
{
	struct pn_text_fault f;
	char what[64];

	if (!pn_text_check_n(s, n, &f))
		return 0;
	pn_text_fault_what(&f, what, sizeof(what));
	if (!field_fmt)
		return fail(w, "%s: %s", here(w), what);
	/* a map entry, worded as the subject checks word a tag */
	if (key)
		return fail(w, "%s: value of key \"%.*s\": %s", here(w), (int)key_len, key, what);
	return fail(w, "%s: a key: %s", here(w), what);
}

/* A map entry's strings once both are known: the key first, the value named by it. */
static int check_map_entry(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *k,
			   size_t kn, const uint8_t *v, size_t vn)
{
	const struct pn_api_bound *kb = pn_api_bound_of(d, "key"),
				  *vb = pn_api_bound_of(d, "value");

	if (!kb || !vb)
		return fail(w, "%s: %s has no bounds to check it by", here(w), d->name);
	if (kn > kb->max_bytes)
		return fail(w, "%s: a key of %zu bytes, at most %u", here(w), kn, kb->max_bytes);
	if (text_fault(w, (const char *)k, kn, "map", NULL, 0))
		return -EINVAL;
	if (vn > vb->max_bytes)
		return fail(w, "%s: value of key \"%.*s\": %zu bytes, at most %u", here(w), (int)kn,
			    (const char *)k, vn, vb->max_bytes);
	return text_fault(w, (const char *)v, vn, "map", (const char *)k, kn);
}

/* Entries of a packed repeated scalar field, or -1 if the bytes cannot be one. */
static long packed_count(unsigned wire, const uint8_t *p, size_t len)
{
	long n = 0;

	if (wire == WIRE_FIXED32)
		return len % 4 ? -1 : (long)(len / 4);
	if (wire == WIRE_FIXED64)
		return len % 8 ? -1 : (long)(len / 8);
	for (const uint8_t *q = p, *end = p + len; q < end; n++) {
		uint64_t v;

		if (varint(&q, end, &v))
			return -1;
	}
	return n;
}

static int walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			const uint8_t *end, unsigned depth);

static int walk_field(struct walk *w, const ProtobufCMessageDescriptor *d,
		      const ProtobufCFieldDescriptor *fd, unsigned wire, const uint8_t **pp,
		      const uint8_t *end, uint32_t *seen, unsigned depth, const uint8_t **map_val,
		      size_t *map_len)
{
	bool repeated = fd->label == PROTOBUF_C_LABEL_REPEATED;
	unsigned want = wire_type_of(fd->type);
	const struct pn_api_bound *b = pn_api_bound_of(d, fd->name);
	const uint8_t *p = *pp, *at = p;
	uint64_t v, len = 0;

	if (wire != want && !(repeated && want != WIRE_LEN && wire == WIRE_LEN))
		return fail(w, "%s: wire type %u, expected %u", here(w), wire, want);
	if (!repeated && (*seen)++)
		return fail(w, "%s: given more than once", here(w));
	/* every string and every repeated field has a row: a missing one fails closed */
	if (!b &&
	    (repeated || fd->type == PROTOBUF_C_TYPE_STRING || fd->type == PROTOBUF_C_TYPE_BYTES))
		return fail(w, "%s: %s has no bound to check it by", here(w), d->name);
	switch (wire) {
	case WIRE_VARINT:
		if (varint(&p, end, &v))
			return malformed(w, at, "a varint is cut short or too long");
		break;
	case WIRE_FIXED64:
	case WIRE_FIXED32: {
		size_t n = wire == WIRE_FIXED64 ? 8 : 4;

		if ((size_t)(end - p) < n)
			return malformed(w, at, "a fixed-size value is cut short");
		p += n;
		break;
	}
	default:
		if (varint32(&p, end, &len) || len > (uint64_t)(end - p))
			return malformed(w, at, "a length runs past the end of its message");
		break;
	}
	if (repeated) {
		long n = 1;

		if (wire == WIRE_LEN && want != WIRE_LEN) {
			n = packed_count(want, p, (size_t)len);
			if (n < 0)
				return malformed(w, at,
						 "a packed field does not divide into values");
		}
		if ((uint64_t)*seen + (uint64_t)n > b->max_entries)
			return fail(w, "%s: more than %u entries", here(w), b->max_entries);
		if (want == WIRE_LEN)
			path_push(w, NULL, *seen);
		*seen += (uint32_t)n;
	}
	if (wire == WIRE_LEN) {
		if (want != WIRE_LEN) {
			/* packed: counted above; each value a varint or fixed */
		} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			int e = walk_message(w, fd->descriptor, p, p + len, depth + 1);

			if (e)
				return e;
		} else if (map_val) {
			*map_val = p; /* a map entry's key or value: checked with the whole entry */
			*map_len = (size_t)len;
		} else {
			if (len > b->max_bytes)
				return fail(w, "%s: %llu bytes, at most %u", here(w),
					    (unsigned long long)len, b->max_bytes);
			if (fd->type == PROTOBUF_C_TYPE_STRING &&
			    text_fault(w, (const char *)p, (size_t)len, NULL, NULL, 0))
				return -EINVAL;
		}
		p += len;
	}
	*pp = p;
	return 0;
}

static int walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			const uint8_t *end, unsigned depth)
{
	uint32_t seen[MAX_FIELDS] = { 0 };
	const uint8_t *map_v[2] = { (const uint8_t *)"", (const uint8_t *)"" };
	size_t map_n[2] = { 0, 0 };
	bool map = is_map_entry(d);
	size_t plen = w->plen;

	if (depth > MAX_DEPTH || d->n_fields > MAX_FIELDS)
		return fail(w, "%s: %s nests too deep or has too many fields to check", here(w),
			    d->name);
	while (p < end) {
		const ProtobufCFieldDescriptor *fd;
		const uint8_t *at = p;
		uint64_t tag;
		size_t i;
		int e;

		if (varint32(&p, end, &tag))
			return malformed(w, at, "a field's tag is cut short or too long");
		if ((tag >> 3) == 0 || (tag >> 3) > 536870911)
			return malformed(w, at, "a field number out of range");
		fd = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
		if (!fd)
			return fail(w, "%s: field %u is not one of %s", here(w),
				    (unsigned)(tag >> 3), d->name);
		i = (size_t)(fd - d->fields);
		path_push(w, fd->name, 0);
		e = walk_field(w, d, fd, (unsigned)(tag & 7), &p, end, &seen[i], depth,
			       map ? &map_v[i] : NULL, map ? &map_n[i] : NULL);
		if (e)
			return e;
		path_cut(w, plen);
	}
	if (map) {
		/* the entry is named by its map, as the subject checks name tags */
		while (w->plen && w->path[w->plen - 1] != '[')
			w->plen--;
		if (w->plen)
			path_cut(w, w->plen - 1);
		if (check_map_entry(w, d, map_v[0], map_n[0], map_v[1], map_n[1]))
			return -EINVAL;
		path_cut(w, plen);
	}
	return 0;
}

int pn_api_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
		      char *err, size_t errlen)
{
	struct walk w = { .base = data, .err = err, .errlen = errlen };

	if (err && errlen)
		err[0] = '\0';
	if (!len)
		return 0;
	return walk_message(&w, desc, data, data + len, 0);
}
