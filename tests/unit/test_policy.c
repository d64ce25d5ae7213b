// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "policy.h"
#include "selector.h"
#include "yaml_doc.h"
#include "macros.h"

#ifndef PN_TEST_DATA_DIR
#define PN_TEST_DATA_DIR "tests/unit/data"
#endif

#define VALID_EVENTS                                                                               \
	"access attrib closewrite closenowrite close create delete deleteself modify moveself "    \
	"movedfrom movedto move open all"
#define SUBJECT_KEYS "paths events ignore onlyDir recursive followMove maxDepth tags"

static int parse(const char *text, struct pn_policy *p, char *err, size_t errlen)
{
	return pn_policy_parse_string("policy.yaml", text, strlen(text), p, err, errlen);
}

static void expect_error(const char *text, const char *want)
{
	/* Garbage in `out`: an error must leave it empty, owning nothing. */
	struct pn_policy p = { .specs = (struct pn_watch_spec *)&p, .n_specs = 99 };
	char err[1024] = "untouched";

	assert_int_equal(parse(text, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	assert_null(p.specs);
	assert_int_equal(p.n_specs, 0);
}

static void parse_ok(const char *text, struct pn_policy *p)
{
	char err[1024] = "";
	int r = parse(text, p, err, sizeof(err));

	if (r)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(r, 0);
	assert_string_equal(err, "");
}

static void check_strv(char **v, size_t n, const char *const *want, size_t n_want)
{
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
}

#define STRV(v, n, ...)                                                                            \
	do {                                                                                       \
		static const char *const want_[] = { __VA_ARGS__ };                                \
		check_strv((v), (n), want_, ARRAY_SIZE(want_));                                    \
	} while (0)

/* ------------------------------------------------------------------ good files */

static void test_load_file(void **state)
{
	struct pn_policy p;
	struct pn_watch *w;
	struct pn_subject *s;
	char err[256] = "";

	(void)state;
	assert_int_equal(pn_policy_load(PN_TEST_DATA_DIR "/policy_good.yaml", &p, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_int_equal(p.n_specs, 2);

	w = p.specs[0].watch;
	assert_string_equal(w->name, "nginx-conf");
	assert_string_equal(w->pod, "web-1");
	assert_string_equal(w->log_format, "{event} {path}{sep}{file} {tags}");
	assert_int_equal(p.specs[0].targets.n_pids, 2);
	assert_int_equal(p.specs[0].targets.pids[0], 42);
	assert_int_equal(p.specs[0].targets.pids[1], 7);
	STRV(p.specs[0].targets.cgroups, p.specs[0].targets.n_cgroups, "/kubepods.slice/pod1");
	STRV(p.specs[0].targets.containers, p.specs[0].targets.n_containers,
	     "containerd://0123456789abcdef");
	assert_int_equal(w->n_subjects, 2);

	s = &w->subjects[0];
	/* normalized */
	STRV(s->paths, s->n_paths, "/etc/nginx", "/var/www/html");
	assert_int_equal(s->events, PN_MODIFY | PN_CREATE | PN_CLOSE_WRITE);
	STRV(s->ignore, s->n_ignore, ".git", "cache");
	assert_true(s->recursive);
	assert_int_equal(s->max_depth, 3);
	assert_true(s->follow_move);
	assert_false(s->only_dir);
	assert_int_equal(s->n_tags, 2);
	assert_string_equal(s->tags[0].key, "env");
	assert_string_equal(s->tags[0].value, "prod");
	assert_string_equal(s->tags[1].key, "team");
	assert_string_equal(s->tags[1].value, "web");
	assert_string_equal(s->tags_text, "env=prod,team=web");

	s = &w->subjects[1];
	STRV(s->paths, s->n_paths, "/etc/passwd");
	assert_int_equal(s->events, PN_ALL_EVENTS);
	assert_int_equal(s->n_ignore, 0);
	assert_null(s->ignore);
	assert_false(s->recursive);
	assert_false(s->follow_move);
	assert_false(s->only_dir);
	assert_int_equal(s->max_depth, 0);
	assert_int_equal(s->n_tags, 0);
	assert_string_equal(s->tags_text, "");

	w = p.specs[1].watch;
	assert_string_equal(w->name, "mywatcher");
	assert_string_equal(w->pod, "");
	assert_null(w->log_format);
	assert_int_equal(p.specs[1].targets.n_pids, 0);
	assert_int_equal(p.specs[1].targets.n_cgroups, 0);
	STRV(p.specs[1].targets.containers, p.specs[1].targets.n_containers, "docker://feedface");
	assert_int_equal(w->n_subjects, 1);
	s = &w->subjects[0];
	STRV(s->paths, s->n_paths, "/path/to/watch");
	assert_int_equal(s->events, PN_MODIFY);
	assert_string_equal(s->tags_text, "foo=bar,lorem=ipsum");

	pn_policy_clear(&p);
	assert_null(p.specs);
	assert_int_equal(p.n_specs, 0);
	pn_policy_clear(&p);
	pn_policy_clear(NULL);
	pn_targets_clear(NULL);
}

/* The example the docs point to stays valid. */
static void test_example_policy(void **state)
{
	struct pn_policy p;
	char err[256] = "";

	(void)state;
	assert_int_equal(pn_policy_load(PN_TEST_DATA_DIR "/../../../examples/policy.yaml", &p, err,
					sizeof(err)),
			 0);
	assert_int_equal(p.n_specs, 2);
	assert_string_equal(p.specs[0].watch->name, "web-config");
	assert_int_equal(p.specs[0].watch->n_subjects, 2);
	assert_int_equal(p.specs[0].watch->subjects[0].events,
			 PN_MODIFY | PN_CREATE | PN_DELETE | PN_MOVE);
	assert_string_equal(p.specs[0].watch->subjects[0].tags_text, "severity=high,team=web");
	assert_int_equal(p.specs[0].targets.n_containers, 1);
	assert_string_equal(p.specs[1].watch->name, "db-data");
	assert_true(p.specs[1].watch->subjects[0].follow_move);
	assert_int_equal(p.specs[1].targets.n_pids, 1);
	pn_policy_clear(&p);
}

static void test_multi_document(void **state)
{
	struct pn_policy p;
	static const char text[] = "watches:\n"
				   "  - name: a\n"
				   "    targets: {pids: [1]}\n"
				   "    subjects: [{paths: [/a]}]\n"
				   "  - name: b\n"
				   "    targets: {cgroups: [/sys/fs/cgroup/x]}\n"
				   "    subjects: [{paths: [/b], events: open}]\n"
				   "---\n"
				   "name: c\n"
				   "targets: {containers: [abc]}\n"
				   "subjects: [{paths: [/c]}]\n"
				   "---\n"
				   "# an empty document\n"
				   "---\n"
				   "apiVersion: arguscontroller.clustergarage.io/v1alpha1\n"
				   "kind: ArgusWatcher\n"
				   "metadata: {name: d}\n"
				   "spec:\n"
				   "  logFormat: \"{event}\"\n"
				   "  targets: {pids: [4]}\n"
				   "  subjects: [{paths: [/d]}]\n"
				   "status: {observed: 1}\n"
				   "---\n"
				   "watches: []\n";

	(void)state;
	parse_ok(text, &p);
	assert_int_equal(p.n_specs, 4);
	assert_string_equal(p.specs[0].watch->name, "a");
	assert_int_equal(p.specs[0].targets.pids[0], 1);
	assert_string_equal(p.specs[1].watch->name, "b");
	STRV(p.specs[1].targets.cgroups, p.specs[1].targets.n_cgroups, "/sys/fs/cgroup/x");
	assert_int_equal(p.specs[1].watch->subjects[0].events, PN_OPEN);
	assert_string_equal(p.specs[2].watch->name, "c");
	STRV(p.specs[2].targets.containers, p.specs[2].targets.n_containers, "abc");
	assert_string_equal(p.specs[3].watch->name, "d");
	assert_string_equal(p.specs[3].watch->log_format, "{event}");
	assert_int_equal(p.specs[3].targets.pids[0], 4);
	STRV(p.specs[3].watch->subjects[0].paths, p.specs[3].watch->subjects[0].n_paths, "/d");
	pn_policy_clear(&p);
}

static void test_empty_policy(void **state)
{
	struct pn_policy p;

	(void)state;
	parse_ok("", &p);
	assert_int_equal(p.n_specs, 0);
	assert_null(p.specs);
	parse_ok("# nothing here\n", &p);
	assert_int_equal(p.n_specs, 0);
	parse_ok("---\n...\n---\n", &p);
	assert_int_equal(p.n_specs, 0);
}

static const char *const subject_head = "name: w\n"
					"targets: {pids: [1]}\n"
					"subjects:\n"
					"  - paths: [/a]\n";

/* Parses one subject whose extra lines follow "paths"; returns it in *p. */
static struct pn_subject *subject_of(struct pn_policy *p, const char *lines)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s", subject_head, lines);
	parse_ok(text, p);
	assert_int_equal(p->n_specs, 1);
	return &p->specs[0].watch->subjects[0];
}

static void test_event_forms(void **state)
{
	struct pn_policy p;

	(void)state;
	assert_int_equal(subject_of(&p, "    events: modify, closewrite\n")->events,
			 PN_MODIFY | PN_CLOSE_WRITE);
	pn_policy_clear(&p);
	assert_int_equal(subject_of(&p, "    events: close\n")->events, PN_CLOSE);
	pn_policy_clear(&p);
	assert_int_equal(subject_of(&p, "    events: [MOVE, DeleteSelf]\n")->events,
			 PN_MOVED_FROM | PN_MOVED_TO | PN_DELETE_SELF);
	pn_policy_clear(&p);
	assert_int_equal(subject_of(&p, "    events: all\n")->events, PN_ALL_EVENTS);
	pn_policy_clear(&p);
	/* given but empty: the default, as if absent */
	assert_int_equal(subject_of(&p, "    events:\n")->events, PN_ALL_EVENTS);
	pn_policy_clear(&p);
	assert_int_equal(subject_of(&p, "")->events, PN_ALL_EVENTS);
	pn_policy_clear(&p);
}

static void test_scalar_forms(void **state)
{
	struct pn_policy p;
	struct pn_subject *s;

	(void)state;
	s = subject_of(&p, "    onlyDir: True\n"
			   "    recursive: YES\n"
			   "    followMove: \"true\"\n"
			   "    maxDepth: 0\n"
			   "    ignore:\n"
			   "    tags: {tier: 1, on: yes, empty: }\n");
	assert_true(s->only_dir);
	assert_true(s->recursive);
	assert_true(s->follow_move);
	assert_int_equal(s->max_depth, 0);
	assert_int_equal(s->n_ignore, 0);
	/* Tag values are text as written; null reads as "". */
	assert_string_equal(s->tags_text, "empty=,on=yes,tier=1");
	pn_policy_clear(&p);

	s = subject_of(&p, "    onlyDir: no\n"
			   "    recursive: False\n");
	assert_false(s->only_dir);
	assert_false(s->recursive);
	pn_policy_clear(&p);
	/* maxDepth only with recursive (test_err_max_depth_needs_recursive) */
	s = subject_of(&p, "    recursive: yes\n"
			   "    maxDepth: 12\n");
	assert_int_equal(s->max_depth, 12);
	pn_policy_clear(&p);
	/* 0 is the default, unlimited: it needs nothing */
	s = subject_of(&p, "    recursive: no\n"
			   "    maxDepth: 0\n");
	assert_false(s->recursive);
	assert_int_equal(s->max_depth, 0);
	pn_policy_clear(&p);

	/* pod null reads as "", an empty logFormat as the default */
	parse_ok("name: w\npod: ~\nlogFormat: \"\"\ntargets: {pids: [1]}\n"
		 "subjects: [{paths: [/]}]\n",
		 &p);
	assert_string_equal(p.specs[0].watch->pod, "");
	assert_null(p.specs[0].watch->log_format);
	STRV(p.specs[0].watch->subjects[0].paths, p.specs[0].watch->subjects[0].n_paths, "/");
	pn_policy_clear(&p);

	/* Quoted, null's spellings are plain text. */
	parse_ok("name: \"null\"\npod: \"~\"\ntargets: {pids: [1]}\nsubjects: [{paths: [/]}]\n",
		 &p);
	assert_string_equal(p.specs[0].watch->name, "null");
	assert_string_equal(p.specs[0].watch->pod, "~");
	pn_policy_clear(&p);
}

static void test_longest_path_ok(void **state)
{
	struct pn_policy p;
	char text[PN_PATH_MAX + 256], path[PN_PATH_MAX];

	(void)state;
	/* PN_PATH_MAX - 1 bytes: the longest path the kernel can report */
	path[0] = '/';
	memset(path + 1, 'a', PN_PATH_MAX - 2);
	path[PN_PATH_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "name: w\ntargets: {pids: [1]}\nsubjects: [{paths: [%s]}]\n",
		 path);
	parse_ok(text, &p);
	assert_int_equal(strlen(p.specs[0].watch->subjects[0].paths[0]), PN_PATH_MAX - 1);
	pn_policy_clear(&p);
}

/* ------------------------------------------------------------------ errors */

/* Lines 1-5 of most error cases; line 5 holds the subject's first key. */
#define HEAD "name: web\ntargets:\n  pids: [1]\nsubjects:\n"
/* A watch whose line 3 is "  pids: " PIDS */
#define HEAD_TARGETS_PIDS(pids) "name: w\ntargets:\n  pids: " pids "\nsubjects: [{paths: [/a]}]\n"

static void test_err_events(void **state)
{
	(void)state;
	expect_error(HEAD "  - paths: [/etc]\n"
			  "    recursive: true\n"
			  "    events: modify, modfy\n",
		     "policy.yaml:7:13: subjects[0].events: unknown event \"modfy\"; valid "
		     "names: " VALID_EVENTS);
	expect_error(HEAD "  - paths: [/etc]\n"
			  "    recursive: true\n"
			  "    events: [modify, modfy]\n",
		     "policy.yaml:7:22: subjects[0].events[1]: unknown event \"modfy\"; valid "
		     "names: " VALID_EVENTS);
	expect_error(HEAD "  - paths: [/etc]\n"
			  "    events: []\n",
		     "policy.yaml:6:13: subjects[0].events: must not be empty; valid "
		     "names: " VALID_EVENTS);
	expect_error(HEAD "  - paths: [/etc]\n"
			  "    events: modify,,open\n",
		     "policy.yaml:6:13: subjects[0].events: empty event name in \"modify,,open\"; "
		     "valid names: " VALID_EVENTS);
	expect_error(HEAD "  - paths: [/etc]\n"
			  "    events: \"\"\n",
		     "policy.yaml:6:13: subjects[0].events: empty event name in \"\"; valid "
		     "names: " VALID_EVENTS);
	expect_error(HEAD "  - paths: [/etc]\n"
			  "    events: {modify: true}\n",
		     "policy.yaml:6:13: subjects[0].events: expected a list of event names or a "
		     "comma-separated string, got a mapping");
}

static void test_err_paths(void **state)
{
	char text[PN_PATH_MAX + 256], path[PN_PATH_MAX + 1];

	(void)state;
	expect_error(HEAD "  - paths: [/etc, etc]\n",
		     "policy.yaml:5:19: subjects[0].paths[1]: path must be absolute: \"etc\"");
	expect_error(HEAD "  - paths: [\"\"]\n",
		     "policy.yaml:5:13: subjects[0].paths[0]: path must not be empty");
	expect_error(
		HEAD "  - paths: /etc\n",
		"policy.yaml:5:12: subjects[0].paths: expected a list of strings, got \"/etc\"");
	expect_error(HEAD "  - paths: []\n",
		     "policy.yaml:5:12: subjects[0].paths: at least one path is required");
	expect_error(HEAD "  - events: modify\n",
		     "policy.yaml:5:5: subjects[0]: missing required key \"paths\"");
	expect_error(HEAD "  - paths: [/a, [/b]]\n",
		     "policy.yaml:5:17: subjects[0].paths[1]: expected a string, got a list");

	/* one byte more than the kernel can ever report */
	path[0] = '/';
	memset(path + 1, 'a', PN_PATH_MAX - 1);
	path[PN_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), HEAD "  - paths: [/a, %s]\n", path);
	expect_error(text, "policy.yaml:5:17: subjects[0].paths[1]: path longer than 4095 bytes");
}

static void test_err_subject_fields(void **state)
{
	(void)state;
	expect_error(HEAD "  - paths: [/a]\n"
			  "    maxDepth: -1\n",
		     "policy.yaml:6:15: subjects[0].maxDepth: must be >= 0, got -1");
	expect_error(
		HEAD "  - paths: [/a]\n"
		     "    maxDepth: deep\n",
		"policy.yaml:6:15: subjects[0].maxDepth: expected an integer >= 0, got \"deep\"");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    maxDepth: 99999999999999999999\n",
		     "policy.yaml:6:15: subjects[0].maxDepth: expected an integer >= 0, got "
		     "\"99999999999999999999\"");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    recursve: true\n",
		     "policy.yaml:6:5: subjects[0]: unknown key \"recursve\"; valid "
		     "keys: " SUBJECT_KEYS);
	expect_error(
		HEAD "  - paths: [/a]\n"
		     "    recursive: maybe\n",
		"policy.yaml:6:16: subjects[0].recursive: expected a boolean (true/false/yes/no), "
		"got \"maybe\"");
	expect_error(
		HEAD "  - paths: [/a]\n"
		     "    followMove:\n",
		"policy.yaml:6:16: subjects[0].followMove: expected a boolean (true/false/yes/no), "
		"got nothing (null)");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    paths: [/b]\n",
		     "policy.yaml:6:5: subjects[0]: duplicate key \"paths\"");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    ignore: [a/b]\n",
		     "policy.yaml:6:14: subjects[0].ignore[0]: must be a file or directory name "
		     "without '/': \"a/b\"");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    ignore: [x, \"\"]\n",
		     "policy.yaml:6:17: subjects[0].ignore[1]: must not be empty");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    tags: {a: [1]}\n",
		     "policy.yaml:6:15: subjects[0].tags.a: expected a string, got a list");
	expect_error(
		HEAD "  - paths: [/a]\n"
		     "    tags: [a]\n",
		"policy.yaml:6:11: subjects[0].tags: expected a mapping of tag names to values, "
		"got a list");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    tags: {a: 1, a: 2}\n",
		     "policy.yaml:6:18: subjects[0].tags: duplicate key \"a\"");
	/* the second subject is named by its index */
	expect_error(
		HEAD "  - paths: [/a]\n"
		     "  - paths: [/b]\n"
		     "    onlyDir: 1\n",
		"policy.yaml:7:14: subjects[1].onlyDir: expected a boolean (true/false/yes/no), "
		"got \"1\"");
}

