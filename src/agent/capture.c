// SPDX-License-Identifier: GPL-2.0-only
#include "capture.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "macros.h"
#include "panoptes.skel.h"

#define TRACEFS		"/sys/kernel/tracing"
#define SECURITYFS	"/sys/kernel/security"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define PN_MAX_LINKS	32 /* the vfs backend attaches up to 23 programs */
#define BPFFS		"/sys/fs/bpf"
#define PN_BPF_FS_MAGIC 0xcafe4a11
/* one wording for the probe's refusal and the whole object's: tests and logs match it */
#define VFS_REFUSED "the kernel refused the vfs programs (fentry/fexit/LSM): "

struct pn_capture {
	struct panoptes_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[PN_MAX_LINKS];
	struct bpf_program *link_progs[PN_MAX_LINKS];
	size_t n_links;
	pn_record_fn on_record;
	void *ctx;
	int ncpus;
	int backend; /* PN_BACKEND_* */
	char programs[512];
	char pin_path[PATH_MAX]; /* "" when not pinning */
	int pin_lock;		 /* flock'ed fd on pin_path: one agent per directory */
};

/*
 * A kernel that refuses the vfs programs is an answer, not a crash: while
 * they are tried, libbpf's messages are kept out of the log (they appear
 * with --verbose), and the outcome is logged in one line.
 */
static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBBPF_DEBUG || libbpf_quiet) && !pn_log_verbose())
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/*
 * libbpf finds a tracepoint's id in tracefs. A fresh node may not have it
 * mounted; node agents mount what they need and say so.
 */
static bool tracefs_ready(void)
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

static bool kernel_has_func(const struct btf *vmlinux, const char *name)
{
	return vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
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
		e = trampoline_try(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, "do_filp_open");
	if (!e)
		return NULL;
	snprintf(why, len, VFS_REFUSED "%s", strerror(-e));
	return why;
}

/*
 * Why the vfs backend cannot run on this kernel, or NULL if it may: BPF LSM
 * must be active, the functions hooked must exist and the kernel must let a
 * trampoline attach. Whether the whole object loads is only known by trying
 * (pn_capture_open).
 */
static const char *vfs_missing(const struct btf *vmlinux, char *why, size_t len)
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
	for (size_t i = 0; i < ARRAY_SIZE(vfs_required_funcs); i++) {
		if (!kernel_has_func(vmlinux, vfs_required_funcs[i])) {
			snprintf(why, len, "the kernel has no %s to hook", vfs_required_funcs[i]);
			return why;
		}
	}
	return trampolines_refused(vmlinux, why, len);
}

static int record_cb(void *ctx, void *data, size_t size)
{
	struct pn_capture *c = ctx;

	if (size < sizeof(struct pn_record))
		return 0;
	return c->on_record(c->ctx, data, size);
}

static int attach_one(struct pn_capture *c, struct bpf_program *prog, bool required, char *err,
		      size_t errlen)
{
	struct bpf_link *link;
	int e;

	if (c->n_links == PN_MAX_LINKS) {
		snprintf(err, errlen, "cannot attach %s: more than %d programs (PN_MAX_LINKS)",
			 bpf_program__name(prog), PN_MAX_LINKS);
		return -E2BIG;
	}
	link = bpf_program__attach(prog);

	if (!link) {
		e = -errno;
		if (required) {
			snprintf(err, errlen, "cannot attach %s: %s", bpf_program__name(prog),
				 strerror(-e));
			return e;
		}
		pn_warn("cannot attach %s: %s; CLOSE_WRITE/CLOSE_NOWRITE on close(2)/dup2 will be "
			"missing, every other event still works",
			bpf_program__name(prog), strerror(-e));
		return 0;
	}
	c->link_progs[c->n_links] = prog;
	c->links[c->n_links++] = link;
	if (c->programs[0])
		strncat(c->programs, ",", sizeof(c->programs) - strlen(c->programs) - 1);
	strncat(c->programs, bpf_program__name(prog),
		sizeof(c->programs) - strlen(c->programs) - 1);
	return 0;
}

static bool on_bpffs(const char *p)
{
	struct statfs sfs;

	return statfs(p, &sfs) == 0 && (unsigned long)sfs.f_type == PN_BPF_FS_MAGIC;
}

/* Removes everything below dir (bpffs holds only pins and directories). */
static int remove_tree(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	/* the dup shares the directory offset of an earlier walk: start over */
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (sub >= 0) {
				n += remove_tree(sub);
				close(sub);
			}
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
		} else if (unlinkat(dirfd, de->d_name, 0) == 0) {
			n++;
		}
	}
	closedir(d);
	return n;
}

