// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the request wire check (src/api/bounds.c): the first
 * byte picks a request message, the rest is its wire bytes. Whatever the
 * bytes, the check must not crash or read out of bounds, and what it lets
 * through must be what it promises: protobuf-c decodes it, with no unknown
 * field kept, no list longer and no string longer than the table allows,
 * and every string sound text (so no NUL cut it short).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argus.pb-c.h"
#include "bounds.h"
#include "health.pb-c.h"
#include "panoptes/v1/agent.pb-c.h"
#include "request_messages.h"
#include "text.h"

static void broken(const char *what, const char *msg, const char *field)
{
	fprintf(stderr, "wire check let through %s: %s.%s\n", what, msg, field);
	abort();
}

static void within_bounds(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields)
		broken("unknown fields", d->name, "");
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const struct pn_api_bound *b = pn_api_bound_of(d, f->name);
		const char *at = (const char *)m + f->offset;
		size_t n = 1;
		void *const *v = (void *const *)at;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)((const char *)m + f->quantifier_offset);
			if (n > b->max_entries)
				broken("too many entries", d->name, f->name);
			v = *(void *const *const *)at;
		}
		for (size_t k = 0; k < n; k++) {
			if (f->type == PROTOBUF_C_TYPE_STRING) {
				const char *s = v[k];

				if (strlen(s) > b->max_bytes)
					broken("a long string", d->name, f->name);
				if (pn_text_check(s, NULL))
					broken("unsound text", d->name, f->name);
			} else if (f->type == PROTOBUF_C_TYPE_MESSAGE && v[k]) {
				within_bounds(v[k]);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m;
	char err[512];

	if (!size)
		return 0;
	d = requests[data[0] % (sizeof(requests) / sizeof(requests[0]))];
	if (pn_api_wire_check(d, data + 1, size - 1, err, sizeof(err))) {
		if (!err[0] || strlen(err) >= sizeof(err) - 1)
			broken("a refusal without a message", d->name, "");
		return 0;
	}
	m = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
	if (!m)
		broken("bytes protobuf-c refuses", d->name, "");
	within_bounds(m);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
