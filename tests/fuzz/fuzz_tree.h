/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the targets that drive a registry share: a temporary directory that
 * stands in for the cgroup2 mount and /proc (removed at exit; a crash leaves
 * it in $TMPDIR), and a kernel sink that says yes to everything. No BPF.
 * Include after fuzz_check.h.
 */
#ifndef PN_FUZZ_TREE_H
#define PN_FUZZ_TREE_H

#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cgroupfs.h"
#include "registry.h"

static char fuzz_root[PATH_MAX];

static int fuzz_yes_watch(void *ctx, uint64_t id, uint32_t ops)
{
	(void)ctx, (void)id, (void)ops;
	return 0;
}

static int fuzz_yes_unwatch(void *ctx, uint64_t id)
{
	(void)ctx, (void)id;
	return 0;
}

static int fuzz_yes_levels(void *ctx, const uint32_t *levels, unsigned n)
{
	(void)ctx, (void)levels, (void)n;
	return 0;
}

static const struct pn_kernel_sink fuzz_yes_sink = {
	.watch = fuzz_yes_watch,
	.unwatch = fuzz_yes_unwatch,
	.levels = fuzz_yes_levels,
};

static int fuzz_remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void fuzz_remove_tree(void)
{
	nftw(fuzz_root, fuzz_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* $TMPDIR/pn-fuzz-<name>-XXXXXX into fuzz_root, the fake cgroup2 mount's parent. */
static void fuzz_tree_new(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_root, sizeof(fuzz_root), "%s/pn-fuzz-%s-XXXXXX", tmp ? tmp : "/tmp", name);
	if (!mkdtemp(fuzz_root))
		broken("mkdtemp %s", fuzz_root);
	atexit(fuzz_remove_tree);
	pn_cgroupfs_fake_root(fuzz_root);
}

#endif