/*
 * Takes the pin directory: mounts bpffs if the node has none, refuses a
 * directory another running agent holds (flock), and clears what a run that
 * did not exit cleanly left behind: its pinned links still hold hooks
 * attached with nobody reading their ring buffer.
 */
static int pins_prepare(struct pn_capture *c, const char *dir, char *err, size_t errlen)
{
	int n;

	if (!on_bpffs(BPFFS)) {
		if (mount("bpf", BPFFS, "bpf", 0, NULL)) {
			snprintf(
				err, errlen,
				"--pin-path %s: no bpf filesystem at %s and mounting one failed: %s "
				"(use --pin-path \"\" to run without pins)",
				dir, BPFFS, strerror(errno));
			return -errno;
		}
		pn_info("mounted the bpf filesystem at %s (for the pins under %s)", BPFFS, dir);
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "--pin-path %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!on_bpffs(dir)) {
		snprintf(err, errlen, "--pin-path %s: not on a bpf filesystem", dir);
		return -EINVAL;
	}
	c->pin_lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->pin_lock < 0) {
		snprintf(err, errlen, "--pin-path %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (flock(c->pin_lock, LOCK_EX | LOCK_NB)) {
		int e = errno;

		close(c->pin_lock);
		c->pin_lock = -1;
		snprintf(err, errlen,
			 "--pin-path %s: in use by another running panoptesd (%s); give each agent "
			 "its own directory",
			 dir, strerror(e));
		return -EBUSY;
	}
	n = remove_tree(c->pin_lock);
	if (n)
		pn_info("cleared %d pins left in %s by a run that did not exit cleanly", n, dir);
	snprintf(c->pin_path, sizeof(c->pin_path), "%s", dir);
	return 0;
}

static int pin_one(const char *dir, const char *sub, const char *name,
		   int (*pin)(void *, const char *), void *obj, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int e;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0700) && errno != EEXIST) {
		e = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(-e));
		return e;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	e = pin(obj, path);
	if (e)
		snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-e));
	return e;
}

static int pin_map(void *m, const char *path)
{
	return bpf_map__pin(m, path);
}

static int pin_prog(void *p, const char *path)
{
	return bpf_program__pin(p, path);
}

static int pin_link(void *l, const char *path)
{
	return bpf_link__pin(l, path);
}

/*
 * maps/NAME, progs/NAME, links/NAME: what an operator reaches with
 * `bpftool map dump pinned ...` (docs/operations.md). The internal .rodata
 * and .bss maps are pinned as "config" and "state".
 */
static int pins_create(struct pn_capture *c, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int e;

	bpf_object__for_each_map(map, c->skel->obj) {
		const char *name = bpf_map__name(map);

		if (strstr(name, ".rodata"))
			name = "config";
		else if (strstr(name, ".bss"))
			name = "state";
		e = pin_one(c->pin_path, "maps", name, pin_map, map, err, errlen);
		if (e)
			return e;
	}
	bpf_object__for_each_program(prog, c->skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		e = pin_one(c->pin_path, "progs", bpf_program__name(prog), pin_prog, prog, err,
			    errlen);
		if (e)
			return e;
	}
	for (size_t i = 0; i < c->n_links; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s", bpf_program__name(c->link_progs[i]));
		e = pin_one(c->pin_path, "links", name, pin_link, c->links[i], err, errlen);
		if (e)
			return e;
	}
	return 0;
}

static void pins_remove(struct pn_capture *c)
{
	if (c->pin_lock < 0)
		return;
	remove_tree(c->pin_lock);
	rmdir(c->pin_path);
	close(c->pin_lock);
	c->pin_lock = -1;
}

static bool prog_is_vfs(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6) ||
	       !strncmp(sec, "lsm/", 4);
}

/* Loads one backend's programs only; the other backend's stay in the object, unloaded. */
static void programs_select(struct pn_capture *c, int backend, const struct btf *vmlinux,
			    bool have_tracefs)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, c->skel->obj)
		bpf_program__set_autoload(prog, prog_is_vfs(prog) == (backend == PN_BACKEND_VFS));
	if (backend == PN_BACKEND_VFS) {
		bool flush = kernel_has_func(vmlinux, "filp_flush");

		bpf_program__set_autoload(c->skel->progs.pn_close_flush, flush);
		bpf_program__set_autoload(c->skel->progs.pn_close_filp, !flush);
		bpf_program__set_autoload(c->skel->progs.pn_lsm_ftruncate,
					  kernel_has_func(vmlinux, "bpf_lsm_file_truncate"));
	} else if (!have_tracefs) {
		bpf_program__set_autoload(c->skel->progs.pn_close, false);
		bpf_program__set_autoload(c->skel->progs.pn_dup2, false);
		bpf_program__set_autoload(c->skel->progs.pn_dup3, false);
	}
}

