// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shims for tests/unit/run-cli: io_uring failing in the ways the
 * copy engine must survive. Built twice:
 *   -DNO_SUBMIT  every submission fails (EIO), as on a ring the kernel no
 *                longer takes requests from: the copy must fail, not spin;
 *   -DNO_INIT    no io_uring at all (seccomp, io_uring_disabled=2): the copy
 *                runs on pread/pwrite and must say so (qd 1);
 *   -DHANG_READ  with NO_INIT: every pread() hangs until a signal, then
 *                fails with EINTR, as a read from a stalled source does: a
 *                SIGINT must still stop the copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <unistd.h>

#ifdef NO_SUBMIT
int io_uring_submit_and_wait(struct io_uring *ring, unsigned int wait_nr)
{
	(void)ring;
	(void)wait_nr;
	return -EIO;
}
#endif

#ifdef NO_INIT
int io_uring_queue_init(unsigned int entries, struct io_uring *ring, unsigned int flags)
{
	(void)entries;
	(void)ring;
	(void)flags;
	return -ENOSYS;
}
#endif

#ifdef HANG_READ
ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	(void)fd;
	(void)buf;
	(void)count;
	(void)offset;
	pause();
	errno = EINTR;
	return -1;
}
#endif
