// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "macros.h"
#include "rules.h"
#include "selector.h"

#define MAX_RECS 16

/* A reported match, copied: the strings it points to may change afterwards (followMove). */
struct rec {
	uint32_t event;
	bool is_dir;
	uint32_t cookie;
	long subject;
	const struct pn_watch *watch;
	char dir[128]; /* {path} */
	char file[64]; /* {file} */
	char full[128];
	char other[128];
	bool has_other;
};

struct recs {
	struct pn_watch *w;
	const struct pn_event *ev;
	struct rec r[MAX_RECS];
	size_t n;
};

static void collect(const struct pn_event *ev, const struct pn_match *m, void *arg)
{
	struct recs *rs = arg;
	struct rec *r;

	assert_ptr_equal(ev, rs->ev);
	assert_true(rs->n < MAX_RECS);
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	r->event = m->event;
	r->is_dir = m->is_dir;
	r->cookie = m->cookie;
	r->watch = m->watch;
	r->subject = m->subject - rs->w->subjects;
	assert_non_null(m->full_path);
	assert_non_null(m->file);
	assert_true(m->dir_len <= strlen(m->full_path));
	snprintf(r->dir, sizeof(r->dir), "%.*s", (int)m->dir_len, m->full_path);
	snprintf(r->file, sizeof(r->file), "%s", m->file);
	snprintf(r->full, sizeof(r->full), "%s", m->full_path);
	if (m->other_path) {
		r->has_other = true;
		snprintf(r->other, sizeof(r->other), "%s", m->other_path);
	}
}

static struct pn_watch *watch_new(size_t n_subjects)
{
	struct pn_watch *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->name = strdup("w");
	w->pod = strdup("pod");
	w->subjects = calloc(n_subjects, sizeof(*w->subjects));
	assert_non_null(w->subjects);
	w->n_subjects = n_subjects;
	for (size_t i = 0; i < n_subjects; i++) {
		w->subjects[i].events = PN_ALL_EVENTS;
		assert_int_equal(pn_subject_finish(&w->subjects[i]), 0);
	}
	return w;
}

static void strv_set(char ***v, size_t *n, va_list ap)
{
	va_list cp;
	const char *s;
	size_t count = 0;

	va_copy(cp, ap);
	while (va_arg(cp, const char *))
		count++;
	va_end(cp);
	*v = calloc(count, sizeof(**v));
	assert_non_null(*v);
	*n = 0;
	while ((s = va_arg(ap, const char *))) {
		(*v)[*n] = strdup(s);
		assert_non_null((*v)[*n]);
		(*n)++;
	}
}

static void paths_set(struct pn_subject *s, ...)
{
	va_list ap;

	va_start(ap, s);
	strv_set(&s->paths, &s->n_paths, ap);
	va_end(ap);
}

static void ignore_set(struct pn_subject *s, ...)
{
	va_list ap;

	va_start(ap, s);
	strv_set(&s->ignore, &s->n_ignore, ap);
	va_end(ap);
}

#define PATHS(s, ...)  paths_set((s), __VA_ARGS__, (const char *)NULL)
#define IGNORE(s, ...) ignore_set((s), __VA_ARGS__, (const char *)NULL)

static size_t run(struct recs *rs, uint32_t ops, uint32_t flags, const char *path,
		  const char *old_path, uint32_t cookie)
{
	struct pn_event ev = {
		.ops = ops,
		.flags = flags,
		.path = path,
		.old_path = old_path,
		.cookie = cookie,
		.pid = 4242,
		.tgid = 4242,
	};
	size_t n;

	rs->n = 0;
	rs->ev = &ev;
	n = pn_watch_match(rs->w, &ev, collect, rs);
	rs->ev = NULL;
	assert_int_equal(n, rs->n);
	return n;
}

static void check(const struct recs *rs, size_t i, uint32_t event, long subject, const char *dir,
		  const char *file, const char *full, const char *other, uint32_t cookie,
		  bool is_dir)
{
	const struct rec *r;

	assert_true(i < rs->n);
	r = &rs->r[i];
	/* Names first: a failure then says "MOVED_TO" != "MOVE_SELF", not 128 != 2048. */
	assert_string_equal(pn_event_bit_name(r->event), pn_event_bit_name(event));
	assert_int_equal(r->event, event);
	assert_int_equal(r->subject, subject);
	assert_ptr_equal(r->watch, rs->w);
	assert_string_equal(r->dir, dir);
	assert_string_equal(r->file, file);
	assert_string_equal(r->full, full);
	if (other) {
		assert_true(r->has_other);
		assert_string_equal(r->other, other);
	} else {
		assert_false(r->has_other);
	}
	assert_int_equal(r->cookie, cookie);
	assert_int_equal(r->is_dir, is_dir);
}

/* A plain (non-move) event: no other path, no cookie. */
#define CHECK(i, ev, subj, dir, file, full, is_dir)                                                \
	check(&rs, (i), (ev), (subj), (dir), (file), (full), NULL, 0, (is_dir))

static void test_self_vs_child(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/etc/nginx");

	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc/nginx/nginx.conf", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/etc/nginx", "nginx.conf", "/etc/nginx/nginx.conf", false);

	assert_int_equal(run(&rs, PN_ATTRIB, PN_REC_ISDIR, "/etc/nginx", NULL, 0), 1);
	CHECK(0, PN_ATTRIB, 0, "/etc/nginx", "", "/etc/nginx", true);

	assert_int_equal(run(&rs, PN_CREATE, PN_REC_ISDIR, "/etc/nginx/conf.d", NULL, 0), 1);
	CHECK(0, PN_CREATE, 0, "/etc/nginx", "conf.d", "/etc/nginx/conf.d", true);

	/* Parents, siblings and names sharing the prefix are not covered. */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc/nginxx/a", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc/nginx.bak", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/var/log/x", NULL, 0), 0);
	pn_watch_free(rs.w);
}

static void test_file_subject(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/etc/passwd");
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc/passwd", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/etc/passwd", "", "/etc/passwd", false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc/passwd-", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc/shadow", NULL, 0), 0);
	pn_watch_free(rs.w);
}

static void test_root_subject(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/");
	assert_int_equal(run(&rs, PN_CREATE, 0, "/x", NULL, 0), 1);
	CHECK(0, PN_CREATE, 0, "/", "x", "/x", false);
	assert_int_equal(run(&rs, PN_CREATE, 0, "/x/y", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_ATTRIB, PN_REC_ISDIR, "/", NULL, 0), 1);
	CHECK(0, PN_ATTRIB, 0, "/", "", "/", true);
	pn_watch_free(rs.w);
}

