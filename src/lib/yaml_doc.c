// SPDX-License-Identifier: GPL-2.0-only
/*
 * Typed accessors over libyaml's document API. The document API, unlike the
 * event stream, keeps every node's position after parsing, which is what
 * lets a refusal point at the exact key or value.
 */
#include "yaml_doc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errmsg.h"
#include "text.h"

int pn_yaml_fail(struct pn_yaml *y, yaml_mark_t mark, const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!y->err || !y->errlen)
		return -EINVAL;
	n = snprintf(y->err, y->errlen, "%s:%zu:%zu: %s%s", y->name, mark.line + 1, mark.column + 1,
		     field, *field ? ": " : "");
	if (n < 0 || (size_t)n >= y->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	pn_verrf(y->err + n, y->errlen - (size_t)n, -EINVAL, fmt, ap);
	va_end(ap);
	/* the message quotes the file's keys and scalars, and a block scalar holds newlines */
	pn_one_line(y->err);
	return -EINVAL;
}

int pn_yaml_oom(struct pn_yaml *y)
{
	if (y->err && y->errlen)
		snprintf(y->err, y->errlen, "%s: out of memory", y->name);
	return -ENOMEM;
}

/* A field name too long for the buffer (absurd nesting) ends in "...", still readable. */
static const char *field_done(char *buf, int n)
{
	if (n < 0 || n >= PN_YAML_FIELD_MAX)
		memcpy(buf + PN_YAML_FIELD_MAX - 4, "...", 4);
	return buf;
}

const char *pn_yaml_join_key(char *buf, const char *prefix, const char *key)
{
	if (*prefix)
		return field_done(buf, snprintf(buf, PN_YAML_FIELD_MAX, "%s.%s", prefix, key));
	return field_done(buf, snprintf(buf, PN_YAML_FIELD_MAX, "%s", key));
}

const char *pn_yaml_join_idx(char *buf, const char *prefix, size_t i)
{
	return field_done(buf, snprintf(buf, PN_YAML_FIELD_MAX, "%s[%zu]", prefix, i));
}

