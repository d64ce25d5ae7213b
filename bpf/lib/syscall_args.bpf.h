/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Syscall number and arguments from the pt_regs a sys_exit hook receives.
 * At exit the argument registers still hold what the process passed (the
 * return value went to ax/x0, which is why arm64 reads orig_x0 for arg0).
 * This is what lets one exit hook serve most syscalls without an enter hook.
 */
#ifndef PN_SYSCALL_ARGS_BPF_H
#define PN_SYSCALL_ARGS_BPF_H

#include "lib/common.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define syscall__nr(regs) ((regs)->orig_ax)

static __always_inline unsigned long syscall__arg(struct pt_regs *regs, int n)
{
	switch (n) {
	case 0:
		return BPF_CORE_READ(regs, di);
	case 1:
		return BPF_CORE_READ(regs, si);
	case 2:
		return BPF_CORE_READ(regs, dx);
	case 3:
		return BPF_CORE_READ(regs, r10);
	case 4:
		return BPF_CORE_READ(regs, r8);
	default:
		return BPF_CORE_READ(regs, r9);
	}
}

/*
 * A 32-bit task's syscall numbers come from another table; reading them
 * through the 64-bit one would misreport. Such tasks are skipped (see
 * docs/events.md).
 */
#define PN_TS_COMPAT 0x0002
static __always_inline bool syscall__is_compat(struct task_struct *task)
{
	return BPF_CORE_READ(task, thread_info.status) & PN_TS_COMPAT;
}
#elif defined(__TARGET_ARCH_arm64)
#define syscall__nr(regs) ((regs)->syscallno)

static __always_inline unsigned long syscall__arg(struct pt_regs *regs, int n)
{
	if (n == 0)
		return BPF_CORE_READ(regs, orig_x0);
	/* n is a constant 1..5 at every call; the mask keeps any other n inside regs[] */
	return BPF_CORE_READ(regs, regs[n & 7]);
}

static __always_inline bool syscall__is_compat(struct task_struct *task)
{
	return false; /* AArch32 tasks: not supported, see docs/events.md */
}
#endif

#endif
