// SPDX-License-Identifier: GPL-2.0-only
/*
 * The watch registry against a fake cgroup tree and a kernel sink that
 * records every call: what the kernel is told, in which order, and what an
 * install refuses (as data). No BPF is loaded and no root is needed; the
 * order of the calls is the registry's promise that a replaced watch never
 * leaves its cgroup unwatched for a moment.
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include "selector.h"

#define ID_A "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd"
#define ID_B "df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c"
#define ID_D "6b23c0d5f35d1b11f9b683f0b0a617355deb11277d91ae091d399c655b87940d"
/* in two places at once: nothing to choose by */
#define ID_H "44bd7ae60f478fae1061e11a7739f4b94d1daf917982d33b6fc8a01a63f89c21"

/* as in the cgroupfs tests: a pod under kubelet's systemd driver (level 3) */
#define POD                                                                                        \
	"kubepods.slice/kubepods-burstable.slice/"                                                 \
	"kubepods-burstable-pod6f1c9d7e_2b1a_4c3d_9e8f_0a1b2c3d4e5f.slice"
#define CTR_A  POD "/cri-containerd-" ID_A ".scope" /* level 4 */
#define CTR_B  POD "/cri-containerd-" ID_B ".scope" /* level 4 */
#define DOCKER "system.slice/docker-" ID_D ".scope" /* level 2 */

static char cg[PATH_MAX];   /* the fake cgroup2 root */
static char proc[PATH_MAX]; /* the fake /proc */

static struct pn_registry *reg;

/* ------------------------------------------------------------------ the tree */

static uint64_t id_of(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, "%s/%s", cg, rel);
	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_ino;
}

