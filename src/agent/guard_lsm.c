// SPDX-License-Identifier: GPL-2.0-only
#include "guard_lsm.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "guard.skel.h"
#include "log.h"
#include "pins.h"
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
	struct pn_pins pins;
	bool adopted, keep;
	/*
	 * What the adopted maps held, kept in them beside what the syncs write
	 * until pn_guard_lsm_settle_adopted(): the guards of the start are set
	 * one by one, and none may lapse while the others are not set yet.
	 */
	struct pn_guard_lsm_cgroup *held_cgroups;
	size_t n_held_cgroups;
	struct pn_guard_lsm_rule *held_rules;
	size_t n_held_rules;
	__u32 held_levels;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct pn_guard_lsm *l = ctx;

	if (size >= sizeof(struct pn_guard_decision))
		l->fn(l->arg, data);
	return 0;
}

/*
 * Whether the maps pinned in l->pins are the ones this object would make:
 * same shapes, and a .bss stamped with this PN_GUARD_LAYOUT. "" if so, else
 * why not in why.
 */
static void maps_compatible(struct pn_guard_lsm *l, char *why, size_t len)
{
	struct bpf_map *map;
	__u32 zero = 0;

	why[0] = '\0';
	bpf_object__for_each_map(map, l->skel->obj) {
		const char *name = pn_pins_map_name(bpf_map__name(map));
		struct bpf_map_info info = { 0 };
		__u32 info_len = sizeof(info);
		int fd;

		/* the configuration is this start's: pn_pins_reuse_maps() leaves it too */
		if (strstr(bpf_map__name(map), ".rodata"))
			continue;
		fd = pn_pins_get(&l->pins, "maps", name);
		if (fd < 0) {
			snprintf(why, len, "map %s is missing", name);
			return;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &info_len) ||
		    info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map))
			snprintf(why, len, "map %s has another shape", name);
		else if (map == l->skel->maps.bss) {
			struct guard_bpf__bss bss;

			if (info.value_size != sizeof(bss) ||
			    bpf_map_lookup_elem(fd, &zero, &bss) ||
			    bss.pn_guard_layout != PN_GUARD_LAYOUT)
				snprintf(why, len, "their layout is another (ours: %d)",
					 PN_GUARD_LAYOUT);
		}
		close(fd);
		if (why[0])
			return;
	}
}

