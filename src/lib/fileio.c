// SPDX-License-Identifier: GPL-2.0-only
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Frees a buffer that may hold a secret. */
static void wipe_free(char *buf, size_t len)
{
	if (!buf)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

int pn_read_fd(int fd, size_t max, char **out, size_t *outlen)
{
	size_t cap = 4096, len = 0;
	struct stat st;
	char *buf;
	int err = 0;

	*out = NULL;
	if (max > SIZE_MAX - 3)
		max = SIZE_MAX - 3;
	/* A regular file tells its size: one buffer then holds it (read to EOF: it may grow). */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= max)
		cap = (size_t)st.st_size + 2; /* the NUL, and a byte to see EOF without growing */
	/* Never room for more than max + 1 bytes: the one byte too many is how -EFBIG shows. */
	if (cap > max + 2)
		cap = max + 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			size_t ncap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
			char *nbuf = malloc(ncap);

			if (!nbuf) {
				err = -ENOMEM;
				goto out;
			}
			memcpy(nbuf, buf, len);
			wipe_free(buf, len);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			err = -EFBIG;
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen)
		*outlen = len;
	buf = NULL;
out:
	wipe_free(buf, len);
	return err;
}

int pn_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int e;

	*buf = NULL;
	if (fd < 0)
		return -errno;
	e = pn_read_fd(fd, max, buf, len);
	close(fd);
	return e;
}
