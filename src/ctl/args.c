// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command line: flags in argusd's style (-tls) and GNU style (--tls,
 * --server=X) alike, global flags anywhere, and value parsers whose errors
 * name the flag and the value, so a script can tell what it got wrong.
 */
#include "ctl.h"
#include "text.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "panoptes/v1/agent.pb-c.h"
#include "events.h"

/* ------------------------------------------------------------ messages */

void ctl_put_escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		size_t k = p[i] < 0x80 ? 1 : pn_utf8_seq(p + i, n - i);

		if (p[i] == '\n') {
			fputs("\\n", f);
		} else if (p[i] == '\t') {
			fputs("\\t", f);
		} else if (p[i] < 0x20 || p[i] == 0x7f || !k) {
			fprintf(f, "\\x%02x", p[i]); /* a control byte, or not UTF-8 */
		} else if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			fprintf(f, "\\x%02x\\x%02x", p[i],
				p[i + 1]); /* a C1 control: CSI is 0x9b */
			i++;
		} else {
			fwrite(p + i, 1, k, f);
			i += k - 1;
		}
	}
}

static void vctl_err(const char *fmt, va_list ap)
{
	char msg[8192];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fputs("panoptesctl: ", stderr);
	ctl_put_escaped(stderr, msg);
	fputc('\n', stderr);
}

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vctl_err(fmt, ap);
	va_end(ap);
}

int ctl_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vctl_err(fmt, ap);
	va_end(ap);
	return CTL_EXIT_USAGE;
}

int ctl_nomem(void)
{
	ctl_err("out of memory");
	return CTL_EXIT_FAILED;
}

int ctl_flush_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	ctl_err("stdout: %s", strerror(errno));
	return CTL_EXIT_FAILED;
}

/* ------------------------------------------------------------ flags */

enum {
	G_SERVER = 1000,
	G_TIMEOUT,
	G_TLS,
	G_TLS_CA,
	G_TLS_CERT,
	G_TLS_KEY,
	G_HELP,
	G_VERSION,
};

static const struct ctl_opt global_opts[] = {
	{ "server", G_SERVER, true },
	{ "timeout", G_TIMEOUT, true },
	{ "tls", G_TLS, false },
	{ "tlscafile", G_TLS_CA, true },
	{ "tlscertfile", G_TLS_CERT, true },
	{ "tlskeyfile", G_TLS_KEY, true },
	{ "help", G_HELP, false },
	{ "h", G_HELP, false },
	{ "version", G_VERSION, false },
	{ NULL, 0, false },
};

