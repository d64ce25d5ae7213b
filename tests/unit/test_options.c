// SPDX-License-Identifier: GPL-2.0-only
/* panoptesd's flags (src/panoptesd/options.c): gRPC, TLS, limits, the ring buffer, the watch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macros.h"
#include "options.h"
#include "panoptes_event.h"

#ifndef PN_TEST_DATA_DIR
#define PN_TEST_DATA_DIR "tests/unit/data"
#endif

/* Any readable file will do: the flags only check that they can be read. */
#define PEM PN_TEST_DATA_DIR "/policy_good.yaml"

static int parse(struct pn_config *cfg, char *err, size_t errlen, const char **args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "panoptesd";
	for (; *args; args++) {
		assert_true(argc < (int)ARRAY_SIZE(argv) - 1);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	return pn_options_parse(argc, argv, cfg, err, errlen);
}

static void expect_error(const char *want, const char **args)
{
	struct pn_config cfg;
	char err[512] = "";

	assert_int_equal(parse(&cfg, err, sizeof(err), args), -EINVAL);
	assert_string_equal(err, want);
}

static void grpc_defaults_allow_no_watch(void **state)
{
	struct pn_config cfg;
	char err[512] = "";

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){ NULL }), 0);
	/* the node's own processes only: a 0600 socket and loopback */
	assert_string_equal(cfg.socket_path, "/run/panoptes/panoptes.sock");
	assert_string_equal(cfg.listen, "127.0.0.1:50051");
	assert_string_equal(cfg.probe_listen, "");
	assert_null(cfg.cri_endpoint); /* probed */
	assert_int_equal(cfg.cri_wait_ms, 250);
	assert_false(cfg.insecure_listen);
	assert_null(cfg.authz_file);
	/* API watches: the pods' cgroups, with either cgroup driver */
	assert_int_equal(cfg.n_api_cgroup_roots, 2);
	assert_string_equal(cfg.api_cgroup_roots[0], "/kubepods.slice");
	assert_string_equal(cfg.api_cgroup_roots[1], "/kubepods");
	assert_false(cfg.tls);
	assert_string_equal(cfg.guard_backend, "auto");
	pn_config_clear(&cfg);
	assert_int_equal(
		parse(&cfg, err, sizeof(err), (const char *[]){ "--guard-backend", "lsm", NULL }),
		0);
	assert_string_equal(cfg.guard_backend, "lsm");
	pn_config_clear(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){ NULL }), 0);
	assert_int_equal(cfg.max_watches, 1024);
	assert_int_equal(cfg.max_cgroups, PN_MAX_CGROUPS_DEFAULT);
	assert_int_equal(cfg.max_request_bytes, 4194304);
	assert_int_equal(cfg.stream_queue, 4096);
	assert_int_equal(cfg.ringbuf_mb, 4);
	assert_int_equal(cfg.batch_us, 200);
	assert_int_equal(cfg.coalesce_ms, 1000);
	assert_int_equal(cfg.lookup_timeout_ms, 100);
	assert_int_equal(cfg.nice, -10);
	assert_null(cfg.flag_watch.watch);
	pn_config_clear(&cfg);
}

