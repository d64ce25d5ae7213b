// SPDX-License-Identifier: GPL-2.0-only
/*
 * panoptesctl watch create|update|delete|list: the native Agent API's watch
 * calls, with panoptesd's standalone flags. The client checks what it must
 * to build the request (numbers are numbers, event names exist) and flags
 * that cannot go together (--max-depth without --recursive, a --tag key
 * given twice): those are usage errors, found by the very mapping and
 * subject check the agent runs (pn_api_subject_map). What a value means
 * (absolute path, live pid, valid format) is the agent's answer, so there
 * is one place that decides.
 */
#include "ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "json.h"

const char ctl_watch_usage[] =
	"Usage: panoptesctl watch create NAME TARGET... SUBJECT... [--format F] [--pod P]\n"
	"       panoptesctl watch update NAME TARGET... SUBJECT... [--format F] [--pod P]\n"
	"       panoptesctl watch delete NAME\n"
	"       panoptesctl watch list [--output text|json]\n"
	"\n"
	"create installs a new watch (ALREADY_EXISTS if NAME is taken). update replaces a\n"
	"watch as a whole, in place, with no moment without either (NOT_FOUND if absent):\n"
	"give it every flag again. create and update print the installed watch as list does.\n"
	"\n"
	"Targets (at least one; each repeatable):\n"
	"  --watch-pid PID          the cgroup of process PID\n"
	"  --watch-cgroup PATH      a cgroup v2 directory and its sub-cgroups; absolute or\n"
	"                           relative to the cgroup2 mount\n"
	"  --watch-container REF    containerd://ID, docker://ID, cri-o://ID, runc://ID or ID\n"
	"Selectors (by what the container runtime names; each given must hold; alone they\n"
	"pick from the node's pods):\n" CTL_SELECTOR_USAGE "\n"
	"Subject (one per command line; policy files and the API take more):\n"
	"  --path PATH              absolute path inside the target (repeatable)\n"
	"  --events LIST            comma-separated events (repeatable; default all): access\n"
	"                           attrib closewrite closenowrite close create delete\n"
	"                           deleteself modify moveself movedfrom movedto move open all,\n"
	"                           or the enum names (CLOSE_WRITE, ...)\n"
	"  --recursive              the whole tree below each path, including directories\n"
	"                           created later\n"
	"  --max-depth N            with --recursive: levels below a path (0 = unlimited)\n"
	"  --ignore NAME            skip entries with a path component NAME (repeatable)\n"
	"  --only-dir               skip paths that are not directories\n"
	"  --follow-move            when a watched path is renamed, follow it\n"
	"  --tag KEY=VALUE          tag this watch's events (repeatable)\n"
	"\n"
	"Watch:\n"
	"  --format FORMAT          log line format; specifiers {event} {ftype} {path} {file}\n"
	"                           {sep} {pod} {node} {tags} {pid} {comm} {uid} {cgroup}\n"
	"                           {container} {time} (default: panoptesd's)\n"
	"  --pod NAME               what {pod} prints\n"
	"  --output text|json       how to print the result (default text)\n"
	"\n"
	"The agent checks the values and names the field it rejects, e.g.\n"
	"\"panoptesctl: INVALID_ARGUMENT: watch.subjects[0].paths[0]: ...\" (exit 1).\n";

/* ------------------------------------------------------------ printing */

static const Panoptes__V1__Watch no_watch = PANOPTES__V1__WATCH__INIT;
static const Panoptes__V1__Targets no_targets = PANOPTES__V1__TARGETS__INIT;

static bool shell_safe(const char *s)
{
	if (!s[0])
		return false; /* '' */
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_-./:=,@+%",
			    *s))
			return false;
	return true;
}

/*
 * One shell word, so that a subject line can be pasted back into
 * `watch update`: bare when safe, '...' otherwise, $'...' with escapes when
 * it holds control bytes (a line of text output stays one line).
 */
