// SPDX-License-Identifier: GPL-2.0-only
/* Whole files into memory (src/lib/fileio.c), on real files, pipes and procfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "macros.h"

static char dir[] = "/tmp/pn-test-fileio-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* dir/name holding n bytes of a pattern; returns the path (static). */
static const char *make_file(const char *name, size_t n)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void assert_pattern(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 'a' + (int)(i % 26))
			fail_msg("byte %zu is 0x%02x", i, (unsigned char)buf[i]);
	assert_int_equal(buf[n], '\0');
}

static void reads_a_regular_file(void **state)
{
	size_t sizes[] = { 1, 4095, 4096, 4097, 100000 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		const char *path = make_file("regular", sizes[i]);
		size_t len = 0;
		char *buf;

		assert_int_equal(pn_read_file(path, 1 << 20, &buf, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_pattern(buf, len);
		free(buf);
	}
}

static void an_empty_file_is_an_empty_string(void **state)
{
	size_t len = 99;
	char *buf;

	(void)state;
	assert_int_equal(pn_read_file(make_file("empty", 0), 16, &buf, &len), 0);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	/* the length is optional */
	assert_int_equal(pn_read_file(make_file("empty", 0), 16, &buf, NULL), 0);
	free(buf);
}

static void max_bytes_fit_one_more_does_not(void **state)
{
	const char *path = make_file("limit", 5000);
	size_t len;
	char *buf = (char *)1;

	(void)state;
	assert_int_equal(pn_read_file(path, 5000, &buf, &len), 0);
	assert_int_equal(len, 5000);
	free(buf);
	assert_int_equal(pn_read_file(path, 4999, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(pn_read_file(path, 0, &buf, &len), -EFBIG);
	assert_null(buf);
}

static void errors_are_negative_errno(void **state)
{
	char missing[128];
	char *buf = (char *)1;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(pn_read_file(missing, 16, &buf, NULL), -ENOENT);
	assert_null(buf);
	assert_int_equal(pn_read_file(dir, 16, &buf, NULL), -EISDIR);
	assert_null(buf);
	assert_int_equal(pn_read_fd(-1, 16, &buf, NULL), -EBADF);
	assert_null(buf);
}

/* n bytes of the pattern through a pipe from a child, read with max. */
static int through_pipe(size_t n, size_t max, char **buf, size_t *len)
{
	int fds[2], status, e;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (size_t i = 0; i < n; i++) {
			char c = (char)('a' + (int)(i % 26));

			if (write(fds[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	e = pn_read_fd(fds[0], max, buf, len);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return e;
}

/* A pipe says no size: the buffer grows as the bytes come. */
static void reads_a_pipe(void **state)
{
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(through_pipe(70000, 1 << 20, &buf, &len), 0);
	assert_int_equal(len, 70000);
	assert_pattern(buf, len);
	free(buf);
	assert_int_equal(through_pipe(70000, 65536, &buf, &len), -EFBIG);
	assert_null(buf);
}

/* procfs files say their size is 0 and have bytes all the same. */
static void reads_procfs(void **state)
{
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(pn_read_file("/proc/self/status", 1 << 20, &buf, &len), 0);
	assert_true(len > 0);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "Pid:"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_a_regular_file),
		cmocka_unit_test(an_empty_file_is_an_empty_string),
		cmocka_unit_test(max_bytes_fit_one_more_does_not),
		cmocka_unit_test(errors_are_negative_errno),
		cmocka_unit_test(reads_a_pipe),
		cmocka_unit_test(reads_procfs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