static const char *backend_name(int backend)
{
	return backend == PN_BACKEND_VFS ? "vfs" : "syscalls";
}

/*
 * Opens, loads and attaches one backend. *refused: the kernel said no to
 * loading or attaching (as opposed to a problem of ours, such as the pin
 * directory), so another backend may still work.
 */
static int capture_start(struct pn_capture **out, const struct pn_capture_opts *opts, int backend,
			 const struct btf *vmlinux, bool *refused, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct pn_capture *c;
	bool have_tracefs = false;
	int e;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->on_record = opts->on_record;
	c->ctx = opts->ctx;
	c->pin_lock = -1;
	c->backend = backend;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		e = c->ncpus ? c->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-e));
		goto err_out;
	}

	c->skel = panoptes_bpf__open();
	if (!c->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-e));
		goto err_out;
	}
	e = bpf_map__set_max_entries(c->skel->maps.pn_events, opts->ringbuf_mb << 20);
	if (e) {
		snprintf(err, errlen, "--ringbuf-mb %u: %s", opts->ringbuf_mb, strerror(-e));
		goto err_out;
	}
	/* threads between an LSM hook and the result: none without vfs */
	if (backend != PN_BACKEND_VFS)
		bpf_map__set_max_entries(c->skel->maps.pn_pending, 1);
	c->skel->rodata->pn_backend = backend;
	if (backend == PN_BACKEND_SYSCALLS)
		have_tracefs = tracefs_ready();
	programs_select(c, backend, vmlinux, have_tracefs);

	e = panoptes_bpf__load(c->skel);
	if (e) {
		*refused = true;
		if (backend == PN_BACKEND_VFS)
			snprintf(err, errlen, VFS_REFUSED "%s%s", strerror(-e),
				 pn_log_verbose() ? "" : " (--verbose shows libbpf's log)");
		else if (e == -EPERM || e == -EACCES)
			snprintf(err, errlen,
				 "no permission to load BPF programs (%s): run as root, or with "
				 "CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE; nothing was started",
				 strerror(-e));
		else
			snprintf(err, errlen,
				 "the kernel refused the BPF programs: %s (run with --verbose for "
				 "the verifier log); nothing was started",
				 strerror(-e));
		goto err_out;
	}

	/*
	 * vfs: every program is needed. syscalls: the dispatcher is; without
	 * the close/dup/exit hooks only CLOSE_* events go missing.
	 */
	bpf_object__for_each_program(prog, c->skel->obj) {
		bool required = backend == PN_BACKEND_VFS || prog == c->skel->progs.pn_sys_exit;

		if (!bpf_program__autoload(prog))
			continue;
		e = attach_one(c, prog, required, err, errlen);
		if (e) {
			*refused = true;
			goto err_out;
		}
	}

	if (opts->pin_path && opts->pin_path[0]) {
		e = pins_prepare(c, opts->pin_path, err, errlen);
		if (e)
			goto err_out;
		e = pins_create(c, err, errlen);
		if (e)
			goto err_out;
	}

	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.pn_events), record_cb, c, NULL);
	if (!c->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(-e));
		goto err_out;
	}
	*out = c;
	return 0;

err_out:
	pn_capture_close(c);
	return e;
}

