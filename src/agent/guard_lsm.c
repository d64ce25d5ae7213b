// SPDX-License-Identifier: GPL-2.0-only
#include "guard_lsm.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "guard.skel.h"
#include "log.h"
#include "probe.h"

struct pn_guard_lsm {
	struct guard_bpf *skel;
	struct ring_buffer *rb;
	int ncpus;
	/* what the maps hold now, for the next sync's deletions */
	struct pn_guard_lsm_cgroup *cgroups;
	size_t n_cgroups;
	struct pn_guard_lsm_rule *rules;
	size_t n_rules;
	/* during a consume */
	void (*fn)(void *arg, const struct pn_guard_decision *d);
	void *arg;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct pn_guard_lsm *l = ctx;

	if (size >= sizeof(struct pn_guard_decision))
		l->fn(l->arg, data);
	return 0;
}

int pn_guard_lsm_open(struct pn_guard_lsm **out, char *err, size_t errlen)
{
	struct pn_guard_lsm *l;
	char why[256];
	bool quiet;
	int e;

	*out = NULL;
	if (pn_probe_bpf_lsm_missing(why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		return -EOPNOTSUPP;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0) {
		e = l->ncpus ? l->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count the CPUs: %s", strerror(-e));
		goto fail;
	}
	l->skel = guard_bpf__open();
	if (!l->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the guard's BPF object: %s", strerror(-e));
		goto fail;
	}
	l->skel->rodata->pn_ancestor_helper = pn_probe_ancestor_helper();
	/* a kernel that refuses the programs is an answer (fanotify then), said in one line */
	quiet = pn_capture_libbpf_quiet(true);
	e = guard_bpf__load(l->skel);
	pn_capture_libbpf_quiet(quiet);
	if (e) {
		snprintf(err, errlen, "the kernel refused the guard's BPF LSM programs: %s%s",
			 strerror(-e), pn_log_verbose() ? "" : " (--verbose shows libbpf's log)");
		goto fail;
	}
	e = guard_bpf__attach(l->skel);
	if (e) {
		snprintf(err, errlen, "cannot attach the guard's BPF LSM programs: %s",
			 strerror(-e));
		goto fail;
	}
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.pn_guard_decisions), on_record, l, NULL);
	if (!l->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot read the guard's decisions: %s", strerror(-e));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	pn_guard_lsm_close(l);
	return e;
}

static const struct pn_guard_lsm_rule *rule_in(const struct pn_guard_key *k,
					       const struct pn_guard_lsm_rule *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(&v[i].key, k, sizeof(*k)))
			return &v[i];
	return NULL;
}

static const struct pn_guard_lsm_cgroup *cgroup_in(uint64_t id, const struct pn_guard_lsm_cgroup *v,
						   size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

static uint32_t levels_of(const struct pn_guard_lsm_cgroup *v, size_t n)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].level > 0 && v[i].level < PN_GUARD_LEVELS)
			bits |= 1u << v[i].level;
	/* bit 0 (the root's level, found by the own-cgroup lookup) says "some guard" */
	return bits | (n ? 1u : 0);
}

static int cgroup_put(struct pn_guard_lsm *l, uint64_t id, uint32_t flags)
{
	struct pn_guard_cgroup v = { .flags = flags };

	return bpf_map__update_elem(l->skel->maps.pn_guard_cgroups, &id, sizeof(id), &v, sizeof(v),
				    BPF_ANY);
}

static int rule_put(struct pn_guard_lsm *l, const struct pn_guard_lsm_rule *r)
{
	return bpf_map__update_elem(l->skel->maps.pn_guard_rules, &r->key, sizeof(r->key), &r->rule,
				    sizeof(r->rule), BPF_ANY);
}

static void rule_drop(struct pn_guard_lsm *l, const struct pn_guard_key *k)
{
	bpf_map__delete_elem(l->skel->maps.pn_guard_rules, k, sizeof(*k), 0);
}

