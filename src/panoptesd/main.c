// SPDX-License-Identifier: GPL-2.0-only
/*
 * panoptesd: load the kernel programs, install the watches, and turn ring
 * buffer records into log lines or JSON until SIGINT, SIGTERM, SIGQUIT or
 * SIGPIPE, or until stdout's reader is gone. SIGHUP reads the policy files
 * again.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "pins.h"
#include "lifecycle_state.h"
#include "guard_state.h"
#include "state.h"
#include "cgroupfs.h"
#include "consumer.h"
#include "cri.h"
#include "errmsg.h"
#include "format.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "policy.h"
#include "registry.h"
#include "services.h"

#define PN_HOUSEKEEPING_MS 1000

static int sink_watch(void *ctx, uint64_t id, uint32_t ops)
{
	return pn_capture_watch_cgroup(ctx, id, ops);
}

static int sink_unwatch(void *ctx, uint64_t id)
{
	return pn_capture_unwatch_cgroup(ctx, id);
}

static int sink_levels(void *ctx, const uint32_t *levels, unsigned n)
{
	return pn_capture_set_levels(ctx, levels, n);
}

/*
 * Every watch is checked before anything reaches the kernel: nothing
 * half-started, and a reload that changes nothing. err gets the one line.
 */
static int load_policies(const struct pn_config *cfg, struct pn_policy *policies, char *err,
			 size_t errlen)
{
	for (size_t i = 0; i < cfg->n_policy_files; i++) {
		int e = pn_policy_load(cfg->policy_files[i], &policies[i], err, errlen);
		char msg[1024];

		if (e)
			return e;
		for (size_t j = 0; j < policies[i].n_guards; j++) {
			const struct pn_watch *w = policies[i].guards[j].guard->watch;

			if (pn_format_validate(w->log_format, msg, sizeof(msg)))
				return pn_errf(err, errlen, -EINVAL, "%s: guard %s: logFormat: %s",
					       cfg->policy_files[i], w->name, msg);
			for (size_t k = 0; k < i; k++)
				for (size_t l = 0; l < policies[k].n_guards; l++)
					if (!strcmp(policies[k].guards[l].guard->watch->name,
						    w->name))
						return pn_errf(err, errlen, -EEXIST,
							       "%s: guard %s: the name is taken by "
							       "a guard of %s",
							       cfg->policy_files[i], w->name,
							       cfg->policy_files[k]);
		}
		for (size_t j = 0; j < policies[i].n_specs; j++) {
			const struct pn_watch *w = policies[i].specs[j].watch;

			if (w->log_format && pn_format_validate(w->log_format, msg, sizeof(msg))) {
				return pn_errf(err, errlen, -EINVAL, "%s: watch %s: logFormat: %s",
					       cfg->policy_files[i], w->name, msg);
			}
			/* within one file the parser says where; across files, here */
			for (size_t k = 0; k < i; k++)
				for (size_t l = 0; l < policies[k].n_specs; l++)
					if (strcmp(policies[k].specs[l].watch->name, w->name) ==
					    0) {
						return pn_errf(err, errlen, -EEXIST,
							       "%s: watch %s: the name is taken by "
							       "a watch of %s",
							       cfg->policy_files[i], w->name,
							       cfg->policy_files[k]);
					}
		}
	}
	return 0;
}

static int install(struct pn_registry *reg, struct pn_watch_spec *spec, const char *origin)
{
	char err[1024];
	int e;

	free(spec->watch->origin);
	spec->watch->origin = strdup(origin);
	if (!spec->watch->origin)
		return -ENOMEM;
	e = pn_registry_add(reg, spec, err, sizeof(err));
	if (e)
		pn_err("%s: watch %s: %s", origin, spec->watch->name, err);
	return e;
}

/* ---------------------------------------------------------------- SIGHUP: the policy files again */

/* Read by /metrics and GetStatus on their threads; written by the main thread only. */
static _Atomic unsigned long long policy_reloads, policy_reload_failures;

/* The watches a reload replaces: the operator's, but for the one the flags made. */
static bool policy_owned(const struct pn_watch *w, void *arg)
{
	(void)arg;
	return w->api == PN_WATCH_OPERATOR && !(w->origin && strcmp(w->origin, "flags") == 0);
}

/*
 * Every --policy file again, as a whole: parsed and checked, then handed to
 * the registry as one set that it installs all or nothing (resolved and
 * checked before anything changes, kernel map refusals rolled back). Runs
 * on the main thread between ring buffer batches, so the consumer matches
 * each record against the old set or the new, never a mix. A file that
 * fails keeps the old policy. API watches are not the set's.
 */
/* A policy file's guard, by the origin it was installed with (the file's path). */
static bool policy_guard(const struct pn_guard *g, void *arg)
{
	const struct pn_config *cfg = arg;

	for (size_t i = 0; i < cfg->n_policy_files; i++)
		if (g->watch->origin && !strcmp(g->watch->origin, cfg->policy_files[i]))
			return true;
	return false;
}

/*
 * Every policy file's guards, in place of those installed before (all of
 * them or none). 0 when there is nothing to do; else the error in err.
 */
static int install_policy_guards(struct pn_guards *g, const char *why, const struct pn_config *cfg,
				 struct pn_policy *p, char *err, size_t errlen)
{
	struct pn_reg_error rerr = { 0 };
	struct pn_guard_spec *specs;
	const char **from;
	size_t n = 0, k = 0, failed;
	int e = -ENOMEM;

