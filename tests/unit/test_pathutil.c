// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pathutil.h"
#include "macros.h"

struct norm_case {
	const char *in;
	const char *out;
};

static const struct norm_case norm_cases[] = {
	{ "/", "/" },
	{ "//", "/" },
	{ "///", "/" },
	{ "/.", "/" },
	{ "/..", "/" },
	{ "/../..", "/" },
	{ "/a", "/a" },
	{ "/a/", "/a" },
	{ "/a/b/", "/a/b" },
	{ "/a//b///c", "/a/b/c" },
	{ "//a//", "/a" },
	{ "/./a/./b/.", "/a/b" },
	{ "/a/b/..", "/a" },
	{ "/a/b/../c", "/a/c" },
	{ "/a/b/../../..", "/" },
	{ "/../a", "/a" },
	{ "/a/./../b", "/b" },
	{ "/abc/de/../../x/", "/x" },
	{ "/a/../../b/../c", "/c" },
	/* Only "." and ".." are special; names that start with dots are names. */
	{ "/a/.../b", "/a/.../b" },
	{ "/a/..b/.c/b..", "/a/..b/.c/b.." },
	{ "/.git/./config", "/.git/config" },
};

static void test_normalize_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(norm_cases); i++) {
		char out[64];
		int n;

		memset(out, 'X', sizeof(out));
		n = pn_path_normalize(norm_cases[i].in, out, sizeof(out));
		assert_string_equal(out, norm_cases[i].out);
		assert_int_equal(n, (int)strlen(norm_cases[i].out));
	}
}

static void test_normalize_in_place(void **state)
{
	char buf[] = "//usr/./lib//../share/zoneinfo/";
	char root[] = "/a/b/../../";

	(void)state;
	assert_int_equal(pn_path_normalize(buf, buf, sizeof(buf)), 19);
	assert_string_equal(buf, "/usr/share/zoneinfo");
	assert_int_equal(pn_path_normalize(root, root, sizeof(root)), 1);
	assert_string_equal(root, "/");
}

static void test_normalize_not_absolute(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(pn_path_normalize("a/b", out, sizeof(out)), -EINVAL);
	assert_int_equal(pn_path_normalize("./a", out, sizeof(out)), -EINVAL);
	assert_int_equal(pn_path_normalize("", out, sizeof(out)), -EINVAL);
	assert_int_equal(pn_path_normalize(NULL, out, sizeof(out)), -EINVAL);
}

static void test_normalize_too_long(void **state)
{
	char out[8];

	(void)state;
	/* "/abc" needs 5 bytes with its NUL. */
	assert_int_equal(pn_path_normalize("/abc", out, 4), -ENAMETOOLONG);
	assert_int_equal(pn_path_normalize("/abc", out, 5), 4);
	assert_string_equal(out, "/abc");
	assert_int_equal(pn_path_normalize("/", out, 1), -ENAMETOOLONG);
	assert_int_equal(pn_path_normalize("/", out, 0), -ENAMETOOLONG);
	assert_int_equal(pn_path_normalize("/", out, 2), 1);
	assert_string_equal(out, "/");
	assert_int_equal(pn_path_normalize("/a/bcdefgh", out, sizeof(out)), -ENAMETOOLONG);
	/* Only the result must fit: components dropped again by ".." may be long. */
	assert_int_equal(pn_path_normalize("/averylongname/..", out, 2), 1);
	assert_string_equal(out, "/");
	assert_int_equal(pn_path_normalize("/a/verylongname/../b", out, 5), 4);
	assert_string_equal(out, "/a/b");
	assert_int_equal(pn_path_normalize("/a/verylongname/x/../../b", out, 5), 4);
	assert_string_equal(out, "/a/b");
	assert_int_equal(pn_path_normalize("/a/verylongname/x/../b", out, 5), -ENAMETOOLONG);
}

static void test_depth_below(void **state)
{
	const char *rel = NULL;

	(void)state;
	assert_int_equal(pn_path_depth_below("/a", "/a", &rel), 0);
	assert_string_equal(rel, "");
	assert_int_equal(pn_path_depth_below("/a", "/a/b", &rel), 1);
	assert_string_equal(rel, "b");
	assert_int_equal(pn_path_depth_below("/a", "/a/b/c", &rel), 2);
	assert_string_equal(rel, "b/c");
	assert_int_equal(pn_path_depth_below("/a/b", "/a/b/c/d/e", &rel), 3);
	assert_string_equal(rel, "c/d/e");

	rel = "untouched";
	/* A shared prefix is not a parent directory. */
	assert_int_equal(pn_path_depth_below("/a", "/ab", &rel), -1);
	assert_int_equal(pn_path_depth_below("/a", "/ab/c", &rel), -1);
	assert_int_equal(pn_path_depth_below("/a/b", "/a", &rel), -1);
	assert_int_equal(pn_path_depth_below("/a", "/b", &rel), -1);
	assert_string_equal(rel, "untouched");

	assert_int_equal(pn_path_depth_below("/", "/", &rel), 0);
	assert_string_equal(rel, "");
	assert_int_equal(pn_path_depth_below("/", "/x", &rel), 1);
	assert_string_equal(rel, "x");
	assert_int_equal(pn_path_depth_below("/", "/x/y", &rel), 2);
	assert_string_equal(rel, "x/y");

	assert_int_equal(pn_path_depth_below("/a", "/a/b", NULL), 1);
}

static void test_split(void **state)
{
	const char *base = NULL;
	size_t dir_len = 99;
	const char *p = "/a/b/c";

	(void)state;
	pn_path_split(p, &dir_len, &base);
	assert_int_equal(dir_len, 4);
	assert_string_equal(base, "c");
	assert_ptr_equal(base, p + 5);

	pn_path_split("/x", &dir_len, &base);
	assert_int_equal(dir_len, 1);
	assert_string_equal(base, "x");

	pn_path_split("/", &dir_len, &base);
	assert_int_equal(dir_len, 1);
	assert_string_equal(base, "");

	pn_path_split("/etc/nginx/nginx.conf", &dir_len, &base);
	assert_int_equal(dir_len, 10);
	assert_string_equal(base, "nginx.conf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_table),
		cmocka_unit_test(test_normalize_in_place),
		cmocka_unit_test(test_normalize_not_absolute),
		cmocka_unit_test(test_normalize_too_long),
		cmocka_unit_test(test_depth_below),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
