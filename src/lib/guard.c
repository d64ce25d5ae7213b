// SPDX-License-Identifier: GPL-2.0-only
#include "guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pn_guard_event_parse(const char *word, uint32_t *ops)
{
	if (!strcmp(word, "open"))
		*ops |= PN_GUARD_OPEN;
	else if (!strcmp(word, "access"))
		*ops |= PN_GUARD_ACCESS;
	else if (!strcmp(word, "all"))
		*ops |= PN_GUARD_ALL;
	else
		return -EINVAL;
	return 0;
}

bool pn_guard_subject_covers(const struct pn_guard_subject *s, uint32_t op, bool is_dir)
{
	return (s->ops & op) && (!s->only_dir || is_dir);
}

void pn_guard_rule_merge(struct pn_guard_rule *r, const struct pn_guard_subject *s, bool deny,
			 bool is_dir, bool recursive)
{
	const uint32_t ops[PN_GUARD_OPS] = { PN_GUARD_OPEN, PN_GUARD_ACCESS };
	uint8_t v = !deny		? PN_GUARD_V_ALLOW :
		    s->auto_allow_owner ? PN_GUARD_V_DENY_OWNER_OK :
					  PN_GUARD_V_DENY;

	for (int at = 0; at < PN_GUARD_AT_KINDS; at++) {
		/* the object itself; a directory's children; further down if recursive */
		if ((at == PN_GUARD_AT_CHILD && !is_dir) ||
		    (at == PN_GUARD_AT_DEEP && !(is_dir && recursive)))
			continue;
		for (int op = 0; op < PN_GUARD_OPS; op++)
			for (int dir = 0; dir < 2; dir++)
				if (pn_guard_subject_covers(s, ops[op], dir) &&
				    r->verdict[at][op][dir] < v)
					r->verdict[at][op][dir] = v; /* deny wins */
	}
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void pn_guard_free(struct pn_guard *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_subjects; i++) {
		strv_free(g->subjects[i].allow, g->subjects[i].n_allow);
		strv_free(g->subjects[i].deny, g->subjects[i].n_deny);
		pn_subject_clear(&g->subjects[i].tags);
	}
	free(g->subjects);
	pn_watch_free(g->watch);
	free(g);
}

void pn_guard_spec_clear(struct pn_guard_spec *s)
{
	pn_guard_free(s->guard);
	pn_targets_clear(&s->targets);
	memset(s, 0, sizeof(*s));
}
