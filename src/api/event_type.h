/* SPDX-License-Identifier: GPL-2.0-only */
/* panoptes.v1 EventType values <-> PN_* event bits and names. */
#ifndef PN_API_EVENT_TYPE_H
#define PN_API_EVENT_TYPE_H

#include <stdint.h>

#include "panoptes/v1/agent.pb-c.h"
#include "panoptes_event.h"

/* EventType = bit index + 1 for the PN_EVENT_KINDS single kinds (inotify's bit order). */

/*
 * EventType values <-> PN_* masks. A single kind maps to one bit, CLOSE,
 * MOVE and ALL to their unions; UNSPECIFIED and unknown values are -EINVAL.
 */
int pn_api_event_type_mask(int type, uint32_t *mask);
/* EventType of one PN_* bit, or EVENT_TYPE_UNSPECIFIED. */
int pn_api_event_type_of_bit(uint32_t bit);
/* Name without the prefix ("CLOSE_WRITE"), or NULL for unknown values. */
const char *pn_api_event_type_name(int type);
/*
 * An argus name ("closewrite") or an enum name in any case, with or without
 * its EVENT_TYPE_ prefix ("CLOSE_WRITE", "event_type_close_write"). -EINVAL
 * if neither.
 */
int pn_api_event_type_parse(const char *name, int *type);

#endif
