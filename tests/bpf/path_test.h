/* SPDX-License-Identifier: GPL-2.0-only */
/* What test_path.c passes to path_test.bpf.c: the context of one test run. */
#ifndef PN_PATH_TEST_H
#define PN_PATH_TEST_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define PN_TEST_NAME_MAX 255

/* One path__prepend_name() step on the walk buffer (path_test.bpf.c: buf). */
struct prepend_args {
	__u32 off;	/* where the path built so far starts in buf */
	__u32 name_len; /* bytes of name to prepend */
	char name[PN_TEST_NAME_MAX + 1];
};

/* One path__emit() on the scratch's walk buffer. */
struct emit_args {
	__s32 start; /* where the walked path starts in walk */
	__u32 tail;  /* bytes appended at walk[PN_PATH_MAX], NUL included; 0: none */
};

#endif