static void put_word(const char *s)
{
	bool ctrl = false;

	if (shell_safe(s)) {
		fputs(s, stdout);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		ctrl |= *p < 0x20 || *p == 0x7f;
	if (!ctrl) {
		putchar('\'');
		for (; *s; s++) {
			if (*s == '\'')
				fputs("'\\''", stdout);
			else
				putchar(*s);
		}
		putchar('\'');
		return;
	}
	fputs("$'", stdout);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\'' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('\'');
}

static void put_flag(const char *flag, const char *val)
{
	printf(" %s", flag);
	if (val) {
		putchar(' ');
		put_word(val);
	}
}

static void put_event_types(const Panoptes__V1__EventType *types, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = pn_api_event_type_name(types[i]);

		if (i)
			putchar(',');
		if (name)
			fputs(name, stdout);
		else
			printf("%d", (int)types[i]);
	}
}

static void print_subject(const Panoptes__V1__Subject *s)
{
	char buf[32];

	printf("  %-9s", "subject");
	for (size_t i = 0; i < s->n_paths; i++)
		put_flag("--path", s->paths[i]);
	if (s->n_events) {
		fputs(" --events ", stdout);
		put_event_types(s->events, s->n_events);
	}
	if (s->recursive)
		put_flag("--recursive", NULL);
	if (s->max_depth) {
		snprintf(buf, sizeof(buf), "%d", (int)s->max_depth);
		put_flag("--max-depth", buf);
	}
	for (size_t i = 0; i < s->n_ignore; i++)
		put_flag("--ignore", s->ignore[i]);
	if (s->only_dir)
		put_flag("--only-dir", NULL);
	if (s->follow_move)
		put_flag("--follow-move", NULL);
	for (size_t i = 0; i < s->n_tags; i++) {
		/* adjacent quoted parts make one shell word: 'a b'=c */
		fputs(" --tag ", stdout);
		put_word(s->tags[i]->key);
		putchar('=');
		put_word(s->tags[i]->value);
	}
	putchar('\n');
}

static void print_info_text(const Panoptes__V1__WatchInfo *wi)
{
	const Panoptes__V1__Watch *w = wi->watch ? wi->watch : &no_watch;
	const Panoptes__V1__Targets *t = w->targets ? w->targets : &no_targets;
	char buf[32];

	fputs("watch ", stdout);
	ctl_put_escaped(stdout, w->name);
	printf("\n  %-9s ", "origin");
	ctl_put_escaped(stdout, wi->origin);
	putchar('\n');
	if (wi->owner[0]) {
		printf("  %-9s ", "owner");
		ctl_put_escaped(stdout, wi->owner);
		putchar('\n');
	}
	if (w->pod[0]) {
		printf("  %-9s ", "pod");
		ctl_put_escaped(stdout, w->pod);
		putchar('\n');
	}
	if (w->log_format[0]) {
		printf("  %-9s ", "format");
		ctl_put_escaped(stdout, w->log_format);
		putchar('\n');
	}
	printf("  %-9s", "targets");
	for (size_t i = 0; i < t->n_pids; i++) {
		snprintf(buf, sizeof(buf), "%d", (int)t->pids[i]);
		put_flag("--watch-pid", buf);
	}
	for (size_t i = 0; i < t->n_cgroups; i++)
		put_flag("--watch-cgroup", t->cgroups[i]);
	for (size_t i = 0; i < t->n_containers; i++)
		put_flag("--watch-container", t->containers[i]);
	ctl_selector_print(t, put_flag);
	putchar('\n');
	for (size_t i = 0; i < w->n_subjects; i++)
		print_subject(w->subjects[i]);
	for (size_t i = 0; i < wi->n_cgroups; i++) {
		const Panoptes__V1__CgroupBinding *c = wi->cgroups[i];

		printf("  %-9s %llu ", "cgroup", (unsigned long long)c->id);
		ctl_put_escaped(stdout, c->path);
		if (c->container[0]) {
			fputs(" container ", stdout);
			ctl_put_escaped(stdout, c->container);
		}
		putchar('\n');
	}
	printf("  %-9s", "reported");
	if (!wi->n_event_counts)
		fputs(" nothing yet", stdout);
	for (size_t i = 0; i < wi->n_event_counts; i++) {
		putchar(' ');
		ctl_put_escaped(stdout, wi->event_counts[i]->key);
		printf("=%llu", (unsigned long long)wi->event_counts[i]->value);
	}
	putchar('\n');
}

