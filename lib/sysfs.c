// SPDX-License-Identifier: MIT
/* Reading sysfs (or a fake tree shaped like it): small, bounded, no printing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int sysfs_path(const struct iopmem_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	char rel[384];
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* clang-analyzer 14 misreads glibc's va_start here. */
	n = vsnprintf(rel, sizeof(rel), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	/* Never leave buf unset: a caller that ignores the error opens "" (ENOENT). */
	buf[0] = '\0';
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s%s", ctx->root, rel);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Read a text attribute, trailing newline removed. */
int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int sysfs_read_ulong(const char *path, unsigned long *val)
{
	char buf[64], *end;
	int ret = sysfs_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*val = strtoul(buf, &end, 0);
	return errno || end == buf ? -EINVAL : 0;
}

/*
 * The last component of a symlink's target (a driver's or group's name).
 * -ENAMETOOLONG when the target, or that name, does not fit: a target cut
 * short by readlink() would end in the wrong name.
 */
int sysfs_link_name(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target));
	const char *base;

	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	n = (ssize_t)strlen(base);
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, base, (size_t)n + 1);
	return 0;
}

/* Read up to len bytes of a binary attribute; returns the count or -errno. */
long sysfs_read_bin(const char *path, unsigned char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	close(fd);
	return (long)got;
}
