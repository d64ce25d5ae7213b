/* SPDX-License-Identifier: GPL-2.0-only */
/* Whole files into memory: policy files, PEM keys and certificates. */
#ifndef PN_FILEIO_H
#define PN_FILEIO_H

#include <stddef.h>

/*
 * Reads fd to its end into a malloc'ed buffer, NUL-terminated (the NUL is
 * not counted in *len; len may be NULL), whatever the file is (procfs and
 * pipes say no size). Returns 0, -EFBIG if there are more than max bytes,
 * -ENOMEM, or -errno of the read; *buf is NULL on error. A buffer that
 * grows is copied and the old one wiped before it is freed, so a private
 * key read this way leaves no copy behind in freed memory.
 */
int pn_read_fd(int fd, size_t max, char **buf, size_t *len);

/* pn_read_fd() on path, opened read-only; -errno of the open too. */
int pn_read_file(const char *path, size_t max, char **buf, size_t *len);

#endif
