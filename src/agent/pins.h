/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bpffs pins of one agent: maps/, progs/ and links/ under a directory
 * that one running agent holds at a time. What an operator reaches with
 * bpftool (docs/operations.md).
 */
#ifndef PN_PINS_H
#define PN_PINS_H

#include <limits.h>
#include <stdbool.h>
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
 * Takes dir: mounts bpffs if the node has none and refuses a directory
 * another running agent holds. What an earlier agent left there stays until
 * pn_pins_clear(): the caller adopts it or clears it. On failure -errno and
 * one line in err naming --pin-path.
 */
int pn_pins_take(struct pn_pins *p, const char *dir, char *err, size_t errlen);
/*
 * The guard's own pins, below the capture's directory: BPF LSM's maps,
 * programs and links (agent/guard_lsm.c), which it adopts or replaces.
 */
#define PN_PINS_GUARD "guard"

/* Removes every pin below the directory but PN_PINS_GUARD's; returns how many. */
int pn_pins_clear(struct pn_pins *p);
/* An fd on the pinned object sub/name ("maps", "pn_events"), or -errno. */
int pn_pins_get(const struct pn_pins *p, const char *sub, const char *name);
/*
 * Makes every map of obj, before its load, the one pinned under maps/ by
 * the same name (but .rodata without with_rodata: this start's settings).
 * 0, or -errno with the map named in err.
 */
int pn_pins_reuse_maps(const struct pn_pins *p, struct bpf_object *obj, bool with_rodata, char *err,
		       size_t errlen);
/* The pinned link of this program name, still attached; NULL (errno) if none. */
struct bpf_link *pn_pins_open_link(const struct pn_pins *p, const char *name);
/* The pin name of an object's map: the internal .rodata and .bss are "config" and "state". */
const char *pn_pins_map_name(const char *map_name);

/*
 * Pins every map of obj (with_maps) and every loaded program, and each link
 * under the name of the program it attaches (progs[i] for links[i]).
 */
int pn_pins_create(const struct pn_pins *p, struct bpf_object *obj, bool with_maps,
		   struct bpf_link *const *links, struct bpf_program *const *progs, size_t n_links,
		   char *err, size_t errlen);
/* Pins an object that is no part of a bpf_object (a map made by userspace). */
int pn_pins_add_fd(const struct pn_pins *p, const char *sub, const char *name, int fd, char *err,
		   size_t errlen);

/*
 * Lets the directory go; without keep, first removes the pins and the
 * directory (which detaches the programs), PN_PINS_GUARD's too.
 * NULL-safe, idempotent.
 */
void pn_pins_release(struct pn_pins *p, bool keep);

#endif
