// SPDX-License-Identifier: GPL-2.0-only
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "macros.h"
#include "pathutil.h"
#include "selector.h"

/*
 * How one subject sees one path: through its longest covering path, either
 * as that path itself (self) or as an entry below it.
 */
struct cover {
	bool self;
};

static bool component_ignored(const struct pn_subject *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n_ignore; i++)
		if (strlen(s->ignore[i]) == len && memcmp(s->ignore[i], name, len) == 0)
			return true;
	return false;
}

/* rel: the part of the event path below the subject path, "a/b/c". */
static bool rel_ignored(const struct pn_subject *s, const char *rel)
{
	if (!s->n_ignore)
		return false;
	while (*rel) {
		const char *end = strchr(rel, '/');

		if (!end)
			end = rel + strlen(rel);
		if (component_ignored(s, rel, (size_t)(end - rel)))
			return true;
		rel = *end ? end + 1 : end;
	}
	return false;
}

/*
 * A path longer than PATH_MAX arrives as its last 4095 bytes, flagged
 * truncated: whole names under a "/", with no way to tell where the subject
 * path ended. Every recursive subject could hold it, unless its maxDepth is
 * below the names that are visible (the subject is above them all) or one of
 * them is ignored: those get it, flagged, rather than no one.
 */
static bool truncated_covered(const struct pn_subject *s, const char *x)
{
	int names = 0;

	if (!s->recursive)
		return false;
	for (const char *p = x; *p; p++)
		names += *p == '/';
	if (s->max_depth > 0 && names > s->max_depth)
		return false;
	return !rel_ignored(s, x[0] == '/' ? x + 1 : x);
}

static bool subject_covers(const struct pn_subject *s, const char *x, bool truncated,
			   struct cover *c)
{
	size_t best_len = 0;
	bool found = false;

	for (size_t i = 0; i < s->n_paths; i++) {
		const char *p = s->paths[i];
		const char *rel;
		int depth = pn_path_depth_below(p, x, &rel);
		size_t len;

		if (depth < 0)
			continue;
		if (depth > 0) {
			if (!s->recursive && depth > 1)
				continue;
			if (s->recursive && s->max_depth > 0 && depth > s->max_depth)
				continue;
			/* Ignore names apply below the subject path, never to it or its parents. */
			if (rel_ignored(s, rel))
				continue;
		}
		len = strlen(p);
		if (!found || len > best_len) {
			found = true;
			best_len = len;
			c->self = depth == 0;
		}
	}
	if (!found && truncated && truncated_covered(s, x)) {
		found = true;
		c->self = false;
	}
	return found;
}

/* Is `p`, the event's path or its old path, one that did not fit? */
static bool path_truncated(const struct pn_event *ev, const char *p)
{
	if (p == ev->path)
		return ev->flags & PN_REC_TRUNCATED;
	return p == ev->old_path && (ev->flags & PN_REC_OLD_TRUNCATED);
}

struct emitter {
	struct pn_watch *w;
	const struct pn_subject *s;
	const struct pn_event *ev;
	pn_match_fn fn;
	void *arg;
	size_t calls;
};

static void emit(struct emitter *e, uint32_t event, const char *full_path, bool self,
		 uint32_t cookie, const char *other_path)
{
	struct pn_match m = {
		.event = event,
		.is_dir = e->ev->flags & PN_REC_ISDIR,
		.cookie = cookie,
		.watch = e->w,
		.subject = e->s,
		.full_path = full_path,
		.other_path = other_path,
	};

	if (!(e->s->events & event))
		return;
	if (self) {
		m.dir_len = strlen(full_path);
		m.file = full_path + m.dir_len;
	} else {
		pn_path_split(full_path, &m.dir_len, &m.file);
	}
	e->fn(e->ev, &m, e->arg);
	e->calls++;
}

/*
 * IN_ONLYDIR is decided when the watch is set up (the registry skips a
 * subject path that is not a directory); here the record can still tell that
 * the object at the path itself is not one, e.g. a file created later under
 * that name, and such self events are dropped.
 */
