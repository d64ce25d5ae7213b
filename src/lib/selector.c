// SPDX-License-Identifier: GPL-2.0-only
#include "selector.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

/* ------------------------------------------------------------ matching */

/* An empty list passes all; an unnamed value passes no list. */
static bool any_match(char *const *patterns, size_t n, const char *value)
{
	if (!n)
		return true;
	if (!value || !value[0])
		return false;
	for (size_t i = 0; i < n; i++)
		if (fnmatch(patterns[i], value, 0) == 0)
			return true;
	return false;
}

static const char *label_value(const struct pn_labels *pod, const char *key)
{
	for (size_t i = 0; pod && i < pod->n; i++)
		if (strcmp(pod->keys[i], key) == 0)
			return pod->values[i];
	return NULL;
}

static bool in_values(const struct pn_label_req *r, const char *v)
{
	for (size_t i = 0; i < r->n_values; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

/* Kubernetes' rules: NotIn and DoesNotExist hold for a pod without the key. */
static bool req_holds(const struct pn_label_req *r, const struct pn_labels *pod)
{
	const char *v = label_value(pod, r->key);

	switch (r->op) {
	case PN_LABEL_IN:
		return v && in_values(r, v);
	case PN_LABEL_NOT_IN:
		return !v || !in_values(r, v);
	case PN_LABEL_EXISTS:
		return v != NULL;
	case PN_LABEL_NOT_EXISTS:
		return v == NULL;
	}
	return false;
}

bool pn_selector_match(const struct pn_selector *s, const char *namespace,
		       const char *container_name, const char *image, const struct pn_labels *pod)
{
	if (!s)
		return true;
	if (!any_match(s->namespaces, s->n_namespaces, namespace) ||
	    !any_match(s->container_names, s->n_container_names, container_name) ||
	    !any_match(s->images, s->n_images, image))
		return false;
	for (size_t i = 0; i < s->n_labels; i++)
		if (!req_holds(&s->labels[i], pod))
			return false;
	return true;
}

/* ------------------------------------------------------------ kubectl's syntax */

/* Label keys ([prefix/]name) and values: letters, digits and - _ . / (Kubernetes' own check is stricter on lengths). */
static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '/';
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A word of label characters at *p, copied; NULL (err set) if none or no memory. */
static char *word(const char **p, bool may_be_empty, const char *what, const char *text, char *err,
		  size_t errlen)
{
	const char *s = skip_space(*p), *e = s;
	char *w;

	while (label_char(*e))
		e++;
	if (e == s && !may_be_empty) {
		snprintf(err, errlen, "\"%s\": expected a %s at byte %zu", text, what,
			 (size_t)(s - text) + 1);
		return NULL;
	}
	w = strndup(s, (size_t)(e - s));
	if (!w)
		snprintf(err, errlen, "out of memory");
	*p = skip_space(e);
	return w;
}

static int push_value(struct pn_label_req *r, char *v)
{
	char **vv = realloc(r->values, (r->n_values + 1) * sizeof(*vv));

	if (!vv) {
		free(v);
		return -ENOMEM;
	}
	r->values = vv;
	vv[r->n_values++] = v;
	return 0;
}

/* One requirement from *p up to a top-level ',' or the end. */
static int parse_req(const char **p, const char *text, struct pn_label_req *r, char *err,
		     size_t errlen)
{
	const char *q = skip_space(*p);
	char *v;

	memset(r, 0, sizeof(*r));
	if (*q == '!') {
		q++;
		r->op = PN_LABEL_NOT_EXISTS;
		r->key = word(&q, false, "label key", text, err, errlen);
		goto end;
	}
	r->key = word(&q, false, "label key", text, err, errlen);
	if (!r->key)
		return -EINVAL;
	if (!*q || *q == ',') {
		r->op = PN_LABEL_EXISTS;
		goto end;
	}
	if (q[0] == '!' && q[1] == '=') {
		r->op = PN_LABEL_NOT_IN;
		q += 2;
	} else if (q[0] == '=') {
		r->op = PN_LABEL_IN;
		q += q[1] == '=' ? 2 : 1;
	} else if (strncmp(q, "in", 2) == 0 || strncmp(q, "notin", 5) == 0) {
		r->op = q[0] == 'i' ? PN_LABEL_IN : PN_LABEL_NOT_IN;
		q = skip_space(q + (q[0] == 'i' ? 2 : 5));
		if (*q != '(') {
			snprintf(err, errlen, "\"%s\": expected ( at byte %zu", text,
				 (size_t)(q - text) + 1);
			return -EINVAL;
		}
		q++;
		do {
			v = word(&q, false, "label value", text, err, errlen);
			if (!v)
				return -EINVAL;
			if (push_value(r, v))
				return -ENOMEM;
		} while (*q == ',' && q++);
		if (*q != ')') {
			snprintf(err, errlen, "\"%s\": expected , or ) at byte %zu", text,
				 (size_t)(q - text) + 1);
			return -EINVAL;
		}
		q = skip_space(q + 1);
		goto end;
	} else {
		snprintf(err, errlen, "\"%s\": expected =, ==, !=, in or notin at byte %zu", text,
			 (size_t)(q - text) + 1);
		return -EINVAL;
	}
	v = word(&q, true, "label value", text, err, errlen);
	if (!v || push_value(r, v))
		return -ENOMEM;
end:
	if (!r->key)
		return -EINVAL;
	if (*q && *q != ',') {
		snprintf(err, errlen, "\"%s\": unexpected '%c' at byte %zu", text, *q,
			 (size_t)(q - text) + 1);
		return -EINVAL;
	}
	*p = q;
	return 0;
}

int pn_label_selector_parse(const char *text, struct pn_label_req **reqs, size_t *n, char *err,
			    size_t errlen)
{
	const char *p = text;
	struct pn_label_req r, *v;
	int e;

	if (!*skip_space(p)) {
		snprintf(err, errlen, "\"%s\": an empty selector", text);
		return -EINVAL;
	}
	for (;;) {
		e = parse_req(&p, text, &r, err, errlen);
		if (e) {
			pn_label_reqs_free(&r, 1);
			if (e == -ENOMEM)
				snprintf(err, errlen, "out of memory");
			return e;
		}
		v = realloc(*reqs, (*n + 1) * sizeof(*v));
		if (!v) {
			pn_label_reqs_free(&r, 1);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		*reqs = v;
		v[(*n)++] = r;
		if (!*p)
			return 0;
		p++; /* the ',' parse_req stopped at */
	}
}

/* matchExpressions' operator names, indexed by enum pn_label_op */
static const char *const op_names[] = {
	[PN_LABEL_IN] = "In",
	[PN_LABEL_NOT_IN] = "NotIn",
	[PN_LABEL_EXISTS] = "Exists",
	[PN_LABEL_NOT_EXISTS] = "DoesNotExist",
};

int pn_label_op_parse(const char *name, enum pn_label_op *op)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++) {
		if (strcmp(op_names[i], name) == 0) {
			*op = (enum pn_label_op)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pn_label_op_name(enum pn_label_op op)
{
	return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

/* Appends to buf at *at, keeping it terminated; what does not fit is cut. */
static void put(char *buf, size_t len, size_t *at, const char *s)
{
	int n = snprintf(buf + *at, len - *at, "%s", s);

	if (n > 0)
		*at += (size_t)n < len - *at ? (size_t)n : len - *at - 1;
}

size_t pn_label_selector_format(const struct pn_label_req *reqs, size_t n, char *buf, size_t len)
{
	static const char *const one[] = { [PN_LABEL_IN] = "=", [PN_LABEL_NOT_IN] = "!=" };
	static const char *const set[] = {
		[PN_LABEL_IN] = " in (", [PN_LABEL_NOT_IN] = " notin ("
	};
	size_t at = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct pn_label_req *r = &reqs[i];

		if (i)
			put(buf, len, &at, ",");
		if (r->op == PN_LABEL_NOT_EXISTS)
			put(buf, len, &at, "!");
		put(buf, len, &at, r->key);
		if (!pn_label_op_takes_values(r->op))
			continue;
		put(buf, len, &at, r->n_values == 1 ? one[r->op] : set[r->op]);
		for (size_t j = 0; j < r->n_values; j++) {
			if (j)
				put(buf, len, &at, ",");
			put(buf, len, &at, r->values[j]);
		}
		if (r->n_values != 1)
			put(buf, len, &at, ")");
	}
	return at;
}

bool pn_label_op_takes_values(enum pn_label_op op)
{
	return op == PN_LABEL_IN || op == PN_LABEL_NOT_IN;
}

/* ------------------------------------------------------------ freeing */

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void pn_label_reqs_free(struct pn_label_req *reqs, size_t n)
{
	for (size_t i = 0; reqs && i < n; i++) {
		free(reqs[i].key);
		free_strv(reqs[i].values, reqs[i].n_values);
	}
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool pn_label_key_valid(const char *key)
{
	const char *slash = strchr(key, '/'), *name = slash ? slash + 1 : key;
	size_t n = strlen(name);

	if (slash) {
		size_t plen = (size_t)(slash - key);

		/* lowercase labels of alphanumerics and '-', joined by dots */
		if (!plen || plen > 253 || key[0] == '.' || key[plen - 1] == '.')
			return false;
		for (const char *p = key; p < slash; p++) {
			bool edge = p == key || p[-1] == '.' || p + 1 == slash || p[1] == '.';

			if (*p == '.' ? p[1] == '.' :
					!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
					  (*p == '-' && !edge)))
				return false;
		}
	}
	if (!n || n > 63 || !is_alnum(name[0]) || !is_alnum(name[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.')
			return false;
	return true;
}

int pn_labels_add(struct pn_labels *l, const char *key, const char *value)
{
	char **keys, **values, *k, *v;

	keys = realloc(l->keys, (l->n + 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	l->keys = keys;
	values = realloc(l->values, (l->n + 1) * sizeof(*values));
	if (!values)
		return -ENOMEM;
	l->values = values;
	k = strdup(key);
	v = strdup(value ? value : "");
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	l->keys[l->n] = k;
	l->values[l->n] = v;
	l->n++;
	return 0;
}

int pn_labels_copy(const struct pn_labels *from, struct pn_labels *to)
{
	for (size_t i = 0; i < from->n; i++) {
		if (pn_labels_add(to, from->keys[i], from->values[i])) {
			pn_labels_clear(to);
			return -ENOMEM;
		}
	}
	return 0;
}

void pn_labels_sort(struct pn_labels *l)
{
	/* insertion sort: a pod has a handful of labels, and this runs once per container */
	for (size_t i = 1; i < l->n; i++) {
		char *k = l->keys[i], *v = l->values[i];
		size_t j = i;

		for (; j > 0 && strcmp(l->keys[j - 1], k) > 0; j--) {
			l->keys[j] = l->keys[j - 1];
			l->values[j] = l->values[j - 1];
		}
		l->keys[j] = k;
		l->values[j] = v;
	}
}

void pn_labels_clear(struct pn_labels *l)
{
	free_strv(l->keys, l->n);
	free_strv(l->values, l->n);
	memset(l, 0, sizeof(*l));
}

void pn_selector_free(struct pn_selector *s)
{
	if (!s)
		return;
	free_strv(s->namespaces, s->n_namespaces);
	free_strv(s->container_names, s->n_container_names);
	free_strv(s->images, s->n_images);
	pn_label_reqs_free(s->labels, s->n_labels);
	free(s->labels);
	free(s);
}