static void json_event_types(struct json *j, const char *key, const Panoptes__V1__EventType *types,
			     size_t n)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		const char *name = pn_api_event_type_name(types[i]);

		if (name)
			json_str(j, name);
		else
			json_i64(j, types[i]);
	}
	json_array_end(j);
}

static void json_subject(struct json *j, const Panoptes__V1__Subject *s)
{
	json_object_begin(j);
	json_kstrv(j, "paths", s->paths, s->n_paths);
	json_event_types(j, "events", s->events, s->n_events);
	json_kstrv(j, "ignore", s->ignore, s->n_ignore);
	json_kbool(j, "only_dir", s->only_dir);
	json_kbool(j, "recursive", s->recursive);
	json_ki64(j, "max_depth", s->max_depth);
	json_kbool(j, "follow_move", s->follow_move);
	json_key(j, "tags");
	json_object_begin(j);
	for (size_t i = 0; i < s->n_tags; i++)
		json_kstr(j, s->tags[i]->key, s->tags[i]->value);
	json_object_end(j);
	json_object_end(j);
}

static void json_info(struct json *j, const Panoptes__V1__WatchInfo *wi)
{
	const Panoptes__V1__Watch *w = wi->watch ? wi->watch : &no_watch;
	const Panoptes__V1__Targets *t = w->targets ? w->targets : &no_targets;

	json_object_begin(j);
	json_key(j, "watch");
	json_object_begin(j);
	json_kstr(j, "name", w->name);
	json_key(j, "targets");
	json_object_begin(j);
	json_key(j, "pids");
	json_array_begin(j);
	for (size_t i = 0; i < t->n_pids; i++)
		json_i64(j, t->pids[i]);
	json_array_end(j);
	json_kstrv(j, "cgroups", t->cgroups, t->n_cgroups);
	json_kstrv(j, "containers", t->containers, t->n_containers);
	ctl_selector_json(j, t);
	json_object_end(j);
	json_key(j, "subjects");
	json_array_begin(j);
	for (size_t i = 0; i < w->n_subjects; i++)
		json_subject(j, w->subjects[i]);
	json_array_end(j);
	json_kstr(j, "log_format", w->log_format);
	json_kstr(j, "pod", w->pod);
	json_object_end(j);
	json_kstr(j, "origin", wi->origin);
	json_kstr(j, "owner", wi->owner);
	json_key(j, "cgroups");
	json_array_begin(j);
	for (size_t i = 0; i < wi->n_cgroups; i++) {
		json_object_begin(j);
		json_ku64(j, "id", wi->cgroups[i]->id);
		json_kstr(j, "path", wi->cgroups[i]->path);
		json_kstr(j, "container", wi->cgroups[i]->container);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "event_counts");
	json_object_begin(j);
	for (size_t i = 0; i < wi->n_event_counts; i++)
		json_ku64(j, wi->event_counts[i]->key, wi->event_counts[i]->value);
	json_object_end(j);
	json_object_end(j);
}

static void print_infos(Panoptes__V1__WatchInfo *const *infos, size_t n, enum ctl_output output,
			bool as_list)
{
	struct json j;

	if (output == CTL_OUTPUT_TEXT) {
		for (size_t i = 0; i < n; i++) {
			if (i)
				putchar('\n');
			print_info_text(infos[i]);
		}
		return;
	}
	json_init(&j, stdout);
	if (as_list) {
		json_object_begin(&j);
		json_key(&j, "watches");
		json_array_begin(&j);
	}
	for (size_t i = 0; i < n; i++)
		json_info(&j, infos[i]);
	if (as_list) {
		json_array_end(&j);
		json_object_end(&j);
	}
	json_end(&j);
}

/* ------------------------------------------------------------ create, update */

enum {
	OPT_WATCH_PID = 1,
	OPT_WATCH_CGROUP,
	OPT_WATCH_CONTAINER,
	OPT_PATH,
	OPT_EVENTS,
	OPT_RECURSIVE,
	OPT_MAX_DEPTH,
	OPT_IGNORE,
	OPT_ONLY_DIR,
	OPT_FOLLOW_MOVE,
	OPT_TAG,
	OPT_FORMAT,
	OPT_POD,
	OPT_OUTPUT,
};

