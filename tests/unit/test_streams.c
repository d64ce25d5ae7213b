// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pure parts of the stream bounds: which bound a message meets, which
 * client a stream counts against, and the StreamEvents watch-name set
 * (docs/api.md "Streams and slow clients"). The transport's use of them
 * runs end to end in tests/e2e/test_hostile_streams.py.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"
#include "server.h"

static void queue_verdicts(void **state)
{
	const struct pn_rpc_opts o = {
		.stream_queue = 3,
		.stream_queue_bytes = 1000,
		.streams_queue_total_bytes = 5000,
	};
	const struct pn_rpc_opts none = { 0 };

	(void)state;
	assert_int_equal(pn_rpc_queue_verdict(&o, 0, 0, 0, 1000), PN_QUEUE_OK);
	assert_int_equal(pn_rpc_queue_verdict(&o, 2, 400, 4000, 600), PN_QUEUE_OK);
	/* messages first, then the stream's bytes, then everyone's */
	assert_int_equal(pn_rpc_queue_verdict(&o, 3, 0, 0, 1), PN_QUEUE_FULL_MESSAGES);
	assert_int_equal(pn_rpc_queue_verdict(&o, 3, 999, 5000, 2), PN_QUEUE_FULL_MESSAGES);
	assert_int_equal(pn_rpc_queue_verdict(&o, 2, 400, 0, 601), PN_QUEUE_FULL_BYTES);
	assert_int_equal(pn_rpc_queue_verdict(&o, 0, 0, 0, 1001), PN_QUEUE_FULL_BYTES);
	assert_int_equal(pn_rpc_queue_verdict(&o, 1, 100, 4901, 100), PN_QUEUE_FULL_TOTAL);
	assert_int_equal(pn_rpc_queue_verdict(&o, 1, 100, 4900, 100), PN_QUEUE_OK);
	/* a queue already past a bound (an unbounded send put it there) */
	assert_int_equal(pn_rpc_queue_verdict(&o, 1, 5000, 9000, 1), PN_QUEUE_FULL_BYTES);
	/* no bound given: everything queues */
	assert_int_equal(
		pn_rpc_queue_verdict(&none, 1u << 30, SIZE_MAX / 4, UINT64_MAX / 4, 1 << 20),
		PN_QUEUE_OK);
}

static void client_keys(void **state)
{
	struct pn_authz_caller c = { .via = PN_VIA_NETWORK, .role = PN_ROLE_READ };
	char key[PN_RPC_CLIENT_KEY], small[8];

	(void)state;
	pn_rpc_client_key(&c, "ipv4:10.0.0.7:53122", key, sizeof(key));
	assert_string_equal(key, "ipv4:10.0.0.7");
	pn_rpc_client_key(&c, "ipv6:[fd00::7]:53122", key, sizeof(key));
	assert_string_equal(key, "ipv6:[fd00::7]");
	c.via = PN_VIA_LOOPBACK;
	pn_rpc_client_key(&c, "ipv4:127.0.0.1:1", key, sizeof(key));
	assert_string_equal(key, "ipv4:127.0.0.1");
	pn_rpc_client_key(&c, NULL, key, sizeof(key));
	assert_string_equal(key, "an unknown peer");
	pn_rpc_client_key(&c, "weird", key, sizeof(key));
	assert_string_equal(key, "weird");
	/* every client of the unix socket is one: root on the node */
	c.via = PN_VIA_SOCKET;
	pn_rpc_client_key(&c, "unix:/run/panoptes/panoptes.sock", key, sizeof(key));
	assert_string_equal(key, "the unix socket");
	/* a certificate is its name, wherever it connects from */
	c.via = PN_VIA_NETWORK;
	snprintf(c.identity, sizeof(c.identity), "controller.example");
	pn_rpc_client_key(&c, "ipv4:10.0.0.7:1", key, sizeof(key));
	assert_string_equal(key, "certificate \"controller.example\"");
	pn_rpc_client_key(&c, "ipv4:10.0.0.7:1", small, sizeof(small));
	assert_string_equal(small, "certifi");
}

static void filter_names_as_a_set(void **state)
{
	struct pn_event_filter f = { 0 };
	char *names[PN_EVENT_FILTER_WATCHES_MAX + 1];
	char buf[PN_EVENT_FILTER_WATCHES_MAX + 1][16];

	(void)state;
	for (size_t i = 0; i < PN_EVENT_FILTER_WATCHES_MAX + 1; i++) {
		snprintf(buf[i], sizeof(buf[i]), "w-%zu", i);
		names[i] = buf[i];
	}
	/* past the bound: refused, nothing held */
	assert_int_equal(pn_event_filter_set_watches(&f, names, PN_EVENT_FILTER_WATCHES_MAX + 1),
			 -E2BIG);
	assert_null(f.slots);
	assert_null(f.watches);
	/* none: any watch passes, and the set is empty */
	assert_int_equal(pn_event_filter_set_watches(&f, names, 0), 0);
	assert_false(pn_event_filter_has_watch(&f, "w-0"));
	/* the most: each one found, its neighbours not */
	assert_int_equal(pn_event_filter_set_watches(&f, names, PN_EVENT_FILTER_WATCHES_MAX), 0);
	assert_int_equal(f.n_watches, PN_EVENT_FILTER_WATCHES_MAX);
	assert_true(f.mask + 1 >= 2 * PN_EVENT_FILTER_WATCHES_MAX);
	for (size_t i = 0; i < PN_EVENT_FILTER_WATCHES_MAX; i++)
		assert_true(pn_event_filter_has_watch(&f, names[i]));
	assert_false(pn_event_filter_has_watch(&f, names[PN_EVENT_FILTER_WATCHES_MAX]));
	assert_false(pn_event_filter_has_watch(&f, "w-"));
	assert_false(pn_event_filter_has_watch(&f, "w-10000"));
	assert_false(pn_event_filter_has_watch(&f, ""));
	pn_event_filter_clear(&f);
	assert_null(f.slots);

	/* names given twice are kept once, in the order first given */
	char *dup[] = { "b", "a", "b", "b", "c", "a" };

	assert_int_equal(pn_event_filter_set_watches(&f, dup, 6), 0);
	assert_int_equal(f.n_watches, 3);
	assert_string_equal(f.watches[0], "b");
	assert_string_equal(f.watches[1], "a");
	assert_string_equal(f.watches[2], "c");
	assert_true(pn_event_filter_has_watch(&f, "c"));
	assert_false(pn_event_filter_has_watch(&f, "d"));
	pn_event_filter_clear(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queue_verdicts),
		cmocka_unit_test(client_keys),
		cmocka_unit_test(filter_names_as_a_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