static void argusd_single_dash_tls_flags(void **state)
{
	struct pn_config cfg;
	char err[512] = "";

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err),
			       (const char *[]){ "-tls",
						 "-tlscafile",
						 PEM,
						 "-tlscertfile",
						 PEM,
						 "-tlskeyfile=" PEM,
						 "--listen",
						 "127.0.0.1:7000",
						 "--max-cgroups",
						 "64",
						 "--max-watches",
						 "3",
						 "--stream-queue",
						 "64",
						 "--max-request-bytes",
						 "65536",
						 "--batch-us",
						 "0",
						 "--coalesce-ms",
						 "0",
						 "--lookup-timeout-ms",
						 "10000",
						 "--ringbuf-mb",
						 "16",
						 "--nice",
						 "0",
						 "--probe-listen",
						 "0.0.0.0:2113",
						 "--cri-endpoint",
						 "unix:///run/crio/crio.sock",
						 "--cri-wait-ms",
						 "0",
						 "--event-labels",
						 "--event-annotations",
						 "team.example.com/owner,note",
						 "--event-annotations",
						 "note,a.b/c-d.e_f",
						 NULL }),
			 0);
	assert_true(cfg.event_labels);
	/* repeated and split on commas, each key once */
	assert_int_equal(cfg.n_event_annotations, 3);
	assert_string_equal(cfg.event_annotations[0], "team.example.com/owner");
	assert_string_equal(cfg.event_annotations[1], "note");
	assert_string_equal(cfg.event_annotations[2], "a.b/c-d.e_f");
	assert_string_equal(cfg.probe_listen, "0.0.0.0:2113");
	assert_string_equal(cfg.cri_endpoint, "unix:///run/crio/crio.sock");
	assert_int_equal(cfg.cri_wait_ms, 0);
	assert_true(cfg.tls);
	assert_string_equal(cfg.tls_ca_file, PEM);
	assert_string_equal(cfg.tls_cert_file, PEM);
	assert_string_equal(cfg.tls_key_file, PEM);
	assert_string_equal(cfg.listen, "127.0.0.1:7000");
	assert_int_equal(cfg.max_watches, 3);
	assert_int_equal(cfg.max_cgroups, 64);
	assert_int_equal(cfg.stream_queue, 64);
	assert_int_equal(cfg.max_request_bytes, 65536);
	assert_int_equal(cfg.batch_us, 0);
	assert_int_equal(cfg.coalesce_ms, 0);
	assert_int_equal(cfg.lookup_timeout_ms, 10000);
	assert_int_equal(cfg.ringbuf_mb, 16);
	assert_int_equal(cfg.nice, 0);
	pn_config_clear(&cfg);

	/* GNU spelling too, and no CA: TLS without client certificates */
	assert_int_equal(
		parse(&cfg, err, sizeof(err),
		      (const char *[]){ "--tls", "--tlscertfile=" PEM, "--tlskeyfile", PEM, NULL }),
		0);
	assert_true(cfg.tls);
	assert_null(cfg.tls_ca_file);
	pn_config_clear(&cfg);
}