static const struct ctl_opt spec_opts[] = {
	{ "watch-pid", OPT_WATCH_PID, true },
	{ "watch-cgroup", OPT_WATCH_CGROUP, true },
	{ "watch-container", OPT_WATCH_CONTAINER, true },
	CTL_SELECTOR_OPTS,
	{ "path", OPT_PATH, true },
	{ "events", OPT_EVENTS, true },
	{ "recursive", OPT_RECURSIVE, false },
	{ "max-depth", OPT_MAX_DEPTH, true },
	{ "ignore", OPT_IGNORE, true },
	{ "only-dir", OPT_ONLY_DIR, false },
	{ "follow-move", OPT_FOLLOW_MOVE, false },
	{ "tag", OPT_TAG, true },
	{ "format", OPT_FORMAT, true },
	{ "pod", OPT_POD, true },
	{ "output", OPT_OUTPUT, true },
	{ NULL, 0, false },
};

/* A watch built from the command line. Strings point into argv; arrays are ours. */
struct watch_spec {
	Panoptes__V1__Watch watch;
	Panoptes__V1__Targets targets;
	Panoptes__V1__Subject subject;
	Panoptes__V1__Subject *subjects[1];
	struct ctl_selector selector;
	bool have_name;
	bool any_subject_flag;
	enum ctl_output output;
};

static void spec_init(struct watch_spec *w)
{
	memset(w, 0, sizeof(*w));
	w->watch = (Panoptes__V1__Watch)PANOPTES__V1__WATCH__INIT;
	w->targets = (Panoptes__V1__Targets)PANOPTES__V1__TARGETS__INIT;
	w->subject = (Panoptes__V1__Subject)PANOPTES__V1__SUBJECT__INIT;
	w->watch.targets = &w->targets;
	w->output = CTL_OUTPUT_TEXT;
}

static void spec_clear(struct watch_spec *w)
{
	free(w->targets.pids);
	free(w->targets.cgroups);
	free(w->targets.containers);
	ctl_selector_clear(&w->selector, &w->targets);
	free(w->subject.paths);
	free(w->subject.events);
	free(w->subject.ignore);
	for (size_t i = 0; i < w->subject.n_tags; i++) {
		free(w->subject.tags[i]->key);
		free(w->subject.tags[i]);
	}
	free(w->subject.tags);
}

static int add_tag(const struct ctl_args *a, Panoptes__V1__Subject *s, char *kv)
{
	Panoptes__V1__Subject__TagsEntry *e;
	char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return ctl_usage_err("%s: \"%s\" is not KEY=VALUE", a->flag, kv);
	e = malloc(sizeof(*e));
	if (!e)
		return ctl_nomem();
	*e = (Panoptes__V1__Subject__TagsEntry)PANOPTES__V1__SUBJECT__TAGS_ENTRY__INIT;
	e->key = strndup(kv, eq - kv);
	e->value = eq + 1;
	if (!e->key || ctl_push(s->tags, s->n_tags, e)) {
		free(e->key);
		free(e);
		return ctl_nomem();
	}
	return 0;
}