static void test_delete_vs_delete_self(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/data");

	assert_int_equal(run(&rs, PN_DELETE, 0, "/data/a", NULL, 0), 1);
	CHECK(0, PN_DELETE, 0, "/data", "a", "/data/a", false);

	assert_int_equal(run(&rs, PN_DELETE, PN_REC_ISDIR, "/data", NULL, 0), 1);
	CHECK(0, PN_DELETE_SELF, 0, "/data", "", "/data", true);

	/* The subject outlives its path: created again, it reports again. */
	assert_int_equal(rs.w->subjects[0].n_paths, 1);
	assert_string_equal(rs.w->subjects[0].paths[0], "/data");
	assert_int_equal(run(&rs, PN_CREATE, PN_REC_ISDIR, "/data", NULL, 0), 1);
	CHECK(0, PN_CREATE, 0, "/data", "", "/data", true);
	assert_int_equal(run(&rs, PN_CREATE, 0, "/data/new", NULL, 0), 1);
	CHECK(0, PN_CREATE, 0, "/data", "new", "/data/new", false);

	/* "delete" alone is about entries; "deleteself" alone about the path. */
	rs.w->subjects[0].events = PN_DELETE;
	assert_int_equal(run(&rs, PN_DELETE, PN_REC_ISDIR, "/data", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_DELETE, 0, "/data/a", NULL, 0), 1);
	CHECK(0, PN_DELETE, 0, "/data", "a", "/data/a", false);

	rs.w->subjects[0].events = PN_DELETE_SELF;
	assert_int_equal(run(&rs, PN_DELETE, 0, "/data/a", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_DELETE, PN_REC_ISDIR, "/data", NULL, 0), 1);
	CHECK(0, PN_DELETE_SELF, 0, "/data", "", "/data", true);
	pn_watch_free(rs.w);
}

static void test_nonrecursive_depth(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/data");
	/* max_depth only means something with recursive. */
	rs.w->subjects[0].max_depth = 5;
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/data/a", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/data", "a", "/data/a", false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/data/a/b", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_CREATE, PN_REC_ISDIR, "/data/a/b/c", NULL, 0), 0);
	pn_watch_free(rs.w);
}

static void test_recursive_max_depth(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/data");
	s->recursive = true;
	s->max_depth = 2;
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/data/a", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/data", "a", "/data/a", false);
	/* depth == maxDepth is covered, maxDepth + 1 is not */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/data/a/b", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/data/a", "b", "/data/a/b", false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/data/a/b/c", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_DELETE, PN_REC_ISDIR, "/data", NULL, 0), 1);
	CHECK(0, PN_DELETE_SELF, 0, "/data", "", "/data", true);

	s->max_depth = 1;
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/data/a", NULL, 0), 1);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/data/a/b", NULL, 0), 0);

	/* 0: unlimited */
	s->max_depth = 0;
	assert_int_equal(run(&rs, PN_CLOSE_WRITE, 0, "/data/1/2/3/4/5/6/7/8/9/f", NULL, 0), 1);
	CHECK(0, PN_CLOSE_WRITE, 0, "/data/1/2/3/4/5/6/7/8/9", "f", "/data/1/2/3/4/5/6/7/8/9/f",
	      false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/database/a", NULL, 0), 0);
	pn_watch_free(rs.w);
}

/* Paths past PATH_MAX arrive as their tail, flagged: recursive subjects get them, flagged. */
static void test_truncated_paths(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/data");
	/* not flagged: matched by its text, as any path */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/x/y/f", NULL, 0), 0);
	/* without recursive only direct children are covered: never a path that long */
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_TRUNCATED, "/x/y/f", NULL, 0), 0);
	s->recursive = true;
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_TRUNCATED, "/x/y/f", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/x/y", "f", "/x/y/f", false);
	/* three names visible: deeper than a maxDepth of 2 whatever was cut */
	s->max_depth = 2;
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_TRUNCATED, "/x/y/f", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_TRUNCATED, "/y/f", NULL, 0), 1);
	s->max_depth = 0;
	IGNORE(s, "y");
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_TRUNCATED, "/x/y/f", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_TRUNCATED, "/x/z/f", NULL, 0), 1);
	/* a move out of the deep tree: the old name is the cut one */
	assert_int_equal(run(&rs, PN_OP_MOVE, PN_REC_OLD_TRUNCATED, "/data/g", "/x/z/f", 7), 2);
	check(&rs, 0, PN_MOVED_FROM, 0, "/x/z", "f", "/x/z/f", "/data/g", 7, false);
	check(&rs, 1, PN_MOVED_TO, 0, "/data", "g", "/data/g", "/x/z/f", 7, false);
	/* the flag of one path says nothing of the other */
	assert_int_equal(run(&rs, PN_OP_MOVE, PN_REC_TRUNCATED, "/data/g", "/x/z/f", 9), 1);
	check(&rs, 0, PN_MOVED_TO, 0, "/data", "g", "/data/g", "/x/z/f", 9, false);
	pn_watch_free(rs.w);
}

/* A change to a file with more than one link may be to a watched name: every subject gets it. */
static void test_multilink_anywhere(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/data");
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/tmp/h", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_MULTILINK, "/tmp/h", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/tmp", "h", "/tmp/h", false);
	/* the subject's event types still decide */
	s->events = PN_ACCESS;
	assert_int_equal(run(&rs, PN_MODIFY, PN_REC_MULTILINK, "/tmp/h", NULL, 0), 0);
	pn_watch_free(rs.w);
}

/*
 * A name no process was left to resolve may lead anywhere: every subject gets
 * it; one whose directory is gone is matched by its text.
 */
static void test_unresolved_anywhere(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/data");
	assert_int_equal(run(&rs, PN_DELETE, PN_EV_UNRESOLVED, "/tmp/l/f", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_DELETE, PN_EV_UNRESOLVED, "/data/f", NULL, 0), 1);
	CHECK(0, PN_DELETE, 0, "/data", "f", "/data/f", false);
	assert_int_equal(
		run(&rs, PN_DELETE, PN_EV_UNRESOLVED | PN_EV_ANYWHERE, "/tmp/l/f", NULL, 0), 1);
	CHECK(0, PN_DELETE, 0, "/tmp/l", "f", "/tmp/l/f", false);
	s->events = PN_MODIFY;
	assert_int_equal(
		run(&rs, PN_DELETE, PN_EV_UNRESOLVED | PN_EV_ANYWHERE, "/tmp/l/f", NULL, 0), 0);
	pn_watch_free(rs.w);
}

