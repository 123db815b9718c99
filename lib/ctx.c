// SPDX-License-Identifier: MIT
/* The libiopmem context: a snapshot of the PCI topology under a root. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/uapi/iopmem.h"
#include "internal.h"

/*
 * Record why a call failed and return err. The text is formatted into a local
 * buffer first: callers may pass the previous message (iopmem_ctx_error())
 * as an argument to wrap it, and vsnprintf() into the buffer it reads from is
 * undefined behaviour (in practice the old text is overwritten while read).
 */
int ctx_vfail(struct iopmem_ctx *ctx, int err, const char *fmt, va_list ap)
{
	char msg[sizeof(ctx->error)];

	vsnprintf(msg, sizeof(msg), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	memcpy(ctx->error, msg, strlen(msg) + 1);
	return err;
}

int ctx_fail(struct iopmem_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = ctx_vfail(ctx, err, fmt, ap);
	va_end(ap);
	return err;
}

/** iopmem_version() - the release of the library that is running. */
const char *iopmem_version(void)
{
	return IOPMEM_LIB_VERSION;
}

/** iopmem_abi_version() - the iopmem.ko ABI (IOPMEM_ABI_VERSION) this library speaks. */
int iopmem_abi_version(void)
{
	return IOPMEM_ABI_VERSION;
}

/**
 * iopmem_ctx_new() - snapshot the PCI topology.
 * @out: the new context.
 * @root: NULL or "/" for this system; else a directory shaped like "/"
 *        (sys/bus/pci/devices, sys/devices, proc/cpuinfo), e.g. a fake tree.
 *
 * Return: 0, or a negative errno (with *out set so iopmem_ctx_error() can
 * explain; free it with iopmem_ctx_free()).
 */
int iopmem_ctx_new(struct iopmem_ctx **out, const char *root)
{
	struct iopmem_ctx *ctx = calloc(1, sizeof(*ctx));

	*out = ctx;
	if (!ctx)
		return -ENOMEM;
	if (root && strcmp(root, "/")) {
		if (strlen(root) >= sizeof(ctx->root))
			return ctx_fail(ctx, -ENAMETOOLONG, "root path too long");
		snprintf(ctx->root, sizeof(ctx->root), "%s", root);
	}
	cpu_read(ctx);
	return pci_enumerate(ctx);
}

void iopmem_ctx_free(struct iopmem_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->funcs);
	free(ctx);
}

const char *iopmem_ctx_error(const struct iopmem_ctx *ctx)
{
	return ctx && ctx->error[0] ? ctx->error : "no error";
}

size_t iopmem_func_count(const struct iopmem_ctx *ctx)
{
	return ctx->nfuncs;
}

const struct iopmem_func *iopmem_func_get(const struct iopmem_ctx *ctx, size_t index)
{
	return index < ctx->nfuncs ? &ctx->funcs[index] : NULL;
}

/*
 * The PCI function of a sysfs device path: its last BDF component. Return:
 * its index, -1 if that function is not listed, -ENODEV if none is named.
 */