static void bad_grpc_flags_name_the_flag(void **state)
{
	(void)state;
	expect_error("-tls: needs -tlscertfile FILE and -tlskeyfile FILE",
		     (const char *[]){ "-tls", NULL });
	expect_error("-tls: needs -tlscertfile FILE and -tlskeyfile FILE",
		     (const char *[]){ "-tls", "-tlscertfile", PEM, NULL });
	expect_error("-tlscertfile: given without -tls",
		     (const char *[]){ "-tlscertfile", PEM, NULL });
	expect_error("-tlscafile: cannot read \"/nonexistent/ca.pem\": No such file or directory",
		     (const char *[]){ "-tls", "-tlscafile", "/nonexistent/ca.pem", NULL });
	expect_error("--listen: expected HOST:PORT or \"\", got \"50051\"",
		     (const char *[]){ "--listen", "50051", NULL });
	expect_error("--probe-listen: expected HOST:PORT or \"\", got \"2113\"",
		     (const char *[]){ "--probe-listen", "2113", NULL });
	expect_error("--max-watches: expected 1 to 1000000, got \"0\"",
		     (const char *[]){ "--max-watches", "0", NULL });
	expect_error("--max-cgroups: expected 1 to 1048576, got \"2000000\"",
		     (const char *[]){ "--max-cgroups", "2000000", NULL });
	expect_error("--stream-queue: expected 1 to 16777216, got \"lots\"",
		     (const char *[]){ "--stream-queue", "lots", NULL });
	expect_error("--batch-us: expected 0 to 100000, got \"-1\"",
		     (const char *[]){ "--batch-us", "-1", NULL });
	expect_error("--lookup-timeout-ms: expected 1 to 10000, got \"0\"",
		     (const char *[]){ "--lookup-timeout-ms", "0", NULL });
	expect_error("--lookup-timeout-ms: expected 1 to 10000, got \"10001\"",
		     (const char *[]){ "--lookup-timeout-ms", "10001", NULL });
	expect_error("--coalesce-ms: expected 0 to 60000, got \"-1\"",
		     (const char *[]){ "--coalesce-ms", "-1", NULL });
	expect_error("--coalesce-ms: expected 0 to 60000, got \"60001\"",
		     (const char *[]){ "--coalesce-ms", "60001", NULL });
	expect_error("--coalesce-ms: expected 0 to 60000, got \"1s\"",
		     (const char *[]){ "--coalesce-ms", "1s", NULL });
	expect_error("--coalesce-ms: expected 0 to 60000, got \"\"",
		     (const char *[]){ "--coalesce-ms", "", NULL });
	expect_error("--cri-endpoint: \"tcp://10.0.0.1:1234\": a unix socket, as unix:///path or "
		     "/path (the runtime runs on this node)",
		     (const char *[]){ "--cri-endpoint", "tcp://10.0.0.1:1234", NULL });
	expect_error("--watch-selector: \"app in web\": expected ( at byte 8",
		     (const char *[]){ "--watch-selector", "app in web", "--path", "/a", NULL });
	expect_error("--watch-namespace: empty pattern",
		     (const char *[]){ "--watch-namespace", "", "--path", "/a", NULL });
	expect_error("--guard-backend: expected auto, lsm, fanotify or none, got \"selinux\"",
		     (const char *[]){ "--guard-backend", "selinux", NULL });
	expect_error("--lifecycle: expected kimager, json or none, got \"text\"",
		     (const char *[]){ "--lifecycle", "text", NULL });
	expect_error("--lifecycle: needs the container runtime, and --cri-endpoint is \"\" (none)",
		     (const char *[]){ "--lifecycle", "json", "--cri-endpoint", "", NULL });
	expect_error(
		"--event-labels: needs the container runtime, and --cri-endpoint is \"\" (none)",
		(const char *[]){ "--event-labels", "--cri-endpoint", "", NULL });
	expect_error("--event-annotations: needs the container runtime, and --cri-endpoint is "
		     "\"\" (none)",
		     (const char *[]){ "--event-annotations", "note", "--cri-endpoint", "", NULL });
	expect_error(
		"--event-annotations: \"Team.example.com/owner\" is not an annotation key "
		"([prefix/]name, as Kubernetes spells them)",
		(const char *[]){ "--event-annotations", "note,Team.example.com/owner", NULL });
	expect_error("--event-annotations: \"-x\" is not an annotation key ([prefix/]name, as "
		     "Kubernetes spells them)",
		     (const char *[]){ "--event-annotations", "-x", NULL });
	expect_error("--event-annotations: expected annotation keys, got \",,\"",
		     (const char *[]){ "--event-annotations", ",,", NULL });
	expect_error("--cri-resync-s: expected 1 to 3600, got \"0\"",
		     (const char *[]){ "--cri-resync-s", "0", NULL });
	expect_error("--cri-wait-ms: expected 0 to 5000, got \"5001\"",
		     (const char *[]){ "--cri-wait-ms", "5001", NULL });
	expect_error("--nice: expected -20 to 19, got \"-21\"",
		     (const char *[]){ "--nice", "-21", NULL });
	expect_error("--ringbuf-mb: expected a power of two from 1 to 1024, got \"3\"",
		     (const char *[]){ "--ringbuf-mb", "3", NULL });
	expect_error("--max-request-bytes: expected 1024 to 1073741824, got \"10\"",
		     (const char *[]){ "--max-request-bytes", "10", NULL });
	expect_error(
		"nothing to watch and no gRPC API (--listen \"\" --socket \"\"): give --policy "
		"FILE, or --watch-pid/--watch-cgroup/--watch-container with --path (see --help)",
		(const char *[]){ "--listen", "", "--socket", "", NULL });
	expect_error("-tls: given with --listen \"\" (no gRPC to secure)",
		     (const char *[]){ "--listen", "", "--policy", PEM, "-tls", "-tlscertfile", PEM,
				       "-tlskeyfile", PEM, NULL });
	/* only the four argusd spellings are rewritten; -tlsx stays short options */
	expect_error("unknown option \"-t\" (see --help)", (const char *[]){ "-tlsx", NULL });
	expect_error("unknown option \"--tlsx\" (see --help)", (const char *[]){ "--tlsx", NULL });
}