static int tree_setup(void **state)
{
	(void)state;
	if (fake_tree_new("registry"))
		return -1;
	pathf(cg, "%s/cg", fake_root);
	pathf(proc, "%s/proc", fake_root);
	mkdirs("cg/" CTR_A);
	mkdirs("cg/" CTR_B);
	mkdirs("cg/" DOCKER);
	mkdirs("cg/system.slice/docker-" ID_H ".scope");
	mkdirs("cg/" POD "/cri-containerd-" ID_H ".scope");
	/* the pod's processes all sit in its containers */
	write_file("cg/" POD "/cgroup.procs", "");
	write_file("cg/" CTR_A "/cgroup.procs", "200\n201\n");
	write_file("cg/" CTR_B "/cgroup.procs", "");

	mkdirs("proc/200/root/etc");
	write_file("proc/200/root/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	write_file("proc/200/cgroup", "0::/" CTR_A "\n");
	mkdirs("proc/300");
	write_file("proc/300/cgroup", "2:cpu,cpuacct:/\n1:name=systemd:/init.scope\n");
	mkdirs("proc/400");
	write_file("proc/400/cgroup", "0::/not-there\n");
	return 0;
}

static int tree_teardown(void **state)
{
	(void)state;
	return fake_tree_remove();
}

static int reg_setup(void **state)
{
	const struct pn_kernel_sink sink = recording_sink();

	(void)state;
	memset(&rec, 0, sizeof(rec));
	reg = pn_registry_new(cg, proc, &sink);
	return reg ? 0 : -1;
}

static int reg_teardown(void **state)
{
	(void)state;
	pn_registry_free(reg);
	reg = NULL;
	return 0;
}

/* ------------------------------------------------------------------ specs */

/* One watch, one subject (/data, not recursive); targets is YAML under "targets:". */
static struct pn_watch_spec spec_of(const char *name, const char *events, const char *targets)
{
	struct pn_watch_spec s;
	struct pn_policy p;
	char yaml[4096], err[1024] = "";
	int n, e;

	n = snprintf(yaml, sizeof(yaml),
		     "name: %s\ntargets:\n%s\nsubjects:\n  - paths: [/data]\n    events: [%s]\n",
		     name, targets, events);
	assert_true(n > 0 && (size_t)n < sizeof(yaml));
	e = pn_policy_parse_string("test.yaml", yaml, strlen(yaml), &p, err, sizeof(err));
	if (e)
		fail_msg("%s", err);
	assert_int_equal(p.n_specs, 1);
	s = p.specs[0];
	memset(&p.specs[0], 0, sizeof(p.specs[0]));
	pn_policy_clear(&p);
	return s;
}

static void spec_free(struct pn_watch_spec *s)
{
	pn_watch_free(s->watch);
	pn_targets_clear(&s->targets);
}

/* Installs and checks that the registry took the spec. */
static void install_ok(const char *name, const char *events, const char *targets,
		       enum pn_reg_mode mode)
{
	struct pn_watch_spec s = spec_of(name, events, targets);
	struct pn_reg_error err = { 0 };
	int e = pn_registry_install(reg, &s, mode, &err);

	if (e)
		fail_msg("install %s: %d: %s", name, e, err.msg);
	assert_null(s.watch);
	assert_int_equal(s.targets.n_pids + s.targets.n_cgroups + s.targets.n_containers, 0);
}

static void add(const char *name, const char *events, const char *targets)
{
	install_ok(name, events, targets, PN_REG_UPSERT);
}

/* Expects a refusal; the caller still owns the spec, which is freed here. */
static void install_fails(struct pn_watch_spec *s, enum pn_reg_mode mode, int want_e,
			  enum pn_reg_field field, size_t index, const char *msg)
{
	struct pn_reg_error err;
	int e;

	/* garbage: every field must be set by the refusal */
	memset(&err, 0x5a, sizeof(err));
	err.msg[sizeof(err.msg) - 1] = '\0';
	e = pn_registry_install(reg, s, mode, &err);

	if (e != want_e)
		fail_msg("install: got %d (%s), want %d", e, err.msg, want_e);
	assert_non_null(s->watch);
	assert_int_equal(err.field, field);
	assert_int_equal(err.index, index);
	assert_string_equal(err.msg, msg);
	spec_free(s);
}

#define CGROUPS(...) "  cgroups: [" __VA_ARGS__ "]"

/* ------------------------------------------------------------------ views and dispatch */

struct view_of {
	const char *name;
	size_t n_bindings;
	uint64_t ids[8];
	char containers[8][128];
	size_t n_paths;
	char paths[8][64];
	size_t found;
};

static void find_view(const struct pn_watch_view *v, void *arg)
{
	struct view_of *o = arg;

	if (strcmp(v->watch->name, o->name))
		return;
	o->found++;
	o->n_bindings = v->n_bindings;
	for (size_t i = 0; i < v->n_bindings && i < 8; i++) {
		o->ids[i] = v->bindings[i].cgroup_id;
		snprintf(o->containers[i], sizeof(o->containers[i]), "%s",
			 v->bindings[i].container);
	}
	o->n_paths = v->watch->subjects[0].n_paths;
	for (size_t i = 0; i < o->n_paths && i < 8; i++)
		snprintf(o->paths[i], sizeof(o->paths[i]), "%s", v->watch->subjects[0].paths[i]);
}

static struct view_of view(const char *name)
{
	struct view_of o = { .name = name };

	pn_registry_foreach_view(reg, find_view, &o);
	assert_int_equal(o.found, 1);
	return o;
}

struct matches {
	size_t n;
	char names[8][32];
	char containers[8][128];
};

static void on_match(const struct pn_event *ev, const struct pn_match *m, const char *container,
		     void *arg)
{
	struct matches *ms = arg;

	(void)ev;
	assert_true(ms->n < 8);
	snprintf(ms->names[ms->n], sizeof(ms->names[0]), "%s", m->watch->name);
	snprintf(ms->containers[ms->n], sizeof(ms->containers[0]), "%s", container);
	ms->n++;
}

/* An event the kernel attributed to the watched cgroup `id`: op on /data/f. */
static struct pn_event event_in(uint64_t id, uint32_t op)
{
	return (struct pn_event){
		.cgroup_id = id,
		.watch_cgroup_id = id,
		.ops = op,
		.path = "/data/f",
		.pid = 200,
		.tgid = 200,
		.comm = "sh",
	};
}

static struct matches dispatch(uint64_t id, uint32_t op)
{
	struct pn_event ev = event_in(id, op);
	struct matches ms = { 0 };
	size_t n = pn_registry_dispatch(reg, &ev, on_match, &ms);

	assert_int_equal(n, ms.n);
	return ms;
}

/* ------------------------------------------------------------------ tests */

static void test_install_replace_remove(void **state)
{
	uint64_t a = id_of(CTR_A), b = id_of(CTR_B), d = id_of(DOCKER);

	(void)state;
	add("w", "create", CGROUPS("\"/" CTR_A "\""));
	EXPECT(W(a, PN_CREATE), L1(4));

	/* new events on the same cgroup: updated in place, never unwatched */
	/* (the old and the new watch's operations together first: no gap for either) */
	add("w", "modify", CGROUPS("\"/" CTR_A "\""));
	EXPECT(W(a, PN_CREATE | PN_MODIFY), W(a, PN_MODIFY));

	/* a second cgroup: only it is pushed; the levels, unchanged, are not */
	add("w", "modify", CGROUPS("\"/" CTR_A "\", \"/" CTR_B "\""));
	EXPECT(W(b, PN_MODIFY));

	/* the first goes; the other is left as it is */
	add("w", "modify", CGROUPS("\"/" CTR_B "\""));
	EXPECT(U(a));

	/* moved: the new cgroup (and its level) is watched before the old one is let go */
	add("w", "modify", CGROUPS("\"/" DOCKER "\""));
	EXPECT(W(d, PN_MODIFY), L2(2, 4), L1(2), U(b));
	assert_int_equal(pn_registry_watch_count(reg), 1);
	assert_int_equal(pn_registry_cgroup_count(reg), 1);

	assert_int_equal(pn_registry_remove(reg, "w"), 0);
	EXPECT(L0, U(d));
	assert_int_equal(pn_registry_remove(reg, "w"), -ENOENT);
	EXPECT_NONE();
	assert_int_equal(pn_registry_watch_count(reg), 0);
	assert_int_equal(pn_registry_cgroup_count(reg), 0);
}

static void test_modes(void **state)
{
	uint64_t a = id_of(CTR_A);
	struct pn_watch_spec s;

	(void)state;
	install_ok("w", "create", CGROUPS("\"/" CTR_A "\""), PN_REG_CREATE_ONLY);
	EXPECT(W(a, PN_CREATE), L1(4));

	s = spec_of("w", "delete", CGROUPS("\"/" CTR_A "\""));
	install_fails(&s, PN_REG_CREATE_ONLY, -EEXIST, PN_REG_FIELD_NAME, 0,
		      "watch w: already exists");
	s = spec_of("v", "delete", CGROUPS("\"/" CTR_A "\""));
	install_fails(&s, PN_REG_REPLACE_ONLY, -ENOENT, PN_REG_FIELD_NAME, 0, "watch v: not found");
	EXPECT_NONE();
	assert_int_equal(pn_registry_watch_count(reg), 1);

	install_ok("w", "delete", CGROUPS("\"/" CTR_A "\""), PN_REG_REPLACE_ONLY);
	EXPECT(W(a, PN_CREATE | PN_DELETE), W(a, PN_DELETE));
}

static void test_ancestor_parent_first(void **state)
{
	uint64_t pod = id_of(POD), a = id_of(CTR_A), b = id_of(CTR_B);
	struct matches m;

	(void)state;
	add("pod", "create", CGROUPS("\"/" POD "\""));
	EXPECT(W(pod, PN_CREATE), L1(3));
	/* a child learns its watched ancestor: the kernel must report what both need */
	add("a", "modify", CGROUPS("\"/" CTR_A "\""));
	EXPECT(W(a, PN_CREATE | PN_MODIFY), L2(3, 4));
	add("b", "delete", CGROUPS("\"/" CTR_B "\""));
	EXPECT(W(b, PN_CREATE | PN_DELETE));

	/* in the child, each watch reports what it asked for */
	m = dispatch(a, PN_CREATE);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.names[0], "pod");
	m = dispatch(a, PN_MODIFY);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.names[0], "a");
	/* the child's watch does not cover the pod's own processes, nor its sibling */
	assert_int_equal(dispatch(pod, PN_MODIFY).n, 0);
	assert_int_equal(dispatch(b, PN_MODIFY).n, 0);

	/* the parent goes: its children drop its operations before it is unwatched */
	assert_int_equal(pn_registry_remove(reg, "pod"), 0);
	if (a < b)
		EXPECT(W(a, PN_MODIFY), W(b, PN_DELETE), L1(4), U(pod));
	else
		EXPECT(W(b, PN_DELETE), W(a, PN_MODIFY), L1(4), U(pod));
	assert_int_equal(dispatch(a, PN_CREATE).n, 0);
}