	for (size_t i = 0; i < cfg->n_policy_files; i++)
		n += p[i].n_guards;
	if (!g) {
		for (size_t i = 0; i < cfg->n_policy_files; i++)
			if (p[i].n_guards)
				return pn_errf(err, errlen, -ENOTSUP,
					       "%s: guard %s: this node cannot enforce guards: %s",
					       cfg->policy_files[i],
					       p[i].guards[0].guard->watch->name, why);
		return 0;
	}
	specs = calloc(n + 1, sizeof(*specs));
	from = calloc(n + 1, sizeof(*from));
	if (!specs || !from)
		goto out;
	for (size_t i = 0; i < cfg->n_policy_files; i++) {
		for (size_t j = 0; j < p[i].n_guards; j++, k++) {
			specs[k] = p[i].guards[j];
			memset(&p[i].guards[j], 0, sizeof(p[i].guards[j]));
			from[k] = cfg->policy_files[i];
			free(specs[k].guard->watch->origin);
			specs[k].guard->watch->origin = strdup(from[k]);
			if (!specs[k].guard->watch->origin)
				goto out;
		}
	}
	e = pn_guards_replace_set(g, policy_guard, (void *)cfg, specs, n, &failed, &rerr);
	if (e && failed < n)
		pn_errf(err, errlen, e, "%s: guard %s: %s", from[failed],
			specs[failed].guard->watch->name, rerr.msg);
	else if (e)
		pn_errf(err, errlen, e, "guards: %s", rerr.msg);
out:
	if (e == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; specs && i < n; i++)
		pn_guard_spec_clear(&specs[i]);
	free(specs);
	free(from);
	return e;
}

static void reload_policies(struct pn_registry *reg, struct pn_guards *guards, const char *why,
			    const struct pn_config *cfg)
{
	struct pn_policy *p = calloc(cfg->n_policy_files + 1, sizeof(*p));
	struct pn_reg_set_result res = { .failed = SIZE_MAX };
	struct pn_reg_error rerr = { 0 };
	struct pn_watch_spec *specs = NULL;
	const char **from = NULL;
	size_t n = 0, k = 0;
	char err[PATH_MAX + sizeof(rerr.msg) + 256] = "out of memory";
	int e = -ENOMEM;

	if (!p)
		goto fail;
	e = load_policies(cfg, p, err, sizeof(err));
	if (e)
		goto fail;
	for (size_t i = 0; i < cfg->n_policy_files; i++)
		n += p[i].n_specs;
	specs = calloc(n + 1, sizeof(*specs));
	from = calloc(n + 1, sizeof(*from));
	e = -ENOMEM;
	if (!specs || !from)
		goto fail;
	for (size_t i = 0; i < cfg->n_policy_files; i++) {
		for (size_t j = 0; j < p[i].n_specs; j++, k++) {
			specs[k] = p[i].specs[j];
			memset(&p[i].specs[j], 0, sizeof(p[i].specs[j]));
			from[k] = cfg->policy_files[i];
			free(specs[k].watch->origin);
			specs[k].watch->origin = strdup(from[k]);
			if (!specs[k].watch->origin)
				goto fail;
		}
	}
	e = pn_registry_replace_set(reg, policy_owned, NULL, specs, n, &res, &rerr);
	if (e) {
		if (res.failed < n)
			pn_errf(err, sizeof(err), e, "%s: watch %s: %s", from[res.failed],
				specs[res.failed].watch->name, rerr.msg);
		else
			pn_errf(err, sizeof(err), e, "%s", rerr.msg);
		goto fail;
	}
	/* the guards after the watches: a refusal keeps the old guards, said as a failure */
	err[0] = '\0';
	e = install_policy_guards(guards, why, cfg, p, err, sizeof(err));
	if (e) {
		pn_info("reloaded %zu policy files' watches: %zu added, %zu replaced, %zu removed, "
			"%zu unchanged; their guards were not",
			cfg->n_policy_files, res.added, res.replaced, res.removed, res.unchanged);
		goto fail;
	}
	atomic_fetch_add_explicit(&policy_reloads, 1, memory_order_relaxed);
	pn_info("reloaded %zu policy files: %zu added, %zu replaced, %zu removed, %zu unchanged",
		cfg->n_policy_files, res.added, res.replaced, res.removed, res.unchanged);
	goto out;
fail:
	atomic_fetch_add_explicit(&policy_reload_failures, 1, memory_order_relaxed);
	pn_err("reload: %s: the old policy is kept", err);
out:
	/* what the registry did not take (all of it on a failure) */
	for (size_t i = 0; specs && i < n; i++) {
		pn_watch_free(specs[i].watch);
		pn_targets_clear(&specs[i].targets);
	}
	free(specs);
	free(from);
	for (size_t i = 0; p && i < cfg->n_policy_files; i++)
		pn_policy_clear(&p[i]);
	free(p);
}

static void publish(void *arg, const struct pn_event *ev, const struct pn_match *m,
		    const struct pn_format_ctx *fctx)
{
	pn_rpc_publish(arg, ev, m, fctx);
}

/* ---------------------------------------------------------------- the agent, as services see it */

struct agent {
	struct pn_agent_view view; /* what the services get */
	const char *cgroup2;
	struct pn_registry *registry;
	struct pn_capture *capture;
	const struct pn_consumer *consumer;
	struct pn_state *state; /* NULL: --state-dir "" */
	struct pn_cri *cri;	/* NULL: --cri-endpoint "" */
};

