// SPDX-License-Identifier: MIT
/* Enumerate PCI functions and the upstream-bridge tree from sysfs. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define PCI_EXT_CAP_ID_ACS 0x0d
#define PCI_ACS_CTRL 6
/* Request/completion redirect and egress control: P2P goes upstream. */
#define PCI_ACS_REDIRECTS (0x04 | 0x08 | 0x20)
#define IORESOURCE_MEM 0x200
#define MIN_BAR_BYTES (2UL << 20)

/* n hex digits at s (any case) into *val; 0 if any is not a hex digit. */
static int hex_field(const char *s, size_t n, unsigned int *val)
{
	size_t i;

	*val = 0;
	for (i = 0; i < n; i++) {
		int c = tolower((unsigned char)s[i]);

		if (!isxdigit(c))
			return 0;
		*val = *val * 16 + (unsigned int)(isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	return 1;
}

/*
 * "DDDD:BB:DD.F" or, as lspci prints them, "BB:DD.F" (domain 0): hex digits
 * in either case, the device below 32 and the function below 8. A bus of
 * a0-ff starts with a letter, so the shape decides, not the first character.
 */
static int parse_bdf(const char *s, unsigned int *dom, unsigned int *bus, unsigned int *dev,
		     unsigned int *fn)
{
	size_t len = strlen(s);

	*dom = 0;
	if (len == 12) {
		if (!hex_field(s, 4, dom) || s[4] != ':')
			return 0;
		s += 5;
	} else if (len != 7) {
		return 0;
	}
	return hex_field(s, 2, bus) && s[2] == ':' && hex_field(s + 3, 2, dev) && s[5] == '.' &&
	       hex_field(s + 6, 1, fn) && *dev < 32 && *fn < 8;
}

/*
 * pci_parse_bdf() - a PCI function name in the form sysfs uses.
 * @s: "DDDD:BB:DD.F" or "BB:DD.F", hex, any case.
 * @out: "0000:c1:00.0" (lower case, domain 0 when omitted).
 * @len: size of @out, at least 13.
 *
 * Return: 1 if @s is such a name, else 0 (@out is then "").
 */
int pci_parse_bdf(const char *s, char *out, size_t len)
{
	unsigned int dom, bus, dev, fn;

	out[0] = '\0';
	if (!parse_bdf(s, &dom, &bus, &dev, &fn))
		return 0;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 1;
}

/* A full name like 0000:00:1c.0, as sysfs directory and path components are. */
int pci_is_bdf(const char *s)
{
	unsigned int dom, bus, dev, fn;

	return strlen(s) == 12 && parse_bdf(s, &dom, &bus, &dev, &fn);
}

/*
 * From "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0", the host
 * bridge ("pci0000:00") and the parent function ("0000:00:01.0", or "").
 */
static void parse_topology(const char *target, struct iopmem_func *f, char *parent, size_t plen)
{
	char copy[PATH_MAX], *tok, *save = NULL, prev[16] = "";

	snprintf(copy, sizeof(copy), "%s", target);
	parent[0] = '\0';
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strncmp(tok, "pci", 3) && strchr(tok, ':'))
			snprintf(f->host_bridge, sizeof(f->host_bridge), "%s", tok);
		else if (pci_is_bdf(tok) && strcmp(tok, f->bdf))
			snprintf(prev, sizeof(prev), "%s", tok);
		else if (!strcmp(tok, f->bdf))
			snprintf(parent, plen, "%s", prev);
	}
}

/* ACS redirect from config space; -1 when it cannot be read (not root). */
static int acs_redirect(const unsigned char *cfg, long len)
{
	unsigned int pos = 0x100, guard = 0;

	if (len < 0x104)
		return -1;
	while (pos >= 0x100 && pos + 8 <= (unsigned int)len && guard++ < 64) {
		unsigned int hdr = cfg[pos] | cfg[pos + 1] << 8 | cfg[pos + 2] << 16 |
				   (unsigned int)cfg[pos + 3] << 24;

		if (hdr == 0 || hdr == 0xffffffff)
			return 0;
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_ACS)
			return (cfg[pos + PCI_ACS_CTRL] & PCI_ACS_REDIRECTS) ? 1 : 0;
		pos = hdr >> 20;
	}
	return 0;
}

static int has_mem_bar(const char *path)
{
	unsigned long long start, end, flags;
	FILE *f = fopen(path, "re");
	int i, found = 0;

	if (!f)
		return 0;
	for (i = 0; i < 6 && fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3; i++)
		if ((flags & IORESOURCE_MEM) && end > start && end - start + 1 >= MIN_BAR_BYTES)
			found = 1;
	fclose(f);
	return found;
}

static void read_iommu(const struct iopmem_ctx *ctx, struct iopmem_func *f)
{
	char path[512], name[32], type[32];

	f->iommu_group = -1;
	if (sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", f->bdf) ||
	    sysfs_link_name(path, name, sizeof(name)))
		return;
	f->iommu_group = atoi(name);
	if (sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/type", f->bdf) ||
	    sysfs_read(path, type, sizeof(type)))
		return;
	f->iommu_translates = !strncmp(type, "DMA", 3);
}