/* The rules of pn_subject_check, at the value that breaks them. */
static void test_err_subject_rules(void **state)
{
	(void)state;
	expect_error(HEAD "  - paths: [/a]\n"
			  "    maxDepth: 2\n",
		     "policy.yaml:6:15: subjects[0].maxDepth: only meaningful with recursive");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    recursive: false\n"
			  "    maxDepth: 1\n",
		     "policy.yaml:7:15: subjects[0].maxDepth: only meaningful with recursive");
	/* the ArgusWatcher form, second subject */
	expect_error(
		"kind: ArgusWatcher\nmetadata: {name: w}\n"
		"spec:\n  targets: {pids: [1]}\n  subjects:\n"
		"  - paths: [/a]\n    recursive: true\n    maxDepth: 2\n"
		"  - paths: [/b]\n    maxDepth: 2\n",
		"policy.yaml:10:15: spec.subjects[1].maxDepth: only meaningful with recursive");
	/* a tag key twice is YAML's duplicate key, refused before the subject rules */
	expect_error(HEAD "  - paths: [/a]\n"
			  "    tags:\n      team: web\n      team: db\n",
		     "policy.yaml:8:7: subjects[0].tags: duplicate key \"team\"");
	expect_error(HEAD "  - paths: [/a]\n"
			  "    tags: {\"\": x}\n",
		     "policy.yaml:6:12: subjects[0].tags: must not be empty");
	expect_error(HEAD "  - paths: [/a, \"\"]\n",
		     "policy.yaml:5:17: subjects[0].paths[1]: path must not be empty");
	expect_error(HEAD "  - paths: []\n",
		     "policy.yaml:5:12: subjects[0].paths: at least one path is required");
}

