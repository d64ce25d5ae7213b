// SPDX-License-Identifier: GPL-2.0-only
#include "capture.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "macros.h"
#include "panoptes.skel.h"
#include "panoptes_bounded.skel.h"
#include "pins.h"
#include "probe.h"

#define PN_MAX_LINKS 32 /* the vfs backend attaches up to 23 programs */

/*
 * Who holds the pins, in a one-entry array that userspace makes and pins as
 * maps/pn_handover (no program reads it). An agent that starts reads it to
 * decide whether the pinned programs are its own build (adopt them: no gap)
 * or another's (replace them), and for how long nobody read the ring
 * buffer. magic and version keep their place, so any later build can tell
 * an earlier one's record.
 */
#define PN_HANDOVER_MAGIC   0x50414e4f5054484fULL /* "PANOPTHO" */
#define PN_HANDOVER_VERSION 1

enum {
	PN_HO_RUNNING = 1, /* an agent holds them, or held them until it was killed */
	PN_HO_KEPT = 2,	   /* left capturing on purpose (--keep-on-exit) */
};

struct pn_handover {
	__u64 magic;
	__u32 version;
	__u32 state;	       /* PN_HO_* */
	__u64 stamp;	       /* the build: map shapes, program instructions, config */
	__u64 seen_ns;	       /* CLOCK_BOOTTIME of the holder's last sign of life */
	__u64 dropped_at_seen; /* the kernel's dropped counter then */
	__u32 pid;	       /* the holder */
	__u32 pad;
};
_Static_assert(sizeof(struct pn_handover) == 48, "pn_handover is read by later builds");

struct pn_capture {
	struct panoptes_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[PN_MAX_LINKS];
	struct bpf_program *link_progs[PN_MAX_LINKS];
	size_t n_links;
	pn_record_fn on_record;
	pn_cgroup_note_fn on_cgroup_note;
	void *ctx;
	int ncpus;
	int backend;  /* PN_BACKEND_* */
	bool bounded; /* the PN_BOUNDED_LOOPS object (no bpf_loop) */
	char programs[512];
	struct pn_pins pins;
	bool pins_ours;	 /* created or adopted: a failed start must not clear another's */
	bool keep;	 /* leave everything pinned and capturing at close */
	int handover_fd; /* maps/pn_handover; -1 without pins */
	__u64 stamp;
	struct pn_capture_handover adopted;
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

bool pn_capture_libbpf_quiet(bool quiet)
{
	bool was = libbpf_quiet;

	libbpf_quiet = quiet;
	return was;
}

static int record_cb(void *ctx, void *data, size_t size)
{
	struct pn_capture *c = ctx;

	if (size < sizeof(struct pn_record))
		return 0;
	return c->on_record(c->ctx, data, size);
}

static int note_cb(void *ctx, void *data, size_t size)
{
	struct pn_capture *c = ctx;

	if (size < sizeof(struct pn_cgroup_note) || !c->on_cgroup_note)
		return 0;
	return c->on_cgroup_note(c->ctx, data, size);
}

static bool prog_is_cgroup_note(const struct pn_capture *c, const struct bpf_program *prog)
{
	return prog == c->skel->progs.pn_cgroup_mkdir || prog == c->skel->progs.pn_cgroup_rmdir;
}

static void programs_append(struct pn_capture *c, const char *name)
{
	if (c->programs[0])
		strncat(c->programs, ",", sizeof(c->programs) - strlen(c->programs) - 1);
	strncat(c->programs, name, sizeof(c->programs) - strlen(c->programs) - 1);
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
		if (prog_is_cgroup_note(c, prog))
			pn_warn("cannot attach %s: %s; containers are asked about at their first "
				"event instead of as their cgroup appears, every event still works",
				bpf_program__name(prog), strerror(-e));
		else
			pn_warn("cannot attach %s: %s; CLOSE_WRITE/CLOSE_NOWRITE on close(2)/dup2 "
				"will be missing, every other event still works",
				bpf_program__name(prog), strerror(-e));
		return 0;
	}
	c->link_progs[c->n_links] = prog;
	c->links[c->n_links++] = link;
	programs_append(c, bpf_program__name(prog));
	return 0;
}

static bool prog_is_trampoline(const char *sec)
{
	return !strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6);
}

static bool prog_is_vfs(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return prog_is_trampoline(sec) || !strncmp(sec, "lsm/", 4);
}

