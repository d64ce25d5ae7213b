/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A libyaml document read through typed accessors. Every node keeps its
 * position, so each accessor that refuses a value writes one line
 * "FILE:LINE:COL: field: message" (LINE/COL 1-based) naming the key path;
 * schemas (policy.c) are built from these and never format a position
 * themselves. The getters and checks return 0, -EINVAL or -ENOMEM.
 */
#ifndef PN_YAML_DOC_H
#define PN_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

/*
 * Bounds on a file, checked before any document is built (pn_yaml_parse):
 * the deepest policy shape is some 8 levels, a file of 1024 watches some
 * 50,000 nodes, a subject's tags a few dozen keys. A libyaml node costs
 * about 100 bytes, so a file within the bounds costs at most some 25 MB
 * whatever it holds. Aliases are refused outright.
 */
#define PN_YAML_MAX_DEPTH 32
#define PN_YAML_MAX_NODES 262144
#define PN_YAML_MAX_KEYS  1024

/* Large enough for "watches[12].spec.subjects[3].paths[10]" with room to spare. */
#define PN_YAML_FIELD_MAX 160

struct pn_yaml {
	const char *name; /* the file, as messages name it */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

/* "FILE:LINE:COL: field: message"; the field is left out when empty (document root). */
int pn_yaml_fail(struct pn_yaml *y, yaml_mark_t mark, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "expected WANT, got ..." saying what the node is instead. */
int pn_yaml_fail_type(struct pn_yaml *y, const yaml_node_t *n, const char *field, const char *want);
int pn_yaml_missing(struct pn_yaml *y, const yaml_node_t *map, const char *field, const char *key);
int pn_yaml_oom(struct pn_yaml *y);

/* Key paths for messages, in a PN_YAML_FIELD_MAX buffer; too deep ends in "...". */
const char *pn_yaml_join_key(char *buf, const char *prefix, const char *key);
const char *pn_yaml_join_idx(char *buf, const char *prefix, size_t i);

/* A scalar's text; only for YAML_SCALAR_NODE. */
const char *pn_yaml_text(const yaml_node_t *n);
/* An empty value, "~" or "null" written without quotes: YAML's null. */
bool pn_yaml_is_null(const yaml_node_t *n);

/* Sequences. */
size_t pn_yaml_n_items(const yaml_node_t *seq);
yaml_node_t *pn_yaml_item(struct pn_yaml *y, const yaml_node_t *seq, size_t i);

/* Mappings: the value (or the key node) of `key`, NULL when absent. */
yaml_node_t *pn_yaml_map_get(struct pn_yaml *y, const yaml_node_t *map, const char *key);
yaml_node_t *pn_yaml_map_key(struct pn_yaml *y, const yaml_node_t *map, const char *key);
size_t pn_yaml_n_pairs(const yaml_node_t *map);
yaml_node_t *pn_yaml_pair_key(struct pn_yaml *y, const yaml_node_t *map, size_t i);
yaml_node_t *pn_yaml_pair_value(struct pn_yaml *y, const yaml_node_t *map, size_t i);
/*
 * The hash of the duplicate checks (keys here, watch names in policy.c)
 * and of the StreamEvents watch-name set (services/event.c):
 * FNV-1a, since the strings are short and any spread will do.
 */
uint64_t pn_yaml_hash(const char *s);
/* Keys are strings, not repeated (one hash probe each) and, if `allowed` (NULL-terminated) is given, known. */
int pn_yaml_check_keys(struct pn_yaml *y, const yaml_node_t *map, const char *field,
		       const char *const *allowed);

/*
 * A scalar as text (null reads as ""); `*out` is allocated. Text is refused
 * as every client's text is (pn_text_check: UTF-8, no control bytes).
 */
int pn_yaml_get_string(struct pn_yaml *y, const yaml_node_t *n, const char *field, bool nonempty,
		       char **out);
/* true/false/yes/no, any case. */
int pn_yaml_get_bool(struct pn_yaml *y, const yaml_node_t *n, const char *field, bool *out);
/* A decimal that fits in an int; `want` words the refusal, ranges are the caller's. */
int pn_yaml_get_int(struct pn_yaml *y, const yaml_node_t *n, const char *field, const char *want,
		    long *out);
/* A list of strings (null: an empty list); nothing is left allocated on error. */
int pn_yaml_get_str_list(struct pn_yaml *y, const yaml_node_t *n, const char *field, bool nonempty,
			 char ***out, size_t *nout);

/*
 * Parses every document of a YAML stream and hands each root to `doc_fn`
 * (y->doc set) until one fails; syntax errors, aliases and a file past the
 * PN_YAML_MAX_* bounds are reported with their position, before any
 * document is built. `y` supplies name, err and errlen.
 */
int pn_yaml_parse(struct pn_yaml *y, const char *text, size_t len,
		  int (*doc_fn)(struct pn_yaml *y, const yaml_node_t *root, void *arg), void *arg);

#endif
