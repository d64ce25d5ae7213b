/* SPDX-License-Identifier: GPL-2.0-only */
/* Diagnostics on stderr, one line each; format-checked like bpftool's p_err(). */
#ifndef PN_LOG_H
#define PN_LOG_H

#include <stdbool.h>

void pn_log_init(const char *prog, bool verbose);
void pn_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pn_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pn_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool pn_log_verbose(void);

#endif
