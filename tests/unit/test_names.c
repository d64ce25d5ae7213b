// SPDX-License-Identifier: GPL-2.0-only
/*
 * Names resolved inside a process's root (src/agent/names.c), here this
 * test's own: symlinks and ".." in the directory part are followed as the
 * kernel follows them, the last name never.
 */
#define _GNU_SOURCE /* statx */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "names.h"

static char top[256];
static struct pn_names names;

/* top/rel into dst (PATH_MAX bytes) */
static void pathf(char *dst, const char *rel)
{
	int n = snprintf(dst, PATH_MAX, "%s/%s", top, rel);

	assert_true(n > 0 && n < PATH_MAX);
}

static int setup(void **state)
{
	char p[PATH_MAX], t[PATH_MAX];
	char tmpl[] = "/tmp/pn-names-XXXXXX", real[PATH_MAX];

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	/* the walk reports physical names: the test compares against those */
	assert_non_null(realpath(tmpl, real));
	assert_true(strlen(real) < sizeof(top));
	strcpy(top, real);
	pathf(p, "real");
	assert_int_equal(mkdir(p, 0755), 0);
	pathf(p, "real/sub");
	assert_int_equal(mkdir(p, 0755), 0);
	pathf(t, "real");
	pathf(p, "l");
	assert_int_equal(symlink(t, p), 0);
	pathf(p, "real/up");
	assert_int_equal(symlink("..", p), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[sizeof(top) + 16];

	(void)state;
	pn_names_reset(&names);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

static void expect_as(const char *rel, bool follow, const char *want_rel)
{
	char in[PATH_MAX], want[PATH_MAX], out[PATH_MAX];

	pathf(in, rel);
	pathf(want, want_rel);
	assert_int_equal(
		pn_names_resolve(&names, "/proc", getpid(), 0, in, follow, out, sizeof(out), NULL),
		0);
	assert_string_equal(out, want);
}

static void expect(const char *rel, const char *want_rel)
{
	expect_as(rel, false, want_rel);
}

static void test_symlinked_directory(void **state)
{
	(void)state;
	expect("l/f1", "real/f1");
	expect("l/sub/x", "real/sub/x");
	/* the last name is the object: a symlink there stays itself */
	expect("l", "l");
	expect("real/up", "real/up");
}

static void test_dotdot_is_physical(void **state)
{
	(void)state;
	/* up -> ..: real/up/.. is the parent of top, not real */
	expect("real/sub/../g", "real/g");
	expect("l/../g", "g");
	expect("real/up/sub2", "sub2");
	/* a directory named by itself */
	expect("real/sub/.", "real/sub");
}

/* chmod, truncate, utimes follow a symlink in the last name: the object is the target */
static void test_follow_last(void **state)
{
	char p[PATH_MAX], t[PATH_MAX];

	(void)state;
	pathf(p, "real/file");
	fclose(fopen(p, "w"));
	pathf(t, "real/file");
	pathf(p, "real/flink");
	assert_int_equal(symlink(t, p), 0);
	expect_as("real/flink", true, "real/file");
	expect_as("l/flink", true, "real/file");
	expect_as("real/flink", false, "real/flink");
	/* no symlink at all: the text is the answer */
	expect_as("real/file", true, "real/file");
	/* gone before the record is read: its directory still says where it was */
	expect_as("l/none", true, "real/none");
}

static void test_gone(void **state)
{
	char in[PATH_MAX], out[PATH_MAX];

	(void)state;
	pathf(in, "missing/f");
	assert_int_equal(
		pn_names_resolve(&names, "/proc", getpid(), 0, in, false, out, sizeof(out), NULL),
		-ENOENT);
	/* no such process: nothing to look through */
	pathf(in, "real/f");
	assert_int_equal(
		pn_names_resolve(&names, "/proc", 0x7ffffff0, 0, in, false, out, sizeof(out), NULL),
		-ESRCH);
	/* the result must fit */
	pathf(in, "real/f");
	assert_int_equal(pn_names_resolve(&names, "/proc", getpid(), 0, in, false, out, 8, NULL),
			 -ENAMETOOLONG);
}

/* st of rel as resolved (follow or not); returns its st_mode */
static mode_t stat_as(const char *rel, bool follow, struct stat *st)
{
	char in[PATH_MAX], out[PATH_MAX];

	pathf(in, rel);
	memset(st, 0xff, sizeof(*st));
	assert_int_equal(
		pn_names_resolve(&names, "/proc", getpid(), 0, in, follow, out, sizeof(out), st),
		0);
	return st->st_mode;
}

/* The stat comes from the lookup that resolved the name: the object's, links counted. */
static void test_stat_of_the_object(void **state)
{
	char p[PATH_MAX], t[PATH_MAX];
	struct stat st;
	FILE *f;

	(void)state;
	pathf(p, "real/two");
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	pathf(t, "real/two2");
	assert_int_equal(link(p, t), 0);
	pathf(t, "real/tolink");
	assert_int_equal(symlink("two", t), 0);

	/* through the symlinked directory l, fast path and slow path alike */
	assert_true(S_ISREG(stat_as("l/two", false, &st)));
	assert_int_equal(st.st_nlink, 2);
	assert_true(S_ISREG(stat_as("real/two", false, &st)));
	assert_int_equal(st.st_nlink, 2);
	assert_true(S_ISDIR(stat_as("l/sub", false, &st)));
	assert_true(S_ISDIR(stat_as("real/sub/", false, &st)));
	/* the last name is the link itself, unless the call follows it */
	assert_true(S_ISLNK(stat_as("l/tolink", false, &st)));
	assert_true(S_ISREG(stat_as("l/tolink", true, &st)));
	assert_int_equal(st.st_nlink, 2);
	/* gone, its directory still there: resolved, no object */
	assert_int_equal(stat_as("l/nothing", false, &st), 0);
	assert_int_equal(stat_as("real/nothing", true, &st), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(unlink(t), 0);
	pathf(p, "real/two2");
	assert_int_equal(unlink(p), 0);
}

/* the mount id of this process's root, as the kernel puts it in a record */
static uint32_t own_root_id(void)
{
	struct statx stx;

	assert_int_equal(statx(AT_FDCWD, "/", 0, STATX_MNT_ID, &stx), 0);
	assert_true(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	return (uint32_t)stx.stx_mnt_id;
}

static int resolve_kept(uint32_t id, const char *rel, char *out)
{
	char in[PATH_MAX];

	pathf(in, rel);
	return pn_names_resolve_kept(&names, id, in, false, out, PATH_MAX, NULL);
}

/*
 * A root is kept by the mount id the kernel gives, and only a root that is
 * that mount's own: learned from a lookup through a process, or the agent's
 * own from the start; lookups in it are exact.
 */
static void test_kept_roots(void **state)
{
	char in[PATH_MAX], out[PATH_MAX], want[PATH_MAX];
	uint32_t id = own_root_id();

	(void)state;
	pathf(want, "real/sub/x");
	pn_names_reset(&names);
	assert_int_equal(resolve_kept(id, "l/sub/x", out), -ESRCH);
	/* learned: after a lookup through this process, under its own id only */
	pathf(in, "l/sub/x");
	assert_int_equal(
		pn_names_resolve(&names, "/proc", getpid(), 0, in, false, out, sizeof(out), NULL),
		0);
	pn_names_keep(&names, id + 1);
	assert_int_equal(resolve_kept(id + 1, "l/sub/x", out), -ESRCH);
	assert_int_equal(resolve_kept(id, "l/sub/x", out), -ESRCH);
	pn_names_keep(&names, id);
	assert_int_equal(resolve_kept(id, "l/sub/x", out), 0);
	assert_string_equal(out, want);
	/* the same root is not kept twice, and 0 (a chroot inside a mount) never */
	pn_names_keep(&names, id);
	assert_int_equal(names.kept[2].fd, 0);
	assert_int_equal(resolve_kept(0, "l/sub/x", out), -ESRCH);
	/* symlinks and ".." on the way, as through the process */
	pathf(want, "real/f");
	assert_int_equal(resolve_kept(id, "real/sub/../up/real/f", out), 0);
	assert_string_equal(out, want);
	pn_names_reset(&names);
	assert_int_equal(resolve_kept(id, "l/sub/x", out), -ESRCH);
	/* the agent's own, with no process asked */
	assert_int_equal(pn_names_keep_own(&names, "/proc"), 0);
	assert_int_equal(resolve_kept(id, "l/f", out), 0);
	assert_string_equal(out, want);
	assert_int_equal(pn_names_keep_own(&names, "/nonexistent"), -ENOENT);
	assert_int_equal(resolve_kept(id, "l/f", out), 0);
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int resolve_since(int64_t since, const char *rel, bool follow, char *out)
{
	char in[PATH_MAX];

	pathf(in, rel);
	names.links_since_ns = since;
	return pn_names_resolve(&names, "/proc", getpid(), 0, in, follow, out, PATH_MAX, NULL);
}

/*
 * A symlink on the way made or moved after the call (its ctime) makes the
 * answer -ESTALE: the lookup cannot tell where the call went. Links in a
 * link's target count; the last name only when the call followed it.
 */
static void test_links_changed_since_the_call(void **state)
{
	char p[PATH_MAX], t[PATH_MAX], out[PATH_MAX], want[PATH_MAX];
	int64_t before;

	(void)state;
	pn_names_reset(&names);
	/* old links (setup's), checked against a call later than them: the answer stands */
	pathf(want, "real/sub/x");
	assert_int_equal(resolve_since(realtime_ns(), "l/sub/x", false, out), 0);
	assert_string_equal(out, want);
	assert_int_equal(resolve_since(realtime_ns(), "real/up/l/sub/x", false, out), 0);
	assert_string_equal(out, want);
	/* a call before the link was made: re-pointed since */
	before = realtime_ns() - PN_NAMES_CTIME_SLACK_NS;
	pathf(p, "fresh");
	assert_int_equal(symlink("l", p), 0);
	assert_int_equal(resolve_since(before, "fresh/sub/x", false, out), -ESTALE);
	/* through an old link whose target holds the new one */
	pathf(p, "real/via");
	pathf(t, "fresh");
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(resolve_since(before, "l/via/sub/x", false, out), -ESTALE);
	/* the last name is the object, followed only when the call did */
	assert_int_equal(resolve_since(before, "fresh", false, out), 0);
	assert_int_equal(resolve_since(before, "fresh", true, out), -ESTALE);
	/* a link moved counts as made: rename sets its ctime */
	before = realtime_ns() - PN_NAMES_CTIME_SLACK_NS;
	pathf(p, "real/via");
	pathf(t, "moved");
	assert_int_equal(rename(p, t), 0);
	assert_int_equal(resolve_since(before, "moved/sub/x", false, out), -ESTALE);
	/* 0: not checked */
	assert_int_equal(resolve_since(0, "moved/sub/x", false, out), 0);
	assert_string_equal(out, want);
	names.links_since_ns = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlinked_directory),
		cmocka_unit_test(test_kept_roots),
		cmocka_unit_test(test_dotdot_is_physical),
		cmocka_unit_test(test_follow_last),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_stat_of_the_object),
		cmocka_unit_test(test_links_changed_since_the_call),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
