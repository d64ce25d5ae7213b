/* SPDX-License-Identifier: GPL-2.0-only */
/* Diagnostics on stderr, one line each; format-checked like bpftool's p_err(). */
#ifndef PN_LOG_H
#define PN_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

void pn_log_init(const char *prog, bool verbose);
void pn_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pn_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pn_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool pn_log_verbose(void);

/*
 * Lines that clients cause (every refused call) are limited per call site,
 * so that a client repeating a bad call cannot fill the node's log: at most
 * PN_LOG_LIMIT_LINES lines a second from one site; the next line written
 * after some were held back is preceded by one saying how many.
 */
#define PN_LOG_LIMIT_LINES     10u
#define PN_LOG_LIMIT_WINDOW_NS 1000000000ull

struct pn_log_limit {
	uint64_t window_start;	       /* ns on the log clock; 0: no line yet */
	unsigned lines;		       /* written since window_start */
	unsigned long long suppressed; /* held back since the last line written */
};

/*
 * The decision alone, on the caller's clock: true if a line may be written at
 * now_ns; then *suppressed is how many were held back before it (and the
 * count starts again). Not locked: pn_info_limited serializes its calls.
 */
bool pn_log_limit_admit(struct pn_log_limit *l, uint64_t now_ns, unsigned long long *suppressed);

void pn_info_limited(struct pn_log_limit *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pn_vinfo_limited(struct pn_log_limit *l, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* pn_info with a limit of its own at each place it is written. */
#define pn_info_refusal(...)                                                                       \
	do {                                                                                       \
		static struct pn_log_limit pn_log_limit_;                                          \
		pn_info_limited(&pn_log_limit_, __VA_ARGS__);                                      \
	} while (0)

/* The clock the limits read (tests); NULL restores CLOCK_MONOTONIC. */
void pn_log_set_clock(uint64_t (*now_ns)(void));

#endif
