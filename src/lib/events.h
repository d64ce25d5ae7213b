/* SPDX-License-Identifier: GPL-2.0-only */
/* Event names (argus vocabulary) <-> PN_* masks. */
#ifndef PN_EVENTS_H
#define PN_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "panoptes_event.h"

/*
 * Parses one argus event name (case-insensitive): access attrib closewrite
 * closenowrite close create delete deleteself modify moveself movedfrom
 * movedto move open all. Returns 0 and ORs the bits into *mask, or -EINVAL.
 */
int pn_event_name_parse(const char *name, uint32_t *mask);

/*
 * Parses a comma-separated list ("modify,create"); spaces around names are
 * ignored, empty items are an error. On error returns -EINVAL and writes a
 * one-line message naming the bad item and listing the valid names to err.
 */
int pn_event_list_parse(const char *csv, uint32_t *mask, char *err, size_t errlen);

/* "access attrib ... open all": the valid names, for messages and --help. */
const char *pn_event_names_valid(void);

/* Upper-case name of ONE PN_* bit as {event} prints it: "CLOSE_WRITE", or NULL. */
const char *pn_event_bit_name(uint32_t bit);

/* Lower-case argus name of ONE PN_* bit: "closewrite", or NULL. */
const char *pn_event_bit_argus_name(uint32_t bit);

/*
 * Operations the kernel must report so that a subject asking for `events`
 * (and following moves or not) can be served: DELETE_SELF needs the DELETE
 * operation, MOVE_SELF and follow_move need MOVE, and so on.
 */
uint32_t pn_events_to_kernel_ops(uint32_t events, int follow_move);

#endif