/* Drops what only `from` has, and gives every cgroup `to` has its own flags. */
static void settle(struct pn_guard_lsm *l, const struct pn_guard_lsm_cgroup *to, size_t n_to,
		   const struct pn_guard_lsm_rule *to_rules, size_t n_to_rules,
		   const struct pn_guard_lsm_cgroup *from, size_t n_from,
		   const struct pn_guard_lsm_rule *from_rules, size_t n_from_rules)
{
	for (size_t i = 0; i < n_from_rules; i++)
		if (!rule_in(&from_rules[i].key, to_rules, n_to_rules))
			rule_drop(l, &from_rules[i].key);
	for (size_t i = 0; i < n_to; i++)
		cgroup_put(l, to[i].id, to[i].flags);
	for (size_t i = 0; i < n_from; i++)
		if (!cgroup_in(from[i].id, to, n_to))
			bpf_map__delete_elem(l->skel->maps.pn_guard_cgroups, &from[i].id,
					     sizeof(from[i].id), 0);
	l->skel->bss->pn_guard_levels = levels_of(to, n_to);
}

int pn_guard_lsm_sync(struct pn_guard_lsm *l, const struct pn_guard_lsm_cgroup *cgroups,
		      size_t n_cg, const struct pn_guard_lsm_rule *rules, size_t n)
{
	struct pn_guard_lsm_cgroup *cg_copy = calloc(n_cg ? n_cg : 1, sizeof(*cg_copy));
	struct pn_guard_lsm_rule *rules_copy = calloc(n ? n : 1, sizeof(*rules_copy));
	size_t written = 0;
	int e = 0;

	if (!cg_copy || !rules_copy) {
		free(cg_copy);
		free(rules_copy);
		return -ENOMEM;
	}
	memcpy(cg_copy, cgroups, n_cg * sizeof(*cg_copy));
	memcpy(rules_copy, rules, n * sizeof(*rules_copy));
	/* 1. cgroups with the union of their old and new flags, and the levels of both */
	for (size_t i = 0; i < n_cg && !e; i++) {
		const struct pn_guard_lsm_cgroup *old =
			cgroup_in(cgroups[i].id, l->cgroups, l->n_cgroups);

		e = cgroup_put(l, cgroups[i].id, cgroups[i].flags | (old ? old->flags : 0));
	}
	l->skel->bss->pn_guard_levels =
		levels_of(cgroups, n_cg) | levels_of(l->cgroups, l->n_cgroups);
	/* 2. the new rules, over the old ones of the same objects */
	for (; written < n && !e; written++)
		e = rule_put(l, &rules[written]);
	if (e) {
		/* back to the old state: its rules rewritten, what only the new one had gone */
		for (size_t i = 0; i < written; i++) {
			const struct pn_guard_lsm_rule *old =
				rule_in(&rules[i].key, l->rules, l->n_rules);

			if (old)
				rule_put(l, old);
		}
		settle(l, l->cgroups, l->n_cgroups, l->rules, l->n_rules, cgroups, n_cg, rules,
		       written);
		free(cg_copy);
		free(rules_copy);
		return e;
	}
	/* 3. what only the old set had */
	settle(l, cgroups, n_cg, rules, n, l->cgroups, l->n_cgroups, l->rules, l->n_rules);
	free(l->cgroups);
	free(l->rules);
	l->cgroups = cg_copy;
	l->n_cgroups = n_cg;
	l->rules = rules_copy;
	l->n_rules = n;
	return 0;
}

int pn_guard_lsm_fd(const struct pn_guard_lsm *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

int pn_guard_lsm_consume(struct pn_guard_lsm *l,
			 void (*fn)(void *arg, const struct pn_guard_decision *d), void *arg)
{
	l->fn = fn;
	l->arg = arg;
	return ring_buffer__consume(l->rb);
}

void pn_guard_lsm_counters(struct pn_guard_lsm *l, struct pn_guard_counters *out)
{
	struct pn_guard_counters *per = calloc((size_t)l->ncpus, sizeof(*per));
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (!per)
		return;
	if (!bpf_map__lookup_elem(l->skel->maps.pn_guard_counters, &zero, sizeof(zero), per,
				  (size_t)l->ncpus * sizeof(*per), 0)) {
		for (int c = 0; c < l->ncpus; c++) {
			out->allowed += per[c].allowed;
			out->denied += per[c].denied;
			out->passed += per[c].passed;
			out->unresolved += per[c].unresolved;
			out->lost += per[c].lost;
		}
	}
	free(per);
}

void pn_guard_lsm_close(struct pn_guard_lsm *l)
{
	if (!l)
		return;
	ring_buffer__free(l->rb);
	guard_bpf__destroy(l->skel);
	free(l->cgroups);
	free(l->rules);
	free(l);
}
