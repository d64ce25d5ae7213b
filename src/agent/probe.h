/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the running kernel offers, asked before anything is loaded: tracefs
 * for the tracepoints, the active LSM list, whether a trampoline may attach,
 * which functions exist to hook. Cheap questions, so that choosing a backend
 * never costs a failed load of the whole object.
 */
#ifndef PN_PROBE_H
#define PN_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/* one wording for the probe's refusal and the whole object's: tests and logs match it */
#define PN_VFS_REFUSED "the kernel refused the vfs programs (fentry/fexit/LSM): "

/* The kernel describes itself in BTF (/sys/kernel/btf/vmlinux): CO-RE needs it. */
bool pn_probe_btf(void);

/* tracefs (or debugfs' tracing) is there, mounted now if it was missing. */
bool pn_probe_tracefs(void);

/*
 * The kernel has the bpf_loop helper (5.17), asked by loading a tiny program
 * (libbpf's helper probe); without it the agent loads the bounded object.
 */
bool pn_probe_bpf_loop(void);

/*
 * Tracing programs may call bpf_get_current_ancestor_cgroup_id() (5.14);
 * without it they read the ancestors from the task's cgroup
 * (bpf/lib/compat.bpf.h).
 */
bool pn_probe_ancestor_helper(void);

/*
 * A program on this LSM hook loads and attaches (asked with two
 * instructions): false where the kernel refuses the hook's argument types.
 */
bool pn_probe_lsm_hook(const struct btf *vmlinux, const char *hook);

/* How many arguments the kernel function takes (its BTF prototype), or -1. */
int pn_probe_func_args(const struct btf *vmlinux, const char *name);

/*
 * The name under which this kernel has the function the programs call
 * `name` (the same, or the one it was renamed to), or NULL if neither.
 */
const char *pn_probe_func_name(const struct btf *vmlinux, const char *name);

/* The kernel's BTF has a function of this name (NULL-safe on vmlinux). */
bool pn_probe_has_func(const struct btf *vmlinux, const char *name);

/*
 * Why BPF LSM programs would not run here (written to why and returned), or
 * NULL: the kernel attaches them even when bpf is not an active LSM, and
 * then never calls them, so the active list is what tells.
 */
const char *pn_probe_bpf_lsm_missing(char *why, size_t len);

/*
 * Why the vfs backend cannot run on this kernel, written to why and
 * returned, or NULL if it may: BPF LSM must be active, the functions hooked
 * must exist and the kernel must let a trampoline attach. Whether the whole
 * object loads is only known by trying.
 */
const char *pn_probe_vfs_missing(const struct btf *vmlinux, char *why, size_t len);

#endif
