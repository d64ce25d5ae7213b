// SPDX-License-Identifier: GPL-2.0-only
#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hexdigits[] = "0123456789abcdef";

static inline bool utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t pn_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && utf8_cont(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
		return n >= 3 && s[1] >= lo && s[1] <= hi && utf8_cont(s[2]) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
		return n >= 4 && s[1] >= lo && s[1] <= hi && utf8_cont(s[2]) && utf8_cont(s[3]) ?
			       4 :
			       0;
	}
	return 0;
}

static inline bool ascii_word(uint64_t x)
{
	return !(x & BYTES_80);
}

static inline bool ascii_byte(unsigned char c)
{
	return c < 0x80;
}

bool pn_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while ((i += plain_prefix(s + i, n - i, ascii_word, ascii_byte)) < n) {
		size_t k = pn_utf8_seq(s + i, n - i);

		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* A C1 control, U+0080..U+009F, is the two bytes c2 80..c2 9f. */
static inline bool is_c1(const unsigned char *s, size_t k)
{
	return k == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

static inline bool is_c0(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int pn_text_check(const char *str, struct pn_text_fault *f)
{
	return pn_text_check_n(str, str ? strlen(str) : 0, f);
}

int pn_text_check_n(const char *str, size_t n, struct pn_text_fault *f)
{
	const unsigned char *s = (const unsigned char *)str;
	struct pn_text_fault dummy;
	size_t i = 0;

	if (!f)
		f = &dummy;
	*f = (struct pn_text_fault){ .rule = PN_TEXT_SOUND };
	if (!s)
		return 0;
	while (i < n) {
		size_t k = pn_utf8_seq(s + i, n - i);

		if (!k) {
			*f = (struct pn_text_fault){ PN_TEXT_NOT_UTF8, i, s[i] };
			return -EINVAL;
		}
		if (is_c0(s[i]) || is_c1(s + i, k)) {
			*f = (struct pn_text_fault){ PN_TEXT_CONTROL, i,
						     k == 2 ? (unsigned)s[i + 1] : s[i] };
			return -EINVAL;
		}
		i += k;
	}
	return 0;
}

int pn_text_fault_what(const struct pn_text_fault *f, char *buf, size_t len)
{
	switch (f->rule) {
	case PN_TEXT_SOUND:
		return snprintf(buf, len, "nothing is wrong");
	case PN_TEXT_NOT_UTF8:
		return snprintf(buf, len, "not valid UTF-8 at byte %zu (0x%02x)", f->offset,
				f->value);
	case PN_TEXT_CONTROL:
		if (f->value >= 0x80)
			return snprintf(buf, len, "control character U+%04X at byte %zu", f->value,
					f->offset);
		return snprintf(buf, len, "control byte 0x%02x at byte %zu", f->value, f->offset);
	}
	return snprintf(buf, len, "broken rule %d", (int)f->rule);
}

int pn_text_check_field(const char *field, const char *s, char *err, size_t errlen)
{
	struct pn_text_fault f;
	char what[64];

	if (!pn_text_check(s, &f))
		return 0;
	pn_text_fault_what(&f, what, sizeof(what));
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", field, what);
	return -EINVAL;
}

static inline void out_hex(struct out *o, unsigned char c)
{
	char esc[4] = { '\\', 'x', hexdigits[c >> 4], hexdigits[c & 15] };

	out_mem(o, esc, sizeof(esc));
}

char *pn_utf8_escape_dup(const char *str, size_t n, bool *oom)
{
	const unsigned char *s = (const unsigned char *)str;
	struct out o;
	char *buf;

	if (pn_utf8_valid(str, n))
		return NULL;
	/* 4 bytes out for a byte in at most: the names are PATH_MAX long at most */
	buf = malloc(4 * n + 1);
	if (!buf) {
		*oom = true;
		return NULL;
	}
	o = (struct out){ buf, 4 * n + 1, 0 };
	for (size_t i = 0; i < n;) {
		size_t k = pn_utf8_seq(s + i, n - i);

		if (!k) {
			out_hex(&o, s[i++]);
		} else if (s[i] == '\\') {
			out_lit(&o, "\\\\");
			i++;
		} else {
			out_mem(&o, str + i, k);
			i += k;
		}
	}
	buf[o.pos] = '\0';
	return buf;
}

void pn_text_escape_from(struct out *o, const char *str, size_t n, size_t i)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = 0;

	do {
		size_t k = pn_utf8_seq(s + i, n - i);

		if (k > 1 && !is_c1(s + i, k)) {
			i += k; /* well-formed and printable: kept */
			continue;
		}
		out_mem(o, str + start, i - start);
		if (k == 1 && s[i] == '\\') {
			out_lit(o, "\\\\");
		} else {
			for (size_t j = 0; j < (k ? k : 1); j++)
				out_hex(o, s[i + j]);
			i += k ? k - 1 : 0;
		}
		start = ++i;
	} while (i < n && (i += plain_prefix(s + i, n - i, pn_text_plain_word, pn_text_plain)) < n);
	out_mem(o, str + start, n - start);
}
