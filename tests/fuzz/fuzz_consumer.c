// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the ring buffer record decoder
 * (pn_consumer_on_record, src/agent/consumer.c) and what it dispatches
 * into: the registry's snapshot, the rule engine (followMove included) and
 * the formatters. No BPF: the registry's kernel sink only says yes, over a
 * fake cgroup tree and /proc in a temporary directory (as the unit tests
 * build them). The registry is built again after every record that could
 * have moved a followMove path, so that every input meets the same watches.
 *
 * Input: byte 0 = choices (bit 0: JSON lines, else text; bit 1: keep the
 * record's cgroup ids, else the watched cgroup's or its child's, bit 2),
 * then one record as the ring buffer hands it over (struct pn_record and
 * its paths; capture.c drops anything shorter than the header first).
 *
 * Promised, whatever the bytes: no crash or read past the record (ASan);
 * the record is counted, as malformed or not; a malformed one writes
 * nothing; every line written is counted in matched and is one sound line
 * (text: well-formed UTF-8 without control bytes; JSON: one object, no raw
 * control byte).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "consumer.h"
#include "fuzz_check.h"
#include "fuzz_tree.h"
#include "policy.h"
#include "registry.h"

static char cg[PATH_MAX + 8], proc[PATH_MAX + 8];
static uint64_t id_w, id_child;

static const char policy[] =
	"watches:\n"
	"  - name: all\n"
	"    targets: {cgroups: [/w]}\n"
	"    subjects:\n"
	"      - paths: [/]\n"
	"        events: [all]\n"
	"        recursive: true\n"
	"  - name: moves\n"
	"    logFormat: \"{event} {ftype} {path}{sep}{file} {pod} {node} {tags} {pid} {comm} "
	"{uid} {cgroup} {container} {time}\"\n"
	"    pod: web-0\n"
	"    targets: {cgroups: [/w]}\n"
	"    subjects:\n"
	"      - paths: [/data, /etc/app.conf]\n"
	"        events: [all]\n"
	"        recursive: true\n"
	"        maxDepth: 3\n"
	"        followMove: true\n"
	"        ignore: [cache]\n"
	"        tags: {team: web, app: nginx}\n"
	"  - name: child\n"
	"    targets: {cgroups: [/w/c]}\n"
	"    subjects:\n"
	"      - paths: [/data]\n"
	"        events: [create, delete, movedfrom, movedto]\n"
	"        onlyDir: false\n";

static void mkdir_in(const char *rel)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", fuzz_root, rel);
	if (mkdir(p, 0755))
		broken("mkdir %s", p);
}

static void file_in(const char *rel, const char *text)
{
	char p[PATH_MAX + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", fuzz_root, rel);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		broken("write %s", p);
}

static uint64_t ino_of(const char *rel)
{
	char p[PATH_MAX + 64];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", fuzz_root, rel);
	if (stat(p, &st))
		broken("stat %s", p);
	return st.st_ino;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tree_new("consumer");
	mkdir_in("cg");
	mkdir_in("cg/w");
	mkdir_in("cg/w/c");
	file_in("cg/w/cgroup.procs", "200\n");
	file_in("cg/w/c/cgroup.procs", "");
	mkdir_in("proc");
	mkdir_in("proc/200");
	mkdir_in("proc/200/root");
	mkdir_in("proc/200/root/data");
	file_in("proc/200/root/data/f", "");
	file_in("proc/200/cgroup", "0::/w\n");
	snprintf(cg, sizeof(cg), "%s/cg", fuzz_root);
	snprintf(proc, sizeof(proc), "%s/proc", fuzz_root);
	id_w = ino_of("cg/w");
	id_child = ino_of("cg/w/c");
	return 0;
}

static struct pn_registry *registry(void)
{
	struct pn_registry *r = pn_registry_new(cg, proc, &fuzz_yes_sink);
	struct pn_policy p;
	char err[512];

	if (!r || pn_policy_parse_string("fuzz.yaml", policy, strlen(policy), &p, err, sizeof(err)))
		broken("the fuzz policy: %s", err);
	for (size_t i = 0; i < p.n_specs; i++)
		if (pn_registry_add(r, &p.specs[i], err, sizeof(err)))
			broken("install: %s", err);
	pn_policy_clear(&p);
	return r;
}

static void check_output(const char *buf, size_t len, bool json, uint64_t matched)
{
	uint64_t lines = 0;

	for (size_t i = 0; i < len; lines++) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - buf) - i + 1 : len - i;

		if (json) {
			size_t k = 0;

			check_json_line("JSON line", buf + i, n);
			if (!json_value(buf + i, n - 1, &k, 0) || k != n - 1 || buf[i] != '{')
				broken("JSON line: not one JSON object");
		} else {
			check_line("log line", buf + i, n);
		}
		i += n;
	}
	if (lines != matched)
		broken("%llu lines written, %llu counted", (unsigned long long)lines,
		       (unsigned long long)matched);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pn_registry *r;
	struct pn_consumer c;
	struct pn_record *rec;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	bool json;

	if (size < 1 + sizeof(*rec))
		return 0;
	json = data[0] & 1;
	/* the ring buffer hands records over 8-byte aligned */
	rec = malloc(size - 1);
	memcpy(rec, data + 1, size - 1);
	if (!(data[0] & 2)) {
		rec->watch_cgroup_id = data[0] & 4 ? id_child : id_w;
		rec->cgroup_id = data[0] & 8 ? rec->watch_cgroup_id : id_child;
	}
	if (!r)
		r = registry();
	out = open_memstream(&buf, &len);
	pn_consumer_init(&c, r, json ? PN_OUTPUT_JSON : PN_OUTPUT_TEXT, "node-f", out);
	c.proc_root = proc;
	pn_consumer_on_record(&c, rec, size - 1);
	pn_consumer_clear(&c);
	if (fclose(out))
		broken("the output stream failed");
	if (c.records != 1 || c.malformed > 1 || c.dropped)
		broken("counted %llu records, %llu malformed, %llu dropped",
		       (unsigned long long)c.records, (unsigned long long)c.malformed,
		       (unsigned long long)c.dropped);
	if (c.malformed && (len || c.matched))
		broken("a malformed record wrote %zu bytes", len);
	check_output(buf, len, json, c.matched);
	free(buf);
	/* only a move rewrites a watch (followMove); the per-watch counters change no output */
	if (rec->ops & PN_OP_MOVE) {
		pn_registry_free(r);
		r = NULL;
	}
	free(rec);
	return 0;
}
