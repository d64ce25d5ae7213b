/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which pods and containers a watch reports, by what the container runtime
 * names (agent/cri.c): namespace, container name and image as fnmatch(3)
 * patterns ("prod-*", "*nginx:1.*"), pod labels as a Kubernetes label
 * selector. Every part given must pass; an event whose container the
 * runtime has not named passes none (the consumer decides that).
 */
#ifndef PN_SELECTOR_H
#define PN_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

enum pn_label_op {
	PN_LABEL_IN,	     /* key=value, key in (a,b), matchLabels */
	PN_LABEL_NOT_IN,     /* key!=value, key notin (a,b): also a pod without the key */
	PN_LABEL_EXISTS,     /* key */
	PN_LABEL_NOT_EXISTS, /* !key */
};

/* One requirement of a label selector (Kubernetes' LabelSelectorRequirement). */
struct pn_label_req {
	char *key;
	enum pn_label_op op;
	char **values;
	size_t n_values;
};

struct pn_selector {
	char **namespaces;
	size_t n_namespaces;
	char **container_names;
	size_t n_container_names;
	char **images;
	size_t n_images;
	struct pn_label_req *labels; /* all must hold */
	size_t n_labels;
};

/* A pod's labels (or annotations) as the runtime gave them: keys[i]=values[i]. */
struct pn_labels {
	char **keys;
	char **values;
	size_t n;
};

/*
 * Whether key is a Kubernetes label or annotation key: [prefix/]name, the
 * prefix a DNS subdomain of at most 253 bytes, the name at most 63 of
 * [A-Za-z0-9_.-] that begin and end alphanumeric.
 */
bool pn_label_key_valid(const char *key);
/* Appends copies of key and value (NULL value: ""); -ENOMEM leaves l as it was. */
int pn_labels_add(struct pn_labels *l, const char *key, const char *value);
/* Copies from into the empty to; -ENOMEM leaves to empty. */
int pn_labels_copy(const struct pn_labels *from, struct pn_labels *to);
/* In key order: every output lists them so, whatever order the runtime sent. */
void pn_labels_sort(struct pn_labels *l);

/* Whether a container, as the runtime names it (NULL or "" where it did not), passes. */
bool pn_selector_match(const struct pn_selector *s, const char *namespace,
		       const char *container_name, const char *image, const struct pn_labels *pod);

/*
 * Parses kubectl's selector syntax, appending to *reqs: comma-separated
 * `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. -EINVAL
 * with the offending part in err; -ENOMEM.
 */
int pn_label_selector_parse(const char *text, struct pn_label_req **reqs, size_t *n, char *err,
			    size_t errlen);
/*
 * A matchExpressions operator (In, NotIn, Exists, DoesNotExist) by name, and
 * whether its values are required (In, NotIn) or refused (the others).
 */
int pn_label_op_parse(const char *name, enum pn_label_op *op);
const char *pn_label_op_name(enum pn_label_op op);
bool pn_label_op_takes_values(enum pn_label_op op);

/*
 * Requirements back in kubectl's syntax (what pn_label_selector_parse()
 * reads): `k=v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined
 * by ','. Cut to fit len; returns the length written.
 */
size_t pn_label_selector_format(const struct pn_label_req *reqs, size_t n, char *buf, size_t len);

void pn_label_reqs_free(struct pn_label_req *reqs, size_t n);
void pn_labels_clear(struct pn_labels *l);
void pn_selector_free(struct pn_selector *s);

#endif
