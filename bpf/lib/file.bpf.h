/* SPDX-License-Identifier: GPL-2.0-only */
/* struct file access: fd lookup, reference count, type. Mirrors fs/file.c. */
#ifndef PN_FILE_BPF_H
#define PN_FILE_BPF_H

#include "lib/common.bpf.h"

/*
 * The reference count changed in 6.13 from atomic_long_t f_count to file_ref_t
 * f_ref. Both shapes are declared here, so the code compiles against either
 * vmlinux.h and CO-RE picks the one the running kernel has.
 */
struct file___f_count {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

struct file___f_ref {
	struct {
		atomic_long_t refcnt;
	} f_ref;
} __attribute__((preserve_access_index));

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

/* References held on the file: 1 means the caller's is the last. */
static __always_inline long file__refs(struct file *f)
{
	struct file___f_ref *fr = (void *)f;

	if (bpf_core_field_exists(fr->f_ref)) {
		/* file_ref_t counts from 0 for one reference (FILE_REF_ONEREF) */
		return BPF_CORE_READ(fr, f_ref.refcnt.counter) + 1;
	}
	return BPF_CORE_READ((struct file___f_count *)f, f_count.counter);
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
