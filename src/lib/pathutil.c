// SPDX-License-Identifier: GPL-2.0-only
#include "pathutil.h"

#include <errno.h>
#include <string.h>

/*
 * The output never runs ahead of the input: every kept component is written
 * as "/name" after at least "/name" has been read, so normalizing in place
 * only ever copies bytes backwards (memmove).
 *
 * A component that does not fit is not an error yet: a later ".." may drop
 * it again ("/long/.." is "/"). Once one component overflows, every later one
 * lies beyond it, so the overflowed ones are always the top of the stack and
 * a count of them is all that must be kept.
 */
int pn_path_normalize(const char *in, char *out, size_t outlen)
{
	size_t o = 0, over = 0;
	const char *p;

	if (!in || in[0] != '/')
		return -EINVAL;

	p = in;
	while (*p) {
		const char *name;
		size_t len;

		while (*p == '/')
			p++;
		name = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - name);

		if (len == 0 || (len == 1 && name[0] == '.'))
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			if (over) {
				over--;
				continue;
			}
			/* Back to the previous '/'; ".." at the root stays at the root. */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		/* "/" + name + the NUL that must still fit */
		if (over || o + 1 + len + 1 > outlen) {
			over++;
			continue;
		}
		out[o++] = '/';
		memmove(out + o, name, len);
		o += len;
	}
	if (over)
		return -ENAMETOOLONG;
	if (o == 0) {
		if (outlen < 2)
			return -ENAMETOOLONG;
		out[o++] = '/';
	}
	out[o] = '\0';
	return (int)o;
}

int pn_path_depth_below(const char *dir, const char *path, const char **rel)
{
	size_t dlen = strlen(dir);
	const char *r;
	int depth;

	if (strcmp(dir, path) == 0) {
		if (rel)
			*rel = path + dlen;
		return 0;
	}
	/* "/" is the one normalized dir that already ends in '/'. */
	if (dlen == 1 && dir[0] == '/') {
		if (path[0] != '/')
			return -1;
		r = path + 1;
	} else {
		if (strncmp(dir, path, dlen) != 0 || path[dlen] != '/')
			return -1;
		r = path + dlen + 1;
	}
	depth = 1;
	for (const char *c = r; *c; c++)
		if (*c == '/')
			depth++;
	if (rel)
		*rel = r;
	return depth;
}

void pn_path_split(const char *path, size_t *dir_len, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*dir_len = 0;
		*base = path;
		return;
	}
	/* The parent of "/x" is "/", not "". */
	*dir_len = slash == path ? 1 : (size_t)(slash - path);
	*base = slash + 1;
}

bool pn_path_has_dotdot(const char *p)
{
	for (const char *s = strstr(p, ".."); s; s = strstr(s + 1, ".."))
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}
