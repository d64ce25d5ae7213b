// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "errmsg.h"

static const char *log_prog = "panoptesd";
static bool log_verbose;

void pn_log_init(const char *prog, bool verbose)
{
	log_prog = prog;
	log_verbose = verbose;
}

bool pn_log_verbose(void)
{
	return log_verbose;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	/* One write per line so concurrent writers never interleave mid-line. */
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: %s", log_prog, level);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	/* Messages quote what gRPC clients and files sent (paths, names). */
	fprintf(stderr, "%s\n", pn_one_line(line));
}

#define PN_LOG_FN(name, level, cond)                                                               \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		if (!(cond))                                                                       \
			return;                                                                    \
		va_start(ap, fmt);                                                                 \
		log_line(level, fmt, ap);                                                          \
		va_end(ap);                                                                        \
	}

PN_LOG_FN(pn_err, "error: ", true)
PN_LOG_FN(pn_warn, "warning: ", true)
PN_LOG_FN(pn_info, "", true)
PN_LOG_FN(pn_debug, "debug: ", log_verbose)

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t (*log_clock)(void) = monotonic_ns;

void pn_log_set_clock(uint64_t (*now_ns)(void))
{
	log_clock = now_ns ? now_ns : monotonic_ns;
}

/*
 * A fixed window a second long from its first line: simple to state in the
 * docs, and at most twice the rate across a window's edge.
 */
bool pn_log_limit_admit(struct pn_log_limit *l, uint64_t now_ns, unsigned long long *suppressed)
{
	*suppressed = 0;
	if (!l->window_start || now_ns - l->window_start >= PN_LOG_LIMIT_WINDOW_NS) {
		/* 0 means "no line yet": a clock that reads 0 still opens a window */
		l->window_start = now_ns ? now_ns : 1;
		l->lines = 0;
	}
	if (l->lines >= PN_LOG_LIMIT_LINES) {
		l->suppressed++;
		return false;
	}
	l->lines++;
	*suppressed = l->suppressed;
	l->suppressed = 0;
	return true;
}

static void info_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

/* One lock for every site: the count and the line it precedes stay adjacent. */
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

void pn_vinfo_limited(struct pn_log_limit *l, const char *fmt, va_list ap)
{
	unsigned long long held;

	pthread_mutex_lock(&limit_lock);
	if (pn_log_limit_admit(l, log_clock(), &held)) {
		if (held)
			info_line("%llu more lines like the next were suppressed (at most %u a "
				  "second)",
				  held, PN_LOG_LIMIT_LINES);
		log_line("", fmt, ap);
	}
	pthread_mutex_unlock(&limit_lock);
}

void pn_info_limited(struct pn_log_limit *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pn_vinfo_limited(l, fmt, ap);
	va_end(ap);
}