/*
 * Kernels without bpf_loop get the object built with PN_BOUNDED_LOOPS
 * (bpf/lib/compat.bpf.h). It has the same maps, programs and globals, name
 * for name and byte for byte, so it is opened through panoptes_bpf's skeleton
 * with the other object's bytes, and nothing else in the agent knows which
 * one runs.
 */
static struct panoptes_bpf *skel_open(bool bounded)
{
	struct panoptes_bpf *skel;
	int e;

	if (!bounded)
		return panoptes_bpf__open();
	skel = calloc(1, sizeof(*skel));
	if (!skel) {
		errno = ENOMEM;
		return NULL;
	}
	e = panoptes_bpf__create_skeleton(skel);
	if (!e) {
		skel->skeleton->data = panoptes_bounded_bpf__elf_bytes(&skel->skeleton->data_sz);
		e = bpf_object__open_skeleton(skel->skeleton, NULL);
	}
	if (e) {
		panoptes_bpf__destroy(skel);
		errno = -e;
		return NULL;
	}
	return skel;
}

/*
 * A vfs program's function under the name this kernel gives it (probe.c
 * knows the renames): the section keeps the first name, the attach target
 * follows the kernel.
 */
static int programs_retarget(struct pn_capture *c, const struct btf *vmlinux)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, c->skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		const char *func = strchr(sec, '/') + 1;
		const char *name;
		int e;

		if (!bpf_program__autoload(prog) || !prog_is_trampoline(sec))
			continue;
		name = pn_probe_func_name(vmlinux, func);
		if (!name || name == func)
			continue;
		e = bpf_program__set_attach_target(prog, 0, name);
		if (e)
			return e;
	}
	return 0;
}

/* Loads one backend's programs only; the other backend's stay in the object, unloaded. */
static void programs_select(struct pn_capture *c, int backend, const struct btf *vmlinux,
			    bool have_tracefs, bool notes)
{
	bool chown_lsm, chown_common, noidmap;
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, c->skel->obj)
		bpf_program__set_autoload(prog,
					  prog_is_cgroup_note(c, prog) ?
						  notes :
						  prog_is_vfs(prog) == (backend == PN_BACKEND_VFS));
	if (backend == PN_BACKEND_VFS) {
		bool flush = pn_probe_has_func(vmlinux, "filp_flush");

		bpf_program__set_autoload(c->skel->progs.pn_close_flush, flush);
		bpf_program__set_autoload(c->skel->progs.pn_close_filp, !flush);
		bpf_program__set_autoload(c->skel->progs.pn_lsm_ftruncate,
					  pn_probe_has_func(vmlinux, "bpf_lsm_file_truncate"));
		bpf_program__set_autoload(c->skel->progs.pn_close_get_file,
					  pn_probe_func_args(vmlinux, "__close_fd_get_file") == 2);
		noidmap = pn_probe_func_args(vmlinux, "notify_change") == 3;
		bpf_program__set_autoload(c->skel->progs.pn_end_setattr, !noidmap);
		bpf_program__set_autoload(c->skel->progs.pn_end_setattr_noidmap, noidmap);
		chown_lsm = pn_probe_lsm_hook(vmlinux, "bpf_lsm_path_chown");
		chown_common = !chown_lsm && pn_probe_has_func(vmlinux, "chown_common");
		bpf_program__set_autoload(c->skel->progs.pn_lsm_chown, chown_lsm);
		bpf_program__set_autoload(c->skel->progs.pn_chown_common, chown_common);
		if (!chown_lsm && !chown_common)
			pn_warn("this kernel can hook neither LSM path_chown nor chown_common: "
				"chown(2) will not be reported (ATTRIB), every other event still "
				"works");
	} else if (!have_tracefs) {
		bpf_program__set_autoload(c->skel->progs.pn_close, false);
		bpf_program__set_autoload(c->skel->progs.pn_dup2, false);
		bpf_program__set_autoload(c->skel->progs.pn_dup3, false);
	}
#ifdef __aarch64__
	/* arm64 has no dup2(2) (libc calls dup3), so no tracepoint for it either */
	bpf_program__set_autoload(c->skel->progs.pn_dup2, false);
#endif
}

static __u64 now_boottime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static __u64 dropped_now(struct pn_capture *c)
{
	struct pn_counters sum;

	pn_capture_counters(c, &sum);
	return sum.dropped;
}

/*
 * Two runs may share pinned programs only if everything the kernel side is
 * made of is equal: every map's shape, every program to load (name, section,
 * instructions as built, before relocation: independent of the build
 * directory) and the configuration written into .rodata.
 */
