// SPDX-License-Identifier: GPL-2.0-only
/*
 * panoptesctl guard create|delete|list: the native Agent API's guard calls
 * (docs/guard.md). As with watches, the client builds the request and the
 * agent decides what the values mean (absolute paths, live targets), naming
 * the field it refuses.
 */
#include "ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

const char ctl_guard_usage[] =
	"Usage: panoptesctl guard create NAME TARGET... SUBJECT... [--format F] [--pod P]\n"
	"       panoptesctl guard delete NAME\n"
	"       panoptesctl guard list [--output text|json]\n"
	"\n"
	"create installs a guard, or replaces the guard of that name in place (a path\n"
	"denied by both is never open in between), and prints it as list does. Guards are\n"
	"taken over the local socket or mutual TLS only. list shows janus.Janusd's guards\n"
	"too (named janus/NODE/POD; janus-controller removes those).\n"
	"\n"
	"Targets (at least one; each repeatable):\n"
	"  --watch-pid PID          the cgroup of process PID\n"
	"  --watch-cgroup PATH      a cgroup v2 directory and its sub-cgroups\n"
	"  --watch-container REF    containerd://ID, docker://ID, cri-o://ID, runc://ID or ID\n"
	"Selectors (by what the container runtime names; each given must hold): the guard\n"
	"takes the running containers they admit, and each one that starts later:\n" CTL_SELECTOR_USAGE
	"\n"
	"Subject (one per command line; the API takes more):\n"
	"  --deny PATH              opening (reading) PATH fails with EPERM, logged\n"
	"                           (repeatable); a directory covers its direct children\n"
	"  --allow PATH             opening PATH is permitted and logged (repeatable)\n"
	"  --operations LIST        open, read or open,read (default both)\n"
	"  --only-dir               guard directories only\n"
	"  --auto-allow-owner       the container's init and its direct children pass a deny\n"
	"  --audit                  also to the kernel's audit log where it can be\n"
	"  --recursive              a directory covers its whole subtree (default: itself\n"
	"                           and its direct children)\n"
	"  --tag KEY=VALUE          {tags} of this guard's lines (repeatable)\n"
	"\n"
	"Guard:\n"
	"  --format FORMAT          log line format (default janus': \"<{response}> {event}\n"
	"                           {ftype} '{path}' ({pod}:{node}) {tags}\")\n"
	"  --pod NAME               what {pod} prints\n"
	"  --output text|json       how to print the result (default text)\n";

enum {
	OPT_PID = 1,
	OPT_CGROUP,
	OPT_CONTAINER,
	OPT_DENY,
	OPT_ALLOW,
	OPT_OPERATIONS,
	OPT_ONLY_DIR,
	OPT_AUTO_ALLOW_OWNER,
	OPT_AUDIT,
	OPT_RECURSIVE,
	OPT_TAG,
	OPT_FORMAT,
	OPT_POD,
	OPT_OUTPUT,
};

static const struct ctl_opt create_opts[] = {
	{ "watch-pid", OPT_PID, true },
	{ "watch-cgroup", OPT_CGROUP, true },
	{ "watch-container", OPT_CONTAINER, true },
	CTL_SELECTOR_OPTS,
	{ "deny", OPT_DENY, true },
	{ "allow", OPT_ALLOW, true },
	{ "operations", OPT_OPERATIONS, true },
	{ "only-dir", OPT_ONLY_DIR, false },
	{ "auto-allow-owner", OPT_AUTO_ALLOW_OWNER, false },
	{ "audit", OPT_AUDIT, false },
	{ "recursive", OPT_RECURSIVE, false },
	{ "tag", OPT_TAG, true },
	{ "format", OPT_FORMAT, true },
	{ "pod", OPT_POD, true },
	{ "output", OPT_OUTPUT, true },
	{ NULL, 0, false },
};

/* ------------------------------------------------------------ printing */

static const char *op_name(Panoptes__V1__GuardOperation op)
{
	return op == PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_OPEN ? "open" :
	       op == PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_READ ? "read" :
									   "?";
}

static void put_list(const char *what, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf(" %s ", what);
		ctl_put_escaped(stdout, v[i]);
	}
}

static void put_flag(const char *flag, const char *val)
{
	put_list(flag, (char *const *)&val, 1);
}