static bool self_excluded(const struct pn_subject *s, const struct pn_event *ev)
{
	return s->only_dir && !(ev->flags & (PN_REC_ISDIR | PN_REC_TYPE_UNKNOWN));
}

/* inotify's queue order; an open queues CREATE and the O_TRUNC MODIFY before OPEN. */
static const uint32_t plain_order[] = { PN_ACCESS,	  PN_MODIFY, PN_ATTRIB, PN_CLOSE_WRITE,
					PN_CLOSE_NOWRITE, PN_OPEN,   PN_CREATE, PN_DELETE };
static const uint32_t open_order[] = { PN_CREATE, PN_MODIFY,	  PN_OPEN,	    PN_ACCESS,
				       PN_ATTRIB, PN_CLOSE_WRITE, PN_CLOSE_NOWRITE, PN_DELETE };

static void match_plain(struct emitter *e)
{
	const struct pn_event *ev = e->ev;
	const uint32_t *order = (ev->ops & PN_OPEN) ? open_order : plain_order;
	struct cover c;

	if (!subject_covers(e->s, ev->path, path_truncated(ev, ev->path), &c)) {
		/*
		 * A change to a file with more than one hard link: the name
		 * written through is one of several, any of which may be the
		 * watched one, and the kernel keeps no list of them. A name no
		 * process was left to resolve may lead anywhere (rules.h).
		 */
		if (!(ev->flags & (PN_REC_MULTILINK | PN_EV_ANYWHERE)))
			return;
		c.self = false;
	}
	if (c.self && self_excluded(e->s, ev))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(plain_order); i++) {
		uint32_t bit = order[i];

		if (!(ev->ops & bit))
			continue;
		/*
		 * The subject path itself was deleted: DELETE_SELF. Unlike inotify,
		 * whose watch dies with the inode, the subject stays on the path: if
		 * the name is created again, its events are reported again.
		 */
		if (c.self && bit == PN_DELETE)
			bit = PN_DELETE_SELF;
		emit(e, bit, ev->path, c.self, 0, NULL);
	}
}

/* One name moved from `from` to `to`. */
static void match_move_pair(struct emitter *e, const char *from, const char *to, uint32_t cookie)
{
	struct cover cf, ct;
	bool from_covered = subject_covers(e->s, from, path_truncated(e->ev, from), &cf);
	bool to_covered = subject_covers(e->s, to, path_truncated(e->ev, to), &ct);
	bool move_self = false;

	if (from_covered) {
		if (!cf.self)
			emit(e, PN_MOVED_FROM, from, false, cookie, to);
		else if (!self_excluded(e->s, e->ev))
			move_self = true;
	}
	/*
	 * Something renamed onto the subject path (an atomic config replace) is
	 * reported as MOVED_TO on the path itself, with an empty {file}.
	 */
	if (to_covered && !(ct.self && self_excluded(e->s, e->ev)))
		emit(e, PN_MOVED_TO, to, ct.self, cookie, from);
	/* inotify gives MOVE_SELF no cookie: it is not half of a pair. */
	if (move_self)
		emit(e, PN_MOVE_SELF, from, true, 0, to);
}

/*
 * If `p` is `from` or lies below it, writes `to` + the rest of `p` into *out
 * (allocated). Returns 1 if rewritten, 0 if `p` is elsewhere, -ENOMEM.
 */
static int moved_path(const char *p, const char *from, const char *to, char **out)
{
	const char *rel;
	int depth = pn_path_depth_below(from, p, &rel);
	size_t tlen, rlen;
	char *n;

	if (depth < 0)
		return 0;
	tlen = strlen(to);
	rlen = depth ? strlen(rel) : 0;
	n = malloc(tlen + 1 + rlen + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n, to, tlen);
	if (depth) {
		n[tlen++] = '/';
		memcpy(n + tlen, rel, rlen);
	}
	n[tlen + rlen] = '\0';
	*out = n;
	return 1;
}

