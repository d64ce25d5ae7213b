// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, names created and removed: unlink, rmdir, mkdir, mknod,
 * symlink, link. The LSM path_* hooks build the record while the name still
 * exists and the mount is known; fexit on the do_* function that the
 * syscalls and io_uring share emits it when the operation succeeded
 * (lib/pending.bpf.h). overlayfs repeats these operations on its upper layer
 * through vfs_*() directly, never through the path_* hooks: one record per
 * operation, with the path the process sees.
 */
#include "lib/pending.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/path_unlink")
int BPF_PROG(pn_lsm_unlink, const struct path *dir, struct dentry *dentry)
{
	pending__name(dir, dentry, PN_DELETE, 0, PN_HOOK_UNLINK, NULL);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(pn_end_unlink, int dfd, struct filename *name, int ret)
{
	pending__finish(PN_HOOK_UNLINK, NULL, ret);
	return 0;
}

SEC("lsm/path_rmdir")
int BPF_PROG(pn_lsm_rmdir, const struct path *dir, struct dentry *dentry)
{
	pending__name(dir, dentry, PN_DELETE, PN_REC_ISDIR, PN_HOOK_RMDIR, NULL);
	return 0;
}

SEC("fexit/do_rmdir")
int BPF_PROG(pn_end_rmdir, int dfd, struct filename *name, int ret)
{
	pending__finish(PN_HOOK_RMDIR, NULL, ret);
	return 0;
}

SEC("lsm/path_mkdir")
int BPF_PROG(pn_lsm_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode)
{
	pending__name(dir, dentry, PN_CREATE, PN_REC_ISDIR, PN_HOOK_MKDIR, NULL);
	return 0;
}

SEC("fexit/do_mkdirat")
int BPF_PROG(pn_end_mkdir, int dfd, struct filename *name, umode_t mode, int ret)
{
	pending__finish(PN_HOOK_MKDIR, NULL, ret);
	return 0;
}

SEC("lsm/path_mknod")
int BPF_PROG(pn_lsm_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	/*
	 * open(O_CREAT) asks this hook too (may_o_create()), from inside its
	 * path walk: current->nameidata is set only during a walk, and
	 * mknod(2) calls the hook after its walk. The open hook reports
	 * those creates, with the file it opened.
	 */
	if (BPF_CORE_READ(task, nameidata))
		return 0;
	pending__name(dir, dentry, PN_CREATE, 0, PN_HOOK_MKNOD, NULL);
	return 0;
}

SEC("fexit/do_mknodat")
int BPF_PROG(pn_end_mknod, int dfd, struct filename *name, umode_t mode, unsigned int dev, int ret)
{
	pending__finish(PN_HOOK_MKNOD, NULL, ret);
	return 0;
}

SEC("lsm/path_symlink")
int BPF_PROG(pn_lsm_symlink, const struct path *dir, struct dentry *dentry, const char *old_name)
{
	pending__name(dir, dentry, PN_CREATE, 0, PN_HOOK_SYMLINK, NULL);
	return 0;
}

SEC("fexit/do_symlinkat")
int BPF_PROG(pn_end_symlink, struct filename *from, int newdfd, struct filename *to, int ret)
{
	pending__finish(PN_HOOK_SYMLINK, NULL, ret);
	return 0;
}

SEC("lsm/path_link")
int BPF_PROG(pn_lsm_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry)
{
	pending__name(new_dir, new_dentry, PN_CREATE, 0, PN_HOOK_LINK, NULL);
	return 0;
}

SEC("fexit/do_linkat")
int BPF_PROG(pn_end_link, int olddfd, struct filename *old, int newdfd, struct filename *new,
	     int flags, int ret)
{
	pending__finish(PN_HOOK_LINK, NULL, ret);
	return 0;
}
