/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bounded iteration with one callback for both kinds of kernel: bpf_loop
 * (5.17+) runs the callback up to `n` times and is verified once, so walks
 * can be as deep as PATH_MAX allows; older kernels get a plain bounded loop
 * of PN_LOOP_FALLBACK steps, the most the verifier accepts for our bodies
 * (the test is lib/compat.bpf.h's).
 */
#ifndef PN_LOOP_BPF_H
#define PN_LOOP_BPF_H

#include "lib/compat.bpf.h"

#define PN_LOOP_FALLBACK 32

typedef long (*pn_loop_fn)(__u32 index, void *ctx);

#define loop__run(n, fn, ctx)                                                                      \
	({                                                                                         \
		long __ret = 0;                                                                    \
		if (compat__has_bpf_loop()) {                                                      \
			__ret = bpf_loop((n), (fn), (ctx), 0);                                     \
		} else {                                                                           \
			for (__u32 __i = 0; __i < PN_LOOP_FALLBACK && __i < (n); __i++) {          \
				__ret++;                                                           \
				if ((fn)(__i, (ctx)))                                              \
					break;                                                     \
			}                                                                          \
		}                                                                                  \
		__ret;                                                                             \
	})

#endif