static void test_err_watch(void **state)
{
	(void)state;
	expect_error("nmae: web\n", "policy.yaml:1:1: unknown key \"nmae\"; valid keys: name pod "
				    "logFormat targets subjects");
	expect_error("targets:\n  pids: [1]\nsubjects:\n  - paths: [/a]\n",
		     "policy.yaml:1:1: missing required key \"name\"");
	expect_error("name: \"\"\n", "policy.yaml:1:7: name: must not be empty");
	expect_error("name: w\nsubjects:\n  - paths: [/a]\n",
		     "policy.yaml:1:1: missing required key \"targets\"");
	expect_error("name: w\ntargets: {pids: [1]}\n",
		     "policy.yaml:1:1: missing required key \"subjects\"");
	expect_error("name: w\ntargets: {pids: [1]}\nsubjects: []\n",
		     "policy.yaml:3:11: subjects: at least one subject is required");
	expect_error("name: w\ntargets: {pids: [1]}\nsubjects: {paths: [/a]}\n",
		     "policy.yaml:3:11: subjects: expected a list of subjects, got a mapping");
	expect_error("name: w\ntargets: {pids: [1]}\nsubjects: [/a]\n",
		     "policy.yaml:3:12: subjects[0]: expected a mapping, got \"/a\"");
	expect_error("name: [w]\n", "policy.yaml:1:7: name: expected a string, got a list");
	expect_error("name: \"a\\0b\"\n", "policy.yaml:1:7: name: must not contain a NUL byte");
	expect_error(
		"- name: w\n",
		"policy.yaml:1:1: expected a mapping (a watch, an ArgusWatcher or a \"watches\" "
		"list), got a list");
}

