/* SPDX-License-Identifier: GPL-2.0-only */
/* struct file access: fd lookup, type. Mirrors fs/file.c; the reference count is a shim (compat). */
#ifndef PN_FILE_BPF_H
#define PN_FILE_BPF_H

#include "lib/compat.bpf.h"

/* Like files_lookup_fd_raw(): the file behind fd in the task's table, or NULL. */
static __always_inline struct file *file__from_fd(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline __u32 file__mode(struct file *f)
{
	return BPF_CORE_READ(f, f_inode, i_mode);
}

static __always_inline bool mode__is_reg(__u32 mode)
{
	return (mode & PN_S_IFMT) == PN_S_IFREG;
}

static __always_inline bool mode__is_dir(__u32 mode)
{
	return (mode & PN_S_IFMT) == PN_S_IFDIR;
}

#endif