/*
 * followMove: the subject follows a rename of its path or of any ancestor.
 * An exchange swaps the two names, so paths under either side move to the
 * other one; each path is rewritten at most once. If memory runs out the
 * path stays on the old name (the subject then behaves as without followMove
 * for that path) rather than losing the subject.
 */
static void follow_move(struct pn_subject *s, const char *from, const char *to, bool exchange)
{
	for (size_t i = 0; i < s->n_paths; i++) {
		char *n = NULL;
		int r = moved_path(s->paths[i], from, to, &n);

		if (r == 0 && exchange)
			r = moved_path(s->paths[i], to, from, &n);
		if (r <= 0)
			continue;
		free(s->paths[i]);
		s->paths[i] = n;
	}
}

static void match_move(struct emitter *e, struct pn_subject *s)
{
	const struct pn_event *ev = e->ev;
	bool exchange = ev->flags & PN_REC_EXCHANGE;

	match_move_pair(e, ev->old_path, ev->path, ev->cookie);
	if (exchange)
		match_move_pair(e, ev->path, ev->old_path, ev->cookie + 1);
	if (s->follow_move)
		follow_move(s, ev->old_path, ev->path, exchange);
}

size_t pn_watch_match(struct pn_watch *w, const struct pn_event *ev, pn_match_fn fn, void *arg)
{
	struct emitter e = { .w = w, .ev = ev, .fn = fn, .arg = arg };
	bool is_move = (ev->ops & PN_OP_MOVE) && ev->old_path;

	if (!ev->path)
		return 0;
	/* rename(a, a) succeeds without doing anything; inotify reports nothing either. */
	if (is_move && strcmp(ev->old_path, ev->path) == 0)
		return 0;
	for (size_t i = 0; i < w->n_subjects; i++) {
		struct pn_subject *s = &w->subjects[i];

		e.s = s;
		if (is_move)
			match_move(&e, s);
		else
			match_plain(&e);
	}
	return e.calls;
}

uint32_t pn_watch_kernel_ops(const struct pn_watch *w)
{
	uint32_t ops = 0;

	for (size_t i = 0; i < w->n_subjects; i++)
		ops |= pn_events_to_kernel_ops(w->subjects[i].events, w->subjects[i].follow_move);
	return ops;
}

static int tag_cmp(const void *a, const void *b)
{
	const struct pn_tag *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	/* Equal keys (pn_subject_check refuses them) still sort the same way every time. */
	return r ? r : strcmp(x->value, y->value);
}

const struct pn_subject_spelling pn_subject_keys = {
	.name = {
		[PN_SUBJECT_PATHS] = "paths",
		[PN_SUBJECT_IGNORE] = "ignore",
		[PN_SUBJECT_MAX_DEPTH] = "maxDepth",
		[PN_SUBJECT_RECURSIVE] = "recursive",
		[PN_SUBJECT_TAGS] = "tags",
	},
	.indexed = true,
};

/* panoptesd's standalone flags; panoptesctl's watch flags are the same words. */
const struct pn_subject_spelling pn_subject_flags = {
	.name = {
		[PN_SUBJECT_PATHS] = "--path",
		[PN_SUBJECT_IGNORE] = "--ignore",
		[PN_SUBJECT_MAX_DEPTH] = "--max-depth",
		[PN_SUBJECT_RECURSIVE] = "--recursive",
		[PN_SUBJECT_TAGS] = "--tag",
	},
	.indexed = false,
};

static int fault(struct pn_subject_fault *f, enum pn_subject_field field, enum pn_subject_rule rule,
		 const size_t *index, const char *value)
{
	*f = (struct pn_subject_fault){
		.field = field,
		.rule = rule,
		.index = index ? *index : 0,
		.indexed = index,
		.value = value,
	};
	return -EINVAL;
}

static int text_fault(struct pn_subject_fault *f, enum pn_subject_field field, const size_t *index,
		      const char *value, const struct pn_text_fault *t)
{
	fault(f, field, PN_SUBJECT_TEXT, index, value);
	f->text = *t;
	return -EINVAL;
}