static void test_selector(void **state)
{
	struct pn_policy p = { 0 };
	const struct pn_selector *sel;

	(void)state;
	/* alone: the node's pods; beside a cgroup: that cgroup, narrowed */
	parse_ok(
		"name: a\ntargets: {namespaces: [prod, 'prod-*']}\nsubjects: [{paths: [/a]}]\n"
		"---\n"
		"name: b\ntargets: {cgroups: [/kubepods], containerNames: [app], images: [nginx]}\n"
		"subjects: [{paths: [/a]}]\n"
		"---\n"
		"name: c\ntargets: {pids: [1]}\nsubjects: [{paths: [/a]}]\n",
		&p);
	assert_int_equal(p.n_specs, 3);
	sel = p.specs[0].watch->selector;
	assert_non_null(sel);
	STRV(sel->namespaces, sel->n_namespaces, "prod", "prod-*");
	assert_int_equal(sel->n_container_names + sel->n_images, 0);
	assert_true(p.specs[0].targets.pods);
	sel = p.specs[1].watch->selector;
	STRV(sel->container_names, sel->n_container_names, "app");
	STRV(sel->images, sel->n_images, "nginx");
	assert_false(p.specs[1].targets.pods);
	STRV(p.specs[1].targets.cgroups, p.specs[1].targets.n_cgroups, "/kubepods");
	assert_null(p.specs[2].watch->selector);
	assert_false(p.specs[2].targets.pods);
	pn_policy_clear(&p);

	parse_ok("name: l\ntargets:\n  podSelector:\n    matchLabels: {app: web}\n"
		 "    matchExpressions:\n      - {key: tier, operator: NotIn, values: [a, b]}\n"
		 "      - {key: canary, operator: DoesNotExist}\nsubjects: [{paths: [/a]}]\n",
		 &p);
	sel = p.specs[0].watch->selector;
	assert_true(p.specs[0].targets.pods);
	assert_int_equal(sel->n_labels, 3);
	assert_string_equal(sel->labels[0].key, "app");
	assert_int_equal(sel->labels[0].op, PN_LABEL_IN);
	STRV(sel->labels[1].values, sel->labels[1].n_values, "a", "b");
	assert_int_equal(sel->labels[1].op, PN_LABEL_NOT_IN);
	assert_int_equal(sel->labels[2].op, PN_LABEL_NOT_EXISTS);
	assert_int_equal(sel->labels[2].n_values, 0);
	pn_policy_clear(&p);
}

