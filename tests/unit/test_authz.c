// SPDX-License-Identifier: GPL-2.0-only
/*
 * The authorization rules of the gRPC APIs (src/services/authz.c): the
 * --authz-file schema, the role of a certificate, and the decision table of
 * who may call what and change which watch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "authz.h"

static struct pn_authz *parse_ok(const char *text)
{
	struct pn_authz *a = NULL;
	char err[512] = "";

	assert_int_equal(pn_authz_parse("authz.yaml", text, strlen(text), &a, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(a);
	return a;
}

static void parse_fails(const char *text, const char *want)
{
	struct pn_authz *a = (void *)1;
	char err[512] = "";

	assert_int_equal(pn_authz_parse("authz.yaml", text, strlen(text), &a, err, sizeof(err)),
			 -EINVAL);
	assert_null(a);
	assert_string_equal(err, want);
}

static void roles_by_name_and_default(void **state)
{
	struct pn_authz *a = parse_ok("roles:\n  ctl: manage\n  dash: read\n  old: none\n"
				      "default: read\n");
	const char *ctl[] = { "ctl" }, *dash[] = { "x", "dash" }, *old[] = { "old" };
	const char *both[] = { "dash", "ctl" }, *unknown[] = { "someone" };

	(void)state;
	assert_int_equal(pn_authz_role_of(a, ctl, 1), PN_ROLE_MANAGE);
	assert_int_equal(pn_authz_role_of(a, dash, 2), PN_ROLE_READ); /* any of its names */
	assert_int_equal(pn_authz_role_of(a, old, 1), PN_ROLE_NONE);
	/* two listed names on one certificate: the file's order decides, not the cert's */
	assert_int_equal(pn_authz_role_of(a, both, 2), PN_ROLE_MANAGE);
	assert_int_equal(pn_authz_role_of(a, unknown, 1), PN_ROLE_READ);
	assert_int_equal(pn_authz_role_of(a, NULL, 0), PN_ROLE_READ);
	pn_authz_free(a);

	/* without a default, unlisted certificates get nothing but health */
	a = parse_ok("roles: {ctl: manage}\n");
	assert_int_equal(pn_authz_role_of(a, unknown, 1), PN_ROLE_NONE);
	pn_authz_free(a);
	a = parse_ok("");
	assert_int_equal(pn_authz_role_of(a, ctl, 1), PN_ROLE_NONE);
	pn_authz_free(a);

	/* no file at all: every verified client manages, as before roles existed */
	assert_int_equal(pn_authz_role_of(NULL, unknown, 1), PN_ROLE_MANAGE);
	assert_int_equal(pn_authz_role_uncertified(PN_VIA_SOCKET), PN_ROLE_MANAGE);
	assert_int_equal(pn_authz_role_uncertified(PN_VIA_LOOPBACK), PN_ROLE_MANAGE);
}

static void file_errors_name_the_field(void **state)
{
	(void)state;
	parse_fails("roles:\n  ctl: admin\n",
		    "authz.yaml:2:8: roles.ctl: expected none, read or manage");
	parse_fails("default: [read]\n", "authz.yaml:1:10: default: expected none, read or manage");
	parse_fails("roles: [ctl]\n",
		    "authz.yaml:1:8: roles: expected a mapping of certificate names to roles, got "
		    "a list");
	parse_fails("role: {ctl: read}\n",
		    "authz.yaml:1:1: unknown key \"role\"; valid keys: roles default");
	parse_fails("roles:\n  ctl: read\n  ctl: manage\n",
		    "authz.yaml:3:3: roles: duplicate key \"ctl\"");
	parse_fails("roles:\n  \"\": read\n", "authz.yaml:2:3: roles: empty certificate name");
	parse_fails("- a\n", "authz.yaml:1:1: expected a mapping (roles, default), got a list");
	parse_fails("roles: {a: read}\n---\nroles: {b: read}\n",
		    "authz.yaml:3:1: one document expected");
}

static const struct pn_authz_caller socket_c = { .via = PN_VIA_SOCKET, .role = PN_ROLE_MANAGE };
static const struct pn_authz_caller loop_c = { .via = PN_VIA_LOOPBACK, .role = PN_ROLE_MANAGE };
static const struct pn_authz_caller cert_a = { .via = PN_VIA_NETWORK,
					       .role = PN_ROLE_MANAGE,
					       .identity = "a" };
static const struct pn_authz_caller cert_b = { .via = PN_VIA_LOOPBACK,
					       .role = PN_ROLE_MANAGE,
					       .identity = "b.example" };
