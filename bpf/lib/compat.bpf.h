/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every place where the kernel changed under us, in one file. panoptes runs
 * on 5.8+ from one object: CO-RE relocations, field-existence tests and
 * userspace's choice of programs absorb the differences, and each of them
 * is listed here with the release (and commit, where known) that made it
 * necessary. A new shim goes here, not into the hook that needs it.
 *
 * Chosen by userspace at load time (agent/capture.c), because a program
 * attached to a function the kernel lacks fails to load:
 *
 * - filp_flush(), 6.7: close(2) and its relatives reach filp_flush() and no
 *   longer filp_close(); vfs_close.bpf.c has one program for each and the
 *   one the kernel's BTF names is loaded.
 * - LSM path_chown takes kuid_t and kgid_t by value, which a trampoline
 *   accepts only from 6.1 (bpf: Allow struct argument in trampoline based
 *   programs); before, fentry on chown_common(), through which every
 *   chown(2) variant passes with the path, builds the same pending record.
 *   Userspace loads pn_lsm_chown where a probe program on the hook loads,
 *   pn_chown_common otherwise.
 * - __close_fd_get_file(fd, &file), before 6.0: io_uring's CLOSE keeps a
 *   reference across filp_close(); pn_close_get_file (fentry, while the
 *   descriptor is still in the table) reports that close where the
 *   function has this two-argument form.
 * - LSM file_truncate, 6.2 (security: Create file_truncate hook from
 *   path_truncate hook): ftruncate(2) and open(O_TRUNC) ask file_truncate
 *   instead of path_truncate; pn_lsm_ftruncate loads only where it exists.
 *
 * - notify_change()'s first argument, 5.12 (fs: add idmapped mounts
 *   series: "attr: handle idmapped mounts"): an fexit program reads the
 *   return value after the arguments, so the count matters. pn_end_setattr
 *   takes it, pn_end_setattr_noidmap is for the older three arguments; the
 *   one that matches the function's BTF prototype is loaded.
 *
 * Function arguments that changed type but not position: fexit/notify_change
 * declares its first argument `void *`, a struct user_namespace * from 5.12
 * (idmapped mounts) and a struct mnt_idmap * from 6.3; the program never
 * reads it.
 */
#ifndef PN_COMPAT_BPF_H
#define PN_COMPAT_BPF_H

#include "lib/common.bpf.h"

/*
 * struct file's reference count, 6.13 (commit 90ee6ed7, "fs: port files to
 * file_ref"): atomic_long_t f_count became file_ref_t f_ref, which counts
 * from 0 for one reference (FILE_REF_ONEREF). Both shapes are declared here,
 * so the code compiles against either vmlinux.h and CO-RE picks the one the
 * running kernel has.
 */
struct file___f_count {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

struct file___f_ref {
	struct {
		atomic_long_t refcnt;
	} f_ref;
} __attribute__((preserve_access_index));

/* References held on the file, counted as before 6.13: 1 means the caller's is the last. */
static __always_inline long compat__file_refs(struct file *f)
{
	struct file___f_ref *fr = (void *)f;

	if (bpf_core_field_exists(fr->f_ref))
		return BPF_CORE_READ(fr, f_ref.refcnt.counter) + 1;
	return BPF_CORE_READ((struct file___f_count *)f, f_count.counter);
}

/*
 * bpf_get_current_ancestor_cgroup_id() for tracing and LSM programs, 5.14
 * (bpf: Allow bpf_get_current_ancestor_cgroup_id for tracing); before, only
 * cgroup programs had it. The helper's id exists in every kernel's enum, so
 * CO-RE cannot tell: userspace asks the kernel (libbpf's helper probe) and
 * sets this before load, and the verifier, which knows frozen .rodata,
 * never visits the call where it is 0. There the same id is read from the
 * task's default-hierarchy cgroup, in its ancestor_ids[] array (kernels
 * before 5.14 all have it; 6.0 replaced it with ancestors[], by then the
 * helper is always there).
 */
const volatile __u8 pn_ancestor_helper __weak = 1;

struct cgroup___ancestor_ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

static __always_inline __u64 compat__ancestor_cgroup_id(__u32 level)
{
	struct task_struct *task;
	struct cgroup *cg;
	__u64 id = 0;

	if (pn_ancestor_helper)
		return bpf_get_current_ancestor_cgroup_id(level);
	task = (struct task_struct *)bpf_get_current_task();
	cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	/* the helper's answer above the task's own level: no such ancestor */
	if (!cg || BPF_CORE_READ(cg, level) < (int)level)
		return 0;
	bpf_core_read(&id, sizeof(id), &((struct cgroup___ancestor_ids *)cg)->ancestor_ids[level]);
	return id;
}

/*
 * bpf_loop(), 5.17 (bpf: Add bpf_loop helper): a callback verified once and
 * run up to a runtime bound. CO-RE answers this at load time and the
 * verifier never visits the branch the kernel cannot run (lib/loop.bpf.h).
 *
 * Not visiting it is not enough before 5.13 (bpf: Add bpf_for_each_map_elem()
 * helper, which brought BPF_PSEUDO_FUNC): the callback's address is loaded by
 * an ld_imm64 of that kind, and older kernels reject the whole program at it
 * ("unrecognized bpf_ld_imm64 insn") however dead its branch is. The build
 * makes a second object with PN_BOUNDED_LOOPS, in which no such load exists,
 * and the agent loads that one where the kernel has no bpf_loop
 * (src/agent/capture.c).
 */
#ifdef PN_BOUNDED_LOOPS
#define compat__has_bpf_loop() 0
#else
#define compat__has_bpf_loop() bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)
#endif

/*
 * The LSM path_rename hook's `flags` argument, 5.19 (LSM: Remove double
 * path_rename hook calls for RENAME_EXCHANGE). Before, the slot a program
 * reads as `flags` holds the hook's return value so far (0), and an
 * exchange calls the hook twice, the second time with the names swapped as
 * for a plain move, whose pending record replaces the first one: there an
 * exchange reads as a move. Callers read the argument through here so that
 * this is said once.
 */
static __always_inline unsigned int compat__path_rename_flags(unsigned int flags)
{
	return flags;
}

#endif
