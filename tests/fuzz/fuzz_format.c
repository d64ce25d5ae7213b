// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the output side (src/lib/format.c, jsonstr.c,
 * text.c): a --log-format string and a synthetic event whose path, names
 * and comm are bytes from the input, and the escapers on the raw input.
 *
 * Input: 8 bytes ts_ns, 8 bytes realtime offset, 4 bytes of choices, then
 * NUL-separated fields: format, full path, file, other path, named path,
 * pod, node, container, comm, tag key, tag value, ... (missing ones empty).
 *
 * Promised, whatever the bytes:
 * - a log line and a JSON line report the length they write when given
 *   enough room, and into a shorter buffer write the NUL-terminated prefix
 *   and nothing past it (ASan);
 * - a log line is one line of well-formed UTF-8 without control bytes; a
 *   JSON line is one RFC 8259 object, well-formed UTF-8 with no raw control
 *   byte, whose path, comm and tags read back to the bytes given;
 * - {time} is an RFC 3339 time for any timestamp;
 * - pn_text_escape, pn_json_strn and pn_utf8_escape_dup read back to their
 *   input, and what they write is sound (text) or valid (JSON) UTF-8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "fuzz_check.h"
#include "jsonstr.h"
#include "out.h"
#include "text.h"

enum { F_FMT, F_FULL, F_FILE, F_OTHER, F_NAMED, F_POD, F_NODE, F_CONTAINER, F_COMM, F_TAGS };
#define MAX_TAGS 4

struct input {
	const char *field[F_TAGS + 2 * MAX_TAGS];
	size_t n_fields;
};

/* The NUL-separated fields of s[0..n), copied so each one ends in its NUL. */
static char *split(const uint8_t *s, size_t n, struct input *in)
{
	char *copy = malloc(n + 1);
	size_t start = 0;

	memcpy(copy, s, n);
	copy[n] = '\0';
	in->n_fields = 0;
	for (size_t i = 0; i <= n && in->n_fields < sizeof(in->field) / sizeof(in->field[0]); i++) {
		if (i < n && copy[i])
			continue;
		in->field[in->n_fields++] = copy + start;
		start = i + 1;
	}
	for (size_t i = in->n_fields; i < sizeof(in->field) / sizeof(in->field[0]); i++)
		in->field[i] = "";
	return copy;
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* ---------------------------------------------------------------- escapers */

static void escapers(const char *s, size_t n)
{
	size_t room = 6 * n + 3; /* quotes, and a newline for check_json_line */
	char *esc = malloc(room), *back = malloc(n + 1);
	struct out o = { esc, room, 0 };
	size_t i = 0;
	struct pn_text_fault f;
	bool oom = false;
	char *dup;
	long k;

	pn_text_escape(&o, s, n);
	if (o.pos > room)
		broken("pn_text_escape: %zu bytes for %zu in", o.pos, n);
	if (pn_text_check_n(esc, o.pos, &f))
		broken("pn_text_escape: byte %zu (0x%02x) of its output is not sound", f.offset,
		       f.value);
	k = text_unescape(esc, o.pos, back);
	if (k != (long)n || memcmp(back, s, n))
		broken("pn_text_escape: its output does not read back to its input");

	o = (struct out){ esc, room, 0 };
	pn_json_strn(&o, s, n);
	if (o.pos >= room)
		broken("pn_json_strn: %zu bytes for %zu in", o.pos, n);
	esc[o.pos] = '\n';
	check_json_line("pn_json_strn", esc, o.pos + 1);
	k = json_string(esc, o.pos, &i, back);
	if (k != (long)n || i != o.pos || memcmp(back, s, n))
		broken("pn_json_strn: its output is not one JSON string of its input");

	/* kernel names hold no NUL (a path is cut at its first): the copy is NUL-terminated */
	n = strnlen(s, n);
	dup = pn_utf8_escape_dup(s, n, &oom);
	if (oom)
		broken("pn_utf8_escape_dup: out of memory for %zu bytes", n);
	if (!dup != pn_utf8_valid(s, n))
		broken("pn_utf8_escape_dup: escaped valid UTF-8 or kept invalid bytes");
	if (dup) {
		k = text_unescape(dup, strlen(dup), back);
		if (!pn_utf8_valid(dup, strlen(dup)) || k != (long)n || memcmp(back, s, n))
			broken("pn_utf8_escape_dup: its output is not UTF-8 reading back to its input");
		free(dup);
	}
	if (!pn_text_check_n(s, n, &f) && !pn_utf8_valid(s, n))
		broken("pn_text_check: passed text that is not UTF-8");
	free(esc);
	free(back);
}

/* ---------------------------------------------------------------- lines */

typedef size_t (*format_fn)(char *buf, size_t len, const char *fmt, const struct pn_event *ev,
			    const struct pn_match *m, const struct pn_format_ctx *ctx);

static size_t json_line(char *buf, size_t len, const char *fmt, const struct pn_event *ev,
			const struct pn_match *m, const struct pn_format_ctx *ctx)
{
	(void)fmt;
	return pn_format_json(buf, len, ev, m, ctx);
}

/* Formats whole, then into buffers cut at a few lengths; returns the whole (the caller frees). */
static char *format_all(const char *what, format_fn fn, const char *fmt, const struct pn_event *ev,
			const struct pn_match *m, const struct pn_format_ctx *ctx, size_t *len)
{
	size_t n = fn(NULL, 0, fmt, ev, m, ctx);
	char *full = malloc(n + 1);
	size_t cuts[] = { 1, n / 2, n };

	check_prefix(what, full, n, full, n + 1, fn(full, n + 1, fmt, ev, m, ctx));
	if (strlen(full) != n)
		broken("%s: a NUL inside the line", what);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char *cut = malloc(cuts[i] ? cuts[i] : 1);

		check_prefix(what, full, n, cut, cuts[i], fn(cut, cuts[i], fmt, ev, m, ctx));
		free(cut);
	}
	*len = n;
	return full;
}

