// SPDX-License-Identifier: GPL-2.0-only
#include "json.h"

#include <inttypes.h>

#include "jsonstr.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->more[0] = false;
	j->after_key = false;
}

/* Before any value or key: the comma that separates it from the previous one. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->more[j->depth])
		fputc(',', j->f);
	j->more[j->depth] = true;
}

static void open_level(struct json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	/* Deeper than the writer tracks would be a bug in a fixed shape: commas stay right. */
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->more[j->depth] = false;
}

static void close_level(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	fputc(c, j->f);
}

void json_object_begin(struct json *j)
{
	open_level(j, '{');
}

void json_object_end(struct json *j)
{
	close_level(j, '}');
}

void json_array_begin(struct json *j)
{
	open_level(j, '[');
}

void json_array_end(struct json *j)
{
	close_level(j, ']');
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	pn_json_fputs(key, j->f);
	fputc(':', j->f);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	pn_json_fputs(s, j->f);
}

void json_u64(struct json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_kstr(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	json_str(j, v);
}

void json_ku64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_ki64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_i64(j, v);
}

void json_kbool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_kstrv(struct json *j, const char *key, char *const *v, size_t n)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, v[i]);
	json_array_end(j);
}

void json_end(struct json *j)
{
	fputc('\n', j->f);
	j->depth = 0;
	j->more[0] = false;
	j->after_key = false;
}
