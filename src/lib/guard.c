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
