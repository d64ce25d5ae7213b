// SPDX-License-Identifier: GPL-2.0-only
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "macros.h"

#define TRACEFS		"/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define SECURITYFS	"/sys/kernel/security"

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

bool pn_probe_btf(void)
{
	return path_exists("/sys/kernel/btf/vmlinux");
}

/*
 * libbpf finds a tracepoint's id in tracefs. A fresh node may not have it
 * mounted; node agents mount what they need and say so.
 */
bool pn_probe_tracefs(void)
{
	if (path_exists(TRACEFS "/events") || path_exists(DEBUGFS_TRACING "/events"))
		return true;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		pn_warn("tracefs is not mounted and mounting it at %s failed: %s", TRACEFS,
			strerror(errno));
		return false;
	}
	pn_info("mounted tracefs at %s (the close/dup tracepoints need it)", TRACEFS);
	return true;
}

bool pn_probe_bpf_loop(void)
{
	/* tracepoint programs get the base helpers, bpf_loop among them */
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) == 1;
}

bool pn_probe_ancestor_helper(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
				       BPF_FUNC_get_current_ancestor_cgroup_id, NULL) == 1;
}

/* The active LSMs, from securityfs (mounted when missing, as tracefs is). */
static bool lsm_list(char *buf, size_t len)
{
	FILE *f = fopen(SECURITYFS "/lsm", "r");
	size_t n;

	if (!f) {
		if (mount("securityfs", SECURITYFS, "securityfs", 0, NULL))
			return false;
		pn_info("mounted securityfs at %s (to read the active LSM list)", SECURITYFS);
		f = fopen(SECURITYFS "/lsm", "r");
		if (!f)
			return false;
	}
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return true;
}

static bool lsm_has_bpf(const char *list)
{
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", list);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, "bpf"))
			return true;
	return false;
}

bool pn_probe_has_func(const struct btf *vmlinux, const char *name)
{
	return vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
}

int pn_probe_func_args(const struct btf *vmlinux, const char *name)
{
	int id = vmlinux ? btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) : -1;
	const struct btf_type *proto;

	if (id <= 0)
		return -1;
	proto = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	return proto && btf_is_func_proto(proto) ? btf_vlen(proto) : -1;
}

/*
 * Hooked functions that the kernel renamed with their arguments unchanged:
 * the name in the programs' sections first, then the later one. Checked
 * against the BTF of Debian's 6.12 (the first names) and 7.3.4 (the second).
 */
static const char *const renamed_funcs[][2] = {
	{ "do_filp_open", "do_file_open" },   { "do_unlinkat", "filename_unlinkat" },
	{ "do_rmdir", "filename_rmdir" },     { "do_mkdirat", "filename_mkdirat" },
	{ "do_mknodat", "filename_mknodat" }, { "do_symlinkat", "filename_symlinkat" },
	{ "do_linkat", "filename_linkat" },   { "do_renameat2", "filename_renameat2" },
};

const char *pn_probe_func_name(const struct btf *vmlinux, const char *name)
{
	if (pn_probe_has_func(vmlinux, name))
		return name;
	for (size_t i = 0; i < ARRAY_SIZE(renamed_funcs); i++)
		if (!strcmp(name, renamed_funcs[i][0]) &&
		    pn_probe_has_func(vmlinux, renamed_funcs[i][1]))
			return renamed_funcs[i][1];
	return NULL;
}

/*
 * Kernel functions the vfs programs attach to (fentry/fexit) and LSM hooks
 * they need. filp_flush (6.7+) and file_truncate (6.2+) are optional: the
 * older kernels have filp_close and path_truncate doing the same work.
 */
static const char *const vfs_required_funcs[] = {
	"do_filp_open",	       "do_unlinkat",	      "do_rmdir",
	"do_mkdirat",	       "do_mknodat",	      "do_symlinkat",
	"do_linkat",	       "do_renameat2",	      "notify_change",
	"vfs_utimes",	       "filp_close",	      "bpf_lsm_file_permission",
	"bpf_lsm_path_unlink", "bpf_lsm_path_rename", "bpf_lsm_path_chmod",
};

/*
 * Loads and attaches "return 0" as one program of the given kind on func,
 * then lets it go. Returns 0 or -errno of the kernel's refusal.
 */
static int trampoline_try(const struct btf *vmlinux, enum bpf_prog_type type,
			  enum bpf_attach_type attach, const char *func)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach);
	int id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
	int prog, link, e = 0;

	if (id <= 0)
		return -ENOENT;
	o.attach_btf_id = (__u32)id;
	prog = bpf_prog_load(type, "pn_probe", "GPL", insns, 2, &o);
	if (prog < 0)
		return -errno;
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0)
		e = -errno;
	else
		close(link);
	close(prog);
	return e;
}

bool pn_probe_lsm_hook(const struct btf *vmlinux, const char *hook)
{
	return trampoline_try(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, hook) == 0;
}

/*
 * Some kernels refuse every trampoline (fentry/fexit/LSM), for instance
 * under a hypervisor or a lockdown policy that forbids them. Asking with two
 * instructions costs well under a millisecond; finding out by loading the
 * whole vfs object costs its CO-RE pass and verifier time (45 ms in
 * docs/performance.md) before the syscalls backend can start.
 */
static const char *trampolines_refused(const struct btf *vmlinux, char *why, size_t len)
{
	int e = trampoline_try(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_permission");

	if (!e)
		e = trampoline_try(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT,
				   pn_probe_func_name(vmlinux, "do_filp_open"));
	if (!e)
		return NULL;
	snprintf(why, len, PN_VFS_REFUSED "%s", strerror(-e));
	return why;
}

const char *pn_probe_bpf_lsm_missing(char *why, size_t len)
{
	char lsms[256];

	if (!lsm_list(lsms, sizeof(lsms))) {
		snprintf(why, len, "cannot read the active LSM list (%s/lsm: %s)", SECURITYFS,
			 strerror(errno));
		return why;
	}
	if (!lsm_has_bpf(lsms)) {
		snprintf(why, len,
			 "BPF LSM is not active (lsm=%s; the kernel needs CONFIG_BPF_LSM=y and bpf "
			 "in its lsm= boot parameter)",
			 lsms);
		return why;
	}
	return NULL;
}

const char *pn_probe_vfs_missing(const struct btf *vmlinux, char *why, size_t len)
{
	if (pn_probe_bpf_lsm_missing(why, len))
		return why;
	for (size_t i = 0; i < ARRAY_SIZE(vfs_required_funcs); i++) {
		if (!pn_probe_func_name(vmlinux, vfs_required_funcs[i])) {
			snprintf(why, len, "the kernel has no %s to hook", vfs_required_funcs[i]);
			return why;
		}
	}
	return trampolines_refused(vmlinux, why, len);
}