static void test_err_targets(void **state)
{
	(void)state;
	expect_error("name: w\ntargets: {pids: [], cgroups: []}\nsubjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:10: targets: at least one of pids, cgroups, containers, "
		     "namespaces, containerNames, images or podSelector is required");
	/* an empty value is reported where it should have been */
	expect_error("name: w\ntargets:\nsubjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:9: targets: at least one of pids, cgroups, containers, "
		     "namespaces, containerNames, images or podSelector is required");
	expect_error("name: w\ntargets: {podSelector: {}}\nsubjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:24: targets.podSelector: an empty selector would select every "
		     "pod: give matchLabels or matchExpressions, or leave podSelector out");
	expect_error(
		"name: w\ntargets: {podSelector: {matchExpressions: [{key: a, operator: "
		"Is}]}}\nsubjects: [{paths: [/a]}]\n",
		"policy.yaml:2:63: targets.podSelector.matchExpressions[0].operator: \"Is\" is "
		"not one of In, NotIn, Exists, DoesNotExist");
	expect_error(
		"name: w\ntargets: {podSelector: {matchExpressions: [{key: a, operator: "
		"In}]}}\nsubjects: [{paths: [/a]}]\n",
		"policy.yaml:2:44: targets.podSelector.matchExpressions[0].values: In and NotIn "
		"need at least one value");
	/* a selector's list is never empty: an empty one would select nothing, silently */
	expect_error("name: w\ntargets: {namespaces: []}\nsubjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:23: targets.namespaces: must not be empty");
	expect_error(HEAD_TARGETS_PIDS("[1, 0]"),
		     "policy.yaml:3:13: targets.pids[1]: expected a positive integer, got 0");
	expect_error(HEAD_TARGETS_PIDS("[1, -5]"),
		     "policy.yaml:3:13: targets.pids[1]: expected a positive integer, got -5");
	expect_error(HEAD_TARGETS_PIDS("[1, abc]"),
		     "policy.yaml:3:13: targets.pids[1]: expected a positive integer, got \"abc\"");
	expect_error(HEAD_TARGETS_PIDS("7"),
		     "policy.yaml:3:9: targets.pids: expected a list of process ids, got \"7\"");
	expect_error("name: w\ntargets: {pid: [1]}\nsubjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:11: targets: unknown key \"pid\"; valid keys: pids cgroups "
		     "containers namespaces containerNames images podSelector");
	expect_error("name: w\ntargets: {containers: [\"\"]}\nsubjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:24: targets.containers[0]: must not be empty");
}

