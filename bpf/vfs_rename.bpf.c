// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, renames: lsm path_rename builds one record with both names
 * (new in path, old in old path, a cookie linking MOVED_FROM and MOVED_TO),
 * fexit do_renameat2 (rename, renameat, renameat2 and io_uring's RENAMEAT)
 * emits it when the rename succeeded.
 */
#include "lib/pending.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* `flags` is an argument of the hook since 5.19 (lib/compat.bpf.h). */
SEC("lsm/path_rename")
int BPF_PROG(pn_lsm_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags)
{
	struct task_struct *task;
	struct pn_cgroup_watch *w;
	struct pn_counters *c;
	struct pn_scratch *s;
	__u64 watch_id = 0;
	__u32 len, old_len;
	__u8 saved;

	w = filter__enter(&c, &watch_id);
	if (!w || !filter__wants(w, PN_OP_MOVE, c))
		return 0;
	s = record__begin(watch_id, PN_OP_MOVE, PN_HOOK_RENAME, 0);
	if (!s)
		return 0;
	s->rec.cookie = record__cookie(s);
	if (compat__path_rename_flags(flags) & PN_RENAME_EXCHANGE)
		/* two objects, maybe of two types: userspace asks the filesystem */
		s->rec.flags = PN_REC_EXCHANGE | PN_REC_TYPE_UNKNOWN;
	else
		s->rec.flags = dentry__dir_flag(old_dentry);
	task = (struct task_struct *)bpf_get_current_task();
	len = path__of_dentry(s, task, new_dentry, BPF_CORE_READ(new_dir, mnt), s->data);
	if (!len)
		return 0;
	s->rec.path_len = len;
	saved = record__second_begin(s);
	old_len = path__of_dentry(s, task, old_dentry, BPF_CORE_READ(old_dir, mnt),
				  record__second_dst(s));
	if (!old_len)
		return 0;
	record__second_done(s, saved, old_len, PN_REC_OLD_TRUNCATED);
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
