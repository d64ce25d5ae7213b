/* SPDX-License-Identifier: GPL-2.0-only */
/* Building a record in the CPU's scratch and handing it to the ring buffer. */
#ifndef PN_RECORD_BPF_H
#define PN_RECORD_BPF_H

#include "lib/filter.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/path.bpf.h"

static __always_inline struct pn_scratch *record__begin(__u64 watch_id, __u32 ops, __u32 nr,
							long result)
{
	__u32 zero = 0;
	struct pn_scratch *s = bpf_map_lookup_elem(&pn_scratch, &zero);
	__u64 pid_tgid, uid_gid;

	if (!s)
		return NULL;
	pid_tgid = bpf_get_current_pid_tgid();
	uid_gid = bpf_get_current_uid_gid();
	s->rec.ts_ns = bpf_ktime_get_ns();
	s->rec.cgroup_id = bpf_get_current_cgroup_id();
	s->rec.watch_cgroup_id = watch_id;
	s->rec.result = result;
	s->rec.pid = (__u32)pid_tgid;
	s->rec.tgid = pid_tgid >> 32;
	s->rec.uid = (__u32)uid_gid;
	s->rec.gid = uid_gid >> 32;
	s->rec.ops = ops;
	s->rec.cookie = 0;
	s->rec.syscall_nr = nr;
	s->rec.path_len = 0;
	s->rec.old_path_len = 0;
	s->rec.flags = 0;
	s->rec.backend = pn_backend;
	bpf_get_current_comm(s->rec.comm, sizeof(s->rec.comm));
	return s;
}

/*
 * Cookies link the two halves of a move. Per-CPU sequence with the CPU in the
 * low bits: unique without an atomic (fetch-add needs 5.12+). Always odd, so
 * an exchange can use cookie + 1 for its second pair and 0 means "none".
 */
static __always_inline __u32 record__cookie(struct pn_scratch *s)
{
	__u32 seq = s->cookie_seq++;

	return (((seq & 0x7fffff) << 8 | (bpf_get_smp_processor_id() & 0xff)) << 1) | 1;
}

/* `rec` is followed by at least 2 * PN_PATH_MAX bytes (scratch or pending). */
static __always_inline void record__output(struct pn_record *rec, struct pn_counters *c)
{
	__u64 size = sizeof(*rec) + rec->path_len + rec->old_path_len;

	if (size > sizeof(*rec) + 2 * PN_PATH_MAX)
		return;
	if (bpf_ringbuf_output(&pn_events, rec, size, 0)) {
		counters__inc(c, dropped);
		return;
	}
	counters__inc(c, emitted);
	if (rec->flags & (PN_REC_TRUNCATED | PN_REC_OLD_TRUNCATED))
		counters__inc(c, truncated);
}

static __always_inline void record__submit(struct pn_scratch *s, struct pn_counters *c)
{
	record__output(&s->rec, c);
}

/*
 * Where a record's second path goes: right after the first. The walk marks
 * truncation in rec.flags as PN_REC_TRUNCATED; record__second_done() moves
 * that mark of the second path to `second_mark` and restores the first's.
 */
static __always_inline char *record__second_dst(struct pn_scratch *s)
{
	return &s->data[s->rec.path_len & (2 * PN_PATH_MAX - 1)];
}

static __always_inline __u8 record__second_begin(struct pn_scratch *s)
{
	__u8 flags = s->rec.flags;

	s->rec.flags &= ~PN_REC_TRUNCATED;
	return flags;
}

static __always_inline void record__second_done(struct pn_scratch *s, __u8 saved, __u32 len,
						__u8 second_mark)
{
	if (len && (s->rec.flags & PN_REC_TRUNCATED))
		saved |= second_mark;
	s->rec.flags = saved;
	s->rec.old_path_len = len;
}

/*
 * A record naming `dentry` on `vfsmnt` by its path as the task sees it, built
 * in the CPU's scratch; NULL when the object is outside the task's view
 * (pipes, sockets, private mounts) or the scratch is unavailable.
 */
static __always_inline struct pn_scratch *
record__of_dentry(struct task_struct *task, struct dentry *dentry, struct vfsmount *vfsmnt,
		  __u8 flags, __u64 watch_id, __u32 ops, __u32 nr, long result)
{
	struct pn_scratch *s = record__begin(watch_id, ops, nr, result);
	__u32 len;

	if (!s)
		return NULL;
	s->rec.flags = flags;
	len = path__of_dentry(s, task, dentry, vfsmnt, s->data);
	if (!len)
		return NULL;
	s->rec.path_len = len;
	return s;
}

/* The common end of every event on an open file: one record naming the file. */
static __always_inline void record__emit_file(struct task_struct *task, struct file *f, __u32 mode,
					      __u64 watch_id, __u32 ops, __u32 nr, long result,
					      struct pn_counters *c)
{
	struct pn_scratch *s;

	s = record__of_dentry(task, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt),
			      mode__is_dir(mode) ? PN_REC_ISDIR : 0, watch_id, ops, nr, result);
	if (s)
		record__submit(s, c);
}

#endif