/* The stream bounds: defaults for real use (docs/api.md), each flag's range named. */
static void stream_bound_flags(void **state)
{
	struct pn_config cfg;
	char err[512] = "";

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){ NULL }), 0);
	assert_int_equal(cfg.stream_queue_bytes, 4194304);
	assert_int_equal(cfg.streams_queue_total_bytes, 67108864);
	assert_int_equal(cfg.stream_cut_seconds, 10);
	assert_int_equal(cfg.max_streams, 256);
	assert_int_equal(cfg.max_streams_per_client, 16);
	pn_config_clear(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err),
			       (const char *[]){ "--stream-queue-bytes", "1024",
						 "--streams-queue-total-bytes", "4294967296",
						 "--stream-cut-seconds", "0", "--max-streams", "1",
						 "--max-streams-per-client", "65536", NULL }),
			 0);
	assert_int_equal(cfg.stream_queue_bytes, 1024);
	assert_int_equal(cfg.streams_queue_total_bytes, 4294967296ULL);
	assert_int_equal(cfg.stream_cut_seconds, 0);
	assert_int_equal(cfg.max_streams, 1);
	assert_int_equal(cfg.max_streams_per_client, 65536);
	pn_config_clear(&cfg);
	expect_error("--stream-queue-bytes: expected 1024 to 1073741824, got \"1023\"",
		     (const char *[]){ "--stream-queue-bytes", "1023", NULL });
	expect_error("--streams-queue-total-bytes: expected 1024 to 4294967296, got \"1e9\"",
		     (const char *[]){ "--streams-queue-total-bytes", "1e9", NULL });
	expect_error("--stream-cut-seconds: expected 0 to 86400, got \"-1\"",
		     (const char *[]){ "--stream-cut-seconds", "-1", NULL });
	expect_error("--max-streams: expected 1 to 65536, got \"0\"",
		     (const char *[]){ "--max-streams", "0", NULL });
	expect_error("--max-streams-per-client: expected 1 to 65536, got \"65537\"",
		     (const char *[]){ "--max-streams-per-client", "65537", NULL });
}

/* Which --listen addresses need mutual TLS: all but loopback. */
static void listen_beyond_loopback_needs_mutual_tls(void **state)
{
	static const char *const loopback[] = { "127.0.0.1:1", "127.9.9.9:1", "[::1]:1",
						"localhost:1" };
	static const char *const network[] = {
		"0.0.0.0:1",  "[::]:1",		":1",
		"10.0.0.1:1", "node.example:1", "[::ffff:127.0.0.1]:1",
		"128.0.0.1:1"
	};
	struct pn_config cfg;
	char err[512], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		assert_int_equal(parse(&cfg, err, sizeof(err),
				       (const char *[]){ "--listen", loopback[i], NULL }),
				 0);
		pn_config_clear(&cfg);
	}
	for (size_t i = 0; i < sizeof(network) / sizeof(network[0]); i++) {
		snprintf(
			want, sizeof(want),
			"--listen %s: not a loopback address: serving the API there needs mutual "
			"TLS (-tls -tlscafile -tlscertfile -tlskeyfile), or --insecure-listen %s to "
			"serve it without client certificates",
			network[i], network[i]);
		expect_error(want, (const char *[]){ "--listen", network[i], NULL });
		/* TLS without client certificates is not enough */
		expect_error(want, (const char *[]){ "--listen", network[i], "-tls", "-tlscertfile",
						     PEM, "-tlskeyfile", PEM, NULL });
		/* mutual TLS is */
		assert_int_equal(
			parse(&cfg, err, sizeof(err),
			      (const char *[]){ "--listen", network[i], "-tls", "-tlscafile", PEM,
						"-tlscertfile", PEM, "-tlskeyfile", PEM,
						"--authz-file", PEM, NULL }),
			0);
		assert_string_equal(cfg.authz_file, PEM);
		pn_config_clear(&cfg);
		/* and so is saying so */
		assert_int_equal(parse(&cfg, err, sizeof(err),
				       (const char *[]){ "--insecure-listen", network[i], NULL }),
				 0);
		assert_string_equal(cfg.listen, network[i]);
		assert_true(cfg.insecure_listen);
		pn_config_clear(&cfg);
	}
	expect_error("--insecure-listen: replaces --listen (one TCP listener): give one of them",
		     (const char *[]){ "--listen", "127.0.0.1:1", "--insecure-listen", "0.0.0.0:1",
				       NULL });
	expect_error("--insecure-listen: expected HOST:PORT or \"\", got \"50051\"",
		     (const char *[]){ "--insecure-listen", "50051", NULL });
	expect_error("--authz-file: gives roles to client certificates: needs mutual TLS (-tls "
		     "-tlscafile)",
		     (const char *[]){ "--authz-file", PEM, NULL });
	expect_error("--authz-file: cannot read \"/nonexistent/authz.yaml\": No such file or "
		     "directory",
		     (const char *[]){ "--authz-file", "/nonexistent/authz.yaml", NULL });
	expect_error("--socket: expected an absolute path or \"\", got \"run/p.sock\"",
		     (const char *[]){ "--socket", "run/p.sock", NULL });
	/* the operator's roots replace the default, normalized */
	assert_int_equal(parse(&cfg, err, sizeof(err),
			       (const char *[]){ "--api-cgroup-root", "//a/./b/",
						 "--api-cgroup-root", "/", NULL }),
			 0);
	assert_int_equal(cfg.n_api_cgroup_roots, 2);
	assert_string_equal(cfg.api_cgroup_roots[0], "/a/b");
	assert_string_equal(cfg.api_cgroup_roots[1], "/");
	pn_config_clear(&cfg);
	expect_error("--api-cgroup-root: expected a directory of the cgroup2 tree from its root "
		     "(\"/kubepods.slice\", \"/\"), got \"kubepods\"",
		     (const char *[]){ "--api-cgroup-root", "kubepods", NULL });
	/* the socket alone is an API: no watch needed */
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){ "--listen", "", NULL }),
			 0);
	assert_string_equal(cfg.socket_path, "/run/panoptes/panoptes.sock");
	pn_config_clear(&cfg);
}