static void test_ignore(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/src");
	IGNORE(s, ".git", "cache");
	s->recursive = true;

	/* at the end */
	assert_int_equal(run(&rs, PN_CREATE, PN_REC_ISDIR, "/src/.git", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/src/lib/cache", NULL, 0), 0);
	/* in the middle */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/src/.git/config", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/src/a/cache/b/c", NULL, 0), 0);
	/* whole names only */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/src/a/cached", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/src/a", "cached", "/src/a/cached", false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/src/x.git", NULL, 0), 1);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/src/.gitignore", NULL, 0), 1);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/src/cach/e", NULL, 0), 1);
	pn_watch_free(rs.w);
}

static void test_ignore_not_on_subject_path(void **state)
{
	struct recs rs = { .w = watch_new(2) };

	(void)state;
	/* The path itself and its parents may carry an ignored name. */
	PATHS(&rs.w->subjects[0], "/repo/.git");
	IGNORE(&rs.w->subjects[0], ".git");
	PATHS(&rs.w->subjects[1], "/home/cache/app");
	IGNORE(&rs.w->subjects[1], "cache");
	rs.w->subjects[1].recursive = true;

	assert_int_equal(run(&rs, PN_MODIFY, 0, "/repo/.git/HEAD", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/repo/.git", "HEAD", "/repo/.git/HEAD", false);
	assert_int_equal(run(&rs, PN_ATTRIB, PN_REC_ISDIR, "/repo/.git", NULL, 0), 1);
	CHECK(0, PN_ATTRIB, 0, "/repo/.git", "", "/repo/.git", true);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/home/cache/app/x/f", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 1, "/home/cache/app/x", "f", "/home/cache/app/x/f", false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/home/cache/app/cache/f", NULL, 0), 0);
	pn_watch_free(rs.w);
}

static void test_longest_path_wins(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/a", "/a/b");
	s->recursive = true;

	/* Covered by both: reported once. */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/a/b/c", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/a/b", "c", "/a/b/c", false);
	/* "/a/b" is an entry of "/a" but the subject path itself: the longer view wins. */
	assert_int_equal(run(&rs, PN_DELETE, PN_REC_ISDIR, "/a/b", NULL, 0), 1);
	CHECK(0, PN_DELETE_SELF, 0, "/a/b", "", "/a/b", true);
	/* Order of the paths does not matter. */
	free(s->paths[0]);
	free(s->paths[1]);
	s->paths[0] = strdup("/a/b");
	s->paths[1] = strdup("/a");
	assert_int_equal(run(&rs, PN_DELETE, PN_REC_ISDIR, "/a/b", NULL, 0), 1);
	CHECK(0, PN_DELETE_SELF, 0, "/a/b", "", "/a/b", true);
	assert_int_equal(run(&rs, PN_DELETE, 0, "/a/x", NULL, 0), 1);
	CHECK(0, PN_DELETE, 0, "/a", "x", "/a/x", false);

	/* The longer path covers what the shorter one ignores below it. */
	IGNORE(s, "b");
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/a/b/c", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/a/b", "c", "/a/b/c", false);
	pn_watch_free(rs.w);
}

static void test_longest_path_nonrecursive(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/a", "/a/b/c");
	/* depth 3 below "/a" but a direct child of "/a/b/c" */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/a/b/c/d", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/a/b/c", "d", "/a/b/c/d", false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/a/b/x", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/a/b", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/a", "b", "/a/b", false);
	pn_watch_free(rs.w);
}

static void test_two_subjects(void **state)
{
	struct recs rs = { .w = watch_new(3) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/etc");
	PATHS(&rs.w->subjects[1], "/etc");
	PATHS(&rs.w->subjects[2], "/var");
	rs.w->subjects[1].events = PN_MODIFY | PN_DELETE;

	assert_int_equal(run(&rs, PN_MODIFY, 0, "/etc/hosts", NULL, 0), 2);
	CHECK(0, PN_MODIFY, 0, "/etc", "hosts", "/etc/hosts", false);
	CHECK(1, PN_MODIFY, 1, "/etc", "hosts", "/etc/hosts", false);

	assert_int_equal(run(&rs, PN_ATTRIB, 0, "/etc/hosts", NULL, 0), 1);
	CHECK(0, PN_ATTRIB, 0, "/etc", "hosts", "/etc/hosts", false);
	pn_watch_free(rs.w);
}

static void test_event_mask_filter(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/d");
	s->events = PN_ATTRIB;
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/d/f", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY | PN_ATTRIB, 0, "/d/f", NULL, 0), 1);
	CHECK(0, PN_ATTRIB, 0, "/d", "f", "/d/f", false);

	s->events = PN_CLOSE;
	assert_int_equal(run(&rs, PN_CLOSE_WRITE, 0, "/d/f", NULL, 0), 1);
	CHECK(0, PN_CLOSE_WRITE, 0, "/d", "f", "/d/f", false);
	assert_int_equal(run(&rs, PN_CLOSE_NOWRITE, PN_REC_ISDIR, "/d", NULL, 0), 1);
	CHECK(0, PN_CLOSE_NOWRITE, 0, "/d", "", "/d", true);
	assert_int_equal(run(&rs, PN_OPEN, 0, "/d/f", NULL, 0), 0);

	/* Plain records carry no move: a stray move bit without an old path reports nothing. */
	s->events = PN_ALL_EVENTS;
	assert_int_equal(run(&rs, PN_MOVED_TO, 0, "/d/f", NULL, 5), 0);
	pn_watch_free(rs.w);
}

static void test_ops_order(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/d");

	/* open(O_CREAT) of a new file */
	assert_int_equal(run(&rs, PN_OPEN | PN_CREATE, 0, "/d/new", NULL, 0), 2);
	CHECK(0, PN_CREATE, 0, "/d", "new", "/d/new", false);
	CHECK(1, PN_OPEN, 0, "/d", "new", "/d/new", false);

	/* open(O_TRUNC) of an existing file */
	assert_int_equal(run(&rs, PN_OPEN | PN_MODIFY, 0, "/d/old", NULL, 0), 2);
	CHECK(0, PN_MODIFY, 0, "/d", "old", "/d/old", false);
	CHECK(1, PN_OPEN, 0, "/d", "old", "/d/old", false);

	assert_int_equal(run(&rs, PN_OPEN | PN_MODIFY | PN_CREATE, 0, "/d/x", NULL, 0), 3);
	CHECK(0, PN_CREATE, 0, "/d", "x", "/d/x", false);
	CHECK(1, PN_MODIFY, 0, "/d", "x", "/d/x", false);
	CHECK(2, PN_OPEN, 0, "/d", "x", "/d/x", false);

	s->events = PN_CREATE | PN_OPEN;
	assert_int_equal(run(&rs, PN_OPEN | PN_MODIFY | PN_CREATE, 0, "/d/x", NULL, 0), 2);
	CHECK(0, PN_CREATE, 0, "/d", "x", "/d/x", false);
	CHECK(1, PN_OPEN, 0, "/d", "x", "/d/x", false);

	/* not an open: inotify's bit order */
	s->events = PN_ALL_EVENTS;
	assert_int_equal(
		run(&rs, PN_CLOSE_WRITE | PN_ATTRIB | PN_MODIFY | PN_ACCESS, 0, "/d/y", NULL, 0),
		4);
	CHECK(0, PN_ACCESS, 0, "/d", "y", "/d/y", false);
	CHECK(1, PN_MODIFY, 0, "/d", "y", "/d/y", false);
	CHECK(2, PN_ATTRIB, 0, "/d", "y", "/d/y", false);
	CHECK(3, PN_CLOSE_WRITE, 0, "/d", "y", "/d/y", false);
	pn_watch_free(rs.w);
}

static void test_only_dir(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/d");
	s->only_dir = true;
	/* The path is a file now (e.g. created again as one): not watched. */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/d", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_ATTRIB, PN_REC_ISDIR, "/d", NULL, 0), 1);
	CHECK(0, PN_ATTRIB, 0, "/d", "", "/d", true);
	/* The kernel could not tell: given the benefit of the doubt. */
	assert_int_equal(run(&rs, PN_ATTRIB, PN_REC_TYPE_UNKNOWN, "/d", NULL, 0), 1);
	/* Entries of the directory may be files. */
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/d/f", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/d", "f", "/d/f", false);
	/* Moves of the path itself follow the same rule. */
	assert_int_equal(run(&rs, PN_MOVED_FROM | PN_MOVED_TO, 0, "/e", "/d", 5), 0);
	assert_int_equal(run(&rs, PN_MOVED_FROM | PN_MOVED_TO, 0, "/d", "/e", 6), 0);
	assert_int_equal(run(&rs, PN_MOVED_FROM | PN_MOVED_TO, PN_REC_ISDIR, "/e", "/d", 7), 1);
	check(&rs, 0, PN_MOVE_SELF, 0, "/d", "", "/d", "/e", 0, true);
	assert_int_equal(run(&rs, PN_MOVED_FROM | PN_MOVED_TO, PN_REC_ISDIR, "/d", "/e", 8), 1);
	check(&rs, 0, PN_MOVED_TO, 0, "/d", "", "/d", "/e", 8, true);
	pn_watch_free(rs.w);
}