static int check_path(char *p, size_t i, struct pn_subject_fault *f)
{
	struct pn_text_fault t;
	int n;

	if (!p || !*p)
		return fault(f, PN_SUBJECT_PATHS, PN_SUBJECT_EMPTY, &i, NULL);
	if (pn_text_check(p, &t))
		return text_fault(f, PN_SUBJECT_PATHS, &i, NULL, &t);
	if (p[0] != '/')
		return fault(f, PN_SUBJECT_PATHS, PN_SUBJECT_RELATIVE, &i, p);
	n = pn_path_normalize(p, p, strlen(p) + 1);
	/* A longer path can never come from the kernel: the rule could never match. */
	if (n < 0 || n >= PN_PATH_MAX)
		return fault(f, PN_SUBJECT_PATHS, PN_SUBJECT_TOO_LONG, &i, NULL);
	return 0;
}

int pn_subject_check(struct pn_subject *s, struct pn_subject_fault *f)
{
	struct pn_text_fault t;

	*f = (struct pn_subject_fault){ .rule = PN_SUBJECT_SOUND };
	if (!s->n_paths)
		return fault(f, PN_SUBJECT_PATHS, PN_SUBJECT_REQUIRED, NULL, NULL);
	for (size_t i = 0; i < s->n_paths; i++)
		if (check_path(s->paths[i], i, f))
			return -EINVAL;
	for (size_t i = 0; i < s->n_ignore; i++) {
		if (!s->ignore[i] || !s->ignore[i][0])
			return fault(f, PN_SUBJECT_IGNORE, PN_SUBJECT_EMPTY, &i, NULL);
		if (pn_text_check(s->ignore[i], &t))
			return text_fault(f, PN_SUBJECT_IGNORE, &i, NULL, &t);
		if (strchr(s->ignore[i], '/'))
			return fault(f, PN_SUBJECT_IGNORE, PN_SUBJECT_SLASH, &i, s->ignore[i]);
	}
	if (s->max_depth < 0) {
		fault(f, PN_SUBJECT_MAX_DEPTH, PN_SUBJECT_NEGATIVE, NULL, NULL);
		f->number = s->max_depth;
		return -EINVAL;
	}
	if (s->max_depth && !s->recursive) {
		fault(f, PN_SUBJECT_MAX_DEPTH, PN_SUBJECT_NEEDS, NULL, NULL);
		f->needs = PN_SUBJECT_RECURSIVE;
		return -EINVAL;
	}
	/* Sorted, equal keys are neighbours and an empty key comes first. */
	if (s->n_tags)
		qsort(s->tags, s->n_tags, sizeof(s->tags[0]), tag_cmp);
	for (size_t i = 0; i < s->n_tags; i++) {
		if (!s->tags[i].key[0])
			return fault(f, PN_SUBJECT_TAGS, PN_SUBJECT_EMPTY, NULL, NULL);
		if (pn_text_check(s->tags[i].key, &t))
			return text_fault(f, PN_SUBJECT_TAGS, NULL, NULL, &t);
		if (pn_text_check(s->tags[i].value, &t))
			return text_fault(f, PN_SUBJECT_TAGS, NULL, s->tags[i].key, &t);
		if (i && !strcmp(s->tags[i - 1].key, s->tags[i].key))
			return fault(f, PN_SUBJECT_TAGS, PN_SUBJECT_DUPLICATE, NULL,
				     s->tags[i].key);
	}
	return 0;
}

