// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the state file of the API watches
 * (src/services/state.c): any bytes as --state-dir/watches.pb, restored
 * into a registry over a fake cgroup tree (cg/w exists), with a kernel sink
 * that only says yes.
 *
 * Promised, whatever the bytes: no crash, leak or read past the input
 * (ASan); what is restored is in the registry, as an API watch; the file
 * written after the restore restores the same watches again (a fixed
 * point); bytes that do not decode are set aside, never half-restored.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "fuzz_check.h"
#include "fuzz_tree.h"
#include "log.h"
#include "registry.h"
#include "state.h"

static char cg[PATH_MAX + 8], proc[PATH_MAX + 8], dir[PATH_MAX + 8];

static int view_install(void *ctx, struct pn_watch_spec *spec, enum pn_reg_mode mode,
			struct pn_reg_error *err)
{
	return pn_registry_install(ctx, spec, mode, err);
}

static void view_foreach(void *ctx, void (*fn)(const struct pn_watch_view *v, void *arg), void *arg)
{
	pn_registry_foreach_view(ctx, fn, arg);
}

static void count_api(const struct pn_watch_view *v, void *arg)
{
	if (v->watch->api == PN_WATCH_OPERATOR)
		broken("a restored watch is an operator watch: %s", v->watch->name);
	++*(size_t *)arg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tree_new("state");
	snprintf(cg, sizeof(cg), "%s/cg", fuzz_root);
	snprintf(proc, sizeof(proc), "%s/proc", fuzz_root);
	snprintf(dir, sizeof(dir), "%s/state", fuzz_root);
	if (mkdir(cg, 0755) || mkdir(proc, 0755) || mkdir(dir, 0700))
		broken("mkdir in %s", fuzz_root);
	strcat(cg, "/w");
	if (mkdir(cg, 0755))
		broken("mkdir %s", cg);
	cg[strlen(cg) - 2] = '\0';
	/* the lines of dropped watches are what the input asks for: not worth a write each */
	pn_log_init("fuzz_state", false);
	if (!freopen("/dev/null", "w", stderr))
		broken("stderr");
	return 0;
}

static size_t restore(struct pn_state *s, size_t *in_registry)
{
	struct pn_registry *r = pn_registry_new(cg, proc, &fuzz_yes_sink);
	struct pn_agent_view view = {
		.ctx = r,
		.install = view_install,
		.foreach_watch = view_foreach,
	};
	size_t n;

	if (!r)
		broken("pn_registry_new");
	n = pn_state_restore(s, &view);
	*in_registry = 0;
	pn_registry_foreach_view(r, count_api, in_registry);
	pn_registry_free(r);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[PATH_MAX + 32], err[512];
	struct pn_state *s;
	size_t n1, n2, in1, in2;
	int fd;

	snprintf(path, sizeof(path), "%s/watches.pb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd))
		broken("write %s", path);
	if (pn_state_open(&s, dir, err, sizeof(err)))
		broken("pn_state_open: %s", err);
	n1 = restore(s, &in1);
	if (n1 != in1)
		broken("restored %zu, the registry holds %zu", n1, in1);
	/* what was written after the restore is the same set */
	n2 = restore(s, &in2);
	if (n2 != n1 || in2 != in1)
		broken("restored %zu, then %zu from the file written after", n1, n2);
	pn_state_close(s);
	return 0;
}