/* A move record: ops holds both move bits, path is the new name. */
#define MOVE (PN_MOVED_FROM | PN_MOVED_TO)

static void test_move_within_dir(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/d");
	assert_int_equal(run(&rs, MOVE, 0, "/d/b", "/d/a", 7), 2);
	check(&rs, 0, PN_MOVED_FROM, 0, "/d", "a", "/d/a", "/d/b", 7, false);
	check(&rs, 1, PN_MOVED_TO, 0, "/d", "b", "/d/b", "/d/a", 7, false);

	assert_int_equal(run(&rs, MOVE, PN_REC_ISDIR, "/d/dir2", "/d/dir1", 8), 2);
	check(&rs, 0, PN_MOVED_FROM, 0, "/d", "dir1", "/d/dir1", "/d/dir2", 8, true);
	check(&rs, 1, PN_MOVED_TO, 0, "/d", "dir2", "/d/dir2", "/d/dir1", 8, true);

	rs.w->subjects[0].events = PN_MOVED_TO;
	assert_int_equal(run(&rs, MOVE, 0, "/d/b", "/d/a", 9), 1);
	check(&rs, 0, PN_MOVED_TO, 0, "/d", "b", "/d/b", "/d/a", 9, false);

	/* rename(a, a) does nothing */
	rs.w->subjects[0].events = PN_ALL_EVENTS;
	assert_int_equal(run(&rs, MOVE, 0, "/d/a", "/d/a", 10), 0);
	pn_watch_free(rs.w);
}

static void test_move_across_dirs(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/d1", "/d2");
	assert_int_equal(run(&rs, MOVE, 0, "/d2/y", "/d1/x", 3), 2);
	check(&rs, 0, PN_MOVED_FROM, 0, "/d1", "x", "/d1/x", "/d2/y", 3, false);
	check(&rs, 1, PN_MOVED_TO, 0, "/d2", "y", "/d2/y", "/d1/x", 3, false);
	pn_watch_free(rs.w);
}

static void test_move_in_and_out(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/d");
	IGNORE(s, "tmp");
	s->recursive = true;

	/* into the tree */
	assert_int_equal(run(&rs, MOVE, 0, "/d/sub/x", "/elsewhere/x", 11), 1);
	check(&rs, 0, PN_MOVED_TO, 0, "/d/sub", "x", "/d/sub/x", "/elsewhere/x", 11, false);
	/* out of the tree */
	assert_int_equal(run(&rs, MOVE, 0, "/elsewhere/x", "/d/x", 12), 1);
	check(&rs, 0, PN_MOVED_FROM, 0, "/d", "x", "/d/x", "/elsewhere/x", 12, false);
	/* out of an ignored part into a watched one: only the arrival */
	assert_int_equal(run(&rs, MOVE, 0, "/d/conf", "/d/tmp/conf.new", 13), 1);
	check(&rs, 0, PN_MOVED_TO, 0, "/d", "conf", "/d/conf", "/d/tmp/conf.new", 13, false);
	/* neither side watched */
	assert_int_equal(run(&rs, MOVE, 0, "/x/b", "/x/a", 14), 0);
	pn_watch_free(rs.w);
}

static void test_move_self(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/d/conf");
	assert_int_equal(run(&rs, MOVE, 0, "/d/conf.bak", "/d/conf", 21), 1);
	/* MOVE_SELF is not half of a pair: no cookie, as inotify */
	check(&rs, 0, PN_MOVE_SELF, 0, "/d/conf", "", "/d/conf", "/d/conf.bak", 0, false);

	/* Without followMove the subject stays on the old name. */
	assert_string_equal(s->paths[0], "/d/conf");
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/d/conf.bak", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/d/conf", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/d/conf", "", "/d/conf", false);

	/* Something renamed onto the path (atomic replace): MOVED_TO on the path itself. */
	assert_int_equal(run(&rs, MOVE, 0, "/d/conf", "/d/.conf.tmp", 22), 1);
	check(&rs, 0, PN_MOVED_TO, 0, "/d/conf", "", "/d/conf", "/d/.conf.tmp", 22, false);

	s->events = PN_MOVED_FROM | PN_MOVED_TO;
	assert_int_equal(run(&rs, MOVE, 0, "/d/conf.bak", "/d/conf", 23), 0);
	pn_watch_free(rs.w);
}

