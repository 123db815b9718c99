// SPDX-License-Identifier: MIT
/* Facts about the running system that decide whether P2P can work. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

/*
 * The kernel's config, where distributions and the lab put it; the running
 * kernel's own copy (CONFIG_IKCONFIG_PROC) is gzipped, which gzopen() reads
 * as it reads the plain files.
 */
static const char *const config_paths[] = {
	"/boot/config-%s",
	"/proc/config.gz",
	"/lib/modules/%s/build/.config",
	"/usr/src/linux-headers-%s/.config",
};

static int config_value(gzFile f, const char *key)
{
	char line[256];
	size_t klen = strlen(key);

	gzrewind(f);
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, key, klen) && line[klen] == '=')
			return line[klen + 1] == 'y' || line[klen + 1] == 'm';
		if (!strncmp(line, "# ", 2) && !strncmp(line + 2, key, klen) &&
		    !strncmp(line + 2 + klen, " is not set", 11))
			return 0;
	}
	return 0;
}

static void read_config(const struct iopmem_ctx *ctx, struct iopmem_platform *p)
{
	char rel[128], path[512];
	gzFile f = NULL;
	size_t i;

	p->zone_device = p->pci_p2pdma = -1;
	for (i = 0; i < sizeof(config_paths) / sizeof(config_paths[0]) && !f; i++) {
		snprintf(rel, sizeof(rel), config_paths[i], p->kernel_release);
		sysfs_path(ctx, path, sizeof(path), "%s", rel);
		f = gzopen(path, "rbe");
		if (f)
			snprintf(p->config_path, sizeof(p->config_path), "%s", rel);
	}
	if (!f)
		return;
	p->zone_device = config_value(f, "CONFIG_ZONE_DEVICE");
	p->pci_p2pdma = config_value(f, "CONFIG_PCI_P2PDMA");
	gzclose(f);
}

static int count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

static void read_iommu(const struct iopmem_ctx *ctx, struct iopmem_platform *p)
{
	char path[512], type[32];
	struct dirent *de;
	DIR *dir;

	sysfs_path(ctx, path, sizeof(path), "/sys/class/iommu");
	p->iommu_units = count_entries(path);
	sysfs_path(ctx, path, sizeof(path), "/sys/kernel/iommu_groups");
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		sysfs_path(ctx, path, sizeof(path), "/sys/kernel/iommu_groups/%.32s/type", de->d_name);
		if (sysfs_read(path, type, sizeof(type)))
			continue;
		if (!strncmp(type, "DMA", 3))
			p->iommu_groups_dma++;
		else if (!strcmp(type, "identity"))
			p->iommu_groups_identity++;
	}
	if (dir)
		closedir(dir);
}

/* SecureBoot EFI variable: 4 bytes of attributes, then the value byte. */
static void read_secure_boot(const struct iopmem_ctx *ctx, struct iopmem_platform *p)
{
	unsigned char var[5];
	char path[512];

	sysfs_path(ctx, path, sizeof(path),
		   "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c");
	p->secure_boot = sysfs_read_bin(path, var, sizeof(var)) == 5 ? var[4] == 1 : -1;
}

static void read_module(const struct iopmem_ctx *ctx, struct iopmem_platform *p)
{
	char path[512];
	unsigned long abi;
	struct dirent *de;
	DIR *dir;

	p->module_abi = -1;
	sysfs_path(ctx, path, sizeof(path), "/sys/module/iopmem");
	dir = opendir(path);
	p->module_loaded = dir != NULL;
	if (dir)
		closedir(dir);
	sysfs_path(ctx, path, sizeof(path), "/sys/module/iopmem/version");
	if (sysfs_read(path, p->module_version, sizeof(p->module_version)))
		p->module_version[0] = '\0';
	sysfs_path(ctx, path, sizeof(path), "/sys/class/iopmem");
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		sysfs_path(ctx, path, sizeof(path), "/sys/class/iopmem/%.32s/abi_version", de->d_name);
		if (!sysfs_read_ulong(path, &abi))
			p->module_abi = (int)abi;
	}
	if (dir)
		closedir(dir);
}

/**
 * iopmem_platform_get() - what this system offers for P2P.
 * @ctx: the context (its root is honoured, for tests).
 * @plat: filled in; unknown facts are -1 or "".
 *
 * Return: 0.
 */
int iopmem_platform_get(struct iopmem_ctx *ctx, struct iopmem_platform *plat)
{
	char path[512];

	memset(plat, 0, sizeof(*plat));
	sysfs_path(ctx, path, sizeof(path), "/proc/sys/kernel/osrelease");
	if (sysfs_read(path, plat->kernel_release, sizeof(plat->kernel_release)))
		plat->kernel_release[0] = '\0';
	read_config(ctx, plat);
	read_iommu(ctx, plat);
	read_secure_boot(ctx, plat);
	read_module(ctx, plat);
	return 0;
}
