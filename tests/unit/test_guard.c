// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's guard rules as userspace writes them (lib/guard.c): what one
 * guarded object decides at each place (itself, a directory's children, a
 * recursive directory's subtree), per operation and type, and how objects
 * named by several subjects merge. The BPF LSM programs read exactly these
 * bytes (bpf/guard/guard.bpf.c); tests/e2e/test_guard.py checks the
 * outcome in the kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"

enum { F = 0, D = 1 }; /* file, directory */
enum { O = PN_GUARD_OP_OPEN, A = PN_GUARD_OP_ACCESS };

static struct pn_guard_rule merged(const struct pn_guard_subject *s, bool deny, bool is_dir,
				   bool recursive)
{
	struct pn_guard_rule r;

	memset(&r, 0, sizeof(r));
	pn_guard_rule_merge(&r, s, deny, is_dir, recursive);
	return r;
}

static void a_denied_file_is_denied_itself_only(void **state)
{
	struct pn_guard_subject s = { .ops = PN_GUARD_OPEN };
	struct pn_guard_rule r = merged(&s, true, false, false);

	(void)state;
	/* open of the file (and of whatever the name reaches, a file or not): denied */
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][O][F], PN_GUARD_V_DENY);
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][O][D], PN_GUARD_V_DENY);
	/* reads were not asked for; a file has no children */
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][A][F], PN_GUARD_V_NONE);
	assert_int_equal(r.verdict[PN_GUARD_AT_CHILD][O][F], PN_GUARD_V_NONE);
	assert_int_equal(r.verdict[PN_GUARD_AT_DEEP][O][F], PN_GUARD_V_NONE);
	/* recursive means nothing for a file */
	r = merged(&s, true, false, true);
	assert_int_equal(r.verdict[PN_GUARD_AT_DEEP][O][F], PN_GUARD_V_NONE);
	assert_memory_equal(r.pad, (uint8_t[4]){ 0 }, 4);
}

static void a_directory_covers_its_children_and_recursive_its_tree(void **state)
{
	struct pn_guard_subject s = { .ops = PN_GUARD_ALL };
	struct pn_guard_rule r = merged(&s, true, true, false);

	(void)state;
	for (int op = 0; op < PN_GUARD_OPS; op++)
		for (int t = F; t <= D; t++) {
			assert_int_equal(r.verdict[PN_GUARD_AT_SELF][op][t], PN_GUARD_V_DENY);
			assert_int_equal(r.verdict[PN_GUARD_AT_CHILD][op][t], PN_GUARD_V_DENY);
			/* janus' rule: not below the children */
			assert_int_equal(r.verdict[PN_GUARD_AT_DEEP][op][t], PN_GUARD_V_NONE);
		}
	r = merged(&s, true, true, true);
	for (int op = 0; op < PN_GUARD_OPS; op++)
		for (int t = F; t <= D; t++)
			assert_int_equal(r.verdict[PN_GUARD_AT_DEEP][op][t], PN_GUARD_V_DENY);
}

static void only_dir_leaves_files_alone(void **state)
{
	struct pn_guard_subject s = { .ops = PN_GUARD_ACCESS, .only_dir = true };
	struct pn_guard_rule r = merged(&s, false, true, false);

	(void)state;
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][A][D], PN_GUARD_V_ALLOW);
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][A][F], PN_GUARD_V_NONE);
	assert_int_equal(r.verdict[PN_GUARD_AT_CHILD][A][D], PN_GUARD_V_ALLOW);
	assert_int_equal(r.verdict[PN_GUARD_AT_CHILD][A][F], PN_GUARD_V_NONE);
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][O][D], PN_GUARD_V_NONE);
}

static void deny_wins_over_owner_deny_over_allow(void **state)
{
	struct pn_guard_subject allow = { .ops = PN_GUARD_ALL };
	struct pn_guard_subject owner = { .ops = PN_GUARD_OPEN, .auto_allow_owner = true };
	struct pn_guard_subject deny = { .ops = PN_GUARD_OPEN };
	struct pn_guard_rule r;

	(void)state;
	memset(&r, 0, sizeof(r));
	pn_guard_rule_merge(&r, &allow, false, true, false);
	pn_guard_rule_merge(&r, &owner, true, true, false);
	/* opens: the owner's deny over the allow; reads: the allow alone */
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][O][F], PN_GUARD_V_DENY_OWNER_OK);
	assert_int_equal(r.verdict[PN_GUARD_AT_CHILD][O][D], PN_GUARD_V_DENY_OWNER_OK);
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][A][F], PN_GUARD_V_ALLOW);
	pn_guard_rule_merge(&r, &deny, true, true, false);
	assert_int_equal(r.verdict[PN_GUARD_AT_SELF][O][F], PN_GUARD_V_DENY);
	/* and an allow merged later takes nothing back */
	pn_guard_rule_merge(&r, &allow, false, true, true);
	assert_int_equal(r.verdict[PN_GUARD_AT_CHILD][O][F], PN_GUARD_V_DENY);
	assert_int_equal(r.verdict[PN_GUARD_AT_DEEP][O][F], PN_GUARD_V_ALLOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_denied_file_is_denied_itself_only),
		cmocka_unit_test(a_directory_covers_its_children_and_recursive_its_tree),
		cmocka_unit_test(only_dir_leaves_files_alone),
		cmocka_unit_test(deny_wins_over_owner_deny_over_allow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
