/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names as the kernel resolved them, inside a process's own root. The
 * syscalls backend reports an operation on a name with the text the process
 * passed, joined to the directory it was relative to; a symlink or a ".."
 * in it (`rm l/f` with l -> /watched) names another place than the text
 * says. Here the directory part is looked up again in the process's root
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so no symlink of a
 * container ever leads into the agent's own root; the last name is kept as
 * it is (unlink, rename, rmdir, lstat never follow it).
 */
#ifndef PN_NAMES_H
#define PN_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A directory fd (O_PATH) for every name of `path` but the last, looked up
 * in the root of process `pid` (under `proc_root`, normally /proc); *last
 * points into `path` at the last name ("" when the path names a directory
 * itself: "/", a trailing "/", "." or ".."). -errno when the process or the
 * directory is gone.
 */
int pn_names_open_parent(const char *proc_root, int pid, const char *path, const char **last);

/*
 * `path` as process `pid` reaches it: the directory part resolved in its
 * root, then the last name. Writes a NUL-terminated absolute path of at most
 * `outlen` bytes; -errno when it cannot (the process or the directory is
 * gone, the result does not fit).
 */
int pn_names_resolve(const char *proc_root, int pid, const char *path, char *out, size_t outlen);

#endif