static void test_err_argus_watcher(void **state)
{
	(void)state;
	expect_error("apiVersion: v1\n"
		     "kind: ArgusWatcherX\n"
		     "metadata: {name: m}\n",
		     "policy.yaml:2:7: kind: expected \"ArgusWatcher\", got \"ArgusWatcherX\"");
	expect_error(
		"kind: ArgusWatcher\n"
		"metadata:\n"
		"  name: m\n"
		"spec:\n"
		"  targets: {pids: [1]}\n"
		"  subject:\n"
		"    - paths: [/a]\n",
		"policy.yaml:6:3: spec: unknown key \"subject\"; valid keys: selector subjects "
		"logFormat targets");
	expect_error("kind: ArgusWatcher\n"
		     "metadata:\n"
		     "  name: m\n"
		     "spec:\n"
		     "  targets: {pids: [1]}\n"
		     "  subjects:\n"
		     "  - paths:\n"
		     "    - path/to/watch\n",
		     "policy.yaml:8:7: spec.subjects[0].paths[0]: path must be absolute: "
		     "\"path/to/watch\"");
	expect_error("kind: ArgusWatcher\n"
		     "metadata: {namespace: default}\n"
		     "spec: {}\n",
		     "policy.yaml:2:11: metadata: missing required key \"name\"");
	expect_error("kind: ArgusWatcher\n"
		     "metadata: {name: m}\n"
		     "spec:\n"
		     "  subjects: [{paths: [/a]}]\n",
		     "policy.yaml:4:3: spec: missing required key \"targets\"");
	expect_error("kind: ArgusWatcher\n"
		     "metadata: {name: m}\n",
		     "policy.yaml:1:1: missing required key \"spec\"");
	expect_error("apiVersion: v1\n"
		     "metadata: {name: m}\n",
		     "policy.yaml:1:1: missing required key \"kind\"");
	/* Any one of the resource's keys selects that shape. */
	expect_error(
		"apiVersion: v1\nname: w\n",
		"policy.yaml:2:1: unknown key \"name\"; valid keys: apiVersion kind metadata spec "
		"status");
	expect_error(
		"name: w\nspec: {}\n",
		"policy.yaml:1:1: unknown key \"name\"; valid keys: apiVersion kind metadata spec "
		"status");
	expect_error(
		"kind: ArgusWatcher\n"
		"metadata: {name: m}\n"
		"spec: {}\n"
		"pod: x\n",
		"policy.yaml:4:1: unknown key \"pod\"; valid keys: apiVersion kind metadata spec "
		"status");
}

static void test_err_watches_list(void **state)
{
	(void)state;
	expect_error(
		"watches:\n"
		"  - name: a\n"
		"    targets: {pids: [1]}\n"
		"    subjects: [{paths: [/a]}]\n"
		"  - name: b\n"
		"    targets: {pids: [1]}\n"
		"    subjects: [{paths: [x]}]\n",
		"policy.yaml:7:25: watches[1].subjects[0].paths[0]: path must be absolute: \"x\"");
	expect_error("watches:\n"
		     "  - name: a\n"
		     "    subjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:5: watches[0]: missing required key \"targets\"");
	expect_error("watches: []\nname: x\n",
		     "policy.yaml:2:1: unknown key \"name\"; valid keys: watches guards");
	expect_error("watches: {name: x}\n",
		     "policy.yaml:1:10: watches: expected a list of watches, got a mapping");
	/* an ArgusWatcher inside the list */
	expect_error(
		"watches:\n"
		"  - kind: ArgusWatcher\n"
		"    metadata: {name: a}\n"
		"    spec: {targets: {pids: [1]}, subjects: [{paths: [/a], maxDepth: -3}]}\n",
		"policy.yaml:4:69: watches[0].spec.subjects[0].maxDepth: must be >= 0, got -3");
}

static void test_err_duplicate_watch(void **state)
{
	(void)state;
	/* The first document was parsed and allocated: it must be freed too (ASan). */
	expect_error("name: a\n"
		     "targets: {pids: [1]}\n"
		     "subjects: [{paths: [/a]}]\n"
		     "---\n"
		     "name: a\n"
		     "targets: {pids: [2]}\n"
		     "subjects: [{paths: [/b]}]\n",
		     "policy.yaml:5:7: name: duplicate watch name \"a\" (first defined at 1:7)");
	expect_error(
		"watches:\n"
		"  - name: a\n"
		"    targets: {pids: [1]}\n"
		"    subjects: [{paths: [/a]}]\n"
		"---\n"
		"kind: ArgusWatcher\n"
		"metadata: {name: a}\n"
		"spec: {targets: {pids: [1]}, subjects: [{paths: [/a]}]}\n",
		"policy.yaml:7:18: metadata.name: duplicate watch name \"a\" (first defined at "
		"2:11)");
}

/* Room for len bytes and a NUL, in powers of two: a big text is a few reallocs, not one a piece. */
static size_t text_cap(size_t len)
{
	size_t c = 64;

	while (c < len + 1)
		c <<= 1;
	return c;
}

/* Appends piece to the heap text buf of *len bytes. */
static char *grow(char *buf, size_t *len, const char *piece)
{
	size_t n = strlen(piece);
	char *b = buf;

	if (!buf || text_cap(*len) < *len + n + 1) {
		b = realloc(buf, text_cap(*len + n));
		assert_non_null(b);
	}
	memcpy(b + *len, piece, n + 1);
	*len += n;
	return b;
}

static void test_err_yaml_bounds(void **state)
{
	char *text = NULL, line[64];
	size_t len = 0;

	(void)state;
	/* billion laughs: refused at its first alias, before anything is expanded */
	expect_error("a: &a [x, x, x, x, x, x, x, x, x]\n"
		     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
		     "policy.yaml:2:8: aliases (*a) are not accepted in policy files: write the "
		     "value out");
	/* an anchor alone is harmless and changes nothing */
	{
		struct pn_policy p = { 0 };
		char err[256];

		assert_int_equal(parse("name: &n w\npod: p\ntargets: {pids: [1]}\n"
				       "subjects: [{paths: [/x]}]\n",
				       &p, err, sizeof(err)),
				 0);
		assert_int_equal(p.n_specs, 1);
		pn_policy_clear(&p);
	}

	/* nesting: refused at the level past the bound, wherever the file ends */
	for (int i = 0; i < 200000; i++)
		text = grow(text, &len, "[");
	expect_error(text, "policy.yaml:1:33: nested more than 32 levels deep");
	free(text);
	text = NULL;
	len = 0;

	/* one mapping of more keys than any schema has: refused at the first key too many */
	for (int i = 0; i < PN_YAML_MAX_KEYS + 5; i++) {
		snprintf(line, sizeof(line), "k%d: v\n", i);
		text = grow(text, &len, line);
	}
	expect_error(text, "policy.yaml:1025:1: more than 1024 keys in one mapping");
	free(text);
	text = NULL;
	len = 0;

	/* a flat list of nodes past the bound */
	text = grow(text, &len, "[");
	for (int i = 0; i < PN_YAML_MAX_NODES + 1; i++)
		text = grow(text, &len, "x,");
	text = grow(text, &len, "]");
	expect_error(text, "policy.yaml:1:524288: more than 262144 YAML nodes in one file");
	free(text);
}

