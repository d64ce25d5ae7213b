// SPDX-License-Identifier: GPL-2.0-only
/*
 * Log lines and JSON lines. Both run once per reported event on the ring
 * buffer consumer thread, so they write straight into the caller's buffer:
 * no allocation, no stdio, one pass over the format string.
 *
 * Both follow snprintf's convention: the return value is the length the
 * whole output needs (without the NUL); if it is >= len the output was cut,
 * and buf holds a NUL-terminated prefix, which the caller must not emit as a
 * complete record (a cut JSON object is not JSON).
 */
#define _GNU_SOURCE /* strchrnul */
#include "format.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "jsonstr.h"
#include "out.h"
#include "text.h"

#define NSEC_PER_SEC 1000000000LL

static size_t out_finish(struct out *o)
{
	/* The last byte may hold output that did not fit: the NUL wins, as with snprintf. */
	if (o->len)
		o->buf[o->pos < o->len ? o->pos : o->len - 1] = '\0';
	return o->pos;
}

static void out_u64(struct out *o, uint64_t v)
{
	char tmp[20]; /* UINT64_MAX has 20 digits */
	char *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_mem(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static inline void put2(char *p, unsigned int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * gmtime_r takes glibc's timezone lock on every call; events arrive in
 * bursts within the same second, so each thread keeps the date and time of
 * the last second it formatted and only the nanoseconds change.
 */
static _Thread_local int64_t time_cache_sec = INT64_MIN;
static _Thread_local char time_cache[19]; /* "YYYY-MM-DDTHH:MM:SS" */

size_t pn_format_time(char *buf, size_t len, int64_t realtime_ns)
{
	int64_t sec = realtime_ns / NSEC_PER_SEC;
	int64_t nsec = realtime_ns % NSEC_PER_SEC;
	char tmp[30];
	struct out o = { buf, len, 0 };

	if (nsec < 0) { /* floor, so times before 1970 still read forward */
		nsec += NSEC_PER_SEC;
		sec--;
	}
	if (sec != time_cache_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		unsigned int year;

		/* int64 nanoseconds span the years 1677..2262: always four digits */
		if (!gmtime_r(&t, &tm))
			memset(&tm, 0, sizeof(tm));
		year = (unsigned int)(tm.tm_year + 1900);
		put2(time_cache, year / 100);
		put2(time_cache + 2, year % 100);
		time_cache[4] = '-';
		put2(time_cache + 5, (unsigned int)tm.tm_mon + 1);
		time_cache[7] = '-';
		put2(time_cache + 8, (unsigned int)tm.tm_mday);
		time_cache[10] = 'T';
		put2(time_cache + 11, (unsigned int)tm.tm_hour);
		time_cache[13] = ':';
		put2(time_cache + 14, (unsigned int)tm.tm_min);
		time_cache[16] = ':';
		put2(time_cache + 17, (unsigned int)tm.tm_sec);
		time_cache_sec = sec;
	}
	memcpy(tmp, time_cache, sizeof(time_cache));
	tmp[19] = '.';
	for (int i = 28; i >= 20; i--) {
		tmp[i] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
	tmp[29] = 'Z';
	out_mem(&o, tmp, sizeof(tmp));
	return out_finish(&o);
}

int64_t pn_format_realtime_ns(uint64_t ts_ns, int64_t offset_ns)
{
	int64_t t;

	/*
	 * A kernel timestamp is unsigned and the offset signed: their sum is
	 * computed exactly and kept only if int64 holds it. ts_ns >= 0, so it
	 * can only be too late, never too early.
	 */
	if (__builtin_add_overflow(ts_ns, offset_ns, &t))
		return INT64_MAX;
	return t;
}

/* ------------------------------------------------------------------ log lines */

enum spec {
	SP_NONE,
	SP_EVENT,
	SP_FTYPE,
	SP_PATH,
	SP_FILE,
	SP_SEP,
	SP_POD,
	SP_NODE,
	SP_TAGS,
	SP_PID,
	SP_COMM,
	SP_UID,
	SP_CGROUP,
	SP_CONTAINER,
	SP_CONTAINER_ID,
	SP_POD_UID,
	SP_NAMESPACE,
	SP_CONTAINER_NAME,
	SP_IMAGE,
	SP_IMAGE_ID,
	SP_LABELS,
	SP_ANNOTATIONS,
	SP_TIME,
	SP_RESPONSE,
};

#define SPECS_VALID                                                                                \
	"{event} {ftype} {path} {file} {sep} {pod} {node} {tags} {pid} {comm} {uid} {cgroup} "     \
	"{container} {container_id} {pod_uid} {namespace} {container_name} {image} {image_id} "    \
	"{labels} {annotations} {time} {response}"

static enum spec spec_lookup(const char *name, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
	switch (name[0]) {
	case 'a':
		return IS("annotations") ? SP_ANNOTATIONS : SP_NONE;
	case 'c':
		if (IS("comm"))
			return SP_COMM;
		if (IS("cgroup"))
			return SP_CGROUP;
		if (IS("container_id"))
			return SP_CONTAINER_ID;
		if (IS("container_name"))
			return SP_CONTAINER_NAME;
		return IS("container") ? SP_CONTAINER : SP_NONE;
	case 'e':
		return IS("event") ? SP_EVENT : SP_NONE;
	case 'f':
		return IS("file") ? SP_FILE : IS("ftype") ? SP_FTYPE : SP_NONE;
	case 'i':
		return IS("image") ? SP_IMAGE : IS("image_id") ? SP_IMAGE_ID : SP_NONE;
	case 'l':
		return IS("labels") ? SP_LABELS : SP_NONE;
	case 'n':
		return IS("node") ? SP_NODE : IS("namespace") ? SP_NAMESPACE : SP_NONE;
	case 'p':
		if (IS("pod_uid"))
			return SP_POD_UID;
		return IS("path") ? SP_PATH : IS("pod") ? SP_POD : IS("pid") ? SP_PID : SP_NONE;
	case 'r':
		return IS("response") ? SP_RESPONSE : SP_NONE;
	case 's':
		return IS("sep") ? SP_SEP : SP_NONE;
	case 't':
		return IS("tags") ? SP_TAGS : IS("time") ? SP_TIME : SP_NONE;
	case 'u':
		return IS("uid") ? SP_UID : SP_NONE;
	}
	return SP_NONE;
#undef IS
}

static inline bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/*
 * A specifier is "{" identifier "}". Anything else holding braces (a "{}",
 * "{ path}", JSON-looking text, a lone "{") is plain text, so formats may
 * contain braces without an escape syntax. Returns the end of the
 * identifier if it is followed by '}', else NULL.
 */
static inline const char *scan_spec(const char *open)
{
	const char *q = open + 1;

	while (is_name_char(*q))
		q++;
	return (*q == '}' && q > open + 1) ? q : NULL;
}

static const struct pn_format_ctx empty_ctx = { .node = "", .container = "" };

static const char *event_name(uint32_t event)
{
	const char *name = event != PN_ISDIR ? pn_event_bit_name(event) : NULL;

	return name ? name : "UNKNOWN";
}

const char *pn_format_pod(const struct pn_match *m, const struct pn_format_ctx *ctx)
{
	if (m->watch && m->watch->pod && m->watch->pod[0])
		return m->watch->pod;
	return ctx->pod ? ctx->pod : "";
}

/* A value others chose, escaped as file names are; NULL prints nothing. */
static void escape_str(struct out *o, const char *s)
{
	if (s)
		pn_text_escape(o, s, strlen(s));
}

/* k=v,k=v, as {tags} prints a subject's tags; each part escaped as file names are */
static void escape_labels(struct out *o, const struct pn_labels *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		if (i)
			out_char(o, ',');
		escape_str(o, l->keys[i]);
		out_char(o, '=');
		escape_str(o, l->values[i]);
	}
}

static void emit_spec(struct out *o, enum spec sp, const struct pn_event *ev,
		      const struct pn_match *m, const struct pn_format_ctx *ctx)
{
	switch (sp) {
	case SP_EVENT:
		out_str(o, ctx->decision_event ? ctx->decision_event : event_name(m->event));
		break;
	case SP_RESPONSE:
		escape_str(o, ctx->response);
		break;
	case SP_FTYPE:
		if (m->is_dir)
			out_lit(o, "directory");
		else
			out_lit(o, "file");
		break;
	case SP_PATH:
		/* a guard's decision: the object's whole path, as janusd printed it */
		if (m->full_path)
			pn_text_escape(o, m->full_path,
				       ctx->response ? strlen(m->full_path) : m->dir_len);
		break;
	case SP_FILE:
		if (m->file)
			pn_text_escape(o, m->file, strlen(m->file));
		break;
	case SP_SEP:
		/* the root directory already ends in '/': "/" + "x" is "/x", not "//x" */
		if (m->file && m->file[0] && !ctx->response &&
		    !(m->dir_len && m->full_path && m->full_path[m->dir_len - 1] == '/'))
			out_char(o, '/');
		break;
	case SP_POD:
		escape_str(o, pn_format_pod(m, ctx));
		break;
	case SP_NODE:
		escape_str(o, ctx->node);
		break;
	case SP_TAGS:
		if (m->subject && m->subject->tags_text)
			pn_text_escape(o, m->subject->tags_text, strlen(m->subject->tags_text));
		break;
	case SP_PID:
		out_u64(o, ev->tgid); /* the process, as ps shows it; JSON also has the thread */
		break;
	case SP_COMM:
		pn_text_escape(o, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
		break;
	case SP_UID:
		out_u64(o, ev->uid);
		break;
	case SP_CGROUP:
		out_u64(o, ev->cgroup_id);
		break;
	case SP_CONTAINER:
		escape_str(o, ctx->container);
		break;
	case SP_CONTAINER_ID:
		escape_str(o, ctx->container_id);
		break;
	case SP_POD_UID:
		escape_str(o, ctx->pod_uid);
		break;
	case SP_NAMESPACE:
		escape_str(o, ctx->namespace);
		break;
	case SP_CONTAINER_NAME:
		escape_str(o, ctx->container_name);
		break;
	case SP_IMAGE:
		escape_str(o, ctx->image);
		break;
	case SP_IMAGE_ID:
		escape_str(o, ctx->image_id);
		break;
	case SP_LABELS:
		escape_labels(o, ctx->labels);
		break;
	case SP_ANNOTATIONS:
		escape_labels(o, ctx->annotations);
		break;
	case SP_TIME: {
		char t[32];

		out_mem(o, t,
			pn_format_time(t, sizeof(t),
				       pn_format_realtime_ns(ev->ts_ns, ctx->realtime_offset_ns)));
		break;
	}
	case SP_NONE:
		break;
	}
}

int pn_format_validate(const char *fmt, char *err, size_t errlen)
{
	const char *p = fmt, *end = NULL;

	if (!fmt)
		return 0; /* NULL means the default format */
	while (*(p = strchrnul(p, '{'))) {
		end = scan_spec(p);
		if (end && spec_lookup(p + 1, (size_t)(end - p - 1)) == SP_NONE)
			break;
		p = end ? end + 1 : p + 1;
	}
	if (!*p)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "unknown log format specifier \"%.*s\" in \"%s\"; valid: %s",
			 (int)(end - p + 1), p, fmt, SPECS_VALID);
	return -EINVAL;
}

static inline void out_literal(struct out *o, const char *s, size_t n, bool plain)
{
	if (plain)
		out_mem(o, s, n);
	else
		pn_text_escape(o, s, n);
}

size_t pn_format_line(char *buf, size_t len, const char *fmt, const struct pn_event *ev,
		      const struct pn_match *m, const struct pn_format_ctx *ctx)
{
	struct out o = { buf, len, 0 };
	const char *lit, *p;
	size_t fmt_len;
	bool lit_plain;

	if (!fmt)
		fmt = PN_DEFAULT_LOG_FORMAT;
	if (!ctx)
		ctx = &empty_ctx;
	/*
	 * Formats are client text (no control bytes), so their literal parts
	 * nearly never need an escape: one scan of the whole format tells, and
	 * the parts are then copied as they are.
	 */
	fmt_len = strlen(fmt);
	lit_plain = plain_prefix((const unsigned char *)fmt, fmt_len, pn_text_plain_word,
				 pn_text_plain) == fmt_len;
	lit = p = fmt;
	while (*(p = strchrnul(p, '{'))) {
		const char *end = scan_spec(p);
		enum spec sp = end ? spec_lookup(p + 1, (size_t)(end - p - 1)) : SP_NONE;

		if (sp == SP_NONE) {
			p++;
			continue;
		}
		out_literal(&o, lit, (size_t)(p - lit), lit_plain);
		emit_spec(&o, sp, ev, m, ctx);
		lit = p = end + 1;
	}
	out_literal(&o, lit, (size_t)(p - lit), lit_plain);
	out_char(&o, '\n');
	return out_finish(&o);
}

/* ------------------------------------------------------------------ JSON lines */

/*
 * Hand-written rather than a JSON library: the object has a fixed shape, the
 * values are a few strings and integers, and the libraries at hand (json-c,
 * jansson) build a tree of allocated nodes per object and then serialize it,
 * which costs several times more than writing the bytes in place.
 */

static inline void json_str(struct out *o, const char *s)
{
	if (!s)
		s = "";
	pn_json_strn(o, s, strlen(s));
}

/* {"k":"v",...} in key order (the runtime's client sorted them); NULL is {} */
static void json_labels(struct out *o, const struct pn_labels *l)
{
	out_char(o, '{');
	for (size_t i = 0; l && i < l->n; i++) {
		if (i)
			out_char(o, ',');
		json_str(o, l->keys[i]);
		out_char(o, ':');
		json_str(o, l->values[i]);
	}
	out_char(o, '}');
}

size_t pn_format_json(char *buf, size_t len, const struct pn_event *ev, const struct pn_match *m,
		      const struct pn_format_ctx *ctx)
{
	struct out o = { buf, len, 0 };
	const char *name;
	const char *full = m->full_path ? m->full_path : "";
	char t[32];

	if (!ctx)
		ctx = &empty_ctx;
	name = ctx->decision_event ? ctx->decision_event : event_name(m->event);

	out_lit(&o, "{\"time\":\"");
	out_mem(&o, t,
		pn_format_time(t, sizeof(t),
			       pn_format_realtime_ns(ev->ts_ns, ctx->realtime_offset_ns)));
	out_lit(&o, "\",\"event\":\"");
	out_str(&o, name);
	out_lit(&o, "\",\"events\":[\"");
	out_str(&o, name);
	if (m->is_dir)
		out_lit(&o, "\",\"ISDIR\"],\"ftype\":\"directory\",\"is_dir\":true,\"path\":");
	else
		out_lit(&o, "\"],\"ftype\":\"file\",\"is_dir\":false,\"path\":");
	json_str(&o, full);
	out_lit(&o, ",\"dir\":");
	pn_json_strn(&o, full, m->full_path ? m->dir_len : 0);
	out_lit(&o, ",\"file\":");
	json_str(&o, m->file);

	/*
	 * Every object says where its path came from or went to, so a reader needs
	 * only one line of a pair: MOVED_TO (path is the new name) carries
	 * old_path; MOVED_FROM and MOVE_SELF (path is the old name) carry
	 * new_path. The cookie links MOVED_FROM to its MOVED_TO.
	 */
	if (m->event & (PN_MOVED_FROM | PN_MOVED_TO | PN_MOVE_SELF)) {
		if (m->other_path) {
			if (m->event == PN_MOVED_TO)
				out_lit(&o, ",\"old_path\":");
			else
				out_lit(&o, ",\"new_path\":");
			json_str(&o, m->other_path);
		}
		out_lit(&o, ",\"cookie\":");
		out_u64(&o, m->cookie);
	}

	/* the name the process opened, where a symlink led elsewhere (vfs backend) */
	if (ev->named_path) {
		out_lit(&o, ",\"named_path\":");
		json_str(&o, ev->named_path);
	}

	/* only when set, like named_path: another hard link may name this file (docs/events.md) */
	if (ev->flags & PN_REC_MULTILINK)
		out_lit(&o, ",\"multilink\":true");
	/* likewise: the runtime did not name the container in time (docs/events.md) */
	if (ctx->identity_incomplete)
		out_lit(&o, ",\"identity_incomplete\":true");

	/* pid is the thread (the kernel's task pid), tgid the process; log lines' {pid} is tgid */
	out_lit(&o, ",\"pid\":");
	out_u64(&o, ev->pid);
	out_lit(&o, ",\"tgid\":");
	out_u64(&o, ev->tgid);
	out_lit(&o, ",\"uid\":");
	out_u64(&o, ev->uid);
	out_lit(&o, ",\"gid\":");
	out_u64(&o, ev->gid);
	out_lit(&o, ",\"comm\":");
	pn_json_strn(&o, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	out_lit(&o, ",\"cgroup_id\":");
	out_u64(&o, ev->cgroup_id);
	out_lit(&o, ",\"container\":");
	json_str(&o, ctx->container);
	out_lit(&o, ",\"container_id\":");
	json_str(&o, ctx->container_id);
	out_lit(&o, ",\"pod_uid\":");
	json_str(&o, ctx->pod_uid);
	out_lit(&o, ",\"namespace\":");
	json_str(&o, ctx->namespace);
	out_lit(&o, ",\"container_name\":");
	json_str(&o, ctx->container_name);
	out_lit(&o, ",\"image\":");
	json_str(&o, ctx->image);
	out_lit(&o, ",\"image_id\":");
	json_str(&o, ctx->image_id);
	if (ctx->with_labels) {
		out_lit(&o, ",\"labels\":");
		json_labels(&o, ctx->labels);
	}
	if (ctx->with_annotations) {
		out_lit(&o, ",\"annotations\":");
		json_labels(&o, ctx->annotations);
	}
	if (ctx->response) {
		/* a guard's decision: the guard's name, and what it answered */
		out_lit(&o, ",\"guard\":");
		json_str(&o, m->watch ? m->watch->name : NULL);
		out_lit(&o, ",\"response\":");
		json_str(&o, ctx->response);
	} else {
		out_lit(&o, ",\"watch\":");
		json_str(&o, m->watch ? m->watch->name : NULL);
	}
	out_lit(&o, ",\"pod\":");
	json_str(&o, pn_format_pod(m, ctx));
	out_lit(&o, ",\"node\":");
	json_str(&o, ctx->node);

	/* pn_subject_finish() sorted the tags by key, so this is key order */
	out_lit(&o, ",\"tags\":{");
	if (m->subject) {
		for (size_t i = 0; i < m->subject->n_tags; i++) {
			if (i)
				out_char(&o, ',');
			json_str(&o, m->subject->tags[i].key);
			out_char(&o, ':');
			json_str(&o, m->subject->tags[i].value);
		}
	}
	out_char(&o, '}');
	if (ev->flags & (PN_EV_UNRESOLVED | PN_EV_OLD_UNRESOLVED))
		out_lit(&o, ",\"unresolved\":true");
	if (ev->flags & (PN_REC_TRUNCATED | PN_REC_OLD_TRUNCATED))
		out_lit(&o, ",\"truncated\":true}\n");
	else
		out_lit(&o, ",\"truncated\":false}\n");
	return out_finish(&o);
}