static void check_time(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != shape[i])
			broken("{time}: \"%.30s\" is not RFC 3339", t);
}

/* The JSON string after "key": decoded equals want[0..n). */
static void json_field_is(const char *line, size_t len, const char *key, const char *want, size_t n)
{
	char pat[32];
	const char *at;
	char *back = malloc(len);
	size_t i;
	long k;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	at = strstr(line, pat);
	if (!at)
		broken("JSON: no \"%s\"", key);
	i = (size_t)(at - line) + strlen(pat);
	k = json_string(line, len, &i, back);
	if (k != (long)n || memcmp(back, want, n))
		broken("JSON: \"%s\" does not read back to the bytes given", key);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pn_tag tags[MAX_TAGS];
	struct pn_subject subject = { 0 };
	struct pn_watch watch = { .name = "w" };
	struct pn_format_ctx ctx = { 0 };
	struct pn_event ev = { 0 };
	struct pn_match m = { 0 };
	struct input in;
	char *tags_text, *copy, *line;
	size_t n, full_len, t = 0;
	uint32_t pick;
	char err[512];

	escapers((const char *)data, size);
	if (size < 20)
		return 0;
	ev.ts_ns = u64_at(data);
	ctx.realtime_offset_ns = (int64_t)u64_at(data + 8);
	memcpy(&pick, data + 16, sizeof(pick));
	copy = split(data + 20, size - 20, &in);

	ctx.node = in.field[F_NODE];
	ctx.container = in.field[F_CONTAINER];
	/* the agent passes hex and uuids only; any text must still come out escaped */
	ctx.container_id = in.field[F_CONTAINER];
	ctx.pod_uid = in.field[F_POD];
	watch.pod = (char *)in.field[F_POD];
	ev.tgid = pick;
	ev.pid = ~pick;
	ev.uid = pick >> 3;
	ev.cgroup_id = ev.ts_ns ^ (uint64_t)ctx.realtime_offset_ns;
	ev.flags = pick >> 24;
	/* comm is not NUL-terminated when it fills its 16 bytes */
	memcpy(ev.comm, in.field[F_COMM], strnlen(in.field[F_COMM], sizeof(ev.comm)));
	ev.named_path = pick & 0x100 ? in.field[F_NAMED] : NULL;

	/* one event bit, mostly; now and then any value, or ISDIR, which is no event */
	m.event = pick & 0x10 ? pick : 1u << (pick % 13 == 12 ? 30 : pick % 13);
	m.is_dir = pick & 0x20;
	m.cookie = pick >> 8;
	m.full_path = pick & 0x40 ? NULL : in.field[F_FULL];
	full_len = strlen(in.field[F_FULL]);
	m.dir_len = full_len ? (pick >> 12) % (full_len + 1) : 0;
	m.file = pick & 0x80 ? NULL : in.field[F_FILE];
	m.other_path = pick & 0x200 ? in.field[F_OTHER] : NULL;
	m.watch = &watch;
	m.subject = pick & 0x400 ? NULL : &subject;
	/* "k=v,k=v" as pn_subject_finish builds it: no longer than the input and its separators */
	tags_text = malloc(size + 2 * MAX_TAGS);
	tags_text[0] = '\0';
	for (size_t i = 0; i < MAX_TAGS && F_TAGS + 2 * i + 1 < in.n_fields; i++) {
		tags[i].key = (char *)in.field[F_TAGS + 2 * i];
		tags[i].value = (char *)in.field[F_TAGS + 2 * i + 1];
		subject.n_tags = i + 1;
		t += (size_t)sprintf(tags_text + t, "%s%s=%s", i ? "," : "", tags[i].key,
				     tags[i].value);
	}
	subject.tags = tags;
	subject.tags_text = tags_text;

	/* the format is checked as a client's is; the formatter takes any string */
	if (pn_format_validate(in.field[F_FMT], err, sizeof(err)) &&
	    strncmp(err, "unknown log format specifier \"{", 31))
		broken("pn_format_validate: refusal \"%s\"", err);
	line = format_all("log line", pn_format_line, in.field[F_FMT], &ev, &m, &ctx, &n);
	check_line("log line", line, n);
	free(line);
	line = format_all("log line", pn_format_line, "{time}", &ev, &m, &ctx, &n);
	if (n != 31)
		broken("{time}: %zu bytes", n);
	check_time(line);
	free(line);

	line = format_all("JSON line", json_line, NULL, &ev, &m, &ctx, &n);
	check_json_line("JSON line", line, n);
	{
		size_t i = 0;

		if (!json_value(line, n - 1, &i, 0) || i != n - 1 || line[0] != '{')
			broken("JSON line: not one JSON object");
	}
	check_time(line + strlen("{\"time\":\""));
	json_field_is(line, n, "comm", ev.comm, strnlen(ev.comm, sizeof(ev.comm)));
	json_field_is(line, n, "node", ctx.node, strlen(ctx.node));
	if (m.full_path)
		json_field_is(line, n, "path", m.full_path, full_len);
	free(line);
	free(tags_text);
	free(copy);
	return 0;
}
