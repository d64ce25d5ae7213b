/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The end of a read or write of a file's data, on both backends: only
 * regular files are reported, and a repeat of the file's last event is
 * folded (lib/coalesce.bpf.h).
 */
#ifndef PN_RW_BPF_H
#define PN_RW_BPF_H

#include "lib/coalesce.bpf.h"
#include "lib/record.bpf.h"

/* Directories (readdir), pipes, sockets, terminals: not data anyone watches by path. */
static __always_inline bool rw__is_data(__u32 mode)
{
	return mode__is_reg(mode);
}

/*
 * Is `op` (PN_ACCESS or PN_MODIFY) on the data of `f` reported? The hook
 * already wants it; the caller emits the record (record__emit_file), one
 * call site per program, because each one inlines a path walk. (The
 * syscalls backend's enter hook asks the same in two halves: rw__is_data()
 * and coalesce__peek() at entry, coalesce__repeat() once the call returned.)
 */
static __always_inline bool rw__reports(struct hook *h, struct file *f, __u32 mode, __u32 op)
{
	if (!rw__is_data(mode))
		return false;
	if (coalesce__repeat(f, op)) {
		counters__inc(h->c, coalesced);
		return false;
	}
	return true;
}

#endif
