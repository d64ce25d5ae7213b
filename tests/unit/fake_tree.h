/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake cgroup2 root and /proc in a temporary directory, for the tests of
 * the code that reads them. The tree lives on an ordinary file system, so
 * fake_tree_new() tells cgroupfs.c to take it for cgroups (st_ino as the
 * id), which it does for no other directory. Include after <cmocka.h>.
 */
#ifndef PN_TEST_FAKE_TREE_H
#define PN_TEST_FAKE_TREE_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroupfs.h"

static char fake_root[PATH_MAX]; /* the temporary directory; cg/ and proc/ go below */

static inline void pathf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && n < PATH_MAX);
}

/* A fresh fake_root under $TMPDIR (or /tmp), named after the test. 0 or -1. */
static inline int fake_tree_new(const char *name)
{
	const char *tmpdir = getenv("TMPDIR");

	snprintf(fake_root, sizeof(fake_root), "%s/pn-%s-XXXXXX", tmpdir ? tmpdir : "/tmp", name);
	if (!mkdtemp(fake_root))
		return -1;
	pn_cgroupfs_fake_root(fake_root);
	return 0;
}

/* mkdir -p of fake_root/rel */
static inline void mkdirs(const char *rel)
{
	char p[PATH_MAX];
	size_t base;

	pathf(p, "%s/%s", fake_root, rel);
	base = strlen(fake_root) + 1;
	for (char *s = p + base; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
}

static inline void write_file(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	pathf(p, "%s/%s", fake_root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static inline int fake_tree_rm_entry(const char *p, const struct stat *st, int flag,
				     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* rm -r of fake_root. */
static inline int fake_tree_remove(void)
{
	return nftw(fake_root, fake_tree_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