static void test_ancestor_child_first(void **state)
{
	uint64_t pod = id_of(POD), a = id_of(CTR_A);
	struct matches m;

	(void)state;
	add("a", "modify", CGROUPS("\"/" CTR_A "\""));
	EXPECT(W(a, PN_MODIFY), L1(4));
	/* a parent arriving later becomes its child's ancestor: both pushed, in id order */
	add("pod", "create", CGROUPS("\"/" POD "\""));
	if (pod < a)
		EXPECT(W(pod, PN_CREATE), W(a, PN_CREATE | PN_MODIFY), L2(3, 4));
	else
		EXPECT(W(a, PN_CREATE | PN_MODIFY), W(pod, PN_CREATE), L2(3, 4));

	m = dispatch(a, PN_CREATE);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.names[0], "pod");

	/* the child goes; the pod still sees it through the kernel's ancestor levels */
	assert_int_equal(pn_registry_remove(reg, "a"), 0);
	EXPECT(L1(3), U(a));
	assert_int_equal(dispatch(a, PN_CREATE).n, 0);
	m = dispatch(pod, PN_CREATE);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.names[0], "pod");
}

static void test_watch_limit(void **state)
{
	uint64_t a = id_of(CTR_A), b = id_of(CTR_B), d = id_of(DOCKER);
	struct pn_watch_spec s;

	(void)state;
	pn_registry_set_max_watches(reg, 2);
	add("a", "create", CGROUPS("\"/" CTR_A "\""));
	add("b", "create", CGROUPS("\"/" CTR_B "\""));
	EXPECT(W(a, PN_CREATE), L1(4), W(b, PN_CREATE));

	s = spec_of("c", "create", CGROUPS("\"/" DOCKER "\""));
	install_fails(&s, PN_REG_UPSERT, -ENOSPC, PN_REG_FIELD_NONE, 0,
		      "watch c: the agent already has 2 watches, its limit (--max-watches)");
	EXPECT_NONE();
	assert_int_equal(pn_registry_watch_count(reg), 2);

	/* replacing a watch adds none: allowed at the limit */
	add("a", "create", CGROUPS("\"/" DOCKER "\""));
	EXPECT(W(d, PN_CREATE), L2(2, 4), U(a));

	assert_int_equal(pn_registry_remove(reg, "b"), 0);
	EXPECT(L1(2), U(b));
	add("c", "modify", CGROUPS("\"/" CTR_A "\""));
	EXPECT(W(a, PN_MODIFY), L2(2, 4));

	pn_registry_set_max_watches(reg, 0);
	add("d", "delete", CGROUPS("\"/" CTR_B "\""));
	EXPECT(W(b, PN_DELETE));
	assert_int_equal(pn_registry_watch_count(reg), 3);
}

static void test_dedup(void **state)
{
	uint64_t a = id_of(CTR_A);
	struct view_of v;
	struct matches m;
	char targets[3 * PATH_MAX];

	(void)state;
	/* four spellings of one cgroup: a pid in it, its relative and absolute paths, its id */
	snprintf(targets, sizeof(targets),
		 "  pids: [200]\n  cgroups: [\"/" CTR_A "\", \"%s/" CTR_A "\"]\n"
		 "  containers: [\"containerd://" ID_A "\"]",
		 cg);
	add("same", "create", targets);
	EXPECT(W(a, PN_CREATE), L1(4));
	assert_int_equal(pn_registry_cgroup_count(reg), 1);
	v = view("same");
	assert_int_equal(v.n_bindings, 1);
	assert_int_equal(v.ids[0], a);
	m = dispatch(a, PN_CREATE);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.names[0], "same");

	/* another watch on the same cgroup shares its entry in the kernel */
	add("other", "modify", "  containers: [\"containerd://559aead08264\"]");
	EXPECT(W(a, PN_CREATE | PN_MODIFY));
	assert_int_equal(pn_registry_cgroup_count(reg), 1);
	v = view("other");
	assert_int_equal(v.n_bindings, 1);
	assert_int_equal(v.ids[0], a);
	assert_string_equal(v.containers[0], "containerd://559aead08264");
	m = dispatch(a, PN_MODIFY);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.names[0], "other");
	assert_string_equal(m.containers[0], "containerd://559aead08264");

	/* one of them goes: the cgroup stays watched for the other */
	assert_int_equal(pn_registry_remove(reg, "same"), 0);
	EXPECT(W(a, PN_MODIFY));
	assert_int_equal(pn_registry_cgroup_count(reg), 1);
}

static void test_prune(void **state)
{
	uint64_t one, two;
	char p[PATH_MAX];

	(void)state;
	mkdirs("cg/gone/one");
	mkdirs("cg/gone/two");
	one = id_of("gone/one");
	two = id_of("gone/two");
	add("g", "create", CGROUPS("\"/gone/one\", \"/gone/two\""));
	add("h", "modify", CGROUPS("\"/gone/one\""));
	EXPECT(W(one < two ? one : two, PN_CREATE), W(one < two ? two : one, PN_CREATE), L1(2),
	       W(one, PN_CREATE | PN_MODIFY));

	assert_int_equal(pn_registry_prune(reg), 0);
	EXPECT_NONE();

	/* "one" exited: its entry goes, and "h", left without a cgroup, with it */
	pathf(p, "%s/gone/one", cg);
	assert_int_equal(rmdir(p), 0);
	/* kept for one more prune: its records may still be in the ring buffer */
	assert_int_equal(pn_registry_prune(reg), 0);
	EXPECT_NONE();
	assert_int_equal(pn_registry_cgroup_count(reg), 2);
	assert_int_equal(pn_registry_prune(reg), 1);
	EXPECT(U(one));
	assert_int_equal(pn_registry_watch_count(reg), 1);
	assert_int_equal(pn_registry_cgroup_count(reg), 1);
	assert_int_equal(view("g").n_bindings, 1);
	assert_int_equal(view("g").ids[0], two);

	pathf(p, "%s/gone/two", cg);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(pn_registry_prune(reg), 0);
	assert_int_equal(pn_registry_prune(reg), 1);
	EXPECT(L0, U(two));
	assert_int_equal(pn_registry_watch_count(reg), 0);
	assert_int_equal(pn_registry_cgroup_count(reg), 0);
	pathf(p, "%s/gone", cg);
	assert_int_equal(rmdir(p), 0);
}

