// SPDX-License-Identifier: MIT
/*
 * Which PCI function a file's bytes live on: the disk under it, via sysfs;
 * and which files no device DMAs at all.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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

/*
 * File systems whose O_DIRECT I/O moves no byte by device DMA: the kernel
 * copies them with the CPU (memory file systems), or a network or user-space
 * server handles them, never a device that could reach a buffer of ours.
 * Not listed (a block device decides): ext4, XFS, btrfs, overlayfs...
 */
static const struct {
	long magic;
	const char *name;
} no_dma_fs[] = {
	{ TMPFS_MAGIC, "tmpfs" },
	{ RAMFS_MAGIC, "ramfs" },
	{ HUGETLBFS_MAGIC, "hugetlbfs" },
	{ V9FS_MAGIC, "9p" },
	{ 0x65735546L, "fuse" },      /* FUSE_SUPER_MAGIC */
	{ NFS_SUPER_MAGIC, "nfs" },
	{ 0xFE534D42L, "smb" },       /* SMB2_MAGIC_NUMBER */
	{ CIFS_SUPER_MAGIC, "cifs" },
	{ PROC_SUPER_MAGIC, "proc" },
	{ SYSFS_MAGIC, "sysfs" },
};

/**
 * fd_no_dma() - whether no device ever DMAs an open file's bytes.
 * @fd: an open file.
 *
 * Return: what the file is on, in a word ("tmpfs", "a character device"...),
 * when its I/O is a CPU copy or a network transfer; NULL when a block device
 * (or something unknown) may DMA it.
 */
const char *fd_no_dma(int fd)
{
	struct statfs sf;
	struct stat st;
	size_t i;

	if (fstat(fd, &st) || S_ISBLK(st.st_mode))
		return NULL;
	if (S_ISCHR(st.st_mode))
		return "a character device";
	if (fstatfs(fd, &sf))
		return NULL;
	for (i = 0; i < sizeof(no_dma_fs) / sizeof(no_dma_fs[0]); i++)
		if ((long)sf.f_type == no_dma_fs[i].magic)
			return no_dma_fs[i].name;
	return NULL;
}