/* Every change of an API watch is written to the state file before the call answers. */
static int agent_install(void *ctx, struct pn_watch_spec *spec, enum pn_reg_mode mode,
			 struct pn_reg_error *err)
{
	struct agent *a = ctx;
	bool api = spec->watch && spec->watch->api != PN_WATCH_OPERATOR;
	int e = pn_registry_install(a->registry, spec, mode, err);

	if (!e && api)
		pn_state_save(a->state, &a->view);
	return e;
}

static int agent_remove(void *ctx, const char *key)
{
	struct agent *a = ctx;
	int e = pn_registry_remove(a->registry, key);

	if (!e)
		pn_state_save(a->state, &a->view);
	return e;
}

static void agent_foreach_watch(void *ctx, void (*fn)(const struct pn_watch_view *v, void *arg),
				void *arg)
{
	struct agent *a = ctx;

	pn_registry_foreach_view(a->registry, fn, arg);
}

static void agent_counters(void *ctx, struct pn_counters *sum)
{
	struct agent *a = ctx;

	pn_capture_counters(a->capture, sum);
}

static void agent_status(void *ctx, struct pn_agent_status *out)
{
	struct agent *a = ctx;

	out->backend = pn_capture_backend(a->capture);
	out->programs = pn_capture_programs(a->capture);
	out->watches = pn_registry_watch_count(a->registry);
	out->cgroups = pn_registry_cgroup_count(a->registry);
	/* read without a lock: counters written by the consumer thread, monotonic */
	out->records = atomic_load_explicit(&a->consumer->records, memory_order_relaxed);
	out->malformed = atomic_load_explicit(&a->consumer->malformed, memory_order_relaxed);
	out->events = atomic_load_explicit(&a->consumer->matched, memory_order_relaxed);
	out->dropped = atomic_load_explicit(&a->consumer->dropped, memory_order_relaxed);
	out->lookups_timed_out =
		atomic_load_explicit(&a->consumer->lookups.timed_out, memory_order_relaxed);
	out->lookups_skipped =
		atomic_load_explicit(&a->consumer->lookups.skipped, memory_order_relaxed);
	out->policy_reloads = atomic_load_explicit(&policy_reloads, memory_order_relaxed);
	out->policy_reload_failures =
		atomic_load_explicit(&policy_reload_failures, memory_order_relaxed);
	out->cri_enabled = a->cri != NULL;
	if (a->cri)
		pn_cri_stats(a->cri, &out->cri);
}

static int agent_resolve(void *ctx, const struct pn_targets *t, struct pn_resolved **out, size_t *n,
			 struct pn_reg_error *err)
{
	struct agent *a = ctx;

	return pn_resolve_targets(a->cgroup2, "/proc", t, out, n, err);
}

struct lifecycle_out {
	enum pn_lifecycle_output output;
	struct pn_lifecycle_set seen; /* kept in --state-dir for the next agent */
	const char *node;
	/* StreamLifecycle's server while it runs; set and cleared by main under mu */
	pthread_mutex_t mu;
	struct pn_rpc *rpc;
	struct pn_guards *guards; /* told of containers that start and stop; under mu too */
};

/* The kernel's word on a container's cgroup, passed to the runtime's client. */
static void container_cgroup(void *arg, const char *container_id, bool made)
{
	if (made)
		pn_cri_expect(arg, container_id);
	else
		pn_cri_gone(arg, container_id);
}

/*
 * --lifecycle: one line per record, flushed at once, never inside an event's
 * line; and every record to StreamLifecycle's clients.
 */
static void write_lifecycle(void *arg, const struct pn_lifecycle *lc)
{
	struct lifecycle_out *out = arg;
	char line[4096], *p = line;
	size_t n;

	pthread_mutex_lock(&out->mu);
	pn_native_publish_lifecycle(out->rpc, out->node, lc);
	if (lc->kind == PN_LC_CONTAINER_STARTED || lc->kind == PN_LC_CONTAINER_STOPPED)
		pn_guards_containers_changed(out->guards);
	pthread_mutex_unlock(&out->mu);
	if (out->output == PN_LC_OUTPUT_NONE)
		return;
	pn_lifecycle_set_note(&out->seen, lc);
	n = pn_lifecycle_format(line, sizeof(line), out->output, lc);

	if (!n)
		return;
	if (n >= sizeof(line)) {
		p = malloc(n + 1);
		if (!p)
			return;
		pn_lifecycle_format(p, n + 1, out->output, lc);
	}
	flockfile(stdout);
	fwrite(p, 1, n, stdout);
	fflush(stdout);
	funlockfile(stdout);
	if (p != line)
		free(p);
}

static bool selector_keeps(const void *sel, const struct pn_workload *w)
{
	return pn_selector_match(sel, w->namespace, w->container, w->image, &w->labels);
}

/* The guards' pn_guards_selected_fn: what the runtime's client says runs. */
static int guard_containers(void *cri, const struct pn_selector *s, char ***ids, size_t *n)
{
	return pn_cri_running(cri, selector_keeps, s, ids, n);
}

static int agent_lifecycle_snapshot(void *ctx, void (*fn)(void *arg, const struct pn_lifecycle *lc),
				    void (*done)(void *arg), void *arg)
{
	struct agent *a = ctx;

	if (!a->cri)
		return -ENODEV;
	pn_cri_snapshot(a->cri, fn, done, arg);
	return 0;
}

static void agent_guards_changed(void *ctx)
{
	struct agent *a = ctx;

	pn_guard_state_save(a->state, &a->view);
}

