// SPDX-License-Identifier: GPL-2.0-only
/* The per-site limit of lines clients cause (src/lib/log.c), on a clock the test turns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

#define SEC 1000000000ull

static void admits_a_burst_then_holds_back(void **state)
{
	struct pn_log_limit l = { 0 };
	unsigned long long held = 99;
	uint64_t t = 5 * SEC;

	(void)state;
	for (unsigned i = 0; i < PN_LOG_LIMIT_LINES; i++) {
		assert_true(pn_log_limit_admit(&l, t + i, &held));
		assert_int_equal(held, 0);
	}
	for (unsigned i = 0; i < 1000; i++)
		assert_false(pn_log_limit_admit(&l, t + SEC - 1, &held));
	/* the window's last nanosecond still belongs to it */
	assert_false(pn_log_limit_admit(&l, t + SEC - 1, &held));
	/* a new window: the first line written says how many were held back, once */
	assert_true(pn_log_limit_admit(&l, t + SEC, &held));
	assert_int_equal(held, 1001);
	assert_true(pn_log_limit_admit(&l, t + SEC + 1, &held));
	assert_int_equal(held, 0);
}

static void a_quiet_site_is_never_held_back(void **state)
{
	struct pn_log_limit l = { 0 };
	unsigned long long held;

	(void)state;
	/* one line every 100 ms, 100 of them: below the rate, all written */
	for (unsigned i = 0; i < 100; i++) {
		assert_true(pn_log_limit_admit(&l, SEC + i * (SEC / 10), &held));
		assert_int_equal(held, 0);
	}
}

static void each_site_has_its_own_budget(void **state)
{
	struct pn_log_limit a = { 0 }, b = { 0 };
	unsigned long long held;

	(void)state;
	for (unsigned i = 0; i < PN_LOG_LIMIT_LINES; i++)
		assert_true(pn_log_limit_admit(&a, SEC, &held));
	assert_false(pn_log_limit_admit(&a, SEC, &held));
	assert_true(pn_log_limit_admit(&b, SEC, &held));
	assert_int_equal(held, 0);
}

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

/* stderr into a temporary file for the duration of a test: the lines as written */
static FILE *capture_stderr(int *saved)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	assert_true(*saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	return f;
}

static char *restore_stderr(FILE *f, int saved)
{
	static char text[8192];
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void refuse(unsigned i)
{
	pn_info_refusal("grpc /x: PERMISSION_DENIED: call %u", i);
}

static void refusal_lines_are_limited_and_the_rest_counted(void **state)
{
	char expect[256];
	const char *text;
	int saved;
	FILE *f;

	(void)state;
	pn_log_init("panoptesd", false);
	pn_log_set_clock(fake_clock);
	fake_now = 100 * SEC;
	f = capture_stderr(&saved);
	for (unsigned i = 0; i < 1000; i++)
		refuse(i);
	fake_now += SEC;
	refuse(1000);
	text = restore_stderr(f, saved);
	pn_log_set_clock(NULL);

	/* ten lines, the count of the 990 held back, then the line that resumed */
	assert_int_equal(count_lines(text), PN_LOG_LIMIT_LINES + 2);
	assert_non_null(strstr(text, "panoptesd: grpc /x: PERMISSION_DENIED: call 0\n"));
	assert_non_null(strstr(text, "panoptesd: grpc /x: PERMISSION_DENIED: call 9\n"));
	assert_null(strstr(text, "call 10\n"));
	snprintf(expect, sizeof(expect),
		 "call 9\npanoptesd: 990 more lines like the next were suppressed (at most %u a "
		 "second)\npanoptesd: grpc /x: PERMISSION_DENIED: call 1000\n",
		 PN_LOG_LIMIT_LINES);
	assert_non_null(strstr(text, expect));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(admits_a_burst_then_holds_back),
		cmocka_unit_test(a_quiet_site_is_never_held_back),
		cmocka_unit_test(each_site_has_its_own_budget),
		cmocka_unit_test(refusal_lines_are_limited_and_the_rest_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
