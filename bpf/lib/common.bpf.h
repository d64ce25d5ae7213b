/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Base include for every panoptes kernel program: kernel types (CO-RE),
 * libbpf helpers, the shared record layout, and the few UAPI constants that
 * vmlinux.h cannot carry because they are macros.
 */
#ifndef PN_COMMON_BPF_H
#define PN_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "panoptes_event.h"

/* UAPI values, stable across kernels and the same on x86_64 and arm64. */
#define PN_O_ACCMODE	       00000003
#define PN_O_CREAT	       00000100
#define PN_O_TRUNC	       00001000
#define PN_AT_FDCWD	       -100
#define PN_AT_REMOVEDIR	       0x200
#define PN_AT_SYMLINK_NOFOLLOW 0x100
#define PN_RENAME_EXCHANGE     (1 << 1)

#define PN_S_IFMT  00170000
#define PN_S_IFREG 0100000
#define PN_S_IFDIR 0040000

/* Kernel-internal f_mode bits; unchanged since FMODE_CREATED appeared in 4.19. */
#define PN_FMODE_WRITE	 0x2
#define PN_FMODE_CREATED 0x100000

#define PN_NAME_MAX 255

#endif