/* Replaces the spec's targets by these (NULL-terminated lists). */
static void set_targets(struct pn_watch_spec *s, const int *pids, size_t n_pids,
			const char *const *cgroups, const char *const *containers)
{
	struct pn_targets *t = &s->targets;

	pn_targets_clear(t);
	memset(t, 0, sizeof(*t));
	if (n_pids) {
		t->pids = calloc(n_pids, sizeof(*t->pids));
		assert_non_null(t->pids);
		memcpy(t->pids, pids, n_pids * sizeof(*pids));
		t->n_pids = n_pids;
	}
	for (; cgroups && cgroups[t->n_cgroups]; t->n_cgroups++)
		;
	for (; containers && containers[t->n_containers]; t->n_containers++)
		;
	t->cgroups = calloc(t->n_cgroups + 1, sizeof(char *));
	t->containers = calloc(t->n_containers + 1, sizeof(char *));
	assert_non_null(t->cgroups);
	assert_non_null(t->containers);
	for (size_t i = 0; i < t->n_cgroups; i++)
		assert_non_null(t->cgroups[i] = strdup(cgroups[i]));
	for (size_t i = 0; i < t->n_containers; i++)
		assert_non_null(t->containers[i] = strdup(containers[i]));
}

static void target_fails(const int *pids, size_t n_pids, const char *const *cgroups,
			 const char *const *containers, int want_e, enum pn_reg_field field,
			 size_t index, const char *msg)
{
	struct pn_watch_spec s = spec_of("w", "modify", CGROUPS("\"/" DOCKER "\""));

	set_targets(&s, pids, n_pids, cgroups, containers);
	install_fails(&s, PN_REG_UPSERT, want_e, field, index, msg);
	EXPECT_NONE();
}

static void test_target_errors(void **state)
{
	uint64_t a = id_of(CTR_A);
	char msg[3 * PATH_MAX];
	struct view_of v;

	(void)state;
	/* a refused replacement leaves the watch as it was */
	add("w", "create", CGROUPS("\"/" CTR_A "\""));
	EXPECT(W(a, PN_CREATE), L1(4));

	target_fails(NULL, 0, NULL, NULL, -EINVAL, PN_REG_FIELD_TARGETS, 0,
		     "targets: no pid, cgroup or container given");
	target_fails((const int[]){ 200, 999999 }, 2, NULL, NULL, -ESRCH, PN_REG_FIELD_PID, 1,
		     "pid 999999: no such process");
	target_fails((const int[]){ 300 }, 1, NULL, NULL, -ENOENT, PN_REG_FIELD_PID, 0,
		     "pid 300: no cgroup v2 membership found in /proc/PID/cgroup");
	/* the pid's cgroup is named as the pid's, though its message speaks of the cgroup */
	snprintf(msg, sizeof(msg), "cgroup %s/not-there: not found (looked for %s/not-there)", cg,
		 cg);
	target_fails((const int[]){ 200, 400 }, 2, NULL, NULL, -ENOENT, PN_REG_FIELD_PID, 1, msg);

	snprintf(msg, sizeof(msg), "cgroup /nope: not found (looked for %s/nope)", cg);
	target_fails((const int[]){ 200 }, 1, (const char *const[]){ "/" CTR_A, "/nope", NULL },
		     NULL, -ENOENT, PN_REG_FIELD_CGROUP, 1, msg);
	target_fails(NULL, 0, (const char *const[]){ "", NULL }, NULL, -EINVAL, PN_REG_FIELD_CGROUP,
		     0, "cgroup \"\": empty path");
	/* confined to the cgroup tree: no "..", whatever follows, and nothing looked up */
	snprintf(msg, sizeof(msg),
		 "cgroup ../../../../etc: \"..\" is not allowed: give a path inside the cgroup "
		 "tree (%s)",
		 cg);
	target_fails(NULL, 0, (const char *const[]){ "../../../../etc", NULL }, NULL, -EINVAL,
		     PN_REG_FIELD_CGROUP, 0, msg);
	snprintf(msg, sizeof(msg),
		 "cgroup %s/" CTR_A "/../..: \"..\" is not allowed: give a path inside the "
		 "cgroup tree (%s)",
		 cg, cg);
	{
		char up[2 * PATH_MAX];

		snprintf(up, sizeof(up), "%s/" CTR_A "/../..", cg);
		target_fails(NULL, 0, (const char *const[]){ up, NULL }, NULL, -EINVAL,
			     PN_REG_FIELD_CGROUP, 0, msg);
	}
	/* "." and "//" are only spelling: normalized, not refused */
	snprintf(msg, sizeof(msg), "cgroup .//nope/.: not found (looked for %s/nope)", cg);
	target_fails(NULL, 0, (const char *const[]){ ".//nope/.", NULL }, NULL, -ENOENT,
		     PN_REG_FIELD_CGROUP, 0, msg);

	target_fails(NULL, 0, NULL, (const char *const[]){ "podman://x", NULL }, -EINVAL,
		     PN_REG_FIELD_CONTAINER, 0,
		     "unknown container runtime \"podman\" in \"podman://x\"; valid: docker://, "
		     "containerd://, cri-o://, runc:// or a bare id");
	snprintf(msg, sizeof(msg), "container docker://0123456789abcdef: no cgroup found under %s",
		 cg);
	target_fails(
		NULL, 0, (const char *const[]){ "/" CTR_B, NULL },
		(const char *const[]){ "containerd://" ID_A, "docker://0123456789abcdef", NULL },
		-ENOENT, PN_REG_FIELD_CONTAINER, 1, msg);
	snprintf(msg, sizeof(msg),
		 "container docker://" ID_H ": the id matches more than one cgroup under %s", cg);
	target_fails(NULL, 0, NULL, (const char *const[]){ "docker://" ID_H, NULL }, -EINVAL,
		     PN_REG_FIELD_CONTAINER, 0, msg);

	v = view("w");
	assert_int_equal(v.n_bindings, 1);
	assert_int_equal(v.ids[0], a);
	assert_int_equal(pn_registry_watch_count(reg), 1);
	assert_int_equal(pn_registry_cgroup_count(reg), 1);
}

static void test_add_prints_the_message(void **state)
{
	struct pn_watch_spec s = spec_of("w", "modify", "  pids: [999999]");
	char err[256] = "";

	(void)state;
	assert_int_equal(pn_registry_add(reg, &s, err, sizeof(err)), -ESRCH);
	assert_string_equal(err, "pid 999999: no such process");
	spec_free(&s);
	EXPECT_NONE();
}