int pn_capture_open(struct pn_capture **out, const struct pn_capture_opts *opts, char *err,
		    size_t errlen)
{
	const char *want = opts->backend ? opts->backend : "auto";
	bool is_auto = !strcmp(want, "auto");
	char why[512];
	const char *missing;
	struct btf *vmlinux;
	bool refused = false;
	int e;

	*out = NULL;
	if (!is_auto && strcmp(want, "syscalls") && strcmp(want, "vfs")) {
		snprintf(err, errlen, "--backend %s: unknown (valid: auto, vfs, syscalls)", want);
		return -EINVAL;
	}
	if (!path_exists("/sys/kernel/btf/vmlinux")) {
		snprintf(
			err, errlen,
			"this kernel has no BTF (/sys/kernel/btf/vmlinux is missing; it needs "
			"CONFIG_DEBUG_INFO_BTF=y): the CO-RE programs cannot be loaded and nothing "
			"was started");
		return -ENOTSUP;
	}
	libbpf_set_print(libbpf_print);
	/* the syscalls programs need no look at the kernel's functions: skip a BTF parse */
	if (!strcmp(want, "syscalls"))
		return capture_start(out, opts, PN_BACKEND_SYSCALLS, NULL, &refused, err, errlen);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		e = -errno;
		snprintf(err, errlen, "cannot read the kernel's BTF: %s; nothing was started",
			 strerror(-e));
		return e;
	}

	missing = vfs_missing(vmlinux, why, sizeof(why));
	if (!missing) {
		libbpf_quiet = true;
		e = capture_start(out, opts, PN_BACKEND_VFS, vmlinux, &refused, why, sizeof(why));
		libbpf_quiet = false;
		if (e && !refused) {
			/* not the kernel's answer (pins, memory): the same would stop syscalls */
			snprintf(err, errlen, "%s", why);
			goto done;
		}
		if (!e) {
			pn_info("backend vfs%s: fentry/fexit and BPF LSM available (sees io_uring and "
				"in-kernel file work)",
				is_auto ? " (auto)" : "");
			goto done;
		}
		missing = why;
	}
	if (!is_auto) {
		snprintf(err, errlen,
			 "--backend vfs: %s; nothing was started (--backend syscalls works on this "
			 "kernel: every event of processes' own file syscalls, not io_uring)",
			 missing);
		e = -ENOTSUP;
		goto done;
	}
	e = capture_start(out, opts, PN_BACKEND_SYSCALLS, vmlinux, &refused, err, errlen);
	if (!e)
		pn_info("backend syscalls (auto): vfs unavailable: %s", missing);
done:
	btf__free(vmlinux);
	return e;
}

void pn_capture_close(struct pn_capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	pins_remove(c);
	for (size_t i = 0; i < c->n_links; i++)
		bpf_link__destroy(c->links[i]);
	panoptes_bpf__destroy(c->skel);
	free(c);
}

int pn_capture_fd(const struct pn_capture *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int pn_capture_consume(struct pn_capture *c)
{
	return ring_buffer__consume(c->rb);
}

int pn_capture_watch_cgroup(struct pn_capture *c, uint64_t cgroup_id, uint32_t ops)
{
	struct pn_cgroup_watch v = { .ops = ops };

	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.pn_cgroups), &cgroup_id, &v, BPF_ANY))
		return -errno;
	return 0;
}

int pn_capture_unwatch_cgroup(struct pn_capture *c, uint64_t cgroup_id)
{
	if (bpf_map_delete_elem(bpf_map__fd(c->skel->maps.pn_cgroups), &cgroup_id) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

static int cmp_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * A store to a word of the mmaped .bss, which the kernel reads while we
 * write. The skeleton types the words plain; the store goes through an
 * atomic view of the same word (same size and alignment, asserted).
 */
static void publish(__u32 *word, __u32 v)
{
	_Static_assert(sizeof(_Atomic __u32) == sizeof(__u32) &&
			       _Alignof(_Atomic __u32) == _Alignof(__u32),
		       "an atomic word is a plain word");
	atomic_store_explicit((_Atomic __u32 *)word, v, memory_order_release);
}

int pn_capture_set_levels(struct pn_capture *c, const uint32_t *levels, unsigned n)
{
	uint32_t sorted[ARRAY_SIZE(c->skel->bss->pn_watch_levels)];

	if (n > ARRAY_SIZE(sorted))
		return -E2BIG;
	memcpy(sorted, levels, n * sizeof(*levels));
	qsort(sorted, n, sizeof(*sorted), cmp_desc);
	/*
	 * Publish the count last when growing and first when shrinking, so the
	 * kernel never reads a level slot that is not filled in.
	 */
	if (n < c->skel->bss->pn_watch_nlevels)
		publish(&c->skel->bss->pn_watch_nlevels, n);
	for (unsigned i = 0; i < n; i++)
		publish(&c->skel->bss->pn_watch_levels[i], sorted[i]);
	publish(&c->skel->bss->pn_watch_nlevels, n);
	return 0;
}

void pn_capture_counters(struct pn_capture *c, struct pn_counters *sum)
{
	struct pn_counters per[c->ncpus];
	uint32_t zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.pn_counters), &zero, per))
		return;
	for (int i = 0; i < c->ncpus; i++) {
#define ADD(name, metric, help) sum->name += per[i].name;
		PN_COUNTERS(ADD)
#undef ADD
	}
}

const char *pn_capture_backend(const struct pn_capture *c)
{
	return backend_name(c->backend);
}

const char *pn_capture_pin_path(const struct pn_capture *c)
{
	return c->pin_path;
}

const char *pn_capture_programs(const struct pn_capture *c)
{
	return c->programs;
}