static void agent_init(struct agent *a, const struct pn_config *cfg, const char *cgroup2,
		       struct pn_registry *reg, struct pn_capture *cap,
		       const struct pn_consumer *cons)
{
	*a = (struct agent){
		.view = {
			.node = cfg->node,
			.version = PN_VERSION,
			.ctx = a,
			.install = agent_install,
			.remove = agent_remove,
			.foreach_watch = agent_foreach_watch,
			.counters = agent_counters,
			.status = agent_status,
			.resolve = agent_resolve,
			.lifecycle_snapshot = agent_lifecycle_snapshot,
			.guards_changed = agent_guards_changed,
			.cgroup2 = cgroup2,
			.api_cgroup_roots = cfg->api_cgroup_roots,
			.n_api_cgroup_roots = cfg->n_api_cgroup_roots,
		},
		.cgroup2 = cgroup2,
		.registry = reg,
		.capture = cap,
		.consumer = cons,
	};
}

/* ---------------------------------------------------------------- the gRPC server */

static unsigned metrics_streams(void *rpc)
{
	return pn_rpc_stream_count(rpc);
}

static unsigned long long metrics_drops(void *rpc)
{
	return pn_rpc_stream_drops(rpc);
}

static unsigned long long metrics_cuts(void *rpc)
{
	return pn_rpc_stream_cuts(rpc);
}

static unsigned long long metrics_refused(void *rpc)
{
	return pn_rpc_streams_refused(rpc);
}

static unsigned long long metrics_queue_bytes(void *rpc)
{
	return pn_rpc_stream_queue_bytes(rpc);
}

/*
 * The guards' mechanism, started whether or not a guard comes (without
 * rules it costs one load per hook for BPF LSM, nothing for fanotify); a
 * node that can have neither still runs, and CreateGuard says why.
 */
static int start_guards(struct pn_guards **out, const struct pn_config *cfg, const char *cgroup2,
			const char *pin_path, char *why, size_t whylen)
{
	char pins[PATH_MAX];
	struct pn_guards_opts o = {
		.cgroup2_root = cgroup2,
		.proc_root = "/proc",
		.node = cfg->node,
		.out = stdout,
		.json = cfg->output == PN_OUTPUT_JSON,
		.mechanism = cfg->guard_backend,
	};
	bool is_auto = !strcmp(cfg->guard_backend, "auto");
	int e;

	/* beside the capture's, in the directory it holds */
	if (pin_path[0]) {
		snprintf(pins, sizeof(pins), "%s/%s", pin_path, PN_PINS_GUARD);
		o.pin_dir = pins;
	}
	if (!strcmp(cfg->guard_backend, "none")) {
		pn_guards_unpin(o.pin_dir);
		snprintf(why, whylen, "--guard-backend none");
		return 0;
	}
	e = pn_guards_open(out, &o, why, whylen);
	if (e && !is_auto) {
		pn_err("--guard-backend %s: %s; nothing was started", cfg->guard_backend, why);
		return e;
	}
	if (e)
		pn_info("guards unavailable: %s; everything else works", why);
	else if (pn_guards_deferred(*out))
		pn_info("guards: BPF LSM, decided in the kernel (auto), loaded with the first guard "
			"(janus.Janusd)");
	else if (!strcmp(pn_guards_mechanism(*out), "lsm"))
		pn_info("guards: BPF LSM, decided in the kernel (janus.Janusd)");
	else if (is_auto)
		pn_info("guards: fanotify permission events (auto): BPF LSM unavailable: %s "
			"(janus.Janusd)",
			pn_guards_lsm_why(*out));
	else
		pn_info("guards: fanotify permission events (janus.Janusd)");
	return 0;
}

/* The services, in the order their methods are registered. */
static int (*const service_rows[])(struct pn_rpc_service *row,
				   const struct pn_agent_view *agent) = {
	pn_argus_service,
	pn_janus_service,
	pn_native_service,
	pn_health_service,
};

static int start_rpc(struct pn_rpc **rpc, const struct pn_config *cfg,
		     const struct pn_agent_view *agent, struct pn_consumer *cons,
		     const struct pn_authz *authz)
{
	struct pn_rpc_opts o = {
		.socket_path = cfg->socket_path,
		.listen = cfg->listen,
		.insecure_listen = cfg->insecure_listen,
		.authz = authz,
		.tls = cfg->tls,
		.tls_ca_file = cfg->tls_ca_file,
		.tls_cert_file = cfg->tls_cert_file,
		.tls_key_file = cfg->tls_key_file,
		.max_request_bytes = cfg->max_request_bytes,
		.stream_queue = cfg->stream_queue,
		.stream_queue_bytes = cfg->stream_queue_bytes,
		.streams_queue_total_bytes = cfg->streams_queue_total_bytes,
		.stream_cut_seconds = cfg->stream_cut_seconds,
		.max_streams = cfg->max_streams,
		.max_streams_per_client = cfg->max_streams_per_client,
	};
	struct pn_rpc_service rows[sizeof(service_rows) / sizeof(service_rows[0])] = { 0 };
	char err[1024];
	size_t n;
	int e = 0;

	for (n = 0; n < sizeof(rows) / sizeof(rows[0]); n++) {
		e = service_rows[n](&rows[n], agent);
		if (e)
			break;
	}
	if (e) {
		/* the rows made so far are still ours */
		for (size_t i = 0; i < n; i++)
			if (rows[i].stop)
				rows[i].stop(rows[i].ctx);
		pn_err("grpc: cannot set up its services: %s", strerror(-e));
		return e;
	}
	e = pn_rpc_start(rpc, &o, rows, n, err, sizeof(err));
	if (e) {
		pn_err("%s", err);
		return e;
	}
	if (cfg->insecure_listen)
		pn_warn("--insecure-listen %s: the gRPC API is served there without client "
			"certificates: whoever reaches it may create, change and delete watches "
			"and read every event",
			cfg->listen);
	cons->on_match = publish;
	cons->on_match_arg = *rpc;
	return 0;
}

