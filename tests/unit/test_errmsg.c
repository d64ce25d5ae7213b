// SPDX-License-Identifier: GPL-2.0-only
/* Messages into a caller's buffer, and lines kept one line (src/lib/errmsg.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "errmsg.h"

static void errf_writes_and_returns(void **state)
{
	char err[64];

	(void)state;
	assert_int_equal(pn_errf(err, sizeof(err), -EINVAL, "paths[%zu]: %s", (size_t)2, "bad"),
			 -EINVAL);
	assert_string_equal(err, "paths[2]: bad");
	assert_int_equal(pn_errf(err, sizeof(err), -ENOMEM, "out of memory"), -ENOMEM);
	assert_string_equal(err, "out of memory");
	assert_int_equal(pn_errf(err, sizeof(err), 0, "%s", ""), 0);
	assert_string_equal(err, "");
}

static void errf_cuts_to_the_buffer(void **state)
{
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	pn_errf(err, 5, -EINVAL, "%s", "abcdefgh");
	assert_string_equal(err, "abcd");
	assert_int_equal(err[5], 'x'); /* nothing written past errlen */
}

static void errf_without_a_buffer(void **state)
{
	char err[4] = "old";

	(void)state;
	assert_int_equal(pn_errf(NULL, 64, -EEXIST, "%s", "x"), -EEXIST);
	assert_int_equal(pn_errf(err, 0, -EEXIST, "%s", "new"), -EEXIST);
	assert_string_equal(err, "old");
}

static int verrf_through(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int verrf_through(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pn_verrf(err, errlen, -E2BIG, fmt, ap);
	va_end(ap);
	return r;
}

static void verrf_takes_a_va_list(void **state)
{
	char err[32];

	(void)state;
	assert_int_equal(verrf_through(err, sizeof(err), "%d:%d: %s", 3, 7, "tab"), -E2BIG);
	assert_string_equal(err, "3:7: tab");
}

static void one_line_replaces_control_bytes(void **state)
{
	char s[] = "a\nb\rc\td\x1b[31m\x7f\x01z";
	char utf8[] = "caf\xc3\xa9 \xff/\"q\"\\";

	(void)state;
	assert_ptr_equal(pn_one_line(s), s);
	assert_string_equal(s, "a?b?c?d?[31m??z");
	/* bytes above DEL (UTF-8, or not) and printable ASCII stay as they are */
	assert_string_equal(pn_one_line(utf8), "caf\xc3\xa9 \xff/\"q\"\\");
	assert_string_equal(pn_one_line((char[]){ "" }), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errf_writes_and_returns),
		cmocka_unit_test(errf_cuts_to_the_buffer),
		cmocka_unit_test(errf_without_a_buffer),
		cmocka_unit_test(verrf_takes_a_va_list),
		cmocka_unit_test(one_line_replaces_control_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
