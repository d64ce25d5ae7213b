// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, renames: lsm path_rename builds one record with both names
 * (new in path, old in old path, a cookie linking MOVED_FROM and MOVED_TO),
 * fexit do_renameat2 (rename, renameat, renameat2 and io_uring's RENAMEAT)
 * emits it when the rename succeeded.
 */
#include "lib/move.bpf.h"
#include "lib/pending.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* `flags` is an argument of the hook since 5.19 (lib/compat.bpf.h). */
SEC("lsm/path_rename")
int BPF_PROG(pn_lsm_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags)
{
	struct path_src to, from;
	struct pn_scratch *s;
	struct hook h;
	__u8 rec_flags;

	if (!hook__enter(&h))
		return 0;
	if (compat__path_rename_flags(flags) & PN_RENAME_EXCHANGE)
		/* two objects, maybe of two types: userspace asks the filesystem */
		rec_flags = PN_REC_EXCHANGE | PN_REC_TYPE_UNKNOWN;
	else
		rec_flags = dentry__dir_flag(old_dentry);
	to = path_src__dentry(new_dentry, BPF_CORE_READ(new_dir, mnt));
	from = path_src__dentry(old_dentry, BPF_CORE_READ(old_dir, mnt));
	s = move__record(&h, &to, &from, rec_flags, PN_HOOK_RENAME, 0);
	if (s)
		pending__save(s, PN_HOOK_RENAME, NULL);
	return 0;
}

SEC("fexit/do_renameat2")
int BPF_PROG(pn_end_rename, int olddfd, struct filename *from, int newdfd, struct filename *to,
	     unsigned int flags, int ret)
{
	pending__finish(PN_HOOK_RENAME, NULL, ret);
	return 0;
}
