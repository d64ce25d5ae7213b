// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, attribute changes: chmod/chown (ATTRIB) and truncation
 * (MODIFY) by name, by descriptor and by open(O_TRUNC). The LSM hooks build
 * the record; every one of these operations then calls notify_change() on
 * the same dentry, whose fexit emits it if the change was made. overlayfs
 * calls notify_change() again, first, on its upper dentry: the record waits
 * for its own dentry. utimes has no path hook: vfs_utimes() has the path and
 * the result at once.
 */
#include "lib/pending.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void attr__pending(const struct path *path, __u32 op)
{
	struct dentry *dentry = BPF_CORE_READ(path, dentry);

	/* path_*: the object itself; the record names it from its own path */
	pending__name(path, dentry, op, dentry__change_flags(dentry), PN_HOOK_SETATTR, dentry);
}

SEC("lsm/path_chmod")
int BPF_PROG(pn_lsm_chmod, const struct path *path, umode_t mode)
{
	attr__pending(path, PN_ATTRIB);
	return 0;
}

SEC("lsm/path_chown")
int BPF_PROG(pn_lsm_chown, const struct path *path) /* uid, gid: by value, unused */
{
	attr__pending(path, PN_ATTRIB);
	return 0;
}

/* Where pn_lsm_chown cannot load (lib/compat.bpf.h): the function every chown(2) variant calls. */
SEC("fentry/chown_common")
int BPF_PROG(pn_chown_common, const struct path *path) /* user, group: unused */
{
	attr__pending(path, PN_ATTRIB);
	return 0;
}

/* truncate(2); before 6.2 also ftruncate(2) and open(O_TRUNC) */
SEC("lsm/path_truncate")
int BPF_PROG(pn_lsm_truncate, const struct path *path)
{
	attr__pending(path, PN_MODIFY);
	return 0;
}

/* 6.2+: ftruncate(2) and open(O_TRUNC); not loaded on older kernels (lib/compat.bpf.h) */
SEC("lsm/file_truncate")
int BPF_PROG(pn_lsm_ftruncate, struct file *file)
{
	const struct path *path = __builtin_preserve_access_index(&file->f_path);

	attr__pending(path, PN_MODIFY);
	return 0;
}

/* idmap: its type changed in 5.12 and 6.3 (lib/compat.bpf.h) */
SEC("fexit/notify_change")
int BPF_PROG(pn_end_setattr, void *idmap, struct dentry *dentry, struct iattr *attr,
	     struct inode **delegated_inode, int ret)
{
	pending__finish(PN_HOOK_SETATTR, dentry, ret);
	return 0;
}

/* Before 5.12 notify_change() had no idmap (lib/compat.bpf.h) */
SEC("fexit/notify_change")
int BPF_PROG(pn_end_setattr_noidmap, struct dentry *dentry, struct iattr *attr,
	     struct inode **delegated_inode, int ret)
{
	pending__finish(PN_HOOK_SETATTR, dentry, ret);
	return 0;
}

SEC("fexit/vfs_utimes")
int BPF_PROG(pn_end_utimes, const struct path *path, struct timespec64 *times, int ret)
{
	struct dentry *dentry = BPF_CORE_READ(path, dentry);
	struct pn_scratch *s;
	struct hook h;

	if (!hook__enter(&h))
		return 0;
	if (ret < 0) {
		counters__inc(h.c, failed);
		return 0;
	}
	if (!hook__wants(&h, PN_ATTRIB))
		return 0;
	s = record__of_dentry(&h, dentry, BPF_CORE_READ(path, mnt), dentry__change_flags(dentry),
			      PN_ATTRIB, PN_HOOK_UTIMES, ret);
	if (s)
		record__submit(&h, s);
	return 0;
}
