// SPDX-License-Identifier: GPL-2.0-only
#include "jsonstr.h"

#include "out.h"
#include "text.h"

/* 0: copied as is; 1: escaped ASCII; 2: first byte of a multi-byte sequence (or invalid) */
static const unsigned char json_class[256] = {
	[0x00 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
	[0x80 ... 0xff] = 2,
};

static const char hexdigits[] = "0123456789abcdef";

static inline bool json_plain(unsigned char c)
{
	return json_class[c] == 0;
}

static inline bool json_plain_word(uint64_t x)
{
	return !((x & BYTES_80) | any_below(x, 0x20) | any_equal(x, '"') | any_equal(x, '\\'));
}

/*
 * The escaping part of pn_json_strn(): s[0..i) needs no escape, s[i] does.
 * Out of line (the compiler would inline a function called once), so that
 * the common case, a name with nothing to escape, does not pay for this
 * loop's registers and stack on every call.
 */
__attribute__((noinline)) static void json_escape(struct out *o, const char *str, size_t n,
						  size_t i)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0;

	do {
		unsigned char c = s[i];
		size_t k;

		if (json_class[c] == 2 && (k = pn_utf8_seq(s + i, n - i))) {
			i += k;
			continue;
		}
		out_mem(o, str + run, i - run);
		switch (c) {
		case '"':
			out_lit(o, "\\\"");
			break;
		case '\\':
			out_lit(o, "\\\\");
			break;
		case '\n':
			out_lit(o, "\\n");
			break;
		case '\t':
			out_lit(o, "\\t");
			break;
		case '\r':
			out_lit(o, "\\r");
			break;
		case '\b':
			out_lit(o, "\\b");
			break;
		case '\f':
			out_lit(o, "\\f");
			break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hexdigits[c >> 4], hexdigits[c & 0xf] };

			out_mem(o, u, sizeof(u));
		}
		}
		run = ++i;
	} while ((i += plain_prefix(s + i, n - i, json_plain_word, json_plain)) < n);
	out_mem(o, str + run, n - run);
}

/* s[0..n) escaped, without the quotes. */
static inline void json_body(struct out *o, const char *str, size_t n)
{
	size_t i = plain_prefix((const unsigned char *)str, n, json_plain_word, json_plain);

	if (i < n)
		json_escape(o, str, n, i);
	else
		out_mem(o, str, n);
}

void pn_json_strn(struct out *o, const char *str, size_t n)
{
	out_char(o, '"');
	json_body(o, str, n);
	out_char(o, '"');
}

/*
 * A stdio stream has no room to count past: the string goes through a
 * stack buffer, a piece at a time. Pieces end before a byte that is not a
 * UTF-8 continuation byte, where no well-formed sequence can be cut, so
 * each byte is escaped as it would be in one pass. Only a run of
 * continuation bytes longer than a piece (none of them part of a sequence)
 * is cut inside.
 */
#define PIECE 160 /* input bytes; at most 6 output bytes each (\u00XX) */

int pn_json_fputs(const char *s, FILE *f)
{
	char buf[6 * PIECE];
	size_t n = s ? strlen(s) : 0;

	if (fputc('"', f) == EOF)
		return EOF;
	while (n) {
		size_t k = n < PIECE ? n : PIECE;
		struct out o = { buf, sizeof(buf), 0 };

		while (k < n && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		if (!k)
			k = PIECE;
		json_body(&o, s, k);
		if (fwrite(buf, 1, o.pos, f) != o.pos)
			return EOF;
		s += k;
		n -= k;
	}
	return fputc('"', f) == EOF ? EOF : 0;
}
