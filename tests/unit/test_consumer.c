// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ring buffer consumer against records built by hand: a registry over a
 * fake cgroup tree (a recording sink instead of the kernel's maps), the
 * lines written to a memory stream. What a record says is checked before
 * anything reads it; a record that breaks its own layout is counted as
 * malformed and written nowhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "consumer.h"
#include "fake_tree.h"
#include "recording_sink.h"
#include "registry.h"

static struct pn_registry *reg;
static uint64_t cg_id; /* the watched cgroup's id */
static char proc[PATH_MAX];

static char *out_buf;
static size_t out_len;
static FILE *out;
static struct pn_consumer con;

static int setup(void **state)
{
	const struct pn_kernel_sink sink = recording_sink();
	static const char yaml[] = "name: all\n"
				   "targets:\n  cgroups: [/w]\n"
				   "subjects:\n  - paths: [/]\n    events: [all]\n"
				   "    recursive: true\n";
	char cg[PATH_MAX], err[512] = "";
	struct pn_policy p;
	struct stat st;

	(void)state;
	if (fake_tree_new("consumer"))
		return -1;
	pathf(cg, "%s/cg", fake_root);
	pathf(proc, "%s/proc", fake_root);
	mkdirs("cg/w");
	mkdirs("proc");
	write_file("cg/w/cgroup.procs", "");
	assert_int_equal(stat(cg, &st), 0);
	pathf(cg, "%s/cg/w", fake_root);
	assert_int_equal(stat(cg, &st), 0);
	cg_id = st.st_ino;
	pathf(cg, "%s/cg", fake_root);
	reg = pn_registry_new(cg, proc, &sink);
	assert_non_null(reg);
	assert_int_equal(pn_policy_parse_string("t.yaml", yaml, strlen(yaml), &p, err, sizeof(err)),
			 0);
	assert_int_equal(p.n_specs, 1);
	if (pn_registry_add(reg, &p.specs[0], err, sizeof(err)))
		fail_msg("%s", err);
	pn_policy_clear(&p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pn_registry_free(reg);
	return fake_tree_remove();
}

static int con_setup(void **state)
{
	(void)state;
	out = open_memstream(&out_buf, &out_len);
	assert_non_null(out);
	pn_consumer_init(&con, reg, PN_OUTPUT_JSON, "node-a", out);
	con.proc_root = proc;
	con.realtime_offset_ns = 0;
	return 0;
}

static int con_teardown(void **state)
{
	(void)state;
	pn_consumer_clear(&con);
	fclose(out);
	free(out_buf);
	out_buf = NULL;
	return 0;
}

/* What was written so far, NUL-terminated. */
static const char *written(void)
{
	assert_int_equal(fflush(out), 0);
	return out_buf;
}

/* A record of `ops` in the watched cgroup carrying `path` and then `second` (n bytes each). */
struct rec_buf {
	struct pn_record r;
	char data[2 * PN_PATH_MAX];
};

static size_t record(struct rec_buf *b, uint32_t ops, uint8_t flags, const char *path,
		     size_t path_len, const char *second, size_t second_len)
{
	memset(b, 0, sizeof(*b));
	b->r = (struct pn_record){
		.ts_ns = 1000,
		.cgroup_id = cg_id,
		.watch_cgroup_id = cg_id,
		.pid = 7,
		.tgid = 7,
		.ops = ops,
		.path_len = (uint16_t)path_len,
		.old_path_len = (uint16_t)second_len,
		.flags = flags,
		.backend = PN_BACKEND_VFS,
		.comm = "cat",
	};
	memcpy(b->data, path, path_len);
	memcpy(b->data + path_len, second, second_len);
	return sizeof(b->r) + path_len + second_len;
}

#define LEN(s) sizeof(s) /* NUL included, as a record counts it */

static void expect_counts(uint64_t records, uint64_t malformed, uint64_t matched)
{
	assert_int_equal(con.records, records);
	assert_int_equal(con.malformed, malformed);
	assert_int_equal(con.matched, matched);
	assert_int_equal(con.dropped, 0);
}

/* A vfs open through a symlink: the name the process used rides along. */
static void test_named_open(void **state)
{
	struct rec_buf b;
	size_t n = record(&b, PN_OPEN, PN_REC_NAMED, "/etc/real.conf", LEN("/etc/real.conf"),
			  "/etc/link.conf", LEN("/etc/link.conf"));

	(void)state;
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(1, 0, 1);
	assert_non_null(strstr(written(), "\"path\":\"/etc/real.conf\""));
	assert_non_null(strstr(written(), "\"named_path\":\"/etc/link.conf\""));

	/* the same name: nothing to add */
	n = record(&b, PN_OPEN, PN_REC_NAMED, "/etc/a", LEN("/etc/a"), "/etc/a", LEN("/etc/a"));
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(2, 0, 2);
	assert_null(strstr(strchr(written(), '\n') + 1, "named_path"));
}

/*
 * NAMED promises a second path: without one (old_path_len 0) the record is
 * malformed, counted, and nothing is written (it used to reach strcmp(NULL,
 * path)). The crash input is kept in tests/fuzz/consumer_seeds.
 */
static void test_named_without_name(void **state)
{
	struct rec_buf b;
	size_t n =
		record(&b, PN_OPEN, PN_REC_NAMED, "/etc/real.conf", LEN("/etc/real.conf"), "", 0);

	(void)state;
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(1, 1, 0);
	n = record(&b, PN_OPEN, PN_REC_NAMED | PN_REC_NAME_UNRESOLVED, "/x", LEN("/x"), "", 0);
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(2, 2, 0);
	assert_string_equal(written(), "");

	/* the counters go on: a sound record after them is written */
	n = record(&b, PN_OPEN, PN_REC_NAMED, "/x", LEN("/x"), "/y", LEN("/y"));
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(3, 2, 1);
}

/* Lengths at and past every bound of the record: each one counted, none read past. */
static void test_lengths(void **state)
{
	static char longest[PN_PATH_MAX];
	struct rec_buf b;
	size_t n;

	(void)state;
	/* a path that does not fit the record it came in */
	n = record(&b, PN_CREATE, 0, "/a", LEN("/a"), "", 0);
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n - 1), 0);
	expect_counts(1, 1, 0);
	/* no path, or one without its NUL */
	n = record(&b, PN_CREATE, 0, "", 0, "", 0);
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	n = record(&b, PN_CREATE, 0, "/a", 2, "", 0);
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(3, 3, 0);
	/* a walked path is absolute */
	n = record(&b, PN_CREATE, 0, "a", LEN("a"), "", 0);
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(4, 4, 0);
	/* a move's old path past the record's end */
	n = record(&b, PN_OP_MOVE, 0, "/b", LEN("/b"), "/a", LEN("/a"));
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n - 1), 0);
	expect_counts(5, 5, 0);
	assert_string_equal(written(), "");

	/* the longest path a record carries is written whole */
	memset(longest, 'x', sizeof(longest) - 1);
	longest[0] = '/';
	n = record(&b, PN_CREATE, 0, longest, sizeof(longest), "", 0);
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n), 0);
	expect_counts(6, 5, 1);
	assert_int_equal(strlen(written()) > PN_PATH_MAX, 1);
	/* one byte longer: not a name the kernel walks; normalized as text it is too long */
	memset(b.data, 'x', PN_PATH_MAX);
	n = record(&b, PN_CREATE, PN_REC_NAME_UNRESOLVED, longest, sizeof(longest), "", 0);
	b.data[0] = '/';
	memset(b.data + 1, 'x', PN_PATH_MAX - 1);
	b.data[PN_PATH_MAX] = '\0';
	b.r.path_len = PN_PATH_MAX + 1;
	assert_int_equal(pn_consumer_on_record(&con, &b.r, n + 1), 0);
	expect_counts(7, 6, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_named_open, con_setup, con_teardown),
		cmocka_unit_test_setup_teardown(test_named_without_name, con_setup, con_teardown),
		cmocka_unit_test_setup_teardown(test_lengths, con_setup, con_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
