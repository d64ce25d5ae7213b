// SPDX-License-Identifier: GPL-2.0-only
#include "event_type.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "macros.h"

static const char *const type_names[] = {
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ACCESS] = "ACCESS",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MODIFY] = "MODIFY",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ATTRIB] = "ATTRIB",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE_WRITE] = "CLOSE_WRITE",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE_NOWRITE] = "CLOSE_NOWRITE",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_OPEN] = "OPEN",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVED_FROM] = "MOVED_FROM",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVED_TO] = "MOVED_TO",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CREATE] = "CREATE",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_DELETE] = "DELETE",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_DELETE_SELF] = "DELETE_SELF",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE_SELF] = "MOVE_SELF",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE] = "CLOSE",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE] = "MOVE",
	[PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ALL] = "ALL",
};

_Static_assert(PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE_SELF == PN_EVENT_KINDS,
	       "EventType single kinds follow inotify's bit order");
_Static_assert(PN_MOVE_SELF == 1u << (PN_EVENT_KINDS - 1), "PN_* bits are inotify's");

int pn_api_event_type_mask(int type, uint32_t *mask)
{
	if (type >= 1 && type <= PN_EVENT_KINDS) {
		*mask |= 1u << (type - 1);
		return 0;
	}
	switch (type) {
	case PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE:
		*mask |= PN_CLOSE;
		return 0;
	case PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE:
		*mask |= PN_MOVE;
		return 0;
	case PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ALL:
		*mask |= PN_ALL_EVENTS;
		return 0;
	default:
		return -EINVAL;
	}
}

int pn_api_event_type_of_bit(uint32_t bit)
{
	if (!bit || (bit & (bit - 1)) || bit > PN_MOVE_SELF)
		return PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED;
	return __builtin_ctz(bit) + 1;
}

const char *pn_api_event_type_name(int type)
{
	if (type < 1 || (size_t)type >= ARRAY_SIZE(type_names))
		return NULL;
	return type_names[type];
}

int pn_api_event_type_parse(const char *name, int *type)
{
	static const char prefix[] = "EVENT_TYPE_";
	uint32_t mask = 0;

	if (strncasecmp(name, prefix, sizeof(prefix) - 1) == 0)
		name += sizeof(prefix) - 1;

	for (size_t t = 1; t < ARRAY_SIZE(type_names); t++) {
		if (strcasecmp(name, type_names[t]) == 0) {
			*type = (int)t;
			return 0;
		}
	}
	if (pn_event_name_parse(name, &mask))
		return -EINVAL;
	if (mask == PN_CLOSE)
		*type = PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_CLOSE;
	else if (mask == PN_MOVE)
		*type = PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_MOVE;
	else if (mask == PN_ALL_EVENTS)
		*type = PANOPTES__V1__EVENT_TYPE__EVENT_TYPE_ALL;
	else
		*type = pn_api_event_type_of_bit(mask);
	return 0;
}