static void test_only_dir(void **state)
{
	struct pn_watch_spec s = spec_of("w", "create", CGROUPS("\"/" CTR_A "\""));
	struct pn_subject *sub = &s.watch->subjects[0];
	struct pn_reg_error err = { 0 };
	struct view_of v;

	(void)state;
	/* seen through /proc/200/root, 200 being the first process of the cgroup */
	for (size_t i = 0; i < sub->n_paths; i++)
		free(sub->paths[i]);
	free(sub->paths);
	sub->paths = calloc(3, sizeof(char *));
	assert_non_null(sub->paths);
	assert_non_null(sub->paths[0] = strdup("/etc"));
	assert_non_null(sub->paths[1] = strdup("/etc/passwd"));
	assert_non_null(sub->paths[2] = strdup("/not-yet"));
	sub->n_paths = 3;
	sub->only_dir = true;
	assert_int_equal(pn_registry_install(reg, &s, PN_REG_UPSERT, &err), 0);
	v = view("w");
	assert_int_equal(v.n_paths, 2);
	assert_string_equal(v.paths[0], "/etc");
	assert_string_equal(v.paths[1], "/not-yet");
}

static void test_pid_in(void **state)
{
	uint64_t pod = id_of(POD), a = id_of(CTR_A);

	(void)state;
	add("pod", "create", CGROUPS("\"/" POD "\""));
	/* a pod's processes sit in its containers' cgroups */
	assert_int_equal(pn_registry_pid_in(reg, pod, 0), 200);
	assert_int_equal(pn_registry_pid_in(reg, pod, 200), 201);
	/* only watched cgroups are looked in */
	assert_int_equal(pn_registry_pid_in(reg, a, 0), 0);
	add("a", "create", CGROUPS("\"/" CTR_A "\""));
	assert_int_equal(pn_registry_pid_in(reg, a, 0), 200);
	assert_int_equal(pn_registry_pid_in(reg, a, 200), 201);
	/* a cgroup with no process in it or below */
	add("b", "create", CGROUPS("\"/" CTR_B "\""));
	assert_int_equal(pn_registry_pid_in(reg, id_of(CTR_B), 0), 0);
}

/* The kernel's map refuses a cgroup (full): the install fails and everything is as before. */
static void test_kernel_refusal_rolls_back(void **state)
{
	uint64_t a = id_of(CTR_A), b = id_of(CTR_B), d = id_of(DOCKER);
	struct pn_watch_spec s;
	char msg[2 * PATH_MAX];
	struct view_of v;

	(void)state;
	add("w", "create", CGROUPS("\"/" CTR_A "\""));
	EXPECT(W(a, PN_CREATE), L1(4));
	rec.refuse_id = d;
	rec.refuse_e = -E2BIG;
	snprintf(msg, sizeof(msg),
		 "cgroup %s/" DOCKER ": the kernel's map of watched cgroups refused it (%s): it "
		 "is full",
		 cg, strerror(E2BIG));

	/* a new watch: what reached the kernel is taken back, levels included */
	s = spec_of("n", "modify", CGROUPS("\"/" CTR_B "\", \"/" DOCKER "\""));
	install_fails(&s, PN_REG_CREATE_ONLY, -ENOSPC, PN_REG_FIELD_NONE, 0, msg);
	/* both in id order: the registry keeps its cgroups sorted by id */
	if (b < d)
		EXPECT(W(b, PN_MODIFY), W(d, PN_MODIFY), L2(2, 4), L1(4), U(b), U(d));
	else
		EXPECT(W(d, PN_MODIFY), W(b, PN_MODIFY), L2(2, 4), L1(4), U(d), U(b));
	assert_int_equal(pn_registry_watch_count(reg), 1);
	assert_int_equal(pn_registry_cgroup_count(reg), 1);
	assert_int_equal(dispatch(b, PN_MODIFY).n, 0);

	/* a replacement: the old watch stays, with its operations, cgroups and events */
	s = spec_of("w", "modify", CGROUPS("\"/" CTR_A "\", \"/" DOCKER "\""));
	install_fails(&s, PN_REG_UPSERT, -ENOSPC, PN_REG_FIELD_NONE, 0, msg);
	/* pushed in id order: the registry keeps its cgroups sorted by id */
	if (a < d)
		EXPECT(W(a, PN_CREATE | PN_MODIFY), W(d, PN_MODIFY), L2(2, 4), W(a, PN_CREATE),
		       L1(4), U(d));
	else
		EXPECT(W(d, PN_MODIFY), W(a, PN_CREATE | PN_MODIFY), L2(2, 4), W(a, PN_CREATE),
		       L1(4), U(d));
	v = view("w");
	assert_int_equal(v.n_bindings, 1);
	assert_int_equal(v.ids[0], a);
	assert_int_equal(dispatch(a, PN_CREATE).n, 1);
	assert_int_equal(dispatch(a, PN_MODIFY).n, 0);

	/* once there is room, the same install works */
	rec.refuse_e = 0;
	s = spec_of("n", "modify", CGROUPS("\"/" CTR_B "\", \"/" DOCKER "\""));
	assert_int_equal(pn_registry_install(reg, &s, PN_REG_CREATE_ONLY, NULL), 0);
	assert_int_equal(pn_registry_watch_count(reg), 2);
	assert_int_equal(dispatch(d, PN_MODIFY).n, 1);
	rec.n = 0;
}

/*
 * The match callback runs with no registry lock held: it may change the
 * registry, even remove the very watch being reported, which lives on until
 * the event is done with it (the ASan build checks the memory).
 */
struct reentry {
	size_t calls;
	char name[32];
	uint64_t counts_seen;
};

static void count_of(const char *name, const uint64_t *counts, void *arg)
{
	struct reentry *r = arg;

	if (!strcmp(name, "w"))
		r->counts_seen = counts[__builtin_ctz(PN_CREATE)];
}

static void on_match_reenter(const struct pn_event *ev, const struct pn_match *m,
			     const char *container, void *arg)
{
	struct reentry *r = arg;

	(void)ev;
	(void)container;
	r->calls++;
	assert_int_equal(pn_registry_remove(reg, m->watch->name), 0);
	/* the watch is gone from the registry but not from under this match */
	assert_int_equal(pn_registry_watch_count(reg), 0);
	snprintf(r->name, sizeof(r->name), "%s", m->watch->name);
}

static void test_dispatch_without_the_lock(void **state)
{
	uint64_t a = id_of(CTR_A);
	struct pn_event ev = event_in(a, PN_CREATE);
	struct reentry r = { 0 };

	(void)state;
	add("w", "create", CGROUPS("\"/" CTR_A "\""));
	assert_int_equal(dispatch(a, PN_CREATE).n, 1);
	pn_registry_foreach_watch(reg, count_of, &r);
	assert_int_equal(r.counts_seen, 1);

	assert_int_equal(pn_registry_dispatch(reg, &ev, on_match_reenter, &r), 1);
	assert_int_equal(r.calls, 1);
	assert_string_equal(r.name, "w");
	/* the next event finds the snapshot without it */
	assert_int_equal(dispatch(a, PN_CREATE).n, 0);
	EXPECT(W(a, PN_CREATE), L1(4), L0, U(a));
}

