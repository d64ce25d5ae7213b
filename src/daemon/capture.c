// SPDX-License-Identifier: GPL-2.0-only
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "panoptes.skel.h"

#define TRACEFS	       "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define PN_MAX_LINKS   8

struct pn_capture {
	struct panoptes_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[PN_MAX_LINKS];
	size_t n_links;
	pn_record_fn on_record;
	void *ctx;
	int ncpus;
	char programs[256];
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !pn_log_verbose())
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
	struct bpf_link *link = bpf_program__attach(prog);
	int e;

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
	c->links[c->n_links++] = link;
	if (c->programs[0])
		strncat(c->programs, ",", sizeof(c->programs) - strlen(c->programs) - 1);
	strncat(c->programs, bpf_program__name(prog), sizeof(c->programs) - strlen(c->programs) - 1);
	return 0;
}

int pn_capture_open(struct pn_capture **out, const struct pn_capture_opts *opts, char *err,
		    size_t errlen)
{
	struct pn_capture *c;
	bool have_tracefs;
	int e;

	*out = NULL;
	if (opts->backend && strcmp(opts->backend, "auto") && strcmp(opts->backend, "syscalls")) {
		snprintf(err, errlen,
			 "--backend %s: not available in this build (valid: auto, syscalls)",
			 opts->backend);
		return -EINVAL;
	}
	if (!path_exists("/sys/kernel/btf/vmlinux")) {
		snprintf(err, errlen,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing; it needs "
			 "CONFIG_DEBUG_INFO_BTF=y): the CO-RE programs cannot be loaded and nothing "
			 "was started");
		return -ENOTSUP;
	}

	libbpf_set_print(libbpf_print);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->on_record = opts->on_record;
	c->ctx = opts->ctx;
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
	c->skel->rodata->pn_backend = PN_BACKEND_SYSCALLS;

	have_tracefs = tracefs_ready();
	if (!have_tracefs) {
		bpf_program__set_autoload(c->skel->progs.pn_close, false);
		bpf_program__set_autoload(c->skel->progs.pn_dup2, false);
		bpf_program__set_autoload(c->skel->progs.pn_dup3, false);
	}

	e = panoptes_bpf__load(c->skel);
	if (e) {
		if (e == -EPERM || e == -EACCES)
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

	e = attach_one(c, c->skel->progs.pn_sys_exit, true, err, errlen);
	if (e)
		goto err_out;
	e = attach_one(c, c->skel->progs.pn_proc_exit, false, err, errlen);
	if (e)
		goto err_out;
	if (have_tracefs) {
		struct bpf_program *optional[] = { c->skel->progs.pn_close, c->skel->progs.pn_dup2,
						   c->skel->progs.pn_dup3 };

		for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
			e = attach_one(c, optional[i], false, err, errlen);
			if (e)
				goto err_out;
		}
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

void pn_capture_close(struct pn_capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
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

int pn_capture_set_levels(struct pn_capture *c, const uint32_t *levels, unsigned n)
{
	uint32_t sorted[PN_MAX_CGROUP_LEVELS];
	unsigned max = sizeof(c->skel->bss->pn_watch_levels) / sizeof(uint32_t);

	if (n > max)
		return -E2BIG;
	memcpy(sorted, levels, n * sizeof(*levels));
	qsort(sorted, n, sizeof(*sorted), cmp_desc);
	/*
	 * Publish the count last when growing and first when shrinking, so the
	 * kernel never reads a level slot that is not filled in.
	 */
	if (n < c->skel->bss->pn_watch_nlevels)
		__atomic_store_n(&c->skel->bss->pn_watch_nlevels, n, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&c->skel->bss->pn_watch_levels[i], sorted[i], __ATOMIC_RELEASE);
	__atomic_store_n(&c->skel->bss->pn_watch_nlevels, n, __ATOMIC_RELEASE);
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
		sum->seen += per[i].seen;
		sum->filtered += per[i].filtered;
		sum->gated += per[i].gated;
		sum->coalesced += per[i].coalesced;
		sum->emitted += per[i].emitted;
		sum->dropped += per[i].dropped;
		sum->truncated += per[i].truncated;
		sum->failed += per[i].failed;
	}
}

const char *pn_capture_backend(const struct pn_capture *c)
{
	(void)c;
	return "syscalls";
}

const char *pn_capture_programs(const struct pn_capture *c)
{
	return c->programs;
}