static int fault_what(const struct pn_subject_fault *f, const struct pn_subject_spelling *sp,
		      char *buf, size_t len)
{
	switch (f->rule) {
	case PN_SUBJECT_SOUND:
		return snprintf(buf, len, "nothing is wrong");
	case PN_SUBJECT_REQUIRED:
		return snprintf(buf, len, "at least one path is required");
	case PN_SUBJECT_EMPTY:
		if (f->field == PN_SUBJECT_PATHS)
			return snprintf(buf, len, "path must not be empty");
		if (f->field == PN_SUBJECT_TAGS)
			return snprintf(buf, len, "empty key");
		return snprintf(buf, len, "must not be empty");
	case PN_SUBJECT_RELATIVE:
		return snprintf(buf, len, "path must be absolute: \"%s\"", f->value);
	case PN_SUBJECT_TOO_LONG:
		return snprintf(buf, len, "path longer than %d bytes", PN_PATH_MAX - 1);
	case PN_SUBJECT_SLASH:
		return snprintf(buf, len, "must be a file or directory name without '/': \"%s\"",
				f->value);
	case PN_SUBJECT_NEGATIVE:
		return snprintf(buf, len, "must be >= 0, got %d", f->number);
	case PN_SUBJECT_NEEDS:
		return snprintf(buf, len, "only meaningful with %s", sp->name[f->needs]);
	case PN_SUBJECT_DUPLICATE:
		return snprintf(buf, len, "key \"%s\" given twice", f->value);
	case PN_SUBJECT_TEXT: {
		char what[64];

		pn_text_fault_what(&f->text, what, sizeof(what));
		if (f->field == PN_SUBJECT_TAGS)
			return f->value ? snprintf(buf, len, "value of key \"%s\": %s", f->value,
						   what) :
					  snprintf(buf, len, "a key: %s", what);
		return snprintf(buf, len, "%s", what);
	}
	}
	return snprintf(buf, len, "broken rule %d", (int)f->rule);
}

int pn_subject_fault_format(const struct pn_subject_fault *f, const struct pn_subject_spelling *sp,
			    const char *prefix, char *buf, size_t len)
{
	const char *dot = prefix && *prefix ? "." : "";
	int n, m;

	if (sp->indexed && f->indexed)
		n = snprintf(buf, len, "%s%s%s[%zu]: ", prefix ? prefix : "", dot,
			     sp->name[f->field], f->index);
	else
		n = snprintf(buf, len, "%s%s%s: ", prefix ? prefix : "", dot, sp->name[f->field]);
	if (n < 0 || (size_t)n >= len)
		return n;
	m = fault_what(f, sp, buf + n, len - (size_t)n);
	return m < 0 ? m : n + m;
}

int pn_subject_finish(struct pn_subject *s)
{
	size_t len = 1;
	char *text, *p;

	if (s->n_tags)
		qsort(s->tags, s->n_tags, sizeof(s->tags[0]), tag_cmp);
	for (size_t i = 0; i < s->n_tags; i++)
		len += strlen(s->tags[i].key) + 1 + strlen(s->tags[i].value) + 1;
	text = malloc(len);
	if (!text)
		return -ENOMEM;
	p = text;
	for (size_t i = 0; i < s->n_tags; i++) {
		size_t kl = strlen(s->tags[i].key), vl = strlen(s->tags[i].value);

		if (i)
			*p++ = ',';
		memcpy(p, s->tags[i].key, kl);
		p += kl;
		*p++ = '=';
		memcpy(p, s->tags[i].value, vl);
		p += vl;
	}
	*p = '\0';
	free(s->tags_text);
	s->tags_text = text;
	return 0;
}

void pn_subject_clear(struct pn_subject *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_paths; i++)
		free(s->paths[i]);
	free(s->paths);
	for (size_t i = 0; i < s->n_ignore; i++)
		free(s->ignore[i]);
	free(s->ignore);
	for (size_t i = 0; i < s->n_tags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].value);
	}
	free(s->tags);
	free(s->tags_text);
	memset(s, 0, sizeof(*s));
}

void pn_watch_free(struct pn_watch *w)
{
	if (!w)
		return;
	pn_selector_free(w->selector);
	for (size_t i = 0; i < w->n_subjects; i++)
		pn_subject_clear(&w->subjects[i]);
	free(w->subjects);
	free(w->name);
	free(w->key);
	free(w->origin);
	free(w->owner);
	free(w->pod);
	free(w->log_format);
	free(w);
}
