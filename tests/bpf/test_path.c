// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs path_test.bpf.c's programs with BPF_PROG_TEST_RUN and checks the
 * exact bytes the agent's path helpers leave: prepending one name (it fits
 * with room, fits exactly, does not fit, the buffer is already full) and
 * emitting a walked path (the root, a whole path, one that fills the record
 * exactly, one that is too long and keeps its end). Needs root: it loads BPF.
 * Exit 0 when every check passed, 77 when not root, 1 otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "panoptes_event.h"
#include "path_test.h"
#include "path_test.skel.h"

#define SKIP 77

static int failures;

__attribute__((format(printf, 3, 4))) static void check(int ok, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	failures++;
	fprintf(stderr, "test_path.c:%d: FAIL: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond, ...) check(!!(cond), __LINE__, __VA_ARGS__)

/* True if every byte of buf[from, to) is c. */
static int all_are(const char *buf, size_t from, size_t to, char c)
{
	for (size_t i = from; i < to; i++)
		if (buf[i] != c)
			return 0;
	return 1;
}

static void run(struct bpf_program *prog, void *args, size_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = size);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	if (err) {
		fprintf(stderr, "test_path: test run of %s: %s\n", bpf_program__name(prog),
			strerror(-err));
		exit(1);
	}
	if (opts.retval) {
		fprintf(stderr, "test_path: %s returned %u\n", bpf_program__name(prog),
			opts.retval);
		exit(1);
	}
}

/* Walk buffer all '#', with `path` as the path built so far, ending at buf[PN_PATH_MAX]. */
static __u32 walk_with(struct path_test_bpf *skel, const char *path)
{
	size_t n = strlen(path);

	memset(skel->bss->buf, '#', sizeof(skel->bss->buf));
	memcpy(skel->bss->buf + PN_PATH_MAX - n, path, n);
	return PN_PATH_MAX - n;
}

static void prepend(struct path_test_bpf *skel, __u32 off, const char *name)
{
	struct prepend_args args = { .off = off, .name_len = strlen(name) };

	memcpy(args.name, name, args.name_len);
	run(skel->progs.prepend, &args, sizeof(args));
}

static void test_prepend(struct path_test_bpf *skel)
{
	char *buf = skel->bss->buf;
	char name[PN_TEST_NAME_MAX + 1];
	__u32 off;

	/* room to spare: "/etc" in front of "/passwd" */
	off = walk_with(skel, "/passwd");
	prepend(skel, off, "etc");
	CHECK(!skel->bss->out_stop && !skel->bss->out_truncated, "room: the walk goes on");
	CHECK(skel->bss->out_off == off - 4, "room: off %u, want %u", skel->bss->out_off, off - 4);
	CHECK(!memcmp(buf + off - 4, "/etc/passwd", 11), "room: path '%.11s'", buf + off - 4);
	CHECK(all_are(buf, 0, off - 4, '#'), "room: bytes before the path written");

	/* exact fit: "/" and 5 bytes into the last 6 free bytes */
	walk_with(skel, "");
	memset(buf, '#', PN_PATH_MAX);
	memcpy(buf + 6, "/rest", 5);
	prepend(skel, 6, "abcde");
	CHECK(!skel->bss->out_stop && !skel->bss->out_truncated, "exact: not truncated");
	CHECK(skel->bss->out_off == 0, "exact: off %u, want 0", skel->bss->out_off);
	CHECK(!memcmp(buf, "/abcde/rest", 11), "exact: path '%.11s'", buf);

	/* short buffer: 5 free bytes for "/abcde": nothing written, truncated */
	memset(buf, '#', PN_PATH_MAX);
	memcpy(buf + 5, "/rest", 5);
	prepend(skel, 5, "abcde");
	CHECK(skel->bss->out_stop && skel->bss->out_truncated, "short: truncated, the walk stops");
	CHECK(skel->bss->out_off == 5, "short: off %u, want 5 (unchanged)", skel->bss->out_off);
	CHECK(all_are(buf, 0, 5, '#'), "short: a cut name was written: '%.5s'", buf);
	CHECK(!memcmp(buf + 5, "/rest", 5), "short: the path so far changed");

	/* full buffer: not even "/" fits */
	memset(buf, '#', PN_PATH_MAX);
	buf[0] = '/';
	prepend(skel, 0, "a");
	CHECK(skel->bss->out_stop && skel->bss->out_truncated, "full: truncated, the walk stops");
	CHECK(skel->bss->out_off == 0, "full: off %u, want 0", skel->bss->out_off);
	CHECK(buf[0] == '/' && buf[1] == '#', "full: the buffer changed");

	/* the longest name there is, into an empty path */
	memset(name, 'n', sizeof(name));
	name[PN_TEST_NAME_MAX] = '\0';
	off = walk_with(skel, "");
	prepend(skel, off, name);
	CHECK(!skel->bss->out_truncated, "NAME_MAX: truncated");
	CHECK(skel->bss->out_off == off - PN_TEST_NAME_MAX - 1, "NAME_MAX: off %u",
	      skel->bss->out_off);
	CHECK(buf[off - PN_TEST_NAME_MAX - 1] == '/' &&
		      all_are(buf, off - PN_TEST_NAME_MAX, off, 'n'),
	      "NAME_MAX: name not copied whole");
}

static void emit(struct path_test_bpf *skel, int start, unsigned tail)
{
	struct emit_args args = { .start = start, .tail = tail };

	memset(skel->bss->out_path, '#', sizeof(skel->bss->out_path));
	run(skel->progs.emit, &args, sizeof(args));
}

static void test_emit(struct path_test_bpf *skel)
{
	char *walk = skel->bss->walk_in, *out = skel->bss->out_path;

	/* the root itself: the walk left nothing */
	memset(walk, '#', sizeof(skel->bss->walk_in));
	emit(skel, PN_PATH_MAX, 0);
	CHECK(skel->bss->out_len == 2 && !memcmp(out, "/", 2), "root: '%.2s', len %u", out,
	      skel->bss->out_len);
	CHECK(!(skel->bss->out_flags & PN_REC_TRUNCATED), "root: truncated");

	/* a walked path, NUL-terminated in place */
	memset(walk, '#', sizeof(skel->bss->walk_in));
	memcpy(walk + PN_PATH_MAX - 8, "/var/log", 8);
	emit(skel, PN_PATH_MAX - 8, 0);
	CHECK(skel->bss->out_len == 9 && !memcmp(out, "/var/log", 9), "whole: '%.9s', len %u", out,
	      skel->bss->out_len);
	CHECK(out[9] == '#', "whole: wrote past the path");
	CHECK(!(skel->bss->out_flags & PN_REC_TRUNCATED), "whole: truncated");

	/* walked part and appended name fill PN_PATH_MAX exactly: whole, not truncated */
	memset(walk, 'd', PN_PATH_MAX);
	walk[10] = '/';
	memcpy(walk + PN_PATH_MAX, "/file.txt", 10);
	emit(skel, 10, 10);
	CHECK(skel->bss->out_len == PN_PATH_MAX, "exact: len %u, want %d", skel->bss->out_len,
	      PN_PATH_MAX);
	CHECK(out[0] == '/' && !memcmp(out + PN_PATH_MAX - 10, "/file.txt", 10),
	      "exact: not the whole path");
	CHECK(!(skel->bss->out_flags & PN_REC_TRUNCATED), "exact: truncated");

	/* 5 bytes too long: the start is dropped, the end that names the object kept */
	emit(skel, 5, 10);
	CHECK(skel->bss->out_len == PN_PATH_MAX, "long: len %u, want %d", skel->bss->out_len,
	      PN_PATH_MAX);
	CHECK(!memcmp(out, walk + 10, PN_PATH_MAX - 10) &&
		      !memcmp(out + PN_PATH_MAX - 10, "/file.txt", 10),
	      "long: not the last PN_PATH_MAX bytes");
	CHECK(skel->bss->out_flags & PN_REC_TRUNCATED, "long: not marked truncated");

	/* a start outside the walk buffer is refused, nothing copied */
	emit(skel, PN_PATH_MAX + 1, 0);
	CHECK(skel->bss->out_len == 0 && out[0] == '#', "bad start: len %u", skel->bss->out_len);
}

int main(void)
{
	struct path_test_bpf *skel;

	if (geteuid() != 0) {
		fprintf(stderr, "test_path: needs root (it loads BPF programs); skipped\n");
		return SKIP;
	}
	skel = path_test_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "test_path: cannot load path_test.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	test_prepend(skel);
	test_emit(skel);
	path_test_bpf__destroy(skel);
	if (failures) {
		fprintf(stderr, "test_path: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test_path: all checks passed\n");
	return 0;
}
