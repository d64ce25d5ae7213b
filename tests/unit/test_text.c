// SPDX-License-Identifier: GPL-2.0-only
/*
 * Text others chose (src/lib/text.c): the rule for client text, the escape
 * of kernel names into protobuf strings and into text lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static void utf8_valid_and_not(void **state)
{
	(void)state;
	assert_true(pn_utf8_valid("", 0));
	assert_true(pn_utf8_valid("plain ascii, long enough for words", 34));
	assert_true(pn_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	assert_false(pn_utf8_valid("\xff", 1));
	assert_false(pn_utf8_valid("abcdefgh\x80", 9));	    /* lone continuation */
	assert_false(pn_utf8_valid("\xc0\xaf", 2));	    /* overlong '/' */
	assert_false(pn_utf8_valid("\xed\xa0\x80", 3));	    /* a surrogate */
	assert_false(pn_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	assert_false(pn_utf8_valid("caf\xc3", 4));	    /* cut at the end */
	assert_true(pn_utf8_valid("a\nb", 3));		    /* control bytes are UTF-8 */
}

static void expect_fault(const char *s, enum pn_text_rule rule, size_t offset, const char *what)
{
	struct pn_text_fault f;
	char buf[80];

	assert_int_equal(pn_text_check(s, &f), -EINVAL);
	assert_int_equal(f.rule, rule);
	assert_int_equal(f.offset, offset);
	pn_text_fault_what(&f, buf, sizeof(buf));
	assert_string_equal(buf, what);
}

static void check_refuses_what_no_client_can_print(void **state)
{
	struct pn_text_fault f;
	char err[128];

	(void)state;
	assert_int_equal(pn_text_check(NULL, &f), 0);
	assert_int_equal(pn_text_check("", &f), 0);
	assert_int_equal(pn_text_check("web-1 {pod} caf\xc3\xa9 'q' \"d\" \\ {}", &f), 0);
	assert_int_equal(f.rule, PN_TEXT_SOUND);
	expect_fault("ab\ncd", PN_TEXT_CONTROL, 2, "control byte 0x0a at byte 2");
	expect_fault("\x1b[31m", PN_TEXT_CONTROL, 0, "control byte 0x1b at byte 0");
	expect_fault("x\x7f", PN_TEXT_CONTROL, 1, "control byte 0x7f at byte 1");
	expect_fault("x\r", PN_TEXT_CONTROL, 1, "control byte 0x0d at byte 1");
	expect_fault("ok\xc2\x9b", PN_TEXT_CONTROL, 2, "control character U+009B at byte 2");
	expect_fault("pod\xff", PN_TEXT_NOT_UTF8, 3, "not valid UTF-8 at byte 3 (0xff)");
	expect_fault("\xc3", PN_TEXT_NOT_UTF8, 0, "not valid UTF-8 at byte 0 (0xc3)");

	assert_int_equal(pn_text_check_field("watch.pod", "ok", err, sizeof(err)), 0);
	assert_int_equal(pn_text_check_field("watch.pod", "a\tb", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "watch.pod: control byte 0x09 at byte 1");
}

static void escape_dup_only_when_needed(void **state)
{
	bool oom = false;
	char *e;

	(void)state;
	/* valid UTF-8, backslashes and control bytes included: the name as it is */
	assert_null(pn_utf8_escape_dup("/a\\b\n\xc3\xa9", 7, &oom));
	assert_false(oom);
	e = pn_utf8_escape_dup("/tmp/\xff\\x\xc3", 9, &oom);
	assert_non_null(e);
	assert_string_equal(e, "/tmp/\\xff\\\\x\\xc3");
	free(e);
	/* a literal "\xff" in a name that is escaped reads back apart from the byte */
	e = pn_utf8_escape_dup("\\xff\xff", 5, &oom);
	assert_string_equal(e, "\\\\xff\\xff");
	free(e);
	assert_false(oom);
}

static char *escaped(void (*fn)(struct out *, const char *, size_t), const char *s, size_t n)
{
	static char buf[256];
	struct out o = { buf, sizeof(buf) - 1, 0 };

	fn(&o, s, n);
	assert_true(o.pos < sizeof(buf));
	buf[o.pos] = '\0';
	return buf;
}

static void text_escapes(void **state)
{
	static const char forged[] = "web\n2026-12-02T00:00:00Z CREATE file '/etc/shadow'";

	(void)state;
	assert_string_equal(escaped(pn_text_escape, "plain-name.txt", 14), "plain-name.txt");
	assert_string_equal(escaped(pn_text_escape, "caf\xc3\xa9", 5), "caf\xc3\xa9");
	assert_string_equal(escaped(pn_text_escape, forged, strlen(forged)),
			    "web\\x0a2026-12-02T00:00:00Z CREATE file '/etc/shadow'");
	assert_string_equal(escaped(pn_text_escape, "a\\b\x1b\r\xff\xc2\x85z", 9),
			    "a\\\\b\\x1b\\x0d\\xff\\xc2\\x85z");
}

/* Every byte in every position of a short name: the escape reads back to it, nothing else. */
static void escape_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		for (size_t pos = 0; pos < 10; pos++) {
			char in[10], *out;

			memset(in, 'a', sizeof(in));
			in[pos] = (char)c;
			out = escaped(pn_text_escape, in, sizeof(in));
			if (c >= 0x20 && c < 0x7f && c != '\\') {
				assert_memory_equal(out, in, sizeof(in));
				assert_int_equal(strlen(out), sizeof(in));
			} else {
				assert_int_equal(strlen(out), sizeof(in) - 1 + (c == '\\' ? 2 : 4));
				assert_true(pn_utf8_valid(out, strlen(out)));
				assert_int_equal(pn_text_check(out, NULL), 0);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_valid_and_not),
		cmocka_unit_test(check_refuses_what_no_client_can_print),
		cmocka_unit_test(escape_dup_only_when_needed),
		cmocka_unit_test(text_escapes),
		cmocka_unit_test(escape_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
