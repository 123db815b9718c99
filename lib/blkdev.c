// SPDX-License-Identifier: MIT
/* Which PCI function a file's bytes live on: the disk under it, via sysfs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"

/*
 * An NVMe multipath head disk lives under /sys/devices/virtual; the paths to
 * it (nvme0c0n1, ...) list the controller. Take the first path's function.
 */
static int multipath_func(const struct iopmem_ctx *ctx, const char *disk)
{
	char path[PATH_MAX + 32], real[PATH_MAX];
	struct dirent *de;
	int idx = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/multipath", disk);
	dir = opendir(path);
	while (dir && idx < 0 && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/multipath/%s", disk, de->d_name);
		if (realpath(path, real))
			idx = path_func(ctx, real);
	}
	if (dir)
		closedir(dir);
	return idx < 0 ? -1 : idx;
}

/**
 * fd_func() - the PCI function holding an open file's data.
 * @ctx: the context.
 * @fd: a block device, or a file on a block-device file system.
 *
 * Return: its index, or -1 when it is not known (no PCI disk under it: tmpfs,
 * 9p, device mapper...). Never an error: the caller then simply tries.
 */
int fd_func(struct iopmem_ctx *ctx, int fd)
{
	char path[512], real[PATH_MAX], copy[PATH_MAX];
	struct stat st;
	dev_t dev;
	int idx;

	if (fstat(fd, &st) || S_ISCHR(st.st_mode))
		return -1;
	dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	if (sysfs_path(ctx, path, sizeof(path), "/sys/dev/block/%u:%u", major(dev), minor(dev)) ||
	    !realpath(path, real))
		return -1;
	snprintf(copy, sizeof(copy), "%s", real);
	idx = path_func(ctx, copy);
	if (idx >= 0)
		return idx;
	idx = multipath_func(ctx, real);
	if (idx < 0 && strrchr(real, '/')) {
		*strrchr(real, '/') = '\0'; /* a partition: try its disk */
		idx = multipath_func(ctx, real);
	}
	return idx;
}
