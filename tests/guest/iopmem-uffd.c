// SPDX-License-Identifier: MIT
/*
 * iopmem-uffd DEV BDF: an ioctl whose argument cannot be copied (a page that
 * userfaultfd holds missing, as a FUSE-backed mapping could) must not hold
 * up unbinding the device: iopmem copies user memory outside the SRCU
 * section that unbind waits for. The thread stuck in the ioctl is released
 * afterwards and the device rebound.
 *
 * Prints "ok - ..." / "not ok - ..." per check; exits with the failure count.
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "iopmem_map.h"

struct stuck {
	int fd;
	void *arg;
	int ret, err;
};

static void *stuck_ioctl(void *p)
{
	struct stuck *s = p;

	s->ret = ioctl(s->fd, IOPMEM_IOC_INFO, s->arg);
	s->err = s->ret ? errno : 0;
	return NULL;
}

/* A page userfaultfd holds missing: touching it blocks until released. Return: the uffd or -1. */
static int held_page(void **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	*page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (uffd < 0 || *page == MAP_FAILED)
		return -1;
	reg.range.start = (unsigned long)*page;
	reg.range.len = PG;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		close(uffd);
		return -1;
	}
	return uffd;
}

/* Wait up to ms for a fault on uffd (the ioctl's copy is stuck there). */
static int fault_pending(int uffd, int ms)
{
	struct pollfd p = { .fd = uffd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Unbind from a child; Return: 1 when it finished within ms. */
static int unbind_within(const char *bdf, int ms)
{
	pid_t pid = fork();
	int st, waited;

	if (pid == 0)
		_exit(sysfs_write("/sys/bus/pci/drivers/iopmem/unbind", bdf) ? 1 : 0);
	for (waited = 0; waited < ms; waited += 50) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0;
		usleep(50 * 1000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct stuck s = { .fd = -1 };
	struct uffdio_zeropage zero = { 0 };
	pthread_t t;
	int uffd, done;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: iopmem-uffd DEV BDF\n");
		return 2;
	}
	uffd = held_page(&s.arg);
	if (uffd < 0) {
		printf("ok - # SKIP no userfaultfd here (%s)\n", strerror(errno));
		return 0;
	}
	s.fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (s.fd < 0 || pthread_create(&t, NULL, stuck_ioctl, &s)) {
		check(0, "open the device and start the ioctl", errno);
		return test_failures;
	}
	check(fault_pending(uffd, 5000), "the ioctl is stuck copying its argument out", 0);
	done = unbind_within(argv[2], 10000);
	check(done, "unbind completes while an ioctl is stuck in user memory", 0);
	/* Release the page: the ioctl finishes (or the unbind does, if it was waiting). */
	zero.range.start = (unsigned long)s.arg;
	zero.range.len = PG;
	ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
	pthread_join(t, NULL);
	check(s.ret == 0 || s.err == EFAULT, "the stuck ioctl returns once its page is there", s.err);
	if (!done)
		unbind_within(argv[2], 30000);
	close(s.fd);
	check(sysfs_write("/sys/bus/pci/drivers/iopmem/bind", argv[2]) == 0, "rebind succeeds", 0);
	return test_failures;
}
