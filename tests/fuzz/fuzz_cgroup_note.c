// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the kernel's cgroup notes (bpf/cgroup.bpf.c) as the
 * consumer takes them (pn_consumer_on_cgroup_note, src/agent/consumer.c):
 * the path is a cgroup's, and whoever may make cgroups (a container with a
 * delegated subtree) chooses its names, so the cgroup path parser
 * (pn_cgroup_path_identity, src/lib/cgroupfs.c) and the identity cache it
 * fills (src/agent/identity.c) meet any bytes here.
 *
 * Input: byte 0 = the op (its low 2 bits: 1 made, 2 removed, 0 and 3 are
 * no op) and bit 7 set for a path without its NUL; bytes 1.. = the path
 * (cut to the note's buffer). Each input is told with a cgroup id of its
 * own, made or removed, then asked for as an event's would be.
 *
 * Promised, whatever the bytes: no crash or read past the note (ASan); a
 * note that breaks its own layout is counted malformed and passes nothing
 * on; a container id passed on is one of the path's names (or the part of
 * one after its runtime's prefix), at most 71 bytes, of visible ASCII; a
 * made cgroup whose path names a container is found under its id with that
 * same container id.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "fuzz_check.h"
#include "identity.h"
#include "log.h"

static struct pn_identity_cache *ids;
static struct pn_consumer con;
static char passed[128];
static unsigned n_passed;
static uint64_t next_id = 1;

static void on_container(void *arg, const char *container_id, bool made)
{
	(void)arg, (void)made;
	n_passed++;
	snprintf(passed, sizeof(passed), "%s", container_id);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	pn_log_init("fuzz_cgroup_note", false);
	if (!freopen("/dev/null", "w", stderr))
		broken("stderr");
	/* not a cgroup2 mount: an id's path comes from its note only */
	if (pn_identity_cache_new("/", &ids))
		broken("pn_identity_cache_new");
	pn_consumer_init(&con, NULL, PN_OUTPUT_JSON, "node-a", stdout);
	con.ids = ids;
	con.on_container = on_container;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pn_cgroup_note n;
	uint64_t malformed = con.malformed;
	size_t len;
	bool sound;

	if (!size)
		return 0;
	memset(&n, 0, sizeof(n));
	n.op = data[0] & 3;
	n.cgroup_id = next_id++;
	len = size - 1 < sizeof(n.path) ? size - 1 : sizeof(n.path);
	memcpy(n.path, data + 1, len);
	/* with its NUL where it fits (n.path was zeroed), else as the bytes end */
	n.path_len = (uint16_t)(!(data[0] & 0x80) && len < sizeof(n.path) ? len + 1 : len);
	sound = (n.op == PN_CGROUP_MADE || n.op == PN_CGROUP_REMOVED) && n.path_len &&
		!n.path[n.path_len - 1];
	n_passed = 0;
	passed[0] = '\0';
	pn_consumer_on_cgroup_note(&con, &n, sizeof(n));
	if (!sound) {
		if (con.malformed != malformed + 1 || n_passed)
			broken("a broken note was not counted malformed, or passed something on");
		return 0;
	}
	if (con.malformed != malformed)
		broken("a sound note was counted malformed");
	if (n_passed > 1)
		broken("one note passed on %u containers", n_passed);
	if (n_passed) {
		size_t l = strlen(passed);

		if (!l || l > 71 || !strstr(n.path, passed))
			broken("passed on \"%s\", not a name of the path", passed);
		for (size_t i = 0; i < l; i++)
			if (passed[i] <= ' ' || passed[i] > '~')
				broken("passed on a container id with byte 0x%02x", passed[i]);
		if (n.op == PN_CGROUP_MADE &&
		    strcmp(pn_identity_of(ids, n.cgroup_id)->path.container_id, passed))
			broken("made cgroup %llu not found under its id as \"%s\"",
			       (unsigned long long)n.cgroup_id, passed);
	}
	return 0;
}
