// SPDX-License-Identifier: GPL-2.0-only
#include "consumer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "lookups.h"
#include "names.h"
#include "pathutil.h"
#include "rules.h"

void pn_consumer_sync_clock(struct pn_consumer *c)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	c->realtime_offset_ns =
		(rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

void pn_consumer_init(struct pn_consumer *c, struct pn_registry *r, enum pn_output output,
		      const char *node, FILE *out)
{
	memset(c, 0, sizeof(*c));
	c->registry = r;
	c->output = output;
	c->node = node;
	c->proc_root = "/proc";
	c->out = out;
	pn_consumer_sync_clock(c);
	pn_lookups_init(&c->lookups, PN_LOOKUPS_TIMEOUT_MS);
}

void pn_consumer_clear(struct pn_consumer *c)
{
	if (c)
		pn_lookups_stop(&c->lookups);
}

/*
 * A counter with one writer: a relaxed load and store are enough for the
 * readers on other threads, and cheaper than a locked increment per record.
 */
static inline void count(_Atomic uint64_t *v)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static size_t format_event(const struct pn_consumer *c, char *buf, size_t len,
			   const struct pn_event *ev, const struct pn_match *m,
			   const struct pn_format_ctx *fctx)
{
	if (c->output == PN_OUTPUT_JSON)
		return pn_format_json(buf, len, ev, m, fctx);
	return pn_format_line(buf, len, m->watch->log_format, ev, m, fctx);
}

int pn_consumer_on_cgroup_note(void *ctx, const struct pn_cgroup_note *n, size_t size)
{
	struct pn_consumer *c = ctx;
	struct pn_cgroup_identity id;
	const char *path;

	if (size < sizeof(*n) || (n->op != PN_CGROUP_MADE && n->op != PN_CGROUP_REMOVED) ||
	    !n->path_len || n->path_len > PN_CGROUP_PATH_MAX || n->path[n->path_len - 1]) {
		count(&c->malformed);
		return 0;
	}
	/* a path that filled the buffer may be cut: its last name would read as another id */
	path = n->path_len < PN_CGROUP_PATH_MAX ? n->path : NULL;
	if (n->op == PN_CGROUP_MADE) {
		if (!pn_identity_made(c->ids, n->cgroup_id, path, &id))
			return 0;
	} else {
		pn_identity_removed(c->ids, n->cgroup_id, n->ts_ns);
		pn_registry_forget(c->registry, n->cgroup_id);
		if (!path)
			return 0;
		pn_cgroup_path_identity(path, &id);
	}
	if (id.container_id[0] && c->on_container)
		c->on_container(c->on_container_arg, id.container_id, n->op == PN_CGROUP_MADE);
	return 0;
}

bool pn_consumer_admit(void *arg, const struct pn_event *ev, const struct pn_watch *w)
{
	struct pn_consumer *c = arg;
	const struct pn_identity *id = c->ids ? pn_identity_of(c->ids, ev->cgroup_id) : NULL;
	const struct pn_workload *wl = id ? &id->workload : NULL;

	if (!wl || (!wl->namespace && !wl->container && !wl->image)) {
		count(&c->unnamed);
		return false;
	}
	return pn_selector_match(w->selector, wl->namespace, wl->container, wl->image, &wl->labels);
}

enum pn_reg_verdict pn_consumer_decide(void *arg, uint64_t cgroup_id, const struct pn_watch *w)
{
	struct pn_consumer *c = arg;
	const struct pn_identity *id = pn_identity_named(c->ids, cgroup_id);
	const struct pn_workload *wl = id ? &id->workload : NULL;

	if (!wl)
		return PN_REG_UNDECIDED;
	return pn_selector_match(w->selector, wl->namespace, wl->container, wl->image,
				 &wl->labels) ?
		       PN_REG_ADMITTED :
		       PN_REG_REFUSED;
}

static void emit(const struct pn_event *ev, const struct pn_match *m, const char *container,
		 void *arg)
{
	struct pn_consumer *c = arg;
	/* asked only for events that are written: an unwatched path costs nothing here */
	const struct pn_identity *id = c->ids ? pn_identity_of(c->ids, ev->cgroup_id) : NULL;
	struct pn_format_ctx fctx = {
		.node = c->node,
		.container = container,
		.container_id = id ? id->path.container_id : NULL,
		.pod_uid = id ? id->path.pod_uid : NULL,
		.pod = id ? id->workload.pod : NULL,
		.namespace = id ? id->workload.namespace : NULL,
		.container_name = id ? id->workload.container : NULL,
		.image = id ? id->workload.image : NULL,
		.image_id = id ? id->workload.image_id : NULL,
		.labels = id ? &id->workload.labels : NULL,
		.annotations = id ? &id->workload.annotations : NULL,
		.with_labels = c->with_labels,
		.with_annotations = c->with_annotations,
		.identity_incomplete = id && id->incomplete,
		.realtime_offset_ns = c->realtime_offset_ns,
	};
	/* holds every line of ordinary paths: the heap is only for escaped long ones */
	char stack[PN_LINE_STACK], *line = stack;
	size_t n;

	n = format_event(c, stack, sizeof(stack), ev, m, &fctx);
	if (n >= sizeof(stack)) {
		/*
		 * A line has no length limit (JSON escapes a byte to up to 6 and
		 * carries the path twice): the formatter said how long it is, so
		 * format it again whole. Without the memory it is counted, never
		 * lost silently: matched = written + dropped.
		 */
		line = malloc(n + 1);
		if (!line || format_event(c, line, n + 1, ev, m, &fctx) != n) {
			free(line);
			count(&c->dropped);
			return;
		}
	}
	fwrite(line, 1, n, c->out);
	if (fctx.identity_incomplete)
		count(&c->incomplete);
	if (line != stack)
		free(line);
	count(&c->matched);
	if (c->on_match)
		c->on_match(c->on_match_arg, ev, m, &fctx);
}

/*
 * What the kernel could not see of a name it got as text: file or
 * directory (a rename or chmod by name), and, for a change (chmod,
 * truncate... by name), whether the file has other hard links (record.bpf.h
 * flags the same for a change through a descriptor). Asked of the
 * filesystem as the process sees it, inside its root (names.h: no symlink
 * of a container reaches the agent's own files), by lookups.h. The object
 * may be gone already; then it stays a file with one link.
 *
 * The event's own: a type the kernel told is kept, links matter for a change only.
 */
static void set_inode_flags(struct pn_event *ev, int flags)
{
	if (!(ev->flags & PN_REC_TYPE_UNKNOWN))
		flags &= ~PN_REC_ISDIR;
	if (!(ev->ops & (PN_ATTRIB | PN_MODIFY)))
		flags &= ~PN_REC_MULTILINK;
	ev->flags |= (uint32_t)flags;
}

/* Whether a by-name record needs the inode looked up: its type or its links are unknown. */
static bool inode_unknown(const struct pn_event *ev, bool walked)
{
	return (ev->flags & PN_REC_TYPE_UNKNOWN) ||
	       (!walked && !(ev->flags & PN_REC_ISDIR) && (ev->ops & (PN_ATTRIB | PN_MODIFY)));
}

static bool copy_name(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= PN_PATH_MAX)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * The lookups one record needs, on the worker (lookups.h); NULL when they
 * were not answered (timed out, skipped): then nothing is known of them.
 */
static const struct pn_lookup_res *look_up(struct pn_consumer *c, const struct pn_event *ev,
					   const struct pn_record *rec, const char *text,
					   const char *old_text, bool inode)
{
	struct pn_lookup *job = pn_lookups_begin(&c->lookups);
	struct pn_lookup_req *q;

	if (!job)
		return NULL;
	q = &job->req;
	q->proc_root = c->proc_root;
	q->registry = c->registry;
	q->tgid = (int)ev->tgid;
	q->cgroup_id = ev->cgroup_id;
	q->watch_cgroup_id = ev->watch_cgroup_id;
	q->root_id = rec->root_id;
	/* the call's wall-clock time, clamped as {time} is (any ts_ns a record holds) */
	q->links_since_ns =
		pn_format_realtime_ns(rec->ts_ns, c->realtime_offset_ns) - PN_NAMES_CTIME_SLACK_NS;
	q->follow = rec->flags2 & PN_REC2_FOLLOWS;
	/* each fits: the record's own names are at most PN_PATH_MAX with their NUL */
	q->name = text && copy_name(q->text, text);
	q->old = old_text && copy_name(q->old_text, old_text);
	q->inode = inode && copy_name(q->inode_path, ev->path);
	return pn_lookups_wait(&c->lookups) ? NULL : &job->res;
}

/*
 * *out: the record's path, used in place when the kernel walked it from
 * dentries (no "." or ".." or "//" can be in it; normalizing cost 8 to 11% of
 * the consumer, docs/performance.md), else normalized into dst: names a
 * process passed as text, joined to its cwd or dirfd.
 */
static bool take_path(const char *src, uint16_t len, bool walked, bool truncated, char *dst,
		      const char **out)
{
	if (len == 0 || src[len - 1] != '\0')
		return false;
	/*
	 * A name appended to a directory whose path already filled the buffer
	 * keeps its last bytes, which may start inside a name: the path starts
	 * at the first whole one, as a walked path always does.
	 */
	if (truncated && src[0] != '/') {
		const char *slash = memchr(src, '/', len);

		if (!slash)
			return false;
		len -= (uint16_t)(slash - src);
		src = slash;
	}
	/* the kernel always anchors names; anything else is counted as malformed */
	if (walked && len <= PN_PATH_MAX) {
		*out = src;
		return src[0] == '/';
	}
	*out = dst;
	return pn_path_normalize(src, dst, PN_PATH_MAX) >= 0;
}

int pn_consumer_on_record(void *ctx, const struct pn_record *rec, size_t size)
{
	struct pn_consumer *c = ctx;
	const char *data = (const char *)(rec + 1);
	char path_buf[PN_PATH_MAX], old_path_buf[PN_PATH_MAX];
	const char *path, *old_path = NULL, *name, *old_name = NULL;
	bool walked = !(rec->flags & PN_REC_NAME_UNRESOLVED), need_inode;
	struct pn_event ev;

	count(&c->records);
	/* a record flagged NAMED without the name it promises is as malformed as a cut one */
	if (sizeof(*rec) + (size_t)rec->path_len + rec->old_path_len > size ||
	    ((rec->flags & PN_REC_NAMED) && !rec->old_path_len) ||
	    !take_path(data, rec->path_len, walked, rec->flags & PN_REC_TRUNCATED, path_buf,
		       &path) ||
	    (rec->old_path_len &&
	     !take_path(data + rec->path_len, rec->old_path_len,
			walked && !(rec->flags & PN_REC_NAMED), rec->flags & PN_REC_OLD_TRUNCATED,
			old_path_buf, &old_path))) {
		count(&c->malformed);
		return 0;
	}

	ev = (struct pn_event){
		.ts_ns = rec->ts_ns,
		.cgroup_id = rec->cgroup_id,
		.watch_cgroup_id = rec->watch_cgroup_id,
		.result = rec->result,
		.pid = rec->pid,
		.tgid = rec->tgid,
		.uid = rec->uid,
		.gid = rec->gid,
		.ops = rec->ops,
		.cookie = rec->cookie,
		.flags = rec->flags,
		.syscall_nr = rec->syscall_nr,
		.path = path,
		.old_path = old_path,
	};
	memcpy(ev.comm, rec->comm, sizeof(ev.comm));
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	if (ev.flags & PN_REC_NAMED) {
		/* the second path is the name used for an open, worth showing only where it differs */
		ev.old_path = NULL;
		if (strcmp(old_path, path))
			ev.named_path = old_path;
	}
	/*
	 * Text may hold symlinks and "..": resolved as the kernel did, or else
	 * matched by its text and flagged (rules.h). A truncated one is
	 * incomplete text: the truncated rule covers it.
	 */
	name = !walked && !(rec->flags & PN_REC_TRUNCATED) ? data : NULL;
	if (!walked && ev.old_path && !(rec->flags & (PN_REC_NAMED | PN_REC_OLD_TRUNCATED)))
		old_name = data + rec->path_len;
	need_inode = inode_unknown(&ev, walked);
	if (name || old_name || need_inode) {
		const struct pn_lookup_res *res = look_up(c, &ev, rec, name, old_name, need_inode);
		/*
		 * Not answered, no root to ask, or a symlink on the way changed
		 * since the call: it may have led anywhere, so every subject.
		 */
		bool anywhere = !res || res->e == -ESRCH || res->e == -ESTALE;

		if (name && res && !res->e)
			ev.path = res->real;
		else if (name)
			ev.flags |= PN_EV_UNRESOLVED | (anywhere ? PN_EV_ANYWHERE : 0);
		if (old_name && res && !res->old_e)
			ev.old_path = res->real_old;
		else if (old_name)
			ev.flags |= PN_EV_OLD_UNRESOLVED;
		if (need_inode && res)
			set_inode_flags(&ev, res->inode_flags);
	}

	pn_registry_dispatch(c->registry, &ev, emit, c);
	return 0;
}
