/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text that someone else chose, in the three ways panoptes meets it:
 *
 * - from a client (names, pods, tags, formats, paths, node names): it must
 *   be well-formed UTF-8 without control bytes, or it is refused
 *   (pn_text_check), so that everything panoptesd hands back to any client
 *   decodes and prints on one line;
 * - from the kernel, into a protobuf `string` (file names, comm, cgroup
 *   names): the bytes as they are when they are well-formed UTF-8, else
 *   escaped (pn_utf8_escape) and flagged, the raw bytes going alongside;
 * - into a text line (pn_text_escape): no byte that could end the line or
 *   drive a terminal.
 *
 * The escape is one for all of them: "\xNN" for a byte, "\\" for a
 * backslash where a backslash could otherwise be read as an escape.
 */
#ifndef PN_TEXT_H
#define PN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"

/* Length of the well-formed UTF-8 sequence at s (RFC 3629, Unicode table 3-7), or 0. */
size_t pn_utf8_seq(const unsigned char *s, size_t n);

/* Whether s[0..n) is well-formed UTF-8 (NUL bytes count as valid). */
bool pn_utf8_valid(const char *s, size_t n);

/* What pn_text_check() refuses. */
enum pn_text_rule {
	PN_TEXT_SOUND,
	PN_TEXT_NOT_UTF8, /* a byte that starts no well-formed UTF-8 sequence */
	PN_TEXT_CONTROL,  /* C0 (below 0x20), DEL, or a C1 control (U+0080..U+009F) */
};

struct pn_text_fault {
	enum pn_text_rule rule;
	size_t offset;	    /* of the first bad byte */
	unsigned int value; /* that byte, or the code point of a C1 control */
};

/*
 * The one rule for text a client or an operator supplies: well-formed UTF-8,
 * no control characters. 0, or -EINVAL with *f saying where and why (f may
 * be NULL). A NULL s is sound (not given).
 */
int pn_text_check(const char *s, struct pn_text_fault *f);
/* The same rule for s[0..n), which may hold NUL bytes (a NUL is a control byte). */
int pn_text_check_n(const char *s, size_t n, struct pn_text_fault *f);

/* "control byte 0x0a at byte 3", "not valid UTF-8 at byte 5 (0xff)". snprintf's count. */
int pn_text_fault_what(const struct pn_text_fault *f, char *buf, size_t len);

/*
 * pn_text_check() with the field named: 0, or -EINVAL and
 * "FIELD: control byte 0x0a at byte 3" in err. The value itself is not
 * quoted: it is what could not be printed.
 */
int pn_text_check_field(const char *field, const char *s, char *err, size_t errlen);

/*
 * A kernel-sourced name for a protobuf string field: when s[0..n) is
 * well-formed UTF-8, NULL (use s as it is); else a new NUL-terminated string
 * with each byte outside a well-formed sequence written \xNN and each '\\'
 * written "\\\\", so the escaped form reads back to the bytes unambiguously.
 * *oom is set if the copy could not be had (and NULL returned).
 */
char *pn_utf8_escape_dup(const char *s, size_t n, bool *oom);

/* Plain in a text line: printable ASCII other than '\\'. Anything else takes the slow path. */
static inline bool pn_text_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

static inline bool pn_text_plain_word(uint64_t x)
{
	return !((x & BYTES_80) | any_below(x, 0x20) | any_equal(x, 0x7f) | any_equal(x, '\\'));
}

/* pn_text_escape() from s[i] on, s[0..i) being plain: out of line, the rare case. */
void pn_text_escape_from(struct out *o, const char *s, size_t n, size_t i);

/*
 * A name in a text line (log lines, {pod}, {tags}, a format's literal text):
 * control characters (C0, DEL, C1) and bytes outside a well-formed UTF-8
 * sequence as \xNN, '\\' as "\\\\", everything else as is. The line is then
 * well-formed UTF-8 holding no byte that ends a line or drives a terminal.
 * Inline: it runs for every part of every line, and a plain part (nearly
 * all of them) costs a word-at-a-time scan and a copy.
 */
static inline void pn_text_escape(struct out *o, const char *s, size_t n)
{
	size_t i = plain_prefix((const unsigned char *)s, n, pn_text_plain_word, pn_text_plain);

	if (i < n)
		pn_text_escape_from(o, s, n, i);
	else
		out_mem(o, s, n);
}

#endif