static void test_move_order(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	/* "/p/w" is the subject path itself; its new name is an entry of "/p". */
	PATHS(&rs.w->subjects[0], "/p", "/p/w");
	assert_int_equal(run(&rs, MOVE, PN_REC_ISDIR, "/p/v", "/p/w", 31), 2);
	check(&rs, 0, PN_MOVED_TO, 0, "/p", "v", "/p/v", "/p/w", 31, true);
	check(&rs, 1, PN_MOVE_SELF, 0, "/p/w", "", "/p/w", "/p/v", 0, true);

	/* A second subject sees the old name as an entry: its own MOVED_FROM, after. */
	pn_watch_free(rs.w);
	rs.w = watch_new(2);
	PATHS(&rs.w->subjects[0], "/p/w");
	PATHS(&rs.w->subjects[1], "/p");
	assert_int_equal(run(&rs, MOVE, PN_REC_ISDIR, "/q/w", "/p/w", 32), 2);
	check(&rs, 0, PN_MOVE_SELF, 0, "/p/w", "", "/p/w", "/q/w", 0, true);
	check(&rs, 1, PN_MOVED_FROM, 1, "/p", "w", "/p/w", "/q/w", 32, true);
	pn_watch_free(rs.w);
}

static void test_exchange(void **state)
{
	struct recs rs = { .w = watch_new(1) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/d");
	assert_int_equal(run(&rs, MOVE, PN_REC_EXCHANGE, "/d/b", "/d/a", 40), 4);
	check(&rs, 0, PN_MOVED_FROM, 0, "/d", "a", "/d/a", "/d/b", 40, false);
	check(&rs, 1, PN_MOVED_TO, 0, "/d", "b", "/d/b", "/d/a", 40, false);
	check(&rs, 2, PN_MOVED_FROM, 0, "/d", "b", "/d/b", "/d/a", 41, false);
	check(&rs, 3, PN_MOVED_TO, 0, "/d", "a", "/d/a", "/d/b", 41, false);

	/* Only one side watched: it loses one object and gains another. */
	assert_int_equal(run(&rs, MOVE, PN_REC_EXCHANGE, "/e/b", "/d/a", 50), 2);
	check(&rs, 0, PN_MOVED_FROM, 0, "/d", "a", "/d/a", "/e/b", 50, false);
	check(&rs, 1, PN_MOVED_TO, 0, "/d", "a", "/d/a", "/e/b", 51, false);

	/* The subject path is one of the two names. */
	pn_watch_free(rs.w);
	rs.w = watch_new(1);
	PATHS(&rs.w->subjects[0], "/d/a");
	assert_int_equal(run(&rs, MOVE, PN_REC_EXCHANGE, "/d/b", "/d/a", 60), 2);
	check(&rs, 0, PN_MOVE_SELF, 0, "/d/a", "", "/d/a", "/d/b", 0, false);
	check(&rs, 1, PN_MOVED_TO, 0, "/d/a", "", "/d/a", "/d/b", 61, false);
	assert_string_equal(rs.w->subjects[0].paths[0], "/d/a");
	pn_watch_free(rs.w);
}

static void test_follow_move(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/d/conf");
	s->follow_move = true;
	assert_int_equal(run(&rs, MOVE, 0, "/d/conf2", "/d/conf", 70), 1);
	/* The match is reported under the name it had when it moved. */
	check(&rs, 0, PN_MOVE_SELF, 0, "/d/conf", "", "/d/conf", "/d/conf2", 0, false);
	assert_string_equal(s->paths[0], "/d/conf2");

	assert_int_equal(run(&rs, PN_MODIFY, 0, "/d/conf", NULL, 0), 0);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/d/conf2", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/d/conf2", "", "/d/conf2", false);

	/* Followed even when the subject does not ask for move events. */
	s->events = PN_MODIFY;
	assert_int_equal(run(&rs, MOVE, 0, "/etc/conf3", "/d/conf2", 71), 0);
	assert_string_equal(s->paths[0], "/etc/conf3");

	/* A name that only shares a prefix is not the path. */
	assert_int_equal(run(&rs, MOVE, 0, "/etc/other", "/etc/conf", 72), 0);
	assert_string_equal(s->paths[0], "/etc/conf3");
	pn_watch_free(rs.w);
}

