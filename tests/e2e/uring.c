// SPDX-License-Identifier: GPL-2.0-only
/*
 * pn_uring: file operations through io_uring only, so no file syscall of
 * the process names them (the syscalls backend cannot see them; the vfs
 * backend must report them like their syscall twins). Linked statically
 * against Debian's liburing.
 *
 *   pn_uring DIR
 *
 * In DIR, each as one io_uring request, waited for before the next:
 *   OPENAT DIR/u (O_CREAT|O_EXCL|O_WRONLY), WRITE "data", CLOSE,
 *   OPENAT DIR/u (O_RDONLY), READ, CLOSE,
 *   MKDIRAT DIR/ud, RENAMEAT DIR/u -> DIR/ud/v, UNLINKAT DIR/ud/v, UNLINKAT DIR/ud (AT_REMOVEDIR)
 * Exits 0 if every request succeeded, else names the failing one. A kernel
 * whose io_uring lacks the name operations (MKDIRAT 5.15, RENAMEAT and
 * UNLINKAT 5.11) gets the file operations only, and exit code 3.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct io_uring ring;

/* Submits the prepared request and returns its result (negative errno on failure). */
static int run(const char *what)
{
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_submit_and_wait(&ring, 1);
	if (ret < 0) {
		fprintf(stderr, "pn_uring: submit %s: %s\n", what, strerror(-ret));
		return ret;
	}
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret < 0) {
		fprintf(stderr, "pn_uring: wait %s: %s\n", what, strerror(-ret));
		return ret;
	}
	ret = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (ret < 0)
		fprintf(stderr, "pn_uring: %s: %s\n", what, strerror(-ret));
	return ret;
}

static int names_supported(void)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
	int ok;

	ok = probe && io_uring_opcode_supported(probe, IORING_OP_MKDIRAT) &&
	     io_uring_opcode_supported(probe, IORING_OP_RENAMEAT) &&
	     io_uring_opcode_supported(probe, IORING_OP_UNLINKAT);
	io_uring_free_probe(probe);
	return ok;
}

int main(int argc, char **argv)
{
	char file[4096], dir[4096], moved[4096], buf[16];
	struct io_uring_sqe *sqe;
	int err, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: pn_uring DIR\n");
		return 2;
	}
	snprintf(file, sizeof(file), "%s/u", argv[1]);
	snprintf(dir, sizeof(dir), "%s/ud", argv[1]);
	snprintf(moved, sizeof(moved), "%s/ud/v", argv[1]);
	err = io_uring_queue_init(4, &ring, 0);
	if (err) {
		fprintf(stderr, "pn_uring: io_uring_queue_init: %s\n", strerror(-err));
		return 1;
	}

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, file, O_CREAT | O_EXCL | O_WRONLY, 0644);
	fd = run("openat create");
	if (fd < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, "data", 4, 0);
	if (run("write") < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_close(sqe, fd);
	if (run("close") < 0)
		return 1;

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, file, O_RDONLY, 0);
	fd = run("openat read");
	if (fd < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	if (run("read") < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_close(sqe, fd);
	if (run("close") < 0)
		return 1;

	if (!names_supported()) {
		fprintf(stderr, "pn_uring: this kernel's io_uring has no MKDIRAT, RENAMEAT or "
				"UNLINKAT: file operations only\n");
		io_uring_queue_exit(&ring);
		return 3;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_mkdirat(sqe, AT_FDCWD, dir, 0755);
	if (run("mkdirat") < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_renameat(sqe, AT_FDCWD, file, AT_FDCWD, moved, 0);
	if (run("renameat") < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, moved, 0);
	if (run("unlinkat") < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, dir, AT_REMOVEDIR);
	if (run("unlinkat dir") < 0)
		return 1;
	io_uring_queue_exit(&ring);
	return 0;
}