static int read_func(struct iopmem_ctx *ctx, struct iopmem_func *f, char *parent, size_t plen)
{
	unsigned char cfg[4096];
	char path[512], target[PATH_MAX];
	unsigned long v;
	ssize_t n;

	if (sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s", f->bdf))
		return ctx_fail(ctx, -ENAMETOOLONG, "%s: the sysfs root path is too long", f->bdf);
	/* A target that fills the buffer may be cut short: its tail is the function. */
	n = readlink(path, target, sizeof(target));
	if (n < 0)
		return ctx_fail(ctx, -errno, "cannot read %s: %s", path, strerror(errno));
	if ((size_t)n >= sizeof(target))
		return ctx_fail(ctx, -ENAMETOOLONG, "%s: its sysfs link is longer than %zu bytes",
				path, sizeof(target) - 1);
	target[n] = '\0';
	parse_topology(target, f, parent, plen);

	if (sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", f->bdf) ||
	    sysfs_read_ulong(path, &v))
		return ctx_fail(ctx, -EIO, "cannot read %s", path);
	f->vendor = (uint16_t)v;
	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/device", f->bdf);
	f->device = sysfs_read_ulong(path, &v) ? 0 : (uint16_t)v;
	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/class", f->bdf);
	f->class_code = sysfs_read_ulong(path, &v) ? 0 : (uint32_t)v;
	f->is_bridge = (f->class_code >> 8) == 0x0604;
	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/config", f->bdf);
	f->acs_redirect = acs_redirect(cfg, sysfs_read_bin(path, cfg, sizeof(cfg)));
	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/resource", f->bdf);
	f->has_mem_bar = has_mem_bar(path);
	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/driver", f->bdf);
	if (sysfs_link_name(path, f->driver, sizeof(f->driver)))
		f->driver[0] = '\0';
	read_iommu(ctx, f);
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	return strcmp(((const struct iopmem_func *)a)->bdf, ((const struct iopmem_func *)b)->bdf);
}

/* Index of the function named bdf, or -1. */
int pci_index(const struct iopmem_ctx *ctx, const char *bdf)
{
	size_t i;

	for (i = 0; i < ctx->nfuncs; i++)
		if (!strcmp(ctx->funcs[i].bdf, bdf))
			return (int)i;
	return -1;
}

/*
 * Every walk up the tree must end: a fake tree can make two functions each
 * other's parent (X -> .../Y/X, Y -> .../X/Y), and verdicts would loop.
 */
static int check_tree(struct iopmem_ctx *ctx)
{
	size_t i, steps;
	int a;

	for (i = 0; i < ctx->nfuncs; i++)
		for (a = ctx->funcs[i].upstream, steps = 0; a >= 0; a = ctx->funcs[a].upstream)
			if (++steps > ctx->nfuncs)
				return ctx_fail(ctx, -ELOOP, "%s: its upstream bridges form a loop",
						ctx->funcs[i].bdf);
	return 0;
}

/* Fill ctx->funcs, sorted by BDF, with upstream links resolved. */
int pci_enumerate(struct iopmem_ctx *ctx)
{
	char path[512], (*parents)[16] = NULL;
	struct dirent *de;
	size_t cap = 0, i;
	DIR *dir;
	int ret = 0;

	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices");
	dir = opendir(path);
	if (!dir)
		return ctx_fail(ctx, -errno, "cannot list PCI devices in %s: %s", path, strerror(errno));
	while ((de = readdir(dir))) {
		if (!pci_is_bdf(de->d_name))
			continue;
		if (ctx->nfuncs == cap) {
			struct iopmem_func *nf;

			cap = cap ? cap * 2 : 32;
			nf = realloc(ctx->funcs, cap * sizeof(*nf));
			if (!nf) {
				ret = ctx_fail(ctx, -ENOMEM, "out of memory");
				break;
			}
			ctx->funcs = nf;
		}
		memset(&ctx->funcs[ctx->nfuncs], 0, sizeof(ctx->funcs[0]));
		memcpy(ctx->funcs[ctx->nfuncs].bdf, de->d_name, 13); /* pci_is_bdf(): 12 chars */
		ctx->nfuncs++;
	}
	closedir(dir);
	if (ret)
		return ret;
	if (ctx->nfuncs) /* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(ctx->funcs, ctx->nfuncs, sizeof(ctx->funcs[0]), cmp_func);

	parents = calloc(ctx->nfuncs ? ctx->nfuncs : 1, sizeof(*parents));
	if (!parents)
		return ctx_fail(ctx, -ENOMEM, "out of memory");
	for (i = 0; i < ctx->nfuncs && !ret; i++)
		ret = read_func(ctx, &ctx->funcs[i], parents[i], sizeof(parents[i]));
	for (i = 0; i < ctx->nfuncs && !ret; i++)
		ctx->funcs[i].upstream = parents[i][0] ? pci_index(ctx, parents[i]) : -1;
	free(parents);
	return ret ? ret : check_tree(ctx);
}

/* CPU vendor and family: the kernel trusts AMD Zen (family 17h+) for P2P. */
int cpu_read(struct iopmem_ctx *ctx)
{
	char path[512], line[256];
	FILE *f;

	ctx->cpu_family = -1;
	sysfs_path(ctx, path, sizeof(path), "/proc/cpuinfo");
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!ctx->cpu_vendor[0] && sscanf(line, "vendor_id : %31s", ctx->cpu_vendor) == 1)
			continue;
		if (ctx->cpu_family < 0 && sscanf(line, "cpu family : %d", &ctx->cpu_family) == 1)
			continue;
		if (ctx->cpu_vendor[0] && ctx->cpu_family >= 0)
			break;
	}
	fclose(f);
	return 0;
}