static __u64 build_stamp(const struct pn_capture *c)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	struct bpf_program *prog;
	struct bpf_map *map;
	__u64 len = 0;
	const void *ro;
	size_t ro_sz;

#define FEED(p, n)                                                                                 \
	do {                                                                                       \
		crc = crc32(crc, (const Bytef *)(p), (uInt)(n));                                   \
		len += (n);                                                                        \
	} while (0)
	bpf_object__for_each_map(map, c->skel->obj) {
		__u32 shape[5] = { bpf_map__type(map), bpf_map__key_size(map),
				   bpf_map__value_size(map), bpf_map__max_entries(map),
				   bpf_map__map_flags(map) };

		FEED(bpf_map__name(map), strlen(bpf_map__name(map)) + 1);
		FEED(shape, sizeof(shape));
	}
	bpf_object__for_each_program(prog, c->skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		FEED(bpf_program__name(prog), strlen(bpf_program__name(prog)) + 1);
		FEED(bpf_program__section_name(prog), strlen(bpf_program__section_name(prog)) + 1);
		FEED(bpf_program__insns(prog),
		     bpf_program__insn_cnt(prog) * sizeof(struct bpf_insn));
	}
	ro = bpf_map__initial_value(c->skel->maps.rodata, &ro_sz);
	if (ro)
		FEED(ro, ro_sz);
#undef FEED
	return (len << 32) ^ crc;
}

static void handover_write(struct pn_capture *c, __u32 state)
{
	struct pn_handover ho = {
		.magic = PN_HANDOVER_MAGIC,
		.version = PN_HANDOVER_VERSION,
		.state = state,
		.stamp = c->stamp,
		.seen_ns = now_boottime(),
		.dropped_at_seen = dropped_now(c),
		.pid = (__u32)getpid(),
	};
	__u32 zero = 0;

	if (c->handover_fd >= 0)
		bpf_map_update_elem(c->handover_fd, &zero, &ho, BPF_ANY);
}

/* The record an earlier agent left in the pin directory; false if it left none. */
static bool handover_read(const struct pn_capture *c, struct pn_handover *ho)
{
	int fd = pn_pins_get(&c->pins, "maps", "pn_handover");
	__u32 zero = 0;
	bool ok;

	if (fd < 0)
		return false;
	memset(ho, 0, sizeof(*ho));
	ok = !bpf_map_lookup_elem(fd, &zero, ho) && ho->magic == PN_HANDOVER_MAGIC;
	close(fd);
	return ok;
}

static int handover_create(struct pn_capture *c, char *err, size_t errlen)
{
	int fd = pn_pins_get(&c->pins, "maps", "pn_handover");
	int e;

	if (fd >= 0) {
		c->handover_fd = fd;
		return 0;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pn_handover", sizeof(__u32),
			    sizeof(struct pn_handover), 1, NULL);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot create the handover map: %s", strerror(-e));
		return e;
	}
	c->handover_fd = fd;
	return pn_pins_add_fd(&c->pins, "maps", "pn_handover", fd, err, errlen);
}

/* Every map of ours is pinned, and the record says it is our build. */
static bool adoptable(const struct pn_capture *c, const struct pn_handover *ho)
{
	struct bpf_map *map;

	if (ho->stamp != c->stamp)
		return false;
	bpf_object__for_each_map(map, c->skel->obj) {
		int fd = pn_pins_get(&c->pins, "maps", pn_pins_map_name(bpf_map__name(map)));

		if (fd < 0)
			return false;
		close(fd);
	}
	return true;
}

/*
 * Takes over what the earlier agent left: its maps (ring buffer with the
 * records nobody read yet, watched cgroups, counters, state) become this
 * object's, and its pinned links stay attached: no gap and no second hook.
 * A program whose link was not pinned (a tracepoint before 5.15, see
 * pn_pins_create) died with that agent and is loaded and attached afresh
 * after load.
 */
static int adopt(struct pn_capture *c, char *err, size_t errlen)
{
	struct bpf_program *prog;
	int e;

	e = pn_pins_reuse_maps(&c->pins, c->skel->obj, true, err, errlen);
	if (e)
		return e;
	bpf_object__for_each_program(prog, c->skel->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		link = pn_pins_open_link(&c->pins, bpf_program__name(prog));
		if (!link)
			continue;
		if (c->n_links == PN_MAX_LINKS) {
			bpf_link__destroy(link);
			snprintf(err, errlen, "more than %d pinned links (PN_MAX_LINKS)",
				 PN_MAX_LINKS);
			return -E2BIG;
		}
		c->link_progs[c->n_links] = prog;
		c->links[c->n_links++] = link;
		programs_append(c, bpf_program__name(prog));
		bpf_program__set_autoload(prog, false);
	}
	return 0;
}