/* The standalone watch's subject: pn_subject_check's rules, named by the flag. */
static void subject_flags_name_the_flag(void **state)
{
	struct pn_config cfg;
	char err[512] = "";

	(void)state;
	expect_error(
		"--max-depth: only meaningful with --recursive",
		(const char *[]){ "--watch-pid", "1", "--path", "/x", "--max-depth", "2", NULL });
	expect_error("--tag: key \"team\" given twice",
		     (const char *[]){ "--watch-pid", "1", "--path", "/x", "--tag", "team=web",
				       "--tag", "team=db", NULL });
	expect_error("--path: path must be absolute, got \"x\"",
		     (const char *[]){ "--watch-pid", "1", "--path", "/a", "--path", "x", NULL });
	expect_error("--path: path must be absolute, got \"\"",
		     (const char *[]){ "--watch-pid", "1", "--path", "", NULL });
	expect_error(
		"--ignore: must be a file or directory name without '/': \"a/b\"",
		(const char *[]){ "--watch-pid", "1", "--path", "/x", "--ignore", "a/b", NULL });
	expect_error("--ignore: must not be empty",
		     (const char *[]){ "--watch-pid", "1", "--path", "/x", "--ignore", "", NULL });
	expect_error("--watch-*: give at least one --path to watch",
		     (const char *[]){ "--watch-pid", "1", "--recursive", NULL });
	expect_error("--max-depth: must be a whole number >= 0, got \"-1\"",
		     (const char *[]){ "--watch-pid", "1", "--path", "/x", "--recursive",
				       "--max-depth", "-1", NULL });

	/* what the rules allow: depth with recursive, 0 without, distinct keys in any order */
	assert_int_equal(parse(&cfg, err, sizeof(err),
			       (const char *[]){ "--watch-pid", "1", "--path", "/x//y/",
						 "--recursive", "--max-depth", "2", "--tag",
						 "team=web", "--tag", "env=prod", NULL }),
			 0);
	assert_string_equal(cfg.flag_watch.watch->subjects[0].paths[0], "/x/y");
	assert_int_equal(cfg.flag_watch.watch->subjects[0].max_depth, 2);
	assert_string_equal(cfg.flag_watch.watch->subjects[0].tags_text, "env=prod,team=web");
	pn_config_clear(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err),
			       (const char *[]){ "--watch-pid", "1", "--path", "/x", "--max-depth",
						 "0", NULL }),
			 0);
	assert_false(cfg.flag_watch.watch->subjects[0].recursive);
	pn_config_clear(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grpc_defaults_allow_no_watch),
		cmocka_unit_test(argusd_single_dash_tls_flags),
		cmocka_unit_test(bad_grpc_flags_name_the_flag),
		cmocka_unit_test(stream_bound_flags),
		cmocka_unit_test(listen_beyond_loopback_needs_mutual_tls),
		cmocka_unit_test(subject_flags_name_the_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