static int spec_flag(struct ctl_args *a, struct watch_spec *w, int id, char *val)
{
	Panoptes__V1__Subject *s = &w->subject;
	long long v;
	int err;

	if (id >= OPT_PATH && id <= OPT_TAG)
		w->any_subject_flag = true;
	switch (id) {
	case OPT_WATCH_PID:
		/* pids are int32 on the wire; whether one is alive is the agent's to say */
		err = ctl_parse_long(a, val, INT32_MIN, INT32_MAX, &v);
		if (!err && ctl_push(w->targets.pids, w->targets.n_pids, (int32_t)v))
			err = ctl_nomem();
		return err;
	case OPT_WATCH_CGROUP:
		err = ctl_push(w->targets.cgroups, w->targets.n_cgroups, val);
		return err ? ctl_nomem() : 0;
	case OPT_WATCH_CONTAINER:
		err = ctl_push(w->targets.containers, w->targets.n_containers, val);
		return err ? ctl_nomem() : 0;
	case CTL_OPT_NAMESPACE:
	case CTL_OPT_CONTAINER_NAME:
	case CTL_OPT_IMAGE:
	case CTL_OPT_SELECTOR:
		return ctl_selector_flag(a, &w->selector, &w->targets, id, val);
	case OPT_PATH:
		err = ctl_push(s->paths, s->n_paths, val);
		return err ? ctl_nomem() : 0;
	case OPT_EVENTS:
		return ctl_parse_events(a, val, &s->events, &s->n_events);
	case OPT_RECURSIVE:
		s->recursive = true;
		return 0;
	case OPT_MAX_DEPTH:
		err = ctl_parse_long(a, val, INT32_MIN, INT32_MAX, &v);
		if (!err)
			s->max_depth = (int32_t)v;
		return err;
	case OPT_IGNORE:
		err = ctl_push(s->ignore, s->n_ignore, val);
		return err ? ctl_nomem() : 0;
	case OPT_ONLY_DIR:
		s->only_dir = true;
		return 0;
	case OPT_FOLLOW_MOVE:
		s->follow_move = true;
		return 0;
	case OPT_TAG:
		return add_tag(a, s, val);
	case OPT_FORMAT:
		w->watch.log_format = val;
		return 0;
	case OPT_POD:
		w->watch.pod = val;
		return 0;
	case OPT_OUTPUT:
		return ctl_parse_output(a, val, &w->output);
	}
	return ctl_args_stop(a, id, val);
}

/*
 * Flags that cannot go together are refused here, naming the flag; any other
 * broken rule is left for the agent to name (the same check, its field path).
 */
static int check_flags(const Panoptes__V1__Subject *m)
{
	struct pn_subject s = { 0 };
	struct pn_subject_fault f;
	char msg[PN_PATH_MAX + 128];
	int err = 0;

	if (pn_api_subject_map(m, "watch.subjects[0]", &s, &f, msg, sizeof(msg)) == -ENOMEM) {
		err = ctl_nomem();
	} else if (f.rule == PN_SUBJECT_NEEDS || f.rule == PN_SUBJECT_DUPLICATE) {
		pn_subject_fault_format(&f, &pn_subject_flags, NULL, msg, sizeof(msg));
		err = ctl_usage_err("%s", msg);
	}
	pn_subject_clear(&s);
	return err;
}

static int spec_parse(struct ctl_args *a, struct watch_spec *w)
{
	const char *val;
	int id, err;

	a->opts = spec_opts;
	while ((id = ctl_next(a, &val)) != CTL_END) {
		if (id == CTL_POSITIONAL && !w->have_name) {
			w->watch.name = (char *)val;
			w->have_name = true;
			continue;
		}
		if (id == CTL_POSITIONAL)
			return ctl_args_stop(a, id, val);
		err = spec_flag(a, w, id, (char *)val);
		if (err)
			return err;
	}
	if (!w->have_name)
		return ctl_usage_err("missing NAME (see %s --help)", a->cmd);
	err = ctl_selector_finish(&w->selector, &w->targets);
	if (err)
		return err;
	if (w->any_subject_flag) {
		/* panoptesd's standalone default: every event */
		if (!w->subject.n_events && ctl_push(w->subject.events, w->subject.n_events,
						     PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ALL))
			return ctl_nomem();
		w->subjects[0] = &w->subject;
		w->watch.subjects = w->subjects;
		w->watch.n_subjects = 1;
		return check_flags(&w->subject);
	}
	return 0;
}

static int create_or_update(struct ctl_args *a, bool update)
{
	Panoptes__V1__CreateWatchRequest create = PANOPTES__V1__CREATE_WATCH_REQUEST__INIT;
	Panoptes__V1__UpdateWatchRequest upd = PANOPTES__V1__UPDATE_WATCH_REQUEST__INIT;
	Panoptes__V1__WatchInfo *info;
	struct watch_spec w;
	ProtobufCMessage *m;
	int err;

	spec_init(&w);
	err = spec_parse(a, &w);
	if (err)
		goto out;
	create.watch = &w.watch;
	upd.watch = &w.watch;
	if (update)
		err = ctl_unary(a->ctl, "/panoptes.v1.Agent/UpdateWatch", &upd.base,
				&panoptes__v1__watch_info__descriptor, &m);
	else
		err = ctl_unary(a->ctl, "/panoptes.v1.Agent/CreateWatch", &create.base,
				&panoptes__v1__watch_info__descriptor, &m);
	if (err)
		goto out;
	info = (Panoptes__V1__WatchInfo *)m;
	print_infos(&info, 1, w.output, false);
	protobuf_c_message_free_unpacked(m, NULL);
out:
	spec_clear(&w);
	return err;
}