static bool adopted_link(const struct pn_capture *c, const struct bpf_program *prog)
{
	for (size_t i = 0; i < c->n_links; i++)
		if (c->link_progs[i] == prog)
			return true;
	return false;
}

/*
 * After a load: the pins become ours. Adopted ones are completed with the
 * links attached afresh; anything else an earlier agent left is replaced,
 * and what that costs is said once.
 */
static int pins_settle(struct pn_capture *c, const struct pn_handover *ho, bool adopting,
		       size_t n_adopted, char *err, size_t errlen)
{
	__u64 now = now_boottime();
	int n, e;

	if (adopting) {
		c->adopted.adopted = true;
		c->adopted.clean = ho->state == PN_HO_KEPT;
		c->adopted.away_ns = now > ho->seen_ns ? now - ho->seen_ns : 0;
		c->adopted.dropped = dropped_now(c) - ho->dropped_at_seen;
		pn_info("adopted the programs pinned in %s by the agent (pid %u) %s %.1f s ago: "
			"their records are reported first; the kernel dropped %llu while no agent "
			"read them",
			c->pins.path, ho->pid,
			c->adopted.clean ? "that left them running (--keep-on-exit)" :
					   "that did not stop cleanly, last seen",
			(double)c->adopted.away_ns / 1e9, (unsigned long long)c->adopted.dropped);
	} else {
		n = pn_pins_clear(&c->pins);
		if (ho)
			pn_info("the programs pinned in %s are %s (stamp %016llx, ours %016llx): "
				"replaced; what they captured since their agent was last seen %.1f s "
				"ago is lost unread",
				c->pins.path,
				ho->stamp == c->stamp ? "incomplete" : "another build's",
				(unsigned long long)ho->stamp, (unsigned long long)c->stamp,
				(double)(now > ho->seen_ns ? now - ho->seen_ns : 0) / 1e9);
		else if (n)
			pn_info("cleared %d pins left in %s by an agent that kept no handover record "
				"(an earlier version): what they captured is lost unread",
				n, c->pins.path);
	}
	c->pins_ours = true;
	e = pn_pins_create(&c->pins, c->skel->obj, !adopting, c->links + n_adopted,
			   c->link_progs + n_adopted, c->n_links - n_adopted, err, errlen);
	if (!e)
		e = handover_create(c, err, errlen);
	if (!e)
		handover_write(c, PN_HO_RUNNING);
	return e;
}

static const char *backend_name(int backend)
{
	return backend == PN_BACKEND_VFS ? "vfs" : "syscalls";
}

/*
 * Tests only: PANOPTES_TEST_FAULTS=cgroup-notes-refused makes the verifier
 * refuse the cgroup note programs for real (bpf/cgroup.bpf.c), so the retry
 * below runs on kernels that accept them.
 */
static bool fault_notes_refused(void)
{
	const char *f = getenv("PANOPTES_TEST_FAULTS");

	return f && strstr(f, "cgroup-notes-refused");
}

/*
 * Opens, loads and attaches one backend, with or without the cgroup note
 * programs. *refused: the kernel said no to loading or attaching (as
 * opposed to a problem of ours, such as the pin directory), so another
 * backend may still work; *load_refused: it was the verifier, at load.
 */
