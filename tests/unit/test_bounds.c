// SPDX-License-Identifier: GPL-2.0-only
/* The request bounds and the wire check before decoding (src/api/bounds.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "argus.pb-c.h"
#include "bounds.h"
#include "health.pb-c.h"
#include "panoptes/v1/agent.pb-c.h"
#include "request_messages.h"

/* ------------------------------------------------------------ wire bytes by hand */

struct buf {
	uint8_t b[4 << 20];
	size_t n;
};

static void put_varint(struct buf *o, uint64_t v)
{
	do {
		o->b[o->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static void put_len(struct buf *o, unsigned field, const void *p, size_t n)
{
	put_varint(o, field << 3 | 2);
	put_varint(o, n);
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put_str(struct buf *o, unsigned field, const char *s)
{
	put_len(o, field, s, strlen(s));
}

static void put_msg(struct buf *o, unsigned field, const struct buf *m)
{
	put_len(o, field, m->b, m->n);
}

static struct buf *buf_new(void)
{
	struct buf *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	return b;
}

static char err[512];

static int check(const ProtobufCMessageDescriptor *d, const struct buf *b)
{
	err[0] = '\0';
	return pn_api_wire_check(d, b->b, b->n, err, sizeof(err));
}

static void refused(const ProtobufCMessageDescriptor *d, const struct buf *b, const char *want)
{
	assert_int_equal(check(d, b), -EINVAL);
	assert_string_equal(err, want);
}

#define CREATE (&panoptes__v1__create_watch_request__descriptor)
#define ARGUS  (&argus__argusd_config__descriptor)

/* A CreateWatchRequest around the Watch bytes in w. */
static struct buf *create_of(const struct buf *w)
{
	struct buf *r = buf_new();

	put_msg(r, 1, w);
	return r;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------ the table */

static void every_string_and_list_of_every_request_has_a_bound(void **state)
{
	const ProtobufCMessageDescriptor *todo[64];
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		todo[n++] = requests[i];
	while (n) {
		const ProtobufCMessageDescriptor *d = todo[--n];

		assert_true(d->n_fields <= 32);
		for (unsigned f = 0; f < d->n_fields; f++) {
			const ProtobufCFieldDescriptor *fd = &d->fields[f];
			const struct pn_api_bound *b = pn_api_bound_of(d, fd->name);

			if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
				assert_non_null(b);
				assert_true(b->max_entries > 0);
			}
			if (fd->type == PROTOBUF_C_TYPE_STRING ||
			    fd->type == PROTOBUF_C_TYPE_BYTES) {
				if (!b)
					fail_msg("%s.%s: no bound", d->name, fd->name);
				assert_true(b->max_bytes > 0);
			}
			if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
				assert_true(n < 64);
				todo[n++] = fd->descriptor;
			}
		}
	}
	/* and every row names a field that is there */
	for (size_t i = 0; i < pn_api_n_bounds; i++)
		assert_non_null(protobuf_c_message_descriptor_get_field_by_name(
			pn_api_bounds[i].msg, pn_api_bounds[i].field));
}

/* ------------------------------------------------------------ at the bounds and past them */

static void a_native_watch_at_its_bounds_passes_and_one_more_is_refused(void **state)
{
	Panoptes__V1__CreateWatchRequest req = PANOPTES__V1__CREATE_WATCH_REQUEST__INIT;
	Panoptes__V1__Watch w = PANOPTES__V1__WATCH__INIT;
	Panoptes__V1__Targets t = PANOPTES__V1__TARGETS__INIT;
	Panoptes__V1__Subject s = PANOPTES__V1__SUBJECT__INIT, *sv[1] = { &s };
	char *path = repeat('p', PN_API_PATH_BYTES), *paths[65], *cgroups[65];
	Panoptes__V1__Subject__TagsEntry tags[65], *tagv[65];
	char *name = repeat('n', PN_API_NAME_BYTES), *value = repeat('v', PN_API_TEXT_BYTES);
	char keys[65][8];
	struct buf *b = buf_new();
	int events[32];

	(void)state;
	path[0] = '/';
	for (size_t i = 0; i < 65; i++) {
		paths[i] = path;
		cgroups[i] = "/kubepods.slice";
		panoptes__v1__subject__tags_entry__init(&tags[i]);
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		tags[i].key = keys[i];
		tags[i].value = value;
		tagv[i] = &tags[i];
	}
	for (size_t i = 0; i < 32; i++)
		events[i] = 9;
	w.name = name;
	w.pod = name;
	w.targets = &t;
	t.cgroups = cgroups;
	t.n_cgroups = 64;
	w.subjects = sv;
	w.n_subjects = 1;
	s.paths = paths;
	s.n_paths = 64;
	s.events = (Panoptes__V1__EventType *)events;
	s.n_events = 32;
	s.tags = tagv;
	s.n_tags = 64;
	req.watch = &w;
	b->n = protobuf_c_message_pack(&req.base, b->b);
	assert_int_equal(check(CREATE, b), 0);

	s.n_paths = 65;
	b->n = protobuf_c_message_pack(&req.base, b->b);
	refused(CREATE, b, "watch.subjects[0].paths: more than 64 entries");
	s.n_paths = 1;
	t.n_cgroups = 65;
	b->n = protobuf_c_message_pack(&req.base, b->b);
	refused(CREATE, b, "watch.targets.cgroups: more than 64 entries");
	t.n_cgroups = 1;
	s.n_tags = 65;
	b->n = protobuf_c_message_pack(&req.base, b->b);
	refused(CREATE, b, "watch.subjects[0].tags: more than 64 entries");
	s.n_tags = 1;

	free(path);
	path = repeat('p', PN_API_PATH_BYTES + 1);
	path[0] = '/';
	paths[0] = path;
	b->n = protobuf_c_message_pack(&req.base, b->b);
	refused(CREATE, b, "watch.subjects[0].paths[0]: 4096 bytes, at most 4095");
	paths[0] = "/ok";

	w.name = "w";
	free(name);
	name = repeat('n', PN_API_NAME_BYTES + 1);
	w.pod = name;
	b->n = protobuf_c_message_pack(&req.base, b->b);
	refused(CREATE, b, "watch.pod: 254 bytes, at most 253");
	w.pod = "";

	free(value);
	value = repeat('v', PN_API_TEXT_BYTES + 1);
	tags[0].value = value;
	b->n = protobuf_c_message_pack(&req.base, b->b);
	refused(CREATE, b, "watch.subjects[0].tags: value of key \"k0\": 1025 bytes, at most 1024");

	free(path);
	free(name);
	free(value);
	free(b);
}

static void argus_fields_are_named_as_argus_spells_them(void **state)
{
	struct buf *c = buf_new(), *s = buf_new();
	char *long_path = repeat('x', PN_API_PATH_BYTES + 1);

	(void)state;
	put_str(s, 1, "/a");
	put_str(s, 1, "/b");
	put_str(s, 1, long_path);
	put_msg(c, 6, s);
	refused(ARGUS, c, "subject[0].path[2]: 4096 bytes, at most 4095");

	/* 60,000 copies of one cid: refused at the 65th, nothing decoded */
	c->n = 0;
	for (int i = 0; i < 60000; i++)
		put_str(c, 5, "docker://0123456789ab");
	refused(ARGUS, c, "cid: more than 16 entries");

	/* pids packed and not: one count across both */
	c->n = 0;
	{
		struct buf *packed = buf_new();

		for (int i = 1; i <= 190; i++)
			put_varint(packed, (uint64_t)i);
		put_msg(c, 4, packed);
		for (int i = 0; i < 10; i++) {
			put_varint(c, 4 << 3 | 0);
			put_varint(c, 7);
		}
		assert_int_equal(check(ARGUS, c), 0);
		put_varint(c, 4 << 3 | 0);
		put_varint(c, 7);
		refused(ARGUS, c, "pid: more than 200 entries");
		free(packed);
	}
	free(long_path);
	free(c);
	free(s);
}

/* ------------------------------------------------------------ text, unknown fields, the wire */

static void text_is_checked_by_the_one_rule_and_nul_is_not_cut(void **state)
{
	struct buf *w = buf_new(), *r;

	(void)state;
	put_len(w, 1, "a\0b", 3);
	r = create_of(w);
	refused(CREATE, r, "watch.name: control byte 0x00 at byte 1");
	free(r);

	w->n = 0;
	put_str(w, 5, "\xc0\xaf");
	r = create_of(w);
	refused(CREATE, r, "watch.pod: not valid UTF-8 at byte 0 (0xc0)");
	free(r);

	/* a map entry: the key named, as the subject checks name tags */
	{
		struct buf *s = buf_new(), *e = buf_new();

		put_str(e, 1, "team");
		put_str(e, 2, "web\nforged");
		put_msg(s, 8, e);
		w->n = 0;
		put_msg(w, 3, s);
		r = create_of(w);
		refused(CREATE, r,
			"watch.subjects[0].tags: value of key \"team\": control byte 0x0a at byte 3");
		free(r);
		/* the value first on the wire: still named by its key */
		e->n = 0;
		put_str(e, 2, "ok\x1b");
		put_str(e, 1, "k");
		s->n = 0;
		put_str(s, 1, "/p");
		put_msg(s, 8, e);
		w->n = 0;
		put_msg(w, 3, s);
		put_msg(w, 3, s);
		r = create_of(w);
		refused(CREATE, r,
			"watch.subjects[0].tags: value of key \"k\": control byte 0x1b at byte 2");
		free(r);
		e->n = 0;
		put_str(e, 1, "\xff");
		s->n = 0;
		put_msg(s, 8, e);
		w->n = 0;
		put_msg(w, 3, s);
		r = create_of(w);
		refused(CREATE, r,
			"watch.subjects[0].tags: a key: not valid UTF-8 at byte 0 (0xff)");
		free(r);
		free(s);
		free(e);
	}

	/* argus: same rule, argus names */
	r = buf_new();
	put_str(r, 5, "docker://ab\ncd");
	refused(ARGUS, r, "cid[0]: control byte 0x0a at byte 11");
	free(r);
	free(w);
}

static void unknown_fields_are_refused_by_number(void **state)
{
	struct buf *r = buf_new(), *w = buf_new();

	(void)state;
	/* 4 MiB of these used to cost +127 MB of kept unknown fields */
	put_varint(r, 7 << 3 | 0);
	put_varint(r, 1);
	refused(&panoptes__v1__get_status_request__descriptor, r,
		"request: field 7 is not one of panoptes.v1.GetStatusRequest");

	put_str(w, 1, "w");
	put_str(w, 42, "x");
	free(r);
	r = create_of(w);
	refused(CREATE, r, "watch: field 42 is not one of panoptes.v1.Watch");
	free(r);

	r = buf_new();
	put_str(r, 9, "x");
	refused(ARGUS, r, "request: field 9 is not one of argus.ArgusdConfig");
	free(r);
	free(w);
}

static void malformed_wire_is_named_with_its_offset(void **state)
{
	struct buf *r = buf_new(), *w = buf_new();

	(void)state;
	r->b[r->n++] = 0x0a; /* field 1, length-delimited */
	r->b[r->n++] = 0x80; /* a length whose varint never ends */
	refused(CREATE, r,
		"watch: not protobuf: a length runs past the end of its message at byte 1");

	r->n = 0;
	put_varint(r, 1 << 3 | 2);
	put_varint(r, 100);
	r->b[r->n++] = 'x';
	refused(CREATE, r,
		"watch: not protobuf: a length runs past the end of its message at byte 1");

	r->n = 0;
	r->b[r->n++] = 0x00; /* field number 0 */
	r->b[r->n++] = 0x00;
	refused(CREATE, r, "request: not protobuf: a field number out of range at byte 0");

	r->n = 0;
	r->b[r->n++] = 0x80; /* a tag cut short */
	refused(CREATE, r,
		"request: not protobuf: a field's tag is cut short or too long at byte 0");

	/* the right field, the wrong wire type: a name sent as a varint */
	put_varint(w, 1 << 3 | 0);
	put_varint(w, 5);
	free(r);
	r = create_of(w);
	refused(CREATE, r, "watch.name: wire type 0, expected 2");
	free(r);

	/* groups (wire type 3) are no type of ours */
	w->n = 0;
	put_varint(w, 1 << 3 | 3);
	r = create_of(w);
	refused(CREATE, r, "watch.name: wire type 3, expected 2");
	free(r);

	/* a singular field twice: protobuf-c would keep one, we say so */
	w->n = 0;
	put_str(w, 1, "a");
	put_str(w, 1, "b");
	r = create_of(w);
	refused(CREATE, r, "watch.name: given more than once");
	free(r);

	/* a packed list whose last varint does not end */
	r = buf_new();
	put_len(r, 4, "\x01\x82", 2);
	refused(ARGUS, r,
		"pid: not protobuf: a packed field does not divide into values at byte 1");
	free(r);

	/* nothing at all is the empty message */
	r = buf_new();
	assert_int_equal(check(&panoptes__v1__get_status_request__descriptor, r), 0);
	free(r);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_string_and_list_of_every_request_has_a_bound),
		cmocka_unit_test(a_native_watch_at_its_bounds_passes_and_one_more_is_refused),
		cmocka_unit_test(argus_fields_are_named_as_argus_spells_them),
		cmocka_unit_test(text_is_checked_by_the_one_rule_and_nul_is_not_cut),
		cmocka_unit_test(unknown_fields_are_refused_by_number),
		cmocka_unit_test(malformed_wire_is_named_with_its_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