static void test_follow_move_ancestor(void **state)
{
	struct recs rs = { .w = watch_new(2) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/srv/app/conf", "/var/log");
	s->recursive = true;
	s->follow_move = true;
	PATHS(&rs.w->subjects[1], "/srv/app/conf");
	rs.w->subjects[1].recursive = true;

	/* inotify reports nothing on a watch whose parent is renamed; neither do we. */
	assert_int_equal(run(&rs, MOVE, PN_REC_ISDIR, "/srv/app-v2", "/srv/app", 80), 0);
	assert_string_equal(s->paths[0], "/srv/app-v2/conf");
	assert_string_equal(s->paths[1], "/var/log");
	/* without followMove: unchanged */
	assert_string_equal(rs.w->subjects[1].paths[0], "/srv/app/conf");

	assert_int_equal(run(&rs, PN_MODIFY, 0, "/srv/app-v2/conf/x/y", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 0, "/srv/app-v2/conf/x", "y", "/srv/app-v2/conf/x/y", false);
	assert_int_equal(run(&rs, PN_MODIFY, 0, "/srv/app/conf/x/y", NULL, 0), 1);
	CHECK(0, PN_MODIFY, 1, "/srv/app/conf/x", "y", "/srv/app/conf/x/y", false);

	/* Moved to a shorter and to a longer name: the string is reallocated. */
	assert_int_equal(run(&rs, MOVE, PN_REC_ISDIR, "/a", "/srv/app-v2", 81), 0);
	assert_string_equal(s->paths[0], "/a/conf");
	assert_int_equal(run(&rs, MOVE, PN_REC_ISDIR, "/a-much-longer-name/with/depth", "/a", 82),
			 0);
	assert_string_equal(s->paths[0], "/a-much-longer-name/with/depth/conf");
	pn_watch_free(rs.w);
}

static void test_follow_move_exchange(void **state)
{
	struct recs rs = { .w = watch_new(1) };
	struct pn_subject *s = &rs.w->subjects[0];

	(void)state;
	PATHS(s, "/x/a", "/x/b/c", "/y");
	s->follow_move = true;
	s->events = PN_MODIFY;
	assert_int_equal(run(&rs, MOVE, PN_REC_EXCHANGE | PN_REC_ISDIR, "/x/b", "/x/a", 90), 0);
	/* Each side moves to the other name, once. */
	assert_string_equal(s->paths[0], "/x/b");
	assert_string_equal(s->paths[1], "/x/a/c");
	assert_string_equal(s->paths[2], "/y");
	pn_watch_free(rs.w);
}

static void test_kernel_ops(void **state)
{
	struct pn_watch *w = watch_new(2);

	(void)state;
	w->subjects[0].events = PN_DELETE_SELF;
	w->subjects[1].events = PN_MODIFY;
	assert_int_equal(pn_watch_kernel_ops(w), PN_DELETE | PN_MODIFY);
	w->subjects[1].follow_move = true;
	assert_int_equal(pn_watch_kernel_ops(w), PN_DELETE | PN_MODIFY | PN_OP_MOVE);
	pn_watch_free(w);
}

static void tag_add(struct pn_subject *s, const char *k, const char *v)
{
	struct pn_tag *t = realloc(s->tags, (s->n_tags + 1) * sizeof(*t));

	assert_non_null(t);
	s->tags = t;
	t[s->n_tags].key = strdup(k);
	t[s->n_tags].value = strdup(v);
	s->n_tags++;
}

static void test_tags_text(void **state)
{
	struct pn_subject s = { 0 };

	(void)state;
	assert_int_equal(pn_subject_finish(&s), 0);
	assert_string_equal(s.tags_text, "");

	tag_add(&s, "zeta", "1");
	tag_add(&s, "alpha", "x y");
	tag_add(&s, "mid", "");
	tag_add(&s, "Zulu", "caps");
	assert_int_equal(pn_subject_finish(&s), 0);
	/* byte order: upper case sorts first */
	assert_string_equal(s.tags_text, "Zulu=caps,alpha=x y,mid=,zeta=1");
	assert_string_equal(s.tags[0].key, "Zulu");
	assert_string_equal(s.tags[1].key, "alpha");
	assert_string_equal(s.tags[1].value, "x y");
	assert_string_equal(s.tags[2].key, "mid");
	assert_string_equal(s.tags[3].key, "zeta");

	/* Finishing again replaces the text (no leak under ASan). */
	tag_add(&s, "beta", "2");
	assert_int_equal(pn_subject_finish(&s), 0);
	assert_string_equal(s.tags_text, "Zulu=caps,alpha=x y,beta=2,mid=,zeta=1");

	pn_subject_clear(&s);
	assert_null(s.tags);
	assert_null(s.tags_text);
	assert_int_equal(s.n_tags, 0);
	pn_subject_clear(NULL);
	pn_watch_free(NULL);
}

static void test_subject_in_match(void **state)
{
	struct recs rs = { .w = watch_new(2) };

	(void)state;
	PATHS(&rs.w->subjects[0], "/a");
	PATHS(&rs.w->subjects[1], "/a");
	tag_add(&rs.w->subjects[0], "team", "web");
	tag_add(&rs.w->subjects[1], "team", "db");
	assert_int_equal(pn_subject_finish(&rs.w->subjects[0]), 0);
	assert_int_equal(pn_subject_finish(&rs.w->subjects[1]), 0);
	assert_int_equal(run(&rs, PN_CREATE, 0, "/a/f", NULL, 0), 2);
	assert_string_equal(rs.w->subjects[rs.r[0].subject].tags_text, "team=web");
	assert_string_equal(rs.w->subjects[rs.r[1].subject].tags_text, "team=db");
	pn_watch_free(rs.w);
}

/* pn_subject_check, formatted as the policy file and the API name fields. */
static int check_keys(struct pn_subject *s, char *err, size_t errlen)
{
	struct pn_subject_fault f;
	int r = pn_subject_check(s, &f);

	if (r)
		pn_subject_fault_format(&f, &pn_subject_keys, NULL, err, errlen);
	else
		assert_int_equal(f.rule, PN_SUBJECT_SOUND);
	return r;
}

static void test_subject_validate(void **state)
{
	char *paths[2];
	struct pn_subject s = { .paths = paths, .n_paths = 2 };
	char err[128];
	char ok0[] = "/a/./b//", ok1[] = "/x/../y";
	char rel[] = "a/b", empty[] = "";

	(void)state;
	paths[0] = ok0;
	paths[1] = ok1;
	assert_int_equal(check_keys(&s, err, sizeof(err)), 0);
	/* normalized in place */
	assert_string_equal(paths[0], "/a/b");
	assert_string_equal(paths[1], "/y");

	paths[1] = rel;
	assert_int_equal(check_keys(&s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "paths[1]: path must be absolute: \"a/b\"");
	paths[1] = empty;
	assert_int_equal(check_keys(&s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "paths[1]: path must not be empty");
	paths[1] = NULL;
	assert_int_equal(check_keys(&s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "paths[1]: path must not be empty");

	paths[1] = ok1;
	s.max_depth = -2;
	assert_int_equal(check_keys(&s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "maxDepth: must be >= 0, got -2");

	s.max_depth = 0;
	s.n_paths = 0;
	assert_int_equal(check_keys(&s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "paths: at least one path is required");
}

/* Every rule of pn_subject_check, the fault as data and in both spellings. */
static void test_subject_check_rules(void **state)
{
	char p0[] = "/data", p1[] = "/data/sub", long_path[PN_PATH_MAX + 8];
	char *paths[] = { p0, p1 };
	char *ignore[] = { ".git", "a/b" };
	struct pn_tag tags[] = { { "team", "web" }, { "env", "prod" }, { "team", "db" } };
	struct pn_subject s = { .paths = paths, .n_paths = 2, .ignore = ignore, .n_ignore = 1 };
	struct pn_subject_fault f;
	char err[PN_PATH_MAX + 128];

	(void)state;
	assert_int_equal(pn_subject_check(&s, &f), 0);

	/* The longest path the kernel can report is fine, one byte more is not. */
	memset(long_path, 'x', sizeof(long_path));
	long_path[0] = '/';
	long_path[PN_PATH_MAX - 1] = '\0';
	paths[1] = long_path;
	assert_int_equal(pn_subject_check(&s, &f), 0);
	long_path[PN_PATH_MAX - 1] = 'x';
	long_path[PN_PATH_MAX] = '\0';
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.field, PN_SUBJECT_PATHS);
	assert_int_equal(f.rule, PN_SUBJECT_TOO_LONG);
	assert_true(f.indexed);
	assert_int_equal(f.index, 1);
	pn_subject_fault_format(&f, &pn_subject_keys, "watch.subjects[3]", err, sizeof(err));
	assert_string_equal(err, "watch.subjects[3].paths[1]: path longer than 4095 bytes");
	pn_subject_fault_format(&f, &pn_subject_flags, NULL, err, sizeof(err));
	assert_string_equal(err, "--path: path longer than 4095 bytes");
	paths[1] = p1;

	/* ignore names: one non-empty component each */
	s.n_ignore = 2;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.field, PN_SUBJECT_IGNORE);
	assert_int_equal(f.rule, PN_SUBJECT_SLASH);
	assert_int_equal(f.index, 1);
	pn_subject_fault_format(&f, &pn_subject_keys, "subject[0]", err, sizeof(err));
	assert_string_equal(err, "subject[0].ignore[1]: must be a file or directory name "
				 "without '/': \"a/b\"");
	ignore[1] = "";
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.rule, PN_SUBJECT_EMPTY);
	pn_subject_fault_format(&f, &pn_subject_flags, NULL, err, sizeof(err));
	assert_string_equal(err, "--ignore: must not be empty");
	s.n_ignore = 1;

	/* maxDepth: 0 (unlimited) needs nothing; any other value needs recursive */
	s.max_depth = 3;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.field, PN_SUBJECT_MAX_DEPTH);
	assert_int_equal(f.rule, PN_SUBJECT_NEEDS);
	assert_int_equal(f.needs, PN_SUBJECT_RECURSIVE);
	assert_false(f.indexed);
	pn_subject_fault_format(&f, &pn_subject_keys, "watch.subjects[0]", err, sizeof(err));
	assert_string_equal(err, "watch.subjects[0].maxDepth: only meaningful with recursive");
	pn_subject_fault_format(&f, &pn_subject_flags, NULL, err, sizeof(err));
	assert_string_equal(err, "--max-depth: only meaningful with --recursive");
	s.recursive = true;
	assert_int_equal(pn_subject_check(&s, &f), 0);
	/* a negative depth is wrong in itself, recursive or not */
	s.max_depth = -1;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.rule, PN_SUBJECT_NEGATIVE);
	assert_int_equal(f.number, -1);
	s.recursive = false;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.rule, PN_SUBJECT_NEGATIVE);
	s.max_depth = 0;

	/* tag keys: unique, whatever the values and the order they came in */
	s.tags = tags;
	s.n_tags = 2;
	assert_int_equal(pn_subject_check(&s, &f), 0);
	assert_string_equal(tags[0].key, "env"); /* sorted by key */
	s.n_tags = 3;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.field, PN_SUBJECT_TAGS);
	assert_int_equal(f.rule, PN_SUBJECT_DUPLICATE);
	assert_string_equal(f.value, "team");
	pn_subject_fault_format(&f, &pn_subject_flags, NULL, err, sizeof(err));
	assert_string_equal(err, "--tag: key \"team\" given twice");
	pn_subject_fault_format(&f, &pn_subject_keys, "watch.subjects[0]", err, sizeof(err));
	assert_string_equal(err, "watch.subjects[0].tags: key \"team\" given twice");
	tags[2].key = "";
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.rule, PN_SUBJECT_EMPTY);
	pn_subject_fault_format(&f, &pn_subject_keys, "subject[1]", err, sizeof(err));
	assert_string_equal(err, "subject[1].tags: empty key");

	/* a short buffer still holds a terminated prefix */
	s.n_tags = 0;
	s.max_depth = 2;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_true(pn_subject_fault_format(&f, &pn_subject_flags, NULL, err, 8) >= 8);
	assert_string_equal(err, "--max-d");
}