/* ------------------------------------------------------------------ a set at once (reload) */

/* The set is the operator's watches, as panoptesd's reload has it; "api" ones are not. */
static bool operator_owned(const struct pn_watch *w, void *arg)
{
	(void)arg;
	return w->api == PN_WATCH_OPERATOR;
}

static struct pn_reg_set_result set_ok(struct pn_watch_spec *specs, size_t n)
{
	struct pn_reg_set_result out;
	struct pn_reg_error err = { 0 };
	int e = pn_registry_replace_set(reg, operator_owned, NULL, specs, n, &out, &err);

	if (e)
		fail_msg("replace_set: %d: %s", e, err.msg);
	for (size_t i = 0; i < n; i++)
		assert_null(specs[i].watch);
	return out;
}

/* Expects a refusal that changed nothing; the specs are still the caller's, freed here. */
static void set_fails(struct pn_watch_spec *specs, size_t n, int want_e, size_t failed,
		      const char *msg)
{
	struct pn_reg_set_result out;
	struct pn_reg_error err;
	int e;

	memset(&out, 0x5a, sizeof(out));
	memset(&err, 0x5a, sizeof(err));
	err.msg[sizeof(err.msg) - 1] = '\0';
	e = pn_registry_replace_set(reg, operator_owned, NULL, specs, n, &out, &err);
	if (e != want_e)
		fail_msg("replace_set: got %d (%s), want %d", e, err.msg, want_e);
	assert_int_equal(out.failed, failed);
	assert_int_equal(out.added + out.replaced + out.removed + out.unchanged, 0);
	assert_string_equal(err.msg, msg);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(specs[i].watch);
		spec_free(&specs[i]);
	}
}

struct creates {
	const char *name;
	uint64_t n;
};

static void creates_fn(const char *name, const uint64_t *counts, void *arg)
{
	struct creates *c = arg;

	if (!strcmp(name, c->name))
		c->n = counts[__builtin_ctz(PN_CREATE)];
}

/* The watch's create events reported so far. */
static uint64_t creates_of(const char *name)
{
	struct creates c = { name, UINT64_MAX };

	pn_registry_foreach_watch(reg, creates_fn, &c);
	return c.n;
}

/* The consumer's part, played here: namespace "prod" is admitted, nothing else. */
static bool admit_prod(void *arg, const struct pn_event *ev, const struct pn_watch *w)
{
	(void)ev;
	(*(int *)arg)++;
	return pn_selector_match(w->selector, "prod", "app", "nginx:1", NULL);
}

static bool admit_staging(void *arg, const struct pn_event *ev, const struct pn_watch *w)
{
	(void)ev;
	(*(int *)arg)++;
	return pn_selector_match(w->selector, "staging", "app", "nginx:1", NULL);
}

static void test_selector_decides_per_match(void **state)
{
	uint64_t a = id_of(CTR_A);
	struct matches ms;
	int asked = 0;

	(void)state;
	add("sel", "create", CGROUPS("\"/" CTR_A "\"") "\n  namespaces: [prod]");
	add("plain", "create", CGROUPS("\"/" CTR_A "\""));
	/* no hook: who the cgroup belongs to cannot be told, so the selector takes nothing */
	ms = dispatch(a, PN_CREATE);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.names[0], "plain");
	assert_int_equal(creates_of("sel"), 0);

	pn_registry_set_admit(reg, admit_prod, &asked);
	ms = dispatch(a, PN_CREATE);
	assert_int_equal(ms.n, 2);
	assert_int_equal(creates_of("sel"), 1);
	/* asked for the selector's watch only, and only for a match: a modify is not wanted */
	assert_int_equal(asked, 1);
	assert_int_equal(dispatch(a, PN_MODIFY).n, 0);
	assert_int_equal(asked, 1);

	/* refused: neither reported nor counted as reported */
	pn_registry_set_admit(reg, admit_staging, &asked);
	ms = dispatch(a, PN_CREATE);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.names[0], "plain");
	assert_int_equal(creates_of("sel"), 1);
	assert_int_equal(creates_of("plain"), 3);
	pn_registry_set_admit(reg, NULL, NULL);
}

/* The consumer's cgroup-level part: CTR_A is named and refused, CTR_B not named yet. */
static enum pn_reg_verdict decide_a(void *arg, uint64_t id, const struct pn_watch *w)
{
	(void)w;
	(*(int *)arg)++;
	return id == id_of(CTR_A) ? PN_REG_REFUSED : PN_REG_UNDECIDED;
}

static struct matches dispatch_below(uint64_t id, uint64_t watched, uint32_t op)
{
	struct pn_event ev = event_in(id, op);
	struct matches ms = { 0 };
	size_t n;

	ev.watch_cgroup_id = watched;
	n = pn_registry_dispatch(reg, &ev, on_match, &ms);
	assert_int_equal(n, ms.n);
	return ms;
}

static void test_selector_refusal_excludes_in_the_kernel(void **state)
{
	uint64_t pod = id_of(POD), a = id_of(CTR_A), b = id_of(CTR_B), made;
	size_t now;
	int asked = 0;

	(void)state;
	add("sel", "create", CGROUPS("\"/" POD "\"") "\n  namespaces: [prod]");
	EXPECT(W(pod, PN_CREATE), L1(3));
	pn_registry_set_decide(reg, decide_a, &asked);

	/* refused by the only watch: an entry of its own with no ops, its level not pushed */
	assert_int_equal(dispatch_below(a, pod, PN_CREATE).n, 0);
	EXPECT(W(a, 0));
	pn_registry_exclusions(reg, &now, &made);
	assert_int_equal(now, 1);
	assert_int_equal(made, 1);
	/* a record still in flight: excluded once */
	assert_int_equal(dispatch_below(a, pod, PN_MODIFY).n, 0);
	EXPECT_NONE();
	/* not named yet: undecided, nothing pushed; the watched cgroup itself is never excluded */
	assert_int_equal(dispatch_below(b, pod, PN_CREATE).n, 0);
	asked = 0;
	assert_int_equal(dispatch_below(pod, pod, PN_CREATE).n, 0);
	assert_int_equal(asked, 0);
	EXPECT_NONE();

	/* a watch without a selector wants it: the exclusion goes after the new entry is in */
	add("plain", "modify", CGROUPS("\"/" POD "\""));
	EXPECT(W(pod, PN_CREATE | PN_MODIFY), U(a));
	assert_int_equal(dispatch_below(a, pod, PN_MODIFY).n, 1);
	assert_int_equal(dispatch_below(a, pod, PN_CREATE).n, 0);
	assert_int_equal(asked, 0);
	EXPECT_NONE();

	/* gone again: decided again, and forgotten with its cgroup */
	assert_int_equal(pn_registry_remove(reg, "plain"), 0);
	EXPECT(W(pod, PN_CREATE));
	assert_int_equal(dispatch_below(a, pod, PN_CREATE).n, 0);
	EXPECT(W(a, 0));
	pn_registry_forget(reg, a);
	EXPECT(U(a));
	pn_registry_forget(reg, a);
	pn_registry_forget(NULL, a);
	EXPECT_NONE();
	pn_registry_exclusions(reg, &now, &made);
	assert_int_equal(now, 0);
	assert_int_equal(made, 2);

	/* a map the exclusions filled: they give up their room before a watch is refused */
	assert_int_equal(dispatch_below(a, pod, PN_CREATE).n, 0);
	EXPECT(W(a, 0));
	rec.capacity = rec.n_live;
	add("plain", "create", CGROUPS("\"/" CTR_B "\""));
	EXPECT(W(b, PN_CREATE), L2(3, 4), U(a), W(b, PN_CREATE));
	pn_registry_exclusions(reg, &now, &made);
	assert_int_equal(now, 0);
	rec.capacity = 0;
	pn_registry_set_decide(reg, NULL, NULL);
}

