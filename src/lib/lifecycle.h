/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kimager's job: which images run on this node. The container runtime's
 * client (agent/cri.c) reports containers as they appear and go; an image
 * is added with the first container of it on the node and removed with the
 * last. This file holds the record and its two line formats, kimager's and
 * JSON, and the image reference normalization the dedup uses.
 */
#ifndef PN_LIFECYCLE_H
#define PN_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pn_lifecycle_kind {
	PN_LC_CONTAINER_STARTED,
	PN_LC_CONTAINER_STOPPED,
	PN_LC_IMAGE_ADDED,
	PN_LC_IMAGE_REMOVED,
};

enum pn_lifecycle_output {
	PN_LC_OUTPUT_NONE,
	PN_LC_OUTPUT_KIMAGER,
	PN_LC_OUTPUT_JSON,
};

struct pn_lifecycle {
	enum pn_lifecycle_kind kind;
	int64_t realtime_ns;
	bool snapshot;		/* running when the agent first listed the runtime */
	bool reconciled;	/* gone while no agent ran: found so at the first list */
	const char *image;	/* normalized: docker.io/library/nginx:latest */
	const char *image_spec; /* as the pod spec (or the runtime) names it */
	const char *image_id;
	const char
		*namespace; /* the container's (for an image: the one that added or removed it) */
	const char *pod;
	const char *container_name;
	const char *container_id;
};

/*
 * A Docker-style reference made whole, as the runtime would pull it: no
 * registry is docker.io, a single name there is under library/, no tag nor
 * digest is :latest ("nginx" -> "docker.io/library/nginx:latest"). An
 * image id (sha256:...) is kept as it is. Returns the length (snprintf's).
 */
size_t pn_image_normalize(const char *ref, char *out, size_t len);

/*
 * A record whose strings are its own (kept across a restart, --state-dir):
 * copied from src, -ENOMEM leaving dst cleared; cleared (NULL-safe) frees them.
 */
int pn_lifecycle_copy(struct pn_lifecycle *dst, const struct pn_lifecycle *src);
void pn_lifecycle_clear(struct pn_lifecycle *lc);

/* "kimager" or "json" ("none" too); -EINVAL otherwise. */
int pn_lifecycle_output_parse(const char *name, enum pn_lifecycle_output *out);

/*
 * One line with '\n': kimager's `[TIME INFO ] [+|image]  IMAGE  [NS|POD]`
 * (image records only: a container record gives 0), or a JSON object with
 * every field. Same return convention as snprintf.
 */
size_t pn_lifecycle_format(char *buf, size_t len, enum pn_lifecycle_output output,
			   const struct pn_lifecycle *lc);

#endif
