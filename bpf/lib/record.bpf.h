/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Building a record in the CPU's scratch and handing it to the ring buffer:
 * the builders both backends share. A record is begun (process, cgroup,
 * ops), given its path and maybe a second one, then submitted, or saved as
 * pending by the vfs backend (lib/pending.bpf.h).
 */
#ifndef PN_RECORD_BPF_H
#define PN_RECORD_BPF_H

#include "lib/hook.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/path.bpf.h"

static __always_inline struct pn_scratch *record__begin(struct hook *h, __u32 ops, __u32 nr,
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
	s->rec.watch_cgroup_id = h->watch_id;
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
	s->rec.flags2 = 0;
	s->rec.root_id = 0;
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

static __always_inline void record__submit(struct hook *h, struct pn_scratch *s)
{
	record__output(&s->rec, h->c);
}

/* The record's path, from `src`; its size, 0 when there is none (drop the record). */
static __always_inline __u32 record__add_path(struct hook *h, struct pn_scratch *s,
					      const struct path_src *src)
{
	__u32 len = path__of(s, h->task, src, s->data);

	if (len)
		s->rec.path_len = len;
	if (src->by_name)
		s->rec.root_id = path__root_id(h->task);
	return len;
}

/*
 * The record's second path, right after the first: a move's old name, or
 * the name a vfs open used (`kind`: PN_REC_NAMED, else 0). The walk marks
 * truncation as PN_REC_TRUNCATED; here that mark of the second path becomes
 * PN_REC_OLD_TRUNCATED and the first's is kept. Returns its size; 0 leaves
 * the record as it was, with one path.
 */
static __always_inline __u32 record__add_second(struct hook *h, struct pn_scratch *s,
						const struct path_src *src, __u8 kind)
{
	__u8 flags = s->rec.flags;
	char *dst;
	__u32 len;

	/*
	 * path_len <= PN_PATH_MAX (path__emit() caps it), which the verifier
	 * cannot know of a value read back from the map: the mask bounds the
	 * offset below 2 * PN_PATH_MAX, and data's third PN_PATH_MAX keeps the
	 * second path's copy inside.
	 */
	dst = &s->data[s->rec.path_len & (2 * PN_PATH_MAX - 1)];
	s->rec.flags &= ~PN_REC_TRUNCATED;
	len = path__of(s, h->task, src, dst);
	if (len) {
		flags |= kind;
		if (s->rec.flags & PN_REC_TRUNCATED)
			flags |= PN_REC_OLD_TRUNCATED;
	}
	s->rec.flags = flags;
	s->rec.old_path_len = len;
	return len;
}

/*
 * A record naming `dentry` on `vfsmnt` by its path as the task sees it, built
 * in the CPU's scratch; NULL when the object is outside the task's view
 * (pipes, sockets, private mounts) or the scratch is unavailable.
 */
static __always_inline struct pn_scratch *record__of_dentry(struct hook *h, struct dentry *dentry,
							    struct vfsmount *vfsmnt, __u8 flags,
							    __u32 ops, __u32 nr, long result)
{
	struct pn_scratch *s = record__begin(h, ops, nr, result);
	struct path_src src = path_src__dentry(dentry, vfsmnt);

	if (!s)
		return NULL;
	s->rec.flags = flags;
	if (!record__add_path(h, s, &src))
		return NULL;
	return s;
}

/*
 * A record naming an open file. A change to a regular file that has other
 * hard links changes what those names read too, and the path walked here
 * is only one of them: PN_REC_MULTILINK says so. A change is anything
 * through a descriptor open for writing (its open, writes, truncation,
 * close) or an ATTRIB through any descriptor.
 */
static __always_inline struct pn_scratch *
record__of_file(struct hook *h, struct file *f, __u32 mode, __u32 ops, __u32 nr, long result)
{
	__u8 flags = mode__is_dir(mode) ? PN_REC_ISDIR : 0;

	if (mode__is_reg(mode) &&
	    ((BPF_CORE_READ(f, f_mode) & PN_FMODE_WRITE) || (ops & PN_ATTRIB)) &&
	    BPF_CORE_READ(f, f_inode, __i_nlink) > 1)
		flags |= PN_REC_MULTILINK;
	return record__of_dentry(h, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt),
				 flags, ops, nr, result);
}

/* The common end of every event on an open file: one record naming the file. */
static __always_inline void record__emit_file(struct hook *h, struct file *f, __u32 mode, __u32 ops,
					      __u32 nr, long result)
{
	struct pn_scratch *s = record__of_file(h, f, mode, ops, nr, result);

	if (s)
		record__submit(h, s);
}

#endif
