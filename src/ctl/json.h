/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A streaming JSON writer for panoptesctl's output: compact, one document per
 * line, strings escaped per RFC 8259 (by src/lib/jsonstr.h). The shapes are
 * fixed and small, so a writer with comma bookkeeping is all it takes (no
 * DOM, no library).
 */
#ifndef PN_CTL_JSON_H
#define PN_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool more[JSON_MAX_DEPTH]; /* a value was written at this level: next needs a comma */
	bool after_key;
};

void json_init(struct json *j, FILE *f);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

/* Escaped by the escaper of panoptesd's JSON lines (src/lib/jsonstr.h): the same bytes. */
void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);

/* key + value */
void json_kstr(struct json *j, const char *key, const char *v);
void json_ku64(struct json *j, const char *key, uint64_t v);
void json_ki64(struct json *j, const char *key, int64_t v);
void json_kbool(struct json *j, const char *key, bool v);
/* key + array of strings */
void json_kstrv(struct json *j, const char *key, char *const *v, size_t n);

/* Ends the document with a newline. */
void json_end(struct json *j);

#endif