#define RESULT(expr, a, r, d, u)                                                                   \
	do {                                                                                       \
		struct pn_reg_set_result o_ = (expr);                                              \
                                                                                                   \
		assert_int_equal(o_.added, a);                                                     \
		assert_int_equal(o_.replaced, r);                                                  \
		assert_int_equal(o_.removed, d);                                                   \
		assert_int_equal(o_.unchanged, u);                                                 \
	} while (0)

static void test_set_add_replace_remove(void **state)
{
	uint64_t a = id_of(CTR_A), b = id_of(CTR_B), d = id_of(DOCKER);
	struct pn_watch_spec api = spec_of("api", "delete", CGROUPS("\"/" CTR_B "\""));
	struct pn_watch_spec set[3];
	struct pn_reg_set_result o;

	(void)state;
	api.watch->api = PN_WATCH_NATIVE;
	assert_int_equal(pn_registry_install(reg, &api, PN_REG_CREATE_ONLY, NULL), 0);
	EXPECT(W(b, PN_DELETE), L1(4));

	set[0] = spec_of("p1", "create", CGROUPS("\"/" CTR_A "\""));
	set[1] = spec_of("p2", "modify", CGROUPS("\"/" DOCKER "\""));
	o = set_ok(set, 2);
	RESULT(o, 2, 0, 0, 0);
	/* one sync for the set, in id order (the registry keeps its cgroups sorted by id) */
	if (a < d)
		EXPECT(W(a, PN_CREATE), W(d, PN_MODIFY), L2(2, 4));
	else
		EXPECT(W(d, PN_MODIFY), W(a, PN_CREATE), L2(2, 4));
	assert_int_equal(dispatch(a, PN_CREATE).n, 1);
	assert_int_equal(creates_of("p1"), 1);

	/*
	 * p1 as it was: kept, counter and all, nothing pushed. p2 on the same
	 * cgroup with other events: both operations first, then the new alone.
	 * p3 shares the API watch's cgroup.
	 */
	set[0] = spec_of("p1", "create", CGROUPS("\"/" CTR_A "\""));
	set[1] = spec_of("p2", "create", CGROUPS("\"/" DOCKER "\""));
	set[2] = spec_of("p3", "create", CGROUPS("\"/" CTR_B "\""));
	o = set_ok(set, 3);
	RESULT(o, 1, 1, 0, 1);
	if (b < d)
		EXPECT(W(b, PN_DELETE | PN_CREATE), W(d, PN_CREATE | PN_MODIFY), W(d, PN_CREATE));
	else
		EXPECT(W(d, PN_CREATE | PN_MODIFY), W(b, PN_DELETE | PN_CREATE), W(d, PN_CREATE));
	assert_int_equal(creates_of("p1"), 1);
	assert_int_equal(dispatch(d, PN_CREATE).n, 1);
	assert_int_equal(dispatch(d, PN_MODIFY).n, 0);
	assert_int_equal(pn_registry_watch_count(reg), 4);

	/* p2 and p3 leave the file: gone; the API watch keeps its cgroup */
	set[0] = spec_of("p1", "create", CGROUPS("\"/" CTR_A "\""));
	o = set_ok(set, 1);
	RESULT(o, 0, 0, 2, 1);
	EXPECT(W(b, PN_DELETE), L1(4), U(d));
	assert_int_equal(pn_registry_watch_count(reg), 2);
	assert_int_equal(dispatch(b, PN_DELETE).n, 1);
	assert_int_equal(dispatch(b, PN_CREATE).n, 0);
	assert_int_equal(view("api").n_bindings, 1);

	/* moved to another cgroup: a replacement, new cgroup first */
	set[0] = spec_of("p1", "create", CGROUPS("\"/" DOCKER "\""));
	o = set_ok(set, 1);
	RESULT(o, 0, 1, 0, 0);
	EXPECT(W(d, PN_CREATE), L2(2, 4), U(a));
	assert_int_equal(creates_of("p1"), 0);

	/* an empty set: the operator's watches go, the API's stays */
	o = set_ok(set, 0);
	RESULT(o, 0, 0, 1, 0);
	EXPECT(L1(4), U(d));
	assert_int_equal(pn_registry_watch_count(reg), 1);
	assert_int_equal(view("api").n_bindings, 1);
}

