// SPDX-License-Identifier: GPL-2.0-only
/*
 * The path walk's emit and truncation steps, run by the kernel itself with
 * BPF_PROG_TEST_RUN: each program calls the agent's own helper from
 * bpf/lib/path.bpf.h on buffers that test_path.c fills (in .bss) before the
 * run and reads back after. BPF_PROG_TYPE_SYSCALL, because its test run
 * takes any context and works where tracing programs cannot be run (fentry
 * and LSM test runs are refused on kernels that refuse trampolines).
 */
#include "lib/path.bpf.h"
#include "path_test.h"

char LICENSE[] SEC("license") = "GPL";

/* path__prepend_name(): the walk buffer, and what the step left behind. */
char buf[2 * PN_PATH_MAX];
__u32 out_off;
__u8 out_truncated;
long out_stop;

SEC("syscall")
int prepend(struct prepend_args *args)
{
	struct path_walk w = { .off = args->off };

	out_stop = path__prepend_name(&w, buf, (const unsigned char *)args->name, args->name_len);
	out_off = w.off;
	out_truncated = w.truncated;
	return 0;
}

/*
 * path__emit(): on this CPU's pn_scratch, the map the hooks use, with its
 * walk buffer loaded from walk_in (userspace cannot name struct pn_scratch).
 */
char walk_in[2 * PN_PATH_MAX];
char out_path[3 * PN_PATH_MAX];
__u32 out_len;
__u8 out_flags;

SEC("syscall")
int emit(struct emit_args *args)
{
	__u32 zero = 0, tail = args->tail;
	struct pn_scratch *s = bpf_map_lookup_elem(&pn_scratch, &zero);

	/* the callers' bound: an appended name is at most PN_PATH_MAX bytes with its NUL */
	if (!s || tail > PN_PATH_MAX)
		return 1;
	/* else clang tests a copy and passes on the register the verifier saw no bound on */
	barrier_var(tail);
	bpf_probe_read_kernel(s->walk, sizeof(s->walk), walk_in);
	s->rec.flags = 0;
	out_len = path__emit(s, args->start, tail, out_path);
	out_flags = s->rec.flags;
	return 0;
}
