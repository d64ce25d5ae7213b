// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state file of the API watches (--state-dir): what one registry saves,
 * a fresh registry restores exactly (name, key, API, owner, origin, targets,
 * subjects), operator watches are left to their own sources, and a file
 * that is not ours, or a watch whose targets went away, costs only itself.
 * A fake cgroup tree and a recording kernel sink: no BPF, no root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_tree.h"
#include "recording_sink.h"
#include "registry.h"
#include "state.h"

static char cg[PATH_MAX], proc[PATH_MAX], dir[PATH_MAX];

struct fixture {
	struct pn_registry *reg;
	struct pn_agent_view view;
};

static int view_install(void *ctx, struct pn_watch_spec *spec, enum pn_reg_mode mode,
			struct pn_reg_error *err)
{
	return pn_registry_install(ctx, spec, mode, err);
}

static void view_foreach(void *ctx, void (*fn)(const struct pn_watch_view *v, void *arg), void *arg)
{
	pn_registry_foreach_view(ctx, fn, arg);
}

static void fixture_init(struct fixture *f)
{
	const struct pn_kernel_sink sink = recording_sink();

	memset(&rec, 0, sizeof(rec));
	f->reg = pn_registry_new(cg, proc, &sink);
	assert_non_null(f->reg);
	f->view = (struct pn_agent_view){
		.ctx = f->reg,
		.install = view_install,
		.foreach_watch = view_foreach,
	};
}

static int setup(void **state)
{
	(void)state;
	if (fake_tree_new("state"))
		return -1;
	pathf(cg, "%s/cg", fake_root);
	pathf(proc, "%s/proc", fake_root);
	pathf(dir, "%s/state", fake_root);
	mkdirs("cg/pods/a");
	mkdirs("cg/pods/b");
	mkdirs("proc");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fake_tree_remove();
}

static struct pn_watch_spec spec_of(const char *yaml)
{
	struct pn_watch_spec s;
	struct pn_policy p;
	char err[1024] = "";

	if (pn_policy_parse_string("test.yaml", yaml, strlen(yaml), &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p.n_specs, 1);
	s = p.specs[0];
	memset(&p.specs[0], 0, sizeof(p.specs[0]));
	pn_policy_clear(&p);
	return s;
}

static void install(struct fixture *f, const char *yaml, enum pn_watch_api api, const char *key,
		    const char *owner, const char *origin)
{
	struct pn_watch_spec s = spec_of(yaml);
	struct pn_reg_error err = { 0 };

	s.watch->api = api;
	free(s.watch->origin);
	s.watch->origin = strdup(origin);
	s.watch->key = key ? strdup(key) : NULL;
	s.watch->owner = owner ? strdup(owner) : NULL;
	if (pn_registry_install(f->reg, &s, PN_REG_UPSERT, &err))
		fail_msg("install: %s", err.msg);
}

/* One line per watch, everything the state file must keep, in key order. */
struct dump {
	char text[8192];
	size_t len;
};

static void dump_one(const struct pn_watch_view *v, void *arg)
{
	struct dump *d = arg;
	const struct pn_watch *w = v->watch;
	int n = snprintf(d->text + d->len, sizeof(d->text) - d->len,
			 "%s key=%s api=%d owner=%s origin=%s pod=%s fmt=%s cgroups=", w->name,
			 w->key ? w->key : "-", (int)w->api, w->owner ? w->owner : "-",
			 w->origin ? w->origin : "-", w->pod ? w->pod : "-",
			 w->log_format ? w->log_format : "-");

	d->len += (size_t)n;
	for (size_t i = 0; i < v->targets->n_cgroups; i++)
		d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s,",
					   v->targets->cgroups[i]);
	for (size_t i = 0; i < w->n_subjects; i++) {
		const struct pn_subject *s = &w->subjects[i];

		d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len,
					   " [%s events=%#x rec=%d depth=%d tags=%s]", s->paths[0],
					   s->events, s->recursive, s->max_depth,
					   s->tags_text ? s->tags_text : "");
	}
	d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len, "\n");
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted: the order of a registry's views is not part of what is kept. */
static void dump(struct fixture *f, struct dump *d)
{
	char copy[sizeof(d->text)], *lines[64], *save = NULL, *l;
	size_t n = 0;

	d->len = 0;
	d->text[0] = '\0';
	pn_registry_foreach_view(f->reg, dump_one, d);
	memcpy(copy, d->text, d->len + 1);
	for (l = strtok_r(copy, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(*lines), cmp_line);
	d->len = 0;
	for (size_t i = 0; i < n; i++)
		d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s\n",
					   lines[i]);
}