static yaml_node_t *node(struct pn_yaml *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

const char *pn_yaml_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool pn_yaml_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = pn_yaml_text(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

int pn_yaml_fail_type(struct pn_yaml *y, const yaml_node_t *n, const char *field, const char *want)
{
	if (n->type == YAML_MAPPING_NODE)
		return pn_yaml_fail(y, n->start_mark, field, "expected %s, got a mapping", want);
	if (n->type == YAML_SEQUENCE_NODE)
		return pn_yaml_fail(y, n->start_mark, field, "expected %s, got a list", want);
	if (pn_yaml_is_null(n))
		return pn_yaml_fail(y, n->start_mark, field, "expected %s, got nothing (null)",
				    want);
	return pn_yaml_fail(y, n->start_mark, field, "expected %s, got \"%s\"", want,
			    pn_yaml_text(n));
}

int pn_yaml_missing(struct pn_yaml *y, const yaml_node_t *map, const char *field, const char *key)
{
	return pn_yaml_fail(y, map->start_mark, field, "missing required key \"%s\"", key);
}

size_t pn_yaml_n_items(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *pn_yaml_item(struct pn_yaml *y, const yaml_node_t *seq, size_t i)
{
	return node(y, seq->data.sequence.items.start[i]);
}

size_t pn_yaml_n_pairs(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

yaml_node_t *pn_yaml_pair_key(struct pn_yaml *y, const yaml_node_t *map, size_t i)
{
	return node(y, map->data.mapping.pairs.start[i].key);
}

yaml_node_t *pn_yaml_pair_value(struct pn_yaml *y, const yaml_node_t *map, size_t i)
{
	return node(y, map->data.mapping.pairs.start[i].value);
}

uint64_t pn_yaml_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/*
 * A key given twice, in one pass: an open-addressed table of pair indexes,
 * twice as large as the mapping, so each key costs one hash and a probe or
 * two. Every key is a scalar by now (check_keys refused the others).
 */
static int check_duplicates(struct pn_yaml *y, const yaml_node_t *map, const char *field, size_t n)
{
	size_t cap = 8, mask;
	size_t *slot;
	int r = 0;

	if (n < 2)
		return 0;
	while (cap < 2 * n)
		cap <<= 1;
	mask = cap - 1;
	slot = malloc(cap * sizeof(*slot));
	if (!slot)
		return pn_yaml_oom(y);
	memset(slot, 0xff, cap * sizeof(*slot)); /* SIZE_MAX: empty */
	for (size_t i = 0; i < n && !r; i++) {
		yaml_node_t *k = pn_yaml_pair_key(y, map, i);
		const char *key = pn_yaml_text(k);
		size_t h = (size_t)pn_yaml_hash(key) & mask;

		for (; slot[h] != SIZE_MAX; h = (h + 1) & mask) {
			if (!strcmp(pn_yaml_text(pn_yaml_pair_key(y, map, slot[h])), key)) {
				r = pn_yaml_fail(y, k->start_mark, field, "duplicate key \"%s\"",
						 key);
				break;
			}
		}
		slot[h] = i;
	}
	free(slot);
	return r;
}

int pn_yaml_check_keys(struct pn_yaml *y, const yaml_node_t *map, const char *field,
		       const char *const *allowed)
{
	size_t n = pn_yaml_n_pairs(map);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = pn_yaml_pair_key(y, map, i);
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			return pn_yaml_fail_type(y, k, field, "a string key");
		key = pn_yaml_text(k);
		if (allowed) {
			const char *const *a;
			char valid[256] = "";
			size_t len = 0;

			for (a = allowed; *a && strcmp(*a, key); a++)
				;
			if (!*a) {
				for (a = allowed; *a && len < sizeof(valid); a++)
					len += (size_t)snprintf(valid + len, sizeof(valid) - len,
								"%s%s", len ? " " : "", *a);
				return pn_yaml_fail(y, k->start_mark, field,
						    "unknown key \"%s\"; valid keys: %s", key,
						    valid);
			}
		}
	}
	return check_duplicates(y, map, field, n);
}

yaml_node_t *pn_yaml_map_key(struct pn_yaml *y, const yaml_node_t *map, const char *key)
{
	size_t n = pn_yaml_n_pairs(map);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = pn_yaml_pair_key(y, map, i);

		if (k->type == YAML_SCALAR_NODE && !strcmp(pn_yaml_text(k), key))
			return k;
	}
	return NULL;
}

yaml_node_t *pn_yaml_map_get(struct pn_yaml *y, const yaml_node_t *map, const char *key)
{
	size_t n = pn_yaml_n_pairs(map);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = pn_yaml_pair_key(y, map, i);

		if (k->type == YAML_SCALAR_NODE && !strcmp(pn_yaml_text(k), key))
			return pn_yaml_pair_value(y, map, i);
	}
	return NULL;
}

int pn_yaml_get_string(struct pn_yaml *y, const yaml_node_t *n, const char *field, bool nonempty,
		       char **out)
{
	struct pn_text_fault tf;
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return pn_yaml_fail_type(y, n, field, "a string");
	if (pn_yaml_is_null(n))
		v = "";
	else if (strlen(v = pn_yaml_text(n)) != n->data.scalar.length)
		return pn_yaml_fail(y, n->start_mark, field, "must not contain a NUL byte");
	if (nonempty && !*v)
		return pn_yaml_fail(y, n->start_mark, field, "must not be empty");
	if (pn_text_check(v, &tf)) {
		char what[64];

		pn_text_fault_what(&tf, what, sizeof(what));
		return pn_yaml_fail(y, n->start_mark, field, "%s", what);
	}
	*out = strdup(v);
	return *out ? 0 : pn_yaml_oom(y);
}

int pn_yaml_get_bool(struct pn_yaml *y, const yaml_node_t *n, const char *field, bool *out)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || pn_yaml_is_null(n))
		return pn_yaml_fail_type(y, n, field, "a boolean (true/false/yes/no)");
	v = pn_yaml_text(n);
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no")) {
		*out = false;
		return 0;
	}
	return pn_yaml_fail_type(y, n, field, "a boolean (true/false/yes/no)");
}

int pn_yaml_get_int(struct pn_yaml *y, const yaml_node_t *n, const char *field, const char *want,
		    long *out)
{
	const char *v;
	char *end;
	long x;

	if (n->type != YAML_SCALAR_NODE || pn_yaml_is_null(n))
		return pn_yaml_fail_type(y, n, field, want);
	v = pn_yaml_text(n);
	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end || errno || x < INT_MIN || x > INT_MAX)
		return pn_yaml_fail_type(y, n, field, want);
	*out = x;
	return 0;
}

