// SPDX-License-Identifier: GPL-2.0-only
/* ARRAY_SIZE and container_of (src/lib/macros.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "macros.h"

struct outer {
	char head;
	uint64_t middle;
	struct {
		int a, b;
	} inner;
	char tail[3];
};

static void array_size_counts_elements(void **state)
{
	static const char *const names[] = { "a", "b", "c" };
	uint64_t words[7];
	struct outer many[5];
	char text[] = "four";

	(void)state;
	(void)words, (void)many;
	assert_int_equal(ARRAY_SIZE(names), 3);
	assert_int_equal(ARRAY_SIZE(words), 7);
	assert_int_equal(ARRAY_SIZE(many), 5);
	assert_int_equal(ARRAY_SIZE(text), 5);
	assert_int_equal(ARRAY_SIZE(((struct outer *)0)->tail), 3);
	/* an integer constant expression: it can size another array */
	_Static_assert(sizeof(char[ARRAY_SIZE(words)]) == 7, "constant");
}

static void container_of_finds_the_struct(void **state)
{
	struct outer o;

	(void)state;
	assert_ptr_equal(container_of(&o.head, struct outer, head), &o);
	assert_ptr_equal(container_of(&o.middle, struct outer, middle), &o);
	assert_ptr_equal(container_of(&o.inner, struct outer, inner), &o);
	assert_ptr_equal(container_of(&o.tail, struct outer, tail), &o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(array_size_counts_elements),
		cmocka_unit_test(container_of_finds_the_struct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