/* Text in a subject: UTF-8 without control bytes, for every path, name, key and value. */
static void test_subject_check_text(void **state)
{
	char p0[] = "/data/caf\xc3\xa9", p1[] = "/data/\xff";
	char *paths[] = { p0, p1 };
	char *ignore[] = { "a\nb" };
	struct pn_tag tags[] = { { "team", "web\n2026 CREATE /etc/shadow" } };
	struct pn_subject s = { .paths = paths, .n_paths = 1 };
	struct pn_subject_fault f;
	char err[256];

	(void)state;
	assert_int_equal(pn_subject_check(&s, &f), 0);
	s.n_paths = 2;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	assert_int_equal(f.rule, PN_SUBJECT_TEXT);
	assert_int_equal(f.text.rule, PN_TEXT_NOT_UTF8);
	pn_subject_fault_format(&f, &pn_subject_keys, "watch.subjects[0]", err, sizeof(err));
	assert_string_equal(err, "watch.subjects[0].paths[1]: not valid UTF-8 at byte 6 (0xff)");
	s.n_paths = 1;
	s.ignore = ignore;
	s.n_ignore = 1;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	pn_subject_fault_format(&f, &pn_subject_flags, NULL, err, sizeof(err));
	assert_string_equal(err, "--ignore: control byte 0x0a at byte 1");
	s.n_ignore = 0;
	s.tags = tags;
	s.n_tags = 1;
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	pn_subject_fault_format(&f, &pn_subject_keys, "subject[0]", err, sizeof(err));
	assert_string_equal(err, "subject[0].tags: value of key \"team\": control byte 0x0a at "
				 "byte 3");
	tags[0] = (struct pn_tag){ "te\x1b"
				   "am",
				   "web" };
	assert_int_equal(pn_subject_check(&s, &f), -EINVAL);
	pn_subject_fault_format(&f, &pn_subject_keys, "subject[0]", err, sizeof(err));
	assert_string_equal(err, "subject[0].tags: a key: control byte 0x1b at byte 2");
}

static void test_selector_match(void **state)
{
	char *ns[] = { "prod", "prod-*" }, *names[] = { "app" }, *images[] = { "*nginx:1.*" };
	struct pn_selector sel = { .namespaces = ns, .n_namespaces = 2 };

	(void)state;
	assert_true(pn_selector_match(NULL, NULL, NULL, NULL, NULL)); /* no selector: all */
	assert_true(pn_selector_match(&sel, "prod", NULL, NULL, NULL));
	assert_true(pn_selector_match(&sel, "prod-eu", "x", "y", NULL));
	assert_false(pn_selector_match(&sel, "staging", "app", "nginx:1.25", NULL));
	assert_false(pn_selector_match(&sel, "production", NULL, NULL, NULL));
	/* what the runtime did not name passes no list */
	assert_false(pn_selector_match(&sel, NULL, "app", "nginx:1.25", NULL));
	assert_false(pn_selector_match(&sel, "", "app", "nginx:1.25", NULL));
	/* every list given must pass */
	sel.container_names = names;
	sel.n_container_names = 1;
	sel.images = images;
	sel.n_images = 1;
	assert_true(pn_selector_match(&sel, "prod", "app", "docker.io/library/nginx:1.25", NULL));
	assert_false(
		pn_selector_match(&sel, "prod", "sidecar", "docker.io/library/nginx:1.25", NULL));
	assert_false(pn_selector_match(&sel, "prod", "app", "nginx:2.0", NULL));
	assert_false(pn_selector_match(&sel, "prod", "app", NULL, NULL));
}