static void stop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	/*
	 * Their default actions kill without cleanup and leave the hooks attached
	 * through the pins. Blocked, a write to a stdout whose reader is gone
	 * fails with EPIPE instead (a fatal stop, below); a SIGPIPE or SIGQUIT
	 * sent to us stops like SIGTERM.
	 */
	sigaddset(mask, SIGPIPE);
	sigaddset(mask, SIGQUIT);
	/* not a stop: the policy files are read again (reload_policies) */
	sigaddset(mask, SIGHUP);
}

static int setup_fds(int *sfd, int *tfd, int *efd, int rb_fd, int guards_fd)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = PN_HOUSEKEEPING_MS / 1000 },
		.it_value = { .tv_sec = PN_HOUSEKEEPING_MS / 1000 },
	};
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	stop_signals(&mask);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	*efd = epoll_create1(EPOLL_CLOEXEC);
	if (*sfd < 0 || *tfd < 0 || *efd < 0)
		return -errno;
	if (timerfd_settime(*tfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = rb_fd;
	if (epoll_ctl(*efd, EPOLL_CTL_ADD, rb_fd, &ev))
		return -errno;
	ev.data.fd = *sfd;
	if (epoll_ctl(*efd, EPOLL_CTL_ADD, *sfd, &ev))
		return -errno;
	ev.data.fd = *tfd;
	if (epoll_ctl(*efd, EPOLL_CTL_ADD, *tfd, &ev))
		return -errno;
	ev.data.fd = guards_fd;
	if (guards_fd >= 0 && epoll_ctl(*efd, EPOLL_CTL_ADD, guards_fd, &ev))
		return -errno;
	return 0;
}

static void log_counters(struct pn_capture *cap, const struct pn_consumer *cons)
{
#define ROOM(name, metric, help) +sizeof(" " #name " ") + 20 /* digits of UINT64_MAX */
	char kernel[1 PN_COUNTERS(ROOM)];
#undef ROOM
	struct pn_counters k;
	size_t n = 0;

	pn_capture_counters(cap, &k);
#define LOG(name, metric, help)                                                                    \
	n += (size_t)snprintf(kernel + n, sizeof(kernel) - n, " " #name " %llu",                   \
			      (unsigned long long)k.name);
	PN_COUNTERS(LOG)
#undef LOG
	pn_info("counters:%s; records %llu malformed %llu events written %llu dropped %llu"
		" lookups timed out %llu skipped %llu",
		kernel, (unsigned long long)cons->records, (unsigned long long)cons->malformed,
		(unsigned long long)cons->matched, (unsigned long long)cons->dropped,
		(unsigned long long)cons->lookups.timed_out,
		(unsigned long long)cons->lookups.skipped);
}

/*
 * Nobody reads the events any more: stop cleanly (detach, clear the pins)
 * rather than keep the hooks running for nothing. Other write errors keep
 * the agent running, as before: the gRPC streams may still be read.
 */
static bool stdout_gone(FILE *out)
{
	if (fflush(out) == 0 || errno != EPIPE)
		return false;
	pn_err("stdout: %s (its reader is gone): stopping", strerror(EPIPE));
	return true;
}

/*
 * The kernel wakes the consumer for the first record after it has caught up:
 * at a steady rate that is every few records, each an irq_work on the
 * workload's CPU and a wakeup across CPUs. Sleeping outside epoll after a
 * busy wakeup lets records gather so one wakeup reads many; an idle agent
 * still sleeps in epoll_wait and pays nothing.
 */
static void batch_pause(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static bool registry_has_cgroup(void *ctx, uint64_t id)
{
	return pn_registry_has_cgroup(ctx, id);
}

/*
 * The adopted map still holds the cgroups the earlier agent watched: once
 * this one's watches are installed, those it does not watch go.
 */
static void retain_adopted(struct pn_capture *cap, struct pn_registry *reg)
{
	static const uint32_t no_levels[1];
	int n = pn_capture_retain_cgroups(cap, registry_has_cgroup, reg);

	if (!pn_registry_cgroup_count(reg))
		pn_capture_set_levels(cap, no_levels, 0);
	if (n)
		pn_info("%d cgroup(s) the earlier agent watched are not watched by this one: "
			"removed from the kernel's map",
			n);
}

/* --remove-pins: the uninstall of what --keep-on-exit left. */
static int remove_pins(const struct pn_config *cfg)
{
	struct pn_pins pins;
	char err[PATH_MAX + 256];
	int n, e;

	pn_pins_init(&pins);
	e = pn_pins_take(&pins, cfg->pin_path, err, sizeof(err));
	if (e) {
		pn_err("%s", err);
		return e;
	}
	n = pn_pins_clear(&pins);
	pn_pins_release(&pins, false);
	pn_info("removed %d pins and %s: what they held is detached", n, cfg->pin_path);
	if (cfg->state_dir[0]) {
		e = pn_state_remove(cfg->state_dir);
		if (!e)
			e = pn_lifecycle_set_remove(cfg->state_dir);
		if (e) {
			pn_err("--state-dir %s: cannot remove what it keeps: %s", cfg->state_dir,
			       strerror(-e));
			return e;
		}
		pn_info("removed the watches and containers kept in %s", cfg->state_dir);
	}
	return 0;
}

static int run(struct agent *agent, struct pn_capture *cap, struct pn_registry *reg,
	       struct pn_consumer *cons, struct pn_metrics *metrics, struct pn_rpc *rpc,
	       const struct pn_config *cfg)
{
	int sfd = -1, tfd = -1, efd = -1, e;
	bool stop = false;
	char grpc[PATH_MAX + 400] = "off";

	/*
	 * Only this thread: on Linux the nice value is per thread, and who = 0
	 * means the caller (gRPC's threads already run at the default). Its CPU use
	 * follows the event rate, and when it waits behind the workloads that
	 * cause the events the ring buffer fills and records are lost
	 * (docs/performance.md, ceiling).
	 */
	if (setpriority(PRIO_PROCESS, 0, cfg->nice))
		pn_warn("cannot set the ring buffer reader's nice value to %d (%s): it competes "
			"with the workloads at the default",
			cfg->nice, strerror(errno));
	e = setup_fds(&sfd, &tfd, &efd, pn_capture_fd(cap), pn_guards_wake_fd(agent->view.guards));
	if (e) {
		pn_err("cannot set up the event loop: %s", strerror(-e));
		goto out;
	}
	if (rpc)
		snprintf(grpc, sizeof(grpc), "%s (%s%s)", pn_rpc_address(rpc),
			 !cfg->listen[0]  ? "local" :
			 !cfg->tls	  ? "plaintext" :
			 cfg->tls_ca_file ? "mutual TLS" :
					    "TLS",
			 cfg->insecure_listen ? ", insecure" : "");
	pn_info("ready: backend %s, programs %s, %zu watch(es) on %zu cgroup(s), pins %s, grpc %s",
		pn_capture_backend(cap), pn_capture_programs(cap), pn_registry_watch_count(reg),
		pn_registry_cgroup_count(reg),
		pn_capture_pin_path(cap)[0] ? pn_capture_pin_path(cap) : "none", grpc);
	pn_metrics_set_ready(metrics, true);
	pn_rpc_set_serving(rpc, true);

	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(efd, evs, 4, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = -errno;
			pn_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				ssize_t got = read(sfd, &si, sizeof(si));

				if (got == sizeof(si) && si.ssi_signo == SIGHUP) {
					/* what is waiting was recorded under the old policy */
					pn_capture_consume(cap);
					reload_policies(reg, agent->view.guards,
							agent->view.guards_why, cfg);
					continue;
				}
				if (got == sizeof(si))
					pn_info("%s: stopping", strsignal(si.ssi_signo));
				stop = true;
			} else if (fd == pn_guards_wake_fd(agent->view.guards)) {
				/* a container started or stopped: selector guards follow at once */
				pn_guards_refresh(agent->view.guards);
			} else if (fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					continue;
				if (pn_registry_prune(reg) > 0)
					pn_state_save(agent->state, &agent->view);
				if (pn_guards_prune(agent->view.guards) > 0)
					pn_guard_state_save(agent->state, &agent->view);
				/* what a container start that woke nobody, or a late answer, changed */
				pn_guards_refresh(agent->view.guards);
				pn_consumer_sync_clock(cons);
				pn_capture_heartbeat(cap);
				if (pn_log_verbose())
					log_counters(cap, cons);
			}
		}
		/* Level-triggered: consume whatever is waiting after every wakeup. */
		n = pn_capture_consume(cap);
		if (n < 0)
			pn_warn("ring buffer consume failed");
		if (stdout_gone(cons->out)) {
			e = -EPIPE;
			break;
		}
		if (n > 0 && cfg->batch_us)
			batch_pause(cfg->batch_us);
	}
	pn_metrics_set_ready(metrics, false);
	pn_rpc_set_serving(rpc, false);
	/* Flush what the kernel already handed over before detaching. */
	pn_capture_consume(cap);
	fflush(cons->out);
	log_counters(cap, cons);
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (efd >= 0)
		close(efd);
	return e;
}

