/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * JSON strings (RFC 8259): the one escaper of panoptesd's JSON lines and
 * panoptesctl's JSON output.
 *
 * Linux names are bytes, not text: a byte that is not part of well-formed
 * UTF-8 (Unicode table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF) is written as \u00XX of its value, so the line stays valid JSON
 * and the byte is recoverable (a reader sees U+0080..U+00FF in its place;
 * well-formed UTF-8 is copied unchanged, so such code points are unambiguous
 * only if the name was not valid UTF-8 text). Control bytes are \b \f \n \r
 * \t or \u00XX; '"' and '\\' are escaped; everything else is copied.
 */
#ifndef PN_JSONSTR_H
#define PN_JSONSTR_H

#include <stddef.h>
#include <stdio.h>

struct out;

/* Appends s[0..n), quotes included, at the cursor o (out.h). */
void pn_json_strn(struct out *o, const char *s, size_t n);

/* The same for a NUL-terminated s (NULL is "") to a stream: 0, or EOF if a write failed. */
int pn_json_fputs(const char *s, FILE *f);

#endif
