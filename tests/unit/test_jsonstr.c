// SPDX-License-Identifier: GPL-2.0-only
/*
 * JSON strings (src/lib/jsonstr.c). The escaping itself is checked byte by
 * byte against a reference in test_format.c (through pn_format_json); here:
 * the stream writer panoptesctl uses gives the same bytes as the buffer
 * writer, whatever falls on the boundaries of its pieces.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonstr.h"
#include "macros.h"
#include "out.h"

#define MAX_IN 1200

/* What pn_json_fputs() wrote for s. */
static char *via_stream(const char *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(pn_json_fputs(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void same_as_buffer(const char *s)
{
	static char want[6 * MAX_IN + 3];
	struct out o = { want, sizeof(want), 0 };
	size_t n = strlen(s), got_len;
	char *got;

	assert_true(n <= MAX_IN);
	pn_json_strn(&o, s, n);
	assert_true(o.pos < sizeof(want));
	got = via_stream(s, &got_len);
	if (got_len != o.pos || memcmp(got, want, o.pos) != 0)
		fail_msg("%zu input bytes: stream wrote %zu bytes, buffer %zu", n, got_len, o.pos);
	free(got);
}

static void writes_escaped_strings(void **state)
{
	size_t len;
	char *got;

	(void)state;
	got = via_stream("a\"b\\c\n\t\r\b\f\x01\x7f caf\xc3\xa9 \xff", &len);
	assert_string_equal(got, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\x7f caf\xc3\xa9 \\u00ff\"");
	free(got);
	got = via_stream(NULL, &len);
	assert_string_equal(got, "\"\"");
	free(got);
	got = via_stream("", &len);
	assert_string_equal(got, "\"\"");
	free(got);
}

/*
 * Every length up to well past a few pieces, of text whose every byte needs
 * something different: a sequence of each UTF-8 length, a cut sequence, an
 * escaped byte, a plain one, starting at every offset.
 */
static void pieces_do_not_change_the_bytes(void **state)
{
	static const char *const fillers[] = {
		"a",
		"\xc3\xa9",
		"\xe2\x82\xac",
		"\xf0\x9f\x98\x80",
		"\xe2\x82",
		"\x80",
		"\"",
		"\n",
		"\xed\xa0\x80",
		"\xf4\x90\x80\x80",
		"ab\xc3\xa9\xe2\x82\xac\x01",
	};
	static char s[MAX_IN + 1];

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(fillers); f++) {
		for (size_t shift = 0; shift < 4; shift++) {
			size_t n = 0;

			memset(s, 'x', shift);
			n = shift;
			while (n + strlen(fillers[f]) <= MAX_IN) {
				memcpy(s + n, fillers[f], strlen(fillers[f]));
				n += strlen(fillers[f]);
				s[n] = '\0';
				same_as_buffer(s);
			}
		}
	}
}

/* Continuation bytes alone, longer than a piece: none is part of a sequence. */
static void long_runs_of_continuation_bytes(void **state)
{
	static char s[MAX_IN + 1];

	(void)state;
	for (size_t lead = 0; lead < 3; lead++) {
		memset(s, 0x80, MAX_IN);
		s[MAX_IN] = '\0';
		if (lead)
			s[0] = lead == 1 ? '\xe2' : '\xf0';
		same_as_buffer(s);
		s[400] = '\0';
		same_as_buffer(s);
	}
}

static void random_bytes(void **state)
{
	static char s[MAX_IN + 1];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)rand_r(&seed) % MAX_IN;

		for (size_t i = 0; i < n; i++) {
			/* mostly high bytes, so sequences (whole, cut, bad) are frequent */
			int r = rand_r(&seed);

			s[i] = (char)(r & 1 ? 0x80 | (r >> 1 & 0x7f) : 1 + (r >> 1) % 255);
		}
		s[n] = '\0';
		same_as_buffer(s);
	}
}

static void a_failed_write_is_reported(void **state)
{
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(pn_json_fputs("name", f), EOF);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_escaped_strings),
		cmocka_unit_test(pieces_do_not_change_the_bytes),
		cmocka_unit_test(long_runs_of_continuation_bytes),
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(a_failed_write_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