int main(int argc, char **argv)
{
	struct pn_capture_opts copts = { 0 };
	struct pn_metrics *metrics = NULL;
	struct pn_rpc *rpc = NULL;
	struct pn_authz *authz = NULL;
	struct pn_policy *policies = NULL;
	struct pn_registry *reg = NULL;
	struct pn_capture *cap = NULL;
	struct pn_consumer cons = { 0 };
	struct agent agent = { 0 };
	struct pn_cri *cri = NULL;
	struct pn_guards *guards = NULL;
	char guards_why[256] = "";
	struct pn_state *state = NULL;
	struct lifecycle_out lc_out = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct pn_config cfg;
	char err[1024], cgroup2[PATH_MAX], mount_root[PATH_MAX];
	sigset_t stop;
	int e;

	/*
	 * Before any thread exists (libmicrohttpd starts one): a process-directed
	 * SIGTERM must reach the signalfd, not kill us in a thread that left it
	 * unblocked, skipping the detach and the pin cleanup.
	 */
	stop_signals(&stop);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	pn_log_init("panoptesd", false);
	e = pn_options_parse(argc, argv, &cfg, err, sizeof(err));
	if (e == 1) {
		pn_config_clear(&cfg);
		return 0;
	}
	if (e) {
		pn_err("%s", err);
		return 2;
	}
	pn_log_init("panoptesd", cfg.verbose);
	if (cfg.remove_pins) {
		e = remove_pins(&cfg);
		pn_config_clear(&cfg);
		return e ? 1 : 0;
	}

	policies = calloc(cfg.n_policy_files + 1, sizeof(*policies));
	if (!policies) {
		e = -ENOMEM;
		goto out;
	}
	e = load_policies(&cfg, policies, err, sizeof(err));
	if (e) {
		pn_err("%s", err);
		goto out;
	}
	if (cfg.authz_file) {
		e = pn_authz_load(cfg.authz_file, &authz, err, sizeof(err));
		if (e) {
			pn_err("%s", err);
			goto out;
		}
	}

	e = pn_cgroup2_mount("/proc/self/mountinfo", cgroup2, sizeof(cgroup2));
	if (e) {
		pn_err("no cgroup v2 hierarchy is mounted (looked in /proc/self/mountinfo): panoptes "
		       "filters by cgroup v2 id and cannot run without it");
		goto out;
	}
	/* in a cgroup namespace of its own, pids' cgroups are read from where the mount lies */
	if (!pn_cgroup2_mount_root("/proc/self/mountinfo", mount_root, sizeof(mount_root)) &&
	    pn_cgroupfs_place_namespace(cgroup2, mount_root, getpid()))
		pn_warn("cgroup namespace: the cgroup2 mount at %s lies at %s from this agent's "
			"own cgroup namespace, and the agent's cgroup is not found below it: "
			"--watch-pid and pids over the API work only for processes whose cgroup "
			"lies below that mount's root as the namespace prints it",
			cgroup2, mount_root);

	/*
	 * stdout: full buffering, flushed after every batch of records. The
	 * buffer is ours: given NULL, glibc ignores the size and writes 4 KiB at
	 * a time (bench/ saw every write(2) at 4096 bytes).
	 */
	static char stdout_buf[1 << 16];

	setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	pn_consumer_init(&cons, NULL, cfg.output, cfg.node, stdout);
	cons.with_labels = cfg.event_labels;
	cons.with_annotations = cfg.n_event_annotations > 0;
	cons.lookups.timeout_ms = cfg.lookup_timeout_ms;
	e = pn_identity_cache_new(cgroup2, &cons.ids);
	if (e)
		pn_warn("cannot open %s (%s): events will carry no pod_uid or container_id",
			cgroup2, strerror(-e));
	copts.backend = cfg.backend;
	copts.ringbuf_mb = cfg.ringbuf_mb;
	copts.coalesce_ms = cfg.coalesce_ms;
	copts.max_cgroups = cfg.max_cgroups;
	copts.pin_path = cfg.pin_path;
	copts.on_record = pn_consumer_on_record;
	copts.on_cgroup_note = pn_consumer_on_cgroup_note;
	copts.ctx = &cons;
	e = pn_capture_open(&cap, &copts, err, sizeof(err));
	if (e) {
		pn_err("%s", err);
		goto out;
	}
	/* loading parsed the kernel's BTF and the object: give that heap back (RSS) */
	malloc_trim(0);
	/*
	 * After loading, so that a node without BPF says that first. Before any
	 * record is read: what the agent before kept is known before anything is
	 * reported.
	 */
	if (cfg.state_dir[0]) {
		e = pn_state_open(&state, cfg.state_dir, err, sizeof(err));
		if (e && e != -EBUSY && !cfg.state_dir_set) {
			/*
			 * The default on a node whose /var/lib cannot hold it (a
			 * read-only root, the DaemonSet's mount missing): the agent
			 * still reports, it only forgets across a restart.
			 */
			pn_warn("%s: watches created over gRPC and the containers --lifecycle "
				"reported are not kept for the next agent (--state-dir DIR keeps "
				"them elsewhere, --state-dir \"\" says none)",
				err);
			e = 0;
		} else if (e) {
			pn_err("%s", err);
			goto out;
		}
	}
	lc_out.output = cfg.lifecycle;
	lc_out.node = cfg.node;
	if (cfg.lifecycle && pn_lifecycle_set_load(&lc_out.seen, state)) {
		e = -ENOMEM;
		goto out;
	}
	if (cons.ids && !(cfg.cri_endpoint && !cfg.cri_endpoint[0])) {
		e = pn_cri_start(
			&(struct pn_cri_config){
				.endpoint = cfg.cri_endpoint,
				.wait_ms = cfg.cri_wait_ms,
				.resync_s = cfg.cri_resync_s,
				/* --lifecycle's lines, and StreamLifecycle's clients */
				.on_lifecycle = write_lifecycle,
				.lifecycle_arg = &lc_out,
				.previous = lc_out.seen.v,
				.n_previous = lc_out.seen.n,
				.annotation_keys = cfg.event_annotations,
				.n_annotation_keys = cfg.n_event_annotations,
			},
			&cri);
		if (e) {
			pn_warn("cannot start the container runtime client (%s): events will carry "
				"no pod, namespace or image",
				strerror(-e));
		} else {
			pn_identity_set_runtime(cons.ids, pn_cri_lookup, cri);
			cons.on_container = container_cgroup;
			cons.on_container_arg = cri;
		}
	}
	reg = pn_registry_new(cgroup2, "/proc",
			      &(struct pn_kernel_sink){
				      .watch = sink_watch,
				      .unwatch = sink_unwatch,
				      .levels = sink_levels,
				      .ctx = cap,
			      });
	if (!reg) {
		e = -ENOMEM;
		goto out;
	}
	cons.registry = reg;
	pn_registry_set_admit(reg, pn_consumer_admit, &cons);
	/* with a runtime to name containers, the kernel stops those no selector wants */
	if (cri)
		pn_registry_set_decide(reg, pn_consumer_decide, &cons);
	agent_init(&agent, &cfg, cgroup2, reg, cap, &cons);
	agent.cri = cri;
	agent.state = state;
	e = start_guards(&guards, &cfg, cgroup2, pn_capture_pin_path(cap), guards_why,
			 sizeof(guards_why));
	if (e)
		goto out;
	agent.view.guards = guards;
	agent.view.guards_why = guards_why;
	if (guards && cri)
		pn_guards_set_runtime(guards, guard_containers, cri);
	pthread_mutex_lock(&lc_out.mu);
	lc_out.guards = guards;
	pthread_mutex_unlock(&lc_out.mu);
	pn_registry_set_max_watches(reg, cfg.max_watches);

	if (cfg.flag_watch.watch) {
		e = install(reg, &cfg.flag_watch, "flags");
		if (e)
			goto out;
	}
	for (size_t i = 0; i < cfg.n_policy_files; i++) {
		for (size_t j = 0; j < policies[i].n_specs; j++) {
			e = install(reg, &policies[i].specs[j], cfg.policy_files[i]);
			if (e)
				goto out;
		}
	}
	err[0] = '\0';
	e = install_policy_guards(guards, guards_why, &cfg, policies, err, sizeof(err));
	if (e) {
		pn_err("%s", err);
		goto out;
	}

	/* before the backlog is read: its events find the watches they were captured for */
	if (agent.state) {
		pn_state_restore(agent.state, &agent.view);
		/* before ready: a guard janus-controller made is enforced again from the start */
		pn_guard_state_restore(agent.state, &agent.view);
	}
	/* guards by selector hold the containers that run before the agent says it is ready */
	if (cri && pn_guards_by_selector(guards)) {
		if (!pn_cri_wait_listed(cri, PN_CRI_FIRST_LIST_MS))
			pn_warn("guards by selector: the container runtime has not listed its "
				"containers within %d ms; they are guarded as it does",
				PN_CRI_FIRST_LIST_MS);
		pn_guards_refresh(guards);
	}
	/* an adopted BPF LSM guard: what no guard of this start holds goes */
	pn_guards_started(guards);
	if (pn_capture_handover(cap)->adopted)
		retain_adopted(cap, reg);

	if (cfg.listen[0] || cfg.socket_path[0]) {
		e = start_rpc(&rpc, &cfg, &agent.view, &cons, authz);
		if (e)
			goto out;
		pthread_mutex_lock(&lc_out.mu);
		lc_out.rpc = rpc;
		pthread_mutex_unlock(&lc_out.mu);
		pn_guards_on_decision(guards, publish, rpc);
	}

	if (cfg.metrics_listen[0] || cfg.probe_listen[0]) {
		struct pn_metrics_source src = {
			.capture = cap,
			.registry = reg,
			.consumer = &cons,
			.version = PN_VERSION,
			.grpc_streams = rpc ? metrics_streams : NULL,
			.grpc_stream_drops = metrics_drops,
			.grpc_stream_cuts = metrics_cuts,
			.grpc_streams_refused = metrics_refused,
			.grpc_stream_queue_bytes = metrics_queue_bytes,
			.grpc_insecure_listen = cfg.insecure_listen,
			.grpc_ctx = rpc,
			.policy_reloads = &policy_reloads,
			.policy_reload_failures = &policy_reload_failures,
			.cri = agent.cri,
			.guards = guards,
		};

		e = pn_metrics_start(&metrics, cfg.metrics_listen, cfg.probe_listen, &src, err,
				     sizeof(err));
		if (e) {
			pn_err("%s", err);
			goto out;
		}
	}

	e = run(&agent, cap, reg, &cons, metrics, rpc, &cfg);
out:
	pn_guards_keep_on_close(guards, cap && cfg.keep_on_exit);
	if (cap && cfg.keep_on_exit) {
		pn_capture_keep_on_close(cap, true);
		pn_info("leaving the programs pinned in %s and capturing (--keep-on-exit): the next "
			"agent there reports what they capture meanwhile; panoptesd --remove-pins "
			"detaches them",
			pn_capture_pin_path(cap));
	}
	/* The metrics thread reads the capture, the registry and the server: it stops first. */
	pn_metrics_stop(metrics);
	/* Streams are fed by the consumer: finished after its last records, before detaching. */
	pthread_mutex_lock(&lc_out.mu);
	lc_out.rpc = NULL; /* the runtime's client may still tell a change */
	lc_out.guards = NULL;
	pthread_mutex_unlock(&lc_out.mu);
	pn_guards_on_decision(guards, NULL, NULL);
	pn_rpc_stop(rpc);
	/* no call can change them now; the kernel allows whatever is pending as the group goes */
	pn_guards_close(guards);
	pn_authz_free(authz);
	/* Detach first: no record may arrive for a registry being freed. */
	pn_capture_close(cap);
	pn_consumer_clear(&cons);
	/* the runtime's client writes lifecycle records into the state dir: before it closes */
	pn_cri_stop(cri);
	pn_lifecycle_set_clear(&lc_out.seen);
	pn_state_close(state);
	pn_identity_cache_free(cons.ids);
	pn_registry_free(reg);
	for (size_t i = 0; policies && i < cfg.n_policy_files; i++)
		pn_policy_clear(&policies[i]);
	free(policies);
	pn_config_clear(&cfg);
	if (e == -ENOMEM)
		pn_err("out of memory");
	return e ? 1 : 0;
}