static int capture_start_once(struct pn_capture **out, const struct pn_capture_opts *opts,
			      int backend, const struct btf *vmlinux, bool bounded, bool notes,
			      bool *refused, bool *load_refused, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct pn_capture *c;
	bool have_tracefs = false, have_ho = false, adopting = false;
	struct pn_handover ho;
	size_t n_adopted = 0;
	int e;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->on_record = opts->on_record;
	c->on_cgroup_note = opts->on_cgroup_note;
	c->ctx = opts->ctx;
	c->handover_fd = -1;
	pn_pins_init(&c->pins);
	c->backend = backend;
	c->bounded = bounded;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		e = c->ncpus ? c->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-e));
		goto err_out;
	}

	c->skel = skel_open(bounded);
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
	if (opts->max_cgroups) {
		e = bpf_map__set_max_entries(c->skel->maps.pn_cgroups, opts->max_cgroups);
		if (e) {
			snprintf(err, errlen, "--max-cgroups %u: %s", opts->max_cgroups,
				 strerror(-e));
			goto err_out;
		}
	}
	c->skel->rodata->pn_backend = backend;
	c->skel->rodata->pn_ancestor_helper = pn_probe_ancestor_helper();
	/* in .rodata, so part of the stamp: another value replaces pins rather than adopting them */
	c->skel->rodata->pn_coalesce_ns = (__u64)opts->coalesce_ms * 1000000;
	c->skel->rodata->pn_fault_notes_refused = notes && fault_notes_refused();
	if (backend == PN_BACKEND_SYSCALLS)
		have_tracefs = pn_probe_tracefs();
	programs_select(c, backend, vmlinux, have_tracefs, notes);
	if (backend == PN_BACKEND_VFS) {
		e = programs_retarget(c, vmlinux);
		if (e) {
			snprintf(err, errlen, "cannot retarget the vfs programs: %s", strerror(-e));
			goto err_out;
		}
	}

	c->stamp = build_stamp(c);
	if (opts->pin_path && opts->pin_path[0]) {
		e = pn_pins_take(&c->pins, opts->pin_path, err, errlen);
		if (e)
			goto err_out;
		have_ho = handover_read(c, &ho);
		if (have_ho && adoptable(c, &ho)) {
			e = adopt(c, err, errlen);
			if (e)
				goto err_out;
			n_adopted = c->n_links;
			adopting = true;
		}
	}

	e = panoptes_bpf__load(c->skel);
	if (e) {
		/* as root, EACCES is the verifier's refusal, not a missing permission */
		bool no_permission = e == -EPERM || (e == -EACCES && geteuid() != 0);

		*refused = true;
		*load_refused = !no_permission;
		if (backend == PN_BACKEND_VFS)
			snprintf(err, errlen, PN_VFS_REFUSED "%s%s", strerror(-e),
				 pn_log_verbose() ? "" : " (--verbose shows libbpf's log)");
		else if (no_permission)
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
	 * vfs: every program is needed. syscalls: both dispatchers are; without
	 * the close/dup/exit hooks only CLOSE_* events go missing. sys_exit is
	 * attached first (pass 0), so every record sys_enter keeps finds the
	 * hook that finishes it (bpf/lib/pending.bpf.h).
	 */
	for (int pass = 0; pass < 2; pass++) {
		bpf_object__for_each_program(prog, c->skel->obj) {
			bool dispatcher = prog == c->skel->progs.pn_sys_exit ||
					  prog == c->skel->progs.pn_sys_enter;
			bool first = prog == c->skel->progs.pn_sys_exit;

			if (first != !pass || !bpf_program__autoload(prog) || adopted_link(c, prog))
				continue;
			/* the cgroup notes only spare a wait: optional on both backends */
			e = attach_one(
				c, prog,
				(backend == PN_BACKEND_VFS && !prog_is_cgroup_note(c, prog)) ||
					dispatcher,
				err, errlen);
			if (e) {
				*refused = true;
				goto err_out;
			}
		}
	}

	if (c->pins.path[0]) {
		e = pins_settle(c, have_ho ? &ho : NULL, adopting, n_adopted, err, errlen);
		if (e)
			goto err_out;
	}

	/*
	 * The cgroup notes' ring first: a consume reads the rings in the order
	 * they were added, and a cgroup is made before any record of it, so its
	 * path is known before its records are read, however soon it is gone.
	 */
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.pn_cgroup_notes), note_cb, c, NULL);
	if (!c->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot set up the cgroup notes' ring buffer: %s",
			 strerror(-e));
		goto err_out;
	}
	e = ring_buffer__add(c->rb, bpf_map__fd(c->skel->maps.pn_events), record_cb, c);
	if (e) {
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(-e));
		goto err_out;
	}
	*out = c;
	return 0;

err_out:
	pn_capture_close(c);
	return e;
}

/*
 * The cgroup notes only spare containers a wait for the runtime's answer, so
 * a kernel whose verifier refuses them (or lacks their tracepoints) must not
 * stop the agent: load once more without them. libbpf's messages of the
 * first try are kept back; a second refusal shows its own. The stamp of each
 * try names its programs, so the try that matches a pinned set adopts it,
 * and a failed load leaves the pins as they were.
 */