static const struct ctl_opt *find_opt(const struct ctl_opt *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

static int set_global(struct ctl_args *a, int id, const char *val)
{
	struct ctl *ctl = a->ctl;
	char *end;
	double t;

	switch (id) {
	case G_SERVER:
		if (!val[0])
			return ctl_usage_err(
				"--server: empty address, expected HOST:PORT or unix:PATH");
		ctl->server = val;
		return 0;
	case G_TIMEOUT:
		errno = 0;
		t = strtod(val, &end);
		if (errno || end == val || *end || !isfinite(t))
			return ctl_usage_err("--timeout: \"%s\" is not a number of seconds", val);
		if (t <= 0 || t > 86400)
			return ctl_usage_err("--timeout: \"%s\" is out of range "
					     "(0 < SECONDS <= 86400)",
					     val);
		ctl->timeout = t;
		return 0;
	case G_TLS:
		ctl->tls = true;
		return 0;
	case G_TLS_CA:
	case G_TLS_CERT:
	case G_TLS_KEY:
		if (!val[0])
			return ctl_usage_err("%s: empty file name", a->flag);
		if (id == G_TLS_CA)
			ctl->tls_ca = val;
		else if (id == G_TLS_CERT)
			ctl->tls_cert = val;
		else
			ctl->tls_key = val;
		return 0;
	}
	return ctl_usage_err("%s: not handled", a->flag);
}

int ctl_next(struct ctl_args *a, const char **val)
{
	static char flag[64];

	while (a->i < a->argc) {
		char *arg = a->argv[a->i++];
		const struct ctl_opt *opt;
		const char *name, *eq, *v = NULL;
		size_t len;
		bool global = false;
		int err;

		if (a->flags_done || arg[0] != '-' || !arg[1]) {
			*val = arg;
			return CTL_POSITIONAL;
		}
		if (strcmp(arg, "--") == 0) {
			a->flags_done = true;
			continue;
		}
		name = arg + (arg[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		opt = find_opt(a->opts, name, len);
		if (!opt) {
			opt = find_opt(global_opts, name, len);
			global = true;
		}
		if (!opt) {
			ctl_err("%.*s: unknown flag (see %s --help)", (int)(name - arg + len), arg,
				a->cmd);
			return CTL_BAD;
		}
		snprintf(flag, sizeof(flag), "--%s", opt->name);
		a->flag = flag;
		if (opt->has_arg) {
			if (eq) {
				v = eq + 1;
			} else if (a->i < a->argc) {
				v = a->argv[a->i++];
			} else {
				ctl_err("%s: missing value", flag);
				return CTL_BAD;
			}
		} else if (eq) {
			ctl_err("%s: takes no value, got \"%s\"", flag, eq + 1);
			return CTL_BAD;
		}
		if (!global) {
			*val = v;
			return opt->id;
		}
		if (opt->id == G_HELP)
			return CTL_HELP;
		if (opt->id == G_VERSION)
			return CTL_VERSION;
		err = set_global(a, opt->id, v);
		if (err)
			return CTL_BAD;
	}
	return CTL_END;
}

int ctl_args_stop(struct ctl_args *a, int id, const char *val)
{
	switch (id) {
	case CTL_HELP:
		fputs(a->usage, stdout);
		return CTL_DONE;
	case CTL_VERSION:
		printf("panoptesctl %s\n", PN_VERSION);
		return CTL_DONE;
	case CTL_POSITIONAL:
		return ctl_usage_err("unexpected argument \"%s\" (see %s --help)", val, a->cmd);
	case CTL_BAD:
		return CTL_EXIT_USAGE;
	}
	/* a flag in the command's table that the command forgot to handle */
	return ctl_usage_err("%s: not handled by %s", a->flag, a->cmd);
}

/* ------------------------------------------------------------ values */

int ctl_parse_long(const struct ctl_args *a, const char *s, long long min, long long max,
		   long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || isspace((unsigned char)s[0]))
		return ctl_usage_err("%s: \"%s\" is not a number", a->flag, s);
	if (errno == ERANGE || v < min || v > max)
		return ctl_usage_err("%s: \"%s\" is out of range (%lld..%lld)", a->flag, s, min,
				     max);
	*out = v;
	return 0;
}

int ctl_parse_output(const struct ctl_args *a, const char *s, enum ctl_output *out)
{
	if (strcmp(s, "text") == 0)
		*out = CTL_OUTPUT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = CTL_OUTPUT_JSON;
	else
		return ctl_usage_err("%s: \"%s\" is not text or json", a->flag, s);
	return 0;
}

int ctl_output_flag_only(struct ctl_args *a, enum ctl_output *out)
{
	static const struct ctl_opt opts[] = { { "output", 1, true }, { NULL, 0, false } };
	const char *val;
	int id, err;

	a->opts = opts;
	while ((id = ctl_next(a, &val)) != CTL_END) {
		if (id != 1)
			return ctl_args_stop(a, id, val);
		err = ctl_parse_output(a, val, out);
		if (err)
			return err;
	}
	return 0;
}

int ctl_name_only(struct ctl_args *a, const char **name)
{
	const char *val;
	int id;

	*name = NULL;
	while ((id = ctl_next(a, &val)) != CTL_END) {
		if (id != CTL_POSITIONAL || *name)
			return ctl_args_stop(a, id, val);
		*name = val;
	}
	if (!*name)
		return ctl_usage_err("missing NAME (see %s --help)", a->cmd);
	return 0;
}

/* ------------------------------------------------------------ event types */

static bool has_type(const Panoptes__V1__EventType *types, size_t n, Panoptes__V1__EventType type)
{
	for (size_t i = 0; i < n; i++)
		if (types[i] == type)
			return true;
	return false;
}

int ctl_parse_events(const struct ctl_args *a, const char *s, Panoptes__V1__EventType **types,
		     size_t *n)
{
	char item[64];
	const char *p = s;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		Panoptes__V1__EventType type;
		int parsed;

		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (!len)
			return ctl_usage_err("%s: empty event name in \"%s\"", a->flag, s);
		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		if (len >= sizeof(item) || pn_api_event_type_parse(item, &parsed))
			parsed = 0;
		type = (Panoptes__V1__EventType)parsed;
		if (!type)
			return ctl_usage_err("%s: \"%.*s\" is not an event (expected %s, "
					     "or enum names such as CLOSE_WRITE)",
					     a->flag, (int)len, p, pn_event_names_valid());
		if (!has_type(*types, *n, type) && ctl_push(*types, *n, type))
			return ctl_nomem();
		if (!end)
			return 0;
		p = end + 1;
	}
}