/* One line: the guard as the flags that would make it, then where it came from. */
static void print_text(const Panoptes__V1__GuardInfo *gi)
{
	const Panoptes__V1__Guard *g = gi->guard;
	const Panoptes__V1__Targets *t = g ? g->targets : NULL;

	if (!g)
		return;
	ctl_put_escaped(stdout, g->name);
	for (size_t i = 0; t && i < t->n_pids; i++)
		printf(" --watch-pid %d", t->pids[i]);
	if (t) {
		put_list("--watch-cgroup", t->cgroups, t->n_cgroups);
		put_list("--watch-container", t->containers, t->n_containers);
		ctl_selector_print(t, put_flag);
	}
	for (size_t i = 0; i < g->n_subjects; i++) {
		const Panoptes__V1__GuardSubject *s = g->subjects[i];

		put_list("--deny", s->deny, s->n_deny);
		put_list("--allow", s->allow, s->n_allow);
		printf(" --operations ");
		for (size_t j = 0; j < s->n_operations; j++)
			printf("%s%s", j ? "," : "", op_name(s->operations[j]));
		if (s->only_dir)
			printf(" --only-dir");
		if (s->auto_allow_owner)
			printf(" --auto-allow-owner");
		if (s->audit)
			printf(" --audit");
		if (s->recursive)
			printf(" --recursive");
		for (size_t j = 0; j < s->n_tags; j++) {
			printf(" --tag ");
			ctl_put_escaped(stdout, s->tags[j]->key);
			putchar('=');
			ctl_put_escaped(stdout, s->tags[j]->value);
		}
	}
	if (g->pod[0]) {
		printf(" --pod ");
		ctl_put_escaped(stdout, g->pod);
	}
	printf("  (origin %s, pids", gi->origin);
	for (size_t i = 0; i < gi->n_pids; i++)
		printf(" %d", gi->pids[i]);
	printf(")\n");
}

