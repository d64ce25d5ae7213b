// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the containers kept for the next agent's reconcile
 * (src/services/lifecycle_state.c): any bytes as --state-dir/containers.pb.
 *
 * Promised, whatever the bytes: no crash, leak or read past the input
 * (ASan); every container loaded has an id, none twice; a start and a stop
 * noted after the load are in the file written then, which loads back as
 * the same set (a fixed point); bytes that do not decode are set aside.
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

#include "fuzz_check.h"
#include "fuzz_tree.h"
#include "lifecycle_state.h"
#include "log.h"

static char dir[PATH_MAX + 8];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tree_new("seen");
	snprintf(dir, sizeof(dir), "%s/state", fuzz_root);
	if (mkdir(dir, 0700))
		broken("mkdir %s", dir);
	pn_log_init("fuzz_seen", false);
	if (!freopen("/dev/null", "w", stderr))
		broken("stderr");
	return 0;
}

static bool has(const struct pn_lifecycle_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].container_id, id))
			return true;
	return false;
}

static void sound(const struct pn_lifecycle_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		if (!set->v[i].container_id || !set->v[i].container_id[0])
			broken("loaded a container without an id");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(set->v[i].container_id, set->v[j].container_id))
				broken("loaded container %s twice", set->v[i].container_id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pn_lifecycle started = {
		.kind = PN_LC_CONTAINER_STARTED,
		.image = "docker.io/library/nginx:1.25",
		.namespace = "prod",
		.container_id = "fuzz-new",
	};
	struct pn_lifecycle_set a, b;
	struct pn_lifecycle stop;
	char path[PATH_MAX + 32], err[512], *first = NULL;
	struct pn_state *s;
	int fd;

	snprintf(path, sizeof(path), "%s/containers.pb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd))
		broken("write %s", path);
	if (pn_state_open(&s, dir, err, sizeof(err)))
		broken("pn_state_open: %s", err);
	if (pn_lifecycle_set_load(&a, s))
		broken("pn_lifecycle_set_load: out of memory");
	sound(&a);
	if (a.n) {
		first = strdup(a.v[0].container_id);
		stop = (struct pn_lifecycle){ .kind = PN_LC_CONTAINER_STOPPED,
					      .container_id = first };
		pn_lifecycle_set_note(&a, &stop);
	}
	pn_lifecycle_set_note(&a, &started);
	if (pn_lifecycle_set_load(&b, s))
		broken("pn_lifecycle_set_load: out of memory");
	sound(&b);
	if (b.n != a.n || !has(&b, "fuzz-new") || (first && has(&b, first)))
		broken("the file written after the notes holds %zu, not the %zu noted", b.n, a.n);
	for (size_t i = 0; i < a.n; i++)
		if (!has(&b, a.v[i].container_id))
			broken("container %s noted, not written", a.v[i].container_id);
	free(first);
	pn_lifecycle_set_clear(&a);
	pn_lifecycle_set_clear(&b);
	pn_state_close(s);
	return 0;
}
