// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

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