static void print_json(const Panoptes__V1__GuardInfo *gi)
{
	const Panoptes__V1__Guard *g = gi->guard;
	const Panoptes__V1__Targets *t = g ? g->targets : NULL;
	struct json j;

	if (!g)
		return;
	json_init(&j, stdout);
	json_object_begin(&j);
	json_kstr(&j, "name", g->name);
	json_kstr(&j, "origin", gi->origin);
	json_kstr(&j, "pod", g->pod);
	json_kstr(&j, "log_format", g->log_format);
	json_key(&j, "targets");
	json_object_begin(&j);
	json_key(&j, "pids");
	json_array_begin(&j);
	for (size_t i = 0; t && i < t->n_pids; i++)
		json_i64(&j, t->pids[i]);
	json_array_end(&j);
	json_kstrv(&j, "cgroups", t ? t->cgroups : NULL, t ? t->n_cgroups : 0);
	json_kstrv(&j, "containers", t ? t->containers : NULL, t ? t->n_containers : 0);
	if (t)
		ctl_selector_json(&j, t);
	json_object_end(&j);
	json_key(&j, "subjects");
	json_array_begin(&j);
	for (size_t i = 0; i < g->n_subjects; i++) {
		const Panoptes__V1__GuardSubject *s = g->subjects[i];

		json_object_begin(&j);
		json_kstrv(&j, "deny", s->deny, s->n_deny);
		json_kstrv(&j, "allow", s->allow, s->n_allow);
		json_key(&j, "operations");
		json_array_begin(&j);
		for (size_t k = 0; k < s->n_operations; k++)
			json_str(&j, op_name(s->operations[k]));
		json_array_end(&j);
		json_kbool(&j, "only_dir", s->only_dir);
		json_kbool(&j, "auto_allow_owner", s->auto_allow_owner);
		json_kbool(&j, "audit", s->audit);
		json_kbool(&j, "recursive", s->recursive);
		json_key(&j, "tags");
		json_object_begin(&j);
		for (size_t k = 0; k < s->n_tags; k++)
			json_kstr(&j, s->tags[k]->key, s->tags[k]->value);
		json_object_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "pids");
	json_array_begin(&j);
	for (size_t i = 0; i < gi->n_pids; i++)
		json_i64(&j, gi->pids[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_end(&j);
}

static void print_info(const Panoptes__V1__GuardInfo *gi, enum ctl_output output)
{
	if (output == CTL_OUTPUT_JSON)
		print_json(gi);
	else
		print_text(gi);
}

/* ------------------------------------------------------------ create */

struct guard_req {
	Panoptes__V1__Guard guard;
	Panoptes__V1__Targets targets;
	struct ctl_selector selector;
	Panoptes__V1__GuardSubject subject, *subjects[1];
	Panoptes__V1__GuardSubject__TagsEntry **tags;
	enum ctl_output output;
};

static void req_clear(struct guard_req *r)
{
	free(r->targets.pids);
	free(r->targets.cgroups);
	free(r->targets.containers);
	ctl_selector_clear(&r->selector, &r->targets);
	free(r->subject.deny);
	free(r->subject.allow);
	free(r->subject.operations);
	for (size_t i = 0; i < r->subject.n_tags; i++)
		free(r->subject.tags[i]);
	free(r->subject.tags);
}

static int parse_operations(const struct ctl_args *a, char *list, Panoptes__V1__GuardSubject *s)
{
	for (char *save, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		Panoptes__V1__GuardOperation op;

		if (!strcmp(w, "open"))
			op = PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_OPEN;
		else if (!strcmp(w, "read"))
			op = PANOPTES__V1__GUARD_OPERATION__GUARD_OPERATION_READ;
		else
			return ctl_usage_err("%s: unknown operation \"%s\" (valid: open, read)",
					     a->flag, w);
		if (ctl_push(s->operations, s->n_operations, op))
			return ctl_nomem();
	}
	return 0;
}

static int add_tag(const struct ctl_args *a, Panoptes__V1__GuardSubject *s, char *kv)
{
	Panoptes__V1__GuardSubject__TagsEntry *t;
	char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return ctl_usage_err("%s: expected KEY=VALUE, got \"%s\"", a->flag, kv);
	for (size_t i = 0; i < s->n_tags; i++)
		if (!strncmp(s->tags[i]->key, kv, (size_t)(eq - kv)) && !s->tags[i]->key[eq - kv])
			return ctl_usage_err("%s: tag \"%.*s\" given twice", a->flag,
					     (int)(eq - kv), kv);
	t = malloc(sizeof(*t));
	if (!t)
		return ctl_nomem();
	panoptes__v1__guard_subject__tags_entry__init(t);
	*eq = '\0';
	t->key = kv;
	t->value = eq + 1;
	if (ctl_push(s->tags, s->n_tags, t)) {
		free(t);
		return ctl_nomem();
	}
	return 0;
}

static int req_flag(struct ctl_args *a, struct guard_req *r, int id, char *val)
{
	Panoptes__V1__GuardSubject *s = &r->subject;
	Panoptes__V1__Targets *t = &r->targets;
	long long pid;

	switch (id) {
	case OPT_PID:
		if (ctl_parse_long(a, val, 1, INT32_MAX, &pid))
			return CTL_EXIT_USAGE;
		return ctl_push(t->pids, t->n_pids, (int32_t)pid) ? ctl_nomem() : 0;
	case OPT_CGROUP:
		return ctl_push(t->cgroups, t->n_cgroups, val) ? ctl_nomem() : 0;
	case OPT_CONTAINER:
		return ctl_push(t->containers, t->n_containers, val) ? ctl_nomem() : 0;
	case CTL_OPT_NAMESPACE:
	case CTL_OPT_CONTAINER_NAME:
	case CTL_OPT_IMAGE:
	case CTL_OPT_SELECTOR:
		return ctl_selector_flag(a, &r->selector, t, id, val);
	case OPT_DENY:
		return ctl_push(s->deny, s->n_deny, val) ? ctl_nomem() : 0;
	case OPT_ALLOW:
		return ctl_push(s->allow, s->n_allow, val) ? ctl_nomem() : 0;
	case OPT_OPERATIONS:
		return parse_operations(a, val, s);
	case OPT_ONLY_DIR:
		s->only_dir = true;
		return 0;
	case OPT_AUTO_ALLOW_OWNER:
		s->auto_allow_owner = true;
		return 0;
	case OPT_AUDIT:
		s->audit = true;
		return 0;
	case OPT_RECURSIVE:
		s->recursive = true;
		return 0;
	case OPT_TAG:
		return add_tag(a, s, val);
	case OPT_FORMAT:
		r->guard.log_format = val;
		return 0;
	case OPT_POD:
		r->guard.pod = val;
		return 0;
	case OPT_OUTPUT:
		return ctl_parse_output(a, val, &r->output) ? CTL_EXIT_USAGE : 0;
	}
	return 0;
}

static int cmd_create(struct ctl_args *a)
{
	Panoptes__V1__CreateGuardRequest req = PANOPTES__V1__CREATE_GUARD_REQUEST__INIT;
	struct guard_req r = { .output = CTL_OUTPUT_TEXT };
	ProtobufCMessage *m;
	const char *val;
	int id, err = 0;

	panoptes__v1__guard__init(&r.guard);
	panoptes__v1__targets__init(&r.targets);
	panoptes__v1__guard_subject__init(&r.subject);
	r.subjects[0] = &r.subject;
	r.guard.targets = &r.targets;
	r.guard.subjects = r.subjects;
	r.guard.n_subjects = 1;
	a->opts = create_opts;
	while (!err && (id = ctl_next(a, &val)) != CTL_END) {
		if (id == CTL_POSITIONAL && !r.guard.name[0]) {
			r.guard.name = (char *)val;
			continue;
		}
		if (id <= 0) {
			err = ctl_args_stop(a, id, val);
			break;
		}
		err = req_flag(a, &r, id, (char *)val);
	}
	if (!err && !r.guard.name[0])
		err = ctl_usage_err("missing NAME (see %s --help)", a->cmd);
	if (!err)
		err = ctl_selector_finish(&r.selector, &r.targets);
	if (!err) {
		req.guard = &r.guard;
		err = ctl_unary(a->ctl, "/panoptes.v1.Agent/CreateGuard", &req.base,
				&panoptes__v1__guard_info__descriptor, &m);
	}
	if (!err) {
		print_info((Panoptes__V1__GuardInfo *)m, r.output);
		protobuf_c_message_free_unpacked(m, NULL);
		err = ctl_flush_stdout();
	}
	req_clear(&r);
	return err == CTL_DONE ? CTL_EXIT_OK : err;
}

/* ------------------------------------------------------------ delete, list */

static int cmd_delete(struct ctl_args *a)
{
	Panoptes__V1__DeleteGuardRequest req = PANOPTES__V1__DELETE_GUARD_REQUEST__INIT;
	ProtobufCMessage *m;
	const char *name;
	int err = ctl_name_only(a, &name);

	if (err)
		return err;
	req.name = (char *)name;
	err = ctl_unary(a->ctl, "/panoptes.v1.Agent/DeleteGuard", &req.base,
			&panoptes__v1__delete_guard_response__descriptor, &m);
	if (err)
		return err;
	protobuf_c_message_free_unpacked(m, NULL);
	return CTL_EXIT_OK;
}

static int cmd_list(struct ctl_args *a)
{
	Panoptes__V1__ListGuardsRequest req = PANOPTES__V1__LIST_GUARDS_REQUEST__INIT;
	enum ctl_output output = CTL_OUTPUT_TEXT;
	Panoptes__V1__ListGuardsResponse *resp;
	ProtobufCMessage *m;
	int err = ctl_output_flag_only(a, &output);

	if (err)
		return err;
	err = ctl_unary(a->ctl, "/panoptes.v1.Agent/ListGuards", &req.base,
			&panoptes__v1__list_guards_response__descriptor, &m);
	if (err)
		return err;
	resp = (Panoptes__V1__ListGuardsResponse *)m;
	for (size_t i = 0; i < resp->n_guards; i++)
		print_info(resp->guards[i], output);
	protobuf_c_message_free_unpacked(m, NULL);
	return ctl_flush_stdout();
}

static const struct ctl_cmd guard_cmds[] = {
	{ "create", cmd_create, "panoptesctl guard create", ctl_guard_usage },
	{ "delete", cmd_delete, "panoptesctl guard delete", ctl_guard_usage },
	{ "list", cmd_list, "panoptesctl guard list", ctl_guard_usage },
	{ NULL, NULL, NULL, NULL },
};

int ctl_cmd_guard(struct ctl_args *a)
{
	return ctl_dispatch(a, guard_cmds);
}