int pn_yaml_get_str_list(struct pn_yaml *y, const yaml_node_t *n, const char *field, bool nonempty,
			 char ***out, size_t *nout)
{
	char fi[PN_YAML_FIELD_MAX];
	char **v = NULL;
	size_t count;
	int r = 0;

	*out = NULL;
	*nout = 0;
	if (pn_yaml_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return pn_yaml_fail_type(y, n, field, "a list of strings");
	count = pn_yaml_n_items(n);
	if (!count)
		return 0;
	v = calloc(count, sizeof(*v));
	if (!v)
		return pn_yaml_oom(y);
	for (size_t i = 0; i < count; i++) {
		r = pn_yaml_get_string(y, pn_yaml_item(y, n, i), pn_yaml_join_idx(fi, field, i),
				       nonempty, &v[i]);
		if (r)
			goto fail;
	}
	*out = v;
	*nout = count;
	return 0;
fail:
	for (size_t i = 0; i < count; i++)
		free(v[i]);
	free(v);
	return r;
}

static int syntax_error(struct pn_yaml *y, const yaml_parser_t *yp, const char *text, size_t len)
{
	yaml_mark_t mark = yp->problem_mark;

	if (yp->error == YAML_MEMORY_ERROR)
		return pn_yaml_oom(y);
	if (yp->error == YAML_READER_ERROR) {
		/* Reader errors (bad encoding) only know a byte offset. */
		size_t off = yp->problem_offset < len ? yp->problem_offset : len;

		mark.line = 0;
		mark.column = 0;
		for (size_t i = 0; i < off; i++) {
			if (text[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else {
				mark.column++;
			}
		}
		return pn_yaml_fail(y, mark, "", "YAML syntax error: %s", yp->problem);
	}
	if (yp->context)
		return pn_yaml_fail(y, mark, "", "YAML syntax error: %s (%s started at %zu:%zu)",
				    yp->problem, yp->context, yp->context_mark.line + 1,
				    yp->context_mark.column + 1);
	return pn_yaml_fail(y, mark, "", "YAML syntax error: %s",
			    yp->problem ? yp->problem : "unknown");
}

/*
 * The bounds, checked on libyaml's event stream before a document is built:
 * the document API would resolve an alias to the node it names, so a small
 * file of aliases to aliases reads as an exponential tree to whoever walks
 * it, and libyaml's scanner slows down with the nesting depth. Events come
 * one at a time and the walk stops at the first excess, so a hostile file
 * costs what its first few bounded nodes cost.
 */
static int check_bounds(struct pn_yaml *y, const char *text, size_t len)
{
	size_t pairs[PN_YAML_MAX_DEPTH + 1]; /* scalars + collections seen, per open mapping */
	bool is_map[PN_YAML_MAX_DEPTH + 1];
	size_t depth = 0, nodes = 0;
	yaml_parser_t yp;
	int r = 0;

	if (!yaml_parser_initialize(&yp))
		return pn_yaml_oom(y);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	for (bool done = false; !done && !r;) {
		yaml_event_t ev;
		bool opens = false, node = false;

		if (!yaml_parser_parse(&yp, &ev)) {
			r = syntax_error(y, &yp, text, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_ALIAS_EVENT:
			r = pn_yaml_fail(
				y, ev.start_mark, "",
				"aliases (*%s) are not accepted in policy files: write the "
				"value out",
				(const char *)ev.data.alias.anchor);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			opens = node = true;
			break;
		case YAML_SCALAR_EVENT:
			node = true;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (node && !r) {
			if (++nodes > PN_YAML_MAX_NODES)
				r = pn_yaml_fail(y, ev.start_mark, "",
						 "more than %d YAML nodes in one file",
						 PN_YAML_MAX_NODES);
			else if (depth && is_map[depth] && ++pairs[depth] > 2 * PN_YAML_MAX_KEYS)
				r = pn_yaml_fail(y, ev.start_mark, "",
						 "more than %d keys in one mapping",
						 PN_YAML_MAX_KEYS);
		}
		if (opens && !r) {
			if (depth == PN_YAML_MAX_DEPTH) {
				r = pn_yaml_fail(y, ev.start_mark, "",
						 "nested more than %d levels deep",
						 PN_YAML_MAX_DEPTH);
			} else {
				depth++;
				is_map[depth] = ev.type == YAML_MAPPING_START_EVENT;
				pairs[depth] = 0;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	return r;
}

int pn_yaml_parse(struct pn_yaml *y, const char *text, size_t len,
		  int (*doc_fn)(struct pn_yaml *y, const yaml_node_t *root, void *arg), void *arg)
{
	yaml_parser_t yp;
	int r = check_bounds(y, text, len);

	if (r)
		return r;
	if (!yaml_parser_initialize(&yp))
		return pn_yaml_oom(y);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;

		/* On failure libyaml has already freed the document. */
		if (!yaml_parser_load(&yp, &doc)) {
			r = syntax_error(y, &yp, text, len);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			/* End of the stream. */
			yaml_document_delete(&doc);
			break;
		}
		y->doc = &doc;
		r = doc_fn(y, root, arg);
		y->doc = NULL;
		yaml_document_delete(&doc);
		if (r)
			break;
	}
	yaml_parser_delete(&yp);
	return r;
}