static int cmd_create(struct ctl_args *a)
{
	return create_or_update(a, false);
}

static int cmd_update(struct ctl_args *a)
{
	return create_or_update(a, true);
}

/* ------------------------------------------------------------ delete, list */

static int cmd_delete(struct ctl_args *a)
{
	Panoptes__V1__DeleteWatchRequest req = PANOPTES__V1__DELETE_WATCH_REQUEST__INIT;
	ProtobufCMessage *m;
	const char *name;
	int err = ctl_name_only(a, &name);

	if (err)
		return err;
	req.name = (char *)name;
	err = ctl_unary(a->ctl, "/panoptes.v1.Agent/DeleteWatch", &req.base,
			&panoptes__v1__delete_watch_response__descriptor, &m);
	if (err)
		return err;
	protobuf_c_message_free_unpacked(m, NULL);
	return CTL_EXIT_OK;
}

/* Every page of ListWatches (each under the 4 MiB a default client accepts), printed as one list. */
static int cmd_list(struct ctl_args *a)
{
	Panoptes__V1__ListWatchesRequest req = PANOPTES__V1__LIST_WATCHES_REQUEST__INIT;
	enum ctl_output output = CTL_OUTPUT_TEXT;
	Panoptes__V1__WatchInfo **infos = NULL;
	ProtobufCMessage **pages = NULL;
	size_t n_pages = 0, n = 0;
	int err;

	err = ctl_output_flag_only(a, &output);
	if (err)
		return err;
	for (;;) {
		Panoptes__V1__ListWatchesResponse *resp;
		ProtobufCMessage *m, **np;
		Panoptes__V1__WatchInfo **ni;

		err = ctl_unary(a->ctl, "/panoptes.v1.Agent/ListWatches", &req.base,
				&panoptes__v1__list_watches_response__descriptor, &m);
		if (err)
			goto out;
		resp = (Panoptes__V1__ListWatchesResponse *)m;
		np = realloc(pages, (n_pages + 1) * sizeof(*np));
		ni = np ? realloc(infos, (n + resp->n_watches + 1) * sizeof(*ni)) : NULL;
		if (np)
			pages = np;
		if (!ni) {
			protobuf_c_message_free_unpacked(m, NULL);
			err = ctl_nomem();
			goto out;
		}
		infos = ni;
		pages[n_pages++] = m;
		if (resp->n_watches)
			memcpy(infos + n, resp->watches, resp->n_watches * sizeof(*infos));
		n += resp->n_watches;
		if (!resp->next_page_token[0])
			break;
		/* a page that does not move on would be asked for forever */
		if (!resp->n_watches ||
		    (req.page_token[0] && strcmp(resp->next_page_token, req.page_token) <= 0)) {
			ctl_err("ListWatches: page token \"%s\" does not advance",
				resp->next_page_token);
			err = CTL_EXIT_FAILED;
			goto out;
		}
		req.page_token = resp->next_page_token;
	}
	print_infos(infos, n, output, true);
out:
	for (size_t i = 0; i < n_pages; i++)
		protobuf_c_message_free_unpacked(pages[i], NULL);
	free(pages);
	free(infos);
	return err;
}

static const struct ctl_cmd watch_cmds[] = {
	{ "create", cmd_create, "panoptesctl watch create", ctl_watch_usage },
	{ "update", cmd_update, "panoptesctl watch update", ctl_watch_usage },
	{ "delete", cmd_delete, "panoptesctl watch delete", ctl_watch_usage },
	{ "list", cmd_list, "panoptesctl watch list", ctl_watch_usage },
	{ NULL, NULL, NULL, NULL },
};

int ctl_cmd_watch(struct ctl_args *a)
{
	return ctl_dispatch(a, watch_cmds);
}
