// SPDX-License-Identifier: GPL-2.0-only
#include "errmsg.h"

#include <stdio.h>

int pn_verrf(char *err, size_t errlen, int ret, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	return ret;
}

int pn_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pn_verrf(err, errlen, ret, fmt, ap);
	va_end(ap);
	return ret;
}

char *pn_one_line(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}
