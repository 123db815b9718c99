/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the lab's guest-side test programs. */
#ifndef IOPMEM_TEST_MAP_H
#define IOPMEM_TEST_MAP_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../include/uapi/iopmem.h"

/* A shared mapping of an iopmem node, from offset 0. */
struct tmap {
	int fd;
	uint8_t *p;
	size_t len;
	struct iopmem_info info;
};

#define PG ((size_t)4096)

static inline int tmap_open(struct tmap *m, const char *dev, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->p = MAP_FAILED;
	m->fd = open(dev, O_RDWR | O_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ioctl(m->fd, IOPMEM_IOC_INFO, &m->info) < 0)
		return -errno;
	if (m->info.abi_version != IOPMEM_ABI_VERSION)
		return -EPROTO;
	m->len = len ? len : m->info.size;
	m->p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->p == MAP_FAILED)
		return -errno;
	return 0;
}

static inline void tmap_close(struct tmap *m)
{
	munmap(m->p, m->len);
	close(m->fd);
}

/* Checks print "ok - WHAT" or "not ok - WHAT (errno)" and count failures. */
static int test_failures;

static inline void check(int cond, const char *what, int err)
{
	if (cond) {
		printf("ok - %s\n", what);
	} else {
		printf("not ok - %s (errno %d %s)\n", what, err, strerror(err));
		test_failures++;
	}
}

/*
 * Touching memory that may fault on purpose (revoked, read-only, unmapped):
 * catch_faults() turns SIGBUS/SIGSEGV inside poke() into its return value;
 * anywhere else they still kill the process.
 */
static sigjmp_buf tfault_jmp;
static volatile sig_atomic_t tfault_armed, tfault_sig;

static inline void tfault_on(int sig)
{
	if (!tfault_armed)
		_exit(128 + sig);
	tfault_sig = sig;
	siglongjmp(tfault_jmp, 1);
}

static inline void catch_faults(void)
{
	struct sigaction sa = { .sa_handler = tfault_on };

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/* Read (val < 0, into *got) or write one byte: 0 or the signal it raised. */
static inline int poke(volatile uint8_t *p, int val, uint8_t *got)
{
	tfault_sig = 0;
	if (sigsetjmp(tfault_jmp, 1) == 0) {
		tfault_armed = 1;
		if (val >= 0)
			*p = (uint8_t)val;
		else
			*got = *p;
	}
	tfault_armed = 0;
	return tfault_sig;
}

/* Write VAL to a sysfs file: 0 or -errno. */
static inline int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Unbind BDF while a child, loop(DFD of DEV, NFD of NVME), keeps the module's
 * file I/O (WHAT) going; the child exits 0 once a request after some
 * successful ones fails with ENODEV. Unbind must return promptly: it waits
 * for the requests in flight, never for the loop or for a submitter that does
 * not reap. Then bind again. Return: the failure count so far.
 */
static inline int unbind_under_file_io(const char *dev, const char *nvme, const char *bdf,
				       void (*loop)(int dfd, int nfd), const char *what)
{
	int dfd = open(dev, O_RDWR | O_CLOEXEC), nfd = open(nvme, O_RDONLY | O_CLOEXEC), st = 0;
	struct timespec a, z;
	char msg[128];
	pid_t pid;

	if (dfd < 0 || nfd < 0) {
		perror("unbind under file I/O: open");
		return 1;
	}
	pid = fork();
	if (pid == 0)
		loop(dfd, nfd);
	usleep(300000);
	clock_gettime(CLOCK_MONOTONIC, &a);
	snprintf(msg, sizeof(msg), "unbind while %s runs succeeds", what);
	check(sysfs_write("/sys/bus/pci/drivers/iopmem/unbind", bdf) == 0, msg, 0);
	clock_gettime(CLOCK_MONOTONIC, &z);
	check(z.tv_sec - a.tv_sec < 10, "... within 10 s (it waits for the requests in flight only)", 0);
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "... requests before it completed, the ones after failed with ENODEV", 0);
	close(dfd);
	close(nfd);
	check(sysfs_write("/sys/bus/pci/drivers/iopmem/bind", bdf) == 0, "rebind succeeds", 0);
	return test_failures;
}

/* The pages_pinned counter of /dev/iopmemN (DEV), or -1. */
static inline long pinned_pages(const char *dev)
{
	char path[128], buf[32] = "";
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/iopmem/%s/pages_pinned", strrchr(dev, '/') + 1);
	f = fopen(path, "re");
	if (f && fgets(buf, sizeof(buf), f))
		n = strtol(buf, NULL, 10);
	if (f)
		fclose(f);
	return n;
}

/* Parse a size with an optional K/M/G suffix; -1 on error. */
static inline long long parse_size(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 0);

	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	default: break;
	}
	return *end ? -1 : v;
}

#endif
