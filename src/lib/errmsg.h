/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One-line messages: an error formatted into a caller's buffer (the err,
 * errlen pair that parsers, loaders and mappings take), and a line made safe
 * to print when it quotes what a client or a file sent.
 */
#ifndef PN_ERRMSG_H
#define PN_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Formats a message into err (cut to errlen bytes, NUL-terminated) and
 * returns ret, so that a failure and its message are one statement:
 * `return pn_errf(err, errlen, -EINVAL, "paths: at least one path is required");`.
 * A NULL err or a zero errlen writes nothing: the caller did not ask why.
 */
__attribute__((format(printf, 4, 5))) int pn_errf(char *err, size_t errlen, int ret,
						  const char *fmt, ...);
__attribute__((format(printf, 4, 0))) int pn_verrf(char *err, size_t errlen, int ret,
						   const char *fmt, va_list ap);

/*
 * Replaces every control byte of s (below 0x20, and DEL) with '?', in place,
 * and returns s: a value quoted in a diagnostic (a path, a name a gRPC client
 * chose) cannot end the line and start a forged one of its own.
 */
char *pn_one_line(char *s);

#endif
