// SPDX-License-Identifier: GPL-2.0-only
#include "events.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "macros.h"

struct event_name {
	const char *argus; /* lower-case name as users write it */
	const char *upper; /* as {event} prints it; NULL for combinations */
	uint32_t mask;
};

/* Order is inotify's bit order; combinations last. */
static const struct event_name event_names[] = {
	{ "access", "ACCESS", PN_ACCESS },
	{ "modify", "MODIFY", PN_MODIFY },
	{ "attrib", "ATTRIB", PN_ATTRIB },
	{ "closewrite", "CLOSE_WRITE", PN_CLOSE_WRITE },
	{ "closenowrite", "CLOSE_NOWRITE", PN_CLOSE_NOWRITE },
	{ "open", "OPEN", PN_OPEN },
	{ "movedfrom", "MOVED_FROM", PN_MOVED_FROM },
	{ "movedto", "MOVED_TO", PN_MOVED_TO },
	{ "create", "CREATE", PN_CREATE },
	{ "delete", "DELETE", PN_DELETE },
	{ "deleteself", "DELETE_SELF", PN_DELETE_SELF },
	{ "moveself", "MOVE_SELF", PN_MOVE_SELF },
	{ "close", NULL, PN_CLOSE },
	{ "move", NULL, PN_MOVE },
	{ "all", NULL, PN_ALL_EVENTS },
};

const char *pn_event_names_valid(void)
{
	return "access attrib closewrite closenowrite close create delete deleteself modify "
	       "moveself movedfrom movedto move open all";
}

int pn_event_name_parse(const char *name, uint32_t *mask)
{
	for (size_t i = 0; i < ARRAY_SIZE(event_names); i++) {
		if (strcasecmp(name, event_names[i].argus) == 0) {
			*mask |= event_names[i].mask;
			return 0;
		}
	}
	return -EINVAL;
}

int pn_event_list_parse(const char *csv, uint32_t *mask, char *err, size_t errlen)
{
	const char *p = csv;
	uint32_t acc = 0;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[32];

		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "empty event name in \"%s\"; valid names: %s", csv,
				 pn_event_names_valid());
			return -EINVAL;
		}
		if (len >= sizeof(item) ||
		    (memcpy(item, p, len), item[len] = '\0', pn_event_name_parse(item, &acc))) {
			snprintf(err, errlen, "unknown event \"%.*s\"; valid names: %s", (int)len,
				 p, pn_event_names_valid());
			return -EINVAL;
		}
		if (!end)
			break;
		p = end + 1;
	}
	*mask |= acc;
	return 0;
}

const char *pn_event_bit_name(uint32_t bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(event_names); i++)
		if (event_names[i].upper && event_names[i].mask == bit)
			return event_names[i].upper;
	if (bit == PN_ISDIR)
		return "ISDIR";
	return NULL;
}

const char *pn_event_bit_argus_name(uint32_t bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(event_names); i++)
		if (event_names[i].upper && event_names[i].mask == bit)
			return event_names[i].argus;
	return NULL;
}

uint32_t pn_events_to_kernel_ops(uint32_t events, int follow_move)
{
	uint32_t ops = events & (PN_ACCESS | PN_MODIFY | PN_ATTRIB | PN_CLOSE | PN_OPEN |
				 PN_CREATE | PN_DELETE);

	if (events & PN_DELETE_SELF)
		ops |= PN_DELETE;
	if ((events & (PN_MOVE | PN_MOVE_SELF)) || follow_move)
		ops |= PN_OP_MOVE;
	return ops;
}
