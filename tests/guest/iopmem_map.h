/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the lab's guest-side test programs. */
#ifndef IOPMEM_TEST_MAP_H
#define IOPMEM_TEST_MAP_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
