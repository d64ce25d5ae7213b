/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bpffs pins of one agent: maps/, progs/ and links/ under a directory
 * that one running agent holds at a time. What an operator reaches with
 * bpftool (docs/operations.md).
 */
#ifndef PN_PINS_H
#define PN_PINS_H

#include <limits.h>
#include <stddef.h>

struct bpf_object;
struct bpf_link;
struct bpf_program;

struct pn_pins {
	char path[PATH_MAX]; /* "" when not pinning */
	int lock;	     /* flock'ed fd on path: one agent per directory; -1 when none */
};

/* Not pinning, nothing held. */
void pn_pins_init(struct pn_pins *p);

/*
 * Takes dir: mounts bpffs if the node has none, refuses a directory another
 * running agent holds, and clears what a run that did not exit cleanly left
 * there. On failure -errno and one line in err naming --pin-path.
 */
int pn_pins_take(struct pn_pins *p, const char *dir, char *err, size_t errlen);

/*
 * Pins every map and every program to be loaded in obj, and each link under
 * the name of the program it attaches (progs[i] for links[i]).
 */
int pn_pins_create(const struct pn_pins *p, struct bpf_object *obj, struct bpf_link *const *links,
		   struct bpf_program *const *progs, size_t n_links, char *err, size_t errlen);

/* Removes the pins and the directory, and lets it go. NULL-safe, idempotent. */
void pn_pins_release(struct pn_pins *p);

#endif
