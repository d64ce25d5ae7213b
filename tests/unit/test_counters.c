// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel counter list (PN_COUNTERS in bpf/shared/panoptes_event.h)
 * against what cannot be generated from it: panoptes.v1.KernelCounters in
 * the .proto. The C code that copies the counters into the message names
 * each field, so a counter missing from the message does not build; this
 * catches the rest (a field the list does not know, numbers out of the
 * list's order, a wrong type).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macros.h"
#include "panoptes/v1/agent.pb-c.h"
#include "panoptes_event.h"

struct row {
	const char *name, *metric, *help;
	size_t offset;
};

static const struct row rows[] = {
#define ROW(name, metric, help) { #name, metric, help, offsetof(struct pn_counters, name) },
	PN_COUNTERS(ROW)
#undef ROW
};

static void proto_fields_follow_the_list(void **state)
{
	const ProtobufCMessageDescriptor *d = &panoptes__v1__kernel_counters__descriptor;

	(void)state;
	assert_int_equal(d->n_fields, ARRAY_SIZE(rows));
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(d, (unsigned)i + 1);

		assert_non_null(f);
		assert_string_equal(f->name, rows[i].name);
		assert_int_equal(f->type, PROTOBUF_C_TYPE_UINT64);
		assert_int_equal(f->label, PROTOBUF_C_LABEL_NONE);
	}
}

static void status_carries_the_counters(void **state)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
		&panoptes__v1__status__descriptor, "kernel");

	(void)state;
	assert_non_null(f);
	assert_int_equal(f->type, PROTOBUF_C_TYPE_MESSAGE);
	assert_ptr_equal(f->descriptor, &panoptes__v1__kernel_counters__descriptor);
}

/* The struct is the list in order, without holes: the kernel and userspace agree on it. */
static void struct_is_the_list(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct pn_counters), ARRAY_SIZE(rows) * sizeof(__u64));
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		assert_int_equal(rows[i].offset, i * sizeof(__u64));
}

/* Prometheus: counters end in _total, names are unique, help is one sentence on one line. */
static void metrics_are_well_formed(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		size_t n = strlen(rows[i].metric), h = strlen(rows[i].help);

		assert_true(strncmp(rows[i].metric, "panoptes_", 9) == 0);
		assert_true(n > 6 && strcmp(rows[i].metric + n - 6, "_total") == 0);
		assert_int_equal(strspn(rows[i].metric, "abcdefghijklmnopqrstuvwxyz_"), n);
		assert_true(h > 1 && rows[i].help[h - 1] == '.');
		assert_null(strpbrk(rows[i].help, "\n\\"));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(rows[i].metric, rows[j].metric);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proto_fields_follow_the_list),
		cmocka_unit_test(status_carries_the_counters),
		cmocka_unit_test(struct_is_the_list),
		cmocka_unit_test(metrics_are_well_formed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