#define NATIVE                                                                                     \
	"name: web\ntargets:\n  cgroups: [/pods/a]\npod: pod-a\nlogFormat: '{event} {path}'\n"     \
	"subjects:\n  - paths: [/data]\n    events: [create, modify]\n    recursive: true\n"       \
	"    maxDepth: 3\n    tags: {team: web}\n"
/* argus names may hold what panoptes.v1 names may not (a '/', a space) */
#define ARGUS                                                                                      \
	"name: 'ns/watch one'\ntargets:\n  cgroups: [/pods/b]\n"                                   \
	"subjects:\n  - paths: [/etc]\n    events: [all]\n"
#define OPERATOR                                                                                   \
	"name: from-policy\ntargets:\n  cgroups: [/pods/a]\n"                                      \
	"subjects:\n  - paths: [/var]\n    events: [delete]\n"

static void test_round_trip(void **state)
{
	struct fixture a, b;
	struct pn_state *s;
	struct dump before, after;
	char err[512];

	(void)state;
	fixture_init(&a);
	install(&a, NATIVE, PN_WATCH_NATIVE, NULL, "CN=ctl", "api");
	install(&a, ARGUS, PN_WATCH_ARGUS, "node-1/7,9", NULL, "argus");
	install(&a, OPERATOR, PN_WATCH_OPERATOR, NULL, NULL, "policy.yaml");
	assert_int_equal(pn_state_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(pn_state_save(s, &a.view), 0);
	dump(&a, &before);
	pn_state_close(s);
	pn_registry_free(a.reg);

	/* the next agent: its policy watch comes from the file, the others from the state */
	fixture_init(&b);
	install(&b, OPERATOR, PN_WATCH_OPERATOR, NULL, NULL, "policy.yaml");
	assert_int_equal(pn_state_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(pn_state_restore(s, &b.view), 2);
	dump(&b, &after);
	assert_string_equal(after.text, before.text);
	assert_int_equal(pn_registry_watch_count(b.reg), 3);
	pn_state_close(s);
	pn_registry_free(b.reg);
}

static void test_one_agent_per_directory(void **state)
{
	struct pn_state *s, *t;
	char err[512];

	(void)state;
	assert_int_equal(pn_state_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(pn_state_open(&t, dir, err, sizeof(err)), -EBUSY);
	assert_null(t);
	assert_non_null(strstr(err, "--state-dir"));
	assert_non_null(strstr(err, "in use by another running panoptesd"));
	pn_state_close(s);
	pn_state_close(NULL);
	assert_int_equal(pn_state_save(NULL, NULL), 0);
}

static void test_gone_targets_and_foreign_files(void **state)
{
	struct fixture a, b;
	struct pn_state *s;
	struct dump d;
	char err[512], path[PATH_MAX];
	int fd;

	(void)state;
	fixture_init(&a);
	install(&a, NATIVE, PN_WATCH_NATIVE, NULL, NULL, "api");
	install(&a, ARGUS, PN_WATCH_ARGUS, "node-1/7,9", NULL, "argus");
	assert_int_equal(pn_state_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(pn_state_save(s, &a.view), 0);
	pn_state_close(s);
	pn_registry_free(a.reg);

	/* the container of one watch went away while no agent ran */
	pathf(path, "%s/pods/b", cg);
	assert_int_equal(rmdir(path), 0);
	fixture_init(&b);
	assert_int_equal(pn_state_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(pn_state_restore(s, &b.view), 1);
	dump(&b, &d);
	assert_non_null(strstr(d.text, "web key=-"));
	assert_null(strstr(d.text, "watch one"));
	pn_state_close(s);
	pn_registry_free(b.reg);
	mkdirs("cg/pods/b");

	/* and the file was written again without it */
	fixture_init(&b);
	assert_int_equal(pn_state_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(pn_state_restore(s, &b.view), 1);
	pn_state_close(s);
	pn_registry_free(b.reg);

	/* bytes that are not a state file: nothing restored, nothing crashes */
	pathf(path, "%s/watches.pb", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\xff\xff\xff\xff\x0f", 5), 5);
	close(fd);
	fixture_init(&b);
	assert_int_equal(pn_state_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(pn_state_restore(s, &b.view), 0);
	assert_int_equal(pn_registry_watch_count(b.reg), 0);
	pn_state_close(s);
	pn_registry_free(b.reg);
	/* set aside, not lost */
	assert_int_equal(access(path, F_OK), -1);
	pathf(path, "%s/watches.pb.bad", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(unlink(path), 0);
	pathf(path, "%s/watches.pb", dir);

	assert_int_equal(pn_state_remove(dir), 0);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_one_agent_per_directory),
		cmocka_unit_test(test_gone_targets_and_foreign_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
