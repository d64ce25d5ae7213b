/* SPDX-License-Identifier: GPL-2.0-only */
/* Lexical path handling: no filesystem access, safe on paths from any mount namespace. */
#ifndef PN_PATHUTIL_H
#define PN_PATHUTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Normalizes an absolute path lexically: collapses "//", removes "." and
 * trailing "/", resolves ".." (".." at "/" stays "/"). Writes at most outlen
 * bytes, NUL included. Returns the length written (without NUL), -EINVAL if
 * `in` is not absolute, -ENAMETOOLONG if it does not fit. In place (in == out)
 * is allowed.
 */
int pn_path_normalize(const char *in, char *out, size_t outlen);

/*
 * If `path` equals `dir` returns 0; if `path` lies below `dir` returns the
 * number of components below it (1 for a direct child) and sets *rel to the
 * part after "dir/"; otherwise returns -1. Both must be normalized. dir "/"
 * contains every absolute path.
 */
int pn_path_depth_below(const char *dir, const char *path, const char **rel);

/* Splits a normalized path at its last '/': dir "/a/b", base "c"; "/x" -> "/", "x". */
void pn_path_split(const char *path, size_t *dir_len, const char **base);

/* Whether a "/"-separated path holds a ".." component (refused where a path must stay inside). */
bool pn_path_has_dotdot(const char *p);

#endif