static int capture_start(struct pn_capture **out, const struct pn_capture_opts *opts, int backend,
			 const struct btf *vmlinux, bool bounded, bool *refused, char *err,
			 size_t errlen)
{
	bool quiet = libbpf_quiet, load_refused = false;
	char first[512];
	int e;

	libbpf_quiet = true;
	e = capture_start_once(out, opts, backend, vmlinux, bounded, true, refused, &load_refused,
			       first, sizeof(first));
	libbpf_quiet = quiet;
	if (!e || !load_refused) {
		if (e)
			snprintf(err, errlen, "%s", first);
		return e;
	}
	pn_debug("%s backend with the cgroup note programs: %s", backend_name(backend), first);
	e = capture_start_once(out, opts, backend, vmlinux, bounded, false, refused, &load_refused,
			       err, errlen);
	if (!e)
		pn_warn("the kernel refused the cgroup note programs (tp_btf cgroup_mkdir/rmdir): "
			"loaded without them; a new container is asked about at its first event "
			"instead of as its cgroup appears, every event still works");
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
	bool bounded;
	int e;

	*out = NULL;
	if (!is_auto && strcmp(want, "syscalls") && strcmp(want, "vfs")) {
		snprintf(err, errlen, "--backend %s: unknown (valid: auto, vfs, syscalls)", want);
		return -EINVAL;
	}
	if (!pn_probe_btf()) {
		snprintf(
			err, errlen,
			"this kernel has no BTF (/sys/kernel/btf/vmlinux is missing; it needs "
			"CONFIG_DEBUG_INFO_BTF=y): the CO-RE programs cannot be loaded and nothing "
			"was started");
		return -ENOTSUP;
	}
	libbpf_set_print(libbpf_print);
	bounded = !pn_probe_bpf_loop();
	if (bounded)
		pn_info("this kernel has no bpf_loop (5.17): loading the bounded programs, whose "
			"path walk stops after a fixed number of directories (a deeper path is "
			"reported with \"truncated\": true)");
	/* the syscalls programs need no look at the kernel's functions: skip a BTF parse */
	if (!strcmp(want, "syscalls"))
		return capture_start(out, opts, PN_BACKEND_SYSCALLS, NULL, bounded, &refused, err,
				     errlen);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		e = -errno;
		snprintf(err, errlen, "cannot read the kernel's BTF: %s; nothing was started",
			 strerror(-e));
		return e;
	}

	missing = pn_probe_vfs_missing(vmlinux, why, sizeof(why));
	if (!missing) {
		libbpf_quiet = true;
		e = capture_start(out, opts, PN_BACKEND_VFS, vmlinux, bounded, &refused, why,
				  sizeof(why));
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
	e = capture_start(out, opts, PN_BACKEND_SYSCALLS, vmlinux, bounded, &refused, err, errlen);
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
	if (c->pins_ours && c->keep)
		handover_write(c, PN_HO_KEPT);
	/* a start that failed before the pins were ours leaves another agent's as they were */
	pn_pins_release(&c->pins, c->keep || !c->pins_ours);
	/* a pinned link outlives its fd; the others are detached here */
	for (size_t i = 0; i < c->n_links; i++)
		bpf_link__destroy(c->links[i]);
	if (c->handover_fd >= 0)
		close(c->handover_fd);
	panoptes_bpf__destroy(c->skel);
	free(c);
}

void pn_capture_keep_on_close(struct pn_capture *c, bool keep)
{
	c->keep = keep && c->pins_ours;
}

void pn_capture_heartbeat(struct pn_capture *c)
{
	if (c->pins_ours)
		handover_write(c, PN_HO_RUNNING);
}

const struct pn_capture_handover *pn_capture_handover(const struct pn_capture *c)
{
	return &c->adopted;
}

int pn_capture_retain_cgroups(struct pn_capture *c, bool (*keep)(void *ctx, uint64_t id), void *ctx)
{
	int fd = bpf_map__fd(c->skel->maps.pn_cgroups);
	__u64 key = 0, next, *prev = NULL;
	int n = 0;

	/* deleting the current key would restart the walk: delete one step behind */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (prev && !keep(ctx, key) && !bpf_map_delete_elem(fd, &key))
			n++;
		key = next;
		prev = &key;
	}
	if (prev && !keep(ctx, key) && !bpf_map_delete_elem(fd, &key))
		n++;
	return n;
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

const char *pn_capture_path_walk(const struct pn_capture *c)
{
	return c->bounded ? "bounded" : "full";
}

const char *pn_capture_pin_path(const struct pn_capture *c)
{
	return c->pins.path;
}

const char *pn_capture_programs(const struct pn_capture *c)
{
	return c->programs;
}