int path_func(const struct iopmem_ctx *ctx, char *real)
{
	char *tok, *save = NULL, bdf[16] = "";

	for (tok = strtok_r(real, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		if (pci_is_bdf(tok))
			snprintf(bdf, sizeof(bdf), "%s", tok);
	return bdf[0] ? pci_index(ctx, bdf) : -ENODEV;
}

/* The PCI function a device node belongs to: the last BDF in its sysfs path. */
static int node_to_index(struct iopmem_ctx *ctx, const char *name)
{
	static const char *const classes[] = { "block", "iopmem", "nvme", "net", "misc" };
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	char path[512], real[PATH_MAX];
	size_t i;
	int idx;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (sysfs_path(ctx, path, sizeof(path), "/sys/class/%s/%s", classes[i], base))
			return ctx_fail(ctx, -ENAMETOOLONG, "%.64s...: device node name too long", name);
		if (realpath(path, real))
			break;
	}
	if (i == sizeof(classes) / sizeof(classes[0]))
		return ctx_fail(ctx, -ENODEV, "%s: no such device node in sysfs", name);
	idx = path_func(ctx, real);
	if (idx == -ENODEV)
		return ctx_fail(ctx, -ENODEV, "%s is not a PCI device", name);
	return idx;
}

/**
 * iopmem_func_find() - look a PCI function up by name.
 * @ctx: the context.
 * @name: "0000:01:00.0", "01:00.0" (domain 0; hex, any case, "c1:00.0" as
 *        lspci prints it) or a device node such as "/dev/nvme0n1",
 *        "nvme0n1" or "/dev/iopmem0".
 *
 * A name shaped like a BDF is a BDF; else one with a ':' is a malformed BDF
 * (no device node has one); else it is a device node.
 *
 * Return: its index, or a negative errno (iopmem_ctx_error() says why).
 */
int iopmem_func_find(struct iopmem_ctx *ctx, const char *name)
{
	char bdf[16];
	int idx;

	if (pci_parse_bdf(name, bdf, sizeof(bdf))) {
		idx = pci_index(ctx, bdf);
		if (idx < 0)
			return ctx_fail(ctx, -ENODEV, "%s: no such PCI function", name);
		return idx;
	}
	if (!name[0] || (name[0] != '/' && strchr(name, ':')))
		return ctx_fail(ctx, -EINVAL, "\"%s\" is not a PCI function name "
				"(expected DDDD:BB:DD.F or BB:DD.F, hex) nor a device node", name);
	idx = node_to_index(ctx, name);
	if (idx == -1)
		return ctx_fail(ctx, -ENODEV, "%s: its PCI function is not listed", name);
	return idx;
}

/* The iopmemN node of a function iopmem.ko owns a BAR of; "" if none. */
void func_iopmem_node(const struct iopmem_ctx *ctx, int index, char *node, size_t len)
{
	char path[512];
	struct dirent *de;
	DIR *dir;

	node[0] = '\0';
	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/iopmem", ctx->funcs[index].bdf);
	dir = opendir(path);
	while (dir && (de = readdir(dir)))
		if (!strncmp(de->d_name, "iopmem", 6))
			snprintf(node, len, "%.60s", de->d_name);
	if (dir)
		closedir(dir);
}

/**
 * iopmem_func_bar_addrs() - CPU and PCI bus address of a BAR iopmem.ko owns.
 * @ctx: the context.
 * @index: the PCI function.
 * @cpu_addr: CPU physical address of the BAR's mappable byte 0.
 * @bus_addr: PCI bus address of the same byte (what a peer behind a switch
 *            targets); differs from @cpu_addr by the host bridge's offset.
 *
 * Return: 0, -ENOENT when iopmem.ko does not own a BAR of the function.
 */
int iopmem_func_bar_addrs(struct iopmem_ctx *ctx, int index, uint64_t *cpu_addr,
			  uint64_t *bus_addr)
{
	char path[512], node[64];
	unsigned long cpu, bus;

	if (index < 0 || (size_t)index >= ctx->nfuncs)
		return ctx_fail(ctx, -EINVAL, "no such PCI function index");
	func_iopmem_node(ctx, index, node, sizeof(node));
	if (!node[0])
		return ctx_fail(ctx, -ENOENT, "%s: no BAR owned by iopmem.ko", ctx->funcs[index].bdf);
	sysfs_path(ctx, path, sizeof(path), "/sys/class/iopmem/%s/cpu_addr", node);
	if (sysfs_read_ulong(path, &cpu))
		return ctx_fail(ctx, -EIO, "cannot read %s", path);
	sysfs_path(ctx, path, sizeof(path), "/sys/class/iopmem/%s/bus_addr", node);
	if (sysfs_read_ulong(path, &bus))
		return ctx_fail(ctx, -EIO, "cannot read %s", path);
	*cpu_addr = cpu;
	*bus_addr = bus;
	return 0;
}