/* What the adopted maps hold (held_*); a cgroup's level is not in them, the .bss has all. */
static int contents_read(struct pn_guard_lsm *l)
{
	struct bpf_map *cgm = l->skel->maps.pn_guard_cgroups, *rm = l->skel->maps.pn_guard_rules;
	struct pn_guard_key k, prev_k;
	__u64 id, prev_id;
	bool first = true;

	while (!bpf_map__get_next_key(cgm, first ? NULL : &prev_id, &id, sizeof(id))) {
		struct pn_guard_lsm_cgroup *v =
			realloc(l->held_cgroups, (l->n_held_cgroups + 1) * sizeof(*v));
		struct pn_guard_cgroup val;

		if (!v)
			return -ENOMEM;
		l->held_cgroups = v;
		first = false;
		prev_id = id;
		if (!bpf_map__lookup_elem(cgm, &id, sizeof(id), &val, sizeof(val), 0))
			v[l->n_held_cgroups++] =
				(struct pn_guard_lsm_cgroup){ .id = id, .flags = val.flags };
	}
	first = true;
	while (!bpf_map__get_next_key(rm, first ? NULL : &prev_k, &k, sizeof(k))) {
		struct pn_guard_lsm_rule *v =
			realloc(l->held_rules, (l->n_held_rules + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->held_rules = v;
		first = false;
		prev_k = k;
		v[l->n_held_rules].key = k;
		if (!bpf_map__lookup_elem(rm, &k, sizeof(k), &v[l->n_held_rules].rule,
					  sizeof(v[l->n_held_rules].rule), 0))
			l->n_held_rules++;
	}
	l->held_levels = l->skel->bss->pn_guard_levels;
	return 0;
}

/* The pins become this object's: the old links go (ours are attached), the maps stay. */
static int pins_settle(struct pn_guard_lsm *l, char *err, size_t errlen)
{
	struct bpf_link *links[] = { l->skel->links.pn_guard_open, l->skel->links.pn_guard_read };
	struct bpf_program *progs[] = { l->skel->progs.pn_guard_open,
					l->skel->progs.pn_guard_read };

	pn_pins_clear(&l->pins);
	return pn_pins_create(&l->pins, l->skel->obj, true, links, progs, 2, err, errlen);
}

bool pn_guard_lsm_pinned(const char *pin_dir)
{
	char path[PATH_MAX];

	if (!pin_dir || !pin_dir[0])
		return false;
	snprintf(path, sizeof(path), "%s/maps/pn_guard_rules", pin_dir);
	return access(path, F_OK) == 0;
}

void pn_guard_lsm_unpin(const char *pin_dir, const char *why)
{
	struct pn_pins pins;
	char err[PATH_MAX + 128];

	if (!pn_guard_lsm_pinned(pin_dir))
		return;
	pn_pins_init(&pins);
	if (pn_pins_take(&pins, pin_dir, err, sizeof(err))) {
		pn_warn("guards: %s", err);
		return;
	}
	pn_pins_release(&pins, false);
	pn_info("guards: removed the BPF LSM guard an agent left in %s (%s): its rules no "
		"longer apply",
		pin_dir, why);
}

bool pn_guard_lsm_adopted(const struct pn_guard_lsm *l)
{
	return l && l->adopted;
}

void pn_guard_lsm_keep_on_close(struct pn_guard_lsm *l, bool keep)
{
	if (l)
		l->keep = keep && l->pins.path[0];
}

int pn_guard_lsm_open(struct pn_guard_lsm **out, const struct pn_guard_lsm_opts *o, char *err,
		      size_t errlen)
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
	pn_pins_init(&l->pins);
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
	if (o && o->pin_dir && o->pin_dir[0]) {
		e = pn_pins_take(&l->pins, o->pin_dir, err, errlen);
		if (e)
			goto fail;
		if (pn_guard_lsm_pinned(o->pin_dir)) {
			maps_compatible(l, why, sizeof(why));
			if (why[0])
				pn_info("guards: the maps pinned in %s are not this build's (%s): "
					"replaced; what they enforced lapses until this agent's guards "
					"are set",
					o->pin_dir, why);
			else
				l->adopted = true;
		}
		if (l->adopted) {
			e = pn_pins_reuse_maps(&l->pins, l->skel->obj, false, err, errlen);
			if (e)
				goto fail;
		}
	}
	/* a kernel that refuses the programs is an answer (fanotify then), said in one line */
	quiet = pn_capture_libbpf_quiet(true);
	e = guard_bpf__load(l->skel);
	pn_capture_libbpf_quiet(quiet);
	if (e) {
		snprintf(err, errlen, "the kernel refused the guard's BPF LSM programs: %s%s",
			 strerror(-e), pn_log_verbose() ? "" : " (--verbose shows libbpf's log)");
		goto fail;
	}
	if (!l->adopted)
		l->skel->bss->pn_guard_layout = PN_GUARD_LAYOUT;
	e = guard_bpf__attach(l->skel);
	if (e) {
		snprintf(err, errlen, "cannot attach the guard's BPF LSM programs: %s",
			 strerror(-e));
		goto fail;
	}
	/* both old and new programs are attached here, on the same rules */
	if (l->adopted && contents_read(l)) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (l->pins.path[0]) {
		e = pins_settle(l, err, errlen);
		if (e)
			goto fail;
	}
	if (l->adopted)
		pn_info("guards: adopted the BPF LSM guard pinned in %s: its %zu rule(s) on %zu "
			"cgroup(s) enforced throughout, until this agent's guards replace them",
			o->pin_dir, l->n_held_rules, l->n_held_cgroups);
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
	l->skel->bss->pn_guard_levels = levels_of(to, n_to) | l->held_levels;
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
		const struct pn_guard_lsm_cgroup *held =
			cgroup_in(cgroups[i].id, l->held_cgroups, l->n_held_cgroups);

		e = cgroup_put(l, cgroups[i].id,
			       cgroups[i].flags | (old ? old->flags : 0) |
				       (held ? held->flags : 0));
	}
	l->skel->bss->pn_guard_levels =
		levels_of(cgroups, n_cg) | levels_of(l->cgroups, l->n_cgroups) | l->held_levels;
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

void pn_guard_lsm_settle_adopted(struct pn_guard_lsm *l)
{
	struct pn_guard_lsm_cgroup *cg;
	struct pn_guard_lsm_rule *rules;
	size_t n_cg, n_rules;

	if (!l || !l->adopted)
		return;
	cg = l->held_cgroups;
	n_cg = l->n_held_cgroups;
	rules = l->held_rules;
	n_rules = l->n_held_rules;
	l->held_cgroups = NULL;
	l->held_rules = NULL;
	l->n_held_cgroups = l->n_held_rules = 0;
	l->held_levels = 0;
	/* what only the agent before wanted goes; a held cgroup still guarded keeps its flags */
	settle(l, l->cgroups, l->n_cgroups, l->rules, l->n_rules, cg, n_cg, rules, n_rules);
	pn_info("guards: the adopted rules no guard of this agent holds are dropped (%zu of "
		"%zu now)",
		l->n_rules, n_rules);
	free(cg);
	free(rules);
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
	/* kept: pinned links outlive their fds, and the next agent adopts the maps */
	pn_pins_release(&l->pins, l->keep);
	guard_bpf__destroy(l->skel);
	free(l->cgroups);
	free(l->rules);
	free(l->held_cgroups);
	free(l->held_rules);
	free(l);
}