/* Many watches, one name twice far apart: found by its hash, named with both places. */
static void test_err_duplicate_watch_among_many(void **state)
{
	char *text = NULL, piece[160];
	size_t len = 0;

	(void)state;
	text = grow(text, &len, "watches:\n");
	for (int i = 0; i < 3000; i++) {
		snprintf(piece, sizeof(piece),
			 "  - {name: w%d, targets: {pids: [1]}, subjects: [{paths: [/x]}]}\n", i);
		text = grow(text, &len, piece);
	}
	text = grow(text, &len,
		    "  - {name: w17, targets: {pids: [1]}, subjects: [{paths: [/x]}]}\n");
	expect_error(text, "policy.yaml:3002:12: watches[3000].name: duplicate watch name \"w17\" "
			   "(first defined at 19:12)");
	free(text);
}

static void test_err_text_in_file(void **state)
{
	(void)state;
	/* YAML's escapes can spell any byte: the rule for every client's text holds here too */
	expect_error("name: w\npod: \"web\\n2026-12-02 CREATE file /etc/shadow\"\n",
		     "policy.yaml:2:6: pod: control byte 0x0a at byte 3");
	expect_error("name: \"a\\eb\"\n", "policy.yaml:1:7: name: control byte 0x1b at byte 1");
	expect_error("name: w\ntargets: {cgroups: [\"/x\\x85\"]}\nsubjects: [{paths: [/x]}]\n",
		     "policy.yaml:2:21: targets.cgroups[0]: control character U+0085 at byte 2");
}

/*
 * A refusal is one line whatever it quotes: a block scalar or an escape puts
 * newlines and control bytes into values and keys (found by fuzz_policy).
 */
static void test_err_one_line(void **state)
{
	(void)state;
	expect_error("|\n  line one\n  line two\n",
		     "policy.yaml:1:1: expected a mapping (a watch, an ArgusWatcher or a "
		     "\"watches\" list), got \"line one?line two?\"");
	expect_error("name: w\n\"a\\nb\\e\": 1\n",
		     "policy.yaml:2:1: unknown key \"a?b?\"; valid keys: name pod logFormat "
		     "targets subjects");
	expect_error("name: w\ntargets: {pids: [\"1\\r\"]}\nsubjects: [{paths: [/a]}]\n",
		     "policy.yaml:2:18: targets.pids[0]: expected a positive integer, got \"1?\"");
}

static void test_err_yaml_syntax(void **state)
{
	(void)state;
	expect_error("name: w\ntargets:\n  pids: [1\nsubjects: []\n",
		     "policy.yaml:4:9: YAML syntax error: did not find expected ',' or ']' (while "
		     "parsing a flow sequence started at 3:9)");
	expect_error("name: w\n  bad: 1\n",
		     "policy.yaml:2:6: YAML syntax error: mapping values are not allowed in this "
		     "context");
	expect_error("name: \"w\n",
		     "policy.yaml:2:1: YAML syntax error: found unexpected end of stream (while "
		     "scanning a quoted scalar started at 1:7)");
	expect_error("name: w\npod: *nope\n",
		     "policy.yaml:2:6: aliases (*nope) are not accepted in policy files: write the "
		     "value out");
	/* Bad encoding: libyaml only knows the byte offset; the position is computed. */
	expect_error("name: w\npod: \xff\n",
		     "policy.yaml:2:6: YAML syntax error: invalid leading UTF-8 octet");
	/* A later document's syntax error frees the earlier documents' watches. */
	expect_error(
		"name: a\ntargets: {pids: [1]}\nsubjects: [{paths: [/a]}]\n---\n[\n",
		"policy.yaml:6:1: YAML syntax error: did not find expected node content (while "
		"parsing a flow node started at 6:1)");
}

