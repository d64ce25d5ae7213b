/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the fuzz targets check beyond "no crash": a broken promise aborts
 * with one line saying which, so libFuzzer keeps the input as a crash.
 * Only what the targets share is here; each states its own invariants.
 */
#ifndef PN_FUZZ_CHECK_H
#define PN_FUZZ_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static void broken(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("broken promise: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* One line of sound text: s[0..n) is well-formed UTF-8 with no control byte but a final '\n'. */
static inline void check_line(const char *what, const char *s, size_t n)
{
	struct pn_text_fault f;

	if (!n || s[n - 1] != '\n')
		broken("%s: does not end in a newline", what);
	if (pn_text_check_n(s, n - 1, &f))
		broken("%s: byte %zu (0x%02x) is not sound text", what, f.offset, f.value);
}

/*
 * One JSON line: well-formed UTF-8 with no raw C0 control byte but a final
 * '\n' (C1 controls and DEL are characters JSON carries as they are).
 */
static inline void check_json_line(const char *what, const char *s, size_t n)
{
	if (!n || s[n - 1] != '\n')
		broken("%s: does not end in a newline", what);
	if (!pn_utf8_valid(s, n))
		broken("%s: not well-formed UTF-8", what);
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)s[i] < 0x20)
			broken("%s: raw control byte 0x%02x at byte %zu", what, s[i], i);
}

/*
 * A whole output formatted into `full` (length n) and again into a buffer
 * of exactly `len` bytes (the heap, so ASan sees one byte too many): the
 * same length is reported, and what is written is the NUL-terminated prefix.
 */
static inline void check_prefix(const char *what, const char *full, size_t n, const char *cut,
				size_t len, size_t got)
{
	size_t k;

	if (got != n)
		broken("%s: %zu bytes reported into %zu, %zu into enough room", what, got, len, n);
	if (!len)
		return;
	k = n < len ? n : len - 1;
	if (memcmp(cut, full, k) || cut[k] != '\0')
		broken("%s: a buffer of %zu does not hold the output's prefix", what, len);
}

/* Four hex digits or two: the value, or -1. */
static inline int hex_value(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Reads back the escape of text.h ("\xNN" for a byte, "\\\\" for a
 * backslash) into out (room for n bytes): the length, or -1 for an escape
 * that is not one.
 */
static inline long text_unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
		} else if (i + 1 < n && s[i + 1] == '\\') {
			out[o++] = '\\';
			i++;
		} else if (i + 3 < n && s[i + 1] == 'x' && hex_value(s + i + 2, 2) >= 0) {
			out[o++] = (char)hex_value(s + i + 2, 2);
			i += 3;
		} else {
			return -1;
		}
	}
	return (long)o;
}

/*
 * A JSON string at s[*i] (the opening quote) decoded into out (room for
 * the string's length): its length, or -1 if it is not a JSON string. A
 * \u00XX is the byte XX: jsonstr.h writes bytes that are not UTF-8 so.
 */
static inline long json_string(const char *s, size_t n, size_t *i, char *out)
{
	size_t o = 0, k = *i;

	if (k >= n || s[k++] != '"')
		return -1;
	while (k < n && s[k] != '"') {
		unsigned char c = (unsigned char)s[k];

		if (c < 0x20)
			return -1;
		if (c != '\\') {
			if (out)
				out[o] = (char)c;
			o++;
			k++;
			continue;
		}
		if (++k >= n)
			return -1;
		switch (s[k]) {
		case '"':
		case '\\':
		case '/':
			c = (unsigned char)s[k];
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u': {
			int v = k + 4 < n ? hex_value(s + k + 1, 4) : -1;

			/* well-formed JSON, but never written by jsonstr.c: not readable back */
			if (v < 0 || v > 0xff)
				return -1;
			c = (unsigned char)v;
			k += 4;
			break;
		}
		default:
			return -1;
		}
		if (out)
			out[o] = (char)c;
		o++;
		k++;
	}
	if (k >= n)
		return -1;
	*i = k + 1;
	return (long)o;
}

/* RFC 8259 value at s[*i]; advances *i past it. Shapes only: what a JSON reader would take. */
static bool json_value(const char *s, size_t n, size_t *i, int depth);

static inline bool json_members(const char *s, size_t n, size_t *i, int depth, char close,
				bool keyed)
{
	if (*i < n && s[*i] == close) {
		(*i)++;
		return true;
	}
	for (;;) {
		if (keyed) {
			if (json_string(s, n, i, NULL) < 0 || *i >= n || s[(*i)++] != ':')
				return false;
		}
		if (!json_value(s, n, i, depth + 1) || *i >= n)
			return false;
		if (s[*i] == close) {
			(*i)++;
			return true;
		}
		if (s[(*i)++] != ',')
			return false;
	}
}

static bool json_value(const char *s, size_t n, size_t *i, int depth)
{
	size_t k = *i;

	if (k >= n || depth > 16)
		return false;
	switch (s[k]) {
	case '{':
		(*i)++;
		return json_members(s, n, i, depth, '}', true);
	case '[':
		(*i)++;
		return json_members(s, n, i, depth, ']', false);
	case '"':
		return json_string(s, n, i, NULL) >= 0;
	case 't':
		*i += 4;
		return n - k >= 4 && !memcmp(s + k, "true", 4);
	case 'f':
		*i += 5;
		return n - k >= 5 && !memcmp(s + k, "false", 5);
	case 'n':
		*i += 4;
		return n - k >= 4 && !memcmp(s + k, "null", 4);
	default:
		if (s[k] == '-')
			k++;
		if (k >= n || s[k] < '0' || s[k] > '9' ||
		    (s[k] == '0' && k + 1 < n && s[k + 1] >= '0' && s[k + 1] <= '9'))
			return false;
		while (k < n && s[k] >= '0' && s[k] <= '9')
			k++;
		*i = k;
		return true;
	}
}

#endif