static void expect_selector_error(const char *text, const char *want)
{
	struct pn_label_req *reqs = NULL;
	size_t n = 0;
	char err[256] = "";

	assert_int_equal(pn_label_selector_parse(text, &reqs, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	pn_label_reqs_free(reqs, n);
	free(reqs);
}

static void test_label_keys_and_lists(void **state)
{
	static const char *const good[] = { "app",
					    "a",
					    "team.example.com/owner",
					    "a.b/c-d.e_f",
					    "kubernetes.io/config.source",
					    "x-1/Y_2" };
	static const char *const bad[] = { "",	     "/app", "a/",   "-app", "app-",  "Team.io/x",
					   "a..b/x", ".a/x", "a-/x", "a b",  "a/b/c", "x\n" };
	char name63[64], name64[65], prefix[260];
	struct pn_labels l = { 0 }, copy = { 0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_true(pn_label_key_valid(good[i]));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (pn_label_key_valid(bad[i]))
			fail_msg("\"%s\" passed as a key", bad[i]);
	memset(name63, 'n', 63);
	name63[63] = '\0';
	memset(name64, 'n', 64);
	name64[64] = '\0';
	assert_true(pn_label_key_valid(name63));
	assert_false(pn_label_key_valid(name64));
	memset(prefix, 'p', 253);
	snprintf(prefix + 253, sizeof(prefix) - 253, "/x");
	assert_true(pn_label_key_valid(prefix));
	prefix[253] = 'p';
	snprintf(prefix + 254, sizeof(prefix) - 254, "/x");
	assert_false(pn_label_key_valid(prefix));

	/* added in the runtime's order, sorted for every output, copied whole */
	assert_int_equal(pn_labels_add(&l, "tier", "web"), 0);
	assert_int_equal(pn_labels_add(&l, "app", NULL), 0);
	assert_int_equal(pn_labels_add(&l, "b", "2"), 0);
	pn_labels_sort(&l);
	assert_int_equal(pn_labels_copy(&l, &copy), 0);
	pn_labels_clear(&l);
	assert_int_equal(copy.n, 3);
	assert_string_equal(copy.keys[0], "app");
	assert_string_equal(copy.values[0], "");
	assert_string_equal(copy.keys[1], "b");
	assert_string_equal(copy.keys[2], "tier");
	assert_string_equal(copy.values[2], "web");
	pn_labels_clear(&copy);
	assert_int_equal(copy.n, 0);
}

static void test_label_selectors(void **state)
{
	char *pk[] = { "app", "tier", "canary" }, *pv[] = { "web", "front", "" };
	char *qk[] = { "app" }, *qv[] = { "db" };
	struct pn_labels web = { pk, pv, 3 }, db = { qk, qv, 1 };
	struct pn_selector sel = { 0 };
	char err[256] = "";

	(void)state;
	assert_int_equal(pn_label_selector_parse(" app = web , tier in (front, back),!gone",
						 &sel.labels, &sel.n_labels, err, sizeof(err)),
			 0);
	assert_int_equal(sel.n_labels, 3);
	assert_string_equal(sel.labels[0].key, "app");
	assert_int_equal(sel.labels[0].op, PN_LABEL_IN);
	assert_int_equal(sel.labels[1].n_values, 2);
	assert_string_equal(sel.labels[1].values[1], "back");
	assert_int_equal(sel.labels[2].op, PN_LABEL_NOT_EXISTS);
	assert_true(pn_selector_match(&sel, "ns", "c", "i", &web));
	assert_false(pn_selector_match(&sel, "ns", "c", "i", &db));
	assert_false(pn_selector_match(&sel, "ns", "c", "i", NULL)); /* no labels known */
	/* appended: every requirement holds; NotIn and !key hold without the key */
	assert_int_equal(pn_label_selector_parse("app!=db,canary,owner notin (x),app==web",
						 &sel.labels, &sel.n_labels, err, sizeof(err)),
			 0);
	assert_int_equal(sel.n_labels, 7);
	assert_true(pn_selector_match(&sel, "ns", "c", "i", &web));
	pn_label_reqs_free(sel.labels, sel.n_labels);
	free(sel.labels);

	expect_selector_error("", "\"\": an empty selector");
	expect_selector_error("app=web,", "\"app=web,\": expected a label key at byte 9");
	expect_selector_error("app in web", "\"app in web\": expected ( at byte 8");
	expect_selector_error("app in (a b)", "\"app in (a b)\": expected , or ) at byte 11");
	expect_selector_error("app > 3", "\"app > 3\": expected =, ==, !=, in or notin at byte 5");
	expect_selector_error("app=a b", "\"app=a b\": unexpected 'b' at byte 7");
	expect_selector_error("!", "\"!\": expected a label key at byte 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_selectors),
		cmocka_unit_test(test_label_keys_and_lists),
		cmocka_unit_test(test_selector_match),
		cmocka_unit_test(test_self_vs_child),
		cmocka_unit_test(test_subject_check_text),
		cmocka_unit_test(test_file_subject),
		cmocka_unit_test(test_root_subject),
		cmocka_unit_test(test_delete_vs_delete_self),
		cmocka_unit_test(test_nonrecursive_depth),
		cmocka_unit_test(test_recursive_max_depth),
		cmocka_unit_test(test_truncated_paths),
		cmocka_unit_test(test_multilink_anywhere),
		cmocka_unit_test(test_unresolved_anywhere),
		cmocka_unit_test(test_ignore),
		cmocka_unit_test(test_ignore_not_on_subject_path),
		cmocka_unit_test(test_longest_path_wins),
		cmocka_unit_test(test_longest_path_nonrecursive),
		cmocka_unit_test(test_two_subjects),
		cmocka_unit_test(test_event_mask_filter),
		cmocka_unit_test(test_ops_order),
		cmocka_unit_test(test_only_dir),
		cmocka_unit_test(test_move_within_dir),
		cmocka_unit_test(test_move_across_dirs),
		cmocka_unit_test(test_move_in_and_out),
		cmocka_unit_test(test_move_self),
		cmocka_unit_test(test_move_order),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_follow_move),
		cmocka_unit_test(test_follow_move_ancestor),
		cmocka_unit_test(test_follow_move_exchange),
		cmocka_unit_test(test_kernel_ops),
		cmocka_unit_test(test_tags_text),
		cmocka_unit_test(test_subject_in_match),
		cmocka_unit_test(test_subject_validate),
		cmocka_unit_test(test_subject_check_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