/* A selector is part of what a watch says: changing only it is a replacement. */
static void test_set_selector_change_replaces(void **state)
{
	const char *prod = CGROUPS("\"/" CTR_A "\"") "\n  namespaces: [prod]";
	struct pn_watch_spec set[1];
	uint64_t a = id_of(CTR_A);
	struct pn_reg_set_result o;
	int asked = 0;

	(void)state;
	pn_registry_set_admit(reg, admit_prod, &asked);
	set[0] = spec_of("sel", "create", prod);
	RESULT(set_ok(set, 1), 1, 0, 0, 0);
	set[0] = spec_of("sel", "create", prod);
	RESULT(set_ok(set, 1), 0, 0, 0, 1);
	assert_int_equal(dispatch(a, PN_CREATE).n, 1);

	set[0] = spec_of("sel", "create", CGROUPS("\"/" CTR_A "\"") "\n  namespaces: [staging]");
	o = set_ok(set, 1);
	RESULT(o, 0, 1, 0, 0);
	/* the new selector decides: prod's event no longer passes */
	assert_int_equal(dispatch(a, PN_CREATE).n, 0);
	set[0] = spec_of("sel", "create",
			 CGROUPS("\"/" CTR_A "\"") "\n  podSelector: {matchLabels: {app: web}}");
	RESULT(set_ok(set, 1), 0, 1, 0, 0);
	set[0] = spec_of("sel", "create",
			 CGROUPS("\"/" CTR_A "\"") "\n  podSelector: {matchLabels: {app: db}}");
	RESULT(set_ok(set, 1), 0, 1, 0, 0);
	pn_registry_set_admit(reg, NULL, NULL);
}

static void test_set_refusals_change_nothing(void **state)
{
	uint64_t a = id_of(CTR_A), b = id_of(CTR_B), d = id_of(DOCKER);
	struct pn_watch_spec api = spec_of("api", "delete", CGROUPS("\"/" CTR_B "\""));
	struct pn_watch_spec set[3];
	char msg[2 * PATH_MAX];

	(void)state;
	api.watch->api = PN_WATCH_ARGUS;
	api.watch->origin = strdup("argus");
	assert_int_equal(pn_registry_install(reg, &api, PN_REG_CREATE_ONLY, NULL), 0);
	set[0] = spec_of("p1", "create", CGROUPS("\"/" CTR_A "\""));
	RESULT(set_ok(set, 1), 1, 0, 0, 0);
	EXPECT(W(b, PN_DELETE), L1(4), W(a, PN_CREATE));
	assert_int_equal(dispatch(a, PN_CREATE).n, 1);

	/* a target that does not resolve, third of three: nothing was touched */
	set[0] = spec_of("p1", "modify", CGROUPS("\"/" CTR_A "\""));
	set[1] = spec_of("p2", "modify", CGROUPS("\"/" DOCKER "\""));
	set[2] = spec_of("p3", "modify", CGROUPS("\"/not-there\""));
	snprintf(msg, sizeof(msg), "cgroup /not-there: not found (looked for %s/not-there)", cg);
	set_fails(set, 3, -ENOENT, 2, msg);

	/* a name the API holds */
	set[0] = spec_of("p1", "modify", CGROUPS("\"/" CTR_A "\""));
	set[1] = spec_of("api", "modify", CGROUPS("\"/" DOCKER "\""));
	set_fails(set, 2, -EEXIST, 1, "the name is taken by a watch installed by argus");

	/* a name given twice */
	set[0] = spec_of("p2", "modify", CGROUPS("\"/" CTR_A "\""));
	set[1] = spec_of("p2", "modify", CGROUPS("\"/" DOCKER "\""));
	set_fails(set, 2, -EEXIST, 1, "the name is given twice");

	/* the limit counts every watch the set leaves */
	pn_registry_set_max_watches(reg, 2);
	set[0] = spec_of("p1", "create", CGROUPS("\"/" CTR_A "\""));
	set[1] = spec_of("p2", "modify", CGROUPS("\"/" DOCKER "\""));
	set_fails(set, 2, -ENOSPC, SIZE_MAX,
		  "these watches and the others make 3, past the agent's limit of 2 "
		  "(--max-watches)");
	/* at the limit, one watch for another: the same cgroup and operations, nothing pushed */
	set[0] = spec_of("p2", "create", CGROUPS("\"/" CTR_A "\""));
	RESULT(set_ok(set, 1), 1, 0, 1, 0);
	set[0] = spec_of("p1", "create", CGROUPS("\"/" CTR_A "\""));
	RESULT(set_ok(set, 1), 1, 0, 1, 0);
	pn_registry_set_max_watches(reg, 0);
	EXPECT_NONE();
	assert_int_equal(creates_of("p1"), 0);
	assert_int_equal(dispatch(a, PN_CREATE).n, 1);
	assert_int_equal(creates_of("p1"), 1);

	/*
	 * The kernel's map refuses the second watch's cgroup: the first one's
	 * replacement, already pushed, is taken back with it, and p1 goes on
	 * as it was (its counter too).
	 */
	rec.refuse_id = d;
	rec.refuse_e = -E2BIG;
	snprintf(msg, sizeof(msg),
		 "cgroup %s/" DOCKER ": the kernel's map of watched cgroups refused it (%s): it "
		 "is full",
		 cg, strerror(E2BIG));
	set[0] = spec_of("p1", "modify", CGROUPS("\"/" CTR_A "\""));
	set[1] = spec_of("p2", "modify", CGROUPS("\"/" DOCKER "\""));
	set_fails(set, 2, -ENOSPC, SIZE_MAX, msg);
	if (a < d)
		EXPECT(W(a, PN_CREATE | PN_MODIFY), W(d, PN_MODIFY), L2(2, 4), W(a, PN_CREATE),
		       L1(4), U(d));
	else
		EXPECT(W(d, PN_MODIFY), W(a, PN_CREATE | PN_MODIFY), L2(2, 4), W(a, PN_CREATE),
		       L1(4), U(d));
	rec.refuse_e = 0;
	assert_int_equal(pn_registry_watch_count(reg), 2);
	assert_int_equal(dispatch(a, PN_CREATE).n, 1);
	assert_int_equal(dispatch(a, PN_MODIFY).n, 0);
	assert_int_equal(creates_of("p1"), 2);
	assert_int_equal(dispatch(b, PN_DELETE).n, 1);
}

#define REG_TEST(f) cmocka_unit_test_setup_teardown(f, reg_setup, reg_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		REG_TEST(test_selector_decides_per_match),
		REG_TEST(test_selector_refusal_excludes_in_the_kernel),
		REG_TEST(test_install_replace_remove),
		REG_TEST(test_modes),
		REG_TEST(test_ancestor_parent_first),
		REG_TEST(test_ancestor_child_first),
		REG_TEST(test_watch_limit),
		REG_TEST(test_dedup),
		REG_TEST(test_prune),
		REG_TEST(test_target_errors),
		REG_TEST(test_add_prints_the_message),
		REG_TEST(test_only_dir),
		REG_TEST(test_pid_in),
		REG_TEST(test_kernel_refusal_rolls_back),
		REG_TEST(test_dispatch_without_the_lock),
		REG_TEST(test_set_add_replace_remove),
		REG_TEST(test_set_selector_change_replaces),
		REG_TEST(test_set_refusals_change_nothing),
	};

	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