static void test_err_no_buffer(void **state)
{
	struct pn_policy p;
	char err[24];

	(void)state;
	assert_int_equal(parse("nmae: x\n", &p, NULL, 0), -EINVAL);
	assert_int_equal(p.n_specs, 0);
	/* truncated, still terminated */
	assert_int_equal(parse("nmae: x\n", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "policy.yaml:1:1: unknow");
}

static void test_load_errors(void **state)
{
	struct pn_policy p = { .n_specs = 5 };
	char err[256];

	(void)state;
	assert_int_equal(pn_policy_load("/nonexistent/dir/policy.yaml", &p, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/dir/policy.yaml: No such file or directory");
	assert_int_equal(p.n_specs, 0);
	assert_null(p.specs);

	assert_int_equal(pn_policy_load(PN_TEST_DATA_DIR, &p, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, PN_TEST_DATA_DIR ": Is a directory");
}

static void test_guards_beside_watches(void **state)
{
	struct pn_policy p;
	const struct pn_guard_subject *s;

	(void)state;
	parse_ok("watches:\n"
		 "  - name: w\n"
		 "    targets: {pids: [1]}\n"
		 "    subjects: [{paths: [/etc]}]\n"
		 "guards:\n"
		 "  - name: secrets\n"
		 "    pod: web-1\n"
		 "    targets: {containers: [\"containerd://abc\"]}\n"
		 "    subjects:\n"
		 "      - deny: [/etc/shadow, \"/root//\"]\n"
		 "        allow: [/etc/nginx]\n"
		 "        events: [open]\n"
		 "        autoAllowOwner: true\n"
		 "        recursive: true\n"
		 "        tags: {team: web}\n"
		 "      - deny: [/var/run/secrets]\n",
		 &p);
	assert_int_equal(p.n_specs, 1);
	assert_int_equal(p.n_guards, 1);
	assert_string_equal(p.guards[0].guard->watch->name, "secrets");
	assert_string_equal(p.guards[0].guard->watch->key, "secrets");
	assert_string_equal(p.guards[0].guard->watch->pod, "web-1");
	assert_string_equal(p.guards[0].guard->watch->log_format, PN_GUARD_DEFAULT_FORMAT);
	assert_int_equal(p.guards[0].targets.n_containers, 1);
	assert_int_equal(p.guards[0].guard->n_subjects, 2);
	s = &p.guards[0].guard->subjects[0];
	check_strv(s->deny, s->n_deny, (const char *const[]){ "/etc/shadow", "/root" }, 2);
	check_strv(s->allow, s->n_allow, (const char *const[]){ "/etc/nginx" }, 1);
	assert_int_equal(s->ops, PN_GUARD_OPEN);
	assert_true(s->auto_allow_owner);
	assert_true(s->recursive);
	assert_false(p.guards[0].guard->subjects[1].recursive);
	assert_string_equal(s->tags.tags_text, "team=web");
	assert_int_equal(p.guards[0].guard->subjects[1].ops, PN_GUARD_ALL);
	pn_policy_clear(&p);
}

/* A guard's selector is its watch's: the containers it admits are asked for as they run. */
static void test_guard_with_a_selector(void **state)
{
	const struct pn_selector *sel;
	struct pn_policy p;

	(void)state;
	parse_ok("guards:\n"
		 "  - name: prod-secrets\n"
		 "    targets:\n"
		 "      namespaces: [prod]\n"
		 "      podSelector: {matchLabels: {app: web}}\n"
		 "    subjects: [{deny: [/etc/shadow]}]\n",
		 &p);
	assert_int_equal(p.n_guards, 1);
	sel = p.guards[0].guard->watch->selector;
	assert_non_null(sel);
	check_strv(sel->namespaces, sel->n_namespaces, (const char *const[]){ "prod" }, 1);
	assert_int_equal(sel->n_labels, 1);
	assert_string_equal(sel->labels[0].key, "app");
	/* not the node's pods as a whole, as a watch's lone selector is */
	assert_false(p.guards[0].targets.pods);
	assert_int_equal(p.guards[0].targets.n_pids + p.guards[0].targets.n_cgroups +
				 p.guards[0].targets.n_containers,
			 0);
	pn_policy_clear(&p);
}

static void test_err_guards(void **state)
{
	(void)state;
	expect_error("guards:\n"
		     "  - name: g\n"
		     "    targets: {pids: [1]}\n"
		     "    subjects: [{deny: [etc]}]\n",
		     "policy.yaml:4:24: guards[0].subjects[0].deny[0]: path must be absolute: "
		     "\"etc\"");
	expect_error("guards:\n"
		     "  - name: g\n"
		     "    targets: {pids: [1]}\n"
		     "    subjects: [{deny: [/etc], events: [write]}]\n",
		     "policy.yaml:4:40: guards[0].subjects[0].events[0]: unknown event \"write\" "
		     "(valid: open, access, all)");
	expect_error("guards:\n"
		     "  - name: g\n"
		     "    targets: {namespaces: [prod], podSelector: {}}\n"
		     "    subjects: [{deny: [/etc]}]\n",
		     "policy.yaml:3:48: guards[0].targets.podSelector: an empty selector would "
		     "select every pod: give matchLabels or matchExpressions, or leave "
		     "podSelector out");
	expect_error("guards:\n"
		     "  - name: g\n"
		     "    targets: {pids: [1]}\n"
		     "    subjects: [{onlyDir: true}]\n",
		     "policy.yaml:4:16: guards[0].subjects[0]: at least one allow or deny path is "
		     "required");
	expect_error("guards:\n"
		     "  - name: g\n"
		     "    targets: {pids: [1]}\n"
		     "    subjects: [{deny: [/a]}]\n"
		     "  - name: g\n"
		     "    targets: {pids: [1]}\n"
		     "    subjects: [{deny: [/b]}]\n",
		     "policy.yaml:5:11: guards[1].name: duplicate guard name \"g\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_example_policy),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_empty_policy),
		cmocka_unit_test(test_event_forms),
		cmocka_unit_test(test_scalar_forms),
		cmocka_unit_test(test_longest_path_ok),
		cmocka_unit_test(test_err_events),
		cmocka_unit_test(test_err_paths),
		cmocka_unit_test(test_err_subject_fields),
		cmocka_unit_test(test_err_subject_rules),
		cmocka_unit_test(test_err_watch),
		cmocka_unit_test(test_selector),
		cmocka_unit_test(test_err_targets),
		cmocka_unit_test(test_err_argus_watcher),
		cmocka_unit_test(test_err_watches_list),
		cmocka_unit_test(test_err_duplicate_watch),
		cmocka_unit_test(test_err_yaml_syntax),
		cmocka_unit_test(test_err_yaml_bounds),
		cmocka_unit_test(test_err_text_in_file),
		cmocka_unit_test(test_err_one_line),
		cmocka_unit_test(test_err_duplicate_watch_among_many),
		cmocka_unit_test(test_err_no_buffer),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_guards_beside_watches),
		cmocka_unit_test(test_guard_with_a_selector),
		cmocka_unit_test(test_err_guards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
