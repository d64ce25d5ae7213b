// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfs backend, opens: fexit do_filp_open(), which every open path shares
 * (open/openat/openat2/creat and io_uring's OPENAT), with the new struct
 * file as result. The record names the file reached (symlinks followed) and,
 * as its second path, the name the process used; userspace keeps the second
 * one only where the two differ. O_TRUNC of an existing file is reported by
 * the truncate hooks (vfs_attr.bpf.c), before this OPEN, as inotify orders
 * them.
 */
#include "lib/coalesce.bpf.h"
#include "lib/record.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PN_MAY_EXEC 0x1

SEC("fexit/do_filp_open")
int BPF_PROG(pn_end_open, int dfd, struct filename *pathname, const struct open_flags *op,
	     struct file *f)
{
	struct pn_counters *c;
	struct pn_cgroup_watch *w;
	struct task_struct *task;
	struct pn_scratch *s;
	__u32 fmode, mode, ops = PN_OPEN, named_len;
	__u64 watch_id = 0;
	__u8 saved;

	w = filter__enter(&c, &watch_id);
	if (!w)
		return 0;
	if ((unsigned long)f >= (unsigned long)-4095L || !f) {
		counters__inc(c, failed);
		return 0;
	}
	/*
	 * execve() opens the program through here too; the syscalls backend
	 * does not see that open, and nothing closes it by descriptor.
	 */
	if (BPF_CORE_READ(op, acc_mode) & PN_MAY_EXEC)
		return 0;

	fmode = BPF_CORE_READ(f, f_mode);
	mode = file__mode(f);
	if (fmode & PN_FMODE_CREATED)
		ops |= PN_CREATE;
	/* a fresh struct file: forget whatever an earlier file at this address left */
	if (w->ops & (PN_ACCESS | PN_MODIFY))
		coalesce__note(f, PN_OPEN);
	if (!filter__wants(w, ops, c))
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	s = record__of_dentry(task, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt),
			      mode__is_dir(mode) ? PN_REC_ISDIR : 0, watch_id, ops & w->ops,
			      PN_HOOK_OPEN, 0);
	if (!s)
		return 0;

	saved = record__second_begin(s);
	named_len = path__of_name(s, task, dfd, BPF_CORE_READ(pathname, name), false,
				  record__second_dst(s));
	/* the name as used is extra: the record goes out without it if it did not resolve */
	record__second_done(s, named_len ? saved | PN_REC_NAMED : saved, named_len,
			    PN_REC_OLD_TRUNCATED);
	record__submit(s, c);
	return 0;
}