static const struct pn_authz_caller reader = { .via = PN_VIA_NETWORK,
					       .role = PN_ROLE_READ,
					       .identity = "r" };

static void calls_by_role(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(pn_authz_may_call(&reader, PN_ROLE_READ, "/p.S/List", msg, sizeof(msg)),
			 0);
	assert_int_equal(pn_authz_may_call(&reader, PN_ROLE_NONE, "/p.S/Health", msg, sizeof(msg)),
			 0);
	assert_int_equal(
		pn_authz_may_call(&reader, PN_ROLE_MANAGE, "/p.S/Delete", msg, sizeof(msg)),
		-EACCES);
	assert_string_equal(msg, "/p.S/Delete: client \"r\" has role read; this call needs manage "
				 "(--authz-file)");
	assert_int_equal(
		pn_authz_may_call(&cert_a, PN_ROLE_MANAGE, "/p.S/Delete", msg, sizeof(msg)), 0);
}

/* One row of the table: who, through which API, on which watch -> the message or "" (allowed). */
struct row {
	const struct pn_authz_caller *who;
	enum pn_watch_api api;
	enum pn_watch_api watch_api;
	const char *origin, *owner;
	const char *want;
};

static void watches_by_origin_and_owner(void **state)
{
	static const struct row rows[] = {
		/* the operator's: read-only for everyone, the unix socket included */
		{ &socket_c, PN_WATCH_NATIVE, PN_WATCH_OPERATOR, "flags", NULL,
		  "Call: watch \"w\" belongs to the operator (origin flags): read-only over the API" },
		{ &cert_a, PN_WATCH_ARGUS, PN_WATCH_OPERATOR, "/etc/p.yaml", NULL,
		  "Call: watch \"w\" belongs to the operator (origin /etc/p.yaml): read-only over "
		  "the API" },
		/* each API its own watches */
		{ &loop_c, PN_WATCH_ARGUS, PN_WATCH_NATIVE, "api", NULL,
		  "Call: watch \"w\" belongs to panoptes.v1.Agent (origin api): only that API may "
		  "change it" },
		{ &socket_c, PN_WATCH_NATIVE, PN_WATCH_ARGUS, "argus", NULL,
		  "Call: watch \"w\" belongs to argus.Argusd (origin argus): only that API may "
		  "change it" },
		{ &loop_c, PN_WATCH_NATIVE, PN_WATCH_NATIVE, "api", NULL, "" },
		{ &loop_c, PN_WATCH_ARGUS, PN_WATCH_ARGUS, "argus", "", "" },
		/* a certificate's watches: its own, and the socket's (root on the node) */
		{ &cert_a, PN_WATCH_NATIVE, PN_WATCH_NATIVE, "api", "a", "" },
		{ &cert_b, PN_WATCH_NATIVE, PN_WATCH_NATIVE, "api", "a",
		  "Call: watch \"w\" belongs to client \"a\" (origin api): client \"b.example\" may "
		  "not change it" },
		{ &loop_c, PN_WATCH_ARGUS, PN_WATCH_ARGUS, "argus", "a",
		  "Call: watch \"w\" belongs to client \"a\" (origin argus): a loopback client may "
		  "not change it" },
		{ &socket_c, PN_WATCH_ARGUS, PN_WATCH_ARGUS, "argus", "a", "" },
		/* watches made without a certificate: any manager of the same API */
		{ &cert_b, PN_WATCH_ARGUS, PN_WATCH_ARGUS, "argus", NULL, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct pn_watch w = { .name = "w",
				      .origin = (char *)r->origin,
				      .api = r->watch_api,
				      .owner = (char *)r->owner };
		char msg[512] = "";
		int e = pn_authz_may_modify(r->who, r->api, &w, "Call", msg, sizeof(msg));

		if (strcmp(msg, r->want) != 0)
			print_message("row %zu\n", i);
		assert_int_equal(e, r->want[0] ? -EACCES : 0);
		assert_string_equal(msg, r->want);
	}
}

static void stamp_names_the_owner(void **state)
{
	struct pn_watch w = { 0 };

	(void)state;
	assert_int_equal(pn_authz_stamp(&w, &cert_a), 0);
	assert_string_equal(w.owner, "a");
	assert_int_equal(pn_authz_stamp(&w, &socket_c), 0); /* replaced: whoever installs it now */
	assert_null(w.owner);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roles_by_name_and_default),
		cmocka_unit_test(file_errors_name_the_field),
		cmocka_unit_test(calls_by_role),
		cmocka_unit_test(watches_by_origin_and_owner),
		cmocka_unit_test(stamp_names_the_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
