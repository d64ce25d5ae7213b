// SPDX-License-Identifier: GPL-2.0-only
/*
 * The identity cache fed by the kernel's cgroup notes (bpf/cgroup.bpf.c):
 * a container's cgroup named from the note's path before any event, kept
 * after the cgroup is gone, let go only when room is needed and the grace
 * has passed, and every other entry still found after such deletions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "consumer.h"
#include "identity.h"

#define POD "6f1c9d7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f"

static struct pn_identity_cache *ids;

static int setup(void **state)
{
	(void)state;
	/* not a cgroup2 mount: no id's path can be read from it, only from notes */
	return pn_identity_cache_new("/", &ids);
}

static int teardown(void **state)
{
	(void)state;
	pn_identity_cache_free(ids);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* A 64-hex container id made from n. */
static void cid(char *out, unsigned n)
{
	snprintf(out, 65, "%064x", n);
}

static void container_path(char *out, size_t len, unsigned n)
{
	char id[65];

	cid(id, n);
	snprintf(out, len, "/kubepods/besteffort/pod" POD "/%s", id);
}

static void test_made_names_before_any_event(void **state)
{
	struct pn_cgroup_identity got;
	char path[256], want[65];

	(void)state;
	container_path(path, sizeof(path), 7);
	cid(want, 7);
	assert_true(pn_identity_made(ids, 4242, path, &got));
	assert_string_equal(got.container_id, want);
	assert_string_equal(got.pod_uid, POD);
	/* the id alone could not be read here: what the note said is kept */
	assert_string_equal(pn_identity_of(ids, 4242)->path.container_id, want);
	assert_string_equal(pn_identity_of(ids, 4242)->path.pod_uid, POD);
	/* gone: still named for the events read after the removal */
	pn_identity_removed(ids, 4242, mono_ns());
	assert_string_equal(pn_identity_of(ids, 4242)->path.container_id, want);

	/* its record read first, when the cgroup was already gone: the later note names it */
	assert_string_equal(pn_identity_of(ids, 5000)->path.container_id, "");
	assert_true(pn_identity_made(ids, 5000, path, &got));
	assert_string_equal(pn_identity_of(ids, 5000)->path.container_id, want);

	/* a cgroup that names no pod or container is not kept */
	assert_false(pn_identity_made(ids, 4243, "/system.slice/cron.service", &got));
	assert_string_equal(got.container_id, "");
	assert_false(pn_identity_made(ids, 4244, NULL, &got));
	assert_string_equal(pn_identity_of(ids, 4243)->path.container_id, "");
}

/*
 * Fills the table past three quarters with removed cgroups, half of them
 * removed long ago: those go when room is needed, the others (within the
 * grace) and the live ones stay, each found under its own id.
 */
static void test_removed_go_first_and_the_rest_stay(void **state)
{
	const unsigned n = PN_IDENTITY_SLOTS / 4 * 3; /* full: the next needs room */
	uint64_t now = mono_ns(), old = now - 2 * PN_IDENTITY_GRACE_NS;
	struct pn_cgroup_identity got;
	char path[256], want[65];

	(void)state;
	for (unsigned i = 1; i <= n; i++) {
		container_path(path, sizeof(path), i);
		assert_true(pn_identity_made(ids, 1000 + i, path, &got));
		/* odd ones removed long ago, every fourth recently, the rest alive */
		if (i % 2)
			pn_identity_removed(ids, 1000 + i, old);
		else if (i % 4 == 0)
			pn_identity_removed(ids, 1000 + i, now);
	}
	/* one more: room is made */
	container_path(path, sizeof(path), n + 1);
	assert_true(pn_identity_made(ids, 1000 + n + 1, path, &got));
	/* the kept ones first: asking for one let go adds it again (with no path) */
	for (unsigned i = 2; i <= n + 1; i += 2) {
		const char *have = pn_identity_of(ids, 1000 + i)->path.container_id;

		cid(want, i);
		if (strcmp(have, want))
			fail_msg("cgroup %u: \"%s\", not \"%s\"", i, have, want);
	}
	for (unsigned i = 1; i <= n; i += 2)
		if (pn_identity_of(ids, 1000 + i)->path.container_id[0])
			fail_msg("cgroup %u removed long ago is still kept", i);
}

static unsigned calls;
static char last_id[72];
static bool last_made;

static void on_container(void *arg, const char *container_id, bool made)
{
	(void)arg;
	calls++;
	snprintf(last_id, sizeof(last_id), "%s", container_id);
	last_made = made;
}

static size_t note(struct pn_cgroup_note *n, uint32_t op, uint64_t id, const char *path)
{
	memset(n, 0, sizeof(*n));
	n->ts_ns = mono_ns();
	n->cgroup_id = id;
	n->op = op;
	n->level = 4;
	snprintf(n->path, sizeof(n->path), "%s", path);
	n->path_len = (uint16_t)(strlen(path) + 1);
	return sizeof(*n);
}

static void test_consumer_passes_containers_on(void **state)
{
	struct pn_consumer con;
	struct pn_cgroup_note n;
	char path[256], want[65];

	(void)state;
	pn_consumer_init(&con, NULL, PN_OUTPUT_JSON, "node-a", stdout);
	con.ids = ids;
	con.on_container = on_container;
	container_path(path, sizeof(path), 99);
	cid(want, 99);

	assert_int_equal(pn_consumer_on_cgroup_note(&con, &n, note(&n, PN_CGROUP_MADE, 77, path)),
			 0);
	assert_int_equal(calls, 1);
	assert_string_equal(last_id, want);
	assert_true(last_made);
	assert_string_equal(pn_identity_of(ids, 77)->path.container_id, want);

	/* the pod's own cgroup names no container: kept, not passed on */
	assert_int_equal(
		pn_consumer_on_cgroup_note(
			&con, &n, note(&n, PN_CGROUP_MADE, 76, "/kubepods/besteffort/pod" POD)),
		0);
	assert_int_equal(calls, 1);
	assert_string_equal(pn_identity_of(ids, 76)->path.pod_uid, POD);

	assert_int_equal(
		pn_consumer_on_cgroup_note(&con, &n, note(&n, PN_CGROUP_REMOVED, 77, path)), 0);
	assert_int_equal(calls, 2);
	assert_false(last_made);

	/* a path that filled the buffer may be cut: not read as an id */
	note(&n, PN_CGROUP_MADE, 78, path);
	memset(n.path, 'a', sizeof(n.path) - 1);
	n.path[sizeof(n.path) - 1] = '\0';
	n.path_len = PN_CGROUP_PATH_MAX;
	assert_int_equal(pn_consumer_on_cgroup_note(&con, &n, sizeof(n)), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(con.malformed, 0);

	/* malformed: counted, never read past */
	note(&n, 3, 79, path);
	pn_consumer_on_cgroup_note(&con, &n, sizeof(n));
	note(&n, PN_CGROUP_MADE, 79, path);
	n.path[n.path_len - 1] = 'x';
	pn_consumer_on_cgroup_note(&con, &n, sizeof(n));
	note(&n, PN_CGROUP_MADE, 79, path);
	n.path_len = PN_CGROUP_PATH_MAX + 1;
	pn_consumer_on_cgroup_note(&con, &n, sizeof(n));
	note(&n, PN_CGROUP_MADE, 79, path);
	n.path_len = 0;
	pn_consumer_on_cgroup_note(&con, &n, sizeof(n));
	pn_consumer_on_cgroup_note(&con, &n, sizeof(n) - 1);
	assert_int_equal(con.malformed, 5);
	assert_int_equal(calls, 2);
	con.ids = NULL; /* ours, freed by teardown */
	pn_consumer_clear(&con);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_made_names_before_any_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_go_first_and_the_rest_stay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_consumer_passes_containers_on, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
